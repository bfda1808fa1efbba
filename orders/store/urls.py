"""/store/: the store console. Other apps' console pages are added here, each from its own
``<app>/store/views.py``."""

from django.urls import path

from . import views

app_name = "store"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.StoreLoginView.as_view(), name="login"),
    path("logout/", views.StoreLogoutView.as_view(), name="logout"),
    path("choose/", views.store_choose_view, name="choose"),
    path("orders/<str:number>/", views.order_detail, name="order"),
]
