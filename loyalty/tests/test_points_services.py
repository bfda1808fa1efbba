from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.tests.factories import ChannelFactory
from customers.models import Consent, Customer
from customers.services import customer_merge
from loyalty.exceptions import InsufficientPoints, InvalidPointsRequest
from loyalty.models import LoyaltyAccount, PointsEntry, PointsLot, Tier
from loyalty.selectors_points import points_for_amount, points_spendable, points_summary, points_value
from loyalty.services.points import (
    PointsPermissionDenied,
    points_adjust,
    points_earn,
    points_expire_due,
    points_order_reverse,
    points_redeem,
    points_release_due,
)
from loyalty.services.points_customer import points_drift_list, points_expiry_notices_send
from omnishop.accounts.tests.factories import UserFactory
from omnishop.notifications.models import Notification
from omnishop.outbox.models import OutboxEvent

from .points_helpers import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return Customer.objects.create(first_name="Anna", email="anna@example.pl")


@pytest.fixture
def agent():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="grant_points"))
    return UserFactory._meta.model.objects.get(pk=user.pk)


def spendable(anna, points, agent, now=T0):
    return points_adjust(customer=anna, points=points, reason="goodwill", actor=agent, now=now)


def test_earn_is_pending_until_released(anna):
    ChannelFactory(code="web")
    entry = points_earn(
        customer=anna, points=120, reference="OS-1", channel_code="web", explanation=[{"rule": 1}], now=T0
    )
    account = LoyaltyAccount.objects.get(customer=anna)
    assert (account.balance, account.pending) == (0, 120)
    assert entry.channel_kind == "web" and entry.lot.release_at == T0 + timedelta(days=30)
    assert entry.lot.expires_at == T0 + timedelta(days=30 + 365)
    with pytest.raises(InsufficientPoints) as exc:
        points_redeem(customer=anna, points=1, reference="OS-2", channel_code="web")
    assert exc.value.status_code == 409 and "points" in exc.value.errors
    assert points_release_due(now=T0 + timedelta(days=29)) == 0
    assert points_release_due(now=T0 + timedelta(days=30)) == 1
    account.refresh_from_db()
    assert (account.balance, account.pending) == (120, 0)
    assert OutboxEvent.objects.filter(type="loyalty.points_released").count() == 1
    assert points_drift_list() == []


def test_zero_earn_is_nothing(anna):
    assert points_earn(customer=anna, points=0, reference="OS-1", channel_code="", explanation=[]) is None
    assert not PointsEntry.objects.exists()


def test_redeem_spends_soonest_expiring_lots_first(anna, agent):
    late = spendable(anna, 100, agent, now=T0 + timedelta(days=10)).lot
    early = spendable(anna, 100, agent, now=T0).lot
    entry = points_redeem(customer=anna, points=150, reference="OS-9", channel_code="")
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.remaining, late.remaining) == (0, 50)
    assert entry.explanation == [{"lot": early.pk, "points": 100}, {"lot": late.pk, "points": 50}]
    assert points_spendable(customer=anna) == 50


def test_reverse_gives_back_redeemed_and_removes_earned_once(anna, agent):
    spendable(anna, 300, agent)
    points_redeem(customer=anna, points=200, reference="OS-5", channel_code="", now=T0)
    points_earn(customer=anna, points=40, reference="OS-5", channel_code="", explanation=[], now=T0)
    points_order_reverse(reference="OS-5", now=T0 + timedelta(days=1))
    account = LoyaltyAccount.objects.get(customer=anna)
    assert (account.balance, account.pending) == (300, 0)
    assert PointsLot.objects.get(reference="OS-5").state == PointsLot.State.VOIDED
    points_order_reverse(reference="OS-5")
    assert PointsEntry.objects.filter(kind="reverse").count() == 2
    assert points_drift_list() == []


def test_reverse_of_released_earn_claws_back_as_far_as_the_balance_goes(anna):
    points_earn(customer=anna, points=100, reference="OS-7", channel_code="", explanation=[], now=T0)
    points_release_due(now=T0 + timedelta(days=31))
    points_redeem(customer=anna, points=70, reference="OS-8", channel_code="")
    points_order_reverse(reference="OS-7")
    account = LoyaltyAccount.objects.get(customer=anna)
    assert account.balance == 0
    reverse = PointsEntry.objects.get(kind="reverse")
    assert reverse.points == -30 and {"forgiven": 70} in reverse.explanation
    assert points_drift_list() == []


def test_adjust_needs_permission_and_reason(anna, agent):
    with pytest.raises(InvalidPointsRequest) as exc:
        points_adjust(customer=anna, points=10, reason=" ", actor=agent)
    assert "reason" in exc.value.errors
    with pytest.raises(PointsPermissionDenied):
        points_adjust(customer=anna, points=10, reason="sorry", actor=UserFactory(is_staff=True))
    entry = points_adjust(customer=anna, points=10, reason="sorry", actor=agent)
    assert entry.kind == "bonus" and entry.actor == agent and entry.source == "agent"
    with pytest.raises(InsufficientPoints):
        points_adjust(customer=anna, points=-11, reason="mistake", actor=agent)
    points_adjust(customer=anna, points=-10, reason="mistake", actor=agent)
    assert points_spendable(customer=anna) == 0
    assert OutboxEvent.objects.filter(type="loyalty.points_adjusted").count() == 2


def test_expiry_takes_what_is_left_of_each_lot(anna, agent):
    lot = spendable(anna, 100, agent, now=T0).lot
    points_redeem(customer=anna, points=30, reference="OS-1", channel_code="")
    assert points_expire_due(now=T0 + timedelta(days=364)) == 0
    assert points_expire_due(now=T0 + timedelta(days=365)) == 1
    lot.refresh_from_db()
    assert (lot.state, lot.remaining, lot.expired) == ("expired", 0, 70)
    assert points_spendable(customer=anna) == 0
    assert points_drift_list() == []


def test_expiry_notice_only_with_consent(anna, agent, django_capture_on_commit_callbacks):
    bob = Customer.objects.create(first_name="Bob", email="bob@example.pl")
    spendable(anna, 100, agent, now=T0)
    spendable(bob, 100, agent, now=T0)
    Consent.objects.create(customer=anna, purpose="marketing_email", granted=True, text_version="1", updated_at=T0)
    notice_day = T0 + timedelta(days=355)
    assert points_expiry_notices_send(now=notice_day) == 1
    assert points_expiry_notices_send(now=notice_day) == 0
    notification = Notification.objects.get()
    assert notification.customer == anna and notification.template == "points_expiring"
    assert notification.context["points"] == 100


def test_tier_goes_up_on_earn(anna):
    silver = Tier.objects.create(code="silver", name="Silver", threshold=100, multiplier=Decimal("1.2"))
    points_earn(customer=anna, points=99, reference="OS-1", channel_code="", explanation=[], now=T0)
    assert LoyaltyAccount.objects.get(customer=anna).tier is None
    points_earn(customer=anna, points=1, reference="OS-2", channel_code="", explanation=[], now=T0)
    assert LoyaltyAccount.objects.get(customer=anna).tier == silver
    assert OutboxEvent.objects.filter(type="loyalty.tier_changed").count() == 1


def test_value_and_points_for_amount():
    assert points_value(points=1234, currency="PLN") == Decimal("12.34")
    assert points_for_amount(amount=Decimal("12.345"), currency="PLN") == 1234
    assert points_for_amount(amount=Decimal("10"), currency="EUR") == 0


def test_summary_in_bounded_queries(anna, agent, django_assert_max_num_queries):
    Tier.objects.create(code="silver", name="Silver", threshold=100)
    for i in range(5):
        points_earn(customer=anna, points=10, reference=f"OS-{i}", channel_code="", explanation=[], now=T0)
    with django_assert_max_num_queries(4):
        summary = points_summary(customer=anna, now=T0)
    assert (summary.pending, summary.earned_12m, summary.next_tier_code, summary.points_to_next_tier) == (
        50,
        50,
        "silver",
        50,
    )
    assert len(summary.lots) == 5


def test_merge_combines_accounts(anna, agent, user):
    dup = Customer.objects.create(first_name="Anna", email="anna2@example.pl")
    spendable(anna, 10, agent)
    spendable(dup, 20, agent)
    points_earn(customer=dup, points=5, reference="OS-1", channel_code="", explanation=[])
    customer_merge(survivor=anna, duplicate=dup, actor=agent)
    account = LoyaltyAccount.objects.get(customer=anna)
    assert (account.balance, account.pending) == (30, 5)
    assert LoyaltyAccount.objects.count() == 1
    assert points_drift_list() == []


def test_consistency_command_reports_drift(anna, agent, capsys):
    spendable(anna, 10, agent)
    call_command("points_consistency")
    LoyaltyAccount.objects.filter(customer=anna).update(balance=11)
    with pytest.raises(CommandError) as exc:
        call_command("points_consistency")
    assert exc.value.returncode == 1
    assert "balance" in capsys.readouterr().out


def test_redeem_and_earn_on_an_account_the_caller_locked_lock_it_once(anna, agent):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from loyalty.services.points import points_account_lock, points_order_book

    ChannelFactory(code="web")
    Tier.objects.create(code="silver", name="Silver", threshold=100)
    spendable(anna, 500, agent)
    book = {"reference": "OS-1", "channel_code": "web", "channel_kind": "web", "explanation": []}
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        account = points_account_lock(customer=anna)
        points_order_book(customer=anna, account=account, redeem=200, earn=150, **book)
    locks = [q["sql"] for q in ctx.captured_queries if 'FROM "loyalty_loyaltyaccount"' in q["sql"]]
    assert len(locks) == 1 and locks[0].endswith("FOR UPDATE")
    account = LoyaltyAccount.objects.select_related("tier").get(customer=anna)
    assert (account.balance, account.pending, account.tier.code) == (300, 150, "silver")
    # Someone else's account is refused, not written to.
    other = Customer.objects.create(first_name="Ola", email="ola@example.pl")
    with pytest.raises(ValueError), transaction.atomic():
        points_order_book(customer=other, account=account, redeem=0, earn=10, **{**book, "reference": "OS-2"})
    assert not LoyaltyAccount.objects.filter(customer=other).exists()


def test_redeem_takes_only_spendable_lots_in_expiry_order_and_refuses_when_they_do_not_cover(anna, agent):
    first = spendable(anna, 30, agent, now=T0).lot
    third = spendable(anna, 50, agent, now=T0 + timedelta(days=20)).lot
    second = spendable(anna, 40, agent, now=T0 + timedelta(days=10)).lot
    points_redeem(customer=anna, points=10, reference="OS-1", channel_code="")  # first: 20 left
    pending = points_earn(customer=anna, points=500, reference="OS-2", channel_code="", explanation=[]).lot
    entry = points_redeem(customer=anna, points=45, reference="OS-3", channel_code="")
    assert entry.explanation == [{"lot": first.pk, "points": 20}, {"lot": second.pk, "points": 25}]
    lots = {lot.pk: lot.remaining for lot in PointsLot.objects.all()}
    assert lots == {first.pk: 0, second.pk: 15, third.pk: 50, pending.pk: 500}
    # The books drifted (a balance the lots do not hold): refused, nothing taken.
    LoyaltyAccount.objects.filter(customer=anna).update(balance=1000)
    with pytest.raises(InsufficientPoints):
        points_redeem(customer=anna, points=100, reference="OS-4", channel_code="")
    assert {lot.pk: lot.remaining for lot in PointsLot.objects.all()} == lots
    assert not PointsEntry.objects.filter(reference="OS-4").exists()
