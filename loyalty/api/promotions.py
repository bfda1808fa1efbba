"""REST of loyalty's promotions: the signed-in customer's coupons (web shop and app).

Only the caller's own personal codes and the public codes aimed at them are ever listed:
another customer's personal code never appears, whatever is asked."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.services import customer_for_user_ensure

from ..promotions import promotion_explanation
from ..selectors.coupons import coupons_list_for_customer


class MyCouponOutSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Type it at checkout (case does not matter).")
    personal = serializers.SerializerMethodField(help_text="Given to this customer alone.")
    promotion = serializers.CharField(source="promotion.name")
    gives = serializers.SerializerMethodField(help_text="What it gives, e.g. `10% off`.")
    kind = serializers.CharField(source="promotion.kind", help_text="`percent`, `fixed` or `buy_x_get_y`.")
    value = serializers.DecimalField(source="promotion.value", max_digits=12, decimal_places=2)
    scope = serializers.CharField(source="promotion.scope", help_text="`cart`, `categories`, `brands` or `variants`.")
    min_basket_amount = serializers.DecimalField(source="promotion.min_basket_amount", max_digits=12, decimal_places=2)
    currency = serializers.CharField(source="promotion.currency")
    valid_to = serializers.DateTimeField(source="promotion.valid_to", allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    remaining_uses = serializers.IntegerField(allow_null=True, help_text="Null: no limit.")

    def get_personal(self, coupon) -> bool:
        return coupon.customer_id is not None

    def get_gives(self, coupon) -> str:
        return promotion_explanation(coupon.promotion)


@extend_schema(tags=["loyalty"])
class MyCouponsApi(APIView):
    """The coupons the signed-in customer may use now: their personal codes and the public codes
    of current promotions meant for them, with what each gives and how many uses are left.
    Used-up and expired codes are left out."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MyCouponOutSerializer(many=True))
    def get(self, request):
        customer = customer_for_user_ensure(user=request.user)
        return Response(MyCouponOutSerializer(coupons_list_for_customer(customer=customer), many=True).data)


urlpatterns = [path("me/coupons/", MyCouponsApi.as_view(), name="my-coupons")]
