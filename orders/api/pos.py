"""Till sales: a store channel's POS (API key with pos:write) reports the sales its tills made."""

from datetime import UTC
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin, channel_resolve
from catalog.models import Channel
from customers.services import IDENTIFIER_KINDS
from omnishop.api.serializers import DecimalStringField, ErrorSerializer
from omnishop.apikeys.models import ChannelAPIKey, Scope

from ..models import TillSale
from ..selectors import order_list_all
from ..services import (
    TillCustomer,
    TillLine,
    TillPaymentMethod,
    TillSalePayment,
    TillSaleRequest,
    till_sale_record,
)
from .serializers import OrderDetailSerializer

PRICE_MAX = Decimal("9999999999.99")


def store_key_scope(scope: str) -> type[permissions.BasePermission]:
    """DRF permission class: a channel API key with ``scope`` whose channel is a store channel."""

    class StoreKeyScope(permissions.BasePermission):
        def has_permission(self, request, view) -> bool:
            key = request.auth if isinstance(request.auth, ChannelAPIKey) else None
            if key is None or key.channel.kind != Channel.Kind.STORE:
                self.message = _("Only a store channel's API key may record till sales.")
                return False
            if not key.has_scope(scope):
                self.message = _("This API key lacks the %(scope)s scope.") % {"scope": scope}
                return False
            return True

    StoreKeyScope.__name__ = f"StoreKeyScope[{scope}]"
    return StoreKeyScope


def _amount(**kwargs) -> DecimalStringField:
    return DecimalStringField(max_digits=12, decimal_places=2, max_value=PRICE_MAX, **kwargs)


class TillLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    ean = serializers.CharField(
        max_length=14, required=False, allow_blank=True, default="", help_text=gettext_lazy("Or the item's EAN.")
    )
    quantity = serializers.IntegerField(min_value=1, max_value=9999)
    unit_price = _amount(
        min_value=Decimal("0"), help_text=gettext_lazy("Gross unit price the till charged, after its discounts.")
    )


class TillPaymentSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=TillPaymentMethod.choices)
    amount = _amount(min_value=Decimal("0.01"))
    code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("An omnishop gift card's code (method gift_card): its balance pays this amount."),
    )


class TillCustomerSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in IDENTIFIER_KINDS])
    value = serializers.CharField(max_length=200, help_text=gettext_lazy("The card number, phone or e-mail."))


class TillSaleCreateSerializer(serializers.Serializer):
    """A sale a till made, as it made it: its prices and payments are kept."""

    store = serializers.SlugField(max_length=40, help_text=gettext_lazy("The store's location code."))
    receipt_number = serializers.RegexField(
        r"^[\w./:#-]+$",
        max_length=64,
        help_text=gettext_lazy("The till's receipt number: one order per receipt and store."),
    )
    sold_at = serializers.DateTimeField(help_text=gettext_lazy("When the till made the sale (with its time zone)."))
    lines = TillLineInSerializer(many=True, allow_empty=False, max_length=500)
    payments = TillPaymentSerializer(
        many=True,
        allow_empty=False,
        max_length=20,
        help_text=gettext_lazy("How it was paid; the amounts add up to the lines' total."),
    )
    customer = TillCustomerSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Who the customer is, when the till knows (loyalty card scanned, phone or e-mail)."),
    )
    coupon_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("The coupon the till applied (as POST /api/v1/pos/price/ priced it)."),
    )
    points = serializers.IntegerField(
        min_value=0,
        max_value=10_000_000,
        required=False,
        default=0,
        help_text=gettext_lazy("Loyalty points the customer paid with (as POST /api/v1/pos/price/ priced it)."),
    )

    def validate_sold_at(self, value):
        # Kept in UTC: an offset PostgreSQL cannot store (beyond ±15:59) is still the same instant.
        return value.astimezone(UTC)

    def sale(self) -> TillSaleRequest:
        data = self.validated_data
        customer = data["customer"]
        return TillSaleRequest(
            store=data["store"],
            receipt_number=data["receipt_number"],
            sold_at=data["sold_at"],
            lines=tuple(
                TillLine(
                    sku=ln["sku"].strip(), ean=ln["ean"].strip(), quantity=ln["quantity"], unit_price=ln["unit_price"]
                )
                for ln in data["lines"]
            ),
            payments=tuple(
                TillSalePayment(method=p["method"], amount=p["amount"], code=p["code"].strip())
                for p in data["payments"]
            ),
            customer=TillCustomer(kind=customer["kind"], value=customer["value"]) if customer else None,
            coupon_code=data["coupon_code"].strip(),
            points=data["points"],
        )


class TillPaymentOutSerializer(serializers.Serializer):
    method = serializers.CharField()
    amount = serializers.CharField(help_text=gettext_lazy("A decimal amount, in the order's currency."))


class TillSaleOutSerializer(serializers.ModelSerializer):
    store = serializers.CharField(source="location.code")
    payments = TillPaymentOutSerializer(many=True)
    stock_corrections = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=gettext_lazy("Units per SKU the sale found beyond the recorded stock, booked as a count."),
    )

    class Meta:
        model = TillSale
        fields = ["store", "receipt_number", "sold_at", "payments", "stock_corrections"]


class TillSaleOrderSerializer(OrderDetailSerializer):
    """The completed order a till sale became, with what the till sent of its own."""

    till_sale = TillSaleOutSerializer()

    class Meta(OrderDetailSerializer.Meta):
        fields = [*OrderDetailSerializer.Meta.fields, "till_sale"]


SALE_EXAMPLE = OpenApiExample(
    "A receipt from the Łódź store",
    request_only=True,
    value={
        "store": "lodz-manufaktura",
        "receipt_number": "K2-2026-004211",
        "sold_at": "2026-12-03T14:05:00+01:00",
        "lines": [
            {"sku": "BUTY-42-CZ", "quantity": 1, "unit_price": "189.99"},
            {"ean": "5901234123457", "quantity": 2, "unit_price": "19.90"},
        ],
        "payments": [{"method": "card", "amount": "200.00"}, {"method": "cash", "amount": "29.79"}],
        "customer": {"kind": "loyalty_card", "value": "OS-0001234"},
    },
)


@extend_schema(tags=["pos"])
class TillSaleCreateApi(ChannelMixin, APIView):
    permission_classes = [store_key_scope(Scope.POS_WRITE)]

    def check_permissions(self, request):
        if isinstance(request.auth, ChannelAPIKey):
            channel_resolve(request)  # a key acting as another channel is refused as that, whatever its kind
        super().check_permissions(request)

    @extend_schema(
        operation_id="pos_sales_record",
        summary="Record a till sale",
        description=(
            "A store channel's API key (pos:write) reports a sale a till made: it becomes a completed order of "
            "the store channel at the prices the till charged, paid as the till says, and its units leave that "
            "store's stock as sales. A sale is never refused for want of stock: units the system did not know "
            "were on the shelf are booked as a count correction first (till_sale.stock_corrections). A customer "
            "named by loyalty card, phone or e-mail is linked when found. One order per store and receipt "
            "number: the same receipt with the same body answers the first order (200), with another body a "
            "409 till_receipt_conflict."
        ),
        request=TillSaleCreateSerializer,
        examples=[SALE_EXAMPLE],
        responses={
            201: TillSaleOrderSerializer,
            200: OpenApiResponse(TillSaleOrderSerializer, description="The order this receipt became before."),
            400: OpenApiResponse(
                ErrorSerializer,
                description="validation_error: field errors by field; an unknown item as lines.<i>.sku or "
                "lines.<i>.ean, payments that do not add up to the lines as payments.",
            ),
            403: OpenApiResponse(
                ErrorSerializer, description="permission_denied: not a store channel's key, or no pos:write scope."
            ),
            404: OpenApiResponse(ErrorSerializer, description="store_not_found: no active store with this code."),
            409: OpenApiResponse(
                ErrorSerializer,
                description="till_receipt_conflict: the receipt was recorded with another body; nothing was changed.",
            ),
        },
    )
    def post(self, request):
        data_in = TillSaleCreateSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        order = till_sale_record(channel=request.channel, data=data_in.sale(), actor=request.user)
        if order.replayed:
            order = order_list_all(detail=True).select_related("till_sale__location").get(pk=order.pk)
            return Response(TillSaleOrderSerializer(order).data, status=status.HTTP_200_OK)
        return Response(TillSaleOrderSerializer(order).data, status=status.HTTP_201_CREATED)
