"""Points: one account per customer, its append-only ledger, the lots points are earned in (each
with its own release and expiry date), the earning rules (data, see ``loyalty.rules``) and the
tiers with their history.

The invariants the database holds: an account's balance and pending never go below zero, a lot's
remaining stays within 0..points, an entry is reversed at most once. ``points_consistency``
checks that balance and pending equal the ledger sums.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Channel

__all__ = ["EarningRule", "LoyaltyAccount", "PointsEntry", "PointsLot", "Tier", "TierChange"]


class Tier(models.Model):
    """A level of the programme, reached by points earned in the last 12 months (not by balance)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=80)
    threshold = models.PositiveIntegerField(_("points earned in 12 months"), default=0)
    multiplier = models.DecimalField(_("earning multiplier"), max_digits=5, decimal_places=2, default=1)
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["threshold", "code"]
        constraints = [
            models.UniqueConstraint(fields=["threshold"], name="loyalty_tier_threshold_unique"),
            models.CheckConstraint(condition=Q(multiplier__gte=0), name="loyalty_tier_multiplier_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class LoyaltyAccount(models.Model):
    """A customer's points, whatever the channel. ``balance``: spendable; ``pending``: earned on
    orders whose return window is still open (never spendable)."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="loyalty_account", verbose_name=_("customer")
    )
    balance = models.IntegerField(_("spendable points"), default=0)
    pending = models.IntegerField(_("pending points"), default=0)
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts", verbose_name=_("tier")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        ordering = ["-id"]
        permissions = [("grant_points", _("Can grant or take goodwill points"))]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_account_balance_not_negative"),
            models.CheckConstraint(condition=Q(pending__gte=0), name="loyalty_account_pending_not_negative"),
        ]

    def __str__(self) -> str:
        # Ids only: the account is named in lists and logs without reading its customer.
        return _("Points account %(pk)s of customer %(customer)s") % {"pk": self.pk, "customer": self.customer_id}


class PointsLot(models.Model):
    """Points earned together: pending until ``release_at``, then spendable until ``expires_at``.
    Spent soonest-expiring first."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SPENDABLE = "spendable", _("Spendable")
        EXPIRED = "expired", _("Expired")
        VOIDED = "voided", _("Voided")

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="lots")
    points = models.PositiveIntegerField(_("points"))
    remaining = models.IntegerField(_("remaining"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    release_at = models.DateTimeField(_("spendable from"))
    expires_at = models.DateTimeField(_("expires"))
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    # What was left of the lot when it expired (the part of it that never was spent).
    expired = models.PositiveIntegerField(_("expired"), default=0)
    notice_sent_at = models.DateTimeField(_("expiry notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["expires_at", "id"]
        indexes = [models.Index(fields=["state", "expires_at"]), models.Index(fields=["state", "release_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")), name="loyalty_lot_remaining_in_range"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "spendable", "expired", "voided"]), name="loyalty_lot_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} ({self.get_state_display()})"


class PointsEntry(models.Model):
    """One line of the append-only points ledger: a signed change of the balance or of the
    pending points. ``account.balance`` = sum of its balance entries, ``pending`` likewise."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        RELEASE = "release", _("Became spendable")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        REVERSE = "reverse", _("Reversed")
        ADJUST = "adjust", _("Adjusted")
        BONUS = "bonus", _("Bonus")
        MERGE = "merge", _("Merged in")

    class Affects(models.TextChoices):
        BALANCE = "balance", _("Balance")
        PENDING = "pending", _("Pending")

    class Source(models.TextChoices):
        ORDER = "order", _("Order")
        RETURN = "return", _("Return")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    affects = models.CharField(_("affects"), max_length=10, choices=Affects.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # An order number (or return reference): never a foreign key, orders sit above loyalty.
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    channel_code = models.CharField(_("channel"), max_length=50, blank=True)
    channel_kind = models.CharField(_("channel kind"), max_length=20, blank=True, choices=Channel.Kind.choices)
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    # The entry this one undoes (an order's earn or redeem, reversed once).
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal", verbose_name=_("reverses")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    # The receipt's explanation (which rule gave what), or the lots a redemption took points from.
    explanation = models.JSONField(_("explanation"), default=list, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["earn", "release", "redeem", "expire", "reverse", "adjust", "bonus", "merge"]),
                name="loyalty_entry_kind_valid",
            ),
            models.CheckConstraint(condition=Q(affects__in=["balance", "pending"]), name="loyalty_entry_affects_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d} ({self.get_affects_display()})"


class EarningRule(models.Model):
    """One earning rule, evaluated as ``loyalty.rules`` documents (phase by kind, then priority)."""

    class Kind(models.TextChoices):
        PER_AMOUNT = "per_amount", _("Points per currency unit")
        MULTIPLIER = "multiplier", _("Multiplier")
        BONUS = "bonus", _("Fixed bonus")
        EXCLUSION = "exclusion", _("Exclusion")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Rules with a lower number run first.")
    )
    stop = models.BooleanField(
        _("stop further rules"), default=False, help_text=_("Once it applies, no later rule applies to those lines.")
    )
    points_per_unit = models.DecimalField(_("points per unit"), max_digits=8, decimal_places=2, default=0)
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2, default=1)
    bonus_points = models.PositiveIntegerField(_("bonus points"), default=0)
    first_app_order = models.BooleanField(
        _("first app order only"), default=False, help_text=_("Bonus only on the customer's first app order.")
    )
    channel_kinds = ArrayField(
        models.CharField(max_length=20, choices=Channel.Kind.choices),
        blank=True,
        default=list,
        verbose_name=_("channels"),
    )
    category_ids = ArrayField(
        models.IntegerField(), blank=True, default=list, verbose_name=_("categories (ids, with descendants)")
    )
    brand_ids = ArrayField(models.IntegerField(), blank=True, default=list, verbose_name=_("brands (ids)"))
    tier_codes = ArrayField(models.CharField(max_length=30), blank=True, default=list, verbose_name=_("tiers"))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["per_amount", "multiplier", "bonus", "exclusion"]), name="loyalty_rule_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="loyalty_rule_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(points_per_unit__gte=0) & Q(multiplier__gte=0), name="loyalty_rule_values_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TierChange(models.Model):
    """History: an account moved from one tier to another (or into/out of any)."""

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    earned_12m = models.IntegerField(_("points earned in 12 months"))
    reason = models.CharField(_("why"), max_length=20)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier history")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_tier_id} → {self.to_tier_id}"
