"""Orders in every state of a store's queue, placed through the services (the console's tests,
the store API's and the browser test use them)."""

from orders import lifecycle
from orders.models import Order
from orders.services import Contact, fulfilment_transfer_ship, order_place, order_ready_for_pickup, order_transition
from orders.tests.conftest import ADDRESS, GUEST, stock
from orders.tests.test_pickup import store_staff  # noqa: F401  (re-exported for the console tests)


def pickup(shop, store, *, kind="click_and_collect", contact=GUEST, units=1, confirm=True) -> Order:
    """A pickup order of the first variant (stocked in ``store``), confirmed."""
    variant = shop["variants"][0]
    stock(variant, store, units)
    order = order_place(
        channel=shop["pos"] if kind == "ropis" else shop["web"],
        lines={variant.pk: units},
        fulfilment_type=kind,
        pickup_location=store,
        contact=contact,
        payment_method="pay_in_store" if kind == "ropis" else "card",
    )
    return _confirmed(order) if confirm else order


def _confirmed(order: Order) -> Order:
    order.refresh_from_db(fields=["status"])
    if order.status == Order.Status.PLACED:  # after a commit the card payment confirmed it already
        order = order_transition(order=order, to=Order.Status.CONFIRMED, role=lifecycle.SYSTEM)
    return order


def waiting_for_transfer(shop, store) -> Order:
    """A click & collect order of the third variant, only in the warehouse: it waits for its transfer."""
    variant = shop["variants"][2]
    stock(variant, shop["warehouse"], 1)
    order = order_place(
        channel=shop["web"],
        lines={variant.pk: 1},
        fulfilment_type="click_and_collect",
        pickup_location=store,
        contact=Contact(email="transfer@example.pl", name="Tomasz Przesyłka", phone="+48601234567"),
    )
    assert order.status == Order.Status.AWAITING_TRANSFER
    return order


def arriving_transfer(shop, store) -> Order:
    """An order whose transfer left the warehouse for ``store``."""
    order = waiting_for_transfer(shop, store)
    fulfilment_transfer_ship(fulfilment=order.fulfilments.get())
    return order


def ready(shop, store, seller) -> Order:
    order = pickup(shop, store)
    order = order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.STORE_STAFF, actor=seller)
    return order_ready_for_pickup(order=order, actor=seller)


def parcel_order(shop, store, *, confirm=True) -> Order:
    """A home delivery of the second variant, stocked only in ``store`` (a ship-from-store store)."""
    variant = shop["variants"][1]
    stock(variant, store, 1)
    order = order_place(
        channel=shop["web"],
        lines={variant.pk: 1},
        fulfilment_type="delivery",
        shipping_address=ADDRESS,
        contact=Contact(email="paczka@example.pl", name="Paula Paczka", phone="+48501222333"),
    )
    assert [f.location_id for f in order.fulfilments.all()] == [store.pk]
    return _confirmed(order) if confirm else order


def processing_parcel(shop, store) -> Order:
    order = parcel_order(shop, store)
    return order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.WAREHOUSE)
