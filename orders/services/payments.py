"""An order's payment: authorisation after placement, the refund of a cancelled order's payment
(the path later refunds reuse) and the payment taken at the till at a pickup. The provider is
asked outside any lock; the outcome is recorded with the order row locked."""

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnishop.outbox.services import OutboxMessage
from omnishop.vocabulary import PaymentMethod

from .. import lifecycle
from ..events import (
    OrderEventType,
    paid_in_store_message,
    payment_authorized_message,
    payment_failed_message,
    payment_refunded_message,
    refund_failed_message,
)
from ..exceptions import RefundFailed
from ..models import Order
from ..notices import Notice, order_notify
from ..payments import payment_provider
from .transitions import (
    order_event_build,
    order_event_record,
    order_transition,
    payment_refund_due,
    payment_refund_queue,
    system_may_cancel,
)

__all__ = [
    "order_paid_in_store",
    "order_payment_authorize",
    "order_payment_refund",
    "payment_recorded",
    "payment_refund_due",
]


def payment_recorded(order: Order, *, type: OrderEventType, message: OutboxMessage, note: str = "", actor=None) -> None:
    """A payment fact on the order's timeline and in the outbox (``message``, from a builder of
    ``orders.events``), in the caller's transaction: one payload for both, amounts as strings
    (without the number and the channel, which the timeline entry has in its own fields)."""
    payload = {key: value for key, value in message.payload.items() if key not in ("number", "channel")}
    order_event_record(
        events=[order_event_build(order, type=type, actor=actor, note=note[:300], payload=payload)],
        messages=[message],
    )


def order_payment_authorize(*, order_id: int) -> Order:
    """Ask the payment provider (outside any lock), then record the outcome with the order row
    locked. Any order whose payment is pending and which is not cancelled is authorised, however
    far it moved on meanwhile (an agent may confirm it before this runs); an approved placed
    order is confirmed. A decline cancels the order when the state machine lets the system
    cancel it, else it is only recorded (a ``payment_failed`` event and outbox row with
    ``cancelled`` false) for staff to act on. An approval landing on an order cancelled while the
    provider was asked is recorded and refunded at once (``order_payment_refund`` after commit).
    Pay-in-store orders are confirmed without a payment, and so are marketplace sales (paid on the
    marketplace before they were imported)."""
    order = Order.objects.select_related("channel").get(pk=order_id)
    if order.payment_status == Order.PaymentStatus.PAY_IN_STORE or order.payment_method == PaymentMethod.MARKETPLACE:
        if order.status == Order.Status.PLACED:
            return order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
        return order
    if order.payment_status != Order.PaymentStatus.PENDING or order.status == Order.Status.CANCELLED:
        return order
    result = payment_provider().authorize(
        order_number=order.number, amount=order.total, currency=order.currency, method=order.payment_method
    )
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order_id)
        if order.payment_status != Order.PaymentStatus.PENDING:
            return order
        # Cancelled while the provider was asked: the outcome is still recorded, and money
        # taken goes back (below), so a cancelled order never keeps a payment.
        cancelled = order.status == Order.Status.CANCELLED
        order.payment_status = Order.PaymentStatus.PAID if result.ok else Order.PaymentStatus.FAILED
        order.payment_reference = result.reference
        order.save(update_fields=["payment_status", "payment_reference", "updated_at"])
        cancels = not result.ok and system_may_cancel(order)
        note = result.message
        if not result.ok and not cancels and not cancelled:
            note = _("Payment declined; the order is %(status)s and was not cancelled: staff must act.") % {
                "status": order.get_status_display()
            }
        if result.ok:
            payment_recorded(
                order,
                type=OrderEventType.PAYMENT_AUTHORIZED,
                note=note,
                message=payment_authorized_message(order=order, reference=result.reference),
            )
        else:
            payment_recorded(
                order,
                type=OrderEventType.PAYMENT_FAILED,
                note=note,
                message=payment_failed_message(
                    order=order, reference=result.reference, message=result.message, cancelled=cancels or cancelled
                ),
            )
            # One notice for the decline and what follows from it (the cancellation says nothing more).
            order_notify(order, Notice.PAYMENT_FAILED, cancelled=cancels or cancelled)
        # In the same transaction, so the status read above is still the order's.
        if payment_refund_due(order):
            transaction.on_commit(partial(payment_refund_queue, order.pk))
        elif result.ok and order.status == Order.Status.PLACED:
            order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
        elif cancels:
            order = order_transition(
                order=order, to=Order.Status.CANCELLED, role=lifecycle.SYSTEM, note=result.message, notify=False
            )
    return order


def order_payment_refund(*, order_id: int, actor=None) -> Order:
    """Give a cancelled order's payment back: the provider is asked outside any lock (with the
    order number as its idempotency key, so a retry never refunds twice), then, with the order
    row locked, the payment becomes refunded with the refund reference, an OrderEvent and an
    ``order.payment_refunded`` outbox row. Idempotent: an order with nothing to refund (see
    ``payment_refund_due``) is returned as it is. A refund the provider refuses leaves the
    payment paid, records a ``refund_failed`` event and ``order.refund_failed`` outbox row for
    staff, and raises ``RefundFailed`` (the task retries)."""
    order = Order.objects.get(pk=order_id)
    if not payment_refund_due(order):
        return order
    result = payment_provider().refund(
        reference=order.payment_reference, amount=order.total, currency=order.currency, idempotency_key=order.number
    )
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order_id)
        if not payment_refund_due(order):
            return order
        if result.ok:
            order.payment_status = Order.PaymentStatus.REFUNDED
            order.refund_reference = result.reference
            order.save(update_fields=["payment_status", "refund_reference", "updated_at"])
            payment_recorded(
                order,
                type=OrderEventType.PAYMENT_REFUNDED,
                actor=actor,
                note=_("Payment refunded."),
                message=payment_refunded_message(order=order, reference=result.reference),
            )
            order_notify(order, Notice.ORDER_REFUNDED, refund_reference=result.reference)
            return order
        payment_recorded(
            order,
            type=OrderEventType.REFUND_FAILED,
            actor=actor,
            note=result.message or str(RefundFailed.title),
            message=refund_failed_message(order=order, message=result.message),
        )
    raise RefundFailed(
        _("The refund of order %(number)s failed: %(message)s")
        % {"number": order.number, "message": result.message or RefundFailed.title}
    )


def order_paid_in_store(*, order: Order, actor=None) -> Order:
    """A pay-in-store order paid at the till when it is handed over: the payment becomes paid,
    with an OrderEvent and an ``order.paid_in_store`` outbox row. ``order`` must be locked by
    the caller (the hand-over); an order not paid in the store is left as it is."""
    if order.payment_status != Order.PaymentStatus.PAY_IN_STORE:
        return order
    store = order.pickup_location.code if order.pickup_location_id else ""
    order.payment_status = Order.PaymentStatus.PAID
    order.payment_reference = f"store:{store}"
    Order.objects.filter(pk=order.pk).update(
        payment_status=order.payment_status, payment_reference=order.payment_reference, updated_at=timezone.now()
    )
    payment_recorded(
        order,
        type=OrderEventType.PAID_IN_STORE,
        actor=actor,
        note=_("Paid in the store at the hand-over."),
        message=paid_in_store_message(order=order, store=store),
    )
    return order
