"""The collect-by date counts the days the store is open, the reminder comes the store's number
of open days before it, and staff can send the ready notice again (same code)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from inventory.models import Location
from inventory.opening_hours import pickup_deadline, pickup_reminder_time
from inventory.services import location_update
from omnishop.notifications.models import Notification
from orders import lifecycle
from orders.exceptions import InvalidTransition, NotYourStore
from orders.models import Order
from orders.services import (
    order_picking_start,
    order_pickup_notice_resend,
    order_place,
    order_ready_for_pickup,
    order_transition,
    pickup_dates,
    pickup_reminders_send,
)
from orders.tests.conftest import GUEST, stock
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db

CLOSED_SUNDAYS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "10:00-21:00") | {"sun": None}


def processing_pickup(shop, store, *, kind="click_and_collect") -> tuple[Order, object]:
    seller = store.staff.first() or store_staff(f"staff-{store.code}@example.pl", store)
    stock(shop["variants"][0], store, 1)
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type=kind,
        pickup_location=store,
        contact=GUEST,
    )
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    return order_picking_start(order=order, actor=seller), seller


def closed_sundays(store, *, hold=3, remind=1) -> Location:
    return location_update(
        location=store,
        changes={"opening_hours": CLOSED_SUNDAYS, "pickup_hold_days": hold, "pickup_reminder_days": remind},
    )


def test_the_deadline_is_the_end_of_the_stores_nth_open_day(shop):
    store = closed_sundays(shop["waw"], hold=3, remind=1)
    order, seller = processing_pickup(shop, store)
    before = timezone.now()
    order = order_ready_for_pickup(order=order, actor=seller)
    after = timezone.now()
    order.refresh_from_db()
    expected = {pickup_deadline(CLOSED_SUNDAYS, ready_at=at, days=3) for at in (before, after)}
    assert order.pickup_expires_at in expected
    assert order.pickup_remind_at == pickup_reminder_time(CLOSED_SUNDAYS, deadline=order.pickup_expires_at, days=1)
    local = timezone.localtime(order.pickup_expires_at)
    assert (local.hour, local.minute) == (21, 0) and local.weekday() != 6


def test_pickup_dates_skip_a_closed_sunday_across_the_change_of_time(shop):
    store = closed_sundays(shop["waw"], hold=2, remind=1)
    order, _seller = processing_pickup(shop, store)
    order = Order.objects.select_related("pickup_location").get(pk=order.pk)
    # Saturday 24 October 2026, 15:00 in Warsaw; Sunday is closed and the clocks go back.
    expires, remind = pickup_dates(order, now=datetime(2026, 10, 24, 13, 0, tzinfo=UTC))
    assert expires == datetime(2026, 10, 27, 20, 0, tzinfo=UTC)  # Tuesday 21:00 CET
    assert remind == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # Monday 10:00 CET


def test_a_reservation_waits_its_own_hold_days(shop, settings):
    settings.OMNISHOP_ROPIS_HOLD_DAYS = 2
    store = closed_sundays(shop["waw"], hold=10, remind=1)
    order, _seller = processing_pickup(shop, store, kind="ropis")
    order = Order.objects.select_related("pickup_location").get(pk=order.pk)
    now = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # Friday
    expires, _remind = pickup_dates(order, now=now)
    assert expires == datetime(2026, 12, 7, 20, 0, tzinfo=UTC)  # Saturday, (Sunday), Monday 21:00


def test_no_reminder_when_it_would_come_before_the_order_is_ready(shop, monkeypatch):
    store = closed_sundays(shop["waw"], hold=1, remind=1)
    order, seller = processing_pickup(shop, store)
    # Ready on Wednesday 2 December 2026 at 14:00 in Warsaw, while the store is open: its one
    # hold day ends at 21:00 the same day, and a reminder one open day earlier would be before
    # now. (Ready before the store opens, say just after midnight, the reminder would be due at
    # the opening, after it.)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 2, 13, 0, tzinfo=UTC))
    order = order_ready_for_pickup(order=order, actor=seller)
    order.refresh_from_db()
    assert order.pickup_remind_at is None
    assert pickup_reminders_send(now=order.pickup_expires_at - timedelta(minutes=1)) == 0


def test_the_reminder_goes_at_its_time_once(shop, django_capture_on_commit_callbacks):
    store = closed_sundays(shop["waw"], hold=5, remind=2)
    order, seller = processing_pickup(shop, store)
    order_ready_for_pickup(order=order, actor=seller)
    order.refresh_from_db()
    remind = order.pickup_remind_at
    assert remind is not None and remind < order.pickup_expires_at
    assert pickup_reminders_send(now=remind - timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert pickup_reminders_send(now=remind) == 1
        assert pickup_reminders_send(now=remind + timedelta(hours=1)) == 0
    assert Notification.objects.filter(template="pickup_reminder", order_reference=order.number).count() == 1


def test_staff_send_the_ready_notice_again_with_the_same_code(shop, django_capture_on_commit_callbacks):
    order, seller = processing_pickup(shop, shop["waw"])
    with django_capture_on_commit_callbacks(execute=True):
        order = order_ready_for_pickup(order=order, actor=seller)
    code = Order.objects.get(pk=order.pk).pickup_code
    with django_capture_on_commit_callbacks(execute=True):
        order_pickup_notice_resend(order=order, actor=seller)
    notices = Notification.objects.filter(template="pickup_ready", order_reference=order.number).order_by("pk")
    assert notices.count() == 2 and notices.last().context["resent"] is True
    assert Order.objects.get(pk=order.pk).pickup_code == code
    event = order.events.get(type="pickup_notice_resent")
    assert event.actor == seller and event.payload == {"version": 1, "store": "waw"}
    assert code not in str(event.payload) and code not in str(notices.last().context)


def test_the_notice_is_resent_only_for_a_ready_order_of_the_actors_store(shop):
    order, seller = processing_pickup(shop, shop["waw"])
    with pytest.raises(InvalidTransition):
        order_pickup_notice_resend(order=order, actor=seller)  # still being picked
    order_ready_for_pickup(order=order, actor=seller)
    elsewhere = store_staff("krakow@example.pl", shop["krk"])
    with pytest.raises(NotYourStore):
        order_pickup_notice_resend(order=order, actor=elsewhere)
    assert not order.events.filter(type="pickup_notice_resent").exists()


def test_the_resend_admin_action(client, shop):
    order, seller = processing_pickup(shop, shop["waw"])
    order_ready_for_pickup(order=order, actor=seller)
    client.force_login(seller)
    changelist = reverse("admin:orders_order_changelist")
    client.post(changelist, {"action": "store_pickup_notice_resend", "_selected_action": [order.pk]})
    assert order.events.filter(type="pickup_notice_resent", actor=seller).count() == 1


def test_store_pickup_settings_are_kept_within_range(shop, settings):
    store = shop["waw"]
    assert (store.pickup_hold_days, store.pickup_reminder_days) == (
        settings.OMNISHOP_PICKUP_HOLD_DAYS,
        settings.OMNISHOP_PICKUP_REMINDER_DAYS,
    )
    for field, value in (("pickup_hold_days", 0), ("pickup_reminder_days", 61)):
        with pytest.raises(ValidationError):
            location_update(location=store, changes={field: value})
        with pytest.raises(IntegrityError), transaction.atomic():
            Location.objects.filter(pk=store.pk).update(**{field: value})


def test_the_pickup_settings_are_edited_in_the_location_admin(client, shop, superuser):
    from omnishop.tests.admin_forms import admin_form_data

    store = shop["waw"]
    client.force_login(superuser)
    url = reverse("admin:inventory_location_change", args=[store.pk])
    page = client.get(url)
    assert "pickup_hold_days" in page.content.decode()
    data = admin_form_data(page) | {"pickup_hold_days": "4", "pickup_reminder_days": "2"}
    assert client.post(url, data).status_code == 302
    store.refresh_from_db()
    assert (store.pickup_hold_days, store.pickup_reminder_days) == (4, 2)
