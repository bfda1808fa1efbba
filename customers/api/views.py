"""The signed-in customer's own data (web shop and app): consents, read them all and change one;
everything omnishop holds about them, as one JSON document (GDPR export)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin

from ..models import ConsentPurpose
from ..selectors import customer_consents
from ..services import consent_set, customer_data_export, customer_for_user_ensure


class ConsentOutSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    label = serializers.CharField(help_text="The purpose in the request's language.")
    granted = serializers.BooleanField()
    text_version = serializers.CharField(help_text="The consent text the answer was given to; empty if never asked.")
    updated_at = serializers.DateTimeField(allow_null=True)


class ConsentInSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField()
    text_version = serializers.CharField(
        max_length=40, help_text="The version of the consent text the customer was shown, e.g. `2026-01`."
    )


@extend_schema(tags=["customers"])
class MyConsentsApi(ChannelMixin, APIView):
    """Every consent purpose with the signed-in customer's answer; never asked means not given.
    A change is recorded with the channel it came through (``X-Channel``) and the text shown."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=ConsentOutSerializer(many=True))
    def get(self, request):
        customer = customer_for_user_ensure(user=request.user)
        return Response(ConsentOutSerializer(customer_consents(customer=customer), many=True).data)

    @extend_schema(request=ConsentInSerializer, responses=ConsentOutSerializer(many=True))
    def post(self, request):
        data = ConsentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user_ensure(user=request.user)
        consent_set(customer=customer, channel=request.channel, **data.validated_data)
        return Response(ConsentOutSerializer(customer_consents(customer=customer), many=True).data)


@extend_schema(tags=["customers"])
class MyDataExportApi(APIView):
    """Everything omnishop holds about the signed-in customer (GDPR/RODO art. 15 and 20): profile,
    identities, consents with their history, notes, notifications sent, orders with their lines
    and carts. Each export is recorded for the data-protection officer."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "Export",
                value={
                    "exported_at": "2026-12-03T08:00:00+01:00",
                    "customer": {"id": 7, "first_name": "Ewa", "last_name": "Nowak", "email": "ewa@example.pl"},
                    "identities": [{"kind": "phone", "value": "+48221002001", "channel": None}],
                    "consents": [{"purpose": "marketing_email", "granted": True, "text_version": "2026-01"}],
                    "orders": {"orders": [{"number": "WEB-000123", "total": "349.99", "currency": "PLN"}], "carts": []},
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        customer = customer_for_user_ensure(user=request.user)
        document = customer_data_export(customer=customer, actor=request.user)
        response = Response(document)
        response["Content-Disposition"] = 'attachment; filename="omnishop-my-data.json"'
        return response
