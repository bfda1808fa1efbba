"""The signed-in customer's account over REST: profile, identities, addresses, consents and the
export, each only their own; the store app's look-up by phone or card, for store staff only and
with no more than the till needs."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import ChannelFactory
from customers.models import CustomerAddress, CustomerDataAccess, CustomerIdentity
from customers.services import (
    MAX_ADDRESSES,
    consent_set,
    customer_address_add,
    customer_erase,
    customer_for_user_ensure,
    customer_identity_add,
    customer_merge,
)
from inventory.tests.factories import LocationFactory
from omnishop.accounts.models import User

pytestmark = pytest.mark.django_db

HOME = {"label": "Dom", "street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}


@pytest.fixture
def pair(db):
    """Customers A and B, each with a login, a phone identity, an address and a consent."""
    ChannelFactory(code="web")
    people = {}
    for tag, phone in (("a", "601100200"), ("b", "602200300")):
        user = User.objects.create_user(email=f"{tag}@example.pl", password="x-pass-123")
        customer = customer_for_user_ensure(user=user)
        customer_identity_add(customer=customer, kind=CustomerIdentity.Kind.PHONE, value=f"+48{phone}")
        address = customer_address_add(customer=customer, **{**HOME, "street": f"Ulica {tag.upper()} 1"})
        consent_set(customer=customer, purpose="marketing_sms", granted=True, text_version="2026-01")
        people[tag] = {"user": user, "customer": customer, "address": address}
    return people


def as_(api_client, person):
    api_client.force_authenticate(person["user"])
    return api_client


def test_profile_read_and_changed_with_the_phone_in_e164(api_client, pair):
    client = as_(api_client, pair["a"])
    assert client.get("/api/v1/me/profile/").json()["email"] == "a@example.pl"
    response = client.patch("/api/v1/me/profile/", {"first_name": " Ewa ", "phone": "601 100 200"}, format="json")
    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["phone"]) == ("Ewa", "+48601100200")
    pair["a"]["customer"].refresh_from_db()
    assert pair["a"]["customer"].phone == "+48601100200"
    pair["b"]["customer"].refresh_from_db()
    assert pair["b"]["customer"].first_name == ""  # B untouched


def test_a_bad_phone_or_the_login_email_is_refused(api_client, pair):
    client = as_(api_client, pair["a"])
    bad = client.patch("/api/v1/me/profile/", {"phone": "12"}, format="json")
    assert bad.status_code == 400 and bad.json()["type"] == "validation_error" and "phone" in bad.json()["errors"]
    # The e-mail is the login: not in the request's fields, so it is ignored, never written.
    client.patch("/api/v1/me/profile/", {"email": "b@example.pl"}, format="json")
    pair["a"]["customer"].refresh_from_db()
    assert pair["a"]["customer"].email == "a@example.pl"


def test_identities_are_the_callers_own(api_client, pair):
    values = {row["value"] for row in as_(api_client, pair["a"]).get("/api/v1/me/identities/").json()}
    assert "+48601100200" in values and "+48602200300" not in values


def test_addresses_listed_added_and_deleted_only_the_callers_own(api_client, pair):
    client = as_(api_client, pair["a"])
    assert [a["street"] for a in client.get("/api/v1/me/addresses/").json()] == ["Ulica A 1"]
    created = client.post("/api/v1/me/addresses/", {**HOME, "recipient": "Ewa Żak"}, format="json")
    assert created.status_code == 201 and created.json()["country"] == "PL"
    assert client.delete(f"/api/v1/me/addresses/{created.json()['id']}/").status_code == 204
    # B's address: not found for A, and still there.
    response = client.delete(f"/api/v1/me/addresses/{pair['b']['address'].pk}/")
    assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert CustomerAddress.objects.filter(pk=pair["b"]["address"].pk).exists()
    assert [a["street"] for a in client.get("/api/v1/me/addresses/").json()] == ["Ulica A 1"]


def test_an_address_needs_a_polish_postal_code_and_has_a_limit(api_client, pair):
    client = as_(api_client, pair["a"])
    bad = client.post("/api/v1/me/addresses/", {**HOME, "postal_code": "90001"}, format="json")
    assert bad.status_code == 400 and "postal_code" in bad.json()["errors"]
    for _i in range(MAX_ADDRESSES - 1):
        customer_address_add(customer=pair["a"]["customer"], **HOME)
    full = client.post("/api/v1/me/addresses/", HOME, format="json")
    assert full.status_code == 400
    assert CustomerAddress.objects.filter(customer=pair["a"]["customer"]).count() == MAX_ADDRESSES


def test_consents_and_export_are_the_callers_own(api_client, pair):
    client = as_(api_client, pair["a"])
    client.post(
        "/api/v1/me/consents/", {"purpose": "marketing_sms", "granted": False, "text_version": "2026-02"}, format="json"
    )
    assert pair["b"]["customer"].consents.get(purpose="marketing_sms").granted is True
    document = client.get("/api/v1/me/export/").json()
    assert document["customer"]["email"] == "a@example.pl"
    assert [a["street"] for a in document["addresses"]] == ["Ulica A 1"]
    assert "b@example.pl" not in str(document) and "Ulica B" not in str(document)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/me/profile/"),
        ("patch", "/api/v1/me/profile/"),
        ("get", "/api/v1/me/identities/"),
        ("get", "/api/v1/me/addresses/"),
        ("post", "/api/v1/me/addresses/"),
        ("delete", "/api/v1/me/addresses/1/"),
        ("get", "/api/v1/me/consents/"),
        ("get", "/api/v1/me/export/"),
    ],
)
def test_nothing_without_signing_in(api_client, pair, method, url):
    response = getattr(api_client, method)(url, {}, format="json")
    assert response.status_code == 401 and response.json()["type"] == "not_authenticated"


def test_addresses_move_with_a_merge_and_go_with_an_erasure(pair):
    a, b = pair["a"]["customer"], pair["b"]["customer"]
    b.user.delete()  # one login only, so the pair can merge
    b.refresh_from_db()
    customer_merge(survivor=a, duplicate=b)
    assert set(CustomerAddress.objects.filter(customer=a).values_list("street", flat=True)) == {
        "Ulica A 1",
        "Ulica B 1",
    }
    result = customer_erase(customer=a)
    assert result.erased["addresses"] == 2 and not CustomerAddress.objects.filter(customer=a).exists()


# --- the store app's look-up ---------------------------------------------------------------


def staff(role: str, *, works_at=()) -> User:
    user = User.objects.create_user(email=f"{role[:6].lower()}@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    for location in works_at:
        location.staff.add(user)
    return user


def test_store_staff_find_a_customer_by_phone_or_card_with_minimal_fields(api_client, pair):
    a = pair["a"]["customer"]
    a.first_name, a.last_name = "Ewa", "Żak"
    a.save()
    customer_identity_add(customer=a, kind=CustomerIdentity.Kind.LOYALTY_CARD, value="KARTA-0001")
    clerk = staff("Store staff", works_at=[LocationFactory()])
    api_client.force_authenticate(clerk)
    expected = [{"id": a.pk, "name": "Ewa Żak", "email_masked": "a***@example.pl", "loyalty_card": "KARTA-0001"}]
    assert api_client.get("/api/v1/store/customers/", {"phone": "601-100-200"}).json() == expected
    assert api_client.get("/api/v1/store/customers/", {"card": "KARTA-0001"}).json() == expected
    assert api_client.get("/api/v1/store/customers/", {"card": "KARTA-9999"}).json() == []
    assert CustomerDataAccess.objects.filter(customer=a, user=clerk, kind="viewed").count() == 2


def test_the_look_up_needs_one_valid_criterion(api_client, pair):
    api_client.force_authenticate(staff("Store staff", works_at=[LocationFactory()]))
    for params in ({}, {"phone": "601100200", "card": "X"}, {"phone": "12"}):
        response = api_client.get("/api/v1/store/customers/", params)
        assert response.status_code == 400 and response.json()["type"] == "validation_error", params


def test_erased_customers_are_not_found(api_client, pair):
    customer_erase(customer=pair["b"]["customer"])
    api_client.force_authenticate(staff("Store staff", works_at=[LocationFactory()]))
    assert api_client.get("/api/v1/store/customers/", {"phone": "602200300"}).json() == []


@pytest.mark.parametrize("who", ["customer", "agent", "store staff at no store", "anonymous"])
def test_only_store_staff_look_customers_up(api_client, pair, who):
    callers = {
        "customer": lambda: pair["a"]["user"],
        "agent": lambda: staff("Customer service agent"),
        "store staff at no store": lambda: staff("Store staff"),
        "anonymous": lambda: None,
    }
    api_client.force_authenticate(callers[who]())
    response = api_client.get("/api/v1/store/customers/", {"phone": "602200300"})
    assert response.status_code == (401 if who == "anonymous" else 403)
    assert "602200300" not in response.content.decode() and "b@example.pl" not in response.content.decode()


def test_the_look_up_query_count_does_not_grow_with_matches(api_client, pair):
    api_client.force_authenticate(staff("Store staff", works_at=[LocationFactory()]))
    counts = []
    for extra in (0, 3):
        for i in range(extra):
            user = User.objects.create_user(email=f"dup{i}@example.pl", password="x-pass-123")
            twin = customer_for_user_ensure(user=user)
            twin.phone = "+48601100200"
            twin.save()
            customer_identity_add(customer=twin, kind=CustomerIdentity.Kind.LOYALTY_CARD, value=f"K-{i}")
        with CaptureQueriesContext(connection) as ctx:
            found = api_client.get("/api/v1/store/customers/", {"phone": "601100200"}).json()
        counts.append((len(found), len(ctx)))
    assert [n for n, _q in counts] == [1, 4]
    assert counts[0][1] == counts[1][1]
