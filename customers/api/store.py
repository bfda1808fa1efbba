"""The store app's customer lookup: a phone or a loyalty card at the till finds the customer,
showing only what the store needs (name, a masked e-mail, the card); no address, no history."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import customer_find_for_store
from ..services import customers_data_viewed
from .permissions import IsStoreStaff


class StoreCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="First and last name; empty when the customer gave none.")
    email_masked = serializers.CharField(help_text="The first letter and the domain, e.g. `e***@example.pl`.")
    loyalty_card = serializers.CharField(help_text="The customer's loyalty card number; empty when they have none.")


class StoreCustomerQuerySerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    card = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def validate(self, attrs):
        phone, card = attrs.get("phone", "").strip(), attrs.get("card", "").strip()
        if bool(phone) == bool(card):
            raise serializers.ValidationError({"phone": [_("Give a phone or a loyalty card number, one of the two.")]})
        return {"phone": phone, "card": card}


@extend_schema(tags=["store"])
class StoreCustomerLookupApi(APIView):
    """Find a customer at the till by phone (any usual format) or loyalty card number, for staff
    who work at a store. Answers at most 5 customers with their name, masked e-mail and card; each
    look-up is recorded for the data-protection officer."""

    permission_classes = [IsStoreStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("phone", OpenApiTypes.STR, description="e.g. `601 234 567` or `+48601234567`."),
            OpenApiParameter("card", OpenApiTypes.STR, description="The loyalty card number."),
        ],
        responses=StoreCustomerSerializer(many=True),
    )
    def get(self, request):
        query = StoreCustomerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            found = customer_find_for_store(**query.validated_data)
        except ValidationError as exc:
            raise ApiValidationError({"phone": exc.messages}) from None
        if found:
            customers_data_viewed(customer_ids=[row.id for row in found], user=request.user)
        return Response(StoreCustomerSerializer(found, many=True).data)
