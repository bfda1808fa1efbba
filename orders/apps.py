from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from omnishop.outbox.catalogue import event_schemas_register

        from .events import EVENT_SCHEMAS
        from .notices import notices_register

        event_schemas_register(EVENT_SCHEMAS)
        notices_register()
