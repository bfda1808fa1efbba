from django.urls import path

from . import cart, marketplace, pos, pos_price, store_handover, store_picking, store_queue, views

app_name = "orders"

urlpatterns = [
    path("cart/", cart.CartApi.as_view(), name="cart"),
    path("cart/lines/", cart.CartLineApi.as_view(), name="cart-lines"),
    path("cart/merge/", cart.CartMergeApi.as_view(), name="cart-merge"),
    path("cart/price/", cart.CartPriceApi.as_view(), name="cart-price"),
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
    path("store/orders/find/", store_handover.StoreOrderFindApi.as_view(), name="store-order-find"),
    path(
        "store/orders/<str:number>/handover/",
        store_handover.StoreOrderHandOverApi.as_view(),
        name="store-order-handover",
    ),
    path("store/orders/<str:number>/visit/", store_handover.StoreOrderVisitApi.as_view(), name="store-order-visit"),
    path("store/queue/", store_queue.StoreQueueApi.as_view(), name="store-queue"),
    path("store/orders/<str:number>/", store_queue.StoreOrderApi.as_view(), name="store-order"),
    path("store/orders/<str:number>/pick/", store_queue.StoreOrderPickApi.as_view(), name="store-order-pick"),
    path("store/orders/<str:number>/ready/", store_queue.StoreOrderReadyApi.as_view(), name="store-order-ready"),
    path(
        "store/fulfilments/<int:id>/pick/", store_queue.StoreFulfilmentPickApi.as_view(), name="store-fulfilment-pick"
    ),
    path(
        "store/fulfilments/<int:id>/ship/", store_queue.StoreFulfilmentShipApi.as_view(), name="store-fulfilment-ship"
    ),
    path(
        "store/fulfilments/<int:id>/receive/",
        store_queue.StoreFulfilmentReceiveApi.as_view(),
        name="store-fulfilment-receive",
    ),
    path("marketplace/orders/", marketplace.MarketplaceOrderImportApi.as_view(), name="marketplace-orders"),
    path("pos/sales/", pos.TillSaleCreateApi.as_view(), name="pos-sales"),
    path("pos/price/", pos_price.TillPriceApi.as_view(), name="pos-price"),
]
