"""Stock sync throughput: 10,000-row batches through POST /api/v1/stock/sync/, against raw SQL
doing only the required writes of the same rows, interleaved in the same run.

Data: the availability benchmark's grid (quick 2,000 variants, full 20,000, x 60 locations),
created by COPY when missing. A channel API key with the ``stock:sync`` scope is created for the
run and revoked at the end.

Each round (quick 4, full 10) draws 10,000 distinct (location, SKU) pairs at random from the grid,
alternating absolute counts (new random counts: nearly every row writes a ledger entry) and deltas
(+1..+5). omnishop gets the batch over HTTP (gunicorn, production settings, one keep-alive
connection, body encoded before the clock starts; the answer must be 200 with every row applied);
the raw path gets the same rows and mode with new quantities, so it makes the same writes.
Which goes first alternates per round.

What is compared, and why it is honest: the raw path (``_raw_apply``) does in one transaction on
omnishop's own tables, indexes and constraints only what a sync must write: COPY the rows into a
temporary table, resolve and lock the stock rows in (variant, location) order, ``UPDATE ... FROM``
the rows that change, ``INSERT ... SELECT`` their ledger entries (with idempotency keys, so the
unique index is paid for too) and upsert one coalesced ``stock.changed`` outbox row per (SKU,
location). It skips what the product adds on top: HTTP, JSON, validation with per-row errors, the
kept answer of the sync and the Python between statements. Both paths meet the same tables growing
and the same machine load, round after round.

The outbox starts empty: nothing delivers the bench database's events, so every earlier run
leaves its stock.changed events pending (up to one per cell of the grid, 1.2 million), and a
sync would meet a backlog and a coalescing index that a deployment with its relay running never
has. Without this, the figures fall run after run on the same database.

Figures (medians of the rounds):
- ``rows_per_s``: rows through the API per second, per batch (target >= 10,000).
- ``raw_rows_per_s``: the raw path's rows per second, per batch.
- ``ratio_to_raw``: median of the per-round rows_per_s / raw_rows_per_s (target >= 0.8).
- ``rows_per_s_2_clients`` (full run only): as many rows again from two clients at once, as a POS
  fleet and an ERP would send; batches overlap on some rows, which then queue on their row locks.
- ``service_rows_per_s``: one extra batch through ``stock_sync_apply`` in-process (no HTTP), to
  tell the service's cost from the HTTP/JSON layer's.
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


def _raw_apply(conn, batch: dict) -> int:
    """The required writes of one sync batch in raw SQL, one transaction; returns rows written.

    COPY the rows into a temporary table, lock their stock rows in (variant, location) order,
    ``UPDATE ... FROM`` the stock rows that change, ``INSERT ... SELECT`` their ledger entries
    (kind, quantity, on hand after, the sync row's idempotency key) and upsert one coalesced
    ``stock.changed`` outbox row per (SKU, location), on omnishop's own tables and indexes.
    """
    from catalog.models import Variant
    from inventory.models import Location, StockLevel, StockMovement
    from omnishop.outbox.models import OutboxEvent

    stock, ledger = StockLevel._meta.db_table, StockMovement._meta.db_table
    outbox, locations, variants = OutboxEvent._meta.db_table, Location._meta.db_table, Variant._meta.db_table
    absolute = batch["mode"] == "absolute"
    kind = StockMovement.Kind.COUNT if absolute else StockMovement.Kind.ADJUSTMENT
    new_value = "r.quantity" if absolute else "s.on_hand + r.quantity"
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE bench_sync_rows (idx integer, location text, sku text, quantity integer)"
            " ON COMMIT DROP"
        )
        with cur.copy("COPY bench_sync_rows (idx, location, sku, quantity) FROM STDIN") as copy:
            for index, row in enumerate(batch["rows"]):
                copy.write_row((index, row["location"], row["sku"], row["quantity"]))
        cur.execute(
            f"CREATE TEMPORARY TABLE bench_sync_levels ON COMMIT DROP AS"  # noqa: S608
            f" SELECT s.id, s.variant_id, s.location_id, r.idx, r.sku, r.location, s.on_hand AS old,"
            f" s.allocated, s.safety_stock, 0 AS new FROM bench_sync_rows r"
            f" JOIN {locations} l ON l.code = r.location JOIN {variants} v ON v.sku = r.sku"
            f" JOIN {stock} s ON s.variant_id = v.id AND s.location_id = l.id WITH NO DATA"
        )
        cur.execute(
            f"WITH locked AS (SELECT s.id, s.variant_id, s.location_id, s.on_hand, s.allocated, s.safety_stock,"  # noqa: S608
            f" r.idx, r.sku, r.location, r.quantity FROM bench_sync_rows r"
            f" JOIN {locations} l ON l.code = r.location JOIN {variants} v ON v.sku = r.sku"
            f" JOIN {stock} s ON s.variant_id = v.id AND s.location_id = l.id"
            f" ORDER BY s.variant_id, s.location_id FOR UPDATE OF s)"
            f" INSERT INTO bench_sync_levels SELECT s.id, s.variant_id, s.location_id, s.idx, s.sku, s.location,"
            f" s.on_hand, s.allocated, s.safety_stock, {new_value.replace('r.', 's.')} FROM locked s"
        )
        cur.execute(
            f"UPDATE {stock} s SET on_hand = w.new, updated_at = now() FROM bench_sync_levels w"  # noqa: S608
            " WHERE s.id = w.id AND w.new <> w.old"
        )
        written = cur.rowcount
        cur.execute(
            f"INSERT INTO {ledger} (location_id, variant_id, kind, quantity, on_hand_after, idempotency_key,"  # noqa: S608
            " note, reference, actor_id, created_at)"
            " SELECT location_id, variant_id, %s, new - old, new, %s::text || idx, '', %s, NULL, now()"
            " FROM bench_sync_levels WHERE new <> old",
            [kind, f"raw:{batch['sync_id']}:", f"stock sync {batch['sync_id']}"],
        )
        cur.execute(
            f"INSERT INTO {outbox} (id, type, version, aggregate_type, aggregate_id, payload, coalesce_key,"  # noqa: S608
            " created_at, updated_at)"
            " SELECT gen_random_uuid(), 'stock.changed', 1, 'stock', sku || '@' || location,"
            " jsonb_build_object('sku', sku, 'location', location, 'on_hand', new, 'allocated', allocated,"
            " 'safety_stock', safety_stock), 'stock.changed:' || sku || ':' || location, now(), now()"
            " FROM bench_sync_levels WHERE new <> old"
            ' ON CONFLICT ("coalesce_key") WHERE "delivered_at" IS NULL AND NOT ("coalesce_key" = \'\')'
            " DO UPDATE SET payload = EXCLUDED.payload, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at"
        )
    return written


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


def _paired(batch: dict, seed: int) -> dict:
    """The same (location, SKU) rows and mode with new quantities: the same writes again."""
    rng = random.Random(seed)
    absolute = batch["mode"] == "absolute"
    rows = [{**r, "quantity": rng.randint(0, 60) if absolute else rng.randint(1, 5)} for r in batch["rows"]]
    return {**batch, "sync_id": batch["sync_id"] + "-raw", "rows": rows}


def run(quick: bool) -> dict:
    import psycopg

    from omnishop.apikeys.services import apikey_revoke

    rounds = 4 if quick else 10
    rows = rounds * BATCH
    variants = QUICK_VARIANTS if quick else FULL_VARIANTS
    common.log(f"-- data: the availability grid, at least {variants} variants x 60 locations")
    data = availability_data_ensure(variants=variants)
    common.log(f"  stock_rows={data['stock_rows']} (created {data['stock_rows_created']} in {data['create_s']}s)")
    skus = data["skus"][:variants]
    codes = [loc.code for loc in data["locations"]]
    common.log(f"  outbox emptied: {_outbox_clear()} undelivered events from earlier runs")

    seed = time.time_ns()  # new counts every run: repeating the last run's counts would change nothing
    batches = _batches(rows=rows, skus=skus, codes=codes, seed=seed)
    raw_batches = [_paired(b, seed + 10 + i) for i, b in enumerate(batches)]
    bodies = [json.dumps(b).encode() for b in batches]
    concurrent = (
        [] if quick else [json.dumps(b).encode() for b in _batches(rows=rows, skus=skus, codes=codes, seed=seed + 1)]
    )
    common.log(f"-- {rounds} rounds: a {BATCH}-row batch over HTTP, the same rows raw (order alternates)")

    key_row, key = _key_create()
    product_rates: list[float] = []
    raw_rates: list[float] = []
    elapsed_2 = None
    try:
        with (
            common.gunicorn_server(workers=2, threads=1, worker_class="sync") as server,
            psycopg.connect(os.environ["DATABASE_URL"]) as raw,
        ):
            warm = _batches(rows=1_000, skus=skus, codes=codes, seed=seed + 2)
            _post_all(server.port, key, [json.dumps(b).encode() for b in warm])
            _raw_apply(raw, _paired(warm[0], seed + 3))
            answers = []
            for number, (body, raw_batch) in enumerate(zip(bodies, raw_batches, strict=True)):
                for side in ("http", "raw") if number % 2 == 0 else ("raw", "http"):
                    if side == "http":
                        elapsed, answer = _post_all(server.port, key, [body])
                        answers += answer
                        product_rates.append(BATCH / elapsed)
                    else:
                        started = time.perf_counter()
                        written = _raw_apply(raw, raw_batch)
                        raw_rates.append(BATCH / (time.perf_counter() - started))
                common.log(
                    f"  round {number + 1} ({raw_batch['mode']}): omnishop {product_rates[-1]:,.0f} rows/s,"
                    f" raw {raw_rates[-1]:,.0f} rows/s ({written} written)"
                )
            if concurrent:
                common.log("  sending, two clients")
                elapsed_2, answers_2 = _post_concurrently(server.port, key, concurrent)
                if sum(a["applied"] + a["unchanged"] for a in answers_2) != rows:
                    raise RuntimeError("the two-client run did not apply every row")
    finally:
        apikey_revoke(key=key_row)
    applied = sum(a["applied"] for a in answers)
    unchanged = sum(a["unchanged"] for a in answers)
    if applied + unchanged != rows or any(a["failed"] for a in answers):
        raise RuntimeError(f"applied {applied} + unchanged {unchanged} of {rows} rows")
    ratios = [p / r for p, r in zip(product_rates, raw_rates, strict=True)]
    figures = {
        "rows_per_s": round(statistics.median(product_rates)),
        "raw_rows_per_s": round(statistics.median(raw_rates)),
        "ratio_to_raw": round(statistics.median(ratios), 3),
        "ratio_to_raw_rounds": [round(r, 3) for r in ratios],
        "rows_per_s_rounds": [round(r) for r in product_rates],
        "raw_rows_per_s_rounds": [round(r) for r in raw_rates],
    }
    common.log(
        f"  medians: omnishop {figures['rows_per_s']:,} rows/s, raw {figures['raw_rows_per_s']:,} rows/s,"
        f" ratio {figures['ratio_to_raw']}"
    )
    if elapsed_2:
        figures["rows_per_s_2_clients"] = round(rows / elapsed_2)
        common.log(f"  two clients: {rows} rows in {elapsed_2:.2f}s: {rows / elapsed_2:,.0f} rows/s")

    common.log("-- one batch in-process (stock_sync_apply, no HTTP)")
    extra = _batches(rows=BATCH, skus=skus, codes=codes, seed=seed + 3)[0]
    figures["service_rows_per_s"] = round(_service_rows_per_s(extra))
    common.log(f"  {figures['service_rows_per_s']:,} rows/s")

    return {
        **figures,
        "target_rows_per_s": 10_000,
        "target_ratio_to_raw": 0.8,
        "rounds": rounds,
        "rows": rows,
        "batch_rows": BATCH,
        "applied": applied,
        "unchanged": unchanged,
        "stock_rows": data["stock_rows"],
        "variants_used": len(skus),
        "locations_used": len(codes),
    }
