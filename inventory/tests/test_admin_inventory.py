"""Staff change stock in admin through the same services as the API: CSV import, adjustments,
safety stock and transfers, each allowed only with its permission."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.tests.factories import VariantFactory
from inventory.models import StockLevel, StockMovement, StockSync, Transfer
from inventory.services import StockLine, stock_allocate, stock_receive, transfer_request
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user(email="magazyn@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Inventory manager"))
    client.force_login(user)
    return user


@pytest.fixture
def grid():
    wh, store = WarehouseFactory(code="wh-1"), LocationFactory(code="waw-01")
    a, b = VariantFactory(sku="KR-A"), VariantFactory(sku="KR-B")
    stock_receive(variant=a, location=wh, quantity=10)
    return {"wh": wh, "store": store, "a": a, "b": b}


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("stan.csv", text.encode(), content_type="text/csv")


def test_csv_import_writes_the_ledger_and_reports_failed_rows_by_line(client, manager, grid):
    url = reverse("admin:inventory_stocklevel_import")
    assert client.get(reverse("admin:inventory_stocklevel_changelist")).status_code == 200
    assert client.get(url).status_code == 200
    good = "location;sku;quantity\nwh-1;KR-A;7\nwaw-01;KR-B;3\n"
    response = client.post(
        url, {"file": upload(good), "mode": "absolute", "error_policy": "reject_all", "delimiter": ";"}
    )
    assert response.status_code == 302
    assert (level(grid["a"], grid["wh"]).on_hand, level(grid["b"], grid["store"]).on_hand) == (7, 3)
    assert StockMovement.objects.filter(actor=manager, kind="count").count() == 2

    bad = "location,sku,quantity\nwh-1,KR-A,1\nwh-1,NOPE,2\nwaw-01,KR-B,-1\n"
    response = client.post(
        url, {"file": upload(bad), "mode": "absolute", "error_policy": "reject_all", "delimiter": ","}
    )
    assert response.status_code == 200
    assert [(line, field) for line, field, _ in response.context["failed_rows"]] == [(3, "sku"), (4, "quantity")]
    assert level(grid["a"], grid["wh"]).on_hand == 7  # reject_all: nothing written

    response = client.post(
        url, {"file": upload(bad), "mode": "absolute", "error_policy": "reject_failed", "delimiter": ","}
    )
    assert response.status_code == 200 and len(response.context["failed_rows"]) == 2
    assert level(grid["a"], grid["wh"]).on_hand == 1  # the valid row went in


def test_csv_import_of_a_file_imported_before_in_another_mode_is_another_import(client, manager, grid):
    url = reverse("admin:inventory_stocklevel_import")
    text = "location,sku,quantity\nwh-1,KR-A,7\n"
    form = {"mode": "absolute", "error_policy": "reject_all", "delimiter": ","}
    assert client.post(url, {**form, "file": upload(text)}).status_code == 302
    assert level(grid["a"], grid["wh"]).on_hand == 7
    assert client.post(url, {**form, "file": upload(text)}).status_code == 302  # the same import again
    assert level(grid["a"], grid["wh"]).on_hand == 7
    assert client.post(url, {**form, "mode": "delta", "file": upload(text)}).status_code == 302
    assert level(grid["a"], grid["wh"]).on_hand == 14


def test_csv_import_refuses_a_file_without_the_columns(client, manager, grid):
    response = client.post(
        reverse("admin:inventory_stocklevel_import"),
        {"file": upload("sku,qty\nKR-A,1\n"), "mode": "delta", "error_policy": "reject_all", "delimiter": ","},
    )
    assert response.status_code == 200
    assert "location" in str(response.context["form"].errors["file"])


def test_adjust_stock_counts_receives_and_refuses_below_allocated(client, manager, grid):
    url = reverse("admin:inventory_stocklevel_adjust")
    wh = grid["wh"]
    post = {"sku": "KR-A", "location": wh.pk, "reference": "PZ/12", "note": ""}
    assert client.post(url, {**post, "kind": "receipt", "quantity": 5}).status_code == 302
    assert client.post(url, {**post, "kind": "adjustment", "quantity": -3}).status_code == 302
    assert level(grid["a"], wh).on_hand == 12
    stock_allocate(lines=[StockLine(grid["a"].pk, wh.pk, 10)], reference="order:1", online=False)
    response = client.post(url, {**post, "kind": "count", "quantity": 4})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert level(grid["a"], wh).on_hand == 12
    response = client.post(url, {**post, "sku": "NOPE", "kind": "receipt", "quantity": 0})
    assert set(response.context["form"].errors) == {"sku", "quantity"}
    kinds = list(
        StockMovement.objects.filter(reference="PZ/12", actor=manager).order_by("id").values_list("kind", "quantity")
    )
    assert kinds == [("receipt", 5), ("adjustment", -3)]


def test_safety_stock_is_the_one_field_staff_edit_and_it_goes_out_as_stock_changed(client, manager, grid):
    row = level(grid["a"], grid["wh"])
    url = reverse("admin:inventory_stocklevel_change", args=[row.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"safety_stock": 2, "on_hand": 999})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.safety_stock, row.on_hand) == (2, 10)
    event = OutboxEvent.objects.get(type="stock.changed", aggregate_id=f"KR-A@{grid['wh'].code}")
    assert event.payload["safety_stock"] == 2
    assert client.post(url, {"safety_stock": -1}).status_code == 200


def test_transfer_is_requested_shipped_and_received_in_admin(client, manager, grid):
    response = client.post(
        reverse("admin:inventory_transfer_request"),
        {"source": grid["wh"].pk, "destination": grid["store"].pk, "lines": "KR-A 4\n", "reference": "MM/1"},
    )
    transfer = Transfer.objects.get(reference="MM/1")
    assert response.status_code == 302 and transfer.created_by == manager
    changelist = reverse("admin:inventory_transfer_changelist")
    for action in ("transfer_ship", "transfer_receive"):
        response = client.post(changelist, {"action": action, "_selected_action": [transfer.pk]}, follow=True)
        assert {m.level_tag for m in response.context["messages"]} == {"success"}
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED
    assert (level(grid["a"], grid["wh"]).on_hand, level(grid["a"], grid["store"]).on_hand) == (6, 4)


def test_order_transfers_are_left_to_the_order(client, manager, grid):
    transfer = transfer_request(
        source=grid["wh"], destination=grid["store"], lines={grid["a"].pk: 1}, reference="order:OS-2026-0000001"
    )
    client.post(
        reverse("admin:inventory_transfer_changelist"), {"action": "transfer_cancel", "_selected_action": [transfer.pk]}
    )
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.REQUESTED


def test_store_staff_see_stock_but_cannot_change_it(client, django_user_model, grid):
    user = django_user_model.objects.create_user(email="sklep@example.pl", password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Store staff"))
    client.force_login(user)
    assert client.get(reverse("admin:inventory_stocklevel_changelist")).status_code == 200
    for name in ("inventory_stocklevel_import", "inventory_stocklevel_adjust", "inventory_transfer_request"):
        assert client.get(reverse(f"admin:{name}")).status_code == 403
    row = level(grid["a"], grid["wh"])
    client.post(reverse("admin:inventory_stocklevel_change", args=[row.pk]), {"safety_stock": 5})
    row.refresh_from_db()
    assert row.safety_stock == 0
    assert client.get(reverse("admin:orders_order_place")).status_code == 403


def test_csv_import_of_a_file_the_csv_reader_cannot_read_is_a_form_error(client, manager, grid):
    text = "location,sku,quantity\nwh-1,KR-A,1\nwh-1,KR-A," + "9" * 200_000 + "\n"
    response = client.post(
        reverse("admin:inventory_stocklevel_import"),
        {"file": upload(text), "mode": "absolute", "error_policy": "reject_all", "delimiter": ","},
    )
    assert response.status_code == 200
    assert "Line 3 is not valid CSV" in str(response.context["form"].errors["file"])
    assert level(grid["a"], grid["wh"]).on_hand == 10


def test_transfer_page_query_count_does_not_grow_with_its_lines(admin_client, grid, django_assert_max_num_queries):
    def page(n_lines: int):
        variants = [VariantFactory() for _ in range(n_lines)]
        transfer = transfer_request(source=grid["wh"], destination=grid["store"], lines={v.pk: 1 for v in variants})
        return reverse("admin:inventory_transfer_change", args=[transfer.pk])

    small, large = page(2), page(20)
    admin_client.get(small)  # warm the session and content types
    with django_assert_max_num_queries(100) as few:
        assert admin_client.get(small).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(large).status_code == 200


def test_stock_syncs_are_listed_with_their_failed_rows_and_ledger(client, manager, grid):
    url = reverse("admin:inventory_stocklevel_import")
    bad = "location,sku,quantity\nwh-1,KR-A,4\nwh-1,NOPE,2\n"
    form = {"mode": "absolute", "error_policy": "reject_failed", "delimiter": ","}
    assert client.post(url, {**form, "file": upload(bad)}).status_code == 200
    kept = StockSync.objects.get()
    assert (kept.actor, kept.received, kept.applied, kept.failed) == (manager, 2, 1, 1)

    listing = client.get(reverse("admin:inventory_stocksync_changelist"))
    assert listing.status_code == 200 and kept.sync_id in listing.content.decode()
    page = client.get(reverse("admin:inventory_stocksync_change", args=[kept.pk])).content.decode()
    assert "rows.1.sku: Unknown SKU NOPE." in page
    ledger = reverse("admin:inventory_stockmovement_changelist") + f"?reference=sync%3A{kept.sync_id}"
    assert ledger in page
    entries = client.get(ledger)
    assert entries.status_code == 200 and list(entries.context["cl"].result_list) == list(
        StockMovement.objects.filter(reference=f"sync:{kept.sync_id}")
    )
    # The same file again gets the kept answer and writes nothing.
    response = client.post(url, {**form, "file": upload(bad)})
    assert response.status_code == 200 and StockSync.objects.count() == 1
    assert level(grid["a"], grid["wh"]).on_hand == 4
    assert StockMovement.objects.filter(reference=f"sync:{kept.sync_id}").count() == 1
