"""Availability reads: a 10-SKU cart at every location, nearest stores and pickup options for it.

Data (idempotent, reused by later runs and by the stock_sync benchmark): N variants (quick 2,000,
full 20,000; 4 per product, SKUs ``BENCH-AV-nnnnnn``) stocked at 60 locations (10 warehouses
that ship online, 50 click & collect stores across Poland with a ring-fence of 1), i.e. a full
grid of N x 60 stock rows, most of them with stock. Stock rows and their ledger entries (one
receipt each, so the books balance) are loaded with COPY; 2,000 active cart holds are
re-created on every run.

Figures, all for random 10-SKU carts (one unit each) as an online channel sees them:

- ``p95_ms_cart`` / ``p95_ms_nearest`` / ``p95_ms_pickup``: IN-PROCESS timing of what the API
  view does with the database (SKU lookup + the selector, results materialised), no HTTP:
  availability of the cart at every location (GET /api/v1/availability/), the 5 nearest click &
  collect stores that have the whole cart (GET /api/v1/locations/nearest/?line=...) and the 5
  nearest stores with now/transfer hints (GET /api/v1/locations/pickup-options/). Target <= 10 ms.
- ``raw_p50_ms_*`` and ``ratio_*_to_raw`` (selector p50 / raw p50; target <= 1.5): the floor of
  the same reads. For each cart the selector's statements are captured once with Django's
  CaptureQueriesContext (Django binds parameters client-side with psycopg 3, so the captured
  text is exactly what was sent), then the selector and those statements run raw on a psycopg
  connection (execute + fetchall, autocommit, as the selector runs) are timed back to back, which
  goes first alternating per cart. The database work is the same, so the ratio is what the ORM,
  the selector's Python and its result objects cost on top, under the same machine load.
- ``http_p95_ms_*``: the same three endpoints over HTTP (gunicorn, 2 sequential clients), for
  scale: JSON rendering and the HTTP stack included.
- ``queries_*``: queries per request (in-process test client); constant by design.
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from bench import common

QUICK_VARIANTS = 2_000
FULL_VARIANTS = 20_000
VARIANTS_PER_PRODUCT = 4
PREFIX = "bench-av"
SKU_PREFIX = "BENCH-AV-"
CART_SIZE = 10
NEAREST = 5
HOLDS = 2_000
CHUNK_VARIANTS = 1_000  # variants per COPY transaction (x 60 stock rows)

# (city, latitude, longitude): stores are spread over these, warehouses sit at logistics hubs.
CITIES = [
    ("Warszawa", 52.2297, 21.0122),
    ("Kraków", 50.0647, 19.9450),
    ("Łódź", 51.7592, 19.4560),
    ("Wrocław", 51.1079, 17.0385),
    ("Poznań", 52.4064, 16.9252),
    ("Gdańsk", 54.3520, 18.6466),
    ("Szczecin", 53.4285, 14.5528),
    ("Bydgoszcz", 53.1235, 18.0084),
    ("Lublin", 51.2465, 22.5684),
    ("Białystok", 53.1325, 23.1688),
    ("Katowice", 50.2649, 19.0238),
    ("Gdynia", 54.5189, 18.5305),
    ("Częstochowa", 50.8118, 19.1203),
    ("Radom", 51.4027, 21.1471),
    ("Rzeszów", 50.0412, 21.9991),
    ("Toruń", 53.0138, 18.5984),
    ("Kielce", 50.8661, 20.6286),
    ("Olsztyn", 53.7784, 20.4801),
    ("Opole", 50.6751, 17.9213),
    ("Zielona Góra", 51.9356, 15.5062),
]
HUBS = [
    ("Stryków", 51.9000, 19.6000),
    ("Błonie", 52.1980, 20.6170),
    ("Gądki", 52.3120, 17.0500),
    ("Bielany Wrocławskie", 51.0370, 16.9660),
    ("Gliwice", 50.2945, 18.6714),
    ("Pruszcz Gdański", 54.2620, 18.6360),
    ("Kraków Rybitwy", 50.0300, 20.0100),
    ("Lublin Hajdów", 51.2800, 22.6000),
    ("Szczecin Dąbie", 53.4000, 14.6700),
    ("Białystok Zaścianki", 53.1500, 23.2200),
]
STORES = 50
OPENING_HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "10:00-21:00") | {"sun": None}


def _sku(index: int) -> str:
    return f"{SKU_PREFIX}{index:06d}"


# --- data --------------------------------------------------------------------------------


def _locations_ensure() -> list:
    from inventory.models import Location
    from inventory.services import location_create

    wanted = []
    for i, (city, lat, lng) in enumerate(HUBS, start=1):
        wanted.append((f"{PREFIX}-wh-{i:02d}", f"Warehouse {city}", Location.Kind.WAREHOUSE, city, lat, lng, 0))
    rng = random.Random(7)
    for i in range(1, STORES + 1):
        city, lat, lng = CITIES[(i - 1) % len(CITIES)]
        lat, lng = lat + rng.uniform(-0.05, 0.05), lng + rng.uniform(-0.08, 0.08)
        wanted.append((f"{PREFIX}-st-{i:02d}", f"Store {city} {i:02d}", Location.Kind.STORE, city, lat, lng, i))
    existing = {loc.code: loc for loc in Location.objects.filter(code__startswith=f"{PREFIX}-")}
    for code, name, kind, city, lat, lng, i in wanted:
        if code in existing:
            continue
        store = kind == Location.Kind.STORE
        existing[code] = location_create(
            code=code,
            name=name,
            kind=kind,
            city=city,
            street=f"ul. Testowa {i or 1}",
            postal_code="00-001",
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lng:.6f}"),
            opening_hours=OPENING_HOURS,
            ships_online=not store or i % 10 == 0,  # every tenth store ships too
            click_and_collect=store,
            ship_from_store=store and i % 10 == 0,
        )
        if store:
            Location.objects.filter(pk=existing[code].pk).update(ring_fence=1)
    return [existing[w[0]] for w in wanted]


def _variants_ensure(count: int) -> None:
    from django.db import transaction

    from catalog.models import Category, Product, Variant
    from catalog.services import brand_get_or_create, category_create

    category = Category.objects.filter(slug=PREFIX).first() or category_create(name="Bench availability", slug=PREFIX)
    brand = brand_get_or_create(name="Bench Availability")
    have = set(Variant.objects.filter(sku__startswith=SKU_PREFIX).values_list("sku", flat=True))
    products_needed = range((count + VARIANTS_PER_PRODUCT - 1) // VARIANTS_PER_PRODUCT)
    missing = [p for p in products_needed if _sku(p * VARIANTS_PER_PRODUCT) not in have]
    for start in range(0, len(missing), 1_000):
        with transaction.atomic():
            products = Product.objects.bulk_create(
                [
                    Product(
                        name=f"Bench availability {p:05d}", slug=f"{PREFIX}-{p:06d}", category=category, brand=brand
                    )
                    for p in missing[start : start + 1_000]
                ]
            )
            Variant.objects.bulk_create(
                [
                    Variant(
                        product=product,
                        sku=_sku(p * VARIANTS_PER_PRODUCT + k),
                        name=f"{product.name} {size}",
                        size=size,
                        position=k,
                    )
                    for product, p in zip(products, missing[start : start + 1_000], strict=True)
                    for k, size in enumerate(("38", "40", "42", "44"))
                ],
                batch_size=4_000,
            )


def _stock_copy(variant_ids: list[int], locations: list) -> int:
    """A full grid of stock rows for ``variant_ids`` plus one receipt each, in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from inventory.models import Location, StockLevel, StockMovement

    now = timezone.now()
    levels, receipts = [], []
    for variant_id in variant_ids:
        rng = random.Random(variant_id)
        for location in locations:
            if location.kind == Location.Kind.WAREHOUSE:
                units = rng.randint(5, 200) if rng.random() < 0.9 else 0
            else:
                units = rng.randint(1, 20) if rng.random() < 0.8 else 0
            levels.append((variant_id, location.pk, units, 0, 0, now))
            if units:
                receipts.append((location.pk, variant_id, "receipt", units, units, "bench:availability", "", now))
    with transaction.atomic(), connection.cursor() as cursor:
        copy_sql = f"COPY {StockLevel._meta.db_table} (variant_id, location_id, on_hand, allocated, safety_stock, updated_at) FROM STDIN"  # noqa: E501
        with cursor.cursor.copy(copy_sql) as copy:
            for row in levels:
                copy.write_row(row)
        copy_sql = (
            f"COPY {StockMovement._meta.db_table} (location_id, variant_id, kind, quantity, on_hand_after, reference,"
            " note, created_at) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            for row in receipts:
                copy.write_row(row)
    return len(levels)


def availability_data_ensure(*, variants: int) -> dict:
    """At least ``variants`` bench variants stocked at the 60 bench locations (a full grid).
    Shared with the stock_sync benchmark. Returns the figures and the objects."""
    from django.db.models import Exists, OuterRef

    from catalog.models import Variant
    from inventory.models import Location, StockLevel

    with common.Timer() as timer:
        locations = _locations_ensure()
        _variants_ensure(variants)
        bench_ids = [loc.pk for loc in locations]
        unstocked = list(
            Variant.objects.filter(sku__startswith=SKU_PREFIX)
            .exclude(Exists(StockLevel.objects.filter(variant=OuterRef("pk"), location_id__in=bench_ids)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        created = 0
        for start in range(0, len(unstocked), CHUNK_VARIANTS):
            created += _stock_copy(unstocked[start : start + CHUNK_VARIANTS], locations)
            common.log(f"  stock rows created: {created}/{len(unstocked) * len(locations)} ({timer.s:.0f}s)")
        if created:
            common.database_analyze()
    skus = list(Variant.objects.filter(sku__startswith=SKU_PREFIX).order_by("sku").values_list("sku", flat=True))
    return {
        "locations": locations,
        "skus": skus,
        "stock_rows_created": created,
        "create_s": round(timer.s, 1),
        "stock_rows": StockLevel.objects.count(),
        "active_locations": Location.objects.filter(is_active=True).count(),
        "variants": len(skus),
    }


def _holds_refresh(skus: list[str], locations: list) -> None:
    from django.utils import timezone

    from catalog.selectors import variant_ids_by_sku
    from inventory.models import StockHold

    StockHold.objects.filter(reference__startswith=f"{PREFIX}-hold-").delete()
    ids = list(variant_ids_by_sku(skus=skus).values())
    rng = random.Random(11)
    expires_at = timezone.now() + timedelta(hours=2)
    StockHold.objects.bulk_create(
        [
            StockHold(
                variant_id=rng.choice(ids),
                location_id=rng.choice(locations).pk,
                quantity=1,
                kind=StockHold.Kind.CART,
                reference=f"{PREFIX}-hold-{i}",
                expires_at=expires_at,
            )
            for i in range(HOLDS)
        ],
        batch_size=1_000,
    )


# --- measurements ------------------------------------------------------------------------


def _point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(49.5, 54.5), rng.uniform(14.5, 23.5)


def _raw_ms(raw, statements: list[str]) -> float:
    started = time.perf_counter()
    with raw.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def _time_in_process(skus: list[str], rounds: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each selector (SKU lookup + selector, results materialised) and, interleaved with it, the
    SQL it sent, captured once per cart and run again raw on a psycopg connection."""
    import psycopg
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.selectors import variant_ids_by_sku
    from inventory.selectors import (
        locations_nearest_that_can_serve,
        pickup_options_list,
        stock_availability_by_location,
    )

    def cart_read(cart, lat, lng):
        ids = variant_ids_by_sku(skus=cart)
        stock = stock_availability_by_location(variant_ids=ids.values(), online=True)
        rows = [(s, loc.code, loc.available.get(v, 0)) for s, v in ids.items() for loc in stock]
        if len(stock) < 60 or len(rows) != CART_SIZE * len(stock):
            raise RuntimeError(f"unexpected availability: {len(stock)} locations")

    def nearest_read(cart, lat, lng):
        ids = variant_ids_by_sku(skus=cart)
        stores = locations_nearest_that_can_serve(
            lines=dict.fromkeys(ids.values(), 1), online=True, latitude=lat, longitude=lng, limit=NEAREST
        )
        if len(list(stores)) > NEAREST:
            raise RuntimeError(f"{len(stores)} nearest stores")

    def pickup_read(cart, lat, lng):
        ids = variant_ids_by_sku(skus=cart)
        options = pickup_options_list(
            lines=dict.fromkeys(ids.values(), 1), online=True, latitude=lat, longitude=lng, limit=NEAREST
        )
        if len(options) != NEAREST:
            raise RuntimeError(f"{len(options)} pickup options")

    reads = {"cart": cart_read, "nearest": nearest_read, "pickup": pickup_read}
    rng = random.Random(3)
    timings: dict[str, list[float]] = {k: [] for kind in reads for k in (kind, f"raw_{kind}")}
    queries: dict[str, int] = {}
    # Django binds parameters client-side with psycopg 3, so the captured SQL is the text sent.
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
        for i in range(rounds + 20):  # the first 20 warm caches and plans up
            cart = rng.sample(skus, CART_SIZE)
            lat, lng = _point(rng)
            for kind, read in reads.items():
                with CaptureQueriesContext(connection) as ctx:
                    read(cart, lat, lng)
                statements = [q["sql"] for q in ctx.captured_queries]
                queries[kind] = len(statements)
                order = [0, 1] if i % 2 == 0 else [1, 0]  # which goes first alternates
                for which in order:
                    if which == 0:
                        started = time.perf_counter()
                        read(cart, lat, lng)
                        ms = (time.perf_counter() - started) * 1000
                    else:
                        ms = _raw_ms(raw, statements)
                    if i >= 20:
                        timings[kind if which == 0 else f"raw_{kind}"].append(ms)
    return timings, queries


def _paths(skus: list[str]):
    def request_for(rng: random.Random) -> tuple[str, str]:
        cart = rng.sample(skus, CART_SIZE)
        lat, lng = _point(rng)
        roll = rng.random()
        if roll < 1 / 3:
            return "cart", "/api/v1/availability/?" + urlencode({"sku": cart}, doseq=True)
        point = {"lat": f"{lat:.5f}", "lng": f"{lng:.5f}", "limit": NEAREST}
        if roll < 2 / 3:
            return "nearest", "/api/v1/locations/nearest/?" + urlencode({**point, "line": cart}, doseq=True)
        return "pickup", "/api/v1/locations/pickup-options/?" + urlencode({**point, "line": cart}, doseq=True)

    return request_for


def _queries(skus: list[str]) -> dict[str, int]:
    request_for = _paths(skus)
    rng = random.Random(5)
    counts = {}
    while len(counts) < 3:
        kind, path = request_for(rng)
        if kind in counts:
            continue
        response, queries = common.queries_capture(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
        if kind == "cart" and len(json.loads(response.content)["results"]) != CART_SIZE:
            raise RuntimeError("the availability answer lacks SKUs")
        counts[kind] = len(queries)
    return counts


def run(quick: bool) -> dict:
    wanted = QUICK_VARIANTS if quick else FULL_VARIANTS
    rounds, http_s = (150, 6) if quick else (1_000, 20)

    common.log(f"-- data: {wanted} variants x 60 locations (full grid), stock and ledger by COPY")
    data = availability_data_ensure(variants=wanted)
    common.log(
        f"  stock_rows={data['stock_rows']} variants={data['variants']} active_locations={data['active_locations']}"
        f" (created {data['stock_rows_created']} rows in {data['create_s']}s)"
    )
    skus = data["skus"]
    _holds_refresh(skus, data["locations"])
    from catalog.models import Channel
    from catalog.selectors import channel_get
    from catalog.services import channel_create

    if channel_get(code="web") is None:
        channel_create(code="web", name="Web shop", kind=Channel.Kind.WEB)

    common.log(f"-- in-process timing: {rounds} random {CART_SIZE}-SKU carts")
    timings, statements = _time_in_process(skus, rounds)
    figures = {kind: common.latency_figures(values) for kind, values in timings.items()}
    common.print_table("  milliseconds", figures, ["p50_ms", "p95_ms", "p99_ms", "max_ms"])
    ratios = {
        f"ratio_{kind}_to_raw": round(figures[kind]["p50_ms"] / figures[f"raw_{kind}"]["p50_ms"], 2)
        for kind in ("cart", "nearest", "pickup")
    }
    common.log(f"  selector p50 / raw SQL p50: {ratios} (statements per read: {statements})")

    common.log("-- queries per request (in-process test client)")
    queries = _queries(skus)
    common.log(f"  {queries}")

    common.log(f"-- HTTP: gunicorn, 2 sequential clients for {http_s}s")
    with common.gunicorn_server(workers=2, threads=1, worker_class="sync") as server:
        common.load_run(port=server.port, request_for=_paths(skus), clients=2, duration_s=3, seed=1)
        load = common.load_run(port=server.port, request_for=_paths(skus), clients=2, duration_s=http_s, seed=2)
    by_kind = load.figures_by_kind()
    common.print_table("  HTTP milliseconds", by_kind, ["requests", "p50_ms", "p95_ms", "p99_ms", "errors"])
    if load.errors:
        raise RuntimeError(f"HTTP errors: {load.statuses}")

    return {
        **ratios,
        "raw_p50_ms_cart": figures["raw_cart"]["p50_ms"],
        "raw_p50_ms_nearest": figures["raw_nearest"]["p50_ms"],
        "raw_p50_ms_pickup": figures["raw_pickup"]["p50_ms"],
        "p50_ms_cart": figures["cart"]["p50_ms"],
        "p50_ms_nearest": figures["nearest"]["p50_ms"],
        "p50_ms_pickup": figures["pickup"]["p50_ms"],
        "target_ratio_to_raw": 1.5,
        "statements_per_read": statements,
        "p95_ms_cart": figures["cart"]["p95_ms"],
        "p95_ms_nearest": figures["nearest"]["p95_ms"],
        "p95_ms_pickup": figures["pickup"]["p95_ms"],
        "timing": "in-process: SKU lookup + selector, materialised, no HTTP",
        "target_p95_ms": 10,
        "stock_rows": data["stock_rows"],
        "variants": data["variants"],
        "active_locations": data["active_locations"],
        "cart_skus": CART_SIZE,
        "rounds": rounds,
        "http_p95_ms_cart": by_kind.get("cart", {}).get("p95_ms"),
        "http_p95_ms_nearest": by_kind.get("nearest", {}).get("p95_ms"),
        "http_p95_ms_pickup": by_kind.get("pickup", {}).get("p95_ms"),
        "http_requests": load.requests,
        "http_errors": load.errors,
        "queries_cart": queries["cart"],
        "queries_nearest": queries["nearest"],
        "queries_pickup": queries["pickup"],
        "in_process": figures,
        "data_created_rows": data["stock_rows_created"],
        "data_s": data["create_s"],
    }
