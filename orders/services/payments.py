"""An order's payment: authorisation after placement, the refund of a cancelled order's payment,
part refunds (lines refused at the hand-over or cancelled) and the payment taken at the till at a
pickup. The provider is asked outside any lock; the outcome is recorded with the order row locked."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from omnishop.money import Money, money_display, money_round
from omnishop.outbox.services import OutboxMessage
from omnishop.vocabulary import PaymentMethod

from .. import lifecycle
from ..events import (
    OrderEventType,
    OrderOutboxEvent,
    paid_in_store_message,
    partial_refund_message,
    payment_authorized_message,
    payment_failed_message,
    payment_refunded_message,
    refund_failed_message,
)
from ..exceptions import IdempotencyConflict, InvalidOrder, NothingToRefund, RefundExceedsPayment, RefundFailed
from ..models import Order, OrderLine, OrderRefund
from ..notices import Notice, order_notify
from ..payments import payment_provider
from .rewards import order_gift_cards_issue
from .transitions import (
    actor_user,
    order_event_build,
    order_event_record,
    order_transition,
    payment_refund_due,
    payment_refund_queue,
    system_may_cancel,
)

__all__ = [
    "TillPayment",
    "order_paid_in_store",
    "order_payment_authorize",
    "order_payment_refund",
    "order_payment_refund_partial",
    "order_refund_execute",
    "payment_recorded",
    "payment_refund_due",
    "payment_refundable",
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
    marketplace before they were imported) and orders a gift card or store credit paid whole. The
    provider is asked for ``amount_due``: the total less what those paid."""
    order = Order.objects.select_related("channel").get(pk=order_id)
    prepaid = order.payment_status == Order.PaymentStatus.PAID and order.amount_due == 0
    if (
        order.payment_status == Order.PaymentStatus.PAY_IN_STORE
        or order.payment_method == PaymentMethod.MARKETPLACE
        or prepaid
    ):
        if order.status == Order.Status.PLACED:
            return order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
        return order
    if order.payment_status != Order.PaymentStatus.PENDING or order.status == Order.Status.CANCELLED:
        return order
    result = payment_provider().authorize(
        order_number=order.number, amount=order.amount_due, currency=order.currency, method=order.payment_method
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
            if not cancelled:
                order_gift_cards_issue(order=order)  # gift cards bought work once paid
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
    # What part refunds gave back already is not given twice.
    result = payment_provider().refund(
        reference=order.payment_reference,
        amount=order.amount_due - order.refunded_total,
        currency=order.currency,
        idempotency_key=order.number,
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


@dataclass(frozen=True)
class TillPayment:
    """Staff's confirmation that the till took a pay-in-store order's payment."""

    METHODS = ("cash", "card")

    method: str  # cash or card, at the till
    receipt_number: str


def order_paid_in_store(
    *, order: Order, actor=None, amount: Decimal | None = None, till: TillPayment | None = None
) -> Order:
    """A pay-in-store order paid at the till when it is handed over: the payment becomes paid,
    with an OrderEvent and an ``order.paid_in_store`` outbox row naming ``amount`` (the total
    less what the customer refused), the till's method and receipt number. ``order`` must be
    locked by the caller (the hand-over); an order not paid in the store is left as it is."""
    if order.payment_status != Order.PaymentStatus.PAY_IN_STORE:
        return order
    store = order.pickup_location.code if order.pickup_location_id else ""
    amount = order.total if amount is None else amount
    method, receipt = (till.method, till.receipt_number) if till else ("", "")
    order.payment_status = Order.PaymentStatus.PAID
    order.payment_reference = (f"till:{store}:{receipt}" if receipt else f"store:{store}")[:100]
    Order.objects.filter(pk=order.pk).update(
        payment_status=order.payment_status, payment_reference=order.payment_reference, updated_at=timezone.now()
    )
    note = _("Paid in the store at the hand-over.")
    if till:
        label = _("cash") if method == "cash" else _("card")
        note = _("Paid %(amount)s at the till (%(method)s, receipt %(receipt)s).") % {
            "amount": money_display(amount, order.currency),
            "method": label,
            "receipt": receipt,
        }
    payment_recorded(
        order,
        type=OrderEventType.PAID_IN_STORE,
        actor=actor,
        note=note,
        message=paid_in_store_message(
            order=order, store=store, amount=amount, till_method=method, receipt_number=receipt
        ),
    )
    order_gift_cards_issue(order=order, actor=actor_user(actor))  # gift cards bought work once paid
    return order


def payment_refundable(order: Order) -> bool:
    """A card (or other provider) payment taken and not given back: part of it can be refunded."""
    return order.payment_status == Order.PaymentStatus.PAID and order.payment_method not in (
        PaymentMethod.PAY_IN_STORE,
        PaymentMethod.MARKETPLACE,
    )


def _refund_queue(refund_id: int) -> None:
    from ..tasks import order_refund_partial_task

    order_refund_partial_task.delay(refund_id)


def order_payment_refund_partial(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    reference: str,
    lines: Mapping[int, int] | None = None,
    actor=None,
) -> OrderRefund:
    """Give back ``amount`` of the order's card payment (lines refused at the hand-over, lines
    cancelled): with the order row locked, the refund is recorded (an ``OrderRefund`` under
    ``reference``, a timeline entry and an ``order.partial_refund_requested`` outbox row) and
    ``refunded_total`` rises; the provider is asked after commit (``order_refund_execute``) with
    ``reference`` as its idempotency key. ``lines``: order line id -> units the refund is for.
    Idempotent per ``reference``: the same request again returns the first refund; the same
    reference for another order or amount raises ``IdempotencyConflict``. The total refunded
    never exceeds the total (checked under the lock, and by a CHECK constraint):
    ``RefundExceedsPayment``. ``NothingToRefund`` for an order without a card payment taken;
    ``InvalidOrder`` for an amount that is not positive. Safe inside the caller's transaction."""
    try:
        amount = money_round(Money(Decimal(amount), order.currency)).amount
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidOrder(errors={"amount": [_("Give the amount as a number.")]}) from None
    if amount <= 0:
        raise InvalidOrder(errors={"amount": [_("A refund is more than zero.")]})
    reference = str(reference or "").strip()
    if not reference or len(reference) > 100:
        raise InvalidOrder(errors={"reference": [_("A refund needs a reference of at most 100 characters.")]})
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order.pk)
        existing = OrderRefund.objects.filter(reference=reference).first()
        if existing is not None:
            if existing.order_id != locked.pk or existing.amount != amount:
                raise IdempotencyConflict(
                    _("Refund reference %(reference)s was already used for another refund.") % {"reference": reference}
                )
            return existing
        if not payment_refundable(locked):
            raise NothingToRefund(
                _("Order %(number)s has no card payment taken to refund.") % {"number": locked.number}
            )
        left = locked.amount_due - locked.refunded_total  # a gift card's part goes back to the card
        if amount > left:
            raise RefundExceedsPayment(
                _("Order %(number)s has %(left)s left to refund, not %(amount)s.")
                % {
                    "number": locked.number,
                    "left": money_display(left, locked.currency),
                    "amount": money_display(amount, locked.currency),
                }
            )
        by_id = {ln.pk: ln for ln in OrderLine.objects.filter(order=locked, pk__in=list(lines or {})).only("pk", "sku")}
        unknown = [str(pk) for pk in (lines or {}) if pk not in by_id]
        if unknown:
            raise InvalidOrder(errors={"lines": [_("Not lines of this order: %(ids)s.") % {"ids": ", ".join(unknown)}]})
        Order.objects.filter(pk=locked.pk).update(
            refunded_total=F("refunded_total") + amount, updated_at=timezone.now()
        )
        locked.refunded_total += amount
        refund = OrderRefund.objects.create(
            order=locked,
            reference=reference,
            amount=amount,
            currency=locked.currency,
            reason=str(reason)[:300],
            lines=[{"line": pk, "sku": by_id[pk].sku, "quantity": int(q)} for pk, q in (lines or {}).items()],
            actor=actor_user(actor),
        )
        order_event_record(
            events=[
                order_event_build(
                    locked,
                    type=OrderEventType.PARTIAL_REFUND_REQUESTED,
                    actor=actor,
                    note=(
                        _("Refund of %(amount)s asked: %(reason)s")
                        % {"amount": money_display(amount, locked.currency), "reason": refund.reason}
                    )[:300],
                    payload={"reference": reference, "amount": str(amount), "lines": refund.lines},
                )
            ],
            messages=[
                partial_refund_message(type=OrderOutboxEvent.PARTIAL_REFUND_REQUESTED, order=locked, refund=refund)
            ],
        )
        transaction.on_commit(partial(_refund_queue, refund.pk))
    return refund


def order_refund_execute(*, refund_id: int, actor=None) -> OrderRefund:
    """Ask the provider for a part refund recorded by ``order_payment_refund_partial`` (outside any
    lock, the refund's reference as idempotency key), then record the outcome with the order row
    locked: done (provider reference, timeline entry, ``order.partial_refund_done``, the customer
    told) or refused (``refund_failed`` entry, ``order.partial_refund_failed``; it stays owed and
    ``RefundFailed`` is raised so the task retries). A refund already done is returned as it is."""
    refund = OrderRefund.objects.select_related("order").get(pk=refund_id)
    if refund.status == OrderRefund.Status.DONE:
        return refund
    order = refund.order
    result = payment_provider().refund(
        reference=order.payment_reference,
        amount=refund.amount,
        currency=refund.currency,
        idempotency_key=refund.reference,
    )
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order.pk)
        refund = OrderRefund.objects.select_for_update().get(pk=refund_id)
        if refund.status == OrderRefund.Status.DONE:
            return refund
        if result.ok:
            refund.status, refund.provider_reference, refund.refunded_at = (
                OrderRefund.Status.DONE,
                result.reference[:100],
                timezone.now(),
            )
            refund.save(update_fields=["status", "provider_reference", "refunded_at"])
            order_event_record(
                events=[
                    order_event_build(
                        order,
                        type=OrderEventType.PARTIAL_REFUND_DONE,
                        actor=actor,
                        note=_("%(amount)s refunded to the card.")
                        % {"amount": money_display(refund.amount, refund.currency)},
                        payload={"reference": refund.reference, "provider_reference": refund.provider_reference},
                    )
                ],
                messages=[
                    partial_refund_message(type=OrderOutboxEvent.PARTIAL_REFUND_DONE, order=order, refund=refund)
                ],
            )
            order_notify(
                order, Notice.ORDER_REFUNDED, total=str(refund.amount), refund_reference=refund.provider_reference
            )
            return refund
        refund.status = OrderRefund.Status.FAILED
        refund.save(update_fields=["status"])
        order_event_record(
            events=[
                order_event_build(
                    order,
                    type=OrderEventType.REFUND_FAILED,
                    actor=actor,
                    note=(result.message or str(RefundFailed.title))[:300],
                    payload={"reference": refund.reference, "amount": str(refund.amount)},
                )
            ],
            messages=[
                partial_refund_message(
                    type=OrderOutboxEvent.PARTIAL_REFUND_FAILED, order=order, refund=refund, message=result.message
                )
            ],
        )
    raise RefundFailed(
        _("The refund %(reference)s of order %(number)s failed: %(message)s")
        % {"reference": refund.reference, "number": order.number, "message": result.message or RefundFailed.title}
    )
