"""Who may read availability and who may sync stock."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from omnishop.apikeys.authentication import api_key_scope
from omnishop.apikeys.models import ChannelAPIKey, Scope

# The permission a staff user needs to sync stock (the Inventory manager role grants it).
STOCK_SYNC_STAFF_PERMISSION = "inventory.add_stockmovement"

_KeyCanReadStock = api_key_scope(Scope.STOCK_READ)
_KeyCanSyncStock = api_key_scope(Scope.STOCK_SYNC)


class CanReadStock(_KeyCanReadStock):
    """First-party clients (web shop, app, store tablet) read availability freely; a channel
    API key needs the ``stock:read`` scope. Which channels may be declared without their key
    is decided by channel resolution (``ChannelMixin``)."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, ChannelAPIKey):
            return True
        return super().has_permission(request, view)


class CanSyncStock(permissions.BasePermission):
    """A channel API key with the ``stock:sync`` scope (POS, ERP, WMS; any channel: stock is
    not per channel), or a signed-in staff user with ``inventory.add_stockmovement``."""

    message = _(
        "Syncing stock needs an API key with the stock:sync scope or the inventory.add_stockmovement permission."
    )

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ChannelAPIKey):
            key_permission = _KeyCanSyncStock()
            self.message = key_permission.message
            return key_permission.has_permission(request, view)
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm(STOCK_SYNC_STAFF_PERMISSION))
