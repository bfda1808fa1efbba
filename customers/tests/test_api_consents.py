"""The signed-in customer reads and changes their own consents; nobody else's, and nothing
without signing in."""

import pytest
from django.urls import reverse

from catalog.tests.factories import ChannelFactory
from customers.models import ConsentEvent, Customer
from customers.services import consent_set

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/consents/"


@pytest.fixture
def channels():
    return ChannelFactory(code="web"), ChannelFactory(code="app")


def test_every_purpose_listed_then_one_given_through_the_app(api_client, user, channels):
    api_client.force_authenticate(user)
    listed = api_client.get(URL)
    assert listed.status_code == 200
    assert {row["purpose"]: row["granted"] for row in listed.json()} == {
        "marketing_email": False,
        "marketing_sms": False,
        "marketing_push": False,
        "personalisation": False,
        "profiling": False,
    }
    response = api_client.post(
        URL,
        {"purpose": "marketing_push", "granted": True, "text_version": "2026-11"},
        format="json",
        HTTP_X_CHANNEL="app",
    )
    assert response.status_code == 200
    row = next(r for r in response.json() if r["purpose"] == "marketing_push")
    assert row["granted"] is True and row["text_version"] == "2026-11" and row["updated_at"]
    event = ConsentEvent.objects.get()
    assert (event.customer.user, event.channel.code, event.granted) == (user, "app", True)


def test_a_customer_sees_only_their_own_consents(api_client, user, django_user_model, channels):
    other = Customer.objects.create(email="inna@example.pl")
    consent_set(customer=other, purpose="profiling", granted=True, text_version="v1")
    api_client.force_authenticate(user)
    assert all(row["granted"] is False for row in api_client.get(URL).json())


def test_bad_input_is_a_field_error_and_writes_nothing(api_client, user, channels):
    api_client.force_authenticate(user)
    response = api_client.post(URL, {"purpose": "telemarketing", "granted": True}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error" and set(body["errors"]) == {"purpose", "text_version"}
    assert not ConsentEvent.objects.exists()


def test_signing_in_is_required(api_client, channels):
    assert api_client.get(URL).status_code in (401, 403)
    assert api_client.post(URL, {}, format="json").status_code in (401, 403)
    assert reverse("my-consents") == URL
