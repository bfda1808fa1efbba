"""Points' part of customer-wide operations: two customer records merged (their accounts
combine), the privacy export and erasure, the expiry notices, and the consistency check."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Consent, ConsentPurpose
from omnishop.notifications.registry import Kind, NotificationTemplate, template_register
from omnishop.notifications.services import notification_send

from ..lock_objects import loyalty_accounts_lock
from ..models import LoyaltyAccount, PointsEntry, PointsLot, TierChange
from .tiers import tier_account_evaluate

POINTS_EXPIRING = "points_expiring"
# The marketing consent a notice needs, by the customer's notification channel.
CONSENT_FOR_CHANNEL = {
    "email": ConsentPurpose.MARKETING_EMAIL,
    "sms": ConsentPurpose.MARKETING_SMS,
    "push": ConsentPurpose.MARKETING_PUSH,
}


def points_notices_register() -> None:
    template_register(NotificationTemplate(key=POINTS_EXPIRING, kind=Kind.PROMOTIONAL, label=_("Points expiring")))


def points_accounts_merge(*, survivor, duplicate, actor=None) -> int:
    """The duplicate's account joins the survivor's: its lots, ledger and tier history move
    (so balance = ledger sum still holds), the counters add up and the tier is evaluated again.
    Without an account of the survivor's, the duplicate's account simply changes hands."""
    accounts = {a.customer_id: a for a in LoyaltyAccount.objects.filter(customer__in=[survivor, duplicate])}
    moving = accounts.get(duplicate.pk)
    if moving is None:
        return 0
    kept = accounts.get(survivor.pk)
    if kept is None:
        return LoyaltyAccount.objects.filter(pk=moving.pk).update(customer=survivor)
    locked = loyalty_accounts_lock(ids=[kept.pk, moving.pk])
    kept, moving = locked[kept.pk], locked[moving.pk]
    moved = PointsEntry.objects.filter(account=moving).update(account=kept)
    moved += PointsLot.objects.filter(account=moving).update(account=kept)
    TierChange.objects.filter(account=moving).update(account=kept)
    LoyaltyAccount.objects.filter(pk=kept.pk).update(
        balance=F("balance") + moving.balance, pending=F("pending") + moving.pending
    )
    moving.delete()
    kept.refresh_from_db()
    tier_account_evaluate(account=kept, reason="merge", upgrade_only=True)
    return moved


def points_export(customer) -> dict:
    account = LoyaltyAccount.objects.filter(customer=customer).select_related("tier").first()
    if account is None:
        return {}
    return {
        "balance": account.balance,
        "pending": account.pending,
        "tier": account.tier.code if account.tier else None,
        "entries": [
            {
                "at": e.created_at.isoformat(),
                "kind": e.kind,
                "points": e.points,
                "affects": e.affects,
                "reference": e.reference,
                "channel": e.channel_code,
                "reason": e.reason,
            }
            for e in account.entries.order_by("created_at", "id")
        ],
        "lots": [
            {
                "points": lot.points,
                "remaining": lot.remaining,
                "state": lot.state,
                "expires_at": lot.expires_at.isoformat(),
            }
            for lot in account.lots.order_by("id")
        ],
    }


def points_erase(*, customer, actor=None) -> int:
    """The ledger stays (it is the account's books); agents' free-text reasons, which may name
    the person, are blanked."""
    return PointsEntry.objects.filter(account__customer=customer).exclude(reason="").update(reason="")


def points_expiry_notices_send(*, now=None) -> int:
    """Tell customers whose spendable points expire within ``OMNISHOP_POINTS_EXPIRY_NOTICE_DAYS``
    (once per lot) how many and from when, only when they consented to marketing on their
    notification channel. Returns the number of notices recorded."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.OMNISHOP_POINTS_EXPIRY_NOTICE_DAYS)
    due = PointsLot.objects.filter(
        state=PointsLot.State.SPENDABLE,
        remaining__gt=0,
        expires_at__gt=now,
        expires_at__lte=horizon,
        notice_sent_at__isnull=True,
        account__customer__erased_at__isnull=True,
    )
    per_customer: dict[int, dict] = {}
    for lot in due.select_related("account__customer").order_by("expires_at", "id"):
        row = per_customer.setdefault(lot.account.customer_id, {"customer": lot.account.customer, "lots": []})
        row["lots"].append(lot)
    consented = set(
        Consent.objects.filter(customer_id__in=per_customer, granted=True).values_list("customer_id", "purpose")
    )
    sent = 0
    with transaction.atomic():
        for customer_id, row in per_customer.items():
            customer = row["customer"]
            if (customer_id, CONSENT_FOR_CHANNEL.get(customer.notification_channel)) not in consented:
                continue
            lots = row["lots"]
            notification_send(
                template=POINTS_EXPIRING,
                language=customer.language,
                customer=customer,
                email=customer.email,
                phone=customer.phone,
                preferred_channel=customer.notification_channel,
                context={"points": sum(lot.remaining for lot in lots), "expires_at": lots[0].expires_at.isoformat()},
                consented=True,
            )
            PointsLot.objects.filter(pk__in=[lot.pk for lot in lots]).update(notice_sent_at=now)
            sent += 1
    return sent


@dataclass(frozen=True)
class PointsDrift:
    account_id: int
    customer_id: int
    field: str
    expected: int
    actual: int


def _ledger_sum(affects: str):
    sums = (
        PointsEntry.objects.filter(account=OuterRef("pk"), affects=affects)
        .values("account")
        .annotate(s=Sum("points"))
        .values("s")
    )
    return Coalesce(Subquery(sums, output_field=IntegerField()), Value(0))


def _lots_sum(states):
    sums = (
        PointsLot.objects.filter(account=OuterRef("pk"), state__in=states)
        .values("account")
        .annotate(s=Sum("remaining"))
        .values("s")
    )
    return Coalesce(Subquery(sums, output_field=IntegerField()), Value(0))


def points_drift_list() -> list[PointsDrift]:
    """Accounts whose balance or pending differ from their ledger sums, or from what their lots
    hold (spendable lots' remaining = balance, pending lots' = pending). One query."""
    rows = LoyaltyAccount.objects.annotate(
        ledger_balance=_ledger_sum(PointsEntry.Affects.BALANCE),
        ledger_pending=_ledger_sum(PointsEntry.Affects.PENDING),
        lots_balance=_lots_sum([PointsLot.State.SPENDABLE]),
        lots_pending=_lots_sum([PointsLot.State.PENDING]),
    ).filter(
        ~Q(balance=F("ledger_balance"))
        | ~Q(pending=F("ledger_pending"))
        | ~Q(balance=F("lots_balance"))
        | ~Q(pending=F("lots_pending"))
    )
    drifts = []
    for a in rows.order_by("pk"):
        for field, expected, actual in (
            ("balance", a.ledger_balance, a.balance),
            ("pending", a.ledger_pending, a.pending),
            ("lots spendable", a.balance, a.lots_balance),
            ("lots pending", a.pending, a.lots_pending),
        ):
            if expected != actual:
                drifts.append(PointsDrift(a.pk, a.customer_id, field, expected, actual))
    return drifts
