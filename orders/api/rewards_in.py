"""What a customer pays with beside the payment method, as every face takes it: the order POST,
the cart's price and the till's price."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from omnishop.api.serializers import DecimalStringField


class RewardsInSerializer(serializers.Serializer):
    """What a customer pays with beside the payment method: a coupon, points, a gift card, store credit."""

    coupon_code = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=40, help_text=_("A coupon code.")
    )
    points = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=10_000_000, help_text=_("Loyalty points to pay with.")
    )
    gift_card_code = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=40, help_text=_("A gift card to pay with.")
    )
    store_credit = DecimalStringField(
        required=False,
        default=None,
        allow_null=True,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=_("Store credit to use at most (0: as much as the total takes); omit to use none."),
    )

    def rewards(self) -> dict:
        data = self.validated_data
        return {key: data[key] for key in ("coupon_code", "points", "gift_card_code", "store_credit")}
