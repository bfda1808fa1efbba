"""Catalog reads, shaped for the API and other apps. Query counts do not grow with rows."""

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, F, FilteredRelation, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from omnishop.sql_arrays import int_array

from .models import Category, Channel, ChannelListing, Price, Product, Variant

# Ids or keys per ``IN (...)`` list: keeps any one statement's parameter list bounded.
IN_CHUNK = 5_000


def variant_ids_by_sku(*, skus: Iterable[str]) -> dict[str, int]:
    """``{sku: variant id}`` for the SKUs that exist (active or not); unknown ones are absent.

    A stock sync resolves up to 10,000 at once: one query with the SKUs as one array parameter
    (an ``IN`` list of 10,000 parameters costs more to build than to run).
    """
    wanted = sorted(set(skus))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sku, id FROM {Variant._meta.db_table} WHERE sku = ANY(%s::varchar[])",  # noqa: S608
            [wanted],
        )
        return dict(cursor.fetchall())


def channel_get(*, code: str) -> Channel | None:
    return Channel.objects.filter(code=code).first()


def channel_list(*, active_only: bool = True) -> QuerySet[Channel]:
    qs = Channel.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def _listed_now(at, prefix: str = "") -> Q:
    """A variant's product is published now (the listing's channel is filtered by the caller)."""
    return Q(**{f"{prefix}listings__published_from__lte": at}) & (
        Q(**{f"{prefix}listings__published_until__isnull": True}) | Q(**{f"{prefix}listings__published_until__gt": at})
    )


def variants_listed_in_channel(*, channel: Channel, at=None) -> QuerySet[Variant]:
    """The variants a channel sells now: active, of an active product with a listing in the
    channel published now; ordered by SKU (a stable order to page over)."""
    at = at or timezone.now()
    return (
        Variant.objects.filter(is_active=True, product__is_active=True)
        .filter(Q(product__listings__channel=channel) & _listed_now(at, "product__"))
        .order_by("sku")
    )


def marketplace_offers_query(
    *,
    channel_id: int | None = None,
    variant_ids: Iterable[int] | None = None,
    product_ids: Iterable[int] | None = None,
    at=None,
) -> tuple[str, dict]:
    """What each active marketplace channel (only ``channel_id``, if given) sells now among
    ``variant_ids`` and/or of ``product_ids`` (None: no limit), as SQL and its (named)
    parameters, for a statement that reads it as a part: rows (channel_id, code, stock_buffer,
    variant_id, sku) of active variants of active products with a listing in the channel
    published at ``at`` (now), and one row with no variant for a channel that sells none of
    them. The marketplace figures' lock (``inventory.lock_objects.channel_stock_lock``) reads
    it: every stock change asks, and without a marketplace channel that is one small query."""
    variant, product, listing = (m._meta.db_table for m in (Variant, Product, ChannelListing))
    sql = (
        "SELECT c.id AS channel_id, c.code, c.stock_buffer, x.id AS variant_id, x.sku"  # noqa: S608
        f" FROM {Channel._meta.db_table} c LEFT JOIN LATERAL ("
        f" SELECT v.id, v.sku FROM {listing} l JOIN {product} p ON p.id = l.product_id"
        f" JOIN {variant} v ON v.product_id = p.id"
        " WHERE l.channel_id = c.id AND l.published_from <= %(offers_at)s"
        " AND (l.published_until IS NULL OR l.published_until > %(offers_at)s) AND v.is_active AND p.is_active"
        " AND (%(offers_variants)s::bigint[] IS NULL OR v.id = ANY(%(offers_variants)s::bigint[]))"
        " AND (%(offers_products)s::bigint[] IS NULL OR p.id = ANY(%(offers_products)s::bigint[]))"
        ") x ON true"
        " WHERE c.kind = %(offers_kind)s AND c.is_active"
        " AND (%(offers_channel)s::bigint IS NULL OR c.id = %(offers_channel)s::bigint)"
    )
    return sql, {
        "offers_at": at or timezone.now(),
        "offers_variants": None if variant_ids is None else int_array(sorted(set(variant_ids))),
        "offers_products": None if product_ids is None else int_array(sorted(set(product_ids))),
        "offers_kind": Channel.Kind.MARKETPLACE,
        "offers_channel": channel_id,
    }


def category_list() -> QuerySet[Category]:
    return Category.objects.get_tree().filter(is_active=True)


def category_subtree(*, category: Category) -> QuerySet[Category]:
    return Category.objects.filter(path__startswith=category.path)


def price_for_channel(*, variant: Variant, channel: Channel) -> Price | None:
    return Price.objects.filter(variant=variant, currency=channel.currency).first()


def product_list_for_channel(*, channel: Channel, at=None) -> QuerySet[Product]:
    """Active products published in ``channel`` now: a narrow queryset to filter, order and
    page over. Load what a page shows with ``product_page_for_channel``.

    ``price_min`` (lowest active variant price in the channel's currency) is annotated for
    ordering; it only costs anything when a query orders or filters by it.
    """
    at = at or timezone.now()
    channel_prices = Price.objects.filter(
        currency=channel.currency, variant__product=OuterRef("pk"), variant__is_active=True
    )
    # One filter() call, so the three listing conditions share one join ((product, channel) is unique).
    published = (
        Q(listings__channel=channel)
        & Q(listings__published_from__lte=at)
        & (Q(listings__published_until__isnull=True) | Q(listings__published_until__gt=at))
    )
    return (
        Product.objects.filter(is_active=True)
        .filter(published)
        .annotate(price_min=Subquery(channel_prices.order_by("amount").values("amount")[:1]))
    )


def product_page_for_channel(*, channel: Channel, ids: list[int]) -> list[Product]:
    """The products ``ids`` (in that order) with brand, category, the channel listing window
    (``listed_from``/``listed_until``), active variants and their price in the channel's
    currency (``variant.channel_prices``). Four queries whatever the page size."""
    products = (
        Product.objects.filter(pk__in=ids)
        .select_related("brand", "category")
        .annotate(channel_listing=FilteredRelation("listings", condition=Q(listings__channel=channel)))
        .annotate(
            listed_from=F("channel_listing__published_from"),
            listed_until=F("channel_listing__published_until"),
        )
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True)
                .order_by("position", "id")
                .only("id", "product_id", "sku", "ean", "name", "size", "colour", "attributes", "position")
                .prefetch_related(
                    Prefetch(
                        "prices",
                        queryset=Price.objects.filter(currency=channel.currency).only(
                            "id", "variant_id", "currency", "amount"
                        ),
                        to_attr="channel_prices",
                    )
                ),
                to_attr="active_variants",
            )
        )
    )
    by_id = {p.pk: p for p in products}
    return [by_id[i] for i in ids if i in by_id]


# --- read by carts ---
def variant_get_by_sku(*, sku: str) -> Variant | None:
    """The variant with this SKU, or None."""
    return Variant.objects.filter(sku=sku).first()


class VariantByCode(NamedTuple):
    pk: int
    sku: str
    ean: str | None
    size: str
    colour: str
    product_name: str


def variants_by_sku_or_ean(*, skus: Iterable[str] = (), eans: Iterable[str] = ()) -> dict[str, VariantByCode]:
    """The variants named by SKU or by EAN (active or not: a till sells what is on the shelf),
    by the code that named them; unknown codes are absent. One query."""
    skus, eans = sorted(set(skus)), sorted(set(eans))
    if not skus and not eans:
        return {}
    rows = (
        Variant.objects.filter(Q(sku__in=skus) | Q(ean__in=eans))
        .order_by("pk")
        .values_list("pk", "sku", "ean", "size", "colour", "product__name")
    )
    found: dict[str, VariantByCode] = {}
    wanted_skus, wanted_eans = set(skus), set(eans)
    for row in rows:
        variant = VariantByCode(*row)
        if variant.sku in wanted_skus:
            found[f"sku:{variant.sku}"] = variant
        if variant.ean and variant.ean in wanted_eans:
            found[f"ean:{variant.ean}"] = variant
    return found


def variant_skus(*, ids: Iterable[int]) -> dict[int, str]:
    """SKU per variant id, for the ids that exist."""
    return dict(Variant.objects.filter(pk__in=list(ids)).values_list("pk", "sku"))


def variant_search(*, text: str, limit: int = 10) -> list[int]:
    """Ids of the active variants an agent may mean by ``text``: a SKU (its beginning), an EAN,
    or words of the product's name (each word somewhere in it); SKU matches first. One query."""
    text = " ".join(str(text or "").split())
    if not text:
        return []
    words = Q()
    for word in text.split(" "):
        words &= Q(product__name__icontains=word)
    condition = Q(sku__istartswith=text) | Q(ean=text) | words
    return list(
        Variant.objects.filter(condition, is_active=True, product__is_active=True)
        .alias(by_sku=Case(When(sku__istartswith=text, then=Value(0)), default=Value(1)))
        .order_by("by_sku", "product__name", "position", "sku")
        .values_list("pk", flat=True)[:limit]
    )


# --- read by the pricing engine ---
class SellableVariant(NamedTuple):
    pk: int
    sku: str
    size: str
    colour: str
    product_name: str
    price: Decimal | None  # None: no price in the channel's currency
    product_id: int = 0
    brand_id: int | None = None
    # The product's category and all its ancestors (a rule on "Obuwie" covers "Sneakersy").
    category_ids: tuple[int, ...] = ()
    is_gift_card: bool = False


def variants_sellable_with_price(*, ids: Iterable[int], channel: Channel, at=None) -> dict[int, SellableVariant]:
    """The active variants of active products published in ``channel`` at ``at`` (now by default),
    with their price in the channel's currency, the product's brand, its category with every
    ancestor, and whether it is a gift card, by id. One query whatever the number of ids.

    Written in SQL: every basket is priced through here (the pricing engine's first stage), and
    building this query through the ORM cost more than running it."""
    at = at or timezone.now()
    ids = [int(pk) for pk in ids]
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_SELLABLE_SQL, {"ids": ids, "channel": channel.pk, "currency": channel.currency, "at": at})
        rows = cursor.fetchall()
    return {row[0]: SellableVariant(*row[:8], tuple(row[8] or ()), row[9]) for row in rows}


# A category is an ancestor of (or is) the product's category when its path starts the product's:
# the tree is a materialised path, so this needs no recursion. Price: one per variant and currency.
_SELLABLE_SQL = """
SELECT v.id, v.sku, v.size, v.colour, p.name,
       (SELECT pr.amount FROM catalog_price pr WHERE pr.variant_id = v.id AND pr.currency = %(currency)s),
       p.id, p.brand_id,
       ARRAY(SELECT a.id FROM catalog_category a WHERE left(c.path, length(a.path)) = a.path ORDER BY a.depth),
       p.is_gift_card
  FROM catalog_variant v
  JOIN catalog_product p ON p.id = v.product_id
  JOIN catalog_category c ON c.id = p.category_id
 WHERE v.id = ANY(%(ids)s) AND v.is_active AND p.is_active
   AND EXISTS (
       SELECT 1 FROM catalog_channellisting l
        WHERE l.product_id = p.id AND l.channel_id = %(channel)s AND l.published_from <= %(at)s
          AND (l.published_until IS NULL OR l.published_until > %(at)s))
"""
