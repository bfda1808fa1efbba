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

from catalog.selectors import marketplace_offers_query, variant_skus
from omnishop.outbox.services import outbox_emit_many
from omnishop.sql_arrays import bool_array, int_array

from ..events import channel_stock_changed_message
from ..lock_objects import LockedFigure, channel_stock_lock
from ..models import ChannelStock
from ..selectors import channel_available_sql, stock_available_to_ship_sql


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
    each from the other's committed stock. Two statements (the lock with what is listed, then
    the figures' write), one without a marketplace channel. Returns how many figures changed."""
    if variant_ids is not None and not variant_ids:
        return 0
    rows = channel_stock_lock(
        offers=marketplace_offers_query(channel_id=channel_id, variant_ids=variant_ids, product_ids=product_ids),
        variant_ids=variant_ids,
        product_ids=product_ids,
    )
    if not rows:
        return 0
    changed = _figures_write(rows)
    if not changed:
        return 0
    unlisted = {row.variant_id for row, _figure in changed if row.listed_sku is None}
    by_variant = variant_skus(ids=unlisted) if unlisted else {}
    outbox_emit_many(
        events=[
            channel_stock_changed_message(
                channel_code=row.channel_code,
                sku=row.listed_sku or by_variant[row.variant_id],
                available=figure,
                listed=row.listed_sku is not None,
            )
            for row, figure in changed
        ]
    )
    return len(changed)


def _figures_write(rows: list[LockedFigure]) -> list[tuple[LockedFigure, int]]:
    """The figures of the locked ``rows`` from the stock committed now (a statement of its own:
    it reads after the locks were granted), the changed ones written; returns those with their
    new figure. A listed variant's figure is ``channel_available`` of what may ship
    (``stock_available_to_ship_sql``), an unlisted one's 0."""
    shippable, params = stock_available_to_ship_sql(variant_ids={row.variant_id for row in rows})
    figure = channel_available_sql("COALESCE(ship.total, 0)", "f.stock_buffer")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH ship(variant_id, total) AS ({shippable}), "  # noqa: S608
            "f AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::integer[], %s::boolean[])"
            " AS f(id, variant_id, published, stock_buffer, listed)) "
            f"UPDATE {ChannelStock._meta.db_table} AS s SET available = v.figure, changed_at = %s FROM ("
            f" SELECT f.id, CASE WHEN f.listed THEN {figure} ELSE 0 END AS figure, f.published"
            " FROM f LEFT JOIN ship ON ship.variant_id = f.variant_id"
            ") v WHERE s.id = v.id AND v.figure IS DISTINCT FROM v.published "
            "RETURNING s.id, s.available",
            [
                *params,
                int_array(row.pk for row in rows),
                int_array(row.variant_id for row in rows),
                int_array(row.available for row in rows),
                int_array(row.stock_buffer for row in rows),
                bool_array(row.listed_sku is not None for row in rows),
                timezone.now(),
            ],
        )
        figures = dict(cursor.fetchall())
    return [(row, figures[row.pk]) for row in rows if row.pk in figures]


def channel_offer_refresh(*, channel_id: int, product_ids: Collection[int] | None = None) -> None:
    """The listener inventory registers with ``catalog.offers``: what ``channel_id`` offers of
    ``product_ids`` (None: everything, e.g. a new stock buffer) changed."""
    channel_stock_refresh(channel_id=channel_id, product_ids=product_ids)
