"""Real Celery workers and HTTP receivers for tests (reusable by any app's tests).

* :class:`CeleryWorker` runs ``celery -A omnishop worker`` as a separate process on the pytest
  test database and a real Redis broker. Every worker gets its own broker key prefix, so test
  processes running in parallel (xdist) on one Redis database never take each other's tasks.
* :func:`celery_broker` points this (test) process's Celery app at the same broker and prefix,
  with eager mode off, so ``task.delay()`` really goes through Redis to the worker.
* :class:`HttpReceiver` is a threaded HTTP server on 127.0.0.1 that records every request and
  answers what the test tells it to.

Use them from a module-scoped fixture (a worker takes about two seconds to start), e.g.::

    @pytest.fixture(scope="module")
    def worker(django_db_setup, django_db_blocker):
        with CeleryWorker(env={...}) as worker:
            yield worker
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import connection

from conftest import redis_url

BASE_DIR = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).parent / "celery"
ALL_QUEUES = "webhooks,notifications,heavy,default,celery"


def test_database_url() -> str:
    """The database this test process uses (pytest-django's test database, per xdist worker)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(predicate, *, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate()`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{message} not met within {timeout:.0f}s")
        time.sleep(interval)


class CeleryWorker:
    """One ``celery -A omnishop worker`` process (threads pool) on the test database.

    ``beat=True`` embeds the beat scheduler (``-B``), so the periodic tasks run too. ``env``
    adds settings (e.g. ``OMNISHOP_WEBHOOKS_LEASE_SECONDS``). :meth:`kill` sends SIGKILL,
    :meth:`start` starts it again with the same prefix and settings.
    """

    def __init__(
        self,
        *,
        queues: str = ALL_QUEUES,
        concurrency: int = 4,
        beat: bool = False,
        env: dict[str, str] | None = None,
        broker: str | None = None,
        key_prefix: str | None = None,
        extra_args: tuple[str, ...] = (),
    ):
        self.queues = queues
        self.concurrency = concurrency
        self.beat = beat
        self.broker = broker or redis_url()
        self.key_prefix = key_prefix or f"test-{uuid.uuid4().hex[:12]}:"
        self.extra_env = env or {}
        self.extra_args = tuple(extra_args)
        self.process: subprocess.Popen | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="omnishop-worker-")
        self.log_path = Path(self._tmp.name) / "worker.log"

    # --- lifecycle ---------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "omnishop.settings.local",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": test_database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": self.broker,
            "CELERY_BROKER_KEY_PREFIX": self.key_prefix,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DJANGO_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def start(self, *, timeout: float = 30.0) -> CeleryWorker:
        command = [
            str(CELERY),
            "-A",
            "omnishop",
            "worker",
            "-Q",
            self.queues,
            "-P",
            "threads",
            "-c",
            str(self.concurrency),
            "-n",
            f"{self.key_prefix.rstrip(':')}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ]
        if self.beat:
            command += ["-B", "-s", str(Path(self._tmp.name) / "beat-schedule")]
        command += self.extra_args
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=self.environment(), stdout=out, stderr=subprocess.STDOUT
            )
        wait_until(lambda: self._ready(offset), timeout=timeout, message="the Celery worker to be ready")
        return self

    def _ready(self, offset: int) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {self.process.returncode}:\n{self.log_tail()}")
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return b" ready." in log.read()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, leases left as they were."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._tmp.cleanup()


def _pools_reset(app) -> None:
    """Forget the broker connection pools made with the previous settings. Not closed: kombu
    keeps pools per broker URL process-wide and would hand the closed one out again (even
    eager tasks take a producer from it)."""
    app._pool = None
    with suppress(AttributeError):
        app.amqp._producer_pool = None


@contextmanager
def celery_broker(worker: CeleryWorker | None = None, *, url: str | None = None, key_prefix: str | None = None):
    """This process's Celery app sends real messages (eager off) to ``worker``'s broker and key
    prefix, or to ``url`` (a closed port, to play a broker that is down); restored afterwards."""
    app = current_app
    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
        "broker_transport_options": dict(app.conf.broker_transport_options or {}),
        "broker_connection_timeout": app.conf.broker_connection_timeout,
        "task_publish_retry_policy": app.conf.task_publish_retry_policy,
    }
    prefix = key_prefix or (worker.key_prefix if worker else "")
    app.conf.task_always_eager = False
    app.conf.broker_url = url or (worker.broker if worker else redis_url())
    app.conf.broker_transport_options = {"global_keyprefix": prefix} if prefix else {}
    app.conf.broker_connection_timeout = 1
    # A broker that is down fails the publish after a few quick retries, not after minutes.
    app.conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}
    _pools_reset(app)
    try:
        yield app
    finally:
        for key, value in saved.items():
            setattr(app.conf, key, value)
        _pools_reset(app)


# --- HTTP receiver ----------------------------------------------------------------------------


@dataclass
class Received:
    """One request the receiver got."""

    at: float  # time.time() when the body was read
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A threaded HTTP server on 127.0.0.1 recording every POST.

    ``respond(received) -> (status, body)`` decides the answer (default 200 ``ok``); it may sleep
    to play a slow receiver. ``url`` is where to send.
    """

    respond: object = None
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as production receivers
            # Headers and body are two writes: without TCP_NODELAY (which web servers set), the
            # second waits for the client's delayed ACK, 40 ms per request on Linux.
            disable_nagle_algorithm = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(time.time(), self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.requests.append(received)
                status, answer = receiver.respond(received) if receiver.respond else (200, b"ok")
                answer = answer if isinstance(answer, bytes) else str(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
