"""Store console queue: the /store/ page of a store with 500 open orders in every state.

Data (idempotent, reused by later runs): one click & collect, ship-from-store store
(``bench-sq-store``) and a warehouse, three variants (one stocked in the store, one only in the
warehouse so its pickups wait for a transfer, one only in the store for parcels), a store staff
login, and OPEN_ORDERS open orders of the store placed and moved on through the order services:
click & collect and reserve & try to pick (some being picked), waiting for a transfer, transfers
on their way, ready for pickup (a tenth of them overdue) and ship-from-store parcels to pick and
to ship. Orders of earlier runs stay; only the missing ones are added.

Figures:

- ``p50_ms`` / ``p95_ms``: IN-PROCESS time of GET /store/ (Django test client, the store staff
  signed in): the selector, the grouping and the template, no HTTP. Target p95 <= 100 ms.
- ``queries``: queries per page view (after a warm-up view); constant by design, target <= 15.
- ``open_orders``: open orders in the store's queue; ``page_kb``: the page's size.
"""

from __future__ import annotations

import contextlib
import io
import random
import time
from datetime import timedelta
from decimal import Decimal

from bench import common

OPEN_ORDERS = 500
STORE = "bench-sq-store"
WAREHOUSE = "bench-sq-wh"
CHANNEL = "bench-sq-web"
STAFF = "bench-store@example.pl"
SKUS = {"store": "BENCH-SQ-STORE", "warehouse": "BENCH-SQ-WH", "parcel": "BENCH-SQ-PARCEL"}
# Share of each state among the open orders (what a busy store's queue looks like).
MIX = [
    ("pick_cc", 0.30),
    ("picking", 0.08),
    ("pick_ropis", 0.08),
    ("waiting", 0.10),
    ("arriving", 0.06),
    ("ready", 0.26),
    ("sfs_pick", 0.06),
    ("sfs_ship", 0.06),
]
NAMES = ["Anna Nowak", "Piotr Wiśniewski", "Katarzyna Wójcik", "Tomasz Kamiński", "Magdalena Lewandowska"]


def _world() -> dict:
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from catalog.models import Category, Channel, ChannelListing, Product, Variant
    from catalog.services import PriceRow, category_create, channel_create, prices_import
    from inventory.models import Location
    from inventory.services import location_create, stock_receive
    from omnishop.accounts.models import User
    from omnishop.accounts.roles import STORE_STAFF

    channel = Channel.objects.filter(code=CHANNEL).first() or channel_create(
        code=CHANNEL, name="Bench store web", kind=Channel.Kind.WEB
    )
    store = Location.objects.filter(code=STORE).first() or location_create(
        code=STORE,
        name="Bench Store Warszawa",
        kind="store",
        city="Warszawa",
        latitude=Decimal("52.2297"),
        longitude=Decimal("21.0122"),
        click_and_collect=True,
        ship_from_store=True,
        ships_online=True,
    )
    warehouse = Location.objects.filter(code=WAREHOUSE).first() or location_create(
        code=WAREHOUSE, name="Bench SQ warehouse", kind="warehouse", city="Stryków",
        latitude=Decimal("51.9"), longitude=Decimal("19.6"), ships_online=True,
    )  # fmt: skip
    category = Category.objects.filter(slug="bench-sq").first() or category_create(name="Bench queue", slug="bench-sq")
    variants = dict(Variant.objects.filter(sku__in=SKUS.values()).values_list("sku", "pk"))
    if len(variants) < len(SKUS):
        for sku in SKUS.values():
            if sku in variants:
                continue
            product = Product.objects.create(name=f"Kurtka {sku[-5:].title()}", slug=sku.lower(), category=category)
            variant = Variant.objects.create(product=product, sku=sku, size="M")
            prices_import(rows=[PriceRow(variant.pk, "PLN", Decimal("1299.50"))], reason="bench")
            ChannelListing.objects.create(product=product, channel=channel, published_from=timezone.now())
            variants[sku] = variant.pk
        stock_receive(variant=Variant.objects.get(sku=SKUS["store"]), location=store, quantity=100_000)
        stock_receive(variant=Variant.objects.get(sku=SKUS["warehouse"]), location=warehouse, quantity=100_000)
        stock_receive(variant=Variant.objects.get(sku=SKUS["parcel"]), location=store, quantity=100_000)
    user = User.objects.filter(email=STAFF).first()
    if user is None:
        user = User.objects.create_user(email=STAFF, password=None, is_staff=True, first_name="Ewa", last_name="Bench")
        user.groups.add(Group.objects.get(name=STORE_STAFF))
        store.staff.add(user)
    return {"channel": channel, "store": store, "variants": variants, "user": user}


def _open_orders(store) -> int:
    from orders.store_selectors import store_queue

    return store_queue(store=store).total


def _order_add(world: dict, state: str, rng: random.Random) -> None:
    from orders import lifecycle
    from orders.models import Order
    from orders.services import (
        Contact,
        fulfilment_picking_start,
        fulfilment_transfer_ship,
        order_picking_start,
        order_place,
        order_ready_for_pickup,
        order_transition,
    )

    store, user, variants = world["store"], world["user"], world["variants"]
    name = rng.choice(NAMES)
    contact = Contact(
        email=f"{name.split()[0].lower()}.{rng.randint(1, 10**6)}@example.pl",
        phone=f"+48{rng.randint(500_000_000, 799_999_999)}",
        name=name,
    )
    sku = {"waiting": "warehouse", "arriving": "warehouse", "sfs_pick": "parcel", "sfs_ship": "parcel"}.get(
        state, "store"
    )
    common_args = {"channel": world["channel"], "lines": {variants[SKUS[sku]]: rng.randint(1, 2)}, "contact": contact}
    if state.startswith("sfs"):
        order = order_place(
            **common_args,
            fulfilment_type="delivery",
            shipping_address={"street": "Piotrkowska 1", "postal_code": "90-001", "city": "Łódź"},
        )
    else:
        order = order_place(
            **common_args,
            fulfilment_type="ropis" if state == "pick_ropis" else "click_and_collect",
            pickup_location=store,
            payment_method="pay_in_store" if state == "pick_ropis" else "card",
        )
    if state in ("waiting", "arriving"):
        if state == "arriving":
            fulfilment_transfer_ship(fulfilment=order.fulfilments.get())
        return
    order.refresh_from_db(fields=["status"])
    if order.status == Order.Status.PLACED:  # the card payment confirms it after commit when Celery is eager
        order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    if state == "sfs_ship":
        fulfilment_picking_start(fulfilment=order.fulfilments.get(), actor=user)
    if state in ("picking", "ready"):
        order = order_picking_start(order=order, actor=user)
    if state == "ready":
        order_ready_for_pickup(order=order, actor=user)


def data_ensure() -> dict:
    from django.test.utils import override_settings

    world = _world()
    have = _open_orders(world["store"])
    missing = max(OPEN_ORDERS - have, 0)
    if missing:
        common.log(f"  placing {missing} orders through the services ({have} open already)")
        rng = random.Random(have)
        states = [state for state, share in MIX for _ in range(round(share * missing))]
        states += ["pick_cc"] * (missing - len(states))
        rng.shuffle(states)
        sink = io.StringIO()  # the console SMS/push senders print each notice
        locmem = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
        with locmem, contextlib.redirect_stdout(sink):
            for state in states[:missing]:
                _order_add(world, state, rng)
        _spread_in_time(world["store"], rng)
    world["open_orders"] = _open_orders(world["store"])
    return world


def _spread_in_time(store, rng: random.Random) -> None:
    """Placed over the last two days; a tenth of the pickups waiting past their pickup-by date (bench data)."""
    from django.utils import timezone

    from orders.models import Order

    now = timezone.now()
    for pk in Order.objects.filter(pickup_location=store).values_list("pk", flat=True):
        Order.objects.filter(pk=pk).update(created_at=now - timedelta(minutes=rng.randint(5, 48 * 60)))
    ready = list(Order.objects.filter(pickup_location=store, status="ready_for_pickup").values_list("pk", flat=True))
    for pk in ready[: len(ready) // 10]:
        Order.objects.filter(pk=pk).update(pickup_expires_at=now - timedelta(hours=rng.randint(1, 30)))


def run(quick: bool) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    views = 60 if quick else 300
    common.log("-- data")
    with common.Timer() as timer:
        world = data_ensure()
    common.database_analyze()
    common.log(f"  {world['open_orders']} open orders in {STORE}'s queue ({timer.s:.1f} s)")

    client = Client(HTTP_HOST=common.LOOPBACK)
    client.force_login(world["user"])
    first = client.get("/store/")  # warm-up: the store goes into the session
    assert first.status_code == 200, first.status_code
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/store/")
    assert page.status_code == 200
    queries = len(captured)

    common.log(f"-- in-process: {views} views of /store/")
    latencies = []
    for _ in range(views):
        start = time.perf_counter()
        response = client.get("/store/")
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    figures = common.latency_figures(latencies)
    common.log(f"  p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, {queries} queries per view")
    return {
        "queries": queries,
        "p50_ms": figures["p50_ms"],
        "p95_ms": figures["p95_ms"],
        "p99_ms": figures["p99_ms"],
        "open_orders": world["open_orders"],
        "page_kb": round(len(page.content) / 1024, 1),
        "views": views,
        "ok_queries": queries <= 15,
        "ok_p95": figures["p95_ms"] <= 100,
    }
