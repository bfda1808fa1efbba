"""member_pricing_reads: a member's standing, coupon and earning rules in one statement, each
exactly what its own read returns."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from catalog.tests.factories import ChannelFactory
from customers.models import Customer
from loyalty.models import Coupon, EarningRule, LoyaltyAccount, Promotion, Tier
from loyalty.selectors.pricing import member_pricing_reads
from loyalty.selectors_points import points_standing
from loyalty.services.points import points_adjust, points_earn
from omnishop.accounts.tests.factories import UserFactory

from .points_helpers import T0

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.fixture
def anna():
    agent = UserFactory(is_staff=True)
    agent.user_permissions.add(Permission.objects.get(codename="grant_points"))
    agent = UserFactory._meta.model.objects.get(pk=agent.pk)
    ChannelFactory(code="app", kind="app")
    gold = Tier.objects.create(code="gold", name="Złoty", threshold=10, multiplier=Decimal("1.25"), benefits="Więcej")
    customer = Customer.objects.create(first_name="Anna", email="anna@example.pl")
    points_adjust(customer=customer, points=420, reason="Welcome", actor=agent, now=T0)
    points_earn(customer=customer, points=15, reference="OS-1", channel_code="app", explanation=[], now=T0)
    assert LoyaltyAccount.objects.get(customer=customer).tier == gold
    return customer


@pytest.fixture
def rules():
    live = [
        EarningRule.objects.create(name="1 pkt za 1 zł", kind="per_amount", points_per_unit=Decimal("1.50")),
        EarningRule.objects.create(
            name="Buty x2",
            kind="multiplier",
            multiplier=Decimal("2.00"),
            priority=5,
            category_ids=[3, 4],
            brand_ids=[9],
            tier_codes=["gold"],
            channel_kinds=["app", "web"],
            valid_from=T0 - timedelta(days=1),
            valid_to=T0 + timedelta(days=1),
        ),
        EarningRule.objects.create(name="Aplikacja", kind="bonus", bonus_points=50, first_app_order=True, stop=True),
    ]
    EarningRule.objects.create(name="Wyłączona", kind="bonus", bonus_points=5, is_active=False)
    EarningRule.objects.create(name="Po czasie", kind="bonus", bonus_points=5, valid_to=T0)
    EarningRule.objects.create(name="Za wcześnie", kind="bonus", bonus_points=5, valid_from=T0 + timedelta(seconds=1))
    return live


def test_the_one_read_returns_what_the_three_reads_return(anna, rules, django_assert_num_queries):
    promotion = Promotion.objects.create(name="Kupon", kind="fixed", value=Decimal("20.00"))
    coupon = Coupon.objects.create(code="Wiosna20", promotion=promotion, expires_at=T0 + timedelta(days=3))
    with django_assert_num_queries(1):
        reads = member_pricing_reads(customer=anna, coupon_code="WIOSNA20", at=T0)
    standing = points_standing(customer=anna)
    assert reads.standing == standing and (standing.balance, standing.has_app_earn) == (420, True)
    assert _fields(reads.standing.tier) == _fields(standing.tier)
    assert _fields(reads.coupon) == _fields(Coupon.objects.get(pk=coupon.pk))
    expected = EarningRule.objects.filter(pk__in=[r.pk for r in rules]).order_by("priority", "id")
    assert [_fields(r) for r in reads.rules] == [_fields(r) for r in expected]
    assert isinstance(reads.rules[1].points_per_unit, Decimal) and str(reads.rules[1].points_per_unit) == "1.50"


def test_no_account_no_code_and_an_unknown_code(rules):
    jan = Customer.objects.create(first_name="Jan", email="jan@example.pl")
    reads = member_pricing_reads(customer=jan, coupon_code="", at=T0)
    assert reads.standing == points_standing(customer=jan) and reads.coupon is None and len(reads.rules) == 3
    Coupon.objects.create(code="KOD", promotion=Promotion.objects.create(name="P", kind="percent", value=10))
    assert member_pricing_reads(customer=jan, coupon_code="INNY", at=T0).coupon is None
    assert member_pricing_reads(customer=jan, coupon_code="KOD", at=T0).coupon.code == "KOD"


def test_a_reversed_app_earn_is_no_app_earn(anna):
    from loyalty.services.points import points_order_reverse

    points_order_reverse(reference="OS-1", now=T0)
    reads = member_pricing_reads(customer=anna, coupon_code="", at=T0)
    assert reads.standing.has_app_earn is False and reads.standing == points_standing(customer=anna)
