"""Real server processes for tests: gunicorn against the test database, on loopback ports."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

BASE_DIR = Path(settings.BASE_DIR)


# The cache base.py configures when CACHE_URL is unset: what production-like processes share.
SHARED_CACHE_URL = "dbcache://omnishop_cache"


def shared_cache_clear() -> None:
    """Create (if missing) and empty the database cache table in the test database."""
    from django.core.management import call_command

    from omnishop.settings import base

    with override_settings(CACHES=base.CACHES):
        call_command("createcachetable", verbosity=0)
        caches["default"].clear()
    caches["default"].close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


def test_database_url() -> str:
    """The test database this process uses (pytest-django's, per xdist worker)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def gunicorn_servers(count: int, *, workers: int = 1, env: dict | None = None, timeout: int = 30):
    """``count`` separate gunicorn processes (``workers`` sync workers each) serving the test
    database with the test settings; yields their ports.

    They share the production default cache, a table in the test database (created here), so
    counters kept by one process (login limits, throttles) are seen by the others; ``env`` may
    point ``CACHE_URL`` elsewhere (Redis)."""
    ports = [free_port() for _ in range(count)]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnishop.settings.test",
        "DATABASE_URL": test_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CACHE_URL": SHARED_CACHE_URL,
        **(env or {}),
    }
    if environment["CACHE_URL"] == SHARED_CACHE_URL:
        shared_cache_clear()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "omnishop.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                str(timeout),
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=environment,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_for_port(port, process=process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def chromium_and_server():
    """Debian's headless chromium (driven by Playwright, no browser download) and one gunicorn
    serving the test database; yields (browser, base URL)."""
    from playwright.sync_api import sync_playwright

    with gunicorn_servers(1) as (port,), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser, f"http://127.0.0.1:{port}"
        finally:
            browser.close()
