"""Wallets under real concurrency on PostgreSQL: one gift card or one store-credit account spent
from several channels at once never goes negative, exactly the affordable spends succeed, and
the balance still equals its ledger afterwards."""

from decimal import Decimal

import pytest
from django.db import transaction

from conftest import run_in_threads
from loyalty.exceptions import GiftCardInsufficient, StoreCreditInsufficient
from loyalty.models import GiftCard, GiftCardEntry, StoreCreditAccount
from loyalty.selectors.wallets import gift_card_mismatches, store_credit_mismatches
from loyalty.services.giftcards import giftcard_refund, giftcard_spend
from loyalty.services.store_credit import store_credit_grant, store_credit_refund, store_credit_spend

from .wallet_helpers import card, customer

pytestmark = pytest.mark.django_db(transaction=True)
CHANNELS = ("web", "app", "store")


def test_one_gift_card_spent_from_web_app_and_till_at_once_never_goes_negative():
    gift, code = card("100.00")
    # 9 spends of 30.00 (three per channel) against 100.00: exactly three can be paid.
    calls = [(f"OS-{i}", CHANNELS[i % 3]) for i in range(9)]

    def spend(reference, channel):
        with transaction.atomic():  # the caller's (checkout's) transaction
            return giftcard_spend(
                code=code, amount=Decimal("30.00"), currency="PLN", reference=reference, channel_code=channel
            )

    results = run_in_threads(spend, calls)
    paid = [r for r in results if isinstance(r, GiftCardEntry)]
    refused = [r for r in results if isinstance(r, GiftCardInsufficient)]
    assert len(paid) == 3 and len(refused) == 6, results
    gift.refresh_from_db()
    assert gift.balance == Decimal("10.00")
    assert sorted(e.balance_after for e in paid) == [Decimal("10.00"), Decimal("40.00"), Decimal("70.00")]
    assert gift_card_mismatches() == []


def test_concurrent_refunds_of_one_order_give_back_once():
    gift, code = card("100.00")
    with transaction.atomic():
        giftcard_spend(code=code, amount=Decimal("60.00"), currency="PLN", reference="OS-1", channel_code="web")
    results = run_in_threads(lambda: giftcard_refund(reference="OS-1"), [()] * 4)
    assert sorted(results) == [0, 0, 0, Decimal("60.00")], results
    assert GiftCard.objects.get(pk=gift.pk).balance == Decimal("100.00")
    assert gift_card_mismatches() == []


def test_one_store_credit_account_spent_from_three_channels_at_once_never_goes_negative():
    anna = customer()
    store_credit_grant(customer=anna, amount=Decimal("50.00"), currency="PLN", reason="Return R-1", source="refund")
    calls = [(f"OS-{i}", CHANNELS[i % 3]) for i in range(6)]

    def spend(reference, channel):
        with transaction.atomic():
            return store_credit_spend(
                customer=anna, amount=Decimal("20.00"), currency="PLN", reference=reference, channel_code=channel
            )

    results = run_in_threads(spend, calls)
    assert sum(not isinstance(r, Exception) for r in results) == 2, results
    assert sum(isinstance(r, StoreCreditInsufficient) for r in results) == 4
    assert StoreCreditAccount.objects.get(customer=anna).balance == Decimal("10.00")
    assert store_credit_mismatches() == []


def test_first_grants_at_once_open_one_account_and_concurrent_refunds_give_back_once():
    anna = customer()
    run_in_threads(
        lambda: store_credit_grant(customer=anna, amount=Decimal("10.00"), currency="PLN", reason="Goodwill"),
        [()] * 4,
    )
    (account,) = StoreCreditAccount.objects.filter(customer=anna)
    assert account.balance == Decimal("40.00")
    with transaction.atomic():
        store_credit_spend(customer=anna, amount=Decimal("25.00"), currency="PLN", reference="OS-3", channel_code="app")
    results = run_in_threads(lambda: store_credit_refund(reference="OS-3"), [()] * 3)
    assert sorted(results) == [0, 0, Decimal("25.00")]
    assert StoreCreditAccount.objects.get(pk=account.pk).balance == Decimal("40.00")
    assert store_credit_mismatches() == []
