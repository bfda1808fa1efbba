"""Orders on the customer's 360° card: every order from every channel, newest first and paged,
the selected order's timeline with translated event names, KPIs from SQL aggregates, what the
customer was sent (a failed notice sent again), erasure refused while an order is open, and a
query count that does not grow with the customer's orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerDataAccess
from customers.services import customer_note_add
from omnishop.notifications.models import Notification
from orders import lifecycle
from orders.models import Order, OrderEvent
from orders.services import order_place, order_transition
from orders.tests.conftest import ADDRESS, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, django_user_model):
    user = django_user_model.objects.create_user(
        email="agent@example.pl", password="x-pass-123", is_staff=True, first_name="Olga", last_name="Agentka"
    )
    user.groups.add(Group.objects.get(name="Customer service agent"))
    client.force_login(user)
    return user


@pytest.fixture
def ewa(db):
    return Customer.objects.create(first_name="Ewa", last_name="Nowak", email="ewa@example.pl", city="Łódź")


def card(client, customer, **query):
    response = client.get(reverse("admin:customers_customer_change", args=[customer.pk]), query)
    assert response.status_code == 200
    return response


def section(response, name: str) -> dict:
    return next(s["context"] for s in response.context["card_sections"] if s["section"].name == name)


def bulk_orders(customer, channels, n: int, *, start: int = 0) -> list[Order]:
    """``n`` orders of ``customer`` spread over ``channels`` and the past days, each with one event."""
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"BULK-{customer.pk}-{start + i:05d}",
                channel=channels[i % len(channels)],
                customer=customer,
                fulfilment_type="delivery",
                status=Order.Status.COMPLETED,
                currency="PLN",
                subtotal=Decimal("1234.50"),
                total=Decimal("1234.50"),
            )
            for i in range(n)
        ]
    )
    for i, order in enumerate(orders):
        order.created_at = timezone.now() - timedelta(days=30 + start + i)
    Order.objects.bulk_update(orders, ["created_at"])
    OrderEvent.objects.bulk_create([OrderEvent(order=o, type="placed", to_status="placed") for o in orders])
    return orders


def test_every_order_from_every_channel_newest_first_with_its_store_and_total(client, agent, ewa, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    stock(a, shop["lodz"], 5)
    web = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", customer=ewa, shipping_address=ADDRESS
    )
    pickup = order_place(
        channel=shop["app"],
        lines={a.pk: 2},
        fulfilment_type="click_and_collect",
        customer=ewa,
        pickup_location=shop["lodz"],
    )
    other = Customer.objects.create(email="inna@example.pl")
    order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", customer=other, shipping_address=ADDRESS
    )
    orders = section(card(client, ewa), "orders")
    assert [o.number for o in orders["orders"]] == [pickup.number, web.number]
    assert [o.where for o in orders["orders"]] == [shop["lodz"].name, shop["warehouse"].name]
    page = card(client, ewa).text
    assert shop["app"].name in page and shop["web"].name in page
    assert f"{pickup.total:,.2f}\xa0PLN" in page and f"{web.total:,.2f}\xa0PLN" in page  # Polish: below


def test_in_polish_money_and_event_names_read_as_people_read_them(client, agent, ewa, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 20)
    order = order_place(
        channel=shop["web"], lines={a.pk: 12}, fulfilment_type="delivery", customer=ewa, shipping_address=ADDRESS
    )
    order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.AGENT, actor=agent)
    response = client.get(
        reverse("admin:customers_customer_change", args=[ewa.pk]), {"order": order.number}, HTTP_ACCEPT_LANGUAGE="pl"
    )
    text = response.text
    assert "1\xa0200,00\xa0zł" in text
    timeline = [entry["text"] for entry in section(response, "orders")["timeline"]]
    assert timeline[0] == "Złożone" and "Zmiana statusu: Złożone → Potwierdzone" in timeline
    assert "Zmień klient" not in text and "Change customer" not in text


def test_paging_keeps_twenty_a_page_and_selects_an_order_for_its_timeline(client, agent, ewa, shop):
    channels = [shop[k] for k in ("web", "app", "pos", "call", "b2b")]
    orders = bulk_orders(ewa, channels, 45)
    first = section(card(client, ewa), "orders")
    assert len(first["orders"]) == 20 and first["order_count"] == 45
    assert first["orders"][0] == orders[0] and first["selected"] == orders[0]  # the newest, by default
    third = section(card(client, ewa, orders_page=3), "orders")
    assert [o.number for o in third["orders"]] == [o.number for o in orders[40:]]
    chosen = section(card(client, ewa, order=orders[44].number), "orders")
    assert chosen["selected"] == orders[44] and [e["text"] for e in chosen["timeline"]] == ["Placed"]
    # Another customer's order is not shown on this card.
    other = Customer.objects.create(email="inna@example.pl")
    theirs = bulk_orders(other, channels, 1, start=100)[0]
    missing = section(card(client, ewa, order=theirs.number), "orders")
    assert missing["selected"] is None and missing["timeline"] == [] and missing["not_found"] == theirs.number


def test_kpis_come_from_aggregates(client, agent, ewa, shop):
    channels = [shop["web"], shop["pos"]]
    bulk_orders(ewa, channels, 4)
    cancelled = bulk_orders(ewa, channels, 1, start=10)[0]
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED, total=Decimal("999.00"))
    kpis = section(card(client, ewa), "kpis")["kpis"]
    assert kpis["money"] == [
        {"currency": "PLN", "orders": 4, "value": Decimal("4938.00"), "average": Decimal("1234.50")}
    ]
    assert kpis["order_count"] == 4 and kpis["cancelled_count"] == 1
    kept = Order.objects.filter(customer=ewa).exclude(pk=cancelled.pk)
    assert kpis["last_purchase"] == kept.latest("created_at").created_at
    assert {c["name"]: c["orders"] for c in kpis["channels"]} == {shop["web"].name: 3, shop["pos"].name: 2}
    page = client.get(reverse("admin:customers_customer_change", args=[ewa.pk]), HTTP_ACCEPT_LANGUAGE="pl").text
    assert "4\xa0938,00\xa0zł" in page and "1\xa0234,50\xa0zł" in page


def test_a_failed_notification_is_sent_again_from_the_card(
    client, agent, ewa, shop, django_capture_on_commit_callbacks
):
    failed = Notification.objects.create(
        customer=ewa,
        channel="email",
        template="order_placed",
        language="pl",
        recipient="ewa@example.pl",
        status=Notification.Status.FAILED,
        attempts=5,
        last_error="SMTP 421",
        order_reference="WEB-1",
    )
    sent = Notification.objects.create(
        customer=ewa,
        channel="sms",
        template="pickup_ready",
        language="pl",
        recipient="+48221002001",
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
    )
    resend = reverse("admin:customers_customer_card_action", args=[ewa.pk, "notifications", "resend"])
    page = card(client, ewa)
    assert [n.pk for n in section(page, "notifications")["notifications"]] == [sent.pk, failed.pk]
    assert page.text.count(resend) == 1  # only the failed one offers it
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(resend, {"notification": failed.pk}, follow=True)
    assert "being sent again" in response.text
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Notification.Status.PENDING, 0)
    refused = client.post(resend, {"notification": sent.pk}, follow=True)
    assert "Only a failed notification" in refused.text


def test_resending_needs_its_permission(client, django_user_model, ewa):
    failed = Notification.objects.create(
        customer=ewa,
        channel="email",
        template="order_placed",
        language="pl",
        recipient="ewa@example.pl",
        status=Notification.Status.FAILED,
    )
    dpo = django_user_model.objects.create_user(email="iod@example.pl", password="x-pass-123", is_staff=True)
    dpo.groups.add(Group.objects.get(name="Data protection officer"))
    client.force_login(dpo)
    resend = reverse("admin:customers_customer_card_action", args=[ewa.pk, "notifications", "resend"])
    assert client.post(resend, {"notification": failed.pk}).status_code == 403
    failed.refresh_from_db()
    assert failed.status == Notification.Status.FAILED


def test_place_an_order_for_this_customer_is_linked_from_the_card(client, agent, ewa):
    page = card(client, ewa).text
    assert f"{reverse('admin:orders_order_place')}?customer={ewa.pk}" in page


def test_erasure_is_refused_while_an_order_is_open(client, django_user_model, ewa, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", customer=ewa, shipping_address=ADDRESS
    )
    dpo = django_user_model.objects.create_user(email="iod@example.pl", password="x-pass-123", is_staff=True)
    dpo.groups.add(Group.objects.get(name="Data protection officer"))
    client.force_login(dpo)
    erase = reverse("admin:customers_customer_erase", args=[ewa.pk])
    confirmation = client.get(erase)
    assert order.number in confirmation.text and "Yes, erase" not in confirmation.text
    response = client.post(erase, follow=True)
    assert "Orders still open" in response.text and order.number in response.text
    ewa.refresh_from_db()
    assert ewa.erased_at is None and ewa.email == "ewa@example.pl"
    assert not CustomerDataAccess.objects.filter(kind="erased").exists()


def _card_queries(client, customer) -> int:
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.get(url)  # warm the caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_card_runs_as_many_queries_for_1000_orders_as_for_10(client, agent, shop):
    channels = [shop[k] for k in ("web", "app", "pos", "call", "b2b")]
    few, many = (Customer.objects.create(email=f"{n}@example.pl", first_name="Ewa") for n in ("few", "many"))
    for customer, n in ((few, 10), (many, 1000)):
        bulk_orders(customer, channels, n, start=0 if customer is few else 2000)
        for i in range(n // 5):
            customer_note_add(customer=customer, text=f"Notatka {i}", actor=agent, pinned=i % 7 == 0)
        Notification.objects.bulk_create(
            [
                Notification(
                    customer=customer,
                    channel="email",
                    template="order_placed",
                    language="pl",
                    recipient=customer.email,
                    status=Notification.Status.FAILED,
                )
                for _ in range(n // 10)
            ]
        )
    counted = _card_queries(client, few)
    assert _card_queries(client, many) == counted
    assert counted <= 30, counted
