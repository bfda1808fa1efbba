"""The store app's REST API: the queue and the console's actions under /api/v1/store/, with the
console's services, scope and error bodies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omnishop.apikeys.services import apikey_create
from orders.models import Order
from orders.tests.store_queue_orders import (
    arriving_transfer,
    parcel_order,
    pickup,
    processing_parcel,
    ready,
    store_staff,
    waiting_for_transfer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(shop):
    return store_staff("krakow@example.pl", shop["krk"])


@pytest.fixture
def app(api_client, seller):
    api_client.force_authenticate(seller)
    return api_client


def group(body, key):
    return next(g for g in body["groups"] if g["key"] == key)


def test_anonymous_callers_and_api_keys_are_refused(api_client, shop):
    response = api_client.get("/api/v1/store/queue/")
    assert response.status_code == 401 and response.json()["type"] == "not_authenticated"
    _row, key = apikey_create(channel=shop["pos"], name="POS", scopes=["orders:write"])
    with_key = api_client.get("/api/v1/store/queue/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert with_key.status_code == 403 and with_key.json()["type"] == "permission_denied"


def test_the_queue_of_the_staffs_store(app, shop, seller):
    cc = pickup(shop, shop["krk"], kind="ropis")
    waiting = waiting_for_transfer(shop, shop["krk"])
    arriving = arriving_transfer(shop, shop["krk"])
    waiting_ready = ready(shop, shop["krk"], seller)
    to_ship = processing_parcel(shop, shop["krk"])
    pickup(shop, shop["waw"])  # another store's
    body = app.get("/api/v1/store/queue/").json()
    assert body["store"] == {"code": "krk", "name": shop["krk"].name}
    assert body["total"] == 5
    item = group(body, "to_pick")["items"][0]
    assert item["number"] == cc.number and item["kind"] == "ropis"
    assert item["amount_to_collect"] == {"amount": str(cc.total), "currency": "PLN"}
    assert [i["number"] for i in group(body, "waiting_transfer")["items"]] == [waiting.number]
    arriving_item = group(body, "arriving")["items"][0]
    assert arriving_item["number"] == arriving.number
    assert arriving_item["fulfilment_id"] == arriving.fulfilments.get().pk
    assert [i["number"] for i in group(body, "ready")["items"]] == [waiting_ready.number]
    assert group(body, "to_ship")["items"][0]["fulfilment_id"] == to_ship.fulfilments.get().pk
    found = app.get("/api/v1/store/queue/", {"q": waiting_ready.number}).json()
    assert found["total"] == 1


def test_staff_of_several_stores_name_the_store(api_client, shop):
    api_client.force_authenticate(store_staff("dwa@example.pl", shop["waw"], shop["krk"]))
    response = api_client.get("/api/v1/store/queue/")
    assert response.status_code == 400 and "store" in response.json()["errors"]
    assert api_client.get("/api/v1/store/queue/", {"store": "krk"}).json()["store"]["code"] == "krk"
    assert api_client.get("/api/v1/store/queue/", {"store": "lodz"}).status_code == 404  # not theirs


def test_staff_with_no_store_are_told(api_client, shop):
    api_client.force_authenticate(store_staff("nowy@example.pl"))
    response = api_client.get("/api/v1/store/queue/")
    assert response.status_code == 403 and "not assigned" in response.json()["detail"]


def test_pick_then_ready_through_the_api(app, shop, seller):
    order = pickup(shop, shop["krk"])
    detail = app.get(f"/api/v1/store/orders/{order.number}/").json()
    assert detail["status"] == "confirmed" and detail["amount_to_collect"]["amount"] == "0.00"
    assert app.post(f"/api/v1/store/orders/{order.number}/pick/").json()["status"] == "processing"
    answer = app.post(f"/api/v1/store/orders/{order.number}/ready/").json()
    assert answer["status"] == "ready_for_pickup" and answer["pickup_expires_at"]
    assert answer["pickup_code"] is None  # the code is the customer's, never the staff's


def test_a_refused_step_has_the_error_body(app, shop, seller):
    order = pickup(shop, shop["krk"])
    response = app.post(f"/api/v1/store/orders/{order.number}/ready/")
    assert response.status_code == 409
    assert set(response.json()) == {"type", "title", "detail", "errors"}
    assert response.json()["type"] == "invalid_transition"


def test_ship_a_parcel_and_book_in_a_transfer(app, shop, seller):
    order = parcel_order(shop, shop["krk"])
    parcel = order.fulfilments.get()
    assert app.post(f"/api/v1/store/fulfilments/{parcel.pk}/pick/").json()["status"] == "processing"
    missing = app.post(f"/api/v1/store/fulfilments/{parcel.pk}/ship/", {"carrier": "DPD"}, format="json")
    assert missing.status_code == 400 and "tracking_number" in missing.json()["errors"]
    shipped = app.post(
        f"/api/v1/store/fulfilments/{parcel.pk}/ship/", {"carrier": "DPD", "tracking_number": "DPD1"}, format="json"
    ).json()
    assert shipped["status"] == "shipped"
    arriving = arriving_transfer(shop, shop["krk"])
    transfer = arriving.fulfilments.get()
    assert app.post(f"/api/v1/store/fulfilments/{transfer.pk}/receive/").json()["status"] == "processing"
    again = app.post(f"/api/v1/store/fulfilments/{transfer.pk}/receive/")
    assert again.status_code == 409 and again.json()["type"] == "invalid_transition"


def test_another_stores_order_parcel_and_transfer_are_404(api_client, shop):
    order = pickup(shop, shop["krk"])
    parcel = parcel_order(shop, shop["krk"]).fulfilments.get()
    transfer = arriving_transfer(shop, shop["krk"]).fulfilments.get()
    api_client.force_authenticate(store_staff("warszawa@example.pl", shop["waw"]))
    assert api_client.get(f"/api/v1/store/orders/{order.number}/").status_code == 404
    assert api_client.post(f"/api/v1/store/orders/{order.number}/pick/").status_code == 404
    assert api_client.post(f"/api/v1/store/orders/{order.number}/ready/").status_code == 404
    assert api_client.post(f"/api/v1/store/fulfilments/{parcel.pk}/pick/").status_code == 404
    ship = {"carrier": "DPD", "tracking_number": "1"}
    assert api_client.post(f"/api/v1/store/fulfilments/{parcel.pk}/ship/", ship, format="json").status_code == 404
    assert api_client.post(f"/api/v1/store/fulfilments/{transfer.pk}/receive/").status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/store/queue/").status_code == 200
    return len(captured)


def test_the_queue_endpoint_takes_the_same_queries_when_the_orders_triple(app, shop, seller):
    def some():
        pickup(shop, shop["krk"])
        arriving_transfer(shop, shop["krk"])
        ready(shop, shop["krk"], seller)
        processing_parcel(shop, shop["krk"])

    some()
    _queries(app)  # the first call also reads the login's permissions (then cached on it)
    once = _queries(app)
    some()
    some()
    assert _queries(app) == once
