"""Consistency: the ledger and open allocations against the stock rows."""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, Sum

from catalog.selectors import IN_CHUNK

from ..lock_objects import stock_levels_lock_bulk
from ..models import Allocation, StockMovement
from ..selectors import StockDrift, stock_drift_list
from .ledger import BooksCorrection, stock_books_reconcile, stock_levels_ensure

logger = logging.getLogger(__name__)

REPAIR_REFERENCE = "consistency-repair"  # the reference of the adjustment entries a repair writes

# --- consistency: the ledger and open allocations against the stock rows ------------------------


@dataclass
class StockRepairResult:
    drifts: list[StockDrift]  # what was found before the repair
    repaired: list[StockDrift] = field(default_factory=list)
    refused: list[StockDrift] = field(default_factory=list)  # would break a CHECK: settle by a count


def _pairs_match(pairs) -> Q:
    by_location: dict[int, list[int]] = {}
    for variant_id, location_id in pairs:
        by_location.setdefault(location_id, []).append(variant_id)
    match = Q()
    for location_id, variant_ids in sorted(by_location.items()):
        match |= Q(location_id=location_id, variant_id__in=variant_ids)
    return match


def _sums_for_pairs(queryset, pairs) -> dict[tuple[int, int], int]:
    sums: dict[tuple[int, int], int] = {}
    for start in range(0, len(pairs), IN_CHUNK):
        rows = (
            queryset.filter(_pairs_match(pairs[start : start + IN_CHUNK]))
            .order_by()
            .values("variant_id", "location_id")
            .annotate(total=Sum("quantity"))
            .values_list("variant_id", "location_id", "total")
        )
        sums.update({(v, loc): total for v, loc, total in rows})
    return sums


def stock_consistency_repair(*, actor=None) -> StockRepairResult:
    """Bring stock rows and the books back in line, leaving a trace of every correction.

    - A row whose on_hand differs from the sum of its movements gets an adjustment entry for
      the difference (kind "adjustment", reference ``consistency-repair``, the actor, a note
      with both figures): on hand is the figure every channel has been selling against, and
      the entry makes the ledger explain it again (on_hand equals the sum of its movements).
      Review those entries; if the figure itself was wrong, count the shelf (a stock sync).
    - A stock row missing altogether is recreated from its ledger.
    - Allocated is set to the sum of open allocations.

    Rows are locked in (variant, location) order and the sums re-read under the lock (every
    legitimate change takes the same lock). A row whose open allocations exceed its on hand
    (the CHECK allocated <= on_hand would break) is left alone and returned in ``refused``:
    count the shelf to settle it. Emits ``stock.changed`` for every row whose figures changed.
    The corrections are written by the ledger kernel (``stock_books_reconcile``), like every
    other change of on hand.
    """
    drifts = stock_drift_list()
    result = StockRepairResult(drifts=drifts)
    if not drifts:
        return result
    pairs = sorted({(d.variant_id, d.location_id) for d in drifts})
    missing = {(d.variant_id, d.location_id) for d in drifts if d.actual is None}
    stock_levels_ensure(pairs=pairs)
    with transaction.atomic():
        levels = stock_levels_lock_bulk(pairs=pairs)
        ledger = _sums_for_pairs(StockMovement.objects.all(), pairs)
        open_allocated = _sums_for_pairs(Allocation.objects.filter(status=Allocation.Status.OPEN), pairs)
        repaired_pairs, refused_pairs, corrections = set(), set(), []
        for pair in pairs:
            level = levels[pair]
            booked, allocated = ledger.get(pair, 0), open_allocated.get(pair, 0)
            on_hand = booked if pair in missing and level.on_hand == 0 else level.on_hand
            if (level.on_hand, level.allocated) == (booked, allocated):
                continue  # settled meanwhile
            if on_hand < 0 or allocated > on_hand:
                refused_pairs.add(pair)
                continue
            corrections.append(BooksCorrection(level=level, on_hand=on_hand, booked=booked, allocated=allocated))
            repaired_pairs.add(pair)
        stock_books_reconcile(corrections=corrections, actor=actor, reference=REPAIR_REFERENCE)
    for drift in drifts:
        pair = (drift.variant_id, drift.location_id)
        if pair in repaired_pairs:
            result.repaired.append(drift)
        elif pair in refused_pairs:
            result.refused.append(drift)
    if result.repaired or result.refused:
        logger.warning(
            "stock consistency repair by %s: %d drift(s) repaired, %d refused",
            getattr(actor, "pk", None) or "system",
            len(result.repaired),
            len(result.refused),
        )
    return result
