"""What a marketplace channel may sell: its stock feed, from the same figures its
``channel_stock.changed`` events carry (``channel_available`` of ``stock_available_to_ship``)."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery

from catalog.selectors import variants_listed_in_channel

from ..models import ChannelStock
from .availability import stock_available_to_ship


def channel_available(*, shippable: int, stock_buffer: int) -> int:
    """A marketplace channel's figure from the units a delivery may be sent from: less the
    channel's stock buffer, never below 0."""
    return max(shippable - stock_buffer, 0)


def channel_available_sql(shippable: str, stock_buffer: str) -> str:
    """``channel_available`` in SQL, of two SQL expressions (the marketplace figures' write)."""
    return f"GREATEST({shippable} - {stock_buffer}, 0)"


def channel_stock_feed(*, channel, updated_since: datetime | None = None) -> QuerySet:
    """The variants ``channel`` sells now, by SKU, with ``changed_at``: when their published
    figure last changed (null before a first one). ``updated_since``: only those whose figure
    changed since then (and those never published). Figures of a page: ``channel_stock_figures``."""
    changed_at = ChannelStock.objects.filter(channel=channel, variant_id=OuterRef("pk")).values("changed_at")[:1]
    rows = variants_listed_in_channel(channel=channel).annotate(changed_at=Subquery(changed_at))
    if updated_since is not None:
        rows = rows.filter(Q(changed_at__gte=updated_since) | Q(changed_at__isnull=True))
    return rows.only("id", "sku")


def channel_stock_figures(*, channel, variant_ids: Iterable[int]) -> dict[int, int]:
    """What ``channel`` may sell of each of ``variant_ids`` now (0 included), in one query."""
    variant_ids = list(variant_ids)
    shippable = stock_available_to_ship(variant_ids=variant_ids) if variant_ids else {}
    return {
        variant_id: channel_available(shippable=shippable.get(variant_id, 0), stock_buffer=channel.stock_buffer)
        for variant_id in variant_ids
    }
