"""Customers: the person behind orders in every channel (extended by the customers issue)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from omnishop.vocabulary import NotificationChannel


class Customer(models.Model):
    """One person across channels; may have a login (web/app) or be known only by contact."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        verbose_name=_("login"),
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    # What the customer is told in, and how (without an e-mail they get SMS whatever they chose).
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    notification_channel = models.CharField(
        _("notifications by"),
        max_length=10,
        choices=NotificationChannel.choices,
        default=NotificationChannel.EMAIL,
        help_text=_("Without an e-mail address the customer gets SMS; push without a device falls back to e-mail."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set when the customer's personal data was erased (GDPR, customer_erase): the record and its
    # orders stay, for accounting, with nothing that names the person.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "id"]
        permissions = [
            ("merge_customer", _("Can merge duplicate customers")),
            ("export_customer", _("Can export a customer's personal data")),
            ("erase_customer", _("Can erase a customer's personal data")),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="customers_customer_email_ci_unique",
            ),
        ]
        indexes = [models.Index(fields=["phone"])]
        constraints += [
            models.CheckConstraint(condition=models.Q(language__in=["pl", "en"]), name="customers_language_valid"),
            models.CheckConstraint(
                condition=models.Q(notification_channel__in=["email", "sms", "push"]),
                name="customers_notification_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.phone or f"#{self.pk}"


class CustomerIdentity(models.Model):
    """How a channel knows a customer: an e-mail, a phone (E.164), a loyalty card, a marketplace's
    buyer id or an app installation. One identity belongs to one customer; marketplace buyer ids
    (and app installations) are scoped by their channel, the others are global."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        LOYALTY_CARD = "loyalty_card", _("Loyalty card")
        MARKETPLACE_BUYER = "marketplace_buyer", _("Marketplace buyer")
        APP_INSTALL = "app_install", _("App installation")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=200)
    channel = models.ForeignKey(
        "catalog.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel"),
        help_text=_("The channel the value belongs to (a marketplace's buyer id); empty for global ones."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        ordering = ["customer_id", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"], condition=Q(channel__isnull=True), name="customers_identity_unique_global"
            ),
            models.UniqueConstraint(
                fields=["kind", "channel", "value"],
                condition=Q(channel__isnull=False),
                name="customers_identity_unique_in_channel",
            ),
            # A marketplace's buyer id means nothing outside its marketplace.
            models.CheckConstraint(
                condition=~Q(kind="marketplace_buyer") | Q(channel__isnull=False),
                name="customers_identity_buyer_has_channel",
            ),
            models.CheckConstraint(condition=~Q(value=""), name="customers_identity_value_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} of customer {self.customer_id}"


class Company(models.Model):
    """A B2B account: its member customers see the company's orders; sales reps order for it."""

    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("tax ID (NIP)"), max_length=20, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    members = models.ManyToManyField(
        Customer, through="CompanyMembership", related_name="companies", verbose_name=_("members")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CompanyMembership(models.Model):
    class Role(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        ADMIN = "admin", _("Company administrator")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="company_memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.BUYER)

    class Meta:
        verbose_name = _("company member")
        verbose_name_plural = _("company members")
        constraints = [models.UniqueConstraint(fields=["company", "customer"], name="customers_membership_unique")]

    def __str__(self) -> str:
        return f"{self.customer} @ {self.company}"


class ConsentPurpose(models.TextChoices):
    """What a customer may agree to, each on its own (RODO: consent is specific and revocable)."""

    MARKETING_EMAIL = "marketing_email", _("Marketing e-mails")
    MARKETING_SMS = "marketing_sms", _("Marketing SMS")
    MARKETING_PUSH = "marketing_push", _("Marketing push messages")
    PERSONALISATION = "personalisation", _("Personalised offers")
    PROFILING = "profiling", _("Profiling")


class Consent(models.Model):
    """A customer's current answer for one purpose; how it came to be is in ``ConsentEvent``.
    No row means never asked: not given."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", verbose_name=_("customer")
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("given"))
    text_version = models.CharField(_("text version"), max_length=40)
    updated_at = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["customer_id", "purpose"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "purpose"], name="customers_consent_one_per_purpose"),
            models.CheckConstraint(
                condition=Q(purpose__in=ConsentPurpose.values), name="customers_consent_purpose_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {'+' if self.granted else '-'} (customer {self.customer_id})"


class ConsentEvent(models.Model):
    """Append-only history: every time a consent was given or withdrawn, where, and which text
    the customer was shown."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consent_events", verbose_name=_("customer")
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("given"))
    text_version = models.CharField(_("text version"), max_length=40)
    channel = models.ForeignKey(
        "catalog.Channel", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("channel")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent history")
        ordering = ["customer_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {'+' if self.granted else '-'} at {self.created_at:%Y-%m-%d}"


class CustomerNote(models.Model):
    """What an agent or store employee wrote down about a customer; pinned notes come first."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes", verbose_name=_("customer"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("note"), max_length=2000)
    pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-pinned", "-created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="customers_note_not_empty")]

    def __str__(self) -> str:
        return self.text[:50]


class CustomerAddress(models.Model):
    """A delivery address the customer keeps in their account (web shop and app), written
    through ``customer_address_add`` / ``customer_address_delete``."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("customer")
    )
    label = models.CharField(_("label"), max_length=40, blank=True, help_text=_("e.g. Home, Work."))
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=12)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="PL")
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["customer_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(street="") & ~Q(city=""), name="customers_address_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class CustomerMerge(models.Model):
    """The audit record of a merge: the duplicate whose orders, carts, identities, consents and
    notes moved to the customer that stays, who merged them and what moved."""

    survivor = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="merges_in", verbose_name=_("customer kept")
    )
    merged = models.OneToOneField(
        Customer, on_delete=models.PROTECT, related_name="merged_into_record", verbose_name=_("duplicate merged")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged by"),
    )
    moved = models.JSONField(_("moved"), default=dict, help_text=_("How many rows of each kind moved."))
    created_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(survivor=models.F("merged")), name="customers_merge_two_customers"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class CustomerDataAccess(models.Model):
    """Who saw or took a customer's personal data, and when: every opening of the customer's card
    in admin, every export and the erasure. Read by the data-protection role; never edited."""

    class Kind(models.TextChoices):
        VIEWED = "viewed", _("Card viewed")
        EXPORTED = "exported", _("Data exported")
        ERASED = "erased", _("Data erased")
        LISTED = "listed", _("In a list export")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="data_accesses", verbose_name=_("customer")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("The staff member, or the customer's own login for an export they took themselves."),
    )
    kind = models.CharField(_("what"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("access to personal data")
        verbose_name_plural = _("accesses to personal data")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} customer {self.customer_id} by {self.user_id}"
