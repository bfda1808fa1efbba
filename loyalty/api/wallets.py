"""REST of loyalty's wallets: a gift card's balance (POST, so codes never sit in URLs or access
logs) and the signed-in customer's own store credit. A customer only ever reads their own
credit: there is no id in the URL to point at anyone else's."""

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from customers.services import customer_for_user_ensure
from omnishop.api.pagination import PageNumberPagination
from omnishop.api.serializers import ErrorSerializer
from omnishop.api.throttling import OperationRateThrottle
from omnishop.apikeys.models import ChannelAPIKey
from omnishop.money import validate_currency

from ..models import StoreCreditEntry
from ..selectors.wallets import store_credit_balance, store_credit_entries_for_customer
from ..services.giftcards import giftcard_check

GIFT_CARD_CHECK_SCOPE = "gift_card_check"


class GiftCardCheckThrottle(OperationRateThrottle):
    """Balance checks have a tight budget per caller (key, user or address) of their own, so the
    endpoint cannot be used to try codes."""

    def allow_request(self, request, view):
        self.scope = GIFT_CARD_CHECK_SCOPE
        return super(OperationRateThrottle, self).allow_request(request, view)


class IsCustomerOrChannel(permissions.BasePermission):
    """A signed-in user (the web shop, the app) or any valid channel API key (a till, a marketplace)."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ChannelAPIKey) or bool(request.user and request.user.is_authenticated)


class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("validators", [validate_currency])
        super().__init__(**kwargs)


class GiftCardCheckInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="The card's code, with or without dashes and spaces.")
    currency = CurrencyField(required=False, help_text="ISO 4217; the shop's default currency when not given.")


class GiftCardBalanceSerializer(serializers.Serializer):
    code_last4 = serializers.CharField(help_text="The last four characters of the code.")
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()


@extend_schema(tags=["loyalty"])
class GiftCardCheckApi(APIView):
    """What a gift card holds and until when. Refused (400 ``gift_card_invalid``) with the reason
    for an unknown, blocked, expired, used-up card or one in another currency."""

    permission_classes = [IsCustomerOrChannel]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, GiftCardCheckThrottle]

    @extend_schema(
        request=GiftCardCheckInSerializer,
        responses={
            200: GiftCardBalanceSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="gift_card_invalid: errors.gift_card says why (unknown, blocked, expired, other "
                "currency, used up); validation_error: field errors.",
            ),
            429: OpenApiResponse(ErrorSerializer, description="throttled: too many checks, try again later."),
        },
    )
    def post(self, request):
        data = GiftCardCheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        currency = data.validated_data.get("currency") or settings.OMNISHOP_DEFAULT_CURRENCY
        balance = giftcard_check(code=data.validated_data["code"], currency=currency)
        return Response(GiftCardBalanceSerializer(balance).data)


class StoreCreditQuerySerializer(serializers.Serializer):
    currency = CurrencyField(required=False)


class StoreCreditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = StoreCreditEntry
        fields = ["kind", "source", "amount", "balance_after", "reference", "channel_code", "created_at"]
        read_only_fields = fields


class StoreCreditSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    count = serializers.IntegerField(help_text="How many entries the history has.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StoreCreditEntrySerializer(many=True, help_text="The history, newest first.")


@extend_schema(tags=["loyalty"])
class MyStoreCreditApi(APIView):
    """The signed-in customer's store credit in one currency and its history, newest first
    (paginated: ``?page=``, ``?page_size=``)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("currency", str, description="ISO 4217; the shop's default when not given.")],
        responses={
            200: StoreCreditSerializer,
            400: OpenApiResponse(ErrorSerializer, description="validation_error: an unknown currency."),
        },
    )
    def get(self, request):
        query = StoreCreditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        currency = query.validated_data.get("currency") or settings.OMNISHOP_DEFAULT_CURRENCY
        customer = customer_for_user_ensure(user=request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            store_credit_entries_for_customer(customer=customer, currency=currency), request, view=self
        )
        return Response(
            {
                "currency": currency,
                "balance": str(store_credit_balance(customer=customer, currency=currency)),
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": StoreCreditEntrySerializer(page, many=True).data,
            }
        )


urlpatterns = [
    path("gift-cards/check/", GiftCardCheckApi.as_view(), name="gift-card-check"),
    path("me/store-credit/", MyStoreCreditApi.as_view(), name="my-store-credit"),
]
