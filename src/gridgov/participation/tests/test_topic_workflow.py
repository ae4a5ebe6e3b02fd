"""The topic's state machine: the legal path to the report-back, a rejection that needs its
reason, the stale version and the wrong state refused with nothing written, scope."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.participation.models import Topic, TopicLog
from gridgov.participation.workflow import TOPIC_MACHINE, move_topic


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    topic = Topic.objects.create(
        org_unit=org_tree["c1"], title="加装电梯", source=Topic.Source.COMMITTEE, created_by=staff
    )
    return {"staff": staff, "topic": topic, "tree": org_tree, "make_user": make_user}


def test_the_whole_path_writes_timeline_and_audit(world):
    topic, staff = world["topic"], world["staff"]
    assert TOPIC_MACHINE.offered(staff, topic) == ["select", "reject"]
    for action in ("select", "open_discussion", "decide", "implement", "report_back"):
        topic = move_topic(actor=staff, topic=topic, action=action, version=topic.version)
    assert topic.state == Topic.State.REPORTED
    assert topic.selected_at is not None
    assert list(TopicLog.objects.values_list("action", flat=True)) == [
        "select",
        "open_discussion",
        "decide",
        "implement",
        "report_back",
    ]
    assert AuditRecord.objects.filter(action="participation.topic.transition").count() == 5


def test_rejection_needs_a_reason(world):
    with pytest.raises(ValidationFailed):
        move_topic(actor=world["staff"], topic=world["topic"], action="reject", version=1)
    topic = move_topic(
        actor=world["staff"], topic=world["topic"], action="reject", version=1, reason="不属实"
    )
    assert (topic.state, topic.reason) == (Topic.State.REJECTED, "不属实")


def test_stale_version_wrong_state_and_out_of_scope_write_nothing(world):
    topic, staff = world["topic"], world["staff"]
    move_topic(actor=staff, topic=topic, action="select", version=1)
    with pytest.raises(Conflict):
        move_topic(actor=staff, topic=topic, action="open_discussion", version=1)
    with pytest.raises(Conflict) as wrong:
        move_topic(actor=staff, topic=topic, action="implement", version=2)
    assert wrong.value.code == "illegal_transition"
    outside = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"])
    with pytest.raises(PermissionDenied):
        move_topic(actor=outside, topic=topic, action="open_discussion", version=2)
    topic.refresh_from_db()
    assert (topic.state, topic.version, TopicLog.objects.count()) == (Topic.State.SELECTED, 2, 1)
