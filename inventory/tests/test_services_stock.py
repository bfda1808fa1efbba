from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from catalog.tests.factories import VariantFactory
from inventory.exceptions import IdempotencyConflict, InsufficientStock, StockCountBelowAllocated
from inventory.models import Allocation, Location, StockHold, StockLevel, StockMovement
from inventory.selectors import locations_that_can_serve, stock_available_list
from inventory.services import (
    StockChange,
    StockLine,
    stock_allocate,
    stock_changes_apply,
    stock_fulfil,
    stock_hold_place,
    stock_holds_purge_expired,
    stock_holds_release,
    stock_receive,
    stock_release,
)
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.accounts.tests.factories import UserFactory
from omnishop.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def ledger_sum(variant, location) -> int:
    return StockMovement.objects.filter(variant=variant, location=location).aggregate(s=Sum("quantity"))["s"] or 0


def test_receive_writes_ledger_and_event():
    variant, store = VariantFactory(), LocationFactory()
    stock_receive(variant=variant, location=store, quantity=5, reference="PZ/1")
    stock_receive(variant=variant, location=store, quantity=3, reference="PZ/2")
    assert level(variant, store).on_hand == 8 == ledger_sum(variant, store)
    event = OutboxEvent.objects.get(type="stock.changed")  # coalesced: one pending per SKU+location
    assert event.payload["on_hand"] == 8 and event.payload["sku"] == variant.sku


def test_counts_and_idempotency_keys():
    variant, store = VariantFactory(), LocationFactory()
    change = StockChange(variant.pk, store.pk, StockMovement.Kind.COUNT, count=12, idempotency_key="sync-1:0")
    stock_changes_apply(changes=[change])
    stock_changes_apply(changes=[change])  # a retry changes nothing
    assert level(variant, store).on_hand == 12
    assert StockMovement.objects.count() == 1
    stock_changes_apply(changes=[StockChange(variant.pk, store.pk, "count", count=12)])
    assert StockMovement.objects.count() == 1  # equal count: no entry


def test_a_key_reused_for_another_count_is_a_conflict_not_a_replay():
    variant, store = VariantFactory(), LocationFactory()
    stock_changes_apply(changes=[StockChange(variant.pk, store.pk, "count", count=12, idempotency_key="pos:1")])
    with pytest.raises(IdempotencyConflict) as exc:
        stock_changes_apply(changes=[StockChange(variant.pk, store.pk, "count", count=10, idempotency_key="pos:1")])
    assert exc.value.errors == {"0": ["The idempotency key pos:1 was already used for a different change."]}
    outcome = stock_changes_apply(
        changes=[StockChange(variant.pk, store.pk, "count", count=10, idempotency_key="pos:1")], all_or_nothing=False
    )
    assert (outcome.written, outcome.replayed, list(outcome.problems)) == ([], [], [0])
    assert level(variant, store).on_hand == 12 and StockMovement.objects.count() == 1


def test_ledger_keeps_every_field_of_each_change():
    variant, store, user = VariantFactory(), LocationFactory(), UserFactory()
    note = 'Inwentaryzacja "A" \\ zażółć'
    changes = [
        StockChange(variant.pk, store.pk, StockMovement.Kind.RECEIPT, quantity=7, idempotency_key="pz:1", note=note),
        StockChange(variant.pk, store.pk, StockMovement.Kind.ADJUSTMENT, quantity=-2),
    ]
    stock_changes_apply(changes=changes, actor=user, reference="PZ/7")
    rows = list(
        StockMovement.objects.order_by("id").values_list(
            "kind", "quantity", "on_hand_after", "idempotency_key", "note", "reference", "actor_id"
        )
    )
    assert rows == [
        ("receipt", 7, 7, "pz:1", note, "PZ/7", user.pk),
        ("adjustment", -2, 5, None, "", "PZ/7", user.pk),
    ]


def test_count_below_allocated_is_refused_with_nothing_written():
    variant, store, other = VariantFactory(), LocationFactory(), VariantFactory()
    stock_receive(variant=variant, location=store, quantity=5)
    stock_allocate(lines=[StockLine(variant.pk, store.pk, 4)], reference="order:1", online=False)
    with pytest.raises(StockCountBelowAllocated) as exc:
        stock_changes_apply(
            changes=[
                StockChange(other.pk, store.pk, "receipt", quantity=2),
                StockChange(variant.pk, store.pk, "count", count=3),
            ]
        )
    assert "1" in exc.value.errors
    assert level(variant, store).on_hand == 5
    assert not StockLevel.objects.filter(variant=other, on_hand__gt=0).exists()


def test_database_refuses_an_oversell_even_without_the_service():
    variant, store = VariantFactory(), LocationFactory()
    stock_receive(variant=variant, location=store, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant, location=store).update(allocated=2)


def test_allocate_release_fulfil_keep_the_books():
    variant, store = VariantFactory(), WarehouseFactory()
    stock_receive(variant=variant, location=store, quantity=10)
    allocations = stock_allocate(lines=[StockLine(variant.pk, store.pk, 3)], reference="order:1")
    assert level(variant, store).allocated == 3
    stock_release(allocations=allocations)
    stock_release(allocations=allocations)  # idempotent
    assert level(variant, store).allocated == 0
    second = stock_allocate(lines=[StockLine(variant.pk, store.pk, 4)], reference="order:2")
    stock_fulfil(allocations=second, reference="WZ/2")
    lvl = level(variant, store)
    assert (lvl.on_hand, lvl.allocated) == (6, 0)
    assert ledger_sum(variant, store) == 6
    assert StockMovement.objects.filter(kind="sale").get().quantity == -4
    assert set(Allocation.objects.values_list("status", flat=True)) == {"released", "fulfilled"}


def test_allocation_respects_safety_stock_holds_and_ring_fence():
    variant = VariantFactory()
    store = LocationFactory(ring_fence=2)
    stock_receive(variant=variant, location=store, quantity=10)
    StockLevel.objects.filter(variant=variant, location=store).update(safety_stock=1)
    stock_hold_place(
        lines=[StockLine(variant.pk, store.pk, 3)], kind="cart", reference="cart:9", ttl=timedelta(minutes=30)
    )
    # online: 10 - 1 safety - 3 held - 2 ring-fence = 4; in the store itself: 6
    with pytest.raises(InsufficientStock) as exc:
        stock_allocate(lines=[StockLine(variant.pk, store.pk, 5)], reference="order:web")
    assert exc.value.errors == {f"{variant.pk}@{store.pk}": ["5 wanted, 4 available."]}
    stock_allocate(lines=[StockLine(variant.pk, store.pk, 6)], reference="order:pos", online=False)
    # the customer's own hold does not block their order and is consumed by it
    stock_allocate(
        lines=[StockLine(variant.pk, store.pk, 3)], reference="order:cart9", online=False, release_holds="cart:9"
    )
    assert not StockHold.objects.exists()


@pytest.mark.parametrize("online", [True, False])
def test_an_inactive_location_has_nothing_to_allocate_or_hold(online):
    variant, store, wh = VariantFactory(), LocationFactory(), WarehouseFactory()
    for location in (store, wh):
        stock_receive(variant=variant, location=location, quantity=5)
    Location.objects.filter(pk=store.pk).update(is_active=False)
    lines = [StockLine(variant.pk, wh.pk, 1), StockLine(variant.pk, store.pk, 1)]
    short = {f"{variant.pk}@{store.pk}": ["1 wanted, none available: the location is not active."]}
    with pytest.raises(InsufficientStock) as exc:
        stock_allocate(lines=lines, reference="order:1", online=online)
    assert exc.value.errors == short
    with pytest.raises(InsufficientStock) as exc:
        stock_hold_place(lines=lines, kind="ropis", reference="ropis:1", ttl=timedelta(hours=1), online=online)
    assert exc.value.errors == short
    assert not Allocation.objects.exists() and not StockHold.objects.exists()
    assert StockLevel.objects.filter(allocated__gt=0).count() == 0
    # The active warehouse alone is fine.
    stock_allocate(lines=lines[:1], reference="order:2", online=online)
    assert level(variant, wh).allocated == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"quantity": 0}, "lines"),
        ({"quantity": -2}, "lines"),
        ({"kind": "forever"}, "kind"),
        ({"ttl": timedelta(0)}, "ttl"),
        ({"ttl": timedelta(minutes=-5)}, "ttl"),
    ],
)
def test_a_hold_needs_units_a_known_kind_and_a_lifetime(change, field):
    variant, other, store = VariantFactory(), VariantFactory(), WarehouseFactory()
    for v in (variant, other):
        stock_receive(variant=v, location=store, quantity=5)
    [earlier] = stock_hold_place(
        lines=[StockLine(variant.pk, store.pk, 2)], kind="cart", reference="cart:1", ttl=timedelta(minutes=30)
    )
    call = {"kind": "cart", "ttl": timedelta(minutes=30)} | change
    line = StockLine(variant.pk, store.pk, change.get("quantity", 1))
    for lines in ([StockLine(other.pk, store.pk, 1), line], [line]):  # some lines or every line at fault
        with pytest.raises(ValidationError) as exc:
            stock_hold_place(lines=lines, kind=call["kind"], reference="cart:1", ttl=call["ttl"])
        assert set(exc.value.message_dict) == {field}
    # Refused: the earlier hold stands as it was.
    assert list(StockHold.objects.values_list("pk", "variant_id", "quantity", "kind", "expires_at")) == [
        (earlier.pk, variant.pk, 2, "cart", earlier.expires_at)
    ]


def test_a_hold_of_no_lines_replaces_earlier_holds_with_nothing():
    """What a cart whose lines can no longer be held does; stock_holds_release does the same."""
    variant, store = VariantFactory(), WarehouseFactory()
    stock_receive(variant=variant, location=store, quantity=5)
    for release in (
        lambda: stock_hold_place(lines=[], kind="cart", reference="cart:1", ttl=timedelta(minutes=30)),
        lambda: stock_holds_release(reference="cart:1"),
    ):
        stock_hold_place(
            lines=[StockLine(variant.pk, store.pk, 2)], kind="cart", reference="cart:1", ttl=timedelta(minutes=30)
        )
        release()
        assert not StockHold.objects.exists()


def test_expired_holds_do_not_count_and_are_purged():
    variant, store = VariantFactory(), WarehouseFactory()
    stock_receive(variant=variant, location=store, quantity=2)
    [hold] = stock_hold_place(
        lines=[StockLine(variant.pk, store.pk, 2)], kind="checkout", reference="c:1", ttl=timedelta(minutes=1)
    )
    later = hold.expires_at + timedelta(seconds=1)
    [row] = stock_available_list(variant_ids=[variant.pk], online=True, at=later)
    assert (row.held, row.available) == (0, 2)
    assert stock_holds_purge_expired(now=hold.expires_at - timedelta(seconds=1)) == 0
    assert stock_holds_purge_expired(now=later) == 1


def test_availability_and_nearest_locations_that_can_serve():
    a, b = VariantFactory(), VariantFactory()
    krakow = LocationFactory(code="krk", latitude="50.061947", longitude="19.936856")
    gdansk = LocationFactory(code="gda", latitude="54.352025", longitude="18.646638")
    waw = LocationFactory(code="waw", latitude="52.229676", longitude="21.012229")
    for loc in (krakow, gdansk):
        stock_receive(variant=a, location=loc, quantity=3)
        stock_receive(variant=b, location=loc, quantity=1)
    stock_receive(variant=a, location=waw, quantity=5)  # no b in Warsaw
    rows = stock_available_list(variant_ids=[a.pk, b.pk], online=True)
    assert {(r.variant_id, r.location_id): r.available for r in rows}[(a.pk, waw.pk)] == 5
    # from Łódź: Warsaw is nearest but lacks b; Kraków (~190 km) beats Gdańsk (~290 km)
    found = list(
        locations_that_can_serve(lines={a.pk: 2, b.pk: 1}, online=True, latitude=51.759445, longitude=19.457216)
    )
    assert [loc.code for loc in found] == ["krk", "gda"]
    assert 180 < found[0].distance_km < 200


def test_a_write_the_database_refuses_rolls_the_whole_change_back():
    """The ledger, stock and outbox writes go out together (pipelined on PostgreSQL): a refusal
    by the database surfaces as Django's IntegrityError (on PostgreSQL, named by its constraint,
    as the IdempotencyConflict it means) and leaves nothing half-written."""
    variant, store = VariantFactory(), LocationFactory()
    change = StockChange(variant.pk, store.pk, StockMovement.Kind.RECEIPT, quantity=2, idempotency_key="PZ/7:1")
    stock_changes_apply(changes=[change], reference="PZ/7")
    events = OutboxEvent.objects.count()
    # Misuse on purpose: the key exists under another reference, so the insert collides.
    with pytest.raises(IdempotencyConflict):
        stock_changes_apply(changes=[change], reference="PZ/8", keys_belong_to_reference=True)
    assert (level(variant, store).on_hand, ledger_sum(variant, store)) == (2, 2)
    assert OutboxEvent.objects.count() == events
    stock_receive(variant=variant, location=store, quantity=1)  # the connection goes on working
    assert level(variant, store).on_hand == 3


def test_allocating_less_than_one_unit_is_refused():
    variant, store = VariantFactory(), LocationFactory()
    stock_receive(variant=variant, location=store, quantity=3)
    with pytest.raises(ValidationError):
        stock_allocate(lines=[StockLine(variant.pk, store.pk, 0)], reference="order:0")
    assert level(variant, store).allocated == 0 and not Allocation.objects.exists()


def test_a_refused_allocation_leaves_no_allocated_unit_and_no_allocation_row():
    """The allocation raises ``allocated`` and records its rows in the statement that reads the
    holds, then checks: a shortage takes those writes back with it."""
    variant = VariantFactory()
    store = LocationFactory()
    stock_receive(variant=variant, location=store, quantity=4)
    stock_hold_place(
        lines=[StockLine(variant.pk, store.pk, 2)], kind="cart", reference="cart:1", ttl=timedelta(minutes=30)
    )
    with pytest.raises(InsufficientStock) as exc:
        stock_allocate(lines=[StockLine(variant.pk, store.pk, 3)], reference="order:a", online=False)
    assert exc.value.errors == {f"{variant.pk}@{store.pk}": ["3 wanted, 2 available."]}
    assert StockLevel.objects.get(variant=variant, location=store).allocated == 0
    assert not Allocation.objects.exists()
    with pytest.raises(InsufficientStock), transaction.atomic():
        stock_allocate(lines=[StockLine(variant.pk, store.pk, 3)], reference="order:b", online=False, savepoint=False)
    assert StockLevel.objects.get(variant=variant, location=store).allocated == 0
    assert not Allocation.objects.exists()
    [allocation] = stock_allocate(lines=[StockLine(variant.pk, store.pk, 2)], reference="order:c", online=False)
    assert (allocation.quantity, allocation.status, allocation.reference) == (2, "open", "order:c")
    assert StockLevel.objects.get(variant=variant, location=store).allocated == 2
