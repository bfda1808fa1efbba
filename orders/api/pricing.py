"""How every face renders the pricing engine's answer (``loyalty.pricing.PricedCart``): the cart's
price, the till's price and the call centre's preview show the same lines, discounts, points and
totals, so the same basket reads the same everywhere."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from loyalty.pricing import PricedCart, TenderKind
from omnishop.api.serializers import MoneyField
from omnishop.money import Money


class PricedLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneyField()
    line_total = MoneyField(help_text=_("Unit price times quantity, before discounts."))
    discount = MoneyField(help_text=_("Promotions, the coupon and points taken off this line."))
    net_total = MoneyField(help_text=_("What the line costs."))


class PricedPromotionSerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField(help_text=_("The coupon code; empty for an automatic promotion."))
    amount = MoneyField()
    lines = serializers.DictField(
        child=serializers.CharField(), help_text=_("The discount on each line, by SKU (decimal strings).")
    )


class TenderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TenderKind.choices)
    amount = MoneyField()
    code_last4 = serializers.CharField(help_text=_("The gift card's last four characters; empty for store credit."))


class EarningSerializer(serializers.Serializer):
    rule = serializers.CharField(allow_null=True, required=False)
    name = serializers.CharField()
    points = serializers.IntegerField()


class PricedCartSerializer(serializers.Serializer):
    currency = serializers.CharField()
    lines = PricedLineSerializer(many=True)
    subtotal = MoneyField()
    promotions = PricedPromotionSerializer(many=True)
    coupon_code = serializers.CharField(help_text=_("The coupon applied; empty when none."))
    points_redeemed = serializers.IntegerField()
    points_discount = MoneyField()
    discount_total = MoneyField()
    shipping_total = MoneyField()
    total = MoneyField()
    tenders = TenderSerializer(many=True)
    amount_due = MoneyField(help_text=_("What is left to pay by card, BLIK, transfer or in store."))
    points_to_earn = serializers.IntegerField(
        help_text=_("Points the order earns (pending until the return window closes).")
    )
    earning = EarningSerializer(many=True, help_text=_("Which earning rule gave what."))


def priced_render(priced: PricedCart) -> dict:
    """``priced`` as ``PricedCartSerializer`` renders it."""
    currency = priced.currency
    sku = {line.variant_id: line.sku for line in priced.lines}

    def money(amount) -> Money:
        return Money(amount, currency)

    return PricedCartSerializer(
        {
            "currency": currency,
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": money(line.unit_price),
                    "line_total": money(line.line_total),
                    "discount": money(line.discount),
                    "net_total": money(line.net_total),
                }
                for line in priced.lines
            ],
            "subtotal": money(priced.subtotal),
            "promotions": [
                {
                    "name": p.name,
                    "code": p.code,
                    "amount": money(p.amount),
                    "lines": {sku.get(v, str(v)): str(a) for v, a in p.line_discounts.items()},
                }
                for p in priced.promotions
            ],
            "coupon_code": priced.coupon_code,
            "points_redeemed": priced.points_redeemed,
            "points_discount": money(priced.points_discount),
            "discount_total": money(priced.discount_total),
            "shipping_total": money(priced.shipping_total),
            "total": money(priced.total),
            "tenders": [
                {"kind": t.kind, "amount": money(t.amount), "code_last4": t.code_last4} for t in priced.tenders
            ],
            "amount_due": money(priced.amount_due),
            "points_to_earn": priced.points_to_earn,
            "earning": [
                {
                    "rule": None if e.get("rule") is None else str(e.get("rule")),
                    "name": str(e.get("name", "")),
                    "points": int(e.get("points", 0)),
                }
                for e in priced.points_explanation
            ],
        }
    ).data
