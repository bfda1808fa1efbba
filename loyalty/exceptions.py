from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class NotSellable(DomainError):
    """A line cannot be sold in this channel (not listed, inactive, or not priced in its currency)."""

    code = "not_sellable"
    title = _("Some items cannot be sold in this channel.")
    status_code = 409


# --- wallets (gift cards, store credit) -------------------------------------------------------


class GiftCardInvalid(DomainError):
    """The code cannot pay: unknown, expired, blocked, in another currency or empty
    (``errors={"gift_card": [reason]}``)."""

    code = "gift_card_invalid"
    title = _("This gift card cannot be used.")
    status_code = 400


class GiftCardInsufficient(DomainError):
    """The card's balance does not cover the amount asked."""

    code = "gift_card_insufficient"
    title = _("The gift card's balance is too low.")
    status_code = 409


class StoreCreditInsufficient(DomainError):
    """The customer's store credit does not cover the amount asked."""

    code = "store_credit_insufficient"
    title = _("Not enough store credit.")
    status_code = 409


class WalletAmountInvalid(DomainError):
    """An amount for a gift card or store credit must be positive, in the currency's minor unit."""

    code = "wallet_amount_invalid"
    title = _("The amount is not valid.")
    status_code = 400
