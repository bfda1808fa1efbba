"""Shared helpers of the wallet tests."""

from decimal import Decimal

from customers.models import Customer
from loyalty.services.giftcards import giftcard_issue


def customer(email: str = "anna@example.pl") -> Customer:
    return Customer.objects.create(first_name="Anna", last_name="Kowalska", email=email)


def card(amount: str = "100.00", currency: str = "PLN", **kwargs):
    """An agent-issued card; returns (card, full code)."""
    kwargs.setdefault("reason", "Goodwill")
    return giftcard_issue(amount=Decimal(amount), currency=currency, actor=kwargs.pop("actor", None), **kwargs)
