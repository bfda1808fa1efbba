"""Wallets' part of a customer merge and of a person's data rights (registered in
``loyalty/wiring/wallets.py``).

Merge: store credit joins the survivor's (``store_credit_merge``), gift cards change owner.
Export: the store-credit accounts with their history and the gift cards owned (last 4 only).
Erasure waits while the person has store credit (it is money owed to them: pay it out or spend
it first); it then blanks the free-text reasons of their ledger entries and unlinks their gift
cards (a card stays spendable by whoever holds its code, as a bearer card)."""

from django.db.models import Prefetch, Sum
from django.utils.translation import gettext as _

from ..models import GiftCard, GiftCardEntry, StoreCreditAccount, StoreCreditEntry
from .store_credit import store_credit_merge


def wallets_merge(*, survivor, duplicate, actor=None) -> int:
    moved = store_credit_merge(survivor=survivor, duplicate=duplicate, actor=actor)
    return moved + GiftCard.objects.filter(customer=duplicate).update(customer=survivor)


def wallets_export(customer) -> dict:
    accounts = StoreCreditAccount.objects.filter(customer=customer).prefetch_related(
        Prefetch("entries", queryset=StoreCreditEntry.objects.order_by("id"))
    )
    return {
        "store_credit": [
            {
                "currency": account.currency,
                "balance": str(account.balance),
                "history": [
                    {
                        "at": e.created_at.isoformat(),
                        "kind": e.kind,
                        "amount": str(e.amount),
                        "balance_after": str(e.balance_after),
                        "reference": e.reference,
                        "reason": e.reason,
                    }
                    for e in account.entries.all()
                ],
            }
            for account in accounts.order_by("currency")
        ],
        "gift_cards": [
            {
                "code_last4": card.last4,
                "currency": card.currency,
                "balance": str(card.balance),
                "status": card.status,
                "expires_at": card.expires_at.isoformat(),
            }
            for card in GiftCard.objects.filter(customer=customer).order_by("id")
        ],
    }


def wallets_block_erasure(customer) -> str | None:
    held = (
        StoreCreditAccount.objects.filter(customer=customer, balance__gt=0)
        .values("currency")
        .annotate(total=Sum("balance"))
        .order_by("currency")
    )
    if not held:
        return None
    amounts = ", ".join(f"{row['total']} {row['currency']}" for row in held)
    return _("The customer still has store credit (%(amounts)s). Pay it out or let them spend it first.") % {
        "amounts": amounts
    }


def wallets_erase(*, customer, actor=None) -> int:
    erased = StoreCreditEntry.objects.filter(account__customer=customer).exclude(reason="").update(reason="")
    erased += GiftCardEntry.objects.filter(card__customer=customer).exclude(reason="").update(reason="")
    erased += GiftCard.objects.filter(customer=customer).update(customer=None, reason="")
    return erased
