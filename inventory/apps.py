from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from catalog.offers import channel_offer_listener_register
        from omnishop.outbox.catalogue import event_schemas_register

        from .events import EVENT_SCHEMAS
        from .services.channel_stock import channel_offer_refresh

        event_schemas_register(EVENT_SCHEMAS)
        # A listing published or withdrawn, a channel's stock buffer: the marketplace figures follow.
        channel_offer_listener_register(channel_offer_refresh)
