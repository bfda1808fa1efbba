"""Queueing the webhook tasks after commit. A broker that is down must not fail the commit
that already happened: it is logged (no event data) and the sweeper catches up."""

import logging

from celery import current_app

logger = logging.getLogger(__name__)


def _eager() -> bool:
    # Without a broker (local runs, the test settings) tasks would run inside the request that
    # committed, HTTP calls included: nothing is queued then, the sweeper's beat task delivers.
    return bool(current_app.conf.task_always_eager)


def fan_out_queue() -> None:
    """After the commit of a transaction that wrote outbox events (outbox listener)."""
    if _eager():
        return
    from .tasks import webhooks_fan_out

    try:
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
