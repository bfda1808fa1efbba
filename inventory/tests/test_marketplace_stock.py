"""A marketplace's stock: GET /api/v1/marketplace/stock/ and the channel_stock.changed events,
the same figures: online availability at the locations that ship, less the channel's buffer."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import Channel
from catalog.services import channel_update, listing_publish, listing_unpublish
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from conftest import run_in_threads
from inventory.models import ChannelStock, StockLevel
from inventory.selectors import channel_stock_figures
from inventory.services import (
    StockLine,
    channel_stock_refresh,
    location_update,
    stock_allocate,
    stock_hold_place,
    stock_receive,
    stock_release,
    stock_safety_stock_set,
)
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.apikeys.services import apikey_create
from omnishop.outbox.models import OutboxEvent
from omnishop.tests.admin_forms import admin_form_data

URL = "/api/v1/marketplace/stock/"
CHANNEL_STOCK_KEYS = {"channel": str, "sku": str, "available": int, "listed": bool}


def _listed(sku: str, channels) -> object:
    variant = VariantFactory(sku=sku, product=ProductFactory(name=f"Product {sku}"))
    for channel in channels:
        listing_publish(product=variant.product, channel=channel, published_from=timezone.now() - timedelta(days=1))
    return variant


@pytest.fixture
def world(db):
    web = ChannelFactory(code="web", kind=Channel.Kind.WEB)
    allegro = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True, stock_buffer=2)
    empik = ChannelFactory(code="empik", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    wh = WarehouseFactory(code="wh")
    krk = LocationFactory(code="krk", ship_from_store=True, ring_fence=1)  # ships, keeps 1 for walk-ins
    waw = LocationFactory(code="waw")  # a store that ships nothing
    a, b = _listed("A", [web, allegro]), _listed("B", [web, allegro, empik])
    web_only = _listed("W", [web])
    for variant in (a, b, web_only):
        stock_receive(variant=variant, location=wh, quantity=10)
        stock_receive(variant=variant, location=krk, quantity=5)
        stock_receive(variant=variant, location=waw, quantity=7)
    keys = {
        name: apikey_create(channel=channel, name=name, scopes=scopes)[1]
        for name, channel, scopes in (
            ("allegro", allegro, ["stock:read"]),
            ("empik", empik, ["stock:read"]),
            ("web", web, ["stock:read"]),
            ("allegro_orders", allegro, ["orders:write"]),
        )
    }
    return {"web": web, "allegro": allegro, "empik": empik, "wh": wh, "krk": krk, "waw": waw, "a": a, "b": b}, keys


def feed(api_client, keys, name="allegro", **params) -> dict[str, int]:
    response = api_client.get(URL, params, HTTP_AUTHORIZATION=f"Api-Key {keys[name]}")
    assert response.status_code == 200, response.json()
    return {row["sku"]: row["available"] for row in response.json()["results"]}


def events(channel: str = "allegro") -> dict[str, dict]:
    """The pending channel_stock.changed payloads of ``channel``, by SKU (one per SKU: coalesced)."""
    rows = OutboxEvent.objects.filter(type="channel_stock.changed", delivered_at__isnull=True).order_by("id")
    out = {}
    for event in rows:
        assert (event.version, event.aggregate_type) == (1, "channel_stock")
        assert set(event.payload) == set(CHANNEL_STOCK_KEYS)
        for key, kind in CHANNEL_STOCK_KEYS.items():
            assert isinstance(event.payload[key], kind), key
        if event.payload["channel"] == channel:
            assert event.payload["sku"] not in out, "coalesced: one pending event per channel and SKU"
            out[event.payload["sku"]] = event.payload
    return out


def deliver_all() -> None:
    OutboxEvent.objects.update(delivered_at=timezone.now())


pytestmark = pytest.mark.django_db


def test_the_feed_is_online_availability_at_shipping_locations_less_the_buffer(api_client, world):
    w, keys = world
    # 10 at the warehouse + (5 - ring-fence 1) at Kraków; Warszawa ships nothing; buffer 2.
    assert feed(api_client, keys) == {"A": 12, "B": 12}
    assert feed(api_client, keys, "empik") == {"B": 14}  # its own listings, no buffer
    stock_hold_place(lines=[StockLine(w["a"].pk, w["krk"].pk, 2)], kind="cart", reference="cart:x", ttl=timedelta(1))
    stock_allocate(lines=[StockLine(w["a"].pk, w["wh"].pk, 9)], reference="order:1")
    stock_safety_stock_set(level=StockLevel.objects.get(variant=w["b"], location=w["wh"]), safety_stock=9)
    assert feed(api_client, keys) == {"A": 1, "B": 3}  # A: 1 + (5 - 2 - 1) - 2; B: 1 + 4 - 2


def test_the_events_carry_the_feeds_figures_after_every_kind_of_change(api_client, world):
    w, keys = world
    assert {sku: e["available"] for sku, e in events().items()} == feed(api_client, keys) == {"A": 12, "B": 12}
    deliver_all()
    stock_receive(variant=w["a"], location=w["wh"], quantity=3)
    assert {sku: e["available"] for sku, e in events().items()} == {"A": 15}
    stock_hold_place(lines=[StockLine(w["b"].pk, w["wh"].pk, 4)], kind="cart", reference="c", ttl=timedelta(1))
    allocations = stock_allocate(lines=[StockLine(w["a"].pk, w["krk"].pk, 4)], reference="order:2")
    figures = feed(api_client, keys)
    assert figures == {"A": 11, "B": 8}
    assert {sku: e["available"] for sku, e in events().items()} == figures
    assert {sku: e["available"] for sku, e in events("empik").items()} == feed(api_client, keys, "empik") == {"B": 10}
    stock_release(allocations=allocations)
    assert events()["A"]["available"] == feed(api_client, keys)["A"] == 15


def test_a_change_that_moves_no_figure_sends_nothing(api_client, world):
    w, _keys = world
    deliver_all()
    stock_receive(variant=w["a"], location=w["waw"], quantity=5)  # a store that ships nothing
    wo = VariantFactory(sku="UNLISTED")
    stock_receive(variant=wo, location=w["wh"], quantity=5)
    assert events() == {} and events("empik") == {}
    assert not ChannelStock.objects.filter(variant=wo).exists()
    assert OutboxEvent.objects.filter(type="stock.changed", delivered_at__isnull=True).count() == 2


def test_withdrawing_and_publishing_a_listing_tells_the_marketplace(api_client, world):
    w, keys = world
    deliver_all()
    listing_unpublish(product=w["a"].product, channel=w["allegro"])
    assert events() == {"A": {"channel": "allegro", "sku": "A", "available": 0, "listed": False}}
    assert feed(api_client, keys) == {"B": 12}
    deliver_all()
    listing_publish(product=w["a"].product, channel=w["allegro"])
    assert events() == {"A": {"channel": "allegro", "sku": "A", "available": 12, "listed": True}}
    assert feed(api_client, keys) == {"A": 12, "B": 12}


def test_a_location_that_stops_shipping_takes_its_units_out_of_the_figures(api_client, world):
    w, keys = world
    deliver_all()
    location_update(location=w["krk"], changes={"ship_from_store": False})
    assert {sku: e["available"] for sku, e in events().items()} == feed(api_client, keys) == {"A": 8, "B": 8}
    deliver_all()
    location_update(location=w["krk"], changes={"phone": "+48123456789"})  # nothing it offers
    assert events() == {}


def test_a_new_buffer_changes_every_figure_of_the_channel(api_client, world):
    w, keys = world
    deliver_all()
    channel_update(channel=w["allegro"], stock_buffer=5)
    assert {sku: e["available"] for sku, e in events().items()} == feed(api_client, keys) == {"A": 9, "B": 9}
    assert events("empik") == {}


def test_the_buffer_is_edited_in_admin_and_reaches_the_figures(admin_client, world):
    w, _keys = world
    deliver_all()
    url = reverse("admin:catalog_channel_change", args=[w["allegro"].pk])
    data = admin_form_data(admin_client.get(url)) | {"stock_buffer": "11"}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert {sku: e["available"] for sku, e in events().items()} == {"A": 3, "B": 3}
    bad = admin_client.post(url, data | {"stock_buffer": "-1"})
    assert bad.status_code == 200 and "stock_buffer" in bad.context["adminform"].form.errors


def test_updated_since_lists_only_the_skus_whose_figure_changed(api_client, world):
    w, keys = world
    since = timezone.now()
    stock_receive(variant=w["b"], location=w["krk"], quantity=1)
    assert feed(api_client, keys, updated_since=since.isoformat()) == {"B": 13}
    assert feed(api_client, keys, updated_since=timezone.now().isoformat()) == {}
    response = api_client.get(URL, {"updated_since": "yesterday"}, HTTP_AUTHORIZATION=f"Api-Key {keys['allegro']}")
    assert response.status_code == 400 and "updated_since" in response.json()["errors"]


@pytest.mark.parametrize("name", ["web", "allegro_orders"])
def test_only_a_marketplace_key_with_stock_read_reads_the_feed(api_client, world, name):
    _w, keys = world
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {keys[name]}")
    assert response.status_code == 403 and response.json()["type"] == "permission_denied"
    assert api_client.get(URL).status_code == 401


def test_a_key_reads_its_own_channels_feed_only(api_client, world):
    _w, keys = world
    response = api_client.get(URL, HTTP_X_CHANNEL="allegro", HTTP_AUTHORIZATION=f"Api-Key {keys['empik']}")
    assert response.status_code == 403 and response.json()["type"] == "channel_mismatch"


def test_the_feed_is_paged_in_a_constant_number_of_queries(api_client, world, django_assert_num_queries):
    w, keys = world
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {keys['allegro']}"}
    api_client.get(URL, **auth)  # the key's last-used time is written once a minute at most

    def page():
        return api_client.get(URL, {"page_size": 100}, **auth).json()

    with django_assert_num_queries(4):  # key, count, page, availability
        assert page()["count"] == 2
    for i in range(4):
        variant = _listed(f"N{i}", [w["allegro"]])
        stock_receive(variant=variant, location=w["krk"], quantity=3)
    with django_assert_num_queries(4):
        assert page()["count"] == 6
    one = api_client.get(URL, {"page_size": 2, "page": 2}, **auth).json()
    assert [row["sku"] for row in one["results"]] == ["N0", "N1"] and one["next"]


def test_without_a_marketplace_channel_a_stock_change_pays_one_small_query(db, django_assert_num_queries):
    variant, wh = VariantFactory(), WarehouseFactory(code="wh-x")
    stock_receive(variant=variant, location=wh, quantity=1)
    with transaction.atomic(), django_assert_num_queries(1):
        assert channel_stock_refresh(variant_ids={variant.pk}) == 0
    assert not ChannelStock.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_changes_of_one_sku_at_two_locations_at_once_publish_the_final_figure(world):
    w, _keys = world
    for round_ in range(5):

        def receive(location, quantity=round_ + 1):
            stock_receive(variant=w["a"], location=location, quantity=quantity)

        results = run_in_threads(receive, [(w["wh"],), (w["krk"],)], timeout=60)
        assert not [r for r in results if isinstance(r, Exception)], results
        live = channel_stock_figures(channel=w["allegro"], variant_ids=[w["a"].pk])[w["a"].pk]
        published = ChannelStock.objects.get(channel=w["allegro"], variant=w["a"]).available
        assert published == live == events()["A"]["available"], (round_, published, live)
