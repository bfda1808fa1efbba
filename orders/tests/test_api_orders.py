from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from customers.models import Company, CompanyMembership, Customer
from omnishop.accounts.models import User
from omnishop.apikeys.services import apikey_create
from orders.models import Order
from orders.tests.conftest import stock

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź", "latitude": 51.76, "longitude": 19.46}


@pytest.fixture
def buyer(api_client):
    user = User.objects.create_user(email="ola@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    return user


def body(shop, **extra):
    a = shop["variants"][0]
    return {
        "lines": [{"sku": a.sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
    } | extra


def test_customer_places_an_order_and_sees_its_timeline(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 3)
    response = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="web-1")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["channel"] == "web"
    pln = {"currency": "PLN"}
    assert {k: order[k] for k in ("subtotal", "discount_total", "shipping_total", "total")} == {
        "subtotal": {"amount": "100.00"} | pln,
        "discount_total": {"amount": "0.00"} | pln,
        "shipping_total": {"amount": "14.99"} | pln,
        "total": {"amount": "114.99"} | pln,
    }
    line = order["lines"][0]
    assert (line["unit_price"], line["discount"], line["line_total"]) == (
        {"amount": "100.00"} | pln,
        {"amount": "0.00"} | pln,
        {"amount": "100.00"} | pln,
    )
    assert order["timeline"][0]["type"] == "placed"
    listed = api_client.get(URL).json()
    assert [o["number"] for o in listed["results"]] == [order["number"]]
    detail = api_client.get(f"{URL}{order['number']}/").json()
    assert detail["fulfilments"][0]["location"] == "wh-strykow"
    assert detail == order  # the answer to the POST is rendered from what was written, not read back


def test_retry_after_the_stock_sold_out_still_returns_the_first_order(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 1)
    first = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="last-one")
    again = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="last-one")
    assert (first.status_code, again.status_code) == (201, 200), again.json()
    assert again.json() == first.json()
    other = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="another")
    assert other.status_code == 409 and other.json()["type"] == "insufficient_stock"


def test_retry_with_the_same_key_returns_the_first_order_and_a_different_body_is_409(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 3)
    first = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api_client.post(URL, body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    other = body(shop, lines=[{"sku": shop["variants"][0].sku, "quantity": 2}])
    conflict = api_client.post(URL, other, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert conflict.status_code == 409 and conflict.json()["type"] == "idempotency_conflict"
    assert Order.objects.count() == 1


def test_insufficient_stock_is_a_409_with_the_error_body(api_client, shop, buyer):
    response = api_client.post(URL, body(shop), format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "insufficient_stock"
    assert response.json()["errors"] == {shop["variants"][0].sku: ["1 wanted."]}  # the SKU the client sent
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "X", "quantity": 0}]}, "lines.0.quantity"),
        ({"fulfilment_type": "teleport"}, "fulfilment_type"),
        ({"fulfilment_type": "click_and_collect"}, "pickup_store"),
        ({"fulfilment_type": "click_and_collect", "pickup_store": "nowhere"}, "pickup_store"),
        ({"shipping_address": None}, "shipping_address"),
        ({"customer_id": 1}, None),
    ],
)
def test_bad_input_is_a_4xx_and_writes_nothing(api_client, shop, buyer, change, field):
    stock(shop["variants"][0], shop["warehouse"], 3)
    payload = {k: v for k, v in (body(shop) | change).items() if v is not None}
    response = api_client.post(URL, payload, format="json")
    assert set(response.json()) == {"type", "title", "detail", "errors"}
    if field is None:
        assert response.status_code == 403
    else:
        assert response.status_code == 400, response.json()
        assert field in response.json()["errors"], response.json()
    assert not Order.objects.exists()


def test_customers_see_only_their_own_orders(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 3)
    number = api_client.post(URL, body(shop), format="json").json()["number"]
    other = User.objects.create_user(email="inny@example.pl", password="x-pass-123")
    api_client.force_authenticate(other)
    assert api_client.get(URL).json()["results"] == []
    assert api_client.get(f"{URL}{number}/").status_code == 404
    assert api_client.post(f"{URL}{number}/cancel/").status_code == 404
    api_client.force_authenticate(None)
    assert api_client.get(URL).status_code == 401


def test_customer_cancels_their_order(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 3)
    number = api_client.post(URL, body(shop), format="json").json()["number"]
    response = api_client.post(f"{URL}{number}/cancel/", {"reason": "wrong size"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert api_client.post(f"{URL}{number}/cancel/").status_code == 409


def test_a_customer_cancelling_a_paid_order_sees_it_refunded(
    api_client, shop, buyer, django_capture_on_commit_callbacks
):
    stock(shop["variants"][0], shop["warehouse"], 3)
    with django_capture_on_commit_callbacks(execute=True):  # the payment is authorised after commit
        number = api_client.post(URL, body(shop, payment_method="card"), format="json").json()["number"]
    assert api_client.get(f"{URL}{number}/").json()["payment_status"] == "paid"

    with django_capture_on_commit_callbacks(execute=True):  # and refunded after the cancel's
        assert api_client.post(f"{URL}{number}/cancel/").status_code == 200

    detail = api_client.get(f"{URL}{number}/").json()
    assert (detail["status"], detail["payment_status"]) == ("cancelled", "refunded")
    assert [e["type"] for e in detail["timeline"]][-1] == "payment_refunded"


def test_marketplace_key_places_and_lists_only_its_channel(api_client, shop):
    from catalog.services import listing_publish
    from catalog.tests.factories import ChannelFactory

    allegro = ChannelFactory(code="allegro", kind="marketplace", api_key_required=True)
    listing_publish(product=shop["variants"][0].product, channel=allegro)
    stock(shop["variants"][0], shop["warehouse"], 3)
    _row, key = apikey_create(channel=allegro, name="Allegro", scopes=["orders:write"])
    _row, no_scope = apikey_create(channel=allegro, name="Read only")
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    payload = body(shop, contact={"email": "kupujacy@allegro.example", "name": "Jan"})
    assert api_client.post(URL, payload, format="json", HTTP_AUTHORIZATION=f"Api-Key {no_scope}").status_code == 403
    created = api_client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="allegro-123", **auth)
    assert created.status_code == 201 and created.json()["channel"] == "allegro"
    assert api_client.post(URL, payload, format="json", HTTP_X_CHANNEL="web", **auth).status_code == 403
    assert [o["number"] for o in api_client.get(URL, **auth).json()["results"]] == [created.json()["number"]]


def test_call_centre_agent_orders_for_a_customer_and_b2b_members_see_company_orders(api_client, shop):
    stock(shop["variants"][0], shop["warehouse"], 5)
    agent = User.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    agent.user_permissions.add(*Permission.objects.filter(codename__in=["add_order", "view_order"]))
    customer = Customer.objects.create(first_name="Zofia", email="zofia@example.pl")
    api_client.force_authenticate(agent)
    response = api_client.post(URL, body(shop, customer_id=customer.pk), format="json", HTTP_X_CHANNEL="call-centre")
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert (order.channel.code, order.customer, order.placed_by) == ("call-centre", customer, agent)

    company = Company.objects.create(name="Sport Sp. z o.o.", tax_id="5250000001")
    member_user = User.objects.create_user(email="zakupy@sport.pl", password="x-pass-123")
    member = Customer.objects.create(user=member_user, email="zakupy@sport.pl")
    CompanyMembership.objects.create(company=company, customer=member)
    rep_order = api_client.post(URL, body(shop, company_id=company.pk), format="json", HTTP_X_CHANNEL="b2b")
    assert rep_order.status_code == 201
    api_client.force_authenticate(member_user)
    assert [o["number"] for o in api_client.get(URL).json()["results"]] == [rep_order.json()["number"]]


def test_order_list_query_count_is_constant(api_client, shop, buyer, django_assert_num_queries):
    stock(shop["variants"][0], shop["warehouse"], 50)
    for _ in range(2):
        api_client.post(URL, body(shop), format="json")
    with django_assert_num_queries(5):  # channel, customer, count, orders, lines
        api_client.get(URL)
    for _ in range(6):
        api_client.post(URL, body(shop), format="json")
    with django_assert_num_queries(5):
        assert len(api_client.get(URL).json()["results"]) == 8
    assert Order.objects.filter(total=Decimal("114.99")).count() == 8


@pytest.mark.parametrize("channel", ["store", "call-centre", "b2b"])
def test_customers_cannot_order_in_staff_channels(api_client, shop, buyer, channel):
    stock(shop["variants"][0], shop["warehouse"], 3)
    response = api_client.post(URL, body(shop), format="json", HTTP_X_CHANNEL=channel)
    assert response.status_code == 403, response.json()
    assert response.json()["type"] == "permission_denied"
    assert set(response.json()) == {"type", "title", "detail", "errors"}
    assert not Order.objects.exists()


def test_customers_order_in_the_web_shop_and_the_app(api_client, shop, buyer):
    from catalog.services import listing_publish
    from catalog.tests.factories import ChannelFactory

    app = ChannelFactory(code="app", kind="app")
    listing_publish(product=shop["variants"][0].product, channel=app)
    stock(shop["variants"][0], shop["warehouse"], 3)
    for channel in ("web", "app"):
        response = api_client.post(URL, body(shop), format="json", HTTP_X_CHANNEL=channel)
        assert response.status_code == 201, response.json()
        assert response.json()["channel"] == channel


def test_a_marketplace_cancels_for_its_buyer_only_before_the_warehouse_starts(api_client, shop):
    from catalog.services import listing_publish
    from catalog.tests.factories import ChannelFactory
    from orders import lifecycle
    from orders.models import Order
    from orders.services import order_transition

    allegro = ChannelFactory(code="allegro", kind="marketplace", api_key_required=True)
    listing_publish(product=shop["variants"][0].product, channel=allegro)
    stock(shop["variants"][0], shop["warehouse"], 3)
    _row, key = apikey_create(channel=allegro, name="Allegro", scopes=["orders:write"])
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    payload = body(shop, contact={"email": "kupujacy@allegro.example"})
    first, second = (api_client.post(URL, payload, format="json", **auth).json()["number"] for _ in range(2))
    assert api_client.post(f"{URL}{first}/cancel/", **auth).status_code == 200
    order = Order.objects.get(number=second)
    for to, role in (("confirmed", lifecycle.SYSTEM), ("processing", lifecycle.WAREHOUSE)):
        order = order_transition(order=order, to=to, role=role)
    response = api_client.post(f"{URL}{second}/cancel/", **auth)
    assert response.status_code == 403 and Order.objects.get(number=second).status == "processing"


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "Sign in, or use an API key with the orders:write scope."),
        ("pl", "Zaloguj się lub użyj klucza API z zakresem uprawnień orders:write."),
    ],
)
def test_the_refusal_speaks_the_request_language(api_client, shop, language, detail):
    _row, read_only = apikey_create(channel=shop["web"], name="Read only")  # no orders:write scope
    response = api_client.post(
        URL, body(shop), format="json", HTTP_ACCEPT_LANGUAGE=language, HTTP_AUTHORIZATION=f"Api-Key {read_only}"
    )
    assert response.status_code == 403 and response.json()["detail"] == detail


@pytest.mark.parametrize("payload", [[], "wrong size", {"reason": "x" * 301}])
def test_a_cancel_body_that_is_not_a_reason_is_a_400_and_cancels_nothing(api_client, shop, buyer, payload):
    stock(shop["variants"][0], shop["warehouse"], 3)
    number = api_client.post(URL, body(shop), format="json").json()["number"]
    response = api_client.post(f"{URL}{number}/cancel/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert Order.objects.get(number=number).status == "placed"


def test_the_cancel_reason_is_documented_in_the_schema(api_client):
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/v1/orders/{number}/cancel/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "reason" in schema.json()["components"]["schemas"][ref]["properties"]


def test_the_schema_documents_every_order_amount_as_money(api_client):
    components = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    assert set(components["Money"]["properties"]) == {"amount", "currency"}

    def money_ref(prop: dict) -> bool:
        return prop.get("$ref") == "#/components/schemas/Money" or any(
            p.get("$ref") == "#/components/schemas/Money" for p in prop.get("allOf", [])
        )

    for name, fields in (
        ("Order", ("subtotal", "discount_total", "shipping_total", "total")),
        ("OrderDetail", ("subtotal", "discount_total", "shipping_total", "total")),
        ("OrderLine", ("unit_price", "discount", "line_total")),
        ("CartOut", ("subtotal",)),
        ("CartLineOut", ("unit_price", "line_total")),
    ):
        properties = components[name]["properties"]
        assert [f for f in fields if not money_ref(properties[f])] == [], name
