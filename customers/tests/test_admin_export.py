"""The customer list's CSV export: the filtered rows, without what a list does not need."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import CustomerDataAccess
from customers.services import customer_create
from omnishop.accounts.models import User

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:customers_customer_export")


def rows(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def staff(role: str) -> User:
    user = User.objects.create_user(email=f"{role[:5].lower()}@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_the_export_follows_the_filter_and_holds_only_list_columns(client):
    login = User.objects.create_user(email="ewa@example.pl", password="x-pass-123")
    customer_create(
        email="ewa@example.pl", first_name="Ewa", last_name="Żak", phone="601 100 200", city="Łódź", user=login
    )
    customer_create(email="jan@example.pl", first_name="Jan", last_name="Nowak", city="Kraków")
    client.force_login(staff("Customer service agent"))
    only_lodz = rows(client.get(EXPORT + "?city=Łódź"))
    assert [(r["first name"], r["last name"], r["phone"]) for r in only_lodz] == [("Ewa", "Żak", "+48601100200")]
    assert set(only_lodz[0]) == {
        "customer ID",
        "first name",
        "last name",
        "e-mail",
        "phone",
        "city",
        "language",
        "notification channel",
        "created",
    }
    assert only_lodz[0]["language"] == "Polish"
    assert len(rows(client.get(EXPORT))) == 2


def test_store_staff_cannot_export_customers(client):
    customer_create(email="jan@example.pl", first_name="Jan")
    client.force_login(staff("Store staff"))
    assert client.get(EXPORT).status_code == 403


def test_the_export_query_count_does_not_grow_with_the_rows(client):
    client.force_login(staff("Customer service agent"))
    customer_create(email="c0@example.pl", first_name="A")
    with CaptureQueriesContext(connection) as few:
        assert len(rows(client.get(EXPORT))) == 1
    for i in range(1, 4):
        customer_create(email=f"c{i}@example.pl", first_name="A")
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get(EXPORT))) == 4
    assert len(many) == len(few)


def test_whose_data_left_in_a_customer_export_is_recorded(client):
    agent = staff("Customer service agent")
    ewa = customer_create(email="ewa@example.pl", first_name="Ewa", city="Łódź")
    customer_create(email="jan@example.pl", first_name="Jan", city="Kraków")
    client.force_login(agent)
    rows(client.get(EXPORT + "?city=Łódź"))
    recorded = CustomerDataAccess.objects.filter(kind=CustomerDataAccess.Kind.LISTED)
    assert list(recorded.values_list("customer_id", "user_id")) == [(ewa.pk, agent.pk)]
