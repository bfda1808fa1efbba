"""Every outbox event orders emits, pinned: its type, version, and payload keys and types.
Consumers (ERP, CRM, notifications) rely on these: a key may be added, none removed."""

import pytest
from django.contrib.auth.models import Group

from omnishop.accounts.models import User
from omnishop.outbox.catalogue import event_payload_errors
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.events import STATUS_EVENTS, OrderEventType, OrderOutboxEvent
from orders.exceptions import RefundFailed
from orders.models import Order, OrderEvent
from orders.services import (
    TillPayment,
    order_cancel,
    order_payment_authorize,
    order_payment_refund,
    order_picking_start,
    order_place,
    order_ready_for_pickup,
    order_transition,
    order_try_on_visit,
)
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db


NUMBER = {"number": str, "channel": str}  # every order event names its channel
PLACED_KEYS = NUMBER | {
    "channel": str,
    "customer_id": (int, type(None)),
    "fulfilment_type": str,
    "currency": str,
    "total": str,
    "lines": list,
}
PLACED_LINE_KEYS = {"sku": str, "quantity": int, "unit_price": str}
STATUS_KEYS = NUMBER | {"from": str, "to": str}
AUTHORIZED_KEYS = NUMBER | {"reference": str}
FAILED_KEYS = NUMBER | {"reference": str, "message": str, "status": str, "cancelled": bool}
MONEY_KEYS = {"payment_reference": str, "amount": str, "currency": str}
REFUNDED_KEYS = NUMBER | {"reference": str} | MONEY_KEYS
REFUND_FAILED_KEYS = NUMBER | {"message": str} | MONEY_KEYS
PAID_IN_STORE_KEYS = NUMBER | {"store": str, "amount": str, "currency": str, "till_method": str, "receipt_number": str}
PICKUP_CODE_KEYS = NUMBER | {"store": str, "pickup_expires_at": (str, type(None))}


def assert_shape(payload: dict, keys: dict) -> None:
    assert set(payload) == set(keys)
    for key, kind in keys.items():
        assert isinstance(payload[key], kind), (key, payload[key])
        if kind is int:
            assert not isinstance(payload[key], bool), key


def outbox(order: Order, type_: OrderOutboxEvent, keys: dict, version: int = 1) -> dict:
    event = OutboxEvent.objects.get(type=type_, aggregate_id=order.number)
    assert (event.version, event.aggregate_type) == (version, "order")
    assert_shape(event.payload, keys)
    assert event_payload_errors(event.type, event.version, event.payload) == []
    assert event.payload["number"] == order.number
    return event.payload


def card_delivery(shop) -> Order:
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    return order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="delivery",
        contact=GUEST,
        shipping_address=ADDRESS,
        payment_method="card",
    )


def test_the_event_types_are_the_enums():
    assert {e.value for e in OrderOutboxEvent} == {
        "order.placed",
        "order.confirmed",
        "order.awaiting_transfer",
        "order.processing",
        "order.ready_for_pickup",
        "order.shipped",
        "order.completed",
        "order.cancelled",
        "order.payment_authorized",
        "order.payment_failed",
        "order.payment_refunded",
        "order.refund_failed",
        "order.paid_in_store",
        "order.pickup_code_issued",
        "order.items_cancelled",
        "order.handed_over",
        "order.partial_refund_requested",
        "order.partial_refund_done",
        "order.partial_refund_failed",
    }
    # Every status an order can move to has its event; "placed" is the placement's own.
    targets = {to for moves in lifecycle.TRANSITIONS.values() for to in moves}
    assert set(STATUS_EVENTS) == targets == set(Order.Status.values) - {"placed"}
    assert OrderEvent._meta.get_field("type").choices == OrderEventType.choices


def test_placed_and_status_changes(shop):
    order = card_delivery(shop)
    placed = outbox(order, OrderOutboxEvent.PLACED, PLACED_KEYS)
    assert placed["fulfilment_type"] == "delivery" and placed["channel"] == "web"
    for line in placed["lines"]:
        assert_shape(line, PLACED_LINE_KEYS)
    order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.AGENT)
    assert outbox(order, OrderOutboxEvent.CONFIRMED, STATUS_KEYS) | {"number": ""} == {
        "number": "",
        "channel": "web",
        "from": "placed",
        "to": "confirmed",
    }
    order_cancel(order=order, role=lifecycle.AGENT)
    assert outbox(order, OrderOutboxEvent.CANCELLED, STATUS_KEYS)["from"] == "confirmed"


def test_moving_to_awaiting_transfer_writes_an_outbox_row(shop):
    b = shop["variants"][1]
    stock(b, shop["warehouse"], 2)
    order = order_place(
        channel=shop["web"],
        lines={b.pk: 2},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    assert order.status == Order.Status.AWAITING_TRANSFER
    payload = outbox(order, OrderOutboxEvent.AWAITING_TRANSFER, STATUS_KEYS)
    assert (payload["from"], payload["to"]) == ("placed", "awaiting_transfer")
    outbox(order, OrderOutboxEvent.PLACED, PLACED_KEYS)


def test_payment_authorized_refunded_and_refund_failed(shop, provider):
    order = order_payment_authorize(order_id=card_delivery(shop).pk)
    outbox(order, OrderOutboxEvent.PAYMENT_AUTHORIZED, AUTHORIZED_KEYS)
    order_cancel(order=order, role=lifecycle.AGENT)
    provider.refunds_fail = 1
    with pytest.raises(RefundFailed):
        order_payment_refund(order_id=order.pk)
    outbox(order, OrderOutboxEvent.REFUND_FAILED, REFUND_FAILED_KEYS)
    order_payment_refund(order_id=order.pk)
    outbox(order, OrderOutboxEvent.PAYMENT_REFUNDED, REFUNDED_KEYS)
    # The timeline entry carries the same payload, without the number and the channel (its own fields).
    event = order.events.get(type=OrderEventType.PAYMENT_REFUNDED)
    assert set(event.payload) == set(REFUNDED_KEYS) - {"number", "channel"}


def test_payment_failed(shop, provider):
    provider.approve = False
    order = order_payment_authorize(order_id=card_delivery(shop).pk)
    payload = outbox(order, OrderOutboxEvent.PAYMENT_FAILED, FAILED_KEYS)
    assert payload["cancelled"] is True and payload["reference"] == ""


def test_pickup_code_issued_and_paid_in_store(shop):
    waw = shop["waw"]
    seller = User.objects.create_user(email="sprzedawca@example.pl", password="x-pass-123", is_staff=True)
    seller.groups.add(Group.objects.get(name="Store staff"))
    waw.staff.add(seller)
    a = shop["variants"][0]
    stock(a, waw, 3)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="ropis",
        pickup_location=waw,
        contact=GUEST,
        payment_method="pay_in_store",
    )
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    issued = outbox(order, OrderOutboxEvent.PICKUP_CODE_ISSUED, PICKUP_CODE_KEYS, version=2)
    assert issued["store"] == "waw" and order.pickup_code not in str(issued)
    order_try_on_visit(
        order=order, code=order.pickup_code, till=TillPayment(method="card", receipt_number="R-7"), actor=seller
    )
    assert outbox(order, OrderOutboxEvent.PAID_IN_STORE, PAID_IN_STORE_KEYS)["store"] == "waw"
