"""A merge moves the duplicate's orders and carts: past carts as they are, the active cart added
to the kept customer's (as at login)."""

import pytest

from customers.models import Customer
from customers.services import customer_merge
from orders.models import Cart, Order
from orders.services import cart_for_customer, cart_line_set, order_place
from orders.tests.conftest import ADDRESS, stock

pytestmark = pytest.mark.django_db


def test_orders_and_carts_move_to_the_customer_kept(shop, user):
    a, b, _c = shop["variants"]
    stock(a, shop["warehouse"], 10)
    stock(b, shop["warehouse"], 10)
    kept = Customer.objects.create(first_name="Anna", last_name="Nowak", email="anna@example.pl")
    duplicate = Customer.objects.create(first_name="Anna", last_name="Nowak", email="a.nowak@example.pl")
    order = order_place(
        channel=shop["web"],
        lines={a.pk: 1},
        fulfilment_type=Order.FulfilmentType.DELIVERY,
        customer=duplicate,
        shipping_address=ADDRESS,
    )
    kept_cart = cart_for_customer(customer=kept, channel=shop["web"])
    cart_line_set(cart=kept_cart, variant=a, quantity=1)
    duplicate_cart = cart_for_customer(customer=duplicate, channel=shop["app"])
    cart_line_set(cart=duplicate_cart, variant=b, quantity=2)

    record = customer_merge(survivor=kept, duplicate=duplicate, actor=user)

    order.refresh_from_db()
    assert order.customer == kept
    assert {ln.variant_id: ln.quantity for ln in kept_cart.lines.all()} == {a.pk: 1, b.pk: 2}
    duplicate_cart.refresh_from_db()
    assert duplicate_cart.status == Cart.Status.MERGED and duplicate_cart.customer == kept
    assert not Order.objects.filter(customer=duplicate).exists()
    assert record.moved["orders_and_carts"] == 2


def test_the_duplicates_active_cart_becomes_the_kept_customers_when_they_have_none(shop):
    a, _b, _c = shop["variants"]
    stock(a, shop["warehouse"], 10)
    kept = Customer.objects.create(email="kept@example.pl")
    duplicate = Customer.objects.create(email="dup@example.pl")
    cart = cart_for_customer(customer=duplicate, channel=shop["web"])
    cart_line_set(cart=cart, variant=a, quantity=1)
    customer_merge(survivor=kept, duplicate=duplicate)
    assert cart_for_customer(customer=kept, channel=shop["web"]).pk == cart.pk
