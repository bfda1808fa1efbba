"""Thin Celery tasks for webhooks (routed to the ``webhooks`` queue). All are idempotent: a task
run twice, or redelivered by the broker after a crash (acks_late), sends nothing twice that a
lease or the (subscription, event id) key does not allow."""

import time

from celery import shared_task

from . import services
from .dispatch import deliver_queue, fan_out_flag_clear
from .sender import deliveries_post

# One delivery task sends for at most this long, then hands over to a fresh task.
DELIVER_BUDGET_SECONDS = 20.0
CLAIM_BATCH = 200


@shared_task
def webhooks_fan_out() -> dict:
    """Pending outbox events → deliveries (see ``services.deliveries_fan_out``), then send them
    in the same task (no second task to queue per commit)."""
    fan_out_flag_clear()
    read = services.deliveries_fan_out(wait=True)
    return {"events": read, **(_deliver() if read else {})}


@shared_task
def webhooks_deliver() -> dict:
    """Claim due deliveries in batches, POST them in parallel, record the outcomes; repeat until
    none is due. A failed delivery's retry is queued for when it falls due."""
    return _deliver()


def _deliver() -> dict:
    deadline = time.monotonic() + DELIVER_BUDGET_SECONDS
    totals = {"delivered": 0, "retrying": 0, "dead": 0}
    retry_in = None
    while True:
        claim = services.deliveries_claim(limit=CLAIM_BATCH)
        if not claim.deliveries:
            break
        outcome = services.deliveries_record(claim=claim, results=deliveries_post(claim.deliveries))
        services.deliveries_fan_out()  # events committed meanwhile join the next claim
        for key in totals:
            totals[key] += outcome[key]
        if outcome["retry_in"] is not None:
            retry_in = outcome["retry_in"] if retry_in is None else min(retry_in, outcome["retry_in"])
        if time.monotonic() >= deadline:
            deliver_queue()
            break
    if retry_in is not None:
        deliver_queue(countdown=retry_in)
    return totals


@shared_task
def webhooks_sweep() -> dict:
    """Beat: deliver what a lost after-commit dispatch or a killed worker left behind."""
    return services.webhooks_sweep()


@shared_task
def webhooks_purge() -> dict:
    """Beat, nightly: purge delivered events and deliveries past the retention period."""
    return services.webhooks_purge()
