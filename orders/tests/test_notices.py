"""What orders tells its customers: every notice in both languages for a realistic order, the
right channel and language for customers and guests, after commit only, the pickup code only in
the message itself, the reminder once."""

import logging
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils.html import strip_tags

from customers.services import customer_create
from inventory.models import Location
from omnishop.notifications.models import Notification
from omnishop.notifications.rendering import message_render
from omnishop.notifications.services import notification_deliver
from omnishop.outbox.models import OutboxEvent
from orders import lifecycle
from orders.models import Fulfilment, Order
from orders.notices import Notice, order_context
from orders.services import (
    fulfilment_ship,
    order_cancel,
    order_hand_over,
    order_payment_authorize,
    order_picking_start,
    order_place,
    order_ready_for_pickup,
    order_transition,
    pickup_orders_expire,
    pickup_reminders_send,
)
from orders.tests.conftest import ADDRESS, GUEST, marketplace_key, stock
from orders.tests.test_pickup import store_staff

pytestmark = pytest.mark.django_db

# Words of the English templates that no Polish message may keep (product and store names,
# numbers and the brand are data, not template text).
ENGLISH = re.compile(
    r"\b(the|and|your|you|order|total|pickup|delivery|parcel|code|store|refund|payment|has|been|with|for|"
    r"hello|thank|team|tracking|subtotal|product|amount|collect|until|after|cancelled)\b",
    re.IGNORECASE,
)


@pytest.fixture
def store(shop):
    waw = shop["waw"]
    Location.objects.filter(pk=waw.pk).update(
        name="omnishop Warszawa Złote Tarasy", street="Złota 59", postal_code="00-120", phone="+48221234567"
    )
    waw.refresh_from_db()
    return waw


def sent(template: str, order: Order) -> Notification:
    return Notification.objects.get(template=template, order_reference=order.number)


def place_delivery(shop, **kwargs) -> Order:
    for variant in shop["variants"][:2]:
        stock(variant, shop["warehouse"], 10)
    lines = {shop["variants"][0].pk: 2, shop["variants"][1].pk: 1}
    return order_place(channel=shop["web"], lines=lines, fulfilment_type="delivery", shipping_address=ADDRESS, **kwargs)


def ready_order(shop, store, *, customer=None, **kwargs) -> tuple[Order, object]:
    seller = store_staff("sprzedawca@example.pl", store)
    stock(shop["variants"][0], store, 3)
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=store,
        customer=customer,
        contact=None if customer else GUEST,
        **kwargs,
    )
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    order_picking_start(order=order, actor=seller)
    return order_ready_for_pickup(order=order, actor=seller), seller


def _contexts(shop, store) -> dict[Notice, tuple[Order, dict]]:
    delivery = place_delivery(shop, contact=GUEST)
    Order.objects.filter(pk=delivery.pk).update(subtotal=Decimal("1234.50"), total=Decimal("1249.49"))
    delivery.refresh_from_db()
    pickup, _seller = ready_order(shop, store)
    lines = [
        {"name": ln.name, "sku": ln.sku, "quantity": ln.quantity, "line_total": str(ln.line_total)}
        for ln in delivery.lines.all()
    ]
    deadline = pickup.pickup_expires_at.isoformat()
    return {
        Notice.ORDER_PLACED: (delivery, order_context(delivery, lines=lines)),
        Notice.PAYMENT_FAILED: (delivery, order_context(delivery, cancelled=True)),
        Notice.PICKUP_READY: (pickup, order_context(pickup, replaced=False)),
        Notice.PICKUP_REMINDER: (pickup, order_context(pickup)),
        Notice.PICKUP_EXPIRED: (pickup, order_context(pickup, expired_at=deadline, refund_due=True)),
        Notice.ORDER_SHIPPED: (
            delivery,
            order_context(delivery, carrier="InPost", tracking_number="620000111222333444", lines=lines),
        ),
        Notice.ORDER_CANCELLED: (delivery, order_context(delivery, refund_due=True)),
        Notice.ORDER_REFUNDED: (delivery, order_context(delivery, refund_reference="FAKE-REFUND-1")),
        Notice.ITEMS_CANCELLED: (
            pickup,
            order_context(pickup, lines=[{**lines[0], "quantity": 1}], amount="100.00", refund="not_charged"),
        ),
        Notice.GIFT_CARDS_ISSUED: (delivery, order_context(delivery, cards=1)),
    }


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_every_notice_renders_in_both_languages_for_a_realistic_order(shop, store, channel):
    contexts = _contexts(shop, store)
    assert set(contexts) == set(Notice)
    for notice, (order, context) in contexts.items():
        rendered = {}
        for language in ("pl", "en"):
            notification = Notification(
                pk=1, template=notice.value, language=language, channel=channel, recipient="x", context=context
            )
            message = message_render(notification, secret="482913")
            visible = f"{message.subject}\n{message.text}\n{strip_tags(message.html)}"
            assert order.number in visible, (notice, language)
            assert "{{" not in visible and "{%" not in visible
            rendered[language] = visible
        polish = rendered["pl"]
        for value in (
            order.number,
            store.name,
            "InPost",
            "FAKE-REFUND-1",
            "omnishop",
            *(ln.name for ln in order.lines.all()),
        ):
            polish = polish.replace(value, "")
        assert not ENGLISH.findall(polish), (notice, channel, sorted(set(ENGLISH.findall(polish))))
        assert rendered["pl"] != rendered["en"]
        if notice in (Notice.PICKUP_READY, Notice.PICKUP_REMINDER, Notice.GIFT_CARDS_ISSUED):
            assert "482913" in rendered["pl"] and "482913" in rendered["en"]
        if notice == Notice.ORDER_PLACED and channel == "email":
            assert "1\u00a0234,50\u00a0zł" in rendered["pl"] and "1,234.50\u00a0PLN" in rendered["en"]


def test_dates_are_shown_in_warsaw_time(shop, store):
    pickup, _seller = ready_order(shop, store)
    deadline = datetime(2026, 12, 9, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw (CET)
    Order.objects.filter(pk=pickup.pk).update(pickup_expires_at=deadline)
    pickup.refresh_from_db()
    notification = Notification(
        pk=1, template="pickup_reminder", language="pl", channel="sms", recipient="x", context=order_context(pickup)
    )
    assert "9 grudnia 2026, 18:00" in message_render(notification, secret="1").text


def test_a_guest_is_told_in_the_language_of_the_order_by_e_mail_after_commit(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = place_delivery(shop, contact=GUEST, language="en")
    notification = sent("order_placed", order)
    assert (notification.status, notification.channel, notification.language) == ("sent", "email", "en")
    assert notification.customer is None and notification.recipient == GUEST.email
    [email] = mail.outbox
    assert email.to == [GUEST.email] and order.number in email.subject
    assert email.alternatives[0].mimetype == "text/html"


def test_a_guest_with_only_a_phone_gets_an_sms(shop, django_capture_on_commit_callbacks, capsys):
    from orders.services import Contact

    with django_capture_on_commit_callbacks(execute=True):
        order = place_delivery(shop, contact=Contact(phone="+48601234567"))
    notification = sent("order_placed", order)
    assert (notification.channel, notification.recipient, notification.status) == ("sms", "+48601234567", "sent")
    assert notification.language == "en"  # the test settings' LANGUAGE_CODE: no request language
    assert "[SMS to +48 *** *** 567]" in capsys.readouterr().out


def test_a_customer_is_told_in_their_language_and_channel(shop, django_capture_on_commit_callbacks):
    customer = customer_create(email="anna@example.pl", phone="601 234 568", language="pl", notification_channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        order = place_delivery(shop, customer=customer, language="en")
    notification = sent("order_placed", order)
    assert (notification.channel, notification.language, notification.customer) == ("sms", "pl", customer)

    pushy = customer_create(email="piotr@example.pl", language="en", notification_channel="push")
    with django_capture_on_commit_callbacks(execute=True):
        order = place_delivery(shop, customer=pushy)
    notification = sent("order_placed", order)  # no device known: e-mail
    assert (notification.channel, notification.language, notification.recipient) == ("email", "en", "piotr@example.pl")


def test_a_rolled_back_change_sends_nothing(shop, django_capture_on_commit_callbacks):
    class Rollback(Exception):
        pass

    order = place_delivery(shop, contact=GUEST)  # its notice is never committed (the test's transaction)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        order_cancel(order=order, role=lifecycle.CUSTOMER)
        assert Notification.objects.filter(template="order_cancelled").exists()
        raise Rollback
    assert not Notification.objects.filter(template="order_cancelled").exists()
    assert mail.outbox == [] and callbacks == []


def test_the_pickup_code_reaches_the_customer_but_no_log_outbox_or_admin_page(
    shop, store, django_capture_on_commit_callbacks, caplog, admin_client
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        order, seller = ready_order(shop, store)
    code = Order.objects.get(pk=order.pk).pickup_code
    notification = sent("pickup_ready", order)
    assert notification.status == "sent"
    [email] = [m for m in mail.outbox if "ready" in m.subject]
    assert code in email.body and code in email.alternatives[0].content
    html = email.alternatives[0].content
    assert 'src="cid:qr"' in html and store.street in html
    message = email.message()
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<qr>"
    assert message.get_content_type() == "multipart/related"

    assert code not in str(Notification.objects.filter(order_reference=order.number).values())
    assert all(code not in str(e.payload) for e in OutboxEvent.objects.all())
    assert all(code not in record.getMessage() for record in caplog.records)
    for url in ("/admin/notifications/notification/", f"/admin/notifications/notification/{notification.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert code not in page and GUEST.email not in page
    assert "g***@example.pl" in admin_client.get("/admin/notifications/notification/").content.decode()

    # Five wrong codes: a new one, sent the same way; once collected, a late re-send has nothing to say.
    for _attempt in range(5):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="pickup code"):
            order_hand_over(order=order, code="x", actor=seller)
    new_code = Order.objects.get(pk=order.pk).pickup_code
    replaced = Notification.objects.filter(template="pickup_ready", order_reference=order.number).order_by("pk")
    assert replaced.count() == 2 and replaced.last().context["replaced"] is True
    assert new_code != code and new_code in mail.outbox[-1].body
    order_hand_over(order=order, code=new_code, actor=seller)
    Notification.objects.filter(pk=notification.pk).update(status="pending", sent_at=None)
    assert notification_deliver(notification_id=notification.pk) == "cancelled"


def test_the_reminder_goes_once_a_day_before_the_deadline(shop, store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order, _seller = ready_order(shop, store)
    expires = Order.objects.get(pk=order.pk).pickup_expires_at
    assert pickup_reminders_send(now=expires - timedelta(days=2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert pickup_reminders_send(now=expires - timedelta(hours=20)) == 1
        assert pickup_reminders_send(now=expires - timedelta(hours=10)) == 0
    reminder = sent("pickup_reminder", order)
    assert reminder.status == "sent" and order.events.filter(type="pickup_reminder_sent").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert pickup_orders_expire(now=expires + timedelta(minutes=1)) == 1
    assert sent("pickup_expired", order).status == "sent"
    assert not Notification.objects.filter(template="order_cancelled", order_reference=order.number).exists()


def test_each_parcel_is_announced_with_its_tracking_number(shop, django_capture_on_commit_callbacks):
    stock(shop["variants"][0], shop["warehouse"], 5)
    stock(shop["variants"][1], shop["krk"], 5)
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1, shop["variants"][1].pk: 1},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        contact=GUEST,
    )
    order = order_payment_authorize(order_id=order.pk)
    order = order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.WAREHOUSE)
    parcels = list(Fulfilment.objects.filter(order=order).order_by("pk"))
    assert len(parcels) == 2
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_ship(fulfilment=parcels[0], carrier="InPost", tracking_number="620001", actor=None)
    order.refresh_from_db()
    assert order.status == "processing"
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_ship(fulfilment=parcels[1], carrier="DPD", tracking_number="0000DPD2", actor=None)
    order.refresh_from_db()
    assert order.status == "shipped"
    shipped = Notification.objects.filter(template="order_shipped", order_reference=order.number).order_by("pk")
    assert [n.context["tracking_number"] for n in shipped] == ["620001", "0000DPD2"]
    assert all(n.status == "sent" for n in shipped)
    assert "0000DPD2" in mail.outbox[-1].body and "DPD" in mail.outbox[-1].alternatives[0].content


def test_an_order_shipped_at_once_announces_its_parcel_without_tracking(shop):
    order = place_delivery(shop, contact=GUEST)
    order = order_payment_authorize(order_id=order.pk)
    order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.WAREHOUSE)
    order_transition(order=order, to=Order.Status.SHIPPED, role=lifecycle.WAREHOUSE)
    [shipped] = Notification.objects.filter(template="order_shipped", order_reference=order.number)
    assert shipped.context["tracking_number"] == ""


def test_cancellation_payment_failure_and_refund_are_told(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        paid = place_delivery(shop, contact=GUEST)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=paid, role=lifecycle.CUSTOMER)
    assert sent("order_cancelled", paid).context["refund_due"] is True
    assert sent("order_refunded", paid).status == "sent"

    declined = place_delivery(shop, contact=GUEST)
    Order.objects.filter(pk=declined.pk).update(total=Decimal("666.66"))  # the fake provider declines it
    order_payment_authorize(order_id=declined.pk)
    declined.refresh_from_db()
    assert declined.status == "cancelled"
    assert sent("payment_failed", declined).context["cancelled"] is True
    assert not Notification.objects.filter(template="order_cancelled", order_reference=declined.number).exists()


@pytest.mark.parametrize(("accept", "language"), [("pl-PL,pl;q=0.9", "pl"), ("en-GB,en;q=0.8", "en"), ("de", "pl")])
def test_the_api_keeps_the_language_a_guest_ordered_in(api_client, shop, settings, accept, language):
    """A marketplace buyer (a guest) is told in the language of the request that placed the order."""
    settings.LANGUAGE_CODE = "pl"
    key = marketplace_key(shop)
    payload = {
        "lines": [{"sku": shop["variants"][0].sku, "quantity": 1}],
        "fulfilment_type": "delivery",
        "shipping_address": ADDRESS,
        "contact": {"email": "kupujacy@allegro.example"},
    }
    response = api_client.post(
        "/api/v1/orders/", payload, format="json", HTTP_AUTHORIZATION=f"Api-Key {key}", HTTP_ACCEPT_LANGUAGE=accept
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert order.language == language
    assert sent("order_placed", order).language == language


def test_placing_an_order_costs_one_insert_for_its_notice(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        order = place_delivery(shop, contact=GUEST)
    touching = [q["sql"] for q in ctx.captured_queries if "notifications_notification" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("INSERT")
    assert sent("order_placed", order).status == "pending"  # sent after commit (never, in this test)
