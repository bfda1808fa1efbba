"""What gift cards and store credit share: how an amount is checked, how a card's code is
printed, and which login a change is recorded against."""

from decimal import Decimal

from django.utils.translation import gettext as _

from omnishop.money import quantum

from .exceptions import WalletAmountInvalid


def wallet_amount_valid(amount, currency: str) -> Decimal:
    """``amount`` as a Decimal when it is positive and in whole minor units of ``currency``;
    raises ``WalletAmountInvalid`` (``amount``) otherwise."""
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.quantize(quantum(currency)):
        raise WalletAmountInvalid(
            errors={"amount": [_("Give a positive amount in %(currency)s.") % {"currency": currency}]}
        )
    return amount


def giftcard_code_format(code: str) -> str:
    """The code as printed: ``ABCD-EFGH-JKMN-PQRS``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def actor_login(actor):
    """The login to record for an actor (None for anonymous requests and the system)."""
    return actor if getattr(actor, "is_authenticated", False) else None
