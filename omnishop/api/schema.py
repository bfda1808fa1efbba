"""drf-spectacular AutoSchema: the common error body on every operation, the parameters views
declare for a whole family (``openapi_parameters``), and the security each view really enforces."""

from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from omnishop.apikeys.models import ChannelAPIKey, Scope

from .serializers import ErrorSerializer

API_KEY_SCHEME = "ChannelApiKey"

# What each default error response means; an operation that declares its own keeps its own.
ERROR_DESCRIPTIONS = {
    "400": "validation_error (`errors` keyed by field), parse_error, or unknown_channel (the X-Channel header "
    "or ?channel= names no channel; `errors` keyed by the one used).",
    "401": "not_authenticated, or a refused API key: invalid_api_key, expired_api_key, inactive_channel; "
    "api_key_required for a channel that is used only with its key.",
    "403": "permission_denied (a missing role or API key scope), or channel_mismatch / channel_inactive.",
    "404": "not_found.",
    "409": "A business rule refused the operation; `type` names the rule. Nothing was written.",
    "413": "payload_too_large: the request body is larger than the server accepts.",
    "414": "uri_too_long: the request address is longer than the server accepts.",
    "429": "throttled: too many requests; retry after the seconds in the `Retry-After` header.",
}


def _probe(*, method: str, auth) -> SimpleNamespace:
    """A stand-in request for asking a view's permissions who they admit."""
    return SimpleNamespace(
        method=method, user=AnonymousUser(), auth=auth, query_params={}, data={}, headers={}, META={}
    )


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        codes += ["413", "414", "429"]
        for code in codes:
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def get_override_parameters(self):
        # A mixin (e.g. the channel resolution) documents its header on every view using it;
        # parameters the view declares itself come later and win.
        return [*getattr(self.view, "openapi_parameters", []), *super().get_override_parameters()]

    def _admits(self, request) -> bool | None:
        try:
            return all(p.has_permission(request, self.view) for p in self.view.get_permissions())
        except Exception:  # a permission that needs more of the request: keep the default
            return None

    def get_auth(self):
        auths = super().get_auth()
        # A key's request has no signed-in user: views for users only cannot be called with one.
        key = ChannelAPIKey(scopes=list(Scope.values))
        if self._admits(_probe(method=self.method, auth=key)) is False:
            auths = [a for a in auths if API_KEY_SCHEME not in a]
        # Views whose permissions admit anonymous callers (not only AllowAny) have optional auth.
        if self._admits(_probe(method=self.method, auth=None)) and {} not in auths:
            auths.append({})
        return auths
