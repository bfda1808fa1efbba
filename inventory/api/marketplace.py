"""The stock feed of a marketplace channel: what it may sell of each SKU it lists."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers

from catalog.api.channels import ChannelMixin
from catalog.api.permissions import marketplace_key_scope
from catalog.models import Variant
from omnishop.api.serializers import ErrorSerializer
from omnishop.apikeys.models import Scope

from ..selectors import channel_stock_feed, channel_stock_figures


class StockFeedQuerySerializer(serializers.Serializer):
    updated_since = serializers.DateTimeField(
        required=False,
        help_text=_(
            "ISO 8601 date and time: only the SKUs whose figure changed since then. Pass the time of your "
            "previous request less a minute of overlap (a change commits a moment after its time)."
        ),
    )


class StockFeedRowSerializer(serializers.Serializer):
    sku = serializers.CharField()
    available = serializers.IntegerField(
        min_value=0,
        help_text=_(
            "Units the channel may sell now: available online at the locations that ship (on hand less "
            "allocated, active holds, safety stock and the stores' ring-fences), less the channel's stock "
            "buffer, never below 0. The same figure as the channel_stock.changed events."
        ),
    )
    updated_at = serializers.DateTimeField(
        source="changed_at", allow_null=True, help_text=_("When the figure last changed (null: never told yet).")
    )


@extend_schema(tags=["marketplaces"])
class MarketplaceStockFeedApi(ChannelMixin, generics.GenericAPIView):
    permission_classes = [marketplace_key_scope(Scope.STOCK_READ)]
    serializer_class = StockFeedRowSerializer
    queryset = Variant.objects.none()  # for the schema: the rows come from channel_stock_feed

    @extend_schema(
        operation_id="marketplace_stock_feed",
        summary="Stock feed of the marketplace",
        description=(
            "A marketplace channel's API key (stock:read): every SKU the channel lists now, by SKU, with "
            "what it may sell, paged. The figures change as channel_stock.changed webhook events too."
        ),
        parameters=[StockFeedQuerySerializer],
        responses={
            200: StockFeedRowSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="validation_error: updated_since is not a date-time."),
            403: OpenApiResponse(
                ErrorSerializer, description="permission_denied: not a marketplace key, or no stock:read scope."
            ),
        },
    )
    def get(self, request):
        query = StockFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = channel_stock_feed(channel=request.channel, updated_since=query.validated_data.get("updated_since"))
        page = self.paginate_queryset(rows)
        figures = channel_stock_figures(channel=request.channel, variant_ids=[v.pk for v in page])
        for variant in page:
            variant.available = figures[variant.pk]
        return self.get_paginated_response(StockFeedRowSerializer(page, many=True).data)
