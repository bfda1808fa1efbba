from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import CategoryFactory, ChannelFactory, ProductFactory, VariantFactory

FIRST_PARTY = [
    ("web", Channel.Kind.WEB),
    ("app", Channel.Kind.APP),
    ("store", Channel.Kind.STORE),
    ("call-centre", Channel.Kind.CALL_CENTRE),
]


@pytest.fixture
def channels(db):
    """The retailer's PLN channels, a EUR web shop and a marketplace that needs its API key."""
    result = {code: ChannelFactory(code=code, kind=kind) for code, kind in FIRST_PARTY}
    result["web-de"] = ChannelFactory(code="web-de", kind=Channel.Kind.WEB, currency="EUR")
    result["allegro"] = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    return result


def make_product(*, channels, prices=(Decimal("199.99"),), eur=None, **kwargs):
    """A product with one variant per price, listed in ``channels`` since yesterday."""
    product = ProductFactory(**kwargs)
    for amount in prices:
        variant = VariantFactory(product=product)
        price_set(variant=variant, amount=amount)
        if eur is not None:
            price_set(variant=variant, amount=eur, currency="EUR")
    for channel in channels:
        listing_publish(product=product, channel=channel, published_from=timezone.now() - timedelta(days=1))
    return product


@pytest.fixture
def product_maker():
    return make_product


@pytest.fixture
def category_tree(db):
    shoes = CategoryFactory(name="Obuwie", slug="obuwie")
    running = CategoryFactory(parent=shoes, name="Buty do biegania", slug="buty-do-biegania")
    trail = CategoryFactory(parent=running, name="Trail", slug="trail")
    clothes = CategoryFactory(name="Odzież", slug="odziez")
    return {"shoes": shoes, "running": running, "trail": trail, "clothes": clothes}
