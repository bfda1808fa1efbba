"""Plumbing shared by the benchmarks: environment, database, gunicorn, HTTP load, figures.

Nothing here knows about a particular benchmark. A benchmark module (``bench/<name>.py``)
builds its data with the project's services, then uses :func:`gunicorn_server`,
:func:`load_run` and :func:`queries_capture` to measure, and returns a flat dict of figures.
"""

from __future__ import annotations

import http.client
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
LOOPBACK = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/omnishop_bench"
# The bench process itself (data creation, in-process query counts).
BENCH_SETTINGS = "omnishop.settings.local"
# The server under load runs what production runs.
SERVER_SETTINGS = "omnishop.settings.production"


def log(message: str = "") -> None:
    """Human-readable progress on stdout; the JSON line printed by run.py stays the last line."""
    print(message, flush=True)


class Timer:
    """``with Timer() as t: ...``; ``t.s`` is the seconds so far, then the block's duration."""

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        self._end: float | None = None
        return self

    def __exit__(self, *exc) -> None:
        self._end = time.perf_counter()

    @property
    def s(self) -> float:
        return (self._end or time.perf_counter()) - self._start


# --- environment and database -------------------------------------------------------------


def environment_prepare() -> str:
    """Set the bench process's environment before Django is imported; returns DATABASE_URL.

    DEBUG is forced off (DEBUG keeps every query in memory and changes error handling) and
    Celery runs eagerly so services that queue tasks need no broker.
    """
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = BENCH_SETTINGS
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    # settings.local delivers webhooks in the committing process when there is no broker (make
    # run); a bench's process only produces: delivery is the worker's (bench webhooks) or nobody's.
    os.environ["OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER"] = "0"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    # Throttle counters in Redis, as in production (the compose file's CACHE_URL), with budgets no
    # bench reaches: the throttles' bookkeeping is measured, their 429s are not.
    os.environ.setdefault("CACHE_URL", os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/4")
    for scope in ("ANON", "CUSTOMER", "CHANNEL_KEY", "STOCK_SYNC", "ORDER_PLACE"):
        os.environ.setdefault(f"OMNISHOP_THROTTLE_{scope}", "1000000/min")
    return url


def database_ensure(url: str) -> bool:
    """Create the PostgreSQL database named in ``url`` if it is missing; True when created."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if not url.startswith(("postgres://", "postgresql://")):
        raise RuntimeError(f"the benchmarks run on PostgreSQL; DATABASE_URL is {url!r}")
    name = conninfo_to_dict(url).get("dbname")
    if not name:
        raise RuntimeError(f"DATABASE_URL names no database: {url!r}")
    with psycopg.connect(make_conninfo(url, dbname="postgres", connect_timeout=5), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def django_setup() -> None:
    import django

    django.setup()


def database_migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def database_analyze() -> None:
    """Refresh planner statistics after bulk loads, so plans match the data actually there."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- the server under test ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def server_environment(*, settings_module: str = SERVER_SETTINGS, extra: dict[str, str] | None = None) -> dict:
    """The child's environment: same database as the bench process, production-like settings."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DJANGO_DEBUG": "0",
            # A throwaway key: production settings refuse to start without one.
            "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
            "DJANGO_ALLOWED_HOSTS": LOOPBACK,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log_path: Path
    workers: int
    threads: int
    worker_class: str
    settings_module: str
    host: str = LOOPBACK

    def log_tail(self, lines: int = 30) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _server_stop(process: subprocess.Popen) -> None:
    """SIGTERM the gunicorn process group we created; SIGKILL it if it does not leave in time."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_healthy(server: Server, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    for _ in range(int(timeout_s / 0.1) + 1):
        if time.monotonic() >= deadline:
            break
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _body = http_get(server.port, "/healthz", timeout_s=2)
        except (OSError, http.client.HTTPException) as exc:
            last = f"{exc.__class__.__name__}: {exc}"
        else:
            if status == 200:
                return
            last = f"HTTP {status}"
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not become healthy in {timeout_s:.0f}s ({last}):\n{server.log_tail()}")


@contextmanager
def gunicorn_server(
    *,
    workers: int = 2,
    threads: int = 1,
    worker_class: str = "sync",
    app: str = "omnishop.wsgi:application",
    settings_module: str = SERVER_SETTINGS,
    extra_env: dict[str, str] | None = None,
    startup_timeout_s: float = 60,
) -> Iterator[Server]:
    """Run gunicorn on a free loopback port until the block ends; always terminated.

    ``BENCH_GUNICORN_WORKERS`` / ``BENCH_GUNICORN_THREADS`` / ``BENCH_GUNICORN_WORKER_CLASS``
    override the benchmark's choice, to compare server configurations without code changes.
    """
    workers = int(os.environ.get("BENCH_GUNICORN_WORKERS") or workers)
    threads = int(os.environ.get("BENCH_GUNICORN_THREADS") or threads)
    worker_class = os.environ.get("BENCH_GUNICORN_WORKER_CLASS") or worker_class
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        gunicorn = VENV_BIN / "gunicorn"
    env = server_environment(settings_module=settings_module, extra=extra_env)
    with tempfile.TemporaryDirectory(prefix="omnishop-bench-") as tmp:
        log_path = Path(tmp) / "gunicorn.log"
        server = None
        try:
            # The port is free when picked but could be taken before gunicorn binds: retry.
            for _attempt in range(3):
                port = free_port()
                command = [
                    str(gunicorn),
                    app,
                    f"--bind={LOOPBACK}:{port}",
                    f"--workers={workers}",
                    f"--threads={threads}",
                    f"--worker-class={worker_class}",
                    f"--chdir={ROOT}",
                    "--timeout=30",
                    "--graceful-timeout=5",
                    "--keep-alive=5",
                    "--no-control-socket",
                    "--log-level=warning",
                    f"--error-logfile={log_path}",
                ]
                with log_path.open("ab") as out:
                    process = subprocess.Popen(  # the group lets us stop master and workers together
                        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                    )
                server = Server(process, port, log_path, workers, threads, worker_class, settings_module)
                try:
                    _wait_healthy(server, timeout_s=startup_timeout_s)
                except RuntimeError:
                    _server_stop(process)
                    if "in use" in server.log_tail() and _attempt < 2:
                        continue
                    raise
                break
            log(
                f"  gunicorn {worker_class} workers={workers} threads={threads} on {LOOPBACK}:{server.port}"
                f" ({settings_module})"
            )
            yield server
        finally:
            if server is not None:
                _server_stop(server.process)


# --- HTTP load ----------------------------------------------------------------------------


def http_get(port: int, path: str, *, timeout_s: float = 10, host: str = LOOPBACK) -> tuple[int, bytes]:
    """One GET on a fresh connection (setup and checks, not load)."""
    if host != LOOPBACK:
        raise ValueError("benchmarks only talk to the loopback server they started")
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# Failures that mean "the server closed a kept-alive connection": safe to resend a GET once.
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class _Client:
    """One keep-alive connection; reconnects when the server closes it."""

    port: int
    timeout_s: float
    headers: dict[str, str]
    conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> int:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout_s)
            reused = self.conn.sock is not None
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                response.read()
                if response.will_close:
                    self.close()
                return response.status
            except _STALE_CONNECTION:
                self.close()
                if not reused or attempt:
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class LoadResult:
    """Every request of a load run: (kind, HTTP status or 0 for a transport error, latency ms)."""

    clients: int
    duration_s: float
    samples: list[tuple[str, int, float]] = field(default_factory=list)
    transport_errors: Counter = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> int:
        return sum(1 for _kind, status, _ms in self.samples if status != 200)

    @property
    def statuses(self) -> dict[str, int]:
        return {str(k): v for k, v in sorted(Counter(status for _k, status, _ms in self.samples).items())}

    def figures(self) -> dict:
        latencies = [ms for _kind, _status, ms in self.samples]
        return {
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.duration_s, 1) if self.duration_s else 0.0,
            **latency_figures(latencies),
            "errors": self.errors,
            "duration_s": round(self.duration_s, 2),
            "clients": self.clients,
        }

    def figures_by_kind(self) -> dict[str, dict]:
        by_kind: dict[str, list[float]] = defaultdict(list)
        errors: Counter = Counter()
        for kind, status, ms in self.samples:
            by_kind[kind].append(ms)
            errors[kind] += status != 200
        return {
            kind: {"requests": len(values), **latency_figures(values), "errors": errors[kind]}
            for kind, values in sorted(by_kind.items())
        }


def load_run(
    *,
    port: int,
    request_for: Callable[[random.Random], tuple[str, str]],
    clients: int = 8,
    duration_s: float = 15,
    seed: int = 0,
    max_requests_per_client: int = 200_000,
    timeout_s: float = 10,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """``clients`` threads, each on its own keep-alive connection, GET as fast as answered.

    ``request_for(rng)`` returns ``(kind, path)``; each client has its own seeded ``rng`` so a
    run is reproducible. Stops at ``duration_s`` or ``max_requests_per_client``, whichever first.
    """
    headers = {"Accept": "application/json", **(headers or {})}
    per_client: list[list[tuple[str, int, float]]] = [[] for _ in range(clients)]
    transport_errors: Counter = Counter()
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def client_loop(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        client = _Client(port, timeout_s, headers)
        samples = per_client[index]
        start_gate.wait()
        deadline = deadline_box[0]
        try:
            for _ in range(max_requests_per_client):
                if time.monotonic() >= deadline:
                    break
                kind, path = request_for(rng)
                started = time.perf_counter()
                try:
                    status = client.get(path)
                except (OSError, http.client.HTTPException) as exc:
                    status = 0
                    with lock:
                        transport_errors[exc.__class__.__name__] += 1
                samples.append((kind, status, (time.perf_counter() - started) * 1000))
                if status == 0:
                    time.sleep(0.05)  # a dead server must not turn this into a busy loop
        finally:
            client.close()

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline_box.append(started + duration_s)
    start_gate.wait()
    for thread in threads:
        thread.join(timeout=duration_s + timeout_s * 2 + 5)
    elapsed = time.monotonic() - started
    result = LoadResult(clients=clients, duration_s=elapsed, transport_errors=transport_errors)
    for samples in per_client:
        result.samples.extend(samples)
    return result


# --- figures ------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (like numpy's default); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_figures(latencies_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p95_ms": round(percentile(latencies_ms, 95), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
        "max_ms": round(max(latencies_ms), 2) if latencies_ms else 0.0,
    }


def queries_capture(path: str, *, headers: dict[str, str] | None = None, warm: bool = True):
    """GET ``path`` in-process with Django's test client; returns (response, captured queries).

    A first, unmeasured request warms per-process caches (content types, URL resolver), so
    the count is what every later request costs.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=LOOPBACK, headers=headers)
    if warm:
        client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    return response, ctx.captured_queries


def print_table(title: str, rows: dict[str, dict], columns: list[str]) -> None:
    """A small aligned table of figures on stdout."""
    log(title)
    width = max([len(k) for k in rows] + [4])
    log("  " + " " * width + "".join(f"{c:>12}" for c in columns))
    for name, figures in rows.items():
        log("  " + f"{name:<{width}}" + "".join(f"{figures.get(c, ''):>12}" for c in columns))
