from django.utils.translation import gettext_lazy as _

from omnishop.exceptions import DomainError


class UnknownChannel(DomainError):
    """The request declares a channel code that does not exist (a 400: the request itself is wrong)."""

    code = "unknown_channel"
    title = _("Unknown channel.")
    status_code = 400


class ChannelInactive(DomainError):
    code = "channel_inactive"
    title = _("The channel is not active.")
    status_code = 403


class ProductNotListed(DomainError):
    code = "product_not_listed"
    title = _("The product is not offered in this channel.")
    status_code = 404
