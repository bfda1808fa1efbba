from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omnishop.api.serializers import MoneyField, MoneySerializer

from ..models import Brand, Category, Channel, Product, Variant

# Stateless field instances, shared instead of built per value.
_money = MoneyField()
_datetime = serializers.DateTimeField()


@extend_schema_field(
    {"type": "object", "additionalProperties": True, "example": {"material": "leather", "season": "SS25"}}
)
class AttributesField(serializers.JSONField):
    """Free attributes (a JSON object) of a product or variant, rendered as stored."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["code", "name", "kind", "currency"]


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "depth", "parent"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, obj: Category) -> str | None:
        # The parent's slug comes from the tree order of the list (see CategoryListApi).
        return self.context.get("parents", {}).get(obj.path[: -obj.steplen])


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug"]


class VariantSerializer(serializers.ModelSerializer):
    attributes = AttributesField()
    price = serializers.SerializerMethodField(
        help_text=_("Price in the requesting channel's currency; null when not priced there.")
    )

    class Meta:
        model = Variant
        fields = ["id", "sku", "ean", "name", "size", "colour", "attributes", "price"]

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_price(self, variant: Variant):
        prices = getattr(variant, "channel_prices", None)
        if not prices:
            return None
        return _money.to_representation(prices[0].money)


class PriceRangeSerializer(serializers.Serializer):
    min = MoneyField()
    max = MoneyField()


class ListingWindowSerializer(serializers.Serializer):
    published_from = serializers.DateTimeField()
    published_until = serializers.DateTimeField(allow_null=True)


class ProductSerializer(serializers.ModelSerializer):
    brand = BrandSerializer(allow_null=True)
    category = CategoryRefSerializer()
    attributes = AttributesField(help_text=_('Free product attributes, e.g. {"material": "leather"}.'))
    variants = VariantSerializer(source="active_variants", many=True)
    price_range = serializers.SerializerMethodField()
    listing = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "brand",
            "category",
            "attributes",
            "price_range",
            "listing",
            "variants",
        ]

    @extend_schema_field(PriceRangeSerializer(allow_null=True))
    def get_price_range(self, product: Product):
        prices = [p.money for v in product.active_variants for p in v.channel_prices]
        if not prices:
            return None
        return {
            "min": _money.to_representation(min(prices, key=lambda m: m.amount)),
            "max": _money.to_representation(max(prices, key=lambda m: m.amount)),
        }

    @extend_schema_field(ListingWindowSerializer)
    def get_listing(self, product: Product):
        return {
            "published_from": serializers.DateTimeField().to_representation(product.listed_from),
            "published_until": (
                serializers.DateTimeField().to_representation(product.listed_until) if product.listed_until else None
            ),
        }
