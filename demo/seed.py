"""Seed the demo retailer (KROK) through the domain services.

Idempotent: every row is keyed by its natural key (channel code, location code, category slug,
brand name, product slug, SKU, customer and user e-mail) and only missing rows are created.
Deterministic: names come from seeded generators, and item ``i`` depends only on the items before
it, so ``--scale 2`` keeps the first 200 products and customers of ``--scale 1`` and adds more.

Demo only: every demo login shares the published password ``omnishop-demo``.
"""

import math
import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import Brand, Category, Channel, ChannelListing, Price, PriceHistory, Product, Variant
from catalog.services import PriceRow, brand_get_or_create, category_create, channel_create, prices_import
from catalog.validators import gtin_check_digit
from customers.models import Customer
from customers.services import CustomerRow, customers_bulk_create
from inventory.exceptions import InsufficientStock
from inventory.models import Location, StockLevel, StockMovement, StockSync
from inventory.services import StockChange, StockSyncRow, location_create, stock_changes_apply, stock_sync_apply
from loyalty.exceptions import NotSellable
from omnishop.accounts import roles
from omnishop.accounts.roles import ROLE_NAMES, role_permissions_sync
from omnishop.apikeys.models import ChannelAPIKey, Scope
from omnishop.apikeys.services import apikey_create, apikey_revoke
from omnishop.celery import beat_schedule_store
from omnishop.exceptions import DomainError
from orders import lifecycle
from orders.models import Fulfilment, Order, OrderEvent
from orders.services import (
    TillPayment,
    fulfilment_picking_start,
    fulfilment_transfer_ship,
    order_cancel,
    order_hand_over,
    order_payment_authorize,
    order_picking_start,
    order_place,
    order_ready_for_pickup,
    order_transition,
    order_try_on_visit,
)

from . import data
from .loyalty_seed import loyalty_totals, seed_loyalty

SEED = 2026
BASE_PRODUCTS = 200
BASE_CUSTOMERS = 300
BASE_ORDERS = 120
MAX_ORDERS = 1_200  # each goes through the checkout (a few dozen a second): larger scales stop here
# EANs are 590 (GS1 Poland) + 771 + 6 digits of (product number * 10 + variant position).
EAN_PREFIX = "590771"
MAX_SCALE = 10**6 // 10 // BASE_PRODUCTS
PRODUCT_BATCH = 250
CUSTOMER_BATCH = 500
DEMO_PASSWORD = "omnishop-demo"  # noqa: S105  (demo only, printed on purpose)
CUSTOMER_EMAIL_DOMAIN = "example.com"  # reserved (RFC 2606): demo e-mails never reach a real mailbox
API_KEY_NAME = "Demo"
# What the demo's marketplace key may do: read availability, place orders, sync stock (docs/api.md).
DEMO_API_KEY_SCOPES = [Scope.STOCK_READ, Scope.ORDERS_WRITE, Scope.STOCK_SYNC]
# Fixed steps reported to the progress bar besides one unit per product and per customer.
FIXED_STEPS = ("channels", "locations", "categories", "brands", "staff", "api_keys", "stock", "orders", "loyalty")


class Progress(Protocol):
    """The part of a tqdm bar the seeder uses."""

    def update(self, n: float | None = 1) -> bool | None: ...

    def set_description(self, desc: str | None = None, refresh: bool | None = True) -> None: ...


class NullProgress:
    def update(self, n: float | None = 1) -> None:
        return None

    def set_description(self, desc: str | None = None, refresh: bool | None = True) -> None:
        return None


@dataclass
class SeedReport:
    scale: int
    created: dict[str, int] = field(default_factory=dict)
    staff: list[tuple[str, str | None]] = field(default_factory=list)  # (e-mail, role group or None)
    api_keys: list[tuple[str, str]] = field(default_factory=list)  # (channel code, plain key), new keys only
    sample_customer_login: str | None = None
    loyalty_coupon: str | None = None  # the public coupon code the summary shows

    def add(self, key: str, n: int) -> None:
        self.created[key] = self.created.get(key, 0) + n


def work_total(scale: int) -> int:
    """Units of work for a progress bar: the fixed steps, then one per product and per customer."""
    return len(FIXED_STEPS) + (BASE_PRODUCTS + BASE_CUSTOMERS) * scale


# --- deterministic content ------------------------------------------------------------------

_PL = str.maketrans({"ł": "l", "Ł": "L"})


def pl_slugify(value: str) -> str:
    """slugify() that keeps Polish "ł" as "l" (NFKD alone drops it: "Łódź" would become "odz")."""
    return slugify(value.translate(_PL))


def ascii_pl(value: str) -> str:
    return unicodedata.normalize("NFKD", value.translate(_PL)).encode("ascii", "ignore").decode()


def ean13(number: int) -> str:
    body = f"{EAN_PREFIX}{number:06d}"
    return body + str(gtin_check_digit(body))


@dataclass(frozen=True)
class VariantPlan:
    sku: str
    ean: str
    size: str
    colour: str
    position: int


@dataclass(frozen=True)
class ProductPlan:
    code: str
    name: str
    slug: str
    description: str
    brand: str
    category_slug: str
    attributes: dict
    price: Decimal
    variants: tuple[VariantPlan, ...]
    channels: tuple[str, ...]
    published_days_ago: int


def _size_code(size: str) -> str:
    return "U" if size == "uniwersalny" else re.sub(r"[^0-9A-Za-z]", "", size).upper()


def _choose_variants(rng: random.Random, colours: list[str], sizes: list[str]) -> list[tuple[str, str]]:
    """2-6 (colour, size) pairs: one or two colours in a run of neighbouring sizes, or colours only."""
    wanted = rng.randint(2, 6)
    # One-size items vary by colour only.
    n_colours = min(wanted if len(sizes) == 1 else rng.choice((1, 1, 2)), len(colours))
    picked = rng.sample(colours, n_colours)
    run = min(len(sizes), math.ceil(wanted / n_colours))
    start = rng.randint(0, len(sizes) - run)
    window = sizes[start : start + run]
    pairs = [(colour, size) for colour in picked for size in window]
    return pairs[:wanted]


def product_plans(count: int) -> list[ProductPlan]:
    """The first ``count`` demo products; product ``i`` is the same whatever ``count`` is."""
    rng = random.Random(SEED)
    leaves = list(data.LEAF_WEIGHTS)
    weights = [data.LEAF_WEIGHTS[leaf] for leaf in leaves]
    plans = []
    for i in range(count):
        leaf = rng.choices(leaves, weights)[0]
        base, targets, colours, (low, high), materials, pitches = rng.choice(data.PRODUCT_TYPES[leaf])
        target, size_key = rng.choice(targets)
        brand = rng.choice(data.LEAF_BRANDS.get(leaf) or data.ROOT_BRANDS[data.ROOT_OF_LEAF[leaf]])
        model = rng.choice(data.MODELS) + rng.choice(("", "", "", " 2", " 3", " 4", " Pro", " Lite"))
        material = rng.choice(materials)
        selling_points = rng.sample(pitches, min(2, len(pitches)))
        price = Decimal(f"{rng.randrange(low, high + 1, 10)}.{rng.choice(('99', '99', '99', '00', '49'))}")
        pairs = _choose_variants(rng, colours, data.SIZES[size_key])
        channels = tuple(code for code, share in data.CHANNEL_SHARE.items() if rng.random() < share)
        published_days_ago = rng.randint(0, 120)

        code = f"KR{i + 1:06d}"
        name = " ".join(part for part in (base, target, brand, model) if part)
        variants = tuple(
            VariantPlan(
                sku=f"{code}-{data.COLOURS[colour]}-{_size_code(size)}",
                ean=ean13(i * 10 + position),
                size=size,
                colour=colour,
                position=position,
            )
            for position, (colour, size) in enumerate(pairs)
        )
        sizes = list(dict.fromkeys(size for _colour, size in pairs))
        colour_names = list(dict.fromkeys(colour for colour, _size in pairs))
        description = (
            f"{' '.join(selling_points)} Materiał: {material}. "
            f"{'Kolory' if len(colour_names) > 1 else 'Kolor'}: {', '.join(colour_names)}. "
            f"{'Rozmiary' if len(sizes) > 1 else 'Rozmiar'}: {', '.join(sizes)}. "
            f"Kupisz w sklepie internetowym, w aplikacji i w salonach {data.RETAILER} w całej Polsce."
        )
        attributes = {"material": material} | ({"target": target} if target else {})
        plans.append(
            ProductPlan(
                code=code,
                name=name,
                slug=f"{pl_slugify(name)}-{code.lower()}",
                description=description,
                brand=brand,
                category_slug=leaf,
                attributes=attributes,
                price=price,
                variants=variants,
                channels=channels,
                published_days_ago=published_days_ago,
            )
        )
    return plans


class _FallbackNames:
    """Polish names without Faker (a dev dependency): same interface, smaller pool."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def first_name_female(self) -> str:
        return self.rng.choice(data.FALLBACK_FIRST_NAMES_FEMALE)

    def first_name_male(self) -> str:
        return self.rng.choice(data.FALLBACK_FIRST_NAMES_MALE)

    def last_name_female(self) -> str:
        return self.rng.choice(data.FALLBACK_LAST_NAMES)[1]

    def last_name_male(self) -> str:
        return self.rng.choice(data.FALLBACK_LAST_NAMES)[0]

    def city(self) -> str:
        return self.rng.choice(data.FALLBACK_CITIES)

    def phone_number(self) -> str:
        digits = f"{self.rng.choice('5678')}{self.rng.randint(0, 10**8 - 1):08d}"
        return f"+48 {digits[:3]} {digits[3:6]} {digits[6:]}"


def _name_source(seed: int):
    try:
        from faker import Faker
    except ImportError:
        return _FallbackNames(seed)
    faker = Faker("pl_PL")
    faker.seed_instance(seed)
    return faker


def customer_rows(count: int) -> list[CustomerRow]:
    """The first ``count`` demo customers (Polish names); customer ``i`` is the same whatever ``count`` is.

    Every third customer has a login. E-mails are unique by their running number.
    """
    rng = random.Random(SEED + 1)
    names = _name_source(SEED)
    rows = []
    for i in range(count):
        female = rng.random() < 0.55
        first = names.first_name_female() if female else names.first_name_male()
        last = names.last_name_female() if female else names.last_name_male()
        city = rng.choice(data.STORE_CITIES) if rng.random() < 0.65 else names.city()
        phone = names.phone_number() if rng.random() < 0.9 else ""
        local = f"{ascii_pl(first)}.{ascii_pl(last)}".lower().replace(" ", "")
        rows.append(
            CustomerRow(
                email=f"{local}{i + 1}@{CUSTOMER_EMAIL_DOMAIN}",
                first_name=first,
                last_name=last,
                phone=phone,
                city=city,
                with_login=i % 3 == 0,
            )
        )
    return rows


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- writers ------------------------------------------------------------------------------


def seed_channels(report: SeedReport) -> dict[str, int]:
    existing = set(Channel.objects.filter(code__in=[c[0] for c in data.CHANNELS]).values_list("code", flat=True))
    for code, name, kind, api_key_required in data.CHANNELS:
        if code not in existing:
            channel_create(code=code, name=name, kind=kind, currency="PLN", api_key_required=api_key_required)
            report.add("channels", 1)
    return dict(Channel.objects.filter(code__in=[c[0] for c in data.CHANNELS]).values_list("code", "id"))


def seed_locations(report: SeedReport) -> None:
    codes = [loc["code"] for loc in data.STORES + data.WAREHOUSES]
    existing = set(Location.objects.filter(code__in=codes).values_list("code", flat=True))
    for store in data.STORES:
        if store["code"] not in existing:
            location_create(
                **store,
                kind=data.STORE_KIND,
                click_and_collect=True,
                # A store that ships parcels fulfils home-delivery orders too.
                ships_online=store["ship_from_store"],
            )
            report.add("stores", 1)
    for warehouse in data.WAREHOUSES:
        if warehouse["code"] not in existing:
            location_create(**warehouse, kind=data.WAREHOUSE_KIND, ships_online=True)
            report.add("warehouses", 1)


def seed_categories(report: SeedReport) -> dict[str, int]:
    slugs = [root[1] for root, _leaves in data.CATEGORY_TREE] + [
        leaf[1] for _root, leaves in data.CATEGORY_TREE for leaf in leaves
    ]
    existing = set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    for (root_name, root_slug), leaves in data.CATEGORY_TREE:
        if root_slug not in existing:
            category_create(name=root_name, slug=root_slug)
            report.add("categories", 1)
        for leaf_name, leaf_slug in leaves:
            if leaf_slug not in existing:
                # Fetched afresh: treebeard computes the child's path from the parent's current row.
                category_create(name=leaf_name, slug=leaf_slug, parent=Category.objects.get(slug=root_slug))
                report.add("categories", 1)
    return dict(Category.objects.filter(slug__in=slugs).values_list("slug", "id"))


def seed_brands(report: SeedReport) -> dict[str, int]:
    existing = set(Brand.objects.filter(name__in=data.BRANDS).values_list("name", flat=True))
    ids = {}
    for name in data.BRANDS:
        ids[name] = brand_get_or_create(name=name).id
        if name not in existing:
            report.add("brands", 1)
    return ids


def _email_addresses_verify(user_ids: Sequence[int]) -> int:
    """Mark the demo logins' e-mails verified for allauth (its login requires it), once."""
    User = get_user_model()
    users = User.objects.filter(id__in=user_ids, emailaddress__isnull=True).values_list("id", "email")
    rows = [EmailAddress(user_id=uid, email=email, verified=True, primary=True) for uid, email in users]
    EmailAddress.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def seed_staff(report: SeedReport, *, password_hash: str) -> None:
    """One login per staff role plus a superuser; an existing login keeps its password."""
    User = get_user_model()
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_NAMES)}
    if len(groups) < len(ROLE_NAMES):
        role_permissions_sync()
        groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_NAMES)}
    user_ids = []
    for email, first_name, last_name, role in data.STAFF:
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User(
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                    is_staff=True,
                    is_superuser=role is None,
                    password=password_hash,
                )
                user.full_clean()
                user.save()
                report.add("staff", 1)
            if role is not None:
                user.groups.add(groups[role])
        user_ids.append(user.id)
        report.staff.append((email, role))
        if role == roles.STORE_STAFF:
            # The demo seller works in the Warsaw stores: their pickup orders are theirs to handle.
            for store in Location.objects.filter(kind=Location.Kind.STORE, city="Warszawa"):
                store.staff.add(user)
    _email_addresses_verify(user_ids)


def seed_api_keys(report: SeedReport, *, new_keys: bool = False) -> None:
    """A demo API key for each channel that requires one, with the scopes the documented
    examples use (docs/api.md); the plain key is known only now. With ``new_keys`` the demo
    keys are replaced (the old ones revoked), so a key can be shown again."""
    for channel in Channel.objects.filter(code__in=[c[0] for c in data.CHANNELS], api_key_required=True):
        current = list(ChannelAPIKey.objects.filter(channel=channel, name=API_KEY_NAME, revoked=False))
        if current and not new_keys:
            continue
        for key in current:
            apikey_revoke(key=key)
        _key, plain = apikey_create(channel=channel, name=API_KEY_NAME, scopes=DEMO_API_KEY_SCOPES)
        report.api_keys.append((channel.code, plain))
        report.add("api_keys", 1)


def _seed_product_batch(
    plans: Sequence[ProductPlan],
    *,
    categories: dict[str, int],
    brands: dict[str, int],
    channels: dict[str, int],
    now: datetime,
    report: SeedReport,
) -> None:
    """Create the batch's missing products with variants, prices (with history) and listings: all or nothing."""
    with transaction.atomic():
        existing = set(Product.objects.filter(slug__in=[p.slug for p in plans]).values_list("slug", flat=True))
        todo = [p for p in plans if p.slug not in existing]
        if not todo:
            return
        skus = [v.sku for p in todo for v in p.variants]
        eans = [v.ean for p in todo for v in p.variants]
        taken = set(Variant.objects.filter(sku__in=skus).values_list("sku", flat=True))
        taken_eans = set(Variant.objects.filter(ean__in=eans).values_list("ean", flat=True))

        new: list[tuple[Product, ProductPlan, list[VariantPlan]]] = []
        for plan in todo:
            variants = [v for v in plan.variants if v.sku not in taken and v.ean not in taken_eans]
            if not variants:
                continue
            product = Product(
                name=plan.name,
                slug=plan.slug,
                description=plan.description,
                brand_id=brands[plan.brand],
                category_id=categories[plan.category_slug],
                attributes=plan.attributes,
            )
            product.clean_fields(exclude=["brand", "category"])
            new.append((product, plan, variants))
        Product.objects.bulk_create([product for product, _plan, _variants in new], batch_size=500)
        if any(product.pk is None for product, _plan, _variants in new):
            ids = dict(Product.objects.filter(slug__in=[p.slug for _x, p, _y in new]).values_list("slug", "id"))
            for product, plan, _variants in new:
                product.pk = ids[plan.slug]

        variants = []
        for product, _plan, variant_plans in new:
            for spec in variant_plans:
                variant = Variant(
                    product_id=product.pk,
                    sku=spec.sku,
                    ean=spec.ean,
                    size=spec.size,
                    colour=spec.colour,
                    position=spec.position,
                )
                variant.clean_fields(exclude=["product"])  # runs the GTIN check-digit validator
                variants.append(variant)
        Variant.objects.bulk_create(variants, batch_size=1000)
        if any(variant.pk is None for variant in variants):
            ids = dict(Variant.objects.filter(sku__in=[v.sku for v in variants]).values_list("sku", "id"))
            for variant in variants:
                variant.pk = ids[variant.sku]

        price_of = {product.pk: plan.price for product, plan, _variants in new}
        # Prices go through the catalog service so every one gets its history row.
        counts = prices_import(
            rows=[PriceRow(variant_id=v.pk, currency="PLN", amount=price_of[v.product_id]) for v in variants],
            reason="demo data",
        )
        listings = [
            ChannelListing(
                product_id=product.pk,
                channel_id=channels[code],
                published_from=now - timedelta(days=plan.published_days_ago),
            )
            for product, plan, _variants in new
            for code in plan.channels
        ]
        ChannelListing.objects.bulk_create(listings, batch_size=1000)
    report.add("products", len(new))
    report.add("variants", len(variants))
    report.add("prices", counts["created"])
    report.add("price_history", counts["created"] + counts["updated"])
    report.add("listings", len(listings))


def seed_products(report: SeedReport, *, count: int, progress: Progress, **lookups) -> None:
    now = timezone.now()
    for batch in _chunks(product_plans(count), PRODUCT_BATCH):
        _seed_product_batch(batch, now=now, report=report, **lookups)
        progress.update(len(batch))


def seed_customers(report: SeedReport, *, count: int, password_hash: str, progress: Progress) -> None:
    User = get_user_model()
    rows = customer_rows(count)
    report.sample_customer_login = next((row.email for row in rows if row.with_login), None)
    for batch in _chunks(rows, CUSTOMER_BATCH):
        with transaction.atomic():
            counts = customers_bulk_create(rows=batch, password_hash=password_hash)
            if counts["logins_created"] or counts["logins_linked"]:
                emails = [row.email for row in batch if row.with_login]
                _email_addresses_verify(list(User.objects.filter(email__in=emails).values_list("id", flat=True)))
        report.add("customers", counts["created"])
        report.add("customer_logins", counts["logins_created"])
        progress.update(len(batch))


def seed_stock(report: SeedReport, *, batch_size: int = 5000) -> None:
    """Goods in for every variant that has no stock yet: both warehouses hold most of the range,
    each store a seeded share of it, received through the ledger (one receipt per row)."""
    rng = random.Random(2027)
    warehouses = list(
        Location.objects.filter(kind=Location.Kind.WAREHOUSE).order_by("code").values_list("pk", flat=True)
    )
    stores = list(Location.objects.filter(kind=Location.Kind.STORE).order_by("code").values_list("pk", flat=True))
    stocked = set(StockLevel.objects.values_list("variant_id", flat=True).distinct())
    changes = []
    for variant_id in Variant.objects.order_by("pk").values_list("pk", flat=True):
        if variant_id in stocked:
            continue
        for location_id in warehouses:
            if rng.random() < 0.9:
                changes.append((variant_id, location_id, rng.randint(5, 60)))
        for location_id in stores:
            if rng.random() < 0.35:
                changes.append((variant_id, location_id, rng.randint(1, 6)))
    for batch in _chunks(changes, batch_size):
        stock_changes_apply(
            changes=[
                StockChange(
                    variant_id=v,
                    location_id=loc,
                    kind=StockMovement.Kind.RECEIPT,
                    quantity=q,
                    idempotency_key=f"demo-stock:{v}:{loc}",
                )
                for v, loc, q in batch
            ],
            reference="demo stock",
        )
    report.add("stock_levels", len(changes))
    seed_store_count()


def seed_store_count(rows: int = 24) -> None:
    """One evening count from a store's POS through the stock sync, as the API receives it: a
    few shelves recounted, one SKU the POS knows and the catalog does not (a failed row), so
    *Stock syncs* shows what a sync looks like. Sent once: a later seed leaves it be."""
    store = Location.objects.filter(kind=Location.Kind.STORE).order_by("code").first()
    if store is None:
        return
    sync_id = f"demo-pos-{store.code}-count"
    if StockSync.objects.filter(sync_id=sync_id).exists():
        return
    rng = random.Random(2028)
    levels = list(
        StockLevel.objects.filter(location=store, allocated=0)
        .order_by("variant_id")
        .values_list("variant__sku", "on_hand")[:rows]
    )
    counted = [StockSyncRow(store.code, sku, max(on_hand + rng.choice((-1, 0, 0, 1)), 0)) for sku, on_hand in levels]
    counted.append(StockSyncRow(store.code, "POS-ONLY-0001", 2))
    stock_sync_apply(
        sync_id=sync_id,
        mode="absolute",
        rows=counted,
        error_policy="reject_failed",
        note=_("Evening count from the store's POS"),
    )


def _demo_order_place(
    rng: random.Random,
    *,
    number: int,
    channels: dict,
    stores: list,
    locations: dict,
    customers: list,
    agent,
    sellable: list[int],
):
    """One order through the checkout service, as a shopper, the call centre or a store would
    place it: web and app deliveries and click & collect, call-centre deliveries placed by the
    agent, store reservations (ROPIS) paid in the store."""
    kind = rng.choices(["web", "app", "click_and_collect", "call_centre", "ropis"], weights=[40, 20, 20, 10, 10])[0]
    store = rng.choice(stores)
    location = locations[store["code"]]
    customer = rng.choice(customers)
    if kind == "ropis":
        # Try-on in the store: only what the store has.
        in_store = StockLevel.objects.filter(location=location, on_hand__gt=F("allocated"))
        at_store = list(in_store.order_by("variant_id").values_list("variant_id", flat=True)[:50])
        if not at_store:
            return None
        variant_ids = rng.sample(at_store, min(len(at_store), rng.randint(1, 2)))
    else:
        variant_ids = rng.sample(sellable, rng.randint(1, 4))
    lines = {v: rng.choice((1, 1, 1, 2)) for v in variant_ids}
    common = {
        "lines": lines,
        "customer": customer,
        "idempotency_key": f"demo-order:{number}",
        "fingerprint": f"demo-order:{number}",
    }
    if kind in ("web", "app", "call_centre"):
        home = rng.choice(stores)  # a delivery point in one of the stores' cities
        address = {
            "street": f"ul. {rng.choice(data.STREET_NAMES)} {rng.randint(1, 120)}",
            "postal_code": home["postal_code"],
            "city": home["city"],
            "latitude": float(home["latitude"]) + rng.uniform(-0.03, 0.03),
            "longitude": float(home["longitude"]) + rng.uniform(-0.03, 0.03),
        }
        return order_place(
            channel=channels["call_centre" if kind == "call_centre" else kind],
            fulfilment_type="delivery",
            shipping_address=address,
            actor=agent if kind == "call_centre" else None,
            **common,
        )
    return order_place(
        channel=channels["store" if kind == "ropis" else "web"],
        fulfilment_type=kind,
        pickup_location=location,
        payment_method="pay_in_store" if kind == "ropis" else "card",
        **common,
    )


def seed_orders(report: SeedReport, *, count: int) -> None:
    """Orders from every channel through the checkout service, then moved along their lifecycle
    as staff would: most paid and confirmed, some picked and shipped, some delivered, a few
    cancelled; click & collect orders whose store lacked an item wait for their transfer."""
    if Order.objects.filter(idempotency_key__startswith="demo-order:").exists():
        return
    rng = random.Random(2028)
    channels = {c.code: c for c in Channel.objects.filter(code__in=["web", "app", "store", "call_centre"])}
    customers = list(Customer.objects.exclude(email="").order_by("pk")[:200])
    locations = Location.objects.in_bulk([store["code"] for store in data.STORES], field_name="code")
    agent = get_user_model().objects.filter(email="agent@omnishop.demo").first()
    warehouse_staff = get_user_model().objects.filter(email="warehouse@omnishop.demo").first()
    superuser = get_user_model().objects.filter(email="admin@omnishop.demo").first()
    if len(channels) < 4 or not customers:
        return
    online = ChannelListing.objects.filter(channel=channels["web"]).values_list("product_id", flat=True)
    sellable = list(
        StockLevel.objects.filter(location__kind=Location.Kind.WAREHOUSE, on_hand__gte=10, variant__product__in=online)
        .order_by("variant_id")
        .values_list("variant_id", flat=True)
        .distinct()[:400]
    )
    placed = []
    for number in range(count):
        try:
            order = _demo_order_place(
                rng,
                number=number,
                channels=channels,
                stores=data.STORES,
                locations=locations,
                customers=customers,
                agent=agent,
                sellable=sellable,
            )
        except (InsufficientStock, NotSellable, DjangoValidationError):
            continue  # the demo shop ran out of that item: a shopper would pick another one
        if order is not None:
            placed.append(order)
    for order in placed:
        order = order_payment_authorize(order_id=order.pk)  # what the worker does after checkout
        roll = rng.random()
        try:
            if roll < 0.08:
                order_cancel(order=order, role=lifecycle.CUSTOMER, note=_("Changed my mind."))
            elif order.fulfilment_type == "delivery" and order.status == Order.Status.CONFIRMED and roll < 0.7:
                for to in (Order.Status.PROCESSING, Order.Status.SHIPPED):
                    order = order_transition(order=order, to=to, role=lifecycle.WAREHOUSE, actor=warehouse_staff)
                if roll < 0.45:
                    order_transition(order=order, to=Order.Status.COMPLETED, role=lifecycle.AGENT, actor=agent)
            elif order.fulfilment_type != "delivery" and order.status == Order.Status.CONFIRMED and roll < 0.75:
                seller = order.pickup_location.staff.first() or superuser
                order = order_picking_start(order=order, actor=seller)
                order = order_ready_for_pickup(order=order, actor=seller)
                if roll < 0.4:
                    till = TillPayment(method="card", receipt_number=f"DEMO/{order.pk}")
                    hand_over = order_try_on_visit if order.fulfilment_type == "ropis" else order_hand_over
                    hand_over(order=order, code=order.pickup_code, till=till, actor=seller)
        except DomainError:
            continue
    _history_spread(placed, rng=rng, now=timezone.now())
    report.add("orders", len(placed))


HISTORY_DAYS = 180  # closed demo orders reach back this far, so date filters and KPIs have a history
OPEN_STATUSES = {"placed", "confirmed", "processing", "awaiting_transfer", "ready_for_pickup"}


def _history_spread(orders, *, rng: random.Random, now) -> None:
    """Demo data: orders placed over the past months instead of in the same minute. A closed order
    (completed, shipped, cancelled) moves back 2 to HISTORY_DAYS days, one still open only hours,
    so nothing waits in a store for months; its timeline, parcels and dates move with it."""
    statuses = dict(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("pk", "status"))
    for order in orders:
        if statuses.get(order.pk) in OPEN_STATUSES:
            delta = timedelta(minutes=rng.randint(30, 36 * 60))
        else:
            delta = timedelta(days=rng.uniform(2, HISTORY_DAYS))
        shifted = {"created_at": F("created_at") - delta}
        Order.objects.filter(pk=order.pk).update(
            **shifted,
            pickup_expires_at=F("pickup_expires_at") - delta,
            pickup_remind_at=F("pickup_remind_at") - delta,
        )
        OrderEvent.objects.filter(order=order).update(**shifted)
        Fulfilment.objects.filter(order=order, shipped_at__isnull=False).update(shipped_at=F("shipped_at") - delta)


# The demo store login's store (store@omnishop.demo works at both Warsaw stores): a busy morning.
DEMO_STORE = "waw-arkadia"
# (state, how many, minutes ago each was placed): the queue the demo seller finds.
STORE_QUEUE_PLAN = [
    ("pick", [25, 48, 95]),
    ("picking", [70]),
    ("pick_ropis", [35, 130]),
    ("ship_pick", [180, 400]),
    ("waiting", [26 * 60, 30 * 60]),
    ("arriving", [44 * 60, 50 * 60]),
    ("ready", [20 * 60, 26 * 60, 3 * 24 * 60]),
    ("ready_overdue", [8 * 24 * 60]),
    ("ready_soon", [6 * 24 * 60 + 12 * 60]),
    ("ship", [22 * 60, 27 * 60]),
]


def seed_store_queue(report: SeedReport) -> None:
    """The demo store login's queue in every state at the Arkadia store, placed through the
    checkout and moved on through the store's own steps: click & collect and reserve & try
    orders to pick (one being picked), parcels to pick and to ship from the store, orders
    waiting for their transfer and transfers on their way, orders ready for pickup (one past its
    pickup-by date, one due today). Placement times are spread over the last days (demo data)."""
    if Order.objects.filter(idempotency_key__startswith="demo-store:").exists():
        return
    User = get_user_model()
    store = Location.objects.filter(code=DEMO_STORE).first()
    seller = User.objects.filter(email="store@omnishop.demo").first()
    warehouse_staff = User.objects.filter(email="warehouse@omnishop.demo").first()
    channels = {c.code: c for c in Channel.objects.filter(code__in=["web", "store"])}
    customers = list(Customer.objects.exclude(email="").exclude(last_name="").order_by("-pk")[:40])
    if store is None or seller is None or len(channels) < 2 or not customers:
        return
    online = ChannelListing.objects.filter(channel=channels["web"]).values_list("product_id", flat=True)
    spare = F("on_hand") - F("allocated") - F("safety_stock") - store.ring_fence
    in_store = list(
        StockLevel.objects.filter(location=store, variant__product__in=online)
        .annotate(spare=spare)
        .filter(spare__gte=3)
        .order_by("variant_id")
        .values_list("variant_id", flat=True)[:60]
    )
    stocked_here = StockLevel.objects.filter(location=store, on_hand__gt=0).values("variant_id")
    elsewhere = list(
        StockLevel.objects.filter(location__kind=Location.Kind.WAREHOUSE, on_hand__gte=10, variant__product__in=online)
        .exclude(variant_id__in=stocked_here)
        .order_by("variant_id")
        .values_list("variant_id", flat=True)
        .distinct()[:60]
    )
    if not in_store or not elsewhere:
        return
    rng = random.Random(2029)
    now = timezone.now()
    placed = 0
    for state, minutes_ago in STORE_QUEUE_PLAN:
        for minutes in minutes_ago:
            placed += 1
            try:
                order = _store_queue_order(
                    rng, state, number=placed, store=store, channels=channels, customer=rng.choice(customers),
                    variants=elsewhere if state in ("waiting", "arriving") else in_store,
                    seller=seller, warehouse_staff=warehouse_staff,
                )  # fmt: skip
            except (InsufficientStock, NotSellable, DomainError, DjangoValidationError):
                continue
            _backdate(order, minutes=minutes, now=now, state=state)
    report.add("orders", placed)


def _store_queue_order(rng, state, *, number, store, channels, customer, variants, seller, warehouse_staff):
    lines = dict.fromkeys(rng.sample(variants, min(len(variants), rng.choice((1, 1, 2)))), 1)
    common = {
        "lines": lines,
        "customer": customer,
        "idempotency_key": f"demo-store:{number}",
        "fingerprint": f"demo-store:{number}",
    }
    if state in ("ship_pick", "ship"):
        # A home delivery a few streets from the store: routing picks the store (it has it all, and is nearest).
        order = order_place(
            channel=channels["web"],
            fulfilment_type="delivery",
            shipping_address={
                "street": f"ul. {rng.choice(data.STREET_NAMES)} {rng.randint(1, 120)}",
                "postal_code": store.postal_code,
                "city": store.city,
                "latitude": float(store.latitude) + rng.uniform(-0.01, 0.01),
                "longitude": float(store.longitude) + rng.uniform(-0.01, 0.01),
            },
            **common,
        )
    else:
        ropis = state == "pick_ropis"
        order = order_place(
            channel=channels["store" if ropis else "web"],
            fulfilment_type="ropis" if ropis else "click_and_collect",
            pickup_location=store,
            payment_method="pay_in_store" if ropis else "card",
            **common,
        )
    order = order_payment_authorize(order_id=order.pk)  # what the worker does after checkout
    if state == "arriving":
        for fulfilment in order.fulfilments.exclude(transfer=None):
            fulfilment_transfer_ship(fulfilment=fulfilment, actor=warehouse_staff)
    elif state == "ship":
        parcel = order.fulfilments.filter(location=store).first()
        if parcel is not None:
            fulfilment_picking_start(fulfilment=parcel, actor=seller)
    elif state == "picking" or state.startswith("ready"):
        order = order_picking_start(order=order, actor=seller)
        if state.startswith("ready"):
            order = order_ready_for_pickup(order=order, actor=seller)
    return order


def _backdate(order, *, minutes: int, now, state: str) -> None:
    """Demo data: the order (and its timeline, in step) placed ``minutes`` ago; a ready order's
    pickup-by date moved with it (past for the overdue one, later today for the one due soon)."""
    delta = timedelta(minutes=minutes)
    later = delta * 2 / 3  # the store's steps came a while after the placement
    Order.objects.filter(pk=order.pk).update(created_at=now - delta)
    OrderEvent.objects.filter(order=order).update(created_at=F("created_at") - later)
    OrderEvent.objects.filter(order=order, type="placed").update(created_at=now - delta)
    if state == "ready_overdue":
        Order.objects.filter(pk=order.pk).update(pickup_expires_at=now - timedelta(hours=5))
    elif state == "ready_soon":
        Order.objects.filter(pk=order.pk).update(pickup_expires_at=now + timedelta(hours=6))
    elif state == "ready":
        Order.objects.filter(pk=order.pk).update(pickup_expires_at=F("pickup_expires_at") - later)


def seed_demo(*, scale: int = 1, progress: Progress | None = None, new_api_keys: bool = False) -> SeedReport:
    """Create whatever of the demo data set is missing; return what was created.

    ``scale`` multiplies products (200 x scale) and customers (300 x scale); ``new_api_keys``
    replaces the demo API keys (see ``seed_api_keys``). Each step and each
    batch commits on its own, so an interrupted run is completed by running it again.
    """
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {MAX_SCALE}")
    progress = progress or NullProgress()
    report = SeedReport(scale=scale)
    # One hash for every demo login: hashing per user (PBKDF2) would take minutes at scale.
    password_hash = make_password(DEMO_PASSWORD)

    progress.set_description(_("Channels"))
    channels = seed_channels(report)
    progress.update(1)
    progress.set_description(_("Locations"))
    seed_locations(report)
    progress.update(1)
    progress.set_description(_("Categories"))
    categories = seed_categories(report)
    progress.update(1)
    brands = seed_brands(report)
    progress.update(1)
    progress.set_description(_("Staff"))
    seed_staff(report, password_hash=password_hash)
    progress.update(1)
    seed_api_keys(report, new_keys=new_api_keys)
    beat_schedule_store()  # the periodic jobs, in admin before beat first runs
    progress.update(1)
    progress.set_description(_("Products"))
    seed_products(
        report,
        count=BASE_PRODUCTS * scale,
        progress=progress,
        categories=categories,
        brands=brands,
        channels=channels,
    )
    progress.set_description(_("Customers"))
    seed_customers(report, count=BASE_CUSTOMERS * scale, password_hash=password_hash, progress=progress)
    progress.set_description(_("Stock"))
    seed_stock(report)
    progress.update(1)
    progress.set_description(_("Orders"))
    seed_orders(report, count=min(BASE_ORDERS * scale, MAX_ORDERS))
    seed_store_queue(report)
    progress.update(1)
    progress.set_description(_("Loyalty"))
    seed_loyalty(report)  # after the orders: it books their points (see demo.loyalty_seed)
    progress.update(1)
    return report


def demo_totals() -> dict[str, int]:
    """How many rows of each kind the database holds now (demo or not)."""
    User = get_user_model()
    return {
        "channels": Channel.objects.count(),
        "stores": Location.objects.filter(kind=Location.Kind.STORE).count(),
        "warehouses": Location.objects.filter(kind=Location.Kind.WAREHOUSE).count(),
        "categories": Category.objects.count(),
        "brands": Brand.objects.count(),
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "prices": Price.objects.count(),
        "price_history": PriceHistory.objects.count(),
        "listings": ChannelListing.objects.count(),
        "stock_levels": StockLevel.objects.count(),
        "customers": Customer.objects.count(),
        "customer_logins": Customer.objects.filter(user__isnull=False).count(),
        "staff": User.objects.filter(is_staff=True).count(),
        "api_keys": ChannelAPIKey.objects.filter(revoked=False).count(),
        "orders": Order.objects.count(),
    } | loyalty_totals()
