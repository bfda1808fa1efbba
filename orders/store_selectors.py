"""Reads of the store console: one store's orders, and its queue (what the store must do now),
in a fixed number of queries however many orders wait."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import Transfer
from omnishop.phone import phone_e164
from omnishop.vocabulary import FulfilmentType

from .models import Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine
from .selectors import _with_details

S = Order.Status
SHIP_FROM_STORE = "ship_from_store"  # a delivery's parcel that this store packs and ships


def store_order_scope(store) -> Q:
    """The orders ``store`` works on: collected there, or with a fulfilment there (a parcel it
    ships, goods it sends to another store). A subquery, so an order is listed once."""
    own_fulfilments = Fulfilment.objects.filter(location=store).values("order_id")
    return Q(pickup_location=store) | Q(pk__in=own_fulfilments)


def orders_of_store(*, store, detail: bool = False) -> QuerySet[Order]:
    return _with_details(Order.objects.filter(store_order_scope(store)), detail=detail)


def order_for_store(*, store, number: str, detail: bool = True) -> Order | None:
    """The order ``number`` if ``store`` works on it, else None. With ``detail`` it carries what
    its console page renders: ``line_list``, ``fulfilment_list`` (each with its location, transfer
    and ``line_list``) and ``timeline`` (with each event's actor), in a fixed number of queries."""
    qs = Order.objects.filter(store_order_scope(store)).select_related("channel", "pickup_location", "customer")
    qs = qs.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id"), to_attr="line_list"))
    if detail:
        fulfilment_lines = FulfilmentLine.objects.select_related("order_line").order_by("order_line_id", "id")
        qs = qs.prefetch_related(
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related("location", "transfer__source", "transfer__destination")
                .prefetch_related(Prefetch("lines", queryset=fulfilment_lines, to_attr="line_list"))
                .order_by("id"),
                to_attr="fulfilment_list",
            ),
            Prefetch(
                "events",
                queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id"),
                to_attr="timeline",
            ),
        )
    return qs.filter(number=str(number)[:32]).first()


# --- the queue -------------------------------------------------------------------------------
# When the store promised each step, counted from the order's placement: a pickup order is ready
# within hours, a transfer takes a couple of days, a ship-from-store parcel leaves the next day.
PICK_PROMISE = {
    FulfilmentType.CLICK_AND_COLLECT: timedelta(hours=2),
    FulfilmentType.ROPIS: timedelta(hours=2),
    SHIP_FROM_STORE: timedelta(hours=24),
}
TRANSFER_PROMISE = timedelta(days=2)
DUE_SOON = timedelta(hours=24)  # a pickup-by date this close is flagged


class QueueGroup(StrEnum):
    TO_PICK = "to_pick"
    WAITING_TRANSFER = "waiting_transfer"
    ARRIVING = "arriving"
    READY = "ready"
    TO_SHIP = "to_ship"


GROUP_LABELS = {
    QueueGroup.TO_PICK: _("To pick"),
    QueueGroup.WAITING_TRANSFER: _("Waiting for a transfer"),
    QueueGroup.ARRIVING: _("Arriving transfers to book in"),
    QueueGroup.READY: _("Ready for pickup"),
    QueueGroup.TO_SHIP: _("To pack and ship"),
}
KIND_LABELS = {
    FulfilmentType.CLICK_AND_COLLECT: _("Click & collect"),
    FulfilmentType.ROPIS: _("Reserve & try"),
    SHIP_FROM_STORE: _("Ship from store"),
}


@dataclass(slots=True)
class QueueOrder:
    """What the queue shows of an order (the fields of ``FIELDS``, in that order)."""

    FIELDS = (
        "id", "number", "status", "fulfilment_type", "pickup_location_id", "pickup_expires_at", "payment_status",
        "currency", "total", "email", "phone", "contact_name", "created_at", "customer__first_name",
        "customer__last_name", "units",
    )  # fmt: skip

    pk: int
    number: str
    status: str
    fulfilment_type: str
    pickup_location_id: int | None
    pickup_expires_at: datetime | None
    payment_status: str
    currency: str
    total: Decimal
    email: str
    phone: str
    contact_name: str
    created_at: datetime
    customer_first_name: str | None
    customer_last_name: str | None
    units: int | None
    fulfilment_list: list = field(default_factory=list)


@dataclass(slots=True)
class QueueFulfilment:
    """What the queue reads of a fulfilment: where it is, its status, and its transfer's."""

    FIELDS = ("id", "order_id", "location_id", "status", "transfer_id", "transfer__destination_id", "transfer__status")

    pk: int
    order_id: int
    location_id: int
    status: str
    transfer_id: int | None
    destination_id: int | None
    transfer_status: str | None


@dataclass
class QueueItem:
    """One thing to do: an order (and, for a transfer or a parcel, which fulfilment)."""

    group: str
    order: QueueOrder
    kind: str  # click_and_collect, ropis or ship_from_store
    promised_at: datetime
    fulfilment: QueueFulfilment | None = None
    started: bool = False  # picking already started (the order is processing)
    overdue: bool = False
    due_soon: bool = False

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def customer_name(self) -> str:
        order = self.order
        if order.customer_first_name or order.customer_last_name:
            return f"{order.customer_first_name or ''} {order.customer_last_name or ''}".strip()
        return order.contact_name or order.email or order.phone

    @property
    def units(self) -> int:
        return self.order.units or 0

    @property
    def amount_to_collect(self) -> Decimal:
        return order_amount_to_collect(self.order)


@dataclass
class Group:
    key: str
    label: str
    items: list[QueueItem] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)  # to pick: how many of each kind
    overdue: int = 0

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def kind_counts(self) -> list[tuple[str, int]]:
        """(label, count) of each kind present, for the "to pick" header."""
        return [(str(KIND_LABELS[kind]), n) for kind, n in self.kinds.items() if n]


@dataclass
class StoreQueue:
    store: object
    groups: list[Group]
    search: str
    now: datetime

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)

    def group(self, key: str) -> Group:
        return next(g for g in self.groups if g.key == key)


def order_amount_to_collect(order) -> Decimal:
    """What the till takes at the hand-over: the total of a pay-in-store order, nothing for a paid one."""
    return order.total if order.payment_status == Order.PaymentStatus.PAY_IN_STORE else Decimal("0")


def _search_condition(text: str) -> Q:
    """Order number, customer or contact name, e-mail, or phone typed in any format."""
    text = " ".join(str(text).split())[:100]
    condition = Q(number__icontains=text) | Q(email__icontains=text) | Q(customer__email__icontains=text)
    for word in text.split(" "):
        condition |= Q(contact_name__icontains=word) | Q(customer__last_name__icontains=word)
    if " " in text:
        condition |= Q(contact_name__icontains=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 6 and not re.search(r"[^\d\s+()./-]", text):
        try:
            e164 = phone_e164(text)
        except ValidationError:
            e164 = ""
        national = digits[-9:]  # a Polish number without its country code, however it was typed
        condition |= Q(phone__endswith=national) | Q(customer__phone__endswith=national)
        if e164:
            condition |= Q(phone=e164) | Q(customer__phone=e164)
    return condition


def store_queue(*, store, search: str = "", now: datetime | None = None) -> StoreQueue:
    """What ``store`` must do now, grouped, each group sorted by the time promised (the pickup-by
    date for orders waiting for their customer, so the overdue come first): pickup orders to
    pick (and parcels of ship-from-store deliveries), orders waiting for a transfer, transfers
    on their way here to book in, orders ready for pickup, parcels to pack and ship. Two
    queries however many orders wait (orders with their customer and units; their fulfilments
    with their transfers' destination and status)."""
    now = now or timezone.now()
    open_pickup = [S.CONFIRMED, S.AWAITING_TRANSFER, S.PROCESSING, S.READY_FOR_PICKUP]
    parcels_here = Fulfilment.objects.filter(
        location=store, status=Fulfilment.Status.PENDING, order__fulfilment_type=FulfilmentType.DELIVERY
    ).values("order_id")
    arriving = Fulfilment.objects.filter(
        transfer__destination=store, transfer__status=Transfer.Status.IN_TRANSIT
    ).values("order_id")
    condition = (
        Q(pickup_location=store, status__in=open_pickup)
        | Q(pk__in=parcels_here, status__in=[S.CONFIRMED, S.PROCESSING])
        | Q(pk__in=arriving)
    )
    units = OrderLine.objects.filter(order=OuterRef("pk")).values("order").annotate(n=Sum("quantity")).values("n")
    qs = Order.objects.filter(condition)
    if search.strip():
        qs = qs.filter(_search_condition(search))
    # Plain rows, not model instances: a busy store's queue has hundreds of orders.
    orders = [QueueOrder(*row) for row in qs.annotate(units=Subquery(units)).values_list(*QueueOrder.FIELDS)]
    # The fulfilments as plain rows: a busy store has hundreds, and only these fields decide the group.
    by_order: dict[int, list[QueueFulfilment]] = {order.pk: [] for order in orders}
    rows = Fulfilment.objects.filter(order__in=qs.values("pk")).order_by("id").values_list(*QueueFulfilment.FIELDS)
    for row in rows:
        by_order[row[1]].append(QueueFulfilment(*row))
    for order in orders:
        order.fulfilment_list = by_order[order.pk]
    groups = {key: Group(key=key, label=str(GROUP_LABELS[key])) for key in QueueGroup}
    for order in orders:
        for item in _queue_items(order, store=store, now=now):
            groups[item.group].items.append(item)
    for group in groups.values():
        group.items.sort(key=lambda item: (item.promised_at, item.order.number))
        group.overdue = sum(1 for item in group.items if item.overdue)
    to_pick = groups[QueueGroup.TO_PICK]
    to_pick.kinds = {kind: sum(1 for item in to_pick.items if item.kind == kind) for kind in PICK_PROMISE}
    return StoreQueue(store=store, groups=list(groups.values()), search=search, now=now)


def _queue_items(order: QueueOrder, *, store, now: datetime) -> list[QueueItem]:
    items: list[QueueItem] = []
    fulfilments = order.fulfilment_list
    in_transit_here = [
        f
        for f in fulfilments
        if f.destination_id == store.pk
        and f.transfer_status == Transfer.Status.IN_TRANSIT
        and f.status != Fulfilment.Status.DONE
    ]
    for fulfilment in in_transit_here:
        items.append(
            QueueItem(
                QueueGroup.ARRIVING,
                order,
                order.fulfilment_type if order.pickup_location_id else SHIP_FROM_STORE,
                order.created_at + TRANSFER_PROMISE,
                fulfilment=fulfilment,
            )
        )
    if order.fulfilment_type == FulfilmentType.DELIVERY:
        parcels = [f for f in fulfilments if f.location_id == store.pk and f.status == Fulfilment.Status.PENDING]
        if order.status == S.CONFIRMED and parcels:
            items.append(
                _item(QueueGroup.TO_PICK, order, SHIP_FROM_STORE, order.created_at + PICK_PROMISE[SHIP_FROM_STORE], now)
            )
        elif order.status == S.PROCESSING:
            for parcel in parcels:
                promised = order.created_at + PICK_PROMISE[SHIP_FROM_STORE]
                items.append(_item(QueueGroup.TO_SHIP, order, SHIP_FROM_STORE, promised, now, fulfilment=parcel))
        return items
    if order.pickup_location_id != store.pk:
        return items
    kind = order.fulfilment_type
    if order.status in (S.CONFIRMED, S.PROCESSING):
        item = _item(QueueGroup.TO_PICK, order, kind, order.created_at + PICK_PROMISE[kind], now)
        item.started = order.status == S.PROCESSING
        items.append(item)
    elif order.status == S.AWAITING_TRANSFER and not in_transit_here:
        items.append(_item(QueueGroup.WAITING_TRANSFER, order, kind, order.created_at + TRANSFER_PROMISE, now))
    elif order.status == S.READY_FOR_PICKUP:
        deadline = order.pickup_expires_at or now
        item = _item(QueueGroup.READY, order, kind, deadline, now)
        item.due_soon = not item.overdue and deadline - now <= DUE_SOON
        items.append(item)
    return items


def _item(group, order, kind, promised_at, now, *, fulfilment=None) -> QueueItem:
    return QueueItem(group, order, kind, promised_at, fulfilment=fulfilment, overdue=promised_at < now)
