"""Reads of the store console: one store's orders, and its queue (what the store must do now),
in a fixed number of queries however many orders wait."""

from django.db.models import Q, QuerySet

from .models import Fulfilment, Order
from .selectors import _with_details


def store_order_scope(store) -> Q:
    """The orders ``store`` works on: collected there, or with a fulfilment there (a parcel it
    ships, goods it sends to another store). A subquery, so an order is listed once."""
    own_fulfilments = Fulfilment.objects.filter(location=store).values("order_id")
    return Q(pickup_location=store) | Q(pk__in=own_fulfilments)


def orders_of_store(*, store, detail: bool = False) -> QuerySet[Order]:
    return _with_details(Order.objects.filter(store_order_scope(store)), detail=detail)


def order_for_store(*, store, number: str, detail: bool = True) -> Order | None:
    """The order ``number`` if ``store`` works on it, with the lists its page renders; else None."""
    qs = orders_of_store(store=store, detail=detail).select_related("customer")
    return qs.filter(number=str(number)[:32]).first()
