"""Bulk stock changes from POS / ERP / WMS: the sync API and the CSV import share this path,
on the ledger kernel's ``stock_changes_apply``."""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.selectors import variant_ids_by_sku

from ..exceptions import IdempotencyConflict, StockCountBelowAllocated
from ..models import StockMovement, StockSync
from ..selectors import location_ids_by_code
from .ledger import INT_MAX, StockChange, stock_changes_apply

_INTEGER_RE = re.compile(r"^[+-]?\d+$")

# --- stock sync (POS / ERP / WMS), one use case for the API and the CSV import -----------------


class SyncMode:
    ABSOLUTE = "absolute"  # the row's quantity is a count: on hand becomes it
    DELTA = "delta"  # the row's quantity is added to on hand

    choices = (ABSOLUTE, DELTA)


class SyncErrorPolicy:
    REJECT_ALL = "reject_all"  # any failed row: nothing is written
    REJECT_FAILED = "reject_failed"  # valid rows are written, failed rows reported

    choices = (REJECT_ALL, REJECT_FAILED)


class StockSyncRow(NamedTuple):
    """One row as received: a location code, a SKU and a whole number (an int, or a string of
    digits from a CSV file). Values are checked by ``stock_sync_apply``, which reports each
    problem against the row instead of refusing the whole sync. (A tuple: a sync has 10,000.)"""

    location: object
    sku: object
    quantity: object


@dataclass
class StockSyncResult:
    sync_id: str
    mode: str
    error_policy: str
    received: int = 0
    applied: int = 0  # rows in the ledger: written now or by an earlier call with this sync_id
    unchanged: int = 0  # rows that needed no change (count equal to on hand, zero delta)
    replayed: int = 0  # of the applied rows, those an earlier call with this sync_id had written
    errors: dict[str, list[str]] = field(default_factory=dict)  # "rows.<i>.<field>" -> messages

    @property
    def failed(self) -> int:
        return len({key.split(".")[1] for key in self.errors})


# What a sync_id may be, here and in the API: "sync:<id>" must fit the ledger's reference (100
# characters) and "sync:<id>:<row>" its idempotency key (120).
SYNC_ID_MAX_LENGTH = 64
SYNC_ID_PATTERN = r"^[\w.:@/-]+$"
_SYNC_ID_RE = re.compile(SYNC_ID_PATTERN)


def _sync_id_check(sync_id) -> None:
    if not (isinstance(sync_id, str) and len(sync_id) <= SYNC_ID_MAX_LENGTH and _SYNC_ID_RE.fullmatch(sync_id)):
        raise ValidationError(
            {
                "sync_id": [
                    _("A sync id is 1 to %(max)d letters, digits or . _ : @ / - characters.")
                    % {"max": SYNC_ID_MAX_LENGTH}
                ]
            }
        )


def stock_sync_key(sync_id: str, row_index: int) -> str:
    """The ledger idempotency key of a sync row: how a repeated sync_id finds its applied rows."""
    return f"sync:{sync_id}:{row_index}"


def _quantity_parse(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_RE.match(value.strip()):
        try:
            return int(value.strip())
        except ValueError:  # more digits than int() converts (4,300)
            return None
    return None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def stock_sync_apply(
    *,
    sync_id: str,
    mode: str,
    rows: list[StockSyncRow],
    error_policy: str = SyncErrorPolicy.REJECT_ALL,
    actor=None,
    note: str = "",
    batch_size: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> StockSyncResult:
    """Apply stock from a POS, ERP or WMS: absolute counts or deltas per (location code, SKU).

    One ledger entry per row that changes stock (kind "count" for absolute, "adjustment" for
    delta), with idempotency key ``sync:<sync_id>:<row index>``. Every answered sync is kept
    (``StockSync``, with a fingerprint of its mode, error policy and rows): sending the same
    sync again writes nothing and returns the first answer (``replayed`` = the applied rows),
    so a late retry cannot set a row back to an old count; the same sync_id with another
    request is an ``IdempotencyConflict``. A sync refused as a whole (reject_all) is not kept:
    nothing of it was written, and it may be sent again. Should two calls with one sync_id run
    at once, or a call stop before its answer is kept, the ledger keys still apply each row
    once. Location codes and SKUs are resolved in bulk; rows are locked in (variant, location)
    order.

    Per-row errors, keyed ``rows.<i>.<field>``: missing or unknown location or SKU, a quantity
    that is not a whole number, a negative count, a change that would leave on hand negative
    or below the allocated units.

    ``reject_all``: one transaction; any error and nothing is written. Raises
    ``ValidationError`` (bad input: a sync_id of other than 1 to 64 letters, digits and
    ``. _ : @ / -``, unknown codes, malformed quantities, negative counts), else
    ``IdempotencyConflict`` (the sync_id was used before for another request), else
    ``StockCountBelowAllocated`` (the rows conflict with the stock). ``reject_failed``: the
    valid rows are written, ``batch_size`` rows per transaction; the result lists the errors.
    """
    _sync_id_check(sync_id)
    if mode not in SyncMode.choices:
        raise ValidationError({"mode": [_("Use one of: %(modes)s.") % {"modes": ", ".join(SyncMode.choices)}]})
    if error_policy not in SyncErrorPolicy.choices:
        raise ValidationError({"error_policy": [_("Use one of: %(p)s.") % {"p": ", ".join(SyncErrorPolicy.choices)}]})
    fingerprint = _sync_fingerprint(mode, error_policy, rows)
    earlier = StockSync.objects.filter(sync_id=sync_id).first()
    if earlier is not None:
        return _sync_answer_again(earlier, fingerprint)
    result = StockSyncResult(sync_id=sync_id, mode=mode, error_policy=error_policy, received=len(rows))
    errors: dict[int, dict[str, list[str]]] = {}

    def fail(index: int, field_name: str, message: str) -> None:
        errors.setdefault(index, {}).setdefault(field_name, []).append(message)

    locations = location_ids_by_code(codes={_text(r.location) for r in rows} - {""})
    variants = variant_ids_by_sku(skus={_text(r.sku) for r in rows} - {""})
    kind = StockMovement.Kind.COUNT if mode == SyncMode.ABSOLUTE else StockMovement.Kind.ADJUSTMENT
    changes: list[StockChange] = []
    row_of: list[int] = []  # change index -> row index
    for index, row in enumerate(rows):
        code, sku, quantity = _text(row.location), _text(row.sku), _quantity_parse(row.quantity)
        if not code:
            fail(index, "location", _("Enter a location code."))
        elif code not in locations:
            fail(index, "location", _("Unknown location %(code)s.") % {"code": code})
        if not sku:
            fail(index, "sku", _("Enter a SKU."))
        elif sku not in variants:
            fail(index, "sku", _("Unknown SKU %(sku)s.") % {"sku": sku})
        if quantity is None:
            fail(index, "quantity", _("Enter a whole number."))
        elif abs(quantity) > INT_MAX:
            fail(index, "quantity", _("The quantity is out of range."))
        elif mode == SyncMode.ABSOLUTE and quantity < 0:
            fail(index, "quantity", _("A count cannot be negative."))
        if index in errors:
            continue
        changes.append(
            StockChange(
                variant_id=variants[sku],
                location_id=locations[code],
                kind=kind,
                quantity=quantity if mode == SyncMode.DELTA else None,
                count=quantity if mode == SyncMode.ABSOLUTE else None,
                idempotency_key=stock_sync_key(sync_id, index),
                note=note,
            )
        )
        row_of.append(index)

    def keyed(by_row: dict[int, dict[str, list[str]]]) -> dict[str, list[str]]:
        return {
            f"rows.{index}.{field_name}": messages
            for index in sorted(by_row)
            for field_name, messages in by_row[index].items()
        }

    reference = f"sync:{sync_id}"
    if error_policy == SyncErrorPolicy.REJECT_ALL:
        if errors:
            raise ValidationError(keyed(errors))
        try:
            outcomes = [
                (
                    0,
                    stock_changes_apply(
                        changes=changes,
                        actor=actor,
                        reference=reference,
                        keys_belong_to_reference=True,
                        progress=progress,
                    ),
                )
            ]
        except (IdempotencyConflict, StockCountBelowAllocated) as exc:
            conflicts = {row_of[int(i)]: {"quantity": list(msgs)} for i, msgs in exc.errors.items()}
            if isinstance(exc, IdempotencyConflict):
                detail = _(
                    "The sync_id %(id)s was already used for other rows: send them under a new sync_id. "
                    "Nothing was written."
                ) % {"id": sync_id}
            else:
                detail = ngettext(
                    "%(n)d row conflicts with the stock; nothing was written.",
                    "%(n)d rows conflict with the stock; nothing was written.",
                    len(conflicts),
                ) % {"n": len(conflicts)}
            raise type(exc)(detail, errors=keyed(conflicts)) from None
    else:
        if progress is not None and errors:
            progress(len(errors))
        outcomes = [
            (
                start,
                stock_changes_apply(
                    changes=changes[start : start + batch_size],
                    actor=actor,
                    reference=reference,
                    all_or_nothing=False,
                    keys_belong_to_reference=True,
                    progress=progress,
                ),
            )
            for start in range(0, len(changes), batch_size)
        ]
    for start, outcome in outcomes:
        result.applied += len(outcome.written) + len(outcome.replayed)
        result.unchanged += len(outcome.unchanged)
        result.replayed += len(outcome.replayed)
        for i, messages in outcome.problems.items():
            errors.setdefault(row_of[start + i], {}).setdefault("quantity", []).extend(messages)
    result.errors = keyed(errors)
    StockSync.objects.bulk_create(
        [
            StockSync(
                sync_id=sync_id,
                mode=mode,
                error_policy=error_policy,
                fingerprint=fingerprint,
                received=result.received,
                applied=result.applied,
                unchanged=result.unchanged,
                failed=result.failed,
                errors=result.errors,
                actor=actor,
                note=note[:200],
            )
        ],
        ignore_conflicts=True,  # the same sync answered at the same moment by another call
    )
    return result


def _sync_fingerprint(mode: str, error_policy: str, rows: list[StockSyncRow]) -> str:
    """What makes two calls with one sync_id the same request: mode, policy and rows, in order."""
    digest = hashlib.sha256(f"{mode}\n{error_policy}\n".encode())
    digest.update("\n".join(f"{_raw(r.location)}\t{_raw(r.sku)}\t{_raw(r.quantity)}" for r in rows).encode())
    return digest.hexdigest()


def _raw(value) -> str:
    return "" if value is None else str(value).strip()


def _sync_answer_again(earlier: StockSync, fingerprint: str) -> StockSyncResult:
    """The answer to a sync_id used before: its first answer for the same request, else a conflict."""
    if earlier.fingerprint != fingerprint:
        message = _(
            "The sync_id %(id)s was used on %(when)s for another request (other rows, mode or error policy). "
            "Nothing was written: send this one under a new sync_id."
        ) % {
            "id": earlier.sync_id,
            "when": formats.date_format(timezone.localtime(earlier.created_at), "DATETIME_FORMAT"),
        }
        raise IdempotencyConflict(message, errors={"sync_id": [message]})
    return StockSyncResult(
        sync_id=earlier.sync_id,
        mode=earlier.mode,
        error_policy=earlier.error_policy,
        received=earlier.received,
        applied=earlier.applied,
        unchanged=earlier.unchanged,
        replayed=earlier.applied,
        errors=earlier.errors,
    )
