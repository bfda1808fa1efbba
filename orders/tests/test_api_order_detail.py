"""The order detail shows the stored routing decision and each fulfilment with its lines and
transfer; list and detail run a fixed number of queries however many lines and fulfilments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.services import listing_publish, price_set
from catalog.tests.factories import ProductFactory, VariantFactory
from inventory.tests.factories import WarehouseFactory
from omnishop.accounts.models import User
from orders.models import Order
from orders.tests.conftest import ADDRESS, stock

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
ROUTING_KEYS = {"policy", "rule", "reason", "pickup_store", "sources", "shipments"}


@pytest.fixture
def buyer(api_client):
    user = User.objects.create_user(email="ola@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    return user


def test_a_click_and_collect_order_shows_its_routing_and_what_each_location_provides(api_client, shop, buyer):
    a, b, _ = shop["variants"]
    stock(a, shop["waw"], 1)
    stock(b, shop["warehouse"], 2)
    placed = api_client.post(
        URL,
        {
            "lines": [{"sku": a.sku, "quantity": 1}, {"sku": b.sku, "quantity": 2}],
            "fulfilment_type": "click_and_collect",
            "pickup_store": "waw",
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    order = api_client.get(f"{URL}{placed.json()['number']}/").json()
    assert order == placed.json()  # the placement's answer is rendered from what was written
    assert order["routing"] == {
        "policy": "nearest_fewest_shipments",
        "rule": "transfer_to_pickup_store",
        "reason": "The pickup store waw lacks items: they come by transfer from wh-strykow.",
        "pickup_store": "waw",
        "sources": ["wh-strykow"],
        "shipments": None,
    }
    line_id = {ln["sku"]: ln["id"] for ln in order["lines"]}
    by_location = {f["location"]: f for f in order["fulfilments"]}
    assert set(by_location) == {"waw", "wh-strykow"}
    at_store, from_warehouse = by_location["waw"], by_location["wh-strykow"]
    assert (at_store["status"], at_store["transfer"]) == ("pending", None)
    assert at_store["lines"] == [{"order_line": line_id[a.sku], "sku": a.sku, "quantity": 1}]
    assert from_warehouse["status"] == "awaiting_transfer"
    assert from_warehouse["lines"] == [{"order_line": line_id[b.sku], "sku": b.sku, "quantity": 2}]
    transfer = from_warehouse["transfer"]
    assert (transfer["status"], transfer["destination"], transfer["received_at"]) == ("requested", "waw", None)


def test_a_delivery_names_its_shipments_in_the_request_language(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 1)
    body = {"lines": [{"sku": shop["variants"][0].sku, "quantity": 1}], "fulfilment_type": "delivery"}
    number = api_client.post(URL, body | {"shipping_address": ADDRESS}, format="json").json()["number"]
    routing = api_client.get(f"{URL}{number}/").json()["routing"]
    assert set(routing) == ROUTING_KEYS  # no stored internals (the delivery point, how it was found)
    assert (routing["rule"], routing["sources"], routing["shipments"], routing["pickup_store"]) == (
        "fewest_shipments_then_nearest",
        ["wh-strykow"],
        1,
        None,
    )
    assert routing["reason"].startswith("1 shipment, from wh-strykow")
    polish = api_client.get(f"{URL}{number}/", HTTP_ACCEPT_LANGUAGE="pl").json()["routing"]["reason"]
    assert polish.startswith("1 przesyłka, z wh-strykow")


def test_an_order_without_a_stored_decision_has_null_routing(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 1)
    body = {"lines": [{"sku": shop["variants"][0].sku, "quantity": 1}], "fulfilment_type": "delivery"}
    number = api_client.post(URL, body | {"shipping_address": ADDRESS}, format="json").json()["number"]
    Order.objects.filter(number=number).update(routing={})
    assert api_client.get(f"{URL}{number}/").json()["routing"] is None


def _spread_order(api_client, shop, *, locations: int, lines_per_location: int) -> str:
    """A delivery of ``locations * lines_per_location`` SKUs, each in stock only at one of
    ``locations`` new warehouses: as many fulfilments as warehouses, each with its lines."""
    lines = []
    for w in range(locations):
        warehouse = WarehouseFactory()
        for _ in range(lines_per_location):
            variant = VariantFactory(product=ProductFactory())
            price_set(variant=variant, amount=Decimal("10.00") + w)
            listing_publish(product=variant.product, channel=shop["web"], published_from=timezone.now() - timedelta(1))
            stock(variant, warehouse, 1)
            lines.append({"sku": variant.sku, "quantity": 1})
    body = {"lines": lines, "fulfilment_type": "delivery", "shipping_address": ADDRESS}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["fulfilments"]) == locations
    return response.json()["number"]


def test_detail_and_list_queries_hold_as_lines_and_fulfilments_double(
    api_client, shop, buyer, django_assert_num_queries
):
    # channel, customer, order with channel and pickup store, lines, fulfilments with location and
    # transfer, fulfilment lines with their order lines, events
    detail_queries, list_queries = 7, 5  # list: channel, customer, count, orders, lines
    small = _spread_order(api_client, shop, locations=2, lines_per_location=2)
    with django_assert_num_queries(detail_queries):
        api_client.get(f"{URL}{small}/")
    with django_assert_num_queries(list_queries):
        api_client.get(URL)
    large = _spread_order(api_client, shop, locations=4, lines_per_location=4)
    with django_assert_num_queries(detail_queries):
        detail = api_client.get(f"{URL}{large}/").json()
    assert len(detail["lines"]) == 16 and [len(f["lines"]) for f in detail["fulfilments"]] == [4, 4, 4, 4]
    with django_assert_num_queries(list_queries):
        listed = api_client.get(URL).json()["results"]
    assert [len(o["lines"]) for o in listed] == [16, 4]
