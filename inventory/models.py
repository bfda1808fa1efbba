"""Inventory: the places stock lives (warehouses and stores). Stock levels build on these."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
    is_active = models.BooleanField(_("active"), default=True)
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
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
