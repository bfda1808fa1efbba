"""Filters of the store console's templates."""

from django import template

from ..models import Order

register = template.Library()


@register.filter
def order_status_label(value: str) -> str:
    """An order status code as its translated name (``ready_for_pickup`` → ``Gotowe do odbioru``)."""
    try:
        return Order.Status(value).label
    except ValueError:
        return value
