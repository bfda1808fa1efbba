"""What orders keeps per customer, moved when customers merge two records of one person
(``customers.services.customer_merge`` runs this step in its transaction, both customers locked)."""

from ..models import Cart, Order
from .carts import cart_merge


def orders_and_carts_move(*, survivor, duplicate, actor=None) -> int:
    """Every order of ``duplicate`` becomes ``survivor``'s; the duplicate's active cart is added to
    the survivor's (as at login), or becomes the survivor's when they have none; its past carts
    move as they are. Returns how many orders and carts moved."""
    moved = Order.objects.filter(customer=duplicate).update(customer=survivor)
    active = Cart.objects.filter(customer=duplicate, status=Cart.Status.ACTIVE).first()
    kept = Cart.objects.filter(customer=survivor, status=Cart.Status.ACTIVE).first()
    if active is not None and kept is not None:
        cart_merge(anonymous=active, into=kept)
    moved += Cart.objects.filter(customer=duplicate).exclude(status=Cart.Status.ACTIVE).update(customer=survivor)
    if active is not None and kept is None:
        moved += Cart.objects.filter(pk=active.pk).update(customer=survivor)
    return moved
