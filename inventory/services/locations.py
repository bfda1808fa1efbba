"""Locations: warehouses and stores, and the settings of theirs that change availability
(active, ring-fence, the online and pickup flags, a stock row's safety stock)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from omnishop.outbox.services import outbox_emit_many

from ..events import LOCATION_AVAILABILITY_FIELDS, location_updated_message
from ..lock_objects import location_lock, stock_levels_lock
from ..models import Location, StockLevel, validate_opening_hours
from .channel_stock import channel_stock_refresh
from .ledger import stock_changed_emit


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
    ring_fence: int = 0,
    daily_pick_capacity: int | None = None,
    is_active: bool = True,
    pickup_hold_days: int | None = None,
    pickup_reminder_days: int | None = None,
    actor=None,
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
        ring_fence=ring_fence,
        daily_pick_capacity=daily_pick_capacity,
        is_active=is_active,
    )
    # Unset: the model's defaults (the OMNISHOP_PICKUP_* settings).
    if pickup_hold_days is not None:
        location.pickup_hold_days = pickup_hold_days
    if pickup_reminder_days is not None:
        location.pickup_reminder_days = pickup_reminder_days
    location.full_clean()
    location.save()
    return location


# What ``location_update`` may change (staff is assigned apart: it changes no availability).
LOCATION_EDITABLE_FIELDS = (
    "code",
    "name",
    "kind",
    "street",
    "postal_code",
    "city",
    "country",
    "latitude",
    "longitude",
    "phone",
    "opening_hours",
    "ships_online",
    "click_and_collect",
    "ship_from_store",
    "ring_fence",
    "daily_pick_capacity",
    "is_active",
    "pickup_hold_days",
    "pickup_reminder_days",
)


def location_update(*, location: Location, changes: dict, actor=None) -> Location:
    """Change a location's fields (``changes``: field name -> new value, any of
    ``LOCATION_EDITABLE_FIELDS``), validated like ``location_create``; returns the saved row.

    What a consumer needs to re-read availability: one ``location.updated`` event (the
    location's code, kind, active, ring-fence and online / pickup flags as they are now, and
    the names of the fields that changed) whenever a field changed. The location's stock rows
    do not change (on hand, allocated, held and safety stock stay), so no ``stock.changed``
    goes out: a consumer that learns a location went inactive, changed its ring-fence or its
    flags re-reads the availability of that location (its available units per channel follow
    from those fields). The location row is locked while it changes. Marketplace channels'
    figures of the variants stocked there follow a change of those fields (``channel_stock``).
    Raises ``ValidationError`` (an unknown field, a value the model or its constraints refuse:
    nothing is written).
    """
    unknown = sorted(set(changes) - set(LOCATION_EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    if any(isinstance(changes.get(name), float) for name in ("latitude", "longitude")):
        raise ValidationError(_("Coordinates are decimals, never floats."))
    with transaction.atomic():
        locked = location_lock(pk=location.pk)
        changed = []
        for name, value in changes.items():
            if name == "opening_hours":
                value = _clean_opening_hours(value)
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=changed)
        outbox_emit_many(events=[location_updated_message(location=locked, changed=changed)])
        if set(changed) & set(LOCATION_AVAILABILITY_FIELDS):
            stocked = StockLevel.objects.filter(location=locked).values_list("variant_id", flat=True)
            channel_stock_refresh(variant_ids=set(stocked))
    return locked


def location_staff_set(*, location: Location, staff, actor=None) -> None:
    """The staff users who work at ``location`` (they see and serve its pickup orders) become
    exactly ``staff``. Availability does not change, so no event goes out."""
    with transaction.atomic():
        location_lock(pk=location.pk)
        location.staff.set(staff)


def stock_safety_stock_set(*, level: StockLevel, safety_stock: int, actor=None) -> StockLevel:
    """Set the units of a stock row never promised to anyone (damage, miscounts). Locks the row;
    the new figure reaches every channel's availability at once and goes out as stock.changed.
    Raises ``ValidationError`` for a negative figure."""
    if safety_stock < 0:
        raise ValidationError({"safety_stock": [_("Safety stock cannot be negative.")]})
    with transaction.atomic():
        pair = (level.variant_id, level.location_id)
        locked = stock_levels_lock(pairs=[pair])[pair]
        if locked.safety_stock != safety_stock:
            locked.safety_stock = safety_stock
            locked.save(update_fields=["safety_stock", "updated_at"])
            stock_changed_emit(levels=[locked])
    return locked
