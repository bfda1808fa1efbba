from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiKeysConfig(AppConfig):
    name = "omnishop.apikeys"
    label = "apikeys"
    verbose_name = _("Channel API keys")

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI security scheme)
