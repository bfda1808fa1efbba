"""promotions_apply: every kind and scope, stacking, targeting, the rounding and CouponInvalid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Channel
from catalog.tests.factories import BrandFactory, CategoryFactory, ChannelFactory, VariantFactory
from loyalty.exceptions import CouponInvalid
from loyalty.models import Promotion
from loyalty.promotions import promotions_apply

from .promotions_factories import CouponFactory, CustomerFactory, PromotionFactory, basket, line

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def web():
    return ChannelFactory(code="web", kind=Channel.Kind.WEB)


@pytest.fixture
def till():
    return ChannelFactory(code="till", kind=Channel.Kind.STORE)


def _message(excinfo) -> str:
    return excinfo.value.errors["coupon_code"][0]


def test_no_promotion_no_discount(web):
    outcome = promotions_apply(basket=basket(line(1, "100"), channel=web))
    assert outcome.applied == () and outcome.discount_total == 0 and outcome.coupon_code == ""


def test_percent_on_the_cart_is_apportioned_and_sums(web):
    PromotionFactory(automatic=True, value=D("10"))
    outcome = promotions_apply(basket=basket(line(1, "33.33"), line(2, "33.33"), line(3, "33.34"), channel=web))
    assert outcome.discount_total == D("10.00")
    assert sum(outcome.line_discounts.values()) == D("10.00")
    assert outcome.line_discounts == {1: D("3.33"), 2: D("3.33"), 3: D("3.34")}


def test_fixed_on_the_cart_spread_by_largest_remainder(web):
    PromotionFactory(automatic=True, kind=Promotion.Kind.FIXED, value=D("10"))
    outcome = promotions_apply(basket=basket(line(1, "10"), line(2, "10"), line(3, "10"), channel=web))
    assert outcome.line_discounts == {1: D("3.34"), 2: D("3.33"), 3: D("3.33")}
    assert outcome.discount_total == D("10.00")


def test_fixed_never_above_the_lines(web):
    PromotionFactory(automatic=True, kind=Promotion.Kind.FIXED, value=D("500"))
    outcome = promotions_apply(basket=basket(line(1, "20"), line(2, "5.50"), channel=web))
    assert outcome.line_discounts == {1: D("20.00"), 2: D("5.50")}


def test_gift_cards_never_discounted_nor_counted_for_minimum(web):
    PromotionFactory(automatic=True, value=D("50"), min_basket_amount=D("100"))
    small = basket(line(1, "60"), line(2, "200", gift=True), channel=web)
    assert promotions_apply(basket=small).discount_total == 0
    big = basket(line(1, "120"), line(2, "200", gift=True), channel=web)
    assert promotions_apply(basket=big).line_discounts == {1: D("60.00")}


def test_category_scope_covers_descendants(web):
    shoes = CategoryFactory(name="Buty")
    sneakers = CategoryFactory(name="Sneakersy", parent=shoes)
    shirts = CategoryFactory(name="Koszule")
    promotion = PromotionFactory(automatic=True, scope=Promotion.Scope.CATEGORIES, value=D("20"))
    promotion.categories.add(shoes)
    outcome = promotions_apply(
        basket=basket(
            line(1, "100", categories={sneakers.pk, shoes.pk}), line(2, "100", categories={shirts.pk}), channel=web
        )
    )
    assert outcome.line_discounts == {1: D("20.00")}


def test_brand_and_variant_scopes(web):
    nike, puma = BrandFactory(), BrandFactory()
    by_brand = PromotionFactory(automatic=True, scope=Promotion.Scope.BRANDS, value=D("10"))
    by_brand.brands.add(nike)
    v1, v2 = VariantFactory(), VariantFactory()
    by_sku = PromotionFactory(automatic=True, scope=Promotion.Scope.VARIANTS, kind="fixed", value=D("5"))
    by_sku.variants.add(v2)
    outcome = promotions_apply(
        basket=basket(line(v1.pk, "100", brand=nike.pk), line(v2.pk, "50", brand=puma.pk), channel=web)
    )
    assert outcome.line_discounts == {v1.pk: D("10.00"), v2.pk: D("5.00")}
    assert {a.promotion_id for a in outcome.applied} == {by_brand.pk, by_sku.pk}


def test_buy_two_get_one_free_cheapest(web):
    PromotionFactory(automatic=True, kind=Promotion.Kind.BUY_X_GET_Y, buy_quantity=2, get_quantity=1)
    outcome = promotions_apply(basket=basket(line(1, "100", 2), line(2, "30", 1), line(3, "80", 3), channel=web))
    # 6 units → 2 free: the cheapest two are 30 and 80.
    assert outcome.line_discounts == {2: D("30.00"), 3: D("80.00")}
    assert outcome.applied[0].explanation == "Buy 2, get 1 free"


def test_buy_x_get_y_half_price_dearest(web):
    PromotionFactory(
        automatic=True, kind="buy_x_get_y", buy_quantity=1, get_quantity=1, get_discount_percent=D("50"),
        cheapest_free=False,
    )  # fmt: skip
    outcome = promotions_apply(basket=basket(line(1, "99.99", 1), line(2, "10.01", 1), channel=web))
    assert outcome.line_discounts == {1: D("50.00")}  # 49.995 rounded half up once


def test_buy_x_get_y_not_enough_units(web):
    PromotionFactory(automatic=True, kind="buy_x_get_y", buy_quantity=2, get_quantity=1)
    assert promotions_apply(basket=basket(line(1, "10", 2), channel=web)).discount_total == 0


def test_dates_and_activity(web):
    now = timezone.now()
    PromotionFactory(automatic=True, valid_from=now + timedelta(days=1))
    PromotionFactory(automatic=True, valid_to=now - timedelta(seconds=1))
    PromotionFactory(automatic=True, is_active=False)
    assert promotions_apply(basket=basket(line(1, "100"), channel=web, at=now)).applied == ()
    current = PromotionFactory(automatic=True, valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=1))
    assert [a.promotion_id for a in promotions_apply(basket=basket(line(1, "100"), channel=web, at=now)).applied] == [
        current.pk
    ]


def test_channel_kinds_and_channels(web, till):
    store_only = PromotionFactory(automatic=True, channel_kinds=[Channel.Kind.STORE])
    app = ChannelFactory(code="app", kind=Channel.Kind.APP)
    app_only = PromotionFactory(automatic=True, value=D("5"))
    app_only.channels.add(app)
    assert promotions_apply(basket=basket(line(1, "100"), channel=web)).applied == ()
    assert [a.promotion_id for a in promotions_apply(basket=basket(line(1, "100"), channel=till)).applied] == [
        store_only.pk
    ]
    assert [a.promotion_id for a in promotions_apply(basket=basket(line(1, "100"), channel=app)).applied] == [
        app_only.pk
    ]


def test_tier_and_customer_targeting(web):
    anna, jan = CustomerFactory(), CustomerFactory()
    gold = PromotionFactory(automatic=True, target_tier_codes=["gold"])
    for_anna = PromotionFactory(automatic=True, value=D("5"))
    for_anna.target_customers.add(anna)
    assert promotions_apply(basket=basket(line(1, "100"), channel=web, customer=jan)).applied == ()
    got = promotions_apply(basket=basket(line(1, "100"), channel=web, customer=jan), tier_code="gold")
    assert [a.promotion_id for a in got.applied] == [gold.pk]
    got = promotions_apply(basket=basket(line(1, "100"), channel=web, customer=anna))
    assert [a.promotion_id for a in got.applied] == [for_anna.pk]
    assert promotions_apply(basket=basket(line(1, "100"), channel=web)).applied == ()  # a guest


def test_automatic_stack_in_priority_order(web):
    first = PromotionFactory(automatic=True, value=D("10"), priority=1)
    second = PromotionFactory(automatic=True, kind="fixed", value=D("10"), priority=2)
    outcome = promotions_apply(basket=basket(line(1, "100"), channel=web))
    assert [a.promotion_id for a in outcome.applied] == [first.pk, second.pk]
    assert outcome.line_discounts == {1: D("20.00")}
    first.priority = 3
    first.save()
    outcome = promotions_apply(basket=basket(line(1, "100"), channel=web))
    assert [a.amount for a in outcome.applied] == [D("10.00"), D("9.00")]  # 10% of the 90 left


def test_exclusive_automatic_is_alone(web):
    PromotionFactory(automatic=True, value=D("10"), priority=1)
    exclusive = PromotionFactory(automatic=True, value=D("30"), priority=5, exclusive=True)
    PromotionFactory(automatic=True, value=D("40"), priority=9, exclusive=True)
    outcome = promotions_apply(basket=basket(line(1, "100"), channel=web))
    assert [a.promotion_id for a in outcome.applied] == [exclusive.pk]
    assert outcome.discount_total == D("30.00")


def test_exclusive_that_does_not_fit_leaves_the_others(web):
    PromotionFactory(automatic=True, exclusive=True, value=D("30"), min_basket_amount=D("500"))
    other = PromotionFactory(automatic=True, value=D("10"))
    assert [a.promotion_id for a in promotions_apply(basket=basket(line(1, "100"), channel=web)).applied] == [other.pk]


def test_coupon_applies_after_automatic_on_discounted_lines(web):
    PromotionFactory(automatic=True, value=D("10"))
    CouponFactory(code="WIOSNA", promotion=PromotionFactory(value=D("50")))
    outcome = promotions_apply(basket=basket(line(1, "100"), channel=web), coupon_code=" wiosna ")
    assert outcome.coupon_code == "WIOSNA"
    assert [(a.code, a.amount) for a in outcome.applied] == [("", D("10.00")), ("WIOSNA", D("45.00"))]
    assert outcome.discount_total == D("55.00")


def test_exclusive_coupon_replaces_automatic(web):
    PromotionFactory(automatic=True, value=D("10"))
    CouponFactory(code="SOLO", promotion=PromotionFactory(value=D("20"), exclusive=True))
    outcome = promotions_apply(basket=basket(line(1, "100"), channel=web), coupon_code="solo")
    assert [(a.code, a.amount) for a in outcome.applied] == [("SOLO", D("20.00"))]


def test_coupon_refused_beside_exclusive_automatic(web):
    PromotionFactory(automatic=True, value=D("10"), exclusive=True, name="Black Friday")
    CouponFactory(code="EXTRA")
    with pytest.raises(CouponInvalid) as excinfo:
        promotions_apply(basket=basket(line(1, "100"), channel=web), coupon_code="EXTRA")
    assert "Black Friday" in _message(excinfo)


def test_line_discount_never_above_line_total(web):
    PromotionFactory(automatic=True, value=D("90"))
    CouponFactory(code="ALL", promotion=PromotionFactory(kind="fixed", value=D("1000")))
    outcome = promotions_apply(basket=basket(line(1, "10.01"), line(2, "0.03"), channel=web), coupon_code="ALL")
    assert outcome.line_discounts == {1: D("10.01"), 2: D("0.03")}


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({}, "Unknown coupon code."),
        ({"coupon": {"expires_at": timezone.now() - timedelta(days=1)}}, "expired"),
        ({"promotion": {"valid_from": timezone.now() + timedelta(days=2)}}, "starts on"),
        ({"promotion": {"valid_to": timezone.now() - timedelta(days=2)}}, "ended on"),
        ({"promotion": {"is_active": False}}, "no longer active"),
        ({"promotion": {"channel_kinds": ["store"]}}, "not available in this channel"),
        ({"promotion": {"target_tier_codes": ["gold"]}}, "selected customers"),
        ({"promotion": {"min_basket_amount": D("500")}}, "must reach"),
        ({"promotion": {"max_uses": 1, "uses": 1}}, "used up"),
        ({"coupon": {"single_use": True, "uses": 1}}, "already been used"),
        ({"promotion": {"scope": "brands"}}, "Nothing in the basket"),
        ({"promotion": {"kind": "fixed", "currency": "EUR"}}, "only available in EUR"),
    ],
)
def test_coupon_invalid_says_why(web, setup, expected):
    if setup:
        promotion = PromotionFactory(**setup.get("promotion", {}))
        CouponFactory(code="KOD", promotion=promotion, **setup.get("coupon", {}))
    customer = CustomerFactory()
    with pytest.raises(CouponInvalid) as excinfo:
        promotions_apply(basket=basket(line(1, "100"), channel=web, customer=customer), coupon_code="kod")
    assert expected in _message(excinfo)
    assert excinfo.value.status_code == 400


def test_personal_coupon_only_for_its_customer(web):
    anna, jan = CustomerFactory(), CustomerFactory()
    CouponFactory(code="ANNA1", customer=anna, single_use=True)
    with pytest.raises(CouponInvalid) as excinfo:
        promotions_apply(basket=basket(line(1, "100"), channel=web, customer=jan), coupon_code="ANNA1")
    assert "personal" in _message(excinfo)
    with pytest.raises(CouponInvalid):
        promotions_apply(basket=basket(line(1, "100"), channel=web), coupon_code="ANNA1")
    assert promotions_apply(basket=basket(line(1, "100"), channel=web, customer=anna), coupon_code="ANNA1").applied


def test_per_customer_limit_counts_live_redemptions(web):
    from loyalty.services.coupons import coupon_redeem

    anna = CustomerFactory()
    CouponFactory(code="TWICE", promotion=PromotionFactory(max_uses_per_customer=1))
    coupon_redeem(code="TWICE", customer=anna, channel_code="web", reference="N1", amount=D("1"), currency="PLN")
    with pytest.raises(CouponInvalid) as excinfo:
        promotions_apply(basket=basket(line(1, "100"), channel=web, customer=anna), coupon_code="TWICE")
    assert "maximum number of times" in _message(excinfo)


def test_three_queries_whatever_the_size(web, django_assert_max_num_queries):
    anna = CustomerFactory()
    cats = [CategoryFactory() for _ in range(3)]
    for i in range(6):
        promotion = PromotionFactory(automatic=True, scope="categories", value=D("1"), priority=i)
        promotion.categories.add(*cats)
        promotion.target_customers.add(anna)
    CouponFactory(code="BIG", promotion=PromotionFactory(max_uses_per_customer=5))
    lines = [line(i, "10", categories={cats[i % 3].pk}) for i in range(1, 40)]
    with django_assert_max_num_queries(3):
        outcome = promotions_apply(basket=basket(*lines, channel=web, customer=anna), coupon_code="BIG")
    assert len(outcome.applied) == 7
