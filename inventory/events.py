"""The outbox events inventory emits: their types, and one versioned payload builder each.

A builder returns an ``OutboxMessage`` (type, aggregate, payload, version, coalescing key); the
services decide when to emit it. A payload only ever gains keys within a version: consumers
read the keys they know. A key removed or changed in meaning is a new version.
"""

from enum import StrEnum

from omnishop.outbox.catalogue import BOOLEAN, INTEGER, STRING, array_of, described, event, nullable, strict_object
from omnishop.outbox.services import OutboxMessage


class InventoryEvent(StrEnum):
    STOCK_CHANGED = "stock.changed"
    TRANSFER_REQUESTED = "transfer.requested"
    TRANSFER_SHIPPED = "transfer.shipped"
    TRANSFER_RECEIVED = "transfer.received"
    TRANSFER_CANCELLED = "transfer.cancelled"
    LOCATION_UPDATED = "location.updated"
    CHANNEL_STOCK_CHANGED = "channel_stock.changed"


STOCK_CHANGED_VERSION = 1
TRANSFER_VERSION = 1
LOCATION_UPDATED_VERSION = 1
CHANNEL_STOCK_CHANGED_VERSION = 1

# The location fields that change what a location offers (availability, channels, pickup).
LOCATION_AVAILABILITY_FIELDS = ("is_active", "ring_fence", "ships_online", "click_and_collect", "ship_from_store")


_STOCK_CHANGED = InventoryEvent.STOCK_CHANGED.value  # read once: a sync builds 10,000 of these


def stock_changed_message(
    *, sku: str, location_code: str, on_hand: int, allocated: int, safety_stock: int, held: int
) -> OutboxMessage:
    """``stock.changed`` for one (SKU, location), coalesced: a consumer only needs the latest
    figures. ``held``: units in active holds (carts, checkouts, reserve-in-store)."""
    return OutboxMessage(
        type=_STOCK_CHANGED,
        aggregate_type="stock",
        aggregate_id=f"{sku}@{location_code}",
        payload={
            "sku": sku,
            "location": location_code,
            "on_hand": on_hand,
            "allocated": allocated,
            "safety_stock": safety_stock,
            "held": held,
        },
        version=STOCK_CHANGED_VERSION,
        coalesce_key=f"stock.changed:{sku}:{location_code}",
    )


def transfer_message(*, type: InventoryEvent, transfer, lines) -> OutboxMessage:
    """A ``transfer.*`` event: the transfer as it stands after the step.

    ``transfer`` comes with ``source`` and ``destination``; ``lines`` are ``(sku, quantity)``.
    ``source``/``destination`` and ``reference`` are the keys ``transfer.requested`` always had.
    """
    if not type.value.startswith("transfer."):
        raise ValueError(f"{type} is not a transfer event")
    reference = transfer.reference
    return OutboxMessage(
        type=type.value,
        aggregate_type="transfer",
        aggregate_id=transfer.pk,
        payload={
            "transfer_id": transfer.pk,
            "status": transfer.status,
            "source": transfer.source.code,
            "destination": transfer.destination.code,
            "reference": reference,
            # A click & collect order's transfer is referenced "order:<number>".
            "order_number": reference.removeprefix("order:") if reference.startswith("order:") else None,
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        },
        version=TRANSFER_VERSION,
    )


def location_updated_message(*, location, changed: list[str]) -> OutboxMessage:
    """``location.updated``: what the location offers now, and which of those fields changed.
    A consumer re-reads the location's availability (its stock rows did not change)."""
    return OutboxMessage(
        type=InventoryEvent.LOCATION_UPDATED.value,
        aggregate_type="location",
        aggregate_id=location.code,
        payload={
            "code": location.code,
            "kind": location.kind,
            "is_active": location.is_active,
            "ring_fence": location.ring_fence,
            "ships_online": location.ships_online,
            "click_and_collect": location.click_and_collect,
            "ship_from_store": location.ship_from_store,
            "changed": sorted(changed),
        },
        version=LOCATION_UPDATED_VERSION,
    )


def channel_stock_changed_message(*, channel_code: str, sku: str, available: int, listed: bool) -> OutboxMessage:
    """``channel_stock.changed``: what a marketplace channel may sell of one SKU now (its stock
    feed's figure: online availability at the locations that ship, less the channel's stock
    buffer, never below 0), coalesced per channel and SKU: a consumer only needs the latest.
    ``listed`` false: the SKU was withdrawn from the channel (``available`` is 0)."""
    return OutboxMessage(
        type=InventoryEvent.CHANNEL_STOCK_CHANGED.value,
        aggregate_type="channel_stock",
        aggregate_id=f"{channel_code}:{sku}",
        payload={"channel": channel_code, "sku": sku, "available": available, "listed": listed},
        version=CHANNEL_STOCK_CHANGED_VERSION,
        coalesce_key=f"channel_stock.changed:{channel_code}:{sku}",
    )


def _transfer_event(type: InventoryEvent, description: str):
    return event(
        type=type,
        version=TRANSFER_VERSION,
        aggregate="transfer",
        description=description,
        properties={
            "transfer_id": INTEGER,
            "status": described(STRING, "requested, in_transit, received or cancelled."),
            "source": described(STRING, "The code of the location the goods leave."),
            "destination": described(STRING, "The code of the location the goods go to."),
            "reference": described(STRING, 'What the transfer is for ("order:<number>" for an order\'s).'),
            "order_number": described(nullable(STRING), "The order a click & collect transfer serves."),
            "lines": array_of(strict_object({"sku": STRING, "quantity": {"type": "integer", "minimum": 1}})),
        },
    )


# The catalogue entry of each event (``omnishop.outbox.catalogue``), registered in ``InventoryConfig.ready()``.
EVENT_SCHEMAS = [
    event(
        type=InventoryEvent.STOCK_CHANGED,
        version=STOCK_CHANGED_VERSION,
        aggregate="stock",
        description="The stock figures of one SKU at one location after a change (coalesced: an undelivered "
        "event is replaced by the newer figures). Available = on_hand - allocated - held - safety_stock. "
        "Aggregate id: SKU@location.",
        properties={
            "sku": STRING,
            "location": described(STRING, "The location code."),
            "on_hand": INTEGER,
            "allocated": INTEGER,
            "safety_stock": INTEGER,
            "held": described(INTEGER, "Units in active holds (carts, checkouts, reserve in store)."),
        },
    ),
    _transfer_event(InventoryEvent.TRANSFER_REQUESTED, "A transfer of goods between two locations was requested."),
    _transfer_event(InventoryEvent.TRANSFER_SHIPPED, "A transfer left its source location."),
    _transfer_event(InventoryEvent.TRANSFER_RECEIVED, "A transfer was booked in at its destination."),
    _transfer_event(InventoryEvent.TRANSFER_CANCELLED, "A requested transfer was called off before it shipped."),
    event(
        type=InventoryEvent.LOCATION_UPDATED,
        version=LOCATION_UPDATED_VERSION,
        aggregate="location",
        description="What a location offers changed (active, ring-fence, channels, pickup); its stock rows did "
        "not change, but the availability computed from them may have. Aggregate id: the location code.",
        properties={
            "code": STRING,
            "kind": described(STRING, "warehouse or store."),
            "is_active": BOOLEAN,
            "ring_fence": described(INTEGER, "Units per SKU a store keeps for walk-in customers."),
            "ships_online": BOOLEAN,
            "click_and_collect": BOOLEAN,
            "ship_from_store": BOOLEAN,
            "changed": described(array_of(STRING), "Which of the fields above changed."),
        },
    ),
    event(
        type=InventoryEvent.CHANNEL_STOCK_CHANGED,
        version=CHANNEL_STOCK_CHANGED_VERSION,
        aggregate="channel_stock",
        description="What a marketplace channel may sell of one SKU now: the figure of its stock feed "
        "(GET /api/v1/marketplace/stock/), online availability at the locations that ship less the channel's "
        "stock buffer, never below 0. Coalesced per channel and SKU. Aggregate id: channel:SKU.",
        properties={
            "channel": described(STRING, "The marketplace channel's code."),
            "sku": STRING,
            "available": {"type": "integer", "minimum": 0},
            "listed": described(BOOLEAN, "False: the SKU was withdrawn from the channel (available is 0)."),
        },
    ),
]
