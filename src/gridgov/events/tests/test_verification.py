"""On-site verification is done by someone other than the handler; with nobody else in the
grid it goes to the grid leader, or else to the community."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.errors import PermissionDenied
from gridgov.core.models import Notification
from gridgov.events.models import Event, State
from gridgov.events.selectors import worker_lists
from gridgov.events.services import allowed_actions, transition

pytestmark = pytest.mark.django_db


def _asked_to_verify(event) -> set[str]:
    return set(
        Notification.objects.filter(subject_id=str(event.uid), kind="to_verify").values_list(
            "recipient__username", flat=True
        )
    )


def test_the_handler_is_not_asked_to_verify_their_own_work(crew, report, advance):
    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle")
    assert "worker_a" not in _asked_to_verify(event)
    assert "worker_b" in _asked_to_verify(event)
    assert not {"verify_pass", "verify_fail"} & set(allowed_actions(crew["worker"], event))
    assert event not in worker_lists(actor=crew["worker"])["to_verify"]
    assert event in worker_lists(actor=crew["worker2"])["to_verify"]
    with pytest.raises(PermissionDenied) as caught:
        transition(actor=crew["worker"], event=event, action="verify_pass")
    assert caught.value.code == "own_work"
    transition(actor=crew["worker2"], event=event, action="verify_pass")
    assert Event.objects.get(pk=event.pk).state == State.CLOSED


@pytest.fixture
def lone_worker(org_tree, make_user):
    """The only grid worker of g1b."""
    from gridgov.org.models import GridAssignment

    worker = make_user(Role.GRID_WORKER, org_tree["g1b"], username="lone")
    GridAssignment.objects.create(
        grid=org_tree["g1b"], user=worker, duty="full_time", start_date=date(2024, 1, 1)
    )
    return worker


def _handled_by(worker, crew, report):
    event = report(lon=121.415)  # in g1b
    dispatcher = crew["dispatcher"]
    transition(actor=dispatcher, event=event, action="accept")
    transition(actor=dispatcher, event=event, action="classify", category_code="06010")
    transition(actor=dispatcher, event=event, action="dispatch", assignee=worker)
    transition(actor=worker, event=event, action="check_in")
    transition(actor=worker, event=event, action="handle", result="已清理")
    event.refresh_from_db()
    return event


def test_a_grid_with_one_worker_goes_to_the_grid_leader(
    crew, report, lone_worker, org_tree, make_user
):
    leader = make_user(Role.GRID_LEADER, org_tree["c1"], username="leader_c1")
    event = _handled_by(lone_worker, crew, report)
    assert event.grid.code == "310104003001002"
    assert _asked_to_verify(event) == {"leader_c1"}
    assert "verify_pass" in allowed_actions(leader, event)
    transition(actor=leader, event=event, action="verify_pass")


def test_without_a_grid_leader_the_community_verifies(crew, report, lone_worker):
    event = _handled_by(lone_worker, crew, report)
    assert _asked_to_verify(event) == {"disp"}  # the community staff
    assert "verify_pass" not in allowed_actions(lone_worker, event)
    assert "verify_pass" in allowed_actions(crew["dispatcher"], event)


def test_the_policy_can_let_handlers_verify(crew, report, advance, make_user, org_tree):
    from gridgov.core.services import policy_update

    policy_update(
        actor=make_user(Role.SYSTEM_ADMIN, org_tree["d1"]),
        key="events.loop",
        value={"separate_verifier": False},
        note="one-person grids verify their own work",
    )
    event = advance(report(), "accept", "classify", "dispatch", "check_in", "handle")
    assert "verify_pass" in allowed_actions(crew["worker"], event)
    transition(actor=crew["worker"], event=event, action="verify_pass")
