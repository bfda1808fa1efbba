"""Rules an order request keeps whoever sends it: the checkout service refuses a request that
breaks them, so the API and the admin agree (the API's serializer gives the same field error)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from omnishop.accounts.models import User
from orders.exceptions import InvalidOrder
from orders.models import Order
from orders.services import Contact, order_place
from orders.tests.conftest import marketplace_key, stock

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}
GUEST = Contact(email="gosc@example.pl")
PAY_IN_STORE_ERROR = "Pay in store is only for orders collected in a store."


@pytest.fixture
def buyer(api_client):
    user = User.objects.create_user(email="ola@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    return user


@pytest.fixture
def agent(client):
    user = User.objects.create_user(email="agent@example.pl", password="x-pass-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_order"))
    client.force_login(user)
    return user


def admin_place(client, shop, **fields):
    data = {
        "channel": shop["call"].pk,
        "lines": f"{shop['variants'][0].sku} 1",
        "fulfilment_type": "delivery",
        "street": "Piotrkowska 1",
        "postal_code": "90-001",
        "city": "Łódź",
        "email": "klient@example.pl",
        "payment_method": "transfer",
        "idempotency_key": "k-1",
        "step": "confirm",
    } | fields
    response = client.post(reverse("admin:orders_order_place"), {k: v for k, v in data.items() if v is not None})
    return response


# -- pay in store ------------------------------------------------------------------------------
def test_pay_in_store_is_refused_for_a_delivery_by_the_service(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    with pytest.raises(InvalidOrder) as exc:
        order_place(
            channel=shop["web"],
            lines={a.pk: 1},
            fulfilment_type="delivery",
            contact=GUEST,
            shipping_address=ADDRESS,
            payment_method="pay_in_store",
        )
    assert exc.value.errors == {"payment_method": [PAY_IN_STORE_ERROR]}
    assert not Order.objects.exists()


def test_pay_in_store_is_refused_for_a_delivery_by_the_api(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 2)
    payload = {
        "lines": [{"sku": shop["variants"][0].sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "payment_method": "pay_in_store",
    }
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {"payment_method": [PAY_IN_STORE_ERROR]}
    assert not Order.objects.exists()


def test_pay_in_store_is_refused_for_a_delivery_in_admin(client, shop, agent):
    stock(shop["variants"][0], shop["warehouse"], 2)
    response = admin_place(client, shop, payment_method="pay_in_store")
    assert response.status_code == 200
    assert response.context["form"].errors == {"payment_method": [PAY_IN_STORE_ERROR]}
    assert not Order.objects.exists()


@pytest.mark.parametrize("fulfilment_type", ["click_and_collect", "ropis"])
def test_pay_in_store_is_fine_for_a_pickup(shop, fulfilment_type):
    a = shop["variants"][0]
    stock(a, shop["waw"], 2)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type=fulfilment_type,
        pickup_location=shop["waw"],
        contact=GUEST,
        payment_method="pay_in_store",
    )
    assert order.payment_status == Order.PaymentStatus.PAY_IN_STORE


# -- a guest order needs a way to reach the buyer ---------------------------------------------
@pytest.mark.parametrize("contact", [None, Contact(), Contact(email=" ", name="Jan")])
def test_an_order_without_customer_or_company_needs_an_email_or_phone(shop, contact):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    with pytest.raises(InvalidOrder) as exc:
        order_place(
            channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=contact, shipping_address=ADDRESS
        )
    assert list(exc.value.errors) == ["contact"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("contact", [Contact(email="gosc@example.pl"), Contact(phone="+48 600 000 000")])
def test_an_email_or_a_phone_is_enough_for_a_guest_order(shop, contact):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=contact, shipping_address=ADDRESS
    )
    assert (order.email, order.phone) == (contact.email, contact.phone)


def test_a_marketplace_order_with_an_empty_contact_is_a_400(api_client, shop):
    key = marketplace_key(shop)
    payload = {
        "lines": [{"sku": shop["variants"][0].sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "contact": {"email": ""},
    }
    response = api_client.post(URL, payload, format="json", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error" and list(response.json()["errors"]) == ["contact"]
    assert not Order.objects.exists()


# -- a delivery needs somewhere to go ----------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    [None, {}, {"street": "Piotrkowska 1", "postal_code": "90-001"}, ADDRESS | {"city": " "}],
    ids=["none", "empty", "no-city", "blank-city"],
)
def test_a_delivery_without_a_shipping_address_is_refused_by_the_service(shop, address):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    with pytest.raises(InvalidOrder) as exc:
        order_place(
            channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=GUEST, shipping_address=address
        )
    assert list(exc.value.errors) == ["shipping_address"]
    assert not Order.objects.exists()


def test_the_admin_place_form_requires_the_address_for_a_delivery(client, shop, agent):
    stock(shop["variants"][0], shop["warehouse"], 2)
    response = admin_place(client, shop, street="", postal_code="", city=None)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "street": ["This field is required."],
        "postal_code": ["This field is required."],
        "city": ["This field is required."],
    }
    assert not Order.objects.exists()
    # A pickup needs no address.
    response = admin_place(client, shop, street="", postal_code="", city="", fulfilment_type="ropis", pickup_store=None)
    assert set(response.context["form"].errors) == {"pickup_store"}


def test_the_admin_place_form_places_a_delivery_with_its_address(client, shop, agent):
    stock(shop["variants"][0], shop["warehouse"], 2)
    response = admin_place(client, shop)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.shipping_address == ADDRESS and order.placed_by == agent


# -- a company order is for the company's own people --------------------------------------------
def test_a_company_order_for_a_customer_who_is_not_a_member_is_refused_by_the_service_and_in_admin(client, shop, agent):
    from customers.models import Company, CompanyMembership, Customer

    stock(shop["variants"][0], shop["warehouse"], 2)
    company = Company.objects.create(name="Sport Sp. z o.o.", tax_id="5250000001", email="biuro@sport.pl")
    outsider = Customer.objects.create(email="obcy@example.pl")
    with pytest.raises(InvalidOrder) as exc:
        order_place(
            channel=shop["b2b"],
            lines={shop["variants"][0].pk: 1},
            fulfilment_type="delivery",
            customer=outsider,
            company=company,
            shipping_address=ADDRESS,
        )
    assert list(exc.value.errors) == ["customer"]
    response = admin_place(client, shop, channel=shop["b2b"].pk, customer=outsider.pk, company=company.pk)
    assert response.status_code == 200
    assert response.context["form"].errors == {"customer": ["The customer is not a member of the company."]}
    assert not Order.objects.exists()

    CompanyMembership.objects.create(company=company, customer=outsider)
    response = admin_place(client, shop, channel=shop["b2b"].pk, customer=outsider.pk, company=company.pk)
    assert response.status_code == 302
    assert Order.objects.get().company == company


# -- the order's contact -------------------------------------------------------------------------
def test_a_company_order_placed_in_admin_without_a_contact_reaches_the_company(client, shop, agent):
    from customers.models import Company

    stock(shop["variants"][0], shop["warehouse"], 2)
    company = Company.objects.create(
        name="Sport Sp. z o.o.", tax_id="5250000001", email="biuro@sport.pl", phone="+48 22 000 00 00"
    )
    response = admin_place(client, shop, channel=shop["b2b"].pk, company=company.pk, email="")
    assert response.status_code == 302, response.context["form"].errors
    order = Order.objects.get()
    assert (order.email, order.phone, order.contact_name) == ("biuro@sport.pl", "+48 22 000 00 00", "Sport Sp. z o.o.")


def test_a_contact_field_left_blank_comes_from_the_customer(shop):
    from customers.models import Customer

    stock(shop["variants"][0], shop["warehouse"], 2)
    customer = Customer.objects.create(first_name="Anna", email="anna@example.pl", phone="+48 600 000 001")
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type="delivery",
        customer=customer,
        contact=Contact(phone="+48 600 000 002"),
        shipping_address=ADDRESS,
    )
    assert (order.email, order.phone, order.contact_name) == ("anna@example.pl", "+48 600 000 002", "Anna")


# -- a delivery is not collected in a store ------------------------------------------------------
def test_a_delivery_with_a_pickup_store_is_refused_by_the_service_and_the_api(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 2)
    with pytest.raises(InvalidOrder) as exc:
        order_place(
            channel=shop["web"],
            lines={shop["variants"][0].pk: 1},
            fulfilment_type="delivery",
            contact=GUEST,
            shipping_address=ADDRESS,
            pickup_location=shop["waw"],
        )
    assert list(exc.value.errors) == ["pickup_store"]
    payload = {
        "lines": [{"sku": shop["variants"][0].sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "pickup_store": "waw",
    }
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["pickup_store"]
    # Nothing in the Warsaw store's pickup queue.
    assert not Order.objects.exists()


# -- every line is at least one unit -------------------------------------------------------------
@pytest.mark.parametrize("quantity", [0, -3])
def test_a_line_of_less_than_one_unit_is_refused_not_dropped(shop, quantity):
    a, b = shop["variants"][:2]
    stock(a, shop["warehouse"], 2)
    stock(b, shop["warehouse"], 2)
    with pytest.raises(InvalidOrder) as exc:
        order_place(
            channel=shop["web"],
            lines={a.pk: 1, b.pk: quantity},
            fulfilment_type="delivery",
            contact=GUEST,
            shipping_address=ADDRESS,
        )
    assert list(exc.value.errors) == ["lines"]
    assert not Order.objects.exists()
