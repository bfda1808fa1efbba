from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from customers.models import Customer
from customers.services import customer_data_export
from loyalty.exceptions import StoreCreditInsufficient, WalletAmountInvalid
from loyalty.models import GiftCard, StoreCreditAccount, StoreCreditEntry
from loyalty.selectors.wallets import store_credit_balance, store_credit_mismatches
from loyalty.services.store_credit import store_credit_grant, store_credit_refund, store_credit_spend
from loyalty.services.wallets_privacy import wallets_block_erasure, wallets_erase, wallets_export, wallets_merge
from omnishop.outbox.models import OutboxEvent

from .wallet_helpers import card, customer

pytestmark = pytest.mark.django_db


def _grant(who, amount, currency="PLN", **kwargs):
    kwargs.setdefault("reason", "Goodwill")
    return store_credit_grant(customer=who, amount=Decimal(amount), currency=currency, **kwargs)


def _spend(who, amount, reference="OS-1", currency="PLN", channel="web"):
    return store_credit_spend(
        customer=who, amount=Decimal(amount), currency=currency, reference=reference, channel_code=channel
    )


def test_grant_opens_one_account_per_currency_and_records_why(superuser):
    anna = customer()
    entry = _grant(anna, "50.00", reason="Return R-1", reference="R-1", source="refund", actor=superuser)
    _grant(anna, "20.00")
    _grant(anna, "5.00", currency="EUR")
    assert (entry.kind, entry.source, entry.reference, entry.actor) == ("grant", "refund", "R-1", superuser)
    assert store_credit_balance(customer=anna, currency="PLN") == Decimal("70.00")
    assert store_credit_balance(customer=anna, currency="EUR") == Decimal("5.00")
    assert store_credit_balance(customer=customer("b@example.pl"), currency="PLN") == 0
    assert StoreCreditAccount.objects.filter(customer=anna).count() == 2
    payload = OutboxEvent.objects.filter(type="loyalty.store_credit_granted").first().payload
    assert payload["customer_id"] == anna.pk and "Anna" not in str(payload) and "anna@" not in str(payload)


def test_grant_needs_a_reason_a_known_source_and_a_positive_amount():
    anna = customer()
    with pytest.raises(WalletAmountInvalid):
        _grant(anna, "10.00", reason="  ")
    with pytest.raises(WalletAmountInvalid):
        _grant(anna, "10.00", source="lottery")
    with pytest.raises(WalletAmountInvalid):
        _grant(anna, "0")


def test_spend_takes_from_the_balance_and_refuses_more():
    anna = customer()
    with pytest.raises(StoreCreditInsufficient):
        _spend(anna, "1.00")
    _grant(anna, "30.00")
    entry = _spend(anna, "30.00", channel="store")
    assert (entry.amount, entry.balance_after, entry.channel_code) == (Decimal("-30.00"), 0, "store")
    with pytest.raises(StoreCreditInsufficient) as refused:
        _spend(anna, "0.01")
    assert refused.value.status_code == 409 and "store_credit" in refused.value.errors


def test_customer_a_cannot_spend_b_s_credit():
    anna, bartek = customer(), customer("bartek@example.pl")
    _grant(bartek, "100.00")
    with pytest.raises(StoreCreditInsufficient):
        _spend(anna, "10.00")
    assert store_credit_balance(customer=bartek, currency="PLN") == Decimal("100.00")


def test_the_database_refuses_a_negative_balance():
    anna = customer()
    _grant(anna, "1.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditAccount.objects.filter(customer=anna).update(balance=Decimal("-0.01"))


def test_refund_gives_back_what_the_order_spent_once():
    anna = customer()
    _grant(anna, "100.00")
    _spend(anna, "30.00", reference="OS-5")
    _spend(anna, "20.00", reference="OS-5", channel="app")
    _spend(anna, "10.00", reference="OS-6")
    assert store_credit_refund(reference="OS-5") == Decimal("50.00")
    assert store_credit_refund(reference="OS-5") == 0
    assert store_credit_refund(reference="") == 0
    assert store_credit_balance(customer=anna, currency="PLN") == Decimal("90.00")
    assert OutboxEvent.objects.filter(type="loyalty.store_credit_refunded").count() == 1
    assert store_credit_mismatches() == []


def test_merge_combines_accounts_and_moves_gift_cards():
    survivor, duplicate = customer(), customer("dup@example.pl")
    _grant(survivor, "10.00")
    _grant(duplicate, "15.00")
    _grant(duplicate, "3.00", currency="EUR")
    gift, _code = card("20.00", customer=duplicate)
    wallets_merge(survivor=survivor, duplicate=duplicate)
    assert store_credit_balance(customer=survivor, currency="PLN") == Decimal("25.00")
    assert store_credit_balance(customer=survivor, currency="EUR") == Decimal("3.00")
    assert store_credit_balance(customer=duplicate, currency="PLN") == 0
    assert GiftCard.objects.get(pk=gift.pk).customer == survivor
    assert store_credit_mismatches() == []


def test_merge_through_customers_runs_the_wallets_step(superuser):
    from customers.services import customer_merge

    survivor, duplicate = customer(), customer("dup@example.pl")
    _grant(duplicate, "15.00")
    customer_merge(survivor=survivor, duplicate=duplicate, actor=superuser)
    assert store_credit_balance(customer=survivor, currency="PLN") == Decimal("15.00")


def test_export_shows_credit_and_cards_without_codes_erasure_waits_for_credit(superuser):
    anna = customer()
    _grant(anna, "12.00", reason="Sorry for the delay, Anna")
    gift, _code = card("20.00", customer=anna)
    part = wallets_export(anna)
    assert part["store_credit"][0]["balance"] == "12.00" and len(part["store_credit"][0]["history"]) == 1
    assert part["gift_cards"][0]["code_last4"] == gift.last4 and gift.code not in str(part)
    assert "loyalty_wallets" in customer_data_export(customer=anna, actor=superuser)
    assert "12.00 PLN" in wallets_block_erasure(anna)
    _spend(anna, "12.00")
    assert wallets_block_erasure(anna) is None
    wallets_erase(customer=anna)
    assert not StoreCreditEntry.objects.filter(account__customer=anna).exclude(reason="").exists()
    assert GiftCard.objects.get(pk=gift.pk).customer is None
    assert Customer.objects.filter(pk=anna.pk).exists()
