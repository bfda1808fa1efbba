"""The till asks omnishop what a basket costs: the same pricing engine as the web shop, the app
and the call centre, so a coupon from the web and points from the app work at the till."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin, channel_resolve
from loyalty.pricing import cart_price
from omnishop.api.serializers import ErrorSerializer
from omnishop.apikeys.models import ChannelAPIKey, Scope
from omnishop.vocabulary import FulfilmentType

from ..exceptions import InvalidOrder
from ..requests import skus_resolve
from ..services.till import TillCustomer, till_customer_find
from .pos import TillCustomerSerializer, store_key_scope
from .pricing import PricedCartSerializer, priced_render
from .rewards_in import RewardsInSerializer


class TillPriceLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=9999)


class TillPriceSerializer(RewardsInSerializer):
    lines = TillPriceLineSerializer(many=True, allow_empty=False, max_length=500)
    customer = TillCustomerSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The customer, when the till knows (loyalty card scanned, phone or e-mail)."),
    )

    def validate_lines(self, lines):
        skus = [ln["sku"] for ln in lines]
        if len(skus) != len(set(skus)):
            raise serializers.ValidationError(gettext_lazy("Each SKU once, please."))
        return lines


PRICE_EXAMPLE = OpenApiExample(
    "A basket with a coupon and points",
    request_only=True,
    value={
        "lines": [{"sku": "KROK-RUN-42-BLK", "quantity": 1}, {"sku": "KROK-SOCK-M", "quantity": 3}],
        "customer": {"kind": "loyalty_card", "value": "OS-0001234"},
        "coupon_code": "WIOSNA10",
        "points": 500,
    },
)


@extend_schema(tags=["pos"])
class TillPriceApi(ChannelMixin, APIView):
    permission_classes = [store_key_scope(Scope.POS_WRITE)]

    def check_permissions(self, request):
        if isinstance(request.auth, ChannelAPIKey):
            channel_resolve(request)
        super().check_permissions(request)

    @extend_schema(
        operation_id="pos_price",
        summary="Price a till basket",
        description=(
            "A store channel's API key (pos:write) asks what a basket costs for the customer the till named: "
            "list prices, automatic promotions, a coupon, points to pay with, a gift card and store credit, in "
            "that order, with the discount of every line and the points the sale earns. Nothing is reserved or "
            "spent: the sale spends them when it is recorded."
        ),
        request=TillPriceSerializer,
        examples=[PRICE_EXAMPLE],
        responses={
            200: PricedCartSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="validation_error: field errors (lines.<i>.sku for an unknown item, customer.value); "
                "coupon_invalid (coupon_code) or gift_card_invalid (gift_card) with the reason.",
            ),
            403: OpenApiResponse(
                ErrorSerializer, description="permission_denied: not a store channel's key, or no pos:write scope."
            ),
            409: OpenApiResponse(ErrorSerializer, description="not_sellable: items not sold in this channel, by id."),
        },
    )
    def post(self, request):
        data_in = TillPriceSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        variants, errors = skus_resolve([ln["sku"] for ln in data["lines"]])
        if errors:
            raise InvalidOrder(" ".join(m for ms in errors.values() for m in ms), errors=errors)
        named = data["customer"]
        customer = till_customer_find(TillCustomer(kind=named["kind"], value=named["value"]) if named else None)
        priced = cart_price(
            lines={variants[ln["sku"]]: ln["quantity"] for ln in data["lines"]},
            channel=request.channel,
            customer=customer,
            fulfilment_type=FulfilmentType.IN_STORE,
            **data_in.rewards(),
        )
        return Response(priced_render(priced))
