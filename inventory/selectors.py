"""Inventory reads: availability per variant, location and channel; locations near a point."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
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

from .models import Location, StockHold, StockLevel

EARTH_RADIUS_KM = 6371.0088


def _held_subquery(at: datetime, exclude_reference: str = ""):
    holds = StockHold.objects.filter(
        variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"), expires_at__gt=at
    )
    if exclude_reference:
        holds = holds.exclude(reference=exclude_reference)
    holds = holds.order_by().values("variant_id", "location_id").annotate(total=Sum("quantity")).values("total")
    return Coalesce(Subquery(holds, output_field=IntegerField()), Value(0))


def stock_levels_with_availability(
    *, online: bool, at: datetime | None = None, exclude_hold_reference: str = ""
) -> QuerySet[StockLevel]:
    """StockLevel rows annotated with ``held`` (active holds) and ``available``:

        on_hand - allocated - held - safety_stock - (ring-fence, for online channels at stores)

    never below 0. Expired holds are ignored even before the purge job deletes them, and so are
    the holds of ``exclude_hold_reference`` (a customer's own cart while they check out).
    """
    at = at or timezone.now()
    ring_fence = (
        Case(When(location__kind=Location.Kind.STORE, then=F("location__ring_fence")), default=Value(0))
        if online
        else Value(0)
    )
    return StockLevel.objects.annotate(held=_held_subquery(at, exclude_hold_reference)).annotate(
        available=Greatest(
            F("on_hand") - F("allocated") - F("held") - F("safety_stock") - ring_fence,
            Value(0),
            output_field=IntegerField(),
        )
    )


@dataclass(frozen=True)
class Availability:
    variant_id: int
    location_id: int
    on_hand: int
    allocated: int
    held: int
    safety_stock: int
    available: int


def stock_available_list(
    *,
    variant_ids: Iterable[int],
    online: bool,
    location_ids: Iterable[int] | None = None,
    at=None,
    exclude_hold_reference: str = "",
) -> list[Availability]:
    """Availability of ``variant_ids`` at every active location (or the given ones), one query."""
    qs = stock_levels_with_availability(online=online, at=at, exclude_hold_reference=exclude_hold_reference).filter(
        variant_id__in=list(variant_ids), location__is_active=True
    )
    if location_ids is not None:
        qs = qs.filter(location_id__in=list(location_ids))
    rows = qs.order_by("variant_id", "location_id").values_list(
        "variant_id", "location_id", "on_hand", "allocated", "held", "safety_stock", "available"
    )
    return [Availability(*row) for row in rows]


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
