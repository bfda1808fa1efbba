"""Helpers shared by the points tests."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

from loyalty.basket import Basket, BasketLine

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


def line(variant_id: int, total: str, *, categories=(), brand=None, gift=False) -> BasketLine:
    amount = Decimal(total)
    return BasketLine(
        variant_id=variant_id,
        sku=f"SKU-{variant_id}",
        product_id=variant_id,
        category_ids=frozenset(categories),
        brand_id=brand,
        quantity=1,
        unit_price=amount,
        line_total=amount,
        is_gift_card=gift,
    )


def basket(lines, *, customer, kind="web", code=None, at=T0) -> Basket:
    channel = SimpleNamespace(code=code or kind, kind=kind)
    return Basket(currency="PLN", channel=channel, customer=customer, lines=tuple(lines), at=at)


def net(b: Basket) -> dict:
    return {ln.variant_id: ln.line_total for ln in b.lines}
