"""Root fixtures and the Redis marker.

Every test runs on PostgreSQL (CI's server, or the embedded one `make test` starts). Tests marked
``redis`` need a reachable Redis. With ``OMNISHOP_REQUIRE_SERVICES=1`` (set by .ci/run) a missing
Redis is an error instead of a skip, so CI can never pass by skipping them.
"""

import os
import socket
from urllib.parse import urlparse

import pytest

REDIS_SKIP_REASON = "[requires-redis] needs Redis: set REDIS_URL or CELERY_BROKER_URL (redis://...)"


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"


def _redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        return False
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    require = os.environ.get("OMNISHOP_REQUIRE_SERVICES") == "1"
    have_redis = None
    for item in items:
        if "redis" in item.keywords:
            if have_redis is None:
                have_redis = _redis_reachable(redis_url())
            if not have_redis:
                if require:
                    raise pytest.UsageError(f"{item.nodeid}: {REDIS_SKIP_REASON}")
                item.add_marker(pytest.mark.skip(reason=REDIS_SKIP_REASON))


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests assert English messages; Polish is covered by the i18n tests."""
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def user(db):
    from omnishop.accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def superuser(db):
    from omnishop.accounts.tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True)


def postgres_max_parallel(reserve: int = 20) -> int:
    """How many more connections this PostgreSQL server takes now, less a reserve (for thread pools)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)")
        return max(cursor.fetchone()[0] - reserve, 4)


def run_in_threads(target, args_list, *, timeout: float = 60.0, workers: int | None = None) -> list:
    """Run ``target(*args)`` for each args tuple on real threads released together by a barrier.

    ``workers`` threads (default: one per call) take calls from the list in turn, so a test can
    issue more calls than the database accepts connections. Each thread closes its connection
    when done. Returns what each call returned or the exception it raised, in list order.
    """
    import threading

    from django.db import connection

    workers = min(workers or len(args_list), len(args_list))
    barrier = threading.Barrier(workers)
    results: list = [None] * len(args_list)

    def run(worker: int):
        try:
            barrier.wait(timeout=timeout)
            for i in range(worker, len(args_list), workers):
                try:
                    results[i] = target(*args_list[i])
                except Exception as exc:  # returned to the test, which asserts on it
                    results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"
    # Celery keeps "a task is running" in one process-wide flag that eager tasks save and restore;
    # threads doing so at once can leave it set, and a later test's result.get() would refuse.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    return results


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters (and anything else cached) never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
