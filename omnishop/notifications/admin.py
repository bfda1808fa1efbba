from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from omnishop.admin import ReadOnlyAdmin, service_action

from .masking import recipient_masked
from .models import Notification
from .services import notification_resend

resend = service_action(
    name="notification_resend",
    description=_("Send again"),
    run=lambda notification, request: notification_resend(notification=notification, actor=request.user),
    describe=lambda notification: f"#{notification.pk}",
    done_message=ngettext_lazy("%(n)d notification queued again.", "%(n)d notifications queued again.", "n"),
    permissions=["resend"],
)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """What was sent to whom and how it went. The recipient is masked and the context (personal
    data) is not shown; no secret (a pickup code) is ever stored here."""

    list_display = [
        "created_at",
        "status",
        "template",
        "channel",
        "language",
        "masked_recipient",
        "order_reference",
        "sent_at",
        "attempts",
        "last_error",
    ]
    list_filter = ["status", "channel", "template", "language", "created_at"]
    search_fields = ["=order_reference"]
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = [
        "status",
        "template",
        "channel",
        "language",
        "masked_recipient",
        "order_reference",
        "customer",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "provider_id",
    ]
    readonly_fields = fields
    actions = [resend]

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj: Notification) -> str:
        return recipient_masked(obj.channel, obj.recipient)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("notifications.resend_notification")

    def get_queryset(self, request):
        # The context stays in the database: the list never reads it.
        return super().get_queryset(request).defer("context")
