"""Availability for every channel, the click & collect store picker, and stock sync for POS/ERP/WMS."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.channels import ChannelMixin
from catalog.api.views import CHANNEL_PARAMETERS
from omnishop.api.serializers import ErrorSerializer
from omnishop.apikeys.models import ChannelAPIKey

from ..selectors import (
    locations_nearest,
    locations_nearest_that_can_serve,
    pickup_options_list,
    stock_availability_by_location,
)
from ..services import StockSyncResult, stock_sync_apply
from .permissions import CanReadStock, CanSyncStock
from .serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    LocationListSerializer,
    NearestQuerySerializer,
    PickupOptionListSerializer,
    PickupOptionsQuerySerializer,
    StockSyncInputSerializer,
    StockSyncResultSerializer,
)


@extend_schema(
    tags=["inventory"],
    parameters=[*CHANNEL_PARAMETERS, AvailabilityQuerySerializer],
    responses=AvailabilitySerializer,
)
class StockAvailabilityApi(ChannelMixin, APIView):
    """Availability of up to 100 SKUs at every active location, for the requesting channel.

    Per SKU: each active location (code, name, kind, available units) and the total. Available
    means what the channel can promise now: on hand less allocated, active holds and safety
    stock, and for online channels the stores' ring-fence. Unknown SKUs: 400 naming them.
    API keys need the stock:read scope.
    """

    permission_classes = [CanReadStock]

    def get(self, request):
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        variants = query.validated_data["variants"]
        online = request.channel.sells_online
        stock = stock_availability_by_location(variant_ids=[pk for _sku, pk in variants], online=online)
        results = []
        for sku, variant_id in variants:
            rows = [
                {
                    "location": loc.code,
                    "name": loc.name,
                    "kind": loc.kind,
                    "available": loc.available.get(variant_id, 0),
                }
                for loc in stock
            ]
            results.append({"sku": sku, "total": sum(r["available"] for r in rows), "locations": rows})
        body = {"channel": request.channel.code, "online": online, "results": results}
        return Response(AvailabilitySerializer(body).data)


@extend_schema(
    tags=["inventory"],
    parameters=[*CHANNEL_PARAMETERS, NearestQuerySerializer],
    responses=LocationListSerializer,
)
class LocationNearestApi(ChannelMixin, APIView):
    """The nearest active click & collect stores to a point, nearest first, with distance,
    address and opening hours. With cart lines, only stores that have every line in full now
    (availability as the requesting channel sees it)."""

    permission_classes = [CanReadStock]

    def get(self, request):
        query = NearestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        point = {"latitude": float(data["lat"]), "longitude": float(data["lng"])}
        if data["lines"]:
            stores = locations_nearest_that_can_serve(
                lines=data["lines"], online=request.channel.sells_online, limit=data["limit"], **point
            )
        else:
            stores = locations_nearest(click_and_collect=True, **point)[: data["limit"]]
        return Response(LocationListSerializer({"results": stores}).data)


@extend_schema(
    tags=["inventory"],
    parameters=[*CHANNEL_PARAMETERS, PickupOptionsQuerySerializer],
    responses=PickupOptionListSerializer,
)
class LocationPickupOptionsApi(ChannelMixin, APIView):
    """What a click & collect store picker needs: the nearest stores to a point with whether
    each can hand over the cart now, or after a transfer from other locations (ready_in), plus
    address and opening hours."""

    permission_classes = [CanReadStock]

    def get(self, request):
        query = PickupOptionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        options = pickup_options_list(
            lines=data["lines"],
            online=request.channel.sells_online,
            latitude=float(data["lat"]),
            longitude=float(data["lng"]),
            limit=data["limit"],
        )
        serializer = PickupOptionListSerializer({"results": options}, context={"skus": data["skus"]})
        return Response(serializer.data)


_SYNC_EXAMPLE = {
    "sync_id": "pos-store-012-2025-03-01T21:05",
    "mode": "absolute",
    "error_policy": "reject_failed",
    "rows": [
        {"location": "store-012", "sku": "TR-RUN-42-BLK", "quantity": 7},
        {"location": "store-012", "sku": "TR-RUN-43-BLK", "quantity": 0},
    ],
}


@extend_schema(
    tags=["inventory"],
    request=StockSyncInputSerializer,
    responses={
        200: StockSyncResultSerializer,
        400: OpenApiResponse(
            ErrorSerializer,
            description="validation_error: a malformed request, more than 10,000 rows, or (reject_all) rows "
            "with unknown locations or SKUs, non-integer quantities or negative counts; errors are keyed "
            "rows.<index>.<field>.",
        ),
        409: OpenApiResponse(
            ErrorSerializer,
            description="idempotency_conflict: the sync_id was used before for another request (other rows, "
            "mode or error policy; errors keyed sync_id: send it under a new sync_id); else count_below_allocated "
            "(reject_all): rows that would leave on hand negative or below the units allocated to orders, errors "
            "keyed rows.<index>.quantity. Nothing was written.",
        ),
    },
    examples=[OpenApiExample("Counts from a store's POS", value=_SYNC_EXAMPLE, request_only=True)],
)
class StockSyncApi(APIView):
    """Stock from a POS, ERP or WMS: up to 10,000 rows of (location code, SKU, quantity).

    mode absolute: each quantity is a count and on hand becomes it (ledger kind "count");
    delta: the quantity is added (kind "adjustment"). One ledger entry per row that changes
    stock, rows locked in a fixed order, one stock.changed event per touched SKU and location.

    Idempotent by sync_id: every answered sync is kept with a fingerprint of its request, so
    a retry of the same request writes nothing and gets the first answer again ("replayed"
    counts its applied rows), however late it comes: it cannot set stock back to an old count.
    The same sync_id with other rows, mode or error policy is not a retry: it fails with
    idempotency_conflict. A sync refused as a whole (reject_all, 400 or 409) is not kept and
    may be sent again. The ledger keeps each applied row under the key
    "sync:<sync_id>:<row index>", so two calls racing with one sync_id apply each row once.
    Split larger syncs into requests with their own sync_id.

    error_policy reject_all (default): any failed row and nothing is written (400 for bad
    input, 409 for stock conflicts or a reused sync_id). reject_failed: valid rows are written and the answer (200)
    lists the failed rows' errors.

    Who: a channel API key with the stock:sync scope (any channel), or a staff user allowed to
    add stock movements (the inventory manager role).
    """

    permission_classes = [CanSyncStock]

    def post(self, request):
        serializer = StockSyncInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = request.auth if isinstance(request.auth, ChannelAPIKey) else None
        result: StockSyncResult = stock_sync_apply(
            sync_id=data["sync_id"],
            mode=data["mode"],
            error_policy=data["error_policy"],
            rows=data["rows"],
            actor=None if key else request.user,
            note=f"API key {key.prefix} ({key.channel.code})" if key else "",
        )
        return Response(StockSyncResultSerializer(result).data)
