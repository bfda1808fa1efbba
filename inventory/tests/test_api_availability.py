"""GET /api/v1/availability/, /locations/nearest/ and /locations/pickup-options/."""

from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.models import Channel
from catalog.tests.factories import ChannelFactory, VariantFactory
from inventory.models import Location, StockLevel
from inventory.selectors import (
    locations_nearest_that_can_serve,
    locations_that_can_serve,
    stock_availability_by_location,
    stock_available_list,
)
from inventory.services import StockLine, stock_allocate, stock_hold_place, stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.apikeys.services import apikey_create

pytestmark = pytest.mark.django_db

AVAILABILITY = "/api/v1/availability/"
NEAREST = "/api/v1/locations/nearest/"
PICKUP = "/api/v1/locations/pickup-options/"
WARSAW = {"lat": "52.2297", "lng": "21.0122"}


@pytest.fixture
def channels(db):
    return {
        "web": ChannelFactory(code="web", kind=Channel.Kind.WEB),
        "store": ChannelFactory(code="store", kind=Channel.Kind.STORE),
        "allegro": ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True),
    }


@pytest.fixture
def shop(channels):
    """A warehouse near Łódź, stores in Warsaw (ring-fence 1), Kraków and Gdańsk, a closed store."""
    locations = {
        "wh": WarehouseFactory(code="wh-strykow"),
        "waw": LocationFactory(
            code="st-warszawa",
            city="Warszawa",
            street="Marszałkowska 100",
            postal_code="00-026",
            latitude=Decimal("52.231958"),
            longitude=Decimal("21.006725"),
            ring_fence=1,
            opening_hours={"mon": "10:00-21:00", "sun": None},
        ),
        "krk": LocationFactory(
            code="st-krakow", city="Kraków", latitude=Decimal("50.061947"), longitude=Decimal("19.936856")
        ),
        "gda": LocationFactory(
            code="st-gdansk", city="Gdańsk", latitude=Decimal("54.352025"), longitude=Decimal("18.646638")
        ),
        "closed": LocationFactory(code="st-closed", is_active=False),
    }
    shoes, socks = VariantFactory(sku="SHOE-42"), VariantFactory(sku="SOCK-M")
    for location, variant, units in [
        ("wh", shoes, 10),
        ("waw", shoes, 3),
        ("krk", shoes, 2),
        ("krk", socks, 5),
        ("closed", shoes, 50),
    ]:
        stock_receive(variant=variant, location=locations[location], quantity=units)
    return {"locations": locations, "shoes": shoes, "socks": socks, **channels}


def by_code(rows, key="location"):
    return {row[key]: row for row in rows}


# --- availability ---------------------------------------------------------------------------------


def test_availability_per_sku_and_location_with_totals(api_client, shop):
    response = api_client.get(AVAILABILITY, {"sku": ["SHOE-42", "SOCK-M"]})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["channel"] == "web" and body["online"] is True
    assert [r["sku"] for r in body["results"]] == ["SHOE-42", "SOCK-M"]
    shoes, socks = body["results"]
    # Every active location, by code; the closed store is left out. Warsaw keeps 1 for walk-ins.
    assert [row["location"] for row in shoes["locations"]] == ["st-gdansk", "st-krakow", "st-warszawa", "wh-strykow"]
    assert {r["location"]: r["available"] for r in shoes["locations"]} == {
        "st-gdansk": 0,
        "st-krakow": 2,
        "st-warszawa": 2,
        "wh-strykow": 10,
    }
    assert shoes["total"] == 14
    assert by_code(shoes["locations"])["wh-strykow"] == {
        "location": "wh-strykow",
        "name": "Location wh-strykow",
        "kind": "warehouse",
        "available": 10,
    }
    assert socks["total"] == 5 and by_code(socks["locations"])["st-krakow"]["available"] == 5


def test_store_channel_sees_the_ring_fenced_units_and_holds_count(api_client, shop):
    waw = shop["locations"]["waw"]
    stock_hold_place(
        lines=[StockLine(shop["shoes"].pk, waw.pk, 1)], kind="cart", reference="cart:1", ttl=timedelta(minutes=15)
    )
    online = api_client.get(AVAILABILITY, {"sku": "SHOE-42"}).json()["results"][0]
    till = api_client.get(AVAILABILITY, {"sku": "SHOE-42"}, HTTP_X_CHANNEL="store").json()
    assert till["online"] is False
    assert by_code(online["locations"])["st-warszawa"]["available"] == 1  # 3 - hold 1 - ring-fence 1
    assert by_code(till["results"][0]["locations"])["st-warszawa"]["available"] == 2  # 3 - hold 1


def test_repeated_skus_are_reported_once(api_client, shop):
    body = api_client.get(AVAILABILITY, {"sku": ["SOCK-M", "SHOE-42", "SOCK-M"]}).json()
    assert [r["sku"] for r in body["results"]] == ["SOCK-M", "SHOE-42"]


def test_unknown_skus_are_named_in_a_400(api_client, shop):
    response = api_client.get(AVAILABILITY, {"sku": ["SHOE-42", "NOPE-1", "NOPE-2"]})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["errors"] == {"sku": ["Unknown SKUs: NOPE-1, NOPE-2."]}


@pytest.mark.parametrize("params", [{}, {"sku": [f"S-{i}" for i in range(101)]}])
def test_sku_is_required_and_at_most_100(api_client, shop, params):
    response = api_client.get(AVAILABILITY, params)
    assert response.status_code == 400
    assert "sku" in response.json()["errors"]


def test_api_key_needs_the_stock_read_scope(api_client, shop):
    _row, plain = apikey_create(channel=shop["allegro"], name="Allegro")
    response = api_client.get(AVAILABILITY, {"sku": "SHOE-42"}, HTTP_AUTHORIZATION=f"Api-Key {plain}")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the stock:read scope."
    _row, plain = apikey_create(channel=shop["allegro"], name="Allegro stock", scopes=["stock:read"])
    for url, params in [(AVAILABILITY, {"sku": "SHOE-42"}), (NEAREST, WARSAW), (PICKUP, {**WARSAW, "line": "SHOE-42"})]:
        response = api_client.get(url, params, HTTP_AUTHORIZATION=f"Api-Key {plain}")
        assert response.status_code == 200, (url, response.json())
    assert (
        api_client.get(AVAILABILITY, {"sku": "SHOE-42"}, HTTP_AUTHORIZATION=f"Api-Key {plain}").json()["channel"]
        == "allegro"
    )


def test_a_channel_that_requires_its_key_cannot_be_declared(api_client, shop):
    response = api_client.get(AVAILABILITY, {"sku": "SHOE-42"}, HTTP_X_CHANNEL="allegro")
    assert response.status_code == 401
    assert response.json()["type"] == "api_key_required"


def test_selector_agrees_with_the_stock_level_formula(shop):
    """The LEFT JOIN selector repeats the availability formula: keep the two in step."""
    shoes, socks, waw = shop["shoes"], shop["socks"], shop["locations"]["waw"]
    StockLevel.objects.filter(variant=shoes, location=shop["locations"]["krk"]).update(safety_stock=1)
    stock_allocate(lines=[StockLine(shoes.pk, waw.pk, 1)], reference="order:1", online=False)
    stock_hold_place(
        lines=[StockLine(socks.pk, shop["locations"]["krk"].pk, 2)], kind="cart", reference="c", ttl=timedelta(hours=1)
    )
    for online in (True, False):
        flat = {
            (a.variant_id, a.location_id): a.available
            for a in stock_available_list(variant_ids=[shoes.pk, socks.pk], online=online)
            if a.available
        }
        joined = {
            (variant_id, loc.location_id): units
            for loc in stock_availability_by_location(variant_ids=[shoes.pk, socks.pk], online=online)
            for variant_id, units in loc.available.items()
        }
        assert joined == flat


def test_nearest_that_can_serve_agrees_with_the_one_query_form(shop):
    shoes, socks = shop["shoes"], shop["socks"]
    stock_receive(variant=socks, location=shop["locations"]["waw"], quantity=2)
    point = {"latitude": 52.2297, "longitude": 21.0122}
    for lines in ({shoes.pk: 1}, {shoes.pk: 2, socks.pk: 1}, {shoes.pk: 1, socks.pk: 5}, {socks.pk: 1}):
        for online in (True, False):
            one_query = locations_that_can_serve(lines=lines, online=online, click_and_collect=True, **point)[:2]
            two_queries = locations_nearest_that_can_serve(lines=lines, online=online, limit=2, **point)
            assert [(loc.code, loc.distance_km) for loc in two_queries] == [
                (loc.code, loc.distance_km) for loc in one_query
            ]


def _grow(shop, n_locations: int, n_variants: int) -> list[str]:
    """More stores, warehouses and SKUs, all stocked: the query counts below must not move.
    Returns every SKU so far."""
    start = Location.objects.filter(code__startswith="st-extra-").count()
    for i in range(start, start + n_locations):
        store = LocationFactory(code=f"st-extra-{i:02d}", latitude=Decimal("52.1") + i, longitude=Decimal("20.9"))
        WarehouseFactory(code=f"wh-extra-{i:02d}")
        for variant in (shop["shoes"], shop["socks"]):
            stock_receive(variant=variant, location=store, quantity=4)
    start = StockLevel.objects.filter(variant__sku__startswith="EXTRA-").count()
    for i in range(start, start + n_variants):
        stock_receive(variant=VariantFactory(sku=f"EXTRA-{i:03d}"), location=shop["locations"]["wh"], quantity=3)
    return ["SHOE-42", "SOCK-M", *[f"EXTRA-{i:03d}" for i in range(start + n_variants)]]


def test_query_counts_hold_as_skus_and_locations_double(api_client, shop, django_assert_num_queries):
    skus = _grow(shop, 2, 2)
    lines = [f"{sku}:1" for sku in skus]
    # channel, variants, locations LEFT JOIN stock
    with django_assert_num_queries(3):
        assert len(api_client.get(AVAILABILITY, {"sku": skus}).json()["results"]) == 4
    # channel, variants, rows covering a line, nearest stores covering all
    with django_assert_num_queries(4):
        assert api_client.get(NEAREST, {**WARSAW, "line": lines[:2]}).status_code == 200
    # channel, variants, nearest stores, availability at stores and transfer sources
    with django_assert_num_queries(4):
        assert api_client.get(PICKUP, {**WARSAW, "line": lines}).status_code == 200

    skus = _grow(shop, 4, 4)  # twice the SKUs (4 -> 8) and the active locations (8 -> 16)
    lines = [f"{sku}:1" for sku in skus]
    with django_assert_num_queries(3):
        body = api_client.get(AVAILABILITY, {"sku": skus}).json()
        assert len(body["results"]) == 8 and len(body["results"][0]["locations"]) == 16
    with django_assert_num_queries(4):
        assert api_client.get(NEAREST, {**WARSAW, "line": lines[:2], "limit": 10}).status_code == 200
    with django_assert_num_queries(4):
        assert len(api_client.get(PICKUP, {**WARSAW, "line": lines, "limit": 10}).json()["results"]) == 9


# --- nearest stores -------------------------------------------------------------------------------


def test_nearest_stores_without_a_cart(api_client, shop):
    response = api_client.get(NEAREST, {**WARSAW, "limit": 2})
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["code"] for r in results] == ["st-warszawa", "st-krakow"]  # stores only, nearest first
    waw = results[0]
    assert waw["distance_km"] < 1
    assert 240 < results[1]["distance_km"] < 260
    assert waw["address"] == {
        "street": "Marszałkowska 100",
        "postal_code": "00-026",
        "city": "Warszawa",
        "country": "PL",
    }
    assert waw["opening_hours"] == {"mon": "10:00-21:00", "sun": None}
    assert waw["kind"] == "store" and waw["latitude"] == "52.231958"


def test_nearest_stores_that_can_serve_the_whole_cart(api_client, shop):
    results = api_client.get(NEAREST, {**WARSAW, "line": ["SHOE-42", "SOCK-M:2"]}).json()["results"]
    assert [r["code"] for r in results] == ["st-krakow"]
    # Warsaw has 3 shoes, one ring-fenced for walk-ins: online carts get 2, the till gets 3.
    assert [r["code"] for r in api_client.get(NEAREST, {**WARSAW, "line": "SHOE-42:3"}).json()["results"]] == []
    till = api_client.get(NEAREST, {**WARSAW, "line": "SHOE-42:3"}, HTTP_X_CHANNEL="store").json()["results"]
    assert [r["code"] for r in till] == ["st-warszawa"]
    # Repeated SKUs add up.
    assert api_client.get(NEAREST, {**WARSAW, "line": ["SHOE-42", "SHOE-42:2"]}).json()["results"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lng": "21"}, "lat"),
        ({"lat": "91", "lng": "21"}, "lat"),
        ({"lat": "52", "lng": "nan"}, "lng"),
        ({**WARSAW, "limit": 51}, "limit"),
        ({**WARSAW, "line": "SHOE-42:0"}, "line.0"),
        ({**WARSAW, "line": "SHOE-42:x"}, "line.0"),
        ({**WARSAW, "line": "SHOE-42:²"}, "line.0"),  # a digit to str.isdigit, not to int()
        ({**WARSAW, "line": "SHOE-42:٣"}, "line.0"),
        ({**WARSAW, "line": "NOPE"}, "line"),
    ],
)
def test_nearest_validation(api_client, shop, params, field):
    response = api_client.get(NEAREST, params)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


# --- pickup options -------------------------------------------------------------------------------


def test_pickup_options_now_transfer_or_unavailable(api_client, shop):
    response = api_client.get(PICKUP, {**WARSAW, "line": ["SHOE-42", "SOCK-M"]})
    assert response.status_code == 200, response.json()
    options = {o["location"]["code"]: o for o in response.json()["results"]}
    assert list(options) == ["st-warszawa", "st-krakow", "st-gdansk"]
    assert options["st-krakow"]["can_serve_now"] is True and options["st-krakow"]["ready_in"] == "now"
    assert options["st-krakow"]["missing"] == []
    # Warsaw has shoes but no socks, and no location that ships can send socks: the Kraków
    # store has them but does not ship, so routing could not transfer from it.
    assert options["st-warszawa"]["missing"] == ["SOCK-M"]
    assert options["st-warszawa"]["ready_in"] == "unavailable"
    assert options["st-warszawa"]["location"]["opening_hours"] == {"mon": "10:00-21:00", "sun": None}

    stock_receive(variant=shop["socks"], location=shop["locations"]["wh"], quantity=1)
    options = {
        o["location"]["code"]: o
        for o in api_client.get(PICKUP, {**WARSAW, "line": ["SHOE-42", "SOCK-M"]}).json()["results"]
    }
    assert options["st-warszawa"]["can_serve_now"] is False
    assert options["st-warszawa"]["ready_in"] == "transfer"
    assert options["st-gdansk"]["missing"] == ["SHOE-42", "SOCK-M"] and options["st-gdansk"]["ready_in"] == "transfer"
    # Two socks: the warehouse has only one.
    two = {
        o["location"]["code"]: o["ready_in"]
        for o in api_client.get(PICKUP, {**WARSAW, "line": "SOCK-M:2"}).json()["results"]
    }
    assert two == {"st-warszawa": "unavailable", "st-krakow": "now", "st-gdansk": "unavailable"}


def test_pickup_options_need_a_cart_and_respect_the_limit(api_client, shop):
    assert "line" in api_client.get(PICKUP, WARSAW).json()["errors"]
    results = api_client.get(PICKUP, {**WARSAW, "line": "SHOE-42", "limit": 1}).json()["results"]
    assert [o["location"]["code"] for o in results] == ["st-warszawa"]


def test_inactive_and_non_pickup_locations_are_never_offered(api_client, shop):
    Location.objects.filter(code="st-krakow").update(click_and_collect=False)
    codes = [o["code"] for o in api_client.get(NEAREST, {**WARSAW, "limit": 50}).json()["results"]]
    assert codes == ["st-warszawa", "st-gdansk"]
