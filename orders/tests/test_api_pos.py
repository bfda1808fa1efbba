"""POST /api/v1/pos/sales/: a store's till sale becomes one completed order, its units sold once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Channel
from catalog.tests.factories import ChannelFactory
from conftest import run_in_threads
from customers.models import CustomerIdentity
from customers.services import customer_create, customer_identity_add
from inventory.models import StockLevel, StockMovement
from inventory.services import StockLine, stock_allocate
from inventory.tests.factories import WarehouseFactory
from omnishop.apikeys.services import apikey_create
from omnishop.outbox.models import OutboxEvent
from orders.models import Order, TillSale
from orders.services import NotAStoreChannel, TillLine, TillSalePayment, TillSaleRequest, till_sale_record
from orders.tests.conftest import stock

URL = "/api/v1/pos/sales/"


@pytest.fixture
def till(shop):
    keys = {
        "pos": apikey_create(channel=shop["pos"], name="POS", scopes=["pos:write"])[1],
        "pos_stock_only": apikey_create(channel=shop["pos"], name="POS stock", scopes=["stock:sync"])[1],
        "web": apikey_create(channel=shop["web"], name="Web", scopes=["pos:write", "orders:write"])[1],
    }
    return shop | {"keys": keys}


def auth(till, key: str = "pos") -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {till['keys'][key]}"}


def body(till, **extra) -> dict:
    a, b, _c = till["variants"]
    return {
        "store": "lodz",
        "receipt_number": "K1-000123",
        "sold_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "lines": [
            {"sku": a.sku, "quantity": 2, "unit_price": "89.90"},
            {"ean": b.ean, "quantity": 1, "unit_price": "120.00"},
        ],
        "payments": [{"method": "card", "amount": "250.00"}, {"method": "cash", "amount": "49.80"}],
    } | extra


def on_hand(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).on_hand


pytestmark = pytest.mark.django_db


def test_a_till_sale_is_a_completed_store_order_that_takes_the_store_stock(api_client, till):
    a, b, _c = till["variants"]
    stock(a, till["lodz"], 5)
    stock(b, till["lodz"], 1)
    response = api_client.post(URL, body(till), format="json", **auth(till))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["channel"], data["status"], data["fulfilment_type"], data["payment_status"]) == (
        "store",
        "completed",
        "in_store",
        "paid",
    )
    assert data["pickup_store"] == "lodz"
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]["amount"]) for ln in data["lines"]] == [
        (a.sku, 2, "89.90"),
        (b.sku, 1, "120.00"),
    ]
    assert data["total"] == {"amount": "299.80", "currency": "PLN"}
    assert data["till_sale"]["receipt_number"] == "K1-000123" and data["till_sale"]["stock_corrections"] == {}
    assert data["till_sale"]["payments"] == [
        {"method": "card", "amount": "250.00"},
        {"method": "cash", "amount": "49.80"},
    ]
    assert (on_hand(a, till["lodz"]), on_hand(b, till["lodz"])) == (3, 0)
    sales = StockMovement.objects.filter(reference=f"order:{data['number']}")
    assert sorted(sales.values_list("kind", "quantity")) == [("sale", -2), ("sale", -1)]
    types = set(OutboxEvent.objects.filter(aggregate_id=data["number"]).values_list("type", flat=True))
    assert {"order.placed", "order.completed"} <= types
    assert data["timeline"][0]["type"] == "placed" and "K1-000123" in data["timeline"][0]["note"]


def test_the_same_receipt_again_answers_the_first_order_and_other_content_is_a_conflict(api_client, till):
    a, _b, _c = till["variants"]
    stock(a, till["lodz"], 5)
    first = api_client.post(URL, body(till), format="json", **auth(till))
    again = api_client.post(
        URL, body(till) | {"sold_at": first.json()["till_sale"]["sold_at"]}, format="json", **auth(till)
    )
    assert first.status_code == 201
    # sold_at differs by its rendering only when the instant is the same: the fingerprint is of the instant.
    assert again.status_code == 200, again.json()
    assert again.json()["number"] == first.json()["number"]
    other = body(till) | {"sold_at": first.json()["till_sale"]["sold_at"]}
    other["lines"][0]["quantity"] = 1
    other["payments"] = [{"method": "card", "amount": "209.90"}]
    conflict = api_client.post(URL, other, format="json", **auth(till))
    assert conflict.status_code == 409 and conflict.json()["type"] == "till_receipt_conflict"
    assert Order.objects.filter(channel=till["pos"]).count() == 1
    assert on_hand(a, till["lodz"]) == 3
    # The same receipt number in another store is another sale.
    elsewhere = api_client.post(URL, body(till, store="waw"), format="json", **auth(till))
    assert elsewhere.status_code == 201


def test_a_sale_beyond_the_recorded_stock_is_recorded_with_a_count_correction(api_client, till):
    """The shelf had units the system did not know of: never refused, the CHECKs hold, and the
    units allocated to a click & collect order stay its own."""
    a, b, _c = till["variants"]
    stock(a, till["lodz"], 3)
    stock_allocate(lines=[StockLine(a.pk, till["lodz"].pk, 2)], reference="order:OS-other", online=False)
    # b was never on record at the store at all.
    response = api_client.post(URL, body(till), format="json", **auth(till))
    assert response.status_code == 201, response.json()
    data = response.json()
    # a: 3 on hand, 2 allocated, 2 sold -> 1 more on the shelf than believed; b: 1 unknown unit.
    assert data["till_sale"]["stock_corrections"] == {a.sku: 1, b.sku: 1}
    level_a = StockLevel.objects.get(variant=a, location=till["lodz"])
    assert (level_a.on_hand, level_a.allocated) == (2, 2)
    assert on_hand(b, till["lodz"]) == 0
    moves = StockMovement.objects.filter(reference=f"order:{data['number']}").order_by("id")
    assert [(m.variant_id, m.kind, m.quantity) for m in moves] == [
        (a.pk, "count", 1),
        (a.pk, "sale", -2),
        (b.pk, "count", 1),
        (b.pk, "sale", -1),
    ]
    # The ledger still sums to on hand.
    for variant in (a, b):
        level = StockLevel.objects.get(variant=variant, location=till["lodz"])
        assert (
            sum(StockMovement.objects.filter(variant=variant, location=till["lodz"]).values_list("quantity", flat=True))
            == level.on_hand
        )
    assert "count" in data["timeline"][0]["note"]


def test_a_customer_named_by_card_or_phone_is_linked_and_gets_the_identity(api_client, till):
    a, _b, _c = till["variants"]
    stock(a, till["lodz"], 10)
    anna = customer_create(email="anna@example.pl", phone="601 234 567", first_name="Anna")
    customer_identity_add(customer=anna, kind=CustomerIdentity.Kind.LOYALTY_CARD, value="OS-777")
    one_line = {
        "lines": [{"sku": a.sku, "quantity": 1, "unit_price": "10.00"}],
        "payments": [{"method": "cash", "amount": "10.00"}],
    }
    by_card = api_client.post(
        URL,
        body(till, receipt_number="R-1", customer={"kind": "loyalty_card", "value": "OS-777"}, **one_line),
        format="json",
        **auth(till),
    )
    assert by_card.status_code == 201, by_card.json()
    by_phone = api_client.post(
        URL,
        body(till, receipt_number="R-2", customer={"kind": "phone", "value": "+48 601-234-567"}, **one_line),
        format="json",
        **auth(till),
    )
    unknown = api_client.post(
        URL,
        body(till, receipt_number="R-3", customer={"kind": "loyalty_card", "value": "OS-000"}, **one_line),
        format="json",
        **auth(till),
    )
    assert Order.objects.get(number=by_card.json()["number"]).customer == anna
    assert Order.objects.get(number=by_phone.json()["number"]).customer == anna
    assert unknown.status_code == 201 and Order.objects.get(number=unknown.json()["number"]).customer is None
    # Found by the phone on her record: now also an identity of hers.
    assert CustomerIdentity.objects.filter(customer=anna, kind="phone", value="+48601234567").exists()
    bad_phone = api_client.post(
        URL,
        body(till, receipt_number="R-4", customer={"kind": "phone", "value": "12"}, **one_line),
        format="json",
        **auth(till),
    )
    assert bad_phone.status_code == 400 and "customer.value" in bad_phone.json()["errors"]


def test_refusals_are_field_errors_and_name_the_line(api_client, till):
    a, _b, _c = till["variants"]
    unknown = body(till)
    unknown["lines"][1] = {"ean": "5909999999993", "quantity": 1, "unit_price": "120.00"}
    response = api_client.post(URL, unknown, format="json", **auth(till))
    assert response.status_code == 400 and list(response.json()["errors"]) == ["lines.1.ean"]
    wrong_total = body(till, payments=[{"method": "card", "amount": "1.00"}])
    response = api_client.post(URL, wrong_total, format="json", **auth(till))
    assert response.status_code == 400 and "payments" in response.json()["errors"]
    both = body(till)
    both["lines"][0]["ean"] = a.ean
    response = api_client.post(URL, both, format="json", **auth(till))
    assert response.status_code == 400 and "lines.0" in response.json()["errors"]
    future = body(till, sold_at=(timezone.now() + timedelta(days=1)).isoformat())
    response = api_client.post(URL, future, format="json", **auth(till))
    assert response.status_code == 400 and "sold_at" in response.json()["errors"]
    response = api_client.post(URL, body(till, lines=[]), format="json", **auth(till))
    assert response.status_code == 400 and "lines.non_field_errors" in response.json()["errors"]
    assert not Order.objects.filter(channel=till["pos"]).exists()


def test_only_a_store_key_with_pos_write_records_sales_and_only_in_a_store(api_client, till):
    assert api_client.post(URL, body(till), format="json").status_code in (401, 403)
    assert api_client.post(URL, body(till), format="json", **auth(till, "pos_stock_only")).status_code == 403
    assert api_client.post(URL, body(till), format="json", **auth(till, "web")).status_code == 403
    WarehouseFactory(code="wh-2")
    for store in ("wh-2", "nowhere"):
        response = api_client.post(URL, body(till, store=store), format="json", **auth(till))
        assert response.status_code == 404 and response.json()["type"] == "store_not_found"
    assert not TillSale.objects.exists()


def _sale(channel, receipt: str, variant, quantity: int = 1) -> TillSaleRequest:
    return TillSaleRequest(
        store="lodz",
        receipt_number=receipt,
        sold_at=timezone.now() - timedelta(minutes=1),
        lines=(TillLine(sku=variant.sku, quantity=quantity, unit_price=Decimal("50.00")),),
        payments=(TillSalePayment(method="card", amount=Decimal("50.00") * quantity),),
    )


def test_a_store_channel_only_records_till_sales(till):
    other = ChannelFactory(code="web-2", kind=Channel.Kind.WEB)
    with pytest.raises(NotAStoreChannel):
        till_sale_record(channel=other, data=_sale(other, "X-1", till["variants"][0]))


@pytest.mark.django_db(transaction=True)
def test_twenty_tills_sending_the_same_receipt_at_once_make_one_order_and_sell_once(shop):
    a = shop["variants"][0]
    stock(a, shop["lodz"], 10)
    sale = _sale(shop["pos"], "K9-1", a, quantity=3)
    results = run_in_threads(lambda: till_sale_record(channel=shop["pos"], data=sale), [()] * 20)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert len({r.number for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert Order.objects.filter(channel=shop["pos"]).count() == 1 and TillSale.objects.count() == 1
    assert on_hand(a, shop["lodz"]) == 7
    assert StockMovement.objects.filter(kind="sale", variant=a, location=shop["lodz"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_different_receipts_selling_past_the_stock_at_once_keep_the_checks(shop):
    a = shop["variants"][0]
    stock(a, shop["lodz"], 2)
    sales = [(_sale(shop["pos"], f"K8-{i}", a),) for i in range(8)]
    results = run_in_threads(lambda s: till_sale_record(channel=shop["pos"], data=s), sales)
    assert not [r for r in results if isinstance(r, Exception)]
    level = StockLevel.objects.get(variant=a, location=shop["lodz"])
    assert level.on_hand == 0
    total_corrected = sum(sum(c.values()) for c in TillSale.objects.values_list("stock_corrections", flat=True))
    assert total_corrected == 6  # 8 sold, 2 on record
    moves = StockMovement.objects.filter(variant=a, location=shop["lodz"])
    assert sum(moves.values_list("quantity", flat=True)) == level.on_hand


def test_a_long_receipt_costs_no_more_queries_than_a_short_one(api_client, till, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.tests.factories import VariantFactory

    variants = [VariantFactory() for _ in range(12)]
    for v in variants:
        stock(v, till["lodz"], 5)

    def sale(receipt: str, items) -> int:
        lines = [{"sku": v.sku, "quantity": 1, "unit_price": "10.00"} for v in items]
        payload = body(
            till, receipt_number=receipt, lines=lines, payments=[{"method": "card", "amount": f"{10 * len(items)}.00"}]
        )
        with CaptureQueriesContext(connection) as queries:
            response = api_client.post(URL, payload, format="json", **auth(till))
        assert response.status_code == 201, response.json()
        return len(queries)

    sale("Q-1", variants[:1])  # the key's first use of the window records its use once
    assert sale("Q-2", variants[1:3]) == sale("Q-12", variants[3:])


def test_store_staff_see_their_own_stores_till_sales_in_admin(client, till):
    from django.contrib.auth.models import Group

    from omnishop.accounts.models import User
    from omnishop.accounts.roles import STORE_STAFF

    a = till["variants"][0]
    stock(a, till["lodz"], 5)
    stock(a, till["waw"], 5)
    one = {
        "lines": [{"sku": a.sku, "quantity": 1, "unit_price": "10.00"}],
        "payments": [{"method": "cash", "amount": "10.00"}],
    }
    client.post(URL, body(till, receipt_number="L-1", **one), content_type="application/json", **auth(till))
    client.post(
        URL, body(till, store="waw", receipt_number="W-1", **one), content_type="application/json", **auth(till)
    )
    clerk = User.objects.create_user(email="clerk@example.pl", password="x-pass-123", is_staff=True)
    clerk.groups.add(Group.objects.get(name=STORE_STAFF))
    till["lodz"].staff.add(clerk)
    client.force_login(clerk)
    page = client.get("/admin/orders/tillsale/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "L-1" in html and "W-1" not in html
    waw_sale = TillSale.objects.get(receipt_number="W-1")
    assert client.get(f"/admin/orders/tillsale/{waw_sale.pk}/change/").status_code in (302, 404)
