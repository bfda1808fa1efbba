"""Who may use the marketplace endpoints: a marketplace channel's own API key."""

from django.utils.translation import gettext as _
from rest_framework import permissions

from omnishop.apikeys.models import ChannelAPIKey

from ..models import Channel


def marketplace_key_scope(scope: str) -> type[permissions.BasePermission]:
    """DRF permission class: a channel API key with ``scope`` whose channel is a marketplace. It
    acts as that channel only (``ChannelMixin``), so one marketplace never reaches another's data."""

    class MarketplaceKeyScope(permissions.BasePermission):
        def has_permission(self, request, view) -> bool:
            key = request.auth if isinstance(request.auth, ChannelAPIKey) else None
            if key is None or key.channel.kind != Channel.Kind.MARKETPLACE:
                self.message = _("Only a marketplace channel's API key may use this endpoint.")
                return False
            if not key.has_scope(scope):
                self.message = _("This API key lacks the %(scope)s scope.") % {"scope": scope}
                return False
            return True

    MarketplaceKeyScope.__name__ = f"MarketplaceKeyScope[{scope}]"
    return MarketplaceKeyScope
