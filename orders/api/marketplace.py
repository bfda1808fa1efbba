"""Marketplace imports: a marketplace channel's API key sends the orders it sold."""

from dataclasses import replace
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin
from catalog.api.permissions import marketplace_key_scope
from customers.services import MarketplaceBuyer, customer_for_marketplace_buyer
from omnishop.api.serializers import DecimalStringField, ErrorSerializer
from omnishop.apikeys.models import Scope
from omnishop.phone import phone_e164
from omnishop.vocabulary import FulfilmentType, PaymentMethod

from ..exceptions import InvalidOrder
from ..models import OrderFee
from ..requests import Contact, MarketplaceFee, MarketplaceSale, OrderRequest, order_request_build
from ..selectors import order_list_all
from ..services import order_place, request_fingerprint
from .serializers import AddressSerializer, OrderDetailSerializer

PRICE_MAX = Decimal("9999999999.99")


def _amount(**kwargs) -> DecimalStringField:
    return DecimalStringField(max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=PRICE_MAX, **kwargs)


class MarketplaceBuyerSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100, help_text=_("The marketplace's own id of the buyer."))
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate_phone(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return phone_e164(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate(self, data):
        if not data["email"].strip() and not data["phone"]:
            raise serializers.ValidationError(_("Give the buyer's e-mail or phone: nobody could be told of the order."))
        return data


class MarketplaceLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=999)
    unit_price = _amount(help_text=_("Gross unit price the buyer paid on the marketplace."))


class MarketplaceFeeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OrderFee.Kind.choices)
    amount = _amount()


class MarketplaceOrderImportSerializer(serializers.Serializer):
    """An order a marketplace sold, as it sold it: its prices, shipping and fees are kept."""

    marketplace_order_id = serializers.RegexField(
        r"^[\w.:@/#-]+$", max_length=100, help_text=_("The marketplace's own order id: one order per id.")
    )
    currency = serializers.CharField(min_length=3, max_length=3, help_text=_("ISO 4217; the channel's currency."))
    buyer = MarketplaceBuyerSerializer()
    lines = MarketplaceLineSerializer(many=True, allow_empty=False, max_length=100)
    shipping_address = AddressSerializer()
    shipping_price = _amount(default=Decimal("0.00"), help_text=_("Shipping the buyer paid on the marketplace."))
    fees = MarketplaceFeeSerializer(
        many=True, required=False, default=list, help_text=_("What the marketplace charges for the sale, one per kind.")
    )

    def validate(self, data):
        skus = [ln["sku"] for ln in data["lines"]]
        if len(skus) != len(set(skus)):
            raise serializers.ValidationError({"lines": [_("Each SKU once, please.")]})
        kinds = [fee["kind"] for fee in data["fees"]]
        if len(kinds) != len(set(kinds)):
            raise serializers.ValidationError({"fees": [_("Each kind of fee once, please.")]})
        return data

    def order_request(self, *, channel) -> OrderRequest:
        """The validated body as an ``OrderRequest`` without its customer yet (every rule of
        the order checked first, so a refused import creates no customer)."""
        data = self.validated_data
        buyer = data["buyer"]
        try:
            return order_request_build(
                channel=channel,
                fulfilment_type=FulfilmentType.DELIVERY,
                sku_lines=[(ln["sku"], ln["quantity"]) for ln in data["lines"]],
                payment_method=PaymentMethod.MARKETPLACE,
                contact=Contact(email=buyer["email"], phone=buyer["phone"], name=buyer["name"]),
                shipping_address=data["shipping_address"],
                marketplace=MarketplaceSale(
                    order_id=data["marketplace_order_id"],
                    currency=data["currency"].upper(),
                    unit_prices={},
                    shipping=data["shipping_price"],
                    fees=tuple(MarketplaceFee(kind=f["kind"], amount=f["amount"]) for f in data["fees"]),
                ),
                sku_prices={ln["sku"]: ln["unit_price"] for ln in data["lines"]},
                field_names={"contact": "buyer", "contact.phone": "buyer.phone"},
            )
        except InvalidOrder as exc:
            raise serializers.ValidationError(exc.errors) from None

    def marketplace_buyer(self) -> MarketplaceBuyer:
        buyer = self.validated_data["buyer"]
        return MarketplaceBuyer(buyer_id=buyer["id"], name=buyer["name"], email=buyer["email"], phone=buyer["phone"])


class MarketplaceFeeOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderFee
        fields = ["kind", "amount", "currency"]


class MarketplaceOrderSerializer(OrderDetailSerializer):
    """The order detail, with what the marketplace sent of its own."""

    marketplace_order_id = serializers.CharField(source="external_id")
    marketplace_fees = MarketplaceFeeOutSerializer(source="fees", many=True)

    class Meta(OrderDetailSerializer.Meta):
        fields = [*OrderDetailSerializer.Meta.fields, "marketplace_order_id", "marketplace_fees"]


IMPORT_EXAMPLE = OpenApiExample(
    "An Allegro order",
    request_only=True,
    value={
        "marketplace_order_id": "ALG-2026-000123",
        "currency": "PLN",
        "buyer": {"id": "allegro-buyer-987", "name": "Jan Kowalski", "email": "jan@example.pl", "phone": "601234567"},
        "lines": [{"sku": "BUTY-42-CZ", "quantity": 1, "unit_price": "189.99"}],
        "shipping_address": {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"},
        "shipping_price": "9.99",
        "fees": [{"kind": "commission", "amount": "19.00"}],
    },
)


@extend_schema(tags=["marketplaces"])
class MarketplaceOrderImportApi(ChannelMixin, APIView):
    permission_classes = [marketplace_key_scope(Scope.ORDERS_WRITE)]

    @extend_schema(
        operation_id="marketplace_orders_import",
        summary="Import a marketplace order",
        description=(
            "A marketplace channel's API key (orders:write) sends an order it sold. The buyer becomes "
            "(or is found as) a customer of that marketplace by their buyer id; the lines keep the "
            "marketplace's unit prices, the order its shipping price and fees; stock is routed and "
            "allocated as for any home delivery. One order per marketplace order id in the channel: "
            "the same id with the same body answers the first order (200), with another body a 409 "
            "marketplace_order_conflict naming the id."
        ),
        request=MarketplaceOrderImportSerializer,
        examples=[IMPORT_EXAMPLE],
        responses={
            201: MarketplaceOrderSerializer,
            200: OpenApiResponse(MarketplaceOrderSerializer, description="The order imported before under this id."),
            400: OpenApiResponse(ErrorSerializer, description="validation_error: field errors by field."),
            403: OpenApiResponse(
                ErrorSerializer, description="permission_denied: not a marketplace key, or no orders:write scope."
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="Nothing was written. marketplace_order_conflict: the id was imported with another "
                "body; insufficient_stock: not enough units, errors keyed by SKU; not_sellable: lines not "
                "offered in the channel.",
            ),
        },
    )
    def post(self, request):
        data_in = MarketplaceOrderImportSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        order_request = data_in.order_request(channel=request.channel)
        customer = customer_for_marketplace_buyer(channel=request.channel, buyer=data_in.marketplace_buyer())
        # Per channel, not per key: the marketplace's order id is the channel's whichever key sends it.
        fingerprint = request_fingerprint({"channel": request.channel.code, "body": request.data})
        order = order_place(**replace(order_request, customer=customer).fields(), fingerprint=fingerprint)
        if order.replayed:
            order = order_list_all(detail=True).get(pk=order.pk)
            return Response(MarketplaceOrderSerializer(order).data, status=status.HTTP_200_OK)
        return Response(MarketplaceOrderSerializer(order).data, status=status.HTTP_201_CREATED)
