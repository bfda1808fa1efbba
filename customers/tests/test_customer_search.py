"""Agents find a customer by what the caller tells them: a name, an e-mail, a phone number in
whatever format it was typed, a loyalty card or an order number; namesakes stay apart."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from customers.models import Customer, CustomerIdentity
from customers.selectors import customer_search
from customers.services import customer_identity_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    anna = Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl", phone="+48601234567")
    namesake = Customer.objects.create(first_name="Anna", last_name="Nowak", email="a.nowak@example.pl", city="Kraków")
    jan = Customer.objects.create(first_name="Jan", last_name="Kowalski", email="jan@example.pl")
    customer_identity_add(customer=jan, kind=CustomerIdentity.Kind.LOYALTY_CARD, value="KL-000123")
    customer_identity_add(customer=namesake, kind=CustomerIdentity.Kind.PHONE, value="+48 512 000 111")
    return {"anna": anna, "namesake": namesake, "jan": jan}


def found(text: str) -> set[int]:
    return set(customer_search(text=text).values_list("pk", flat=True))


@pytest.mark.parametrize("typed", ["601 234 567", "601234567", "+48601234567", "0048 601-234-567", "+48 601 234 567"])
def test_a_phone_typed_in_any_format_finds_its_customer(people, typed):
    assert found(typed) == {people["anna"].pk}


def test_a_phone_identity_finds_its_customer(people):
    assert found("512000111") == {people["namesake"].pk}


def test_name_email_and_loyalty_card(people):
    assert found("anna nowak") == {people["anna"].pk, people["namesake"].pk}
    assert found("Nowak Anna") == {people["anna"].pk, people["namesake"].pk}
    assert found("A.NOWAK@example.pl") == {people["namesake"].pk}
    assert found("kl-000123") == {people["jan"].pk}
    assert found("  ") == set()
    assert found("Zenon") == set()


def test_admin_search_lists_each_customer_once_with_what_tells_namesakes_apart(client, django_user_model, people):
    customer_identity_add(customer=people["jan"], kind=CustomerIdentity.Kind.EMAIL, value="jan.k@example.pl")
    agent = django_user_model.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    agent.groups.add(Group.objects.get(name="Customer service agent"))
    client.force_login(agent)
    response = client.get(reverse("admin:customers_customer_changelist"), {"q": "Anna Nowak"})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert sorted(c.pk for c in rows) == sorted([people["anna"].pk, people["namesake"].pk])
    assert "anna@example.pl" in response.text and "a.nowak@example.pl" in response.text and "Kraków" in response.text
    response = client.get(reverse("admin:customers_customer_changelist"), {"q": "Kowalski"})
    assert [c.pk for c in response.context["cl"].result_list] == [people["jan"].pk]
