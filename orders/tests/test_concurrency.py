"""order_place under real concurrency on PostgreSQL (threads, no mocks)."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext

from conftest import postgres_max_parallel, run_in_threads
from inventory.exceptions import InsufficientStock
from inventory.models import StockLevel
from inventory.selectors import stock_drift_list
from orders.models import Order
from orders.services import order_place
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db(transaction=True)


def assert_books_balance():
    """on_hand equals the ledger sum and allocated equals open allocations, for every row."""
    assert stock_drift_list() == []
    assert not StockLevel.objects.filter(allocated__gt=F("on_hand")).exists()


def test_200_buyers_10_units_3_locations_exactly_10_sold(shop):
    variant = shop["variants"][0]
    for location, units in ((shop["warehouse"], 4), (shop["krk"], 3), (shop["waw"], 3)):
        stock(variant, location, units)
    shop["waw"].ships_online = True
    shop["waw"].save()

    def buy(i):
        return order_place(
            channel=shop["web"],
            lines={variant.pk: 1},
            fulfilment_type="delivery",
            contact=GUEST,
            shipping_address=ADDRESS,
        )

    # 200 calls at once where the server allows it (.ci/run raises max_connections to 300).
    results = run_in_threads(buy, [(i,) for i in range(200)], timeout=120, workers=min(200, postgres_max_parallel()))
    orders = [r for r in results if isinstance(r, Order)]
    losers = [r for r in results if not isinstance(r, Order)]
    assert len(orders) == 10
    assert all(isinstance(e, InsufficientStock) for e in losers), {repr(e) for e in losers}
    assert Order.objects.count() == 10
    assert StockLevel.objects.filter(variant=variant).aggregate(s=Sum("allocated"))["s"] == 10
    assert_books_balance()


def test_same_two_skus_in_opposite_order_do_not_deadlock(shop):
    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 100)
    stock(b, shop["warehouse"], 100)

    def buy(i):
        lines = {a.pk: 1, b.pk: 1} if i % 2 else {b.pk: 1, a.pk: 1}
        return order_place(
            channel=shop["web"], lines=lines, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
        )

    results = run_in_threads(buy, [(i,) for i in range(40)], timeout=120)
    assert [r for r in results if not isinstance(r, Order)] == []
    assert_books_balance()


def test_50_requests_with_one_idempotency_key_make_one_order(shop):
    variant = shop["variants"][0]
    stock(variant, shop["warehouse"], 100)

    def buy(i):
        return order_place(
            channel=shop["web"],
            lines={variant.pk: 2},
            fulfilment_type="delivery",
            idempotency_key="checkout-123",
            fingerprint="same-body",
            contact=GUEST,
            shipping_address=ADDRESS,
        )

    results = run_in_threads(buy, [(i,) for i in range(50)], timeout=120)
    assert all(isinstance(r, Order) for r in results), {repr(r) for r in results if not isinstance(r, Order)}
    assert len({r.pk for r in results}) == 1
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=variant).allocated == 2
    assert_books_balance()


def test_allocation_sql_locks_in_order_before_updating(shop):
    a, b, c = shop["variants"]
    for v in (a, b, c):
        stock(v, shop["warehouse"], 5)
    with CaptureQueriesContext(connection) as ctx:
        order_place(
            channel=shop["web"],
            lines={c.pk: 1, a.pk: 1, b.pk: 1},
            fulfilment_type="delivery",
            contact=GUEST,
            shipping_address=ADDRESS,
        )
    sqls = [q["sql"] for q in ctx.captured_queries]
    lock = next(i for i, s in enumerate(sqls) if "FOR UPDATE" in s and "inventory_stocklevel" in s)
    update = next(i for i, s in enumerate(sqls) if 'UPDATE "inventory_stocklevel"' in s)  # the write, in its CTE
    assert lock < update
    assert 'ORDER BY "inventory_stocklevel"."variant_id" ASC, "inventory_stocklevel"."location_id" ASC' in sqls[lock]


def test_queries_per_order_do_not_grow_with_lines(shop):
    from catalog.services import listing_publish, price_set
    from catalog.tests.factories import ProductFactory, VariantFactory

    variants = []
    for i in range(10):
        v = VariantFactory(product=ProductFactory())
        price_set(variant=v, amount=Decimal("10.00") + i)
        listing_publish(product=v.product, channel=shop["web"])
        stock(v, shop["warehouse"], 50)
        variants.append(v)
    counts = []
    # Payment authorisation runs after commit in a worker; count the placement itself.
    with mock.patch("orders.services.checkout._after_place"):
        for n in (1, 10):
            with CaptureQueriesContext(connection) as ctx:
                order_place(
                    channel=shop["web"],
                    lines={v.pk: 1 for v in variants[:n]},
                    fulfilment_type="delivery",
                    contact=GUEST,
                    shipping_address=ADDRESS,
                )
            counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 25, counts


def _api_buyer(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_over_http_losers_get_409_bodies_and_one_key_makes_one_order(shop):
    from omnishop.accounts.models import User

    variant = shop["variants"][0]
    stock(variant, shop["warehouse"], 10)
    user = User.objects.create_user(email="rush@example.pl", password="x-pass-123")
    body = {
        "lines": [{"sku": variant.sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": {"street": "Rynek 1", "postal_code": "31-001", "city": "Kraków"},
    }

    def post(i, key):
        response = _api_buyer(user).post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.json()

    results = run_in_threads(
        post, [(i, f"k-{i}") for i in range(100)], timeout=120, workers=min(100, postgres_max_parallel())
    )
    statuses = [status for status, _body in results]
    assert statuses.count(201) == 10
    assert statuses.count(409) == 90, sorted(set(statuses))
    assert all(b["type"] == "insufficient_stock" for s, b in results if s == 409)
    assert_books_balance()

    stock(variant, shop["warehouse"], 10)
    same = run_in_threads(
        post, [(i, "one-key") for i in range(50)], timeout=120, workers=min(50, postgres_max_parallel())
    )
    assert {status for status, _ in same} <= {200, 201}
    assert len({b["number"] for _, b in same}) == 1
    assert Order.objects.filter(idempotency_key="one-key").count() == 1


def test_cancel_and_transfer_receipt_at_once_leave_nothing_promised_to_a_cancelled_order(shop):
    """A click & collect order waits for its transfer; the customer cancels while the store books
    the delivery in. Whichever commits first, no unit stays allocated to a cancelled order."""
    from omnishop.exceptions import DomainError
    from orders import lifecycle
    from orders.models import Fulfilment
    from orders.services import fulfilment_transfer_receive, fulfilment_transfer_ship, order_cancel

    a = shop["variants"][0]
    stock(a, shop["warehouse"], 40)
    pending = []
    for _ in range(8):
        order = order_place(
            channel=shop["web"],
            lines={a.pk: 1},
            fulfilment_type="click_and_collect",
            pickup_location=shop["waw"],
            contact=GUEST,
        )
        fulfilment = order.fulfilments.get(transfer__isnull=False)
        fulfilment_transfer_ship(fulfilment=fulfilment)
        pending.append((order, fulfilment))

    def act(kind, order, fulfilment):
        if kind == "cancel":
            return order_cancel(order=order, role=lifecycle.AGENT)
        return fulfilment_transfer_receive(fulfilment=fulfilment)

    calls = [(kind, o, f) for o, f in pending for kind in ("cancel", "receive")]
    results = run_in_threads(act, calls, timeout=60)
    # No deadlock or other database error: at most a step the state machine refuses.
    assert all(isinstance(r, DomainError) for r in results if isinstance(r, Exception)), results
    for order, _fulfilment in pending:
        order.refresh_from_db()
        assert order.status == "cancelled"
    open_for_cancelled = StockLevel.objects.filter(variant=a, location=shop["waw"]).get().allocated
    assert open_for_cancelled == 0
    assert not Fulfilment.objects.filter(order__status="cancelled", status="awaiting_transfer").exists()
    assert_books_balance()
