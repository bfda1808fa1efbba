"""Transfers between locations: requested, in transit, received (or cancelled)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnishop.outbox.services import outbox_emit_many

from ..events import InventoryEvent, transfer_message
from ..exceptions import InvalidTransferState
from ..lock_objects import stock_levels_lock, transfer_lock
from ..models import Location, StockMovement, Transfer, TransferLine
from .allocations import stock_release
from .ledger import StockChange, StockLine, stock_available_check, stock_changes_apply


def _transfer_emit(transfer: Transfer, event: InventoryEvent, lines: list[TransferLine]) -> None:
    """The ``transfer.*`` event of a step; ``lines`` come with their variant."""
    outbox_emit_many(
        events=[transfer_message(type=event, transfer=transfer, lines=[(ln.variant.sku, ln.quantity) for ln in lines])]
    )


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
        created = TransferLine.objects.bulk_create(
            [TransferLine(transfer=transfer, variant_id=v, quantity=q) for v, q in sorted(lines.items())]
        )
        _transfer_emit(transfer, InventoryEvent.TRANSFER_REQUESTED, _with_variants(created))
    return transfer


def _with_variants(lines: list[TransferLine]) -> list[TransferLine]:
    """Lines just created, with their variants (one query)."""
    return list(
        TransferLine.objects.filter(pk__in=[ln.pk for ln in lines]).select_related("variant").order_by("variant_id")
    )


def _transfer_locked(transfer: Transfer, expected: str) -> Transfer:
    locked = transfer_lock(pk=transfer.pk)
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
        lines = list(transfer.lines.select_related("variant").order_by("variant_id"))
        if allocations:
            stock_release(allocations=allocations, actor=actor)
        pairs = [(ln.variant_id, transfer.source_id) for ln in lines]
        levels = stock_levels_lock(pairs=pairs)
        stock_available_check(
            levels=levels,
            lines=[StockLine(ln.variant_id, transfer.source_id, ln.quantity) for ln in lines],
            online=False,
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
        _transfer_emit(transfer, InventoryEvent.TRANSFER_SHIPPED, lines)
    return transfer


def transfer_receive(*, transfer: Transfer, actor=None) -> Transfer:
    """The goods arrive: a TRANSFER_IN entry per line at the destination."""
    with transaction.atomic():
        transfer = _transfer_locked(transfer, Transfer.Status.IN_TRANSIT)
        lines = list(transfer.lines.select_related("variant").order_by("variant_id"))
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
        _transfer_emit(transfer, InventoryEvent.TRANSFER_RECEIVED, lines)
    return transfer


def transfer_cancel(*, transfer: Transfer, actor=None) -> Transfer:
    """A requested transfer that will not go: no stock moved. Raises ``InvalidTransferState``."""
    with transaction.atomic():
        transfer = _transfer_locked(transfer, Transfer.Status.REQUESTED)
        transfer.status = Transfer.Status.CANCELLED
        transfer.save(update_fields=["status"])
        lines = list(transfer.lines.select_related("variant").order_by("variant_id"))
        _transfer_emit(transfer, InventoryEvent.TRANSFER_CANCELLED, lines)
    return transfer
