"""Locations that can serve a basket: nearest first, and the pickup options of a cart."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, ExpressionWrapper, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from omnishop.query_shapes import QueryShape

from ..models import Location
from .availability import stock_levels_with_availability
from .locations import distance_km_expression, locations_nearest


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


# Location objects built from shape rows: every concrete field, then the distance.
_LOCATION_FIELDS = tuple(f.attname for f in Location._meta.concrete_fields)


def _serving_queryset(*, ids, at, quantities, online: bool, click_and_collect: bool | None):
    """Locations whose rows have every one of ``ids`` in the quantity asked (``quantities``,
    one per id, or one for all), as ``location_id`` rows."""
    rows = stock_levels_with_availability(online=online, at=at).filter(variant_id__in=ids, location__is_active=True)
    if click_and_collect is not None:
        rows = rows.filter(location__click_and_collect=click_and_collect)
    if len(quantities) == 1:
        rows = rows.filter(available__gte=quantities[0])
    else:
        wanted = Case(*[When(variant_id=v, then=Value(q)) for v, q in zip(ids, quantities, strict=True)])
        rows = rows.filter(available__gte=ExpressionWrapper(wanted, output_field=IntegerField()))
    return (
        rows.order_by()
        .values("location_id")
        .annotate(lines_ok=Count("variant_id"))
        .filter(lines_ok=len(ids))
        .values_list("location_id")
    )


def _nearest_queryset(*, latitude, longitude, limit: int, click_and_collect: bool | None, ids=None):
    flags = {} if click_and_collect is None else {"click_and_collect": click_and_collect}
    qs = locations_nearest(latitude=latitude, longitude=longitude, **flags)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.values_list(*_LOCATION_FIELDS, "distance_km")[:limit]


# Compiled once per shape (number of lines, flags, limit): a store finder asks the same
# questions all day, and rebuilding the SQL cost more than running it.
_SERVING = QueryShape(_serving_queryset)
_NEAREST = QueryShape(_nearest_queryset)


def _locations(rows) -> list[Location]:
    """Location objects (with ``distance_km``) from ``_nearest_queryset`` rows."""
    width = len(_LOCATION_FIELDS)
    locations = []
    for row in rows:
        location = Location.from_db(Location.objects.db, _LOCATION_FIELDS, row[:width])
        location.distance_km = row[width]
        locations.append(location)
    return locations


def locations_nearest_list(
    *, latitude: float, longitude: float, limit: int, click_and_collect: bool | None = None, ids=None
) -> list[Location]:
    """The ``limit`` nearest active locations (of ``ids``, when given), with ``distance_km``;
    ``locations_nearest(...)[:limit]`` with its SQL compiled once per shape."""
    values = {"latitude": float(latitude), "longitude": float(longitude)}
    if ids is not None:
        values["ids"] = list(ids)
    rows = _NEAREST.rows(shape={"limit": limit, "click_and_collect": click_and_collect}, **values)
    return _locations(rows)


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

    Same answer as ``locations_that_can_serve(...)[:limit]`` in two small queries (the
    locations covering every line, then the nearest of them), each compiled once per shape.
    """
    if not lines:
        return []
    ids = sorted(lines)
    quantities = sorted(set(lines.values()))
    if len(quantities) > 1:
        quantities = [lines[v] for v in ids]
    serving = _SERVING.rows(
        shape={"online": online, "click_and_collect": click_and_collect},
        ids=ids,
        at=at or timezone.now(),
        quantities=quantities,
    )
    if not serving:
        return []
    return locations_nearest_list(
        latitude=latitude,
        longitude=longitude,
        limit=limit,
        click_and_collect=click_and_collect,
        ids=[location_id for (location_id,) in serving],
    )


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


def _pickup_rows_queryset(*, ids, store_ids, at, online: bool):
    """Units of ``ids`` at the stores asked about and at every location routing may transfer from."""
    return (
        stock_levels_with_availability(online=online, at=at)
        .filter(variant_id__in=ids, location__is_active=True, available__gt=0)
        .filter(Q(location_id__in=store_ids) | Q(location__ships_online=True) | Q(location__ship_from_store=True))
        .order_by()
        .values_list("variant_id", "location_id", "available", "location__ships_online", "location__ship_from_store")
    )


_PICKUP_ROWS = QueryShape(_pickup_rows_queryset)


def pickup_options_list(
    *, lines: dict[int, int], online: bool, latitude: float, longitude: float, limit: int = 5, at=None
) -> list[PickupOption]:
    """The ``limit`` nearest click & collect stores, each with whether it can serve ``lines``
    (``{variant_id: quantity}``) now or after a transfer. Two queries whatever the size of the cart."""
    stores = locations_nearest_list(latitude=latitude, longitude=longitude, limit=limit, click_and_collect=True)
    if not stores or not lines:
        return [PickupOption(location=s, available={}, missing=sorted(lines), transferable=False) for s in stores]
    store_ids = [s.pk for s in stores]
    ids = sorted(lines)
    rows = _PICKUP_ROWS.rows(shape={"online": online}, ids=ids, store_ids=store_ids, at=at or timezone.now())
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
