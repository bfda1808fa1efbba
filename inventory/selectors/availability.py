"""Availability: stock rows with their held units and what is available, per variant, location and channel."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from omnishop.query_shapes import QueryShape

from ..models import Location, StockHold, StockLevel


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


def stock_available_to_ship(*, variant_ids: Iterable[int]) -> dict[int, int]:
    """Units of each variant a home delivery may be sent from now: online availability (store
    ring-fences left out) summed over the active locations that ship online orders or ship from
    their store, as delivery routing sources them. Variants with nothing are absent. One query,
    summed in the database (``stock_levels_with_availability``'s ``available``): a sync's
    thousands of variants at every location would otherwise travel row by row."""
    ids = sorted({int(pk) for pk in variant_ids})
    if len(ids) > TO_SHIP_SHAPED:
        return dict(_to_ship_queryset(ids=ids, at=timezone.now()))
    return dict(_TO_SHIP.rows(ids=ids, at=timezone.now())) if ids else {}


def stock_available_to_ship_sql(*, variant_ids: Iterable[int]) -> tuple[str, list]:
    """``stock_available_to_ship`` as SQL of (variant id, units) rows and its parameters, for a
    statement that reads it as a part (the marketplace figures' write)."""
    ids = sorted({int(pk) for pk in variant_ids})
    if len(ids) > TO_SHIP_SHAPED:
        return _to_ship_queryset(ids=ids, at=timezone.now()).query.sql_with_params()
    return _TO_SHIP.sql(ids=ids, at=timezone.now())


def _to_ship_queryset(*, ids, at):
    return (
        stock_levels_with_availability(online=True, at=at)
        .filter(variant_id__in=ids, location__is_active=True)
        .filter(Q(location__ships_online=True) | Q(location__ship_from_store=True))
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("available"))
        .filter(total__gt=0)
        .values_list("variant_id", "total")
    )


# Compiled once per number of variants (every stock change with a marketplace channel asks), up
# to an order's worth of them; a stock sync's thousands are compiled each time, as one-offs.
_TO_SHIP = QueryShape(_to_ship_queryset)
TO_SHIP_SHAPED = 100


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
    "daily_pick_capacity",
    "is_active",
)


def _with_locations_queryset(*, ids, at, online: bool, reference: str = ""):
    return _available_rows(variant_ids=ids, online=online, at=at, exclude_hold_reference=reference).values_list(
        *_LEVEL_FIELDS, *(f"location__{name}" for name in ROUTING_LOCATION_FIELDS)
    )


# Routing reads this for every order: compiled once per number of variants and flags.
_WITH_LOCATIONS = QueryShape(_with_locations_queryset)


def stock_available_with_locations(
    *, variant_ids: Iterable[int], online: bool, at=None, exclude_hold_reference: str = ""
) -> tuple[list[Availability], dict[int, Location]]:
    """``stock_available_list`` at every active location, plus those locations by id, in one
    query (routing needs both for every order)."""
    values = {"ids": sorted(set(variant_ids)), "at": at or timezone.now()}
    if exclude_hold_reference:
        values["reference"] = exclude_hold_reference
    rows = _WITH_LOCATIONS.rows(shape={"online": online}, **values) if values["ids"] else []
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


@dataclass(frozen=True)
class LocationStock:
    """One active location and what is available there, per variant (absent: nothing)."""

    location_id: int
    code: str
    name: str
    kind: str
    available: dict[int, int]


def _by_location_queryset(*, ids, at):
    return (
        Location.objects.filter(is_active=True)
        .annotate(level=FilteredRelation("stock_levels", condition=Q(stock_levels__variant_id__in=ids)))
        .annotate(held=_held_subquery(at, variant="level__variant_id", location="pk"))
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


# Built and compiled once per number of variants (what a cart page asks for every time).
_BY_LOCATION = QueryShape(_by_location_queryset)


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
    rows = _BY_LOCATION.rows(ids=ids, at=at or timezone.now())
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
