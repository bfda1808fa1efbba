"""Filters of the store console's templates."""

from django import template

from ..events import order_event_text
from ..models import Order

register = template.Library()


@register.filter
def order_status_label(value: str) -> str:
    """An order status code as its translated name (``ready_for_pickup`` → ``Gotowe do odbioru``)."""
    try:
        return Order.Status(value).label
    except ValueError:
        return value


@register.filter
def event_text(event) -> str:
    """What a timeline entry says in the reader's language (picking entries from their details)."""
    return order_event_text(event)
