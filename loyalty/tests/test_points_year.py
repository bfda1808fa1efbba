"""A year of one customer, the clock passed as ``now=``: earn in a store, spend on the app,
pending → spendable after the return window, tier up and down, lots expiring oldest first."""

from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.tests.factories import ChannelFactory
from customers.models import Customer
from loyalty.models import LoyaltyAccount, PointsLot, Tier, TierChange
from loyalty.selectors_points import points_spendable, points_summary
from loyalty.services.points import points_earn, points_expire_due, points_redeem, points_release_due
from loyalty.services.points_customer import points_drift_list
from loyalty.services.tiers import tiers_evaluate

from .points_helpers import T0

pytestmark = pytest.mark.django_db


def day(n: int):
    return T0 + timedelta(days=n)


def test_a_year_of_points():
    ChannelFactory(code="store-krk", kind="store")
    ChannelFactory(code="app", kind="app")
    silver = Tier.objects.create(code="silver", name="Silver", threshold=500, multiplier=Decimal("1.25"))
    anna = Customer.objects.create(first_name="Anna", email="anna@example.pl")

    def nightly(n):
        points_release_due(now=day(n))
        points_expire_due(now=day(n))
        tiers_evaluate(now=day(n))

    points_earn(customer=anna, points=300, reference="S-1", channel_code="store-krk", explanation=[], now=day(0))
    account = LoyaltyAccount.objects.get(customer=anna)
    nightly(29)
    assert points_spendable(customer=anna) == 0  # still in the return window
    nightly(30)
    assert points_spendable(customer=anna) == 300
    points_redeem(customer=anna, points=100, reference="A-1", channel_code="app", now=day(31))
    assert account.tier is None
    points_earn(customer=anna, points=250, reference="S-2", channel_code="store-krk", explanation=[], now=day(40))
    account.refresh_from_db()
    assert account.tier == silver  # 550 earned: up at once, on the earn
    nightly(70)
    assert points_spendable(customer=anna) == 450
    summary = points_summary(customer=anna, now=day(70))
    assert (summary.tier_code, summary.earned_12m) == ("silver", 550)

    # Day 366: S-1 leaves the 12-month window (250 earned): Silver is lost in the nightly run.
    nightly(366)
    account.refresh_from_db()
    assert account.tier is None
    assert list(TierChange.objects.order_by("id").values_list("reason", flat=True)) == ["earn", "nightly"]

    # S-1's lot (released day 30) expires on day 395 with its 200 left; S-2's lives on.
    nightly(394)
    assert points_spendable(customer=anna) == 450
    nightly(395)
    first, second = PointsLot.objects.order_by("created_at")
    assert (first.state, first.expired) == ("expired", 200)
    assert (second.state, second.remaining) == ("spendable", 250)
    assert points_spendable(customer=anna) == 250
    nightly(435)
    assert points_spendable(customer=anna) == 0
    assert points_drift_list() == []
