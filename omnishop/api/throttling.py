"""API throttles, counted in the shared cache (``CACHES["default"]``) so every worker sees the
same counters. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (env-overridable).

Who a request counts against: a channel API key per key, a signed-in customer per user, anyone
else per client address. Two operations have their own, tighter budget on top (stock sync, order
placement), chosen by URL name so their views need not know about it.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from omnishop.apikeys.models import ChannelAPIKey
from omnishop.client_address import client_address

# (URL name, method) → throttle scope for operations with a budget of their own.
OPERATION_SCOPES = {
    ("inventory:stock-sync", "POST"): "stock_sync",
    ("orders:order-list", "POST"): "order_place",
}


def _channel_key(request) -> ChannelAPIKey | None:
    return request.auth if isinstance(request.auth, ChannelAPIKey) else None


class _RateFromSettings(SimpleRateThrottle):
    """Reads the rate per request, so tests (and settings overrides) change it without reimporting."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        # The same client address as the login limits: X-Forwarded-For read from the right, past
        # OMNISHOP_TRUSTED_PROXY_COUNT proxies, so behind nginx callers are not one address.
        return client_address(request) or super().get_ident(request)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonRateThrottle(_RateFromSettings):
    """Anonymous callers, per client address."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if _channel_key(request) or (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class CustomerRateThrottle(_RateFromSettings):
    """Signed-in users (customers and staff, session or X-Session-Token), per user."""

    scope = "customer"

    def get_cache_key(self, request, view):
        if _channel_key(request) or not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ChannelKeyRateThrottle(_RateFromSettings):
    """Channel API keys, per key whatever address it calls from."""

    scope = "channel_key"

    def get_cache_key(self, request, view):
        key = _channel_key(request)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}


class OperationRateThrottle(_RateFromSettings):
    """The stock sync and order placement: a budget per caller (key, user or address) of their own."""

    scope = "operation"

    def allow_request(self, request, view):
        match = getattr(request, "resolver_match", None)
        scope = OPERATION_SCOPES.get((match.view_name if match else "", request.method))
        if scope is None:
            return True
        self.scope = scope
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        key = _channel_key(request)
        if key is not None:
            ident = f"key:{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
