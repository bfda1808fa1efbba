"""Admin edits of catalog master data go through the services, so they leave their traces."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.urls import reverse

from catalog import admin as catalog_admin
from catalog import services
from catalog.models import ChannelListing, Price, PriceHistory, Product, Variant
from catalog.services import listing_publish, price_set
from catalog.tests.factories import CategoryFactory, ChannelFactory, ProductFactory, VariantFactory
from omnishop.outbox.models import OutboxEvent
from omnishop.tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    """Records each call of a catalog service made by the admin (the service still runs)."""
    seen: list[str] = []

    for name in ("price_delete", "product_create", "listing_publish", "listing_unpublish"):
        original = getattr(services, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            seen.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(catalog_admin, name, spy)
    return seen


def prefix_of(response, model) -> str:
    return next(i.formset.prefix for i in response.context["inline_admin_formsets"] if i.formset.model is model)


def test_deleting_a_price_in_admin_keeps_its_history(admin_client, admin_user, calls):
    variant = VariantFactory(sku="DEL-1")
    price = price_set(variant=variant, amount=Decimal("100.00"))
    response = admin_client.post(reverse("admin:catalog_price_delete", args=[price.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert calls == ["price_delete"]
    assert not Price.objects.filter(pk=price.pk).exists()
    entry = PriceHistory.objects.filter(variant=variant).first()
    assert (entry.old_amount, entry.new_amount, entry.changed_by, entry.reason) == (
        Decimal("100.00"),
        None,
        admin_user,
        "deleted in admin",
    )
    event = OutboxEvent.objects.filter(type="price.changed").order_by("created_at", "id").last()
    assert (event.aggregate_id, event.payload["new_amount"]) == ("DEL-1:PLN", None)


def test_deleting_selected_prices_in_admin_keeps_each_history(admin_client, calls):
    variants = [VariantFactory() for _ in range(3)]
    prices = [price_set(variant=v, amount=Decimal("10.00")) for v in variants]
    response = admin_client.post(
        reverse("admin:catalog_price_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in prices], "post": "yes"},
    )
    assert response.status_code == 302
    assert calls == ["price_delete"] * 3
    assert not Price.objects.exists()
    assert PriceHistory.objects.filter(new_amount=None).count() == 3


def test_deleting_a_price_in_the_variant_inline_keeps_its_history(admin_client, admin_user, calls):
    variant = VariantFactory()
    price_set(variant=variant, amount=Decimal("45.00"))
    price_set(variant=variant, amount=Decimal("11.00"), currency="EUR")
    url = reverse("admin:catalog_variant_change", args=[variant.pk])
    response = admin_client.get(url)
    data = admin_form_data(response)
    prefix = prefix_of(response, Price)
    eur = next(i for i in range(2) if data[f"{prefix}-{i}-currency"] == "EUR")
    data[f"{prefix}-{eur}-DELETE"] = "on"
    saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.context and [saved.context["errors"]]
    assert calls == ["price_delete"]
    assert dict(Price.objects.filter(variant=variant).values_list("currency", "amount")) == {"PLN": Decimal("45.00")}
    entry = PriceHistory.objects.filter(variant=variant, currency="EUR").first()
    assert (entry.old_amount, entry.new_amount, entry.changed_by) == (Decimal("11.00"), None, admin_user)


def test_a_product_added_in_admin_is_created_by_product_create(admin_client, calls):
    category = CategoryFactory()
    response = admin_client.get(reverse("admin:catalog_product_add"))
    data = admin_form_data(response)
    variants = prefix_of(response, Variant)
    listings = prefix_of(response, ChannelListing)
    channel = ChannelFactory(code="web")
    data.update(
        {
            "name": "Trzewik Tatry",
            "slug": "trzewik-tatry",
            "category": category.pk,
            "attributes": "{}",
            "is_active": "on",
            f"{variants}-TOTAL_FORMS": 2,
            f"{variants}-0-sku": "TAT-41",
            f"{variants}-0-size": "41",
            f"{variants}-0-position": 0,
            f"{variants}-0-is_active": "on",
            f"{variants}-1-sku": "TAT-42",
            f"{variants}-1-size": "42",
            f"{variants}-1-position": 1,
            f"{listings}-TOTAL_FORMS": 1,
            f"{listings}-0-channel": channel.pk,
            f"{listings}-0-published_from_0": "2025-01-01",
            f"{listings}-0-published_from_1": "10:00:00",
        }
    )
    response = admin_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302, response.context and [response.context["errors"]]
    assert calls == ["product_create", "listing_publish"]
    product = Product.objects.get(slug="trzewik-tatry")
    # The admin's log names the created product.
    assert LogEntry.objects.get(action_flag=ADDITION, content_type__model="product").object_id == str(product.pk)
    assert list(product.variants.values_list("sku", "size", "position", "is_active")) == [
        ("TAT-41", "41", 0, True),
        ("TAT-42", "42", 1, False),
    ]
    assert list(product.listings.values_list("channel__code", flat=True)) == ["web"]
    assert OutboxEvent.objects.filter(type="listing.published", aggregate_id=str(product.pk)).exists()


def test_a_product_cannot_be_added_in_admin_without_a_variant(admin_client, calls):
    response = admin_client.get(reverse("admin:catalog_product_add"))
    data = admin_form_data(response)
    data.update({"name": "Bez wariantu", "slug": "bez-wariantu", "category": CategoryFactory().pk, "attributes": "{}"})
    refused = admin_client.post(reverse("admin:catalog_product_add"), data)
    assert refused.status_code == 200
    assert calls == [] and not Product.objects.filter(slug="bez-wariantu").exists()


def test_the_listing_inline_publishes_moves_and_unpublishes_through_the_services(admin_client, calls):
    product = ProductFactory()
    VariantFactory(product=product)
    web, app, allegro = ChannelFactory(code="web"), ChannelFactory(code="app"), ChannelFactory(code="allegro")
    listing_publish(product=product, channel=web)
    listing_publish(product=product, channel=app)
    OutboxEvent.objects.all().delete()
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = admin_client.get(url)
    data = admin_form_data(response)
    prefix = prefix_of(response, ChannelListing)
    rows = {int(data[f"{prefix}-{i}-channel"]): i for i in range(2)}
    data[f"{prefix}-{rows[web.pk]}-DELETE"] = "on"  # no longer on the web shop
    data[f"{prefix}-{rows[app.pk]}-channel"] = allegro.pk  # the app's listing moves to the marketplace
    saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.context and [saved.context["errors"]]
    assert sorted(calls) == ["listing_publish", "listing_unpublish", "listing_unpublish"]
    assert list(product.listings.values_list("channel__code", flat=True)) == ["allegro"]
    events = sorted(OutboxEvent.objects.values_list("type", "payload__channel"))
    assert events == [
        ("listing.published", "allegro"),
        ("listing.unpublished", "app"),
        ("listing.unpublished", "web"),
    ]
