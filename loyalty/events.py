"""The outbox events loyalty emits: their types, and one versioned payload builder each.

A builder returns an ``OutboxMessage``; the services decide when to emit it. A payload only ever
gains keys within a version: consumers read the keys they know. No personal data: customer ids.
"""

from enum import StrEnum

from omnishop.outbox.catalogue import INTEGER, STRING, described, event, nullable
from omnishop.outbox.services import OutboxMessage

# --- points ---------------------------------------------------------------------------------


class PointsEvent(StrEnum):
    """Aggregate ``loyalty_account``, keyed by the account id."""

    EARNED = "loyalty.points_earned"
    RELEASED = "loyalty.points_released"
    REDEEMED = "loyalty.points_redeemed"
    REVERSED = "loyalty.points_reversed"
    EXPIRED = "loyalty.points_expired"
    ADJUSTED = "loyalty.points_adjusted"
    TIER_CHANGED = "loyalty.tier_changed"


POINTS_VERSION = 1
TIER_CHANGED_VERSION = 1


def points_message(*, type: PointsEvent, account, points: int, reference: str = "", channel: str = "") -> OutboxMessage:
    """A ``loyalty.points_*`` event: the signed change and the account's figures after it
    (``account`` as it stands after the change, re-read under its lock)."""
    return OutboxMessage(
        type=type.value,
        aggregate_type="loyalty_account",
        aggregate_id=account.pk,
        payload={
            "account_id": account.pk,
            "customer_id": account.customer_id,
            "points": points,
            "balance": account.balance,
            "pending": account.pending,
            "reference": reference,
            "channel": channel,
        },
        version=POINTS_VERSION,
    )


def tier_changed_message(*, account, from_code: str | None, to_code: str | None, earned_12m: int) -> OutboxMessage:
    return OutboxMessage(
        type=PointsEvent.TIER_CHANGED.value,
        aggregate_type="loyalty_account",
        aggregate_id=account.pk,
        payload={
            "account_id": account.pk,
            "customer_id": account.customer_id,
            "from": from_code,
            "to": to_code,
            "earned_12m": earned_12m,
        },
        version=TIER_CHANGED_VERSION,
    )


_POINTS_KEYS = {
    "account_id": INTEGER,
    "customer_id": INTEGER,
    "points": described(INTEGER, "The signed change (negative when points left the account)."),
    "balance": described(INTEGER, "Spendable points after the change."),
    "pending": described(INTEGER, "Pending points after the change (not spendable yet)."),
    "reference": described(STRING, "The order number or other reference; empty when none."),
    "channel": described(STRING, "The channel code; empty when none."),
}

_POINTS_DESCRIPTIONS = {
    PointsEvent.EARNED: "Points were earned on an order; they stay pending until its return window closes.",
    PointsEvent.RELEASED: "Pending points became spendable (the order's return window closed).",
    PointsEvent.REDEEMED: "Points were spent on an order.",
    PointsEvent.REVERSED: "A cancelled order's points were undone: redeemed points given back, earned ones removed.",
    PointsEvent.EXPIRED: "Points reached their expiry date unspent.",
    PointsEvent.ADJUSTED: "An agent granted (or took) goodwill points, with a reason.",
}

POINTS_EVENT_SCHEMAS = [
    *(
        event(type=t, version=POINTS_VERSION, aggregate="loyalty_account", description=d, properties=_POINTS_KEYS)
        for t, d in _POINTS_DESCRIPTIONS.items()
    ),
    event(
        type=PointsEvent.TIER_CHANGED,
        version=TIER_CHANGED_VERSION,
        aggregate="loyalty_account",
        description="The account moved to another tier (points earned in the last 12 months).",
        properties={
            "account_id": INTEGER,
            "customer_id": INTEGER,
            "from": described(nullable(STRING), "The tier code before; null for none."),
            "to": described(nullable(STRING), "The tier code now; null for none."),
            "earned_12m": described(INTEGER, "Points earned in the 12 months before the change."),
        },
    ),
]
