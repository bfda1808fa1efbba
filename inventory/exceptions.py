from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class InsufficientStock(DomainError):
    """Not enough available units. ``errors`` names each short line with what is available."""

    code = "insufficient_stock"
    title = _("Insufficient stock.")
    status_code = 409


class StockCountBelowAllocated(DomainError):
    code = "count_below_allocated"
    title = _("The count is lower than the units already promised to orders.")
    status_code = 409


class IdempotencyConflict(DomainError):
    """An idempotency key (a sync row's ``sync:<sync_id>:<row>``) already in the ledger for a
    different change: not a retry. ``errors`` names each such change (and any other refused)."""

    code = "idempotency_conflict"
    title = _("The idempotency key was already used for a different change.")
    status_code = 409


class InvalidTransferState(DomainError):
    code = "invalid_transfer_state"
    title = _("The transfer cannot make this step from its current state.")
    status_code = 409
