"""Locations: by code, of a staff member, nearest to a point."""

from collections.abc import Iterable

from django.db.models import ExpressionWrapper, F, FloatField, QuerySet, Value
from django.db.models.functions import ASin, Cos, Radians, Sin, Sqrt

from catalog.selectors import IN_CHUNK

from ..models import Location

EARTH_RADIUS_KM = 6371.0088


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


def locations_nearest(
    *, latitude: float, longitude: float, kinds: Iterable[str] | None = None, **flags
) -> QuerySet[Location]:
    qs = Location.objects.filter(is_active=True, **flags)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.annotate(distance_km=distance_km_expression(latitude=latitude, longitude=longitude)).order_by(
        "distance_km", "code"
    )


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


def pickup_location_get(*, code: str) -> Location | None:
    """The active location with this code if it offers pickup (click & collect, reserve & try), else None."""
    return Location.objects.filter(code=code, is_active=True, click_and_collect=True).first()


def store_get(*, code: str) -> Location | None:
    """The active store (not a warehouse) with this code, else None: where a till sells."""
    return Location.objects.filter(code=code, is_active=True, kind=Location.Kind.STORE).first()


def location_point_in_city(*, city: str) -> tuple[float, float] | None:
    """(latitude, longitude) of one of our located locations in ``city`` (case-insensitive), the
    first by id, or None: where a delivery goes when its address has no coordinates."""
    point = (
        Location.objects.filter(city__iexact=city, latitude__isnull=False, longitude__isnull=False)
        .order_by("pk")
        .values_list("latitude", "longitude")
        .first()
    )
    return None if point is None else (float(point[0]), float(point[1]))


def location_codes(*, ids: Iterable[int]) -> dict[int, str]:
    """``{location id: code}`` for the ids that exist."""
    ids = list(ids)
    return dict(Location.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}


def locations_by_id(*, ids: Iterable[int]) -> dict[int, Location]:
    """``{location id: Location}`` for the ids that exist."""
    return Location.objects.in_bulk(list(ids))
