"""Working days follow the official calendar with its adjusted working days (调休)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.events.calendar import WorkCalendar
from gridgov.events.models import CalendarDay, CalendarYear
from gridgov.events.policies import TimeLimit
from gridgov.events.sla import deadline

CN = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return datetime(y, m, d, h, 0, tzinfo=CN)


@pytest.fixture
def cal():
    return WorkCalendar.load()


def test_national_day_2025_adjusted_days(cal):
    assert cal.is_workday(date(2025, 9, 28))  # Sunday, working
    assert cal.is_workday(date(2025, 10, 11))  # Saturday, working
    for day in range(1, 9):
        assert not cal.is_workday(date(2025, 10, day))
    assert not cal.is_workday(date(2025, 10, 12))  # ordinary Sunday


def test_three_working_days_across_national_day_2025(cal):
    # Tuesday 30 Sep 10:00 → 9, 10 and (Saturday, working) 11 October.
    due, assumed = cal.add_working_days(at(2025, 9, 30), 3)
    assert due == at(2025, 10, 11) and not assumed
    # Friday 26 Sep → Sunday 28 (working), Monday 29, Tuesday 30. Plain Mon–Fri gives 1 Oct.
    assert cal.add_working_days(at(2025, 9, 26), 3)[0] == at(2025, 9, 30)


def test_report_during_the_break_counts_from_the_first_working_day(cal):
    # Reported on 3 October (holiday): 9, 10, 11 October count; due at the end of the 11th.
    due, _ = cal.add_working_days(at(2025, 10, 3, 15), 3)
    assert due == datetime(2025, 10, 12, 0, 0, tzinfo=CN)


def test_spring_festival_2025(cal):
    # Break 28 Jan – 4 Feb 2025; Sunday 26 Jan and Saturday 8 Feb are working days.
    assert cal.is_workday(date(2025, 1, 26)) and cal.is_workday(date(2025, 2, 8))
    assert not cal.is_workday(date(2025, 1, 28)) and not cal.is_workday(date(2025, 2, 4))
    # Friday 24 Jan → Sunday 26, Monday 27, then Wednesday 5 Feb.
    assert cal.add_working_days(at(2025, 1, 24), 3)[0] == at(2025, 2, 5)


def test_sla_policy_limits(cal):
    start = at(2025, 9, 30)
    assert deadline(start, TimeLimit(minutes=30), cal)[0] == datetime(
        2025, 9, 30, 10, 30, tzinfo=CN
    )
    assert deadline(start, TimeLimit(hours=24), cal)[0] == at(2025, 10, 1)
    assert deadline(start, TimeLimit(working_days=3), cal)[0] == at(2025, 10, 11)


def test_unknown_year_assumes_monday_to_friday_until_entered():
    cal = WorkCalendar.load()
    assert not cal.year_known(2031)
    # 1 January 2031 is a Wednesday: without an entered arrangement it counts as working.
    due, assumed = cal.add_working_days(at(2030, 12, 31), 1)
    assert assumed and due == at(2031, 1, 1)
    CalendarDay.objects.create(date=date(2031, 1, 1), is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2030)
    CalendarYear.objects.create(year=2031)
    cal = WorkCalendar.load()
    due, assumed = cal.add_working_days(at(2030, 12, 31), 1)
    assert not assumed and due == at(2031, 1, 2)


def test_admin_days_override_the_package(cal):
    CalendarDay.objects.create(date=date(2025, 10, 13), is_workday=False, name="test")
    cal = WorkCalendar.load()
    assert not cal.is_workday(date(2025, 10, 13))
