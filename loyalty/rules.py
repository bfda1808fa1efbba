"""How a basket earns points: the earning rules are data (``EarningRule``), evaluated here in one
fixed order, with no query of their own (``points_quote`` reads them and the account first).

What earns: each line's net total (after discounts, ``net_by_variant``). Gift-card lines and
shipping never earn. A guest (no customer) earns nothing: there is no account to credit, and
points are not credited afterwards when the guest signs up.

A rule takes part when it is active, ``basket.at`` lies in its window (``valid_from`` inclusive,
``valid_to`` exclusive; empty: open), the basket's channel kind is in ``channel_kinds`` and the
customer's tier code is in ``tier_codes`` (an empty list: any). ``category_ids`` (a line matches
when its category or any ancestor is listed: ``BasketLine.category_ids``) and ``brand_ids`` pick
the lines a line-level rule covers (empty: every line).

Evaluation order (phases; within a phase, by ``priority`` then id, lower first):

1. **exclusion**: the lines it covers earn nothing (gift cards are always excluded).
2. **per_amount**: ``points_per_unit`` x the line's net, for the lines it covers; several
   per-amount rules add up on a line.
3. **multiplier**: the line's points so far x ``multiplier`` (rules compound: 2 x 1.5 = 3).
4. **tier**: the customer's tier multiplier on every earning line (not a rule: always applied).
5. **bonus**: a fixed ``bonus_points`` per basket (``first_app_order``: only in an app channel
   when the account has no earlier, unreversed app earn: loyalty's own data, no order query).

Stop flag: once a rule with ``stop`` applied to a line, no later rule of phases 1-3 applies to
that line (the tier multiplier still does). A bonus with ``stop`` that applied ends phase 5.
An exclusion always stops (its lines earn nothing at all).

Rounding: each rule's (and the tier's) share is summed over its lines in Decimal and rounded down
to whole points once; the total is the sum of the shares, so the explanation adds up exactly.
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from .basket import Basket, BasketLine

PHASES = ("exclusion", "per_amount", "multiplier", "bonus")
ZERO = Decimal("0")


@dataclass(frozen=True)
class PointsQuote:
    points: int
    # [{"rule": id or None, "name", "kind", "points", ...}], JSON-serialisable.
    explanation: list[dict]


def _floor(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_DOWN))


def rule_in_play(rule, *, basket: Basket, tier_code: str | None) -> bool:
    """Whether ``rule`` takes part for this basket (active, window, channel, tier)."""
    if not rule.is_active:
        return False
    if rule.valid_from is not None and basket.at < rule.valid_from:
        return False
    if rule.valid_to is not None and basket.at >= rule.valid_to:
        return False
    if rule.channel_kinds and getattr(basket.channel, "kind", None) not in rule.channel_kinds:
        return False
    return not (rule.tier_codes and tier_code not in rule.tier_codes)


def rule_covers(rule, line: BasketLine) -> bool:
    if rule.category_ids and not line.category_ids & set(rule.category_ids):
        return False
    return not (rule.brand_ids and line.brand_id not in rule.brand_ids)


def _entry(rule, points: int, **extra) -> dict:
    return {"rule": rule.pk, "name": rule.name, "kind": rule.kind, "points": points, **extra}


def rules_evaluate(
    *,
    basket: Basket,
    net_by_variant: dict[int, Decimal],
    rules,
    tier=None,
    has_app_earn: bool = False,
) -> PointsQuote:
    """Points the basket earns under ``rules`` (any iterable of ``EarningRule``), as documented
    above. ``tier``: the customer's ``Tier`` or None; ``has_app_earn``: the account already
    earned on an app order."""
    if basket.customer is None:
        return PointsQuote(points=0, explanation=[])
    tier_code = tier.code if tier is not None else None
    by_phase = {phase: [] for phase in PHASES}
    for rule in sorted(rules, key=lambda r: (r.priority, r.pk)):
        if rule.kind in by_phase and rule_in_play(rule, basket=basket, tier_code=tier_code):
            by_phase[rule.kind].append(rule)

    lines = [line for line in basket.lines if not line.is_gift_card and net_by_variant.get(line.variant_id, ZERO) > 0]
    stopped: set[int] = set()
    explanation: list[dict] = []
    for rule in by_phase["exclusion"]:
        covered = [line.variant_id for line in lines if line.variant_id not in stopped and rule_covers(rule, line)]
        if covered:
            stopped.update(covered)
            explanation.append(_entry(rule, 0, variants=covered))
    excluded = set(stopped)

    value = {line.variant_id: ZERO for line in lines}
    for phase in ("per_amount", "multiplier"):
        for rule in by_phase[phase]:
            share = ZERO
            applied = False
            for line in lines:
                if line.variant_id in stopped or not rule_covers(rule, line):
                    continue
                net = net_by_variant[line.variant_id]
                if phase == "per_amount":
                    delta = net * rule.points_per_unit
                else:
                    delta = value[line.variant_id] * (rule.multiplier - 1)
                value[line.variant_id] += delta
                share += delta
                applied = True
                if rule.stop:
                    stopped.add(line.variant_id)
            if applied:
                explanation.append(_entry(rule, _floor(share)))

    if tier is not None and tier.multiplier != 1:
        share = sum((v * (tier.multiplier - 1) for k, v in value.items() if k not in excluded), ZERO)
        if share:
            explanation.append(
                {"rule": None, "name": tier.name, "kind": "tier", "points": _floor(share), "tier": tier.code}
            )

    is_app = getattr(basket.channel, "kind", None) == "app"
    for rule in by_phase["bonus"]:
        if rule.first_app_order and (not is_app or has_app_earn):
            continue
        if rule.bonus_points:
            explanation.append(_entry(rule, int(rule.bonus_points)))
        if rule.stop:
            break

    total = sum(item["points"] for item in explanation)
    return PointsQuote(points=max(total, 0), explanation=explanation)
