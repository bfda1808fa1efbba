from django.apps import apps
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import WebhookAttempt, WebhookDelivery, WebhookSubscription, event_types_validate


def _channels():
    # The channel model by name: omnishop/ imports no domain app.
    return apps.get_model("catalog", "Channel").objects.all()


class EventTypeListField(serializers.ListField):
    child = serializers.CharField(max_length=100)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        from django.core.exceptions import ValidationError

        try:
            event_types_validate(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class SubscriptionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=500)
    event_types = EventTypeListField(
        allow_empty=False, help_text=_("Exact types (order.placed), families (order.*) or * for every event.")
    )
    channel = serializers.SlugRelatedField(
        slug_field="code",
        queryset=_channels(),
        required=False,
        allow_null=True,
        help_text=_("Only events of this channel. A channel API key's subscriptions are always of its channel."),
    )
    is_active = serializers.BooleanField(default=True)
    max_attempts = serializers.IntegerField(min_value=1, max_value=50, default=8)


class SubscriptionUpdateSerializer(SubscriptionInputSerializer):
    """PUT and PATCH: the same fields; PATCH may send any of them."""

    is_active = serializers.BooleanField(required=False)
    max_attempts = serializers.IntegerField(min_value=1, max_value=50, required=False)


class SubscriptionSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    event_types = serializers.ListField(child=serializers.CharField())
    secret_hint = serializers.CharField(source="secret_masked", read_only=True, help_text=_("The secret, masked."))

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "channel",
            "is_active",
            "max_attempts",
            "secret_hint",
            "secret_rotated_at",
            "created_at",
        ]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("The signing secret, answered only here: store it for verifying signatures.")
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class AggregateSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "latency_ms", "response_excerpt", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    aggregate = serializers.SerializerMethodField()
    payload = serializers.SerializerMethodField(
        help_text=_("The event's data; null for staff without the permission to see webhook payloads.")
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "event_version",
            "aggregate",
            "sequence",
            "occurred_at",
            "status",
            "attempts",
            "last_status_code",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "payload",
        ]
        read_only_fields = fields

    @extend_schema_field(AggregateSerializer)
    def get_aggregate(self, obj) -> dict:
        return {"type": obj.aggregate_type, "id": obj.aggregate_id}

    @extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
    def get_payload(self, obj):
        return obj.payload if self.context.get("show_payload") else None


class DeliveryDetailSerializer(DeliverySerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "attempt_log"]
        read_only_fields = fields
