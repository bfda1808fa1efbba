"""The counter: an order waiting in the store is found (by its pickup code, which is what the
notice's QR image carries, or by number + surname with the last phone digits as a second check),
shown as a ``HandOver`` (the customer, every line, the amount to collect), and handed over.

Click & collect (``order_hand_over``): units refused at the counter go back to the store's
sellable stock in the same transaction (the allocations become sales, then ``return`` entries in
the ledger bring the refused units back) and their amount is refunded to the card
(``order_payment_refund_partial``) or not charged at the till. Reserve & try (``order_try_on_visit``):
the lines not kept were never sold, so their allocations are released; the kept ones become sales.
A pay-in-store order is paid only once staff confirm the till took the money (method and receipt
number). When nothing is taken the order is cancelled: ``completed`` would record a sale of
nothing, and ``cancelled`` releases the stock and refunds a card payment in full; the state machine
lets only the system cancel a ready order, so the service does it, with the staff member as actor."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from inventory.models import Allocation, StockMovement
from inventory.services import StockChange, stock_changes_apply, stock_release
from omnishop.money import Money, money_display, money_round

from .. import lifecycle
from ..events import OrderEventType, handed_over_message
from ..exceptions import (
    CustomerCheckFailed,
    InvalidHandOver,
    InvalidTransition,
    TillPaymentRequired,
)
from ..models import FulfilmentLine, Order, OrderLine
from .counter import customer_check_passes, customer_name_of, handover_ready_check, phones_of
from .payments import TillPayment, order_paid_in_store, order_payment_refund_partial, payment_refundable
from .pickup import pickup_attempt_fail, pickup_code_matches, pickup_store_check, wrong_pickup_code
from .transitions import order_event_build, order_event_record, order_transition

PICKUP = "pickup"
TRY_ON = "try_on"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class HandOverLine:
    line_id: int
    sku: str
    name: str
    quantity: int
    refused: int
    unit_price: Decimal
    amount: Decimal  # what the line costs the customer (after its discount)
    refused_amount: Decimal  # the part of it for the refused units
    currency: str

    @property
    def taken(self) -> int:
        return self.quantity - self.refused


@dataclass(frozen=True)
class HandOver:
    """What the counter shows before the goods leave: who, what, and what to collect."""

    order: Order
    kind: str  # pickup (click & collect) or try_on (reserve & try)
    customer_name: str
    phone_hint: str  # the last digits only
    lines: list[HandOverLine]
    currency: str
    total: Decimal
    refused_amount: Decimal
    pay_in_store: bool
    amount_to_collect: Decimal  # at the till now (0 when the card paid)
    refund_amount: Decimal  # back to the card for the refused units
    expires_at: object

    @property
    def nothing_taken(self) -> bool:
        return all(line.taken == 0 for line in self.lines)


def _line_amount(line: OrderLine) -> Decimal:
    return line.line_total - line.discount


def handover_plan(*, order: Order, actor, refused: Mapping[int, int] | None = None, lines=None) -> HandOver:
    """What handing ``order`` over with ``refused`` (order line id -> units refused) means: every
    line, what is refused, the amount to collect at the till (a pay-in-store order) or to refund
    to the card. Raises ``NotYourStore``, ``InvalidHandOver`` (a refused quantity beyond the line,
    or a line not of the order)."""
    pickup_store_check(order, actor)
    refused = dict(refused or {})
    lines = list(lines if lines is not None else order.lines.order_by("id"))
    by_id = {line.pk: line for line in lines}
    # Units cancelled at picking (no location had them) are not handed over, nor paid for.
    cancelled = dict(
        FulfilmentLine.objects.filter(order_line__order=order, cancelled_quantity__gt=0)
        .values("order_line_id")
        .annotate(units=Sum("cancelled_quantity"))
        .values_list("order_line_id", "units")
    )
    remaining = {line.pk: line.quantity - cancelled.get(line.pk, 0) for line in lines}
    errors = {}
    for line_id, units in refused.items():
        line = by_id.get(line_id)
        if line is None:
            errors[str(line_id)] = [_("Not a line of order %(number)s.") % {"number": order.number}]
        elif not isinstance(units, int) or units < 0 or units > remaining[line_id]:
            errors[str(line_id)] = [
                _("%(refused)s refused, %(ordered)d ordered.") % {"refused": units, "ordered": remaining[line_id]}
            ]
    if errors:
        raise InvalidHandOver(_("The refused quantities do not fit the order."), errors=errors)
    plan_lines = []
    for line in lines:
        quantity = remaining[line.pk]
        if quantity <= 0:
            continue  # every unit cancelled at picking: nothing of it at the counter
        units = refused.get(line.pk, 0)
        amount = _line_amount(line)
        if quantity != line.quantity:
            amount = money_round(Money(amount * quantity / line.quantity, order.currency)).amount
        part = amount if units == quantity else money_round(Money(amount * units / quantity, order.currency)).amount
        plan_lines.append(
            HandOverLine(
                line_id=line.pk,
                sku=line.sku,
                name=line.name,
                quantity=quantity,
                refused=units,
                unit_price=line.unit_price,
                amount=amount,
                refused_amount=part,
                currency=order.currency,
            )
        )
    refused_amount = sum((ln.refused_amount for ln in plan_lines), ZERO)
    refused_amount = min(refused_amount, order.total)
    pay_in_store = order.payment_status == Order.PaymentStatus.PAY_IN_STORE
    phone = next(iter(phones_of(order)), "")
    return HandOver(
        order=order,
        kind=TRY_ON if order.fulfilment_type == Order.FulfilmentType.ROPIS else PICKUP,
        customer_name=customer_name_of(order),
        phone_hint=phone[-3:] if phone else "",
        lines=plan_lines,
        currency=order.currency,
        total=order.total,
        refused_amount=refused_amount,
        pay_in_store=pay_in_store,
        amount_to_collect=order.total - refused_amount if pay_in_store else ZERO,
        refund_amount=refused_amount if payment_refundable(order) else ZERO,
        expires_at=order.pickup_expires_at,
    )


def order_hand_over(
    *,
    order: Order,
    actor,
    code: str = "",
    surname: str = "",
    phone_digits: str = "",
    refused: Mapping[int, int] | None = None,
    collector_name: str = "",
    till: TillPayment | None = None,
) -> Order:
    """Hand a ready click & collect order over, against its pickup ``code`` (anyone may collect
    with it: ``collector_name`` is recorded) or the customer's ``surname`` and last
    ``phone_digits`` (the customer in person). ``refused``: order line id -> units the customer
    refuses at the counter; they go back to the store's stock (``return`` entries) and are
    refunded to the card or not charged. A pay-in-store order needs ``till`` (the till took the
    amount to collect). Everything refused: the order is cancelled. One transaction with the
    order row locked, so two staff handing it over at once hand it over once.
    Raises ``WrongPickupCode`` / ``CustomerCheckFailed`` (counted, the attempt kept),
    ``NotYourStore``, ``AlreadyHandedOver``, ``PickupExpired``, ``InvalidTransition``,
    ``InvalidHandOver``, ``TillPaymentRequired``."""
    return _hand_over(
        order=order,
        actor=actor,
        kind=PICKUP,
        code=code,
        surname=surname,
        phone_digits=phone_digits,
        refused=refused,
        collector_name=collector_name,
        till=till,
    )


def order_try_on_visit(
    *,
    order: Order,
    actor,
    not_kept: Iterable[int] = (),
    code: str = "",
    surname: str = "",
    phone_digits: str = "",
    till: TillPayment | None = None,
) -> Order:
    """The customer's visit to a reserve & try (ROPIS) order: the lines in ``not_kept`` (order line
    ids) go back on sale (their allocations released: they never left the store), the customer
    pays at the till (``till``) for what is kept and the order is completed with it; nothing
    kept, the order is cancelled. Proof and refusals as ``order_hand_over``."""
    lines = dict(order.lines.values_list("pk", "quantity"))
    not_kept = list(not_kept)
    errors = {
        str(pk): [_("Not a line of order %(number)s.") % {"number": order.number}] for pk in not_kept if pk not in lines
    }
    if errors:
        raise InvalidHandOver(_("The lines not kept do not fit the order."), errors=errors)
    return _hand_over(
        order=order,
        actor=actor,
        kind=TRY_ON,
        code=code,
        surname=surname,
        phone_digits=phone_digits,
        refused={pk: lines[pk] for pk in not_kept},
        collector_name="",
        till=till,
    )


def _till_check(till: TillPayment | None, *, plan: HandOver) -> None:
    if not plan.pay_in_store or plan.nothing_taken:
        return
    problems = {}
    if till is None or till.method not in TillPayment.METHODS:
        problems["till_method"] = [_("Choose how the till took the payment: cash or card.")]
    if till is None or not str(till.receipt_number or "").strip():
        problems["receipt_number"] = [_("Type the till receipt number.")]
    elif len(till.receipt_number.strip()) > 50:
        problems["receipt_number"] = [_("At most 50 characters.")]
    if problems:
        raise TillPaymentRequired(
            _("Take %(amount)s at the till for order %(number)s and confirm it: method and receipt number.")
            % {"amount": money_display(plan.amount_to_collect, plan.currency), "number": plan.order.number},
            errors=problems,
        )


def _hand_over(*, order, actor, kind, code, surname, phone_digits, refused, collector_name, till) -> Order:
    pickup_store_check(order, actor)
    expected = Order.FulfilmentType.ROPIS if kind == TRY_ON else Order.FulfilmentType.CLICK_AND_COLLECT
    if order.fulfilment_type != expected:
        message = (
            _("Order %(number)s is reserved to try on: record the visit (kept or not kept) instead.")
            if order.fulfilment_type == Order.FulfilmentType.ROPIS
            else _("Order %(number)s is click & collect: hand it over instead.")
        )
        raise InvalidTransition(message % {"number": order.number})
    code, collector_name = str(code or "").strip(), str(collector_name or "").strip()
    if not code and not (surname and phone_digits):
        raise InvalidHandOver(errors={"code": [_("Scan or type the pickup code, or check the surname and phone.")]})
    if collector_name and not code:
        raise InvalidHandOver(errors={"collector_name": [_("Someone else collects only with the pickup code.")]})
    if len(collector_name) > 120:
        raise InvalidHandOver(errors={"collector_name": [_("At most 120 characters.")]})
    if till is not None:
        till = TillPayment(method=str(till.method or "").strip(), receipt_number=str(till.receipt_number or "").strip())
    failed = None
    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("pickup_location", "channel", "customer")
            .get(pk=order.pk)
        )
        handover_ready_check(locked)
        if code and not pickup_code_matches(locked, code):
            failed = wrong_pickup_code(locked, replaced=pickup_attempt_fail(locked, actor=actor))
        elif not code and not customer_check_passes(locked, surname=surname, phone_digits=phone_digits):
            pickup_attempt_fail(locked, actor=actor, note=_("The surname or the phone digits did not match."))
            failed = CustomerCheckFailed()
        if failed is None:
            return _hand_over_locked(
                locked,
                actor=actor,
                kind=kind,
                refused=refused,
                collector_name=collector_name,
                till=till,
                by_code=bool(code),
            )
    raise failed  # after the block: the count of wrong attempts is kept


def _hand_over_locked(order: Order, *, actor, kind, refused, collector_name, till, by_code) -> Order:
    lines = list(OrderLine.objects.filter(order=order).order_by("id"))
    plan = handover_plan(order=order, actor=actor, refused=refused, lines=lines)
    _till_check(till, plan=plan)
    refused_lines = [ln for ln in plan.lines if ln.refused]
    by_id = {line.pk: line for line in lines}
    if refused_lines:
        for ln in refused_lines:
            by_id[ln.line_id].quantity_refused = ln.refused
        OrderLine.objects.bulk_update([by_id[ln.line_id] for ln in refused_lines], ["quantity_refused"])
    store = order.pickup_location
    summary = [{"sku": ln.sku, "quantity": ln.quantity, "refused": ln.refused} for ln in plan.lines]
    if plan.nothing_taken:
        note = (
            _("Nothing kept at the try-on visit.") if kind == TRY_ON else _("Every item was refused at the hand-over.")
        )
        if kind == TRY_ON:
            order_event_record(
                events=[
                    order_event_build(
                        order, type=OrderEventType.TRY_ON_VISITED, actor=actor, note=note, payload={"lines": summary}
                    )
                ]
            )
        return order_transition(order=order, to=Order.Status.CANCELLED, role=lifecycle.SYSTEM, actor=actor, note=note)
    if kind == TRY_ON and refused_lines:
        not_kept = Allocation.objects.filter(
            fulfilment_line__order_line_id__in=[ln.line_id for ln in refused_lines], status=Allocation.Status.OPEN
        ).order_by("pk")
        stock_release(allocations=list(not_kept), actor=actor)
    if plan.pay_in_store:
        order_paid_in_store(order=order, actor=actor, amount=plan.amount_to_collect, till=till)
    if kind == TRY_ON:
        status_note = _("Completed after the try-on visit.")
    elif collector_name:
        status_note = _("Handed over against the pickup code to %(name)s.") % {"name": collector_name}
    elif by_code:
        status_note = _("Handed over against the pickup code.")
    else:
        status_note = _("Handed over after checking the surname and the phone digits.")
    order = order_transition(
        order=order, to=Order.Status.COMPLETED, role=lifecycle.STORE_STAFF, actor=actor, note=status_note[:300]
    )
    if kind == PICKUP and refused_lines:
        # The refused units were sold with the rest just now; they come back to this store's shelf.
        stock_changes_apply(
            changes=[
                StockChange(
                    variant_id=by_id[ln.line_id].variant_id,
                    location_id=store.pk,
                    kind=StockMovement.Kind.RETURN,
                    quantity=ln.refused,
                    idempotency_key=f"handover:{order.number}:{ln.line_id}",
                    note=_("Refused at the hand-over"),
                )
                for ln in refused_lines
            ],
            actor=actor,
            reference=f"order:{order.number}",
        )
    if plan.refund_amount > 0:
        order_payment_refund_partial(
            order=order,
            amount=plan.refund_amount,
            reason=_("Refused at the hand-over") if kind == PICKUP else _("Not kept after trying on"),
            reference=f"handover:{order.number}",
            lines={ln.line_id: ln.refused for ln in refused_lines},
            actor=actor,
        )
    refused_text = ", ".join(f"{ln.refused} x {ln.name}" for ln in refused_lines)
    if kind == TRY_ON:
        note = (
            _("Try-on visit: not kept %(lines)s.") % {"lines": refused_text}
            if refused_lines
            else _("Try-on visit: everything kept.")
        )
    elif refused_lines:
        note = _("Handed over; refused at the counter: %(lines)s.") % {"lines": refused_text}
    else:
        note = _("Handed over in full.")
    if plan.refund_amount > 0:
        note += " " + _("%(amount)s goes back to the card.") % {
            "amount": money_display(plan.refund_amount, plan.currency)
        }
    elif plan.pay_in_store and plan.refused_amount > 0:
        note += " " + _("%(amount)s not charged.") % {"amount": money_display(plan.refused_amount, plan.currency)}
    payload = {
        "kind": kind,
        "lines": summary,
        "amount_collected": str(plan.amount_to_collect),
        "refund_amount": str(plan.refund_amount),
        "not_charged": str(plan.refused_amount if plan.pay_in_store else ZERO),
        "by": "code" if by_code else "customer_check",
        "collector_name": collector_name,
    }
    order_event_record(
        events=[
            order_event_build(
                order,
                type=OrderEventType.TRY_ON_VISITED if kind == TRY_ON else OrderEventType.HANDED_OVER,
                actor=actor,
                note=note[:300],
                payload=payload,
            )
        ],
        messages=[
            handed_over_message(
                order=order,
                store=store.code,
                kind=kind,
                lines=summary,
                amount_collected=plan.amount_to_collect,
                refund_amount=plan.refund_amount,
                collected_by_other=bool(collector_name),
            )
        ],
    )
    return order
