"""Webhook subscriptions, one delivery per subscription and outbox event, and its attempts."""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnishop.outbox.catalogue import event_types

# "order.placed", "order.*" or "*": dotted lower-case names, a trailing ".*" for a family.
EVENT_TYPE_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)


def secret_generate() -> str:
    """32 random bytes, URL-safe (43 characters after the prefix)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def event_types_validate(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("List at least one event type."), code="invalid")
    bad = [t for t in value if not isinstance(t, str) or not EVENT_TYPE_PATTERN.match(t)]
    if bad:
        raise ValidationError(
            _("Not an event type: %(types)s. Use e.g. order.placed, order.* or *.")
            % {"types": ", ".join(map(str, bad))},
            code="invalid",
        )
    # Known to the event catalogue (omnishop.outbox.catalogue, docs/events.md): a misspelt type
    # would otherwise subscribe to nothing, silently.
    known = event_types()
    unknown = [t for t in value if t != "*" and not any(event_type_matches([t], k) for k in known)]
    if unknown:
        raise ValidationError(
            _("No event of this type exists: %(types)s. The event catalogue lists them (GET /api/v1/events/).")
            % {"types": ", ".join(unknown)},
            code="unknown",
        )


def event_type_matches(patterns, event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


class WebhookSubscription(models.Model):
    """An endpoint that receives the events it subscribed to, signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(
        _("event types"),
        default=list,
        validators=[event_types_validate],
        help_text=_("Exact types (order.placed), families (order.*) or * for every event."),
    )
    secret = models.CharField(_("secret"), max_length=100, default=secret_generate, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    channel = models.ForeignKey(
        "catalog.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        verbose_name=_("channel"),
        help_text=_("Only events of this channel (their payload's channel). Empty: every channel."),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), default=8, help_text=_("After this many failed attempts a delivery is dead.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    secret_rotated_at = models.DateTimeField(_("secret rotated"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1) & Q(max_attempts__lte=50), name="webhooks_max_attempts_range"
            ),
            models.CheckConstraint(condition=Q(secret__startswith=SECRET_PREFIX), name="webhooks_secret_prefixed"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_masked(self) -> str:
        return f"{self.secret[: len(SECRET_PREFIX) + 4]}…{self.secret[-2:]}"

    def wants(self, *, event_type: str, payload) -> bool:
        if not event_type_matches(self.event_types, event_type):
            return False
        if self.channel_id is None:
            return True
        return isinstance(payload, dict) and payload.get("channel") == self.channel.code


class WebhookDelivery(models.Model):
    """One outbox event for one subscription: a snapshot of the event, so the outbox row can be
    purged while the delivery still retries. Re-delivery resets this row (same event id)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead")

    OPEN = (Status.PENDING, Status.RETRYING)

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event type"), max_length=100)
    event_version = models.PositiveSmallIntegerField(_("event version"), default=1)
    aggregate_type = models.CharField(_("aggregate type"), max_length=50)
    aggregate_id = models.CharField(_("aggregate id"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict)
    sequence = models.BigIntegerField(_("sequence"))
    occurred_at = models.DateTimeField(_("occurred"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-sequence"]
        permissions = [("view_payload", _("Can see webhook payloads"))]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhooks_one_delivery_per_event"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "retrying", "delivered", "dead"]), name="webhooks_delivery_status"
            ),
            models.CheckConstraint(
                condition=Q(status="delivered", delivered_at__isnull=False)
                | (~Q(status="delivered") & Q(delivered_at__isnull=True)),
                name="webhooks_delivered_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="retrying") | Q(attempts__gte=1), name="webhooks_retrying_was_attempted"
            ),
        ]
        indexes = [
            # The claim: open deliveries in sequence order, and "an earlier open one of the same
            # aggregate" (ordering per aggregate); both stay as small as the backlog.
            models.Index(
                fields=["sequence"], condition=Q(status__in=["pending", "retrying"]), name="webhooks_open_by_sequence"
            ),
            models.Index(
                fields=["subscription", "aggregate_type", "aggregate_id", "sequence"],
                condition=Q(status__in=["pending", "retrying"]),
                name="webhooks_open_by_aggregate",
            ),
            models.Index(fields=["status", "-created_at"], name="webhooks_status_created"),
            models.Index(fields=["delivered_at"], condition=Q(status="delivered"), name="webhooks_delivered_at"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why it could not."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True, default="")
    error = models.CharField(_("error"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["delivery", "at"], name="webhooks_attempt_delivery")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
