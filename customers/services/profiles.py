"""Customer writes. A customer's e-mail is unique regardless of case, so it is stored lower-cased."""

from collections.abc import Sequence
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from omnishop.phone import phone_e164
from omnishop.vocabulary import NotificationChannel

from ..models import Customer, CustomerIdentity


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _phone(phone: str) -> str:
    """Stored in E.164, whatever way it was typed; an invalid number is a ``phone`` field error."""
    if not (phone or "").strip():
        return ""
    try:
        return phone_e164(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None


def customer_create(
    *,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    city: str = "",
    language: str = "pl",
    notification_channel: str = NotificationChannel.EMAIL,
    user=None,
) -> Customer:
    """Create one customer, validated, optionally linked to an existing login.

    The e-mail is stored lower-cased; ``full_clean`` checks it against the case-insensitive
    unique constraint, so a taken e-mail raises ``ValidationError`` instead of an IntegrityError.
    """
    customer = Customer(
        user=user,
        email=_normalize_email(email),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=_phone(phone),
        city=city.strip(),
        language=language,
        notification_channel=notification_channel,
    )
    customer.full_clean()
    customer.save()
    return customer


def customer_notification_preferences_set(
    *, customer: Customer, language: str | None = None, notification_channel: str | None = None, actor=None
) -> Customer:
    """The language the customer is told in and the channel they prefer (e-mail, SMS, push);
    ``None`` leaves one as it is. Raises ``ValidationError`` for a value not offered."""
    if language is not None:
        customer.language = language
    if notification_channel is not None:
        customer.notification_channel = notification_channel
    customer.clean_fields(
        exclude=[f.name for f in Customer._meta.fields if f.name not in ("language", "notification_channel")]
    )
    with transaction.atomic():
        customer.save(update_fields=["language", "notification_channel"])
    return customer


@dataclass(frozen=True)
class CustomerRow:
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    city: str = ""
    with_login: bool = False


def customers_bulk_create(*, rows: Sequence[CustomerRow], password_hash: str | None = None) -> dict[str, int]:
    """Create the customers (and, for ``with_login`` rows, their logins) whose e-mail is not taken yet.

    For imports and demo data: keyed by e-mail, case-insensitively, so running the same rows again
    creates nothing. Existing customers are left untouched. A login whose e-mail already exists and
    belongs to no customer is linked instead of duplicated. ``password_hash`` is an already hashed
    password (``make_password``), shared by the new logins; without it they get an unusable password.
    All in one transaction. Rows are validated field by field; the unique constraints are checked
    in bulk. Raises ``ValidationError`` (row number included) for a row without a valid e-mail.
    Returns counts: created, existing, logins_created, logins_linked.
    """
    User = get_user_model()
    wanted: dict[str, tuple[int, CustomerRow]] = {}  # e-mail -> (row number, row); the first row wins
    for number, row in enumerate(rows, start=1):
        email = _normalize_email(row.email)
        if not email:
            raise ValidationError(_("Row %(number)d: an e-mail address is required.") % {"number": number})
        wanted.setdefault(email, (number, row))
    counts = {"created": 0, "existing": 0, "logins_created": 0, "logins_linked": 0}
    if not wanted:
        return counts

    with transaction.atomic():
        taken = set(
            Customer.objects.annotate(email_ci=Lower("email"))
            .filter(email_ci__in=list(wanted))
            .values_list("email_ci", flat=True)
        )
        counts["existing"] = len(taken)
        new = {email: numbered for email, numbered in wanted.items() if email not in taken}
        customers: dict[str, Customer] = {}
        for email, (number, row) in new.items():
            try:
                customer = Customer(
                    email=email,
                    first_name=row.first_name.strip(),
                    last_name=row.last_name.strip(),
                    phone=_phone(row.phone),
                    city=row.city.strip(),
                )
                customer.clean_fields(exclude=["user"])
            except ValidationError as exc:
                raise ValidationError({f"row {number}": exc.messages}) from None
            customers[email] = customer

        login_emails = [email for email, (_number, row) in new.items() if row.with_login]
        if login_emails:
            # e-mail -> (user id, id of the customer already using that login or None)
            known = {
                email: (user_id, customer_id)
                for email, user_id, customer_id in User.objects.annotate(email_ci=Lower("email"))
                .filter(email_ci__in=login_emails)
                .values_list("email_ci", "id", "customer")
            }
            to_create = []
            for email in login_emails:
                if email in known:
                    user_id, customer_id = known[email]
                    if customer_id is None:
                        customers[email].user_id = user_id
                        counts["logins_linked"] += 1
                    continue
                _number, row = new[email]
                user = User(
                    email=email,
                    first_name=row.first_name.strip()[:150],
                    last_name=row.last_name.strip()[:150],
                    # One hash shared by all new logins: hashing per user would take minutes.
                    password=password_hash or make_password(None),
                )
                user.clean_fields(exclude=["password"])
                to_create.append(user)
            User.objects.bulk_create(to_create, batch_size=500)
            counts["logins_created"] = len(to_create)
            # Read the new ids back by e-mail: works whether or not the backend returns them from a bulk insert.
            for email, user_id in (
                User.objects.annotate(email_ci=Lower("email"))
                .filter(email_ci__in=[user.email for user in to_create])
                .values_list("email_ci", "id")
            ):
                customers[email].user_id = user_id

        Customer.objects.bulk_create(customers.values(), batch_size=500)
        counts["created"] = len(customers)
    return counts


def customer_for_user_ensure(*, user) -> Customer:
    """The customer behind a login, created on first use (first order, first cart).

    A person known before they signed up (an order by phone, a purchase in a store) already is a
    customer, with their e-mail and no login: a login whose e-mail is verified joins that customer
    instead of failing on the taken e-mail (an unverified one could claim anyone's orders).
    Two devices of one person may get here at once: the unique login link decides, and the
    loser returns the winner's row.
    """
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    email = _normalize_email(user.email)
    verified = bool(email) and EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()
    # Conditional on no login yet: of two logins racing for one customer, one gets it.
    if verified and Customer.objects.filter(email__iexact=email, user__isnull=True).update(user=user):
        return Customer.objects.get(user=user)
    try:
        with transaction.atomic():
            return customer_create(
                user=user,
                email=user.email,
                first_name=getattr(user, "first_name", ""),
                last_name=getattr(user, "last_name", ""),
            )
    except (IntegrityError, ValidationError):
        existing = Customer.objects.filter(user=user).first()
        if existing is None:
            raise
        return existing


def _identity_value(kind: str, value: str) -> str:
    """An identity's value as stored: e-mails lower-cased, phones in E.164, the rest trimmed."""
    value = (value or "").strip()
    if kind == CustomerIdentity.Kind.EMAIL:
        return _normalize_email(value)
    if kind == CustomerIdentity.Kind.PHONE:
        return _phone(value)
    return value


def customer_identity_add(*, customer: Customer, kind: str, value: str, channel=None) -> CustomerIdentity:
    """Record that ``customer`` is known by ``value`` (of ``kind``, in ``channel`` for values that
    only mean something there, like a marketplace's buyer id). The database keeps one customer per
    identity; a value already someone's raises ``IntegrityError``."""
    identity = CustomerIdentity(customer=customer, kind=kind, value=_identity_value(kind, value), channel=channel)
    identity.full_clean(validate_unique=False, validate_constraints=False)
    identity.save()
    return identity


@dataclass(frozen=True)
class MarketplaceBuyer:
    """A buyer as a marketplace sends them: its own id for them, and their contact details."""

    buyer_id: str
    name: str = ""
    email: str = ""
    phone: str = ""


def _identity_customer(*, channel, buyer_id: str) -> Customer | None:
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=CustomerIdentity.Kind.MARKETPLACE_BUYER, channel=channel, value=buyer_id.strip())
        .first()
    )
    return identity.customer if identity is not None else None


def customer_for_marketplace_buyer(*, channel, buyer: MarketplaceBuyer) -> Customer:
    """The customer behind a marketplace's buyer: the one their buyer id in ``channel`` names, else
    a new customer with that identity (first and last name from ``name``, the phone in E.164, the
    e-mail unless another customer has it: merging people is customer service's call, never an
    import's). Two imports for one new buyer at once make one customer: the identity's unique
    constraint decides and the loser returns the winner's. Raises ``ValidationError`` (``phone``,
    ``email``) for contact details that are not valid."""
    known = _identity_customer(channel=channel, buyer_id=buyer.buyer_id)
    if known is not None:
        return known
    email = _normalize_email(buyer.email)
    if email and Customer.objects.filter(email__iexact=email).exists():
        email = ""
    first_name, _sep, last_name = buyer.name.strip().partition(" ")
    try:
        with transaction.atomic():
            customer = customer_create(
                email=email, first_name=first_name[:100], last_name=last_name.strip()[:100], phone=buyer.phone
            )
            customer_identity_add(
                customer=customer, kind=CustomerIdentity.Kind.MARKETPLACE_BUYER, value=buyer.buyer_id, channel=channel
            )
            return customer
    except (IntegrityError, ValidationError):
        # Another import of this buyer won (its customer took the e-mail or the identity first).
        known = _identity_customer(channel=channel, buyer_id=buyer.buyer_id)
        if known is None:
            raise
        return known


PROFILE_FIELDS = ("first_name", "last_name", "phone")


def customer_profile_update(*, customer: Customer, changes: dict, actor=None) -> Customer:
    """The customer's name and phone as they edit them in their account; the phone is stored in
    E.164 whatever way it was typed (an empty one removes it). Only ``PROFILE_FIELDS`` change.
    Raises ``ValidationError`` keyed by field."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    values = {name: str(value).strip() for name, value in changes.items()}
    if "phone" in values:
        values["phone"] = _phone(values["phone"])
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.clean_fields(exclude=[f.name for f in Customer._meta.fields if f.name not in values])
        if values:
            locked.save(update_fields=list(values))
    return locked


# What a channel may name a customer by (a till: the loyalty card scanned, a phone or an e-mail given).
IDENTIFIER_KINDS = (CustomerIdentity.Kind.LOYALTY_CARD, CustomerIdentity.Kind.PHONE, CustomerIdentity.Kind.EMAIL)


def customer_for_identifier(*, kind: str, value: str) -> Customer | None:
    """The customer a loyalty card number, a phone or an e-mail names, or None.

    Their global identity of that ``kind`` decides first; else, for a phone or an e-mail, the one
    customer with it on their record, who then gets it as an identity (so the next lookup is
    the identity's, and the 360 card lists it). A phone on several records names nobody: merging
    people is customer service's call. Merged-away and erased customers are never named.
    Raises ``ValidationError`` (``kind``, ``phone``) for an unknown kind or a phone that is not one."""
    if kind not in IDENTIFIER_KINDS:
        raise ValidationError({"kind": [_("Name a customer by loyalty card, phone or e-mail.")]})
    value = _identity_value(kind, value)
    if not value:
        return None
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=kind, value=value, channel__isnull=True)
        .filter(customer__merged_into_record__isnull=True, customer__erased_at__isnull=True)
        .first()
    )
    if identity is not None:
        return identity.customer
    if kind == CustomerIdentity.Kind.LOYALTY_CARD:
        return None
    field = Q(email__iexact=value) if kind == CustomerIdentity.Kind.EMAIL else Q(phone=value)
    live = Q(merged_into_record__isnull=True, erased_at__isnull=True)
    found = list(Customer.objects.filter(field, live).order_by("pk")[:2])
    if len(found) != 1:
        return None
    customer = found[0]
    try:
        with transaction.atomic():
            customer_identity_add(customer=customer, kind=kind, value=value)
    except IntegrityError:
        pass  # someone else's identity (an old record), or added at the same moment: the record still names them
    return customer
