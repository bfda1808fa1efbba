from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Channel
from catalog.services import listing_publish
from catalog.tests.factories import ChannelFactory
from customers.models import Customer
from inventory.exceptions import InsufficientStock
from inventory.models import Allocation, ChannelStock, Location, StockLevel, Transfer
from loyalty.exceptions import NotSellable
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.exceptions import IdempotencyConflict, InvalidTransition, TransitionNotAllowed
from orders.models import Order
from orders.routing import RoutedLine, RoutingDecision
from orders.services import Contact, order_cancel, order_payment_authorize, order_place, order_transition
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db

ADDRESS_WARSAW = {
    "street": "Marszałkowska 1",
    "postal_code": "00-001",
    "city": "Warszawa",
    "latitude": 52.23,
    "longitude": 21.01,
}


def allocated(variant, location) -> int:
    level = StockLevel.objects.filter(variant=variant, location=location).first()
    return level.allocated if level else 0


def test_delivery_order_is_priced_routed_allocated_and_recorded(shop):
    a, b, _c = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    customer = Customer.objects.create(first_name="Anna", email="anna@example.pl")
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 2, b.pk: 1},
        fulfilment_type="delivery",
        customer=customer,
        shipping_address=ADDRESS_WARSAW,
    )
    assert order.number.startswith("OS-") and order.status == "placed"
    assert (
        order.subtotal == Decimal("301.00")
        and order.shipping_total == Decimal("0.00")
        and order.total == Decimal("301.00")
    )
    assert order.email == "anna@example.pl"
    assert [(ln.sku, ln.quantity, ln.line_total) for ln in order.lines.order_by("id")] == [
        (a.sku, 2, Decimal("200.00")),
        (b.sku, 1, Decimal("101.00")),
    ]
    assert allocated(a, shop["warehouse"]) == 2
    assert order.fulfilments.get().location == shop["warehouse"]
    assert order.routing["rule"] == "fewest_shipments_then_nearest" and order.routing["shipments"] == 1
    assert list(order.events.values_list("type", flat=True)) == ["placed"]
    assert OutboxEvent.objects.filter(type="order.placed", aggregate_id=order.number).exists()


def test_small_delivery_pays_the_fee(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 1)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="delivery",
        contact=Contact(email="g@example.pl"),
        shipping_address=ADDRESS,
    )
    assert order.shipping_total == Decimal("14.99") and order.total == Decimal("114.99")


def test_delivery_prefers_fewest_shipments_then_nearest(shop):
    a, b, _ = shop["variants"]
    # Łódź store doesn't ship; Kraków ships from store and has both; the warehouse has only a.
    shop["lodz"].ships_online = False
    shop["lodz"].save()
    stock(a, shop["warehouse"], 5)
    stock(a, shop["krk"], 5)
    stock(b, shop["krk"], 5)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1, b.pk: 1},
        fulfilment_type="delivery",
        shipping_address=ADDRESS_WARSAW,
        contact=GUEST,
    )
    assert order.routing["locations"] == ["krk"]
    assert set(order.fulfilments.values_list("location__code", flat=True)) == {"krk"}


def test_click_and_collect_from_the_store_or_by_transfer(shop):
    a, b, _ = shop["variants"]
    stock(a, shop["waw"], 2)
    stock(b, shop["warehouse"], 2)
    at_store = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    assert at_store.routing["rule"] == "pickup_store_has_all" and at_store.status == "placed"
    with_transfer = order_place(
        channel=shop["web"],
        lines={a.pk: 1, b.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    assert with_transfer.status == "awaiting_transfer"
    assert with_transfer.routing["sources"] == ["wh-strykow"]
    transfer = Transfer.objects.get()
    assert (transfer.source, transfer.destination) == (shop["warehouse"], shop["waw"])
    assert with_transfer.fulfilments.filter(transfer=transfer, status="awaiting_transfer").exists()


def test_ropis_needs_everything_in_the_store(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    with pytest.raises(InsufficientStock):
        order_place(
            channel=shop["web"],
            lines={a.pk: 1},
            fulfilment_type="ropis",
            pickup_location=shop["waw"],
            payment_method="pay_in_store",
            contact=GUEST,
        )
    stock(a, shop["waw"], 1)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="ropis",
        pickup_location=shop["waw"],
        payment_method="pay_in_store",
        contact=GUEST,
    )
    assert order.payment_status == "pay_in_store"
    assert order_payment_authorize(order_id=order.pk).status == "confirmed"


def test_insufficient_stock_writes_nothing(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 1)
    with pytest.raises(InsufficientStock) as exc:
        order_place(
            channel=shop["web"], lines={a.pk: 2}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
        )
    assert exc.value.errors == {a.sku: ["2 wanted."]}  # keyed by what callers know: the SKU
    assert not Order.objects.exists() and not Allocation.objects.exists()


class StaleRouting:
    """Routes every line from the warehouse, as if its stock had just been read there: the
    allocation then finds the units taken (by a concurrent order) on every attempt."""

    def route(self, *, lines, **kwargs) -> RoutingDecision:
        warehouse = Location.objects.get(code="wh-strykow")
        return RoutingDecision(lines=[RoutedLine(v, warehouse.pk, q) for v, q in lines.items()])


def test_a_shortage_found_at_allocation_names_the_sku_and_the_location_code(shop, settings):
    a, b, _c = shop["variants"]
    stock(a, shop["warehouse"], 1)
    settings.OMNISHOP_ROUTING_POLICY = f"{__name__}.StaleRouting"
    with pytest.raises(InsufficientStock) as exc:
        order_place(
            channel=shop["web"],
            lines={a.pk: 2, b.pk: 1},
            fulfilment_type="delivery",
            contact=GUEST,
            shipping_address=ADDRESS,
        )
    assert exc.value.errors == {
        f"{a.sku}@wh-strykow": ["2 wanted, 1 available."],
        f"{b.sku}@wh-strykow": ["1 wanted, 0 available."],
    }
    assert not Order.objects.exists() and not Allocation.objects.exists()


def test_unsellable_lines_are_refused(shop):
    from catalog.tests.factories import VariantFactory

    unlisted = VariantFactory()
    with pytest.raises(NotSellable) as exc:
        order_place(
            channel=shop["web"],
            lines={unlisted.pk: 1},
            fulfilment_type="delivery",
            contact=GUEST,
            shipping_address=ADDRESS,
        )
    assert exc.value.errors == {unlisted.sku: ["Not offered in channel web."]}


def test_idempotency_key_returns_the_first_order_and_refuses_a_different_body(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    kwargs = {
        "channel": shop["web"],
        "lines": {a.pk: 1},
        "fulfilment_type": "delivery",
        "contact": GUEST,
        "shipping_address": ADDRESS,
        "idempotency_key": "k-1",
        "fingerprint": "f1",
    }
    first = order_place(**kwargs)
    assert order_place(**kwargs) == first
    assert allocated(a, shop["warehouse"]) == 1
    with pytest.raises(IdempotencyConflict):
        order_place(**{**kwargs, "lines": {a.pk: 2}, "fingerprint": "f2"})
    # the same key on another channel is another order
    assert order_place(**{**kwargs, "channel": shop["call"]}) != first


def test_payment_confirms_or_cancels(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    order = order_payment_authorize(order_id=order.pk)
    assert (order.status, order.payment_status) == ("confirmed", "paid")
    assert list(order.events.values_list("type", flat=True)) == ["placed", "payment_authorized", "status_changed"]


def test_lifecycle_rules_and_cancel_releases_stock(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"], lines={a.pk: 3}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    with pytest.raises(TransitionNotAllowed):
        order_transition(order=order, to="confirmed", role=lifecycle.CUSTOMER)
    with pytest.raises(InvalidTransition):
        order_transition(order=order, to="shipped", role=lifecycle.WAREHOUSE)
    order_cancel(order=order, role=lifecycle.CUSTOMER, note="changed my mind")
    assert allocated(a, shop["warehouse"]) == 0
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert order.events.last().note == "changed my mind"
    with pytest.raises(InvalidTransition):
        order_cancel(order=order, role=lifecycle.AGENT)


def test_shipping_turns_allocations_into_sales(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"], lines={a.pk: 2}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    for to, role in (
        ("confirmed", lifecycle.SYSTEM),
        ("processing", lifecycle.WAREHOUSE),
        ("shipped", lifecycle.WAREHOUSE),
    ):
        order = order_transition(order=order, to=to, role=role)
    level = StockLevel.objects.get(variant=a, location=shop["warehouse"])
    assert (level.on_hand, level.allocated) == (3, 0)
    assert order.fulfilments.get().status == "done"


def test_point_of_sale_ignores_the_online_ring_fence(shop):
    a = shop["variants"][0]
    shop["waw"].ring_fence = 2
    shop["waw"].save()
    stock(a, shop["waw"], 2)
    with pytest.raises(InsufficientStock):
        order_place(
            channel=shop["web"],
            lines={a.pk: 1},
            fulfilment_type="click_and_collect",
            pickup_location=shop["waw"],
            contact=GUEST,
        )
    order = order_place(
        channel=shop["pos"],
        lines={a.pk: 2},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    assert order.total == Decimal("200.00")


def test_click_and_collect_transfer_ships_arrives_and_the_order_moves_on(shop):
    from inventory.models import StockLevel as Level
    from orders.services import fulfilment_transfer_receive, fulfilment_transfer_ship

    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 2},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    assert order.status == "awaiting_transfer"
    fulfilment = order.fulfilments.get()
    with pytest.raises(InvalidTransition):
        fulfilment_transfer_receive(fulfilment=fulfilment)  # not shipped yet
    fulfilment_transfer_ship(fulfilment=fulfilment)
    wh = Level.objects.get(variant=a, location=shop["warehouse"])
    assert (wh.on_hand, wh.allocated) == (0, 0)
    fulfilment_transfer_receive(fulfilment=fulfilment)
    store = Level.objects.get(variant=a, location=shop["waw"])
    assert (store.on_hand, store.allocated) == (2, 2)
    order.refresh_from_db()
    assert order.status == "processing"
    assert list(order.events.values_list("type", flat=True)) == [
        "placed",
        "status_changed",
        "transfer_shipped",
        "transfer_received",
        "status_changed",
    ]
    fulfilment.refresh_from_db()
    assert fulfilment.location == shop["waw"] and fulfilment.status == "pending"


def test_pickups_are_never_shipped_and_deliveries_never_wait_for_pickup(shop):
    a = shop["variants"][0]
    stock(a, shop["waw"], 2)
    stock(a, shop["warehouse"], 2)
    pickup = order_place(
        channel=shop["pos"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    delivery = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    for order in (pickup, delivery):
        order_transition(order=order, to="confirmed", role=lifecycle.AGENT)
        order_transition(order=order, to="processing", role=lifecycle.STORE_STAFF)
    with pytest.raises(InvalidTransition, match="collected in a store"):
        order_transition(order=pickup, to="shipped", role=lifecycle.STORE_STAFF)
    with pytest.raises(InvalidTransition, match="it is shipped"):
        order_transition(order=delivery, to="ready_for_pickup", role=lifecycle.STORE_STAFF)
    # (Cancelled: only through a short pick that leaves no unit any location has.)
    assert lifecycle.allowed_targets("processing", lifecycle.STORE_STAFF, "click_and_collect") == [
        "ready_for_pickup",
        "cancelled",
    ]
    assert lifecycle.allowed_targets("processing", lifecycle.STORE_STAFF, "delivery") == ["shipped", "cancelled"]
    assert (
        order_transition(order=pickup, to="ready_for_pickup", role=lifecycle.STORE_STAFF).status == "ready_for_pickup"
    )


def test_a_delivery_without_coordinates_is_routed_from_its_city(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)  # Stryków, by Łódź
    stock(a, shop["krk"], 5)  # Kraków, ships from the store
    in_krakow = {"street": "Floriańska 1", "postal_code": "31-019", "city": "kraków"}
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", shipping_address=in_krakow, contact=GUEST
    )
    assert order.routing["locations"] == ["krk"] and order.routing["destination_from"] == "city"
    # A city with none of our locations: no delivery point, so a warehouse ships.
    elsewhere = {**in_krakow, "city": "Zakopane"}
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", shipping_address=elsewhere, contact=GUEST
    )
    assert order.routing["locations"] == [shop["warehouse"].code] and "destination_from" not in order.routing


def test_an_order_number_is_written_with_its_row_and_spells_its_id(shop, settings):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    settings.OMNISHOP_ORDER_NUMBER_PREFIX = "SKLEP"
    to = {"fulfilment_type": "delivery", "contact": GUEST, "shipping_address": ADDRESS}
    orders = [order_place(channel=shop["web"], lines={a.pk: 1}, **to) for _ in range(2)]
    year = timezone.localdate().year
    for order in orders:
        order.refresh_from_db()
        assert order.number == f"SKLEP-{year}-{order.pk:07d}"
    assert orders[1].pk == orders[0].pk + 1


def test_a_placement_costs_the_same_statements_for_one_line_or_three_with_a_marketplace_listing_them(shop):
    """The placement's round trips: the budget of the checkout benchmark (16), whatever the
    number of lines, a marketplace channel's figures included (the address has its coordinates,
    as the benchmark's: one found by its city costs a query more)."""
    marketplace = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE)
    for variant in shop["variants"]:
        listing_publish(product=variant.product, channel=marketplace, published_from=timezone.now() - timedelta(days=1))
        stock(variant, shop["warehouse"], 10)
    point = {**ADDRESS, "latitude": 51.76, "longitude": 19.46}
    counts = []
    for lines in ({shop["variants"][0].pk: 1}, {v.pk: 2 for v in shop["variants"]}):
        with CaptureQueriesContext(connection) as statements:
            order_place(
                channel=shop["web"], lines=lines, fulfilment_type="delivery", contact=GUEST, shipping_address=point
            )
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 16, counts
    figures = dict(ChannelStock.objects.filter(channel=marketplace).values_list("variant__sku", "available"))
    assert figures == {shop["variants"][0].sku: 7, shop["variants"][1].sku: 8, shop["variants"][2].sku: 8}
