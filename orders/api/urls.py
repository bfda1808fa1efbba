from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
]
