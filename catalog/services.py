"""Catalog writes. Prices change only here, so every change leaves a history row and a
``price.changed`` outbox row in the same transaction."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from omnishop.money import validate_currency
from omnishop.outbox.services import outbox_emit_many

from .events import listing_published_message, listing_unpublished_message, price_changed_message
from .models import Brand, Category, Channel, ChannelListing, Price, PriceHistory, Product, Variant
from .offers import channel_offer_changed

PRICE_MAX = Decimal("9999999999.99")


def _clean_amount(amount) -> Decimal:
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": [_("Enter a number.")]}) from None
    if isinstance(amount, float):
        raise ValidationError({"amount": [_("Prices are decimals, never floats.")]})
    if not value.is_finite() or value < 0 or value > PRICE_MAX:
        raise ValidationError({"amount": [_("A price is between 0 and 9 999 999 999.99.")]})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({"amount": [_("A price has at most 2 decimal places.")]})
    return value.quantize(Decimal("0.01"))


def _price_changed(*, history: list[PriceHistory], skus: dict[int, str]) -> None:
    """The ``price.changed`` outbox rows for ``history`` (one per history row)."""
    outbox_emit_many(
        events=[
            price_changed_message(
                variant_id=h.variant_id,
                sku=skus[h.variant_id],
                currency=h.currency,
                old_amount=h.old_amount,
                new_amount=h.new_amount,
                changed_at=h.changed_at,
                reason=h.reason,
            )
            for h in history
        ]
    )


def price_set(
    *,
    variant: Variant,
    amount: Decimal,
    currency: str = "PLN",
    actor=None,
    reason: str = "",
) -> Price:
    """Set the one current price of ``variant`` in ``currency``; every channel sees it at once.

    Locks the price row, writes a ``PriceHistory`` row (old → new) and a ``price.changed``
    outbox row in the same transaction. Setting the same amount again changes nothing and writes
    no history.
    Raises ``ValidationError`` for a negative, non-decimal or over-precise amount.
    """
    amount = _clean_amount(amount)
    try:
        validate_currency(currency)
    except ValidationError as exc:
        raise ValidationError({"currency": exc.messages}) from None
    with transaction.atomic():
        price = Price.objects.select_for_update().filter(variant=variant, currency=currency).first()
        # Taken after the lock, so history timestamps follow the order changes really happened.
        now = timezone.now()
        if price is None:
            try:
                with transaction.atomic():
                    price = Price.objects.create(
                        variant=variant, currency=currency, amount=amount, updated_at=now, updated_by=actor
                    )
            except IntegrityError:
                # Someone created it between our read and insert: lock theirs and update it.
                price = Price.objects.select_for_update().get(variant=variant, currency=currency)
                now = timezone.now()
            else:
                entry = PriceHistory.objects.create(
                    variant=variant,
                    currency=currency,
                    old_amount=None,
                    new_amount=amount,
                    changed_at=now,
                    changed_by=actor,
                    reason=reason,
                )
                _price_changed(history=[entry], skus={variant.pk: variant.sku})
                return price
        if price.amount == amount:
            return price
        old = price.amount
        price.amount = amount
        price.updated_at = now
        price.updated_by = actor
        price.save(update_fields=["amount", "updated_at", "updated_by"])
        entry = PriceHistory.objects.create(
            variant=variant,
            currency=currency,
            old_amount=old,
            new_amount=amount,
            changed_at=now,
            changed_by=actor,
            reason=reason,
        )
        _price_changed(history=[entry], skus={variant.pk: variant.sku})
    return price


def price_delete(*, variant: Variant, currency: str, actor=None, reason: str = "") -> bool:
    """Delete the price of ``variant`` in ``currency``: the variant is no longer sold in it.

    Locks the price row and writes a ``PriceHistory`` row (old → none) and a ``price.changed``
    outbox row (``new_amount`` null) in the same transaction. Returns False, writing nothing,
    when there was no such price.
    """
    with transaction.atomic():
        price = Price.objects.select_for_update().filter(variant=variant, currency=currency).first()
        if price is None:
            return False
        now = timezone.now()
        old = price.amount
        price.delete()
        entry = PriceHistory.objects.create(
            variant=variant,
            currency=currency,
            old_amount=old,
            new_amount=None,
            changed_at=now,
            changed_by=actor,
            reason=reason,
        )
        _price_changed(history=[entry], skus={variant.pk: variant.sku})
    return True


@dataclass(frozen=True)
class PriceRow:
    variant_id: int
    currency: str
    amount: Decimal


def prices_import(*, rows: Iterable[PriceRow], actor=None, reason: str = "") -> dict[str, int]:
    """Set many prices at once (ERP price feed, demo data) with one history row and one
    ``price.changed`` outbox row per change.

    Rows are locked in (variant id, currency) order so two feeds cannot deadlock.
    Returns counts: created, updated, unchanged.
    """
    wanted: dict[tuple[int, str], Decimal] = {}
    for row in rows:
        validate_currency(row.currency)
        wanted[(row.variant_id, row.currency)] = _clean_amount(row.amount)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    if not wanted:
        return counts
    now = timezone.now()
    variant_ids = sorted({k[0] for k in wanted})
    with transaction.atomic():
        existing = {
            (p.variant_id, p.currency): p
            for p in Price.objects.select_for_update()
            .filter(variant_id__in=variant_ids)
            .order_by("variant_id", "currency")
        }
        to_create, to_update, history = [], [], []
        for key in sorted(wanted):
            amount = wanted[key]
            price = existing.get(key)
            if price is None:
                to_create.append(
                    Price(variant_id=key[0], currency=key[1], amount=amount, updated_at=now, updated_by=actor)
                )
                history.append(
                    PriceHistory(
                        variant_id=key[0],
                        currency=key[1],
                        old_amount=None,
                        new_amount=amount,
                        changed_at=now,
                        changed_by=actor,
                        reason=reason,
                    )
                )
            elif price.amount != amount:
                history.append(
                    PriceHistory(
                        variant_id=key[0],
                        currency=key[1],
                        old_amount=price.amount,
                        new_amount=amount,
                        changed_at=now,
                        changed_by=actor,
                        reason=reason,
                    )
                )
                price.amount, price.updated_at, price.updated_by = amount, now, actor
                to_update.append(price)
            else:
                counts["unchanged"] += 1
        Price.objects.bulk_create(to_create, batch_size=1000)
        Price.objects.bulk_update(to_update, ["amount", "updated_at", "updated_by"], batch_size=1000)
        PriceHistory.objects.bulk_create(history, batch_size=1000)
        if history:
            changed = {h.variant_id for h in history}
            _price_changed(history=history, skus=dict(Variant.objects.filter(pk__in=changed).values_list("pk", "sku")))
    counts["created"], counts["updated"] = len(to_create), len(to_update)
    return counts


def channel_create(
    *, code: str, name: str, kind: str, currency: str = "PLN", api_key_required: bool = False
) -> Channel:
    channel = Channel(code=code, name=name, kind=kind, currency=currency, api_key_required=api_key_required)
    channel.full_clean()
    channel.save()
    return channel


# Fields of a channel that change what it may be told it can sell.
CHANNEL_OFFER_FIELDS = ("kind", "is_active", "stock_buffer")


def channel_update(*, channel: Channel, actor=None, **fields) -> Channel:
    """Change ``fields`` of ``channel``, validated (``ValidationError``, nothing written). A change of
    its kind, active flag or stock buffer is told to the listeners of ``catalog.offers`` in the
    same transaction (a marketplace's stock figures follow its buffer)."""
    changed = [name for name, value in fields.items() if getattr(channel, name) != value]
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.full_clean()
    with transaction.atomic():
        channel.save()
        if any(name in CHANNEL_OFFER_FIELDS for name in changed):
            channel_offer_changed(channel_id=channel.pk)
    return channel


def category_create(*, name: str, parent: Category | None = None, slug: str = "") -> Category:
    slug = slug or slugify(name)
    if parent is None:
        return Category.objects.add_root(create_kwargs={"name": name, "slug": slug})
    return Category.objects.add_child(parent, create_kwargs={"name": name, "slug": slug})


def brand_get_or_create(*, name: str) -> Brand:
    brand, _created = Brand.objects.get_or_create(name=name, defaults={"slug": slugify(name)})
    return brand


@dataclass(frozen=True)
class VariantSpec:
    sku: str
    price: Decimal | None = None
    ean: str | None = None
    size: str = ""
    colour: str = ""
    attributes: dict | None = None
    position: int | None = None  # None: its place in the list
    is_active: bool = True


def product_create(
    *,
    name: str,
    category: Category,
    variants: list[VariantSpec],
    brand: Brand | None = None,
    description: str = "",
    attributes: dict | None = None,
    slug: str = "",
    currency: str = "PLN",
    is_active: bool = True,
    actor=None,
) -> Product:
    """Create a product with its variants and their prices, validated, in one transaction.

    Raises ``ValidationError`` without a variant or for an invalid product or variant (its
    prices go through ``price_set``, so they have their history and outbox rows)."""
    if not variants:
        raise ValidationError({"variants": [_("A product needs at least one variant.")]})
    with transaction.atomic():
        product = Product(
            name=name,
            slug=slug or slugify(name),
            category=category,
            brand=brand,
            description=description,
            attributes=attributes or {},
            is_active=is_active,
        )
        product.full_clean()
        product.save()
        for position, spec in enumerate(variants):
            variant = Variant(
                product=product,
                sku=spec.sku,
                ean=spec.ean or None,
                size=spec.size,
                colour=spec.colour,
                attributes=spec.attributes or {},
                position=position if spec.position is None else spec.position,
                is_active=spec.is_active,
            )
            variant.full_clean()
            variant.save()
            if spec.price is not None:
                price_set(variant=variant, amount=spec.price, currency=currency, actor=actor, reason="product created")
    return product


def listing_publish(
    *, product: Product, channel: Channel, published_from=None, published_until=None, actor=None
) -> ChannelListing:
    """Offer ``product`` in ``channel`` (upsert on the (product, channel) key) and write a
    ``listing.published`` outbox row in the same transaction. The table's check refuses a
    ``published_until`` not after ``published_from`` (``IntegrityError``)."""
    published_from = published_from or timezone.now()
    with transaction.atomic():
        listing, _created = ChannelListing.objects.update_or_create(
            product=product,
            channel=channel,
            defaults={"published_from": published_from, "published_until": published_until},
        )
        outbox_emit_many(events=[listing_published_message(listing=listing)])
        channel_offer_changed(channel_id=channel.pk, product_ids=[product.pk])
    return listing


def listing_unpublish(*, product: Product, channel: Channel, actor=None) -> bool:
    """Stop offering ``product`` in ``channel``, with a ``listing.unpublished`` outbox row in the
    same transaction. Returns False, writing nothing, when it was not listed there."""
    with transaction.atomic():
        deleted, _by_model = ChannelListing.objects.filter(product=product, channel=channel).delete()
        if deleted:
            outbox_emit_many(events=[listing_unpublished_message(product_id=product.pk, channel_code=channel.code)])
            channel_offer_changed(channel_id=channel.pk, product_ids=[product.pk])
    return bool(deleted)
