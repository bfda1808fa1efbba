"""OpenAPI description of channel API key authentication (loaded by drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ChannelAPIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "omnishop.apikeys.authentication.ChannelAPIKeyAuthentication"
    name = "ChannelApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "External channels: `Api-Key <prefix>.<secret>`. The key acts as its channel only.",
        }
