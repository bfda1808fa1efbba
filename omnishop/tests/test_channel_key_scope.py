"""A channel API key reaches its own channel only, on every endpoint of the API.

Two marketplaces, allegro and empik, each with a key holding every scope: allegro's key must
neither read nor change empik's products, orders or carts, nor act as empik (or as the web shop)
by declaring another channel. Stock is not per channel: its sync is open to any channel's key
with the stock:sync scope by design.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from catalog.api.channels import ChannelMixin
from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from inventory.services import stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.apikeys.models import Scope
from omnishop.apikeys.services import apikey_create
from orders.models import Cart, Order
from orders.services import Contact, cart_create_anonymous, cart_line_set, order_place

pytestmark = pytest.mark.django_db

ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}
ALL_SCOPES = [s.value for s in Scope]


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _product(channels, sku: str):
    product = ProductFactory(name=f"Product {sku}", slug=f"product-{sku.lower()}")
    variant = VariantFactory(product=product, sku=sku)
    price_set(variant=variant, amount=Decimal("50.00"))
    for channel in channels:
        listing_publish(product=product, channel=channel, published_from=timezone.now() - timedelta(days=1))
    return variant


@pytest.fixture
def world():
    web = ChannelFactory(code="web", kind=Channel.Kind.WEB)
    allegro = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    empik = ChannelFactory(code="empik", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    shared = _product([web, allegro, empik], "SHARED-1")
    empik_only = _product([web, empik], "EMPIK-1")
    warehouse = WarehouseFactory(code="wh-scope")
    LocationFactory(code="store-scope")
    for variant in (shared, empik_only):
        stock_receive(variant=variant, location=warehouse, quantity=20)
    empik_order = order_place(
        channel=empik,
        lines={empik_only.pk: 1},
        fulfilment_type="delivery",
        contact=Contact(email="buyer@empik.example"),
        shipping_address=ADDRESS,
        idempotency_key="shared-key-1",
        fingerprint="empik-fingerprint",
    )
    web_cart = cart_create_anonymous(channel=web)
    cart_line_set(cart=web_cart, variant=shared, quantity=2)
    _row, allegro_key = apikey_create(channel=allegro, name="Allegro", scopes=ALL_SCOPES)
    _row, empik_key = apikey_create(channel=empik, name="Empik", scopes=ALL_SCOPES)
    return {
        "web": web,
        "allegro": allegro,
        "empik": empik,
        "shared": shared,
        "empik_only": empik_only,
        "empik_order": empik_order,
        "web_cart": web_cart,
        "allegro_key": allegro_key,
        "empik_key": empik_key,
    }


def _api_routes():
    """(path with sample arguments, view class) for every route under /api/v1/."""

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), getattr(p.callback, "view_class", None)

    for route, view in walk(get_resolver().url_patterns, ""):
        if route.startswith("api/v1/") and view is not None:
            yield "/" + route.replace("<str:id_or_slug>", "{slug}").replace("<str:number>", "{number}"), view


def _methods(view) -> list[str]:
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


CHANNEL_ROUTES = [
    (route, method) for route, view in _api_routes() if issubclass(view, ChannelMixin) for method in _methods(view)
]


SIGNED_IN_ONLY = {"/api/v1/cart/merge/", "/api/v1/me/consents/", "/api/v1/me/export/"}


def test_the_channel_aware_routes_are_the_ones_expected():
    """A new endpoint that acts in a channel joins the mismatch test below by itself."""
    routes = {route for route, _method in CHANNEL_ROUTES}
    assert {
        "/api/v1/products/",
        "/api/v1/products/{slug}/",
        "/api/v1/channel/",
        "/api/v1/orders/",
        "/api/v1/orders/{number}/",
        "/api/v1/orders/{number}/cancel/",
        "/api/v1/cart/",
        "/api/v1/cart/lines/",
        "/api/v1/availability/",
        "/api/v1/locations/nearest/",
        "/api/v1/locations/pickup-options/",
    } <= routes


def _fill(route: str, world) -> str:
    return route.format(slug=world["shared"].product.slug, number=world["empik_order"].number)


@pytest.mark.parametrize(("route", "method"), CHANNEL_ROUTES, ids=[f"{m.upper()} {r}" for r, m in CHANNEL_ROUTES])
@pytest.mark.parametrize("how", ["header", "query"])
@pytest.mark.parametrize("other", ["empik", "web"])
def test_a_key_cannot_declare_another_channel_on_any_endpoint(api_client, world, route, method, how, other):
    url = _fill(route, world)
    payload = {
        "lines": [{"sku": "SHARED-1", "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "contact": {"email": "x@example.pl"},
        "sku": "SHARED-1",
        "quantity": 1,
    }
    if how == "header":
        kwargs = {"HTTP_X_CHANNEL": other}
    else:
        url = f"{url}?channel={other}"
        kwargs = {}
    orders, carts = Order.objects.count(), Cart.objects.count()
    response = getattr(api_client, method)(
        url, payload if method != "get" else None, format="json", **kwargs, **_auth(world["allegro_key"])
    )
    assert response.status_code == 403, response.content
    # Routes for signed-in users only refuse any key before they resolve the channel.
    expected = "permission_denied" if route in SIGNED_IN_ONLY else "channel_mismatch"
    assert response.json()["type"] == expected
    assert (Order.objects.count(), Cart.objects.count()) == (orders, carts)
    world["empik_order"].refresh_from_db()
    assert world["empik_order"].status == Order.Status.PLACED


def test_catalog_shows_a_key_only_its_channels_listings(api_client, world):
    auth = _auth(world["allegro_key"])
    skus = [v["sku"] for p in api_client.get("/api/v1/products/", **auth).json()["results"] for v in p["variants"]]
    assert skus == ["SHARED-1"]
    empik_only = world["empik_only"].product
    for ref in (empik_only.slug, empik_only.pk):
        response = api_client.get(f"/api/v1/products/{ref}/", **auth)
        assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert api_client.get("/api/v1/channel/", **auth).json()["code"] == "allegro"


def test_a_key_neither_sees_nor_cancels_another_channels_orders(api_client, world):
    auth = _auth(world["allegro_key"])
    number = world["empik_order"].number
    assert api_client.get("/api/v1/orders/", **auth).json()["count"] == 0
    assert api_client.get(f"/api/v1/orders/{number}/", **auth).status_code == 404
    cancel = api_client.post(f"/api/v1/orders/{number}/cancel/", {}, format="json", **auth)
    assert cancel.status_code == 404 and cancel.json()["type"] == "not_found"
    world["empik_order"].refresh_from_db()
    assert world["empik_order"].status == Order.Status.PLACED
    # Its own channel's key does see it.
    own = _auth(world["empik_key"])
    assert [o["number"] for o in api_client.get("/api/v1/orders/", **own).json()["results"]] == [number]


def test_an_idempotency_key_of_another_channel_never_returns_its_order(api_client, world):
    """The same Idempotency-Key from another channel's key places a new order in its own channel."""
    payload = {
        "lines": [{"sku": "SHARED-1", "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "contact": {"email": "buyer@allegro.example"},
    }
    response = api_client.post(
        "/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="shared-key-1", **_auth(world["allegro_key"])
    )
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "allegro"
    assert response.json()["number"] != world["empik_order"].number


def test_a_marketplace_key_gets_no_cart(api_client, world):
    auth = _auth(world["allegro_key"])
    carts = Cart.objects.count()
    token = {"HTTP_X_CART_TOKEN": str(world["web_cart"].token)}
    assert api_client.get("/api/v1/cart/", **auth).status_code == 403
    assert api_client.get("/api/v1/cart/", **token, **auth).status_code == 403
    put = api_client.put("/api/v1/cart/lines/", {"sku": "SHARED-1", "quantity": 5}, format="json", **token, **auth)
    assert put.status_code == 403 and put.json()["type"] == "permission_denied"
    merge = api_client.post("/api/v1/cart/merge/", {"token": str(world["web_cart"].token)}, format="json", **auth)
    assert merge.status_code == 403
    assert Cart.objects.count() == carts
    assert list(world["web_cart"].lines.values_list("quantity", flat=True)) == [2]


def test_a_key_cannot_check_out_another_channels_cart(api_client, world):
    cart = world["web_cart"]
    response = api_client.post(
        "/api/v1/orders/",
        {"from_cart": True, "fulfilment_type": "delivery", "shipping_address": ADDRESS, "contact": {"email": "a@b.pl"}},
        format="json",
        HTTP_X_CART_TOKEN=str(cart.token),
        **_auth(world["allegro_key"]),
    )
    assert response.status_code in (400, 403, 404), response.status_code
    cart.refresh_from_db()
    assert cart.status == Cart.Status.ACTIVE and cart.lines.count() == 1
    assert not Order.objects.filter(channel=world["allegro"]).exists()


@pytest.mark.parametrize(
    ("scope", "method", "url", "payload"),
    [
        ("stock:read", "get", "/api/v1/availability/?sku=SHARED-1", None),
        ("stock:read", "get", "/api/v1/locations/nearest/?lat=52.2&lng=21.0", None),
        ("stock:read", "get", "/api/v1/locations/pickup-options/?lat=52.2&lng=21.0&line=SHARED-1:1", None),
        ("orders:write", "get", "/api/v1/orders/", None),
        ("orders:write", "post", "/api/v1/orders/", {}),
        ("orders:write", "post", "/api/v1/marketplace/orders/", {}),
        ("stock:read", "get", "/api/v1/marketplace/stock/", None),
        (
            "stock:sync",
            "post",
            "/api/v1/stock/sync/",
            {"sync_id": "s-1", "rows": [{"location": "wh-scope", "sku": "SHARED-1", "quantity": 1}]},
        ),
    ],
)
def test_a_key_without_the_scope_is_refused(api_client, world, scope, method, url, payload):
    _row, key = apikey_create(channel=world["allegro"], name="Narrow", scopes=[s for s in ALL_SCOPES if s != scope])
    movements = world["shared"].stock_levels.get().on_hand
    response = getattr(api_client, method)(url, payload, format="json", **_auth(key))
    assert response.status_code == 403 and response.json()["type"] == "permission_denied", response.content
    assert world["shared"].stock_levels.get().on_hand == movements


@pytest.mark.parametrize("route", ["/api/v1/me/", "/api/v1/cart/merge/"])
def test_a_key_is_not_a_signed_in_user(api_client, world, route):
    method = "get" if route == "/api/v1/me/" else "post"
    response = getattr(api_client, method)(
        route,
        {"token": str(world["web_cart"].token)} if method == "post" else None,
        format="json",
        **_auth(world["allegro_key"]),
    )
    assert response.status_code == 403 and response.json()["type"] == "permission_denied"


def test_an_unknown_scope_is_refused_and_creates_no_key(world):
    from django.core.exceptions import ValidationError

    from omnishop.apikeys.models import ChannelAPIKey

    with pytest.raises(ValidationError) as refused:
        apikey_create(channel=world["allegro"], name="Too wide", scopes=["stock:read", "orders:delete"])
    assert refused.value.message_dict == {"scopes": ["Unknown scope orders:delete."]}
    assert not ChannelAPIKey.objects.filter(name="Too wide").exists()
