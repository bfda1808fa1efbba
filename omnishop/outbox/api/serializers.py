from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class EventTypeSerializer(serializers.Serializer):
    """One event type of the catalogue (an ``EventSchema``), at one version."""

    type = serializers.CharField(help_text=_("The event type, as in the webhook's event type header."))
    version = serializers.IntegerField(help_text=_("The version this entry's schema describes."))
    versions = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Every version of the type in the catalogue, oldest first.")
    )
    aggregate = serializers.CharField(help_text=_("What the event is about (order, stock, transfer, ...)."))
    description = serializers.CharField()
    schema = serializers.DictField(help_text=_("The JSON Schema (draft 2020-12) of the payload at this version."))


class EventVersionQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=32767, required=False)
