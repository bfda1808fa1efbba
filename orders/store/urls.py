"""/store/: the store console. Other apps add their console pages here, each from its own
``<app>/store/views.py``."""

from django.urls import path

from . import handover, picking, views

app_name = "store"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.StoreLoginView.as_view(), name="login"),
    path("logout/", views.StoreLogoutView.as_view(), name="logout"),
    path("choose/", views.store_choose_view, name="choose"),
    path("handover/", handover.handover_search, name="handover"),
    path("handover/<str:number>/", handover.handover_order, name="handover-order"),
    path("orders/<str:number>/", views.order_detail, name="order"),
    path("orders/<str:number>/pick/", views.order_picking_start, name="order-pick"),
    path("orders/<str:number>/ready/", views.order_ready, name="order-ready"),
    path("orders/<str:number>/resend-notice/", views.order_notice_resend, name="order-resend-notice"),
    path("orders/<str:number>/picking/", picking.order_pick, name="picking-order"),
    path("picking/", picking.batch_pick, name="picking-batch"),
    path("picking/scan/", picking.scan, name="picking-scan"),
    path("picking/lines/<int:pk>/pick/", picking.line_pick, name="picking-line-pick"),
    path("picking/lines/<int:pk>/short/", picking.line_short, name="picking-line-short"),
    path("fulfilments/<int:pk>/pick/", views.fulfilment_picking_start, name="fulfilment-pick"),
    path("fulfilments/<int:pk>/receive/", views.fulfilment_receive, name="fulfilment-receive"),
    path("fulfilments/<int:pk>/ship/", views.fulfilment_ship, name="fulfilment-ship"),
]
