"""Consistency: the ledger and open allocations against the stock rows."""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from catalog.selectors import IN_CHUNK

from ..lock_objects import stock_levels_lock
from ..models import Allocation, StockLevel, StockMovement
from ..selectors import StockDrift, stock_drift_list
from .stock import (
    _emit_stock_changed,
    _ensure_stock_levels,
)
from .sync import _pairs_match

logger = logging.getLogger(__name__)

# --- consistency: the ledger and open allocations against the stock rows ------------------------


@dataclass
class StockRepairResult:
    drifts: list[StockDrift]  # what was found before the repair
    repaired: list[StockDrift] = field(default_factory=list)
    refused: list[StockDrift] = field(default_factory=list)  # would break a CHECK: fix by a count


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
    """Bring stock rows back in line with the books. The ledger is the truth for on hand (the
    architecture's invariant: on_hand equals the sum of the row's movements), so a drifting
    on_hand is set to the ledger sum; no movement is written, since a movement would change
    that sum and make the drifted figure the truth instead. Allocated is set to the sum of
    open allocations. Missing stock rows are created.

    Rows are locked in (variant, location) order and the sums re-read under the lock (every
    legitimate change takes the same lock). A row whose truth would break a CHECK (allocated
    above on hand, negative on hand) is left alone and returned in ``refused``: count the shelf
    (an absolute stock sync) to settle it. Emits ``stock.changed`` for every repaired row.
    """
    drifts = stock_drift_list()
    result = StockRepairResult(drifts=drifts)
    if not drifts:
        return result
    pairs = sorted({(d.variant_id, d.location_id) for d in drifts})
    _ensure_stock_levels(pairs)
    with transaction.atomic():
        levels = stock_levels_lock(pairs=pairs)
        ledger = _sums_for_pairs(StockMovement.objects.all(), pairs)
        open_allocated = _sums_for_pairs(Allocation.objects.filter(status=Allocation.Status.OPEN), pairs)
        repaired_pairs, refused_pairs, updated = set(), set(), []
        for pair in pairs:
            level = levels[pair]
            on_hand, allocated = ledger.get(pair, 0), open_allocated.get(pair, 0)
            if (level.on_hand, level.allocated) == (on_hand, allocated):
                continue  # settled meanwhile
            if on_hand < 0 or allocated > on_hand:
                refused_pairs.add(pair)
                continue
            level.on_hand, level.allocated, level.updated_at = on_hand, allocated, timezone.now()
            updated.append(level)
            repaired_pairs.add(pair)
        StockLevel.objects.bulk_update(updated, ["on_hand", "allocated", "updated_at"], batch_size=500)
        _emit_stock_changed(updated)
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
