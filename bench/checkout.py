"""Checkout: 10-line orders in-process and over HTTP (gunicorn, concurrent clients), against
pgbench's TPC-B on the same PostgreSQL in the same run.

Data (idempotent): a marketplace channel "bench-checkout" with an API key (orders:write), 500
listed variants with PLN prices, stocked at three warehouses with plenty of units; plus one
"scarce" variant with 50 units that every client also tries to buy, to prove nothing is oversold.

Figures: orders_per_s_inprocess (sequential order_place), orders_per_s_http (N clients POSTing
/api/v1/orders/ with 10 lines and an Idempotency-Key), p50_ms/p95_ms of those requests,
queries_per_order (in-process, the placement itself), oversold (units sold beyond stock, must be
0), pgbench_tps (TPC-B, same client count) and ratio_http_to_pgbench. Payment authorisation is
queued to Redis (db 14, flushed) as in production, not run inside the request.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import shutil
import subprocess
import threading
import time
import uuid
from decimal import Decimal

from bench import common

CHANNEL = "bench-checkout"
SKU_PREFIX = "CHK-"
VARIANTS = 500
LINES = 10
SCARCE_SKU = "CHK-SCARCE"
SCARCE_UNITS = 50
WAREHOUSES = ("bench-wh-1", "bench-wh-2", "bench-wh-3")
REDIS_URL = "redis://127.0.0.1:6379/14"
ADDRESS = {"street": "Bench 1", "postal_code": "90-001", "city": "Łódź", "latitude": 51.76, "longitude": 19.46}


def data_ensure() -> dict:
    from django.utils import timezone

    from catalog.models import Category, Channel, ChannelListing, Product, Variant
    from catalog.services import PriceRow, category_create, channel_create, prices_import
    from inventory.models import Location, StockLevel, StockMovement
    from inventory.services import StockChange, location_create, stock_changes_apply
    from omnishop.apikeys.services import apikey_create

    channel = Channel.objects.filter(code=CHANNEL).first() or channel_create(
        code=CHANNEL, name="Bench marketplace", kind=Channel.Kind.MARKETPLACE, api_key_required=True
    )
    category = Category.objects.filter(slug="bench-checkout").first() or category_create(
        name="Bench checkout", slug="bench-checkout"
    )
    for i, code in enumerate(WAREHOUSES):
        if not Location.objects.filter(code=code).exists():
            location_create(
                code=code,
                name=f"Bench warehouse {i + 1}",
                kind="warehouse",
                city="Stryków",
                latitude=Decimal("51.9") + i,
                longitude=Decimal("19.6"),
                ships_online=True,
            )
    existing = set(Variant.objects.filter(sku__startswith=SKU_PREFIX).values_list("sku", flat=True))
    wanted = [f"{SKU_PREFIX}{i:05d}" for i in range(VARIANTS)] + [SCARCE_SKU]
    missing = [s for s in wanted if s not in existing]
    if missing:
        products = Product.objects.bulk_create(
            [Product(name=f"Bench item {s}", slug=f"bench-chk-{s.lower()}", category=category) for s in missing]
        )
        variants = Variant.objects.bulk_create(
            [Variant(product=p, sku=s, size="M") for p, s in zip(products, missing, strict=True)]
        )
        prices_import(rows=[PriceRow(v.pk, "PLN", Decimal("49.99") + v.pk % 50) for v in variants], reason="bench")
        ChannelListing.objects.bulk_create(
            [ChannelListing(product=p, channel=channel, published_from=timezone.now()) for p in products]
        )
    variants = dict(Variant.objects.filter(sku__in=wanted).values_list("sku", "pk"))
    locations = list(Location.objects.filter(code__in=WAREHOUSES).order_by("code").values_list("pk", flat=True))
    changes = []
    for sku, variant_id in variants.items():
        for n, location_id in enumerate(locations):
            count = (SCARCE_UNITS if n == 0 else 0) if sku == SCARCE_SKU else 1_000_000
            changes.append(StockChange(variant_id, location_id, StockMovement.Kind.COUNT, count=count))
    # Reset stock to known levels for every run (counts, through the ledger; open allocations
    # from earlier runs are released first so counts are never below allocated).
    from inventory.models import Allocation
    from inventory.services import stock_release

    # Earlier runs' orders are a bench artefact: their units go back and they are marked
    # cancelled in bulk (not one by one through the lifecycle, which would take minutes).
    from orders.models import Order

    stale = list(Allocation.objects.filter(variant_id__in=variants.values(), status="open"))
    for i in range(0, len(stale), 2000):
        stock_release(allocations=stale[i : i + 2000])
    Order.objects.filter(channel=channel).exclude(status="cancelled").update(status="cancelled")
    for i in range(0, len(changes), 2000):
        stock_changes_apply(changes=changes[i : i + 2000], reference="bench reset")
    _row, key = apikey_create(channel=channel, name=f"bench {uuid.uuid4().hex[:6]}", scopes=["orders:write"])
    return {
        "started_at": timezone.now(),
        "channel": channel,
        "key": key,
        "skus": [s for s in wanted if s != SCARCE_SKU],
        "variant_ids": [variants[s] for s in wanted if s != SCARCE_SKU],
        "scarce_id": variants[SCARCE_SKU],
        "stock_rows": StockLevel.objects.filter(variant_id__in=variants.values()).count(),
    }


def order_body(rng: random.Random, skus: list[str], *, scarce: bool) -> dict:
    chosen = rng.sample(skus, LINES - (1 if scarce else 0))
    lines = [{"sku": s, "quantity": rng.randint(1, 3)} for s in chosen]
    if scarce:
        lines.append({"sku": SCARCE_SKU, "quantity": 1})
    return {
        "lines": lines,
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "contact": {"email": "bench@example.pl", "name": "Bench"},
        "payment_method": "card",
    }


def inprocess(data: dict, *, orders: int) -> dict:
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services import Contact, order_place

    rng = random.Random(7)
    contact = Contact(email="bench@example.pl")
    to = {"shipping_address": ADDRESS}  # the same delivery point as the HTTP orders (order_body)
    # Payment runs after commit in a worker; this measures the placement.
    with mock.patch("orders.services.checkout._after_place"):
        with CaptureQueriesContext(connection) as ctx:
            order_place(
                channel=data["channel"],
                lines=dict.fromkeys(rng.sample(data["variant_ids"], LINES), 1),
                fulfilment_type="delivery",
                contact=contact,
                **to,
            )
        queries = len(ctx.captured_queries)
        with CaptureQueriesContext(connection) as one:
            order_place(
                channel=data["channel"],
                lines={data["variant_ids"][0]: 1},
                fulfilment_type="delivery",
                contact=contact,
                **to,
            )
        started = time.perf_counter()
        for _ in range(orders):
            order_place(
                channel=data["channel"],
                lines={v: rng.randint(1, 3) for v in rng.sample(data["variant_ids"], LINES)},
                fulfilment_type="delivery",
                contact=contact,
                **to,
            )
        elapsed = time.perf_counter() - started
    return {
        "orders_per_s_inprocess": round(orders / elapsed, 1),
        "queries_per_order": queries,
        "queries_per_order_1_line": len(one.captured_queries),
    }


def http_load(port: int, data: dict, *, clients: int, duration_s: float) -> dict:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + duration_s

    def client(index: int) -> None:
        rng = random.Random(100 + index)
        conn = http.client.HTTPConnection(common.LOOPBACK, port, timeout=30)
        sent = 0
        while time.monotonic() < deadline and sent < 100_000:
            body = json.dumps(order_body(rng, data["skus"], scarce=sent % 4 == 0))
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Api-Key {data['key']}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/orders/", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(common.LOOPBACK, port, timeout=30)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(common.LOOPBACK, port, timeout=30)
            elapsed_ms = (time.perf_counter() - started) * 1000
            sent += 1
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status in ("201", "409"):
                    latencies.append(elapsed_ms)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + 60)
    wall = time.perf_counter() - started
    created = statuses.get("201", 0)
    return {
        "orders_per_s_http": round(created / wall, 1),
        "http_statuses": statuses,
        **{k: v for k, v in common.latency_figures(latencies).items() if k in ("p50_ms", "p95_ms", "p99_ms")},
    }


def oversold_units(data: dict) -> int:
    from django.db.models import F, Sum

    from inventory.models import StockLevel
    from orders.models import OrderLine

    over_rows = StockLevel.objects.filter(allocated__gt=F("on_hand")).count()
    sold_scarce = (
        OrderLine.objects.filter(variant_id=data["scarce_id"], order__channel=data["channel"])
        .exclude(order__status="cancelled")
        .filter(order__created_at__gte=data["started_at"])
        .aggregate(s=Sum("quantity"))["s"]
        or 0
    )
    return over_rows + max(0, sold_scarce - SCARCE_UNITS)


def pgbench_tps(url: str, *, clients: int, duration_s: int) -> float | None:
    """TPC-B (pgbench's default script) on a scratch database on the same server."""
    from psycopg.conninfo import conninfo_to_dict

    if not shutil.which("pgbench"):
        common.log("  pgbench not found (apt-get install postgresql-contrib / postgresql-client)")
        return None
    info = conninfo_to_dict(url)
    scratch = "omnishop_pgbench"
    common.database_ensure(url.rsplit("/", 1)[0] + f"/{scratch}")
    args = [
        "-h",
        info.get("host") or "127.0.0.1",
        "-p",
        str(info.get("port") or 5432),
        "-U",
        info.get("user") or "postgres",
    ]
    subprocess.run(["pgbench", *args, "-i", "-q", "-s", "10", scratch], check=True, capture_output=True, timeout=300)
    result = subprocess.run(
        ["pgbench", *args, "-c", str(clients), "-j", "2", "-T", str(duration_s), scratch],
        check=True,
        capture_output=True,
        text=True,
        timeout=duration_s + 120,
    )
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    return float(match.group(1)) if match else None


def run(quick: bool) -> dict:
    import os

    import redis

    clients = 8
    duration_s = 15 if quick else 60
    inprocess_orders = 100 if quick else 500
    url = os.environ["DATABASE_URL"]

    common.log("-- data")
    data = data_ensure()
    common.database_analyze()
    common.log(
        f"  {len(data['variant_ids'])} variants, {data['stock_rows']} stock rows, scarce SKU with {SCARCE_UNITS} units"
    )

    common.log(f"-- in-process: {inprocess_orders} sequential {LINES}-line orders")
    figures = inprocess(data, orders=inprocess_orders)
    common.log(
        f"  {figures['orders_per_s_inprocess']} orders/s; {figures['queries_per_order']} queries per {LINES}-line order"
        f" ({figures['queries_per_order_1_line']} for 1 line)"
    )

    common.log(f"-- HTTP: {clients} clients POST /api/v1/orders/ for {duration_s}s")
    redis.Redis.from_url(REDIS_URL).flushdb()
    extra = {"CELERY_BROKER_URL": REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0"}
    with common.gunicorn_server(workers=4, threads=1, worker_class="sync", extra_env=extra) as server:
        http_figures = http_load(server.port, data, clients=clients, duration_s=3)  # warm-up
        http_figures = http_load(server.port, data, clients=clients, duration_s=duration_s)
    redis.Redis.from_url(REDIS_URL).flushdb()
    figures.update(http_figures)
    common.log(
        f"  {figures['orders_per_s_http']} orders/s, p50 {figures.get('p50_ms')} ms, p95 {figures.get('p95_ms')} ms,"
        f" statuses {figures['http_statuses']}"
    )
    figures["oversold"] = oversold_units(data)
    common.log(f"  oversold units: {figures['oversold']}")

    common.log(f"-- pgbench TPC-B, {clients} clients, {duration_s}s")
    tps = pgbench_tps(url, clients=clients, duration_s=duration_s)
    figures["pgbench_tps"] = round(tps, 1) if tps else None
    figures["ratio_http_to_pgbench"] = round(figures["orders_per_s_http"] / tps, 3) if tps else None
    common.log(f"  pgbench {figures['pgbench_tps']} tps; ratio {figures['ratio_http_to_pgbench']}")
    figures["targets_met"] = bool(
        figures["queries_per_order"] <= 25
        and figures["oversold"] == 0
        and (figures["ratio_http_to_pgbench"] or 0) >= 0.10
    )
    return figures
