"""Pickup orders not collected in time are cancelled by the system (Celery beat), their goods
going back on sale; staff and the customer see the date they must be collected by."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customers.models import Customer
from inventory.models import StockLevel
from omnishop.accounts.models import User
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.models import Order
from orders.services import (
    order_hand_over,
    order_picking_start,
    order_place,
    order_ready_for_pickup,
    order_transition,
    pickup_orders_expire,
)
from orders.tasks import pickups_expire
from orders.tests.conftest import GUEST, stock
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db


def ready_pickup(shop, *, kind="click_and_collect", customer=None) -> Order:
    store = shop["waw"]
    seller = User.objects.filter(email="sprzedawca@example.pl").first() or store_staff("sprzedawca@example.pl", store)
    stock(shop["variants"][0], store, 1)
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type=kind,
        pickup_location=store,
        customer=customer,
        contact=None if customer else GUEST,
    )
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    return order_ready_for_pickup(order=order_picking_start(order=order, actor=seller), actor=seller)


def test_ready_for_pickup_sets_the_deadline_by_kind(shop, settings):
    settings.OMNISHOP_ROPIS_HOLD_DAYS = 2
    assert shop["waw"].pickup_hold_days == 7  # the store's own setting, from OMNISHOP_PICKUP_HOLD_DAYS
    before = timezone.now()
    collect = ready_pickup(shop)
    ropis = ready_pickup(shop, kind="ropis")
    for order, days in ((collect, 7), (ropis, 2)):
        order.refresh_from_db()
        # A store without opening hours counts calendar days, to the end of the last one (Warsaw).
        end = timezone.localtime(order.pickup_expires_at)
        assert (end.hour, end.minute) == (23, 59)
        assert timezone.localdate(before) + timedelta(days=days) == end.date()


def test_uncollected_pickups_are_cancelled_by_the_system_and_their_stock_released(shop, settings):
    settings.OMNISHOP_PICKUP_HOLD_DAYS, settings.OMNISHOP_ROPIS_HOLD_DAYS = 7, 2
    collect = ready_pickup(shop)
    ropis = ready_pickup(shop, kind="ropis")
    level = StockLevel.objects.get(variant=shop["variants"][0], location=shop["waw"])
    assert level.allocated == 2

    assert pickup_orders_expire(now=timezone.now() + timedelta(days=3)) == 1  # the reservation only
    ropis.refresh_from_db()
    collect.refresh_from_db()
    assert (ropis.status, collect.status) == ("cancelled", "ready_for_pickup")
    assert ropis.pickup_expires_at is None and ropis.pickup_code == ""
    level.refresh_from_db()
    assert level.allocated == 1
    event = ropis.events.get(to_status="cancelled")
    assert event.actor is None and event.payload == {"role": "system"}
    assert event.note.startswith("Not collected by ")
    assert OutboxEvent.objects.filter(type="order.cancelled", aggregate_id=ropis.number).count() == 1

    assert pickup_orders_expire(now=timezone.now() + timedelta(days=8)) == 1
    collect.refresh_from_db()
    assert collect.status == "cancelled"
    level.refresh_from_db()
    assert level.allocated == 0
    assert pickup_orders_expire(now=timezone.now() + timedelta(days=8)) == 0


def test_a_collected_order_does_not_expire(shop):
    order = ready_pickup(shop)
    seller = User.objects.get(email="sprzedawca@example.pl")
    order_hand_over(order=order, code=order.pickup_code, actor=seller)
    assert pickup_orders_expire(now=timezone.now() + timedelta(days=30)) == 0
    order.refresh_from_db()
    assert order.status == "completed" and order.pickup_expires_at is None


def test_the_beat_task_expires_in_batches(shop, monkeypatch):
    from orders.services import pickup

    monkeypatch.setattr(pickup, "PICKUPS_EXPIRE_BATCH", 2)
    orders = [ready_pickup(shop) for _ in range(5)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(pickup_expires_at=timezone.now() - timedelta(minutes=1))
    assert pickups_expire.delay().get() == 5
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
    schedule = django_settings.CELERY_BEAT_SCHEDULE["orders-pickups-expire"]
    assert schedule["task"] == pickups_expire.name


def test_the_customer_and_staff_see_the_deadline(api_client, client, shop, superuser):
    user = User.objects.create_user(email="ola@example.pl", password="x-pass-123")
    order = ready_pickup(shop, customer=Customer.objects.create(user=user, email=user.email))
    order.refresh_from_db()
    api_client.force_authenticate(user)
    body = api_client.get(f"/api/v1/orders/{order.number}/").json()
    assert parse_datetime(body["pickup_expires_at"]) == order.pickup_expires_at
    client.force_login(superuser)
    page = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "Collect by" in page
    detail = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Collect by" in detail
