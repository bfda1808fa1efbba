"""Customer reads."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Window

from omnishop.phone import phone_e164

from .models import (
    Company,
    CompanyMembership,
    Consent,
    ConsentPurpose,
    Customer,
    CustomerAddress,
    CustomerIdentity,
    CustomerNote,
)


def customer_for_user(*, user) -> Customer | None:
    """The customer record behind a login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Customer.objects.filter(user=user).first()


def customer_get(*, pk: int) -> Customer | None:
    """The customer with this id, or None."""
    return Customer.objects.filter(pk=pk).first()


def company_get(*, pk: int) -> Company | None:
    """The B2B company with this id, or None."""
    return Company.objects.filter(pk=pk).first()


def company_has_member(*, company: Company, customer: Customer) -> bool:
    """``customer`` belongs to ``company`` (orders for the company may name them)."""
    return CompanyMembership.objects.filter(company=company, customer=customer).exists()


def customer_search(*, text: str) -> QuerySet[Customer]:
    """Customers an agent may mean by ``text``: a name (each word in the first or last name), an
    e-mail, a phone typed in any format (``601 234 567``, ``+48601234567``, ``0048 601-234-567``),
    a loyalty card or other identity, or the number of one of their orders."""
    text = " ".join(str(text or "").split())
    if not text:
        return Customer.objects.none()
    words = Q()
    for word in text.split(" "):
        words &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    condition = (
        words
        | Q(email__iexact=text)
        | Q(email__icontains=text)
        | Q(identities__value__iexact=text)
        | Q(orders__number__iexact=text)
    )
    try:
        phone = phone_e164(text)
    except ValidationError:
        phone = ""
    if phone:
        condition |= Q(phone=phone) | Q(identities__kind=CustomerIdentity.Kind.PHONE, identities__value=phone)
    # One row per customer however many identities or orders matched; merged duplicates are gone.
    ids = Customer.objects.filter(condition).values("pk")
    return Customer.objects.filter(pk__in=ids, merged_into_record__isnull=True)


def customer_consents(*, customer: Customer) -> list[dict]:
    """Every consent purpose with the customer's current answer (never asked: not given)."""
    current = {c.purpose: c for c in Consent.objects.filter(customer=customer)}
    return [
        {
            "purpose": purpose,
            "label": label,
            "granted": bool(current.get(purpose) and current[purpose].granted),
            "text_version": current[purpose].text_version if purpose in current else "",
            "updated_at": current[purpose].updated_at if purpose in current else None,
        }
        for purpose, label in ConsentPurpose.choices
    ]


def consent_given(*, customer_id: int | None, purpose: str) -> bool:
    """``customer_id`` agreed to ``purpose`` (a guest, with no customer record, never did)."""
    if customer_id is None:
        return False
    return Consent.objects.filter(customer_id=customer_id, purpose=purpose, granted=True).exists()


def customer_duplicates(*, customer: Customer, limit: int = 10) -> QuerySet[Customer]:
    """Other customers who are likely the same person: the same phone, the same e-mail (also as
    an identity), or the same first and last name in the same city (the profile keeps a city, no
    postal code)."""
    condition = Q()
    if customer.phone:
        condition |= Q(phone=customer.phone) | Q(
            identities__kind=CustomerIdentity.Kind.PHONE, identities__value=customer.phone
        )
    if customer.email:
        condition |= Q(email__iexact=customer.email) | Q(
            identities__kind=CustomerIdentity.Kind.EMAIL, identities__value=customer.email.lower()
        )
    if customer.first_name and customer.last_name and customer.city:
        condition |= Q(
            first_name__iexact=customer.first_name, last_name__iexact=customer.last_name, city__iexact=customer.city
        )
    if not condition:
        return Customer.objects.none()
    ids = Customer.objects.filter(condition).exclude(pk=customer.pk).values("pk")
    return Customer.objects.filter(pk__in=ids, merged_into_record__isnull=True).order_by("pk")[:limit]


def customer_identities(*, customer: Customer) -> list[CustomerIdentity]:
    """The customer's identities with their channels, by kind."""
    return list(CustomerIdentity.objects.filter(customer=customer).select_related("channel").order_by("kind", "id"))


def customer_notes_for_card(*, customer: Customer, limit: int | None = 10) -> tuple[list[CustomerNote], int]:
    """The customer's notes, pinned first then newest, with their authors (at most ``limit``;
    None: all), and how many there are: one query."""
    notes = (
        CustomerNote.objects.filter(customer=customer)
        .select_related("author")
        .annotate(total=Window(Count("id")))
        .order_by("-pinned", "-created_at", "-id")
    )
    rows = list(notes[:limit] if limit is not None else notes)
    return rows, (rows[0].total if rows else 0)


def customer_identities_list(*, customer: Customer) -> QuerySet[CustomerIdentity]:
    """The customer's identities (e-mail, phone, loyalty card, ...) with their channel, oldest first."""
    return CustomerIdentity.objects.filter(customer=customer).select_related("channel").order_by("kind", "id")


def customer_addresses_list(*, customer: Customer) -> QuerySet[CustomerAddress]:
    """The customer's own delivery addresses, in the order they were added."""
    return CustomerAddress.objects.filter(customer=customer).order_by("id")


def email_masked(email: str) -> str:
    """Enough of an e-mail to confirm it with the customer at the till: ``e***@example.pl``."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return ""
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class StoreCustomer:
    """What a store sees of a customer it looks up: enough to greet them and use their card."""

    id: int
    name: str
    email_masked: str
    loyalty_card: str


STORE_LOOKUP_LIMIT = 5


def customer_find_for_store(*, phone: str = "", card: str = "") -> list[StoreCustomer]:
    """Customers with this phone (any format, on the profile or as an identity) or this loyalty
    card; merged and erased customers are not found. At most ``STORE_LOOKUP_LIMIT``, in one query
    for the customers and one for their cards. Raises ``ValidationError`` for an invalid phone."""
    if phone:
        number = phone_e164(phone)
        condition = Q(phone=number) | Q(identities__kind=CustomerIdentity.Kind.PHONE, identities__value=number)
    else:
        condition = Q(identities__kind=CustomerIdentity.Kind.LOYALTY_CARD, identities__value=card.strip())
    ids = Customer.objects.filter(condition).values("pk")
    customers = list(
        Customer.objects.filter(pk__in=ids, merged_into_record__isnull=True, erased_at__isnull=True)
        .order_by("pk")
        .only("pk", "first_name", "last_name", "email")[:STORE_LOOKUP_LIMIT]
    )
    cards: dict[int, str] = {}
    for customer_id, value in (
        CustomerIdentity.objects.filter(customer__in=customers, kind=CustomerIdentity.Kind.LOYALTY_CARD)
        .order_by("customer_id", "id")
        .values_list("customer_id", "value")
    ):
        cards.setdefault(customer_id, value)
    return [
        StoreCustomer(
            id=c.pk,
            name=f"{c.first_name} {c.last_name}".strip(),
            email_masked=email_masked(c.email),
            loyalty_card=cards.get(c.pk, ""),
        )
        for c in customers
    ]
