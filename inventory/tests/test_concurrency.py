"""Row locking under real concurrency (PostgreSQL, real threads, no mocks)."""

import pytest
from django.db import connection
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import VariantFactory
from conftest import run_in_threads
from inventory.exceptions import InsufficientStock
from inventory.models import StockLevel
from inventory.selectors import stock_drift_list
from inventory.services import StockLine, stock_allocate, stock_receive
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def assert_books_balance():
    """on_hand equals the ledger sum and allocated equals open allocations, for every row."""
    assert stock_drift_list() == []
    assert not StockLevel.objects.filter(allocated__gt=F("on_hand")).exists()


def test_many_buyers_for_few_units_never_oversell():
    variant = VariantFactory()
    locations = [WarehouseFactory(code=f"wh-{i}") for i in range(3)]
    for location, units in zip(locations, (4, 3, 3), strict=True):
        stock_receive(variant=variant, location=location, quantity=units)

    def buy(i):
        location = locations[i % 3]
        return stock_allocate(lines=[StockLine(variant.pk, location.pk, 1)], reference=f"order:{i}")

    results = run_in_threads(buy, [(i,) for i in range(60)])
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 10
    assert all(isinstance(e, InsufficientStock) for e in lost), {type(e) for e in lost}
    assert StockLevel.objects.aggregate(s=Sum("allocated"))["s"] == 10
    assert_books_balance()


def test_opposite_line_order_does_not_deadlock():
    a, b = VariantFactory(), VariantFactory()
    wh = WarehouseFactory()
    stock_receive(variant=a, location=wh, quantity=100)
    stock_receive(variant=b, location=wh, quantity=100)

    def buy(i):
        lines = [StockLine(a.pk, wh.pk, 1), StockLine(b.pk, wh.pk, 1)]
        return stock_allocate(lines=lines if i % 2 else lines[::-1], reference=f"order:{i}")

    results = run_in_threads(buy, [(i,) for i in range(40)])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert StockLevel.objects.get(variant=a).allocated == 40 == StockLevel.objects.get(variant=b).allocated
    assert_books_balance()


def test_allocation_locks_rows_in_order_before_updating():
    a, b = VariantFactory(), VariantFactory()
    wh1, wh2 = WarehouseFactory(code="w1"), WarehouseFactory(code="w2")
    for v in (a, b):
        for wh in (wh1, wh2):
            stock_receive(variant=v, location=wh, quantity=5)
    with CaptureQueriesContext(connection) as ctx:
        stock_allocate(
            lines=[StockLine(b.pk, wh2.pk, 1), StockLine(a.pk, wh1.pk, 1), StockLine(a.pk, wh2.pk, 1)],
            reference="order:x",
        )
    sqls = [q["sql"] for q in ctx.captured_queries]
    lock = next(i for i, s in enumerate(sqls) if "FOR UPDATE" in s)
    first_update = next(i for i, s in enumerate(sqls) if 'UPDATE "inventory_stocklevel"' in s)  # the write, in its CTE
    assert lock < first_update
    assert 'ORDER BY "inventory_stocklevel"."variant_id" ASC, "inventory_stocklevel"."location_id" ASC' in sqls[lock]
