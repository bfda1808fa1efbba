"""Locations: warehouses and stores."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Location, validate_opening_hours


def _clean_opening_hours(opening_hours: dict | None) -> dict:
    """``{"mon": "10:00-21:00", ..., "sun": None}``: see ``validate_opening_hours``; None is no hours."""
    hours = {} if opening_hours is None else opening_hours
    try:
        validate_opening_hours(hours)
    except ValidationError as exc:
        raise ValidationError({"opening_hours": exc.messages}) from None
    return dict(hours)


def location_create(
    *,
    code: str,
    name: str,
    kind: str,
    city: str,
    latitude: Decimal,
    longitude: Decimal,
    street: str = "",
    postal_code: str = "",
    country: str = "PL",
    phone: str = "",
    opening_hours: dict | None = None,
    ships_online: bool = False,
    click_and_collect: bool = False,
    ship_from_store: bool = False,
    is_active: bool = True,
) -> Location:
    """Create a warehouse or a store, validated before it is saved.

    ``full_clean`` holds the same rules as the table's constraints: a unique code, coordinates
    within range (6 decimal places) and click & collect / ship-from-store only on stores.
    Coordinates are decimals (or decimal strings), never floats, so they round-trip exactly.
    Raises ``ValidationError``.
    """
    if isinstance(latitude, float) or isinstance(longitude, float):
        raise ValidationError(_("Coordinates are decimals, never floats."))
    location = Location(
        code=code,
        name=name,
        kind=kind,
        street=street,
        postal_code=postal_code,
        city=city,
        country=country,
        latitude=latitude,
        longitude=longitude,
        phone=phone,
        opening_hours=_clean_opening_hours(opening_hours),
        ships_online=ships_online,
        click_and_collect=click_and_collect,
        ship_from_store=ship_from_store,
        is_active=is_active,
    )
    location.full_clean()
    location.save()
    return location
