"""Reads of points: the quote a basket earns, what a customer may spend, their summary and
ledger, and what points are worth. Each in a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from catalog.models import Channel
from omnishop.money import quantum

from .basket import Basket
from .models import EarningRule, LoyaltyAccount, PointsEntry, PointsLot, Tier
from .rules import PointsQuote, rules_evaluate
from .services.tiers import earned_12m

__all__ = [
    "PointsQuote",
    "PointsStanding",
    "PointsSummary",
    "points_for_amount",
    "points_history_list",
    "points_quote",
    "points_spendable",
    "points_standing",
    "points_summary",
    "points_value",
]


def _app_earns(account_ref):
    """An unreversed earn on an app channel (the first-app-order bonus looks for none)."""
    return PointsEntry.objects.filter(
        account=account_ref, kind=PointsEntry.Kind.EARN, channel_kind=Channel.Kind.APP, reversal__isnull=True
    )


@dataclass(frozen=True)
class PointsStanding:
    """What pricing needs of a customer's account, read once: the spendable balance (pending
    points are not), the tier and whether an app order earned already."""

    balance: int = 0
    tier: Tier | None = None
    has_app_earn: bool = False

    @property
    def tier_code(self) -> str:
        return self.tier.code if self.tier else ""


def points_standing(*, customer) -> PointsStanding:
    """The customer's ``PointsStanding`` in one query; an empty one (no query) for a guest, and
    an empty one for a customer without an account."""
    if customer is None or customer.pk is None:
        return PointsStanding()
    account = (
        LoyaltyAccount.objects.filter(customer=customer)
        .select_related("tier")
        .annotate(has_app_earn=Exists(_app_earns(OuterRef("pk"))))
        .first()
    )
    if account is None:
        return PointsStanding()
    return PointsStanding(balance=account.balance, tier=account.tier, has_app_earn=account.has_app_earn)


def points_quote(
    *,
    basket: Basket,
    net_by_variant: dict[int, Decimal],
    shipping: Decimal = Decimal("0"),
    standing: PointsStanding | None = None,
    rules: list[EarningRule] | None = None,
) -> PointsQuote:
    """What the basket earns (``loyalty.rules`` documents the order). ``shipping`` never earns.
    Two queries at most whatever the lines or rules: the account's standing (none when the
    caller passes ``standing``, read by ``points_standing``) and the rules in play at
    ``basket.at`` (none when the caller passes ``rules``, read so). A guest earns 0 (no query)."""
    if basket.customer is None:
        return PointsQuote(points=0, explanation=[])
    if standing is None:
        standing = points_standing(customer=basket.customer)
    if rules is None:
        at = basket.at
        rules = EarningRule.objects.filter(is_active=True).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=at), Q(valid_to__isnull=True) | Q(valid_to__gt=at)
        )
    return rules_evaluate(
        basket=basket,
        net_by_variant=net_by_variant,
        rules=list(rules),
        tier=standing.tier,
        has_app_earn=standing.has_app_earn,
    )


def points_spendable(*, customer) -> int:
    """The customer's spendable balance (pending points are not): one query."""
    if customer is None or customer.pk is None:
        return 0
    return LoyaltyAccount.objects.filter(customer=customer).values_list("balance", flat=True).first() or 0


def points_value(*, points: int, currency: str) -> Decimal:
    """What ``points`` are worth in ``currency`` (``OMNISHOP_POINT_VALUE``), rounded down to the
    currency's unit; 0 in a currency with no point value (points cannot pay there)."""
    unit_value = Decimal(settings.OMNISHOP_POINT_VALUE.get(currency, "0"))
    return (unit_value * max(points, 0)).quantize(quantum(currency), rounding=ROUND_DOWN)


def points_for_amount(*, amount: Decimal, currency: str) -> int:
    """The most points ``amount`` can absorb: their value never exceeds the amount."""
    unit_value = Decimal(settings.OMNISHOP_POINT_VALUE.get(currency, "0"))
    if unit_value <= 0 or amount <= 0:
        return 0
    return int((Decimal(amount) / unit_value).to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True)
class LotRow:
    points: int
    remaining: int
    state: str
    release_at: datetime
    expires_at: datetime
    reference: str

    @property
    def state_label(self) -> str:
        return str(PointsLot.State(self.state).label)


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    pending: int
    tier_code: str | None
    tier_name: str | None
    tier_benefits: str
    next_tier_code: str | None
    next_tier_name: str | None
    points_to_next_tier: int | None
    earned_12m: int
    lots: list[LotRow]


LOTS_SHOWN = 50


def points_summary(*, customer, now=None) -> PointsSummary:
    """Balance, pending, the tier and how far the next one is, the 12-month earnings and the
    live lots (pending or spendable with points left, soonest-expiring first, at most 50).
    Four queries whatever the ledger's length (three for a customer without an account)."""
    now = now or timezone.now()
    account = None
    if customer is not None:
        account = LoyaltyAccount.objects.filter(customer=customer).select_related("tier").first()
    tiers = list(Tier.objects.order_by("threshold"))
    if account is None:
        earned, lots = 0, []
    else:
        earned = earned_12m(account=account, now=now)
        lots = [
            LotRow(lot.points, lot.remaining, lot.state, lot.release_at, lot.expires_at, lot.reference)
            for lot in PointsLot.objects.filter(
                account=account, remaining__gt=0, state__in=[PointsLot.State.PENDING, PointsLot.State.SPENDABLE]
            ).order_by("expires_at", "id")[:LOTS_SHOWN]
        ]
    tier = account.tier if account else None
    above = [t for t in tiers if t.threshold > (tier.threshold if tier else -1)]
    following = next((t for t in above if t.threshold > earned), above[0] if above else None)
    return PointsSummary(
        balance=account.balance if account else 0,
        pending=account.pending if account else 0,
        tier_code=tier.code if tier else None,
        tier_name=tier.name if tier else None,
        tier_benefits=tier.benefits if tier else "",
        next_tier_code=following.code if following else None,
        next_tier_name=following.name if following else None,
        points_to_next_tier=max(following.threshold - earned, 0) if following else None,
        earned_12m=earned,
        lots=lots,
    )


def points_history_list(*, customer):
    """The customer's ledger, newest first (a queryset to paginate); empty without an account."""
    if customer is None:
        return PointsEntry.objects.none()
    return PointsEntry.objects.filter(account__customer=customer).order_by("-created_at", "-id")


def points_entries_latest(*, customer, limit: int = 10) -> list[PointsEntry]:
    return list(points_history_list(customer=customer).select_related("actor")[:limit])
