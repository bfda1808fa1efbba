"""Order reads, with the prefetches their pages need (query counts do not grow with rows)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum, Window
from django.utils import timezone

from omnishop.notifications.models import Notification
from omnishop.vocabulary import PICKUP_FULFILMENTS, FulfilmentType

from .models import Cart, CartLine, Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine


def _with_details(qs: QuerySet[Order], *, detail: bool = False) -> QuerySet[Order]:
    """Orders with ``line_list`` (and for ``detail`` also ``fulfilment_list``, each fulfilment
    with its location, transfer and ``line_list``, and ``timeline``) as plain lists: the shape
    the API serializers render, in a fixed number of queries however many rows there are."""
    qs = qs.select_related("channel", "pickup_location").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"), to_attr="line_list")
    )
    if detail:
        fulfilment_lines = FulfilmentLine.objects.select_related("order_line").order_by("order_line_id", "id")
        qs = qs.prefetch_related(
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related("location", "transfer__destination")
                .prefetch_related(Prefetch("lines", queryset=fulfilment_lines, to_attr="line_list"))
                .order_by("id"),
                to_attr="fulfilment_list",
            ),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id"), to_attr="timeline"),
        )
    return qs


def order_details_attach(
    order: Order,
    *,
    lines: list[OrderLine],
    fulfilments: list[Fulfilment],
    fulfilment_lines: list[FulfilmentLine],
    events: list[OrderEvent],
) -> Order:
    """Give an order the service has just written the same lists ``_with_details`` prefetches,
    so it renders without being read back (fulfilments must carry their location and transfer,
    fulfilment lines their order line)."""
    order.line_list = sorted(lines, key=lambda ln: ln.pk)
    order.fulfilment_list = sorted(fulfilments, key=lambda f: f.pk)
    for fulfilment in order.fulfilment_list:
        fulfilment.line_list = sorted(
            (fl for fl in fulfilment_lines if fl.fulfilment is fulfilment), key=lambda fl: (fl.order_line_id, fl.pk)
        )
    order.timeline = sorted(events, key=lambda e: (e.created_at, e.pk))
    return order


def order_list_for_customer(*, customer, detail: bool = False) -> QuerySet[Order]:
    """The customer's own orders and those of the B2B companies they belong to."""
    return _with_details(
        Order.objects.filter(Q(customer=customer) | Q(company__members=customer)).distinct(), detail=detail
    )


def order_list_for_channel(*, channel, detail: bool = False) -> QuerySet[Order]:
    return _with_details(Order.objects.filter(channel=channel), detail=detail)


def order_list_all(*, detail: bool = False) -> QuerySet[Order]:
    return _with_details(Order.objects.all(), detail=detail)


def sees_only_own_stores(user) -> bool:
    """Store staff: they see (and handle) only the pickup orders of the stores they work at,
    unlike staff who may change any order (agents) and superusers."""
    return user.has_perm("orders.handle_pickup") and not user.is_superuser and not user.has_perm("orders.change_order")


def store_order_condition(user, *, prefix: str = "") -> Q:
    """The orders (``prefix`` leads from the queried model to its order) a store of ``user``
    works on (``Location.staff``): collected there, or with a fulfilment there (a parcel
    shipped from the store, or goods it sends to another store). A subquery, not a join, so
    an order with several fulfilments at the store is listed once."""
    own_fulfilments = Fulfilment.objects.filter(location__staff=user).values("order_id")
    return Q(**{f"{prefix}pickup_location__staff": user}) | Q(**{f"{prefix}pk__in": own_fulfilments})


def order_list_for_stores_of(*, user, detail: bool = False) -> QuerySet[Order]:
    """The orders the stores ``user`` works at hand over or fulfil."""
    return _with_details(Order.objects.filter(store_order_condition(user)), detail=detail)


def cart_lines(*, cart: Cart) -> QuerySet[CartLine]:
    return cart.lines.select_related("variant__product").order_by("added_at", "id")


def cart_active_for_customer(*, customer) -> Cart | None:
    """The customer's active cart, or None."""
    return Cart.objects.filter(customer=customer, status=Cart.Status.ACTIVE).first()


def cart_active_anonymous(*, token) -> Cart | None:
    """The active anonymous cart with this token, or None."""
    return Cart.objects.filter(token=token, customer__isnull=True, status=Cart.Status.ACTIVE).first()


def cart_quantities(*, cart: Cart) -> dict[int, int]:
    """``{variant id: quantity}`` of the cart's lines."""
    return dict(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity"))


@dataclass
class PickItem:
    """One fulfilment line to pick: which order, how many, how many done."""

    line_id: int
    fulfilment_id: int
    order_id: int
    order_number: str
    quantity: int
    picked: int
    short: int

    @property
    def to_pick(self) -> int:
        return self.quantity - self.picked - self.short


@dataclass
class PickGroup:
    """The units of one SKU to pick at a location, across the orders of the list. There is no
    shelf location in the catalogue: lines are grouped by SKU and product name."""

    sku: str
    name: str
    ean: str
    variant_id: int
    items: list[PickItem] = field(default_factory=list)

    @property
    def quantity(self) -> int:
        return sum(i.quantity for i in self.items)

    @property
    def picked(self) -> int:
        return sum(i.picked for i in self.items)

    @property
    def short(self) -> int:
        return sum(i.short for i in self.items)

    @property
    def to_pick(self) -> int:
        return sum(i.to_pick for i in self.items)


def pick_list(*, location, orders=None) -> list[PickGroup]:
    """What ``location`` has to pick: the lines of its pending fulfilments of orders confirmed or
    in processing (only ``orders`` when given: ids or orders), grouped by SKU, in one query."""
    lines = (
        FulfilmentLine.objects.filter(
            fulfilment__location=location,
            fulfilment__status=Fulfilment.Status.PENDING,
            fulfilment__order__status__in=[Order.Status.CONFIRMED, Order.Status.PROCESSING],
        )
        .select_related("order_line__variant", "fulfilment__order")
        .order_by("order_line__sku", "fulfilment__order__created_at", "id")
    )
    if orders is not None:
        lines = lines.filter(fulfilment__order__in=[getattr(o, "pk", o) for o in orders])
    groups: dict[tuple[str, str], PickGroup] = {}
    for fl in lines:
        ol = fl.order_line
        group = groups.get((ol.sku, ol.name))
        if group is None:
            group = groups[(ol.sku, ol.name)] = PickGroup(
                sku=ol.sku, name=ol.name, ean=ol.variant.ean or "", variant_id=ol.variant_id
            )
        order = fl.fulfilment.order
        group.items.append(
            PickItem(
                line_id=fl.pk,
                fulfilment_id=fl.fulfilment_id,
                order_id=order.pk,
                order_number=order.number,
                quantity=fl.quantity,
                picked=fl.picked_quantity,
                short=fl.short_quantity,
            )
        )
    return list(groups.values())


# --- the customer's 360° card (orders' sections) ---------------------------------------------


def order_kpis_for_customer(*, customer) -> dict:
    """Lifetime value, order count and average order value per currency (orders not cancelled),
    the last purchase and the channels used with their order counts: two aggregate queries."""
    kept = ~Q(status=Order.Status.CANCELLED)
    per_currency = list(
        Order.objects.filter(customer=customer)
        .values("currency")
        .annotate(orders=Count("pk", filter=kept), value=Sum("total", filter=kept), last=Max("created_at", filter=kept))
        .order_by("-orders", "currency")
    )
    channels = list(
        Order.objects.filter(customer=customer)
        .values("channel__name", "channel__kind")
        .annotate(orders=Count("pk"))
        .order_by("-orders", "channel__name")
    )
    money = [
        {
            "currency": row["currency"],
            "orders": row["orders"],
            "value": row["value"] or Decimal("0"),
            "average": (row["value"] / row["orders"]) if row["orders"] else None,
        }
        for row in per_currency
    ]
    lasts = [row["last"] for row in per_currency if row["last"]]
    return {
        "money": money,
        "order_count": sum(row["orders"] for row in per_currency),
        "cancelled_count": sum(c["orders"] for c in channels) - sum(row["orders"] for row in per_currency),
        "last_purchase": max(lasts) if lasts else None,
        "channels": [{"name": c["channel__name"], "orders": c["orders"]} for c in channels],
    }


def order_list_for_card(*, customer) -> QuerySet[Order]:
    """The customer's orders from every channel, newest first, with their channel, pickup store
    and fulfilments' source locations (``fulfilment_list``): three queries a page."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("channel", "pickup_location")
        .prefetch_related(
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related("location").order_by("id"),
                to_attr="fulfilment_list",
            )
        )
        .order_by("-created_at", "-id")
    )


def order_get_for_card(*, customer, number: str) -> Order | None:
    """The customer's order ``number`` (None when it is not theirs)."""
    return Order.objects.filter(customer=customer, number=number).select_related("channel", "pickup_location").first()


def order_timeline(*, order: Order) -> list[OrderEvent]:
    """The order's events, oldest first, with who and through which channel."""
    return list(OrderEvent.objects.filter(order=order).select_related("actor", "channel").order_by("created_at", "id"))


def notification_list_for_customer(*, customer, limit: int = 10) -> tuple[list, int]:
    """The customer's newest notifications (without their contents) and how many there are: one query."""
    rows = list(
        Notification.objects.filter(customer=customer)
        .defer("context")
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:limit]
    )
    return rows, (rows[0].total if rows else 0)


def order_list_pickup_for_stores_of(*, user) -> QuerySet[Order]:
    """The pickup orders collected in the stores ``user`` works at (every store's for a superuser),
    with what the counter shows (customer, store, channel)."""
    orders = Order.objects.exclude(pickup_location__isnull=True).select_related(
        "customer", "pickup_location", "channel"
    )
    return orders if user.is_superuser else orders.filter(pickup_location__staff=user)


# A store's day, for its pick capacity: the stores are in Poland whatever the server's zone.
STORE_DAY_ZONE = ZoneInfo("Europe/Warsaw")


def store_day_start(now: datetime | None = None) -> datetime:
    """When today began in the stores (midnight, Europe/Warsaw)."""
    day = (now or timezone.now()).astimezone(STORE_DAY_ZONE).date()
    return datetime.combine(day, time.min, tzinfo=STORE_DAY_ZONE)


def store_loads_today(*, location_ids: Iterable[int], now: datetime | None = None) -> dict[int, int]:
    """Orders each store picks today (placed since midnight in Europe/Warsaw, not cancelled): its
    click & collect and reserve & try orders, and the deliveries with a parcel from it
    (ship-from-store), each order once. Till sales are not picked. Two queries; absent: none."""
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    since = store_day_start(now)
    pickups = (
        Order.objects.filter(
            created_at__gte=since, pickup_location_id__in=ids, fulfilment_type__in=sorted(PICKUP_FULFILMENTS)
        )
        .exclude(status=Order.Status.CANCELLED)
        .order_by()
        .values_list("pickup_location_id")
        .annotate(n=Count("pk"))
    )
    parcels = (
        Fulfilment.objects.filter(
            order__created_at__gte=since, location_id__in=ids, order__fulfilment_type=FulfilmentType.DELIVERY
        )
        .exclude(order__status=Order.Status.CANCELLED)
        .order_by()
        .values_list("location_id")
        .annotate(n=Count("order_id", distinct=True))
    )
    loads: dict[int, int] = {}
    for location_id, n in [*pickups, *parcels]:
        loads[location_id] = loads.get(location_id, 0) + n
    return loads


def store_load_today(*, location) -> int:
    """Orders ``location`` picks today (see ``store_loads_today``)."""
    return store_loads_today(location_ids=[location.pk]).get(location.pk, 0)


def stores_full_today(*, locations: Iterable) -> set[int]:
    """The ids of ``locations`` (rows with ``daily_pick_capacity``) whose orders today reached it."""
    limited = {loc.pk: loc.daily_pick_capacity for loc in locations if loc.daily_pick_capacity is not None}
    loads = store_loads_today(location_ids=limited)
    return {pk for pk, capacity in limited.items() if loads.get(pk, 0) >= capacity}
