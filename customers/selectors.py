"""Customer reads."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from omnishop.phone import phone_e164

from .models import Company, CompanyMembership, Customer, CustomerIdentity


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
    # One row per customer however many identities or orders matched.
    ids = Customer.objects.filter(condition).values("pk")
    return Customer.objects.filter(pk__in=ids)
