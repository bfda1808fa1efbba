from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class NotSellable(DomainError):
    """A line cannot be sold in this channel (not listed, inactive, or not priced in its currency)."""

    code = "not_sellable"
    title = _("Some items cannot be sold in this channel.")
    status_code = 409
