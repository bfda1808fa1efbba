"""manage.py stock_import and stock_consistency."""

from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from catalog.tests.factories import VariantFactory
from inventory.models import Allocation, StockLevel, StockMovement
from inventory.services import StockLine, stock_allocate, stock_receive
from inventory.tests.factories import LocationFactory, WarehouseFactory
from omnishop.outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(db):
    wh, store = WarehouseFactory(code="wh-1"), LocationFactory(code="st-1")
    variants = {sku: VariantFactory(sku=sku) for sku in ("A", "B")}
    stock_receive(variant=variants["A"], location=wh, quantity=5)
    stock_allocate(lines=[StockLine(variants["A"].pk, wh.pk, 2)], reference="order:1", online=False)
    return {"wh": wh, "store": store, **variants}


def on_hand(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).on_hand


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    extra = ["--no-progress"] if args[0] == "stock_import" else []
    call_command(*args, *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_csv(tmp_path, text: str, name="stock.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")  # Excel's BOM is fine
    return str(path)


# --- stock_import ---------------------------------------------------------------------------------


def test_import_counts_from_csv_and_a_second_import_changes_nothing(tmp_path, stock):
    path = write_csv(tmp_path, "location,sku,quantity\nwh-1,A,8\nst-1,B,3\nst-1,A,0\n")
    out, _err = run("stock_import", path, "--mode", "absolute")
    assert "applied: 2" in out and "unchanged: 1" in out
    assert on_hand(stock["A"], stock["wh"]) == 8 and on_hand(stock["B"], stock["store"]) == 3
    entries = StockMovement.objects.filter(kind="count")
    assert entries.count() == 2 and all(e.reference.startswith("sync:csv-") for e in entries)
    # Same file, same default sync id (its hash): the rows are recognised, nothing is written twice.
    out, _err = run("stock_import", path, "--mode", "absolute")
    assert "of which 2 by an earlier import" in out
    assert StockMovement.objects.filter(kind="count").count() == 2


def test_the_same_file_as_deltas_after_counts_is_another_sync(tmp_path, stock):
    path = write_csv(tmp_path, "location,sku,quantity\nst-1,B,3\n")
    run("stock_import", path, "--mode", "absolute")
    out, _err = run("stock_import", path, "--mode", "delta")
    assert "applied: 1" in out
    assert on_hand(stock["B"], stock["store"]) == 6


def test_import_deltas_with_semicolons_and_an_explicit_sync_id(tmp_path, stock):
    path = write_csv(tmp_path, "SKU;Location;Quantity;comment\nB;wh-1;+4;delivery\nB;wh-1;-1;damaged\n")
    run("stock_import", path, "--mode", "delta", "--delimiter", ";", "--sync-id", "erp-2025-03-01")
    assert on_hand(stock["B"], stock["wh"]) == 3
    assert list(StockMovement.objects.filter(kind="adjustment").values_list("idempotency_key", flat=True)) == [
        "sync:erp-2025-03-01:1",
        "sync:erp-2025-03-01:0",
    ]


def test_import_reject_all_lists_errors_by_line_and_writes_nothing(tmp_path, stock):
    path = write_csv(tmp_path, "location,sku,quantity\nwh-1,B,4\nwh-9,B,1\nwh-1,NOPE,x\n")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("stock_import", path, "--mode", "absolute", "--no-progress", stdout=out, stderr=err)
    assert "line 3, location: Unknown location wh-9." in err.getvalue()
    assert "line 4, sku: Unknown SKU NOPE." in err.getvalue()
    assert "line 4, quantity: Enter a whole number." in err.getvalue()
    assert not StockMovement.objects.filter(variant=stock["B"]).exists()

    conflict = write_csv(tmp_path, "location,sku,quantity\nwh-1,B,4\nwh-1,A,1\n", name="conflict.csv")
    with pytest.raises(CommandError, match="conflict with the stock"):
        call_command("stock_import", conflict, "--mode", "absolute", "--no-progress", stdout=out, stderr=err)
    assert "line 3, quantity: On hand would be 1 but 2 units are allocated." in err.getvalue()
    assert not StockMovement.objects.filter(variant=stock["B"]).exists()


def test_import_with_a_sync_id_used_before_for_other_counts_is_refused(tmp_path, stock):
    run("stock_import", write_csv(tmp_path, "location,sku,quantity\nwh-1,B,4\n"), "--mode=absolute", "--sync-id=erp-1")
    other = write_csv(tmp_path, "location,sku,quantity\nwh-1,B,6\n", name="other.csv")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"sync_id erp-1 was used on .* for another request") as refused:
        call_command(
            "stock_import", other, "--mode=absolute", "--sync-id=erp-1", "--no-progress", stdout=out, stderr=err
        )
    assert "send this one under a new sync_id" in str(refused.value)
    assert on_hand(stock["B"], stock["wh"]) == 4


@pytest.mark.parametrize("sync_id", ["x" * 120, "erp 2025"])
def test_import_refuses_a_sync_id_the_ledger_cannot_hold(tmp_path, stock, sync_id):
    path = write_csv(tmp_path, "location,sku,quantity\nwh-1,B,4\n")
    with pytest.raises(CommandError, match="A sync id is 1 to 64 letters, digits"):
        run("stock_import", path, "--mode=absolute", f"--sync-id={sync_id}")
    assert not StockMovement.objects.filter(variant=stock["B"]).exists()


def test_import_reject_failed_applies_the_rest_in_batches(tmp_path, stock):
    rows = "".join(f"st-1,B,{1}\n" for _ in range(25)) + "st-1,NOPE,1\n"
    path = write_csv(tmp_path, "location,sku,quantity\n" + rows)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 row failed; the other rows were applied"):
        call_command(
            "stock_import",
            path,
            "--mode=delta",
            "--error-policy=reject_failed",
            "--batch-size=10",
            "--no-progress",
            stdout=out,
            stderr=err,
        )
    assert "applied: 25" in out.getvalue() and "line 27, sku: Unknown SKU NOPE." in err.getvalue()
    assert on_hand(stock["B"], stock["store"]) == 25


@pytest.mark.parametrize(
    "text, message",
    [
        ("loc,sku,qty\nwh-1,A,1\n", "missing: location, quantity"),
        ("location,sku,quantity\n", "no rows"),
    ],
)
def test_import_refuses_a_bad_file(tmp_path, stock, text, message):
    with pytest.raises(CommandError, match=message):
        run("stock_import", write_csv(tmp_path, text), "--mode", "absolute")


# --- stock_consistency ----------------------------------------------------------------------------


def test_consistency_reports_nothing_when_the_books_balance(stock):
    out, _err = run("stock_consistency")
    assert "No drift" in out


def test_consistency_reports_drift_and_exits_1(stock):
    StockLevel.objects.filter(variant=stock["A"]).update(on_hand=9)  # someone bypassed the ledger
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("stock_consistency", stdout=out, stderr=err)
    assert exc.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["SKU", "location", "field", "expected", "actual"]
    assert lines[1].split() == ["A", "wh-1", "on_hand", "5", "9"]


def test_consistency_repair_writes_adjustment_entries_and_recreates_missing_rows(
    stock, django_capture_on_commit_callbacks
):
    a, b, wh, store = stock["A"], stock["B"], stock["wh"], stock["store"]
    stock_receive(variant=b, location=store, quantity=4)
    StockLevel.objects.filter(variant=a, location=wh).update(on_hand=9, allocated=0)  # bypassed the ledger
    StockLevel.objects.filter(variant=b, location=store).update(on_hand=1)
    # Ledger entries for a (variant, location) that has no stock row at all.
    StockMovement.objects.create(variant=b, location=wh, kind="receipt", quantity=6, on_hand_after=6)

    out, _err = run("stock_consistency", "--repair")
    assert "Repaired 4 drifts." in out
    assert "(no row)" in out
    # On hand stays what the channels sold against; the ledger explains it again, with a trace.
    entries = StockMovement.objects.filter(reference="consistency-repair").order_by("variant_id", "location_id")
    assert [(m.variant, m.location, m.kind, m.quantity, m.on_hand_after) for m in entries] == [
        (a, wh, "adjustment", 4, 9),
        (b, store, "adjustment", -3, 1),
    ]
    assert "5" in entries[0].note and "9" in entries[0].note
    assert on_hand(a, wh) == 9 and StockLevel.objects.get(variant=a, location=wh).allocated == 2
    assert on_hand(b, store) == 1
    assert on_hand(b, wh) == 6  # the missing row, recreated from its ledger
    assert OutboxEvent.objects.get(aggregate_id="B@wh-1").payload["on_hand"] == 6
    out, _err = run("stock_consistency")
    assert "No drift" in out


def test_consistency_repair_leaves_rows_it_cannot_fix(stock):
    a, wh = stock["A"], stock["wh"]
    # 5 on hand (as the ledger says) but open allocations promise 7: allocated cannot be 7.
    Allocation.objects.create(variant=a, location=wh, quantity=5, reference="order:2")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 drift left"):
        call_command("stock_consistency", "--repair", stdout=out, stderr=err)
    assert ["A", "wh-1", "allocated", "7", "2"] in [line.split() for line in err.getvalue().splitlines()]
    level = StockLevel.objects.get(variant=a, location=wh)
    assert (level.on_hand, level.allocated) == (5, 2)
    assert not StockMovement.objects.filter(reference="consistency-repair").exists()


@pytest.mark.parametrize("delimiter", [";;", "", "\\t"])
def test_import_refuses_a_delimiter_of_other_than_one_character(tmp_path, stock, delimiter):
    path = write_csv(tmp_path, "location,sku,quantity\nwh-1,B,4\n")
    with pytest.raises(CommandError, match="The delimiter must be one character"):
        run("stock_import", path, "--mode=absolute", f"--delimiter={delimiter}")
    assert not StockMovement.objects.filter(variant=stock["B"]).exists()


def test_import_refuses_a_file_the_csv_reader_cannot_read_naming_the_line(tmp_path, stock):
    path = write_csv(tmp_path, "location,sku,quantity\nwh-1,B,4\nwh-1," + "B" * 200_000 + ",1\n")
    with pytest.raises(CommandError, match="Line 3 is not valid CSV"):
        run("stock_import", path, "--mode=absolute")
    assert not StockMovement.objects.filter(variant=stock["B"]).exists()


def test_import_refuses_a_header_naming_a_column_twice(tmp_path, stock):
    """Which of two sku columns is meant? Not guessed: the last one used to win silently."""
    path = write_csv(tmp_path, "location,sku,quantity,SKU\nwh-1,B,4,A\n")
    with pytest.raises(CommandError, match="The header row names sku more than once"):
        run("stock_import", path, "--mode=absolute")
    assert not StockMovement.objects.filter(variant__in=[stock["A"], stock["B"]], kind="count").exists()


@pytest.mark.parametrize("name", ["stock_import", "stock_consistency"])
def test_help_describes_the_command(name):
    command = load_command_class("inventory", name)
    text = command.create_parser("manage.py", name).format_help()
    assert str(command.help).split()[0] in text
