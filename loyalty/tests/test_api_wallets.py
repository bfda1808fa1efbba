from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import ChannelFactory
from customers.services import customer_for_user_ensure
from loyalty.services.giftcards import giftcard_spend
from loyalty.services.store_credit import store_credit_grant, store_credit_spend
from omnishop.accounts.models import User
from omnishop.apikeys.services import apikey_create

from .wallet_helpers import card

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/gift-cards/check/"
MINE = "/api/v1/me/store-credit/"


@pytest.fixture
def pair(db):
    """Customers A and B with a login each; B has store credit."""
    people = {}
    for tag in ("a", "b"):
        user = User.objects.create_user(email=f"{tag}@example.pl", password="x-pass-123")
        people[tag] = {"user": user, "customer": customer_for_user_ensure(user=user)}
    store_credit_grant(customer=people["b"]["customer"], amount=Decimal("75.00"), currency="PLN", reason="Return")
    return people


def test_a_signed_in_customer_checks_a_card_by_post(api_client, pair):
    gift, code = card("120.00")
    api_client.force_authenticate(pair["a"]["user"])
    response = api_client.post(CHECK, {"code": code.lower(), "currency": "PLN"})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "code_last4": gift.last4,
        "balance": "120.00",
        "currency": "PLN",
        "expires_at": response.json()["expires_at"],
    }
    assert api_client.get(CHECK).status_code == 405  # codes never travel in a URL


def test_a_channel_key_checks_a_card_and_anonymous_callers_cannot(api_client):
    _gift, code = card("10.00")
    _key, plain = apikey_create(channel=ChannelFactory(code="store"), name="Till")
    assert api_client.post(CHECK, {"code": code}).status_code == 401
    response = api_client.post(CHECK, {"code": code}, HTTP_AUTHORIZATION=f"Api-Key {plain}")
    assert response.status_code == 200 and response.json()["balance"] == "10.00"


def test_a_refused_card_says_why(api_client, pair):
    _gift, code = card("10.00")
    giftcard_spend(code=code, amount=Decimal("10.00"), currency="PLN", reference="OS-1", channel_code="web")
    api_client.force_authenticate(pair["a"]["user"])
    used = api_client.post(CHECK, {"code": code})
    assert used.status_code == 400
    assert used.json()["type"] == "gift_card_invalid"
    assert used.json()["errors"] == {"gift_card": ["This gift card has been used up."]}
    other = api_client.post(CHECK, {"code": "XXXX", "currency": "EUR"})
    assert other.json()["errors"] == {"gift_card": ["Unknown gift card code."]}
    assert api_client.post(CHECK, {"code": code, "currency": "ZZZ"}).json()["type"] == "validation_error"


def test_checks_are_throttled(api_client, pair, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "gift_card_check": "3/min"},
    }
    api_client.force_authenticate(pair["a"]["user"])
    codes = [api_client.post(CHECK, {"code": "NOPE"}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_customer_a_sees_only_their_own_store_credit(api_client, pair):
    api_client.force_authenticate(pair["a"]["user"])
    mine = api_client.get(MINE).json()
    assert mine["balance"] == "0.00" and mine["count"] == 0 and mine["results"] == []
    # Nothing in the query lets A point at B's account.
    assert api_client.get(MINE, {"customer": pair["b"]["customer"].pk}).json()["balance"] == "0.00"
    api_client.force_authenticate(pair["b"]["user"])
    theirs = api_client.get(MINE).json()
    assert theirs["balance"] == "75.00" and theirs["results"][0]["kind"] == "grant"
    api_client.force_authenticate(None)
    assert api_client.get(MINE).status_code in (401, 403)


def test_history_is_paginated_newest_first_in_bounded_queries(api_client, pair):
    from django.db import connection

    b = pair["b"]["customer"]
    for i in range(5):
        store_credit_spend(customer=b, amount=Decimal("1.00"), currency="PLN", reference=f"OS-{i}", channel_code="app")
    api_client.force_authenticate(pair["b"]["user"])
    with CaptureQueriesContext(connection) as few:
        page = api_client.get(MINE, {"page_size": 2}).json()
    assert page["count"] == 6 and len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["reference"] == "OS-4" and page["balance"] == "70.00"
    for i in range(20):
        store_credit_grant(customer=b, amount=Decimal("1.00"), currency="PLN", reason="x", reference=f"R-{i}")
    with CaptureQueriesContext(connection) as many:
        api_client.get(MINE, {"page_size": 20})
    assert len(many) == len(few)
    assert api_client.get(MINE, {"currency": "EUR"}).json() == {
        "currency": "EUR",
        "balance": "0.00",
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
