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
