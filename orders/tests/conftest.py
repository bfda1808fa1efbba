from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from inventory.services import stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from orders.services import Contact

# A guest's contact, for orders placed without a customer or a company.
GUEST = Contact(email="gosc@example.pl", name="Gość")
# A home delivery address (no coordinates: routing ranks locations by code, not distance).
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}


@pytest.fixture
def shop(db):
    """Channels, a warehouse, three stores (Warszawa, Łódź, Kraków), sellable variants."""
    web = ChannelFactory(code="web", kind=Channel.Kind.WEB)
    app = ChannelFactory(code="app", kind=Channel.Kind.APP)
    pos = ChannelFactory(code="store", kind=Channel.Kind.STORE)
    call = ChannelFactory(code="call-centre", kind=Channel.Kind.CALL_CENTRE)
    b2b = ChannelFactory(code="b2b", kind=Channel.Kind.B2B)
    warehouse = WarehouseFactory(code="wh-strykow", latitude=Decimal("51.900000"), longitude=Decimal("19.600000"))
    waw = LocationFactory(code="waw", city="Warszawa", latitude=Decimal("52.229676"), longitude=Decimal("21.012229"))
    lodz = LocationFactory(code="lodz", city="Łódź", latitude=Decimal("51.759445"), longitude=Decimal("19.457216"))
    krk = LocationFactory(
        code="krk", city="Kraków", latitude=Decimal("50.061947"), longitude=Decimal("19.936856"), ship_from_store=True
    )
    variants = []
    for i in range(3):
        product = ProductFactory(name=f"Buty {i}")
        variant = VariantFactory(product=product)
        price_set(variant=variant, amount=Decimal("100.00") + i)
        for channel in (web, app, pos, call, b2b):
            listing_publish(product=product, channel=channel, published_from=timezone.now() - timedelta(days=1))
        variants.append(variant)
    return {
        "web": web,
        "app": app,
        "pos": pos,
        "call": call,
        "b2b": b2b,
        "warehouse": warehouse,
        "waw": waw,
        "lodz": lodz,
        "krk": krk,
        "variants": variants,
    }


def stock(variant, location, quantity):
    stock_receive(variant=variant, location=location, quantity=quantity)


@pytest.fixture
def provider(settings):
    """The payment provider of ``test_services_payment`` (approves, refunds), reset."""
    from orders.tests.test_services_payment import RecordingProvider

    settings.OMNISHOP_PAYMENT_PROVIDER = "orders.tests.test_services_payment.RecordingProvider"
    RecordingProvider.approve, RecordingProvider.refunds_fail, RecordingProvider.while_asked = True, 0, None
    RecordingProvider.calls, RecordingProvider.refunds = [], []
    return RecordingProvider


def marketplace_key(shop, *, units: int = 2) -> str:
    """An "allegro" marketplace channel selling the first variant (``units`` in the warehouse) and
    an API key of it with the orders:write scope."""
    from catalog.services import listing_publish
    from catalog.tests.factories import ChannelFactory
    from omnishop.apikeys.services import apikey_create

    allegro = ChannelFactory(code="allegro", kind="marketplace", api_key_required=True)
    listing_publish(product=shop["variants"][0].product, channel=allegro)
    stock(shop["variants"][0], shop["warehouse"], units)
    _row, key = apikey_create(channel=allegro, name="Allegro", scopes=["orders:write"])
    return key
