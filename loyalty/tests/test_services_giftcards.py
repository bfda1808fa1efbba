from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty.exceptions import GiftCardInsufficient, GiftCardInvalid, WalletAmountInvalid
from loyalty.models import GiftCard, GiftCardEntry
from loyalty.selectors.wallets import gift_card_mismatches
from loyalty.services.giftcards import (
    giftcard_block,
    giftcard_check,
    giftcard_code_normalise,
    giftcard_issue,
    giftcard_refund,
    giftcard_spend,
    giftcards_expire_due,
    giftcards_void_for_reference,
)
from omnishop.outbox.models import OutboxEvent

from .wallet_helpers import card, customer

pytestmark = pytest.mark.django_db


def _spend(code, amount, reference="OS-1", channel="web", currency="PLN"):
    return giftcard_spend(
        code=code, amount=Decimal(amount), currency=currency, reference=reference, channel_code=channel
    )


def test_issue_by_agent_gives_a_long_code_once_stores_it_normalised_and_writes_the_ledger(superuser, settings):
    settings.OMNISHOP_GIFT_CARD_VALIDITY_DAYS = 365
    gift, code = card("150.00", actor=superuser, reason="Complaint 12")
    assert len(giftcard_code_normalise(code)) == 16 and code.count("-") == 3
    assert gift.code == giftcard_code_normalise(code) and gift.last4 == gift.code[-4:]
    assert gift.issued == GiftCard.Issued.AGENT and gift.issued_by == superuser
    assert gift.balance == Decimal("150.00") == gift.initial_amount
    assert abs(gift.expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
    (entry,) = GiftCardEntry.objects.filter(card=gift)
    assert (entry.kind, entry.amount, entry.balance_after) == ("issue", Decimal("150.00"), Decimal("150.00"))
    event = OutboxEvent.objects.get(type="loyalty.gift_card_issued")
    assert event.payload["code_last4"] == gift.last4
    assert gift.code not in str(event.payload)


def test_agent_issue_needs_a_reason_a_sale_its_order_number():
    with pytest.raises(WalletAmountInvalid):
        giftcard_issue(amount=Decimal("50"), currency="PLN", actor=None)
    sold, _code = giftcard_issue(amount=Decimal("50"), currency="PLN", actor=None, reference="OS-7")
    assert sold.issued == GiftCard.Issued.SOLD and sold.reference == "OS-7"
    with pytest.raises(WalletAmountInvalid):
        giftcard_issue(amount=Decimal("-5"), currency="PLN", actor=None, reason="x")
    with pytest.raises(WalletAmountInvalid):
        giftcard_issue(amount=Decimal("5.001"), currency="PLN", actor=None, reason="x")


def test_check_reads_the_balance_in_one_query_whatever_the_typing(django_assert_num_queries):
    gift, code = card("80.00")
    typed = code.lower().replace("-", " ")
    with django_assert_num_queries(1):
        balance = giftcard_check(code=typed, currency="PLN")
    assert (balance.code_last4, balance.balance, balance.currency) == (gift.last4, Decimal("80.00"), "PLN")


@pytest.mark.parametrize(
    "setup, reason",
    [
        ("unknown", "Unknown gift card code."),
        ("blocked", "This gift card is blocked."),
        ("expired", "This gift card has expired."),
        ("currency", "This gift card is in PLN."),
        ("empty", "This gift card has been used up."),
    ],
)
def test_check_says_why_a_card_cannot_pay(setup, reason):
    gift, code = card("20.00")
    currency, at = "PLN", None
    if setup == "unknown":
        code = "ABCD-EFGH-JKMN-PQRS"
    elif setup == "blocked":
        giftcard_block(card=gift, actor=None, reason="Lost")
    elif setup == "expired":
        at = gift.expires_at + timedelta(seconds=1)
    elif setup == "currency":
        currency = "EUR"
    else:
        _spend(code, "20.00")
    with pytest.raises(GiftCardInvalid) as refused:
        giftcard_check(code=code, currency=currency, at=at)
    assert refused.value.errors == {"gift_card": [reason]} and refused.value.status_code == 400


def test_spend_takes_the_amount_and_refuses_more_than_the_balance():
    gift, code = card("100.00")
    entry = _spend(code, "60.00", channel="store")
    assert (entry.kind, entry.amount, entry.balance_after, entry.channel_code) == (
        "spend",
        Decimal("-60.00"),
        Decimal("40.00"),
        "store",
    )
    with pytest.raises(GiftCardInsufficient) as refused:
        _spend(code, "40.01")
    assert refused.value.status_code == 409 and "40.00" in refused.value.errors["gift_card"][0]
    gift.refresh_from_db()
    assert gift.balance == Decimal("40.00")
    assert OutboxEvent.objects.filter(type="loyalty.gift_card_spent").count() == 1
    with pytest.raises(GiftCardInvalid):
        _spend("NOPE", "1.00")


def test_the_database_refuses_a_negative_balance_even_without_the_service():
    gift, _code = card("10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=gift.pk).update(balance=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=gift.pk).update(balance=Decimal("10.01"))


def test_refund_gives_back_what_the_order_spent_once():
    gift, code = card("100.00")
    other, other_code = card("50.00")
    _spend(code, "30.00", reference="OS-9")
    _spend(code, "10.00", reference="OS-9", channel="app")
    _spend(other_code, "5.00", reference="OS-9")
    _spend(code, "20.00", reference="OS-10")
    assert giftcard_refund(reference="OS-9") == Decimal("45.00")
    assert giftcard_refund(reference="OS-9") == Decimal("0")
    gift.refresh_from_db()
    other.refresh_from_db()
    assert (gift.balance, other.balance) == (Decimal("80.00"), Decimal("50.00"))
    assert OutboxEvent.objects.filter(type="loyalty.gift_card_refunded").count() == 2
    assert giftcard_refund(reference="OS-unknown") == 0
    assert gift_card_mismatches() == []


def test_refund_onto_a_card_that_expired_meanwhile_revives_it(settings):
    settings.OMNISHOP_GIFT_CARD_REFUND_GRACE_DAYS = 30
    gift, code = card("40.00")
    _spend(code, "15.00", reference="OS-2")
    giftcards_expire_due(now=gift.expires_at + timedelta(seconds=1))
    assert giftcard_refund(reference="OS-2") == Decimal("15.00")
    gift.refresh_from_db()
    assert gift.status == GiftCard.Status.ACTIVE and gift.balance == Decimal("15.00")
    assert gift.expires_at > timezone.now() + timedelta(days=29)


def test_block_stops_spending_and_keeps_the_balance():
    gift, code = card("40.00")
    with pytest.raises(WalletAmountInvalid):
        giftcard_block(card=gift, actor=None, reason=" ")
    giftcard_block(card=gift, actor=None, reason="Stolen")
    giftcard_block(card=gift, actor=None, reason="Stolen")
    gift.refresh_from_db()
    assert gift.status == GiftCard.Status.BLOCKED and gift.balance == Decimal("40.00")
    assert OutboxEvent.objects.filter(type="loyalty.gift_card_blocked").count() == 1
    with pytest.raises(GiftCardInvalid):
        _spend(code, "1.00")


def test_void_of_a_cancelled_sale_blocks_its_cards_and_returns_what_was_left():
    unspent, _c1 = giftcard_issue(amount=Decimal("100"), currency="PLN", actor=None, reference="OS-50")
    partly, code = giftcard_issue(amount=Decimal("100"), currency="PLN", actor=None, reference="OS-50")
    _spend(code, "30.00", reference="OS-51")
    assert giftcards_void_for_reference(reference="OS-50") == Decimal("170.00")
    assert giftcards_void_for_reference(reference="OS-50") == Decimal("0")
    for gift in (unspent, partly):
        gift.refresh_from_db()
        assert gift.status == GiftCard.Status.BLOCKED and gift.balance == 0
    assert gift_card_mismatches() == []


def test_expiry_task_lapses_due_balances_with_an_entry():
    due, _c = card("25.00")
    later, _c2 = card("25.00", expires_at=timezone.now() + timedelta(days=400))
    now = due.expires_at + timedelta(minutes=1)
    assert giftcards_expire_due(now=now) == 1
    assert giftcards_expire_due(now=now) == 0
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, due.balance) == (GiftCard.Status.EXPIRED, 0)
    assert later.status == GiftCard.Status.ACTIVE
    assert GiftCardEntry.objects.get(card=due, kind="expire").amount == Decimal("-25.00")
    assert OutboxEvent.objects.get(type="loyalty.gift_card_expired").payload["amount"] == "25.00"


def test_consistency_command_finds_a_balance_off_its_ledger(capsys):
    gift, code = card("25.00")
    _spend(code, "5.00")
    call_command("wallets_consistency")
    GiftCard.objects.filter(pk=gift.pk).update(balance=Decimal("21.00"))
    with pytest.raises(CommandError) as failed:
        call_command("wallets_consistency")
    assert failed.value.returncode == 1
    assert f"gift card {gift.pk}: balance 21.00, ledger 20.00" in capsys.readouterr().out


def test_owner_is_kept_and_cards_list_without_codes():
    owner = customer()
    gift, _code = card("10.00", customer=owner)
    assert gift.customer == owner and str(gift) == f"•••• {gift.last4}" and gift.code[:12] not in str(gift)
