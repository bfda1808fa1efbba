"""Row locks for stock, always taken in one order (variant id, then location id).

Every path that changes a StockLevel locks through here, so two transactions touching the same
rows queue instead of deadlocking, whatever order their callers listed the lines in.
"""

from collections.abc import Iterable

from django.db.models import Q

from .models import StockLevel


def stock_levels_lock(*, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Lock the StockLevel rows for ``(variant_id, location_id)`` pairs; returns them by pair.

    Missing rows are simply absent from the result (callers create them first when needed).
    """
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    by_location: dict[int, list[int]] = {}
    for variant_id, location_id in wanted:
        by_location.setdefault(location_id, []).append(variant_id)
    match = Q()
    for location_id, variant_ids in by_location.items():
        match |= Q(location_id=location_id, variant_id__in=variant_ids)
    # Evaluated here: the ORDER BY makes PostgreSQL take the row locks in this order.
    # Variant and location come along (SKU, location code, ring-fence) but only stock rows are locked.
    rows = list(
        StockLevel.objects.select_related("variant", "location")
        .select_for_update(of=("self",))
        .filter(match)
        .order_by("variant_id", "location_id")
    )
    return {(r.variant_id, r.location_id): r for r in rows}
