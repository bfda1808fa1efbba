from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class Scope(models.TextChoices):
    """What a key may do besides reading its channel's catalog."""

    STOCK_SYNC = "stock:sync", _("Sync stock counts (POS, ERP, WMS)")
    STOCK_READ = "stock:read", _("Read availability")
    ORDERS_WRITE = "orders:write", _("Place and manage orders")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage the channel's webhook subscriptions and deliveries")
    POS_WRITE = "pos:write", _("Record till sales (store POS)")


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
    scopes = models.JSONField(
        _("scopes"),
        default=list,
        blank=True,
        help_text=_("What the key may do: stock:sync, stock:read, orders:write, webhooks:manage, pos:write."),
    )

    objects = ChannelAPIKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("channel API key")
        verbose_name_plural = _("channel API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.channel_id}, {self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def clean(self) -> None:
        super().clean()
        unknown = set(self.scopes or []) - set(Scope.values)
        if unknown:
            from django.core.exceptions import ValidationError

            raise ValidationError({"scopes": _("Unknown scopes: %(s)s.") % {"s": ", ".join(sorted(unknown))}})
