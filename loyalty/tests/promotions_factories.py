"""Factories and basket helpers of the promotions tests."""

from decimal import Decimal

import factory
from django.utils import timezone

from catalog.tests.factories import ChannelFactory  # noqa: F401  (re-exported for the tests)
from customers.models import Customer
from loyalty.basket import Basket, BasketLine
from loyalty.models import Coupon, Promotion


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Nowak{n}")
    email = factory.Sequence(lambda n: f"klient{n}@example.pl")


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Promotion {n}")
    kind = Promotion.Kind.PERCENT
    value = Decimal("10")
    scope = Promotion.Scope.CART
    currency = "PLN"


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"CODE{n:05d}")
    promotion = factory.SubFactory(PromotionFactory)


def line(variant_id, price, quantity=1, *, categories=(), brand=None, gift=False, sku=None) -> BasketLine:
    price = Decimal(str(price))
    return BasketLine(
        variant_id=variant_id,
        sku=sku or f"SKU-{variant_id}",
        product_id=variant_id,
        category_ids=frozenset(categories),
        brand_id=brand,
        quantity=quantity,
        unit_price=price,
        line_total=(price * quantity).quantize(Decimal("0.01")),
        is_gift_card=gift,
    )


def basket(*lines, channel, customer=None, at=None, currency="PLN") -> Basket:
    return Basket(currency=currency, channel=channel, customer=customer, lines=tuple(lines), at=at or timezone.now())
