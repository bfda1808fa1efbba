from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class ChannelAPIKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self):
        return super().get_usable_keys().select_related("channel")


class ChannelAPIKey(AbstractAPIKey):
    """A key an external channel (marketplace, ERP, POS vendor) calls the API with.

    Only a hash is stored (djangorestframework-api-key); the key is shown once on creation.
    One channel per key: the key acts as that channel and no other.
    """

    channel = models.ForeignKey(
        "catalog.Channel",
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name=_("channel"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ChannelAPIKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("channel API key")
        verbose_name_plural = _("channel API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.channel_id}, {self.prefix}…)"
