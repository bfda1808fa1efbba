"""Money: Decimal amount plus an ISO 4217 currency, rounded to the currency's minor unit.

Values are ``moneyed.Money``; this module adds the one rounding rule and the checks the
models and serializers use, so every app rounds the same way and at one boundary.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from moneyed import CURRENCIES, Currency, Money

__all__ = ["Money", "currency_choices", "money_round", "quantum", "validate_currency"]

# Currencies a retailer in the EU realistically prices in; any ISO code is accepted.
COMMON_CURRENCIES = ("PLN", "EUR", "CZK", "HUF", "GBP", "USD", "SEK", "DKK", "NOK", "RON")


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in COMMON_CURRENCIES]


def validate_currency(code: str) -> None:
    if code not in CURRENCIES or code == "XXX":
        raise ValidationError(
            _("%(code)s is not an ISO 4217 currency code."),
            code="invalid_currency",
            params={"code": code},
        )


def quantum(currency: str | Currency) -> Decimal:
    """The smallest unit of a currency: Decimal('0.01') for PLN, Decimal('1') for HUF's 0 dp."""
    cur = currency if isinstance(currency, Currency) else CURRENCIES[currency]
    sub_unit = cur.sub_unit or 1
    places = len(str(sub_unit)) - 1
    return Decimal(1).scaleb(-places)


def money_round(money: Money) -> Money:
    """Round half-up to the currency's minor unit. Call once, where a total is fixed."""
    amount = money.amount.quantize(quantum(money.currency), rounding=ROUND_HALF_UP)
    return Money(amount, money.currency)


def money_display(amount, currency: str, *, language: str | None = None) -> str:
    """An amount as people read it: ``1 234,50 zł`` in Polish (grouped from the thousands, with
    no-break spaces), ``1,234.50 PLN`` in English; rounded to the currency's minor unit.
    ``language``: the active one when not given (Polish outside a request)."""
    from babel.numbers import get_currency_symbol
    from django.utils.numberformat import format as number_format
    from django.utils.translation import get_language

    language = language or get_language() or "pl"

    value = Decimal(str(amount)).quantize(quantum(currency), rounding=ROUND_HALF_UP)
    places = max(-value.as_tuple().exponent, 0)
    if language.startswith("pl"):
        number = number_format(value, ",", places, 3, "\u00a0", force_grouping=True)
        return f"{number}\u00a0{get_currency_symbol(currency, locale='pl')}"
    return f"{number_format(value, '.', places, 3, ',', force_grouping=True)}\u00a0{currency}"
