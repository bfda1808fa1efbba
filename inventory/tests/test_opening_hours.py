"""A store's open days from its opening hours: pure functions, no database."""

from datetime import UTC, date, datetime

import pytest

from inventory.opening_hours import (
    STORE_TIME_ZONE,
    counts_calendar_days,
    open_days_after,
    open_days_before,
    pickup_deadline,
    pickup_reminder_time,
    store_day_end,
    store_day_start,
    store_is_open_on,
)

# Monday to Saturday, closed on Sundays (Polish trading-Sunday rules).
CLOSED_SUNDAYS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "10:00-21:00") | {"sun": None}


def test_a_day_without_hours_is_closed():
    assert store_is_open_on(CLOSED_SUNDAYS, date(2026, 12, 5))  # Saturday
    assert not store_is_open_on(CLOSED_SUNDAYS, date(2026, 12, 6))  # Sunday, None
    only_weekdays = {"mon": "09:00-17:00", "tue": "09:00-17:00"}
    assert not store_is_open_on(only_weekdays, date(2026, 12, 9))  # Wednesday: missing is closed too


def test_a_store_without_any_hours_counts_calendar_days():
    for hours in ({}, None, dict.fromkeys(("mon", "sun"))):
        assert counts_calendar_days(hours)
        assert store_is_open_on(hours, date(2026, 12, 6))
        assert open_days_after(hours, date(2026, 12, 3), 7) == date(2026, 12, 10)
        assert open_days_before(hours, date(2026, 12, 10), 2) == date(2026, 12, 8)
    assert not counts_calendar_days(CLOSED_SUNDAYS)


def test_closed_sundays_are_skipped_both_ways():
    friday = date(2026, 12, 4)
    assert open_days_after(CLOSED_SUNDAYS, friday, 1) == date(2026, 12, 5)  # Saturday
    assert open_days_after(CLOSED_SUNDAYS, friday, 2) == date(2026, 12, 7)  # Monday, Sunday skipped
    assert open_days_after(CLOSED_SUNDAYS, friday, 7) == date(2026, 12, 12)
    assert open_days_after(CLOSED_SUNDAYS, friday, 0) == friday
    assert open_days_before(CLOSED_SUNDAYS, date(2026, 12, 7), 1) == date(2026, 12, 5)  # Monday → Saturday
    # Counting from a closed day: the day itself never counts.
    assert open_days_after(CLOSED_SUNDAYS, date(2026, 12, 6), 1) == date(2026, 12, 7)


def test_public_holidays_are_not_known_only_weekdays():
    # 11 November (Independence Day, a Wednesday in 2026) counts like any Wednesday.
    assert open_days_after(CLOSED_SUNDAYS, date(2026, 11, 10), 1) == date(2026, 11, 11)


def test_a_day_ends_at_closing_time_or_at_midnight_in_warsaw():
    assert store_day_end(CLOSED_SUNDAYS, date(2026, 12, 4)) == datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert store_day_start(CLOSED_SUNDAYS, date(2026, 12, 4)) == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert store_day_end({}, date(2026, 7, 1)) == datetime(2026, 7, 1, 21, 59, 59, tzinfo=UTC)  # CEST
    assert store_day_end({"wed": "08:00-24:00"}, date(2026, 7, 1)).astimezone(STORE_TIME_ZONE).hour == 23


def test_the_deadline_and_reminder_across_the_end_of_summer_time():
    # Ready on Saturday 24 October 2026 at 15:00 (CEST, UTC+2); clocks go back on Sunday the 25th.
    ready = datetime(2026, 10, 24, 13, 0, tzinfo=UTC)
    deadline = pickup_deadline(CLOSED_SUNDAYS, ready_at=ready, days=2)
    assert deadline == datetime(2026, 10, 27, 20, 0, tzinfo=UTC)  # Tuesday 21:00 CET (UTC+1)
    reminder = pickup_reminder_time(CLOSED_SUNDAYS, deadline=deadline, days=1)
    assert reminder == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # Monday 10:00 CET


def test_the_deadline_across_the_start_of_summer_time():
    # Ready on Saturday 28 March 2026 at 20:00 CET; summer time starts on Sunday the 29th.
    ready = datetime(2026, 3, 28, 19, 0, tzinfo=UTC)
    assert pickup_deadline({}, ready_at=ready, days=1) == datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)
    assert pickup_deadline(CLOSED_SUNDAYS, ready_at=ready, days=1) == datetime(2026, 3, 30, 19, 0, tzinfo=UTC)


def test_the_local_day_counts_not_the_utc_day():
    # 23:30 in Warsaw on Friday 4 December is still Friday there (22:30 UTC).
    ready = datetime(2026, 12, 4, 22, 30, tzinfo=UTC)
    assert pickup_deadline(CLOSED_SUNDAYS, ready_at=ready, days=1).date() == date(2026, 12, 5)
    ready = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 00:30 on Saturday in Warsaw
    assert pickup_deadline(CLOSED_SUNDAYS, ready_at=ready, days=1).date() == date(2026, 12, 7)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        open_days_after(CLOSED_SUNDAYS, date(2026, 12, 4), -1)
