"""Order reads, with the prefetches their pages need (query counts do not grow with rows)."""

from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

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
