"""Points' faces: the customer's own REST, the store app's read for staff, the 360° card section
and the admin goodwill form. Customer A never sees B's points."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from catalog.tests.factories import ChannelFactory
from customers.models import CustomerDataAccess
from customers.services import customer_for_user_ensure
from inventory.tests.factories import LocationFactory
from loyalty.models import LoyaltyAccount, PointsEntry
from loyalty.services.points import points_earn
from omnishop.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    ChannelFactory(code="web")
    people = {}
    for tag, points in (("a", 10), ("b", 99)):
        user = User.objects.create_user(email=f"{tag}@example.pl", password="x-pass-123")
        customer = customer_for_user_ensure(user=user)
        points_earn(customer=customer, points=points, reference=f"OS-{tag}", channel_code="web", explanation=[])
        people[tag] = {"user": user, "customer": customer}
    return people


@pytest.fixture
def agent(client):
    user = User.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Customer service agent"))
    client.force_login(user)
    return user


def test_me_loyalty_is_the_callers_own(api_client, pair):
    api_client.force_authenticate(pair["a"]["user"])
    body = api_client.get("/api/v1/me/loyalty/").json()
    assert (body["balance"], body["pending"], body["earned_12m"]) == (0, 10, 10)
    history = api_client.get("/api/v1/me/loyalty/history/").json()
    assert history["count"] == 1 and history["results"][0]["reference"] == "OS-a"


def test_history_is_paginated_in_bounded_queries(api_client, pair, django_assert_max_num_queries):
    customer = pair["a"]["customer"]
    for i in range(30):
        points_earn(customer=customer, points=1, reference=f"X-{i}", channel_code="web", explanation=[])
    api_client.force_authenticate(pair["a"]["user"])
    with django_assert_max_num_queries(8):
        body = api_client.get("/api/v1/me/loyalty/history/", {"page_size": 10}).json()
    assert body["count"] == 31 and len(body["results"]) == 10


@pytest.mark.parametrize("url", ["/api/v1/me/loyalty/", "/api/v1/me/loyalty/history/"])
def test_nothing_without_signing_in(api_client, pair, url):
    assert api_client.get(url).status_code in (401, 403)


def test_store_staff_read_a_customers_points_and_others_may_not(api_client, pair):
    url = f"/api/v1/store/customers/{pair['b']['customer'].pk}/loyalty/"
    api_client.force_authenticate(pair["a"]["user"])
    assert api_client.get(url).status_code == 403
    staff = User.objects.create_user(email="staff@example.pl", password="x-pass-123", is_staff=True)
    staff.groups.add(Group.objects.get(name="Store staff"))
    LocationFactory(code="krk").staff.add(staff)
    api_client.force_authenticate(staff)
    response = api_client.get(url)
    assert response.status_code == 200 and response.json()["pending"] == 99
    assert CustomerDataAccess.objects.filter(customer=pair["b"]["customer"], user=staff).exists()
    assert api_client.get("/api/v1/store/customers/999999/loyalty/").status_code == 404


def card_url(customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def test_card_shows_points_in_a_fixed_number_of_queries(client, agent, pair, django_assert_max_num_queries):
    customer = pair["a"]["customer"]
    client.get(card_url(customer))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        response = client.get(card_url(customer))
    assert "Points and tier" in response.content.decode()
    for i in range(25):
        points_earn(customer=customer, points=1, reference=f"X-{i}", channel_code="web", explanation=[])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(card_url(customer))


def test_agent_grants_goodwill_points_from_the_card_with_a_reason(client, agent, pair):
    customer = pair["a"]["customer"]
    action = reverse("admin:customers_customer_card_action", args=[customer.pk, "points", "grant"])
    client.post(action, {"points": "50", "reason": ""}, follow=True)
    assert not PointsEntry.objects.filter(kind="bonus").exists()
    client.post(action, {"points": "50", "reason": "Late parcel"}, follow=True)
    entry = PointsEntry.objects.get(kind="bonus")
    assert (entry.points, entry.reason, entry.actor) == (50, "Late parcel", agent)
    assert LoyaltyAccount.objects.get(customer=customer).balance == 50


def test_admin_goodwill_form_records_and_audits(client, agent, pair):
    from django.contrib.admin.models import LogEntry

    account = LoyaltyAccount.objects.get(customer=pair["b"]["customer"])
    url = reverse("admin:loyalty_points_grant", args=[account.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"points": "-5", "reason": "Mistake"})
    assert response.status_code == 200  # refused: nothing spendable yet, the form shows why
    client.post(url, {"points": "7", "reason": "Apology"})
    account.refresh_from_db()
    assert account.balance == 7
    assert LogEntry.objects.filter(object_id=str(account.pk), change_message__contains="Apology").exists()


def test_admin_goodwill_form_needs_the_permission(client, pair):
    clerk = User.objects.create_user(email="clerk@example.pl", password="x-pass-123", is_staff=True)
    client.force_login(clerk)
    account = LoyaltyAccount.objects.get(customer=pair["b"]["customer"])
    assert client.get(reverse("admin:loyalty_points_grant", args=[account.pk])).status_code == 403
