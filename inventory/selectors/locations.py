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
