"""POST /api/v1/stock/sync/: counts and deltas from POS, ERP and WMS."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Sum

from catalog.models import Channel
from catalog.tests.factories import ChannelFactory, VariantFactory
from conftest import run_in_threads
from inventory.exceptions import IdempotencyConflict
from inventory.models import Allocation, StockLevel, StockMovement, StockSync
from inventory.services import StockLine, StockSyncRow, stock_allocate, stock_receive, stock_sync_apply
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.accounts.tests.factories import UserFactory
from omnishop.apikeys.services import apikey_create
from omnishop.outbox.models import OutboxEvent

URL = "/api/v1/stock/sync/"


@pytest.fixture
def stock(db):
    """Two locations, three SKUs; 5 of A at the warehouse, 2 of them allocated."""
    wh, store = WarehouseFactory(code="wh-1"), LocationFactory(code="st-1")
    variants = {sku: VariantFactory(sku=sku) for sku in ("A", "B", "C")}
    stock_receive(variant=variants["A"], location=wh, quantity=5)
    stock_allocate(lines=[StockLine(variants["A"].pk, wh.pk, 2)], reference="order:1", online=False)
    return {"wh": wh, "store": store, **variants}


@pytest.fixture
def sync_key(db):
    channel = ChannelFactory(code="erp", kind=Channel.Kind.B2B, api_key_required=True)
    _row, plain = apikey_create(channel=channel, name="ERP", scopes=["stock:sync"])
    return {"HTTP_AUTHORIZATION": f"Api-Key {plain}"}


def on_hand(variant, location) -> int:
    level = StockLevel.objects.filter(variant=variant, location=location).first()
    return level.on_hand if level else 0


def ledger_sum(variant, location) -> int:
    return StockMovement.objects.filter(variant=variant, location=location).aggregate(s=Sum("quantity"))["s"] or 0


def body(rows, *, sync_id="sync-1", mode="absolute", policy="reject_all"):
    return {
        "sync_id": sync_id,
        "mode": mode,
        "error_policy": policy,
        "rows": [{"location": loc, "sku": sku, "quantity": q} for loc, sku, q in rows],
    }


def post(api_client, payload, auth):
    return api_client.post(URL, payload, format="json", **auth)


def assert_books_balance():
    for level in StockLevel.objects.all():
        open_allocated = Allocation.objects.filter(
            variant=level.variant_id, location=level.location_id, status="open"
        ).aggregate(s=Sum("quantity"))["s"]
        assert level.on_hand == ledger_sum(level.variant_id, level.location_id)
        assert level.allocated == (open_allocated or 0)
        assert 0 <= level.allocated <= level.on_hand


# --- the happy paths --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_absolute_counts_write_one_count_entry_per_changed_row(api_client, stock, sync_key):
    rows = [("wh-1", "A", 7), ("st-1", "B", 3), ("wh-1", "C", 0), ("st-1", "A", 4)]
    response = post(api_client, body(rows), sync_key)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "sync_id": "sync-1",
        "mode": "absolute",
        "error_policy": "reject_all",
        "received": 4,
        "applied": 3,
        "unchanged": 1,  # C at the warehouse: counted 0, already 0
        "replayed": 0,
        "failed": 0,
        "errors": {},
    }
    assert on_hand(stock["A"], stock["wh"]) == 7 and on_hand(stock["B"], stock["store"]) == 3
    entries = StockMovement.objects.filter(reference="sync:sync-1").order_by("idempotency_key")
    assert [(m.kind, m.quantity, m.on_hand_after, m.idempotency_key) for m in entries] == [
        ("count", 2, 7, "sync:sync-1:0"),
        ("count", 3, 3, "sync:sync-1:1"),
        ("count", 4, 4, "sync:sync-1:3"),
    ]
    assert all(m.note.startswith("API key ") and m.actor_id is None for m in entries)
    events = OutboxEvent.objects.filter(type="stock.changed").order_by("aggregate_id")
    assert [(e.aggregate_id, e.payload["on_hand"]) for e in events] == [("A@st-1", 4), ("A@wh-1", 7), ("B@st-1", 3)]
    assert_books_balance()


@pytest.mark.django_db
def test_deltas_write_adjustments_in_row_order(api_client, stock, sync_key):
    rows = [("wh-1", "A", 3), ("wh-1", "A", -6), ("st-1", "C", 2), ("st-1", "C", 0)]
    response = post(api_client, body(rows, mode="delta"), sync_key)
    assert response.status_code == 200, response.json()
    assert response.json()["applied"] == 3 and response.json()["unchanged"] == 1
    assert on_hand(stock["A"], stock["wh"]) == 2 and on_hand(stock["C"], stock["store"]) == 2
    entries = StockMovement.objects.filter(reference="sync:sync-1").order_by("idempotency_key")
    assert [(m.kind, m.quantity, m.on_hand_after) for m in entries] == [
        ("adjustment", 3, 8),
        ("adjustment", -6, 2),
        ("adjustment", 2, 2),
    ]
    # One coalesced event per SKU and location, with the final figures.
    assert OutboxEvent.objects.get(aggregate_id="A@wh-1").payload["on_hand"] == 2
    assert_books_balance()


@pytest.mark.django_db
def test_same_sync_id_twice_writes_each_row_once_and_answers_the_same(api_client, stock, sync_key):
    payload = body([("wh-1", "A", 2), ("st-1", "B", 1)], mode="delta")
    first = post(api_client, payload, sync_key).json()
    second = post(api_client, payload, sync_key).json()
    assert StockMovement.objects.filter(reference="sync:sync-1").count() == 2
    assert on_hand(stock["A"], stock["wh"]) == 7 and on_hand(stock["B"], stock["store"]) == 1
    assert first["replayed"] == 0 and second["replayed"] == 2
    assert {**second, "replayed": 0} == first
    # A new sync_id is a new sync.
    post(api_client, {**payload, "sync_id": "sync-2"}, sync_key)
    assert on_hand(stock["A"], stock["wh"]) == 9


@pytest.mark.django_db
def test_a_sync_id_reused_for_other_rows_is_refused(api_client, stock, sync_key):
    post(api_client, body([("wh-1", "A", 2)], mode="delta"), sync_key)
    response = post(api_client, body([("wh-1", "B", 2)], mode="delta"), sync_key)
    assert response.status_code == 409
    assert response.json()["type"] == "idempotency_conflict"
    assert "sync_id sync-1 was used on" in response.json()["errors"]["sync_id"][0]
    assert on_hand(stock["B"], stock["wh"]) == 0
    # The same rows under another error policy are another request too.
    response = post(api_client, body([("wh-1", "A", 2)], mode="delta", policy="reject_failed"), sync_key)
    assert response.status_code == 409
    assert on_hand(stock["A"], stock["wh"]) == 7


@pytest.mark.django_db
def test_a_late_retry_sets_no_row_back_to_its_old_count(api_client, stock, sync_key):
    # A is counted as it stands (nothing to write), B changes.
    first = post(api_client, body([("wh-1", "A", 5), ("st-1", "B", 3)]), sync_key).json()
    assert (first["applied"], first["unchanged"]) == (1, 1)
    # Another sync moves both on; the first sync, retried late, answers the same and changes nothing.
    post(api_client, body([("wh-1", "A", 8), ("st-1", "B", 4)], sync_id="sync-2"), sync_key)
    again = post(api_client, body([("wh-1", "A", 5), ("st-1", "B", 3)]), sync_key).json()
    assert again["replayed"] == 1 and {**again, "replayed": 0} == first
    assert on_hand(stock["A"], stock["wh"]) == 8 and on_hand(stock["B"], stock["store"]) == 4
    # The same sync_id with another count for a row is not a retry: refused, and it says so.
    response = post(api_client, body([("wh-1", "A", 5), ("st-1", "B", 5)]), sync_key)
    assert response.status_code == 409
    assert response.json()["type"] == "idempotency_conflict"
    assert list(response.json()["errors"]) == ["sync_id"]
    assert on_hand(stock["B"], stock["store"]) == 4
    assert StockMovement.objects.filter(reference="sync:sync-1").count() == 1
    assert StockSync.objects.get(sync_id="sync-1").applied == 1
    assert_books_balance()


@pytest.mark.django_db
def test_without_its_kept_answer_a_sync_is_still_applied_once_by_its_ledger_keys(api_client, stock, sync_key):
    # A call that stopped after writing, before its answer was kept: the ledger keys still decide.
    first = post(api_client, body([("wh-1", "A", 7), ("st-1", "B", 3)]), sync_key).json()
    StockSync.objects.all().delete()
    post(api_client, body([("wh-1", "A", 8)], sync_id="sync-2"), sync_key)
    again = post(api_client, body([("wh-1", "A", 7), ("st-1", "B", 3)]), sync_key).json()
    assert again["replayed"] == 2 and {**again, "replayed": 0} == first
    assert on_hand(stock["A"], stock["wh"]) == 8
    StockSync.objects.all().delete()
    # Another count for an applied row is refused row by row.
    response = post(api_client, body([("wh-1", "A", 7), ("st-1", "B", 4)]), sync_key)
    assert response.status_code == 409
    assert response.json()["errors"] == {
        "rows.1.quantity": ["The idempotency key sync:sync-1:1 was already used for a different change."]
    }
    assert on_hand(stock["B"], stock["store"]) == 3
    # reject_failed: the row fails, it is neither applied nor replayed.
    summary = post(api_client, body([("wh-1", "A", 7), ("st-1", "B", 4)], policy="reject_failed"), sync_key).json()
    assert (summary["applied"], summary["replayed"], summary["failed"]) == (1, 1, 1)
    assert "already used for a different change" in summary["errors"]["rows.1.quantity"][0]
    assert on_hand(stock["B"], stock["store"]) == 3
    assert StockMovement.objects.filter(reference="sync:sync-1").count() == 2
    assert_books_balance()


@pytest.mark.django_db
def test_a_reused_sync_id_is_named_even_when_other_rows_conflict_with_the_stock(api_client, stock, sync_key):
    post(api_client, body([("st-1", "B", 3)]), sync_key)
    StockSync.objects.all().delete()  # judged by the ledger keys, row by row
    response = post(api_client, body([("st-1", "B", 4), ("wh-1", "A", 1)]), sync_key)
    assert response.status_code == 409
    assert response.json()["type"] == "idempotency_conflict"
    assert response.json()["errors"] == {
        "rows.0.quantity": ["The idempotency key sync:sync-1:0 was already used for a different change."],
        "rows.1.quantity": ["On hand would be 1 but 2 units are allocated."],
    }
    assert on_hand(stock["A"], stock["wh"]) == 5 and on_hand(stock["B"], stock["store"]) == 3


@pytest.mark.django_db
def test_a_sync_refused_as_a_whole_is_not_kept_and_may_be_sent_again(api_client, stock, sync_key):
    # Refused: 2 units of A are allocated. Nothing was written, so the same sync_id is still free.
    assert post(api_client, body([("wh-1", "A", 1)]), sync_key).status_code == 409
    assert not StockSync.objects.exists()
    assert post(api_client, body([("wh-1", "A", 2)]), sync_key).status_code == 200
    assert on_hand(stock["A"], stock["wh"]) == 2
    kept = StockSync.objects.get()
    assert (kept.sync_id, kept.mode, kept.received, kept.applied, kept.failed) == ("sync-1", "absolute", 1, 1, 0)


@pytest.mark.django_db
def test_rows_for_a_location_without_a_stock_row_create_it(api_client, stock, sync_key):
    store2 = LocationFactory(code="st-2")
    assert post(api_client, body([("st-2", "C", 9)]), sync_key).status_code == 200
    assert on_hand(stock["C"], store2) == 9


# --- errors -------------------------------------------------------------------------------------------


BAD_ROWS = [
    ("wh-1", "A", 6),  # fine
    ("nowhere", "A", 1),  # unknown location
    ("wh-1", "NOPE", 1),  # unknown SKU
    ("wh-1", "B", "1.5"),  # not a whole number
    ("wh-1", "B", -1),  # negative count
    ("", "B", None),  # no location, no quantity
]


@pytest.mark.django_db
def test_reject_all_with_bad_rows_writes_nothing_and_names_each_row(api_client, stock, sync_key):
    before = StockMovement.objects.count()
    response = post(api_client, body(BAD_ROWS), sync_key)
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "validation_error"
    assert error["errors"] == {
        "rows.1.location": ["Unknown location nowhere."],
        "rows.2.sku": ["Unknown SKU NOPE."],
        "rows.3.quantity": ["Enter a whole number."],
        "rows.4.quantity": ["A count cannot be negative."],
        "rows.5.location": ["Enter a location code."],
        "rows.5.quantity": ["Enter a whole number."],
    }
    assert StockMovement.objects.count() == before and on_hand(stock["A"], stock["wh"]) == 5


@pytest.mark.django_db
def test_reject_all_with_stock_conflicts_writes_nothing(api_client, stock, sync_key):
    rows = [("st-1", "B", 4), ("wh-1", "A", 1)]  # 2 of A are allocated at the warehouse
    response = post(api_client, body(rows), sync_key)
    assert response.status_code == 409
    assert response.json()["type"] == "count_below_allocated"
    assert response.json()["errors"] == {"rows.1.quantity": ["On hand would be 1 but 2 units are allocated."]}
    assert on_hand(stock["B"], stock["store"]) == 0 and on_hand(stock["A"], stock["wh"]) == 5
    assert not StockMovement.objects.filter(reference="sync:sync-1").exists()
    assert not OutboxEvent.objects.filter(aggregate_id="B@st-1").exists()

    response = post(api_client, body([("wh-1", "A", -6)], mode="delta", sync_id="sync-2"), sync_key)
    assert response.json()["errors"] == {"rows.0.quantity": ["On hand would fall to -1."]}


@pytest.mark.django_db
def test_reject_failed_applies_the_valid_rows_and_lists_the_rest(api_client, stock, sync_key):
    rows = [*BAD_ROWS, ("wh-1", "A", 1), ("st-1", "C", 2)]  # the first row is fine, A=1 is below allocated
    response = post(api_client, body(rows, policy="reject_failed"), sync_key)
    assert response.status_code == 200, response.json()
    summary = response.json()
    assert summary["applied"] == 2 and summary["failed"] == 6 and summary["unchanged"] == 0
    assert set(summary["errors"]) == {
        "rows.1.location",
        "rows.2.sku",
        "rows.3.quantity",
        "rows.4.quantity",
        "rows.5.location",
        "rows.5.quantity",
        "rows.6.quantity",
    }
    assert summary["errors"]["rows.6.quantity"] == ["On hand would be 1 but 2 units are allocated."]
    assert on_hand(stock["A"], stock["wh"]) == 6 and on_hand(stock["C"], stock["store"]) == 2
    assert_books_balance()
    # A retry gets the same answer and writes nothing.
    again = post(api_client, body(rows, policy="reject_failed"), sync_key).json()
    assert again["applied"] == 2 and again["replayed"] == 2 and again["errors"] == summary["errors"]
    assert StockMovement.objects.filter(reference="sync:sync-1").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"mode": "absolute", "rows": [{"location": "wh-1", "sku": "A", "quantity": 1}]}, "sync_id"),
        ({"sync_id": "s", "mode": "sideways", "rows": [{"location": "wh-1", "sku": "A", "quantity": 1}]}, "mode"),
        ({"sync_id": "s", "mode": "delta", "rows": []}, "rows"),
        ({"sync_id": "s", "mode": "delta", "rows": {"location": "wh-1"}}, "rows"),
        ({"sync_id": "bad id!", "mode": "delta", "rows": [{"location": "wh-1", "sku": "A", "quantity": 1}]}, "sync_id"),
        ({"sync_id": "s" * 65, "mode": "delta", "rows": [{"location": "wh-1", "sku": "A", "quantity": 1}]}, "sync_id"),
    ],
)
def test_malformed_requests(api_client, stock, sync_key, payload, field):
    response = post(api_client, payload, sync_key)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("sync_id", ["", "s" * 65, "x" * 120, "bad id!", "erp-1\n", "erp;1", None, 42])
def test_the_service_refuses_a_sync_id_the_api_would_refuse(stock, sync_id):
    """The CSV import and admin reach stock_sync_apply without the serializer: the ledger's
    reference and key columns would not hold a longer id (a database error on PostgreSQL)."""
    with pytest.raises(ValidationError) as exc:
        stock_sync_apply(sync_id=sync_id, mode="absolute", rows=[StockSyncRow("wh-1", "B", 4)])
    assert exc.value.message_dict == {"sync_id": ["A sync id is 1 to 64 letters, digits or . _ : @ / - characters."]}
    assert not StockMovement.objects.filter(variant=stock["B"]).exists()


@pytest.mark.django_db
def test_the_longest_sync_id_fits_the_ledger(api_client, stock, sync_key):
    sync_id = "pos-store-012/2025-03-01T21:05:00@erp.example_" + "9" * 18
    assert len(sync_id) == 64
    rows = [("wh-1", "B", 1)] * 3 + [("st-1", "C", 2)]
    response = post(api_client, body(rows, sync_id=sync_id, mode="delta"), sync_key)
    assert response.status_code == 200, response.json()
    assert StockMovement.objects.filter(reference=f"sync:{sync_id}").count() == 4


@pytest.mark.django_db
def test_a_row_that_is_not_an_object_fails_alone(api_client, stock, sync_key):
    payload = body([("wh-1", "A", 6)], policy="reject_failed")
    payload["rows"].append("wh-1,B,1")
    summary = post(api_client, payload, sync_key).json()
    assert summary["applied"] == 1 and summary["failed"] == 1
    assert set(summary["errors"]) == {"rows.1.location", "rows.1.sku", "rows.1.quantity"}


@pytest.mark.django_db
def test_at_most_10000_rows(api_client, stock, sync_key):
    rows = [("wh-1", "B", 1)] * 10_001
    response = post(api_client, body(rows, mode="delta"), sync_key)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "rows": ["At most 10000 rows per request (got 10001): send the sync in several requests."]
    }
    assert not StockMovement.objects.filter(variant=stock["B"]).exists()
    response = post(api_client, body(rows[:10_000], mode="delta"), sync_key)
    assert response.status_code == 200, response.json()
    assert on_hand(stock["B"], stock["wh"]) == 10_000
    assert StockMovement.objects.filter(variant=stock["B"]).count() == 10_000


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_rows(api_client, stock, sync_key, django_assert_max_num_queries):
    locations = [LocationFactory(code=f"st-q{i}") for i in range(20)]
    variants = [VariantFactory(sku=f"Q-{i}") for i in range(10)]
    # Rows exist from a first sync; later syncs of 10 or 200 rows cost the same queries.
    rows = [(loc.code, v.sku, 1) for loc in locations for v in variants]
    post(api_client, body(rows, sync_id="warm"), sync_key)
    # key, kept syncs, locations, SKUs, savepoint, lock, replayed keys, ledger, stock rows, events, release,
    # the kept answer
    with django_assert_max_num_queries(14) as small:
        post(api_client, body([(r[0], r[1], 2) for r in rows[:10]], sync_id="small"), sync_key)
    with django_assert_max_num_queries(14) as large:
        post(api_client, body([(r[0], r[1], 2) for r in rows], sync_id="large"), sync_key)
    assert len(small.captured_queries) == len(large.captured_queries)


# --- who may sync -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_401(api_client, stock):
    response = post(api_client, body([("wh-1", "A", 1)]), {})
    assert response.status_code == 401
    assert response.json()["type"] == "not_authenticated"


@pytest.mark.django_db
def test_api_key_without_the_scope_is_403(api_client, stock):
    channel = ChannelFactory(code="pos", kind=Channel.Kind.STORE)
    _row, plain = apikey_create(channel=channel, name="POS", scopes=["stock:read"])
    response = post(api_client, body([("wh-1", "A", 1)]), {"HTTP_AUTHORIZATION": f"Api-Key {plain}"})
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the stock:sync scope."


@pytest.mark.django_db
def test_any_channel_key_with_the_scope_may_sync(api_client, stock):
    """Stock is not per channel: a marketplace integration with the scope syncs like the ERP."""
    channel = ChannelFactory(code="allegro", kind=Channel.Kind.MARKETPLACE, api_key_required=True)
    _row, plain = apikey_create(channel=channel, name="Allegro WMS", scopes=["stock:sync"])
    response = post(api_client, body([("st-1", "B", 1)]), {"HTTP_AUTHORIZATION": f"Api-Key {plain}"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_staff_needs_the_add_stockmovement_permission(api_client, stock):
    clerk = UserFactory(is_staff=True)
    api_client.force_authenticate(clerk)
    assert post(api_client, body([("wh-1", "A", 6)]), {}).status_code == 403
    customer = UserFactory()
    customer.user_permissions.add(Permission.objects.get(codename="add_stockmovement"))
    api_client.force_authenticate(customer)
    assert post(api_client, body([("wh-1", "A", 6)]), {}).status_code == 403

    manager = UserFactory(is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="add_stockmovement"))
    api_client.force_authenticate(manager)
    response = post(api_client, body([("wh-1", "A", 6)]), {})
    assert response.status_code == 200, response.json()
    assert StockMovement.objects.get(reference="sync:sync-1").actor == manager


# --- concurrency (PostgreSQL, real threads) ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_syncs_touching_the_same_rows_in_opposite_order_do_not_deadlock():
    locations = [WarehouseFactory(code=f"wh-{i}") for i in range(3)]
    variants = [VariantFactory(sku=f"SKU-{i}") for i in range(4)]
    cells = [(loc.code, v.sku) for loc in locations for v in variants]
    for location in locations:
        for variant in variants:
            stock_receive(variant=variant, location=location, quantity=100)

    def sync(i):
        ordered = cells if i % 2 else cells[::-1]
        return stock_sync_apply(
            sync_id=f"sync-{i}",
            mode="delta",
            rows=[StockSyncRow(loc, sku, 1) for loc, sku in ordered],
        )

    results = run_in_threads(sync, [(i,) for i in range(12)], workers=6)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert all(r.applied == len(cells) for r in results)
    assert set(StockLevel.objects.values_list("on_hand", flat=True)) == {112}
    assert_books_balance()


@pytest.mark.django_db(transaction=True)
def test_the_same_sync_sent_concurrently_is_applied_once():
    location, variants = WarehouseFactory(code="wh-x"), [VariantFactory(sku=f"SKU-{i}") for i in range(5)]
    rows = [StockSyncRow("wh-x", v.sku, 3) for v in variants]

    def sync():
        return stock_sync_apply(sync_id="retry-storm", mode="delta", rows=rows)

    results = run_in_threads(sync, [() for _ in range(8)])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(r.replayed for r in results) == [0] + [5] * 7
    assert StockMovement.objects.filter(reference="sync:retry-storm").count() == 5
    assert set(StockLevel.objects.filter(location=location).values_list("on_hand", flat=True)) == {3}
    assert_books_balance()


@pytest.mark.django_db(transaction=True)
def test_one_sync_id_sent_at_once_for_different_rows_is_a_409_not_a_500():
    WarehouseFactory(code="wh-x")
    variants = [VariantFactory(sku=f"SKU-{i}") for i in range(8)]

    def sync(first: int):
        # Different rows (no shared row lock), the same sync_id: the keys sync:clash:0.. collide.
        rows = [StockSyncRow("wh-x", v.sku, 1) for v in variants[first : first + 4]]
        return stock_sync_apply(sync_id="clash", mode="delta", rows=rows)

    results = run_in_threads(sync, [(0,), (4,)])
    applied = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(applied) == 1 and len(refused) == 1
    assert isinstance(refused[0], IdempotencyConflict), repr(refused[0])
    assert StockMovement.objects.filter(reference="sync:clash").count() == 4
    assert_books_balance()


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["reject_all", "reject_failed"])
def test_a_quantity_of_thousands_of_digits_fails_its_row_not_the_request(api_client, stock, sync_key, policy):
    """Past 4,300 digits int() refuses a string: that was a 500 (a traceback in the CSV import)."""
    payload = body([("st-1", "B", 2), ("st-1", "C", "9" * 5000)], mode="delta", policy=policy)
    response = post(api_client, payload, sync_key)
    errors = {"rows.1.quantity": ["Enter a whole number."]}
    if policy == "reject_all":
        assert response.status_code == 400 and response.json()["errors"] == errors
        assert on_hand(stock["B"], stock["store"]) == 0
    else:
        assert response.status_code == 200 and response.json()["errors"] == errors
        assert on_hand(stock["B"], stock["store"]) == 2
    assert on_hand(stock["C"], stock["store"]) == 0
