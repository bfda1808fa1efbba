"""Who must hear that what a channel offers changed (a listing published or withdrawn, a channel's
stock buffer). Catalog cannot import the apps above it, so they register a listener here in their
``AppConfig.ready()`` (inventory: the marketplaces' stock figures), and catalog's services call
``channel_offer_changed`` inside their transaction: explicit calls, no signals."""

from collections.abc import Callable, Collection

# listener(channel_id=..., product_ids=...); product_ids None: every product of the channel.
OfferListener = Callable[..., None]

_listeners: list[OfferListener] = []


def channel_offer_listener_register(listener: OfferListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def channel_offer_changed(*, channel_id: int, product_ids: Collection[int] | None = None) -> None:
    """Tell every listener, in the caller's transaction, that ``channel_id`` offers ``product_ids``
    (None: all its products) differently now."""
    for listener in _listeners:
        listener(channel_id=channel_id, product_ids=product_ids)
