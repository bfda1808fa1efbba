"""Shared by the fuzzing and hostile-input tests: a small shop, the four identities a client can
call with, the operations of the served schema, and the row counts of the domain tables."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import yaml
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Channel
from catalog.services import listing_publish, price_set
from catalog.tests.factories import ChannelFactory, ProductFactory, VariantFactory
from customers.services import customer_for_user_ensure
from inventory.services import stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.accounts.roles import STORE_STAFF
from omnishop.accounts.tests.factories import UserFactory
from omnishop.apikeys.models import Scope
from omnishop.apikeys.services import apikey_create
from orders.services import Contact, order_place

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
WRITE_METHODS = ("post", "put", "patch", "delete")
IDENTITIES = ("anonymous", "customer", "staff", "channel_key")
ERROR_KEYS = {"type", "title", "detail", "errors"}
# Whose rows a request could write: every domain app and the cross-cutting stores.
DOMAIN_APPS = ("catalog", "inventory", "customers", "loyalty", "orders", "returns", "outbox", "apikeys", "accounts")
ADDRESS = {"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"}

_SCHEMA: dict | None = None


def served_schema() -> dict:
    """The OpenAPI document /api/schema/ serves (generated once per process)."""
    global _SCHEMA
    if _SCHEMA is None:
        out = StringIO()
        call_command("spectacular", stdout=out)
        _SCHEMA = yaml.safe_load(out.getvalue())
    return _SCHEMA


def operations(schema: dict, methods=HTTP_METHODS):
    for path, item in schema["paths"].items():
        for method in methods:
            if method in item:
                yield path, method, item[method]


def fuzz_shop() -> dict:
    """A web channel with one listed, priced product in stock at a warehouse and a store, a
    customer with an order, a store employee and a channel API key with every scope."""
    web = ChannelFactory(code="web", kind=Channel.Kind.WEB)
    product = ProductFactory(slug="buty")
    variant = VariantFactory(product=product, sku="BUTY-42")
    price_set(variant=variant, amount=Decimal("100.00"))
    listing_publish(product=product, channel=web, published_from=timezone.now() - timedelta(days=1))
    warehouse = WarehouseFactory(code="wh-fuzz")
    store = LocationFactory(code="store-fuzz")
    stock_receive(variant=variant, location=warehouse, quantity=50)
    stock_receive(variant=variant, location=store, quantity=50)
    customer_user = UserFactory(email="klient@example.pl")
    customer = customer_for_user_ensure(user=customer_user)
    order = order_place(
        channel=web,
        lines={variant.pk: 1},
        fulfilment_type="delivery",
        customer=customer,
        contact=Contact(email="klient@example.pl"),
        shipping_address=ADDRESS,
    )
    staff = UserFactory(email="sprzedawca@example.pl", is_staff=True)
    staff.groups.add(Group.objects.get(name=STORE_STAFF))
    store.staff.add(staff)
    customer_for_user_ensure(user=staff)  # a signed-in user's profile exists before any request
    _row, key = apikey_create(channel=web, name="Fuzzing", scopes=list(Scope.values))
    return {
        "channel": web,
        "product": product,
        "variant": variant,
        "warehouse": warehouse,
        "store": store,
        "order": order,
        "users": {"customer": customer_user, "staff": staff},
        "key": key,
    }


def identity_headers(client, shop: dict, identity: str) -> dict:
    """Logs ``client`` in for a user identity; returns the headers to send for it."""
    client.logout()
    if identity in shop["users"]:
        client.force_login(shop["users"][identity])
    if identity == "channel_key":
        return {"Authorization": f"Api-Key {shop['key']}"}
    return {}


def domain_row_counts() -> dict[str, int]:
    counts = {}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model._base_manager.count()
    return counts
