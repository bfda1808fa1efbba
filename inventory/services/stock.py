"""The stock ledger, allocations and holds: every change locks rows in (variant, location) order."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from omnishop.outbox.services import OutboxMessage, outbox_emit_many

from ..exceptions import InsufficientStock
from ..lock_objects import stock_levels_lock
from ..models import Allocation, StockHold, StockLevel, StockMovement
from ..selectors import units_available

# --- stock: ledger, allocations, holds, transfers ---------------------------------------------


@dataclass(frozen=True)
class StockChange:
    """One change to apply: a delta (``quantity``) or an absolute ``count`` of on-hand units."""

    variant_id: int
    location_id: int
    kind: str
    quantity: int | None = None
    count: int | None = None
    idempotency_key: str | None = None
    note: str = ""


def _ensure_stock_levels(pairs) -> None:
    """Create missing StockLevel rows (zero stock) so they can be locked; races are harmless."""
    StockLevel.objects.bulk_create(
        [StockLevel(variant_id=v, location_id=loc) for v, loc in sorted(set(pairs))],
        ignore_conflicts=True,
        batch_size=1000,
    )


def stock_changed_message(*, sku: str, location_code: str, on_hand: int, allocated: int, safety_stock: int):
    """The coalesced ``stock.changed`` outbox event for one (SKU, location)."""
    return OutboxMessage(
        type="stock.changed",
        aggregate_type="stock",
        aggregate_id=f"{sku}@{location_code}",
        payload={
            "sku": sku,
            "location": location_code,
            "on_hand": on_hand,
            "allocated": allocated,
            "safety_stock": safety_stock,
        },
        coalesce_key=f"stock.changed:{sku}:{location_code}",
    )


def _emit_stock_changed(levels) -> None:
    """One coalesced ``stock.changed`` event per (SKU, location); ``levels`` come from the lock."""
    outbox_emit_many(
        events=[
            stock_changed_message(
                sku=level.variant.sku,
                location_code=level.location.code,
                on_hand=level.on_hand,
                allocated=level.allocated,
                safety_stock=level.safety_stock,
            )
            for level in levels
        ]
    )


@dataclass(frozen=True)
class StockLine:
    variant_id: int
    location_id: int
    quantity: int


def _check_available(
    levels, lines: list[StockLine], *, online: bool, exclude_hold_references: Collection[str] = ()
) -> dict[tuple[int, int], int]:
    """Raise InsufficientStock naming every short line. ``levels`` must be locked already (with
    their location). Returns the units wanted per (variant, location): lines for one row add up.
    An inactive location has nothing available."""
    pairs = {(ln.variant_id, ln.location_id) for ln in lines}
    now = timezone.now()
    held_q = StockHold.objects.filter(
        expires_at__gt=now, variant_id__in={p[0] for p in pairs}, location_id__in={p[1] for p in pairs}
    )
    if exclude_hold_references:
        held_q = held_q.exclude(reference__in=list(exclude_hold_references))
    held: dict[tuple[int, int], int] = {}
    for v, loc, qty in held_q.values_list("variant_id", "location_id", "quantity"):
        held[(v, loc)] = held.get((v, loc), 0) + qty
    wanted: dict[tuple[int, int], int] = {}
    for ln in lines:
        wanted[(ln.variant_id, ln.location_id)] = wanted.get((ln.variant_id, ln.location_id), 0) + ln.quantity
    short = {}
    for pair, quantity in wanted.items():
        level = levels.get(pair)
        if level is not None and not level.location.is_active:
            short[f"{pair[0]}@{pair[1]}"] = [
                _("%(wanted)d wanted, none available: the location is not active.") % {"wanted": quantity}
            ]
            continue
        available = 0
        if level is not None:
            available = units_available(
                on_hand=level.on_hand,
                allocated=level.allocated,
                held=held.get(pair, 0),
                safety_stock=level.safety_stock,
                kind=level.location.kind,
                ring_fence=level.location.ring_fence,
                online=online,
            )
        if quantity > available:
            short[f"{pair[0]}@{pair[1]}"] = [
                _("%(wanted)d wanted, %(available)d available.") % {"wanted": quantity, "available": available}
            ]
    if short:
        raise InsufficientStock(
            ngettext("Not enough stock for %(n)d line.", "Not enough stock for %(n)d lines.", len(short))
            % {"n": len(short)},
            errors=short,
        )
    return wanted


def _allocated_add(by_pk: dict[int, int]) -> None:
    """``allocated += q`` for many rows in one relative UPDATE (the CHECK constraint still
    refuses an oversell). Rows are already locked by the caller."""
    table = StockLevel._meta.db_table
    values = ", ".join(["(%s, %s)"] * len(by_pk))
    params = [x for pk, q in sorted(by_pk.items()) for x in (pk, q)]
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f'UPDATE "{table}" AS s SET "allocated" = s."allocated" + v.q, "updated_at" = %s'  # noqa: S608
                f' FROM (VALUES {values}) AS v(id, q) WHERE s."id" = v.id',
                [now, *params],
            )
        else:
            StockLevel.objects.filter(pk__in=list(by_pk)).update(
                allocated=F("allocated")
                + Case(*[When(pk=pk, then=Value(q)) for pk, q in sorted(by_pk.items())], output_field=IntegerField()),
                updated_at=now,
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
        held_pairs = _hold_pairs(StockHold.objects.filter(reference=release_holds)) if release_holds else set()
        # The released holds' rows too (they may be elsewhere): their availability changes as well.
        levels = stock_levels_lock(pairs=[*pairs, *held_pairs])
        totals = _check_available(
            levels, lines, online=online, exclude_hold_references=[release_holds] if release_holds else ()
        )
        _allocated_add({levels[pair].pk: quantity for pair, quantity in totals.items()})
        for pair, quantity in totals.items():
            levels[pair].allocated += quantity
        _emit_stock_changed(levels[pair] for pair in sorted(set(totals) | (held_pairs & set(levels))))
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
    from .sync import stock_changes_apply  # sync builds on this module

    with transaction.atomic():
        ids = sorted(a.pk for a in allocations)
        open_rows = list(
            Allocation.objects.select_for_update().filter(pk__in=ids, status=Allocation.Status.OPEN).order_by("pk")
        )
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
            _emit_stock_changed(levels.values())
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


def stock_safety_stock_set(*, level: StockLevel, safety_stock: int, actor=None) -> StockLevel:
    """Set the units of a stock row never promised to anyone (damage, miscounts). Locks the row;
    the new figure reaches every channel's availability at once and goes out as stock.changed."""
    if safety_stock < 0:
        raise ValidationError({"safety_stock": [_("Safety stock cannot be negative.")]})
    with transaction.atomic():
        locked = stock_levels_lock(pairs=[(level.variant_id, level.location_id)])[(level.variant_id, level.location_id)]
        if locked.safety_stock != safety_stock:
            locked.safety_stock = safety_stock
            locked.save(update_fields=["safety_stock", "updated_at"])
            _emit_stock_changed([locked])
    return locked


def stock_hold_place(
    *,
    lines: list[StockLine],
    kind: str,
    reference: str,
    ttl: timedelta,
    online: bool = True,
    replacing: Collection[str] = (),
) -> list[StockHold]:
    """Reserve units for a while (cart, checkout, reserve-in-store). Replaces earlier holds with
    the same reference (no ``lines``: replaced with nothing, as ``stock_holds_release`` does),
    and the holds of the references in ``replacing`` too (an anonymous cart merged into this
    one): their units do not count against the new lines.
    Locks the rows like an allocation, of the new lines and of all the holds replaced, in one
    step (a caller releasing holds and then placing others would lock twice, out of the global
    order), and emits ``stock.changed`` for each of them (placing the same lines again extends
    the hold).
    Raises ``ValidationError`` (a line of less than one unit, an unknown ``kind``, a ``ttl``
    that is not positive) or ``InsufficientStock``; when refused, the earlier holds stand."""
    errors = {}
    if kind not in StockHold.Kind.values:
        errors["kind"] = [
            _("Unknown hold kind %(kind)s: use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(StockHold.Kind.values)}
        ]
    if ttl <= timedelta(0):
        errors["ttl"] = [_("A hold must last a positive time.")]
    short = [f"{ln.variant_id}@{ln.location_id}" for ln in lines if ln.quantity < 1]
    if short:
        errors["lines"] = [_("Hold at least one unit on every line (%(lines)s).") % {"lines": ", ".join(short)}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pairs = [(ln.variant_id, ln.location_id) for ln in lines]
        _ensure_stock_levels(pairs)
        references = sorted({reference, *replacing})
        replaced = _hold_pairs(StockHold.objects.filter(reference__in=references))
        levels = stock_levels_lock(pairs=[*pairs, *replaced])
        _check_available(levels, lines, online=online, exclude_hold_references=references)
        StockHold.objects.filter(reference__in=references).delete()
        expires_at = timezone.now() + ttl
        holds = StockHold.objects.bulk_create(
            [
                StockHold(
                    variant_id=ln.variant_id,
                    location_id=ln.location_id,
                    quantity=ln.quantity,
                    kind=kind,
                    reference=reference,
                    expires_at=expires_at,
                )
                for ln in lines
            ]
        )
        _emit_stock_changed(levels.values())
    return holds


def _hold_pairs(holds) -> set[tuple[int, int]]:
    """The (variant, location) pairs of a queryset of holds."""
    return set(holds.order_by().values_list("variant_id", "location_id").distinct())


def stock_holds_release(*, reference: str) -> int:
    """Delete the holds of ``reference`` (a cart emptied, a checkout given up): their units are
    available again. Locks their rows like an allocation and emits ``stock.changed`` for each
    (SKU, location) they held. Returns how many holds went."""
    with transaction.atomic():
        pairs = _hold_pairs(StockHold.objects.filter(reference=reference))
        if not pairs:
            return 0
        levels = stock_levels_lock(pairs=pairs)
        deleted, _counts = StockHold.objects.filter(reference=reference).delete()
        _emit_stock_changed(levels.values())
    return deleted


HOLDS_PURGE_BATCH = 500  # expired holds per transaction: the purge locks their stock rows


def stock_holds_purge_expired(*, now=None) -> int:
    """Delete expired holds (availability already ignores them; this keeps the table small) and
    emit ``stock.changed`` for each (SKU, location) they held, so channels learn that the units
    are free again. Works in batches, each locking its rows in (variant, location) order.
    Returns how many holds went."""
    now = now or timezone.now()
    deleted = 0
    while True:
        with transaction.atomic():
            expired = list(
                StockHold.objects.filter(expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "variant_id", "location_id")[:HOLDS_PURGE_BATCH]
            )
            if not expired:
                break
            levels = stock_levels_lock(pairs={(variant_id, location_id) for _pk, variant_id, location_id in expired})
            count, _counts = StockHold.objects.filter(pk__in=[pk for pk, _v, _loc in expired]).delete()
            deleted += count
            _emit_stock_changed(levels.values())
        if len(expired) < HOLDS_PURGE_BATCH:
            break
    return deleted
