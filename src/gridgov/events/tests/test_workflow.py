"""The state machine: every legal transition works, every illegal one is refused (409)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.events.models import Category, Event, EventAction, EventRequest, State
from gridgov.events.services import rate_event, transition
from gridgov.events.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db


def _put_in_state(event: Event, state: str, crew) -> Event:
    """Set up an event in ``state`` with what that state implies (assignee, deadlines)."""
    category = Category.objects.get(kind="matter", code="06010")
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        state=state,
        category=category,
        urgency="deadline",
        assignee=crew["worker"] if state not in (State.REPORTED, State.ACCEPTED) else None,
        handle_due=now + timezone.timedelta(days=3),
        closed_at=now if state == State.CLOSED else None,
    )
    event.refresh_from_db()
    return event


def _params(action: str, event: Event, crew, report) -> tuple[object, dict, str]:
    """(actor, params, note) that make ``action`` valid for the event."""
    note = "理由"
    handler = crew["worker"]
    if action in ("decide_extension", "decide_suspension"):
        kind = action.removeprefix("decide_")
        EventRequest.objects.create(
            event=event, kind=kind, working_days=2, reason="需要时间", requested_by=handler
        )
        return crew["dispatcher"], {"approve": True}, note
    params = {
        "merge": {"duplicate_of": report(title="另一处").tracking_code},
        "classify": {"category_code": "06028", "urgency": "same_day"},
        "dispatch": {"assignee": crew["worker"]},
        "reassign": {"assignee": crew["worker2"]},
        "escalate": {"level": "street"},
        "handle": {"result": "已处理完毕"},
        "request_extension": {"working_days": 2},
    }.get(action, {})
    permission = TRANSITIONS[action].permission
    actor = {"events.dispatch": crew["dispatcher"], "events.verify": crew["worker2"]}.get(
        permission, handler
    )
    return actor, params, note


LEGAL = [(t.action, s) for t in TRANSITIONS.values() for s in sorted(t.sources)]
ILLEGAL = [(t.action, s) for t in TRANSITIONS.values() for s in State.values if s not in t.sources]


@pytest.mark.parametrize(("action", "source"), LEGAL, ids=[f"{a}-{s}" for a, s in LEGAL])
def test_every_legal_transition(action, source, crew, report):
    event = _put_in_state(report(), source, crew)
    actor, params, note = _params(action, event, crew, report)
    before = AuditRecord.objects.count()
    result = transition(actor=actor, event=event, action=action, note=note, **params)
    expected = TRANSITIONS[action].target or source
    if action == "decide_suspension":
        expected = State.SUSPENDED
    assert result.state == expected
    assert Event.objects.get(pk=event.pk).state == expected
    step = EventAction.objects.filter(event=event).last()
    assert (step.action, step.from_state, step.to_state) == (action, source, expected)
    assert step.actor == actor
    assert AuditRecord.objects.count() == before + 1


@pytest.mark.parametrize(("action", "source"), ILLEGAL, ids=[f"{a}-{s}" for a, s in ILLEGAL])
def test_every_illegal_transition_is_refused(action, source, crew, report):
    event = _put_in_state(report(), source, crew)
    actor, params, note = _params(action, event, crew, report)
    version = Event.objects.get(pk=event.pk).version
    with pytest.raises(Conflict) as caught:
        transition(actor=actor, event=event, action=action, note=note, **params)
    assert caught.value.status == 409
    assert caught.value.details["state"] == source
    assert str(State(source).label) in str(caught.value.message)
    current = Event.objects.get(pk=event.pk)
    assert (current.state, current.version) == (source, version)


def test_the_whole_loop_sets_deadlines_and_timeline(crew, report, advance):
    event = report()
    assert event.state == State.REPORTED and event.accept_due > event.reported_at
    assert event.grid.code == "310104003001001" and event.suggested_assignee is not None
    event = advance(event, "accept", "classify", "dispatch", "check_in", "handle", "verify_pass")
    assert event.state == State.CLOSED and event.handle_due is not None
    assert event.responsible_unit.code == "310104003001"  # the first receiver, the community
    rated = rate_event(event=event, rating=5, actually_fixed=True, comment="很快")
    assert rated.rating == 5 and rated.actually_fixed is True
    actions = list(EventAction.objects.filter(event=event).values_list("action", flat=True))
    assert actions == [
        "report",
        "accept",
        "classify",
        "dispatch",
        "check_in",
        "handle",
        "verify_pass",
        "rate",
    ]
    with pytest.raises(Conflict):
        rate_event(event=event, rating=4, actually_fixed=True)


def test_rating_an_open_event_is_refused(report):
    with pytest.raises(Conflict) as caught:
        rate_event(event=report(), rating=5, actually_fixed=True)
    assert caught.value.details["state"] == State.REPORTED


@pytest.mark.parametrize("bad", [0, 6, "5", None])
def test_rating_out_of_range(bad, crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle", "verify_pass")
    with pytest.raises(ValidationFailed):
        rate_event(event=event, rating=bad, actually_fixed=None)


def test_stale_version_is_a_conflict(crew, report):
    event = report()
    with pytest.raises(Conflict) as caught:
        transition(actor=crew["dispatcher"], event=event, action="accept", version=99)
    assert caught.value.details == {"state": "reported", "version": 1}


def test_reason_is_required(crew, report):
    with pytest.raises(ValidationFailed) as caught:
        transition(actor=crew["dispatcher"], event=report(), action="reject", note="  ")
    assert "note" in caught.value.details


def test_out_of_scope_actor_cannot_act(crew, report):
    with pytest.raises(PermissionDenied):
        transition(actor=crew["outsider"], event=report(), action="accept")


def test_worker_cannot_dispatch(crew, report):
    with pytest.raises(PermissionDenied):
        transition(actor=crew["worker"], event=report(), action="accept")


def test_unknown_category_or_urgency_is_refused(crew, report, advance):
    event = advance(report(), "accept")
    for params in ({"category_code": "99999"}, {"category_code": "06010", "urgency": "soon"}):
        with pytest.raises(ValidationFailed) as caught:
            transition(actor=crew["dispatcher"], event=event, action="classify", **params)
        assert caught.value.status == 422
    assert Event.objects.get(pk=event.pk).state == State.ACCEPTED


def test_verify_fail_counts_rework(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle")
    transition(actor=crew["worker2"], event=event, action="verify_fail", note="没清干净")
    event.refresh_from_db()
    assert (event.state, event.rework_count) == (State.HANDLING, 1)


def test_merge_duplicates(crew, report, advance):
    first = report()
    second = report(title="楼道垃圾又来了")
    transition(
        actor=crew["dispatcher"], event=second, action="merge", duplicate_of=first.tracking_code
    )
    second.refresh_from_db()
    assert second.state == State.MERGED and second.duplicate_of == first
    report(title="别处的事")  # something else it could be merged into, but not itself
    with pytest.raises(ValidationFailed):
        transition(
            actor=crew["dispatcher"], event=first, action="merge", duplicate_of=first.tracking_code
        )


def test_reopen_within_the_window_only(crew, report, advance, settings):
    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle", "verify_pass")
    transition(actor=crew["dispatcher"], event=event, action="reopen", note="又堆上了")
    event.refresh_from_db()
    assert (event.state, event.reopen_count, event.closed_at) == (State.HANDLING, 1, None)
    event = advance(event, "handle", "verify_pass")
    Event.objects.filter(pk=event.pk).update(closed_at=timezone.now() - timezone.timedelta(days=8))
    with pytest.raises(Conflict) as caught:
        transition(actor=crew["dispatcher"], event=event, action="reopen", note="again")
    assert caught.value.code == "reopen_window_passed"


def test_extension_moves_the_deadline_by_working_days(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch", "check_in")
    due = event.handle_due
    transition(
        actor=crew["worker"],
        event=event,
        action="request_extension",
        note="等配件",
        working_days=2,
    )
    with pytest.raises(Conflict):  # one pending request at a time
        transition(
            actor=crew["worker"],
            event=event,
            action="request_extension",
            note="x",
            working_days=1,
        )
    transition(actor=crew["dispatcher"], event=event, action="decide_extension", approve=True)
    event.refresh_from_db()
    assert event.handle_due > due and event.extension_count == 1


def test_suspension_and_resumption(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch", "check_in")
    transition(actor=crew["worker"], event=event, action="request_suspension", note="需拆迁解决")
    transition(actor=crew["dispatcher"], event=event, action="decide_suspension", approve=False)
    assert Event.objects.get(pk=event.pk).state == State.HANDLING
    transition(actor=crew["worker"], event=event, action="request_suspension", note="需拆迁解决")
    transition(actor=crew["dispatcher"], event=event, action="decide_suspension", approve=True)
    assert Event.objects.get(pk=event.pk).state == State.SUSPENDED
    transition(actor=crew["dispatcher"], event=event, action="resume")
    assert Event.objects.get(pk=event.pk).state == State.HANDLING


def test_waiting_for_the_reporter_stops_the_clock(crew, report, advance, time_machine):
    time_machine.move_to("2025-09-01 09:00 +08:00", tick=False)
    event = advance(report(), "accept", "classify", "dispatch", "check_in")
    due = event.handle_due
    transition(actor=crew["worker"], event=event, action="wait_reporter", note="等居民回电")
    time_machine.move_to("2025-09-02 09:00 +08:00", tick=False)
    transition(actor=crew["worker"], event=event, action="reporter_replied")
    event.refresh_from_db()
    assert event.handle_due - due == timezone.timedelta(days=1)


def test_escalation_to_a_department_needs_check_in(crew, report, advance):
    event = advance(report(), "accept", "classify")
    transition(
        actor=crew["dispatcher"],
        event=event,
        action="escalate",
        level="district",
        department="CG",
        note="需城管执法",
    )
    event.refresh_from_db()
    assert (event.state, event.level, event.department, event.assignee) == (
        State.DISPATCHED,
        "district",
        crew["department"],
        None,
    )
    assert Event.objects.visible_to(crew["handler"]).filter(pk=event.pk).exists()
    transition(actor=crew["handler"], event=event, action="check_in")
    event.refresh_from_db()
    assert (event.state, event.assignee) == (State.HANDLING, crew["handler"])


def test_department_handler_sees_only_their_departments_events(crew, report):
    event = report()
    assert not Event.objects.visible_to(crew["handler"]).filter(pk=event.pk).exists()


def test_check_in_by_someone_else_is_refused(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch")
    with pytest.raises(PermissionDenied):
        transition(actor=crew["worker2"], event=event, action="check_in")
