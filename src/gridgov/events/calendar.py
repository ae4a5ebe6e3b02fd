"""Working days by the official Chinese calendar, including adjusted working days (调休).

The ``chinese-calendar`` package knows the State Council's arrangement up to the year it
was released for. Admins enter later years (``CalendarDay``) and confirm them
(``CalendarYear``); until then Monday–Friday is assumed and callers are told so, so the
deadlines computed that way can carry a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar

from gridgov.events.models import CalendarDay, CalendarYear


@lru_cache(maxsize=1)
def _package_years() -> frozenset[int]:
    known = {d.year for d in chinese_calendar.constants.holidays}
    return frozenset(known)


@dataclass(frozen=True)
class WorkCalendar:
    """A snapshot of the admin-entered days, so a scan over many events reads them once."""

    overrides: dict[date, bool]
    confirmed_years: frozenset[int]

    @classmethod
    def load(cls) -> WorkCalendar:
        return cls(
            overrides=dict(CalendarDay.objects.values_list("date", "is_workday")),
            confirmed_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
        )

    def year_known(self, year: int) -> bool:
        return year in _package_years() or year in self.confirmed_years

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in _package_years():
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> tuple[datetime, bool]:
        """The same time of day on the ``days``-th working day after ``start``.

        A start on a day off counts from the beginning of the next working day. Returns
        the deadline and whether Monday–Friday had to be assumed for an unknown year.
        """
        assumed = not self.year_known(start.year)
        moment = start
        remaining = days
        if not self.is_workday(moment.date()):
            # The first working day counts in full; the deadline is the end of the last.
            moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            while not self.is_workday(moment.date()):
                moment += timedelta(days=1)
                assumed |= not self.year_known(moment.year)
            remaining -= 1
            end_of_day = True
        else:
            end_of_day = False
        while remaining:
            moment += timedelta(days=1)
            assumed |= not self.year_known(moment.year)
            if self.is_workday(moment.date()):
                remaining -= 1
        if end_of_day:
            moment += timedelta(days=1)
        return moment, assumed

    def unknown_years(self, years) -> list[int]:
        return sorted(y for y in set(years) if not self.year_known(y))
