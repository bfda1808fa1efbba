from django.urls import path

from . import cart, marketplace, store_handover, views

app_name = "orders"

urlpatterns = [
    path("cart/", cart.CartApi.as_view(), name="cart"),
    path("cart/lines/", cart.CartLineApi.as_view(), name="cart-lines"),
    path("cart/merge/", cart.CartMergeApi.as_view(), name="cart-merge"),
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("store/orders/find/", store_handover.StoreOrderFindApi.as_view(), name="store-order-find"),
    path(
        "store/orders/<str:number>/handover/",
        store_handover.StoreOrderHandOverApi.as_view(),
        name="store-order-handover",
    ),
    path("store/orders/<str:number>/visit/", store_handover.StoreOrderVisitApi.as_view(), name="store-order-visit"),
    path("marketplace/orders/", marketplace.MarketplaceOrderImportApi.as_view(), name="marketplace-orders"),
]
