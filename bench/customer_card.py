"""The 360° customer card in admin: a customer with 1,000 orders across 5 channels and 200 notes.

Data (idempotent, reused by later runs): 5 channels (web, app, store POS, call centre, B2B),
a warehouse and a store, the customer ``bench-card@example.pl`` with 1,000 orders (one
fulfilment and two timeline events each, a fifth of them collected in the store, spread over
the past three years), 200 notes (every tenth pinned) and 100 notifications (every fifth
failed); a second customer with 10 orders, notes and notifications in the same proportions,
for the query count's constancy. Loaded with ``bulk_create`` (the services place one order at
a time; what is measured is the page reading them).

Figures, IN-PROCESS (django.test.Client, a signed-in customer-service agent, no HTTP server):

- ``p50_ms`` / ``p95_ms``: the card page as an agent opens it (the newest page of orders, the
  newest order's timeline), wall time per request; target p95 <= 150 ms.
- ``p95_ms_timeline`` / ``p95_ms_last_page``: the card with an older order selected
  (``?order=``) and the last page of orders (``?orders_page=50``).
- ``cpu_ms_p50`` / ``cpu_ms_p95``: the bench process's CPU time per page (``time.process_time``,
  PostgreSQL's own work not included): what the page costs when the machine is shared.
- ``queries``: queries per card page (target <= 30); ``queries_10_orders``: the same page for
  the customer with 10 orders (must be equal); ``orders``, ``notes``: the customer's rows.
- ``load_avg_1m``: the machine's 1-minute load average when the measurement started.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from decimal import Decimal

from bench import common

PREFIX = "bench-card"
ORDERS, NOTES, NOTIFICATIONS = 1_000, 200, 100
SMALL_ORDERS = 10
CHANNELS = [
    ("web", "Sklep internetowy", "web"),
    ("app", "Aplikacja mobilna", "app"),
    ("pos", "Sklep stacjonarny (kasa)", "store"),
    ("call", "Infolinia", "call_centre"),
    ("b2b", "Sprzedaż B2B", "b2b"),
]


def _locations():
    from inventory.models import Location
    from inventory.services import location_create

    found = {loc.code: loc for loc in Location.objects.filter(code__startswith=f"{PREFIX}-")}
    wanted = [
        (f"{PREFIX}-wh", "Magazyn Stryków", Location.Kind.WAREHOUSE, "Stryków", "51.900000", "19.600000"),
        (f"{PREFIX}-st", "Sklep Łódź Manufaktura", Location.Kind.STORE, "Łódź", "51.759445", "19.457216"),
    ]
    for code, name, kind, city, lat, lng in wanted:
        if code not in found:
            store = kind == Location.Kind.STORE
            found[code] = location_create(
                code=code,
                name=name,
                kind=kind,
                city=city,
                latitude=Decimal(lat),
                longitude=Decimal(lng),
                ships_online=not store,
                click_and_collect=store,
            )
    return found[f"{PREFIX}-wh"], found[f"{PREFIX}-st"]


def _customer_ensure(*, email: str, orders: int, notes: int, notifications: int, agent) -> tuple:
    """The customer ``email`` with at least ``orders`` orders, ``notes`` notes and
    ``notifications`` notifications (created in bulk when missing)."""
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Channel
    from customers.models import Customer, CustomerIdentity, CustomerNote
    from customers.services import customer_identity_add
    from omnishop.notifications.models import Notification
    from orders.models import Fulfilment, Order, OrderEvent

    channels = [
        Channel.objects.get_or_create(code=f"{PREFIX}-{code}", defaults={"name": name, "kind": kind})[0]
        for code, name, kind in CHANNELS
    ]
    warehouse, store = _locations()
    customer = Customer.objects.filter(email=email).first()
    if customer is None:
        customer = Customer.objects.create(
            first_name="Ewa", last_name="Benchmarkowa", email=email, phone="+48600100200", city="Łódź"
        )
        customer_identity_add(customer=customer, kind=CustomerIdentity.Kind.LOYALTY_CARD, value=f"KL-{customer.pk}")
    have = Order.objects.filter(customer=customer).count()
    now = timezone.now()
    with transaction.atomic():
        if have < orders:
            batch = []
            for i in range(have, orders):
                pickup = i % 5 == 2
                batch.append(
                    Order(
                        number=f"BC-{customer.pk}-{i:05d}",
                        channel=channels[i % len(channels)],
                        customer=customer,
                        email=email,
                        fulfilment_type="click_and_collect" if pickup else "delivery",
                        pickup_location=store if pickup else None,
                        status=Order.Status.COMPLETED if i % 13 else Order.Status.CANCELLED,
                        payment_status="paid" if i % 13 else "refunded",
                        currency="PLN",
                        subtotal=Decimal("100.00") + i,
                        total=Decimal("100.00") + i + Decimal("0.50"),
                    )
                )
            created = Order.objects.bulk_create(batch, batch_size=500)
            for j, order in enumerate(created):
                order.created_at = now - timedelta(hours=26 * (have + j + 1))
            Order.objects.bulk_update(created, ["created_at"], batch_size=500)
            Fulfilment.objects.bulk_create(
                [
                    Fulfilment(order=o, location=store if o.pickup_location_id else warehouse, status="done")
                    for o in created
                ],
                batch_size=500,
            )
            events = []
            for o in created:
                events.append(OrderEvent(order=o, type="placed", to_status="placed", channel=o.channel))
                events.append(
                    OrderEvent(order=o, type="status_changed", from_status="placed", to_status=o.status, actor=agent)
                )
            OrderEvent.objects.bulk_create(events, batch_size=1000)
        have_notes = CustomerNote.objects.filter(customer=customer).count()
        CustomerNote.objects.bulk_create(
            [
                CustomerNote(
                    customer=customer, author=agent, text=f"Notatka {i}: woli kontakt po 17:00.", pinned=i % 10 == 0
                )
                for i in range(have_notes, notes)
            ]
        )
        have_sent = Notification.objects.filter(customer=customer).count()
        failed = Notification.Status.FAILED
        Notification.objects.bulk_create(
            [
                Notification(
                    customer=customer,
                    channel="email",
                    template="order_placed",
                    language="pl",
                    recipient=email,
                    order_reference=f"BC-{customer.pk}-{i:05d}",
                    status=failed if i % 5 == 0 else Notification.Status.SENT,
                    sent_at=None if i % 5 == 0 else now,
                )
                for i in range(have_sent, notifications)
            ]
        )
    return (
        customer,
        Order.objects.filter(customer=customer).count(),
        CustomerNote.objects.filter(customer=customer).count(),
    )


def _agent():
    from django.contrib.auth.models import Group

    from omnishop.accounts.models import User

    user = User.objects.filter(email=f"{PREFIX}-agent@example.pl").first()
    if user is None:
        user = User.objects.create_user(
            email=f"{PREFIX}-agent@example.pl", password=None, is_staff=True, first_name="Olga", last_name="Agentka"
        )
        user.groups.add(Group.objects.get(name="Customer service agent"))
    return user


def _measure(client, path: str, rounds: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(rounds):
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(path)
        body = response.content
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        if response.status_code != 200 or b"card-orders" not in body:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return wall, cpu


def run(quick: bool) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    rounds = 40 if quick else 300
    common.log(f"-- data: a customer with {ORDERS} orders over {len(CHANNELS)} channels and {NOTES} notes")
    agent = _agent()
    with common.Timer() as t:
        big, orders, notes = _customer_ensure(
            email=f"{PREFIX}@example.pl", orders=ORDERS, notes=NOTES, notifications=NOTIFICATIONS, agent=agent
        )
        small, small_orders, _ = _customer_ensure(
            email=f"{PREFIX}-small@example.pl", orders=SMALL_ORDERS, notes=2, notifications=1, agent=agent
        )
    common.log(f"  orders={orders} notes={notes} (small customer: {small_orders} orders) in {t.s:.1f}s")
    common.database_analyze()

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, common.LOOPBACK]
    client = Client(HTTP_HOST=common.LOOPBACK, HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(agent)
    card = reverse("admin:customers_customer_change", args=[big.pk])
    small_card = reverse("admin:customers_customer_change", args=[small.pk])
    older = f"{card}?order=BC-{big.pk}-00500"
    last_page = f"{card}?orders_page=50"

    counts = {}
    for name, path in (("queries", card), ("queries_10_orders", small_card), ("queries_timeline", older)):
        client.get(path)  # warm the process's caches (content types, permissions, templates)
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        counts[name] = len(ctx.captured_queries)
    common.log(f"-- queries per card page: {counts}")
    if counts["queries"] != counts["queries_10_orders"]:
        common.log("  WARNING: the card's query count grows with the customer's orders")

    load_1m = os.getloadavg()[0]
    common.log(f"-- in-process timing: {rounds} card pages each (load average {load_1m:.2f} on {os.cpu_count()} cpus)")
    _measure(client, card, 5)  # warm-up
    wall, cpu = _measure(client, card, rounds)
    wall_timeline, _cpu = _measure(client, older, max(10, rounds // 4))
    wall_last, _cpu = _measure(client, last_page, max(10, rounds // 4))
    figures = common.latency_figures(wall)
    result = {
        **counts,
        "p50_ms": figures["p50_ms"],
        "p95_ms": figures["p95_ms"],
        "p99_ms": figures["p99_ms"],
        "cpu_ms_p50": round(common.percentile(cpu, 50), 2),
        "cpu_ms_p95": round(common.percentile(cpu, 95), 2),
        "p95_ms_timeline": round(common.percentile(wall_timeline, 95), 2),
        "p95_ms_last_page": round(common.percentile(wall_last, 95), 2),
        "orders": orders,
        "notes": notes,
        "rounds": rounds,
        "load_avg_1m": round(load_1m, 2),
        "timing": "in-process: django.test.Client GET of the card page as an agent, no HTTP server",
        "target": "queries <= 30 (equal for 10 orders), p95_ms <= 150",
        "within_target": counts["queries"] <= 30
        and counts["queries"] == counts["queries_10_orders"]
        and figures["p95_ms"] <= 150,
    }
    common.print_table(
        "card page (ms)",
        {"card": {**figures, "cpu_p50": result["cpu_ms_p50"]}},
        ["p50_ms", "p95_ms", "p99_ms", "cpu_p50"],
    )
    return result
