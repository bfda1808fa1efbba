from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRootView(APIView):
    """Entry point: links to the resources and the API documentation."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["meta"],
        responses=inline_serializer("ApiRoot", fields={"links": serializers.DictField(child=serializers.URLField())}),
    )
    def get(self, request):
        names = {
            "products": "catalog:product-list",
            "categories": "catalog:category-list",
            "channel": "catalog:channel-current",
            "me": "me",
            "events": "events:event-type-list",
            "schema": "schema",
            "docs": "swagger-ui",
            "redoc": "redoc",
        }
        return Response({"links": {k: reverse(v, request=request) for k, v in names.items()}})
