"""Locations in admin: opening hours follow the same rules as ``location_create``, so whatever
staff can save, the store picker endpoints can render."""

import json
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from catalog.models import Channel
from catalog.tests.factories import ChannelFactory, VariantFactory
from inventory.models import Location
from inventory.services import location_create, location_staff_set, stock_receive
from inventory.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

NEAREST = "/api/v1/locations/nearest/"
PICKUP = "/api/v1/locations/pickup-options/"
WARSAW = {"lat": "52.2297", "lng": "21.0122"}

GOOD = [
    ({"mon": "10:00-21:00", "sun": None}, {"mon": "10:00-21:00", "sun": None}),
    ({}, {}),
    ("", {}),  # an emptied box: no hours given
    (None, {}),  # JSON null: no hours given
]
BAD = [
    ["mon 9-17"],
    [],
    {"monday": "whenever"},
    {"mon": 5},
    {"mon": "9-17"},
    {"mon": "10:00-21:00\n"},
    {"mon": {"open": "10:00", "close": "21:00"}},
    {"mon": ["10:00-21:00"]},
    {"mon": True},
    "10:00-21:00",
    5,
    True,
]


@pytest.fixture
def store(db):
    ChannelFactory(code="web", kind=Channel.Kind.WEB)
    store = LocationFactory(
        code="st-waw",
        latitude=Decimal("52.231958"),
        longitude=Decimal("21.006725"),
        opening_hours={"mon": "10:00-21:00"},
    )
    stock_receive(variant=VariantFactory(sku="SHOE-42"), location=store, quantity=3)
    return store


def save_hours(admin_client, location: Location, hours):
    """Post the location's change form as staff would, with ``hours`` as JSON in the box ("": left empty)."""
    data = {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "is_active": "on",
        "street": location.street,
        "postal_code": location.postal_code,
        "city": location.city,
        "country": location.country,
        "phone": location.phone,
        "latitude": str(location.latitude),
        "longitude": str(location.longitude),
        "click_and_collect": "on",
        "ring_fence": location.ring_fence,
        "opening_hours": "" if hours == "" else json.dumps(hours),
    }
    return admin_client.post(reverse("admin:inventory_location_change", args=[location.pk]), data)


@pytest.mark.parametrize("hours, stored", GOOD)
def test_admin_saves_valid_opening_hours(admin_client, store, hours, stored):
    response = save_hours(admin_client, store, hours)
    assert response.status_code == 302, response.context["adminform"].form.errors
    store.refresh_from_db()
    assert store.opening_hours == stored


@pytest.mark.parametrize("hours", BAD)
def test_admin_refuses_malformed_opening_hours_with_a_field_error(admin_client, store, hours):
    response = save_hours(admin_client, store, hours)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {"opening_hours"}
    store.refresh_from_db()
    assert store.opening_hours == {"mon": "10:00-21:00"}


@pytest.mark.parametrize("hours", [hours for hours, _stored in GOOD] + BAD)
def test_store_picker_never_fails_on_what_admin_saved(admin_client, api_client, store, hours):
    save_hours(admin_client, store, hours)
    store.refresh_from_db()
    cart = {**WARSAW, "line": "SHOE-42"}
    for url, params in [(NEAREST, WARSAW), (NEAREST, cart), (PICKUP, cart)]:
        response = api_client.get(url, params)
        assert response.status_code == 200, (url, store.opening_hours)
        assert response.json()["results"]


@pytest.mark.parametrize(
    "hours, message",
    [
        (["mon 9-17"], 'Give opening hours per weekday, e.g. {"mon": "10:00-21:00", "sun": null}.'),
        ({"monday": "whenever"}, "Unknown weekday monday: use one of mon, tue, wed, thu, fri, sat, sun."),
        ({"mon": 5}, "Opening hours for mon must look like 10:00-21:00 or be empty."),
    ],
)
def test_the_field_error_says_what_is_wrong(admin_client, store, hours, message):
    response = save_hours(admin_client, store, hours)
    assert response.context["adminform"].form.errors["opening_hours"] == [message]


def test_an_admin_edit_that_changes_availability_goes_out_as_location_updated(admin_client, api_client, store):
    from omnishop.outbox.models import OutboxEvent

    response = save_hours(admin_client, store, {"mon": "10:00-21:00"})  # the form as it was
    assert response.status_code == 302
    assert not OutboxEvent.objects.filter(type="location.updated").exists()  # nothing changed

    data = {
        "code": store.code,
        "name": store.name,
        "kind": store.kind,
        "street": store.street,
        "postal_code": store.postal_code,
        "city": store.city,
        "country": store.country,
        "phone": store.phone,
        "latitude": str(store.latitude),
        "longitude": str(store.longitude),
        "ships_online": "on",
        "ring_fence": 2,
        "opening_hours": json.dumps({"mon": "10:00-21:00"}),
    }  # is_active and click & collect unticked
    response = admin_client.post(reverse("admin:inventory_location_change", args=[store.pk]), data)
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.is_active, store.click_and_collect, store.ships_online, store.ring_fence) == (False, False, True, 2)
    event = OutboxEvent.objects.get(type="location.updated")
    assert event.payload["changed"] == ["click_and_collect", "is_active", "ring_fence", "ships_online"]
    assert event.payload["is_active"] is False and event.payload["ring_fence"] == 2
    assert store.code not in [row["code"] for row in api_client.get(NEAREST, WARSAW).json()["results"]]


def test_a_location_added_in_admin_is_created_through_the_service_with_its_staff(admin_client, db):
    from omnishop.accounts.tests.factories import UserFactory

    seller = UserFactory(is_staff=True)
    data = {
        "code": "st-krk",
        "name": "Kraków Rynek",
        "kind": "store",
        "is_active": "on",
        "city": "Kraków",
        "country": "PL",
        "latitude": "50.061947",
        "longitude": "19.936856",
        "click_and_collect": "on",
        "ring_fence": 1,
        "opening_hours": json.dumps({"mon": "10:00-20:00"}),
        "staff": [seller.pk],
    }
    with (
        mock.patch("inventory.admin.location_create", wraps=location_create) as create,
        mock.patch("inventory.admin.location_staff_set", wraps=location_staff_set) as staff_set,
    ):
        response = admin_client.post(reverse("admin:inventory_location_add"), data)
    assert response.status_code == 302
    created = Location.objects.get(code="st-krk")
    assert response["Location"] == reverse("admin:inventory_location_changelist")
    create.assert_called_once()
    staff_set.assert_called_once()
    assert (created.ring_fence, created.click_and_collect, created.opening_hours) == (1, True, {"mon": "10:00-20:00"})
    assert list(created.staff.all()) == [seller]
