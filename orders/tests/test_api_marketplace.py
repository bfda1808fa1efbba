"""POST /api/v1/marketplace/orders/: a marketplace's own order, imported once, at its prices."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Channel
from catalog.services import listing_publish
from catalog.tests.factories import ChannelFactory
from conftest import run_in_threads
from customers.models import Customer, CustomerIdentity
from customers.services import customer_create
from inventory.models import StockLevel
from omnishop.apikeys.services import apikey_create
from orders.models import Order, OrderFee
from orders.tests.conftest import stock

URL = "/api/v1/marketplace/orders/"
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}


def _marketplace(code: str, products) -> Channel:
    channel = ChannelFactory(code=code, kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    for product in products:
        listing_publish(product=product, channel=channel, published_from=timezone.now() - timedelta(days=1))
    return channel


@pytest.fixture
def market(shop):
    products = [v.product for v in shop["variants"]]
    allegro, empik = _marketplace("allegro", products), _marketplace("empik", products)
    for variant in shop["variants"]:
        stock(variant, shop["warehouse"], 10)
    keys = {
        "allegro": apikey_create(channel=allegro, name="Allegro", scopes=["orders:write"])[1],
        "empik": apikey_create(channel=empik, name="Empik", scopes=["orders:write"])[1],
        "web": apikey_create(channel=shop["web"], name="Web", scopes=["orders:write"])[1],
        "allegro_read": apikey_create(channel=allegro, name="Allegro read", scopes=["stock:read"])[1],
    }
    return shop | {"allegro": allegro, "empik": empik, "keys": keys}


def auth(market, key: str = "allegro") -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {market['keys'][key]}"}


def body(market, **extra) -> dict:
    a, b, _c = market["variants"]
    return {
        "marketplace_order_id": "ALG-1001",
        "currency": "PLN",
        "buyer": {"id": "buyer-77", "name": "Jan Kowalski", "email": "jan@allegromail.example", "phone": "601 234 567"},
        "lines": [
            {"sku": a.sku, "quantity": 2, "unit_price": "89.90"},
            {"sku": b.sku, "quantity": 1, "unit_price": "120.00"},
        ],
        "shipping_address": ADDRESS,
        "shipping_price": "8.99",
        "fees": [{"kind": "commission", "amount": "25.50"}, {"kind": "shipping", "amount": "6.00"}],
    } | extra


pytestmark = pytest.mark.django_db


def test_an_import_keeps_the_marketplace_prices_fees_and_buyer(api_client, market, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(URL, body(market), format="json", **auth(market))
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["channel"] == "allegro" and order["marketplace_order_id"] == "ALG-1001"
    # The marketplace's prices, not the price list's (100.00 and 101.00).
    assert [(ln["quantity"], ln["unit_price"]["amount"], ln["line_total"]["amount"]) for ln in order["lines"]] == [
        (2, "89.90", "179.80"),
        (1, "120.00", "120.00"),
    ]
    assert (order["subtotal"], order["shipping_total"], order["total"]) == tuple(
        {"amount": amount, "currency": "PLN"} for amount in ("299.80", "8.99", "308.79")
    )
    assert order["payment_status"] == "paid" and order["fulfilment_type"] == "delivery"
    assert order["marketplace_fees"] == [
        {"kind": "commission", "amount": "25.50", "currency": "PLN"},
        {"kind": "shipping", "amount": "6.00", "currency": "PLN"},
    ]
    assert order["fulfilments"][0]["location"] == "wh-strykow"
    saved = Order.objects.get(number=order["number"])
    assert saved.status == Order.Status.CONFIRMED  # paid on the marketplace: confirmed without a payment
    customer = saved.customer
    assert (customer.first_name, customer.last_name, customer.phone) == ("Jan", "Kowalski", "+48601234567")
    identity = CustomerIdentity.objects.get(customer=customer)
    assert (identity.kind, identity.channel, identity.value) == ("marketplace_buyer", market["allegro"], "buyer-77")
    assert StockLevel.objects.get(variant=market["variants"][0], location=market["warehouse"]).allocated == 2


def test_the_same_order_sent_again_answers_the_first_and_a_changed_one_is_a_409(api_client, market):
    first = api_client.post(URL, body(market), format="json", **auth(market))
    again = api_client.post(URL, body(market), format="json", **auth(market))
    assert (first.status_code, again.status_code) == (201, 200), again.json()
    assert again.json() == first.json()
    changed = body(market, shipping_price="0.00")
    conflict = api_client.post(URL, changed, format="json", **auth(market))
    assert conflict.status_code == 409
    error = conflict.json()
    assert error["type"] == "marketplace_order_conflict"
    assert "ALG-1001" in error["detail"] and "marketplace_order_id" in error["errors"]
    assert Order.objects.count() == 1 and OrderFee.objects.count() == 2
    assert StockLevel.objects.get(variant=market["variants"][0], location=market["warehouse"]).allocated == 2


def test_a_known_buyer_is_the_same_customer_and_a_new_one_another(api_client, market):
    api_client.post(URL, body(market), format="json", **auth(market))
    second = body(market, marketplace_order_id="ALG-1002", buyer={"id": "buyer-77", "email": "new@example.pl"})
    assert api_client.post(URL, second, format="json", **auth(market)).status_code == 201
    other = body(market, marketplace_order_id="ALG-1003", buyer={"id": "buyer-78", "phone": "+48 602 000 111"})
    assert api_client.post(URL, other, format="json", **auth(market)).status_code == 201
    by_id = {o.external_id: o.customer_id for o in Order.objects.all()}
    assert by_id["ALG-1001"] == by_id["ALG-1002"] != by_id["ALG-1003"]
    assert Customer.objects.count() == 2
    # The same buyer id at another marketplace is another buyer.
    elsewhere = api_client.post(URL, body(market), format="json", **auth(market, "empik"))
    assert elsewhere.status_code == 201
    assert Order.objects.get(channel=market["empik"]).customer_id not in by_id.values()


def test_a_buyer_with_a_customers_e_mail_is_not_merged_into_them(api_client, market):
    known = customer_create(email="jan@allegromail.example", first_name="Jan")
    response = api_client.post(URL, body(market), format="json", **auth(market))
    assert response.status_code == 201
    customer = Order.objects.get().customer
    assert customer != known and customer.email == ""
    assert response.json()["email"] == "jan@allegromail.example"  # the order's contact still reaches the buyer


@pytest.mark.parametrize("key", ["web", "allegro_read"])
def test_only_a_marketplace_key_with_orders_write_imports(api_client, market, key):
    response = api_client.post(URL, body(market), format="json", **auth(market, key))
    assert response.status_code == 403 and response.json()["type"] == "permission_denied"
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_without_a_key_it_is_a_401(api_client, market):
    assert api_client.post(URL, body(market), format="json").status_code == 401


def test_another_marketplace_never_gets_the_first_ones_order(api_client, market):
    first = api_client.post(URL, body(market), format="json", **auth(market)).json()
    other = api_client.post(URL, body(market), format="json", **auth(market, "empik"))
    assert other.status_code == 201 and other.json()["number"] != first["number"]
    assert other.json()["channel"] == "empik"
    declared = api_client.post(URL, body(market), format="json", HTTP_X_CHANNEL="allegro", **auth(market, "empik"))
    assert declared.status_code == 403 and declared.json()["type"] == "channel_mismatch"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines.non_field_errors"),
        ({"lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "1.00"}]}, "lines.0.sku"),
        ({"lines": [{"sku": "X", "quantity": 1}]}, "lines.0.unit_price"),
        ({"lines": [{"sku": "X", "quantity": 1, "unit_price": "-1.00"}]}, "lines.0.unit_price"),
        ({"lines": [{"sku": "X", "quantity": 1, "unit_price": "NaN"}]}, "lines.0.unit_price"),
        ({"currency": "EUR"}, "currency"),
        ({"buyer": {"id": "b", "phone": "123"}}, "buyer.phone"),
        ({"buyer": {"id": "b"}}, "buyer.non_field_errors"),
        ({"buyer": {"email": "x@example.pl"}}, "buyer.id"),
        ({"marketplace_order_id": ""}, "marketplace_order_id"),
        ({"shipping_address": {"street": "Rynek 1"}}, "shipping_address.postal_code"),
        ({"fees": [{"kind": "commission", "amount": "1"}, {"kind": "commission", "amount": "2"}]}, "fees"),
        ({"fees": [{"kind": "bribe", "amount": "1"}]}, "fees.0.kind"),
    ],
)
def test_field_errors_are_400s_with_the_error_body(api_client, market, change, field):
    response = api_client.post(URL, body(market, **change), format="json", **auth(market))
    assert response.status_code == 400, response.json()
    error = response.json()
    assert error["type"] == "validation_error" and field in error["errors"], error
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_not_enough_stock_is_the_usual_409_and_writes_no_order(api_client, market):
    a = market["variants"][0]
    response = api_client.post(
        URL, body(market, lines=[{"sku": a.sku, "quantity": 11, "unit_price": "1.00"}]), format="json", **auth(market)
    )
    assert response.status_code == 409 and response.json()["type"] == "insufficient_stock"
    assert response.json()["errors"] == {a.sku: ["11 wanted."]}
    assert not Order.objects.exists()


def test_an_unlisted_sku_is_not_sellable(api_client, market):
    from catalog.services import listing_unpublish

    listing_unpublish(product=market["variants"][0].product, channel=market["allegro"])
    response = api_client.post(URL, body(market), format="json", **auth(market))
    assert response.status_code == 409 and response.json()["type"] == "not_sellable"


def test_the_checkout_cannot_claim_a_marketplace_payment(api_client, market):
    from omnishop.accounts.models import User

    api_client.force_authenticate(User.objects.create_user(email="ola@example.pl", password="x-pass-123"))
    a = market["variants"][0]
    order = {
        "lines": [{"sku": a.sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "payment_method": "marketplace",
    }
    response = api_client.post("/api/v1/orders/", order, format="json")
    assert response.status_code == 400 and "payment_method" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_one_order_id_sent_twice_at_once_makes_one_order(market):
    for attempt in range(3):  # a few rounds: the two requests meet at different points
        payload = body(market, marketplace_order_id=f"ALG-RACE-{attempt}")

        def send(_i, payload=payload):
            response = APIClient().post(URL, payload, format="json", **auth(market))
            return response.status_code, response.json()

        results = run_in_threads(send, [(0,), (1,)], timeout=60)
        assert sorted(code for code, _body in results) == [200, 201], results
        assert results[0][1]["number"] == results[1][1]["number"]
    assert Order.objects.filter(channel=market["allegro"]).count() == 3
    assert Customer.objects.count() == 1
    allocated = StockLevel.objects.get(variant=market["variants"][0], location=market["warehouse"]).allocated
    assert allocated == 6
