"""Writing outbox events. Call inside the transaction that makes the change."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxEvent

# Called once after each commit of a transaction that wrote outbox events (the webhooks app
# registers its dispatcher in AppConfig.ready()); the outbox knows nothing of its readers.
_COMMIT_LISTENERS: list = []
# The open ``outbox_batch`` of each connection (by alias) of this thread: its events so far.
_batches = threading.local()


def outbox_commit_listener_register(listener) -> None:
    """``listener()`` runs after the commit of every transaction that wrote events."""
    if listener not in _COMMIT_LISTENERS:
        _COMMIT_LISTENERS.append(listener)


def _events_committed() -> None:
    for listener in list(_COMMIT_LISTENERS):
        listener()


def _dispatch_after_commit(connection) -> None:
    """Register ``_events_committed`` once per transaction (a savepoint rolled back drops it
    with the events written in it)."""
    if not _COMMIT_LISTENERS:
        return
    if any(func is _events_committed for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_events_committed, robust=True)


def _json_default(value):
    """``json.dumps(default=...)``: Decimals, UUIDs and datetimes as strings."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _jsonable(value):
    """The value as plain JSON types (what a consumer will read back)."""
    return json.loads(json.dumps(value, default=_json_default))


def outbox_emit(
    *,
    type: str,
    aggregate_type: str,
    aggregate_id,
    payload: dict,
    version: int = 1,
    coalesce_key: str = "",
) -> OutboxEvent | None:
    """Record an event. With ``coalesce_key``, an undelivered event with the same key is
    updated in place (latest payload wins) instead of adding another row.

    Must run inside the caller's transaction (it refuses to run in autocommit), so the event
    exists if and only if the change does.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_emit must be called inside transaction.atomic()")
    batched = getattr(_batches, connection.alias, None) is not None
    if coalesce_key or batched:
        # One coalescing mechanism, and one batch: those of outbox_emit_many.
        outbox_emit_many(events=[OutboxMessage(type, aggregate_type, aggregate_id, payload, version, coalesce_key)])
        return None if batched else OutboxEvent.objects.get(coalesce_key=coalesce_key, delivered_at__isnull=True)
    now = timezone.now()
    _dispatch_after_commit(connection)
    return OutboxEvent.objects.create(
        type=type,
        version=version,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=_jsonable(payload),
        created_at=now,
        updated_at=now,
    )


def outbox_mark_delivered(*, events) -> int:
    """Mark ``events`` delivered, as they were read and sent (rows or anything with ``pk`` and
    ``updated_at``); returns how many were marked.

    A coalesced event can be updated in place after the sender read it (a newer stock figure
    for the same SKU and location): that event keeps its newer payload and stays pending, so
    the next delivery sends it, instead of being marked delivered with a payload nobody got.
    """
    events = list(events)
    now, marked = timezone.now(), 0
    for start in range(0, len(events), 500):  # bounded OR trees: one short statement per 500
        match = Q()
        for event in events[start : start + 500]:
            match |= Q(pk=event.pk, updated_at=event.updated_at)
        marked += OutboxEvent.objects.filter(match, delivered_at__isnull=True).update(delivered_at=now)
    return marked


@dataclass(frozen=True)
class OutboxMessage:
    type: str
    aggregate_type: str
    aggregate_id: object
    payload: dict = field(default_factory=dict)
    version: int = 1
    coalesce_key: str = ""


def outbox_emit_many(*, events) -> None:
    """``outbox_emit`` for many events in one statement: plain events are inserted, coalesced
    ones upserted (``INSERT ... ON CONFLICT`` on the pending-key index), so a busy SKU keeps one
    pending row whose payload is the latest. Inside ``outbox_batch`` they wait for its end."""
    events = list(events)
    if not events:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_emit_many must be called inside transaction.atomic()")
    batch = getattr(_batches, connection.alias, None)
    if batch is not None:
        marker = partial(_kept)
        transaction.on_commit(marker, using=connection.alias)  # dropped if its savepoint rolls back
        batch.append((marker, events))
        return
    _events_write(connection, events)


def _kept() -> None:
    """The marker of a batch's events (``outbox_batch``): does nothing after the commit."""


def _events_write(connection, events: list[OutboxMessage]) -> None:
    now = timezone.now()
    _dispatch_after_commit(connection)
    latest: dict[str, OutboxMessage] = {}
    plain: list[OutboxMessage] = []
    for message in events:
        if message.coalesce_key:
            latest[message.coalesce_key] = message  # the last message for a key wins
        else:
            plain.append(message)
    table = OutboxEvent._meta.db_table
    # Plain events first, in the order they were emitted; then the coalesced ones by key, so
    # concurrent upserts touch the index in one order. A plain event's empty key is outside the
    # pending-key index: it never conflicts.
    keys = sorted(latest)
    conflict = (
        ' ON CONFLICT ("coalesce_key") WHERE "delivered_at" IS NULL AND NOT ("coalesce_key" = \'\')'
        ' DO UPDATE SET "payload" = EXCLUDED."payload", "version" = EXCLUDED."version",'
        ' "updated_at" = EXCLUDED."updated_at", "id" = EXCLUDED."id", "sequence" = EXCLUDED."sequence"'
    )
    columns = (
        '"id", "type", "version", "aggregate_type", "aggregate_id", "payload", "coalesce_key",'
        ' "created_at", "updated_at"'
    )
    with connection.cursor() as cursor:
        # One statement whatever the number of events: the rows travel as one JSON document
        # (encoded in C; 10,000 separate string parameters cost more to quote than to insert).
        # WITH ORDINALITY keeps the rows (and so their sequence numbers) in the document's order.
        rows = json.dumps(
            [
                {"t": m.type, "v": m.version, "a": m.aggregate_type, "i": str(m.aggregate_id), "p": m.payload, "k": k}
                for k, m in [*(("", m) for m in plain), *((k, latest[k]) for k in keys)]
            ],
            default=_json_default,
        )
        cursor.execute(
            f'INSERT INTO "{table}" ({columns})'  # noqa: S608
            " SELECT outbox_event_id(), r.t, r.v, r.a, r.i, r.p, r.k, %s, %s"
            " FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (t text, v integer, a text, i text, p jsonb, k text))"
            " WITH ORDINALITY AS r(t, v, a, i, p, k, n) ORDER BY r.n" + conflict,
            [now, now, rows],
        )


@contextmanager
def outbox_batch() -> Iterator[None]:
    """Write the events emitted in the block (``outbox_emit``, ``outbox_emit_many``) in one
    statement when it ends, still inside the caller's transaction: a placement's order,
    stock, marketplace and loyalty events cost one round trip instead of one each. Events
    emitted in a savepoint that was rolled back are dropped with it; a block that raises
    writes nothing (its transaction is rolled back anyway). Nested blocks join the outermost.
    Inside it ``outbox_emit`` returns None: the row does not exist before the block ends."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_batch must be used inside transaction.atomic()")
    if getattr(_batches, connection.alias, None) is not None:
        yield
        return
    batch: list[tuple[partial, list[OutboxMessage]]] = []
    setattr(_batches, connection.alias, batch)
    try:
        yield
    finally:
        delattr(_batches, connection.alias)
    kept = {func for _sids, func, _robust in connection.run_on_commit}
    events = [message for marker, messages in batch if marker in kept for message in messages]
    if events:
        _events_write(connection, events)
