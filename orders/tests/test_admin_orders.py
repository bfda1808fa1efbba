"""The order lifecycle in admin: each role gets the actions of its steps, and every step goes
through ``order_transition`` (state machine, stock, timeline)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from inventory.models import StockLevel
from orders import lifecycle
from orders.models import Order
from orders.payments import FakePaymentProvider, PaymentResult
from orders.services import order_cancel, order_payment_authorize, order_place
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_order_changelist"


def staff(client, django_user_model, email: str, role: str):
    user = django_user_model.objects.create_user(email=email, password="x-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def act(client, action: str, *orders: Order):
    response = client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [o.pk for o in orders]}, follow=True
    )
    assert response.status_code == 200
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def offered(client) -> set[str]:
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return {name for name, _label in response.context["action_form"].fields["action"].choices if name}


def test_each_role_is_offered_the_steps_it_may_take(client, django_user_model, shop):
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    assert offered(client) == {"make_confirmed", "make_cancelled", "make_completed", "payment_refund_retry"}
    staff(client, django_user_model, "magazyn@example.pl", "Warehouse staff")
    assert offered(client) == {"make_processing", "make_shipped"}


def test_warehouse_processes_and_ships_and_the_agent_marks_it_delivered(client, django_user_model, shop):
    a, warehouse = shop["variants"][0], shop["warehouse"]
    stock(a, warehouse, 5)
    order = order_place(
        channel=shop["web"], lines={a.pk: 2}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    agent = staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    assert act(client, "make_confirmed", order) == [("success", "1 order updated.")]

    picker = staff(client, django_user_model, "magazyn@example.pl", "Warehouse staff")
    for action in ("make_processing", "make_shipped"):
        assert act(client, action, order) == [("success", "1 order updated.")]
    level = StockLevel.objects.get(variant=a, location=warehouse)
    assert (level.on_hand, level.allocated) == (3, 0)  # the allocation became a sale

    client.force_login(agent)
    assert act(client, "make_completed", order) == [("success", "1 order updated.")]
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    timeline = list(order.events.filter(type="status_changed").values_list("to_status", "actor"))
    assert timeline == [
        ("confirmed", agent.pk),
        ("processing", picker.pk),
        ("shipped", picker.pk),
        ("completed", agent.pk),
    ]


def test_steps_the_state_machine_refuses_are_reported_per_order_and_change_nothing(client, django_user_model, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    stock(a, shop["waw"], 5)
    placed = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    pickup = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    act(client, "make_confirmed", pickup)
    staff(client, django_user_model, "magazyn@example.pl", "Warehouse staff")
    act(client, "make_processing", pickup)

    messages = act(client, "make_shipped", placed, pickup)
    assert [level for level, _text in messages] == ["error", "error"]
    texts = [text for _level, text in messages]
    assert f"{placed.number}: Order {placed.number} is Placed and cannot become Shipped." in texts
    assert any(text.startswith(f"{pickup.number}: ") and "collected in a store" in text for text in texts)
    statuses = dict(Order.objects.filter(pk__in=[placed.pk, pickup.pk]).values_list("number", "status"))
    assert statuses == {placed.number: "placed", pickup.number: "processing"}
    assert StockLevel.objects.get(variant=a, location=shop["waw"]).allocated == 1


def test_warehouse_staff_cannot_confirm_or_cancel(client, django_user_model, shop):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    staff(client, django_user_model, "magazyn@example.pl", "Warehouse staff")
    response = client.post(reverse(CHANGELIST), {"action": "make_cancelled", "_selected_action": [order.pk]})
    assert response.status_code == 302  # not an action offered to this user: Django runs nothing
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_a_click_and_collect_transfer_is_shipped_by_the_warehouse_and_booked_in_by_inventory(
    client, django_user_model, shop
):
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)  # nothing in the Warsaw store: the pair comes by transfer
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=shop["waw"],
        contact=GUEST,
    )
    fulfilment = order.fulfilments.get(transfer__isnull=False)
    fulfilments = reverse("admin:orders_fulfilment_changelist")

    def act_on_fulfilment(action):
        response = client.post(fulfilments, {"action": action, "_selected_action": [fulfilment.pk]}, follow=True)
        return [(m.level_tag, m.message) for m in response.context["messages"]]

    def offered_on_fulfilments():
        form = client.get(fulfilments).context["action_form"]  # None when no action is offered
        return {name for name, _label in form.fields["action"].choices if name} if form else set()

    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    assert offered_on_fulfilments() == set()
    staff(client, django_user_model, "magazyn@example.pl", "Warehouse staff")
    assert offered_on_fulfilments() == {"fulfilment_transfer_ship", "ship_with_tracking"}
    assert [level for level, _m in act_on_fulfilment("fulfilment_transfer_ship")] == ["success"]
    staff(client, django_user_model, "zapasy@example.pl", "Inventory manager")
    assert "fulfilment_transfer_receive" in offered_on_fulfilments()
    assert [level for level, _m in act_on_fulfilment("fulfilment_transfer_receive")] == ["success"]
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING
    assert StockLevel.objects.get(variant=a, location=shop["waw"]).allocated == 1


def _page_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_order_and_cart_pages_do_not_query_per_fulfilment_or_line(client, shop, superuser):
    from customers.models import Customer
    from orders.services import cart_for_customer, cart_line_set

    variants = shop["variants"]
    shop["lodz"].ship_from_store = True
    shop["lodz"].save()
    sources = [shop["warehouse"], shop["krk"], shop["lodz"]]
    for variant, source in zip(variants, sources, strict=True):
        stock(variant, source, 5)

    def pickup(count):  # one fulfilment (and transfer to Warsaw) per source
        return order_place(
            channel=shop["web"],
            lines={v.pk: 1 for v in variants[:count]},
            fulfilment_type="click_and_collect",
            pickup_location=shop["waw"],
            contact=GUEST,
        )

    small, large = pickup(1), pickup(3)
    assert large.fulfilments.filter(transfer__isnull=False).count() == 3
    carts = []
    for i, count in enumerate((1, 3)):
        cart = cart_for_customer(customer=Customer.objects.create(email=f"c{i}@example.pl"), channel=shop["web"])
        for variant in variants[:count]:
            cart_line_set(cart=cart, variant=variant, quantity=1)
        carts.append(cart)

    client.force_login(superuser)

    def order_page(order):
        return _page_queries(client, reverse("admin:orders_order_change", args=[order.pk]))

    def cart_page(cart):
        return _page_queries(client, reverse("admin:orders_cart_change", args=[cart.pk]))

    # The first page warms the per-process caches (content types); then only the rows differ.
    order_page(small)
    cart_page(carts[0])
    assert order_page(large) == order_page(small)
    assert cart_page(carts[1]) == cart_page(carts[0])


class RefusingRefunds(FakePaymentProvider):
    def refund(self, **kwargs) -> PaymentResult:
        return PaymentResult(ok=False, message="refund refused")


def cancelled_but_paid(shop) -> Order:
    """A card order paid and then cancelled whose refund has not gone through (the refund task
    is queued after commit, which a test transaction never reaches)."""
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"], lines={a.pk: 1}, fulfilment_type="delivery", contact=GUEST, shipping_address=ADDRESS
    )
    order = order_cancel(order=order_payment_authorize(order_id=order.pk), role=lifecycle.CUSTOMER)
    assert (order.status, order.payment_status) == (Order.Status.CANCELLED, Order.PaymentStatus.PAID)
    return order


def test_the_agent_retries_a_refund_the_provider_refused(client, django_user_model, shop, settings):
    order = cancelled_but_paid(shop)
    agent = staff(client, django_user_model, "agent@example.pl", "Customer service agent")

    settings.OMNISHOP_PAYMENT_PROVIDER = f"{__name__}.RefusingRefunds"
    messages = act(client, "payment_refund_retry", order)
    assert messages == [("error", f"{order.number}: The refund of order {order.number} failed: refund refused")]
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Refund failed" in page and "refund refused" in page  # in the timeline, by its name

    settings.OMNISHOP_PAYMENT_PROVIDER = "orders.payments.FakePaymentProvider"
    assert act(client, "payment_refund_retry", order) == [("success", "1 order refunded.")]
    order.refresh_from_db()
    assert (order.payment_status, order.refund_reference) == ("refunded", f"FAKE-REFUND-{order.number}")
    assert order.events.last().type == "payment_refunded" and order.events.last().actor == agent
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert order.refund_reference in page

    # Refunded once: a second retry is refused, as for an order with nothing taken.
    placed = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type="delivery",
        contact=GUEST,
        shipping_address=ADDRESS,
    )
    messages = act(client, "payment_refund_retry", order, placed)
    assert [level for level, _text in messages] == ["error", "error"]
    assert all("Nothing to refund" in text for _level, text in messages)


def test_only_those_who_may_cancel_orders_retry_refunds(client, django_user_model, shop):
    order = cancelled_but_paid(shop)
    for email, role in (("magazyn@example.pl", "Warehouse staff"), ("sklep@example.pl", "Store staff")):
        staff(client, django_user_model, email, role)
        assert "payment_refund_retry" not in offered(client)
        response = client.post(reverse(CHANGELIST), {"action": "payment_refund_retry", "_selected_action": [order.pk]})
        assert response.status_code == 302
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID


@pytest.mark.django_db
def test_fulfilment_lines_are_read_only_in_admin(superuser):
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    from orders.models import FulfilmentLine

    request = RequestFactory().get("/admin/orders/fulfilmentline/")
    request.user = superuser
    line_admin = django_admin.site._registry[FulfilmentLine]
    assert line_admin.has_view_permission(request)
    assert not line_admin.has_add_permission(request)
    assert not line_admin.has_change_permission(request)
    assert not line_admin.has_delete_permission(request)


def test_the_warehouse_ships_a_parcel_with_its_tracking_number_in_admin(
    client, django_user_model, shop, django_capture_on_commit_callbacks
):
    from django.core import mail

    from omnishop.notifications.models import Notification
    from orders.models import Fulfilment

    stock(shop["variants"][0], shop["warehouse"], 5)
    order = order_payment_authorize(
        order_id=order_place(
            channel=shop["web"],
            lines={shop["variants"][0].pk: 1},
            fulfilment_type="delivery",
            shipping_address=ADDRESS,
            contact=GUEST,
        ).pk
    )
    staff(client, django_user_model, "magazyn@example.pl", "Warehouse staff")
    assert act(client, "make_processing", order) == [("success", "1 order updated.")]
    parcel = Fulfilment.objects.get(order=order)
    # The action opens the parcel's page; several parcels at once are refused (one number each).
    picked = client.post(
        reverse("admin:orders_fulfilment_changelist"),
        {"action": "ship_with_tracking", "_selected_action": [parcel.pk]},
    )
    url = reverse("admin:orders_fulfilment_ship", args=[parcel.pk])
    assert picked.status_code == 302 and picked["Location"] == url
    page = client.get(url)
    assert page.status_code == 200 and order.number in page.content.decode()
    assert client.post(url, {"carrier": "InPost", "tracking_number": ""}).status_code == 200  # required
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"carrier": "InPost", "tracking_number": "620011223344"})
    assert done.status_code == 302
    parcel.refresh_from_db()
    order.refresh_from_db()
    assert (parcel.carrier, parcel.tracking_number, order.status) == ("InPost", "620011223344", "shipped")
    notice = Notification.objects.get(template="order_shipped", order_reference=order.number)
    assert notice.status == "sent" and "620011223344" in mail.outbox[-1].body
    again = client.post(url, {"carrier": "DPD", "tracking_number": "X1"})
    assert again.status_code == 200 and "errornote" in again.content.decode()  # shipped: nothing changes


def test_only_those_who_ship_orders_open_the_shipping_page(client, django_user_model, shop):
    from orders.models import Fulfilment

    stock(shop["variants"][0], shop["warehouse"], 5)
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][0].pk: 1},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        contact=GUEST,
    )
    parcel = Fulfilment.objects.get(order=order)
    staff(client, django_user_model, "agent@example.pl", "Customer service agent")
    assert client.get(reverse("admin:orders_fulfilment_ship", args=[parcel.pk])).status_code == 403
