"""A store that ships a parcel from its own stock (ship-from-store) sees that order and its
parcel, in admin and in the API; another store's staff do not."""

import pytest
from django.urls import reverse

from orders.models import Fulfilment
from orders.services import order_place
from orders.tests.conftest import ADDRESS, GUEST, stock
from orders.tests.test_pickup import confirmed_pickup, store_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcel_from_krakow(shop):
    stock(shop["variants"][1], shop["krk"], 2)  # only Kraków (ship-from-store) has it
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][1].pk: 1},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        contact=GUEST,
    )
    assert [f.location.code for f in order.fulfilments.all()] == ["krk"]
    return order


def listed(client, name: str) -> set[int]:
    response = client.get(reverse(f"admin:{name}"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_the_shipping_store_sees_its_parcel_and_the_order_in_admin(client, shop, parcel_from_krakow):
    pickup_here = confirmed_pickup(shop, shop["krk"])
    client.force_login(store_staff("krakow@example.pl", shop["krk"]))
    assert listed(client, "orders_order_changelist") == {parcel_from_krakow.pk, pickup_here.pk}
    parcel = Fulfilment.objects.get(order=parcel_from_krakow)
    assert parcel.pk in listed(client, "orders_fulfilment_changelist")
    assert client.get(reverse("admin:orders_order_change", args=[parcel_from_krakow.pk])).status_code == 200


def test_another_stores_staff_see_neither(client, api_client, shop, parcel_from_krakow):
    waw_seller = store_staff("warszawa@example.pl", shop["waw"])
    client.force_login(waw_seller)
    assert listed(client, "orders_order_changelist") == set()
    assert listed(client, "orders_fulfilment_changelist") == set()
    parcel = Fulfilment.objects.get(order=parcel_from_krakow)
    assert client.get(reverse("admin:orders_fulfilment_change", args=[parcel.pk])).status_code == 302  # not found
    api_client.force_authenticate(waw_seller)
    assert api_client.get(f"/api/v1/orders/{parcel_from_krakow.number}/").status_code == 404


def test_the_shipping_store_sees_the_order_once_in_the_api(api_client, shop, parcel_from_krakow):
    api_client.force_authenticate(store_staff("krakow@example.pl", shop["krk"]))
    listed_numbers = [o["number"] for o in api_client.get("/api/v1/orders/").json()["results"]]
    assert listed_numbers == [parcel_from_krakow.number]
