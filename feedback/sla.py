"""Due times: an SLA in plain hours, or in business hours of a working calendar. Pure, no Django."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS_SEARCHED = 3660  # a calendar with no working day at all must not loop for ever


@dataclass(frozen=True)
class WorkingHours:
    timezone: str = "UTC"
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays


def due_at(start: datetime, hours: float, calendar: WorkingHours | None) -> datetime:
    """When an SLA of `hours` started at `start` runs out; business hours only with a calendar."""
    if calendar is None:
        return start + timedelta(hours=hours)
    zone = ZoneInfo(calendar.timezone)
    moment = start.astimezone(zone)
    remaining = timedelta(hours=hours)
    for _ in range(MAX_DAYS_SEARCHED):
        day = moment.date()
        opens = datetime.combine(day, calendar.day_start, zone)
        closes = datetime.combine(day, calendar.day_end, zone)
        if calendar.is_working_day(day) and moment < closes:
            moment = max(moment, opens)
            available = closes - moment
            if remaining <= available:
                return (moment + remaining).astimezone(start.tzinfo)
            remaining -= available
        moment = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    raise ValueError("The calendar has no working hours within ten years.")
