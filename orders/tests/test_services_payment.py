"""Card payments: authorisation whatever the order's status, refunds of cancelled paid orders."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.models import Order
from orders.payments import PaymentResult
from orders.services import order_payment_authorize, order_place, order_transition
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db


class RecordingProvider:
    """Approves or declines (``approve``), and remembers what it was asked."""

    approve = True
    calls: list[dict] = []

    def authorize(self, *, order_number: str, amount: Decimal, currency: str, method: str) -> PaymentResult:
        type(self).calls.append({"order_number": order_number, "amount": amount, "currency": currency})
        if type(self).approve:
            return PaymentResult(ok=True, reference=f"AUTH-{order_number}")
        return PaymentResult(ok=False, message="card declined")


@pytest.fixture
def provider(settings):
    settings.OMNISHOP_PAYMENT_PROVIDER = f"{__name__}.RecordingProvider"
    RecordingProvider.approve = True
    RecordingProvider.calls = []
    return RecordingProvider


def card_order(shop, quantity: int = 1) -> Order:
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    return order_place(
        channel=shop["web"],
        lines={a.pk: quantity},
        fulfilment_type="delivery",
        contact=GUEST,
        shipping_address=ADDRESS,
        payment_method="card",
    )


def moved_on(order: Order, to: str) -> Order:
    """The order confirmed by an agent (and for ``processing`` picked by the warehouse)."""
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.AGENT)
    if to == Order.Status.PROCESSING:
        order = order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.WAREHOUSE)
    return order


def outbox_types(order: Order) -> list[str]:
    return list(OutboxEvent.objects.filter(aggregate_id=order.number).order_by("id").values_list("type", flat=True))


@pytest.mark.parametrize("status", [Order.Status.CONFIRMED, Order.Status.PROCESSING])
def test_an_order_confirmed_before_its_payment_ran_is_still_authorised(shop, provider, status):
    order = moved_on(card_order(shop), status)

    order = order_payment_authorize(order_id=order.pk)

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (status, Order.PaymentStatus.PAID)
    assert order.payment_reference == f"AUTH-{order.number}"
    assert order.events.last().type == "payment_authorized"
    assert outbox_types(order)[-1] == "order.payment_authorized"
    assert len(provider.calls) == 1
    order_payment_authorize(order_id=order.pk)  # a second run asks nobody
    assert len(provider.calls) == 1


def test_a_decline_cancels_a_confirmed_order_and_releases_its_stock(shop, provider):
    provider.approve = False
    order = moved_on(card_order(shop, quantity=2), Order.Status.CONFIRMED)

    order_payment_authorize(order_id=order.pk)

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (Order.Status.CANCELLED, Order.PaymentStatus.FAILED)
    level = StockLevel.objects.get(variant=shop["variants"][0], location=shop["warehouse"])
    assert level.allocated == 0
    assert list(order.events.values_list("type", flat=True))[-2:] == ["payment_failed", "status_changed"]
    assert outbox_types(order)[-2:] == ["order.payment_failed", "order.cancelled"]


def test_a_decline_the_system_may_not_cancel_is_recorded_for_staff(shop, provider):
    provider.approve = False
    order = moved_on(card_order(shop), Order.Status.PROCESSING)

    order_payment_authorize(order_id=order.pk)

    order.refresh_from_db()
    assert (order.status, order.payment_status) == (Order.Status.PROCESSING, Order.PaymentStatus.FAILED)
    event = order.events.last()
    assert event.type == "payment_failed"
    assert event.payload["cancelled"] is False
    assert "not cancelled" in event.note
    outbox = OutboxEvent.objects.filter(aggregate_id=order.number).order_by("id").last()
    assert outbox.type == "order.payment_failed"
    assert (outbox.payload["cancelled"], outbox.payload["status"]) == (False, Order.Status.PROCESSING)


def test_a_cancelled_order_is_not_authorised(shop, provider):
    order = card_order(shop)
    order_transition(order=order, to=Order.Status.CANCELLED, role=lifecycle.CUSTOMER)

    order = order_payment_authorize(order_id=order.pk)

    assert (order.status, order.payment_status) == (Order.Status.CANCELLED, Order.PaymentStatus.PENDING)
    assert provider.calls == []
