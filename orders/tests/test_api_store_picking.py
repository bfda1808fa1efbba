"""The store app's picking endpoints: same services as the console, store-scoped (another store's
line, fulfilment or order is a 404), the one error body, bounded queries."""

import pytest

from omnishop.notifications.models import Notification
from orders import lifecycle
from orders.models import FulfilmentLine, Order
from orders.services import order_ready_for_pickup, order_transition
from orders.tests.conftest import stock
from orders.tests.test_picking import collect_order
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(shop, api_client):
    user = store_staff("sprzedawca@example.pl", shop["waw"])
    api_client.force_authenticate(user)
    return user


def test_pick_scan_and_short_a_line(api_client, shop, seller):
    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 2)
    stock(b, shop["waw"], 1)
    order = collect_order(shop, shop["waw"], {a: 2, b: 1})
    fulfilment = order.fulfilments.get()
    line_a = FulfilmentLine.objects.get(fulfilment=fulfilment, order_line__variant=a)

    picked = api_client.post(f"/api/v1/store/fulfilment-lines/{line_a.pk}/pick/", {"quantity": 1}, format="json")
    assert picked.status_code == 200, picked.json()
    assert picked.json() | {"id": 0, "fulfilment": 0} == {
        "id": 0,
        "fulfilment": 0,
        "order": order.number,
        "sku": a.sku,
        "name": line_a.order_line.name,
        "quantity": 2,
        "picked": 1,
        "short": 0,
        "cancelled": 0,
        "to_pick": 1,
    }
    scanned = api_client.post(f"/api/v1/store/fulfilments/{fulfilment.pk}/scan/", {"ean": b.ean}, format="json")
    assert scanned.status_code == 200 and scanned.json()["sku"] == b.sku and scanned.json()["picked"] == 1
    unknown = api_client.post(f"/api/v1/store/fulfilments/{fulfilment.pk}/scan/", {"ean": "123"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["type"] == "unknown_ean"
    again = api_client.post(f"/api/v1/store/fulfilments/{fulfilment.pk}/scan/", {"ean": b.ean}, format="json")
    assert again.status_code == 409 and again.json()["type"] == "pick_quantity_exceeded"
    assert set(again.json()) == {"type", "title", "detail", "errors"}

    short = api_client.post(
        f"/api/v1/store/fulfilment-lines/{line_a.pk}/short/", {"quantity": 1, "reason": "damaged"}, format="json"
    )
    assert short.status_code == 200, short.json()
    body = short.json()
    assert body["cancelled"] == 1 and body["rerouted"] == [] and body["refund"] == "not_charged"
    assert body["line"]["short"] == 1 and body["currency"] == "PLN"
    bad = api_client.post(
        f"/api/v1/store/fulfilment-lines/{line_a.pk}/short/", {"quantity": 1, "reason": "lost"}, format="json"
    )
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]


def test_another_stores_lines_fulfilments_and_orders_are_404(api_client, shop, seller):
    a = shop["variants"][0]
    stock(a, shop["krk"], 2)
    theirs = collect_order(shop, shop["krk"], {a: 1})
    fulfilment = theirs.fulfilments.get()
    line = fulfilment.lines.get()
    calls = [
        ("post", f"/api/v1/store/fulfilment-lines/{line.pk}/pick/", {"quantity": 1}),
        ("post", f"/api/v1/store/fulfilment-lines/{line.pk}/short/", {"quantity": 1, "reason": "missing"}),
        ("post", f"/api/v1/store/fulfilments/{fulfilment.pk}/scan/", {"ean": a.ean}),
        ("get", f"/api/v1/store/orders/{theirs.number}/pick-list/", None),
        ("post", f"/api/v1/store/orders/{theirs.number}/pickup-notice/", {}),
    ]
    for method, url, data in calls:
        response = getattr(api_client, method)(url, data, format="json") if data is not None else api_client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json()["type"] == "not_found"
    line.refresh_from_db()
    assert (line.picked_quantity, line.short_quantity) == (0, 0)
    assert api_client.get("/api/v1/store/pick-list/", {"orders": theirs.number}).json() == []


def test_anonymous_and_customers_are_refused(api_client, shop):
    assert api_client.get("/api/v1/store/pick-list/").status_code in (401, 403)


def test_the_pick_list_of_an_order_and_of_a_batch(api_client, shop, seller, django_assert_max_num_queries):
    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 30)
    stock(b, shop["waw"], 30)
    orders = [collect_order(shop, shop["waw"], {a: 1, b: 1}) for _ in range(3)]
    one = api_client.get(f"/api/v1/store/orders/{orders[0].number}/pick-list/")
    assert one.status_code == 200 and [g["to_pick"] for g in one.json()] == [1, 1]
    numbers = ",".join(o.number for o in orders[:2])
    with django_assert_max_num_queries(8) as small:
        batch = api_client.get("/api/v1/store/pick-list/", {"orders": numbers}).json()
    assert {g["sku"]: g["quantity"] for g in batch} == {a.sku: 2, b.sku: 2}
    assert [i["order"] for i in batch[0]["items"]] == [o.number for o in orders[:2]]
    more = [collect_order(shop, shop["waw"], {a: 2, b: 1}) for _ in range(6)]
    numbers = ",".join(o.number for o in orders + more)
    with django_assert_max_num_queries(len(small.captured_queries)):
        batch = api_client.get("/api/v1/store/pick-list/", {"orders": numbers}).json()
    assert sum(g["quantity"] for g in batch) == 3 * 2 + 6 * 3


def test_resend_the_ready_notice(api_client, shop, seller):
    a = shop["variants"][0]
    stock(a, shop["waw"], 1)
    order = collect_order(shop, shop["waw"], {a: 1})
    url = f"/api/v1/store/orders/{order.number}/pickup-notice/"
    refused = api_client.post(url, {}, format="json")
    assert refused.status_code == 409 and refused.json()["type"] == "invalid_transition"
    order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.STORE_STAFF)
    order_ready_for_pickup(order=order, actor=seller)
    response = api_client.post(url, {}, format="json")
    assert response.status_code == 202 and response.json() == {"order": order.number, "resent": True}
    assert Notification.objects.filter(template="pickup_ready", order_reference=order.number).count() == 2
