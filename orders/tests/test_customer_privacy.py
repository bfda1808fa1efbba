"""GDPR (RODO) for a customer with orders: the export holds their orders, the erasure waits
until no order is open, then blanks everything that names them and keeps the amounts."""

from decimal import Decimal

import pytest

from customers.models import Customer, CustomerDataAccess, CustomerIdentity
from customers.services import (
    ErasureRefused,
    consent_set,
    customer_data_export,
    customer_erase,
    customer_identity_add,
    customer_note_add,
)
from omnishop.accounts.models import User
from omnishop.notifications.models import Notification
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.models import Order
from orders.services import order_place, order_transition
from orders.tests.conftest import ADDRESS, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ewa(shop):
    user = User.objects.create_user(email="ewa@example.pl", password="x-pass-123")
    customer = Customer.objects.create(user=user, email="ewa@example.pl", first_name="Ewa", last_name="Nowak")
    customer_identity_add(customer=customer, kind=CustomerIdentity.Kind.PHONE, value="+48221002001")
    consent_set(customer=customer, purpose="marketing_email", granted=True, text_version="2026-01")
    customer_note_add(customer=customer, text="Woli odbiór w Arkadii.", actor=None)
    stock(shop["variants"][0], shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 2},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        customer=customer,
    )
    return customer, order


def test_the_export_holds_the_profile_consents_notes_and_orders(ewa):
    customer, order = ewa
    document = customer_data_export(customer=customer, actor=None)
    assert document["customer"]["email"] == "ewa@example.pl" and document["customer"]["login"] == "ewa@example.pl"
    assert [(i["kind"], i["value"]) for i in document["identities"]] == [("phone", "+48221002001")]
    assert document["consents"][0]["purpose"] == "marketing_email" and document["consent_history"]
    assert document["notes"][0]["text"] == "Woli odbiór w Arkadii."
    exported = document["orders"]["orders"]
    assert [o["number"] for o in exported] == [order.number]
    assert exported[0]["lines"][0]["quantity"] == 2 and exported[0]["shipping_address"] == ADDRESS
    assert CustomerDataAccess.objects.filter(customer=customer, kind="exported").count() == 1


def test_a_customer_exports_only_their_own_data_through_the_api(api_client, ewa, shop):
    customer, order = ewa
    api_client.force_authenticate(customer.user)
    response = api_client.get("/api/v1/me/export/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert [o["number"] for o in response.json()["orders"]["orders"]] == [order.number]
    other = User.objects.create_user(email="jan@example.pl", password="x-pass-123")
    api_client.force_authenticate(other)
    assert api_client.get("/api/v1/me/export/").json()["orders"]["orders"] == []
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/me/export/").status_code in (401, 403)


def test_erasure_waits_while_an_order_is_open_and_changes_nothing(ewa):
    customer, order = ewa
    with pytest.raises(ErasureRefused) as refused:
        customer_erase(customer=customer)
    assert order.number in str(refused.value)
    customer.refresh_from_db()
    assert customer.email == "ewa@example.pl" and customer.erased_at is None
    assert CustomerIdentity.objects.filter(customer=customer).exists()


def test_erasure_blanks_the_person_and_keeps_the_orders_amounts(ewa, superuser):
    customer, order = ewa
    order_transition(order=order, to=Order.Status.CANCELLED, role=lifecycle.SYSTEM)
    OutboxEvent.objects.create(
        type="order.pickup_code_issued",
        aggregate_type="order",
        aggregate_id=order.number,
        payload={"number": order.number, "email": "ewa@example.pl", "phone": "+48221002001"},
    )
    result = customer_erase(customer=customer, actor=superuser)
    assert result.erased["orders"] == 1 and result.erased["identities"] == 1
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.email, customer.phone) == ("", "", "", "")
    assert customer.erased_at is not None
    assert not CustomerIdentity.objects.filter(customer=customer).exists()
    assert customer.notes.get().text == "[erased]"
    assert set(Notification.objects.filter(customer=customer).values_list("status", "recipient")) == {("cancelled", "")}
    order.refresh_from_db()
    assert (order.email, order.phone, order.contact_name, order.shipping_address) == ("", "", "", {})
    assert order.total > Decimal("0") and order.lines.count() == 1  # accounting keeps them
    payloads = OutboxEvent.objects.filter(aggregate_id=order.number).values_list("payload", flat=True)
    assert not any("email" in p or "phone" in p for p in payloads)
    user = User.objects.get(pk=customer.user_id)
    assert not user.is_active and not user.has_usable_password() and "ewa" not in user.email
    assert CustomerDataAccess.objects.filter(customer=customer, kind="erased", user=superuser).exists()
    with pytest.raises(ErasureRefused):
        customer_erase(customer=customer)
