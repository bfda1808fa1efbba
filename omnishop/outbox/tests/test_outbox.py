import dataclasses
import time
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from omnishop.outbox.models import OutboxEvent, event_id
from omnishop.outbox.services import (
    OutboxMessage,
    outbox_batch,
    outbox_emit,
    outbox_emit_many,
    outbox_mark_delivered,
)


@pytest.mark.django_db
def test_emit_writes_plain_json_payload():
    with transaction.atomic():
        event = outbox_emit(
            type="order.placed",
            aggregate_type="order",
            aggregate_id=42,
            payload={"total": Decimal("10.50"), "at": timezone.now(), "lines": [{"qty": 1}]},
        )
    event.refresh_from_db()
    assert event.aggregate_id == "42" and event.payload["total"] == "10.50"
    assert isinstance(event.payload["at"], str)


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        outbox_emit(type="x", aggregate_type="y", aggregate_id=1, payload={})


@pytest.mark.django_db
def test_rolled_back_change_leaves_no_event():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox_emit(type="x", aggregate_type="y", aggregate_id=1, payload={})
        1 / 0  # noqa: B018
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_coalesced_events_keep_one_pending_row_until_delivered():
    key = "stock.changed:SKU-1:WAW-01"
    for qty in (5, 4, 3):
        with transaction.atomic():
            outbox_emit(
                type="stock.changed",
                aggregate_type="stock",
                aggregate_id="SKU-1",
                payload={"qty": qty},
                coalesce_key=key,
            )
    pending = OutboxEvent.objects.get()
    assert pending.payload == {"qty": 3}
    assert outbox_mark_delivered(events=[pending]) == 1
    with transaction.atomic():
        outbox_emit(
            type="stock.changed", aggregate_type="stock", aggregate_id="SKU-1", payload={"qty": 2}, coalesce_key=key
        )
    assert OutboxEvent.objects.count() == 2
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).get().payload == {"qty": 2}


@pytest.mark.django_db
def test_emit_many_writes_plain_json_for_plain_and_coalesced_events():
    at = timezone.now()
    payload = {"total": Decimal("10.50"), "at": at, "lines": [{"qty": 1}], "note": 'zażółć "gęślą" \\ jaźń'}
    with transaction.atomic():
        outbox_emit_many(
            events=[
                OutboxMessage("order.placed", "order", 7, payload),
                OutboxMessage("stock.changed", "stock", "SKU-1@WAW", payload, version=2, coalesce_key="k:1"),
                OutboxMessage("stock.changed", "stock", "SKU-1@WAW", {**payload, "total": 1}, coalesce_key="k:1"),
            ]
        )
    plain = OutboxEvent.objects.get(coalesce_key="")
    coalesced = OutboxEvent.objects.get(coalesce_key="k:1")
    expected = {"total": "10.50", "at": at.isoformat(), "lines": [{"qty": 1}], "note": payload["note"]}
    assert (plain.type, plain.aggregate_id, plain.payload) == ("order.placed", "7", expected)
    # the last message for a key wins, whole
    assert (coalesced.version, coalesced.payload) == (1, {**expected, "total": 1})


@pytest.mark.django_db
def test_emit_many_refuses_a_payload_that_is_not_json():
    with pytest.raises(TypeError), transaction.atomic():
        outbox_emit_many(events=[OutboxMessage("x", "y", 1, {"bad": object()}, coalesce_key="k")])


def test_event_ids_are_time_ordered_version_7_uuids():
    ids = []
    for _ in range(3):
        ids.append(event_id())
        time.sleep(0.002)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 3
    millis = ids[0].int >> 80
    assert abs(millis - time.time() * 1000) < 5_000


@pytest.mark.django_db
def test_events_written_in_bulk_get_time_ordered_ids_too():
    with transaction.atomic():
        outbox_emit(type="a", aggregate_type="x", aggregate_id=1, payload={})
    time.sleep(0.002)
    with transaction.atomic():
        outbox_emit_many(events=[OutboxMessage("b", "x", 2, {}, coalesce_key="k:2")])
    first, second = (OutboxEvent.objects.get(type=t).id for t in ("a", "b"))
    assert second.version == 7 and second.variant == uuid.RFC_4122
    assert first < second


@pytest.mark.django_db
def test_a_coalesced_event_updated_after_it_was_read_stays_pending_with_the_newer_payload():
    def emit(qty):
        with transaction.atomic():
            outbox_emit(
                type="stock.changed",
                aggregate_type="stock",
                aggregate_id="SKU-1@WAW-01",
                payload={"on_hand": qty},
                coalesce_key="stock.changed:SKU-1:WAW-01",
            )

    emit(1)
    sent = OutboxEvent.objects.get()  # the sender reads the batch and sends on_hand 1 ...
    emit(7)  # ... while the stock changes again: the pending row now says 7
    assert outbox_mark_delivered(events=[sent]) == 0
    pending = OutboxEvent.objects.get(delivered_at__isnull=True)
    assert pending.payload == {"on_hand": 7}
    assert outbox_mark_delivered(events=[pending]) == 1
    assert outbox_mark_delivered(events=[]) == 0


@pytest.mark.django_db
def test_thousands_of_events_are_marked_delivered_at_once():
    with transaction.atomic():
        outbox_emit_many(
            events=[
                OutboxMessage("stock.changed", "stock", f"S{i}@W", {"n": i}, coalesce_key=f"k:{i}")
                for i in range(1_200)
            ]
        )
    sent = list(OutboxEvent.objects.all())
    assert outbox_mark_delivered(events=sent) == 1_200
    assert not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()


@pytest.mark.django_db
def test_events_are_numbered_in_the_order_they_are_written():
    with transaction.atomic():
        outbox_emit_many(events=[OutboxMessage("x.y", "order", i, {"i": i}) for i in range(5)])
        outbox_emit(type="x.y", aggregate_type="order", aggregate_id=5, payload={"i": 5})
    rows = list(OutboxEvent.objects.order_by("sequence").values_list("payload__i", "sequence"))
    assert [i for i, _seq in rows] == [0, 1, 2, 3, 4, 5]
    assert len({seq for _i, seq in rows}) == 6


@pytest.mark.django_db
def test_a_coalesced_update_is_a_new_event_id_and_a_later_sequence():
    """A consumer that de-duplicates by event id never drops the newer payload."""
    message = OutboxMessage("stock.changed", "stock", "SKU-1@WAW", {"qty": 5}, 1, "stock.changed:SKU-1:WAW")
    with transaction.atomic():
        outbox_emit_many(events=[message])
    first = OutboxEvent.objects.get()
    with transaction.atomic():
        outbox_emit_many(events=[dataclasses.replace(message, payload={"qty": 4})])
    second = OutboxEvent.objects.get()
    assert second.payload == {"qty": 4}
    assert second.id != first.id and second.sequence > first.sequence
    assert outbox_mark_delivered(events=[first]) == 0  # what was read before the update stays pending


@pytest.mark.django_db
def test_a_batch_writes_its_events_in_one_statement_in_the_order_they_were_emitted(django_assert_num_queries):
    with transaction.atomic(), django_assert_num_queries(1):  # noqa: SIM117 (the count includes the block's end)
        with outbox_batch():
            assert outbox_emit(type="order.placed", aggregate_type="order", aggregate_id=1, payload={"n": 1}) is None
            outbox_emit_many(
                events=[
                    OutboxMessage("stock.changed", "stock", "B@1", {"on_hand": 1}, coalesce_key="stock:B@1"),
                    OutboxMessage("stock.changed", "stock", "A@1", {"on_hand": 2}, coalesce_key="stock:A@1"),
                    OutboxMessage("stock.changed", "stock", "B@1", {"on_hand": 3}, coalesce_key="stock:B@1"),
                ]
            )
            outbox_emit(type="loyalty.points_earned", aggregate_type="loyalty_account", aggregate_id=7, payload={})
    written = [(e.type, e.aggregate_id, e.payload) for e in OutboxEvent.objects.order_by("sequence")]
    # Plain events as emitted, then the coalesced ones by key, each with its latest payload.
    assert written == [
        ("order.placed", "1", {"n": 1}),
        ("loyalty.points_earned", "7", {}),
        ("stock.changed", "A@1", {"on_hand": 2}),
        ("stock.changed", "B@1", {"on_hand": 3}),
    ]


@pytest.mark.django_db
def test_a_batch_drops_the_events_of_a_savepoint_rolled_back_and_joins_an_outer_batch():
    with transaction.atomic(), outbox_batch():
        outbox_emit(type="kept", aggregate_type="x", aggregate_id=1, payload={})
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            outbox_emit(type="rolled-back", aggregate_type="x", aggregate_id=2, payload={})
            1 / 0  # noqa: B018
        with transaction.atomic(), outbox_batch():  # a nested batch: the outer one writes
            outbox_emit(type="released", aggregate_type="x", aggregate_id=3, payload={})
        assert not OutboxEvent.objects.exists()
    assert list(OutboxEvent.objects.order_by("sequence").values_list("type", flat=True)) == ["kept", "released"]


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_raises_writes_nothing_and_a_batch_needs_a_transaction():
    with pytest.raises(ZeroDivisionError), transaction.atomic(), outbox_batch():
        outbox_emit(type="x", aggregate_type="y", aggregate_id=1, payload={})
        1 / 0  # noqa: B018
    assert not OutboxEvent.objects.exists()
    with pytest.raises(RuntimeError), outbox_batch():
        pass
    with transaction.atomic():  # no batch is left open on the connection
        assert outbox_emit(type="x", aggregate_type="y", aggregate_id=1, payload={}) is not None
