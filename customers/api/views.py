"""The signed-in customer's own consents (web shop and app): read them all, change one."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin

from ..models import ConsentPurpose
from ..selectors import customer_consents
from ..services import consent_set, customer_for_user_ensure


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
