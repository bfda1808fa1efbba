"""Holds: units reserved for a while (cart, checkout, reserve-in-store), on the ledger kernel."""

from collections.abc import Collection
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..lock_objects import stock_levels_lock
from ..models import StockHold
from .ledger import StockLine, stock_available_check, stock_changed_emit, stock_levels_ensure


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
        stock_levels_ensure(pairs=pairs)
        references = sorted({reference, *replacing})
        replaced = _hold_pairs(StockHold.objects.filter(reference__in=references))
        levels = stock_levels_lock(pairs=[*pairs, *replaced])
        # What stays held once the replaced holds go: the new lines come on top of it.
        held = stock_available_check(levels=levels, lines=lines, online=online, exclude_hold_references=references).held
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
        for ln in lines:
            pair = (ln.variant_id, ln.location_id)
            held[pair] = held.get(pair, 0) + ln.quantity
        stock_changed_emit(levels=levels.values(), held=held)
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
        stock_changed_emit(levels=levels.values())
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
            stock_changed_emit(levels=levels.values())
        if len(expired) < HOLDS_PURGE_BATCH:
            break
    return deleted
