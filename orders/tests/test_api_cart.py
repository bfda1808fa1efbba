import pytest

from omnishop.accounts.models import User
from orders.tests.conftest import stock

pytestmark = pytest.mark.django_db


def test_anonymous_cart_then_login_merge_and_checkout_from_cart(api_client, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    token = api_client.get("/api/v1/cart/").json()["token"]
    put = api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 2}, format="json", HTTP_X_CART_TOKEN=token)
    assert put.status_code == 200
    assert put.json()["subtotal"] == {"amount": "200.00", "currency": "PLN"}
    too_many = api_client.put(
        "/api/v1/cart/lines/", {"sku": a.sku, "quantity": 9}, format="json", HTTP_X_CART_TOKEN=token
    )
    assert too_many.status_code == 409 and too_many.json()["type"] == "insufficient_stock"

    user = User.objects.create_user(email="cart@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    merged = api_client.post("/api/v1/cart/merge/", {"token": token}, format="json").json()
    assert [(ln["sku"], ln["quantity"]) for ln in merged["lines"]] == [(a.sku, 2)]
    # another channel of the same customer (the app, here the call centre) sees the same cart
    assert api_client.get("/api/v1/cart/", HTTP_X_CHANNEL="call-centre").json()["token"] == merged["token"]
    order = api_client.post(
        "/api/v1/orders/",
        {"from_cart": True, "fulfilment_type": "click_and_collect", "pickup_store": "waw"},
        format="json",
    )
    assert order.status_code == 201, order.json()
    assert order.json()["status"] == "awaiting_transfer"  # the warehouse sends the pair to Warsaw
    assert api_client.get("/api/v1/cart/").json()["lines"] == []  # a fresh cart after ordering
