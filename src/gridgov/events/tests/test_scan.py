"""The periodic scan: due soon, escalation along the ladder, late acceptance, follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.core.models import Notification
from gridgov.events.models import Event, EventAction
from gridgov.events.scan import scan

pytestmark = pytest.mark.django_db


def _overdue_by(event, hours):
    Event.objects.filter(pk=event.pk).update(
        handle_due=timezone.now() - timedelta(hours=hours),
        classified_at=timezone.now() - timedelta(days=5),
    )


def test_escalation_climbs_the_ladder_once_per_rung(crew, report, advance, org_tree):
    event = advance(report(), "accept", "classify", "dispatch", "check_in")
    _overdue_by(event, 1)
    assert scan().escalated == 1
    event.refresh_from_db()
    assert (event.overdue_level, event.level, event.responsible_unit) == (
        1,
        "community",
        org_tree["c1"],
    )
    assert scan().escalated == 0  # idempotent
    _overdue_by(event, 30)
    scan()
    event.refresh_from_db()
    assert (event.level, event.responsible_unit) == ("street", org_tree["s1"])
    assert Notification.objects.filter(recipient=crew["street"], kind="overdue").count() == 1
    _overdue_by(event, 100)
    scan()
    event.refresh_from_db()
    assert (event.overdue_level, event.level, event.responsible_unit) == (
        3,
        "district",
        org_tree["d1"],
    )
    assert Notification.objects.filter(recipient=crew["district"], kind="overdue").exists()
    steps = EventAction.objects.filter(event=event, action="overdue_escalate")
    assert [s.data["level"] for s in steps] == ["community", "street", "district"]
    # The assignee hears of each rung once.
    assert Notification.objects.filter(recipient=crew["worker"], kind="overdue").count() == 3


def test_long_overdue_goes_straight_to_its_rung(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch")
    _overdue_by(event, 100)
    assert scan().escalated == 1
    event.refresh_from_db()
    assert (event.overdue_level, event.level) == (3, "district")


def test_closed_and_waiting_events_do_not_escalate(crew, report, advance):
    closed = advance(
        report(), "accept", "classify", "dispatch", "check_in", "handle", "verify_pass"
    )
    waiting = advance(report(title="等待"), "accept", "classify", "dispatch", "check_in")
    from gridgov.events.services import transition

    transition(actor=crew["worker"], event=waiting, action="wait_reporter", note="等回电")
    _overdue_by(closed, 200)
    _overdue_by(waiting, 200)
    assert scan().escalated == 0


def test_due_soon_notifies_the_assignee_once(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch", "check_in")
    event.refresh_from_db()
    assert event.due_soon_at == event.handle_due - (event.handle_due - event.classified_at) * 0.25
    Event.objects.filter(pk=event.pk).update(
        due_soon_at=timezone.now() - timedelta(minutes=1),
        handle_due=timezone.now() + timedelta(hours=1),
    )
    assert scan().due_soon == 1
    assert scan().due_soon == 0
    assert Notification.objects.filter(recipient=crew["worker"], kind="due_soon").count() == 1


def test_late_acceptance_reaches_the_community(crew, report):
    event = report()
    Event.objects.filter(pk=event.pk).update(accept_due=timezone.now() - timedelta(minutes=1))
    scan()
    scan()
    assert (
        Notification.objects.filter(recipient=crew["dispatcher"], kind="accept_late").count() == 1
    )


def test_rating_follow_up_asks_once(crew, report, advance, caplog):
    event = report(contact_phone="13912345678")
    advance(event, "accept", "classify", "dispatch", "check_in", "handle", "verify_pass")
    Event.objects.filter(pk=event.pk).update(closed_at=timezone.now() - timedelta(hours=49))
    with caplog.at_level("INFO", logger="gridgov.notify"):
        assert scan().rating_followups == 1
        assert scan().rating_followups == 0
    lines = [r.getMessage() for r in caplog.records if "actually fixed" in r.getMessage()]
    assert len(lines) == 1 and "13912345678" not in lines[0]


def test_manual_escalation_notifies_the_street(crew, report, advance):
    from gridgov.events.services import transition

    event = advance(report(), "accept", "classify")
    transition(
        actor=crew["dispatcher"], event=event, action="escalate", level="street", note="吹哨"
    )
    assert Notification.objects.filter(recipient=crew["street"], kind="escalated").exists()
