"""Every list (and many-rows detail) endpoint runs as many queries for 3N rows as for N, for
each kind of caller: anonymous, customer, order staff, store staff and a channel API key.

A world at scale N has N orders per caller with N lines and N fulfilments each, N products
with N variants each, N categories with N children, a cart with N lines and a user in N roles.
"""

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import CategoryFactory, ChannelFactory, ProductFactory, VariantFactory
from customers.services import customer_for_user_ensure
from inventory.services import stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.accounts.models import User
from omnishop.accounts.roles import STORE_STAFF
from omnishop.apikeys.services import apikey_create
from orders.services import Contact, cart_for_customer, cart_line_set, order_place

SMALL = 2
LARGE = 3 * SMALL
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}

_serial = count(1)


@pytest.fixture
def actors(db):
    """The callers, made once; each world adds rows they see."""
    web = ChannelFactory(code="web", kind=Channel.Kind.WEB)
    allegro = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    _key, plain = apikey_create(channel=allegro, name="Allegro", scopes=["orders:write", "stock:read"])
    buyer = User.objects.create_user(email="buyer@example.pl", password="x-pass-123")
    agent = User.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    agent.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_order", "add_order", "change_order"], content_type__app_label="orders"
        )
    )
    clerk = User.objects.create_user(email="clerk@example.pl", password="x-pass-123", is_staff=True)
    clerk.groups.add(Group.objects.get(name=STORE_STAFF))
    store = LocationFactory(code="store-audit", city="Kraków")
    store.staff.add(clerk)
    return {
        "web": web,
        "allegro": allegro,
        "key": plain,
        "buyer": buyer,
        "customer": customer_for_user_ensure(user=buyer),
        "agent": agent,
        "clerk": clerk,
        "store": store,
    }


def _variants(*, scale: int, tag: str, channels) -> list:
    """``scale`` variants of one product, each stocked only in its own warehouse (an order of all
    of them has ``scale`` fulfilments), priced and listed in ``channels``."""
    product = ProductFactory(name=f"API audit {tag}")
    variants = []
    for i in range(scale):
        variant = VariantFactory(product=product)
        price_set(variant=variant, amount=Decimal("10.00") + i)
        stock_receive(variant=variant, location=WarehouseFactory(code=f"wh-api-{tag}-{i}"), quantity=100)
        variants.append(variant)
    for channel in channels:
        listing_publish(product=product, channel=channel, published_from=timezone.now() - timedelta(days=1))
    return variants


def build(actors, scale: int) -> dict:
    tag = f"a{next(_serial)}"
    web, allegro = actors["web"], actors["allegro"]
    variants = _variants(scale=scale, tag=tag, channels=[web, allegro])
    for _ in range(scale - 1):  # scale products of scale variants each
        _variants(scale=scale, tag=f"{tag}-{next(_serial)}", channels=[web, allegro])
    for i in range(scale):
        root = CategoryFactory(name=f"Root {tag} {i}", slug=f"root-{tag}-{i}")
        for j in range(scale):
            CategoryFactory(parent=root, name=f"Child {tag} {i} {j}", slug=f"child-{tag}-{i}-{j}")

    lines = {v.pk: 1 for v in variants}
    orders = {}
    for i in range(scale):
        orders["customer"] = order_place(
            channel=web,
            lines=lines,
            fulfilment_type="delivery",
            customer=actors["customer"],
            shipping_address=ADDRESS,
        )
        orders["key"] = order_place(
            channel=allegro,
            lines=lines,
            fulfilment_type="delivery",
            contact=Contact(email=f"allegro-{tag}-{i}@example.pl"),
            shipping_address=ADDRESS,
        )
        orders["clerk"] = order_place(
            channel=web,
            lines=lines,
            fulfilment_type="click_and_collect",
            pickup_location=actors["store"],
            contact=Contact(email=f"pickup-{tag}-{i}@example.pl"),
        )
    orders["agent"] = orders["customer"]

    cart = cart_for_customer(customer=actors["customer"], channel=web)
    for v in variants:
        cart_line_set(cart=cart, variant=v, quantity=1)
    for i in range(scale):
        actors["buyer"].groups.add(Group.objects.create(name=f"Role {tag} {i}"))
    return {"orders": orders, "product": variants[0].product}


def _login(api_client, actors, who: str) -> dict:
    """Authenticates ``api_client`` as ``who``; returns extra request headers."""
    api_client.force_authenticate(None)
    if who == "key":
        return {"HTTP_AUTHORIZATION": f"Api-Key {actors['key']}"}
    if who != "anonymous":
        api_client.force_authenticate(actors["buyer"] if who == "customer" else actors[who])
    return {}


def _count(api_client, url, headers, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api_client.get(url, params or {}, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return len(ctx.captured_queries)


LISTS = [
    # (caller, url, params)
    ("anonymous", "/api/v1/products/", {"page_size": 100}),
    ("key", "/api/v1/products/", {"page_size": 100}),
    ("customer", "/api/v1/products/", {"page_size": 100, "q": "audit", "ordering": "-price"}),
    ("anonymous", "/api/v1/categories/", {}),
    ("customer", "/api/v1/orders/", {"page_size": 100}),
    ("agent", "/api/v1/orders/", {"page_size": 100}),
    ("clerk", "/api/v1/orders/", {"page_size": 100}),
    ("key", "/api/v1/orders/", {"page_size": 100}),
    ("customer", "/api/v1/cart/", {}),
    ("customer", "/api/v1/me/", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "url", "params"), LISTS, ids=[f"{w}:{u}" for w, u, _p in LISTS])
def test_list_endpoint_query_count_is_the_same_for_n_and_3n_rows(api_client, actors, who, url, params):
    build(actors, SMALL)
    headers = _login(api_client, actors, who)
    _count(api_client, url, headers, params)  # warm per-process caches and the key's last-used write
    small = _count(api_client, url, headers, params)
    build(actors, LARGE)
    assert _count(api_client, url, headers, params) == small


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer", "agent", "clerk", "key"])
def test_order_detail_query_count_is_the_same_for_n_and_3n_lines(api_client, actors, who):
    small_order = build(actors, SMALL)["orders"][who]
    headers = _login(api_client, actors, who)
    url = f"/api/v1/orders/{small_order.number}/"
    _count(api_client, url, headers)
    small = _count(api_client, url, headers)
    large_order = build(actors, LARGE)["orders"][who]
    assert large_order.lines.count() == LARGE and large_order.fulfilments.count() >= LARGE
    assert _count(api_client, f"/api/v1/orders/{large_order.number}/", headers) == small


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "key"])
def test_product_detail_query_count_is_the_same_for_n_and_3n_variants(api_client, actors, who):
    small_product = build(actors, SMALL)["product"]
    headers = _login(api_client, actors, who)
    _count(api_client, f"/api/v1/products/{small_product.slug}/", headers)
    small = _count(api_client, f"/api/v1/products/{small_product.slug}/", headers)
    large_product = build(actors, LARGE)["product"]
    assert large_product.variants.count() == LARGE
    assert _count(api_client, f"/api/v1/products/{large_product.slug}/", headers) == small


@pytest.mark.django_db
def test_lists_really_grow(api_client, actors):
    """The tests above mean something only if each caller's list has more rows at 3N."""
    build(actors, SMALL)
    sizes = {}
    for who in ("customer", "agent", "clerk", "key"):
        headers = _login(api_client, actors, who)
        sizes[who] = api_client.get("/api/v1/orders/", {"page_size": 100}, **headers).json()["count"]
    build(actors, LARGE)
    growth = {"customer": LARGE, "agent": 3 * LARGE, "clerk": LARGE, "key": LARGE}  # the agent sees all
    for who, before in sizes.items():
        headers = _login(api_client, actors, who)
        body = api_client.get("/api/v1/orders/", {"page_size": 100}, **headers).json()
        assert body["count"] == before + growth[who], who
        assert len(body["results"][0]["lines"]) == LARGE, who
    _login(api_client, actors, "customer")
    assert len(api_client.get("/api/v1/cart/").json()["lines"]) == SMALL + LARGE
    assert len(api_client.get("/api/v1/me/").json()["roles"]) == SMALL + LARGE
