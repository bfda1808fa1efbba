import django_filters
from django.utils.translation import gettext_lazy as _

from ..models import WebhookDelivery


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    subscription = django_filters.NumberFilter(field_name="subscription_id")
    event_type = django_filters.CharFilter(field_name="event_type")
    aggregate_id = django_filters.CharFilter(field_name="aggregate_id")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("ISO 8601 date-time, inclusive.")
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("ISO 8601 date-time, exclusive.")
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "subscription", "event_type", "aggregate_id", "created_after", "created_before"]
