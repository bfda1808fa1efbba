"""Reads of gift cards and store credit, each in a fixed number of queries."""

from decimal import Decimal

from django.db.models import DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from ..models import GiftCard, GiftCardEntry, StoreCreditAccount, StoreCreditEntry
from ..wallet_values import giftcard_code_format

_LEDGER_SUM = Coalesce(Sum("entries__amount"), Value(0), output_field=DecimalField(max_digits=14, decimal_places=2))


def store_credit_balance(*, customer, currency: str) -> Decimal:
    """The customer's store credit in ``currency`` (0 without an account). One query."""
    balance = (
        StoreCreditAccount.objects.filter(customer_id=customer.pk, currency=currency)
        .values_list("balance", flat=True)
        .first()
    )
    return balance if balance is not None else Decimal("0.00")


def store_credit_accounts_for_customer(*, customer) -> list[StoreCreditAccount]:
    """The customer's accounts, one per currency. One query."""
    return list(StoreCreditAccount.objects.filter(customer_id=customer.pk).order_by("currency"))


def store_credit_entries_for_customer(*, customer, currency: str | None = None) -> QuerySet[StoreCreditEntry]:
    """The customer's store-credit history, newest first (a queryset to paginate)."""
    entries = StoreCreditEntry.objects.filter(account__customer_id=customer.pk)
    if currency:
        entries = entries.filter(account__currency=currency)
    return entries.select_related("account").order_by("-created_at", "-id")


def gift_cards_for_customer(*, customer, limit: int | None = None) -> list[GiftCard]:
    """The gift cards the customer owns (bought or was given), newest first. One query."""
    cards = GiftCard.objects.filter(customer_id=customer.pk).order_by("-created_at", "-id")
    return list(cards[:limit] if limit else cards)


def gift_card_entries(*, card) -> QuerySet[GiftCardEntry]:
    return GiftCardEntry.objects.filter(card=card).select_related("actor").order_by("id")


def gift_card_mismatches() -> list[tuple[int, Decimal, Decimal]]:
    """Gift cards whose balance differs from their ledger's sum: (id, balance, ledger sum)."""
    return list(
        GiftCard.objects.annotate(ledger=_LEDGER_SUM)
        .exclude(balance=F("ledger"))
        .order_by("pk")
        .values_list("pk", "balance", "ledger")
    )


def store_credit_mismatches() -> list[tuple[int, Decimal, Decimal]]:
    """Store-credit accounts whose balance differs from their ledger's sum."""
    return list(
        StoreCreditAccount.objects.annotate(ledger=_LEDGER_SUM)
        .exclude(balance=F("ledger"))
        .order_by("pk")
        .values_list("pk", "balance", "ledger")
    )


def gift_card_codes_sold(*, reference: str) -> list[str]:
    """The printed codes of the active cards the order ``reference`` sold (for the buyer's
    notice, read at send time: codes are never copied into a notification)."""
    codes = GiftCard.objects.filter(
        reference=reference, issued=GiftCard.Issued.SOLD, status=GiftCard.Status.ACTIVE
    ).order_by("pk")
    return [giftcard_code_format(code) for code in codes.values_list("code", flat=True)]


def gift_cards_sold_exist(*, reference: str) -> bool:
    return GiftCard.objects.filter(reference=reference, issued=GiftCard.Issued.SOLD).exists()
