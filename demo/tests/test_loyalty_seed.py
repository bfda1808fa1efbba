import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from catalog.models import ChannelListing, Product
from demo.loyalty_seed import PUBLIC_COUPON, RUNNING_CAMPAIGN, demo_customer, loyalty_totals
from demo.seed import demo_totals
from loyalty.models import (
    Coupon,
    EarningRule,
    GiftCard,
    LoyaltyAccount,
    PointsEntry,
    PointsLot,
    Promotion,
    StoreCreditAccount,
    StoreCreditEntry,
)
from orders.models import Order


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", force=True, no_progress=True, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seeding at scale 1 shared by the module, rolled back when the module is done."""
    block = transaction.atomic()
    block._from_testcase = True  # the checkout's durable transactions may run inside it
    with django_db_blocker.unblock(), block:
        yield seed()
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_tiers_rules_and_promotions(seeded):
    assert loyalty_totals()["tiers"] == 3
    campaign = EarningRule.objects.get(name=RUNNING_CAMPAIGN)
    assert campaign.valid_from < timezone.now() < campaign.valid_to and campaign.category_ids
    assert Promotion.objects.filter(automatic=True).count() == 2
    welcome = Coupon.objects.get(code=PUBLIC_COUPON)
    assert welcome.customer is None and welcome.promotion.min_basket_amount == 200
    assert Coupon.objects.filter(code__startswith="ZIMA-", single_use=True).count() == 5
    card = Product.objects.get(is_gift_card=True)
    assert set(ChannelListing.objects.filter(product=card).values_list("channel__code", flat=True)) == {"web", "app"}


def test_the_demo_customer_has_a_loyalty_history(seeded):
    customer = demo_customer()
    account = LoyaltyAccount.objects.get(customer=customer)
    assert account.tier.name == "Srebrny"
    assert account.balance > 0 and account.pending > 0
    lots = PointsLot.objects.filter(account=account, remaining__gt=0, state="spendable")
    assert lots.filter(expires_at__lt=timezone.now() + timedelta(days=14)).exists()
    assert lots.filter(expires_at__gt=timezone.now() + timedelta(days=300)).exists()
    kinds = set(PointsEntry.objects.filter(account=account).values_list("kind", flat=True))
    assert {"earn", "release", "redeem", "bonus"} <= kinds
    assert PointsEntry.objects.filter(account=account, kind="bonus").exclude(reason="").exists()
    assert Coupon.objects.filter(customer=customer, single_use=True, uses=0).exclude(reason="").exists()
    assert StoreCreditAccount.objects.get(customer=customer).balance == 45
    assert StoreCreditEntry.objects.get(account__customer=customer).source == "refund"
    sold = GiftCard.objects.get(customer=customer, issued="sold")
    assert 0 < sold.balance < sold.initial_amount
    assert GiftCard.objects.filter(customer=customer, issued="agent").exists()
    order = Order.objects.get(idempotency_key="demo-loyalty:1")
    assert order.points_redeemed and order.points_earned and order.gift_card_total


def test_the_ledgers_match_the_balances(seeded):
    call_command("points_consistency", stdout=io.StringIO())
    call_command("wallets_consistency", stdout=io.StringIO())


def test_summary_shows_the_public_coupon(seeded):
    assert PUBLIC_COUPON in seeded


def test_second_run_changes_nothing(seeded):
    before = demo_totals() | {"balance": list(LoyaltyAccount.objects.values_list("balance", "pending", "tier_id"))}
    seed()
    after = demo_totals() | {"balance": list(LoyaltyAccount.objects.values_list("balance", "pending", "tier_id"))}
    assert after == before
    call_command("points_consistency", stdout=io.StringIO())
