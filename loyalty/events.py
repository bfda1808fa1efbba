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


# --- wallets (gift cards, store credit) -------------------------------------------------------


class WalletOutboxEvent(StrEnum):
    """Gift card events (aggregate ``gift_card``, keyed by the card's id) and store-credit events
    (aggregate ``store_credit``, keyed by the account's id). A gift card's code never appears:
    its last four characters only."""

    GIFT_CARD_ISSUED = "loyalty.gift_card_issued"
    GIFT_CARD_SPENT = "loyalty.gift_card_spent"
    GIFT_CARD_REFUNDED = "loyalty.gift_card_refunded"
    GIFT_CARD_EXPIRED = "loyalty.gift_card_expired"
    GIFT_CARD_BLOCKED = "loyalty.gift_card_blocked"
    STORE_CREDIT_GRANTED = "loyalty.store_credit_granted"
    STORE_CREDIT_SPENT = "loyalty.store_credit_spent"
    STORE_CREDIT_REFUNDED = "loyalty.store_credit_refunded"


WALLET_EVENT_VERSION = 1


def gift_card_message(
    type: WalletOutboxEvent, *, card, amount, reference: str = "", channel: str = ""
) -> OutboxMessage:
    """Any gift card event: the card (last 4, currency, balance now, expiry), the amount that
    moved (positive, whichever way), the order number and channel it moved for."""
    return OutboxMessage(
        type=type.value,
        aggregate_type="gift_card",
        aggregate_id=card.pk,
        payload={
            "id": card.pk,
            "code_last4": card.last4,
            "currency": card.currency,
            "amount": abs(amount),
            "balance": card.balance,
            "status": card.status,
            "expires_at": card.expires_at,
            "issued": card.issued,
            "customer_id": card.customer_id,
            "reference": reference,
            "channel": channel,
        },
        version=WALLET_EVENT_VERSION,
    )


def store_credit_message(
    type: WalletOutboxEvent, *, account, amount, source: str = "", reference: str = "", channel: str = ""
) -> OutboxMessage:
    """Any store-credit event: the account (customer id, currency, balance now) and the amount
    that moved (positive), why (``source``) and for which order number and channel."""
    return OutboxMessage(
        type=type.value,
        aggregate_type="store_credit",
        aggregate_id=account.pk,
        payload={
            "account_id": account.pk,
            "customer_id": account.customer_id,
            "currency": account.currency,
            "amount": abs(amount),
            "balance": account.balance,
            "source": source,
            "reference": reference,
            "channel": channel,
        },
        version=WALLET_EVENT_VERSION,
    )


_GIFT_CARD_KEYS = {
    "id": described(INTEGER, "The card's id (the aggregate id)."),
    "code_last4": described(STRING, "The last four characters of the card's code (never the full code)."),
    "currency": CURRENCY,
    "amount": described(DECIMAL, "The amount that moved (positive)."),
    "balance": described(DECIMAL, "The card's balance after the change."),
    "status": {"enum": ["active", "blocked", "expired"]},
    "expires_at": DATETIME,
    "issued": {"enum": ["sold", "agent"]},
    "customer_id": described(nullable(INTEGER), "The card's owner, if it has one."),
    "reference": described(STRING, "The order number it moved for (empty for an agent's change)."),
    "channel": described(STRING, "The code of the channel it moved in (empty when none)."),
}
_STORE_CREDIT_KEYS = {
    "account_id": described(INTEGER, "The store-credit account's id (the aggregate id)."),
    "customer_id": INTEGER,
    "currency": CURRENCY,
    "amount": described(DECIMAL, "The amount that moved (positive)."),
    "balance": described(DECIMAL, "The account's balance after the change."),
    "source": described(STRING, "Why it moved: refund, agent or order (empty for a spend)."),
    "reference": described(STRING, "The order or return number it moved for (may be empty)."),
    "channel": described(STRING, "The code of the channel it moved in (empty when none)."),
}
_WALLET_DESCRIPTIONS = {
    WalletOutboxEvent.GIFT_CARD_ISSUED: "A gift card was issued: sold (reference: the order) or by an agent.",
    WalletOutboxEvent.GIFT_CARD_SPENT: "A gift card paid (part of) an order.",
    WalletOutboxEvent.GIFT_CARD_REFUNDED: "What an order spent from a gift card went back onto it.",
    WalletOutboxEvent.GIFT_CARD_EXPIRED: "A gift card expired; its remaining balance (amount) lapsed.",
    WalletOutboxEvent.GIFT_CARD_BLOCKED: "A gift card was blocked (by an agent, or its sale was cancelled).",
    WalletOutboxEvent.STORE_CREDIT_GRANTED: "Store credit was granted (a refund, or an agent's goodwill).",
    WalletOutboxEvent.STORE_CREDIT_SPENT: "Store credit paid (part of) an order.",
    WalletOutboxEvent.STORE_CREDIT_REFUNDED: "What an order spent from store credit went back to it.",
}

WALLET_EVENT_SCHEMAS = [
    event(
        type=type,
        version=WALLET_EVENT_VERSION,
        aggregate="gift_card" if type.value.startswith("loyalty.gift_card") else "store_credit",
        description=description,
        properties=_GIFT_CARD_KEYS if type.value.startswith("loyalty.gift_card") else _STORE_CREDIT_KEYS,
    )
    for type, description in _WALLET_DESCRIPTIONS.items()
]
