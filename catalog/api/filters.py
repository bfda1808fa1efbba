import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from ..models import Brand, Category, Price, Product, Variant
from ..selectors import category_subtree


class ProductFilter(django_filters.FilterSet):
    """Filters for the channel's product list. Prices compare in the channel's currency."""

    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(),
        to_field_name="slug",
        method="filter_category",
        label=_("Category slug (includes its subcategories)"),
    )
    brand = django_filters.ModelChoiceFilter(queryset=Brand.objects.all(), to_field_name="slug", label=_("Brand slug"))
    q = django_filters.CharFilter(
        method="filter_q", max_length=100, label=_("Text search: name, brand, description, SKU or EAN")
    )
    price_min = django_filters.NumberFilter(
        method="filter_price", min_value=0, label=_("Lowest variant price, at least")
    )
    price_max = django_filters.NumberFilter(method="filter_price", min_value=0, label=_("Some variant priced at most"))
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("price_min", "price"), ("created_at", "created")),
        label=_("Order by name, price or created (prefix with - for descending)"),
    )

    class Meta:
        model = Product
        fields = ["category", "brand", "q", "price_min", "price_max"]

    def filter_category(self, queryset, name, value: Category):
        return queryset.filter(category__in=category_subtree(category=value))

    def filter_q(self, queryset, name, value: str):
        value = value.strip()
        if not value:
            return queryset
        by_code = Variant.objects.filter(product=OuterRef("pk")).filter(Q(sku__iexact=value) | Q(ean=value))
        return queryset.filter(
            Q(name__icontains=value)
            | Q(brand__name__icontains=value)
            | Q(description__icontains=value)
            | Exists(by_code)
        )

    def filter_price(self, queryset, name, value):
        # Both bounds are applied together in filter_queryset so one variant must satisfy both.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A unique tie-breaker keeps pages stable when many products share a name or price.
        order = list(queryset.query.order_by) or list(Product._meta.ordering)
        if "id" not in order and "pk" not in order:
            queryset = queryset.order_by(*order, "id")
        low = self.form.cleaned_data.get("price_min")
        high = self.form.cleaned_data.get("price_max")
        if low is not None and high is not None and low > high:
            raise ValidationError({"price_min": [_("price_min must not exceed price_max.")]})
        if low is None and high is None:
            return queryset
        channel = self.request.channel
        prices = Price.objects.filter(
            variant__product=OuterRef("pk"), variant__is_active=True, currency=channel.currency
        )
        if low is not None:
            prices = prices.filter(amount__gte=low)
        if high is not None:
            prices = prices.filter(amount__lte=high)
        return queryset.filter(Exists(prices))
