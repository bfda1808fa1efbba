"""Filters of the notification templates: money and times as the message's reader reads them."""

from datetime import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from omnishop.money import money_display

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """``{{ total|money:currency }}``: ``1 234,50 zł`` in Polish, ``1,234.50 PLN`` in English."""
    if amount in (None, ""):
        return ""
    return money_display(amount, currency)


def _when(value) -> datetime | None:
    when = parse_datetime(value) if isinstance(value, str) else value
    return timezone.localtime(when) if when else None


@register.filter
def local_datetime(value) -> str:
    """An ISO datetime of the context in the current time zone (Europe/Warsaw): ``9 grudnia 2026, 18:00``."""
    when = _when(value)
    return date_filter(when, "j E Y, H:i") if when else ""


@register.filter
def local_date(value) -> str:
    when = _when(value)
    return date_filter(when, "j E Y") if when else ""
