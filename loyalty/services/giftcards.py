"""Gift cards: issue (sold or by an agent), check, spend, refund, block, void a cancelled sale,
expire. Every change locks the card (``loyalty.lock_objects``, gift cards are 3rd in the order),
moves the balance with ``F()`` and writes a ledger entry and an outbox event in the same
transaction; the table's CHECK refuses a negative balance even if a check here were wrong.

The full code leaves this module once, from ``giftcard_issue``; everything else names a card by
its last four characters.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from omnishop.outbox.services import outbox_emit_many

from ..events import WalletOutboxEvent, gift_card_message
from ..exceptions import GiftCardInsufficient, GiftCardInvalid, WalletAmountInvalid
from ..lock_objects import gift_card_lock_by_code, gift_cards_lock
from ..models import GiftCard, GiftCardEntry
from ..wallet_values import actor_login, giftcard_code_format, wallet_amount_valid

# No 0/O, 1/I/L: a code read out over the phone or typed from a plastic card is unambiguous.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 31^16 ≈ 2^79: not guessable, even at the check endpoint's throttle
Kind = GiftCardEntry.Kind


@dataclass(frozen=True)
class GiftCardBalance:
    code_last4: str
    balance: Decimal
    currency: str
    expires_at: datetime


def giftcard_code_normalise(code: str) -> str:
    """Upper case, without spaces and dashes: how codes are stored and looked up."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _invalid(reason: str):
    return GiftCardInvalid(reason, errors={"gift_card": [reason]})


def _refusal(card: GiftCard | None, *, currency: str, at: datetime) -> str | None:
    """Why ``card`` cannot pay in ``currency`` at ``at``, or None when it can."""
    if card is None:
        return _("Unknown gift card code.")
    if card.status == GiftCard.Status.BLOCKED:
        return _("This gift card is blocked.")
    if card.status == GiftCard.Status.EXPIRED or card.expires_at <= at:
        return _("This gift card has expired.")
    if card.currency != currency:
        return _("This gift card is in %(currency)s.") % {"currency": card.currency}
    if card.balance <= 0:
        return _("This gift card has been used up.")
    return None


def giftcard_check(*, code: str, currency: str, at=None) -> GiftCardBalance:
    """The card's balance if it can pay in ``currency`` now (one query). Raises ``GiftCardInvalid``
    with the reason (unknown, blocked, expired, other currency, empty)."""
    normalised = giftcard_code_normalise(code)
    card = GiftCard.objects.filter(code=normalised).first() if normalised else None
    reason = _refusal(card, currency=currency, at=at or timezone.now())
    if reason:
        raise _invalid(reason)
    return GiftCardBalance(
        code_last4=card.last4, balance=card.balance, currency=card.currency, expires_at=card.expires_at
    )


def _entry(card: GiftCard, *, kind: str, amount: Decimal, actor=None, **fields) -> GiftCardEntry:
    """Move the locked ``card``'s balance by ``amount`` (signed) with F() and record it."""
    GiftCard.objects.filter(pk=card.pk).update(balance=F("balance") + amount)
    card.refresh_from_db(fields=["balance"])
    return GiftCardEntry.objects.create(
        card=card, kind=kind, amount=amount, balance_after=card.balance, actor=actor_login(actor), **fields
    )


def giftcard_issue(
    *,
    amount: Decimal,
    currency: str,
    actor,
    reason: str = "",
    reference: str = "",
    customer=None,
    expires_at=None,
    channel_code: str = "",
) -> tuple[GiftCard, str]:
    """A new card of ``amount``: sold when ``reference`` (the order number) is given, else issued
    by an agent, who must give a ``reason``. Returns the card and its full code, formatted; the
    code is shown this once (nothing else returns it). Expires after
    ``OMNISHOP_GIFT_CARD_VALIDITY_DAYS`` unless ``expires_at`` is given."""
    amount = wallet_amount_valid(amount, currency)
    reason, reference = (reason or "").strip(), (reference or "").strip()
    if not reference and not reason:
        raise WalletAmountInvalid(
            _("Give a reason for the gift card."), errors={"reason": [_("Give a reason for the gift card.")]}
        )
    now = timezone.now()
    expires_at = expires_at or now + timedelta(days=settings.OMNISHOP_GIFT_CARD_VALIDITY_DAYS)
    if expires_at <= now:
        raise WalletAmountInvalid(errors={"expires_at": [_("The expiry must be in the future.")]})
    with transaction.atomic():
        while True:  # a clash of 79-bit codes is all but impossible; retry rather than fail
            code = _code_new()
            if not GiftCard.objects.filter(code=code).exists():
                break
        card = GiftCard.objects.create(
            code=code,
            last4=code[-4:],
            currency=currency,
            initial_amount=amount,
            balance=0,
            expires_at=expires_at,
            issued=GiftCard.Issued.SOLD if reference else GiftCard.Issued.AGENT,
            reference=reference,
            reason=reason,
            customer=customer,
            issued_by=actor_login(actor),
        )
        # The issue entry brings the balance from 0 to the amount, so balance == sum of the ledger.
        _entry(
            card,
            kind=Kind.ISSUE,
            amount=amount,
            actor=actor,
            reference=reference,
            reason=reason,
            channel_code=channel_code,
        )
        _emit(WalletOutboxEvent.GIFT_CARD_ISSUED, card, amount, reference=reference, channel=channel_code)
    return card, giftcard_code_format(code)


def _emit(type: WalletOutboxEvent, card: GiftCard, amount: Decimal, **keys) -> None:
    outbox_emit_many(events=[gift_card_message(type, card=card, amount=amount, **keys)])


def giftcard_spend(
    *,
    code: str,
    amount: Decimal,
    currency: str,
    reference: str,
    channel_code: str,
    actor=None,
    savepoint: bool = True,
) -> GiftCardEntry:
    """Pay ``amount`` of order ``reference`` from the card, inside the caller's transaction. The
    card is locked and checked again under the lock, so two channels spending it at once queue
    and the second sees what the first left. Raises ``GiftCardInvalid`` or
    ``GiftCardInsufficient`` (the balance in ``errors``). ``savepoint=False``: the caller's
    transaction is rolled back whole on any error raised here (checkout's)."""
    amount = wallet_amount_valid(amount, currency)
    normalised = giftcard_code_normalise(code)
    with transaction.atomic(savepoint=savepoint):
        card = gift_card_lock_by_code(code=normalised) if normalised else None
        reason = _refusal(card, currency=currency, at=timezone.now())
        if reason:
            raise _invalid(reason)
        if card.balance < amount:
            message = _("The gift card holds %(balance)s %(currency)s.") % {
                "balance": card.balance,
                "currency": currency,
            }
            raise GiftCardInsufficient(message, errors={"gift_card": [message]})
        entry = _entry(
            card, kind=Kind.SPEND, amount=-amount, actor=actor, reference=reference, channel_code=channel_code
        )
        _emit(WalletOutboxEvent.GIFT_CARD_SPENT, card, amount, reference=reference, channel=channel_code)
    return entry


def _spent_under(reference: str) -> dict[int, Decimal]:
    """Per card: what ``reference`` spent and was not yet given back (positive)."""
    rows = (
        GiftCardEntry.objects.filter(reference=reference, kind__in=[Kind.SPEND, Kind.REFUND])
        .values("card_id")
        .annotate(net=Sum("amount"))
    )
    return {row["card_id"]: -row["net"] for row in rows if row["net"] < 0}


def giftcard_refund(*, reference: str, actor=None) -> Decimal:
    """Order ``reference`` was cancelled: put back on each card what it spent there. Idempotent
    (a second call finds nothing left to give back and returns 0). A card that expired since is
    active again for ``OMNISHOP_GIFT_CARD_REFUND_GRACE_DAYS``, so the money is not lost; a
    blocked card stays blocked (with its balance), for an agent to decide."""
    if not reference:
        return Decimal(0)
    total = Decimal(0)
    with transaction.atomic():
        if not _spent_under(reference):
            return total
        cards = gift_cards_lock(ids=_spent_under(reference))
        due = _spent_under(reference)  # again, under the locks: a concurrent refund may have run
        now = timezone.now()
        for card in cards:
            amount = due.get(card.pk)
            if not amount:
                continue
            if card.status == GiftCard.Status.EXPIRED or card.expires_at <= now:
                grace = now + timedelta(days=settings.OMNISHOP_GIFT_CARD_REFUND_GRACE_DAYS)
                card.status, card.expires_at = GiftCard.Status.ACTIVE, max(card.expires_at, grace)
                GiftCard.objects.filter(pk=card.pk).update(status=card.status, expires_at=card.expires_at)
            _entry(card, kind=Kind.REFUND, amount=amount, actor=actor, reference=reference, reason=_("Order cancelled"))
            _emit(WalletOutboxEvent.GIFT_CARD_REFUNDED, card, amount, reference=reference)
            total += amount
    return total


def giftcard_block(*, card: GiftCard, actor, reason: str) -> GiftCard:
    """Block ``card`` (lost, stolen, fraud): it can no longer pay; its balance stays, so an agent
    can still see what it held. Idempotent."""
    reason = (reason or "").strip()
    if not reason:
        raise WalletAmountInvalid(errors={"reason": [_("Give a reason for blocking the card.")]})
    with transaction.atomic():
        (card,) = gift_cards_lock(ids=[card.pk])
        if card.status != GiftCard.Status.BLOCKED:
            GiftCard.objects.filter(pk=card.pk).update(status=GiftCard.Status.BLOCKED)
            card.status = GiftCard.Status.BLOCKED
            GiftCardEntry.objects.create(
                card=card,
                kind=Kind.ADJUST,
                amount=0,
                balance_after=card.balance,
                actor=actor_login(actor),
                reason=reason,
            )
            _emit(WalletOutboxEvent.GIFT_CARD_BLOCKED, card, Decimal(0))
    return card


def giftcards_void_for_reference(*, reference: str, actor=None) -> Decimal:
    """The sale ``reference`` was cancelled: every card it sold is blocked and what remains on it
    is taken off (an adjust entry). A card already partly spent is voided the same way: the buyer
    used that part, so the sale's refund must be the amount returned here, not the card's price.
    Idempotent (a second call voids nothing and returns 0)."""
    total = Decimal(0)
    if not reference:
        return total
    with transaction.atomic():
        ids = GiftCard.objects.filter(reference=reference, issued=GiftCard.Issued.SOLD).values_list("pk", flat=True)
        for card in gift_cards_lock(ids=list(ids)):
            if card.status == GiftCard.Status.BLOCKED and card.balance == 0:
                continue
            remaining = card.balance
            GiftCard.objects.filter(pk=card.pk).update(status=GiftCard.Status.BLOCKED)
            card.status = GiftCard.Status.BLOCKED
            if remaining:
                _entry(
                    card,
                    kind=Kind.ADJUST,
                    amount=-remaining,
                    actor=actor,
                    reference=reference,
                    reason=_("Sale cancelled"),
                )
            _emit(WalletOutboxEvent.GIFT_CARD_BLOCKED, card, remaining, reference=reference)
            total += remaining
    return total


def giftcard_expire(*, card_id: int, now=None) -> Decimal | None:
    """Expire one card that is due: its balance lapses (an expire entry). Returns what lapsed;
    None when the card is not due (any more)."""
    now = now or timezone.now()
    with transaction.atomic():
        cards = gift_cards_lock(ids=[card_id])
        if not cards or cards[0].status != GiftCard.Status.ACTIVE or cards[0].expires_at > now:
            return None
        card = cards[0]
        lapsed = card.balance
        GiftCard.objects.filter(pk=card.pk).update(status=GiftCard.Status.EXPIRED)
        card.status = GiftCard.Status.EXPIRED
        _entry(card, kind=Kind.EXPIRE, amount=-lapsed, reason=_("Expired"))
        _emit(WalletOutboxEvent.GIFT_CARD_EXPIRED, card, lapsed)
    return lapsed


def giftcards_expire_due(*, now=None) -> int:
    """Expire every active card past its expiry, one short transaction each; returns how many."""
    now = now or timezone.now()
    due = GiftCard.objects.filter(status=GiftCard.Status.ACTIVE, expires_at__lte=now).order_by("pk")
    expired = 0
    for card_id in list(due.values_list("pk", flat=True)):
        if giftcard_expire(card_id=card_id, now=now) is not None:
            expired += 1
    return expired
