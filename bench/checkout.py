"""Checkout: 10-line orders in-process, and over HTTP against a framework ceiling in the same run.

Data (idempotent): a marketplace channel "bench-checkout" with an API key (orders:write), 500
listed variants with PLN prices, stocked at three warehouses with plenty of units; plus one
"scarce" variant with 50 units that every fourth order also tries to buy, to prove nothing is
oversold (by either endpoint: both take stock through the same rows).

What is compared, and why it is honest: one gunicorn (4 sync workers, production settings plus
one bench URL, ``bench.ceiling_settings``) serves both omnishop's ``POST /api/v1/orders/`` and the
framework ceiling ``POST /bench/ceiling/orders/`` (``bench/ceiling_urls.py``), and the same load
generator (8 clients, keep-alive, the same 10-line bodies) drives both. The ceiling does the least
a DRF endpoint can for that order on omnishop's own tables: the product's channel API key
authentication, a DRF serializer for the same body, and in one transaction the variant and price
reads, 1 order, 10 lines (bulk), 10 allocations (bulk), 1 event and one guarded
``UPDATE ... WHERE allocated + q <= on_hand`` of the stock rows. Segments alternate (omnishop,
ceiling, omnishop, ...) so both meet the same machine load, and every figure is the median of the
rounds. Worker CPU is the gunicorn workers' user + system time from /proc over a segment divided by
the orders created (409 refusals included in the cost, as for both).

Figures: orders_per_s_http, ceiling_orders_per_s, ratio_http_to_ceiling (median of the per-round
ratios; target >= 0.5), worker_cpu_ms_per_order, ceiling_worker_cpu_ms_per_order, p50/p95/p99 of
omnishop's requests, queries_per_order_1/_10/_50 (in-process order_place with the payment task
queued to Redis as in production; target <= 16 and the same for every size), oversold (must be 0),
orders_per_s_inprocess (sequential order_place). Redis: REDIS_URL (default db 4), flushed.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import threading
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from bench import common

CHANNEL = "bench-checkout"
SKU_PREFIX = "CHK-"
VARIANTS = 500
LINES = 10
SCARCE_SKU = "CHK-SCARCE"
SCARCE_UNITS = 50
WAREHOUSES = ("bench-wh-1", "bench-wh-2", "bench-wh-3")
ORDERS_PATH = "/api/v1/orders/"
SERVER_SETTINGS = "bench.ceiling_settings"
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


@contextmanager
def _broker_queue(url: str):
    """Celery sends to Redis during the count, as in production: the payment task is queued after
    commit, not run inside the placement (the bench process is otherwise eager)."""
    from omnishop.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, url
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved


def inprocess(data: dict, *, orders: int, redis_url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services import Contact, order_place

    rng = random.Random(7)
    contact = Contact(email="bench@example.pl")
    to = {"shipping_address": ADDRESS}  # the same delivery point as the HTTP orders (order_body)

    def place(lines: dict) -> None:
        order_place(channel=data["channel"], lines=lines, fulfilment_type="delivery", contact=contact, **to)

    counts = {}
    with _broker_queue(redis_url):
        place(dict.fromkeys(rng.sample(data["variant_ids"], LINES), 1))  # warm per-process caches
        for size in (1, 10, 50):
            with CaptureQueriesContext(connection) as ctx:
                place(dict.fromkeys(rng.sample(data["variant_ids"], size), 1))
            counts[f"queries_per_order_{size}"] = len(ctx.captured_queries)
        # The same 10-line order by a member paying with a coupon and points, earning points.
        member = _loyalty_member()
        place_member = {"customer": member, "coupon_code": BENCH_COUPON, "points": 100}
        order_place(
            channel=data["channel"], lines=dict.fromkeys(rng.sample(data["variant_ids"], LINES), 1), **place_member,
            fulfilment_type="delivery", **to,
        )  # fmt: skip
        with CaptureQueriesContext(connection) as ctx:
            order_place(
                channel=data["channel"], lines=dict.fromkeys(rng.sample(data["variant_ids"], LINES), 1),
                **place_member, fulfilment_type="delivery", **to,
            )  # fmt: skip
        counts_loyalty = len(ctx.captured_queries)
        started = time.perf_counter()
        for _ in range(orders):
            place({v: rng.randint(1, 3) for v in rng.sample(data["variant_ids"], LINES)})
        elapsed = time.perf_counter() - started
    return {
        "orders_per_s_inprocess": round(orders / elapsed, 1),
        "queries_per_order": counts["queries_per_order_10"],
        **counts,
        "queries_same_for_1_10_50": len(set(counts.values())) == 1,
        "queries_per_order_with_coupon_and_points": counts_loyalty,
    }


BENCH_COUPON = "BENCH-CHECKOUT"


def _loyalty_member():
    """A customer with points to spend (topped up every run), a public coupon and an earning rule."""
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import Customer
    from loyalty.models import Coupon, EarningRule, LoyaltyAccount, Promotion

    member = Customer.objects.get_or_create(
        email="bench-member@example.pl", defaults={"first_name": "Bench", "last_name": "Członek"}
    )[0]
    if not Coupon.objects.filter(code=BENCH_COUPON).exists():
        promotion = Promotion.objects.create(name="bench kupon 5%", kind="percent", value=Decimal("5"))
        Coupon.objects.create(code=BENCH_COUPON, promotion=promotion)
        EarningRule.objects.get_or_create(name="bench 1 pkt/zł", kind="per_amount", points_per_unit=Decimal("1"))
    from loyalty.services.points import points_earn, points_release_due

    account = LoyaltyAccount.objects.filter(customer=member).first()
    if account is None or account.balance < 1000:
        points_earn(
            customer=member, points=100_000, reference="bench top-up", channel_code="web", explanation=[],
            release_at=timezone.now() - timedelta(days=1),
        )  # fmt: skip
        points_release_due()
    return member


def http_load(port: int, data: dict, *, clients: int, duration_s: float, path: str = ORDERS_PATH) -> dict:
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
                conn.request("POST", path, body=body, headers=headers)
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
        "orders": created,
        "wall_s": wall,
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


def _worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of the processes (fields 14 and 15 of /proc/PID/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _segment(server, data: dict, *, path: str, clients: int, duration_s: float) -> dict:
    pids = _worker_pids(server.process.pid)
    cpu_before = _cpu_s(pids)
    figures = http_load(server.port, data, clients=clients, duration_s=duration_s, path=path)
    if _worker_pids(server.process.pid) != pids:
        raise RuntimeError("a gunicorn worker was replaced during a segment: its CPU time is lost")
    cpu = _cpu_s(pids) - cpu_before
    figures["worker_cpu_ms_per_order"] = round(cpu * 1000 / figures["orders"], 2) if figures["orders"] else None
    return figures


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def run(quick: bool) -> dict:
    import redis

    from bench.ceiling_urls import CEILING_PATH

    clients = 8
    rounds, segment_s = (3, 5) if quick else (6, 15)
    inprocess_orders = 50 if quick else 300
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4"

    common.log("-- data")
    data = data_ensure()
    common.database_analyze()
    common.log(
        f"  {len(data['variant_ids'])} variants, {data['stock_rows']} stock rows, scarce SKU with {SCARCE_UNITS} units"
    )

    common.log(f"-- in-process: {inprocess_orders} sequential {LINES}-line orders; queries for 1, 10, 50 lines")
    figures = inprocess(data, orders=inprocess_orders, redis_url=redis_url)
    common.log(
        f"  {figures['orders_per_s_inprocess']} orders/s; queries per order 1/10/50 lines:"
        f" {figures['queries_per_order_1']}/{figures['queries_per_order_10']}/{figures['queries_per_order_50']}"
    )

    common.log(f"-- HTTP: {clients} clients, {rounds} rounds of omnishop {ORDERS_PATH} then ceiling {CEILING_PATH}")
    redis.Redis.from_url(redis_url).flushdb()
    extra = {"CELERY_BROKER_URL": redis_url, "CELERY_TASK_ALWAYS_EAGER": "0"}
    segments: dict[str, list[dict]] = {"omnishop": [], "ceiling": []}
    paths = {"omnishop": ORDERS_PATH, "ceiling": CEILING_PATH}
    with common.gunicorn_server(
        workers=4, threads=1, worker_class="sync", settings_module=SERVER_SETTINGS, extra_env=extra
    ) as server:
        for path in paths.values():  # warm-up, both endpoints
            http_load(server.port, data, clients=clients, duration_s=2, path=path)
        for number in range(rounds):
            for name, path in paths.items():
                seg = _segment(server, data, path=path, clients=clients, duration_s=segment_s)
                segments[name].append(seg)
                common.log(
                    f"  round {number + 1} {name:<8} {seg['orders_per_s_http']:>7} orders/s"
                    f" p50 {seg.get('p50_ms')} ms, worker CPU {seg['worker_cpu_ms_per_order']} ms/order,"
                    f" statuses {seg['http_statuses']}"
                )
    redis.Redis.from_url(redis_url).flushdb()
    omni, ceil = segments["omnishop"], segments["ceiling"]
    ratios = [o["orders_per_s_http"] / c["orders_per_s_http"] for o, c in zip(omni, ceil, strict=True)]
    figures.update(
        {
            "orders_per_s_http": _median([s["orders_per_s_http"] for s in omni]),
            "p50_ms": _median([s.get("p50_ms") for s in omni]),
            "p95_ms": _median([s.get("p95_ms") for s in omni]),
            "p99_ms": _median([s.get("p99_ms") for s in omni]),
            "ceiling_orders_per_s": _median([s["orders_per_s_http"] for s in ceil]),
            "ceiling_p50_ms": _median([s.get("p50_ms") for s in ceil]),
            "ceiling_p95_ms": _median([s.get("p95_ms") for s in ceil]),
            "ratio_http_to_ceiling": round(statistics.median(ratios), 3),
            "ratio_http_to_ceiling_rounds": [round(r, 3) for r in ratios],
            "worker_cpu_ms_per_order": _median([s["worker_cpu_ms_per_order"] for s in omni]),
            "ceiling_worker_cpu_ms_per_order": _median([s["worker_cpu_ms_per_order"] for s in ceil]),
            "orders_per_s_http_rounds": [s["orders_per_s_http"] for s in omni],
            "ceiling_orders_per_s_rounds": [s["orders_per_s_http"] for s in ceil],
            "http_statuses": _statuses_sum(omni),
            "ceiling_http_statuses": _statuses_sum(ceil),
            "rounds": rounds,
            "segment_s": segment_s,
            "clients": clients,
            "gunicorn": "4 sync workers, 1 thread, one server for both endpoints",
        }
    )
    figures["oversold"] = oversold_units(data)
    common.log(
        f"  medians: omnishop {figures['orders_per_s_http']} orders/s, ceiling {figures['ceiling_orders_per_s']}"
        f" orders/s, ratio {figures['ratio_http_to_ceiling']}; worker CPU {figures['worker_cpu_ms_per_order']}"
        f" vs {figures['ceiling_worker_cpu_ms_per_order']} ms/order; oversold units: {figures['oversold']}"
    )
    figures["targets_met"] = bool(
        figures["queries_per_order"] <= 16
        and figures["queries_same_for_1_10_50"]
        and figures["oversold"] == 0
        and figures["ratio_http_to_ceiling"] >= 0.5
    )
    return figures


def _statuses_sum(segments: list[dict]) -> dict[str, int]:
    total: dict[str, int] = {}
    for seg in segments:
        for status, count in seg["http_statuses"].items():
            total[status] = total.get(status, 0) + count
    return total
