from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loyalty.selectors.wallets import store_credit_balance
from loyalty.services.store_credit import store_credit_grant

from .wallet_helpers import card, customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, django_user_model):
    user = django_user_model.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Customer service agent"))
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="loyalty", codename__in=["view_storecreditaccount"])
    )
    client.force_login(user)
    return user


def _section(response):
    return next(s["context"] for s in response.context["card_sections"] if s["section"].name == "wallets")


def test_card_shows_credit_entries_and_owned_gift_cards_last4_only(client, agent):
    anna = customer()
    store_credit_grant(customer=anna, amount=Decimal("40.00"), currency="PLN", reason="Return R-9", reference="R-9")
    gift, _code = card("60.00", customer=anna)
    response = client.get(reverse("admin:customers_customer_change", args=[anna.pk]))
    section = _section(response)
    assert [a.balance for a in section["accounts"]] == [Decimal("40.00")]
    assert section["gift_cards"] == [gift] and not section["can_grant"] and not section["can_issue_gift_card"]
    assert f"•••• {gift.last4}" in response.text and gift.code not in response.text and "R-9" in response.text


def test_grant_from_the_card_needs_the_permission_and_a_reason(client, agent):
    anna = customer()
    url = reverse("admin:customers_customer_card_action", args=[anna.pk, "wallets", "grant"])
    client.post(url, {"amount": "20.00", "reason": "Goodwill"})
    assert store_credit_balance(customer=anna, currency="PLN") == 0
    agent.user_permissions.add(Permission.objects.get(codename="grant_store_credit"))
    client.post(url, {"amount": "20.00", "reason": " "})
    assert store_credit_balance(customer=anna, currency="PLN") == 0
    client.post(url, {"amount": "20,00", "reason": "Goodwill"})
    assert store_credit_balance(customer=anna, currency="PLN") == Decimal("20.00")
    agent.user_permissions.add(Permission.objects.get(codename="issue_gift_card"))
    response = client.get(reverse("admin:customers_customer_change", args=[anna.pk]))
    assert _section(response)["can_grant"] and f"/add/?customer={anna.pk}" in response.text


def test_card_section_query_count_does_not_grow_with_history(client, agent):
    anna = customer()

    def grow(n):
        for _ in range(n):
            store_credit_grant(customer=anna, amount=Decimal("1.00"), currency="PLN", reason="x")
            card("5.00", customer=anna)

    url = reverse("admin:customers_customer_change", args=[anna.pk])
    grow(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    grow(20)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
