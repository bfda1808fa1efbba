"""What each marketplace channel may sell: one figure per listed variant (online availability
at the locations that ship, less the channel's stock buffer, never below 0), kept in
``ChannelStock`` and told as ``channel_stock.changed`` events when it changes.

The ledger kernel calls ``channel_stock_refresh`` after every stock change (holds and
allocations included), catalog through its offer listeners (a listing published or withdrawn, a
channel's buffer). Without an active marketplace channel it costs one small query.
"""

from collections.abc import Collection

from django.db import connection
from django.utils import timezone

from catalog.selectors import channels_marketplace, variant_skus, variants_listed_in_channels
from omnishop.outbox.services import outbox_emit_many

from ..events import channel_stock_changed_message
from ..lock_objects import channel_stock_lock
from ..models import ChannelStock
from ..selectors import channel_available, stock_available_to_ship


def channel_stock_refresh(
    *,
    variant_ids: Collection[int] | None = None,
    product_ids: Collection[int] | None = None,
    channel_id: int | None = None,
) -> int:
    """Work out the figures of the marketplace channels (or only ``channel_id``) for
    ``variant_ids`` and/or the variants of ``product_ids`` (None: every variant), write those
    that changed with ``changed_at`` now, and emit one coalesced ``channel_stock.changed`` each.
    A variant no longer listed gets 0 (``listed`` false) once. Call inside the transaction of the
    change, after its stock rows are locked; the figure rows are locked in (channel, variant)
    order before availability is read, so concurrent changes of one variant publish in turn,
    each from the other's committed stock. Returns how many figures changed."""
    if variant_ids is not None and not variant_ids:
        return 0
    channels = {c.pk: c for c in channels_marketplace() if channel_id is None or c.pk == channel_id}
    if not channels:
        return 0
    listed = {
        (channel, variant): sku
        for channel, variant, sku in variants_listed_in_channels(
            channel_ids=channels, variant_ids=variant_ids, product_ids=product_ids
        )
    }
    if listed:
        # A first figure for a newly listed variant: its row exists (empty) before it is locked.
        ChannelStock.objects.bulk_create(
            [ChannelStock(channel_id=c, variant_id=v) for c, v in sorted(listed)], ignore_conflicts=True
        )
    rows = channel_stock_lock(channel_ids=channels, variant_ids=variant_ids, product_ids=product_ids)
    if not rows:
        return 0
    shippable = stock_available_to_ship(variant_ids={variant for _pk, _c, variant, _a in rows})
    changed: list[tuple[int, int, int, int, bool]] = []  # (row id, channel, variant, figure, listed)
    for pk, channel, variant, published in rows:
        is_listed = (channel, variant) in listed
        figure = (
            channel_available(shippable=shippable.get(variant, 0), stock_buffer=channels[channel].stock_buffer)
            if is_listed
            else 0
        )
        if figure != published:
            changed.append((pk, channel, variant, figure, is_listed))
    if not changed:
        return 0
    _figures_write(changed)
    unlisted = {variant for _pk, channel, variant, _f, is_listed in changed if not is_listed}
    by_variant = variant_skus(ids=unlisted) if unlisted else {}
    outbox_emit_many(
        events=[
            channel_stock_changed_message(
                channel_code=channels[channel].code,
                sku=listed.get((channel, variant)) or by_variant[variant],
                available=figure,
                listed=is_listed,
            )
            for _pk, channel, variant, figure, is_listed in changed
        ]
    )
    return len(changed)


def _figures_write(changed: list[tuple[int, int, int, int, bool]]) -> None:
    """The new figures of locked rows in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ChannelStock._meta.db_table} AS s SET available = v.available, changed_at = %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, available) WHERE s.id = v.id",
            [timezone.now(), [row[0] for row in changed], [row[3] for row in changed]],
        )


def channel_offer_refresh(*, channel_id: int, product_ids: Collection[int] | None = None) -> None:
    """The listener inventory registers with ``catalog.offers``: what ``channel_id`` offers of
    ``product_ids`` (None: everything, e.g. a new stock buffer) changed."""
    channel_stock_refresh(channel_id=channel_id, product_ids=product_ids)
