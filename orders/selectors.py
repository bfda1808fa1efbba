"""Order reads, with the prefetches their pages need (query counts do not grow with rows)."""

from django.db.models import Prefetch, Q, QuerySet

from .models import Cart, CartLine, Order, OrderEvent


def _with_details(qs: QuerySet[Order], *, detail: bool = False) -> QuerySet[Order]:
    qs = qs.select_related("channel", "pickup_location").prefetch_related("lines")
    if detail:
        qs = qs.prefetch_related(
            "fulfilments__location",
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
        )
    return qs


def order_list_for_customer(*, customer, detail: bool = False) -> QuerySet[Order]:
    """The customer's own orders and those of the B2B companies they belong to."""
    return _with_details(
        Order.objects.filter(Q(customer=customer) | Q(company__members=customer)).distinct(), detail=detail
    )


def order_list_for_channel(*, channel, detail: bool = False) -> QuerySet[Order]:
    return _with_details(Order.objects.filter(channel=channel), detail=detail)


def order_list_all(*, detail: bool = False) -> QuerySet[Order]:
    return _with_details(Order.objects.all(), detail=detail)


def cart_lines(*, cart: Cart) -> QuerySet[CartLine]:
    return cart.lines.select_related("variant__product").order_by("added_at", "id")
