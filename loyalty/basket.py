"""What every loyalty rule looks at: a basket after list prices, and the one way a discount is
shared out across its lines.

The pricing engine (``loyalty.pricing``) builds the ``Basket`` once (one query whatever the size)
and hands it to the promotions, the earning rules and the redemptions, so they all see the same
lines, categories and brands and none of them queries the catalog again.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from omnishop.money import quantum


@dataclass(frozen=True)
class BasketLine:
    variant_id: int
    sku: str
    product_id: int
    # The product's category and every ancestor of it (a promotion on "Buty" covers "Sneakersy").
    category_ids: frozenset[int]
    brand_id: int | None
    quantity: int
    unit_price: Decimal
    # unit_price times quantity, rounded to the currency.
    line_total: Decimal
    # Gift cards are money: never discounted, never earn points.
    is_gift_card: bool = False


@dataclass(frozen=True)
class Basket:
    currency: str
    # catalog.models.Channel: ``code`` and ``kind`` (web, app, store, call_centre, marketplace, b2b).
    channel: object
    # customers.models.Customer, or None for a guest.
    customer: object | None
    lines: tuple[BasketLine, ...]
    at: datetime

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), Decimal("0"))


def apportion(amount: Decimal, weights: dict[int, Decimal], currency: str) -> dict[int, Decimal]:
    """Share ``amount`` across keys in proportion to ``weights``, in whole minor units, so the
    parts always sum to ``amount`` exactly.

    The rounding rule (largest remainder): each part is first rounded down to the currency's
    minor unit; the units left over go one each to the parts with the largest remainders, ties to
    the larger weight, then to the smaller key (a variant id). Zero or negative weights get
    nothing; with no positive weight nothing is shared (an empty dict).
    """
    unit = quantum(currency)
    positive = {key: weight for key, weight in weights.items() if weight > 0}
    total_weight = sum(positive.values(), Decimal("0"))
    if not positive or amount <= 0:
        return {}
    amount = amount.quantize(unit, rounding=ROUND_DOWN)
    exact = {key: amount * weight / total_weight for key, weight in positive.items()}
    parts = {key: value.quantize(unit, rounding=ROUND_DOWN) for key, value in exact.items()}
    left = int((amount - sum(parts.values(), Decimal("0"))) / unit)
    by_remainder = sorted(positive, key=lambda key: (-(exact[key] - parts[key]), -positive[key], key))
    for key in by_remainder[:left]:
        parts[key] += unit
    return parts
