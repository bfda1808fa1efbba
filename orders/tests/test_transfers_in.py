"""Transfers in: the units that arrive for a click & collect order are that order's, whatever the
pickup store keeps back (safety stock) or other carts hold there; the order moves on when all
its transfers are in."""

from datetime import timedelta

import pytest

from inventory.models import StockHold, StockLevel
from inventory.services import StockLine, stock_hold_place, stock_safety_stock_set
from inventory.services.ledger import stock_levels_ensure
from orders.models import Order
from orders.services import fulfilment_transfer_receive, fulfilment_transfer_ship, order_place
from orders.tests.conftest import GUEST, stock

pytestmark = pytest.mark.django_db


def _level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def _click_and_collect(shop, lines: dict) -> Order:
    return order_place(
        channel=shop["web"],
        lines=lines,
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )


def test_arrived_units_are_allocated_despite_safety_stock_and_another_carts_hold(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    stock(a, shop["waw"], 1)
    # Another customer's cart holds the store's one unit, and the store keeps two back.
    stock_hold_place(
        lines=[StockLine(a.pk, shop["waw"].pk, 1)], kind="cart", reference="cart:someone-else", ttl=timedelta(hours=1)
    )
    stock_safety_stock_set(level=_level(a, shop["waw"]), safety_stock=2)
    order = _click_and_collect(shop, {a.pk: 2})
    assert order.status == "awaiting_transfer"
    fulfilment = order.fulfilments.get()
    fulfilment_transfer_ship(fulfilment=fulfilment)
    fulfilment_transfer_receive(fulfilment=fulfilment)

    order.refresh_from_db()
    fulfilment.refresh_from_db()
    assert order.status == "processing"
    assert (fulfilment.status, fulfilment.location_id) == ("pending", shop["waw"].pk)
    level = _level(a, shop["waw"])
    assert (level.on_hand, level.allocated, level.safety_stock) == (3, 2, 2)
    line = fulfilment.lines.select_related("allocation").get()
    assert (line.allocation.location_id, line.allocation.status, line.allocation.quantity) == (
        shop["waw"].pk,
        "open",
        2,
    )
    # The other cart keeps its hold.
    assert StockHold.objects.filter(reference="cart:someone-else").count() == 1


def test_safety_stock_alone_no_longer_keeps_arrived_units_from_their_order(shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 1)
    stock_levels_ensure(pairs=[(a.pk, shop["waw"].pk)])
    stock_safety_stock_set(level=_level(a, shop["waw"]), safety_stock=5)
    order = _click_and_collect(shop, {a.pk: 1})
    fulfilment = order.fulfilments.get()
    fulfilment_transfer_ship(fulfilment=fulfilment)
    fulfilment_transfer_receive(fulfilment=fulfilment)
    order.refresh_from_db()
    assert order.status == "processing"
    assert (_level(a, shop["waw"]).on_hand, _level(a, shop["waw"]).allocated) == (1, 1)


def test_the_order_moves_on_only_when_all_its_transfers_are_in(shop):
    a, b, _c = shop["variants"]
    stock(a, shop["warehouse"], 1)
    stock(b, shop["krk"], 1)  # a store that ships: the second source
    order = _click_and_collect(shop, {a.pk: 1, b.pk: 1})
    fulfilments = list(order.fulfilments.order_by("id"))
    assert len(fulfilments) == 2 and order.status == "awaiting_transfer"
    for f in fulfilments:
        fulfilment_transfer_ship(fulfilment=f)
    fulfilment_transfer_receive(fulfilment=fulfilments[0])
    order.refresh_from_db()
    assert order.status == "awaiting_transfer"
    fulfilment_transfer_receive(fulfilment=fulfilments[1])
    order.refresh_from_db()
    assert order.status == "processing"
    assert list(order.events.filter(type="transfer_received").values_list("type", flat=True)) == [
        "transfer_received",
        "transfer_received",
    ]
    assert sorted(order.fulfilments.values_list("status", "location_id")) == [
        ("pending", shop["waw"].pk),
        ("pending", shop["waw"].pk),
    ]
