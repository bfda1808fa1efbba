"""Customer reads."""

from .models import Company, CompanyMembership, Customer


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
