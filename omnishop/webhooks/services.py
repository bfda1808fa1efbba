"""Writes for webhooks: subscriptions, the fan-out of outbox events into deliveries, claiming and
recording attempts, re-delivery, the sweeper and the purge.

Delivery is at least once and ordered per (subscription, aggregate): a delivery is claimed only
when no earlier delivery (by outbox sequence) of the same subscription and aggregate is still
pending or retrying. A dead delivery does not hold back the later ones.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from omnishop.outbox.models import SEQUENCE_NAME, OutboxEvent, event_id
from omnishop.outbox.services import outbox_mark_delivered

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription, event_types_validate, secret_generate
from .sender import AttemptResult

logger = logging.getLogger(__name__)

# One fan-out at a time, so events are turned into deliveries in sequence order.
FAN_OUT_LOCK = 0x77686F6B  # "whok"
TEST_EVENT_TYPE = "webhook.test"
SUBSCRIPTION_FIELDS = ("name", "url", "event_types", "is_active", "channel", "max_attempts")


# --- subscriptions ------------------------------------------------------------------------


def subscription_create(
    *,
    name: str,
    url: str,
    event_types: list[str],
    actor=None,
    channel=None,
    is_active: bool = True,
    max_attempts: int = 8,
) -> WebhookSubscription:
    """A new subscription with a fresh secret. Raises ``ValidationError`` for bad fields."""
    subscription = WebhookSubscription(
        name=name,
        url=url,
        event_types=list(event_types),
        channel=channel,
        is_active=is_active,
        max_attempts=max_attempts,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    subscription.full_clean()
    with transaction.atomic():
        subscription.save()
    return subscription


def subscription_update(*, subscription: WebhookSubscription, actor=None, **fields) -> WebhookSubscription:
    """Change ``name``, ``url``, ``event_types``, ``is_active``, ``channel`` or ``max_attempts``."""
    unknown = set(fields) - set(SUBSCRIPTION_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    with transaction.atomic():
        subscription.save(update_fields=[*fields] or None)
    return subscription


def subscription_delete(*, subscription: WebhookSubscription, actor=None) -> None:
    """Delete a subscription with its deliveries and their attempts."""
    with transaction.atomic():
        subscription.delete()


def subscription_secret_rotate(*, subscription: WebhookSubscription, actor=None) -> str:
    """A new secret for the subscription; signatures use it from the next attempt on. Returns it."""
    with transaction.atomic():
        subscription.secret = secret_generate()
        subscription.secret_rotated_at = timezone.now()
        subscription.save(update_fields=["secret", "secret_rotated_at"])
    return subscription.secret


def _sequence_next() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [SEQUENCE_NAME])
        return cursor.fetchone()[0]


def subscription_test_send(*, subscription: WebhookSubscription, actor=None) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to this subscription only (it is not in the outbox)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=event_id(),
            event_type=TEST_EVENT_TYPE,
            event_version=1,
            aggregate_type="webhook_subscription",
            aggregate_id=str(subscription.pk),
            payload={"subscription": subscription.name, "sent_by": "admin" if actor else "api"},
            sequence=_sequence_next(),
            occurred_at=now,
            next_attempt_at=now,
        )
        _deliver_after_commit()
    return delivery


def event_types_check(value) -> list[str]:
    event_types_validate(value)
    return list(value)


# --- fan-out: outbox events → deliveries ----------------------------------------------------


def _deliver_after_commit(countdown: float | None = None) -> None:
    from .dispatch import deliver_queue

    transaction.on_commit(lambda: deliver_queue(countdown=countdown), robust=True)


def deliveries_fan_out(*, batch: int = 500, max_batches: int = 1000, wait: bool = False) -> int:
    """Turn pending outbox events into deliveries for every active subscription that wants
    them, and mark the events delivered. Returns the number of events read.

    Events are read oldest sequence first, ``FOR UPDATE SKIP LOCKED``, under a transaction-level
    advisory lock (one fan-out at a time: deliveries are made in sequence order). Safe to run
    twice: a delivery is unique per (subscription, event id). The caller sends them (the fan-out
    task goes on delivering; the sweeper queues a delivery task).

    ``wait``: wait for a running fan-out to finish, then read (the fan-out task: events
    committed while the other one was finishing are read, not left to the sweeper); without it,
    return at once when another fan-out runs.
    """
    read = 0
    for _ in range(max_batches):
        with transaction.atomic():
            with connection.cursor() as cursor:
                if wait:
                    cursor.execute("SET LOCAL lock_timeout = '30s'")
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FAN_OUT_LOCK])
                else:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FAN_OUT_LOCK])
                    if not cursor.fetchone()[0]:
                        return read  # another fan-out runs; it reads until nothing is left
            events = list(
                OutboxEvent.objects.filter(delivered_at__isnull=True)
                .order_by("sequence")
                .select_for_update(skip_locked=True)[:batch]
            )
            if not events:
                return read
            subscriptions = list(WebhookSubscription.objects.filter(is_active=True).select_related("channel"))
            now = timezone.now()
            deliveries = [
                WebhookDelivery(
                    subscription=subscription,
                    event_id=event.id,
                    event_type=event.type,
                    event_version=event.version,
                    aggregate_type=event.aggregate_type,
                    aggregate_id=event.aggregate_id,
                    payload=event.payload,
                    sequence=event.sequence,
                    occurred_at=event.updated_at,
                    created_at=now,
                    next_attempt_at=now,
                )
                for event in events
                for subscription in subscriptions
                if subscription.wants(event_type=event.type, payload=event.payload)
            ]
            if deliveries:
                WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
            outbox_mark_delivered(events=events)
        read += len(events)
        if len(events) < batch:
            return read
    return read


# --- delivering ------------------------------------------------------------------------------


def _claimable(now: datetime):
    earlier_open = WebhookDelivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        aggregate_type=OuterRef("aggregate_type"),
        aggregate_id=OuterRef("aggregate_id"),
        status__in=WebhookDelivery.OPEN,
        sequence__lt=OuterRef("sequence"),
    )
    return WebhookDelivery.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        ~Exists(earlier_open),
        status__in=WebhookDelivery.OPEN,
        next_attempt_at__lte=now,
        subscription__is_active=True,
    )


@dataclass(frozen=True)
class Claim:
    deliveries: list[WebhookDelivery]
    lease_until: datetime


def deliveries_claim(*, limit: int = 200) -> Claim:
    """Lease up to ``limit`` due deliveries to this worker (``SKIP LOCKED``, oldest sequence
    first, only the first open one of each subscription and aggregate). A lease that expires
    (the worker was killed) makes them claimable again."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.OMNISHOP_WEBHOOKS_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            _claimable(now)
            .order_by("sequence")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return Claim([], lease_until)
        WebhookDelivery.objects.filter(pk__in=ids).update(lease_until=lease_until)
    deliveries = list(WebhookDelivery.objects.filter(pk__in=ids).select_related("subscription").order_by("sequence"))
    return Claim(deliveries, lease_until)


def retry_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, ±20 % jitter."""
    base = settings.OMNISHOP_WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(base, settings.OMNISHOP_WEBHOOKS_RETRY_CAP_SECONDS) * random.uniform(0.8, 1.2)


def deliveries_record(*, claim: Claim, results: list[AttemptResult]) -> dict[str, int]:
    """Write the attempts and the deliveries' new state in two statements. Rows whose lease
    was lost (expired and claimed by another worker) are left to that worker; their attempt
    is still logged. Returns counts per outcome and ``retry_in`` (seconds to the next retry)."""
    by_id = {d.pk: d for d in claim.deliveries}
    now = timezone.now()
    rows, attempts = [], []
    counts = {"delivered": 0, "retrying": 0, "dead": 0}
    next_retry: float | None = None
    for result in results:
        delivery = by_id[result.delivery_id]
        tries = delivery.attempts + 1
        if result.succeeded:
            status, next_at, delivered_at = WebhookDelivery.Status.DELIVERED, delivery.next_attempt_at, now
        elif tries >= delivery.subscription.max_attempts:
            status, next_at, delivered_at = WebhookDelivery.Status.DEAD, delivery.next_attempt_at, None
        else:
            delay = retry_delay(tries)
            status, next_at, delivered_at = WebhookDelivery.Status.RETRYING, now + timedelta(seconds=delay), None
            next_retry = delay if next_retry is None else min(next_retry, delay)
        counts[status] += 1
        rows.append(
            {
                "id": delivery.pk,
                "status": status,
                "attempts": tries,
                "next": next_at.isoformat(),
                "delivered": delivered_at.isoformat() if delivered_at else None,
                "code": result.status_code,
            }
        )
        attempts.append(
            WebhookAttempt(
                delivery_id=delivery.pk,
                at=now,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                response_excerpt=result.response_excerpt,
                error=result.error,
            )
        )
    table = WebhookDelivery._meta.db_table
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(attempts)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{table}" AS d SET status = r.status, attempts = r.attempts,'  # noqa: S608
                " next_attempt_at = r.next, delivered_at = r.delivered, last_status_code = r.code, lease_until = NULL"
                " FROM jsonb_to_recordset(%s::jsonb)"
                " AS r(id bigint, status text, attempts integer, next timestamptz, delivered timestamptz, code integer)"
                " WHERE d.id = r.id AND d.lease_until = %s",
                [json.dumps(rows), claim.lease_until],
            )
    return {**counts, "retry_in": next_retry}


def deliveries_redeliver(*, deliveries, actor=None) -> int:
    """Send these deliveries again (delivered and dead ones included), with the same event id,
    a fresh attempt budget and their attempt log kept. Deliveries being sent right now are
    left alone. Returns how many were queued."""
    now = timezone.now()
    ids = [getattr(d, "pk", d) for d in deliveries] if not hasattr(deliveries, "values_list") else None
    queryset = WebhookDelivery.objects.filter(pk__in=ids) if ids is not None else deliveries
    with transaction.atomic():
        count = queryset.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(
            status=WebhookDelivery.Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            delivered_at=None,
        )
        if count:
            _deliver_after_commit()
    return count


# --- sweeper and purge ----------------------------------------------------------------------


def webhooks_sweep() -> dict[str, int]:
    """Catch up on what an after-commit dispatch lost: fan out outbox events pending for longer
    than the grace period, and re-queue delivery when deliveries are due (their retry time
    passed, or the lease of a killed worker expired)."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.OMNISHOP_WEBHOOKS_SWEEP_GRACE_SECONDS)
    fanned = 0
    if OutboxEvent.objects.filter(delivered_at__isnull=True, updated_at__lt=grace).exists():
        fanned = deliveries_fan_out()
    due = _claimable(timezone.now()).exists()
    if due:
        from .dispatch import deliver_queue

        deliver_queue()
    return {"fanned_out": fanned, "deliveries_due": int(due)}


def webhooks_purge(*, days: int | None = None, batch: int = 5000) -> dict[str, int]:
    """Delete delivered outbox events and delivered deliveries (with their attempts) older than
    ``OMNISHOP_WEBHOOKS_RETENTION_DAYS``. Dead and open deliveries are kept."""
    days = settings.OMNISHOP_WEBHOOKS_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    purged = {"outbox_events": 0, "deliveries": 0}
    delivered = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED, delivered_at__lt=cutoff)
    for key, queryset in (
        ("deliveries", delivered),
        ("outbox_events", OutboxEvent.objects.filter(delivered_at__lt=cutoff)),
    ):
        while True:
            ids = list(queryset.values_list("pk", flat=True)[:batch])
            if not ids:
                break
            with transaction.atomic():  # fast deletes: the attempts by delivery id, then the rows
                queryset.model.objects.filter(pk__in=ids).delete()
            purged[key] += len(ids)
    return purged
