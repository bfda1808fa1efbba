"""Writing outbox events. Call inside the transaction that makes the change."""

from django.db import transaction
from django.utils import timezone

from .models import OutboxEvent


def _jsonable(value):
    """Decimals and datetimes as strings, so payloads are plain JSON."""
    from datetime import date, datetime
    from decimal import Decimal
    from uuid import UUID

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def outbox_emit(
    *,
    type: str,
    aggregate_type: str,
    aggregate_id,
    payload: dict,
    version: int = 1,
    coalesce_key: str = "",
) -> OutboxEvent:
    """Record an event. With ``coalesce_key``, an undelivered event with the same key is
    updated in place (latest payload wins) instead of adding another row.

    Must run inside the caller's transaction (it refuses to run in autocommit), so the event
    exists if and only if the change does.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_emit must be called inside transaction.atomic()")
    payload = _jsonable(payload)
    now = timezone.now()
    if coalesce_key:
        pending = (
            OutboxEvent.objects.select_for_update().filter(coalesce_key=coalesce_key, delivered_at__isnull=True).first()
        )
        if pending is not None:
            pending.payload = payload
            pending.version = version
            pending.updated_at = now
            pending.save(update_fields=["payload", "version", "updated_at"])
            return pending
    return OutboxEvent.objects.create(
        type=type,
        version=version,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload,
        coalesce_key=coalesce_key,
        created_at=now,
        updated_at=now,
    )


def outbox_mark_delivered(*, event_ids) -> int:
    return OutboxEvent.objects.filter(pk__in=list(event_ids), delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )
