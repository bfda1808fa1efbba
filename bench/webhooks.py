"""Webhooks: 10,000 outbox events delivered, signed, to a local receiver by ONE Celery worker
process (real Redis broker), with commit-to-receipt lag, lost and duplicate counts.

Set-up: a receiver (a threaded HTTP/1.1 server on 127.0.0.1 in this process, answering 200),
one subscription to ``order.*`` pointing at it, and one ``celery -A omnishop worker`` process
(threads pool, 4 task threads; its delivery task POSTs through a pool of
``OMNISHOP_WEBHOOKS_HTTP_THREADS`` keep-alive connections) on the bench database and the Redis
database of ``BENCH_REDIS_URL`` (default redis://127.0.0.1:6379/3), with its own key prefix.

Each round (quick: 2 rounds of 2,000 events; full: 3 rounds of 10,000):
- lag: a fifth of the round's events committed at a steady rate (``BENCH_WEBHOOKS_RATE``,
  default 200 events/s, a busy shop's order traffic) in small transactions of 1 to 3 events of
  one order (500 orders, each order's events numbered), through ``outbox_emit_many`` as the
  domain services do, while the worker delivers them (after-commit dispatch, fan-out, claim,
  POST, bookkeeping). The receiver records when each event arrives; lag = arrival - commit (the
  commit time is taken by an on-commit callback that runs before the dispatch);
- throughput: the round's events committed the same way but with the dispatch off (nothing
  queued), then one fan-out task is queued and the worker delivers the whole lot:
  ``events_per_s`` = events / (last arrival - queueing). The producer and the worker share the
  machine's two cores, so a producer running during the measurement would slow the worker it
  measures; committing first measures the worker alone, the case of a backlog after an outage.

Checked per round: ``lost`` (events never received within 60 s), ``duplicates`` (events
received more than once; each must carry the same event id and body), ``out_of_order`` (an
order's event received before an earlier one of the same order). Figures are medians of rounds.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from bench import common

ORDERS = 500
QUICK = (2, 2_000)
FULL = (3, 10_000)
DRAIN_TIMEOUT_S = 60


def _tables_clear() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE webhooks_webhookattempt, webhooks_webhookdelivery, webhooks_webhooksubscription,"
            " outbox_outboxevent"
        )


def _receiver_main(port_file: str, out_path: str) -> None:
    """The receiver, in a process of its own (its threads must not share the producer's GIL):
    answers 200 and appends ``[key, event id, arrival time, order, step, body hash]`` per POST."""
    import hashlib
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lock = threading.Lock()
    out = open(out_path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            at = time.time()
            data = json.loads(body)["data"]
            line = [data["k"], self.headers["X-Omnishop-Event-Id"], at, data["number"], data["n"]]
            line.append(hashlib.sha1(body, usedforsecurity=False).hexdigest())
            with lock:
                out.write(json.dumps(line) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer((common.LOOPBACK, 0), Handler)
    server.daemon_threads = True
    with open(port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


class Arrivals:
    """What the receiver process recorded: bench key -> [(arrival time, event id, body hash)]."""

    def __init__(self, path: str):
        self.path = path
        self.offset = 0
        self.lock = threading.Lock()
        self.by_key: dict[int, list[tuple[float, str, str]]] = defaultdict(list)
        self.order_seen: dict[str, int] = {}
        self.out_of_order = 0

    def read(self) -> None:
        import json

        with open(self.path) as f:
            f.seek(self.offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        self.offset += len(complete.encode())
        for line in complete.splitlines():
            k, event, at, number, n, digest = json.loads(line)
            first = k not in self.by_key
            self.by_key[k].append((at, event, digest))
            if first:
                last = self.order_seen.get(number, -1)
                self.out_of_order += n < last
                self.order_seen[number] = max(last, n)


def _produce(*, events: int, rate: float, start_key: int, rng: random.Random, steps: dict) -> dict[int, float]:
    """Commit ``events`` events at ``rate`` per second; returns bench key -> commit time."""
    from django.db import transaction

    from omnishop.outbox.services import OutboxMessage, outbox_emit_many

    committed: dict[int, float] = {}
    key = start_key
    started = time.perf_counter()
    sent = 0
    while sent < events:
        size = min(rng.randint(1, 3), events - sent)
        due = started + sent / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        number = f"OS-B{rng.randrange(ORDERS):04d}"
        keys = list(range(key, key + size))
        messages = []
        for k in keys:
            steps[number] = steps.get(number, -1) + 1
            messages.append(
                OutboxMessage(
                    "order.status_changed",
                    "order",
                    number,
                    {"number": number, "n": steps[number], "k": k, "channel": "web", "status": "confirmed"},
                )
            )
        with transaction.atomic():
            # Runs at commit, before the outbox's own dispatch callback (registered after it).
            transaction.on_commit(lambda keys=keys: committed.update(dict.fromkeys(keys, time.time())))
            outbox_emit_many(events=messages)
        key += size
        sent += size
    return committed


def _wait_all(arrivals: Arrivals, keys, *, timeout_s: float) -> None:
    wanted = set(keys)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        arrivals.read()
        if wanted <= arrivals.by_key.keys():
            return
        time.sleep(0.05)


def _round_figures(arrivals: Arrivals, committed: dict[int, float]) -> dict:
    lags, lost, duplicates, mismatched = [], 0, 0, 0
    last_arrival = 0.0
    arrivals.read()
    if True:
        for k, at in committed.items():
            got = arrivals.by_key.get(k)
            if not got:
                lost += 1
                continue
            first = min(g[0] for g in got)
            lags.append((first - at) * 1000)
            last_arrival = max(last_arrival, first)
            if len(got) > 1:
                duplicates += len(got) - 1
                mismatched += len({(g[1], g[2]) for g in got}) > 1
    elapsed = last_arrival - min(committed.values()) if lags else 0.0
    return {
        "events": len(committed),
        "events_per_s": round(len(lags) / elapsed, 1) if elapsed else 0.0,
        "p50_lag_ms": round(common.percentile(lags, 50), 1),
        "p95_lag_ms": round(common.percentile(lags, 95), 1),
        "max_lag_ms": round(max(lags), 1) if lags else 0.0,
        "lost": lost,
        "duplicates": duplicates,
        "duplicates_with_another_id_or_body": mismatched,
    }


@contextmanager
def _receiver():
    """Start the receiver process; yields (url, Arrivals)."""
    import multiprocessing

    with tempfile.TemporaryDirectory(prefix="omnishop-bench-hooks-") as tmp:
        port_file, out_path = os.path.join(tmp, "port"), os.path.join(tmp, "arrivals.jsonl")
        Path(out_path).touch()
        process = multiprocessing.get_context("spawn").Process(
            target=_receiver_main, args=(port_file, out_path), daemon=True
        )
        process.start()
        try:
            deadline = time.monotonic() + 30
            while not (os.path.exists(port_file) and Path(port_file).read_text()):
                if time.monotonic() > deadline or not process.is_alive():
                    raise RuntimeError("the receiver process did not start")
                time.sleep(0.05)
            port = int(Path(port_file).read_text())
            yield f"http://{common.LOOPBACK}:{port}/hook", Arrivals(out_path)
        finally:
            process.terminate()
            process.join(timeout=10)


def run(quick: bool) -> dict:
    from celery import current_app

    from omnishop.tests.celery_worker import CeleryWorker, celery_broker
    from omnishop.webhooks.services import subscription_create
    from omnishop.webhooks.tasks import webhooks_fan_out

    rounds, events = QUICK if quick else FULL
    steady_events = events // 5
    rate = float(os.environ.get("BENCH_WEBHOOKS_RATE") or 200)
    http_threads = os.environ.get("OMNISHOP_WEBHOOKS_HTTP_THREADS") or "16"
    broker = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/3"
    _tables_clear()
    rng = random.Random(11)
    steps: dict[str, int] = {}
    key = 0
    steady, drains = [], []
    worker_env = {
        "DJANGO_LOG_LEVEL": "WARNING",
        "OMNISHOP_WEBHOOKS_HTTP_THREADS": http_threads,
        # The sweeper runs (beat), but must not fan out the throughput batch while it is being
        # committed: that would start the measurement before its clock.
        "OMNISHOP_WEBHOOKS_SWEEP_GRACE_SECONDS": "3600",
    }
    with (
        _receiver() as (receiver_url, arrivals),
        CeleryWorker(broker=broker, concurrency=4, env=worker_env, beat=True) as worker,
    ):
        subscription_create(name="Bench ERP", url=receiver_url, event_types=["order.*"])
        common.log(f"-- receiver {receiver_url}, one worker process, {http_threads} HTTP threads")
        with celery_broker(worker):
            warm = _produce(events=200, rate=rate, start_key=key, rng=rng, steps=steps)
            key += 200
            _wait_all(arrivals, warm, timeout_s=DRAIN_TIMEOUT_S)
            for number in range(rounds):
                # Lag: a steady stream of small transactions while the worker delivers.
                produced = time.perf_counter()
                committed = _produce(events=steady_events, rate=rate, start_key=key, rng=rng, steps=steps)
                produced = time.perf_counter() - produced
                key += steady_events
                _wait_all(arrivals, committed, timeout_s=DRAIN_TIMEOUT_S)
                figures = _round_figures(arrivals, committed)
                figures["committed_per_s"] = round(steady_events / produced, 1)
                steady.append(figures)
                common.log(
                    f"  round {number + 1}: {steady_events} events at {rate:.0f}/s (committed in {produced:.1f}s):"
                    f" lag p50 {figures['p50_lag_ms']} ms p95 {figures['p95_lag_ms']} ms"
                    f" max {figures['max_lag_ms']} ms, lost {figures['lost']}, duplicates {figures['duplicates']}"
                )
                # Throughput: the whole batch committed with the dispatch off (small transactions
                # again), then one fan-out task: the worker delivers all of it.
                current_app.conf.task_always_eager = True
                backlog = _produce(events=events, rate=1e9, start_key=key, rng=rng, steps=steps)
                key += events
                current_app.conf.task_always_eager = False
                started = time.time()
                webhooks_fan_out.delay()
                _wait_all(arrivals, backlog, timeout_s=DRAIN_TIMEOUT_S)
                drained = _round_figures(arrivals, dict.fromkeys(backlog, started))
                drains.append(drained)
                common.log(
                    f"           {events} events delivered at {drained['events_per_s']:,.0f} events/s,"
                    f" lost {drained['lost']}, duplicates {drained['duplicates']}"
                )
    both = steady + drains
    return {
        "events_per_s": statistics.median(r["events_per_s"] for r in drains),
        "p95_lag_ms": statistics.median(r["p95_lag_ms"] for r in steady),
        "p50_lag_ms": statistics.median(r["p50_lag_ms"] for r in steady),
        "lost": sum(r["lost"] for r in both),
        "duplicates": sum(r["duplicates"] for r in both),
        "duplicates_with_another_id_or_body": sum(r["duplicates_with_another_id_or_body"] for r in both),
        "out_of_order": arrivals.out_of_order,
        "lag_rate_per_s": rate,
        "lag_committed_per_s": statistics.median(r["committed_per_s"] for r in steady),
        "lag_events_per_round": steady_events,
        "events_per_round": events,
        "rounds": rounds,
        "orders": ORDERS,
        "http_threads": int(http_threads),
        "worker_processes": 1,
        "events_per_s_rounds": [r["events_per_s"] for r in drains],
        "p95_lag_ms_rounds": [r["p95_lag_ms"] for r in steady],
        "target_events_per_s": 500,
        "target_p95_lag_ms": 1000,
    }
