"""Confirming a year's holidays recalculates the deadlines of the open events it affects.

2027 is a year the ``chinese-calendar`` package of the lock file does not know: its
deadlines assume Monday–Friday until an admin enters the State Council's arrangement and
confirms the year.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.events.calendar import WorkCalendar
from gridgov.events.models import Event, EventAction, State
from gridgov.events.services import transition

CN = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

# A plausible arrangement for National Day 2027: 1–7 October off, Sunday 26 September and
# Saturday 9 October worked instead.
HOLIDAYS = [date(2027, 10, d) for d in range(1, 8)]
WORKED = [date(2027, 9, 26), date(2027, 10, 9)]


def at(y, m, d, h=10, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=CN)


@pytest.fixture
def year_unknown():
    assert not WorkCalendar.load().year_known(2027), "the calendar package now knows 2027"


@pytest.fixture
def admin(crew):
    return crew["district"]  # events.manage: the district's working calendar


@pytest.fixture
def resident(org_tree, make_user):
    return make_user(Role.RESIDENT, org_tree["g1a"], username="jumin")


def _move_to(time_machine, moment):
    """Travel to ``moment``; passwords were just changed (no forced change on arrival)."""
    from gridgov.accounts.models import User

    time_machine.move_to(moment, tick=False)
    User.objects.update(password_changed_at=moment)


def _registered(report, advance, resident, title="井盖缺失"):
    return advance(report(title=title, actor=resident), "accept", "classify", "dispatch")


def _enter_and_confirm(client, login_client, admin):
    login_client(admin)
    for day in HOLIDAYS:
        client.post("/events/calendar/change/", {"date": day.isoformat(), "is_workday": "0"})
    for day in WORKED:
        client.post("/events/calendar/change/", {"date": day.isoformat(), "is_workday": "1"})
    return client.post("/events/calendar/change/", {"confirm_year": "2027"}, follow=True)


def test_confirming_the_year_moves_deadlines_out_of_the_holidays(
    year_unknown, crew, report, advance, resident, admin, login_client, client, time_machine
):
    _move_to(time_machine, at(2027, 10, 1))
    event = _registered(report, advance, resident)
    assert event.handle_due == at(2027, 10, 6) and event.calendar_assumed  # Mon–Fri

    page = _enter_and_confirm(client, login_client, admin)
    assert page.status_code == 200

    event.refresh_from_db()
    # Reported on a holiday: counts from Friday 8 October in full, then Saturday 9 (worked)
    # and Monday 11, to the end of that day.
    assert event.handle_due == at(2027, 10, 12, 0)
    assert not event.calendar_assumed
    step = EventAction.objects.get(event=event, action="recompute_deadline")
    assert step.public and step.actor is None and step.actor_name.startswith("system:")
    assert step.data["from"] and step.data["to"] and step.data["batch"]
    audit = AuditRecord.objects.get(action="events.event.recompute_deadline")
    assert audit.target_id == str(event.pk) and audit.actor_id is None
    assert audit.actor_name.startswith("system:")

    # The reporter sees the new deadline.
    login_client(resident)
    mine = client.get("/events/reported/").content.decode()
    assert "2027-10-12 00:00" in mine and "2027-10-06" not in mine


def test_extensions_and_pauses_are_counted_again_on_the_new_calendar(
    year_unknown, crew, report, advance, resident, admin, login_client, client, time_machine
):
    _move_to(time_machine, at(2027, 9, 30))  # Thursday
    event = _registered(report, advance, resident)
    transition(actor=crew["worker"], event=event, action="check_in")
    transition(
        actor=crew["worker"],
        event=event,
        action="request_extension",
        working_days=2,
        note="等配件",
    )
    _move_to(time_machine, at(2027, 9, 30, 11))
    transition(actor=crew["dispatcher"], event=event, action="decide_extension", approve=True)
    transition(actor=crew["worker"], event=event, action="wait_reporter", note="等居民回电")
    _move_to(time_machine, at(2027, 9, 30, 13))  # two hours with the clock stopped
    transition(actor=crew["worker"], event=event, action="reporter_replied")
    event.refresh_from_db()
    # Mon–Fri: 1, 4, 5 October, +2 working days → 7 October, +2 hours paused.
    assert event.handle_due == at(2027, 10, 7, 12)

    _enter_and_confirm(client, login_client, admin)
    event.refresh_from_db()
    # The new calendar: 8, 9 (worked), 11 October; +2 → 13 October; +2 hours paused.
    assert event.handle_due == at(2027, 10, 13, 12)
    assert not event.calendar_assumed
    assert event.due_soon_at is not None and event.due_soon_at < event.handle_due


def test_confirming_again_changes_nothing_and_closed_events_are_left(
    year_unknown, crew, report, advance, resident, admin, login_client, client, time_machine
):
    _move_to(time_machine, at(2027, 10, 1))
    open_event = _registered(report, advance, resident)
    closed = _registered(report, advance, resident, title="路灯不亮")
    transition(actor=crew["worker"], event=closed, action="check_in")
    transition(actor=crew["worker"], event=closed, action="handle", result="已修好")
    transition(actor=crew["worker2"], event=closed, action="verify_pass")
    closed.refresh_from_db()
    closed_due = closed.handle_due

    _enter_and_confirm(client, login_client, admin)
    open_event.refresh_from_db()
    version = open_event.version
    steps = EventAction.objects.count()
    audits = AuditRecord.objects.filter(action="events.event.recompute_deadline").count()
    assert audits == 1  # the open event only

    client.post("/events/calendar/change/", {"confirm_year": "2027"})
    open_event.refresh_from_db()
    assert open_event.version == version and EventAction.objects.count() == steps
    assert AuditRecord.objects.filter(action="events.event.recompute_deadline").count() == 1
    assert Event.objects.get(pk=closed.pk).handle_due == closed_due
    assert Event.objects.get(pk=closed.pk).state == State.CLOSED


def test_many_events_are_recalculated_as_a_background_task(
    year_unknown,
    crew,
    report,
    advance,
    resident,
    admin,
    login_client,
    client,
    time_machine,
    make_user,
    org_tree,
):
    from gridgov.core.services import policy_update

    policy_update(
        actor=make_user(Role.SYSTEM_ADMIN, org_tree["d1"]),
        key="events.loop",
        value={"recompute_inline_max": 1},
        note="recalculate in the background from two events on",
    )
    _move_to(time_machine, at(2027, 10, 1))
    events = [_registered(report, advance, resident, title=f"事件{i}") for i in range(3)]
    page = _enter_and_confirm(client, login_client, admin).content.decode()
    assert "background" in page
    for event in events:
        event.refresh_from_db()
        assert event.handle_due == at(2027, 10, 12, 0) and not event.calendar_assumed
    batches = {
        step.data["batch"] for step in EventAction.objects.filter(action="recompute_deadline")
    }
    assert len(batches) == 1
