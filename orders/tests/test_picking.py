"""Picking in the store: tap or scan to pick, short picks that take units off the store's stock
and re-route them (another location + transfer, another source) or cancel them with their
money, everything on the timeline."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import translation

from inventory.models import StockLevel, StockMovement, Transfer
from inventory.selectors import stock_drift_list
from omnishop.notifications.models import Notification
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.events import order_event_text
from orders.exceptions import InvalidTransition, NotYourStore, PickQuantityExceeded, UnknownEan
from orders.models import FulfilmentLine, Order
from orders.selectors import pick_list
from orders.services import (
    fulfilment_line_pick,
    fulfilment_line_short,
    fulfilment_pick_scan,
    fulfilment_transfer_receive,
    fulfilment_transfer_ship,
    order_place,
    order_ready_for_pickup,
    order_transition,
)
from orders.tests.conftest import ADDRESS, GUEST, stock
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def assert_books_balance():
    assert stock_drift_list() == []


def collect_order(shop, store, lines: dict, *, kind="click_and_collect", payment_method="pay_in_store") -> Order:
    order = order_place(
        channel=shop["web"],
        lines={v.pk: q for v, q in lines.items()},
        fulfilment_type=kind,
        pickup_location=store,
        contact=GUEST,
        payment_method=payment_method,
    )
    return order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)


def store_line(order: Order, variant) -> FulfilmentLine:
    return FulfilmentLine.objects.get(
        fulfilment__order=order, order_line__variant=variant, fulfilment__status="pending"
    )


@pytest.fixture
def seller(shop):
    return store_staff("sprzedawca@example.pl", shop["waw"])


def test_tapping_a_line_picks_it_and_starts_the_order(shop, seller):
    a = shop["variants"][0]
    stock(a, shop["waw"], 3)
    order = collect_order(shop, shop["waw"], {a: 2})
    line = store_line(order, a)
    fulfilment_line_pick(line=line, quantity=1, actor=seller)
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == "processing" and line.picked_quantity == 1
    event = order.events.get(type="item_picked")
    assert event.actor == seller and event.payload == {
        "version": 1,
        "line": line.pk,
        "sku": a.sku,
        "quantity": 1,
        "picked": 1,
        "store": "waw",
    }
    with translation.override("pl"):
        assert order_event_text(event) == f"Zebrano 1 x {a.sku} w waw."
    fulfilment_line_pick(line=line, quantity=1, actor=seller)
    with pytest.raises(PickQuantityExceeded):
        fulfilment_line_pick(line=line, quantity=1, actor=seller)
    line.refresh_from_db()
    assert line.picked_quantity == 2 and line.to_pick == 0


def test_scanning_an_ean_picks_its_line(shop, seller):
    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 3)
    stock(b, shop["waw"], 3)
    order = collect_order(shop, shop["waw"], {a: 1, b: 2})
    fulfilment = order.fulfilments.get()
    line = fulfilment_pick_scan(fulfilment=fulfilment, ean=f" {b.ean}\n", actor=seller)
    assert line.order_line.variant_id == b.pk and line.picked_quantity == 1
    with pytest.raises(UnknownEan) as refused:
        fulfilment_pick_scan(fulfilment=fulfilment, ean="5900000000000", actor=seller)
    assert refused.value.status_code == 404
    fulfilment_pick_scan(fulfilment=fulfilment, ean=b.ean, actor=seller)
    with pytest.raises(PickQuantityExceeded) as exceeded:
        fulfilment_pick_scan(fulfilment=fulfilment, ean=b.ean, actor=seller)
    assert exceeded.value.status_code == 409
    assert store_line(order, a).picked_quantity == 0


def test_only_the_stores_staff_pick_and_only_open_orders(shop, seller):
    a = shop["variants"][0]
    stock(a, shop["waw"], 3)
    order = collect_order(shop, shop["waw"], {a: 1})
    line = store_line(order, a)
    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    with pytest.raises(NotYourStore):
        fulfilment_line_pick(line=line, quantity=1, actor=elsewhere)
    with pytest.raises(NotYourStore):
        fulfilment_line_short(line=line, quantity=1, reason="missing", actor=elsewhere)
    with pytest.raises(InvalidTransition):
        fulfilment_line_short(line=line, quantity=1, reason="lost", actor=seller)
    with pytest.raises(PickQuantityExceeded):
        fulfilment_line_short(line=line, quantity=2, reason="missing", actor=seller)
    fulfilment_line_pick(line=line, quantity=1, actor=seller)
    order_ready_for_pickup(order=order, actor=seller)
    with pytest.raises(InvalidTransition):
        fulfilment_line_short(line=line, quantity=1, reason="missing", actor=seller)
    assert level(a, shop["waw"]).on_hand == 3


def test_a_short_click_and_collect_unit_comes_from_another_location_by_transfer(shop, seller):
    a = shop["variants"][0]
    waw, warehouse = shop["waw"], shop["warehouse"]
    stock(a, waw, 2)
    stock(a, warehouse, 5)
    order = collect_order(shop, waw, {a: 2})
    line = store_line(order, a)
    fulfilment_line_pick(line=line, quantity=1, actor=seller)
    outcome = fulfilment_line_short(line=line, quantity=1, reason="damaged", actor=seller)
    assert outcome.rerouted == [("wh-strykow", 1, outcome.rerouted[0][2])] and outcome.cancelled == 0

    store_level = level(a, waw)
    assert (store_level.on_hand, store_level.allocated) == (1, 1)  # the damaged unit is off the books
    adjustment = StockMovement.objects.get(location=waw, variant=a, kind="adjustment")
    assert adjustment.quantity == -1 and "damaged" in adjustment.note and adjustment.actor == seller
    assert level(a, warehouse).allocated == 1
    order.refresh_from_db()
    assert order.status == "awaiting_transfer"
    moved = order.fulfilments.get(status="awaiting_transfer")
    assert moved.location == warehouse and moved.transfer.destination == waw
    assert moved.transfer.status == Transfer.Status.REQUESTED
    types = list(order.events.values_list("type", flat=True))
    assert types.count("item_short") == 1 and types.count("item_rerouted") == 1
    rerouted = order.events.get(type="item_rerouted")
    assert rerouted.payload["from"] == "wh-strykow" and rerouted.payload["transfer"] == moved.transfer_id
    with translation.override("pl"):
        assert "przesunięciem" in order_event_text(rerouted)

    # The unit travels and is booked in: the order is picked again in the store.
    fulfilment_transfer_receive(fulfilment=fulfilment_transfer_ship(fulfilment=moved))
    order.refresh_from_db()
    assert order.status == "processing"
    assert [g.to_pick for g in pick_list(location=waw, orders=[order])] == [1]
    assert_books_balance()


def test_a_short_delivery_unit_is_shipped_from_another_source(shop):
    a = shop["variants"][0]
    krk, warehouse = shop["krk"], shop["warehouse"]
    shipper = store_staff("krakow@example.pl", krk)
    stock(a, krk, 1)
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    assert order.fulfilments.get().location == krk  # ship-from-store
    stock(a, warehouse, 4)
    outcome = fulfilment_line_short(line=store_line(order, a), quantity=1, reason="missing", actor=shipper)
    assert outcome.rerouted == [("wh-strykow", 1, None)]
    order.refresh_from_db()
    assert order.status == "processing"
    statuses = dict(order.fulfilments.values_list("location__code", "status"))
    assert statuses == {"krk": "cancelled", "wh-strykow": "pending"}
    assert level(a, krk).on_hand == 0 and level(a, warehouse).allocated == 1
    assert_books_balance()


def test_units_no_location_has_are_cancelled_and_not_charged_in_the_store(
    shop, seller, django_capture_on_commit_callbacks
):
    a, b = shop["variants"][:2]
    waw = shop["waw"]
    stock(a, waw, 2)
    stock(b, waw, 1)
    order = collect_order(shop, waw, {a: 2, b: 1})
    total = order.total
    unit = order.lines.get(variant=a).line_total / 2
    with django_capture_on_commit_callbacks(execute=True):
        outcome = fulfilment_line_short(line=store_line(order, a), quantity=1, reason="missing", actor=seller)
    assert outcome.rerouted == [] and outcome.cancelled == 1 and outcome.refund == "not_charged"
    assert outcome.amount == unit.quantize(Decimal("0.01"))
    order.refresh_from_db()
    assert order.status == "processing" and order.total == total - outcome.amount
    line = store_line(order, a)
    assert (line.short_quantity, line.cancelled_quantity, line.to_pick) == (1, 1, 1)
    assert level(a, waw).on_hand == 1 and level(a, waw).allocated == 1
    event = order.events.get(type="items_cancelled")
    assert event.payload["refund"] == "not_charged" and event.payload["items"][0]["quantity"] == 1
    outbox = OutboxEvent.objects.get(type="order.items_cancelled", aggregate_id=order.number)
    assert outbox.payload["items"] == [{"sku": a.sku, "quantity": 1}] and outbox.payload["amount"] == str(
        outcome.amount
    )
    notice = Notification.objects.get(template="order_items_cancelled", order_reference=order.number)
    assert notice.context["refund"] == "not_charged" and notice.context["lines"][0]["sku"] == a.sku
    with translation.override("pl"):
        assert "mniej do zapłaty" in order_event_text(event)
    assert_books_balance()


def test_a_reservation_is_never_rerouted(shop, seller):
    a = shop["variants"][0]
    stock(a, shop["waw"], 1)
    stock(a, shop["warehouse"], 5)
    order = collect_order(shop, shop["waw"], {a: 1}, kind="ropis")
    outcome = fulfilment_line_short(line=store_line(order, a), quantity=1, reason="damaged", actor=seller)
    assert outcome.rerouted == [] and outcome.cancelled == 1 and outcome.order_cancelled
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert level(a, shop["warehouse"]).allocated == 0


def test_an_order_left_with_nothing_is_cancelled(shop, seller, django_capture_on_commit_callbacks):
    a = shop["variants"][0]
    stock(a, shop["waw"], 2)
    order = collect_order(shop, shop["waw"], {a: 2})
    line = store_line(order, a)
    fulfilment_line_short(line=line, quantity=1, reason="missing", actor=seller)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = fulfilment_line_short(line=line, quantity=1, reason="missing", actor=seller)
    assert outcome.order_cancelled
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert level(a, shop["waw"]).on_hand == 0 and level(a, shop["waw"]).allocated == 0
    assert order.fulfilments.get().status == "cancelled"
    # The customer hears it once, from the items-cancelled notice, not a second cancellation notice.
    assert not Notification.objects.filter(template="order_cancelled", order_reference=order.number).exists()
    assert Notification.objects.filter(template="order_items_cancelled", order_reference=order.number).count() == 2
    assert_books_balance()


def test_the_pick_list_groups_a_batch_by_sku_in_one_query(shop, seller, django_assert_num_queries):
    a, b = shop["variants"][:2]
    waw = shop["waw"]
    stock(a, waw, 20)
    stock(b, waw, 20)
    orders = [collect_order(shop, waw, {a: 1, b: 2}) for _ in range(3)]
    fulfilment_line_pick(line=store_line(orders[0], b), quantity=2, actor=seller)
    with django_assert_num_queries(1):
        groups = pick_list(location=waw, orders=orders[:2])
    by_sku = {g.sku: g for g in groups}
    assert set(by_sku) == {a.sku, b.sku}
    assert (by_sku[b.sku].quantity, by_sku[b.sku].picked, by_sku[b.sku].to_pick) == (4, 2, 2)
    assert [i.order_number for i in by_sku[a.sku].items] == [o.number for o in orders[:2]]
    assert by_sku[a.sku].ean == a.ean and by_sku[a.sku].name == orders[0].lines.get(variant=a).name
    more = [collect_order(shop, waw, {a: 1}) for _ in range(4)]
    with django_assert_num_queries(1):
        everything = pick_list(location=waw)
    assert sum(g.quantity for g in everything) == 3 * 3 + len(more)
    assert pick_list(location=shop["krk"]) == []


def test_picked_and_short_stay_within_the_line_in_the_database(shop, seller):
    from django.db import IntegrityError, transaction

    a = shop["variants"][0]
    stock(a, shop["waw"], 2)
    line = store_line(collect_order(shop, shop["waw"], {a: 2}), a)
    with pytest.raises(IntegrityError), transaction.atomic():
        FulfilmentLine.objects.filter(pk=line.pk).update(picked_quantity=2, short_quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        FulfilmentLine.objects.filter(pk=line.pk).update(short_quantity=1, cancelled_quantity=2)


def test_the_admin_shows_picking_counts_read_only(admin_client, shop, seller):
    a = shop["variants"][0]
    stock(a, shop["waw"], 2)
    order = collect_order(shop, shop["waw"], {a: 2})
    fulfilment_line_pick(line=store_line(order, a), quantity=1, actor=seller)
    page = admin_client.get("/admin/orders/fulfilmentline/")
    assert page.status_code == 200 and "picked" in page.content.decode().lower()
    detail = admin_client.get(f"/admin/orders/order/{order.pk}/change/")
    assert f"1 x {a.sku}" in detail.content.decode()
    assert StockLevel.objects.filter(variant=a).aggregate(s=Sum("on_hand"))["s"] == 2


def test_cancelled_units_of_a_card_paid_order_are_refunded_in_part(shop, seller, provider):
    from orders.models import OrderRefund
    from orders.services import order_payment_authorize

    a, b = shop["variants"][:2]
    stock(a, shop["waw"], 2)
    stock(b, shop["waw"], 1)
    placed = order_place(
        channel=shop["web"],
        lines={a.pk: 2, b.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
        payment_method="card",
    )
    order = order_payment_authorize(order_id=placed.pk)
    assert (order.status, order.payment_status) == ("confirmed", "paid")
    total = order.total
    outcome = fulfilment_line_short(line=store_line(order, a), quantity=1, reason="missing", actor=seller)
    assert outcome.refund == "refunded" and outcome.cancelled == 1
    refund = OrderRefund.objects.get(order=order)
    assert refund.amount == outcome.amount
    order.refresh_from_db()
    assert order.total == total and order.status == "processing"  # the rest goes on; the card gets the part back
    event = order.events.get(type="items_cancelled")
    with translation.override("pl"):
        assert "zwrot" in order_event_text(event)


def test_the_hand_over_shows_and_charges_only_the_units_left_after_a_cancelled_short(
    shop, seller, django_capture_on_commit_callbacks
):
    from orders.services.handover import handover_plan

    a, b = shop["variants"][:2]
    waw = shop["waw"]
    stock(a, waw, 2)
    stock(b, waw, 1)
    order = collect_order(shop, waw, {a: 2, b: 1})
    with django_capture_on_commit_callbacks(execute=True):
        outcome = fulfilment_line_short(line=store_line(order, a), quantity=1, reason="damaged", actor=seller)
    for variant in (a, b):
        fulfilment_line_pick(line=store_line(order, variant), quantity=1, actor=seller)
    with django_capture_on_commit_callbacks(execute=True):
        order_ready_for_pickup(order=order, actor=seller)
    order.refresh_from_db()
    plan = handover_plan(order=order, actor=seller)
    line_a = next(line for line in plan.lines if line.sku == a.sku)
    assert line_a.quantity == 1 and line_a.amount == order.lines.get(variant=a).line_total - outcome.amount
    assert plan.amount_to_collect == order.total == sum(line.amount for line in plan.lines)
    with pytest.raises(Exception, match="refused quantities"):
        handover_plan(order=order, actor=seller, refused={order.lines.get(variant=a).pk: 2})
