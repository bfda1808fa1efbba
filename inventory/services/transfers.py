"""Transfers between locations: requested, in transit, received (or cancelled)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnishop.outbox.services import outbox_emit

from ..exceptions import InvalidTransferState
from ..lock_objects import stock_levels_lock
from ..models import Location, StockMovement, Transfer, TransferLine
from .stock import (
    StockChange,
    StockLine,
    _check_available,
    stock_release,
)
from .sync import stock_changes_apply


def transfer_request(
    *, source: Location, destination: Location, lines: dict[int, int], actor=None, reference: str = ""
) -> Transfer:
    """Ask for stock to move from ``source`` to ``destination`` (``{variant_id: quantity}``),
    two different active locations. Raises ``ValidationError``."""
    if source.pk == destination.pk:
        raise ValidationError({"destination": [_("A transfer needs two different locations.")]})
    inactive = {
        end: [_("The location %(code)s is not active.") % {"code": location.code}]
        for end, location in (("source", source), ("destination", destination))
        if not location.is_active
    }
    if inactive:
        raise ValidationError(inactive)
    if not lines or any(q <= 0 for q in lines.values()):
        raise ValidationError({"lines": [_("A transfer needs positive quantities.")]})
    with transaction.atomic():
        transfer = Transfer.objects.create(
            source=source, destination=destination, reference=reference, created_by=actor
        )
        TransferLine.objects.bulk_create(
            [TransferLine(transfer=transfer, variant_id=v, quantity=q) for v, q in sorted(lines.items())]
        )
        outbox_emit(
            type="transfer.requested",
            aggregate_type="transfer",
            aggregate_id=transfer.pk,
            payload={"source": source.code, "destination": destination.code, "reference": reference},
        )
    return transfer


def _transfer_locked(transfer: Transfer, expected: str) -> Transfer:
    # The transfer row only, not its two locations (a plain select_for_update() locks every
    # joined row: each transfer step would queue behind any other at the same location).
    locked = (
        Transfer.objects.select_for_update(of=("self",)).select_related("source", "destination").get(pk=transfer.pk)
    )
    if locked.status != expected:
        raise InvalidTransferState(
            _("Transfer %(id)s is %(status)s.") % {"id": locked.pk, "status": locked.get_status_display()}
        )
    return locked


def transfer_ship(*, transfer: Transfer, actor=None, allocations=None) -> Transfer:
    """The goods leave the source: a TRANSFER_OUT entry per line. Units already allocated to the
    transfer (``allocations``, e.g. for a click & collect order) are consumed; otherwise the
    source must have them available. Raises ``InsufficientStock`` or ``InvalidTransferState``."""
    with transaction.atomic():
        transfer = _transfer_locked(transfer, Transfer.Status.REQUESTED)
        lines = list(transfer.lines.order_by("variant_id"))
        if allocations:
            stock_release(allocations=allocations, actor=actor)
        pairs = [(ln.variant_id, transfer.source_id) for ln in lines]
        levels = stock_levels_lock(pairs=pairs)
        _check_available(
            levels, [StockLine(ln.variant_id, transfer.source_id, ln.quantity) for ln in lines], online=False
        )
        stock_changes_apply(
            changes=[
                StockChange(ln.variant_id, transfer.source_id, StockMovement.Kind.TRANSFER_OUT, quantity=-ln.quantity)
                for ln in lines
            ],
            actor=actor,
            reference=f"transfer:{transfer.pk}",
        )
        transfer.status, transfer.shipped_at = Transfer.Status.IN_TRANSIT, timezone.now()
        transfer.save(update_fields=["status", "shipped_at"])
        outbox_emit(type="transfer.shipped", aggregate_type="transfer", aggregate_id=transfer.pk, payload={})
    return transfer


def transfer_receive(*, transfer: Transfer, actor=None) -> Transfer:
    """The goods arrive: a TRANSFER_IN entry per line at the destination."""
    with transaction.atomic():
        transfer = _transfer_locked(transfer, Transfer.Status.IN_TRANSIT)
        lines = list(transfer.lines.order_by("variant_id"))
        stock_changes_apply(
            changes=[
                StockChange(
                    ln.variant_id, transfer.destination_id, StockMovement.Kind.TRANSFER_IN, quantity=ln.quantity
                )
                for ln in lines
            ],
            actor=actor,
            reference=f"transfer:{transfer.pk}",
        )
        transfer.status, transfer.received_at = Transfer.Status.RECEIVED, timezone.now()
        transfer.save(update_fields=["status", "received_at"])
        outbox_emit(type="transfer.received", aggregate_type="transfer", aggregate_id=transfer.pk, payload={})
    return transfer


def transfer_cancel(*, transfer: Transfer, actor=None) -> Transfer:
    with transaction.atomic():
        transfer = _transfer_locked(transfer, Transfer.Status.REQUESTED)
        transfer.status = Transfer.Status.CANCELLED
        transfer.save(update_fields=["status"])
        outbox_emit(type="transfer.cancelled", aggregate_type="transfer", aggregate_id=transfer.pk, payload={})
    return transfer
