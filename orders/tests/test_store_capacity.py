"""A store's daily pick capacity: today's load (Europe/Warsaw's day), routing that sends no more
parcels to a full store and says so, and placements at once that never take it past its limit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from conftest import run_in_threads
from inventory.models import Location
from inventory.services import location_update
from orders.api.serializers import routing_public
from orders.models import Fulfilment, Order
from orders.selectors import store_day_start, store_load_today
from orders.services import TillLine, TillSalePayment, TillSaleRequest, order_cancel, order_place, till_sale_record
from orders.tests.conftest import GUEST, stock

KRAKOW = {
    "street": "Floriańska 1",
    "postal_code": "31-019",
    "city": "Kraków",
    "latitude": 50.0614,
    "longitude": 19.9366,
}


def _deliver(shop, variant, quantity: int = 1) -> Order:
    return order_place(
        channel=shop["web"],
        lines={variant.pk: quantity},
        fulfilment_type="delivery",
        shipping_address=KRAKOW,
        contact=GUEST,
    )


def _capacity(location: Location, capacity) -> Location:
    return location_update(location=location, changes={"daily_pick_capacity": capacity})


def _from_krk(order: Order, shop) -> bool:
    return Fulfilment.objects.filter(order=order, location=shop["krk"]).exists()


@pytest.mark.django_db
def test_the_capacity_is_edited_through_the_location_service_and_never_negative(shop):
    krk = _capacity(shop["krk"], 5)
    assert Location.objects.get(pk=krk.pk).daily_pick_capacity == 5
    with pytest.raises(ValidationError):
        _capacity(shop["krk"], -1)
    assert _capacity(shop["krk"], None).daily_pick_capacity is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.filter(pk=krk.pk).update(daily_pick_capacity=-3)


@pytest.mark.django_db
def test_todays_load_counts_pickups_and_parcels_of_the_store_day(shop):
    a, b, _c = shop["variants"]
    stock(a, shop["krk"], 10)
    stock(b, shop["krk"], 10)
    pickup = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["krk"],
        contact=GUEST,
    )
    parcel = _deliver(shop, b)
    assert _from_krk(parcel, shop)
    assert store_load_today(location=shop["krk"]) == 2
    # Yesterday in Warsaw is not today, even where it is the same UTC date.
    Order.objects.filter(pk=pickup.pk).update(created_at=store_day_start() - timedelta(minutes=1))
    assert store_load_today(location=shop["krk"]) == 1
    order_cancel(order=parcel, role="agent")
    assert store_load_today(location=shop["krk"]) == 0
    # A till sale is not picked.
    till_sale_record(
        channel=shop["pos"],
        data=TillSaleRequest(
            store="krk",
            receipt_number="T-1",
            sold_at=timezone.now(),
            lines=(TillLine(sku=a.sku, quantity=1, unit_price=Decimal("10.00")),),
            payments=(TillSalePayment(method="cash", amount=Decimal("10.00")),),
        ),
    )
    assert store_load_today(location=shop["krk"]) == 0


@pytest.mark.django_db
def test_routing_skips_a_full_store_for_ship_from_store_and_says_so(shop):
    a = shop["variants"][0]
    stock(a, shop["krk"], 10)
    stock(a, shop["warehouse"], 10)
    _capacity(shop["krk"], 1)
    first = _deliver(shop, a)
    assert _from_krk(first, shop) and "full_stores" not in first.routing
    second = _deliver(shop, a)
    assert not _from_krk(second, shop)
    assert second.routing["full_stores"] == ["krk"]
    assert "daily pick capacity" in second.routing["capacity_note"]
    assert "krk" in routing_public(second.routing)["reason"]
    with translation.override("pl"):
        assert "dzienn" in routing_public(second.routing)["reason"]
    # A click & collect customer chose the store: it is not refused, and it counts.
    pickup = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["krk"],
        contact=GUEST,
    )
    assert pickup.pickup_location == shop["krk"]
    assert store_load_today(location=shop["krk"]) == 2


@pytest.mark.django_db
def test_a_store_with_capacity_zero_ships_nothing(shop):
    a = shop["variants"][0]
    stock(a, shop["krk"], 10)
    stock(a, shop["warehouse"], 10)
    _capacity(shop["krk"], 0)
    assert not _from_krk(_deliver(shop, a), shop)


@pytest.mark.django_db(transaction=True)
def test_placements_at_once_never_take_a_store_past_its_capacity(shop):
    a = shop["variants"][0]
    stock(a, shop["krk"], 20)
    stock(a, shop["warehouse"], 20)
    _capacity(shop["krk"], 2)
    results = run_in_threads(lambda: _deliver(shop, a), [()] * 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert store_load_today(location=shop["krk"]) == 2
    assert Fulfilment.objects.filter(location=shop["krk"]).values("order").distinct().count() == 2
    assert Order.objects.filter(fulfilment_type="delivery").count() == 8


@pytest.mark.django_db
def test_the_location_admin_edits_the_capacity_and_shows_todays_load(admin_client, shop):
    a = shop["variants"][0]
    stock(a, shop["krk"], 10)
    krk = _capacity(shop["krk"], 5)
    _deliver(shop, a)
    url = reverse("admin:inventory_location_change", args=[krk.pk])
    page = admin_client.get(url).content.decode()
    assert "Orders to pick today" in page and "1 of 5 orders." in page
    data = {
        "code": krk.code,
        "name": krk.name,
        "kind": krk.kind,
        "is_active": "on",
        "city": krk.city,
        "country": krk.country,
        "latitude": str(krk.latitude),
        "longitude": str(krk.longitude),
        "click_and_collect": "on",
        "ship_from_store": "on",
        "ring_fence": 0,
        "daily_pick_capacity": "12",
        "opening_hours": "{}",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Location.objects.get(pk=krk.pk).daily_pick_capacity == 12
    response = admin_client.post(url, data | {"daily_pick_capacity": "-1"})
    assert response.status_code == 200 and Location.objects.get(pk=krk.pk).daily_pick_capacity == 12
    # A warehouse has no pick load of a store.
    page = admin_client.get(reverse("admin:inventory_location_change", args=[shop["warehouse"].pk])).content.decode()
    assert "Orders to pick today" in page


def test_the_store_console_shows_todays_load_against_the_daily_limit(client, db):
    from inventory.services import location_update
    from inventory.tests.factories import LocationFactory
    from orders.tests.test_pickup import store_staff

    store = LocationFactory(code="load-store", name="Sklep Limit")
    staff = store_staff("limit@example.pl", store)
    client.force_login(staff)
    page = client.get("/store/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Dziś: 0 zamówień do skompletowania" in page
    location_update(location=store, changes={"daily_pick_capacity": 0})
    page = client.get("/store/?fragment=1", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Dziś: 0 z 0 zamówień do skompletowania" in page and "Limit osiągnięty" in page
