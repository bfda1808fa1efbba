"""points_order_book: an order's redeem and earn booked together on the locked account write
exactly what points_redeem then points_earn write, in three statements."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction

from catalog.tests.factories import ChannelFactory
from customers.models import Customer
from loyalty.exceptions import InsufficientPoints
from loyalty.models import LoyaltyAccount, PointsEntry, PointsLot, Tier, TierChange
from loyalty.services.points import (
    points_account_lock,
    points_adjust,
    points_earn,
    points_order_book,
    points_order_reverse,
    points_redeem,
)
from omnishop.accounts.tests.factories import UserFactory
from omnishop.outbox.models import OutboxEvent
from omnishop.outbox.services import outbox_batch

from .points_helpers import T0

pytestmark = pytest.mark.django_db

EXPLANATION = [{"rule": 7, "name": "1 pkt za 1 zł", "kind": "per_amount", "points": 80}]


@pytest.fixture
def agent():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="grant_points"))
    return UserFactory._meta.model.objects.get(pk=user.pk)


@pytest.fixture
def members(agent):
    ChannelFactory(code="app", kind="app")
    Tier.objects.create(code="silver", name="Srebrny", threshold=50, multiplier=Decimal("1.5"))
    pair = []
    for name in ("Anna", "Jan"):
        customer = Customer.objects.create(first_name=name, email=f"{name.lower()}@example.pl")
        points_adjust(customer=customer, points=300, reason="Welcome", actor=agent, now=T0)
        pair.append(customer)
    return pair


def _written(customer) -> dict:
    account = LoyaltyAccount.objects.get(customer=customer)
    reference_of = dict(PointsLot.objects.filter(account=account).values_list("id", "reference"))

    def explained(entry):  # the lots a redemption took from, named by their reference (ids differ)
        if entry.kind != "redeem":
            return entry.explanation
        return [(reference_of[part["lot"]], part["points"]) for part in entry.explanation]

    entries = [
        (e.kind, e.points, e.affects, e.source, e.reference, e.channel_code, e.channel_kind, explained(e), e.actor_id)
        for e in PointsEntry.objects.filter(account=account, reference="OS-1").order_by("kind")
    ]
    earn = PointsEntry.objects.filter(account=account, kind="earn").select_related("lot").first()
    lots = [
        (lot.points, lot.remaining, lot.state, lot.release_at, lot.expires_at, lot.reference, lot.created_at)
        for lot in PointsLot.objects.filter(account=account).order_by("id")
    ]
    events = [
        (e.type, {k: v for k, v in e.payload.items() if k not in ("account_id", "customer_id")})
        for e in OutboxEvent.objects.filter(aggregate_id=str(account.pk)).order_by("created_at", "id")
        if e.type in ("loyalty.points_redeemed", "loyalty.points_earned", "loyalty.tier_changed")
    ]
    tiers = list(TierChange.objects.filter(account=account).values_list("to_tier__code", "earned_12m", "reason"))
    return {
        "counters": (account.balance, account.pending, account.tier.code if account.tier else None),
        "entries": entries,
        "earn_lot": (earn.lot.points, earn.lot.reference) if earn else None,
        "lots": lots,
        "events": sorted(events, key=lambda e: e[0]),
        "tiers": tiers,
    }


def test_booking_writes_what_redeem_then_earn_write(members, agent):
    anna, jan = members
    with transaction.atomic():
        points_redeem(customer=anna, points=120, reference="OS-1", channel_code="app", actor=agent, now=T0)
        points_earn(
            customer=anna, points=80, reference="OS-1", channel_code="app", explanation=EXPLANATION, actor=agent, now=T0
        )
    with transaction.atomic():
        account = points_account_lock(customer=jan)
        points_order_book(
            customer=jan,
            account=account,
            redeem=120,
            earn=80,
            reference="OS-1",
            channel_code="app",
            channel_kind="app",
            explanation=EXPLANATION,
            actor=agent,
            now=T0,
        )
    assert _written(jan) == _written(anna)
    assert _written(jan)["counters"] == (180, 80, "silver")
    earn = PointsEntry.objects.get(account__customer=jan, kind="earn")
    assert earn.lot.entries.get() == earn and earn.lot.expires_at == T0 + timedelta(days=30 + 365)


def test_booking_takes_three_statements_whatever_it_books(members, django_assert_num_queries):
    _anna, jan = members
    with transaction.atomic(), outbox_batch():
        account = points_account_lock(customer=jan)
        # the lots spent; the lot, both entries and the counters; the tier check (no move: 40 < 50)
        with django_assert_num_queries(3):
            points_order_book(
                customer=jan,
                account=account,
                redeem=250,
                earn=40,
                reference="OS-1",
                channel_code="app",
                channel_kind="app",
                explanation=[],
            )
    account = LoyaltyAccount.objects.get(customer=jan)
    assert (account.balance, account.pending) == (50, 40)
    assert PointsEntry.objects.filter(account=account, reference="OS-1").count() == 2


@pytest.mark.parametrize(("redeem", "earn"), [(50, 0), (0, 40)])
def test_booking_only_a_redeem_or_only_an_earn(members, redeem, earn):
    anna, jan = members
    with transaction.atomic():
        if redeem:
            points_redeem(customer=anna, points=redeem, reference="OS-1", channel_code="app", now=T0)
        if earn:
            points_earn(customer=anna, points=earn, reference="OS-1", channel_code="app", explanation=[], now=T0)
    with transaction.atomic():
        account = points_account_lock(customer=jan)
        points_order_book(
            customer=jan,
            account=account,
            redeem=redeem,
            earn=earn,
            reference="OS-1",
            channel_code="app",
            channel_kind="",
            explanation=[],
            now=T0,
        )
    assert _written(jan) == _written(anna)


def test_booking_more_than_the_balance_refuses_and_writes_nothing(members):
    _anna, jan = members
    with pytest.raises(InsufficientPoints), transaction.atomic():
        account = points_account_lock(customer=jan)
        points_order_book(
            customer=jan,
            account=account,
            redeem=301,
            earn=10,
            reference="OS-1",
            channel_code="app",
            channel_kind="app",
            explanation=[],
        )
    assert (LoyaltyAccount.objects.get(customer=jan).balance, PointsEntry.objects.filter(reference="OS-1").count()) == (
        300,
        0,
    )


def test_a_booked_order_is_reversed_like_one_redeemed_and_earned_apart(members):
    _anna, jan = members
    with transaction.atomic():
        account = points_account_lock(customer=jan)
        points_order_book(
            customer=jan,
            account=account,
            redeem=100,
            earn=60,
            reference="OS-1",
            channel_code="app",
            channel_kind="app",
            explanation=[],
            now=T0,
        )
    points_order_reverse(reference="OS-1", now=T0)
    account = LoyaltyAccount.objects.get(customer=jan)
    assert (account.balance, account.pending) == (300, 0)
    assert PointsLot.objects.get(account=account, reference="OS-1").state == PointsLot.State.VOIDED
    points_order_reverse(reference="OS-1", now=T0)  # idempotent
    assert PointsEntry.objects.filter(account=account, kind="reverse").count() == 2


def test_booking_nothing_writes_nothing(members, django_assert_num_queries):
    _anna, jan = members
    with transaction.atomic():
        account = points_account_lock(customer=jan)
        with django_assert_num_queries(0):
            points_order_book(
                customer=jan,
                account=account,
                redeem=0,
                earn=0,
                reference="OS-1",
                channel_code="app",
                channel_kind="app",
                explanation=[],
            )
