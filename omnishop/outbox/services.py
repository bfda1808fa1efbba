"""Writing outbox events. Call inside the transaction that makes the change."""

import json
import uuid
from dataclasses import dataclass, field

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
    if coalesce_key:
        # One coalescing mechanism: the upsert of outbox_emit_many.
        outbox_emit_many(events=[OutboxMessage(type, aggregate_type, aggregate_id, payload, version, coalesce_key)])
        return OutboxEvent.objects.get(coalesce_key=coalesce_key, delivered_at__isnull=True)
    now = timezone.now()
    return OutboxEvent.objects.create(
        type=type,
        version=version,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=_jsonable(payload),
        created_at=now,
        updated_at=now,
    )


def outbox_mark_delivered(*, event_ids) -> int:
    return OutboxEvent.objects.filter(pk__in=list(event_ids), delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )


@dataclass(frozen=True)
class OutboxMessage:
    type: str
    aggregate_type: str
    aggregate_id: object
    payload: dict = field(default_factory=dict)
    version: int = 1
    coalesce_key: str = ""


def outbox_emit_many(*, events) -> None:
    """``outbox_emit`` for many events in one or two statements: plain events are inserted,
    coalesced ones upserted (``INSERT ... ON CONFLICT`` on the pending-key index), so a busy
    SKU keeps one pending row whose payload is the latest."""
    events = list(events)
    if not events:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_emit_many must be called inside transaction.atomic()")
    now = timezone.now()
    latest: dict[str, OutboxMessage] = {}
    plain: list[OutboxMessage] = []
    for message in events:
        if message.coalesce_key:
            latest[message.coalesce_key] = message  # the last message for a key wins
        else:
            plain.append(message)
    OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                type=m.type,
                version=m.version,
                aggregate_type=m.aggregate_type,
                aggregate_id=str(m.aggregate_id),
                payload=_jsonable(m.payload),
                created_at=now,
                updated_at=now,
            )
            for m in plain
        ]
    )
    if not latest:
        return
    table = OutboxEvent._meta.db_table
    keys = sorted(latest)  # sorted: concurrent upserts touch the index in one order
    conflict = (
        ' ON CONFLICT ("coalesce_key") WHERE "delivered_at" IS NULL AND NOT ("coalesce_key" = \'\')'
        ' DO UPDATE SET "payload" = EXCLUDED."payload", "version" = EXCLUDED."version",'
        ' "updated_at" = EXCLUDED."updated_at"'
    )
    columns = (
        '"id", "type", "version", "aggregate_type", "aggregate_id", "payload", "coalesce_key",'
        ' "created_at", "updated_at"'
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement with array parameters, whatever the number of events.
            cursor.execute(
                f'INSERT INTO "{table}" ({columns})'  # noqa: S608
                " SELECT gen_random_uuid(), t, v, a, i, p::jsonb, k, %s, %s"
                " FROM unnest(%s::text[], %s::int[], %s::text[], %s::text[], %s::text[], %s::text[])"
                " AS u(t, v, a, i, p, k)" + conflict,
                [
                    now,
                    now,
                    [latest[k].type for k in keys],
                    [latest[k].version for k in keys],
                    [latest[k].aggregate_type for k in keys],
                    [str(latest[k].aggregate_id) for k in keys],
                    [json.dumps(_jsonable(latest[k].payload)) for k in keys],
                    keys,
                ],
            )
            return
        for start in range(0, len(keys), 100):  # SQLite: bounded parameter count per statement
            chunk = keys[start : start + 100]
            params = []
            for key in chunk:
                m = latest[key]
                params += [
                    uuid.uuid4().hex,
                    m.type,
                    m.version,
                    m.aggregate_type,
                    str(m.aggregate_id),
                    json.dumps(_jsonable(m.payload)),
                    key,
                    now,
                    now,
                ]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(f'INSERT INTO "{table}" ({columns}) VALUES {values}' + conflict, params)  # noqa: S608
