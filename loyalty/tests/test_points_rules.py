from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.tests.factories import ChannelFactory
from customers.models import Customer
from loyalty.models import EarningRule, Tier
from loyalty.selectors_points import points_quote
from loyalty.services.points import points_earn

from .points_helpers import T0, basket, line, net

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return Customer.objects.create(first_name="Anna", email="anna@example.pl")


def rule(name, kind, **kw):
    return EarningRule.objects.create(name=name, kind=kind, **kw)


def test_one_point_per_pln_skips_gift_cards_and_shipping(anna, django_assert_max_num_queries):
    base = rule("1 pt / PLN", "per_amount", points_per_unit=Decimal("1"), priority=100)
    b = basket([line(1, "99.99"), line(2, "100.00", gift=True)], customer=anna)
    with django_assert_max_num_queries(2):
        quote = points_quote(basket=b, net_by_variant=net(b), shipping=Decimal("14.99"))
    assert quote.points == 99
    assert quote.explanation == [{"rule": base.pk, "name": "1 pt / PLN", "kind": "per_amount", "points": 99}]


def test_query_count_does_not_grow_with_lines_or_rules(anna, django_assert_max_num_queries):
    for i in range(20):
        rule(f"brand {i}", "multiplier", multiplier=Decimal("1.1"), brand_ids=[i])
    rule("base", "per_amount", points_per_unit=Decimal("1"))
    b = basket([line(i, "10.00", brand=i % 20) for i in range(1, 60)], customer=anna)
    with django_assert_max_num_queries(2):
        quote = points_quote(basket=b, net_by_variant=net(b))
    assert quote.points > 590


def test_order_multipliers_tier_and_stop(anna):
    gold = Tier.objects.create(code="gold", name="Gold", threshold=1000, multiplier=Decimal("1.5"))
    anna_account = points_earn(customer=anna, points=1, reference="X", channel_code="", explanation=[])
    anna_account.account.tier = gold
    anna_account.account.save()
    rule("shoes 2x", "per_amount", points_per_unit=Decimal("2"), category_ids=[7], stop=False, priority=10)
    rule("base", "per_amount", points_per_unit=Decimal("1"), priority=100)
    rule("app x2", "multiplier", multiplier=Decimal("2"), channel_kinds=["app"], priority=10, stop=True)
    rule("brand x3", "multiplier", multiplier=Decimal("3"), brand_ids=[5], priority=20)
    rule("excluded brand", "exclusion", brand_ids=[9])
    b = basket(
        [line(1, "10.00", categories=[7, 3]), line(2, "10.00", brand=5), line(3, "50.00", brand=9)],
        customer=anna,
        kind="app",
    )
    quote = points_quote(basket=b, net_by_variant=net(b))
    by_name = {e["name"]: e["points"] for e in quote.explanation}
    # line 1: 2*10 + 1*10 = 30, x2 app = 60; line 2: 10, x2 app = 20 (stop: brand x3 skipped); x1.5 tier
    assert by_name["shoes 2x"] == 20
    assert by_name["base"] == 20
    assert by_name["app x2"] == 40
    assert "brand x3" not in by_name
    assert by_name["Gold"] == 40
    assert by_name["excluded brand"] == 0
    assert quote.points == 120 == sum(by_name.values())


def test_campaign_window_and_tier_filter(anna):
    rule(
        "campaign",
        "per_amount",
        points_per_unit=Decimal("5"),
        valid_from=T0 - timedelta(days=1),
        valid_to=T0 + timedelta(days=1),
    )
    rule("gold only", "bonus", bonus_points=500, tier_codes=["gold"])
    b = basket([line(1, "10.00")], customer=anna)
    assert points_quote(basket=b, net_by_variant=net(b)).points == 50
    later = basket([line(1, "10.00")], customer=anna, at=T0 + timedelta(days=2))
    assert points_quote(basket=later, net_by_variant=net(later)).points == 0


def test_first_app_order_bonus_from_loyaltys_own_ledger(anna):
    ChannelFactory(code="app", kind="app")
    rule("welcome to the app", "bonus", bonus_points=200, first_app_order=True, channel_kinds=["app"])
    b = basket([line(1, "10.00")], customer=anna, kind="app")
    assert points_quote(basket=b, net_by_variant=net(b)).points == 200
    web = basket([line(1, "10.00")], customer=anna, kind="web")
    assert points_quote(basket=web, net_by_variant=net(web)).points == 0
    points_earn(customer=anna, points=200, reference="OS-1", channel_code="app", explanation=[])
    assert points_quote(basket=b, net_by_variant=net(b)).points == 0


def test_a_guest_earns_nothing(django_assert_num_queries):
    rule("base", "per_amount", points_per_unit=Decimal("1"))
    b = basket([line(1, "10.00")], customer=None)
    with django_assert_num_queries(0):
        assert points_quote(basket=b, net_by_variant=net(b)).points == 0
