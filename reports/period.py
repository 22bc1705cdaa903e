"""Reporting weeks: seven days from a configurable first weekday, named by their last day."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Week:
    start: dt.date
    end: dt.date  # inclusive; a week is named by this day

    @property
    def name(self) -> str:
        return self.end.isoformat()

    def previous(self, n: int = 1) -> "Week":
        return Week(self.start - dt.timedelta(days=7 * n), self.end - dt.timedelta(days=7 * n))

    def label(self) -> str:
        if self.start.year == self.end.year:
            return f"{self.start:%B} {self.start.day} – {self.end:%B} {self.end.day}, {self.end.year}"
        return f"{self.start:%B} {self.start.day}, {self.start.year} – {self.end:%B} {self.end.day}, {self.end.year}"


def week_containing(day: dt.date, week_start: int) -> Week:
    """week_start: 0 = Monday ... 5 = Saturday (the DDOR's) ... 6 = Sunday."""
    start = day - dt.timedelta(days=(day.weekday() - week_start) % 7)
    return Week(start, start + dt.timedelta(days=6))


def weeks_with_data(days, week_start: int) -> list[Week]:
    return sorted({week_containing(d, week_start) for d in days})


def latest_complete_week(days, week_start: int, today: dt.date) -> Week | None:
    complete = [w for w in weeks_with_data(days, week_start) if w.end < today]
    return complete[-1] if complete else None
