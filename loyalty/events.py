"""The outbox events loyalty emits, by area: an enum of types and one versioned payload builder
per event, with its catalogue entry (registered from ``loyalty/wiring/<area>.py``). Payloads carry
customer ids only, never personal data. A payload only gains keys within a version."""

from enum import StrEnum

from omnishop.outbox.catalogue import (
    BOOLEAN,
    CURRENCY,
    DATETIME,
    DECIMAL,
    INTEGER,
    STRING,
    described,
    event,
    nullable,
)
from omnishop.outbox.services import OutboxMessage

# --- promotions and coupons ---------------------------------------------------------------


class CouponOutboxEvent(StrEnum):
    """Coupon events (aggregate ``coupon``, keyed by the coupon's id)."""

    REDEEMED = "loyalty.coupon_redeemed"
    RELEASED = "loyalty.coupon_released"
    GIVEN = "loyalty.coupon_given"
    GENERATED = "loyalty.coupons_generated"


COUPON_REDEMPTION_VERSION = 1
COUPON_GIVEN_VERSION = 1
COUPONS_GENERATED_VERSION = 1


def coupon_redemption_message(*, type: CouponOutboxEvent, redemption) -> OutboxMessage:
    """``loyalty.coupon_redeemed`` / ``loyalty.coupon_released``: a coupon was used by the order
    ``reference`` (or that use was given back when the order was cancelled)."""
    return OutboxMessage(
        type=type.value,
        aggregate_type="coupon",
        aggregate_id=redemption.coupon_id,
        payload={
            "coupon_id": redemption.coupon_id,
            "promotion_id": redemption.promotion_id,
            "customer_id": redemption.customer_id,
            "reference": redemption.reference,
            "channel": redemption.channel_code,
            "amount": str(redemption.amount),
            "currency": redemption.currency,
            "released_at": redemption.released_at,
        },
        version=COUPON_REDEMPTION_VERSION,
    )


def coupon_given_message(*, coupon, actor_id: int | None) -> OutboxMessage:
    """``loyalty.coupon_given``: an agent gave ``customer_id`` a personal coupon."""
    return OutboxMessage(
        type=CouponOutboxEvent.GIVEN.value,
        aggregate_type="coupon",
        aggregate_id=coupon.pk,
        payload={
            "coupon_id": coupon.pk,
            "promotion_id": coupon.promotion_id,
            "customer_id": coupon.customer_id,
            "given_by": actor_id,
            "expires_at": coupon.expires_at,
        },
        version=COUPON_GIVEN_VERSION,
    )


def coupons_generated_message(*, promotion, count: int, personal: bool, actor_id: int | None) -> OutboxMessage:
    """``loyalty.coupons_generated``: ``count`` single-use codes were generated for the promotion."""
    return OutboxMessage(
        type=CouponOutboxEvent.GENERATED.value,
        aggregate_type="promotion",
        aggregate_id=promotion.pk,
        payload={"promotion_id": promotion.pk, "count": count, "personal": personal, "generated_by": actor_id},
        version=COUPONS_GENERATED_VERSION,
    )


_REDEMPTION_KEYS = {
    "coupon_id": INTEGER,
    "promotion_id": INTEGER,
    "customer_id": described(nullable(INTEGER), "Null for a guest."),
    "reference": described(STRING, "The order number that used the coupon."),
    "channel": described(STRING, "The code of the channel the order came from."),
    "amount": described(DECIMAL, "The discount the coupon gave."),
    "currency": CURRENCY,
    "released_at": described(nullable(DATETIME), "When the use was given back (the order was cancelled)."),
}

COUPON_EVENT_SCHEMAS = [
    event(
        type=CouponOutboxEvent.REDEEMED,
        version=COUPON_REDEMPTION_VERSION,
        aggregate="coupon",
        description="A coupon was used by an order.",
        properties=_REDEMPTION_KEYS,
    ),
    event(
        type=CouponOutboxEvent.RELEASED,
        version=COUPON_REDEMPTION_VERSION,
        aggregate="coupon",
        description="An order that used a coupon was cancelled: the use was given back.",
        properties=_REDEMPTION_KEYS,
    ),
    event(
        type=CouponOutboxEvent.GIVEN,
        version=COUPON_GIVEN_VERSION,
        aggregate="coupon",
        description="An agent gave a customer a personal coupon.",
        properties={
            "coupon_id": INTEGER,
            "promotion_id": INTEGER,
            "customer_id": INTEGER,
            "given_by": described(nullable(INTEGER), "The id of the staff user who gave it."),
            "expires_at": nullable(DATETIME),
        },
    ),
    event(
        type=CouponOutboxEvent.GENERATED,
        version=COUPONS_GENERATED_VERSION,
        aggregate="promotion",
        description="Single-use codes were generated for a promotion.",
        properties={
            "promotion_id": INTEGER,
            "count": INTEGER,
            "personal": described(BOOLEAN, "Each code is bound to one customer."),
            "generated_by": nullable(INTEGER),
        },
    ),
]


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
