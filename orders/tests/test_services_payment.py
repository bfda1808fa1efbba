"""Card payments: authorisation whatever the order's status, refunds of cancelled paid orders."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.exceptions import RefundFailed
from orders.models import Order
from orders.payments import PaymentResult
from orders.services import order_cancel, order_payment_authorize, order_payment_refund, order_place, order_transition
from orders.tasks import order_payment_refund_task
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db


class RecordingProvider:
    """Approves or declines (``approve``), refunds or refuses as ``refunds_fail`` says (that
    many refusals first), and remembers what it was asked."""

    approve = True
    refunds_fail = 0
    while_asked = None  # what happens elsewhere while the provider is asked to authorise
    calls: list[dict] = []
    refunds: list[dict] = []

    def authorize(self, *, order_number: str, amount: Decimal, currency: str, method: str) -> PaymentResult:
        type(self).calls.append({"order_number": order_number, "amount": amount, "currency": currency})
        if type(self).while_asked is not None:
            type(self).while_asked()
        if type(self).approve:
            return PaymentResult(ok=True, reference=f"AUTH-{order_number}")
        return PaymentResult(ok=False, message="card declined")

    def refund(self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str) -> PaymentResult:
        cls = type(self)
        cls.refunds.append(
            {"reference": reference, "amount": amount, "currency": currency, "idempotency_key": idempotency_key}
        )
        if cls.refunds_fail:
            cls.refunds_fail -= 1
            return PaymentResult(ok=False, message="refund refused")
        return PaymentResult(ok=True, reference=f"REF-{idempotency_key}")


@pytest.fixture
def provider(settings):
    settings.OMNISHOP_PAYMENT_PROVIDER = f"{__name__}.RecordingProvider"
    RecordingProvider.approve = True
    RecordingProvider.refunds_fail = 0
    RecordingProvider.while_asked = None
    RecordingProvider.calls = []
    RecordingProvider.refunds = []
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


def refund_callbacks(callbacks) -> list:
    """The after-commit refund tasks among the callbacks (the customer's notices are others)."""
    return [c for c in callbacks if c.func.__name__ == "payment_refund_queue"]


def paid_order(shop) -> Order:
    order = order_payment_authorize(order_id=card_order(shop).pk)
    assert (order.status, order.payment_status) == (Order.Status.CONFIRMED, Order.PaymentStatus.PAID)
    return order


def test_cancelling_a_paid_card_order_refunds_it_after_commit(shop, django_capture_on_commit_callbacks):
    order = paid_order(shop)  # the fake provider

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_cancel(order=order, role=lifecycle.CUSTOMER)

    # The refund task, and the customer's notices (cancelled, refunded) that are not refunds.
    assert len(refund_callbacks(callbacks)) == 1
    order.refresh_from_db()
    assert (order.status, order.payment_status) == (Order.Status.CANCELLED, Order.PaymentStatus.REFUNDED)
    assert order.refund_reference == f"FAKE-REFUND-{order.number}"
    event = order.events.last()
    assert (event.type, event.payload) == (
        "payment_refunded",
        {
            "reference": order.refund_reference,
            "payment_reference": order.payment_reference,
            "amount": str(order.total),
            "currency": "PLN",
        },
    )
    outbox = OutboxEvent.objects.filter(aggregate_id=order.number).order_by("id").last()
    assert outbox.type == "order.payment_refunded"
    assert outbox.payload["reference"] == order.refund_reference
    assert (Decimal(outbox.payload["amount"]), outbox.payload["currency"]) == (order.total, "PLN")


def test_the_refund_asks_the_provider_once_keyed_by_the_order_number(shop, provider):
    order = paid_order(shop)
    order_cancel(order=order, role=lifecycle.AGENT)  # the task is not run: on_commit is not captured

    order_payment_refund(order_id=order.pk)
    order_payment_refund(order_id=order.pk)  # a second run does nothing

    assert provider.refunds == [
        {
            "reference": order.payment_reference,
            "amount": order.total,
            "currency": "PLN",
            "idempotency_key": order.number,
        }
    ]
    order.refresh_from_db()
    assert (order.payment_status, order.refund_reference) == (Order.PaymentStatus.REFUNDED, f"REF-{order.number}")
    assert list(order.events.values_list("type", flat=True)).count("payment_refunded") == 1
    assert outbox_types(order).count("order.payment_refunded") == 1


def test_a_refused_refund_keeps_the_payment_paid_and_tells_staff(shop, provider):
    order = paid_order(shop)
    order_cancel(order=order, role=lifecycle.AGENT)
    provider.refunds_fail = 1

    with pytest.raises(RefundFailed):
        order_payment_refund(order_id=order.pk)

    order.refresh_from_db()
    assert (order.payment_status, order.refund_reference) == (Order.PaymentStatus.PAID, "")
    event = order.events.last()
    assert (event.type, event.note) == ("refund_failed", "refund refused")
    outbox = OutboxEvent.objects.filter(aggregate_id=order.number).order_by("id").last()
    assert (outbox.type, outbox.payload["message"]) == ("order.refund_failed", "refund refused")


def test_the_refund_task_retries_a_refused_refund(shop, provider):
    assert order_payment_refund_task.retry_backoff and RefundFailed in order_payment_refund_task.autoretry_for
    order = paid_order(shop)
    order_cancel(order=order, role=lifecycle.AGENT)
    provider.refunds_fail = 1

    # Run eagerly, the retry comes at once instead of after the backoff.
    order_payment_refund_task.apply(args=[order.pk], throw=False)

    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert [r["idempotency_key"] for r in provider.refunds] == [order.number] * 2
    types = [t for t in order.events.values_list("type", flat=True) if "refund" in t]
    assert types == ["refund_failed", "payment_refunded"]


@pytest.mark.parametrize("payment", ["pay_in_store", "pending"])
def test_nothing_is_refunded_when_nothing_was_taken(shop, provider, django_capture_on_commit_callbacks, payment):
    a = shop["variants"][0]
    stock(a, shop["waw"], 1)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        payment_method="pay_in_store" if payment == "pay_in_store" else "card",
        contact=GUEST,
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_cancel(order=order, role=lifecycle.AGENT)
    order_payment_refund(order_id=order.pk)

    assert refund_callbacks(callbacks) == []
    assert provider.refunds == []
    order.refresh_from_db()
    assert order.payment_status == payment


@pytest.mark.parametrize("approve", [True, False], ids=["approved", "declined"])
def test_a_payment_landing_on_an_order_cancelled_meanwhile_is_given_back(
    shop, provider, django_capture_on_commit_callbacks, approve
):
    order = card_order(shop)
    provider.approve = approve
    provider.while_asked = lambda: order_cancel(order=order, role=lifecycle.CUSTOMER)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_payment_authorize(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    types = list(order.events.values_list("type", flat=True))
    if approve:
        assert order.payment_status == Order.PaymentStatus.REFUNDED
        assert provider.refunds == [
            {
                "reference": f"AUTH-{order.number}",
                "amount": order.total,
                "currency": "PLN",
                "idempotency_key": order.number,
            }
        ]
        assert types[-3:] == ["status_changed", "payment_authorized", "payment_refunded"]
        assert outbox_types(order)[-2:] == ["order.payment_authorized", "order.payment_refunded"]
    else:
        assert order.payment_status == Order.PaymentStatus.FAILED
        assert (refund_callbacks(callbacks), provider.refunds) == ([], [])
        assert types[-2:] == ["status_changed", "payment_failed"]
        assert order.events.last().payload["cancelled"] is True
