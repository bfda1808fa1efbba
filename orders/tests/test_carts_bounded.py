"""Carts cannot grow without bound: a read creates no anonymous cart, stale anonymous carts
are purged with their holds, and a merge keeps to the per-line maximum."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import StockHold
from omnishop.accounts.models import User
from orders.models import Cart, CartLine
from orders.services import cart_create_anonymous, cart_for_customer, cart_line_set
from orders.services.carts import anonymous_carts_purge, cart_delete, cart_token_issued
from orders.tasks import anonymous_carts_purge as anonymous_carts_purge_task
from orders.tests.conftest import stock

pytestmark = pytest.mark.django_db


def test_reading_the_cart_without_a_token_writes_no_row(api_client, shop):
    for _ in range(20):
        body = api_client.get("/api/v1/cart/").json()
        assert body["lines"] == [] and body["subtotal"] is None and body["problems"] == {}
        assert body["channel"] == "web" and cart_token_issued(body["token"])
    assert not Cart.objects.exists()


def test_the_cart_is_created_on_its_first_line_under_the_token_the_read_gave(api_client, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    token = api_client.get("/api/v1/cart/").json()["token"]
    again = api_client.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token)
    assert again.status_code == 200 and again.json()["token"] == token and not Cart.objects.exists()
    put = api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 1}, format="json", HTTP_X_CART_TOKEN=token)
    assert put.status_code == 200 and put.json()["token"] == token
    assert str(Cart.objects.get().token) == token


def test_a_token_the_server_did_not_issue_creates_nothing(api_client, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    made_up = "00000000-0000-4000-8000-000000000000"
    put = api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 1}, format="json", HTTP_X_CART_TOKEN=made_up)
    assert put.status_code == 404 and put.json()["type"] == "not_found"
    assert not Cart.objects.exists()


def test_a_merged_carts_token_is_not_a_new_cart(api_client, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    token = api_client.get("/api/v1/cart/").json()["token"]
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 1}, format="json", HTTP_X_CART_TOKEN=token)
    Cart.objects.filter(token=token).update(status=Cart.Status.MERGED)
    assert api_client.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).status_code == 404


@pytest.fixture
def held(settings):
    settings.OMNISHOP_CART_HOLD_MINUTES = 30


def test_the_purge_deletes_stale_anonymous_carts_and_releases_their_holds(shop, held, settings):
    settings.OMNISHOP_ANONYMOUS_CART_DAYS = 30
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 10)
    stale, fresh = cart_create_anonymous(channel=shop["web"]), cart_create_anonymous(channel=shop["web"])
    user = User.objects.create_user(email="klient@example.pl", password="x-pass-123")
    from customers.services import customer_for_user_ensure

    customers_cart = cart_for_customer(customer=customer_for_user_ensure(user=user), channel=shop["web"])
    for cart in (stale, fresh, customers_cart):
        cart_line_set(cart=cart, variant=a, quantity=2)
    long_ago = timezone.now() - timedelta(days=31)
    Cart.objects.filter(pk__in=[stale.pk, customers_cart.pk]).update(updated_at=long_ago)
    assert StockHold.objects.filter(reference=stale.hold_reference).exists()

    assert anonymous_carts_purge_task.delay().get() == 1
    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh.pk, customers_cart.pk}
    assert not StockHold.objects.filter(reference=stale.hold_reference).exists()
    assert not CartLine.objects.filter(cart_id=stale.pk).exists()
    assert StockHold.objects.filter(reference=fresh.hold_reference).exists()
    assert anonymous_carts_purge() == 0


def test_the_purge_is_scheduled():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "orders.tasks.anonymous_carts_purge" in tasks


def test_deleting_a_cart_in_admin_releases_its_holds(client, superuser, shop, held):
    a, b = shop["variants"][:2]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    one, two = cart_create_anonymous(channel=shop["web"]), cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=one, variant=a, quantity=1)
    cart_line_set(cart=two, variant=b, quantity=1)
    client.force_login(superuser)
    response = client.post(f"/admin/orders/cart/{one.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = client.post(
        "/admin/orders/cart/", {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Cart.objects.exists()
    assert not StockHold.objects.exists()


def test_cart_delete_of_a_cart_already_gone_is_a_no_op(shop):
    cart = cart_create_anonymous(channel=shop["web"])
    cart_delete(cart=cart)
    cart_delete(cart=cart)
    assert not Cart.objects.exists()


def test_a_merge_keeps_to_the_per_line_maximum_and_says_so(api_client, shop):
    a, b = shop["variants"][:2]
    stock(a, shop["warehouse"], 5000)
    stock(b, shop["warehouse"], 3)
    tokens = []
    for quantity in (999, 999, 999):
        token = api_client.get("/api/v1/cart/").json()["token"]
        api_client.put(
            "/api/v1/cart/lines/", {"sku": a.sku, "quantity": quantity}, format="json", HTTP_X_CART_TOKEN=token
        )
        tokens.append(token)
    user = User.objects.create_user(email="hurt@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    assert api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 999}, format="json").status_code == 200
    for token in tokens:
        merged = api_client.post("/api/v1/cart/merge/", {"token": token}, format="json")
        assert merged.status_code == 200, merged.json()
        body = merged.json()
        assert [(ln["sku"], ln["quantity"]) for ln in body["lines"]] == [(a.sku, 999)]
        assert body["problems"] == {
            a.sku: ["The two carts had 1998 units together; a line holds at most 999: the line has 999."]
        }
    assert CartLine.objects.get(cart__customer__user=user).quantity == 999


def test_a_merge_names_a_line_cut_to_what_is_available(api_client, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 3)
    token = api_client.get("/api/v1/cart/").json()["token"]
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 2}, format="json", HTTP_X_CART_TOKEN=token)
    user = User.objects.create_user(email="malo@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 2}, format="json")
    body = api_client.post("/api/v1/cart/merge/", {"token": token}, format="json").json()
    assert [(ln["sku"], ln["quantity"]) for ln in body["lines"]] == [(a.sku, 3)]
    assert body["problems"] == {a.sku: ["The two carts had 4 units together and 3 are available: the line has 3."]}
