"""Wallets: gift cards (a bearer code with a balance) and store credit (a customer's balance per
currency). Each keeps an append-only ledger; a balance always equals the sum of its ledger's
amounts (``manage.py wallets_consistency`` checks it) and CHECK constraints refuse a negative
balance (or a gift card above its initial amount) even if a service were wrong.

An order is referred to by its number (``reference``), never a foreign key: loyalty sits below
orders. A gift card's code is stored normalised (upper case, no separators) and shown in full
only once, when issued; lists, logs and events show its last four characters.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from omnishop.money import currency_choices

__all__ = ["GiftCard", "GiftCardEntry", "StoreCreditAccount", "StoreCreditEntry"]

MONEY = {"max_digits": 12, "decimal_places": 2}


class GiftCard(models.Model):
    class Status(models.TextChoices):
        # A gift card's state: its own words (a card is feminine in Polish).
        ACTIVE = "active", pgettext_lazy("gift card", "Active")
        BLOCKED = "blocked", pgettext_lazy("gift card", "Blocked")
        EXPIRED = "expired", pgettext_lazy("gift card", "Expired")

    class Issued(models.TextChoices):
        SOLD = "sold", _("Sold")
        AGENT = "agent", _("Issued by an agent")

    code = models.CharField(_("code"), max_length=32, unique=True, editable=False)
    last4 = models.CharField(_("last 4"), max_length=4, db_index=True, editable=False)
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices(), default="PLN")
    initial_amount = models.DecimalField(_("initial amount"), **MONEY)
    balance = models.DecimalField(_("balance"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    issued = models.CharField(_("issued how"), max_length=10, choices=Issued.choices)
    # The order number of a sold card; empty for an agent's issue.
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gift_cards",
        verbose_name=_("owner"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    expiry_notice_sent_at = models.DateTimeField(_("expiry notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        ordering = ["-created_at", "-id"]
        permissions = [("issue_gift_card", _("Can issue and block gift cards"))]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_giftcard_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(balance__lte=F("initial_amount")), name="loyalty_giftcard_balance_within_initial"
            ),
            models.CheckConstraint(condition=Q(initial_amount__gt=0), name="loyalty_giftcard_initial_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "blocked", "expired"]), name="loyalty_giftcard_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"•••• {self.last4}"


class WalletEntryBase(models.Model):
    """What both ledgers record: a signed amount, the balance after it, and who and why."""

    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    # The order number (or return / till receipt number) the entry is about.
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    channel_code = models.CharField(_("channel"), max_length=50, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True


class GiftCardEntry(WalletEntryBase):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issue")
        SPEND = "spend", _("Spend")
        REFUND = "refund", _("Refund")
        EXPIRE = "expire", _("Expiry")
        ADJUST = "adjust", _("Adjustment")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries", verbose_name=_("gift card"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("gift card entry")
        verbose_name_plural = _("gift card ledger")
        ordering = ["card_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="loyalty_giftcardentry_after_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=["issue", "spend", "refund", "expire", "adjust"]),
                name="loyalty_giftcardentry_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} (gift card {self.card_id})"


class StoreCreditAccount(models.Model):
    """A customer's store credit in one currency (one account per customer and currency)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="store_credit_accounts", verbose_name=_("customer")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices(), default="PLN")
    balance = models.DecimalField(_("balance"), default=0, **MONEY)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("store credit account")
        verbose_name_plural = _("store credit accounts")
        ordering = ["customer_id", "currency"]
        permissions = [("grant_store_credit", _("Can grant store credit"))]
        constraints = [
            models.UniqueConstraint(fields=["customer", "currency"], name="loyalty_storecredit_one_per_currency"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_storecredit_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.balance} {self.currency} (customer {self.customer_id})"


class StoreCreditEntry(WalletEntryBase):
    class Kind(models.TextChoices):
        GRANT = "grant", _("Grant")
        SPEND = "spend", _("Spend")
        REFUND = "refund", _("Refund")
        EXPIRE = "expire", _("Expiry")
        ADJUST = "adjust", _("Adjustment")

    class Source(models.TextChoices):
        REFUND = "refund", _("Refund of a purchase")
        AGENT = "agent", _("Agent (goodwill)")
        ORDER = "order", _("Order")

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.AGENT)

    class Meta:
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit ledger")
        ordering = ["account_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="loyalty_storecreditentry_after_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["grant", "spend", "refund", "expire", "adjust"]),
                name="loyalty_storecreditentry_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["refund", "agent", "order"]), name="loyalty_storecreditentry_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} (account {self.account_id})"
