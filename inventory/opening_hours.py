"""A store's week from its opening hours (``Location.opening_hours``: ``{"mon": "10:00-21:00",
..., "sun": None}``), as pure functions: is it open on a date, the date N open days after or
before a day, and the local moments a day opens and ends. A day without hours (missing or None)
is closed and is not counted; a store with no hours on any day counts calendar days. Public
holidays are not known here: a store closed on one marks it in its hours only by weekday."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .models import WEEKDAYS

STORE_TIME_ZONE = ZoneInfo("Europe/Warsaw")
# Where a store gives no hours: its day starts at 09:00 and ends at midnight, local time.
DEFAULT_OPENS = time(9, 0)
END_OF_DAY = time(23, 59, 59)
MAX_DAYS = 366  # open days counted at most; a bound, so odd hours can never loop for ever


def _hours(opening_hours, day: date) -> tuple[time, time] | None:
    """The (opens, closes) of ``day``, or None when the store gives no hours for that weekday."""
    text = (opening_hours or {}).get(WEEKDAYS[day.weekday()])
    if not text:
        return None
    start, _sep, end = str(text).partition("-")
    opens = time(int(start[:2]), int(start[3:5]))
    closes = END_OF_DAY if int(end[:2]) >= 24 else time(int(end[:2]), int(end[3:5]))
    return opens, closes


def counts_calendar_days(opening_hours) -> bool:
    """A store with no hours on any weekday: every calendar day counts."""
    return not any((opening_hours or {}).get(day) for day in WEEKDAYS)


def store_is_open_on(opening_hours, day: date) -> bool:
    """The store has hours on ``day`` (every day does for a store without hours)."""
    return counts_calendar_days(opening_hours) or _hours(opening_hours, day) is not None


def _step(opening_hours, day: date, n: int, direction: int) -> date:
    if n < 0:
        raise ValueError("count a non-negative number of open days")
    counted, current, looked = 0, day, 0
    while counted < n:
        current += timedelta(days=direction)
        looked += 1
        if looked > MAX_DAYS * 7:
            raise ValueError("no open day within reach")
        if store_is_open_on(opening_hours, current):
            counted += 1
    return current


def open_days_after(opening_hours, day: date, n: int) -> date:
    """The ``n``-th open day after ``day`` (``day`` itself is not counted; 0 gives ``day``)."""
    return _step(opening_hours, day, n, 1)


def open_days_before(opening_hours, day: date, n: int) -> date:
    """The ``n``-th open day before ``day`` (``day`` itself is not counted; 0 gives ``day``)."""
    return _step(opening_hours, day, n, -1)


def store_day_end(opening_hours, day: date, tz: ZoneInfo = STORE_TIME_ZONE) -> datetime:
    """When ``day`` ends for the store, as an aware datetime: its closing time, or 23:59:59 local
    for a day without hours (and for hours that run to midnight)."""
    hours = _hours(opening_hours, day)
    return datetime.combine(day, hours[1] if hours else END_OF_DAY, tzinfo=tz)


def store_day_start(opening_hours, day: date, tz: ZoneInfo = STORE_TIME_ZONE) -> datetime:
    """When the store opens on ``day``, as an aware datetime (09:00 local for a day without hours)."""
    hours = _hours(opening_hours, day)
    return datetime.combine(day, hours[0] if hours else DEFAULT_OPENS, tzinfo=tz)


def pickup_deadline(opening_hours, *, ready_at: datetime, days: int, tz: ZoneInfo = STORE_TIME_ZONE) -> datetime:
    """A pickup order ready at ``ready_at`` waits until the end of the store's ``days``-th open
    day after the local day it became ready."""
    return store_day_end(opening_hours, open_days_after(opening_hours, ready_at.astimezone(tz).date(), days), tz)


def pickup_reminder_time(opening_hours, *, deadline: datetime, days: int, tz: ZoneInfo = STORE_TIME_ZONE) -> datetime:
    """The reminder ``days`` open days before the deadline's day, when the store opens that day."""
    return store_day_start(opening_hours, open_days_before(opening_hours, deadline.astimezone(tz).date(), days), tz)
