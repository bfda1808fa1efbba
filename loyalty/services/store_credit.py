"""Store credit: a customer's balance per currency, granted (a refund, an agent's goodwill),
spent on orders in any channel and given back when such an order is cancelled. Every change
locks the account (``loyalty.lock_objects``, store credit is 4th, after gift cards), moves the
balance with ``F()`` and writes a ledger entry and an outbox event in the same transaction; the
table's CHECK refuses a negative balance even if a check here were wrong."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from omnishop.outbox.services import outbox_emit_many

from ..events import WalletOutboxEvent, store_credit_message
from ..exceptions import StoreCreditInsufficient, WalletAmountInvalid
from ..lock_objects import store_credit_account_lock, store_credit_accounts_lock
from ..models import StoreCreditAccount, StoreCreditEntry
from ..wallet_values import actor_login, wallet_amount_valid

Kind, Source = StoreCreditEntry.Kind, StoreCreditEntry.Source


def _entry(account: StoreCreditAccount, *, kind: str, amount: Decimal, actor=None, **fields) -> StoreCreditEntry:
    """Move the locked ``account``'s balance by ``amount`` (signed) with F() and record it."""
    StoreCreditAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
    account.refresh_from_db(fields=["balance", "updated_at"])
    return StoreCreditEntry.objects.create(
        account=account, kind=kind, amount=amount, balance_after=account.balance, actor=actor_login(actor), **fields
    )


def _emit(type: WalletOutboxEvent, account: StoreCreditAccount, amount: Decimal, **keys) -> None:
    outbox_emit_many(events=[store_credit_message(type, account=account, amount=amount, **keys)])


def _account_locked(*, customer_id: int, currency: str) -> StoreCreditAccount:
    """The customer's account in ``currency``, created when missing (an upsert: two first grants
    at once make one account), locked."""
    StoreCreditAccount.objects.bulk_create(
        [StoreCreditAccount(customer_id=customer_id, currency=currency)], ignore_conflicts=True
    )
    return store_credit_account_lock(customer_id=customer_id, currency=currency)


def store_credit_grant(
    *,
    customer,
    amount: Decimal,
    currency: str,
    reason: str,
    reference: str = "",
    source: str = "agent",
    actor=None,
    channel_code: str = "",
) -> StoreCreditEntry:
    """Add ``amount`` to the customer's store credit. ``source``: "refund" (a return's or a
    cancelled order's refund, ``reference`` its number), "agent" (goodwill, permission
    ``loyalty.grant_store_credit`` checked by the face) or "order". ``reason`` is required."""
    amount = wallet_amount_valid(amount, currency)
    reason = (reason or "").strip()
    if not reason:
        raise WalletAmountInvalid(_("Give a reason."), errors={"reason": [_("Give a reason for the store credit.")]})
    if source not in Source.values:
        raise WalletAmountInvalid(errors={"source": [_("Unknown source of store credit.")]})
    with transaction.atomic():
        account = _account_locked(customer_id=customer.pk, currency=currency)
        entry = _entry(
            account,
            kind=Kind.GRANT,
            amount=amount,
            actor=actor,
            source=source,
            reference=reference,
            reason=reason,
            channel_code=channel_code,
        )
        _emit(
            WalletOutboxEvent.STORE_CREDIT_GRANTED,
            account,
            amount,
            source=source,
            reference=reference,
            channel=channel_code,
        )
    return entry


def store_credit_spend(
    *,
    customer,
    amount: Decimal,
    currency: str,
    reference: str,
    channel_code: str,
    actor=None,
    savepoint: bool = True,
) -> StoreCreditEntry:
    """Pay ``amount`` of order ``reference`` from the customer's store credit, inside the caller's
    transaction; the account is locked and its balance checked under the lock. Raises
    ``StoreCreditInsufficient`` (the balance in ``errors``). ``savepoint=False``: the caller's
    transaction is rolled back whole on any error raised here (checkout's)."""
    amount = wallet_amount_valid(amount, currency)
    with transaction.atomic(savepoint=savepoint):
        account = store_credit_account_lock(customer_id=customer.pk, currency=currency)
        balance = account.balance if account is not None else Decimal(0)
        if balance < amount:
            message = _("Store credit holds %(balance)s %(currency)s.") % {"balance": balance, "currency": currency}
            raise StoreCreditInsufficient(message, errors={"store_credit": [message]})
        entry = _entry(
            account,
            kind=Kind.SPEND,
            amount=-amount,
            actor=actor,
            source=Source.ORDER,
            reference=reference,
            channel_code=channel_code,
        )
        _emit(WalletOutboxEvent.STORE_CREDIT_SPENT, account, amount, reference=reference, channel=channel_code)
    return entry


def _spent_under(reference: str) -> dict[int, Decimal]:
    rows = (
        StoreCreditEntry.objects.filter(reference=reference, kind__in=[Kind.SPEND, Kind.REFUND])
        .values("account_id")
        .annotate(net=Sum("amount"))
    )
    return {row["account_id"]: -row["net"] for row in rows if row["net"] < 0}


def store_credit_refund(*, reference: str, actor=None) -> Decimal:
    """Order ``reference`` was cancelled: give back what it spent from store credit. Idempotent:
    a second call finds nothing left and returns 0."""
    total = Decimal(0)
    if not reference:
        return total
    with transaction.atomic():
        if not _spent_under(reference):
            return total
        accounts = store_credit_accounts_lock(ids=_spent_under(reference))
        due = _spent_under(reference)  # again, under the locks
        for account in accounts:
            amount = due.get(account.pk)
            if not amount:
                continue
            _entry(
                account,
                kind=Kind.REFUND,
                amount=amount,
                actor=actor,
                source=Source.ORDER,
                reference=reference,
                reason=_("Order cancelled"),
            )
            _emit(WalletOutboxEvent.STORE_CREDIT_REFUNDED, account, amount, source=Source.ORDER, reference=reference)
            total += amount
    return total


def store_credit_merge(*, survivor, duplicate, actor=None) -> int:
    """Customer merge step: the duplicate's store credit joins the survivor's, per currency. An
    account the survivor lacks simply changes owner; otherwise the duplicate's balance moves by
    two adjust entries (so each ledger still sums to its balance). Returns accounts touched."""
    touched = 0
    for account in StoreCreditAccount.objects.filter(customer=duplicate).order_by("pk"):
        kept = StoreCreditAccount.objects.filter(customer=survivor, currency=account.currency).first()
        if kept is None:
            touched += StoreCreditAccount.objects.filter(pk=account.pk).update(customer=survivor)
            continue
        locked = {a.pk: a for a in store_credit_accounts_lock(ids=[account.pk, kept.pk])}
        source_account, target = locked[account.pk], locked[kept.pk]
        moved = source_account.balance
        if moved:
            note = _("Customer records merged")
            _entry(source_account, kind=Kind.ADJUST, amount=-moved, actor=actor, reason=note)
            _entry(target, kind=Kind.ADJUST, amount=moved, actor=actor, reason=note)
        touched += 1
    return touched
