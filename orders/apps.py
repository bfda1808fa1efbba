from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from customers.services import customer_merge_step_register, customer_privacy_register
        from omnishop.outbox.catalogue import event_schemas_register

        from .card import card_sections_register
        from .events import EVENT_SCHEMAS
        from .notices import notices_register
        from .services.customer_merge import orders_and_carts_move
        from .services.customer_privacy import orders_block_erasure, orders_erase, orders_export

        event_schemas_register(EVENT_SCHEMAS)
        notices_register()
        card_sections_register()
        customer_merge_step_register("orders_and_carts", orders_and_carts_move)
        customer_privacy_register("orders", export=orders_export, erase=orders_erase, check=orders_block_erasure)
