"""Row locks, all taken here: stock rows always in one order (variant id, then location id),
then the rows that hang on them (allocations by id, a transfer, a location).

Every path that changes a StockLevel locks through here, so two transactions touching the same
rows queue instead of deadlocking, whatever order their callers listed the lines in.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from catalog.models import Variant

from .models import Allocation, ChannelStock, Location, StockLevel, Transfer


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


@dataclass(slots=True)
class LockedLevel:
    """A locked StockLevel row as plain values (a sync locks thousands: no model instances)."""

    pk: int
    tid: str  # the locked row version's ctid, see ledger's on-hand write
    variant_id: int
    location_id: int
    on_hand: int
    allocated: int
    safety_stock: int
    sku: str
    location_code: str


def stock_levels_lock_bulk(*, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], LockedLevel]:
    """``stock_levels_lock`` for thousands of rows: one statement, rows back as ``LockedLevel``.

    The pairs travel as two array parameters (unnest): IN lists or VALUES rows with tens of
    thousands of parameters cost more to build and bind than PostgreSQL spends running them
    (10,000 rows: 0.34 s -> 0.05 s). The ctid comes along so the on-hand write can find each
    row without an index descent. Missing rows are absent from the result.
    """
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    level, variant, location = (m._meta.db_table for m in (StockLevel, Variant, Location))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.ctid::text, s.variant_id, s.location_id, s.on_hand, s.allocated, s.safety_stock, "  # noqa: S608
            f"v.sku, l.code FROM {level} s "
            "JOIN unnest(%s::bigint[], %s::bigint[]) AS p(variant_id, location_id) "
            "ON s.variant_id = p.variant_id AND s.location_id = p.location_id "
            f"JOIN {variant} v ON v.id = s.variant_id JOIN {location} l ON l.id = s.location_id "
            "ORDER BY s.variant_id, s.location_id FOR UPDATE OF s",
            [[v for v, _loc in wanted], [loc for _v, loc in wanted]],
        )
        rows = cursor.fetchall()
    return {(row[2], row[3]): LockedLevel(*row) for row in rows}


def allocations_lock_open(*, ids: Iterable[int]) -> list[Allocation]:
    """Lock the open allocations among ``ids``, in id order; closed ones are left out."""
    return list(
        Allocation.objects.select_for_update()
        .filter(pk__in=sorted(set(ids)), status=Allocation.Status.OPEN)
        .order_by("pk")
    )


def transfer_lock(*, pk: int) -> Transfer:
    """Lock a transfer row, with its two locations read but not locked (a plain
    select_for_update() locks every joined row: each transfer step would queue behind any
    other at the same location)."""
    return Transfer.objects.select_for_update(of=("self",)).select_related("source", "destination").get(pk=pk)


def location_lock(*, pk: int) -> Location:
    """Lock a location row (an edit of its settings)."""
    return Location.objects.select_for_update().get(pk=pk)


def locations_lock(*, ids: Iterable[int]) -> list[Location]:
    """Lock location rows in id order, after any stock rows (a store's daily pick capacity:
    placements that would fill it queue here and count one after the other)."""
    return list(Location.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk"))


def channel_stock_lock(
    *, channel_ids: Iterable[int], variant_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None
) -> list[tuple[int, int, int, int | None]]:
    """Lock the channel stock figures of ``channel_ids`` (those of ``variant_ids`` and/or of the
    variants of ``product_ids``; None: no limit), in (channel, variant) order, after any stock
    rows: (id, channel id, variant id, available). Taken before the figures are worked out, so
    two changes of one variant at different locations publish it one after the other, each from
    what the other committed."""
    rows = ChannelStock.objects.select_for_update(of=("self",)).filter(channel_id__in=sorted(set(channel_ids)))
    if variant_ids is not None:
        rows = rows.filter(variant_id__in=sorted(set(variant_ids)))
    if product_ids is not None:
        rows = rows.filter(variant__product_id__in=sorted(set(product_ids)))
    return list(rows.order_by("channel_id", "variant_id").values_list("pk", "channel_id", "variant_id", "available"))
