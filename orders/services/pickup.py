"""The store's part of a pickup order (click & collect, ROPIS): start picking, ready for pickup
with a pickup code for the customer, and the hand-over against that code. Store staff act only
on the orders of the stores they work at (``Location.staff``)."""

import hmac
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from inventory.selectors import location_ids_of_staff

from .. import lifecycle
from ..exceptions import InvalidTransition, NotYourStore, WrongPickupCode
from ..models import Order
from .checkout import order_transition


def staff_works_at_pickup_store(*, user, order: Order) -> bool:
    """``user`` may handle ``order`` in the store: they work at its pickup store (superusers
    may act anywhere)."""
    if getattr(user, "is_superuser", False):
        return True
    return order.pickup_location_id is not None and order.pickup_location_id in location_ids_of_staff(user=user)


def _check_store(order: Order, actor) -> None:
    if order.fulfilment_type == Order.FulfilmentType.DELIVERY or order.pickup_location_id is None:
        message = _("Order %(number)s is delivered, not collected in a store.")
        raise InvalidTransition(message % {"number": order.number})
    if not staff_works_at_pickup_store(user=actor, order=order):
        raise NotYourStore(_("Order %(number)s is collected in another store than yours.") % {"number": order.number})


def order_picking_start(*, order: Order, actor) -> Order:
    """The store starts picking a confirmed pickup order (confirmed -> processing)."""
    _check_store(order, actor)
    return order_transition(order=order, to=Order.Status.PROCESSING, role=lifecycle.STORE_STAFF, actor=actor)


def order_ready_for_pickup(*, order: Order, actor) -> Order:
    """The goods wait in the store: the order becomes ready for pickup and gets the 6-digit
    code the customer shows at the hand-over (in their order in the web shop and the app)."""
    _check_store(order, actor)
    with transaction.atomic():
        order = order_transition(order=order, to=Order.Status.READY_FOR_PICKUP, role=lifecycle.STORE_STAFF, actor=actor)
        order.pickup_code = f"{secrets.randbelow(10**6):06d}"
        Order.objects.filter(pk=order.pk).update(pickup_code=order.pickup_code)
    return order


def order_hand_over(*, order: Order, code: str, actor) -> Order:
    """The customer collects the order against its pickup code: the order is completed and its
    allocations become sales. A wrong code changes nothing (``WrongPickupCode``)."""
    _check_store(order, actor)
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if locked.status != Order.Status.READY_FOR_PICKUP:
            raise InvalidTransition(_("Order %(number)s is not ready for pickup.") % {"number": locked.number})
        given = str(code or "").strip()
        if not locked.pickup_code or not hmac.compare_digest(given.encode(), locked.pickup_code.encode()):
            raise WrongPickupCode(
                _("The pickup code does not match order %(number)s.") % {"number": locked.number},
                errors={"code": [_("The pickup code does not match.")]},
            )
        order = order_transition(
            order=locked,
            to=Order.Status.COMPLETED,
            role=lifecycle.STORE_STAFF,
            actor=actor,
            note=_("Handed over against the pickup code."),
        )
        Order.objects.filter(pk=order.pk).update(pickup_code="")
        order.pickup_code = ""
    return order
