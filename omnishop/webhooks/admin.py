"""Webhooks in admin: subscriptions (secret masked, rotated by an action, a test event on demand)
and deliveries with their attempts, re-deliverable one by one or as the whole filtered set."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from omnishop.history import admin_history_record

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription, event_types_validate
from .services import (
    deliveries_redeliver,
    subscription_create,
    subscription_delete,
    subscription_secret_rotate,
    subscription_test_send,
    subscription_update,
)


class EventTypesField(forms.CharField):
    """Event types typed as text, one per line or comma-separated, stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part for part in text.replace(",", "\n").split() if part]

    def validate(self, value):
        super().validate(value)
        event_types_validate(value)


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https", widget=forms.URLInput(attrs={"size": 70})
    )
    event_types = EventTypesField(
        label=_("Event types"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_("One per line: order.placed, order.* (a family) or * (every event)."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types", "channel", "is_active", "max_attempts"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "event_types_text", "channel", "is_active", "max_attempts", "secret_masked"]
    list_filter = ["is_active", "channel"]
    list_select_related = ["channel"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_masked", "secret_rotated_at", "created_at", "created_by"]
    actions = ["rotate_secret", "send_test_event"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel", "created_by")

    def get_fieldsets(self, request, obj=None):
        main = (None, {"fields": ["name", "url", "event_types", "channel", "is_active", "max_attempts"]})
        if obj is None:
            return [main]
        return [main, (_("Signing"), {"fields": ["secret_masked", "secret_rotated_at", "created_at", "created_by"]})]

    @admin.display(description=_("event types"))
    def event_types_text(self, obj):
        return ", ".join(obj.event_types)

    @admin.display(description=_("secret"))
    def secret_masked(self, obj):
        return obj.secret_masked

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if change:
            subscription_update(subscription=obj, actor=request.user, **data)
            return
        created = subscription_create(actor=request.user, **data)
        obj.pk, obj.secret = created.pk, created.secret
        self._secret_show(request, created, _("The signing secret of %(name)s is: %(secret)s"))

    def _secret_show(self, request, subscription, text):
        messages.warning(
            request,
            format_html(
                "{} {}",
                text % {"name": subscription.name, "secret": subscription.secret},
                _("Give it to the receiver now: it will not be shown again (rotate it if it is lost)."),
            ),
        )

    def delete_model(self, request, obj):
        subscription_delete(subscription=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            subscription_delete(subscription=subscription, actor=request.user)

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for subscription in queryset.order_by("pk"):
            subscription_secret_rotate(subscription=subscription, actor=request.user)
            admin_history_record(actor=request.user, obj=subscription, message=_("Signing secret rotated."))
            self._secret_show(request, subscription, _("The new signing secret of %(name)s is: %(secret)s"))

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        count = 0
        for subscription in queryset.order_by("pk"):
            subscription_test_send(subscription=subscription, actor=request.user)
            admin_history_record(actor=request.user, obj=subscription, message=_("Test event sent."))
            count += 1
        self.message_user(
            request,
            ngettext(
                "A webhook.test event is on its way to %(n)d subscription (see Webhook deliveries).",
                "A webhook.test event is on its way to %(n)d subscriptions (see Webhook deliveries).",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "latency_ms", "response_excerpt", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


PAYLOAD_PERMISSION = "webhooks.view_payload"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "aggregate",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["status", "subscription", "event_type", "created_at"]
    list_select_related = ["subscription"]
    search_fields = ["=event_id", "aggregate_id"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    actions = ["deliver_again"]
    list_per_page = 50
    show_full_result_count = False
    FIELDS = [
        "subscription",
        "event_id",
        "event_type",
        "event_version",
        "aggregate_type",
        "aggregate_id",
        "sequence",
        "occurred_at",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "lease_until",
        "created_at",
        "delivered_at",
    ]

    def get_fields(self, request, obj=None):
        if request.user.has_perm(PAYLOAD_PERMISSION):
            return [*self.FIELDS, "payload_pretty"]
        return self.FIELDS

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("aggregate"), ordering="aggregate_id")
    def aggregate(self, obj):
        return obj.aggregate_id

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request):
        return request.user.has_perm("webhooks.change_webhookdelivery")

    @admin.action(
        description=_("Deliver again (same event id)"),
        permissions=["redeliver"],
    )
    def deliver_again(self, request, queryset):
        chosen = list(queryset.order_by("pk"))
        count = deliveries_redeliver(deliveries=queryset.order_by(), actor=request.user)
        for delivery in chosen:
            admin_history_record(
                actor=request.user, obj=delivery, message=_("Queued to be delivered again (same event id).")
            )
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", count) % {"n": count},
            messages.SUCCESS,
        )
