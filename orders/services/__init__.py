"""Order writes: checkout from any channel, the lifecycle and payment, carts."""

from .carts import cart_create_anonymous, cart_for_customer, cart_for_token, cart_line_set, cart_merge
from .checkout import (
    Contact,
    fulfilment_transfer_receive,
    fulfilment_transfer_ship,
    order_cancel,
    order_paid_in_store,
    order_payment_authorize,
    order_payment_refund,
    order_place,
    order_transition,
    payment_method_errors,
    payment_refund_due,
    request_fingerprint,
)
from .pickup import (
    order_hand_over,
    order_picking_start,
    order_ready_for_pickup,
    pickup_hold_days,
    pickup_orders_expire,
    staff_works_at_pickup_store,
)

__all__ = [
    "Contact",
    "cart_create_anonymous",
    "cart_for_customer",
    "cart_for_token",
    "cart_line_set",
    "cart_merge",
    "fulfilment_transfer_receive",
    "fulfilment_transfer_ship",
    "order_cancel",
    "order_hand_over",
    "order_paid_in_store",
    "order_payment_authorize",
    "order_payment_refund",
    "order_picking_start",
    "order_place",
    "order_ready_for_pickup",
    "order_transition",
    "payment_method_errors",
    "payment_refund_due",
    "pickup_hold_days",
    "pickup_orders_expire",
    "request_fingerprint",
    "staff_works_at_pickup_store",
]
