from django.urls import path

from . import cart, marketplace, store_picking, views

app_name = "orders"

urlpatterns = [
    path("cart/", cart.CartApi.as_view(), name="cart"),
    path("cart/lines/", cart.CartLineApi.as_view(), name="cart-lines"),
    path("cart/merge/", cart.CartMergeApi.as_view(), name="cart-merge"),
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("store/fulfilment-lines/<int:pk>/pick/", store_picking.StoreLinePickApi.as_view(), name="store-line-pick"),
    path("store/fulfilment-lines/<int:pk>/short/", store_picking.StoreLineShortApi.as_view(), name="store-line-short"),
    path("store/fulfilments/<int:pk>/scan/", store_picking.StoreFulfilmentScanApi.as_view(), name="store-scan"),
    path("store/pick-list/", store_picking.StorePickListApi.as_view(), name="store-pick-list"),
    path(
        "store/orders/<str:number>/pick-list/",
        store_picking.StoreOrderPickListApi.as_view(),
        name="store-order-pick-list",
    ),
    path(
        "store/orders/<str:number>/pickup-notice/",
        store_picking.StorePickupNoticeResendApi.as_view(),
        name="store-pickup-notice-resend",
    ),
    path("marketplace/orders/", marketplace.MarketplaceOrderImportApi.as_view(), name="marketplace-orders"),
]
