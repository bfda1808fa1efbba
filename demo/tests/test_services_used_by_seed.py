"""The inventory and customers services the seeder relies on (they belong in those apps' tests later)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import CustomerRow, customer_create, customers_bulk_create
from inventory.models import Location
from inventory.services import location_create
from omnishop.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STORE = {
    "code": "waw-test",
    "name": "Test store",
    "kind": Location.Kind.STORE,
    "city": "Warszawa",
    "latitude": Decimal("52.229700"),
    "longitude": Decimal("21.012200"),
}


def test_location_create_saves_a_valid_store():
    location = location_create(**STORE, click_and_collect=True, opening_hours={"mon": "10:00-21:00", "sun": None})
    location.refresh_from_db()
    assert location.latitude == Decimal("52.229700") and location.click_and_collect


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": Location.Kind.WAREHOUSE, "click_and_collect": True},  # store-only flag on a warehouse
        {"latitude": Decimal("95.000000")},
        {"latitude": Decimal("52.1234567")},  # more than 6 decimal places
        {"latitude": 52.2297},  # floats are refused
        {"opening_hours": {"monday": "10:00-21:00"}},
        {"opening_hours": {"mon": "10-21"}},
    ],
)
def test_location_create_refuses_invalid_data(changes):
    with pytest.raises(ValidationError):
        location_create(**(STORE | changes))
    assert not Location.objects.exists()


def test_location_create_refuses_a_taken_code():
    location_create(**STORE)
    with pytest.raises(ValidationError):
        location_create(**STORE)


def test_customer_create_lowercases_and_refuses_a_taken_email_in_any_case():
    customer = customer_create(email=" Anna.Nowak@Example.com ", first_name="Anna", last_name="Nowak")
    assert customer.email == "anna.nowak@example.com"
    with pytest.raises(ValidationError):
        customer_create(email="ANNA.NOWAK@example.com")
    assert Customer.objects.count() == 1


def test_customers_bulk_create_is_idempotent_and_links_existing_logins():
    existing_user = UserFactory(email="jan.kowalski@example.com")
    customer_create(email="ewa@example.com", first_name="Ewa")
    rows = [
        CustomerRow(email="Jan.Kowalski@example.com", first_name="Jan", last_name="Kowalski", with_login=True),
        CustomerRow(email="ewa@example.com", first_name="Ewa", with_login=True),
        CustomerRow(email="zofia@example.com", first_name="Zofia", city="Łódź", with_login=True),
        CustomerRow(email="piotr@example.com", first_name="Piotr"),
        CustomerRow(email="PIOTR@example.com", first_name="Duplicate row"),
    ]
    counts = customers_bulk_create(rows=rows, password_hash=None)
    assert counts == {"created": 3, "existing": 1, "logins_created": 1, "logins_linked": 1}
    assert Customer.objects.get(email="jan.kowalski@example.com").user == existing_user
    zofia = Customer.objects.select_related("user").get(email="zofia@example.com")
    assert zofia.user.email == "zofia@example.com" and not zofia.user.has_usable_password()
    assert Customer.objects.get(email="piotr@example.com").first_name == "Piotr"

    again = customers_bulk_create(rows=rows)
    assert again == {"created": 0, "existing": 4, "logins_created": 0, "logins_linked": 0}
    assert Customer.objects.count() == 4


def test_customers_bulk_create_refuses_a_row_without_email():
    with pytest.raises(ValidationError):
        customers_bulk_create(rows=[CustomerRow(email=" ")])
