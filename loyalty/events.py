"""The outbox events loyalty emits, by area: an enum of event types and one versioned payload
builder per event, with its catalogue entry (registered from ``loyalty/wiring/<area>.py``).

A payload only ever gains keys within a version; a key removed or changed in meaning is a new
version. No personal data: customers by id only. This module imports no model of its own app.
"""

from enum import StrEnum

from omnishop.outbox.catalogue import CURRENCY, DATETIME, DECIMAL, INTEGER, STRING, described, event, nullable
from omnishop.outbox.services import OutboxMessage

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
