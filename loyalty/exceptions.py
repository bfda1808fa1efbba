from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class NotSellable(DomainError):
    """A line cannot be sold in this channel (not listed, inactive, or not priced in its currency)."""

    code = "not_sellable"
    title = _("Some items cannot be sold in this channel.")
    status_code = 409


# --- promotions and coupons ---------------------------------------------------------------


class CouponInvalid(DomainError):
    """A coupon code cannot apply to this basket or customer (``errors["coupon_code"]`` says why)."""

    code = "coupon_invalid"
    title = _("The coupon cannot be used.")
    status_code = 400


class CouponUsedUp(DomainError):
    """A coupon (or its promotion) has no use left: single use taken, a limit reached."""

    code = "coupon_used_up"
    title = _("The coupon has already been used.")
    status_code = 409


class CouponGiveRefused(DomainError):
    """A personal coupon cannot be given (no reason, no permission, or a promotion that takes no codes)."""

    code = "coupon_give_refused"
    title = _("The coupon cannot be given.")


# --- points -------------------------------------------------------------------------------


class InsufficientPoints(DomainError):
    """The account's spendable balance is below the points asked for (pending points never count)."""

    code = "insufficient_points"
    title = _("Not enough spendable points.")
    status_code = 409


class InvalidPointsRequest(DomainError):
    """A points request breaks a rule of its own (no reason given, zero points)."""

    code = "validation_error"
    title = _("Invalid input.")
    status_code = 400


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
