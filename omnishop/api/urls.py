"""/api/v1/: every app's API under one version prefix."""

from django.urls import include, path

from omnishop.accounts.api.views import MeApi

from .views import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("me/", MeApi.as_view(), name="me"),
    path("", include("catalog.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("loyalty.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("omnishop.outbox.api.urls")),
    path("", include("omnishop.webhooks.api.urls")),
]
