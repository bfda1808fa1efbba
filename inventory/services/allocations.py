"""Allocations: units promised to orders, released or fulfilled, on the ledger kernel."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..lock_objects import allocations_lock_open, stock_levels_lock
from ..models import Allocation, StockHold, StockLevel, StockMovement
from .ledger import StockChange, StockLine, stock_available_check, stock_changed_emit, stock_changes_apply


def _allocated_add(by_pk: dict[int, int]) -> None:
    """``allocated += q`` for many rows in one relative UPDATE (the CHECK constraint still
    refuses an oversell). Rows are already locked by the caller."""
    table = StockLevel._meta.db_table
    values = ", ".join(["(%s, %s)"] * len(by_pk))
    params = [x for pk, q in sorted(by_pk.items()) for x in (pk, q)]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS s SET "allocated" = s."allocated" + v.q, "updated_at" = %s'  # noqa: S608
            f' FROM (VALUES {values}) AS v(id, q) WHERE s."id" = v.id',
            [timezone.now(), *params],
        )


def stock_allocate(
    *, lines: list[StockLine], reference: str, online: bool = True, release_holds: str = "", savepoint: bool = True
) -> list[Allocation]:
    """Promise units to an order: lock rows in (variant, location) order, check availability
    (holds, safety stock, ring-fence), raise ``allocated`` with F(), and record allocations.

    ``release_holds``: a hold reference (the order's checkout holds) that is not counted
    against availability and is deleted, so a customer's own hold never blocks their order.
    The CHECK constraint ``allocated <= on_hand`` refuses an oversell even if this check had a bug.
    Raises ``InsufficientStock`` (nothing written), ``ValidationError`` for a line of less than
    one unit. ``savepoint=False`` is for callers whose transaction ends with the error anyway
    (checkout): it saves two round trips, but then the caller's atomic block is marked for
    rollback and cannot catch the error and go on.
    """
    if any(ln.quantity < 1 for ln in lines):
        raise ValidationError({"lines": [_("Allocate at least one unit on every line.")]})
    if not lines:
        return []
    with transaction.atomic(savepoint=savepoint):
        pairs = [(ln.variant_id, ln.location_id) for ln in lines]
        held_pairs = _hold_pairs(release_holds) if release_holds else set()
        # The released holds' rows too (they may be elsewhere): their availability changes as well.
        levels = stock_levels_lock(pairs=[*pairs, *held_pairs])
        # The released holds are not counted, and they go below: the check reads what stays held.
        check = stock_available_check(
            levels=levels, lines=lines, online=online, exclude_hold_references=[release_holds] if release_holds else ()
        )
        totals = check.wanted
        _allocated_add({levels[pair].pk: quantity for pair, quantity in totals.items()})
        for pair, quantity in totals.items():
            levels[pair].allocated += quantity
        stock_changed_emit(
            levels=[levels[pair] for pair in sorted(set(totals) | (held_pairs & set(levels)))], held=check.held
        )
        allocations = Allocation.objects.bulk_create(
            [
                Allocation(
                    variant_id=ln.variant_id, location_id=ln.location_id, quantity=ln.quantity, reference=reference
                )
                for ln in lines
            ]
        )
        if release_holds:
            StockHold.objects.filter(reference=release_holds).delete()
    return allocations


def _close_allocations(*, allocations, status: str, actor=None, reference: str = "") -> list[Allocation]:
    """Close open allocations: ``allocated`` falls; for FULFILLED, on hand falls too, through the
    ledger path (one SALE entry each, under ``reference`` or else the allocation's own)."""
    with transaction.atomic():
        open_rows = allocations_lock_open(ids=[a.pk for a in allocations])
        if not open_rows:
            return []
        levels = stock_levels_lock(pairs=[(a.variant_id, a.location_id) for a in open_rows])
        released: dict[int, int] = {}
        now = timezone.now()
        for a in open_rows:
            level = levels[(a.variant_id, a.location_id)]
            level.allocated -= a.quantity
            released[level.pk] = released.get(level.pk, 0) - a.quantity
            a.status, a.closed_at = status, now
        _allocated_add(released)
        Allocation.objects.bulk_update(open_rows, ["status", "closed_at"])
        if status != Allocation.Status.FULFILLED:
            stock_changed_emit(levels=levels.values())
            return open_rows
        by_reference: dict[str, list[StockChange]] = {}
        for a in open_rows:
            by_reference.setdefault(reference or a.reference, []).append(
                StockChange(a.variant_id, a.location_id, StockMovement.Kind.SALE, quantity=-a.quantity)
            )
        for ref, changes in sorted(by_reference.items()):
            stock_changes_apply(changes=changes, actor=actor, reference=ref)  # ledger, on hand, stock.changed
    return open_rows


def stock_release(*, allocations, actor=None) -> list[Allocation]:
    """Give allocated units back (order cancelled, line refused). Idempotent per allocation."""
    return _close_allocations(allocations=allocations, status=Allocation.Status.RELEASED, actor=actor)


def stock_fulfil(*, allocations, actor=None, reference: str = "") -> list[Allocation]:
    """Units leave the building (shipped or handed over): on-hand and allocated fall together,
    with a SALE entry in the ledger. Idempotent per allocation."""
    return _close_allocations(
        allocations=allocations, status=Allocation.Status.FULFILLED, actor=actor, reference=reference
    )


def stock_allocation_short(*, allocation: Allocation, quantity: int, note: str, actor=None, reference: str = ""):
    """Units an open allocation promised are not there (missing or damaged when picked): the
    allocation shrinks by ``quantity`` (released when none is left), and on hand falls by as
    many through the ledger (one ADJUSTMENT entry with ``note``), in one transaction. Allocated
    falls first, so on hand never goes below it. Returns the allocation as it is now.
    Raises ``ValidationError`` when the allocation is not open or has fewer units."""
    with transaction.atomic():
        rows = allocations_lock_open(ids=[allocation.pk])
        if not rows or quantity < 1 or quantity > rows[0].quantity:
            raise ValidationError({"quantity": [_("The allocation does not hold that many units.")]})
        locked = rows[0]
        pair = (locked.variant_id, locked.location_id)
        level = stock_levels_lock(pairs=[pair])[pair]
        _allocated_add({level.pk: -quantity})
        if quantity == locked.quantity:
            locked.status, locked.closed_at = Allocation.Status.RELEASED, timezone.now()
            locked.save(update_fields=["status", "closed_at"])
        else:
            locked.quantity -= quantity
            locked.save(update_fields=["quantity"])
        stock_changes_apply(  # on hand, the ledger entry and stock.changed (which reads the new allocated)
            changes=[StockChange(*pair, StockMovement.Kind.ADJUSTMENT, quantity=-quantity, note=note[:200])],
            actor=actor,
            reference=reference or locked.reference,
        )
    return locked


def _hold_pairs(reference: str) -> set[tuple[int, int]]:
    """The (variant, location) pairs of the holds of ``reference``."""
    return set(
        StockHold.objects.filter(reference=reference).order_by().values_list("variant_id", "location_id").distinct()
    )
