from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "omnishop.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks (signed event delivery)")

    def ready(self) -> None:
        from omnishop.outbox.services import outbox_commit_listener_register

        from .dispatch import fan_out_queue

        outbox_commit_listener_register(fan_out_queue)
