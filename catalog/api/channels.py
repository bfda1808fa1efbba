"""Which channel a request acts as.

1. A channel API key (``Authorization: Api-Key …``) acts as its own channel and no other.
2. Otherwise a first-party client (web shop, app, store tablet, call centre) may declare its
   channel with the ``X-Channel`` header or ``?channel=``; channels marked "API key required"
   cannot be declared without their key.
3. Otherwise the default channel (``OMNISHOP_DEFAULT_CHANNEL``, the web shop).
"""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

from omnishop.apikeys.models import ChannelAPIKey

from ..exceptions import UnknownChannel
from ..models import Channel
from ..selectors import channel_get

CHANNEL_HEADER = "X-Channel"
CHANNEL_PARAM = "channel"

CHANNEL_PARAMETERS = [
    OpenApiParameter(
        CHANNEL_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="Channel code a first-party client acts as (default: web; ?channel= works too). "
        "Ignored in favour of the key's channel for API-key clients; a different value is a 403. "
        "A code that names no channel is a 400 unknown_channel.",
    ),
]


def declared_channel_code(request) -> str | None:
    return request.headers.get(CHANNEL_HEADER) or request.query_params.get(CHANNEL_PARAM) or None


def _declared_in(request) -> str:
    """Where the request named its channel, to key the error by it: the header or the query."""
    return CHANNEL_HEADER if request.headers.get(CHANNEL_HEADER) else CHANNEL_PARAM


def channel_resolve(request) -> Channel:
    declared = declared_channel_code(request)
    key = request.auth if isinstance(request.auth, ChannelAPIKey) else None
    if key is not None:
        channel = key.channel
        if declared and declared != channel.code:
            raise exceptions.PermissionDenied(
                _("This API key belongs to channel %(own)s and cannot act as channel %(other)s.")
                % {"own": channel.code, "other": declared},
                code="channel_mismatch",
            )
        return channel

    code = declared or settings.OMNISHOP_DEFAULT_CHANNEL
    channel = channel_get(code=code)
    if channel is None:
        message = _("Unknown channel %(code)s.") % {"code": code}
        raise UnknownChannel(message, errors={_declared_in(request) if declared else CHANNEL_PARAM: [message]})
    if not channel.is_active:
        raise exceptions.PermissionDenied(
            _("Channel %(code)s is not active.") % {"code": code}, code="channel_inactive"
        )
    if channel.api_key_required:
        raise exceptions.NotAuthenticated(
            _("Channel %(code)s can be used only with its API key.") % {"code": code},
            code="api_key_required",
        )
    return channel


class ChannelMixin:
    """For API views: resolves ``request.channel`` after authentication, before the handler.
    The OpenAPI schema documents the channel header on every such view (``openapi_parameters``)."""

    openapi_parameters = CHANNEL_PARAMETERS

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.channel = channel_resolve(request)
