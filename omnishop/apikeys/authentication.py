"""DRF authentication for external channels: ``Authorization: Api-Key <prefix>.<secret>``."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions
from rest_framework_api_key.permissions import KeyParser

from .models import ChannelAPIKey
from .services import apikey_touch


class ChannelAPIKeyAuthentication(authentication.BaseAuthentication):
    """Sets ``request.auth`` to the ChannelAPIKey; the user stays anonymous.

    A request that presents a key which is unknown, revoked, expired or belongs to an
    inactive channel is refused with 401 rather than served anonymously.
    """

    keyword = "Api-Key"
    key_parser = KeyParser()

    def authenticate(self, request):
        plain = self.key_parser.get(request)
        if not plain:
            return None
        try:
            key = ChannelAPIKey.objects.get_from_key(plain)
        except ChannelAPIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(
                _("The API key is invalid or has been revoked."), code="invalid_api_key"
            ) from None
        if key.has_expired:
            raise exceptions.AuthenticationFailed(_("The API key has expired."), code="expired_api_key")
        if not key.channel.is_active:
            raise exceptions.AuthenticationFailed(_("The API key's channel is inactive."), code="inactive_channel")
        apikey_touch(key=key)
        return (AnonymousUser(), key)

    def authenticate_header(self, request) -> str:
        return self.keyword


def api_key_scope(scope: str) -> type[permissions.BasePermission]:
    """DRF permission class: the request carries a channel API key with ``scope``.
    Combine with ``|`` to also admit staff, e.g. ``api_key_scope("stock:sync") | CanSyncStock``."""

    class HasAPIKeyScope(permissions.BasePermission):
        message = _("This API key lacks the %(scope)s scope.") % {"scope": scope}

        def has_permission(self, request, view) -> bool:
            key = request.auth
            return isinstance(key, ChannelAPIKey) and key.has_scope(scope)

    HasAPIKeyScope.__name__ = f"HasAPIKeyScope[{scope}]"
    return HasAPIKeyScope
