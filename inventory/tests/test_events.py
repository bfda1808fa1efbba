"""Every outbox event inventory emits, pinned: its type, version, and payload keys and types.
Consumers (ERP, marketplaces, webhooks) rely on these: a key may be added, none removed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import VariantFactory
from inventory.events import InventoryEvent
from inventory.models import StockLevel, Transfer
from inventory.services import (
    StockChange,
    StockLine,
    location_update,
    stock_allocate,
    stock_changes_apply,
    stock_consistency_repair,
    stock_fulfil,
    stock_hold_place,
    stock_holds_release,
    stock_receive,
    stock_release,
    stock_safety_stock_set,
    transfer_cancel,
    transfer_receive,
    transfer_request,
    transfer_ship,
)
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.outbox.catalogue import event_payload_errors
from omnishop.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db

STOCK_CHANGED_KEYS = {
    "sku": str,
    "location": str,
    "on_hand": int,
    "allocated": int,
    "safety_stock": int,
    "held": int,
}
TRANSFER_KEYS = {
    "transfer_id": int,
    "status": str,
    "source": str,
    "destination": str,
    "reference": str,
    "order_number": (str, type(None)),
    "lines": list,
}
LOCATION_UPDATED_KEYS = {
    "code": str,
    "kind": str,
    "is_active": bool,
    "ring_fence": int,
    "ships_online": bool,
    "click_and_collect": bool,
    "ship_from_store": bool,
    "changed": list,
}


def assert_shape(payload: dict, keys: dict) -> None:
    assert set(payload) == set(keys)
    for key, kind in keys.items():
        assert isinstance(payload[key], kind), (key, payload[key])
        if kind is int:
            assert not isinstance(payload[key], bool), key


def pending(type_: str) -> dict[str, OutboxEvent]:
    events = {e.aggregate_id: e for e in OutboxEvent.objects.filter(type=type_, delivered_at__isnull=True)}
    for event in events.values():  # every payload read here conforms to the event catalogue
        assert event_payload_errors(event.type, event.version, event.payload) == [], event.payload
    return events


def deliver_all() -> None:
    OutboxEvent.objects.update(delivered_at="2026-01-01T00:00:00Z")


@pytest.fixture
def row():
    wh, variant = WarehouseFactory(code="wh-1"), VariantFactory(sku="A")
    stock_receive(variant=variant, location=wh, quantity=10)
    deliver_all()
    return variant, wh


def stock_changed(variant, location) -> dict:
    event = pending("stock.changed")[f"{variant.sku}@{location.code}"]
    assert (event.type, event.version, event.aggregate_type) == (InventoryEvent.STOCK_CHANGED, 1, "stock")
    assert_shape(event.payload, STOCK_CHANGED_KEYS)
    return event.payload


def test_the_event_types_are_the_enum():
    assert {e.value for e in InventoryEvent} == {
        "stock.changed",
        "transfer.requested",
        "transfer.shipped",
        "transfer.received",
        "transfer.cancelled",
        "location.updated",
        "channel_stock.changed",
    }


def test_stock_changed_of_a_receipt(row):
    variant, wh = row
    stock_receive(variant=variant, location=wh, quantity=2)
    assert stock_changed(variant, wh) == {
        "sku": "A",
        "location": "wh-1",
        "on_hand": 12,
        "allocated": 0,
        "safety_stock": 0,
        "held": 0,
    }


def test_a_hold_only_change_says_what_is_held(row):
    """Placing and releasing a hold leaves on hand and allocated alone: ``held`` tells the change."""
    variant, wh = row
    stock_hold_place(lines=[StockLine(variant.pk, wh.pk, 3)], kind="cart", reference="cart:1", ttl=timedelta(minutes=5))
    assert stock_changed(variant, wh)["held"] == 3
    stock_hold_place(lines=[StockLine(variant.pk, wh.pk, 1)], kind="cart", reference="cart:2", ttl=timedelta(minutes=5))
    assert stock_changed(variant, wh)["held"] == 4
    stock_holds_release(reference="cart:1")
    assert stock_changed(variant, wh)["held"] == 1


def test_stock_changed_of_allocations_and_the_ledger_counts_remaining_holds(row):
    variant, wh = row
    ttl = timedelta(minutes=5)
    stock_hold_place(lines=[StockLine(variant.pk, wh.pk, 2)], kind="checkout", reference="co:1", ttl=ttl)
    stock_hold_place(lines=[StockLine(variant.pk, wh.pk, 1)], kind="cart", reference="cart:9", ttl=ttl)
    allocations = stock_allocate(lines=[StockLine(variant.pk, wh.pk, 2)], reference="order:1", release_holds="co:1")
    assert stock_changed(variant, wh) == {
        "sku": "A",
        "location": "wh-1",
        "on_hand": 10,
        "allocated": 2,
        "safety_stock": 0,
        "held": 1,
    }
    stock_fulfil(allocations=allocations[:1])
    assert (stock_changed(variant, wh)["on_hand"], stock_changed(variant, wh)["held"]) == (8, 1)
    more = stock_allocate(lines=[StockLine(variant.pk, wh.pk, 1)], reference="order:2")
    stock_release(allocations=more)
    assert (stock_changed(variant, wh)["allocated"], stock_changed(variant, wh)["held"]) == (0, 1)
    stock_changes_apply(changes=[StockChange(variant.pk, wh.pk, "count", count=7)])
    assert (stock_changed(variant, wh)["on_hand"], stock_changed(variant, wh)["held"]) == (7, 1)
    stock_safety_stock_set(level=StockLevel.objects.get(variant=variant, location=wh), safety_stock=2)
    assert (stock_changed(variant, wh)["safety_stock"], stock_changed(variant, wh)["held"]) == (2, 1)


def test_stock_changed_of_a_consistency_repair(row):
    variant, wh = row
    StockLevel.objects.filter(variant=variant, location=wh).update(allocated=1, on_hand=4)
    stock_consistency_repair()
    assert stock_changed(variant, wh) == {
        "sku": "A",
        "location": "wh-1",
        "on_hand": 4,
        "allocated": 0,
        "safety_stock": 0,
        "held": 0,
    }


def transfer_event(type_: InventoryEvent, transfer: Transfer) -> dict:
    event = OutboxEvent.objects.get(type=type_, aggregate_id=str(transfer.pk))
    assert (event.version, event.aggregate_type) == (1, "transfer")
    assert_shape(event.payload, TRANSFER_KEYS)
    for line in event.payload["lines"]:
        assert set(line) == {"sku", "quantity"} and isinstance(line["sku"], str) and isinstance(line["quantity"], int)
    return event.payload


def test_transfer_events_carry_the_transfer():
    a, b = VariantFactory(sku="A"), VariantFactory(sku="B")
    wh, store = WarehouseFactory(code="wh-1"), LocationFactory(code="st-1")
    for variant in (a, b):
        stock_receive(variant=variant, location=wh, quantity=5)
    transfer = transfer_request(source=wh, destination=store, lines={b.pk: 1, a.pk: 2}, reference="order:WEB-7")
    expected = {
        "transfer_id": transfer.pk,
        "source": "wh-1",
        "destination": "st-1",
        "reference": "order:WEB-7",
        "order_number": "WEB-7",
        "lines": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}],
    }
    assert transfer_event(InventoryEvent.TRANSFER_REQUESTED, transfer) == expected | {"status": "requested"}
    transfer_ship(transfer=transfer)
    assert transfer_event(InventoryEvent.TRANSFER_SHIPPED, transfer) == expected | {"status": "in_transit"}
    transfer_receive(transfer=transfer)
    assert transfer_event(InventoryEvent.TRANSFER_RECEIVED, transfer) == expected | {"status": "received"}


def test_a_cancelled_transfer_without_an_order():
    variant, wh, store = VariantFactory(sku="A"), WarehouseFactory(code="wh-1"), LocationFactory(code="st-1")
    transfer = transfer_request(source=wh, destination=store, lines={variant.pk: 3}, reference="restock")
    transfer_cancel(transfer=transfer)
    assert transfer_event(InventoryEvent.TRANSFER_CANCELLED, transfer) == {
        "transfer_id": transfer.pk,
        "status": "cancelled",
        "source": "wh-1",
        "destination": "st-1",
        "reference": "restock",
        "order_number": None,
        "lines": [{"sku": "A", "quantity": 3}],
    }


def test_location_updated_says_what_the_location_offers_now():
    store = LocationFactory(code="st-1", ring_fence=0)
    location_update(location=store, changes={"ring_fence": 2, "is_active": False, "name": "Mokotów"})
    event = OutboxEvent.objects.get(type="location.updated")
    assert (event.version, event.aggregate_type, event.aggregate_id) == (1, "location", "st-1")
    assert_shape(event.payload, LOCATION_UPDATED_KEYS)
    assert event.payload == {
        "code": "st-1",
        "kind": "store",
        "is_active": False,
        "ring_fence": 2,
        "ships_online": False,
        "click_and_collect": True,
        "ship_from_store": False,
        "changed": ["is_active", "name", "ring_fence"],
    }


def test_location_update_without_a_change_writes_nothing():
    store = LocationFactory(code="st-1", ring_fence=1)
    location_update(location=store, changes={"ring_fence": 1})
    assert not OutboxEvent.objects.filter(type="location.updated").exists()


def test_location_update_refuses_what_the_constraints_refuse():
    warehouse = WarehouseFactory(code="wh-1")
    with pytest.raises(ValidationError):
        location_update(location=warehouse, changes={"click_and_collect": True})
    with pytest.raises(ValidationError) as exc:
        location_update(location=warehouse, changes={"staff": []})
    assert set(exc.value.message_dict) == {"staff"}
    warehouse.refresh_from_db()
    assert not warehouse.click_and_collect
    assert not OutboxEvent.objects.filter(type="location.updated").exists()
