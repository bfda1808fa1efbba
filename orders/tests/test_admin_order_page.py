"""The order page in admin: a summary people read (no internal fields, nothing to save), the
timeline by name, and the steps the viewer's role may take now, through the services."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from inventory.models import StockLevel
from omnishop.notifications.models import Notification
from orders.models import Order
from orders.services import order_place, order_transition
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db


def staff(client, django_user_model, email: str, role: str):
    user = django_user_model.objects.create_user(email=email, password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def page(client, order, **headers):
    return client.get(reverse("admin:orders_order_change", args=[order.pk]), **headers)


def delivery(shop, *, variants=1, customer=None) -> Order:
    for variant in shop["variants"][:variants]:
        stock(variant, shop["warehouse"], 5)
    return order_place(
        channel=shop["call"],
        lines={v.pk: 1 for v in shop["variants"][:variants]},
        fulfilment_type="delivery",
        contact=GUEST,
        customer=customer,
        shipping_address=ADDRESS,
    )


def test_the_page_summarises_the_order_without_internal_fields_or_a_save_button(client, django_user_model, shop):
    customer = Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl")
    order = delivery(shop, customer=customer)
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    response = page(client, order, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:customers_customer_change", args=[customer.pk]) in html
    assert "114,99\u00a0zł" in html  # 100,00 + delivery 14,99, in Polish money
    assert f"{shop['warehouse'].name}: jedna przesyłka ze wszystkimi pozycjami" in html
    assert "Złożone" in html  # the timeline's "placed", translated
    internal = ("idempotency", "fingerprint", "fewest_shipments", "{&quot;", "_save", "_continue", "shipping_address")
    assert [text for text in internal if text in html] == []


def test_the_page_costs_the_same_queries_however_many_lines_and_events(client, django_user_model, shop):
    small, large = delivery(shop), delivery(shop, variants=3)
    for to in ("confirmed", "cancelled"):
        order_transition(order=large, to=to, role="agent")
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    page(client, small)  # warms the per-process caches

    def queries(order) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert page(client, order).status_code == 200
        return len(ctx.captured_queries)

    assert queries(large) == queries(small)


def test_the_agent_confirms_from_the_page_and_the_warehouse_may_not(client, django_user_model, shop):
    order = delivery(shop)
    staff(client, django_user_model, "magazyn@example.pl", "Warehouse staff")
    assert 'value="confirm"' not in page(client, order).content.decode()
    act = reverse("admin:orders_order_act", args=[order.pk])
    assert client.post(act, {"action": "confirm"}).status_code == 403
    agent = staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    assert 'value="confirm"' in page(client, order).content.decode()
    assert client.post(act, {"action": "confirm"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "confirmed" and order.events.last().actor == agent
    assert 'value="confirm"' not in page(client, order).content.decode()  # done: not offered again
    assert client.post(act, {"action": "confirm"}).status_code == 403


def test_cancelling_asks_for_a_reason_and_a_confirmation(client, django_user_model, shop):
    order = delivery(shop)
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    assert url in page(client, order).content.decode()
    confirm_page = client.get(url)
    assert confirm_page.status_code == 200 and order.number in confirm_page.content.decode()
    order.refresh_from_db()
    assert order.status == "placed"  # opening the confirmation cancels nothing
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200 and refused.context["form"].errors == {"reason": ["This field is required."]}
    order.refresh_from_db()
    assert order.status == "placed"
    assert client.post(url, {"reason": "Klient zrezygnował telefonicznie"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert order.events.last().note == "Klient zrezygnował telefonicznie"
    assert StockLevel.objects.get(variant=shop["variants"][0], location=shop["warehouse"]).allocated == 0
    assert client.get(url).status_code == 403  # cancelled: nothing more to cancel


def test_store_staff_open_only_their_stores_orders(client, django_user_model, shop):
    stock(shop["variants"][0], shop["waw"], 2)
    mine = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    theirs = delivery(shop)
    seller = staff(client, django_user_model, "sklep@example.pl", "Store staff")
    shop["waw"].staff.add(seller)
    assert page(client, mine).status_code == 200
    assert page(client, theirs).status_code == 302  # not found for them
    assert client.post(reverse("admin:orders_order_act", args=[theirs.pk]), {"action": "confirm"}).status_code == 404
    assert client.get(reverse("admin:orders_order_cancel", args=[theirs.pk])).status_code == 404
    html = page(client, mine).content.decode()
    assert 'value="confirm"' not in html and reverse("admin:orders_order_cancel", args=[mine.pk]) not in html


def test_a_failed_notification_is_sent_again_from_the_page(client, django_user_model, shop, settings):
    order = delivery(shop)
    notice = Notification.objects.filter(order_reference=order.number).first()
    assert notice is not None
    Notification.objects.filter(pk=notice.pk).update(status=Notification.Status.FAILED, last_error="smtp down")
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    assert 'value="resend"' in page(client, order).content.decode()
    act = reverse("admin:orders_order_act", args=[order.pk])
    assert client.post(act, {"action": "resend", "notification": notice.pk}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING
    assert 'value="resend"' not in page(client, order).content.decode()


def test_the_agent_retries_a_refund_from_the_page(client, django_user_model, shop):
    from orders import lifecycle
    from orders.services import order_cancel, order_payment_authorize

    order = delivery(shop)
    order = order_cancel(order=order_payment_authorize(order_id=order.pk), role=lifecycle.CUSTOMER)
    assert (order.status, order.payment_status) == ("cancelled", "paid")  # its refund not through yet
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    assert 'value="refund"' in page(client, order).content.decode()
    assert client.post(reverse("admin:orders_order_act", args=[order.pk]), {"action": "refund"}).status_code == 302
    order.refresh_from_db()
    assert order.payment_status == "refunded"
    assert 'value="refund"' not in page(client, order).content.decode()
