"""Picking in the store: units of a fulfilment put in the basket by tapping a line or scanning its
EAN, and short picks. A short pick (units missing or damaged) in one transaction takes them off
this store's stock through the ledger and re-routes them: click & collect from another location
by transfer to the store (the order waits for it), a delivery from another source; what no
location has is cancelled, its amount refunded (card) or no longer due (paid in the store), and
the customer told. Store staff pick only at the stores they work at (``Location.staff``).

Locks, in this order: the order row, the fulfilment line, then (inventory) the allocation and
the stock rows, all stock rows of a short pick at once in (variant, location) order."""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from inventory.exceptions import InsufficientStock
from inventory.lock_objects import allocations_lock_open, stock_levels_lock
from inventory.models import Location
from inventory.selectors import location_ids_of_staff, stock_available_with_locations
from inventory.services import StockLine, stock_allocate, stock_allocation_short, transfer_request
from omnishop.vocabulary import FulfilmentType, PaymentMethod

from .. import lifecycle
from ..events import (
    OrderEventType,
    item_picked_payload,
    item_rerouted_payload,
    item_short_payload,
    items_cancelled_message,
    items_cancelled_payload,
)
from ..exceptions import InvalidTransition, NotYourStore, PickQuantityExceeded, UnknownEan
from ..models import Fulfilment, FulfilmentLine, Order
from ..notices import items_cancelled_notify
from .transitions import order_event_build, order_event_record, order_transition

SHORT_REASONS = ("missing", "damaged")
PICKABLE = (Order.Status.CONFIRMED, Order.Status.PROCESSING)
CENT = Decimal("0.01")


def staff_works_at(*, user, location_id: int) -> bool:
    """``user`` picks at ``location_id``: they work there (superusers may act anywhere)."""
    if getattr(user, "is_superuser", False):
        return True
    return location_id in location_ids_of_staff(user=user)


def _line_locked(line: FulfilmentLine, actor) -> FulfilmentLine:
    """The order row, then the fulfilment line (with its fulfilment, order line, variant and
    allocation read, not locked), checked: a pending fulfilment of the actor's store, of an
    order being (or about to be) picked."""
    list(
        Order.objects.select_for_update(of=("self",))
        .filter(fulfilments__lines__pk=line.pk)
        .values_list("pk", flat=True)
    )
    locked = (
        FulfilmentLine.objects.select_for_update(of=("self",))
        .select_related(
            "fulfilment__order__channel",
            "fulfilment__location",
            "order_line__variant",
            "allocation",
        )
        .get(pk=line.pk)
    )
    fulfilment, order = locked.fulfilment, locked.fulfilment.order
    if not staff_works_at(user=actor, location_id=fulfilment.location_id):
        raise NotYourStore(_("Order %(number)s is picked in another store than yours.") % {"number": order.number})
    if order.status not in PICKABLE or fulfilment.status != Fulfilment.Status.PENDING:
        raise InvalidTransition(
            _("Order %(number)s is %(status)s: there is nothing to pick in this store.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    return locked


def _picking_started(order: Order, actor) -> Order:
    """A confirmed order moves to processing when its first unit is picked (or short)."""
    if order.status == Order.Status.CONFIRMED:
        order = order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.STORE_STAFF, actor=actor)
    return order


def _check_quantity(line: FulfilmentLine, quantity: int) -> None:
    if not isinstance(quantity, int) or quantity < 1:
        raise PickQuantityExceeded(_("Pick at least one unit."), errors={"quantity": [_("Pick at least one unit.")]})
    if quantity > line.to_pick:
        message = _("%(sku)s: %(left)d of %(quantity)d units still to pick, not %(wanted)d.") % {
            "sku": line.order_line.sku,
            "left": line.to_pick,
            "quantity": line.quantity,
            "wanted": quantity,
        }
        raise PickQuantityExceeded(message, errors={"quantity": [message]})


def fulfilment_line_pick(*, line: FulfilmentLine, quantity: int = 1, actor) -> FulfilmentLine:
    """``quantity`` units of a fulfilment line are in the basket: its picked count rises (the
    CHECK keeps picked + short within the line), and a confirmed order starts processing.
    Raises ``PickQuantityExceeded`` (409), ``NotYourStore``, ``InvalidTransition``."""
    with transaction.atomic():
        locked = _line_locked(line, actor)
        _check_quantity(locked, quantity)
        order = _picking_started(locked.fulfilment.order, actor)
        FulfilmentLine.objects.filter(pk=locked.pk).update(picked_quantity=F("picked_quantity") + quantity)
        locked.picked_quantity += quantity
        order_event_record(
            events=[
                order_event_build(
                    order,
                    type=OrderEventType.ITEM_PICKED,
                    actor=actor,
                    payload=item_picked_payload(
                        line=locked.pk,
                        sku=locked.order_line.sku,
                        quantity=quantity,
                        picked=locked.picked_quantity,
                        store=locked.fulfilment.location.code,
                    ),
                )
            ]
        )
    return locked


def fulfilment_pick_scan(*, fulfilment: Fulfilment, ean: str, actor) -> FulfilmentLine:
    """A scanned EAN picks one unit of the fulfilment's line with that EAN (the first one still
    to pick when several have it). Raises ``UnknownEan`` (404) for an EAN on no line,
    ``PickQuantityExceeded`` (409) when its lines are picked in full."""
    code = "".join(str(ean or "").split())
    lines = (
        list(
            FulfilmentLine.objects.filter(fulfilment=fulfilment, order_line__variant__ean=code)
            .select_related("order_line")
            .order_by("id")
        )
        if code
        else []
    )
    if not lines:
        raise UnknownEan(
            _("No line of this order has the EAN %(ean)s.") % {"ean": code[:20]},
            errors={"ean": [_("Not in this order.")]},
        )
    line = next((ln for ln in lines if ln.to_pick > 0), lines[0])
    return fulfilment_line_pick(line=line, quantity=1, actor=actor)


@dataclass
class ShortOutcome:
    """What a short pick did: the line, the re-routed units (source code, quantity, transfer id
    or None) and the cancelled units with their amount and what happens to it."""

    line: FulfilmentLine
    rerouted: list[tuple[str, int, int | None]] = field(default_factory=list)
    cancelled: int = 0
    amount: Decimal = Decimal("0.00")
    refund: str = ""
    order_cancelled: bool = False


def _distance(lat1, lon1, lat2, lon2) -> float:
    if None in (lat1, lon1, lat2, lon2):
        return 0.0
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _sources(order: Order, store: Location, variant_id: int, quantity: int) -> list[tuple[Location, int]]:
    """Where the short units can come from (read without locks; the allocation re-checks): other
    active locations that ship (online or from a store), the nearest to the pickup store (click
    & collect) or the delivery point (else the picking store) first, warehouses first on ties;
    one that has them all before splitting. Reserve & try takes no transfer: none."""
    if order.fulfilment_type == FulfilmentType.ROPIS:
        return []
    rows, locations = stock_available_with_locations(variant_ids=[variant_id], online=True)
    available = {row.location_id: row.available for row in rows if row.available > 0 and row.location_id != store.pk}
    if order.fulfilment_type == FulfilmentType.DELIVERY:
        point = (order.routing or {}).get("destination") or [store.latitude, store.longitude]
    else:
        point = [order.pickup_location.latitude, order.pickup_location.longitude]
    candidates = sorted(
        (
            loc
            for pk, loc in locations.items()
            if pk in available and pk != order.pickup_location_id and (loc.ships_online or loc.ship_from_store)
        ),
        key=lambda loc: (
            available[loc.pk] < quantity,  # one location with them all first
            _distance(point[0], point[1], loc.latitude, loc.longitude),
            loc.kind != Location.Kind.WAREHOUSE,
            loc.code,
        ),
    )
    chosen, left = [], quantity
    for loc in candidates:
        take = min(available[loc.pk], left)
        chosen.append((loc, take))
        left -= take
        if not left:
            break
    return chosen


def _reroute(order: Order, line: FulfilmentLine, store: Location, sources, actor) -> list[tuple[str, int, int | None]]:
    """Allocate the short units at ``sources`` and give each its fulfilment (by transfer to the
    pickup store for click & collect). A source whose units someone took meanwhile is skipped:
    its units are cancelled instead."""
    variant_id, rerouted = line.order_line.variant_id, []
    for source, quantity in sources:
        try:
            (allocation,) = stock_allocate(
                lines=[StockLine(variant_id, source.pk, quantity)], reference=f"order:{order.number}", online=True
            )
        except InsufficientStock:
            continue
        transfer = None
        if order.fulfilment_type == FulfilmentType.CLICK_AND_COLLECT:
            transfer = transfer_request(
                source=source,
                destination=order.pickup_location,
                lines={variant_id: quantity},
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                reference=f"order:{order.number}",
            )
        fulfilment = Fulfilment.objects.create(
            order=order,
            location=source,
            status=Fulfilment.Status.AWAITING_TRANSFER if transfer else Fulfilment.Status.PENDING,
            transfer=transfer,
        )
        FulfilmentLine.objects.create(
            fulfilment=fulfilment, order_line=line.order_line, allocation=allocation, quantity=quantity
        )
        rerouted.append((source.code, quantity, transfer.pk if transfer else None))
    return rerouted


def _refund_kind(order: Order) -> str:
    if order.payment_method == PaymentMethod.MARKETPLACE:
        return "marketplace"
    if order.payment_status == Order.PaymentStatus.PAID and order.payment_method != PaymentMethod.PAY_IN_STORE:
        return "refunded"
    return "not_charged"


def _units_left(order: Order) -> int:
    """Units of the order still to be delivered or collected, short ones left out."""
    lines = FulfilmentLine.objects.filter(fulfilment__order=order).exclude(
        fulfilment__status=Fulfilment.Status.CANCELLED
    )
    return sum(q - s for q, s in lines.values_list("quantity", "short_quantity"))


def fulfilment_line_short(*, line: FulfilmentLine, quantity: int, reason: str, actor) -> ShortOutcome:
    """``quantity`` units of a line are not there (``reason``: missing or damaged). In one
    transaction: the line's short count rises, this store's allocation and on hand fall by as
    many (a ledger ADJUSTMENT naming the reason), and the units are re-routed (``_sources``);
    what no location has is cancelled: its amount refunded to the payment
    (``order_payment_refund_partial``), or no longer due for a pay-in-store order, and the
    customer told. An order left with no unit is cancelled. Every step is on the timeline.
    Raises ``PickQuantityExceeded``, ``NotYourStore``, ``InvalidTransition``."""
    if reason not in SHORT_REASONS:
        raise InvalidTransition(
            _("Say why the units are short: missing or damaged."),
            errors={"reason": [_("Choose missing or damaged.")]},
        )
    with transaction.atomic():
        locked = _line_locked(line, actor)
        _check_quantity(locked, quantity)
        order = _picking_started(locked.fulfilment.order, actor)
        order = Order.objects.select_related("channel", "pickup_location").get(pk=order.pk)  # locked above
        store, variant_id = locked.fulfilment.location, locked.order_line.variant_id
        sources = _sources(order, store, variant_id, quantity)
        # The allocation, then every stock row this short pick touches at once in (variant,
        # location) order: the order inventory's own allocation steps lock them in.
        allocations_lock_open(ids=[locked.allocation_id])
        stock_levels_lock(pairs=[(variant_id, store.pk), *((variant_id, loc.pk) for loc, _q in sources)])
        reasons = {"missing": _("missing"), "damaged": _("damaged")}
        stock_allocation_short(
            allocation=locked.allocation,
            quantity=quantity,
            note=_("Short pick, order %(number)s: %(reason)s") % {"number": order.number, "reason": reasons[reason]},
            actor=actor,
            reference=f"order:{order.number}",
        )
        FulfilmentLine.objects.filter(pk=locked.pk).update(short_quantity=F("short_quantity") + quantity)
        locked.short_quantity += quantity
        sku = locked.order_line.sku
        events = [
            order_event_build(
                order,
                type=OrderEventType.ITEM_SHORT,
                actor=actor,
                payload=item_short_payload(line=locked.pk, sku=sku, quantity=quantity, reason=reason, store=store.code),
            )
        ]
        outcome = ShortOutcome(line=locked)
        outcome.rerouted = _reroute(order, locked, store, sources, actor)
        for source_code, units, transfer in outcome.rerouted:
            events.append(
                order_event_build(
                    order,
                    type=OrderEventType.ITEM_REROUTED,
                    actor=actor,
                    payload=item_rerouted_payload(
                        line=locked.pk, sku=sku, quantity=units, source=source_code, store=store.code, transfer=transfer
                    ),
                )
            )
        outcome.cancelled = quantity - sum(units for _c, units, _t in outcome.rerouted)
        messages = []
        if outcome.cancelled:
            outcome.amount, outcome.refund = _units_cancel(order, locked, outcome.cancelled)
            item = {
                "line": locked.pk,
                "sku": sku,
                "name": locked.order_line.name,
                "quantity": outcome.cancelled,
                "line_total": str(outcome.amount),
            }
            events.append(
                order_event_build(
                    order,
                    type=OrderEventType.ITEMS_CANCELLED,
                    actor=actor,
                    payload=items_cancelled_payload(
                        items=[item], amount=outcome.amount, currency=order.currency, refund=outcome.refund
                    ),
                )
            )
            messages.append(
                items_cancelled_message(
                    order=order, store=store.code, items=[item], amount=outcome.amount, refund=outcome.refund
                )
            )
        order_event_record(events=events, messages=messages)
        if (
            locked.to_pick == 0
            and not FulfilmentLine.objects.filter(
                fulfilment=locked.fulfilment, short_quantity__lt=F("quantity")
            ).exists()
        ):
            # Nothing of this fulfilment is left in the store.
            Fulfilment.objects.filter(pk=locked.fulfilment_id).update(status=Fulfilment.Status.CANCELLED)
        if not _units_left(order):
            order_transition(
                order=order,
                to=Order.Status.CANCELLED,
                role=lifecycle.STORE_STAFF,
                actor=actor,
                note=_("No location has the items of the order."),
                notify=False,  # the items-cancelled notice says it
            )
            outcome.order_cancelled = True
        elif outcome.cancelled:
            _cancelled_money(order, outcome, actor)
        if outcome.cancelled:
            items_cancelled_notify(
                order,
                items=[
                    {
                        "name": locked.order_line.name,
                        "sku": sku,
                        "quantity": outcome.cancelled,
                        "line_total": str(outcome.amount),
                    }
                ],
                amount=outcome.amount,
                refund=outcome.refund,
            )
        if any(transfer for _c, _u, transfer in outcome.rerouted) and order.status == Order.Status.PROCESSING:
            order_transition(
                order=order,
                to=Order.Status.AWAITING_TRANSFER,
                role=lifecycle.SYSTEM,
                actor=actor,
                note=_("Short pick: the missing units come by transfer."),
            )
    return outcome


def _units_cancel(order: Order, line: FulfilmentLine, units: int) -> tuple[Decimal, str]:
    """Mark ``units`` of the (locked) line cancelled; their share of the order line's total."""
    FulfilmentLine.objects.filter(pk=line.pk).update(cancelled_quantity=F("cancelled_quantity") + units)
    line.cancelled_quantity += units
    order_line = line.order_line
    net = order_line.line_total - order_line.discount  # what the customer pays for the line
    amount = (net * units / order_line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    return amount, _refund_kind(order)


def _cancelled_money(order: Order, outcome: ShortOutcome, actor) -> None:
    """The money of cancelled units while the order goes on: a paid order gets them back on
    its payment; otherwise the amount due falls (paid in the store, or not paid yet)."""
    if outcome.refund == "refunded":
        _refund_partial(order=order, amount=outcome.amount, line=outcome.line, units=outcome.cancelled, actor=actor)
    elif outcome.refund == "not_charged":
        Order.objects.filter(pk=order.pk).update(
            subtotal=F("subtotal") - outcome.amount, total=F("total") - outcome.amount
        )


def _refund_partial(*, order: Order, amount: Decimal, line: FulfilmentLine, units: int, actor) -> None:
    """Give back the amount of ``units`` cancelled units of ``line`` on the order's card payment
    (one refund per short pick: the reference names the line and its cancelled count)."""
    from .payments import order_payment_refund_partial

    order_payment_refund_partial(
        order=order,
        amount=amount,
        reason=_("Short pick: items no location has."),
        reference=f"{order.number}-short-{line.pk}-{line.cancelled_quantity}",
        lines={line.order_line_id: units},
        actor=actor,
    )
