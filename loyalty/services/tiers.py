"""Tiers: an account's tier follows the points it earned in the last 12 months (rolling: the
365 days up to now), never its balance; spending or expiring points does not change it.

What counts: the earn entries (pending or released) of the window that were not reversed; a
cancelled order's points stop counting once ``points_order_reverse`` ran. Goodwill points from
agents and points merged in from a duplicate's account do not count (merged *earns* do: they move
with their entries).

The tier is the one with the highest ``threshold`` at or below that figure (none below the lowest).

Upgrade: at once, on every earn (``points_earn`` calls ``tier_account_evaluate`` with
``upgrade_only``). Downgrade rule: only the nightly ``tiers_evaluate`` moves an account down,
when its rolling 12-month figure has fallen below its tier's threshold (old earns left the
window, or an order was cancelled); it then goes straight to the tier the figure reaches, which
may be several steps down or no tier. Every move is a ``TierChange`` row and a
``loyalty.tier_changed`` event.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from omnishop.outbox.services import outbox_emit_many

from ..events import tier_changed_message
from ..lock_objects import loyalty_accounts_lock
from ..models import LoyaltyAccount, PointsEntry, Tier, TierChange

WINDOW = timedelta(days=365)


def earned_filter(*, now, prefix: str = "") -> Q:
    """The entries that count for the tier at ``now`` (``prefix``: the path to the entries)."""
    return Q(
        **{
            f"{prefix}kind": PointsEntry.Kind.EARN,
            f"{prefix}created_at__gt": now - WINDOW,
            f"{prefix}created_at__lte": now,
            f"{prefix}reversal__isnull": True,
        }
    )


def earned_12m(*, account, now=None) -> int:
    now = now or timezone.now()
    total = PointsEntry.objects.filter(earned_filter(now=now), account=account).aggregate(s=Sum("points"))["s"]
    return total or 0


def tier_for(earned: int, tiers) -> Tier | None:
    """The highest tier whose threshold ``earned`` reaches (``tiers`` sorted by threshold)."""
    reached = None
    for tier in tiers:
        if tier.threshold <= earned:
            reached = tier
    return reached


def _move(account: LoyaltyAccount, tier: Tier | None, earned: int, *, now, reason: str) -> None:
    before = account.tier
    LoyaltyAccount.objects.filter(pk=account.pk).update(tier=tier)
    account.tier = tier
    TierChange.objects.create(
        account=account, from_tier=before, to_tier=tier, earned_12m=earned, reason=reason, created_at=now
    )
    outbox_emit_many(
        events=[
            tier_changed_message(
                account=account,
                from_code=before.code if before else None,
                to_code=tier.code if tier else None,
                earned_12m=earned,
            )
        ]
    )


def tier_account_evaluate(*, account, now=None, reason: str = "earn", upgrade_only: bool = False) -> bool:
    """Put the (locked) ``account`` in the tier its 12-month earnings reach; with
    ``upgrade_only`` it never moves down. Returns whether the tier changed."""
    now = now or timezone.now()
    # The tiers and the account's 12-month figure in one statement (read after its lock).
    figure = PointsEntry.objects.filter(earned_filter(now=now), account=account.pk)
    figure = figure.values("account").annotate(s=Sum("points")).values("s")
    tiers = list(Tier.objects.annotate(earned_12m=Subquery(figure)).order_by("threshold"))
    earned = (tiers[0].earned_12m or 0) if tiers else 0
    target = tier_for(earned, tiers)
    current = next((t for t in tiers if t.pk == account.tier_id), None)
    if (target.pk if target else None) == account.tier_id:
        return False
    if upgrade_only and current is not None and (target is None or target.threshold < current.threshold):
        return False
    account.tier = current
    _move(account, target, earned, now=now, reason=reason)
    return True


def tiers_evaluate(*, now=None) -> int:
    """Nightly: every account with a tier or an earn in the window is put in the tier its
    12-month earnings reach (up or down, see the module docstring). One aggregate query finds
    the accounts to move; each move is its own short transaction. Returns how many moved."""
    now = now or timezone.now()
    tiers = list(Tier.objects.order_by("threshold"))
    earned = (
        PointsEntry.objects.filter(earned_filter(now=now), account=OuterRef("pk"))
        .values("account")
        .annotate(s=Sum("points"))
        .values("s")
    )
    rows = (
        LoyaltyAccount.objects.annotate(earned=Coalesce(Subquery(earned), 0))
        .filter(Q(tier__isnull=False) | Q(earned__gt=0))
        .values_list("pk", "tier_id", "earned")
    )
    moves = {}
    for pk, tier_id, earned in rows:
        target = tier_for(earned or 0, tiers)
        if (target.pk if target else None) != tier_id:
            moves[pk] = target
    moved = 0
    for pk in sorted(moves):
        with transaction.atomic():
            account = loyalty_accounts_lock(ids=[pk]).get(pk)
            if account is not None and tier_account_evaluate(account=account, now=now, reason="nightly"):
                moved += 1
    return moved
