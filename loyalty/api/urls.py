from django.urls import include, path

urlpatterns = [
    path("", include("loyalty.api.points")),
    path("", include("loyalty.api.promotions")),
    path("", include("loyalty.api.wallets")),
]
