"""The counter for a store app: find a ready order (pickup code or number + surname + phone
digits), preview its hand-over, hand it over (units refused, someone else collecting, the till's
confirmation) and record a reserve & try visit. Store staff reach only the orders collected in
their own stores: another store's order is a 404."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from omnishop.api.serializers import ErrorSerializer, MoneyField

from ..exceptions import InvalidHandOver
from ..models import Order
from ..selectors import order_list_pickup_for_stores_of
from ..services import (
    TillPayment,
    handover_plan,
    order_hand_over,
    order_try_on_visit,
    pickup_order_find,
)
from ..services.counter import handover_ready_check
from .store_permissions import IsStoreStaff

# --- shapes ---------------------------------------------------------------------------------------


class HandOverLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line_id", help_text=_("The order line's id (refuse by it)."))
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField(help_text=_("Units ordered."))
    refused = serializers.IntegerField(help_text=_("Units refused at the counter (or not kept)."))
    unit_price = MoneyField(currency_source="currency")
    amount = MoneyField(currency_source="currency", help_text=_("What the line costs, after its discount."))
    refused_amount = MoneyField(currency_source="currency", help_text=_("The part of it for the refused units."))


class HandOverSerializer(serializers.Serializer):
    number = serializers.CharField(source="order.number")
    status = serializers.CharField(source="order.status")
    kind = serializers.ChoiceField(
        choices=["pickup", "try_on"], help_text=_("pickup: click & collect; try_on: reserve & try (a visit).")
    )
    store = serializers.CharField(source="order.pickup_location.code")
    customer_name = serializers.CharField()
    phone_hint = serializers.CharField(help_text=_("The last three digits of the customer's phone."))
    pickup_expires_at = serializers.DateTimeField(source="expires_at", allow_null=True)
    pay_in_store = serializers.BooleanField(help_text=_("Paid at the till at the hand-over."))
    lines = HandOverLineSerializer(many=True)
    total = MoneyField(currency_source="currency")
    refused_amount = MoneyField(currency_source="currency")
    amount_to_collect = MoneyField(
        currency_source="currency", help_text=_("To take at the till now (zero when paid by card).")
    )
    refund_amount = MoneyField(currency_source="currency", help_text=_("Back to the card for the refused units."))


class HandOverDoneSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField(help_text=_("completed, or cancelled when nothing was taken."))
    payment_status = serializers.CharField()
    refunded_total = MoneyField(currency_source="currency", help_text=_("Refunded in part to the card so far."))


class ProofSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("The pickup code (what the QR carries).")
    )
    surname = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("Without a code: the customer's surname.")
    )
    phone_digits = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("With the surname: the phone's last digits.")
    )


class FindSerializer(ProofSerializer):
    number = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=_("Without a code: the order number.")
    )


class TillSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["cash", "card"], help_text=_("How the till took the payment."))
    receipt_number = serializers.CharField(max_length=50, help_text=_("The till receipt number."))


class RefusedLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("The order line's id."))
    quantity = serializers.IntegerField(min_value=0, max_value=9999, help_text=_("Units refused."))


class HandOverInSerializer(ProofSerializer):
    refused = RefusedLineSerializer(many=True, required=False, help_text=_("Units refused at the counter."))
    collector_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text=_("Someone else collecting with the code.")
    )
    till = TillSerializer(required=False, help_text=_("A pay-in-store order: the payment the till took."))


class VisitInSerializer(ProofSerializer):
    not_kept = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Ids of the order lines not kept.")
    )
    till = TillSerializer(required=False, help_text=_("The payment the till took for what is kept."))


def _till(data) -> TillPayment | None:
    till = data.get("till")
    return TillPayment(method=till["method"], receipt_number=till["receipt_number"]) if till else None


def _refused(rows) -> dict[int, int]:
    refused: dict[int, int] = {}
    for row in rows or []:
        refused[row["line"]] = refused.get(row["line"], 0) + row["quantity"]
    return refused


def _done(order: Order) -> dict:
    order = Order.objects.get(pk=order.pk)
    return HandOverDoneSerializer(order).data


REFUSED_PARAMETER = OpenApiParameter(
    "refused",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="Units refused to preview, as line:quantity pairs separated by commas (12:1,13:2).",
)
FIND_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="validation_error: neither a code nor a number given; customer_check_failed: the surname or "
        "the phone digits do not match (counted like a wrong code: enough of them replace the code).",
    ),
    404: OpenApiResponse(ErrorSerializer, description="pickup_not_found: nothing waits in your stores under these."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="pickup_code_ambiguous: several orders share the code (give the number); already_handed_over; "
        "pickup_expired; invalid_transition: the order is not ready for pickup.",
    ),
}
HAND_OVER_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="validation_error: refused quantities beyond a line or not of the order, no proof given, "
        "or someone else without the code (errors keyed by line id or field); wrong_pickup_code or "
        "customer_check_failed (counted); till_payment_required: a pay-in-store order needs the till's payment "
        "(errors till_method, receipt_number). Nothing but the count of wrong attempts was written.",
    ),
    403: OpenApiResponse(ErrorSerializer, description="permission_denied: not store staff."),
    404: OpenApiResponse(ErrorSerializer, description="not_found: no such order in your stores."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="already_handed_over; pickup_expired; invalid_transition: the order is not ready for pickup, "
        "or is a reservation to record as a visit (or the other way round).",
    ),
}


class StoreOrderFindApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(
        tags=["store"],
        request=FindSerializer,
        responses={200: HandOverSerializer, **FIND_ERRORS},
        summary="Find an order waiting for pickup",
        description="Finds the order waiting in your stores by its pickup code (what a scanner reads from the QR "
        "image), or by its number with the customer's surname and the last digits of their phone (at least "
        "three). Answers the hand-over preview: the customer, every line and the amount to collect.",
    )
    def post(self, request):
        data_in = FindSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        order = pickup_order_find(
            actor=request.user,
            code=data.get("code", ""),
            number=data.get("number", ""),
            surname=data.get("surname", ""),
            phone_digits=data.get("phone_digits", ""),
        )
        return Response(HandOverSerializer(handover_plan(order=order, actor=request.user)).data)


class StoreOrderHandOverApi(APIView):
    permission_classes = [IsStoreStaff]

    def _order(self, request, number: str) -> Order:
        return get_object_or_404(order_list_pickup_for_stores_of(user=request.user), number=number)

    @extend_schema(
        tags=["store"],
        parameters=[REFUSED_PARAMETER],
        responses={200: HandOverSerializer, **HAND_OVER_ERRORS},
        summary="Preview a hand-over",
        description="What handing the order over means now: the customer, every line, what the refused units "
        "(the refused parameter) take off, the amount to collect at the till or to refund to the card.",
    )
    def get(self, request, number: str):
        order = self._order(request, number)
        refused = {}
        for pair in filter(None, (request.query_params.get("refused") or "").split(",")):
            line, _sep, quantity = pair.partition(":")
            if not (line.strip().isdigit() and quantity.strip().isdigit()):
                raise InvalidHandOver(errors={"refused": [_("Give line:quantity pairs, like 12:1.")]})
            refused[int(line)] = refused.get(int(line), 0) + int(quantity)
        handover_ready_check(order)
        return Response(HandOverSerializer(handover_plan(order=order, actor=request.user, refused=refused)).data)

    @extend_schema(
        tags=["store"],
        request=HandOverInSerializer,
        responses={200: HandOverDoneSerializer, **HAND_OVER_ERRORS},
        summary="Hand a click & collect order over",
        description="Hands the order over against its pickup code (anyone may collect with it: collector_name "
        "is recorded) or, for the customer in person, their surname and phone digits. Refused units go back on "
        "the store's shelf and are refunded to the card or not charged at the till; a pay-in-store order needs "
        "the till's confirmation (till). Everything refused cancels the order. Two requests at once hand it "
        "over once: the second is already_handed_over.",
    )
    def post(self, request, number: str):
        order = self._order(request, number)
        data_in = HandOverInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        order = order_hand_over(
            order=order,
            actor=request.user,
            code=data.get("code", ""),
            surname=data.get("surname", ""),
            phone_digits=data.get("phone_digits", ""),
            refused=_refused(data.get("refused")),
            collector_name=data.get("collector_name", ""),
            till=_till(data),
        )
        return Response(_done(order))


class StoreOrderVisitApi(APIView):
    permission_classes = [IsStoreStaff]

    @extend_schema(
        tags=["store"],
        request=VisitInSerializer,
        responses={200: HandOverDoneSerializer, **HAND_OVER_ERRORS},
        summary="Record a reserve & try visit",
        description="The customer tried the reserved items on: the lines in not_kept go back on sale, the "
        "customer pays at the till for the rest (till) and the order is completed with it; nothing kept "
        "cancels the reservation.",
    )
    def post(self, request, number: str):
        order = get_object_or_404(order_list_pickup_for_stores_of(user=request.user), number=number)
        data_in = VisitInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        order = order_try_on_visit(
            order=order,
            actor=request.user,
            not_kept=data.get("not_kept", []),
            code=data.get("code", ""),
            surname=data.get("surname", ""),
            phone_digits=data.get("phone_digits", ""),
            till=_till(data),
        )
        return Response(_done(order))
