"""Locations in admin: opening hours are seven weekday rows (opens, closes, closed) checked by the
same rules as ``location_create``, so whatever staff can save, the store picker endpoints can render."""

import re
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

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Rows as staff fill them in (day: (opens, closes, closed)) and what is stored.
GOOD = [
    ({"mon": ("10:00", "21:00", False), "sun": ("", "", True)}, {"mon": "10:00-21:00", "sun": None}),
    ({}, {}),  # every row left empty: no hours given
    ({"fri": ("09:30", "00:00", False)}, {"fri": "09:30-24:00"}),  # closing at midnight
    (
        dict.fromkeys(WEEKDAYS[:6], ("08:00", "20:00", False)) | {"sun": ("", "", True)},
        dict.fromkeys(WEEKDAYS[:6], "08:00-20:00") | {"sun": None},
    ),
]
BAD = [
    ({"mon": ("10:00", "", False)}, "Monday: give both the opening and the closing time."),
    ({"tue": ("21:00", "10:00", False)}, "Tuesday: the closing time must be after the opening time."),
    ({"wed": ("10:00", "21:00", True)}, "Wednesday: give the hours or tick closed, not both."),
    ({"thu": ("25:00", "26:00", False)}, "Enter a valid time."),
    ({"fri": ("ten", "21:00", False)}, "Enter a valid time."),
]


def hours_rows(rows: dict) -> dict:
    """The form fields of the seven rows (``opening_hours_0`` … ``opening_hours_20``)."""
    data = {}
    for i, day in enumerate(WEEKDAYS):
        opens, closes, closed = rows.get(day, ("", "", False))
        data[f"opening_hours_{3 * i}"] = opens
        data[f"opening_hours_{3 * i + 1}"] = closes
        if closed:
            data[f"opening_hours_{3 * i + 2}"] = "on"
    return data


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


def save_hours(admin_client, location: Location, rows: dict):
    """Post the location's change form as staff would, with the opening-hours ``rows`` filled in."""
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
        **hours_rows(rows),
    }
    return admin_client.post(reverse("admin:inventory_location_change", args=[location.pk]), data)


@pytest.mark.parametrize("rows, stored", GOOD)
def test_admin_saves_valid_opening_hours(admin_client, store, rows, stored):
    response = save_hours(admin_client, store, rows)
    assert response.status_code == 302, response.context["adminform"].form.errors
    store.refresh_from_db()
    assert store.opening_hours == stored


@pytest.mark.parametrize("rows, message", BAD)
def test_admin_refuses_malformed_opening_hours_with_a_field_error_saying_what_is_wrong(
    admin_client, store, rows, message
):
    response = save_hours(admin_client, store, rows)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors.keys() == {"opening_hours"} and message in errors["opening_hours"]
    store.refresh_from_db()
    assert store.opening_hours == {"mon": "10:00-21:00"}


@pytest.mark.parametrize("rows", [rows for rows, _stored in GOOD] + [rows for rows, _message in BAD])
def test_store_picker_never_fails_on_what_admin_saved(admin_client, api_client, store, rows):
    save_hours(admin_client, store, rows)
    store.refresh_from_db()
    cart = {**WARSAW, "line": "SHOE-42"}
    for url, params in [(NEAREST, WARSAW), (NEAREST, cart), (PICKUP, cart)]:
        response = api_client.get(url, params)
        assert response.status_code == 200, (url, store.opening_hours)
        assert response.json()["results"]


def test_the_form_shows_seven_rows_with_polish_day_names_and_time_inputs(admin_client, store):
    url = reverse("admin:inventory_location_change", args=[store.pk])
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    for name in ("Poniedziałek", "Wtorek", "Środa", "Czwartek", "Piątek", "Sobota", "Niedziela"):
        assert f'<th scope="row">{name}</th>' in page
    assert page.count('placeholder="10:00"') == 14  # 24-hour time inputs, whatever the browser's locale
    assert 'name="opening_hours_0" value="10:00"' in page and 'name="opening_hours_1" value="21:00"' in page
    assert '"mon"' not in page  # no raw JSON with English day keys


def test_a_stored_closed_day_and_midnight_come_back_as_rows(admin_client, store):
    Location.objects.filter(pk=store.pk).update(opening_hours={"sat": "10:00-24:00", "sun": None})
    page = admin_client.get(reverse("admin:inventory_location_change", args=[store.pk])).content.decode()
    assert 'name="opening_hours_15" value="10:00"' in page and 'name="opening_hours_16" value="00:00"' in page
    assert re.search(r'<input type="checkbox" name="opening_hours_20"[^>]* checked', page)


def test_an_admin_edit_that_changes_availability_goes_out_as_location_updated(admin_client, api_client, store):
    from omnishop.outbox.models import OutboxEvent

    response = save_hours(admin_client, store, {"mon": ("10:00", "21:00", False)})  # the form as it was
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
        **hours_rows({"mon": ("10:00", "21:00", False)}),
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
        **hours_rows({"mon": ("10:00", "20:00", False)}),
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
