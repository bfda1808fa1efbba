import pytest

from catalog.models import Price
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
    # the app sees the same cart as the web shop
    assert api_client.get("/api/v1/cart/", HTTP_X_CHANNEL="app").json()["token"] == merged["token"]
    order = api_client.post(
        "/api/v1/orders/",
        {"from_cart": True, "fulfilment_type": "click_and_collect", "pickup_store": "waw"},
        format="json",
    )
    assert order.status_code == 201, order.json()
    assert order.json()["status"] == "awaiting_transfer"  # the warehouse sends the pair to Warsaw
    assert api_client.get("/api/v1/cart/").json()["lines"] == []  # a fresh cart after ordering


@pytest.mark.parametrize("token", ["not-a-uuid", "8b1f6a7e-2f1d-4c43-9d55-0c4e1f0f2a11"])
def test_an_unknown_or_malformed_cart_token_is_a_404_with_the_error_body(api_client, shop, token):
    response = api_client.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token)
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_cart_lines_render_money_and_name_lines_that_can_no_longer_be_sold(api_client, shop):
    a, b = shop["variants"][:2]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    token = api_client.get("/api/v1/cart/").json()["token"]
    for variant, quantity in ((a, 3), (b, 1)):
        api_client.put(
            "/api/v1/cart/lines/", {"sku": variant.sku, "quantity": quantity}, format="json", HTTP_X_CART_TOKEN=token
        )
    cart = api_client.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).json()
    assert [(ln["sku"], ln["quantity"], ln["unit_price"], ln["line_total"]) for ln in cart["lines"]] == [
        (a.sku, 3, {"amount": "100.00", "currency": "PLN"}, {"amount": "300.00", "currency": "PLN"}),
        (b.sku, 1, {"amount": "101.00", "currency": "PLN"}, {"amount": "101.00", "currency": "PLN"}),
    ]
    assert cart["subtotal"] == {"amount": "401.00", "currency": "PLN"} and cart["problems"] == {}

    Price.objects.filter(variant=b).delete()  # the price list changed after the line was added
    cart = api_client.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).json()
    assert list(cart["problems"]) == [b.sku]
    assert cart["subtotal"] is None
    assert {ln["sku"]: ln["unit_price"] for ln in cart["lines"]} == {a.sku: None, b.sku: None}


def test_a_retry_of_a_cart_checkout_returns_the_first_order(api_client, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    user = User.objects.create_user(email="retry@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 2}, format="json")
    checkout = {"from_cart": True, "fulfilment_type": "click_and_collect", "pickup_store": "waw"}
    first = api_client.post("/api/v1/orders/", checkout, format="json", HTTP_IDEMPOTENCY_KEY="cart-1")
    assert first.status_code == 201, first.json()
    again = api_client.post("/api/v1/orders/", checkout, format="json", HTTP_IDEMPOTENCY_KEY="cart-1")
    assert again.status_code == 200, again.json()
    assert again.json()["number"] == first.json()["number"]
    # Without a first order an empty cart is still refused, key or not.
    for key in ("cart-2", ""):
        empty = api_client.post("/api/v1/orders/", checkout, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert empty.status_code == 400 and "from_cart" in empty.json()["errors"], empty.json()


@pytest.mark.parametrize("channel", ["store", "call-centre", "b2b"])
def test_carts_are_for_the_web_shop_and_the_app(api_client, shop, channel):
    response = api_client.get("/api/v1/cart/", HTTP_X_CHANNEL=channel)
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"


def test_a_customer_known_from_the_call_centre_signs_up_and_uses_the_cart(api_client, shop):
    from allauth.account.models import EmailAddress

    from customers.models import Customer

    known = Customer.objects.create(first_name="Zofia", email="zofia@example.pl")  # ordered by phone before
    user = User.objects.create_user(email="zofia@example.pl", password="x-pass-123")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    api_client.force_authenticate(user)
    response = api_client.get("/api/v1/cart/")
    assert response.status_code == 200, response.json()
    known.refresh_from_db()
    assert known.user == user


def test_a_marketplace_key_cannot_check_out_a_shoppers_cart_by_its_token(api_client, shop):
    from catalog.services import listing_publish
    from catalog.tests.factories import ChannelFactory
    from omnishop.apikeys.services import apikey_create
    from orders.models import Cart, Order

    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    token = api_client.get("/api/v1/cart/").json()["token"]
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 2}, format="json", HTTP_X_CART_TOKEN=token)
    allegro = ChannelFactory(code="allegro", kind="marketplace", api_key_required=True)
    listing_publish(product=a.product, channel=allegro)
    _row, key = apikey_create(channel=allegro, name="Allegro", scopes=["orders:write"])
    checkout = {
        "from_cart": True,
        "fulfilment_type": "delivery",
        "shipping_address": {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"},
        "contact": {"email": "kupujacy@allegro.example"},
    }
    response = api_client.post(
        "/api/v1/orders/", checkout, format="json", HTTP_X_CART_TOKEN=token, HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 403 and response.json()["type"] == "permission_denied", response.json()
    cart = Cart.objects.get(token=token)
    assert cart.status == Cart.Status.ACTIVE and not Order.objects.exists()


def test_a_line_set_on_a_cart_checked_out_meanwhile_is_a_409(api_client, shop, monkeypatch):
    """The request found the cart active, then a checkout ordered it before the line was set:
    the line is refused, not written into the ordered cart where no one would see it."""
    from orders.api import cart as cart_api
    from orders.models import Cart

    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    token = api_client.get("/api/v1/cart/").json()["token"]
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 1}, format="json", HTTP_X_CART_TOKEN=token)
    found = cart_api.cart_for_token

    def found_then_ordered(**kwargs):
        cart = found(**kwargs)
        Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.ORDERED)
        return cart

    monkeypatch.setattr(cart_api, "cart_for_token", found_then_ordered)
    response = api_client.put(
        "/api/v1/cart/lines/", {"sku": b.sku, "quantity": 1}, format="json", HTTP_X_CART_TOKEN=token
    )
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "cart_not_active"
    assert body["errors"] == {"cart": ["This cart is Ordered."]}
    assert list(Cart.objects.get(token=token).lines.values_list("variant__sku", "quantity")) == [(a.sku, 1)]


def test_a_checkout_of_a_cart_changed_meanwhile_is_a_409(api_client, shop, monkeypatch):
    from orders.api import views
    from orders.models import Cart, Order

    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    user = User.objects.create_user(email="race@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    api_client.put("/api/v1/cart/lines/", {"sku": a.sku, "quantity": 1}, format="json")
    place = views.order_place

    def line_added_meanwhile(**kwargs):
        api_client.put("/api/v1/cart/lines/", {"sku": b.sku, "quantity": 1}, format="json")
        return place(**kwargs)

    monkeypatch.setattr(views, "order_place", line_added_meanwhile)
    response = api_client.post(
        "/api/v1/orders/",
        {"from_cart": True, "fulfilment_type": "click_and_collect", "pickup_store": "waw"},
        format="json",
    )
    assert response.status_code == 409, response.json()
    assert response.json()["type"] == "cart_changed" and "from_cart" in response.json()["errors"]
    assert not Order.objects.exists()
    cart = Cart.objects.get(customer__user=user)
    assert cart.status == Cart.Status.ACTIVE and cart.lines.count() == 2


def _carts_to_merge(api_client, shop, *, anonymous: dict, mine: dict) -> tuple[str, User]:
    """An anonymous cart with the ``anonymous`` lines (variant → quantity), then a signed-in
    customer whose own cart has the ``mine`` lines; returns the anonymous token and the user."""
    token = api_client.get("/api/v1/cart/").json()["token"]
    for variant, quantity in anonymous.items():
        put = api_client.put(
            "/api/v1/cart/lines/", {"sku": variant.sku, "quantity": quantity}, format="json", HTTP_X_CART_TOKEN=token
        )
        assert put.status_code == 200, put.json()
    user = User.objects.create_user(email="merge@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    for variant, quantity in mine.items():
        put = api_client.put("/api/v1/cart/lines/", {"sku": variant.sku, "quantity": quantity}, format="json")
        assert put.status_code == 200, put.json()
    return token, user


def test_a_merge_beyond_what_is_available_says_what_it_cut_and_why(api_client, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 4)
    token, _user = _carts_to_merge(api_client, shop, anonymous={a: 2}, mine={a: 3})
    merged = api_client.post("/api/v1/cart/merge/", {"token": token}, format="json")
    assert merged.status_code == 200
    assert [(ln["sku"], ln["quantity"]) for ln in merged.json()["lines"]] == [(a.sku, 4)]
    assert merged.json()["problems"] == {
        a.sku: ["The two carts had 5 units together and 4 are available: the line has 4."]
    }


def test_a_merge_with_cart_holds_names_the_line_the_shelf_count_cut(api_client, shop, settings):
    from inventory.models import StockMovement
    from inventory.services import StockChange, stock_changes_apply

    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    a, b = shop["variants"][:2]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 1)
    token, _user = _carts_to_merge(api_client, shop, anonymous={a: 2, b: 1}, mine={a: 3})
    # Both carts hold their units; then the shelf count finds one a and the b gone.
    for variant, count in ((a, 4), (b, 0)):
        stock_changes_apply(
            changes=[StockChange(variant.pk, shop["warehouse"].pk, StockMovement.Kind.COUNT, count=count)]
        )
    merged = api_client.post("/api/v1/cart/merge/", {"token": token}, format="json", HTTP_ACCEPT_LANGUAGE="pl")
    assert [(ln["sku"], ln["quantity"]) for ln in merged.json()["lines"]] == [(a.sku, 4)]
    assert merged.json()["problems"] == {
        a.sku: ["Oba koszyki miały razem 5 szt., dostępne: 4 szt.; w pozycji jest 4 szt."],
        b.sku: ["Oba koszyki miały razem 1 szt., a żadna nie jest dostępna: pozycję usunięto."],
    }


def test_the_schema_documents_the_cart_problems(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    problems = schema["components"]["schemas"]["CartOut"]["properties"]["problems"]
    assert problems["type"] == "object" and problems["additionalProperties"]["items"]["type"] == "string"
    assert "in the answer to a merge" in problems["description"]
