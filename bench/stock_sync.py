"""Stock sync throughput: POST /api/v1/stock/sync/ with 10,000-row batches, against a raw COPY.

Data: the availability benchmark's grid (quick 2,000 variants, full 20,000, x 60 locations),
created by COPY when missing. A channel API key with the ``stock:sync`` scope is created for the
run and revoked at the end.

The run sends N rows (quick 20,000, full 100,000) in batches of 10,000 distinct (location, SKU)
pairs drawn at random from the grid, one request after the other on one keep-alive connection,
alternating absolute counts (new random counts: nearly every row writes a ledger entry) and
deltas (+1..+5). Each batch has its own sync_id. Request bodies are encoded before the clock
starts; every answer must be 200 with every row applied.

The outbox starts empty: nothing delivers the bench database's events, so every earlier run
leaves its stock.changed events pending (up to one per cell of the grid, 1.2 million), and a
sync would meet a backlog and a coalescing index that a deployment with its relay running never
has. Without this, the figures fall run after run on the same database.

Figures:
- ``rows_per_s``: rows through the API per second, wall time of all requests (HTTP, JSON,
  validation, bulk lookups, locks, ledger, stock rows, outbox events; gunicorn, production
  settings). Target >= 10,000.
- ``copy_rows_per_s``: the same rows (location, sku, quantity) COPYed by psycopg into a scratch
  temporary table: the floor of what moving those rows into PostgreSQL costs at all.
- ``ratio_to_copy``: rows_per_s / copy_rows_per_s (target >= 0.2).
- ``rows_per_s_2_clients``: the same number of rows again (new batches) from two clients at
  once, as a POS fleet and an ERP would send; batches overlap on some rows, which then queue
  on their row locks (never deadlock: rows are locked in one order).
- ``service_rows_per_s``: one extra batch through ``stock_sync_apply`` in-process (no HTTP), to
  tell the service's cost from the HTTP/JSON layer's.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
import uuid

from bench import common
from bench.availability import availability_data_ensure

QUICK_ROWS = 20_000
FULL_ROWS = 100_000
QUICK_VARIANTS = 2_000
FULL_VARIANTS = 20_000
BATCH = 10_000
PATH = "/api/v1/stock/sync/"


def _key_create() -> tuple[object, str]:
    from catalog.models import Channel
    from catalog.selectors import channel_get
    from catalog.services import channel_create
    from omnishop.apikeys.services import apikey_create

    channel = channel_get(code="bench-erp") or channel_create(
        code="bench-erp", name="Bench ERP", kind=Channel.Kind.B2B, api_key_required=True
    )
    return apikey_create(channel=channel, name="bench stock sync", scopes=["stock:sync"])


def _batches(*, rows: int, skus: list[str], codes: list[str], seed: int) -> list[dict]:
    rng = random.Random(seed)
    run_id = uuid.uuid4().hex[:8]
    cells = len(skus) * len(codes)
    batches = []
    for number, start in enumerate(range(0, rows, BATCH)):
        size = min(BATCH, rows - start)
        mode = "absolute" if number % 2 == 0 else "delta"
        picked = rng.sample(range(cells), size)
        batches.append(
            {
                "sync_id": f"bench-{run_id}-{number}",
                "mode": mode,
                "error_policy": "reject_all",
                "rows": [
                    {
                        "location": codes[cell % len(codes)],
                        "sku": skus[cell // len(codes)],
                        "quantity": rng.randint(0, 60) if mode == "absolute" else rng.randint(1, 5),
                    }
                    for cell in picked
                ],
            }
        )
    return batches


def _post_all(port: int, key: str, bodies: list[bytes]) -> tuple[float, list[dict]]:
    headers = {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Api-Key {key}"}
    conn = http.client.HTTPConnection(common.LOOPBACK, port, timeout=120)
    answers = []
    try:
        started = time.perf_counter()
        for body in bodies:
            conn.request("POST", PATH, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                raise RuntimeError(f"POST {PATH} answered {response.status}: {payload[:500]!r}")
            answers.append(json.loads(payload))
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return elapsed, answers


def _post_concurrently(port: int, key: str, bodies: list[bytes], clients: int = 2) -> tuple[float, list[dict]]:
    results: list = [None] * clients
    gate = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        gate.wait()
        try:
            results[index] = _post_all(port, key, bodies[index::clients])
        except Exception as exc:  # reported by the caller
            results[index] = exc

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    failed = [r for r in results if isinstance(r, Exception)]
    if failed:
        raise failed[0]
    return elapsed, [answer for _elapsed, answers in results for answer in answers]


def _copy_rows_per_s(batches: list[dict]) -> float:
    """psycopg COPY of the same (location, sku, quantity) rows into a temporary table, best of 3."""
    from django.db import connection, transaction

    rows = [(r["location"], r["sku"], r["quantity"]) for b in batches for r in b["rows"]]
    rates = []
    for _attempt in range(3):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_stock_sync_scratch (location text, sku text, quantity integer)"
                " ON COMMIT DROP"
            )
            started = time.perf_counter()
            with cursor.cursor.copy("COPY bench_stock_sync_scratch (location, sku, quantity) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            rates.append(len(rows) / (time.perf_counter() - started))
    return max(rates)


def _service_rows_per_s(batch: dict) -> float:
    from inventory.services import StockSyncRow, stock_sync_apply

    rows = [StockSyncRow(r["location"], r["sku"], r["quantity"]) for r in batch["rows"]]
    started = time.perf_counter()
    result = stock_sync_apply(sync_id=batch["sync_id"], mode=batch["mode"], rows=rows)
    elapsed = time.perf_counter() - started
    if result.applied + result.unchanged != len(rows):
        raise RuntimeError(f"in-process sync applied {result.applied} of {len(rows)} rows")
    return len(rows) / elapsed


def _outbox_clear() -> int:
    """Empty the bench database's outbox (see the module docstring); returns the rows removed."""
    from django.db import connection

    from omnishop.outbox.models import OutboxEvent

    table = OutboxEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        (count,) = cursor.fetchone()
        cursor.execute(f"TRUNCATE {table}")
    return count


def run(quick: bool) -> dict:
    from omnishop.apikeys.services import apikey_revoke

    rows = QUICK_ROWS if quick else FULL_ROWS
    variants = QUICK_VARIANTS if quick else FULL_VARIANTS
    common.log(f"-- data: the availability grid, at least {variants} variants x 60 locations")
    data = availability_data_ensure(variants=variants)
    common.log(f"  stock_rows={data['stock_rows']} (created {data['stock_rows_created']} in {data['create_s']}s)")
    skus = data["skus"][:variants]
    codes = [loc.code for loc in data["locations"]]
    common.log(f"  outbox emptied: {_outbox_clear()} undelivered events from earlier runs")

    seed = time.time_ns()  # new counts every run: repeating the last run's counts would change nothing
    batches = _batches(rows=rows, skus=skus, codes=codes, seed=seed)
    bodies = [json.dumps(b).encode() for b in batches]
    concurrent = [json.dumps(b).encode() for b in _batches(rows=rows, skus=skus, codes=codes, seed=seed + 1)]
    common.log(f"-- {rows} rows in {len(batches)} batches of up to {BATCH} ({sum(map(len, bodies)) // 1024} KiB JSON)")

    key_row, key = _key_create()
    try:
        with common.gunicorn_server(workers=2, threads=1, worker_class="sync") as server:
            warm = _batches(rows=1_000, skus=skus, codes=codes, seed=seed + 2)
            _post_all(server.port, key, [json.dumps(b).encode() for b in warm])
            common.log("  sending, one client")
            elapsed, answers = _post_all(server.port, key, bodies)
            common.log("  sending, two clients")
            elapsed_2, answers_2 = _post_concurrently(server.port, key, concurrent)
    finally:
        apikey_revoke(key=key_row)
    per_batch = [elapsed / len(bodies)] if len(bodies) == 1 else []
    applied = sum(a["applied"] for a in answers)
    unchanged = sum(a["unchanged"] for a in answers)
    if applied + unchanged != rows or any(a["failed"] for a in answers):
        raise RuntimeError(f"applied {applied} + unchanged {unchanged} of {rows} rows")
    rows_per_s = rows / elapsed
    common.log(f"  {rows} rows in {elapsed:.2f}s: {rows_per_s:,.0f} rows/s (applied {applied}, unchanged {unchanged})")
    if sum(a["applied"] + a["unchanged"] for a in answers_2) != rows:
        raise RuntimeError("the two-client run did not apply every row")
    common.log(f"  two clients: {rows} rows in {elapsed_2:.2f}s: {rows / elapsed_2:,.0f} rows/s")

    common.log("-- raw COPY of the same rows into a scratch table")
    copy_rate = _copy_rows_per_s(batches)
    common.log(f"  {copy_rate:,.0f} rows/s")

    common.log("-- one batch in-process (stock_sync_apply, no HTTP)")
    extra = _batches(rows=BATCH, skus=skus, codes=codes, seed=seed + 3)[0]
    service_rate = _service_rows_per_s(extra)
    common.log(f"  {service_rate:,.0f} rows/s")

    return {
        "rows_per_s": round(rows_per_s),
        "copy_rows_per_s": round(copy_rate),
        "ratio_to_copy": round(rows_per_s / copy_rate, 4),
        "rows_per_s_2_clients": round(rows / elapsed_2),
        "service_rows_per_s": round(service_rate),
        "target_rows_per_s": 10_000,
        "target_ratio_to_copy": 0.2,
        "rows": rows,
        "batches": len(batches),
        "batch_rows": BATCH,
        "elapsed_s_api": round(elapsed, 2),
        "ms_per_batch": round(statistics.mean(per_batch or [elapsed / len(bodies)]) * 1000, 1),
        "applied": applied,
        "unchanged": unchanged,
        "stock_rows": data["stock_rows"],
        "variants_used": len(skus),
        "locations_used": len(codes),
    }
