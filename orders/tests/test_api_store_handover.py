"""The counter's REST endpoints for a store app: find, preview, hand over, try-on visit; store
scoped (another store's order is a 404) with the one error body."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omnishop.accounts.models import User
from orders.models import Order
from orders.tests.test_handover import ready_order, store_staff

pytestmark = pytest.mark.django_db


def url(order, what="handover"):
    return f"/api/v1/store/orders/{order.number}/{what}/"


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_find_by_code_answers_the_preview(api_client, shop):
    order, seller = ready_order(shop, payment_method="pay_in_store")
    response = as_user(api_client, seller).post(
        "/api/v1/store/orders/find/", {"code": order.pickup_code}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["number"], body["kind"], body["customer_name"], body["phone_hint"]) == (
        order.number,
        "pickup",
        "Anna Wójcik",
        "789",
    )
    assert body["amount_to_collect"] == {"amount": "301.00", "currency": "PLN"}
    assert [line["quantity"] for line in body["lines"]] == [2, 1]


def test_find_by_number_surname_and_phone_and_its_refusals(api_client, shop):
    order, seller = ready_order(shop)
    client = as_user(api_client, seller)
    found = {"number": order.number, "surname": "Wojcik", "phone_digits": "789"}
    assert client.post("/api/v1/store/orders/find/", found, format="json").status_code == 200
    wrong = client.post("/api/v1/store/orders/find/", found | {"phone_digits": "788"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["type"] == "customer_check_failed"
    assert set(wrong.json()) == {"type", "title", "detail", "errors"}
    assert client.post("/api/v1/store/orders/find/", {}, format="json").json()["type"] == "validation_error"
    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    other = as_user(api_client, elsewhere).post(
        "/api/v1/store/orders/find/", {"code": order.pickup_code}, format="json"
    )
    assert other.status_code == 404 and other.json()["type"] == "pickup_not_found"


def test_preview_with_refused_units_and_another_stores_order_is_a_404(api_client, shop):
    order, seller = ready_order(shop, payment_method="pay_in_store")
    a_line = order.lines.order_by("id").first()
    client = as_user(api_client, seller)
    body = client.get(url(order), {"refused": f"{a_line.pk}:1"}).json()
    assert body["refused_amount"]["amount"] == "100.00" and body["amount_to_collect"]["amount"] == "201.00"
    assert client.get(url(order), {"refused": "x"}).status_code == 400
    too_many = client.get(url(order), {"refused": f"{a_line.pk}:5"})
    assert too_many.status_code == 400 and str(a_line.pk) in too_many.json()["errors"]
    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    assert as_user(api_client, elsewhere).get(url(order)).status_code == 404
    assert (
        as_user(api_client, elsewhere).post(url(order), {"code": order.pickup_code}, format="json").status_code == 404
    )


def test_pay_in_store_hand_over_needs_the_till_and_then_completes(api_client, shop):
    order, seller = ready_order(shop, payment_method="pay_in_store")
    a_line = order.lines.order_by("id").first()
    client = as_user(api_client, seller)
    body = {"code": order.pickup_code, "refused": [{"line": a_line.pk, "quantity": 1}], "collector_name": "Jan Nowak"}
    refused = client.post(url(order), body, format="json")
    assert refused.status_code == 400 and refused.json()["type"] == "till_payment_required"
    assert set(refused.json()["errors"]) == {"till_method", "receipt_number"}
    bad_till = client.post(url(order), body | {"till": {"method": "cheque", "receipt_number": "1"}}, format="json")
    assert bad_till.status_code == 400 and "till.method" in bad_till.json()["errors"]
    done = client.post(url(order), body | {"till": {"method": "card", "receipt_number": "W1/7"}}, format="json")
    assert done.status_code == 200, done.content
    assert done.json() == {
        "number": order.number,
        "status": "completed",
        "payment_status": "paid",
        "refunded_total": {"amount": "0.00", "currency": "PLN"},
    }
    again = client.post(url(order), body | {"till": {"method": "card", "receipt_number": "W1/7"}}, format="json")
    assert again.status_code == 409 and again.json()["type"] == "already_handed_over"
    assert client.get(url(order)).json()["type"] == "already_handed_over"


def test_card_hand_over_with_a_refused_unit_and_a_wrong_code(api_client, shop):
    order, seller = ready_order(shop)
    a_line = order.lines.order_by("id").first()
    client = as_user(api_client, seller)
    wrong = "000000" if order.pickup_code != "000000" else "111111"
    response = client.post(url(order), {"code": wrong}, format="json")
    assert response.status_code == 400 and response.json()["type"] == "wrong_pickup_code"
    order.refresh_from_db()
    assert order.pickup_attempts == 1
    body = {"code": order.pickup_code, "refused": [{"line": a_line.pk, "quantity": 1}]}
    done = client.post(url(order), body, format="json")
    assert done.status_code == 200 and done.json()["refunded_total"]["amount"] == "100.00"
    order.refresh_from_db()
    assert order.status == "completed" and order.refunded_total == Decimal("100.00")


def test_try_on_visit(api_client, shop):
    order, seller = ready_order(shop, fulfilment_type="ropis", payment_method="pay_in_store")
    b_line = order.lines.order_by("id").last()
    client = as_user(api_client, seller)
    visit = {"code": order.pickup_code, "not_kept": [b_line.pk], "till": {"method": "cash", "receipt_number": "K/1"}}
    assert client.post(url(order), {"code": order.pickup_code}, format="json").json()["type"] == "invalid_transition"
    done = client.post(url(order, "visit"), visit, format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert Order.objects.get(pk=order.pk).events.filter(type="try_on_visited").exists()


def test_only_store_staff_use_the_counter(api_client, shop):
    order, _seller = ready_order(shop)
    assert api_client.get(url(order)).status_code in (401, 403)
    customer = User.objects.create_user(email="klient@example.pl", password="x-pass-123")
    response = as_user(api_client, customer).post("/api/v1/store/orders/find/", {"code": "123456"}, format="json")
    assert response.status_code == 403 and response.json()["type"] == "permission_denied"


def test_the_preview_runs_as_many_queries_for_3n_lines_as_for_n(api_client, shop):
    from catalog.services import listing_publish, price_set
    from catalog.tests.factories import ProductFactory, VariantFactory

    extra = []
    for i in range(6):
        variant = VariantFactory(product=ProductFactory(name=f"Sukienka {i}"))
        price_set(variant=variant, amount=Decimal("50.00"))
        listing_publish(product=variant.product, channel=shop["web"])
        extra.append(variant)
    shop["variants"] = shop["variants"] + extra

    def queries(units):
        order, seller = ready_order(
            shop, units=units, seller=User.objects.filter(email="sprzedawca@example.pl").first()
        )
        client = as_user(api_client, seller)
        client.get(url(order))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(order)).status_code == 200
        return len(ctx)

    assert queries((1, 1, 1)) == queries((1,) * 9)
