"""The store app's picking endpoints (``/api/v1/store/...``): pick a line, scan an EAN, mark a
short pick, the pick list of one order or a batch, and re-send the ready-for-pickup notice. The
same services as the console; another store's line, fulfilment or order is a 404."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from omnishop.api.serializers import ErrorSerializer

from ..models import Fulfilment, FulfilmentLine, Order
from ..selectors import pick_list
from ..services import (
    SHORT_REASONS,
    fulfilment_line_pick,
    fulfilment_line_short,
    fulfilment_pick_scan,
    order_pickup_notice_resend,
)
from ..store_selectors import store_order_scope
from .store_permissions import IsStoreStaff, store_of_request

STORE_PARAMETER = OpenApiParameter(
    "store", str, description="The store's location code (needed only by staff of several stores)."
)


class PickLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The fulfilment line."))
    fulfilment = serializers.IntegerField(source="fulfilment_id")
    order = serializers.CharField(source="fulfilment.order.number", help_text=_("The order number."))
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    quantity = serializers.IntegerField()
    picked = serializers.IntegerField(source="picked_quantity")
    short = serializers.IntegerField(source="short_quantity")
    cancelled = serializers.IntegerField(source="cancelled_quantity")
    to_pick = serializers.IntegerField()


class PickInSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=999, default=1)


class ScanInSerializer(serializers.Serializer):
    ean = serializers.CharField(max_length=32, help_text=_("What the scanner typed (EAN/GTIN)."))


class ShortInSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=999)
    reason = serializers.ChoiceField(choices=SHORT_REASONS)


class ReroutedSerializer(serializers.Serializer):
    source = serializers.CharField(help_text=_("The location code the units now come from."))
    quantity = serializers.IntegerField()
    transfer = serializers.IntegerField(allow_null=True, help_text=_("The transfer to the pickup store, if any."))


class ShortOutSerializer(serializers.Serializer):
    line = PickLineSerializer()
    rerouted = ReroutedSerializer(many=True)
    cancelled = serializers.IntegerField(help_text=_("Units no location has, cancelled."))
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
    refund = serializers.CharField(
        help_text=_("refunded, not_charged, marketplace, or empty when nothing was cancelled.")
    )
    order_cancelled = serializers.BooleanField()


class PickItemSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line_id")
    fulfilment = serializers.IntegerField(source="fulfilment_id")
    order = serializers.CharField(source="order_number")
    quantity = serializers.IntegerField()
    picked = serializers.IntegerField()
    short = serializers.IntegerField()
    to_pick = serializers.IntegerField()


class PickGroupSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    ean = serializers.CharField()
    quantity = serializers.IntegerField()
    picked = serializers.IntegerField()
    short = serializers.IntegerField()
    to_pick = serializers.IntegerField()
    items = PickItemSerializer(many=True)


class StoreInSerializer(serializers.Serializer):
    store = serializers.CharField(
        required=False, max_length=40, help_text=_("The store's code (needed only by staff of several stores).")
    )


class NoticeResentSerializer(serializers.Serializer):
    order = serializers.CharField()
    resent = serializers.BooleanField()


def _line_of_store(request, pk: int) -> FulfilmentLine:
    store = store_of_request(request)
    lines = FulfilmentLine.objects.select_related("fulfilment__order", "order_line")
    return get_object_or_404(lines, pk=pk, fulfilment__location=store)


def _line_out(pk: int) -> dict:
    line = FulfilmentLine.objects.select_related("fulfilment__order", "order_line").get(pk=pk)
    return PickLineSerializer(line).data


ERRORS = {
    404: OpenApiResponse(ErrorSerializer, description="not_found: no such line in your store."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="pick_quantity_exceeded (more than the line has left to pick), invalid_transition "
        "(the order is not being picked), not_your_store.",
    ),
}


@extend_schema(tags=["store"])
class StoreLinePickApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(
        request=PickInSerializer, responses={200: PickLineSerializer, **ERRORS}, parameters=[STORE_PARAMETER]
    )
    def post(self, request, pk: int):
        """Put ``quantity`` units of a fulfilment line in the basket (a confirmed order starts processing)."""
        data = PickInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = _line_of_store(request, pk)
        fulfilment_line_pick(line=line, quantity=data.validated_data["quantity"], actor=request.user)
        return Response(_line_out(line.pk))


@extend_schema(tags=["store"])
class StoreFulfilmentScanApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(
        request=ScanInSerializer,
        responses={
            200: PickLineSerializer,
            404: OpenApiResponse(
                ErrorSerializer,
                description="unknown_ean: no line of the fulfilment has it; not_found: no such fulfilment.",
            ),
            409: ERRORS[409],
        },
        parameters=[STORE_PARAMETER],
    )
    def post(self, request, pk: int):
        """Scan an EAN: one unit of the fulfilment's line with that EAN is picked."""
        data = ScanInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        store = store_of_request(request)
        fulfilment = get_object_or_404(Fulfilment.objects.all(), pk=pk, location=store)
        line = fulfilment_pick_scan(fulfilment=fulfilment, ean=data.validated_data["ean"], actor=request.user)
        return Response(_line_out(line.pk))


@extend_schema(tags=["store"])
class StoreLineShortApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(
        request=ShortInSerializer, responses={200: ShortOutSerializer, **ERRORS}, parameters=[STORE_PARAMETER]
    )
    def post(self, request, pk: int):
        """Units of a line are missing or damaged: taken off the store's stock, re-routed to another
        location, or cancelled with their amount when no location has them."""
        data = ShortInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = _line_of_store(request, pk)
        outcome = fulfilment_line_short(line=line, actor=request.user, **data.validated_data)
        body = {
            "line": FulfilmentLine.objects.select_related("fulfilment__order", "order_line").get(pk=line.pk),
            "rerouted": [{"source": s, "quantity": q, "transfer": t} for s, q, t in outcome.rerouted],
            "cancelled": outcome.cancelled,
            "amount": outcome.amount,
            "currency": line.fulfilment.order.currency,
            "refund": outcome.refund,
            "order_cancelled": outcome.order_cancelled,
        }
        return Response(ShortOutSerializer(body).data)


@extend_schema(tags=["store"])
class StoreOrderPickListApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(responses={200: PickGroupSerializer(many=True), 404: ERRORS[404]}, parameters=[STORE_PARAMETER])
    def get(self, request, number: str):
        """What is left to pick of one order in this store, by SKU."""
        store = store_of_request(request)
        order = get_object_or_404(Order.objects.filter(store_order_scope(store)).only("pk"), number=number)
        return Response(PickGroupSerializer(pick_list(location=store, orders=[order.pk]), many=True).data)


@extend_schema(tags=["store"])
class StorePickListApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(
        responses={200: PickGroupSerializer(many=True)},
        parameters=[
            STORE_PARAMETER,
            OpenApiParameter(
                "orders",
                str,
                description="Order numbers of the batch, comma-separated (all the store picks if omitted).",
            ),
        ],
    )
    def get(self, request):
        """One pick list for a batch of orders, grouped by SKU."""
        store = store_of_request(request)
        numbers = [n.strip() for n in request.query_params.get("orders", "").split(",") if n.strip()][:100]
        orders = None
        if numbers:
            orders = list(
                Order.objects.filter(store_order_scope(store), number__in=numbers).values_list("pk", flat=True)
            )
        return Response(PickGroupSerializer(pick_list(location=store, orders=orders), many=True).data)


@extend_schema(tags=["store"])
class StorePickupNoticeResendApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(
        request=StoreInSerializer,
        responses={
            202: NoticeResentSerializer,
            404: ERRORS[404],
            409: OpenApiResponse(ErrorSerializer, description="invalid_transition: the order is not ready for pickup."),
        },
        parameters=[STORE_PARAMETER],
    )
    def post(self, request, number: str):
        """Send the customer the ready-for-pickup notice again (same code)."""
        store = store_of_request(request)
        order = get_object_or_404(Order.objects.filter(store_order_scope(store)), number=number, pickup_location=store)
        order_pickup_notice_resend(order=order, actor=request.user)
        return Response({"order": order.number, "resent": True}, status=status.HTTP_202_ACCEPTED)
