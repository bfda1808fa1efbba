"""Inventory reads: availability per variant, location and channel; locations near a point."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ASin, Coalesce, Cos, Greatest, Radians, Sin, Sqrt
from django.utils import timezone

from catalog.selectors import IN_CHUNK

from ..models import Allocation, Location, StockHold, StockLevel, StockMovement

EARTH_RADIUS_KM = 6371.0088


def _held_subquery(
    at: datetime, exclude_references: Collection[str] = (), *, variant="variant_id", location="location_id"
):
    """Units in active holds for the outer row's ``variant`` and ``location`` (0 when none), the
    holds of ``exclude_references`` not counted (blank references are ignored)."""
    holds = StockHold.objects.filter(variant_id=OuterRef(variant), location_id=OuterRef(location), expires_at__gt=at)
    if excluded := [reference for reference in exclude_references if reference]:
        holds = holds.exclude(reference__in=excluded)
    holds = holds.order_by().values("variant_id", "location_id").annotate(total=Sum("quantity")).values("total")
    return Coalesce(Subquery(holds, output_field=IntegerField()), Value(0))


def stock_levels_with_availability(
    *, online: bool, at: datetime | None = None, exclude_hold_references: Collection[str] = ()
) -> QuerySet[StockLevel]:
    """StockLevel rows annotated with ``held`` (active holds) and ``available``:

        on_hand - allocated - held - safety_stock - (ring-fence, for online channels at stores)

    never below 0. Expired holds are ignored even before the purge job deletes them, and so are
    the holds of ``exclude_hold_references`` (a customer's own cart while they check out, and an
    anonymous cart being merged into it).
    """
    at = at or timezone.now()
    ring_fence = (
        Case(When(location__kind=Location.Kind.STORE, then=F("location__ring_fence")), default=Value(0))
        if online
        else Value(0)
    )
    return StockLevel.objects.annotate(held=_held_subquery(at, exclude_hold_references)).annotate(
        available=Greatest(
            F("on_hand") - F("allocated") - F("held") - F("safety_stock") - ring_fence,
            Value(0),
            output_field=IntegerField(),
        )
    )


def units_available(
    *, on_hand: int, allocated: int, held: int, safety_stock: int, kind: str, ring_fence: int, online: bool
) -> int:
    """``stock_levels_with_availability``'s ``available``, for values already read."""
    fence = ring_fence if online and kind == Location.Kind.STORE else 0
    return max(on_hand - allocated - held - safety_stock - fence, 0)


@dataclass(frozen=True)
class Availability:
    variant_id: int
    location_id: int
    on_hand: int
    allocated: int
    held: int
    safety_stock: int
    available: int


def _available_rows(*, variant_ids, online, location_ids=None, at=None, exclude_hold_reference=""):
    """Stock rows with ``held``; ``available`` is worked out from the values (in SQL it would
    run the holds subquery a second time, for every row)."""
    qs = stock_levels_with_availability(online=online, at=at, exclude_hold_references=(exclude_hold_reference,)).filter(
        variant_id__in=list(variant_ids), location__is_active=True
    )
    if location_ids is not None:
        qs = qs.filter(location_id__in=list(location_ids))
    return qs.order_by("variant_id", "location_id")


_LEVEL_FIELDS = ("variant_id", "location_id", "on_hand", "allocated", "held", "safety_stock")


def _availability(row, *, kind: str, ring_fence: int, online: bool) -> Availability:
    variant_id, location_id, on_hand, allocated, held, safety_stock = row
    available = units_available(
        on_hand=on_hand,
        allocated=allocated,
        held=held,
        safety_stock=safety_stock,
        kind=kind,
        ring_fence=ring_fence,
        online=online,
    )
    return Availability(variant_id, location_id, on_hand, allocated, held, safety_stock, available)


def stock_available_list(
    *,
    variant_ids: Iterable[int],
    online: bool,
    location_ids: Iterable[int] | None = None,
    at=None,
    exclude_hold_reference: str = "",
) -> list[Availability]:
    """Availability of ``variant_ids`` at every active location (or the given ones), one query."""
    rows = _available_rows(
        variant_ids=variant_ids,
        online=online,
        location_ids=location_ids,
        at=at,
        exclude_hold_reference=exclude_hold_reference,
    ).values_list(*_LEVEL_FIELDS, "location__kind", "location__ring_fence")
    return [_availability(row[:6], kind=row[6], ring_fence=row[7], online=online) for row in rows]


# What routing reads of a location; the other fields of the Location objects below are deferred.
ROUTING_LOCATION_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "latitude",
    "longitude",
    "ships_online",
    "click_and_collect",
    "ship_from_store",
    "ring_fence",
    "is_active",
)


def stock_available_with_locations(
    *, variant_ids: Iterable[int], online: bool, at=None, exclude_hold_reference: str = ""
) -> tuple[list[Availability], dict[int, Location]]:
    """``stock_available_list`` at every active location, plus those locations by id, in one
    query (routing needs both for every order)."""
    rows = _available_rows(
        variant_ids=variant_ids, online=online, at=at, exclude_hold_reference=exclude_hold_reference
    ).values_list(*_LEVEL_FIELDS, *(f"location__{name}" for name in ROUTING_LOCATION_FIELDS))
    width = len(_LEVEL_FIELDS)
    availability, locations = [], {}
    for row in rows:
        location = locations.get(row[1])
        if location is None:
            location = locations[row[1]] = Location.from_db(Location.objects.db, ROUTING_LOCATION_FIELDS, row[width:])
        availability.append(
            _availability(row[:width], kind=location.kind, ring_fence=location.ring_fence, online=online)
        )
    return availability, locations


def distance_km_expression(*, latitude: float, longitude: float):
    """Great-circle (haversine) distance from a point to ``Location`` coordinates, in SQL."""
    lat1, lon1 = Radians(Value(float(latitude))), Radians(Value(float(longitude)))
    lat2, lon2 = Radians(F("latitude")), Radians(F("longitude"))
    half_dlat = (lat2 - lat1) / Value(2.0)
    half_dlon = (lon2 - lon1) / Value(2.0)
    a = Sin(half_dlat) * Sin(half_dlat) + Cos(lat1) * Cos(lat2) * Sin(half_dlon) * Sin(half_dlon)
    return ExpressionWrapper(
        Value(2.0 * EARTH_RADIUS_KM) * ASin(Sqrt(a)),
        output_field=FloatField(),
    )


def locations_that_can_serve(
    *,
    lines: dict[int, int],
    online: bool,
    latitude: float | None = None,
    longitude: float | None = None,
    kinds: Iterable[str] | None = None,
    click_and_collect: bool | None = None,
    ships_online: bool | None = None,
    at=None,
) -> QuerySet[Location]:
    """Active locations that have every line (``{variant_id: quantity}``) available in full,
    annotated with ``distance_km`` when a point is given and ordered nearest first."""
    if not lines:
        return Location.objects.none()
    enough = Q()
    for variant_id, quantity in lines.items():
        enough |= Q(variant_id=variant_id, available__gte=quantity)
    serving = (
        stock_levels_with_availability(online=online, at=at)
        .filter(enough)
        .order_by()
        .values("location_id")
        .annotate(lines_ok=Count("variant_id"))
        .filter(lines_ok=len(lines))
        .values("location_id")
    )
    qs = Location.objects.filter(is_active=True, pk__in=serving)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    if click_and_collect is not None:
        qs = qs.filter(click_and_collect=click_and_collect)
    if ships_online is not None:
        qs = qs.filter(ships_online=ships_online)
    if latitude is not None and longitude is not None:
        qs = qs.annotate(distance_km=distance_km_expression(latitude=latitude, longitude=longitude)).order_by(
            "distance_km", "code"
        )
    else:
        qs = qs.order_by("code")
    return qs


def locations_nearest(
    *, latitude: float, longitude: float, kinds: Iterable[str] | None = None, **flags
) -> QuerySet[Location]:
    qs = Location.objects.filter(is_active=True, **flags)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.annotate(distance_km=distance_km_expression(latitude=latitude, longitude=longitude)).order_by(
        "distance_km", "code"
    )


# --- lookups by code, availability for the API, pickup options, consistency -------------------


def location_ids_of_staff(*, user) -> set[int]:
    """The stores ``user`` works at (``Location.staff``)."""
    if not getattr(user, "pk", None):
        return set()
    return set(Location.objects.filter(staff=user).values_list("pk", flat=True))


def location_ids_by_code(*, codes: Iterable[str]) -> dict[str, int]:
    """``{code: location id}`` for the codes that exist (active or not)."""
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        found.update(Location.objects.filter(code__in=wanted[start : start + IN_CHUNK]).values_list("code", "pk"))
    return found


@dataclass(frozen=True)
class LocationStock:
    """One active location and what is available there, per variant (absent: nothing)."""

    location_id: int
    code: str
    name: str
    kind: str
    available: dict[int, int]


def stock_availability_by_location(
    *, variant_ids: Iterable[int], online: bool, at: datetime | None = None
) -> list[LocationStock]:
    """Every active location (by code) with the availability of ``variant_ids`` there, in ONE
    query whatever the number of variants or locations: locations LEFT JOIN their stock rows
    for those variants, so a location without a row still appears (with nothing available).

    ``available`` is ``units_available`` of each row's values, as everywhere else.
    """
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    rows = (
        Location.objects.filter(is_active=True)
        .annotate(level=FilteredRelation("stock_levels", condition=Q(stock_levels__variant_id__in=ids)))
        .annotate(held=_held_subquery(at or timezone.now(), variant="level__variant_id", location="pk"))
        .order_by("code", "pk", "level__variant_id")
        .values_list(
            "pk",
            "code",
            "name",
            "kind",
            "ring_fence",
            "level__variant_id",
            "level__on_hand",
            "level__allocated",
            "held",
            "level__safety_stock",
        )
    )
    result: list[LocationStock] = []
    for pk, code, name, kind, ring_fence, variant_id, on_hand, allocated, held, safety_stock in rows:
        if not result or result[-1].location_id != pk:
            result.append(LocationStock(location_id=pk, code=code, name=name, kind=kind, available={}))
        if variant_id is None:
            continue  # no stock row there for these variants
        available = units_available(
            on_hand=on_hand,
            allocated=allocated,
            held=held,
            safety_stock=safety_stock,
            kind=kind,
            ring_fence=ring_fence,
            online=online,
        )
        if available:
            result[-1].available[variant_id] = available
    return result


def locations_nearest_that_can_serve(
    *,
    lines: dict[int, int],
    online: bool,
    latitude: float,
    longitude: float,
    limit: int = 5,
    click_and_collect: bool = True,
    at=None,
) -> list[Location]:
    """The ``limit`` nearest active (click & collect) locations that have every line
    (``{variant_id: quantity}``) available in full, with ``distance_km``; nearest first.

    Same answer as ``locations_that_can_serve(...)[:limit]`` in two small queries (the rows
    that cover a line, then the nearest of the locations covering all): the single-query form
    compares the availability expression once per line, which costs more to build and compile
    than the database spends running it.
    """
    if not lines:
        return []
    rows = stock_levels_with_availability(online=online, at=at).filter(
        variant_id__in=list(lines), location__is_active=True
    )
    if click_and_collect is not None:
        rows = rows.filter(location__click_and_collect=click_and_collect)
    quantities = set(lines.values())
    if len(quantities) == 1:
        rows = rows.filter(available__gte=quantities.pop())
    else:
        wanted = Case(*[When(variant_id=v, then=Value(q)) for v, q in lines.items()], output_field=IntegerField())
        rows = rows.filter(available__gte=wanted)
    covered: dict[int, int] = {}
    for location_id in rows.order_by().values_list("location_id", flat=True):
        covered[location_id] = covered.get(location_id, 0) + 1
    serving = [location_id for location_id, n in covered.items() if n == len(lines)]
    if not serving:
        return []
    flags = {} if click_and_collect is None else {"click_and_collect": click_and_collect}
    return list(locations_nearest(latitude=latitude, longitude=longitude, **flags).filter(pk__in=serving)[:limit])


@dataclass(frozen=True)
class PickupOption:
    """A click & collect store near the customer and whether it can serve a cart.

    ``missing``: variants the store does not have in full now. ``transferable``: every missing
    line is available in full, summed over the other locations routing may transfer from
    (active, shipping online orders or shipping from store), as checkout's routing would do.
    """

    location: Location
    available: dict[int, int]
    missing: list[int]
    transferable: bool

    @property
    def can_serve_now(self) -> bool:
        return not self.missing

    @property
    def ready_in(self) -> str:
        if not self.missing:
            return "now"
        return "transfer" if self.transferable else "unavailable"


def pickup_options_list(
    *, lines: dict[int, int], online: bool, latitude: float, longitude: float, limit: int = 5, at=None
) -> list[PickupOption]:
    """The ``limit`` nearest click & collect stores, each with whether it can serve ``lines``
    (``{variant_id: quantity}``) now or after a transfer. Two queries whatever the size of the cart."""
    stores = list(locations_nearest(latitude=latitude, longitude=longitude, click_and_collect=True)[:limit])
    if not stores or not lines:
        return [PickupOption(location=s, available={}, missing=sorted(lines), transferable=False) for s in stores]
    store_ids = [s.pk for s in stores]
    rows = (
        stock_levels_with_availability(online=online, at=at)
        .filter(variant_id__in=list(lines), location__is_active=True, available__gt=0)
        .filter(Q(location_id__in=store_ids) | Q(location__ships_online=True) | Q(location__ship_from_store=True))
        .order_by()
        .values_list("variant_id", "location_id", "available", "location__ships_online", "location__ship_from_store")
    )
    at_location: dict[int, dict[int, int]] = {}
    source_total: dict[int, int] = {}  # variant -> units at every transfer source
    source_rows: list[tuple[int, int, int]] = []
    for variant_id, location_id, available, ships_online, ship_from_store in rows:
        at_location.setdefault(location_id, {})[variant_id] = available
        if ships_online or ship_from_store:
            source_total[variant_id] = source_total.get(variant_id, 0) + available
            source_rows.append((variant_id, location_id, available))
    options = []
    for store in stores:
        here = at_location.get(store.pk, {})
        missing = sorted(v for v, q in lines.items() if here.get(v, 0) < q)
        transferable = bool(missing)
        for variant_id in missing:
            # A store never transfers to itself: take its own units out of the sources' total.
            own = here.get(variant_id, 0) if (store.ships_online or store.ship_from_store) else 0
            if source_total.get(variant_id, 0) - own < lines[variant_id]:
                transferable = False
                break
        options.append(PickupOption(location=store, available=here, missing=missing, transferable=transferable))
    return options


@dataclass(frozen=True)
class StockDrift:
    """A stock row whose ``field`` ("on_hand" or "allocated") differs from what the ledger
    (on hand) or the open allocations (allocated) say it should be; ``actual`` is None when
    the row itself is missing."""

    variant_id: int
    location_id: int
    sku: str
    location: str
    field: str
    expected: int
    actual: int | None


def stock_drift_list() -> list[StockDrift]:
    """Every drift between stock rows, the ledger and open allocations, in three aggregate
    queries whatever the number of rows (only drifting rows come back):

    - rows whose on_hand differs from the sum of their movements, or whose allocated differs
      from the sum of their open allocations;
    - ledger or open allocations for a (variant, location) that has no stock row at all.
    """
    ledger = (
        StockMovement.objects.filter(variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"))
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    open_allocated = (
        Allocation.objects.filter(
            variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"), status=Allocation.Status.OPEN
        )
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    rows = (
        StockLevel.objects.annotate(
            ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0)),
            open_allocated=Coalesce(Subquery(open_allocated, output_field=IntegerField()), Value(0)),
        )
        .filter(~Q(on_hand=F("ledger")) | ~Q(allocated=F("open_allocated")))
        .order_by("variant_id", "location_id")
        .values_list(
            "variant_id",
            "location_id",
            "variant__sku",
            "location__code",
            "on_hand",
            "ledger",
            "allocated",
            "open_allocated",
        )
    )
    drifts = []
    for variant_id, location_id, sku, code, on_hand, expected_on_hand, allocated, expected_allocated in rows:
        if on_hand != expected_on_hand:
            drifts.append(StockDrift(variant_id, location_id, sku, code, "on_hand", expected_on_hand, on_hand))
        if allocated != expected_allocated:
            drifts.append(StockDrift(variant_id, location_id, sku, code, "allocated", expected_allocated, allocated))

    no_row = StockLevel.objects.filter(variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"))
    for model, field, extra in (
        (StockMovement, "on_hand", Q()),
        (Allocation, "allocated", Q(status=Allocation.Status.OPEN)),
    ):
        orphans = (
            model.objects.filter(extra)
            .filter(~Exists(no_row))
            .order_by()
            .values("variant_id", "location_id", "variant__sku", "location__code")
            .annotate(total=Sum("quantity"))
            .exclude(total=0)
            .order_by("variant_id", "location_id")
            .values_list("variant_id", "location_id", "variant__sku", "location__code", "total")
        )
        drifts.extend(StockDrift(v, loc, sku, code, field, total, None) for v, loc, sku, code, total in orphans)
    drifts.sort(key=lambda d: (d.variant_id, d.location_id, d.field))
    return drifts
