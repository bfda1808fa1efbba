"""Allocations: units promised to orders, released or fulfilled, on the ledger kernel."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from omnishop.sql_arrays import int_array

from ..exceptions import InsufficientStock
from ..lock_objects import allocations_lock_open, stock_levels_lock
from ..models import Allocation, StockHold, StockLevel, StockMovement
from .ledger import (
    StockChange,
    StockLine,
    stock_changed_emit,
    stock_changes_apply,
    stock_held_rows,
    stock_held_sql,
    stock_levels_ensure,
    stock_shortfalls_raise,
    stock_wanted,
)


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


def _allocations_record(
    by_pk: dict[int, int], *, lines: list[StockLine], reference: str, held_of: tuple[str, list]
) -> tuple[list[Allocation], list[tuple], bool]:
    """``allocated += q`` of ``by_pk`` (locked rows, each only while it stays within on hand) and
    the open allocations of ``lines`` under ``reference``, in one statement (a placement's round
    trips count), reading in the same statement the holds ``held_of`` (``stock_held_sql``) asks
    for. Returns the allocations, saved, in the order of ``lines``, the held rows, and whether
    every row's ``allocated`` was raised (one that would pass on hand is not). The statement
    starts after the locks were granted, so it sees every hold committed before them; the caller
    checks availability on what it read and raises when short, which rolls the writes back."""
    level, allocation = StockLevel._meta.db_table, Allocation._meta.db_table
    now = timezone.now()
    changes = sorted(by_pk.items())
    held_sql, held_params = held_of
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH h(v, l, q) AS ({held_sql}), "  # noqa: S608
            f'u AS (UPDATE "{level}" AS s SET "allocated" = s."allocated" + v.q, "updated_at" = %s'
            ' FROM unnest(%s::bigint[], %s::integer[]) AS v(id, q) WHERE s."id" = v.id'
            ' AND s."allocated" + v.q <= s."on_hand" RETURNING 1), '
            f'a AS (INSERT INTO "{allocation}" ("location_id", "variant_id", "quantity", "reference", "status",'
            ' "created_at") SELECT a.l, a.v, a.q, %s, %s, %s'
            " FROM ROWS FROM (unnest(%s::bigint[], %s::bigint[], %s::integer[])) WITH ORDINALITY AS a(l, v, q, n)"
            ' ORDER BY a.n RETURNING "id") '
            "SELECT 'a', id, NULL::bigint, NULL::bigint, NULL::bigint FROM a"
            " UNION ALL SELECT 'h', NULL, v, l, q FROM h UNION ALL SELECT 'u', count(*), NULL, NULL, NULL FROM u",
            [
                *held_params,
                now,
                int_array(pk for pk, _q in changes),
                int_array(q for _pk, q in changes),
                reference,
                Allocation.Status.OPEN,
                now,
                int_array(ln.location_id for ln in lines),
                int_array(ln.variant_id for ln in lines),
                int_array(ln.quantity for ln in lines),
            ],
        )
        rows = cursor.fetchall()
    ids = [n for kind, n, *_rest in rows if kind == "a"]
    held = [tuple(rest) for kind, _n, *rest in rows if kind == "h"]
    updated = next(n for kind, n, *_rest in rows if kind == "u")
    fields = ("id", "location_id", "variant_id", "quantity", "reference", "status", "created_at", "closed_at")
    allocations = [
        Allocation.from_db(
            connection.alias,
            fields,
            (pk, ln.location_id, ln.variant_id, ln.quantity, reference, Allocation.Status.OPEN, now, None),
        )
        for pk, ln in zip(ids, lines, strict=True)
    ]
    return allocations, held, updated == len(changes)


def stock_allocate(
    *, lines: list[StockLine], reference: str, online: bool = True, release_holds: str = "", savepoint: bool = True
) -> list[Allocation]:
    """Promise units to an order: lock rows in (variant, location) order, raise ``allocated``,
    record the allocations and read the holds in one statement, then check availability (holds,
    safety stock, ring-fence) on what was read: a shortage raises and the writes go back with
    the savepoint (or, with ``savepoint=False``, with the caller's transaction).

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
        wanted = stock_wanted(lines)
        # The released holds are not counted, and they go below: the check reads what stays held.
        read_pairs = {*levels, *pairs}
        held_of = stock_held_sql(pairs=read_pairs, exclude_references=[release_holds] if release_holds else ())
        allocations, held_rows, raised = _allocations_record(
            {levels[pair].pk: quantity for pair, quantity in wanted.items() if pair in levels},
            lines=lines,
            reference=reference,
            held_of=held_of,
        )
        check = stock_shortfalls_raise(
            levels=levels, wanted=wanted, held=stock_held_rows(held_rows, pairs=read_pairs), online=online
        )
        if not raised:  # cannot happen after the check (available never exceeds on hand less allocated)
            raise InsufficientStock(
                ngettext("Not enough stock for %(n)d line.", "Not enough stock for %(n)d lines.", len(wanted))
                % {"n": len(wanted)},
                errors={},
            )
        for pair, quantity in wanted.items():
            levels[pair].allocated += quantity
        stock_changed_emit(
            levels=[levels[pair] for pair in sorted(set(wanted) | (held_pairs & set(levels)))], held=check.held
        )
        if release_holds:
            StockHold.objects.filter(reference=release_holds).delete()
    return allocations


def stock_allocate_arrived(*, lines: list[StockLine], reference: str) -> list[Allocation]:
    """Promise units that have just arrived for an order (its transfer booked in at the pickup
    store) to that order. They came for it: neither the location's safety stock, nor its
    ring-fence, nor other customers' holds there stand in the way, only units other orders hold
    (``allocated``); the CHECK ``allocated <= on_hand`` still guards. Rows are locked in
    (variant, location) order. Raises ``InsufficientStock`` when on hand less allocated is
    short (the goods were sold or miscounted meanwhile), ``ValidationError`` for a line of less
    than one unit."""
    if any(ln.quantity < 1 for ln in lines):
        raise ValidationError({"lines": [_("Allocate at least one unit on every line.")]})
    if not lines:
        return []
    with transaction.atomic():
        levels = stock_levels_lock(pairs=[(ln.variant_id, ln.location_id) for ln in lines])
        wanted = stock_wanted(lines)
        short = {}
        for pair, quantity in wanted.items():
            level = levels.get(pair)
            free = level.on_hand - level.allocated if level is not None else 0
            if quantity > free:
                short[f"{pair[0]}@{pair[1]}"] = [
                    _("%(wanted)d wanted, %(available)d available.") % {"wanted": quantity, "available": max(free, 0)}
                ]
        if short:
            raise InsufficientStock(_("The units that arrived are no longer there."), errors=short)
        allocations, held_rows, _raised = _allocations_record(
            {levels[pair].pk: quantity for pair, quantity in wanted.items()},
            lines=lines,
            reference=reference,
            held_of=stock_held_sql(pairs=set(wanted)),
        )
        for pair, quantity in wanted.items():
            levels[pair].allocated += quantity
        stock_changed_emit(
            levels=[levels[pair] for pair in sorted(wanted)], held=stock_held_rows(held_rows, pairs=set(wanted))
        )
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


def stock_sell(
    *, lines: list[StockLine], actor=None, reference: str = "", note: str = ""
) -> dict[tuple[int, int], int]:
    """Units sold over a counter, a sale that already happened (a till's receipt): on hand falls
    by each line with a SALE entry, under ``reference``. Never refused for want of stock: where
    a sale takes more than on hand less what orders hold (``allocated``), the shelf had units the
    system did not know of, and the difference is booked first as a COUNT entry (with ``note``),
    so on hand never falls below allocated or zero (the CHECKs hold, no order loses its units).
    Rows are locked in (variant, location) order. Returns the corrections, units by (variant,
    location). Raises ``ValidationError`` for a line of less than one unit."""
    if any(ln.quantity < 1 for ln in lines):
        raise ValidationError({"lines": [_("Sell at least one unit on every line.")]})
    wanted: dict[tuple[int, int], int] = {}
    for ln in lines:
        wanted[(ln.variant_id, ln.location_id)] = wanted.get((ln.variant_id, ln.location_id), 0) + ln.quantity
    if not wanted:
        return {}
    stock_levels_ensure(pairs=wanted)  # before any stock lock: a store may sell an item it never had on record
    corrections: dict[tuple[int, int], int] = {}
    with transaction.atomic():
        levels = stock_levels_lock(pairs=wanted)
        changes = []
        for pair, quantity in sorted(wanted.items()):
            level = levels[pair]
            short = max(0, level.allocated + quantity - level.on_hand)
            if short:
                corrections[pair] = short
                changes.append(StockChange(*pair, StockMovement.Kind.COUNT, quantity=short, note=note[:200]))
            changes.append(StockChange(*pair, StockMovement.Kind.SALE, quantity=-quantity))
        stock_changes_apply(changes=changes, actor=actor, reference=reference)
    return corrections
