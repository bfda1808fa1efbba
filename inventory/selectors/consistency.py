"""Consistency: stock rows against the ledger and the open allocations."""

from dataclasses import dataclass

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..models import Allocation, StockLevel, StockMovement


@dataclass(frozen=True)
class StockDrift:
    """A stock row whose ``field`` ("on_hand" or "allocated") differs from what the ledger
    (on hand) or the open allocations (allocated) say it should be; ``actual`` is None when
    the row itself is missing."""

    variant_id: int
    location_id: int
    sku: str
    location: str
    field: str
    expected: int
    actual: int | None


def stock_drift_list() -> list[StockDrift]:
    """Every drift between stock rows, the ledger and open allocations, in three aggregate
    queries whatever the number of rows (only drifting rows come back):

    - rows whose on_hand differs from the sum of their movements, or whose allocated differs
      from the sum of their open allocations;
    - ledger or open allocations for a (variant, location) that has no stock row at all.
    """
    ledger = (
        StockMovement.objects.filter(variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"))
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    open_allocated = (
        Allocation.objects.filter(
            variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"), status=Allocation.Status.OPEN
        )
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    rows = (
        StockLevel.objects.annotate(
            ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), Value(0)),
            open_allocated=Coalesce(Subquery(open_allocated, output_field=IntegerField()), Value(0)),
        )
        .filter(~Q(on_hand=F("ledger")) | ~Q(allocated=F("open_allocated")))
        .order_by("variant_id", "location_id")
        .values_list(
            "variant_id",
            "location_id",
            "variant__sku",
            "location__code",
            "on_hand",
            "ledger",
            "allocated",
            "open_allocated",
        )
    )
    drifts = []
    for variant_id, location_id, sku, code, on_hand, expected_on_hand, allocated, expected_allocated in rows:
        if on_hand != expected_on_hand:
            drifts.append(StockDrift(variant_id, location_id, sku, code, "on_hand", expected_on_hand, on_hand))
        if allocated != expected_allocated:
            drifts.append(StockDrift(variant_id, location_id, sku, code, "allocated", expected_allocated, allocated))

    no_row = StockLevel.objects.filter(variant_id=OuterRef("variant_id"), location_id=OuterRef("location_id"))
    for model, field, extra in (
        (StockMovement, "on_hand", Q()),
        (Allocation, "allocated", Q(status=Allocation.Status.OPEN)),
    ):
        orphans = (
            model.objects.filter(extra)
            .filter(~Exists(no_row))
            .order_by()
            .values("variant_id", "location_id", "variant__sku", "location__code")
            .annotate(total=Sum("quantity"))
            .exclude(total=0)
            .order_by("variant_id", "location_id")
            .values_list("variant_id", "location_id", "variant__sku", "location__code", "total")
        )
        drifts.extend(StockDrift(v, loc, sku, code, field, total, None) for v, loc, sku, code, total in orphans)
    drifts.sort(key=lambda d: (d.variant_id, d.location_id, d.field))
    return drifts
