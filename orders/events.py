"""The events orders records: the timeline entry types (``OrderEvent.type``, for people), the
outbox event types (for machines), and one versioned payload builder per outbox event.

A builder returns an ``OutboxMessage``; the services decide when to emit it (through
``orders.services.order_event_record``). A payload only ever gains keys within a version:
consumers read the keys they know. A key removed or changed in meaning is a new version.
This module imports no model of its own app (``orders.models`` takes its choices from here).
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from omnishop.money import money_display
from omnishop.outbox.catalogue import (
    BOOLEAN,
    CURRENCY,
    DATETIME,
    DECIMAL,
    INTEGER,
    STRING,
    array_of,
    described,
    event,
    nullable,
    strict_object,
)
from omnishop.outbox.services import OutboxMessage
from omnishop.vocabulary import FulfilmentType


class OrderEventType(models.TextChoices):
    """What an ``OrderEvent`` (the order's timeline) records."""

    PLACED = "placed", _("Placed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PAYMENT_AUTHORIZED = "payment_authorized", _("Payment authorised")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    PAYMENT_REFUNDED = "payment_refunded", _("Payment refunded")
    REFUND_FAILED = "refund_failed", _("Refund failed")
    PAID_IN_STORE = "paid_in_store", _("Paid in store")
    TRANSFER_SHIPPED = "transfer_shipped", _("Transfer shipped")
    TRANSFER_RECEIVED = "transfer_received", _("Transfer received")
    PICKUP_CODE_WRONG = "pickup_code_wrong", _("Wrong pickup code")
    PICKUP_CODE_REPLACED = "pickup_code_replaced", _("Pickup code replaced")
    SHIPMENT_SENT = "shipment_sent", _("Shipment sent")
    PICKUP_REMINDER_SENT = "pickup_reminder_sent", _("Pickup reminder sent")
    PICKUP_NOTICE_RESENT = "pickup_notice_resent", _("Ready-for-pickup notice sent again")
    ITEM_PICKED = "item_picked", _("Item picked")
    ITEM_SHORT = "item_short", _("Item short at picking")
    ITEM_REROUTED = "item_rerouted", _("Item re-routed")
    ITEMS_CANCELLED = "items_cancelled", _("Items cancelled")
    HANDED_OVER = "handed_over", _("Handed over")
    TRY_ON_VISITED = "try_on_visited", _("Try-on visit")
    PARTIAL_REFUND_REQUESTED = "partial_refund_requested", _("Part refund requested")
    PARTIAL_REFUND_DONE = "partial_refund_done", _("Part refund done")


class OrderOutboxEvent(StrEnum):
    """The outbox event types orders emits (aggregate ``order``, keyed by the order number)."""

    PLACED = "order.placed"
    CONFIRMED = "order.confirmed"
    AWAITING_TRANSFER = "order.awaiting_transfer"
    PROCESSING = "order.processing"
    READY_FOR_PICKUP = "order.ready_for_pickup"
    SHIPPED = "order.shipped"
    COMPLETED = "order.completed"
    CANCELLED = "order.cancelled"
    PAYMENT_AUTHORIZED = "order.payment_authorized"
    PAYMENT_FAILED = "order.payment_failed"
    PAYMENT_REFUNDED = "order.payment_refunded"
    REFUND_FAILED = "order.refund_failed"
    PAID_IN_STORE = "order.paid_in_store"
    PICKUP_CODE_ISSUED = "order.pickup_code_issued"
    ITEMS_CANCELLED = "order.items_cancelled"
    HANDED_OVER = "order.handed_over"
    PARTIAL_REFUND_REQUESTED = "order.partial_refund_requested"
    PARTIAL_REFUND_DONE = "order.partial_refund_done"
    PARTIAL_REFUND_FAILED = "order.partial_refund_failed"


ORDER_PLACED_VERSION = 1
ORDER_STATUS_VERSION = 1
ORDER_PAYMENT_VERSION = 1
PICKUP_CODE_ISSUED_VERSION = 2
ITEMS_CANCELLED_VERSION = 1
# The payload version of the picking entries of the timeline (OrderEvent.payload["version"]).
PICKING_EVENT_VERSION = 1
HANDED_OVER_VERSION = 1
PARTIAL_REFUND_VERSION = 1

# The event an order's move to a status emits ("placed" is emitted by the placement itself).
STATUS_EVENTS: dict[str, OrderOutboxEvent] = {
    "confirmed": OrderOutboxEvent.CONFIRMED,
    "awaiting_transfer": OrderOutboxEvent.AWAITING_TRANSFER,
    "processing": OrderOutboxEvent.PROCESSING,
    "ready_for_pickup": OrderOutboxEvent.READY_FOR_PICKUP,
    "shipped": OrderOutboxEvent.SHIPPED,
    "completed": OrderOutboxEvent.COMPLETED,
    "cancelled": OrderOutboxEvent.CANCELLED,
}


def _order_message(type: OrderOutboxEvent, order, payload: dict, version: int) -> OutboxMessage:
    """Every order event carries the order number and its channel's code (webhook subscriptions
    filter by channel). ``order.channel`` must be loaded already: the services hold it."""
    return OutboxMessage(
        type=type.value,
        aggregate_type="order",
        aggregate_id=order.number,
        payload={"number": order.number, "channel": order.channel.code, **payload},
        version=version,
    )


def order_placed_message(*, order, channel_code: str, lines) -> OutboxMessage:
    """``order.placed``: the new order's channel, customer, fulfilment type and money;
    ``lines`` are priced lines (``sku``, ``quantity``, ``unit_price``)."""
    return _order_message(
        OrderOutboxEvent.PLACED,
        order,
        {
            "channel": channel_code,
            "customer_id": order.customer_id,
            "fulfilment_type": order.fulfilment_type,
            "currency": order.currency,
            "total": order.total,
            "lines": [{"sku": ln.sku, "quantity": ln.quantity, "unit_price": ln.unit_price} for ln in lines],
        },
        ORDER_PLACED_VERSION,
    )


def order_status_message(*, order, from_status: str, to_status: str) -> OutboxMessage:
    """``order.<status>``: the order moved from ``from_status`` to ``to_status``."""
    return _order_message(STATUS_EVENTS[to_status], order, {"from": from_status, "to": to_status}, ORDER_STATUS_VERSION)


def payment_authorized_message(*, order, reference: str) -> OutboxMessage:
    """``order.payment_authorized``: the provider took the payment, under ``reference``."""
    return _order_message(OrderOutboxEvent.PAYMENT_AUTHORIZED, order, {"reference": reference}, ORDER_PAYMENT_VERSION)


def payment_failed_message(*, order, reference: str, message: str, cancelled: bool) -> OutboxMessage:
    """``order.payment_failed``: the provider declined; ``status`` is the order's status when the
    decline was recorded, ``cancelled`` whether the order is (or is being) cancelled for it."""
    return _order_message(
        OrderOutboxEvent.PAYMENT_FAILED,
        order,
        {"reference": reference, "message": message, "status": order.status, "cancelled": cancelled},
        ORDER_PAYMENT_VERSION,
    )


def _refund_money(order) -> dict:
    return {"payment_reference": order.payment_reference, "amount": str(order.total), "currency": order.currency}


def payment_refunded_message(*, order, reference: str) -> OutboxMessage:
    """``order.payment_refunded``: the payment went back, under the refund's ``reference``."""
    return _order_message(
        OrderOutboxEvent.PAYMENT_REFUNDED,
        order,
        {"reference": reference, **_refund_money(order)},
        ORDER_PAYMENT_VERSION,
    )


def refund_failed_message(*, order, message: str) -> OutboxMessage:
    """``order.refund_failed``: the provider refused the refund; the payment stays paid."""
    return _order_message(
        OrderOutboxEvent.REFUND_FAILED, order, {"message": message, **_refund_money(order)}, ORDER_PAYMENT_VERSION
    )


def paid_in_store_message(
    *, order, store: str, amount=None, till_method: str = "", receipt_number: str = ""
) -> OutboxMessage:
    """``order.paid_in_store``: ``amount`` (the total less what was refused) paid at the till of
    ``store`` (a location code) at the hand-over, by ``till_method`` (cash, card) under the till's
    ``receipt_number``."""
    return _order_message(
        OrderOutboxEvent.PAID_IN_STORE,
        order,
        {
            "store": store,
            "amount": str(order.total if amount is None else amount),
            "currency": order.currency,
            "till_method": till_method,
            "receipt_number": receipt_number,
        },
        ORDER_PAYMENT_VERSION,
    )


def handed_over_message(
    *, order, store: str, kind: str, lines: list[dict], amount_collected, refund_amount, collected_by_other: bool
) -> OutboxMessage:
    """``order.handed_over``: the goods left ``store`` with the customer (``kind`` pickup) or
    after a try-on visit (``kind`` try_on); ``lines``: sku, quantity ordered, quantity refused
    (or not kept). The collector's name stays on the order's timeline, not here."""
    return _order_message(
        OrderOutboxEvent.HANDED_OVER,
        order,
        {
            "store": store,
            "kind": kind,
            "lines": lines,
            "amount_collected": str(amount_collected),
            "refund_amount": str(refund_amount),
            "currency": order.currency,
            "collected_by_other": collected_by_other,
        },
        HANDED_OVER_VERSION,
    )


def partial_refund_message(*, type: OrderOutboxEvent, order, refund, message: str = "") -> OutboxMessage:
    """``order.partial_refund_requested`` / ``_done`` / ``_failed``: a part of the card payment
    (``amount``) asked back of the provider under ``reference``, given back (``provider_reference``)
    or refused (``message``, retried)."""
    return _order_message(
        type,
        order,
        {
            "reference": refund.reference,
            "payment_reference": order.payment_reference,
            "amount": str(refund.amount),
            "currency": refund.currency,
            "reason": refund.reason,
            "lines": [{"sku": ln["sku"], "quantity": ln["quantity"]} for ln in refund.lines],
            "provider_reference": refund.provider_reference,
            "message": message,
        },
        PARTIAL_REFUND_VERSION,
    )


def pickup_code_issued_message(*, order, store: str) -> OutboxMessage:
    """``order.pickup_code_issued``: a (new) pickup code was issued for the order at ``store``,
    valid until ``pickup_expires_at``. Version 2 carries no code and no contact details: the
    code is a secret between the customer and the store, read from the order only by the
    notification that brings it to the customer (version 1 carried ``pickup_code``, ``email``
    and ``phone``)."""
    return _order_message(
        OrderOutboxEvent.PICKUP_CODE_ISSUED,
        order,
        {"store": store, "pickup_expires_at": order.pickup_expires_at},
        PICKUP_CODE_ISSUED_VERSION,
    )


def items_cancelled_message(*, order, store: str, items: list[dict], amount, refund: str) -> OutboxMessage:
    """``order.items_cancelled``: units no location could supply after a short pick at ``store``
    were cancelled (``items``: sku and quantity); ``amount`` is their value, given back to the
    payment (``refund`` "refunded"), no longer due ("not_charged": paid in the store, or not paid
    yet) or given back by the marketplace that took the payment ("marketplace")."""
    return _order_message(
        OrderOutboxEvent.ITEMS_CANCELLED,
        order,
        {
            "store": store,
            "items": [{"sku": i["sku"], "quantity": i["quantity"]} for i in items],
            "amount": str(amount),
            "currency": order.currency,
            "refund": refund,
        },
        ITEMS_CANCELLED_VERSION,
    )


def item_picked_payload(*, line, sku: str, quantity: int, picked: int, store: str) -> dict:
    """The timeline entry of units put in the basket (``picked``: the line's units picked so far)."""
    return {
        "version": PICKING_EVENT_VERSION,
        "line": line,
        "sku": sku,
        "quantity": quantity,
        "picked": picked,
        "store": store,
    }


def item_short_payload(*, line, sku: str, quantity: int, reason: str, store: str) -> dict:
    """Units of a line not on the shelf (``reason``: missing or damaged), taken off ``store``'s stock."""
    return {
        "version": PICKING_EVENT_VERSION,
        "line": line,
        "sku": sku,
        "quantity": quantity,
        "reason": reason,
        "store": store,
    }


def item_rerouted_payload(*, line, sku: str, quantity: int, source: str, store: str, transfer) -> dict:
    """Short units now come from ``source`` (by ``transfer`` to the pickup store, or None: shipped from it)."""
    return {
        "version": PICKING_EVENT_VERSION,
        "line": line,
        "sku": sku,
        "quantity": quantity,
        "from": source,
        "store": store,
        "transfer": transfer,
    }


def items_cancelled_payload(*, items: list[dict], amount, currency: str, refund: str) -> dict:
    """Short units no location has, cancelled: ``items`` (line, sku, name, quantity, amount)."""
    return {
        "version": PICKING_EVENT_VERSION,
        "items": items,
        "amount": str(amount),
        "currency": currency,
        "refund": refund,
    }


SHORT_REASONS = {"missing": _("missing"), "damaged": _("damaged")}


def order_event_text(event) -> str:
    """What a picking entry of the timeline says, in the current language (from its payload);
    other entries say their note."""
    p = event.payload or {}
    if event.type == OrderEventType.ITEM_PICKED:
        return _("Picked %(quantity)d x %(sku)s in %(store)s.") % p
    if event.type == OrderEventType.ITEM_SHORT:
        reason = SHORT_REASONS.get(p.get("reason"), p.get("reason", ""))
        return _("%(quantity)d x %(sku)s not on the shelf in %(store)s (%(reason)s).") % {**p, "reason": reason}
    if event.type == OrderEventType.ITEM_REROUTED:
        if p.get("transfer"):
            return _("%(quantity)d x %(sku)s will come from %(from)s to %(store)s by transfer.") % p
        return _("%(quantity)d x %(sku)s will be shipped from %(from)s instead.") % p
    if event.type == OrderEventType.ITEMS_CANCELLED:
        items = ", ".join(f"{i['quantity']} x {i['sku']}" for i in p.get("items", []))
        amount = money_display(p.get("amount", "0"), p.get("currency", "PLN"))
        if p.get("refund") == "refunded":
            return _("Cancelled, no location has them: %(items)s; %(amount)s refunded.") % {
                "items": items,
                "amount": amount,
            }
        return _("Cancelled, no location has them: %(items)s; %(amount)s less to pay.") % {
            "items": items,
            "amount": amount,
        }
    return event.note


# The catalogue entry of each event (``omnishop.outbox.catalogue``), registered in ``OrdersConfig.ready()``.
ORDER_STATUSES = ["placed", *STATUS_EVENTS]
_STATUS = {"enum": ORDER_STATUSES}
_ORDER_KEYS = {
    "number": described(STRING, "The order number (the aggregate id)."),
    "channel": described(STRING, "The code of the channel the order was placed in."),
}
_REFUND_MONEY = {
    "payment_reference": described(STRING, "The provider's reference of the payment."),
    "amount": DECIMAL,
    "currency": CURRENCY,
}


def _order_event(type: OrderOutboxEvent, version: int, description: str, properties: dict):
    return event(
        type=type, version=version, aggregate="order", description=description, properties=_ORDER_KEYS | properties
    )


_STATUS_DESCRIPTIONS = {
    OrderOutboxEvent.CONFIRMED: "The order was confirmed (paid, or to be paid in the store).",
    OrderOutboxEvent.AWAITING_TRANSFER: "A click & collect order waits for its goods to reach the pickup store.",
    OrderOutboxEvent.PROCESSING: "The order is being picked (warehouse or store).",
    OrderOutboxEvent.READY_FOR_PICKUP: "The goods wait in the pickup store; a pickup code was issued.",
    OrderOutboxEvent.SHIPPED: "The order left the warehouse or the store for delivery.",
    OrderOutboxEvent.COMPLETED: "The order was delivered, or handed over in the store.",
    OrderOutboxEvent.CANCELLED: "The order was cancelled; its stock was released.",
}

EVENT_SCHEMAS = [
    _order_event(
        OrderOutboxEvent.PLACED,
        ORDER_PLACED_VERSION,
        "An order was placed (any channel): its customer, fulfilment type, money and priced lines.",
        {
            "customer_id": described(nullable(INTEGER), "Null for a guest's order."),
            "fulfilment_type": {"enum": FulfilmentType.values},
            "currency": CURRENCY,
            "total": described(DECIMAL, "The order total, gross."),
            "lines": array_of(
                strict_object({"sku": STRING, "quantity": {"type": "integer", "minimum": 1}, "unit_price": DECIMAL})
            ),
        },
    ),
    *(
        _order_event(
            type,
            ORDER_STATUS_VERSION,
            description,
            {"from": described(_STATUS, "The status before."), "to": described(_STATUS, "The status now.")},
        )
        for type, description in _STATUS_DESCRIPTIONS.items()
    ),
    _order_event(
        OrderOutboxEvent.PAYMENT_AUTHORIZED,
        ORDER_PAYMENT_VERSION,
        "The payment provider took the order's payment.",
        {"reference": described(STRING, "The provider's payment reference.")},
    ),
    _order_event(
        OrderOutboxEvent.PAYMENT_FAILED,
        ORDER_PAYMENT_VERSION,
        "The payment provider declined the payment; cancelled says whether the order is cancelled for it.",
        {
            "reference": STRING,
            "message": described(STRING, "The provider's message."),
            "status": described(_STATUS, "The order's status when the decline was recorded."),
            "cancelled": BOOLEAN,
        },
    ),
    _order_event(
        OrderOutboxEvent.PAYMENT_REFUNDED,
        ORDER_PAYMENT_VERSION,
        "A cancelled order's payment went back to the customer.",
        {"reference": described(STRING, "The refund's reference."), **_REFUND_MONEY},
    ),
    _order_event(
        OrderOutboxEvent.REFUND_FAILED,
        ORDER_PAYMENT_VERSION,
        "The provider refused a refund; the payment stays paid and is retried.",
        {"message": described(STRING, "The provider's message."), **_REFUND_MONEY},
    ),
    _order_event(
        OrderOutboxEvent.PAID_IN_STORE,
        ORDER_PAYMENT_VERSION,
        "A pay-in-store order was paid at the till at the hand-over.",
        {
            "store": described(STRING, "The store's location code."),
            "amount": described(DECIMAL, "What was paid: the total less the lines refused at the hand-over."),
            "currency": CURRENCY,
            "till_method": described({"enum": ["", "cash", "card"]}, "How the till took it (blank before 2026-12)."),
            "receipt_number": described(STRING, "The till receipt number."),
        },
    ),
    _order_event(
        OrderOutboxEvent.HANDED_OVER,
        HANDED_OVER_VERSION,
        "A pickup order was handed over in the store (kind pickup) or completed after a try-on visit "
        "(kind try_on); refused or not kept units went back on sale.",
        {
            "store": described(STRING, "The store's location code."),
            "kind": {"enum": ["pickup", "try_on"]},
            "lines": array_of(
                strict_object(
                    {
                        "sku": STRING,
                        "quantity": {"type": "integer", "minimum": 1},
                        "refused": {"type": "integer", "minimum": 0},
                    }
                )
            ),
            "amount_collected": described(DECIMAL, "Paid at the till at the hand-over (0 for a card payment)."),
            "refund_amount": described(DECIMAL, "Given back of a card payment for the refused units."),
            "currency": CURRENCY,
            "collected_by_other": described(BOOLEAN, "Someone other than the customer collected it with the code."),
        },
    ),
    *(
        _order_event(
            type,
            PARTIAL_REFUND_VERSION,
            description,
            {
                "reference": described(STRING, "The refund's own reference (its idempotency key)."),
                "payment_reference": described(STRING, "The provider's reference of the payment."),
                "amount": DECIMAL,
                "currency": CURRENCY,
                "reason": STRING,
                "lines": array_of(strict_object({"sku": STRING, "quantity": {"type": "integer", "minimum": 1}})),
                "provider_reference": described(STRING, "The provider's reference of the refund, once done."),
                "message": described(STRING, "The provider's message when it refused."),
            },
        )
        for type, description in (
            (OrderOutboxEvent.PARTIAL_REFUND_REQUESTED, "A part of the card payment is being given back."),
            (OrderOutboxEvent.PARTIAL_REFUND_DONE, "A part of the card payment went back to the customer."),
            (OrderOutboxEvent.PARTIAL_REFUND_FAILED, "The provider refused a part refund; it is retried."),
        )
    ),
    _order_event(
        OrderOutboxEvent.ITEMS_CANCELLED,
        ITEMS_CANCELLED_VERSION,
        "Units short at picking that no location could supply were cancelled; their amount was given back to the "
        "payment (refunded), is no longer due (not_charged: paid in the store or not paid yet) or is given back by "
        "the marketplace that took the payment (marketplace).",
        {
            "store": described(STRING, "The location code of the store that picked."),
            "items": array_of(strict_object({"sku": STRING, "quantity": {"type": "integer", "minimum": 1}})),
            "amount": described(DECIMAL, "The value of the cancelled units, gross."),
            "currency": CURRENCY,
            "refund": {"enum": ["refunded", "not_charged", "marketplace"]},
        },
    ),
    _order_event(
        OrderOutboxEvent.PICKUP_CODE_ISSUED,
        PICKUP_CODE_ISSUED_VERSION,
        "A (new) pickup code was issued for the order at the store, valid until pickup_expires_at. It carries "
        "neither the code nor the customer's contact details (version 1 did, and is no longer emitted).",
        {"store": described(STRING, "The pickup store's location code."), "pickup_expires_at": nullable(DATETIME)},
    ),
]
