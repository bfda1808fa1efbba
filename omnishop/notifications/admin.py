from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from omnishop.admin import ReadOnlyAdmin, WideChangelistMixin, service_action, short_time

from .masking import recipient_masked
from .models import Notification
from .registry import template_label, templates_all
from .services import notification_resend

resend = service_action(
    name="notification_resend",
    description=_("Send again"),
    run=lambda notification, request: notification_resend(notification=notification, actor=request.user),
    describe=lambda notification: f"#{notification.pk}",
    done_message=ngettext_lazy("%(n)d notification queued again.", "%(n)d notifications queued again.", "n"),
    permissions=["resend"],
    history=_("Queued to be sent again."),
)


class TemplateFilter(admin.SimpleListFilter):
    """The registered templates by their labels."""

    title = _("template")
    parameter_name = "template"

    def lookups(self, request, model_admin):
        return [(t.key, t.label or t.key) for t in templates_all()]

    def queryset(self, request, queryset):
        return queryset.filter(template=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(WideChangelistMixin, ReadOnlyAdmin):
    """What was sent to whom and how it went. The recipient is masked and the context (personal
    data) is not shown; no secret (a pickup code) is ever stored here."""

    # Compact columns (short times, the language code, the error's start).
    list_display = [
        "created",
        "status",
        "template_name",
        "channel",
        "lang",
        "masked_recipient",
        "order_reference",
        "sent",
        "attempts",
        "error",
    ]
    list_filter = ["status", "channel", TemplateFilter, "language", "created_at"]
    search_fields = ["=order_reference"]
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = [
        "status",
        "template_name",
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

    @admin.display(description=_("template"), ordering="template")
    def template_name(self, obj: Notification) -> str:
        return template_label(obj.template)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj: Notification) -> str:
        return short_time(obj.created_at)

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent(self, obj: Notification) -> str:
        return short_time(obj.sent_at)

    @admin.display(description=_("language"), ordering="language")
    def lang(self, obj: Notification) -> str:
        return obj.language

    @admin.display(description=_("last error"))
    def error(self, obj: Notification) -> str:
        # An exception's name is one long word: let it wrap in its column.
        return format_html('<span style="word-break: break-all">{}</span>', Truncator(obj.last_error).chars(40))

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj: Notification) -> str:
        return recipient_masked(obj.channel, obj.recipient)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("notifications.resend_notification")

    def get_queryset(self, request):
        # The context stays in the database: the list never reads it.
        return super().get_queryset(request).defer("context")
