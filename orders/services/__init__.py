"""Order writes, by flow on the transition kernel: transitions (the state machine and the one way
to write an order event) ← payments, fulfilments ← pickup ← checkout; carts and till sales beside them."""

from ..requests import Contact, OrderRequest, order_request_build, payment_method_errors
from .carts import cart_create_anonymous, cart_for_customer, cart_for_token, cart_line_set, cart_merge
from .checkout import order_place, order_request_place, request_fingerprint
from .fulfilments import fulfilment_ship, fulfilment_transfer_receive, fulfilment_transfer_ship
from .payments import (
    order_paid_in_store,
    order_payment_authorize,
    order_payment_refund,
    payment_recorded,
    payment_refund_due,
)
from .pickup import (
    order_hand_over,
    order_picking_start,
    order_ready_for_pickup,
    pickup_hold_days,
    pickup_orders_expire,
    pickup_reminders_send,
    staff_works_at_pickup_store,
)
from .till import (
    NotAStoreChannel,
    StoreNotFound,
    TillCustomer,
    TillLine,
    TillPayment,
    TillPaymentMethod,
    TillReceiptConflict,
    TillSaleRequest,
    till_sale_record,
)
from .transitions import (
    actor_user,
    order_cancel,
    order_event_build,
    order_event_record,
    order_transition,
    system_may_cancel,
)

__all__ = [
    "Contact",
    "NotAStoreChannel",
    "OrderRequest",
    "StoreNotFound",
    "TillCustomer",
    "TillLine",
    "TillPayment",
    "TillPaymentMethod",
    "TillReceiptConflict",
    "TillSaleRequest",
    "actor_user",
    "cart_create_anonymous",
    "cart_for_customer",
    "cart_for_token",
    "cart_line_set",
    "cart_merge",
    "fulfilment_ship",
    "fulfilment_transfer_receive",
    "fulfilment_transfer_ship",
    "order_cancel",
    "order_event_build",
    "order_event_record",
    "order_hand_over",
    "order_paid_in_store",
    "order_payment_authorize",
    "order_payment_refund",
    "order_picking_start",
    "order_place",
    "order_ready_for_pickup",
    "order_request_build",
    "order_request_place",
    "order_transition",
    "payment_method_errors",
    "payment_recorded",
    "payment_refund_due",
    "pickup_hold_days",
    "pickup_orders_expire",
    "pickup_reminders_send",
    "request_fingerprint",
    "staff_works_at_pickup_store",
    "system_may_cancel",
    "till_sale_record",
]
