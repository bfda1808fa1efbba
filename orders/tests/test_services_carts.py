from datetime import timedelta

import pytest
from django.db.models import Sum

from customers.models import Customer
from inventory.exceptions import InsufficientStock
from inventory.models import StockHold, StockMovement
from inventory.services import StockChange, stock_changes_apply
from loyalty.exceptions import NotSellable
from orders.models import Cart
from orders.services import (
    cart_create_anonymous,
    cart_for_customer,
    cart_line_set,
    cart_merge,
    order_place,
)
from orders.tests.conftest import ADDRESS, GUEST, stock

pytestmark = pytest.mark.django_db


def lines(cart):
    return dict(cart.lines.values_list("variant_id", "quantity"))


def test_one_cart_shared_by_web_and_app(shop):
    from catalog.tests.factories import ChannelFactory

    app = ChannelFactory(code="app", kind="app")
    customer = Customer.objects.create(email="k@example.pl")
    web_cart = cart_for_customer(customer=customer, channel=shop["web"])
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    cart_line_set(cart=web_cart, variant=a, quantity=2)
    app_cart = cart_for_customer(customer=customer, channel=app)
    assert app_cart.pk == web_cart.pk and lines(app_cart) == {a.pk: 2}


def test_lines_are_checked_against_catalog_and_stock(shop):
    from catalog.tests.factories import VariantFactory

    cart = cart_create_anonymous(channel=shop["web"])
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 3)
    with pytest.raises(InsufficientStock):
        cart_line_set(cart=cart, variant=a, quantity=4)
    with pytest.raises(NotSellable):
        cart_line_set(cart=cart, variant=VariantFactory(), quantity=1)
    cart_line_set(cart=cart, variant=a, quantity=3)
    cart_line_set(cart=cart, variant=a, quantity=0)
    assert lines(cart) == {}


def test_anonymous_cart_merges_on_login(shop):
    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    customer = Customer.objects.create(email="m@example.pl")
    mine = cart_for_customer(customer=customer, channel=shop["web"])
    cart_line_set(cart=mine, variant=a, quantity=1)
    anonymous = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=anonymous, variant=a, quantity=2)
    cart_line_set(cart=anonymous, variant=b, quantity=1)
    merged = cart_merge(anonymous=anonymous, into=mine)
    assert lines(merged) == {a.pk: 3, b.pk: 1}
    anonymous.refresh_from_db()
    assert anonymous.status == Cart.Status.MERGED


def test_cart_holds_reserve_and_are_consumed_by_the_order(shop, settings):
    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    cart = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=cart, variant=a, quantity=2)
    hold = StockHold.objects.get(reference=cart.hold_reference)
    assert hold.quantity == 2 and hold.expires_at > hold.created_at + timedelta(minutes=19)
    cart_line_set(cart=cart, variant=a, quantity=2)  # the cart's own hold does not count against it
    other = cart_create_anonymous(channel=shop["web"])
    with pytest.raises(InsufficientStock):
        cart_line_set(cart=other, variant=a, quantity=1)
    order = order_place(
        channel=shop["web"],
        lines=lines(cart),
        fulfilment_type="delivery",
        cart=cart,
        contact=GUEST,
        shipping_address=ADDRESS,
    )
    assert order.total > 0 and not StockHold.objects.exists()
    cart.refresh_from_db()
    assert cart.status == Cart.Status.ORDERED


def test_a_merge_never_promises_more_than_is_available(shop, settings):
    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 3)
    stock(b, shop["warehouse"], 1)
    anonymous = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=anonymous, variant=a, quantity=2)  # held for the anonymous cart
    cart_line_set(cart=anonymous, variant=b, quantity=1)
    customer = Customer.objects.create(email="limit@example.pl")
    mine = cart_for_customer(customer=customer, channel=shop["web"])
    cart_line_set(cart=mine, variant=a, quantity=1)
    # The shelf count finds b gone (the anonymous cart's hold does not keep it on the shelf).
    stock_changes_apply(changes=[StockChange(b.pk, shop["warehouse"].pk, StockMovement.Kind.COUNT, count=0)])

    merged = cart_merge(anonymous=anonymous, into=mine)
    # 1 + 2 of a fits the 3 units (the anonymous cart's holds now count for the merged cart);
    # b sold out meanwhile, so its line is dropped rather than promised.
    assert lines(merged) == {a.pk: 3}
    assert StockHold.objects.filter(reference=merged.hold_reference).aggregate(s=Sum("quantity"))["s"] == 3
    assert not StockHold.objects.filter(reference=anonymous.hold_reference).exists()


def test_a_cart_hold_spans_locations_and_its_own_units_stay_its_own(shop, settings):
    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    stock(a, shop["lodz"], 1)
    cart = cart_create_anonymous(channel=shop["web"])
    # Three units are available online, but no one location has them all: the hold is split.
    cart_line_set(cart=cart, variant=a, quantity=3)
    held = dict(StockHold.objects.filter(reference=cart.hold_reference).values_list("location__code", "quantity"))
    assert held == {"wh-strykow": 2, "lodz": 1}
    # Setting the line again (or lowering it) keeps the units the cart already holds.
    cart_line_set(cart=cart, variant=a, quantity=3)
    cart_line_set(cart=cart, variant=a, quantity=2)
    held = dict(StockHold.objects.filter(reference=cart.hold_reference).values_list("location__code", "quantity"))
    assert held == {"wh-strykow": 2} and lines(cart) == {a.pk: 2}


def test_a_merge_locks_the_stock_rows_of_both_carts_once(shop, settings, monkeypatch):
    """Releasing the anonymous cart's holds and then placing the merged cart's would lock stock
    rows in two sorted steps, out of the global (variant, location) order: one step it is."""
    from inventory.services import holds as stock_services

    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    customer = Customer.objects.create(email="once@example.pl")
    mine = cart_for_customer(customer=customer, channel=shop["web"])
    cart_line_set(cart=mine, variant=a, quantity=1)
    anonymous = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=anonymous, variant=b, quantity=2)
    locks = []
    real_lock = stock_services.stock_levels_lock
    monkeypatch.setattr(
        stock_services, "stock_levels_lock", lambda *, pairs: locks.append(set(pairs)) or real_lock(pairs=pairs)
    )

    merged = cart_merge(anonymous=anonymous, into=mine)

    wh = shop["warehouse"].pk
    assert locks == [{(a.pk, wh), (b.pk, wh)}]
    assert lines(merged) == {a.pk: 1, b.pk: 2}
    assert set(StockHold.objects.values_list("reference", "variant_id", "quantity")) == {
        (mine.hold_reference, a.pk, 1),
        (mine.hold_reference, b.pk, 2),
    }


def test_a_merge_with_cart_holds_off_still_releases_the_anonymous_holds(shop, settings):
    settings.OMNISHOP_CART_HOLD_MINUTES = 20
    a = shop["variants"][0]
    stock(a, shop["warehouse"], 2)
    anonymous = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=anonymous, variant=a, quantity=2)
    settings.OMNISHOP_CART_HOLD_MINUTES = 0
    mine = cart_for_customer(customer=Customer.objects.create(email="off@example.pl"), channel=shop["web"])
    merged = cart_merge(anonymous=anonymous, into=mine)
    assert lines(merged) == {a.pk: 2} and not StockHold.objects.exists()


@pytest.mark.parametrize("status", [Cart.Status.ORDERED, Cart.Status.MERGED])
def test_a_line_set_on_a_cart_no_longer_active_is_refused(shop, status):
    from orders.exceptions import CartNotActive

    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    cart = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=cart, variant=a, quantity=1)
    Cart.objects.filter(pk=cart.pk).update(status=status)  # checked out or merged meanwhile
    with pytest.raises(CartNotActive) as refused:
        cart_line_set(cart=cart, variant=b, quantity=1)
    assert refused.value.code == "cart_not_active" and "cart" in refused.value.errors
    with pytest.raises(CartNotActive):
        cart_line_set(cart=cart, variant=a, quantity=0)
    assert lines(cart) == {a.pk: 1}


def test_a_merge_into_a_cart_checked_out_meanwhile_is_refused(shop):
    from orders.exceptions import CartNotActive

    a = shop["variants"][0]
    stock(a, shop["warehouse"], 5)
    mine = cart_for_customer(customer=Customer.objects.create(email="late@example.pl"), channel=shop["web"])
    anonymous = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=anonymous, variant=a, quantity=1)
    Cart.objects.filter(pk=mine.pk).update(status=Cart.Status.ORDERED)
    with pytest.raises(CartNotActive):
        cart_merge(anonymous=anonymous, into=mine)
    anonymous.refresh_from_db()
    assert anonymous.status == Cart.Status.ACTIVE and lines(mine) == {}


def test_a_cart_checkout_orders_exactly_the_cart_once(shop):
    """The lines a checkout read must still be the cart's when the order is written: a line set
    meanwhile would be lost with the cart, and a cart already ordered is not ordered twice."""
    from orders.exceptions import CartChanged, CartNotActive
    from orders.models import Order

    a, b, _ = shop["variants"]
    stock(a, shop["warehouse"], 5)
    stock(b, shop["warehouse"], 5)
    cart = cart_create_anonymous(channel=shop["web"])
    cart_line_set(cart=cart, variant=a, quantity=1)
    read = lines(cart)
    cart_line_set(cart=cart, variant=b, quantity=2)  # while the checkout was on its way
    place = {
        "channel": shop["web"],
        "fulfilment_type": "delivery",
        "cart": cart,
        "contact": GUEST,
        "shipping_address": ADDRESS,
    }
    with pytest.raises(CartChanged) as changed:
        order_place(lines=read, **place)
    assert changed.value.code == "cart_changed" and "from_cart" in changed.value.errors
    assert not Order.objects.exists()
    cart.refresh_from_db()
    assert cart.status == Cart.Status.ACTIVE

    order = order_place(lines=lines(cart), **place)
    assert sorted(order.lines.values_list("variant_id", "quantity")) == sorted({a.pk: 1, b.pk: 2}.items())
    with pytest.raises(CartNotActive):
        order_place(lines=lines(cart), **place)
    assert Order.objects.count() == 1
