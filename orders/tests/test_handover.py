"""The counter: finding a ready order, the hand-over plan, partial hand-over (refused units back
on the shelf, refunded or not charged), the till confirmation, someone else collecting, reserve
& try visits, every refusal, and part refunds of a card payment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from conftest import run_in_threads
from customers.models import Customer
from inventory.models import Allocation, StockLevel, StockMovement
from inventory.selectors import stock_drift_list
from omnishop.notifications.models import Notification
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.exceptions import (
    AlreadyHandedOver,
    CustomerCheckFailed,
    IdempotencyConflict,
    InvalidHandOver,
    InvalidTransition,
    NothingToRefund,
    NotYourStore,
    PickupCodeAmbiguous,
    PickupExpired,
    PickupNotFound,
    RefundExceedsPayment,
    TillPaymentRequired,
    WrongPickupCode,
)
from orders.models import Order, OrderRefund
from orders.services import (
    TillPayment,
    handover_plan,
    order_hand_over,
    order_payment_authorize,
    order_payment_refund_partial,
    order_picking_start,
    order_place,
    order_ready_for_pickup,
    order_refund_execute,
    order_transition,
    order_try_on_visit,
    pickup_order_find,
    pickup_orders_expire,
)
from orders.services.pickup import MAX_PICKUP_ATTEMPTS
from orders.tests.conftest import stock
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db

TILL = TillPayment(method="cash", receipt_number="W1/0042")


def ready_order(shop, *, fulfilment_type="click_and_collect", payment_method="card", units=(2, 1), seller=None):
    """A ready pickup order at Warszawa: ``units`` of the first variants (100.00 and 101.00 zł),
    for Anna Wójcik (phone ending 789)."""
    waw = shop["waw"]
    seller = seller or store_staff("sprzedawca@example.pl", waw)
    customer = Customer.objects.create(
        first_name="Anna", last_name="Wójcik", email=f"anna{Customer.objects.count()}@example.pl", phone="+48601234789"
    )
    lines = {}
    for variant, quantity in zip(shop["variants"], units, strict=False):
        stock(variant, waw, 3)
        lines[variant.pk] = quantity
    order = order_place(
        channel=shop["web"],
        lines=lines,
        fulfilment_type=fulfilment_type,
        pickup_location=waw,
        customer=customer,
        payment_method=payment_method,
    )
    if payment_method == "card":
        order = order_payment_authorize(order_id=order.pk)  # the fake provider approves
    order.refresh_from_db()
    if order.status == Order.Status.PLACED:
        order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    order = order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)
    return order, seller


def level(variant, location):
    row = StockLevel.objects.get(variant=variant, location=location)
    return row.on_hand, row.allocated


def books_balance():
    assert stock_drift_list() == []
    assert not StockLevel.objects.filter(allocated__gt=F("on_hand")).exists()


def test_the_plan_shows_the_customer_every_line_and_the_amount_to_collect(shop):
    order, seller = ready_order(shop, payment_method="pay_in_store")
    a_line, b_line = order.lines.order_by("id")
    plan = handover_plan(order=order, actor=seller)
    assert (plan.customer_name, plan.phone_hint, plan.pay_in_store) == ("Anna Wójcik", "789", True)
    assert [(ln.sku, ln.quantity, ln.refused) for ln in plan.lines] == [(a_line.sku, 2, 0), (b_line.sku, 1, 0)]
    assert plan.amount_to_collect == Decimal("301.00") and plan.refund_amount == 0
    plan = handover_plan(order=order, actor=seller, refused={a_line.pk: 1})
    assert (plan.refused_amount, plan.amount_to_collect) == (Decimal("100.00"), Decimal("201.00"))


def test_a_card_order_handed_over_with_a_unit_refused_refunds_it_and_puts_it_back_on_sale(
    shop, provider, django_capture_on_commit_callbacks
):
    order, seller = ready_order(shop)
    a, waw = shop["variants"][0], shop["waw"]
    a_line = order.lines.get(variant=a)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_hand_over(
            order=order, code=order.pickup_code, refused={a_line.pk: 1}, collector_name="Jan Nowak", actor=seller
        )
    order.refresh_from_db()
    a_line.refresh_from_db()
    assert (order.status, order.payment_status, order.refunded_total) == ("completed", "paid", Decimal("100.00"))
    assert a_line.quantity_refused == 1
    assert level(a, waw) == (2, 0)  # 3 - 2 sold + 1 returned
    kinds = list(StockMovement.objects.filter(variant=a, location=waw).order_by("id").values_list("kind", "quantity"))
    assert kinds[-2:] == [("sale", -2), ("return", 1)]
    refund = OrderRefund.objects.get(order=order)
    assert (refund.reference, refund.amount, refund.status) == (f"handover:{order.number}", Decimal("100.00"), "done")
    assert provider.refunds == [
        {
            "reference": order.payment_reference,
            "amount": Decimal("100.00"),
            "currency": "PLN",
            "idempotency_key": f"handover:{order.number}",
        }
    ]
    handed = order.events.get(type="handed_over")
    assert handed.actor == seller and handed.payload["collector_name"] == "Jan Nowak"
    assert handed.payload["lines"][0] == {"sku": a.sku, "quantity": 2, "refused": 1}
    assert "100.00" in handed.note
    assert order.events.filter(type="partial_refund_done").exists()
    out = OutboxEvent.objects.get(type="order.handed_over", aggregate_id=order.number).payload
    assert out["refund_amount"] == "100.00" and out["collected_by_other"] is True and "Jan" not in str(out)
    assert Notification.objects.filter(order_reference=order.number, template="order_refunded").exists()
    books_balance()


def test_a_pay_in_store_order_is_paid_only_after_the_till_confirms_and_refused_units_are_not_charged(shop):
    order, seller = ready_order(shop, payment_method="pay_in_store")
    a_line = order.lines.get(variant=shop["variants"][0])
    with pytest.raises(TillPaymentRequired) as refused:
        order_hand_over(order=order, code=order.pickup_code, refused={a_line.pk: 1}, actor=seller)
    assert refused.value.status_code == 400 and set(refused.value.errors) == {"till_method", "receipt_number"}
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("ready_for_pickup", "pay_in_store")
    with pytest.raises(TillPaymentRequired):
        order_hand_over(
            order=order, code=order.pickup_code, till=TillPayment(method="cheque", receipt_number="1"), actor=seller
        )

    order_hand_over(order=order, code=order.pickup_code, refused={a_line.pk: 1}, till=TILL, actor=seller)
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.payment_reference) == ("completed", "paid", "till:waw:W1/0042")
    paid = order.events.get(type="paid_in_store")
    assert paid.payload["amount"] == "201.00" and paid.payload["till_method"] == "cash"
    assert not OrderRefund.objects.exists() and order.refunded_total == 0
    assert order.events.get(type="handed_over").payload["not_charged"] == "100.00"
    assert level(shop["variants"][0], shop["waw"]) == (2, 0)
    books_balance()


def test_everything_refused_cancels_the_order_and_a_card_payment_goes_back_in_full(
    shop, provider, django_capture_on_commit_callbacks
):
    order, seller = ready_order(shop, units=(1,))
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        order_hand_over(order=order, code=order.pickup_code, refused={line.pk: 1}, actor=seller)
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert level(shop["variants"][0], shop["waw"]) == (3, 0)
    assert [r["amount"] for r in provider.refunds] == [Decimal("100.00")]
    assert order.events.filter(to_status="cancelled", actor=seller).exists()


def test_the_customer_in_person_without_the_code_after_surname_and_phone_digits(shop):
    order, seller = ready_order(shop)
    with pytest.raises(CustomerCheckFailed):
        order_hand_over(order=order, surname="Wojcik", phone_digits="788", actor=seller)
    order.refresh_from_db()
    assert order.pickup_attempts == 1 and order.status == "ready_for_pickup"
    with pytest.raises(InvalidHandOver):  # someone else needs the code
        order_hand_over(order=order, surname="Wojcik", phone_digits="789", collector_name="Jan", actor=seller)
    order_hand_over(order=order, surname="wójcik", phone_digits="789", actor=seller)
    order.refresh_from_db()
    assert order.status == "completed"
    assert order.events.get(type="handed_over").payload["by"] == "customer_check"


def test_refusals_wrong_code_wrong_store_expired_already_handed_over_and_too_many_refused(shop):
    order, seller = ready_order(shop)
    a_line = order.lines.get(variant=shop["variants"][0])
    wrong = "000000" if order.pickup_code != "000000" else "111111"
    with pytest.raises(WrongPickupCode):
        order_hand_over(order=order, code=wrong, actor=seller)
    order.refresh_from_db()
    assert order.pickup_attempts == 1 and order.events.filter(type="pickup_code_wrong").count() == 1

    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    with pytest.raises(NotYourStore):
        order_hand_over(order=order, code=order.pickup_code, actor=elsewhere)
    with pytest.raises(InvalidHandOver) as too_many:
        order_hand_over(order=order, code=order.pickup_code, refused={a_line.pk: 3}, actor=seller)
    assert str(a_line.pk) in too_many.value.errors
    with pytest.raises(InvalidHandOver):
        order_hand_over(order=order, code=order.pickup_code, refused={a_line.pk: -1}, actor=seller)
    with pytest.raises(InvalidHandOver):
        order_hand_over(order=order, code=order.pickup_code, refused={999999: 1}, actor=seller)
    with pytest.raises(InvalidHandOver):
        order_hand_over(order=order, actor=seller)  # neither code nor customer check
    with pytest.raises(InvalidTransition):  # a click & collect order is not a try-on visit
        order_try_on_visit(order=order, code=order.pickup_code, actor=seller)

    Order.objects.filter(pk=order.pk).update(pickup_expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(PickupExpired):
        order_hand_over(order=order, code=order.pickup_code, actor=seller)
    Order.objects.filter(pk=order.pk).update(pickup_expires_at=timezone.now() + timedelta(days=1))
    order_hand_over(order=order, code=order.pickup_code, actor=seller)
    order.refresh_from_db()
    with pytest.raises(AlreadyHandedOver) as again:
        order_hand_over(order=order, code="123456", actor=seller)
    assert again.value.status_code == 409
    assert not order.refunds.exists() and level(shop["variants"][0], shop["waw"]) == (1, 0)


def test_the_last_wrong_code_replaces_it(shop):
    order, seller = ready_order(shop)
    first = order.pickup_code
    wrong = "000000" if first != "000000" else "111111"
    for _ in range(MAX_PICKUP_ATTEMPTS):
        with pytest.raises(WrongPickupCode):
            order_hand_over(order=order, code=wrong, actor=seller)
    order.refresh_from_db()
    assert order.pickup_code != first and order.pickup_attempts == 0
    with pytest.raises(WrongPickupCode):
        order_hand_over(order=order, code=first, actor=seller)


def test_find_by_code_or_by_number_surname_and_phone_digits_in_the_own_store_only(shop):
    order, seller = ready_order(shop)
    assert pickup_order_find(actor=seller, code=f" {order.pickup_code} ") == order
    assert (
        pickup_order_find(actor=seller, number=order.number.lower(), surname="WOJCIK", phone_digits="234 789") == order
    )
    with pytest.raises(CustomerCheckFailed):
        pickup_order_find(actor=seller, number=order.number, surname="Kowalska", phone_digits="789")
    order.refresh_from_db()
    assert order.pickup_attempts == 1  # a failed check counts like a wrong code
    with pytest.raises(CustomerCheckFailed):
        pickup_order_find(actor=seller, number=order.number, surname="Wójcik", phone_digits="89")  # too few
    wrong = "000000" if order.pickup_code != "000000" else "111111"
    with pytest.raises(PickupNotFound):
        pickup_order_find(actor=seller, code=wrong)
    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    with pytest.raises(PickupNotFound):
        pickup_order_find(actor=elsewhere, code=order.pickup_code)
    with pytest.raises(PickupNotFound):
        pickup_order_find(actor=elsewhere, number=order.number, surname="Wójcik", phone_digits="789")
    with pytest.raises(InvalidHandOver):
        pickup_order_find(actor=seller)


def test_two_orders_under_one_code_are_told_apart_by_number(shop):
    first, seller = ready_order(shop)
    second, _seller = ready_order(shop, seller=seller)
    Order.objects.filter(pk=second.pk).update(pickup_code=first.pickup_code)
    with pytest.raises(PickupCodeAmbiguous):
        pickup_order_find(actor=seller, code=first.pickup_code)


def test_a_try_on_visit_releases_what_is_not_kept_and_the_customer_pays_for_the_rest(shop):
    order, seller = ready_order(shop, fulfilment_type="ropis", payment_method="pay_in_store")
    a, b = shop["variants"][:2]
    b_line = order.lines.get(variant=b)
    with pytest.raises(TillPaymentRequired):
        order_try_on_visit(order=order, code=order.pickup_code, not_kept=[b_line.pk], actor=seller)
    with pytest.raises(InvalidHandOver):
        order_try_on_visit(order=order, code=order.pickup_code, not_kept=[999999], till=TILL, actor=seller)
    with pytest.raises(InvalidTransition):  # a reservation is visited, not handed over
        order_hand_over(order=order, code=order.pickup_code, till=TILL, actor=seller)
    order_try_on_visit(order=order, code=order.pickup_code, not_kept=[b_line.pk], till=TILL, actor=seller)
    order.refresh_from_db()
    b_line.refresh_from_db()
    assert (order.status, order.payment_status, b_line.quantity_refused) == ("completed", "paid", 1)
    assert level(a, shop["waw"]) == (1, 0) and level(b, shop["waw"]) == (3, 0)  # b never left the store
    assert not StockMovement.objects.filter(variant=b, kind__in=["sale", "return"]).exists()
    assert order.events.get(type="paid_in_store").payload["amount"] == "200.00"
    visit = order.events.get(type="try_on_visited")
    assert visit.payload["kind"] == "try_on" and visit.payload["lines"][1] == {
        "sku": b.sku,
        "quantity": 1,
        "refused": 1,
    }
    assert OutboxEvent.objects.get(type="order.handed_over").payload["kind"] == "try_on"
    books_balance()


def test_nothing_kept_at_the_try_on_visit_cancels_the_reservation(shop):
    order, seller = ready_order(shop, fulfilment_type="ropis", payment_method="pay_in_store")
    lines = list(order.lines.values_list("pk", flat=True))
    order_try_on_visit(order=order, code=order.pickup_code, not_kept=lines, actor=seller)  # no till: nothing to pay
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "pay_in_store")
    assert order.events.filter(type="try_on_visited").exists()
    assert not Allocation.objects.filter(status="open").exists()
    assert level(shop["variants"][0], shop["waw"]) == (3, 0)


def test_an_unvisited_reservation_expires_like_a_pickup(shop):
    order, _seller = ready_order(shop, fulfilment_type="ropis", payment_method="pay_in_store")
    assert pickup_orders_expire(now=order.pickup_expires_at + timedelta(seconds=1)) == 1
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert level(shop["variants"][0], shop["waw"]) == (3, 0)


def test_a_part_refund_is_idempotent_per_reference_and_never_exceeds_the_payment(shop, provider):
    order, _seller = ready_order(shop)
    first = order_payment_refund_partial(order=order, amount=Decimal("50"), reason="line cancelled", reference="r-1")
    again = order_payment_refund_partial(order=order, amount=Decimal("50.00"), reason="line cancelled", reference="r-1")
    assert first.pk == again.pk and OrderRefund.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        order_payment_refund_partial(order=order, amount=Decimal("60"), reason="x", reference="r-1")
    with pytest.raises(RefundExceedsPayment):
        order_payment_refund_partial(order=order, amount=Decimal("251.01"), reason="x", reference="r-2")
    order_payment_refund_partial(order=order, amount=Decimal("251.00"), reason="x", reference="r-3")
    order.refresh_from_db()
    assert order.refunded_total == order.total
    assert order.events.filter(type="partial_refund_requested").count() == 2
    assert OutboxEvent.objects.filter(type="order.partial_refund_requested").count() == 2
    with transaction.atomic(), pytest.raises(IntegrityError):  # the database holds it too
        Order.objects.filter(pk=order.pk).update(refunded_total=F("total") + 1)


def test_a_part_refund_the_provider_refuses_stays_owed_and_is_retried(shop, provider):
    order, _seller = ready_order(shop)
    refund = order_payment_refund_partial(order=order, amount=Decimal("10"), reason="x", reference="r-1")
    provider.refunds_fail = 1
    from orders.exceptions import RefundFailed

    with pytest.raises(RefundFailed):
        order_refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == "failed" and order.events.filter(type="refund_failed").exists()
    assert order_refund_execute(refund_id=refund.pk).status == "done"
    assert order_refund_execute(refund_id=refund.pk).status == "done"
    assert [r["idempotency_key"] for r in provider.refunds] == ["r-1", "r-1"]


def test_nothing_to_refund_on_a_pay_in_store_order(shop):
    order, _seller = ready_order(shop, payment_method="pay_in_store")
    with pytest.raises(NothingToRefund):
        order_payment_refund_partial(order=order, amount=Decimal("10"), reason="x", reference="r-1")


@pytest.mark.django_db(transaction=True)
def test_two_staff_hand_over_the_same_order_at_once_once(shop, provider):
    order, seller = ready_order(shop)
    other = store_staff("druga@example.pl", shop["waw"])
    a_line = order.lines.get(variant=shop["variants"][0])

    def hand_over(user):
        return order_hand_over(order=order, code=order.pickup_code, refused={a_line.pk: 1}, actor=user)

    results = run_in_threads(hand_over, [(seller,), (other,)])
    done = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if not isinstance(r, Order)]
    assert len(done) == 1 and len(refused) == 1 and isinstance(refused[0], AlreadyHandedOver), results
    order.refresh_from_db()
    assert order.status == "completed" and order.refunded_total == Decimal("100.00")
    assert OrderRefund.objects.count() == 1 and len(provider.refunds) == 1
    assert StockMovement.objects.filter(kind="return").count() == 1
    assert level(shop["variants"][0], shop["waw"]) == (2, 0)
    assert order.events.filter(type="handed_over").count() == 1
    books_balance()


def test_the_order_page_in_admin_shows_the_refused_units_and_the_part_refund(
    shop, provider, admin_client, django_capture_on_commit_callbacks
):
    order, seller = ready_order(shop)
    a_line = order.lines.get(variant=shop["variants"][0])
    with django_capture_on_commit_callbacks(execute=True):
        order_hand_over(order=order, code=order.pickup_code, refused={a_line.pk: 1}, actor=seller)
    page = admin_client.get(f"/admin/orders/order/{order.pk}/change/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "odrzucono 1" in page
    assert 'id="order-refunds"' in page and "100,00\xa0zł" in page
