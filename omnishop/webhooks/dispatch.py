"""Queueing the webhook tasks after commit. A broker that is down must not fail the commit
that already happened: it is logged (no event data) and the sweeper catches up.

A busy shop commits hundreds of transactions a second; one fan-out task reads every event
committed before it starts, so a commit queues a new one only when none is waiting: a flag in
the broker's Redis, set with NX by the committer that queues the task and cleared by the task
before it reads. A commit that finds the flag set is read by the waiting task; one that comes
after the task cleared it queues the next task. The flag expires by itself (the sweeper covers
a task that was lost with it set).
"""

import logging
import threading

from celery import current_app

logger = logging.getLogger(__name__)

FAN_OUT_FLAG = "omnishop:webhooks:fan-out-queued"
FAN_OUT_FLAG_TTL_MS = 5_000

_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def _eager() -> bool:
    # Without a broker tasks would run inside the request that committed, HTTP calls included:
    # nothing is queued then (the test settings), the sweeper's beat task delivers. A laptop's
    # `make run` has neither broker nor beat: there the events are delivered in the process,
    # after the commit (OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER, on in settings.local).
    from django.conf import settings

    return bool(current_app.conf.task_always_eager) and not settings.OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER


def _flag_client():
    """A Redis client on the broker's server, or None when the broker is not Redis."""
    url = current_app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)
        return client


def _flag_key() -> str:
    prefix = (current_app.conf.broker_transport_options or {}).get("global_keyprefix") or ""
    return f"{prefix}{FAN_OUT_FLAG}"


def fan_out_flag_clear() -> None:
    """Called by the fan-out task before it reads: later commits queue another task."""
    client = _flag_client()
    if client is not None:
        try:
            client.delete(_flag_key())
        except Exception as exc:
            logger.warning("webhooks: fan-out flag not cleared (%s)", exc.__class__.__name__)


def fan_out_queue() -> None:
    """After the commit of a transaction that wrote outbox events (outbox listener)."""
    if _eager():
        return
    from .tasks import webhooks_fan_out

    try:
        client = _flag_client()
        if client is not None and not client.set(_flag_key(), 1, nx=True, px=FAN_OUT_FLAG_TTL_MS):
            return  # a fan-out task is waiting and will read this commit's events
        webhooks_fan_out.delay()
    except Exception as exc:  # the broker is unreachable: the sweeper fans the events out later
        logger.warning("webhooks: fan-out not queued (%s); the sweeper will deliver", exc.__class__.__name__)


def deliver_queue(*, countdown: float | None = None) -> None:
    if _eager():
        return
    from .tasks import webhooks_deliver

    try:
        webhooks_deliver.apply_async(countdown=countdown)
    except Exception as exc:
        logger.warning("webhooks: delivery not queued (%s); the sweeper will deliver", exc.__class__.__name__)
