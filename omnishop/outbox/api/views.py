"""The event catalogue for integrators: what omnishop's events are and what their payloads hold."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from ..catalogue import EventSchema, event_catalogue, event_schema_get, event_versions
from .serializers import EventTypeSerializer, EventVersionQuerySerializer

VERSION_PARAMETER = OpenApiParameter(
    "version", OpenApiTypes.INT, description="A version of the event type (default: its newest)."
)
TYPE_PARAMETER = OpenApiParameter(
    "type", OpenApiTypes.STR, OpenApiParameter.PATH, description="The event type, e.g. `order.placed`."
)


def _entry(entry: EventSchema) -> dict:
    return {
        "type": entry.type,
        "version": entry.version,
        "versions": event_versions(entry.type),
        "aggregate": entry.aggregate,
        "description": entry.description,
        "schema": entry.schema,
    }


@extend_schema(tags=["events"])
class EventTypeListApi(APIView):
    """Every event type omnishop emits (outbox and webhooks), at its newest version, with the
    JSON Schema of its payload."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=EventTypeSerializer(many=True))
    def get(self, request):
        newest = {entry.type: entry for entry in event_catalogue()}  # by version: the last one wins
        return Response(EventTypeSerializer([_entry(e) for e in newest.values()], many=True).data)


@extend_schema(tags=["events"])
class EventTypeDetailApi(APIView):
    """One event type at one version (`?version=`, default its newest), with the JSON Schema
    of its payload; 404 for a type or version omnishop does not emit."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[TYPE_PARAMETER, VERSION_PARAMETER], responses=EventTypeSerializer)
    def get(self, request, type: str):
        query = EventVersionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            entry = event_schema_get(type, query.validated_data.get("version"))
        except LookupError:
            raise Http404 from None
        return Response(EventTypeSerializer(_entry(entry)).data)
