"""The outbox events catalog emits: their types, and one versioned payload builder each.

A builder returns an ``OutboxMessage`` (type, aggregate, payload, version); the services decide
when to emit it, in the transaction of the change. A payload only ever gains keys within a
version: consumers read the keys they know. A key removed or changed in meaning is a new version.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from omnishop.outbox.catalogue import CURRENCY, DATETIME, DECIMAL, INTEGER, STRING, described, event, nullable
from omnishop.outbox.services import OutboxMessage


class CatalogEvent(StrEnum):
    PRICE_CHANGED = "price.changed"
    LISTING_PUBLISHED = "listing.published"
    LISTING_UNPUBLISHED = "listing.unpublished"


PRICE_CHANGED_VERSION = 1
LISTING_VERSION = 1


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def price_changed_message(
    *,
    variant_id: int,
    sku: str,
    currency: str,
    old_amount: Decimal | None,
    new_amount: Decimal | None,
    changed_at: datetime,
    reason: str = "",
) -> OutboxMessage:
    """``price.changed`` for one (SKU, currency): ``old_amount`` is null for a new price,
    ``new_amount`` null for a deleted one. Amounts are decimal strings, gross (VAT included)."""
    return OutboxMessage(
        type=CatalogEvent.PRICE_CHANGED.value,
        aggregate_type="price",
        aggregate_id=f"{sku}:{currency}",
        payload={
            "variant_id": variant_id,
            "sku": sku,
            "currency": currency,
            "old_amount": _amount(old_amount),
            "new_amount": _amount(new_amount),
            "changed_at": changed_at.isoformat(),
            "reason": reason,
        },
        version=PRICE_CHANGED_VERSION,
    )


def listing_published_message(*, listing) -> OutboxMessage:
    """``listing.published``: a product is offered in a channel from ``published_from``
    (until ``published_until``, or open-ended when null). ``listing`` comes with its channel."""
    return OutboxMessage(
        type=CatalogEvent.LISTING_PUBLISHED.value,
        aggregate_type="product",
        aggregate_id=listing.product_id,
        payload={
            "product_id": listing.product_id,
            "channel": listing.channel.code,
            "published_from": listing.published_from.isoformat(),
            "published_until": listing.published_until.isoformat() if listing.published_until else None,
        },
        version=LISTING_VERSION,
    )


def listing_unpublished_message(*, product_id: int, channel_code: str) -> OutboxMessage:
    """``listing.unpublished``: a product is no longer offered in a channel."""
    return OutboxMessage(
        type=CatalogEvent.LISTING_UNPUBLISHED.value,
        aggregate_type="product",
        aggregate_id=product_id,
        payload={"product_id": product_id, "channel": channel_code},
        version=LISTING_VERSION,
    )


# The catalogue entry of each event (``omnishop.outbox.catalogue``), registered in ``CatalogConfig.ready()``.
EVENT_SCHEMAS = [
    event(
        type=CatalogEvent.PRICE_CHANGED,
        version=PRICE_CHANGED_VERSION,
        aggregate="price",
        description="A variant's gross price (VAT included) in one currency was set, changed or deleted. "
        "Aggregate id: SKU:currency.",
        properties={
            "variant_id": INTEGER,
            "sku": STRING,
            "currency": CURRENCY,
            "old_amount": described(nullable(DECIMAL), "The price before; null for a new price."),
            "new_amount": described(nullable(DECIMAL), "The price now; null for a deleted price."),
            "changed_at": DATETIME,
            "reason": described(STRING, "Why, as the merchandiser or the import gave it; may be empty."),
        },
    ),
    event(
        type=CatalogEvent.LISTING_PUBLISHED,
        version=LISTING_VERSION,
        aggregate="product",
        description="A product is offered in a channel from published_from until published_until "
        "(open-ended when null).",
        properties={
            "product_id": INTEGER,
            "channel": described(STRING, "The channel code."),
            "published_from": DATETIME,
            "published_until": nullable(DATETIME),
        },
    ),
    event(
        type=CatalogEvent.LISTING_UNPUBLISHED,
        version=LISTING_VERSION,
        aggregate="product",
        description="A product is no longer offered in a channel.",
        properties={"product_id": INTEGER, "channel": described(STRING, "The channel code.")},
    ),
]
