"""Every outbox event catalog emits, pinned: its type, version, and payload keys and types.
Consumers (ERP, marketplaces, webhooks) rely on these: a key may be added, none removed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from catalog.events import CatalogEvent
from catalog.models import Price, PriceHistory
from catalog.services import (
    PriceRow,
    listing_publish,
    listing_unpublish,
    price_delete,
    price_set,
    prices_import,
)
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from omnishop.accounts.tests.factories import UserFactory
from omnishop.outbox.catalogue import event_payload_errors
from omnishop.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db

PRICE_CHANGED_KEYS = {
    "variant_id": int,
    "sku": str,
    "currency": str,
    "old_amount": (str, type(None)),
    "new_amount": (str, type(None)),
    "changed_at": str,
    "reason": str,
}
LISTING_PUBLISHED_KEYS = {
    "product_id": int,
    "channel": str,
    "published_from": str,
    "published_until": (str, type(None)),
}
LISTING_UNPUBLISHED_KEYS = {"product_id": int, "channel": str}


def assert_shape(event, keys):
    assert set(event.payload) == set(keys)
    assert event_payload_errors(event.type, event.version, event.payload) == []
    for key, kind in keys.items():
        assert isinstance(event.payload[key], kind), (key, event.payload[key])


def price_events(variant):
    events = OutboxEvent.objects.filter(type=CatalogEvent.PRICE_CHANGED, aggregate_id__startswith=f"{variant.sku}:")
    return list(events.order_by("created_at", "id"))


def test_the_enum_names_every_type_catalog_emits():
    assert {e.value for e in CatalogEvent} == {"price.changed", "listing.published", "listing.unpublished"}


def test_price_set_emits_price_changed_on_create_and_update_not_when_unchanged():
    variant = VariantFactory(sku="BUT-42")
    price_set(variant=variant, amount=Decimal("199.99"), reason="new season")
    price_set(variant=variant, amount=Decimal("149.99"), reason="promo")
    price_set(variant=variant, amount=Decimal("149.99"))  # same amount: no change, no event
    created, updated = price_events(variant)
    for event in (created, updated):
        assert (event.type, event.version, event.aggregate_type, event.aggregate_id) == (
            "price.changed",
            1,
            "price",
            "BUT-42:PLN",
        )
        assert_shape(event, PRICE_CHANGED_KEYS)
        assert not event.coalesce_key  # every change is its own event, as in the history
    assert created.payload | {"changed_at": None} == {
        "variant_id": variant.pk,
        "sku": "BUT-42",
        "currency": "PLN",
        "old_amount": None,
        "new_amount": "199.99",
        "changed_at": None,
        "reason": "new season",
    }
    assert (updated.payload["old_amount"], updated.payload["new_amount"], updated.payload["reason"]) == (
        "199.99",
        "149.99",
        "promo",
    )
    history = PriceHistory.objects.filter(variant=variant).first()
    assert updated.payload["changed_at"] == history.changed_at.isoformat()


def test_price_delete_keeps_history_and_emits_price_changed_with_no_new_amount():
    variant = VariantFactory(sku="BUT-43")
    actor = UserFactory()
    price_set(variant=variant, amount=Decimal("50.00"), currency="EUR")
    assert price_delete(variant=variant, currency="EUR", actor=actor, reason="not sold in EUR") is True
    assert not Price.objects.filter(variant=variant).exists()
    entry = PriceHistory.objects.filter(variant=variant).first()
    assert (entry.old_amount, entry.new_amount, entry.changed_by, entry.reason) == (
        Decimal("50.00"),
        None,
        actor,
        "not sold in EUR",
    )
    event = price_events(variant)[-1]
    assert_shape(event, PRICE_CHANGED_KEYS)
    assert (event.aggregate_id, event.payload["old_amount"], event.payload["new_amount"]) == (
        "BUT-43:EUR",
        "50.00",
        None,
    )
    # Nothing left to delete: nothing written.
    assert price_delete(variant=variant, currency="EUR", actor=actor) is False
    assert PriceHistory.objects.filter(variant=variant).count() == 2
    assert len(price_events(variant)) == 2


def test_prices_import_emits_one_price_changed_per_change():
    a, b, c = VariantFactory(sku="IMP-A"), VariantFactory(sku="IMP-B"), VariantFactory(sku="IMP-C")
    price_set(variant=b, amount=Decimal("10.00"))
    price_set(variant=c, amount=Decimal("20.00"))
    OutboxEvent.objects.all().delete()
    counts = prices_import(
        rows=[
            PriceRow(a.pk, "PLN", Decimal("5.00")),
            PriceRow(b.pk, "PLN", Decimal("11.00")),
            PriceRow(c.pk, "PLN", Decimal("20.00")),
        ],
        reason="ERP feed",
    )
    assert counts == {"created": 1, "updated": 1, "unchanged": 1}
    events = {e.aggregate_id: e for e in OutboxEvent.objects.filter(type="price.changed")}
    assert set(events) == {"IMP-A:PLN", "IMP-B:PLN"}
    for event in events.values():
        assert_shape(event, PRICE_CHANGED_KEYS)
        assert event.payload["reason"] == "ERP feed"
    assert (events["IMP-A:PLN"].payload["old_amount"], events["IMP-A:PLN"].payload["new_amount"]) == (None, "5.00")
    assert (events["IMP-B:PLN"].payload["old_amount"], events["IMP-B:PLN"].payload["new_amount"]) == ("10.00", "11.00")


def test_price_changed_is_written_in_the_transaction_of_the_change():
    variant = VariantFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        price_set(variant=variant, amount=Decimal("9.99"))
        raise RuntimeError("rolled back")
    assert not OutboxEvent.objects.exists() and not PriceHistory.objects.exists()


def test_listing_publish_and_unpublish_emit_their_events():
    product, channel = ProductFactory(), ChannelFactory(code="allegro")
    start = timezone.now() - timedelta(days=1)
    until = start + timedelta(days=30)
    listing_publish(product=product, channel=channel, published_from=start, published_until=until)
    published = OutboxEvent.objects.get(type="listing.published")
    assert (published.version, published.aggregate_type, published.aggregate_id) == (1, "product", str(product.pk))
    assert_shape(published, LISTING_PUBLISHED_KEYS)
    assert published.payload == {
        "product_id": product.pk,
        "channel": "allegro",
        "published_from": start.isoformat(),
        "published_until": until.isoformat(),
    }
    assert listing_unpublish(product=product, channel=channel) is True
    unpublished = OutboxEvent.objects.get(type="listing.unpublished")
    assert (unpublished.version, unpublished.aggregate_id) == (1, str(product.pk))
    assert_shape(unpublished, LISTING_UNPUBLISHED_KEYS)
    assert unpublished.payload == {"product_id": product.pk, "channel": "allegro"}
    # Not listed any more: nothing to unpublish, nothing written.
    assert listing_unpublish(product=product, channel=channel) is False
    assert OutboxEvent.objects.filter(type="listing.unpublished").count() == 1


def test_an_open_ended_listing_has_no_end():
    product, channel = ProductFactory(), ChannelFactory(code="web")
    listing_publish(product=product, channel=channel)
    assert OutboxEvent.objects.get(type="listing.published").payload["published_until"] is None
