"""Product list API under load: GET /api/v1/products/ browsing, search, price and category filters.

Data (idempotent, reused by later runs): the "web" channel (PLN), a small category tree, a few
brands and N products (quick 2,000, full 20,000) with 3-5 variants each, EAN-13s and PLN prices,
all listed in the web channel. Products, variants and listings are bulk-created for speed;
prices go through ``catalog.services.prices_import`` so they carry their history like real ones.

Figures: throughput and latency of 8 keep-alive clients against gunicorn, errors (non-200),
per-kind latencies, and the queries one page costs (in-process, page_size 24 and 100: a
constant count is the point, so both are reported and must be equal).
"""

from __future__ import annotations

import json
import os
import random
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from bench import common

QUICK_PRODUCTS = 2_000
FULL_PRODUCTS = 20_000
CHUNK = 1_000
SLUG_PREFIX = "bench-"
SKU_PREFIX = "BENCH-"
EAN_PREFIX = "299"  # GS1 "restricted circulation" range: cannot clash with real EANs
CHANNEL_CODE = "web"
CURRENCY = "PLN"
PAGE_SIZE = 24
LIST_PATH = "/api/v1/products/"

CATEGORY_TREE: dict[str, dict[str, list[str]]] = {
    "Shoes": {
        "Running": ["Trail Runner", "Road Runner", "Racer"],
        "Boots": ["Hiking Boot", "Chelsea Boot", "Winter Boot"],
        "Sneakers": ["Court Sneaker", "Canvas Sneaker", "Retro Sneaker"],
        "Sandals": ["Strap Sandal", "Slide", "Trek Sandal"],
    },
    "Clothing": {
        "Jackets": ["Rain Jacket", "Down Jacket", "Softshell"],
        "Sweaters": ["Wool Sweater", "Cardigan", "Hoodie"],
        "Trousers": ["Chino", "Cargo Trousers", "Jeans"],
    },
    "Accessories": {
        "Bags": ["Backpack", "Tote Bag", "Messenger Bag"],
        "Hats": ["Beanie", "Cap", "Bucket Hat"],
        "Belts": ["Leather Belt", "Canvas Belt", "Webbing Belt"],
    },
}
SIZES = {
    "Shoes": ["38", "39", "40", "41", "42", "43", "44", "45"],
    "Clothing": ["XS", "S", "M", "L", "XL", "XXL"],
    "Accessories": ["One size", "S/M", "L/XL"],
}
BRANDS = ["Nordpeak", "Vistula", "Tatra Gear", "Baltic Line", "Mazury Works", "Krakus"]
ADJECTIVES = ["Classic", "Urban", "Alpine", "Light", "Everyday", "Pro", "Coastal", "Heritage"]
COLOURS = ["black", "white", "navy", "olive", "sand", "red", "grey", "brown"]
MATERIALS = ["leather", "suede", "canvas", "merino wool", "recycled polyester", "cotton"]
SEASONS = ["all-season", "summer", "winter"]
SEARCH_TERMS = ["runner", "boot", "wool", "Nordpeak", "tatra", "jacket", "leather", "backpack", "zzz-nothing"]


def _slug(index: int) -> str:
    return f"{SLUG_PREFIX}{index:06d}"


def _sku(index: int, k: int) -> str:
    return f"{SKU_PREFIX}{index:06d}-{k}"


def _ean(index: int, k: int) -> str:
    from catalog.validators import gtin_check_digit

    body = f"{EAN_PREFIX}{index:08d}{k}"
    return body + str(gtin_check_digit(body))


# --- data --------------------------------------------------------------------------------


def _channel_ensure():
    from catalog.models import Channel
    from catalog.selectors import channel_get
    from catalog.services import channel_create

    channel = channel_get(code=CHANNEL_CODE) or channel_create(
        code=CHANNEL_CODE, name="Web shop", kind=Channel.Kind.WEB, currency=CURRENCY
    )
    if channel.currency != CURRENCY or not channel.is_active or channel.api_key_required:
        raise RuntimeError(
            f"channel {CHANNEL_CODE!r} exists but is not an active, keyless {CURRENCY} channel; "
            "use a fresh DATABASE_URL"
        )
    return channel


def _categories_ensure() -> list[tuple[str, str, object]]:
    """(root name, leaf name, leaf Category) for every leaf of CATEGORY_TREE."""
    from django.utils.text import slugify

    from catalog.models import Category
    from catalog.services import category_create

    leaves = []
    for root_name, children in CATEGORY_TREE.items():
        root_slug = f"{SLUG_PREFIX}{slugify(root_name)}"
        root = Category.objects.filter(slug=root_slug).first() or category_create(name=root_name, slug=root_slug)
        for child_name in children:
            slug = f"{root_slug}-{slugify(child_name)}"
            leaf = Category.objects.filter(slug=slug).first()
            if leaf is None:
                root.refresh_from_db()  # treebeard keeps numchild on the parent row
                leaf = category_create(name=child_name, parent=root, slug=slug)
            leaves.append((root_name, child_name, leaf))
    return leaves


def _products_create(indexes: list[int], *, channel, leaves, brands) -> int:
    """One chunk, all or nothing: products, variants, prices (through the service), listings."""
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import ChannelListing, Product, Variant
    from catalog.services import PriceRow, prices_import

    listed_from = timezone.now() - timedelta(days=1)
    products, variant_specs = [], []
    for index in indexes:
        rng = random.Random(index)
        root_name, leaf_name, leaf = leaves[index % len(leaves)]
        brand = brands[rng.randrange(len(brands))]
        noun = rng.choice(CATEGORY_TREE[root_name][leaf_name])
        adjective, material = rng.choice(ADJECTIVES), rng.choice(MATERIALS)
        products.append(
            Product(
                name=f"{brand.name} {adjective} {noun} {index:05d}",
                slug=_slug(index),
                category=leaf,
                brand=brand,
                description=(
                    f"{adjective} {noun.lower()} by {brand.name}, made of {material}. "
                    f"Designed for {rng.choice(SEASONS)} use; {leaf_name.lower()} you can wear every day."
                ),
                attributes={"material": material, "season": rng.choice(SEASONS)},
            )
        )
        sizes = SIZES[root_name]
        base = Decimal(rng.randint(29, 899)) + Decimal("0.99")
        colour = rng.choice(COLOURS)
        count = 3 + index % 3
        start = rng.randrange(max(1, len(sizes) - count + 1))
        variant_specs.append(
            [
                (k, sizes[(start + k) % len(sizes)], colour, base + Decimal(10 * (k // 2)))
                for k in range(count)  # 3-5 variants; bigger sizes cost a little more
            ]
        )
    with transaction.atomic():
        Product.objects.bulk_create(products, batch_size=CHUNK)
        variants, amounts = [], []
        for product, index, specs in zip(products, indexes, variant_specs, strict=True):
            for k, size, colour, amount in specs:
                variants.append(
                    Variant(
                        product=product,
                        sku=_sku(index, k),
                        ean=_ean(index, k),
                        name=f"{product.name} {size} {colour}",
                        size=size,
                        colour=colour,
                        position=k,
                    )
                )
                amounts.append(amount)
        Variant.objects.bulk_create(variants, batch_size=CHUNK * 2)
        prices_import(
            rows=[
                PriceRow(variant_id=v.pk, currency=CURRENCY, amount=a) for v, a in zip(variants, amounts, strict=True)
            ],
            reason="bench data",
        )
        ChannelListing.objects.bulk_create(
            [ChannelListing(product=p, channel=channel, published_from=listed_from) for p in products],
            batch_size=CHUNK,
            ignore_conflicts=True,
        )
    return len(products)


def catalog_data_ensure(*, products: int) -> dict:
    """Make sure the bench catalog has at least ``products`` listed products; returns counts.

    Other benchmarks may call this to get a priced, listed catalog of their own size.
    """
    from django.utils import timezone

    from catalog.models import ChannelListing, Price, Product, Variant
    from catalog.services import brand_get_or_create

    channel = _channel_ensure()
    leaves = _categories_ensure()
    brands = [brand_get_or_create(name=name) for name in BRANDS]
    existing = set(Product.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", flat=True))
    missing = [i for i in range(products) if _slug(i) not in existing]
    created = 0
    with common.Timer() as timer:
        for start in range(0, len(missing), CHUNK):
            created += _products_create(missing[start : start + CHUNK], channel=channel, leaves=leaves, brands=brands)
            common.log(f"  products created: {created}/{len(missing)} ({timer.s:.0f}s)")
        # Products kept from an older run without a listing (should be none): list them too.
        unlisted = list(
            Product.objects.filter(slug__startswith=SLUG_PREFIX)
            .exclude(listings__channel=channel)
            .values_list("pk", flat=True)
        )
        ChannelListing.objects.bulk_create(
            [
                ChannelListing(product_id=pk, channel=channel, published_from=timezone.now() - timedelta(days=1))
                for pk in unlisted
            ],
            batch_size=CHUNK,
            ignore_conflicts=True,
        )
        common.database_analyze()
    return {
        "channel": channel,
        "leaves": leaves,
        "created": created,
        "create_s": round(timer.s, 1),
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "prices": Price.objects.filter(currency=CURRENCY).count(),
    }


# --- the request mix ---------------------------------------------------------------------


def request_mix(*, listed: int, products: int, category_slugs: list[str]):
    """What a storefront does: mostly the first pages, some deep pages, search and filters."""
    pages = max(1, listed // PAGE_SIZE)

    def request_for(rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        params: dict[str, object] = {"page_size": PAGE_SIZE}
        if roll < 0.55:
            kind, params["page"] = "browse", rng.randint(1, min(pages, 10))
        elif roll < 0.65:
            kind, params["page"] = "browse_deep", rng.randint(1, pages)
        elif roll < 0.78:
            kind = "search"
            pick = rng.random()
            if pick < 0.15:
                params["q"] = _sku(rng.randrange(products), 0)
            elif pick < 0.25:
                params["q"] = _ean(rng.randrange(products), 1)
            else:
                params["q"] = rng.choice(SEARCH_TERMS)
        elif roll < 0.90:
            kind = "price"
            low = rng.choice([0, 50, 100, 200, 400])
            params.update(price_min=low, price_max=low + rng.choice([50, 100, 300]))
        else:
            kind = "category"
            params.update(category=rng.choice(category_slugs), page=rng.randint(1, 3))
        return kind, f"{LIST_PATH}?{urlencode(params)}"

    return request_for


# --- measurements ------------------------------------------------------------------------


def _queries_per_page(*, page_size: int, extra: dict | None = None, expect_full: bool = True) -> int:
    params = {"page": 2 if expect_full else 1, "page_size": page_size, **(extra or {})}
    path = f"{LIST_PATH}?{urlencode(params)}"
    response, queries = common.queries_capture(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    results = json.loads(response.content)["results"]
    if expect_full and len(results) != page_size:
        raise RuntimeError(f"GET {path} returned {len(results)} products, expected {page_size}")
    unpriced = [p["slug"] for p in results for v in p["variants"] if v["price"] is None]
    if unpriced:
        raise RuntimeError(f"GET {path}: variants without a {CURRENCY} price in {unpriced[:3]}")
    return len(queries)


def run(quick: bool) -> dict:
    products_wanted = QUICK_PRODUCTS if quick else FULL_PRODUCTS
    duration_s, warmup_s = (15, 3) if quick else (60, 8)
    clients = 8

    common.log(f"-- data: at least {products_wanted} listed products with PLN prices")
    data = catalog_data_ensure(products=products_wanted)
    common.log(
        f"  products={data['products']} variants={data['variants']} prices={data['prices']}"
        f" (created {data['created']} in {data['create_s']}s)"
    )

    common.log("-- queries per page (in-process, django.test.Client)")
    root_slug = f"{SLUG_PREFIX}shoes"
    queries_24 = _queries_per_page(page_size=24)
    queries_100 = _queries_per_page(page_size=100)
    queries_filtered = {
        "search": _queries_per_page(page_size=24, extra={"q": "runner"}),
        "price": _queries_per_page(page_size=24, extra={"price_min": 100, "price_max": 400}),
        "category": _queries_per_page(page_size=24, extra={"category": root_slug}),
    }
    common.log(
        f"  page_size=24: {queries_24} queries, page_size=100: {queries_100} queries; filtered: {queries_filtered}"
    )
    if queries_24 != queries_100:
        common.log("  WARNING: the query count grows with the page size (N+1 in the product list)")

    category_slugs = [root_slug, f"{SLUG_PREFIX}clothing"] + [leaf.slug for _r, _n, leaf in data["leaves"]]
    common.log("-- load: gunicorn + HTTP clients")
    # One sync worker per core measured best here (2 cores: ~70 req/s, p95 ~170 ms) against
    # gthread 2x2 / 3x2 / 4x2 (same or lower throughput, p95 250-300 ms: GIL and sticky keep-alive).
    workers = min(4, max(2, os.cpu_count() or 2))
    with common.gunicorn_server(workers=workers, threads=1, worker_class="sync") as server:
        status, body = common.http_get(server.port, f"{LIST_PATH}?page_size=1")
        if status != 200:
            raise RuntimeError(f"the product list answered {status}: {body[:300]!r}")
        listed = json.loads(body)["count"]
        request_for = request_mix(listed=listed, products=products_wanted, category_slugs=category_slugs)
        common.log(f"  listed in the web channel: {listed}; warm-up {warmup_s}s")
        common.load_run(port=server.port, request_for=request_for, clients=clients, duration_s=warmup_s, seed=1)
        common.log(f"  measuring: {clients} clients for {duration_s}s")
        load = common.load_run(port=server.port, request_for=request_for, clients=clients, duration_s=duration_s)
        server_figures = {
            "worker_class": server.worker_class,
            "workers": server.workers,
            "threads": server.threads,
            "settings": server.settings_module,
        }
        if load.errors:
            common.log(f"  server log tail:\n{server.log_tail(10)}")

    figures = load.figures()
    by_kind = load.figures_by_kind()
    common.print_table(
        "-- results",
        {"all": figures, **by_kind},
        ["requests", "p50_ms", "p95_ms", "p99_ms", "max_ms", "errors"],
    )
    common.log(f"  {figures['requests_per_s']} requests/s, statuses {load.statuses}")
    if load.transport_errors:
        common.log(f"  transport errors: {dict(load.transport_errors)}")
    return {
        "requests_per_s": figures["requests_per_s"],
        "p50_ms": figures["p50_ms"],
        "p95_ms": figures["p95_ms"],
        "p99_ms": figures["p99_ms"],
        "max_ms": figures["max_ms"],
        "errors": figures["errors"],
        "requests": figures["requests"],
        "queries_per_page": queries_24 if queries_24 == queries_100 else max(queries_24, queries_100),
        "queries_per_page_24": queries_24,
        "queries_per_page_100": queries_100,
        "queries_constant": queries_24 == queries_100,
        "queries_filtered": queries_filtered,
        "products": data["products"],
        "variants": data["variants"],
        "listed": listed,
        "data_created": data["created"],
        "data_s": data["create_s"],
        "clients": clients,
        "duration_s": figures["duration_s"],
        "warmup_s": warmup_s,
        "statuses": load.statuses,
        "transport_errors": dict(load.transport_errors),
        "by_kind": by_kind,
        "server": server_figures,
    }
