"""The one pricing engine: a cart + customer + channel become priced lines and totals.

Web, app, POS and call centre call this same function, so a basket costs the same everywhere.
List prices for now; promotions, coupons and points plug in here as data.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from catalog.models import Channel
from catalog.selectors import variants_sellable_with_price
from omnishop.money import Money, money_round
from omnishop.vocabulary import FulfilmentType

from .exceptions import NotSellable

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PricedLine:
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class PricedCart:
    currency: str
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal
    notes: list[str] = field(default_factory=list)


def shipping_fee(*, channel: Channel, fulfilment_type: str | None, subtotal: Decimal) -> Decimal:
    """Delivery costs the configured fee below the free-shipping threshold; pickups are free."""
    if fulfilment_type != FulfilmentType.DELIVERY:
        return ZERO
    fee = Decimal(settings.OMNISHOP_DELIVERY_FEE.get(channel.currency, "0"))
    free_from = settings.OMNISHOP_FREE_DELIVERY_FROM.get(channel.currency)
    if free_from is not None and subtotal >= Decimal(free_from):
        return ZERO
    return fee


def cart_price(
    *,
    lines: dict[int, int],
    channel: Channel,
    customer=None,
    fulfilment_type: str | None = None,
    at=None,
    sold_at: dict[int, Decimal] | None = None,
    shipping: Decimal | None = None,
) -> PricedCart:
    """Price ``{variant_id: quantity}`` for ``channel``. One query whatever the cart size.

    ``sold_at`` and ``shipping``: the unit prices (by variant id) and the shipping a marketplace
    sold an order at, which its buyer already paid there: the one case the price list does not
    decide (the variants must still be sellable in the channel, a list price is not needed).
    Raises ``NotSellable`` naming each variant that is inactive, not published in the channel
    or has no price in the channel's currency.
    """
    sold_at = sold_at or {}
    variants = variants_sellable_with_price(ids=lines, channel=channel, at=at)
    problems = {}
    for variant_id in lines:
        if variant_id not in variants:
            problems[str(variant_id)] = [_("Not offered in channel %(channel)s.") % {"channel": channel.code}]
        elif variants[variant_id].price is None and variant_id not in sold_at:
            problems[str(variant_id)] = [_("No price in %(currency)s.") % {"currency": channel.currency}]
    if problems:
        raise NotSellable(errors=problems)

    priced = []
    for variant_id, quantity in lines.items():
        _pk, sku, size, colour, product_name, unit = variants[variant_id]
        unit = sold_at.get(variant_id, unit)
        total = money_round(Money(unit * quantity, channel.currency)).amount
        label = " / ".join(p for p in (size, colour) if p)
        priced.append(
            PricedLine(
                variant_id=variant_id,
                sku=sku,
                name=f"{product_name} {label}".strip(),
                quantity=quantity,
                unit_price=unit,
                discount=ZERO,
                line_total=total,
            )
        )
    subtotal = sum((p.line_total for p in priced), ZERO)
    discount_total = sum((p.discount for p in priced), ZERO)
    if shipping is None:
        shipping = shipping_fee(channel=channel, fulfilment_type=fulfilment_type, subtotal=subtotal)
    total = money_round(Money(subtotal - discount_total + shipping, channel.currency)).amount
    return PricedCart(
        currency=channel.currency,
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_total=shipping,
        total=total,
    )
