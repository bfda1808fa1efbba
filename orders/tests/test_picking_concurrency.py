"""Two (or more) staff pick and short the same line at once: the counts stay within the line, the
stock books balance and no database error leaks out (real threads on PostgreSQL)."""

import pytest
from django.db.models import F

from conftest import run_in_threads
from inventory.models import StockLevel, StockMovement
from inventory.selectors import stock_drift_list
from omnishop.exceptions import DomainError
from orders import lifecycle
from orders.models import FulfilmentLine, Order
from orders.services import fulfilment_line_pick, fulfilment_line_short, order_place, order_transition
from orders.tests.conftest import GUEST, stock
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_picking_and_shorting_one_line_at_once_stay_within_it(shop):
    a = shop["variants"][0]
    waw = shop["waw"]
    first, second = store_staff("anna@example.pl", waw), store_staff("piotr@example.pl", waw)
    stock(a, waw, 6)
    # No other location has a: short units are cancelled and the order stays in the store.
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 4},
        fulfilment_type="click_and_collect",
        pickup_location=waw,
        contact=GUEST,
        payment_method="pay_in_store",
    )
    if Order.objects.get(pk=order.pk).status == Order.Status.PLACED:
        order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    line = FulfilmentLine.objects.get(fulfilment__order=order)

    def act(kind, actor):
        if kind == "pick":
            return fulfilment_line_pick(line=line, quantity=1, actor=actor)
        return fulfilment_line_short(line=line, quantity=1, reason="missing", actor=actor)

    calls = [(kind, actor) for kind in ("pick", "short", "pick", "short") for actor in (first, second)]
    results = run_in_threads(act, calls, timeout=60)
    failures = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, DomainError) for r in failures), failures  # refusals only, no deadlock
    line.refresh_from_db()
    assert line.picked_quantity + line.short_quantity == 4 and len(failures) == 4
    assert not FulfilmentLine.objects.filter(picked_quantity__gt=F("quantity") - F("short_quantity")).exists()
    level = StockLevel.objects.get(variant=a, location=waw)
    assert level.on_hand == 6 - line.short_quantity
    assert level.allocated == 4 - line.short_quantity
    shorts = StockMovement.objects.filter(location=waw, variant=a, kind="adjustment")
    assert shorts.count() == line.short_quantity
    assert stock_drift_list() == []
    order.refresh_from_db()
    events = list(order.events.values_list("type", flat=True))
    assert events.count("item_picked") == line.picked_quantity and events.count("item_short") == line.short_quantity


def test_two_short_picks_racing_for_the_last_unit_elsewhere_reroute_one_and_cancel_the_other(shop):
    a = shop["variants"][0]
    waw = shop["waw"]
    seller = store_staff("anna@example.pl", waw)
    stock(a, waw, 2)
    stock(a, shop["warehouse"], 1)
    lines = []
    for _ in range(2):
        order = order_place(
            channel=shop["web"],
            lines={a.pk: 1},
            fulfilment_type="click_and_collect",
            pickup_location=waw,
            contact=GUEST,
            payment_method="pay_in_store",
        )
        if Order.objects.get(pk=order.pk).status == Order.Status.PLACED:
            order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
        lines.append(FulfilmentLine.objects.get(fulfilment__order=order))

    results = run_in_threads(
        lambda line: fulfilment_line_short(line=line, quantity=1, reason="missing", actor=seller),
        [(line,) for line in lines],
        timeout=60,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted((len(r.rerouted), r.cancelled) for r in results) == [(0, 1), (1, 0)]
    assert StockLevel.objects.get(variant=a, location=shop["warehouse"]).allocated == 1
    assert stock_drift_list() == []
