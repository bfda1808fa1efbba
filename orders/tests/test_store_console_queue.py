"""The store console's queue and order page: what the store must do now, grouped, sorted and
searchable, in a fixed number of queries; the actions on an order through the services, each
refusal a message; another store's order, parcel or transfer a 404."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from omnishop.notifications.models import Notification
from orders.events import OrderEventType
from orders.models import Fulfilment, Order
from orders.store_selectors import store_queue
from orders.tests.store_queue_orders import (
    arriving_transfer,
    parcel_order,
    pickup,
    processing_parcel,
    ready,
    store_staff,
    waiting_for_transfer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(shop):
    return store_staff("krakow@example.pl", shop["krk"])


@pytest.fixture
def console(client, seller):
    client.force_login(seller)
    return client


def numbers(queue, key):
    return [item.order.number for item in queue.group(key).items]


def every_state(shop, store, seller) -> dict[str, Order]:
    return {
        "cc": pickup(shop, store),
        "ropis": pickup(shop, store, kind="ropis"),
        "sfs": parcel_order(shop, store),
        "waiting": waiting_for_transfer(shop, store),
        "arriving": arriving_transfer(shop, store),
        "ready": ready(shop, store, seller),
        "to_ship": processing_parcel(shop, store),
    }


def test_the_queue_groups_what_the_store_must_do_now(shop, seller):
    orders = every_state(shop, shop["krk"], seller)
    elsewhere = pickup(shop, shop["waw"])
    queue = store_queue(store=shop["krk"])
    assert sorted(numbers(queue, "to_pick")) == sorted(
        [orders["cc"].number, orders["ropis"].number, orders["sfs"].number]
    )
    assert queue.group("to_pick").kinds == {"click_and_collect": 1, "ropis": 1, "ship_from_store": 1}
    assert numbers(queue, "waiting_transfer") == [orders["waiting"].number]
    assert numbers(queue, "arriving") == [orders["arriving"].number]
    assert numbers(queue, "ready") == [orders["ready"].number]
    assert numbers(queue, "to_ship") == [orders["to_ship"].number]
    assert elsewhere.number not in {item.order.number for g in queue.groups for item in g.items}
    ropis = next(i for i in queue.group("to_pick").items if i.order.number == orders["ropis"].number)
    assert ropis.amount_to_collect == orders["ropis"].total  # pay in store: the till takes it


def test_ready_orders_come_overdue_first_and_each_group_by_promised_time(shop, seller):
    later = ready(shop, shop["krk"], seller)
    overdue = ready(shop, shop["krk"], seller)
    Order.objects.filter(pk=overdue.pk).update(pickup_expires_at=timezone.now() - timedelta(hours=3))
    old = pickup(shop, shop["krk"])
    new = pickup(shop, shop["krk"])
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    queue = store_queue(store=shop["krk"])
    assert numbers(queue, "ready") == [overdue.number, later.number]
    assert queue.group("ready").overdue == 1 and queue.group("ready").items[0].overdue
    assert numbers(queue, "to_pick") == [old.number, new.number]


def test_the_queue_page_shows_counts_groups_and_searches(console, shop, seller):
    orders = every_state(shop, shop["krk"], seller)
    page = console.get(reverse("store:queue")).content.decode()
    for order in orders.values():
        assert order.number in page
    assert 'id="group-ready"' in page and 'data-refresh-url="/store/?fragment=1"' in page

    def found(q) -> set[str]:
        groups = console.get(reverse("store:queue"), {"q": q}).context["queue"].groups
        return {i.order.number for g in groups for i in g.items}

    transfers = {orders["waiting"].number, orders["arriving"].number}
    parcels = {orders["sfs"].number, orders["to_ship"].number}

    assert found(orders["ready"].number) == {orders["ready"].number}
    assert found("przesyłka") == transfers  # the contact's surname, any case
    assert found("Tomasz Przesyłka") == transfers
    assert found("601-234-567") == transfers  # the phone typed another way
    assert found("0048 501 222 333") == parcels
    assert found("TRANSFER@example.pl") == transfers
    assert found("nobody-like-this") == set()


def test_the_fragment_is_the_groups_only_for_the_refresh(console, shop, seller):
    order = pickup(shop, shop["krk"])
    fragment = console.get(reverse("store:queue"), {"fragment": "1"}).content.decode()
    assert order.number in fragment and "<html" not in fragment and 'class="counts"' in fragment


def test_one_group_in_full_is_paged(console, shop, seller, monkeypatch):
    from orders.store import views

    monkeypatch.setattr(views, "GROUP_PREVIEW", 2)
    monkeypatch.setattr(views, "GROUP_PAGE", 2)
    made = [pickup(shop, shop["krk"]) for _ in range(3)]
    page = console.get(reverse("store:queue")).content.decode()
    assert "Show all 3" in page
    first = console.get(reverse("store:queue"), {"group": "to_pick"})
    assert [i.order.number for i in first.context["shown"][0]["items"]] == [o.number for o in made[:2]]
    second = console.get(reverse("store:queue"), {"group": "to_pick", "page": 2})
    assert [i.order.number for i in second.context["shown"][0]["items"]] == [made[2].number]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("store:queue")).status_code == 200
    return len(captured)


def test_the_queue_takes_the_same_queries_when_the_orders_triple(console, shop, seller):
    every_state(shop, shop["krk"], seller)
    _queries(console)  # the first visit also keeps the store in the session
    once = _queries(console)
    every_state(shop, shop["krk"], seller)
    every_state(shop, shop["krk"], seller)
    assert _queries(console) == once
    assert once <= 15


def test_the_order_page_shows_customer_lines_amount_and_timeline(console, shop, seller):
    order = pickup(shop, shop["krk"], kind="ropis")
    page = console.get(reverse("store:order", args=[order.number])).content.decode()
    assert "Gość" in page and order.lines.get().sku in page
    assert "Amount to collect" in page and "Start picking" in page
    assert "Placed" in page and "Confirmed" in page  # the timeline names the events and statuses


def test_start_picking_then_ready_then_it_is_in_the_ready_group(console, shop, seller):
    order = pickup(shop, shop["krk"])
    response = console.post(reverse("store:order-pick", args=[order.number]))
    assert response.status_code == 302 and response["Location"] == reverse("store:order", args=[order.number])
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING
    page = console.get(response["Location"]).content.decode()
    assert "Mark ready for pickup" in page
    console.post(reverse("store:order-ready", args=[order.number]))
    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP and order.pickup_expires_at is not None
    assert numbers(console.get(reverse("store:queue")).context["queue"], "ready") == [order.number]
    assert order.events.filter(to_status="ready_for_pickup", actor=seller).exists()


def test_a_refused_action_is_a_message_not_an_error(console, shop, seller):
    order = pickup(shop, shop["krk"])
    response = console.post(reverse("store:order-ready", args=[order.number]), follow=True)
    assert response.status_code == 200
    assert "cannot become Ready for pickup" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_actions_need_a_post(console, shop, seller):
    order = pickup(shop, shop["krk"])
    assert console.get(reverse("store:order-pick", args=[order.number])).status_code == 405


def test_booking_in_an_arriving_transfer_moves_the_order_on(console, shop, seller):
    order = arriving_transfer(shop, shop["krk"])
    fulfilment = order.fulfilments.get()
    page = console.get(reverse("store:order", args=[order.number])).content.decode()
    assert "Book in the transfer" in page
    console.post(reverse("store:fulfilment-receive", args=[fulfilment.pk]))
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING
    assert order.events.filter(type=OrderEventType.TRANSFER_RECEIVED, actor=seller).exists()


def test_ship_from_store_pick_then_ship_with_carrier_and_tracking(console, shop, seller):
    order = parcel_order(shop, shop["krk"])
    parcel = order.fulfilments.get()
    console.post(reverse("store:fulfilment-pick", args=[parcel.pk]))
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING
    page = console.get(reverse("store:order", args=[order.number])).content.decode()
    assert "Mark shipped" in page
    missing = console.post(reverse("store:fulfilment-ship", args=[parcel.pk]), {"carrier": "InPost"}, follow=True)
    assert "Enter the carrier and the tracking number" in missing.content.decode()
    console.post(
        reverse("store:fulfilment-ship", args=[parcel.pk]), {"carrier": "InPost", "tracking_number": "6800001"}
    )
    order.refresh_from_db()
    parcel.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert (parcel.carrier, parcel.tracking_number, parcel.status) == ("InPost", "6800001", "done")


def test_another_stores_order_parcel_and_transfer_are_404(client, shop, seller):
    waw_seller = store_staff("warszawa@example.pl", shop["waw"])
    order = pickup(shop, shop["krk"])
    parcel = parcel_order(shop, shop["krk"]).fulfilments.get()
    transfer = arriving_transfer(shop, shop["krk"]).fulfilments.get()
    client.force_login(waw_seller)
    assert client.get(reverse("store:order", args=[order.number])).status_code == 404
    assert client.post(reverse("store:order-pick", args=[order.number])).status_code == 404
    assert client.post(reverse("store:order-ready", args=[order.number])).status_code == 404
    assert client.post(reverse("store:fulfilment-pick", args=[parcel.pk])).status_code == 404
    ship = {"carrier": "DPD", "tracking_number": "1"}
    assert client.post(reverse("store:fulfilment-ship", args=[parcel.pk]), ship).status_code == 404
    assert client.post(reverse("store:fulfilment-receive", args=[transfer.pk])).status_code == 404
    assert order.number not in client.get(reverse("store:queue")).content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_the_source_store_cannot_book_in_what_it_sends(client, shop):
    # Kraków sends goods to Warsaw for a pickup there: the transfer is Warsaw's to book in.
    stock(shop["variants"][2], shop["krk"], 1)
    order = waiting_for_transfer_from(shop, shop["waw"])
    fulfilment = order.fulfilments.get()
    assert fulfilment.location_id == shop["krk"].pk
    from orders.services import fulfilment_transfer_ship

    fulfilment_transfer_ship(fulfilment=fulfilment)
    client.force_login(store_staff("krakow2@example.pl", shop["krk"]))
    assert client.post(reverse("store:fulfilment-receive", args=[fulfilment.pk])).status_code == 404


def waiting_for_transfer_from(shop, store):
    from orders.services import order_place

    return order_place(
        channel=shop["web"],
        lines={shop["variants"][2].pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=store,
        contact=GUEST,
    )


def test_anonymous_posts_go_to_the_login(client, shop):
    order = pickup(shop, shop["krk"])
    response = client.post(reverse("store:order-pick", args=[order.number]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("store:login"))


# --- shipping is per fulfilment --------------------------------------------------------------


def test_an_order_of_two_parcels_ships_when_both_left_each_told_to_the_customer(
    shop, seller, django_capture_on_commit_callbacks
):
    from orders import lifecycle
    from orders.services import fulfilment_ship, order_place, order_transition

    stock(shop["variants"][1], shop["krk"], 1)  # only Kraków has it
    stock(shop["variants"][2], shop["warehouse"], 1)  # only the warehouse has this one
    order = order_place(
        channel=shop["web"],
        lines={shop["variants"][1].pk: 1, shop["variants"][2].pk: 1},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        contact=GUEST,
    )
    order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    order = order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.WAREHOUSE)
    from_store = Fulfilment.objects.get(order=order, location=shop["krk"])
    from_warehouse = Fulfilment.objects.get(order=order, location=shop["warehouse"])

    fulfilment_ship(fulfilment=from_store, carrier="InPost", tracking_number="111", actor=seller)
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING  # one parcel is still in the warehouse
    from_warehouse.refresh_from_db()
    assert from_warehouse.status == Fulfilment.Status.PENDING and from_warehouse.shipped_at is None

    fulfilment_ship(fulfilment=from_warehouse, carrier="DPD", tracking_number="222")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    sent = order.events.filter(type=OrderEventType.SHIPMENT_SENT).order_by("id")
    assert [e.payload["tracking_number"] for e in sent] == ["111", "222"]
    shipped_notices = Notification.objects.filter(order_reference=order.number, template="order_shipped")
    assert sorted({n.context["tracking_number"] for n in shipped_notices}) == ["111", "222"]
    assert order.events.filter(to_status="shipped").count() == 1


from orders.tests.conftest import ADDRESS, GUEST, stock  # noqa: E402


def test_the_queue_page_stays_small(console, shop, seller):
    for _ in range(3):
        every_state(shop, shop["krk"], seller)
    assert len(console.get(reverse("store:queue")).content) < 150_000


def test_a_store_starts_picking_only_its_own_confirmed_parcel(shop, seller):
    from orders.exceptions import InvalidTransition, NotYourStore
    from orders.services import fulfilment_picking_start

    order = parcel_order(shop, shop["krk"])
    parcel = order.fulfilments.get()
    with pytest.raises(NotYourStore):
        fulfilment_picking_start(fulfilment=parcel, actor=store_staff("warszawa@example.pl", shop["waw"]))
    fulfilment_picking_start(fulfilment=parcel, actor=seller)
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING
    assert order.events.filter(to_status="processing", actor=seller, payload__role="store_staff").exists()
    with pytest.raises(InvalidTransition):
        fulfilment_picking_start(fulfilment=parcel, actor=seller)  # already being picked
    pickup_order = pickup(shop, shop["krk"])
    with pytest.raises(InvalidTransition):
        fulfilment_picking_start(fulfilment=pickup_order.fulfilments.get(), actor=seller)  # not a delivery
