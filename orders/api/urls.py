from django.urls import path

from . import cart, marketplace, pos, views

app_name = "orders"

urlpatterns = [
    path("cart/", cart.CartApi.as_view(), name="cart"),
    path("cart/lines/", cart.CartLineApi.as_view(), name="cart-lines"),
    path("cart/merge/", cart.CartMergeApi.as_view(), name="cart-merge"),
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("marketplace/orders/", marketplace.MarketplaceOrderImportApi.as_view(), name="marketplace-orders"),
    path("pos/sales/", pos.TillSaleCreateApi.as_view(), name="pos-sales"),
]
