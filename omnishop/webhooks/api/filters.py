from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import WebhookDelivery


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, sent to the database in UTC: PostgreSQL refuses offsets beyond about
    ±16 hours (``+23:59`` parses in Python), and a moment past the calendar in UTC is no date at
    all; both were a 500, they are a 400 now."""

    def to_python(self, value):
        moment = super().to_python(value)
        try:
            return moment.astimezone(UTC) if moment is not None and moment.tzinfo is not None else moment
        except OverflowError:
            raise forms.ValidationError(_("The date-time is out of range."), code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    subscription = django_filters.NumberFilter(field_name="subscription_id")
    event_type = django_filters.CharFilter(field_name="event_type")
    aggregate_id = django_filters.CharFilter(field_name="aggregate_id")
    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("ISO 8601 date-time, inclusive.")
    )
    created_before = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("ISO 8601 date-time, exclusive.")
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "subscription", "event_type", "aggregate_id", "created_after", "created_before"]
