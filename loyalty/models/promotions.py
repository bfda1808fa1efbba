"""Promotions as data: what a promotion gives, on what, to whom and when; the coupons that carry
it (public codes and personal single-use codes) and every redemption, one unique row each.

The invariants the database holds: a coupon's code is unique whatever its case, its uses never
go below zero, one redemption per (coupon, order reference), and a single-use coupon has at most
one redemption that is not released.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from omnishop.money import currency_choices, validate_currency

__all__ = ["Coupon", "CouponRedemption", "Promotion"]


class Promotion(models.Model):
    """A discount rule. ``automatic`` ones apply to every basket they fit; the others apply only
    with one of their coupons."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        FIXED = "fixed", _("Fixed amount off")
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y")

    class Scope(models.TextChoices):
        CART = "cart", _("Whole basket")
        CATEGORIES = "categories", _("Categories")
        BRANDS = "brands", _("Brands")
        VARIANTS = "variants", _("Products (SKUs)")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERCENT)
    # Percent (0-100) for "percent"; an amount in ``currency`` for "fixed"; unused for buy X get Y.
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=Decimal("0"))
    scope = models.CharField(_("applies to"), max_length=20, choices=Scope.choices, default=Scope.CART)
    categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("categories"),
        help_text=_("A category covers its subcategories."),
    )  # fmt: skip
    brands = models.ManyToManyField("catalog.Brand", blank=True, related_name="+", verbose_name=_("brands"))
    variants = models.ManyToManyField("catalog.Variant", blank=True, related_name="+", verbose_name=_("SKUs"))
    buy_quantity = models.PositiveIntegerField(_("buy quantity"), default=0)
    get_quantity = models.PositiveIntegerField(_("get quantity"), default=0)
    # The units got are the cheapest of the covered units (else the dearest ones).
    cheapest_free = models.BooleanField(_("the cheapest units are discounted"), default=True)
    get_discount_percent = models.DecimalField(
        _("discount on the discounted units (%)"), max_digits=5, decimal_places=2, default=Decimal("100")
    )
    min_basket_amount = models.DecimalField(
        _("minimum basket"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="PLN", choices=currency_choices(), validators=[validate_currency]
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid until"), null=True, blank=True)
    # catalog.Channel.Kind values; empty: every kind.
    channel_kinds = ArrayField(
        models.CharField(max_length=20), blank=True, default=list, verbose_name=_("channel kinds")
    )
    channels = models.ManyToManyField(
        "catalog.Channel", blank=True, related_name="+", verbose_name=_("channels"),
        help_text=_("Empty: every channel (of the kinds chosen)."),
    )  # fmt: skip
    # Tier codes of the points area (no foreign key: tiers are another area's data).
    target_tier_codes = ArrayField(
        models.CharField(max_length=40), blank=True, default=list, verbose_name=_("target tiers")
    )
    target_customers = models.ManyToManyField(
        "customers.Customer", blank=True, related_name="+", verbose_name=_("target customers")
    )
    automatic = models.BooleanField(_("automatic (no code)"), default=False)
    exclusive = models.BooleanField(
        _("exclusive"), default=False, help_text=_("When it applies, no promotion after it applies.")
    )
    priority = models.IntegerField(_("priority"), default=100, help_text=_("Lower numbers apply first."))
    max_uses = models.PositiveIntegerField(_("uses at most (all customers)"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(_("uses at most per customer"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["priority", "id"]
        permissions = [("give_coupon", _("Can give a customer a personal coupon"))]
        constraints = [
            models.CheckConstraint(condition=Q(uses__gte=0), name="loyalty_promotion_uses_non_negative"),
            models.CheckConstraint(condition=Q(value__gte=0), name="loyalty_promotion_value_non_negative"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="loyalty_promotion_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(kind="buy_x_get_y") | (Q(buy_quantity__gte=1) & Q(get_quantity__gte=1)),
                name="loyalty_promotion_buy_x_get_y_quantities",
            ),
            models.CheckConstraint(
                condition=Q(get_discount_percent__gte=0) & Q(get_discount_percent__lte=100),
                name="loyalty_promotion_get_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="loyalty_promotion_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """A code that carries a promotion: public (no customer) or personal (bound to one customer)."""

    code = models.CharField(_("code"), max_length=40)
    promotion = models.ForeignKey(
        Promotion, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("promotion")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coupons",
        verbose_name=_("customer"),
        help_text=_("Empty: a public code anyone may use."),
    )
    single_use = models.BooleanField(_("single use"), default=False)
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # Why an agent gave it (personal coupons given from the customer's card).
    reason = models.CharField(_("reason"), max_length=300, blank=True, editable=False)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="loyalty_coupon_code_ci_unique"),
            models.CheckConstraint(condition=Q(uses__gte=0), name="loyalty_coupon_uses_non_negative"),
            models.CheckConstraint(
                condition=Q(single_use=False) | Q(uses__lte=1), name="loyalty_coupon_single_use_once"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(models.Model):
    """One use of a coupon by one order (``reference``: the order number; loyalty knows no orders).
    Released when the order is cancelled: the row stays, the code may be used again."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("coupon"))
    promotion = models.ForeignKey(
        Promotion, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("promotion")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coupon_redemptions",
        verbose_name=_("customer"),
    )
    reference = models.CharField(_("order"), max_length=64)
    channel_code = models.CharField(_("channel"), max_length=40, blank=True)
    amount = models.DecimalField(_("discount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    # Copied from the coupon when redeemed: the partial unique constraint reads this row only.
    single_use = models.BooleanField(_("single use"), default=False)
    created_at = models.DateTimeField(_("redeemed"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon redemption")
        verbose_name_plural = _("coupon redemptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["coupon", "reference"], name="loyalty_redemption_coupon_reference_unique"),
            models.UniqueConstraint(
                fields=["coupon"],
                condition=Q(single_use=True, released_at__isnull=True),
                name="loyalty_redemption_single_use_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="loyalty_redemption_amount_non_negative"),
        ]
        indexes = [models.Index(fields=["reference"]), models.Index(fields=["customer", "promotion"])]

    def __str__(self) -> str:
        return f"{self.coupon_id} · {self.reference}"
