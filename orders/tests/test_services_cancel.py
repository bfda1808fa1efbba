"""Cancelling a click & collect order whose goods come to the pickup store by transfer."""

import pytest

from inventory.models import Allocation, StockLevel, Transfer
from orders import lifecycle
from orders.exceptions import InvalidTransition
from orders.models import Fulfilment, Order
from orders.services import fulfilment_transfer_receive, fulfilment_transfer_ship, order_cancel, order_place
from orders.tests.conftest import GUEST, stock

pytestmark = pytest.mark.django_db


def level(variant, location) -> tuple[int, int]:
    row = StockLevel.objects.filter(variant=variant, location=location).first()
    return (row.on_hand, row.allocated) if row else (0, 0)


def pickup_with_transfer(shop, *, from_store: bool = True) -> Order:
    """Two units of b coming from the warehouse to the Warsaw store (and one of a already there)."""
    a, b, _ = shop["variants"]
    stock(a, shop["waw"], 1)
    stock(b, shop["warehouse"], 2)
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1, b.pk: 2} if from_store else {b.pk: 2},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        payment_method="pay_in_store",
        contact=GUEST,
    )
    assert order.status == Order.Status.AWAITING_TRANSFER
    return order


def test_cancelling_calls_off_a_requested_transfer_and_cancels_every_fulfilment(shop):
    a, b, _ = shop["variants"]
    order = pickup_with_transfer(shop)
    order_cancel(order=order, role=lifecycle.AGENT)

    assert Transfer.objects.get().status == Transfer.Status.CANCELLED
    assert set(order.fulfilments.values_list("status", flat=True)) == {Fulfilment.Status.CANCELLED}
    assert not Allocation.objects.filter(status=Allocation.Status.OPEN).exists()
    assert level(a, shop["waw"]) == (1, 0)
    assert level(b, shop["warehouse"]) == (2, 0)
    with pytest.raises(InvalidTransition):
        fulfilment_transfer_ship(fulfilment=order.fulfilments.get(transfer__isnull=False))


@pytest.mark.parametrize("from_store", [True, False], ids=["part-in-store", "all-by-transfer"])
def test_a_transfer_in_transit_for_a_cancelled_order_only_lands_in_the_store(shop, from_store):
    a, b, _ = shop["variants"]
    order = pickup_with_transfer(shop, from_store=from_store)
    by_transfer = order.fulfilments.get(transfer__isnull=False)
    fulfilment_transfer_ship(fulfilment=by_transfer)
    assert level(b, shop["warehouse"]) == (0, 0)

    order_cancel(order=order, role=lifecycle.AGENT)
    assert set(order.fulfilments.values_list("status", flat=True)) == {Fulfilment.Status.CANCELLED}
    assert Transfer.objects.get().status == Transfer.Status.IN_TRANSIT  # the van is on the road
    assert level(a, shop["waw"]) == (1, 0)  # a unit allocated in the store is released as before

    fulfilment_transfer_receive(fulfilment=by_transfer)
    assert Transfer.objects.get().status == Transfer.Status.RECEIVED
    assert level(b, shop["waw"]) == (2, 0)  # on the store's shelf, promised to nobody
    assert not Allocation.objects.filter(status=Allocation.Status.OPEN).exists()
    order.refresh_from_db()
    by_transfer.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert (by_transfer.status, by_transfer.location) == (Fulfilment.Status.CANCELLED, shop["warehouse"])
    assert order.events.last().type == "transfer_received"
    with pytest.raises(InvalidTransition):
        fulfilment_transfer_receive(fulfilment=by_transfer)  # received once
