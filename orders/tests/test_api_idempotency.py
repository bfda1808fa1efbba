"""An Idempotency-Key is unique per channel: its first caller in the channel takes it; a retry by
that caller gets its first order back, another caller of the channel a 409 naming no order, and
the same key in another channel is another key."""

import pytest

from omnishop.accounts.models import User
from omnishop.apikeys.services import apikey_create
from orders.models import Order
from orders.tests.conftest import stock

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}


def body(shop, quantity=1, **extra):
    return {
        "lines": [{"sku": shop["variants"][0].sku, "quantity": quantity}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
    } | extra


def sign_in(api_client, email):
    user = User.objects.create_user(email=email, password="x-pass-123")
    api_client.force_authenticate(user)
    return user


def test_another_customer_with_the_same_key_gets_a_409_that_names_no_order(api_client, shop):
    stock(shop["variants"][0], shop["warehouse"], 5)
    sign_in(api_client, "a@example.pl")
    first = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    assert first.status_code == 201
    number = first.json()["number"]

    sign_in(api_client, "b@example.pl")
    for payload in (body(shop), body(shop, quantity=2)):
        response = api_client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
        assert response.status_code == 409, response.json()
        assert response.json()["type"] == "idempotency_conflict"
        assert number not in response.content.decode()
    assert api_client.get(URL).json()["results"] == []
    assert Order.objects.count() == 1


def test_the_own_retry_still_replays_and_the_own_different_body_is_a_409(api_client, shop):
    stock(shop["variants"][0], shop["warehouse"], 5)
    sign_in(api_client, "a@example.pl")
    first = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    other = api_client.post(URL, body(shop, quantity=2), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 409 and first.json()["number"] not in other.content.decode()


def test_a_key_of_a_channel_api_key_is_not_replayed_to_another_api_key(api_client, shop):
    from catalog.services import listing_publish
    from catalog.tests.factories import ChannelFactory

    allegro = ChannelFactory(code="allegro", kind="marketplace", api_key_required=True)
    listing_publish(product=shop["variants"][0].product, channel=allegro)
    stock(shop["variants"][0], shop["warehouse"], 5)
    _row, mine = apikey_create(channel=allegro, name="Integration A", scopes=["orders:write"])
    _row, theirs = apikey_create(channel=allegro, name="Integration B", scopes=["orders:write"])
    payload = body(shop, contact={"email": "kupujacy@allegro.example"})
    first = api_client.post(
        URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="ext-1", HTTP_AUTHORIZATION=f"Api-Key {mine}"
    )
    assert first.status_code == 201
    other = api_client.post(
        URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="ext-1", HTTP_AUTHORIZATION=f"Api-Key {theirs}"
    )
    assert other.status_code == 409 and first.json()["number"] not in other.content.decode()


def test_the_same_key_in_two_channels_places_two_orders(api_client, shop):
    stock(shop["variants"][0], shop["warehouse"], 5)
    sign_in(api_client, "a@example.pl")
    web = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    app = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k-1", HTTP_X_CHANNEL="app")
    assert (web.status_code, app.status_code) == (201, 201)
    assert (web.json()["channel"], app.json()["channel"]) == ("web", "app")
    assert web.json()["number"] != app.json()["number"]
    # Each channel's retry gets that channel's order.
    again = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k-1", HTTP_X_CHANNEL="app")
    assert again.status_code == 200 and again.json()["number"] == app.json()["number"]
    # Another caller is refused in both channels: the key is taken in each.
    sign_in(api_client, "b@example.pl")
    for channel in ("web", "app"):
        other = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k-1", HTTP_X_CHANNEL=channel)
        assert other.status_code == 409 and other.json()["type"] == "idempotency_conflict"
    assert Order.objects.count() == 2


def test_api_keys_of_two_channels_use_the_same_key_independently(api_client, shop):
    from catalog.services import listing_publish
    from catalog.tests.factories import ChannelFactory

    channels = [ChannelFactory(code=code, kind="marketplace", api_key_required=True) for code in ("allegro", "empik")]
    stock(shop["variants"][0], shop["warehouse"], 5)
    numbers = []
    for channel in channels:
        listing_publish(product=shop["variants"][0].product, channel=channel)
        _row, key = apikey_create(channel=channel, name=f"{channel.code} integration", scopes=["orders:write"])
        response = api_client.post(
            URL,
            body(shop, contact={"email": "kupujacy@example.pl"}),
            format="json",
            HTTP_IDEMPOTENCY_KEY="ext-1",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
        )
        assert response.status_code == 201, response.json()
        numbers.append(response.json()["number"])
    assert len(set(numbers)) == 2


def test_a_refused_request_leaves_its_key_unused(api_client, shop):
    sign_in(api_client, "a@example.pl")
    short = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert short.status_code == 409 and short.json()["type"] == "insufficient_stock"
    stock(shop["variants"][0], shop["warehouse"], 1)
    assert api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201


def test_the_schema_and_readme_say_the_key_is_unique_per_channel(api_client):
    from pathlib import Path

    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    header = next(p for p in schema["paths"][URL]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for text in (header["description"], " ".join(readme.split())):
        assert "unique per channel" in text
        assert "from another caller even with the same body, is a 409 idempotency_conflict" in text.replace("`", "")
        assert "In another channel the same key is another key" in text
