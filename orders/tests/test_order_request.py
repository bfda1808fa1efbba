"""One OrderRequest, built and validated in one place: field errors by the body's names, the
contact phone stored in E.164."""

import pytest

from omnishop.accounts.models import User
from orders.exceptions import InvalidOrder
from orders.models import Order
from orders.requests import Contact, order_request_build
from orders.tests.conftest import ADDRESS, stock

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"


@pytest.fixture
def buyer(api_client):
    user = User.objects.create_user(email="ola@example.pl", password="x-pass-123")
    api_client.force_authenticate(user)
    return user


def body(shop, **fields) -> dict:
    return {
        "lines": [{"sku": shop["variants"][0].sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
    } | fields


def test_a_bad_contact_phone_is_a_field_error(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 2)
    response = api_client.post(URL, body(shop, contact={"phone": "12"}), format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error"
    assert list(response.json()["errors"]) == ["contact.phone"]
    assert not Order.objects.exists()


def test_the_contact_phone_is_stored_in_e164(api_client, shop, buyer):
    stock(shop["variants"][0], shop["warehouse"], 2)
    response = api_client.post(URL, body(shop, contact={"phone": "601 234 567"}), format="json")
    assert response.status_code == 201, response.json()
    assert Order.objects.get().phone == "+48601234567"


def test_the_request_names_every_broken_field_at_once(shop):
    with pytest.raises(InvalidOrder) as exc:
        order_request_build(
            channel=shop["web"],
            fulfilment_type="click_and_collect",
            sku_lines=[("NOPE", 1)],
            pickup_store="no-such-store",
            contact=Contact(phone="not a phone"),
            payment_method="card",
        )
    assert set(exc.value.errors) == {"lines.0.sku", "pickup_store", "contact.phone"}


def test_a_built_request_reads_skus_and_the_pickup_store(shop):
    a = shop["variants"][0]
    request = order_request_build(
        channel=shop["web"],
        fulfilment_type="ropis",
        sku_lines=[(a.sku, 2)],
        pickup_store="waw",
        contact=Contact(email="gosc@example.pl", phone="+48 601 234 567"),
        payment_method="pay_in_store",
    )
    assert request.lines == {a.pk: 2} and request.pickup_location == shop["waw"]
    assert request.contact.phone == "+48601234567"
