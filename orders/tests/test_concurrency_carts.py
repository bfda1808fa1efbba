"""Cart merge under real concurrency on PostgreSQL: its stock row locks keep the global
(variant, location) order, so it cannot deadlock with an allocation of the same rows."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from inventory.lock_objects import stock_levels_lock
from inventory.models import StockHold, StockLevel
from inventory.services import StockLine, stock_allocate
from orders.services import cart_create_anonymous, cart_for_customer, cart_line_set, cart_merge
from orders.tests.conftest import stock

pytestmark = pytest.mark.django_db(transaction=True)


def _carts_to_merge(shop):
    """The customer's cart holds variant a, the anonymous cart variant b, at the warehouse."""
    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    mine = cart_for_customer(customer=Customer.objects.create(email="pg@example.pl"), channel=shop["web"])
    cart_line_set(cart=mine, variant=a, quantity=1)
    anonymous = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=anonymous, variant=b, quantity=1)
    return mine, anonymous


def test_merge_sql_locks_stock_rows_once_in_order_before_changing_them(shop, settings):
    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    mine, anonymous = _carts_to_merge(shop)
    with CaptureQueriesContext(connection) as ctx:
        cart_merge(anonymous=anonymous, into=mine)
    sqls = [q["sql"] for q in ctx.captured_queries]
    locks = [i for i, s in enumerate(sqls) if "FOR UPDATE" in s and 'FROM "inventory_stocklevel"' in s]
    assert len(locks) == 1, [sqls[i] for i in locks]
    assert (
        'ORDER BY "inventory_stocklevel"."variant_id" ASC, "inventory_stocklevel"."location_id" ASC' in sqls[locks[0]]
    )
    changes = [
        i
        for i, s in enumerate(sqls)
        if s.startswith(('DELETE FROM "inventory_stockhold"', 'INSERT INTO "inventory_stockhold"'))
        or s.startswith('UPDATE "inventory_stocklevel"')
    ]
    assert changes and locks[0] < min(changes)


def test_merge_and_an_allocation_of_the_same_rows_do_not_deadlock(shop, settings):
    """An allocation holds (a) and then wants (b). A merge that locked the anonymous cart's (b)
    to release its hold, and then wanted (a) for the merged cart's holds, deadlocked with it."""
    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    mine, anonymous = _carts_to_merge(shop)
    a, b, _ = shop["variants"]
    wh = shop["warehouse"].pk
    holding_a = threading.Event()
    outcome: dict = {}

    def allocate():
        try:
            with transaction.atomic():
                stock_levels_lock(pairs=[(a.pk, wh)])
                holding_a.set()
                # Wait until the merge waits for a stock row lock (it may hold others by then).
                deadline = time.monotonic() + 20
                with connection.cursor() as cursor:
                    while time.monotonic() < deadline:
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            " AND datname = current_database() AND pid <> pg_backend_pid()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.02)
                outcome["allocate"] = stock_allocate(
                    lines=[StockLine(a.pk, wh, 1), StockLine(b.pk, wh, 1)], reference="order:pos-1"
                )
        except Exception as exc:  # the test asserts on it
            outcome["allocate"] = exc
        finally:
            connection.close()

    def merge():
        try:
            holding_a.wait(timeout=20)
            outcome["merge"] = cart_merge(anonymous=anonymous, into=mine)
        except Exception as exc:  # the test asserts on it
            outcome["merge"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate), threading.Thread(target=merge)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not isinstance(outcome["allocate"], Exception), outcome["allocate"]
    assert not isinstance(outcome["merge"], Exception), outcome["merge"]
    assert dict(mine.lines.values_list("variant_id", "quantity")) == {a.pk: 1, b.pk: 1}
    assert set(StockHold.objects.values_list("reference", "variant_id", "quantity")) == {
        (mine.hold_reference, a.pk, 1),
        (mine.hold_reference, b.pk, 1),
    }
    assert set(StockLevel.objects.filter(location_id=wh).values_list("variant_id", "allocated")) >= {
        (a.pk, 1),
        (b.pk, 1),
    }
