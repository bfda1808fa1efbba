"""Catalog reads, shaped for the API and other apps. Query counts do not grow with rows."""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from .models import Category, Channel, ChannelListing, Price, Product, Variant


def channel_get(*, code: str) -> Channel | None:
    return Channel.objects.filter(code=code).first()


def channel_list(*, active_only: bool = True) -> QuerySet[Channel]:
    qs = Channel.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def category_list() -> QuerySet[Category]:
    return Category.objects.get_tree().filter(is_active=True)


def category_subtree(*, category: Category) -> QuerySet[Category]:
    return Category.objects.filter(path__startswith=category.path)


def price_for_channel(*, variant: Variant, channel: Channel) -> Price | None:
    return Price.objects.filter(variant=variant, currency=channel.currency).first()


def product_list_for_channel(*, channel: Channel, at=None) -> QuerySet[Product]:
    """Active products published in ``channel`` now, each with its active variants and
    their price in the channel's currency (``variant.channel_prices``), the listing window
    (``listed_from``/``listed_until``) and the channel price range (``price_min``/``price_max``).
    """
    at = at or timezone.now()
    listing = ChannelListing.objects.published(at=at).filter(channel=channel, product=OuterRef("pk"))
    channel_prices = Price.objects.filter(
        currency=channel.currency, variant__product=OuterRef("pk"), variant__is_active=True
    )
    return (
        Product.objects.filter(is_active=True)
        .filter(Exists(listing))
        .select_related("brand", "category")
        .annotate(
            listed_from=Subquery(listing.values("published_from")[:1]),
            listed_until=Subquery(listing.values("published_until")[:1]),
            price_min=Subquery(channel_prices.order_by("amount").values("amount")[:1]),
            price_max=Subquery(channel_prices.order_by("-amount").values("amount")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True)
                .order_by("position", "id")
                .prefetch_related(
                    Prefetch(
                        "prices",
                        queryset=Price.objects.filter(currency=channel.currency),
                        to_attr="channel_prices",
                    )
                ),
                to_attr="active_variants",
            )
        )
    )
