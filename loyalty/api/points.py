"""REST of loyalty's points: the signed-in customer's own points and ledger (web shop, app), and
a customer's points for store staff at the till. A customer only ever sees their own account."""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.permissions import IsStoreStaff
from customers.models import Customer
from customers.selectors import customer_for_user
from customers.services import customers_data_viewed
from omnishop.api.pagination import PageNumberPagination
from omnishop.api.serializers import ErrorSerializer

from ..models import PointsEntry
from ..selectors_points import points_history_list, points_summary


class LotSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    remaining = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["pending", "spendable"])
    release_at = serializers.DateTimeField(help_text="When pending points become spendable.")
    expires_at = serializers.DateTimeField()


class PointsSummarySerializer(serializers.Serializer):
    balance = serializers.IntegerField(help_text="Spendable points.")
    pending = serializers.IntegerField(help_text="Earned on orders still in their return window: not spendable yet.")
    tier_code = serializers.CharField(allow_null=True)
    tier_name = serializers.CharField(allow_null=True)
    tier_benefits = serializers.CharField()
    next_tier_code = serializers.CharField(allow_null=True)
    next_tier_name = serializers.CharField(allow_null=True)
    points_to_next_tier = serializers.IntegerField(allow_null=True, help_text="Points still to earn for it.")
    earned_12m = serializers.IntegerField(help_text="Points earned in the last 12 months (what the tier follows).")
    lots = LotSerializer(many=True, help_text="Live lots, soonest-expiring first.")


class PointsEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = ["kind", "points", "affects", "source", "reference", "channel_code", "created_at"]
        read_only_fields = fields


_NOT_SIGNED_IN = OpenApiResponse(ErrorSerializer, description="Not signed in.")


def _own_customer(request) -> Customer | None:
    return customer_for_user(user=request.user)


@extend_schema(tags=["loyalty"])
class MyPointsApi(APIView):
    """The signed-in customer's points: spendable and pending, the tier and the way to the next,
    and the lots with their expiry dates."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: PointsSummarySerializer, 401: _NOT_SIGNED_IN, 403: _NOT_SIGNED_IN})
    def get(self, request):
        return Response(PointsSummarySerializer(points_summary(customer=_own_customer(request))).data)


@extend_schema(tags=["loyalty"])
class MyPointsHistoryApi(APIView):
    """The signed-in customer's points ledger, newest first, paginated."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: PointsEntrySerializer(many=True), 401: _NOT_SIGNED_IN, 403: _NOT_SIGNED_IN})
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(points_history_list(customer=_own_customer(request)), request, view=self)
        return paginator.get_paginated_response(PointsEntrySerializer(page, many=True).data)


@extend_schema(tags=["store"])
class StoreCustomerPointsApi(APIView):
    """A customer's points for store staff at the till (found by the customer look-up): balance,
    pending, tier and lots; no ledger. Each read is recorded for the data-protection officer."""

    permission_classes = [IsStoreStaff]

    @extend_schema(
        responses={
            200: PointsSummarySerializer,
            403: OpenApiResponse(ErrorSerializer, description="Not store staff."),
            404: OpenApiResponse(ErrorSerializer, description="not_found: no such customer."),
        }
    )
    def get(self, request, id: int):
        customer = Customer.objects.filter(pk=id, erased_at__isnull=True).first()
        if customer is None:
            raise NotFound()
        customers_data_viewed(customer_ids=[customer.pk], user=request.user)
        return Response(PointsSummarySerializer(points_summary(customer=customer)).data)


urlpatterns = [
    path("me/loyalty/", MyPointsApi.as_view(), name="my-loyalty"),
    path("me/loyalty/history/", MyPointsHistoryApi.as_view(), name="my-loyalty-history"),
    path("store/customers/<int:id>/loyalty/", StoreCustomerPointsApi.as_view(), name="store-customer-loyalty"),
]
