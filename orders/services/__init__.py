"""Order writes, by flow on the transition kernel: transitions (the state machine and the one way
to write an order event) ← payments, fulfilments ← pickup ← checkout, handover (the counter);
carts and till sales beside them."""

from ..requests import Contact, OrderRequest, order_request_build, payment_method_errors
from .carts import cart_create_anonymous, cart_for_customer, cart_for_token, cart_line_set, cart_merge
from .checkout import order_place, order_request_place, request_fingerprint
from .counter import customer_check_passes, pickup_order_find
from .fulfilments import (
    fulfilment_picking_start,
    fulfilment_ship,
    fulfilment_transfer_receive,
    fulfilment_transfer_ship,
)
from .handover import HandOver, HandOverLine, handover_plan, order_hand_over, order_try_on_visit
from .payments import (
    TillPayment,
    order_paid_in_store,
    order_payment_authorize,
    order_payment_refund,
    order_payment_refund_partial,
    order_refund_execute,
    payment_recorded,
    payment_refund_due,
    payment_refundable,
)
from .picking import (
    SHORT_REASONS,
    ShortOutcome,
    fulfilment_line_pick,
    fulfilment_line_short,
    fulfilment_pick_scan,
)
from .pickup import (
    order_picking_start,
    order_pickup_notice_resend,
    order_ready_for_pickup,
    pickup_dates,
    pickup_hold_days,
    pickup_orders_expire,
    pickup_reminders_send,
    staff_works_at_pickup_store,
)
from .preview import OrderPreview, order_request_preview, pickup_ready_date
from .till import (
    NotAStoreChannel,
    StoreNotFound,
    TillCustomer,
    TillLine,
    TillPaymentMethod,
    TillReceiptConflict,
    TillSalePayment,
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
    "SHORT_REASONS",
    "Contact",
    "HandOver",
    "HandOverLine",
    "NotAStoreChannel",
    "OrderPreview",
    "OrderRequest",
    "ShortOutcome",
    "StoreNotFound",
    "TillCustomer",
    "TillLine",
    "TillPayment",
    "TillPaymentMethod",
    "TillReceiptConflict",
    "TillSalePayment",
    "TillSaleRequest",
    "actor_user",
    "cart_create_anonymous",
    "cart_for_customer",
    "cart_for_token",
    "cart_line_set",
    "cart_merge",
    "customer_check_passes",
    "fulfilment_line_pick",
    "fulfilment_line_short",
    "fulfilment_pick_scan",
    "fulfilment_picking_start",
    "fulfilment_ship",
    "fulfilment_transfer_receive",
    "fulfilment_transfer_ship",
    "handover_plan",
    "order_cancel",
    "order_event_build",
    "order_event_record",
    "order_hand_over",
    "order_paid_in_store",
    "order_payment_authorize",
    "order_payment_refund",
    "order_payment_refund_partial",
    "order_picking_start",
    "order_pickup_notice_resend",
    "order_place",
    "order_ready_for_pickup",
    "order_refund_execute",
    "order_request_build",
    "order_request_place",
    "order_request_preview",
    "order_transition",
    "order_try_on_visit",
    "payment_method_errors",
    "payment_recorded",
    "payment_refund_due",
    "payment_refundable",
    "pickup_dates",
    "pickup_hold_days",
    "pickup_order_find",
    "pickup_orders_expire",
    "pickup_ready_date",
    "pickup_reminders_send",
    "request_fingerprint",
    "staff_works_at_pickup_store",
    "system_may_cancel",
    "till_sale_record",
]
