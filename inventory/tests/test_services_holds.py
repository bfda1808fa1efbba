"""Holds change availability, so each change of them goes out as stock.changed like any other
stock change: placed, replaced (a cart refreshed, its hold extended), released, consumed by an
order and purged once expired."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import VariantFactory
from inventory.exceptions import InsufficientStock
from inventory.models import StockHold
from inventory.services import (
    StockLine,
    stock_allocate,
    stock_hold_place,
    stock_holds_purge_expired,
    stock_holds_release,
    stock_receive,
)
from inventory.tasks import holds_purge_expired
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db

TTL = timedelta(minutes=30)


@pytest.fixture
def grid():
    """Two SKUs at a warehouse and a store, 5 units of each everywhere."""
    wh, store = WarehouseFactory(code="wh-1"), LocationFactory(code="st-1")
    a, b = VariantFactory(sku="A"), VariantFactory(sku="B")
    for variant in (a, b):
        for location in (wh, store):
            stock_receive(variant=variant, location=location, quantity=5)
    _deliver_all()
    return {"wh": wh, "store": store, "a": a, "b": b}


def _deliver_all() -> None:
    """As if the webhook sender had sent every pending event: what comes next is new."""
    OutboxEvent.objects.filter(delivered_at__isnull=True).update(delivered_at=timezone.now())


def pending_stock_changed() -> dict[str, dict]:
    return {
        e.aggregate_id: e.payload for e in OutboxEvent.objects.filter(type="stock.changed", delivered_at__isnull=True)
    }


def test_placing_a_hold_emits_stock_changed_for_each_sku_and_location(grid):
    stock_hold_place(
        lines=[StockLine(grid["a"].pk, grid["wh"].pk, 2), StockLine(grid["b"].pk, grid["store"].pk, 1)],
        kind="cart",
        reference="cart:1",
        ttl=TTL,
    )
    events = pending_stock_changed()
    assert set(events) == {"A@wh-1", "B@st-1"}
    assert events["A@wh-1"] == {
        "sku": "A",
        "location": "wh-1",
        "on_hand": 5,
        "allocated": 0,
        "safety_stock": 0,
        "held": 2,
    }


def test_a_refused_hold_emits_nothing(grid):
    with pytest.raises(InsufficientStock):
        stock_hold_place(lines=[StockLine(grid["a"].pk, grid["wh"].pk, 6)], kind="cart", reference="c:1", ttl=TTL)
    assert pending_stock_changed() == {}


def test_replacing_or_extending_a_hold_emits_for_the_old_and_the_new_locations(grid):
    stock_hold_place(lines=[StockLine(grid["a"].pk, grid["wh"].pk, 2)], kind="cart", reference="cart:1", ttl=TTL)
    _deliver_all()
    # The same lines again, for longer: the hold is extended.
    stock_hold_place(lines=[StockLine(grid["a"].pk, grid["wh"].pk, 2)], kind="cart", reference="cart:1", ttl=2 * TTL)
    assert set(pending_stock_changed()) == {"A@wh-1"}
    _deliver_all()
    # The cart now holds at the store: the warehouse's units are free again.
    stock_hold_place(lines=[StockLine(grid["a"].pk, grid["store"].pk, 2)], kind="cart", reference="cart:1", ttl=TTL)
    assert set(pending_stock_changed()) == {"A@wh-1", "A@st-1"}


def test_releasing_holds_emits_for_each_sku_and_location_they_held(grid):
    stock_hold_place(
        lines=[StockLine(grid["a"].pk, grid["wh"].pk, 2), StockLine(grid["b"].pk, grid["store"].pk, 1)],
        kind="checkout",
        reference="checkout:1",
        ttl=TTL,
    )
    _deliver_all()
    assert stock_holds_release(reference="checkout:1") == 2
    assert set(pending_stock_changed()) == {"A@wh-1", "B@st-1"}
    _deliver_all()
    assert stock_holds_release(reference="checkout:1") == 0  # nothing held: nothing to tell
    assert pending_stock_changed() == {}


def test_an_order_consuming_its_cart_holds_emits_for_where_they_were(grid):
    """The cart held at the warehouse, the order is allocated at the store: both changed."""
    stock_hold_place(lines=[StockLine(grid["a"].pk, grid["wh"].pk, 2)], kind="cart", reference="cart:9", ttl=TTL)
    _deliver_all()
    stock_allocate(lines=[StockLine(grid["a"].pk, grid["store"].pk, 1)], reference="order:1", release_holds="cart:9")
    assert not StockHold.objects.exists()
    events = pending_stock_changed()
    assert set(events) == {"A@wh-1", "A@st-1"}
    assert events["A@st-1"]["allocated"] == 1


def test_purging_expired_holds_emits_for_their_skus_and_locations_only(grid):
    now = timezone.now()
    for reference, variant, location, expires_at in [
        ("old-1", grid["a"], grid["wh"], now - timedelta(minutes=1)),
        ("old-2", grid["b"], grid["store"], now - timedelta(seconds=1)),
        ("live", grid["b"], grid["wh"], now + timedelta(minutes=10)),
    ]:
        StockHold.objects.create(
            variant=variant, location=location, quantity=1, kind="cart", reference=reference, expires_at=expires_at
        )
    assert stock_holds_purge_expired(now=now) == 2
    assert set(pending_stock_changed()) == {"A@wh-1", "B@st-1"}
    assert list(StockHold.objects.values_list("reference", flat=True)) == ["live"]
    _deliver_all()
    assert stock_holds_purge_expired(now=now) == 0
    assert pending_stock_changed() == {}


def test_the_beat_task_purges_through_the_service(grid):
    StockHold.objects.create(
        variant=grid["a"],
        location=grid["store"],
        quantity=1,
        kind="ropis",
        reference="ropis:1",
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert holds_purge_expired.delay().get() == 1
    assert set(pending_stock_changed()) == {"A@st-1"}


def test_purge_works_through_more_holds_than_one_batch(grid, monkeypatch):
    from inventory.services import holds as stock_services

    monkeypatch.setattr(stock_services, "HOLDS_PURGE_BATCH", 2)
    expired = timezone.now() - timedelta(seconds=1)
    StockHold.objects.bulk_create(
        StockHold(variant=v, location=loc, quantity=1, kind="cart", reference=f"c:{i}", expires_at=expired)
        for i, (v, loc) in enumerate(
            [(grid["a"], grid["wh"]), (grid["a"], grid["store"]), (grid["b"], grid["wh"]), (grid["b"], grid["wh"])]
        )
    )
    assert stock_holds_purge_expired() == 4
    assert not StockHold.objects.exists()
    assert set(pending_stock_changed()) == {"A@wh-1", "A@st-1", "B@wh-1"}


def test_a_hold_replacing_other_references_takes_their_units_in_one_locked_step(grid, monkeypatch):
    """A cart merged into another: the anonymous cart's holds go and the merged cart's come in
    one lock of the stock rows, and the units they held count for the new lines."""
    from inventory.services import holds as stock_services

    stock_hold_place(lines=[StockLine(grid["a"].pk, grid["wh"].pk, 4)], kind="cart", reference="cart:anon", ttl=TTL)
    stock_hold_place(lines=[StockLine(grid["b"].pk, grid["wh"].pk, 1)], kind="cart", reference="cart:mine", ttl=TTL)
    _deliver_all()
    locks = []
    real_lock = stock_services.stock_levels_lock
    monkeypatch.setattr(
        stock_services, "stock_levels_lock", lambda *, pairs: locks.append(set(pairs)) or real_lock(pairs=pairs)
    )

    holds = stock_hold_place(
        lines=[StockLine(grid["a"].pk, grid["wh"].pk, 5), StockLine(grid["b"].pk, grid["store"].pk, 1)],
        kind="cart",
        reference="cart:mine",
        ttl=TTL,
        replacing=["cart:anon"],
    )

    a, b, wh, store = grid["a"].pk, grid["b"].pk, grid["wh"].pk, grid["store"].pk
    assert locks == [{(a, wh), (b, wh), (b, store)}]
    assert {(h.variant_id, h.location_id, h.quantity) for h in holds} == {(a, wh, 5), (b, store, 1)}
    assert set(StockHold.objects.values_list("reference", flat=True)) == {"cart:mine"}
    assert set(pending_stock_changed()) == {"A@wh-1", "B@wh-1", "B@st-1"}


def test_a_refused_replacing_hold_keeps_the_replaced_holds(grid):
    stock_hold_place(lines=[StockLine(grid["a"].pk, grid["wh"].pk, 2)], kind="cart", reference="cart:anon", ttl=TTL)
    with pytest.raises(InsufficientStock):
        stock_hold_place(
            lines=[StockLine(grid["a"].pk, grid["wh"].pk, 6)],
            kind="cart",
            reference="cart:mine",
            ttl=TTL,
            replacing=["cart:anon"],
        )
    assert list(StockHold.objects.values_list("reference", "quantity")) == [("cart:anon", 2)]
