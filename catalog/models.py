"""Catalog: channels, the category tree, products and variants, one price list, listings."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from omnishop.money import Money, currency_choices, validate_currency

from .validators import validate_gtin


class Channel(models.Model):
    """A way the retailer sells: the web shop, the app, stores, call centre, marketplaces, B2B."""

    class Kind(models.TextChoices):
        WEB = "web", _("Web shop")
        APP = "app", _("Mobile app")
        STORE = "store", _("Store (POS)")
        CALL_CENTRE = "call_centre", _("Call centre")
        MARKETPLACE = "marketplace", _("Marketplace")
        B2B = "b2b", _("B2B sales")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="PLN",
        choices=currency_choices(),
        validators=[validate_currency],
    )
    is_active = models.BooleanField(_("active"), default=True)
    api_key_required = models.BooleanField(
        _("API key required"),
        default=False,
        help_text=_(
            "External channels (marketplaces, partner POS) may act only with their own API key; "
            "first-party clients may declare other channels."
        ),
    )
    stock_buffer = models.PositiveIntegerField(
        _("stock buffer"),
        default=0,
        help_text=_(
            "Units per SKU kept back from what this channel is told it may sell (marketplaces: "
            "their stock feed and stock events), so an order crossing a sale elsewhere does not oversell."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(stock_buffer__gte=0), name="catalog_channel_stock_buffer_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def sells_online(self) -> bool:
        """Every channel but the stores' own tills sells online (and cannot take the units a
        store ring-fences for walk-in customers)."""
        return self.kind != self.Kind.STORE

    @property
    def self_service(self) -> bool:
        """A channel where shoppers act themselves (carts, orders): the web shop and the app.
        Stores, the call centre and B2B sales act through staff; marketplaces through their
        channel API key."""
        return self.kind in (self.Kind.WEB, self.Kind.APP)


class Category(MP_Node):
    """The category tree (materialised path: a subtree is one indexed prefix query)."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """What a customer recognises (a shoe model); the variants are what is sold (size, colour)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    description = models.TextField(_("description"), blank=True)
    brand = models.ForeignKey(
        Brand,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("brand"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("category"),
    )
    attributes = models.JSONField(
        _("attributes"),
        default=dict,
        blank=True,
        help_text=_('Free product attributes, e.g. {"material": "leather"}.'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_gift_card = models.BooleanField(
        _("gift card"),
        default=False,
        help_text=_("Selling it issues a gift card of its price; never discounted, earns no points."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["category", "is_active"]),
            # The default order of every product list.
            models.Index(fields=["name", "id"], name="catalog_product_name_id"),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """A sellable item: one SKU, optionally one GTIN/EAN, with its size and colour."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product"))
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    ean = models.CharField(
        _("EAN/GTIN"),
        max_length=14,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_gtin],
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    size = models.CharField(_("size"), max_length=32, blank=True)
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product_id", "position", "id"]
        constraints = [
            # An empty EAN is stored as NULL so it never collides with another empty one.
            models.CheckConstraint(condition=~Q(ean=""), name="catalog_variant_ean_not_empty"),
        ]

    def __str__(self) -> str:
        label = " / ".join(p for p in (self.size, self.colour) if p)
        return f"{self.sku} {label}".strip()

    def clean(self) -> None:
        super().clean()
        if self.ean == "":
            self.ean = None


class Price(models.Model):
    """The one current price of a variant in a currency. Every channel in that currency sees it.

    Written only by ``catalog.services.price_set`` / ``prices_import`` / ``price_delete``, which
    keep the history.
    """

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="prices", verbose_name=_("variant"))
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="PLN",
        choices=currency_choices(),
        validators=[validate_currency],
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Gross price, VAT included."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["variant_id", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "currency"], name="catalog_price_one_per_currency"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="catalog_price_amount_gte_0"),
        ]
        indexes = [models.Index(fields=["currency", "amount"])]

    def __str__(self) -> str:
        return f"{self.variant_id}: {self.amount} {self.currency}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class PriceHistory(models.Model):
    """Append-only: who changed which price, when, from what to what."""

    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="price_history", verbose_name=_("variant")
    )
    currency = models.CharField(_("currency"), max_length=3)
    old_amount = models.DecimalField(_("old amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    # Null: the price was deleted (the variant is no longer sold in that currency).
    new_amount = models.DecimalField(_("new amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price history")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["variant", "currency", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.variant_id} {self.currency}: {self.old_amount} → {self.new_amount}"


class ChannelListingQuerySet(models.QuerySet):
    def published(self, *, at=None):
        at = at or timezone.now()
        return self.filter(published_from__lte=at).filter(Q(published_until__isnull=True) | Q(published_until__gt=at))


class ChannelListing(models.Model):
    """A product is offered in a channel from a date, optionally until a date."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="listings", verbose_name=_("product"))
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="listings", verbose_name=_("channel"))
    published_from = models.DateTimeField(_("published from"), default=timezone.now)
    published_until = models.DateTimeField(_("published until"), null=True, blank=True)

    objects = ChannelListingQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel listing")
        verbose_name_plural = _("channel listings")
        ordering = ["channel_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "channel"], name="catalog_listing_unique"),
            models.CheckConstraint(
                condition=Q(published_until__isnull=True) | Q(published_until__gt=models.F("published_from")),
                name="catalog_listing_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["channel", "published_from", "published_until"])]

    def __str__(self) -> str:
        return f"{self.product_id} @ {self.channel_id}"

    def is_published(self, at=None) -> bool:
        at = at or timezone.now()
        return self.published_from <= at and (self.published_until is None or at < self.published_until)
