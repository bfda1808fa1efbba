"""Sending claimed deliveries: JSON bodies, signed, POSTed in parallel over keep-alive sessions."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from django.conf import settings

from .signing import signature

EXCERPT_CHARS = 500
USER_AGENT = "omnishop-webhooks/1"

_local = threading.local()
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: int
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def delivery_body(delivery) -> bytes:
    """The JSON a receiver gets; the same bytes are signed."""
    return json.dumps(
        {
            "id": str(delivery.event_id),
            "type": delivery.event_type,
            "version": delivery.event_version,
            "occurred_at": delivery.occurred_at.isoformat(),
            "aggregate": {"type": delivery.aggregate_type, "id": delivery.aggregate_id},
            "data": delivery.payload,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def delivery_headers(delivery, *, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Omnishop-Event-Id": str(delivery.event_id),
        "X-Omnishop-Event-Type": delivery.event_type,
        "X-Omnishop-Event-Version": str(delivery.event_version),
        "X-Omnishop-Timestamp": str(timestamp),
        "X-Omnishop-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }


def _session() -> requests.Session:
    """One keep-alive session per sending thread (requests' Session is not thread-safe)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.trust_env = False  # no proxy or netrc from the worker's environment
    return session


def delivery_post(delivery) -> AttemptResult:
    """POST one delivery; never raises for what the receiver or the network does."""
    body = delivery_body(delivery)
    subscription = delivery.subscription
    headers = delivery_headers(delivery, secret=subscription.secret, body=body)
    timeout = (settings.OMNISHOP_WEBHOOKS_CONNECT_TIMEOUT, settings.OMNISHOP_WEBHOOKS_READ_TIMEOUT)
    started = time.perf_counter()
    try:
        response = _session().post(subscription.url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        excerpt = response.text[:EXCERPT_CHARS]
    except requests.RequestException as exc:
        return AttemptResult(delivery.pk, None, round((time.perf_counter() - started) * 1000), "", _error_text(exc))
    return AttemptResult(delivery.pk, response.status_code, round((time.perf_counter() - started) * 1000), excerpt, "")


def _error_text(exc: Exception) -> str:
    # The class and the first line: no request data (the body) is ever in it.
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {first}"[:EXCERPT_CHARS]


def _executor() -> ThreadPoolExecutor:
    """The sending threads of this process (made again after a fork)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(settings.OMNISHOP_WEBHOOKS_HTTP_THREADS, "webhooks-http"))
        return _pool[1]


def deliveries_post(deliveries) -> list[AttemptResult]:
    deliveries = list(deliveries)
    if len(deliveries) == 1:
        return [delivery_post(deliveries[0])]
    return list(_executor().map(delivery_post, deliveries))
