"""The signed-in customer's account (web shop and app): profile, identities and addresses.

Every view reads and writes the caller's own customer only: another customer's address id is
a 404, exactly as an id that does not exist."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from omnishop.api.serializers import ErrorSerializer

from ..models import Customer, CustomerAddress, CustomerIdentity
from ..selectors import customer_addresses_list, customer_identities_list
from ..services import (
    customer_address_add,
    customer_address_delete,
    customer_for_user_ensure,
    customer_profile_update,
)


class ProfileOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "first_name", "last_name", "email", "phone", "language", "notification_channel"]
        read_only_fields = fields
        extra_kwargs = {"phone": {"help_text": "E.164, e.g. `+48601234567`; empty when none is given."}}


class ProfileInSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Any usual format (`601 234 567`, `+48 601-234-567`); stored in E.164. Empty removes it.",
    )


class IdentityOutSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The channel the identity belongs to, if one."
    )

    class Meta:
        model = CustomerIdentity
        fields = ["kind", "value", "channel", "created_at"]
        read_only_fields = fields


class AddressOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerAddress
        fields = ["id", "label", "recipient", "street", "postal_code", "city", "country", "phone", "created_at"]
        read_only_fields = fields


class AddressInSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="e.g. `Home`.")
    recipient = serializers.CharField(max_length=200, required=False, allow_blank=True)
    street = serializers.CharField(max_length=200)
    postal_code = serializers.CharField(max_length=12, help_text="`NN-NNN` for Poland, e.g. `90-001`.")
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(
        max_length=2, min_length=2, required=False, default="PL", help_text="ISO 3166 code."
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


@extend_schema(tags=["customers"])
class MyProfileApi(APIView):
    """The signed-in customer's name, e-mail (read only: it is the login), phone and how they are told
    of their orders. A change names only the fields it changes."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=ProfileOutSerializer)
    def get(self, request):
        return Response(ProfileOutSerializer(customer_for_user_ensure(user=request.user)).data)

    @extend_schema(request=ProfileInSerializer, responses=ProfileOutSerializer)
    def patch(self, request):
        data = ProfileInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user_ensure(user=request.user)
        customer = customer_profile_update(customer=customer, changes=data.validated_data, actor=request.user)
        return Response(ProfileOutSerializer(customer).data)


@extend_schema(tags=["customers"])
class MyIdentitiesApi(APIView):
    """How omnishop recognises the signed-in customer in each channel: e-mail, phone, loyalty card,
    marketplace buyer ids and app installations."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=IdentityOutSerializer(many=True))
    def get(self, request):
        customer = customer_for_user_ensure(user=request.user)
        return Response(IdentityOutSerializer(customer_identities_list(customer=customer), many=True).data)


@extend_schema(tags=["customers"])
class MyAddressesApi(APIView):
    """The signed-in customer's saved delivery addresses (at most 20); a new one is added to the list."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=AddressOutSerializer(many=True))
    def get(self, request):
        customer = customer_for_user_ensure(user=request.user)
        return Response(AddressOutSerializer(customer_addresses_list(customer=customer), many=True).data)

    @extend_schema(request=AddressInSerializer, responses={201: AddressOutSerializer})
    def post(self, request):
        data = AddressInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user_ensure(user=request.user)
        address = customer_address_add(customer=customer, **data.validated_data, actor=request.user)
        return Response(AddressOutSerializer(address).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["customers"])
class MyAddressApi(APIView):
    """One of the signed-in customer's saved addresses, removed from the account. Orders already
    placed keep the address they were sent to."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Removed."),
            404: OpenApiResponse(ErrorSerializer, description="not_found: the customer has no address with this id."),
        },
    )
    def delete(self, request, id: int):
        customer = customer_for_user_ensure(user=request.user)
        if not customer_address_delete(customer=customer, address_id=id, actor=request.user):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)
