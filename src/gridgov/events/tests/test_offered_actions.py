"""An action offered to someone is an action they may take, and nothing else is.

For every state, every role and the relations that matter (the event's handler or not, a
request pending or not, escalated to a department, closed recently or long ago), each
action the event page offers is tried and must succeed, and each one it does not offer is
tried and must be refused.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, GridGovError, PermissionDenied
from gridgov.events.models import Category, Event, EventRequest, State
from gridgov.events.services import allowed_actions, transition
from gridgov.events.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

S = State

# (state, relations): the situations an event is met in.
SCENARIOS = [
    (S.REPORTED, ""),
    (S.ACCEPTED, ""),
    (S.CLASSIFIED, ""),
    (S.DISPATCHED, "assigned"),
    (S.DISPATCHED, "escalated"),
    (S.DISPATCHED, "pending_extension"),
    (S.DISPATCHED, "pending_suspension"),
    (S.HANDLING, "assigned"),
    (S.HANDLING, "pending_extension"),
    (S.HANDLING, "pending_suspension"),
    (S.WAITING, "assigned"),
    (S.WAITING, "pending_extension"),
    (S.HANDLED, "assigned"),
    (S.CLOSED, "recent"),
    (S.CLOSED, "long_ago"),
    (S.REJECTED, ""),
    (S.MERGED, ""),
    (S.UNFOUNDED, ""),
    (S.OUT_OF_AREA, ""),
    (S.SUSPENDED, "assigned"),
]

ACTORS = [
    "dispatcher",  # community staff
    "leader",  # grid leader of the event's grid
    "worker",  # the grid worker the event is assigned to
    "worker2",  # another grid worker of the same grid
    "street",
    "district",
    "handler",  # a department handler
    "outsider",  # community staff of the other district
    "resident",
    "volunteer",
]


@pytest.fixture
def everyone(crew, org_tree, make_user):
    from gridgov.org.models import GridAssignment

    people = dict(crew)
    people["leader"] = make_user(Role.GRID_LEADER, org_tree["g1a"], username="leader")
    GridAssignment.objects.create(
        grid=org_tree["g1a"],
        user=people["leader"],
        duty=GridAssignment.Duty.LEADER,
        start_date=date(2024, 1, 1),
    )
    people["resident"] = make_user(Role.RESIDENT, org_tree["g1a"], username="resident")
    people["volunteer"] = make_user(Role.VOLUNTEER, org_tree["c1"], username="volunteer")
    return people


def _scenario(event: Event, state: str, relation: str, people) -> Event:
    now = timezone.now()
    category = Category.objects.get(kind="matter", code="06010")
    fields = {
        "state": state,
        "category": category,
        "urgency": "deadline",
        "classified_at": now,
        "handle_due": now + timezone.timedelta(days=3),
        "assignee": people["worker"] if relation else None,
    }
    if state in (S.REPORTED, S.ACCEPTED):
        fields.update(category=None, urgency="", classified_at=None, handle_due=None)
    if relation == "escalated":
        fields.update(
            assignee=None,
            level="district",
            department=people["department"],
            responsible_unit=event.responsible_unit.parent.parent.parent,  # the district
        )
    if state in (S.CLOSED, S.REJECTED, S.MERGED, S.UNFOUNDED, S.OUT_OF_AREA, S.SUSPENDED):
        days = 30 if relation == "long_ago" else 0
        fields["closed_at"] = now - timezone.timedelta(days=days)
    if state == S.HANDLED:
        fields["handled_at"] = now
    Event.objects.filter(pk=event.pk).update(**fields)
    if relation.startswith("pending_"):
        EventRequest.objects.create(
            event=event,
            kind=relation.removeprefix("pending_"),
            working_days=2 if relation == "pending_extension" else None,
            reason="需要时间",
            requested_by=people["worker"],
        )
    event.refresh_from_db()
    return event


def _params(action: str, event: Event, people, other: Event) -> dict:
    """Valid input for the action, so that only a refusal can make it fail."""
    assignee = people["worker"]
    if action == "reassign":
        assignee = people["worker2"] if event.assignee == people["worker"] else people["worker"]
    return {
        "note": "理由",
        **{
            "merge": {"duplicate_of": other.tracking_code},
            "classify": {"category_code": "06028", "urgency": "same_day"},
            "dispatch": {"assignee": assignee},
            "reassign": {"assignee": assignee},
            "escalate": {"level": "street"},
            "handle": {"result": "已处理完毕"},
            "request_extension": {"working_days": 2},
            "decide_extension": {"approve": True},
            "decide_suspension": {"approve": True},
        }.get(action, {}),
    }


def _attempt(actor, event: Event, action: str, params: dict) -> GridGovError | None:
    """Try the action and undo it; the refusal, or None when it went through."""
    with transaction.atomic():
        try:
            transition(actor=actor, event=Event.objects.get(pk=event.pk), action=action, **params)
        except GridGovError as exc:
            return exc
        finally:
            transaction.set_rollback(True)
    return None


@pytest.mark.parametrize(
    ("state", "relation"), SCENARIOS, ids=[f"{s}-{r or 'plain'}" for s, r in SCENARIOS]
)
def test_offered_actions_are_exactly_the_allowed_ones(state, relation, everyone, report):
    other = report(title="另一处垃圾")
    event = _scenario(report(), state, relation, everyone)
    mismatches = []
    for who in ACTORS:
        actor = everyone[who]
        offered = set(allowed_actions(actor, event))
        for action in TRANSITIONS:
            refusal = _attempt(actor, event, action, _params(action, event, everyone, other))
            if action in offered and refusal is not None:
                mismatches.append(f"{who} offered {action}, refused: {refusal.message}")
            elif action not in offered and refusal is None:
                mismatches.append(f"{who} not offered {action}, but it went through")
            elif action not in offered and not isinstance(refusal, PermissionDenied | Conflict):
                mismatches.append(f"{who} {action}: refused as {refusal.code}, not as a refusal")
        assert Event.objects.get(pk=event.pk).state == state
    assert not mismatches, "\n".join(mismatches)


def test_after_dispatch_the_dispatcher_is_offered_only_what_works(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch")
    offered = allowed_actions(crew["dispatcher"], event)
    assert "decide_extension" not in offered and "decide_suspension" not in offered
    assert "check_in" not in offered  # it is the grid worker's
    assert {"escalate", "reassign", "unfounded"} <= set(offered)
    assert "check_in" in allowed_actions(crew["worker"], event)
    assert "check_in" not in allowed_actions(crew["worker2"], event)


def test_the_event_page_offers_the_same_actions(crew, report, advance, login_client, client):
    event = advance(report(), "accept", "classify", "dispatch")
    login_client(crew["dispatcher"])
    page = client.get(f"/events/{event.uid}/").content.decode()
    offered = {a for a in TRANSITIONS if f'data-action="{a}"' in page}
    assert offered == set(allowed_actions(crew["dispatcher"], event))
    api = client.get(f"/api/v1/events/{event.uid}").json()
    assert set(api["allowed_actions"]) == offered


def test_guards_are_declared_with_the_transitions():
    guarded = {a for a, t in TRANSITIONS.items() if t.guards}
    assert {"check_in", "handle", "decide_extension", "request_extension", "verify_pass"} <= guarded
    for transition_ in TRANSITIONS.values():
        for guard in transition_.guards:
            assert guard.code and str(guard.message)
