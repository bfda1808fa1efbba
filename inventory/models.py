"""Inventory: locations, stock levels, holds, allocations, the stock ledger and transfers."""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


def validate_opening_hours(value) -> None:
    """``{"mon": "10:00-21:00", ..., "sun": None}``: weekday keys, "HH:MM-HH:MM" or None (closed).
    Every place that saves a location's hours checks them here: the store picker renders them."""
    if not isinstance(value, dict):
        raise ValidationError(
            _('Give opening hours per weekday, e.g. {"mon": "10:00-21:00", "sun": null}.'), code="invalid"
        )
    errors = []
    for day, hours in value.items():
        if day not in WEEKDAYS:
            errors.append(
                _("Unknown weekday %(day)s: use one of %(days)s.") % {"day": day, "days": ", ".join(WEEKDAYS)}
            )
        elif hours is not None and not (isinstance(hours, str) and _HOURS_RE.fullmatch(hours)):
            errors.append(_("Opening hours for %(day)s must look like 10:00-21:00 or be empty.") % {"day": day})
    if errors:
        raise ValidationError(errors, code="invalid")


PICKUP_DAYS_MIN, PICKUP_DAYS_MAX = 1, 60


def default_pickup_hold_days() -> int:
    return settings.OMNISHOP_PICKUP_HOLD_DAYS


def default_pickup_reminder_days() -> int:
    return settings.OMNISHOP_PICKUP_REMINDER_DAYS


class Location(models.Model):
    """A warehouse or a store, with where it is and what it may do for online orders."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Warehouse")
        STORE = "store", _("Store")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="PL")
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    opening_hours = models.JSONField(
        _("opening hours"),
        default=dict,
        blank=True,
        help_text=_('Per weekday, e.g. {"mon": "10:00-21:00", "sun": null}.'),
        validators=[validate_opening_hours],
    )
    ships_online = models.BooleanField(
        _("ships online orders"), default=False, help_text=_("May fulfil home-delivery orders.")
    )
    click_and_collect = models.BooleanField(
        _("click & collect"), default=False, help_text=_("Customers may collect orders here.")
    )
    ship_from_store = models.BooleanField(
        _("ship from store"), default=False, help_text=_("A store that may ship parcels.")
    )
    ring_fence = models.PositiveIntegerField(
        _("ring-fence per SKU"),
        default=0,
        help_text=_("Units of each SKU a store keeps for walk-in customers; online channels cannot take them."),
    )
    # Counted in the days the store is open (its opening hours), see inventory.opening_hours.
    pickup_hold_days = models.PositiveSmallIntegerField(
        _("pickup hold (open days)"),
        default=default_pickup_hold_days,
        validators=[MinValueValidator(PICKUP_DAYS_MIN), MaxValueValidator(PICKUP_DAYS_MAX)],
        help_text=_("Open days a click & collect order waits here once ready; then it is cancelled."),
    )
    pickup_reminder_days = models.PositiveSmallIntegerField(
        _("pickup reminder (open days before)"),
        default=default_pickup_reminder_days,
        validators=[MinValueValidator(PICKUP_DAYS_MIN), MaxValueValidator(PICKUP_DAYS_MAX)],
        help_text=_("The customer is reminded this many open days before the collect-by date."),
    )
    # Orders a store will pick in one day (Europe/Warsaw): its click & collect and ship-from-store
    # orders. Routing sends no more parcels to a full store; empty is no limit.
    daily_pick_capacity = models.IntegerField(
        _("daily pick capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Orders the store picks per day (click & collect and ship-from-store); empty: no limit."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stores",
        verbose_name=_("staff"),
        help_text=_("Store staff who work here: they prepare and hand over this store's pickup orders."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="inventory_location_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="store") | Q(click_and_collect=False, ship_from_store=False),
                name="inventory_location_store_flags_only_on_stores",
            ),
            models.CheckConstraint(
                condition=Q(pickup_hold_days__gte=PICKUP_DAYS_MIN, pickup_hold_days__lte=PICKUP_DAYS_MAX),
                name="inventory_location_pickup_hold_days_range",
            ),
            models.CheckConstraint(
                condition=Q(pickup_reminder_days__gte=PICKUP_DAYS_MIN, pickup_reminder_days__lte=PICKUP_DAYS_MAX),
                name="inventory_location_pickup_reminder_days_range",
            ),
            models.CheckConstraint(
                condition=Q(daily_pick_capacity__isnull=True) | Q(daily_pick_capacity__gte=0),
                name="inventory_location_capacity_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StockLevel(models.Model):
    """Units of one variant at one location. ``on_hand`` equals the sum of its movements;
    ``allocated`` equals its open allocations. The database refuses an oversell."""

    # No single-column indexes: (variant, location) and (location, variant) below lead with each,
    # and every index is one more write on the hottest rows of the system.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stock_levels", verbose_name=_("location"), db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant",
        on_delete=models.PROTECT,
        related_name="stock_levels",
        verbose_name=_("variant"),
        db_index=False,
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    safety_stock = models.IntegerField(
        _("safety stock"), default=0, help_text=_("Units never promised to anyone (damage, miscounts).")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["variant_id", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="inventory_stock_one_per_variant_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_stock_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="inventory_stock_allocated_gte_0"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("on_hand")), name="inventory_stock_allocated_lte_on_hand"
            ),
            models.CheckConstraint(condition=Q(safety_stock__gte=0), name="inventory_stock_safety_gte_0"),
        ]
        indexes = [models.Index(fields=["location", "variant"])]

    def __str__(self) -> str:
        # SKU and location code when they were loaded with the row (admin pages select them);
        # ids otherwise, so printing a row never runs a query.
        cached = self._state.fields_cache
        if "variant" in cached and "location" in cached:
            return f"{self.variant.sku} @ {self.location.code}"
        return f"{self.variant_id}@{self.location_id}: {self.on_hand}/{self.allocated}"


class StockHold(models.Model):
    """A short reservation (cart, checkout, reserve-in-store) that counts against availability
    until ``expires_at``; expired holds are ignored at once and purged by Celery beat."""

    class Kind(models.TextChoices):
        CART = "cart", _("Cart")
        CHECKOUT = "checkout", _("Checkout")
        ROPIS = "ropis", _("Reserve online, pick up in store")

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="holds", verbose_name=_("location"))
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="holds", verbose_name=_("variant")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=100, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock hold")
        verbose_name_plural = _("stock holds")
        ordering = ["expires_at"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_hold_quantity_gt_0")]
        indexes = [models.Index(fields=["variant", "location", "expires_at"])]

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.quantity}x {self.variant_id}@{self.location_id} until {self.expires_at:%Y-%m-%d %H:%M}"
        )


class Allocation(models.Model):
    """Units promised to an order line at a location. Open allocations add up to
    ``StockLevel.allocated``; fulfilling turns them into a sale, releasing gives them back."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FULFILLED = "fulfilled", _("Fulfilled")
        RELEASED = "released", _("Released")

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("location")
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="allocations", verbose_name=_("variant")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reference = models.CharField(_("reference"), max_length=100, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_allocation_quantity_gt_0")]
        indexes = [models.Index(fields=["variant", "location", "status"])]

    def __str__(self) -> str:
        return f"{self.quantity}x {self.variant_id}@{self.location_id} ({self.status}) {self.reference}"


class StockMovement(models.Model):
    """The stock ledger: every change of ``on_hand``, append-only."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        ADJUSTMENT = "adjustment", _("Adjustment")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        COUNT = "count", _("Count (POS/ERP/WMS sync)")

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="movements", verbose_name=_("location")
    )
    # Indexed by (variant, location) below, which also serves lookups by variant.
    variant = models.ForeignKey(
        "catalog.Variant",
        on_delete=models.PROTECT,
        related_name="movements",
        verbose_name=_("variant"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity"), help_text=_("Change of on-hand units: + in, - out."))
    on_hand_after = models.IntegerField(_("on hand after"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, null=True, blank=True)  # noqa: DJ001
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="inventory_movement_quantity_not_0"),
            models.CheckConstraint(condition=Q(on_hand_after__gte=0), name="inventory_movement_on_hand_after_gte_0"),
            models.UniqueConstraint(fields=["idempotency_key"], name="inventory_movement_idempotency_key_unique"),
        ]
        indexes = [
            # One stock level's entries (its history, the ledger sums of the consistency check).
            # Not (variant, location, created_at): entries of one level share their key, so
            # b-tree deduplication keeps this index a fraction of that size, and a 10,000-row sync
            # writes into it at about half the cost. A level's history is sorted after the lookup.
            models.Index(fields=["variant", "location"], name="inventory_movement_level"),
            # Plain b-tree indexes: no extra LIKE (varchar_pattern_ops) index per text column,
            # the ledger is written in bulk by stock syncs.
            models.Index(fields=["reference"], name="inventory_movement_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} {self.variant_id}@{self.location_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Stock movements are append-only; record a correcting movement instead.")
        super().save(*args, **kwargs)


class StockSync(models.Model):
    """One stock sync a POS, ERP or WMS sent (or a CSV import), kept with its answer.

    A retry of the same request (same ``fingerprint``: mode, error policy and rows) gets this
    answer back and writes nothing; the same ``sync_id`` with another request is refused. The
    rows themselves are in the ledger (reference ``sync:<sync_id>``)."""

    sync_id = models.CharField(_("sync ID"), max_length=64, unique=True)
    mode = models.CharField(_("mode"), max_length=20)
    error_policy = models.CharField(_("error policy"), max_length=20)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, help_text=_("SHA-256 of the request."))
    received = models.PositiveIntegerField(_("rows received"))
    applied = models.PositiveIntegerField(_("rows applied"))
    unchanged = models.PositiveIntegerField(_("rows unchanged"))
    failed = models.PositiveIntegerField(_("rows failed"))
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock sync")
        verbose_name_plural = _("stock syncs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.sync_id


class Transfer(models.Model):
    """Stock moving between two locations: requested → in transit → received (or cancelled)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    source = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("from"))
    destination = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("to")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("destination")), name="inventory_transfer_distinct_ends"),
        ]

    def __str__(self) -> str:
        return f"T{self.pk} {self.source_id}→{self.destination_id} ({self.status})"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines", verbose_name=_("transfer"))
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", verbose_name=_("variant")
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_transferline_quantity_gt_0"),
            models.UniqueConstraint(fields=["transfer", "variant"], name="inventory_transferline_unique_variant"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}x {self.variant_id}"


class ChannelStock(models.Model):
    """The last figure a marketplace channel was told for one listed variant (stock feed and
    ``channel_stock.changed`` events): what it may sell, after its stock buffer. Written where the
    event is emitted, only when the figure changes, so the feed answers ``updated_since`` from
    ``changed_at`` and an unchanged figure sends nothing."""

    channel = models.ForeignKey(
        "catalog.Channel", on_delete=models.CASCADE, related_name="+", verbose_name=_("channel")
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="+", verbose_name=_("variant")
    )
    # Null until a first figure was published for a newly listed variant.
    available = models.PositiveIntegerField(_("available"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel stock figure")
        verbose_name_plural = _("channel stock figures")
        ordering = ["channel_id", "variant_id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "variant"], name="inventory_channelstock_unique"),
        ]
        indexes = [models.Index(fields=["channel", "changed_at"], name="inventory_channelstock_changed")]

    def __str__(self) -> str:
        return f"{self.variant_id} @ {self.channel_id}: {self.available}"
