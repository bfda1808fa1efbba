"""The store's part of a pickup order: picking, ready for pickup with a code, the hand-over
against it; store staff act only on the orders of the stores they work at."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from customers.models import Customer
from inventory.models import StockLevel
from omnishop.accounts.models import User
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.exceptions import (
    InvalidTransition,
    NotYourStore,
    TillPaymentRequired,
    TransitionNotAllowed,
    WrongPickupCode,
)
from orders.models import Order
from orders.services import (
    TillPayment,
    order_hand_over,
    order_picking_start,
    order_place,
    order_ready_for_pickup,
    order_transition,
    order_try_on_visit,
)
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db


def store_staff(email: str, *stores):
    user = User.objects.create_user(email=email, password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Store staff"))
    for store in stores:
        store.staff.add(user)
    return user


def confirmed_pickup(shop, store, *, customer=None) -> Order:
    a = shop["variants"][0]
    stock(a, store, 3)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=store,
        customer=customer,
        contact=None if customer else GUEST,
    )
    return order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)


def test_the_store_picks_readies_and_hands_over_against_the_code(shop):
    waw = shop["waw"]
    seller = store_staff("sprzedawca@example.pl", waw)
    order = confirmed_pickup(shop, waw)
    order = order_picking_start(order=order, actor=seller)
    order = order_ready_for_pickup(order=order, actor=seller)
    assert order.status == "ready_for_pickup" and re.fullmatch(r"\d{6}", order.pickup_code)
    code = order.pickup_code

    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(WrongPickupCode):
        order_hand_over(order=order, code=wrong, actor=seller)
    order.refresh_from_db()
    assert order.status == "ready_for_pickup" and order.pickup_code == code

    order = order_hand_over(order=order, code=f" {code} ", actor=seller)
    order.refresh_from_db()
    assert order.status == "completed" and order.pickup_code == ""
    level = StockLevel.objects.get(variant=shop["variants"][0], location=waw)
    assert (level.on_hand, level.allocated) == (2, 0)  # the allocation became a sale
    assert order.events.filter(to_status="completed", actor=seller).exists()


def test_store_staff_act_only_on_their_own_stores_pickup_orders(shop):
    order = confirmed_pickup(shop, shop["waw"])
    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    with pytest.raises(NotYourStore):
        order_picking_start(order=order, actor=elsewhere)
    stock(shop["variants"][1], shop["warehouse"], 2)
    delivery = order_place(
        channel=shop["web"],
        lines={shop["variants"][1].pk: 1},
        fulfilment_type="delivery",
        contact=GUEST,
        shipping_address=ADDRESS,
    )
    with pytest.raises(InvalidTransition):
        order_picking_start(order=delivery, actor=elsewhere)
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_store_staff_see_and_handle_only_their_stores_orders_in_admin(client, shop):
    mine, theirs = confirmed_pickup(shop, shop["waw"]), confirmed_pickup(shop, shop["krk"])
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    client.force_login(seller)
    changelist = reverse("admin:orders_order_changelist")
    page = client.get(changelist)
    assert [o.number for o in page.context["cl"].result_list] == [mine.number]
    offered = {name for name, _label in page.context["action_form"].fields["action"].choices if name}
    assert offered == {"store_picking_start", "store_ready_for_pickup", "store_pickup_notice_resend", "hand_over"}
    assert client.get(reverse("admin:orders_order_change", args=[theirs.pk])).status_code == 302  # not found
    assert client.get(reverse("admin:orders_order_hand_over", args=[theirs.pk])).status_code == 404

    for action in ("store_picking_start", "store_ready_for_pickup"):
        client.post(changelist, {"action": action, "_selected_action": [mine.pk]})
    mine.refresh_from_db()
    assert mine.status == "ready_for_pickup"
    assert mine.pickup_code not in client.get(reverse("admin:orders_order_change", args=[mine.pk])).content.decode()

    response = client.post(changelist, {"action": "hand_over", "_selected_action": [mine.pk]})
    hand_over_url = reverse("admin:orders_order_hand_over", args=[mine.pk])
    assert response.status_code == 302 and response.url == hand_over_url
    wrong = client.post(hand_over_url, {"code": "999999" if mine.pickup_code != "999999" else "888888"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert client.post(hand_over_url, {"code": mine.pickup_code}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "completed"


def test_only_the_customer_sees_the_pickup_code_in_the_api(api_client, shop):
    user = User.objects.create_user(email="ola@example.pl", password="x-pass-123")
    customer = Customer.objects.create(user=user, email=user.email)
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    order = confirmed_pickup(shop, shop["waw"], customer=customer)
    order_picking_start(order=order, actor=seller)
    order = order_ready_for_pickup(order=order, actor=seller)

    api_client.force_authenticate(user)
    detail = api_client.get(f"/api/v1/orders/{order.number}/")
    assert detail.status_code == 200 and detail.json()["pickup_code"] == order.pickup_code
    api_client.force_authenticate(User.objects.create_superuser(email="szef@example.pl", password="x-pass-123"))
    assert api_client.get(f"/api/v1/orders/{order.number}/").json()["pickup_code"] is None


def test_the_pickup_store_books_in_the_transfer_its_order_waits_for(client, shop):
    from orders.services import fulfilment_transfer_ship

    a = shop["variants"][0]
    stock(a, shop["warehouse"], 3)  # nothing in Warsaw: the unit comes by transfer
    waits, other = (
        order_place(
            channel=shop["web"],
            lines={a.pk: 1},
            fulfilment_type="click_and_collect",
            pickup_location=store,
            contact=GUEST,
        )
        for store in (shop["waw"], shop["krk"])
    )
    for order in (waits, other):
        fulfilment_transfer_ship(fulfilment=order.fulfilments.get(transfer__isnull=False))
    client.force_login(store_staff("sprzedawca@example.pl", shop["waw"]))
    fulfilments = reverse("admin:orders_fulfilment_changelist")
    page = client.get(fulfilments)
    assert {f.order_id for f in page.context["cl"].result_list} == {waits.pk}
    mine = waits.fulfilments.get(transfer__isnull=False)
    client.post(fulfilments, {"action": "fulfilment_transfer_receive", "_selected_action": [mine.pk]})
    waits.refresh_from_db()
    assert waits.status == "processing"


def test_store_staff_see_only_their_stores_orders_in_the_api_and_do_not_cancel(api_client, shop):
    mine, theirs = confirmed_pickup(shop, shop["waw"]), confirmed_pickup(shop, shop["krk"])
    api_client.force_authenticate(store_staff("sprzedawca@example.pl", shop["waw"]))
    listed = api_client.get("/api/v1/orders/").json()["results"]
    assert [o["number"] for o in listed] == [mine.number]
    assert api_client.get(f"/api/v1/orders/{theirs.number}/").status_code == 404
    refused = api_client.post(f"/api/v1/orders/{mine.number}/cancel/")
    assert refused.status_code == 403 and refused.json()["type"] == "permission_denied"
    mine.refresh_from_db()
    assert mine.status == "confirmed"


def test_an_order_waiting_for_its_transfer_is_not_picked_in_the_store(shop):
    stock(shop["variants"][0], shop["warehouse"], 3)  # nothing in Warsaw: the unit comes by transfer
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    order = order_place(
        channel=shop["pos"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
        payment_method="pay_in_store",
    )
    assert order.status == "awaiting_transfer"
    with pytest.raises(InvalidTransition):
        order_picking_start(order=order, actor=seller)
    with pytest.raises(TransitionNotAllowed):
        order_transition(order=order, to="processing", role=lifecycle.STORE_STAFF, actor=seller)


def test_wrong_codes_are_counted_and_the_fifth_replaces_the_code_for_the_customer(shop):
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    order = confirmed_pickup(shop, shop["waw"])
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    first = order.pickup_code
    issued = OutboxEvent.objects.filter(type="order.pickup_code_issued", aggregate_id=order.number)
    assert issued.get().payload == {
        "number": order.number,
        "channel": "web",
        "store": "waw",
        "pickup_expires_at": order.pickup_expires_at.isoformat(),
    }
    wrong = next(c for c in ("000000", "111111") if c != first)
    for attempt in range(1, 5):
        with pytest.raises(WrongPickupCode):
            order_hand_over(order=order, code=wrong, actor=seller)
        order.refresh_from_db()
        assert (order.pickup_code, order.pickup_attempts) == (first, attempt)
    with pytest.raises(WrongPickupCode, match="new code"):
        order_hand_over(order=order, code=wrong, actor=seller)
    order.refresh_from_db()
    assert order.pickup_attempts == 0 and issued.count() == 2
    assert first not in str(list(issued.values_list("payload", flat=True)))
    second = order.pickup_code
    if second != first:
        with pytest.raises(WrongPickupCode):
            order_hand_over(order=order, code=first, actor=seller)
    assert order_hand_over(order=order, code=second, actor=seller).status == "completed"


def test_the_code_stops_working_and_disappears_when_the_order_is_cancelled(api_client, shop):
    user = User.objects.create_user(email="ola@example.pl", password="x-pass-123")
    customer = Customer.objects.create(user=user, email=user.email)
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    order = confirmed_pickup(shop, shop["waw"], customer=customer)
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    order_transition(order=order, to="cancelled", role=lifecycle.AGENT)
    order.refresh_from_db()
    assert order.pickup_code == ""
    api_client.force_authenticate(user)
    assert api_client.get(f"/api/v1/orders/{order.number}/").json()["pickup_code"] is None


@pytest.mark.parametrize("role", ["Warehouse staff", "Inventory manager"])
def test_staff_who_see_orders_for_their_own_work_do_not_cancel_them_in_the_api(api_client, shop, role):
    order = confirmed_pickup(shop, shop["waw"])
    user = User.objects.create_user(email="pracownik@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    api_client.force_authenticate(user)
    assert api_client.post(f"/api/v1/orders/{order.number}/cancel/").status_code == 403
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_a_pay_in_store_order_is_paid_at_the_hand_over(shop):
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    stock(shop["variants"][0], shop["waw"], 3)
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type="ropis",
        pickup_location=shop["waw"],
        contact=GUEST,
        payment_method="pay_in_store",
    )
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    assert order.payment_status == Order.PaymentStatus.PAY_IN_STORE
    wrong = next(c for c in ("000000", "111111") if c != order.pickup_code)
    with pytest.raises(WrongPickupCode):
        order_try_on_visit(order=order, code=wrong, actor=seller)
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAY_IN_STORE  # nothing paid without the goods

    with pytest.raises(TillPaymentRequired):  # not paid before the till took the money
        order_try_on_visit(order=order, code=order.pickup_code, actor=seller)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("ready_for_pickup", "pay_in_store")
    till = TillPayment(method="cash", receipt_number="W1/0042")
    order_try_on_visit(order=order, code=order.pickup_code, till=till, actor=seller)
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.payment_reference) == ("completed", "paid", "till:waw:W1/0042")
    paid = order.events.get(type="paid_in_store")
    till_keys = {"till_method": "cash", "receipt_number": "W1/0042"}
    assert paid.actor == seller
    assert paid.payload == {"store": "waw", "amount": "100.00", "currency": "PLN", **till_keys}
    assert paid.pk < order.events.get(to_status="completed").pk
    event = OutboxEvent.objects.get(type="order.paid_in_store", aggregate_id=order.number)
    assert event.payload == {
        "number": order.number,
        "channel": "web",
        "store": "waw",
        "amount": "100.00",
        "currency": "PLN",
        **till_keys,
    }


def test_an_order_paid_online_is_not_paid_again_at_the_hand_over(shop):
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    order = confirmed_pickup(shop, shop["waw"])  # paid by card: the fake provider authorised it
    order.refresh_from_db()
    paid_by_card = (order.payment_status, order.payment_reference)
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    order_hand_over(order=order, code=order.pickup_code, actor=seller)
    order.refresh_from_db()
    assert (order.payment_status, order.payment_reference) == paid_by_card
    assert not order.events.filter(type="paid_in_store").exists()
    assert not OutboxEvent.objects.filter(type="order.paid_in_store").exists()


def test_wrong_codes_and_a_replaced_code_are_on_the_timeline_without_any_code(shop):
    seller = store_staff("sprzedawca@example.pl", shop["waw"])
    order = confirmed_pickup(shop, shop["waw"])
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    first = order.pickup_code
    wrong = next(c for c in ("000000", "111111") if c != first)
    for _attempt in range(5):
        with pytest.raises(WrongPickupCode):
            order_hand_over(order=order, code=wrong, actor=seller)
    order.refresh_from_db()
    trail = list(order.events.filter(type__startswith="pickup_code").order_by("id"))
    assert [(e.type, e.payload) for e in trail] == [
        *[("pickup_code_wrong", {"attempt": n, "max_attempts": 5}) for n in range(1, 6)],
        ("pickup_code_replaced", {"wrong_attempts": 5}),
    ]
    assert all(e.actor == seller and e.channel == order.channel for e in trail)
    assert trail[0].note == "Wrong pickup code (attempt 1 of 5)."
    assert trail[-1].note == "Too many wrong pickup codes: the customer got a new code."
    for event in trail:
        for code in {first, order.pickup_code, wrong}:
            assert code not in event.note and code not in str(event.payload)
