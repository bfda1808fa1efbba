"""The one pricing engine: a cart + customer + channel become priced lines, discounts, points and
totals. Web, app, the till, the call centre and marketplace imports call this same function, so
the same basket costs the same everywhere and is explained line by line.

The stages, in this order, each on what the one before left:
1. **list prices**: the channel's price of each variant (a marketplace import: the price its
   buyer paid there, ``sold_at``), with its brand, categories and gift-card flag (one query);
2. **automatic promotions**, then 3. **the coupon** (``loyalty.promotions``: stacking, priority
   and the shares of a basket discount across lines, by ``loyalty.basket.apportion``);
4. **points redemption**: the points asked for, as far as the customer's spendable balance and
   the goods left to pay go, worth ``OMNISHOP_POINT_VALUE`` each, shared across the lines by the
   same rule; 5. **points to earn** on what each line finally costs (``loyalty.rules``);
6. **gift card and store credit as payment**: they pay part of the total (they are money, not a
   discount), so the lines keep their price and ``amount_due`` is what is left to pay otherwise.
Gift-card lines are never discounted and earn nothing; shipping is never discounted by a
promotion and earns nothing. A marketplace import takes no promotion, coupon or points
redemption (the marketplace priced it), but its buyer, when known, still earns.
Reads only: nothing is reserved or spent here; ``order_place`` redeems in its transaction.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Channel
from catalog.selectors import variants_sellable_with_price
from omnishop.money import Money, money_round
from omnishop.vocabulary import FulfilmentType

from .basket import Basket, BasketLine, apportion
from .exceptions import NotSellable
from .promotions import UNREAD, coupon_code_normalise, promotions_apply
from .selectors.pricing import member_pricing_reads
from .selectors.wallets import store_credit_balance
from .selectors_points import points_for_amount, points_quote, points_standing, points_value
from .services.giftcards import giftcard_check

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PricedLine:
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    # Everything taken off the line: promotions, the coupon and redeemed points.
    discount: Decimal
    # unit_price times quantity, before the discount.
    line_total: Decimal
    is_gift_card: bool = False

    @property
    def net_total(self) -> Decimal:
        """What the line costs the customer."""
        return self.line_total - self.discount


@dataclass(frozen=True)
class PricedPromotion:
    """A promotion or coupon that gave something, as the receipt explains it."""

    promotion_id: int
    name: str
    code: str
    amount: Decimal
    line_discounts: dict[int, Decimal]


class TenderKind(models.TextChoices):
    """Money omnishop keeps itself that pays part of an order (the till's payment methods of the
    same names are these)."""

    GIFT_CARD = "gift_card", gettext_lazy("Gift card")
    STORE_CREDIT = "store_credit", gettext_lazy("Store credit")


@dataclass(frozen=True)
class Tender:
    """Money the customer pays with that omnishop keeps itself: a gift card or store credit."""

    kind: str  # a TenderKind
    amount: Decimal
    code: str = ""  # the gift card's code (never shown whole: see ``code_last4``)

    @property
    def code_last4(self) -> str:
        return self.code[-4:]


@dataclass(frozen=True)
class PricedCart:
    currency: str
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal
    notes: list[str] = field(default_factory=list)
    promotions: tuple[PricedPromotion, ...] = ()
    coupon_code: str = ""
    points_redeemed: int = 0
    points_discount: Decimal = ZERO
    points_to_earn: int = 0
    # Which earning rule gave what (stored on the order as its receipt-level explanation).
    points_explanation: tuple[dict, ...] = ()
    tenders: tuple[Tender, ...] = ()

    @property
    def prepaid_total(self) -> Decimal:
        return sum((t.amount for t in self.tenders), ZERO)

    @property
    def amount_due(self) -> Decimal:
        """What is left to pay by card, BLIK, transfer or in store."""
        return self.total - self.prepaid_total

    def explanation(self) -> dict:
        """The receipt-level explanation an order keeps: what each promotion, the coupon, the
        points and the earning rules gave, JSON-ready."""
        return {
            "promotions": [
                {
                    "promotion": p.promotion_id,
                    "name": p.name,
                    "code": p.code,
                    "amount": str(p.amount),
                    "lines": {str(v): str(a) for v, a in p.line_discounts.items()},
                }
                for p in self.promotions
            ],
            "points_redeemed": self.points_redeemed,
            "points_discount": str(self.points_discount),
            "points_to_earn": self.points_to_earn,
            "earning": list(self.points_explanation),
            "tenders": [{"kind": t.kind, "amount": str(t.amount), "code_last4": t.code_last4} for t in self.tenders],
        }


def shipping_fee(*, channel: Channel, fulfilment_type: str | None, subtotal: Decimal) -> Decimal:
    """Delivery costs the configured fee below the free-shipping threshold; pickups are free."""
    if fulfilment_type != FulfilmentType.DELIVERY:
        return ZERO
    fee = Decimal(settings.OMNISHOP_DELIVERY_FEE.get(channel.currency, "0"))
    free_from = settings.OMNISHOP_FREE_DELIVERY_FROM.get(channel.currency)
    if free_from is not None and subtotal >= Decimal(free_from):
        return ZERO
    return fee


def _round(amount: Decimal, currency: str) -> Decimal:
    return money_round(Money(amount, currency)).amount


def _basket(*, lines, channel, customer, at, sold_at) -> tuple[Basket, dict[int, str]]:
    """Stage 1: list prices (or what a marketplace sold at), one query whatever the cart size."""
    variants = variants_sellable_with_price(ids=lines, channel=channel, at=at)
    problems = {}
    for variant_id in lines:
        if variant_id not in variants:
            problems[str(variant_id)] = [_("Not offered in channel %(channel)s.") % {"channel": channel.code}]
        elif variants[variant_id].price is None and variant_id not in sold_at:
            problems[str(variant_id)] = [_("No price in %(currency)s.") % {"currency": channel.currency}]
    if problems:
        raise NotSellable(errors=problems)
    basket_lines, names = [], {}
    for variant_id, quantity in lines.items():
        variant = variants[variant_id]
        unit = sold_at.get(variant_id, variant.price)
        label = " / ".join(p for p in (variant.size, variant.colour) if p)
        names[variant_id] = f"{variant.product_name} {label}".strip()
        basket_lines.append(
            BasketLine(
                variant_id=variant_id,
                sku=variant.sku,
                product_id=variant.product_id,
                category_ids=frozenset(variant.category_ids),
                brand_id=variant.brand_id,
                quantity=quantity,
                unit_price=unit,
                line_total=_round(unit * quantity, channel.currency),
                is_gift_card=variant.is_gift_card,
            )
        )
    basket = Basket(currency=channel.currency, channel=channel, customer=customer, lines=tuple(basket_lines), at=at)
    return basket, names


def _points_redemption(
    *, basket: Basket, spendable: int, points: int, discounts: dict[int, Decimal]
) -> tuple[int, Decimal, dict[int, Decimal]]:
    """Stage 4: as many of the asked-for points as the spendable balance and the goods left to
    pay take, as a discount shared across the lines (gift cards excluded)."""
    if points <= 0 or spendable <= 0:
        return 0, ZERO, {}
    left = {
        line.variant_id: line.line_total - discounts.get(line.variant_id, ZERO)
        for line in basket.lines
        if not line.is_gift_card
    }
    absorbable = points_for_amount(amount=sum(left.values(), ZERO), currency=basket.currency)
    used = min(points, spendable, absorbable)
    if used <= 0:
        return 0, ZERO, {}
    amount = points_value(points=used, currency=basket.currency)
    return used, amount, apportion(amount, left, basket.currency)


def _tenders(
    *, customer, currency: str, due: Decimal, gift_card_code: str, store_credit: Decimal | None, at
) -> tuple[Tender, ...]:
    """Stage 6: a gift card first, then store credit, each up to what is still to pay."""
    tenders = []
    if gift_card_code and due > 0:
        card = giftcard_check(code=gift_card_code, currency=currency, at=at)
        amount = min(card.balance, due)
        if amount > 0:
            tenders.append(Tender(kind=TenderKind.GIFT_CARD, amount=amount, code=gift_card_code.strip()))
            due -= amount
    if store_credit is not None and customer is not None and due > 0:
        wanted = due if store_credit <= 0 else min(store_credit, due)
        amount = min(store_credit_balance(customer=customer, currency=currency), wanted)
        if amount > 0:
            tenders.append(Tender(kind=TenderKind.STORE_CREDIT, amount=amount))
    return tuple(tenders)


def cart_lines_sellable(*, lines: dict[int, int], channel: Channel, at=None) -> None:
    """Stage 1 alone: raises ``NotSellable`` when a line cannot be sold in ``channel`` (a cart
    line being set is checked so, without running the promotions)."""
    _basket(lines=lines, channel=channel, customer=None, at=at or timezone.now(), sold_at={})


def cart_price(
    *,
    lines: dict[int, int],
    channel: Channel,
    customer=None,
    fulfilment_type: str | None = None,
    at=None,
    sold_at: dict[int, Decimal] | None = None,
    shipping: Decimal | None = None,
    coupon_code: str = "",
    points: int = 0,
    gift_card_code: str = "",
    store_credit: Decimal | None = None,
) -> PricedCart:
    """Price ``{variant_id: quantity}`` for ``customer`` (None: a guest) on ``channel``, through
    the stages of this module. A bounded number of queries whatever the number of lines and
    promotions.

    ``coupon_code``: applied after the automatic promotions (``CouponInvalid`` says why one
    cannot be). ``points``: points the customer wants to pay with (fewer are used when the
    balance or the basket takes fewer). ``gift_card_code`` and ``store_credit`` (an amount to use
    at most; 0: as much as there is) pay part of the total (``GiftCardInvalid`` for a card that
    cannot pay).
    ``sold_at`` and ``shipping``: the unit prices (by variant id) and the shipping a marketplace
    sold an order at, which its buyer already paid there: the one case the price list does not
    decide (the variants must still be sellable in the channel, a list price is not needed).
    Raises ``NotSellable`` naming each variant that is inactive, not published in the channel
    or has no price in the channel's currency.
    """
    at = at or timezone.now()
    sold_at = sold_at or {}
    currency = channel.currency
    basket, names = _basket(lines=lines, channel=channel, customer=customer, at=at, sold_at=sold_at)
    subtotal = sum((line.line_total for line in basket.lines), ZERO)

    discounts: dict[int, Decimal] = {}
    promotions: tuple[PricedPromotion, ...] = ()
    applied_code = ""
    redeemed, points_discount = 0, ZERO
    coupon, rules = UNREAD, None
    if customer is not None and customer.pk is not None:
        # A member's standing, coupon and earning rules in one read (a guest's: the coupon alone).
        code = "" if sold_at else coupon_code_normalise(coupon_code)
        reads = member_pricing_reads(customer=customer, coupon_code=code, at=at)
        standing, coupon, rules = reads.standing, reads.coupon, reads.rules
    else:
        standing = points_standing(customer=customer)  # read once for the promotions, redemption and quote
    if not sold_at:
        outcome = promotions_apply(basket=basket, coupon_code=coupon_code, tier_code=standing.tier_code, coupon=coupon)
        discounts = dict(outcome.line_discounts)
        applied_code = outcome.coupon_code
        promotions = tuple(
            PricedPromotion(
                promotion_id=a.promotion_id, name=a.name, code=a.code, amount=a.amount, line_discounts=a.line_discounts
            )
            for a in outcome.applied
        )
        redeemed, points_discount, by_points = _points_redemption(
            basket=basket, spendable=standing.balance, points=points, discounts=discounts
        )
        for variant_id, amount in by_points.items():
            discounts[variant_id] = discounts.get(variant_id, ZERO) + amount

    priced = [
        PricedLine(
            variant_id=line.variant_id,
            sku=line.sku,
            name=names[line.variant_id],
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=discounts.get(line.variant_id, ZERO),
            line_total=line.line_total,
            is_gift_card=line.is_gift_card,
        )
        for line in basket.lines
    ]
    discount_total = sum((p.discount for p in priced), ZERO)
    if shipping is None:
        # The free-delivery threshold counts what the goods cost after their discounts.
        shipping = shipping_fee(channel=channel, fulfilment_type=fulfilment_type, subtotal=subtotal - discount_total)
    total = _round(subtotal - discount_total + shipping, currency)
    net_by_variant = {p.variant_id: p.net_total for p in priced}
    quote = points_quote(
        basket=basket, net_by_variant=net_by_variant, shipping=shipping, standing=standing, rules=rules
    )
    tenders = _tenders(
        customer=customer, currency=currency, due=total, gift_card_code=gift_card_code, store_credit=store_credit, at=at
    )
    return PricedCart(
        currency=currency,
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_total=shipping,
        total=total,
        promotions=promotions,
        coupon_code=applied_code,
        points_redeemed=redeemed,
        points_discount=points_discount,
        points_to_earn=quote.points,
        points_explanation=tuple(quote.explanation),
        tenders=tenders,
    )
