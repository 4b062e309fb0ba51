"""Due times in plain and business hours."""

from datetime import UTC, date, datetime, time

import pytest

from feedback.sla import WorkingHours, due_at

SHANGHAI = WorkingHours(timezone="Asia/Shanghai", day_start=time(9, 0), day_end=time(18, 0))


def test_plain_hours_count_every_hour() -> None:
    assert due_at(datetime(2026, 3, 6, 22, 0, tzinfo=UTC), 4, None) == datetime(2026, 3, 7, 2, 0, tzinfo=UTC)


def test_business_hours_skip_the_night_and_the_weekend() -> None:
    # Friday 17:00 in Shanghai (09:00 UTC): one hour left on Friday, three more on Monday.
    start = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)

    due = due_at(start, 4, SHANGHAI)

    assert due == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai


def test_an_answer_at_night_starts_counting_at_opening_time() -> None:
    start = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # Tuesday 00:00 in Shanghai

    assert due_at(start, 2, SHANGHAI) == datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # Tuesday 11:00


def test_holidays_are_not_working_days() -> None:
    calendar = WorkingHours(holidays=frozenset({date(2026, 3, 9)}))

    assert due_at(datetime(2026, 3, 6, 16, 0, tzinfo=UTC), 2, calendar) == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def test_a_calendar_without_working_days_is_an_error_not_a_hang() -> None:
    with pytest.raises(ValueError, match="no working hours"):
        due_at(datetime(2026, 3, 6, tzinfo=UTC), 1, WorkingHours(workdays=frozenset()))
