"""One row per message to a person (e-mail, SMS, push): what was sent, to whom, and how it went."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnishop.vocabulary import NotificationChannel

from .registry import template_label


class Notification(models.Model):
    """Written in the transaction of the change it tells about, sent after commit by
    ``notification_send_task``. ``context`` holds what the template needs except secrets (a
    pickup code is read at send time from the app that keeps it, see ``registry``); it is
    personal data, so neither the admin nor the logs show it."""

    Channel = NotificationChannel

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    order_reference = models.CharField(_("order number"), max_length=32, blank=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel.choices)
    template = models.CharField(_("template"), max_length=60)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # A worker sending the message holds it until then, so a duplicate task does not send twice
    # while one killed mid-send does not keep it forever.
    locked_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        permissions = [("resend_notification", _("Can send failed notifications again"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "cancelled"]), name="notifications_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms", "push"]), name="notifications_channel_valid"
            ),
            models.CheckConstraint(
                condition=~Q(recipient="") | Q(status="cancelled"), name="notifications_recipient_unless_cancelled"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="notifications_sent_at_iff_sent",
            ),
        ]
        indexes = [
            # The sweeper's read: pending messages, oldest first (stays as small as the backlog).
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="notifications_pending"),
        ]

    def __str__(self) -> str:
        return f"{template_label(self.template)} · {self.get_channel_display()} · {self.order_reference}".strip(" ·")
