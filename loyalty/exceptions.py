from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class NotSellable(DomainError):
    """A line cannot be sold in this channel (not listed, inactive, or not priced in its currency)."""

    code = "not_sellable"
    title = _("Some items cannot be sold in this channel.")
    status_code = 409


# --- points -------------------------------------------------------------------------------


class InsufficientPoints(DomainError):
    """The account's spendable balance is below the points asked for (pending points never count)."""

    code = "insufficient_points"
    title = _("Not enough spendable points.")
    status_code = 409


class InvalidPointsRequest(DomainError):
    """A points request breaks a rule of its own (no reason given, zero points)."""

    code = "validation_error"
    title = _("Invalid input.")
    status_code = 400
