"""The store app's REST API (``/api/v1/store/...``): the queue of a store and the console's
actions on orders and their fulfilments, through the same services and with the same scope as
the console: store staff act in the stores they work at, and another store's order, parcel or
transfer is a 404."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from omnishop.api.serializers import ErrorSerializer, MoneyField
from omnishop.money import Money

from .. import services
from ..models import Fulfilment, Order
from ..selectors import order_list_all, order_list_for_stores_of
from ..store.access import stores_of
from ..store_selectors import GROUP_LABELS, KIND_LABELS, QueueGroup, order_amount_to_collect, store_queue
from .serializers import OrderDetailSerializer
from .store_permissions import IsStoreStaff, store_of_request

STORE_PARAMETER = OpenApiParameter(
    "store",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="The code of the store to show; needed only by staff who work at several stores.",
)
SEARCH_PARAMETER = OpenApiParameter(
    "q", OpenApiTypes.STR, OpenApiParameter.QUERY, description="Order number, customer name, phone or e-mail."
)
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="Nothing was written. invalid_transition: the order or parcel is not in a state for this step "
    "(e.g. not confirmed, already shipped, a transfer not shipped yet); not_your_store: the order is collected in "
    "another of the caller's stores.",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="not_found: no such order or fulfilment in the stores the caller works at."
)


class StoreSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class QueueItemSerializer(serializers.Serializer):
    number = serializers.CharField(source="order.number")
    kind = serializers.ChoiceField(choices=list(KIND_LABELS), help_text=_("What kind of work it is."))
    status = serializers.ChoiceField(source="order.status", choices=Order.Status.choices)
    customer_name = serializers.CharField()
    units = serializers.IntegerField(help_text=_("Units ordered."))
    amount_to_collect = MoneyField(
        source="amount_to_collect_money", help_text=_("What the till takes at the hand-over (zero when paid).")
    )
    promised_at = serializers.DateTimeField(
        help_text=_("When the store promised this step; for orders ready for pickup, the pickup-by date.")
    )
    overdue = serializers.BooleanField()
    picking_started = serializers.BooleanField(source="started")
    fulfilment_id = serializers.IntegerField(
        source="fulfilment.pk",
        allow_null=True,
        default=None,
        help_text=_("The transfer to book in, or the parcel to ship (null for other groups)."),
    )


class QueueGroupSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[g.value for g in QueueGroup])
    label = serializers.CharField()
    count = serializers.IntegerField()
    overdue = serializers.IntegerField()
    items = QueueItemSerializer(many=True)


class StoreQueueSerializer(serializers.Serializer):
    store = StoreSerializer()
    total = serializers.IntegerField()
    groups = QueueGroupSerializer(many=True)


class StoreOrderSerializer(OrderDetailSerializer):
    amount_to_collect = MoneyField(
        source="amount_to_collect_money", help_text=_("What the till takes at the hand-over (zero when paid).")
    )

    class Meta(OrderDetailSerializer.Meta):
        fields = [*OrderDetailSerializer.Meta.fields, "amount_to_collect"]


class ShipInSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=50)
    tracking_number = serializers.CharField(max_length=100)


def _money(item) -> None:
    item.amount_to_collect_money = Money(order_amount_to_collect(item.order), item.order.currency)


def _order_for(request, number: str) -> Order:
    """The order with its details if one of the caller's stores collects or fulfils it, else 404."""
    user = request.user
    orders = order_list_all(detail=True) if user.is_superuser else order_list_for_stores_of(user=user, detail=True)
    order = orders.select_related("customer").filter(number=str(number)[:32]).first()
    if order is None:
        raise Http404
    return order


def _order_answer(request, number: str) -> Response:
    order = _order_for(request, number)
    order.amount_to_collect_money = Money(order_amount_to_collect(order), order.currency)
    return Response(StoreOrderSerializer(order, context={"request": request}).data)


def _fulfilment_for(request, pk: int, *, arriving: bool) -> Fulfilment:
    """A fulfilment of the caller's stores: with ``arriving`` one whose transfer comes to them,
    else one they ship from (a parcel), else 404."""
    stores = stores_of(request.user)
    qs = Fulfilment.objects.select_related("order", "transfer")
    qs = qs.filter(transfer__destination__in=stores) if arriving else qs.filter(location__in=stores)
    fulfilment = qs.filter(pk=pk).first()
    if fulfilment is None:
        raise Http404
    return fulfilment


class StoreApi(APIView):
    permission_classes = [IsStoreStaff]


@extend_schema(tags=["store"])
class StoreQueueApi(StoreApi):
    @extend_schema(parameters=[STORE_PARAMETER, SEARCH_PARAMETER], responses={200: StoreQueueSerializer})
    def get(self, request):
        """What the store must do now, grouped: to pick (click & collect, reserve & try, ship-from-store),
        waiting for a transfer, arriving transfers to book in, ready for pickup (the pickup-by date
        first, overdue first) and parcels to pack and ship; each group sorted by the promised time."""
        store = store_of_request(request)
        queue = store_queue(store=store, search=str(request.query_params.get("q", ""))[:100])
        for group in queue.groups:
            group.label = str(GROUP_LABELS[group.key])
            for item in group.items:
                _money(item)
        data = {"store": store, "total": queue.total, "groups": queue.groups}
        return Response(StoreQueueSerializer(data).data)


@extend_schema(tags=["store"])
class StoreOrderApi(StoreApi):
    @extend_schema(responses={200: StoreOrderSerializer, 404: NOT_FOUND})
    def get(self, request, number: str):
        """One order of the caller's stores with its lines, fulfilments, timeline and the amount to collect."""
        return _order_answer(request, number)


@extend_schema(tags=["store"])
class StoreOrderPickApi(StoreApi):
    @extend_schema(request=None, responses={200: StoreOrderSerializer, 404: NOT_FOUND, 409: REFUSED})
    def post(self, request, number: str):
        """Start picking a confirmed pickup order whose goods are all in the store (it becomes processing)."""
        services.order_picking_start(order=_order_for(request, number), actor=request.user)
        return _order_answer(request, number)


@extend_schema(tags=["store"])
class StoreOrderReadyApi(StoreApi):
    @extend_schema(request=None, responses={200: StoreOrderSerializer, 404: NOT_FOUND, 409: REFUSED})
    def post(self, request, number: str):
        """The goods wait in the store: the order becomes ready for pickup with its pickup-by date, and the
        customer is sent the pickup code."""
        services.order_ready_for_pickup(order=_order_for(request, number), actor=request.user)
        return _order_answer(request, number)


@extend_schema(tags=["store"])
class StoreFulfilmentPickApi(StoreApi):
    @extend_schema(request=None, responses={200: StoreOrderSerializer, 404: NOT_FOUND, 409: REFUSED})
    def post(self, request, id: int):
        """Start picking the parcel a store ships for a confirmed home delivery (the order becomes processing)."""
        fulfilment = _fulfilment_for(request, id, arriving=False)
        services.fulfilment_picking_start(fulfilment=fulfilment, actor=request.user)
        return _order_answer(request, fulfilment.order.number)


@extend_schema(tags=["store"])
class StoreFulfilmentShipApi(StoreApi):
    @extend_schema(request=ShipInSerializer, responses={200: StoreOrderSerializer, 404: NOT_FOUND, 409: REFUSED})
    def post(self, request, id: int):
        """A packed parcel leaves the store with its carrier and tracking number; the customer is told. The
        order is shipped when its last parcel has left."""
        data_in = ShipInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        fulfilment = _fulfilment_for(request, id, arriving=False)
        services.fulfilment_ship(fulfilment=fulfilment, actor=request.user, **data_in.validated_data)
        return _order_answer(request, fulfilment.order.number)


@extend_schema(tags=["store"])
class StoreFulfilmentReceiveApi(StoreApi):
    @extend_schema(request=None, responses={200: StoreOrderSerializer, 404: NOT_FOUND, 409: REFUSED})
    def post(self, request, id: int):
        """Book in a transfer that arrived for a pickup order: the goods are put aside for the order, which
        moves on to processing when nothing else is on its way."""
        fulfilment = _fulfilment_for(request, id, arriving=True)
        services.fulfilment_transfer_receive(fulfilment=fulfilment, actor=request.user)
        return _order_answer(request, fulfilment.order.number)
