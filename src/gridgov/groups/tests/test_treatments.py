"""The treatments of the classes: a 功能重构群's split-or-merge task opened once by rule,
its colours and its lineage check; a 潜力提升群 paired with a 高效能群 (refusals naming the
field, one pairing at a time, the mentor's admins told, progress month by month); the
quarterly re-check of a 高效能群; the API and the pages, and another area's 404."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.notifications import Notification
from gridgov.groups import selectors_treatments, services
from gridgov.groups import services_treatments as treatments
from gridgov.groups.models import Group, Pairing, RestructureTask
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.groups.tests.world import compounds_of, group_data

HIGH = {"activity_pct": 85, "response_hours": 1, "satisfaction_pct": 95}
POTENTIAL = {"activity_pct": 60}
MIXED = {"activity_pct": 60, "mixed_function": True}


@pytest.fixture
def area(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    admin = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    places = compounds_of(org_tree)

    def registered(name, month_values=None, month="2026-10", **extra):
        group = services.group_create(actor=staff, data=group_data(places, name=name, **extra))
        group = services.group_transition(actor=staff, group=group, action="approve", version=1)
        if month_values is not None:
            snapshot_save(actor=staff, group=group, month=month, data=month_values)
        return group

    return {
        "staff": staff,
        "admin": admin,
        "registered": registered,
        "tree": org_tree,
        "places": places,
    }


@pytest.mark.django_db
def test_restructure_task_by_rule_colours_and_lineage(area):
    staff = area["staff"]
    with time_machine.travel(date(2026, 11, 5), tick=False):
        mixed = area["registered"]("综合群", MIXED)
        snapshot_save(actor=staff, group=mixed, month="2026-11", data=MIXED)  # still one task
    task = RestructureTask.objects.get()
    assert task.group == mixed and task.due_on == date(2026, 12, 5)
    assert treatments.task_colour(task, date(2026, 11, 28)) == "success"
    assert treatments.task_colour(task, date(2026, 11, 29)) == "warning"  # 6 days left
    assert treatments.task_colour(task, date(2026, 12, 5)) == "warning"
    assert treatments.task_colour(task, date(2026, 12, 6)) == "danger"
    with pytest.raises(ValidationFailed) as caught:
        treatments.restructure_done(actor=staff, task=task)
    assert "status" in caught.value.details
    services.group_update(
        actor=staff,
        group=mixed,
        data={**group_data(area["places"], name="综合群", status="split")},
        version=mixed.version,
    )
    mixed.refresh_from_db()
    with pytest.raises(ValidationFailed) as caught:
        treatments.restructure_done(actor=staff, task=task)
    assert "successors" in caught.value.details
    area["registered"]("防疫通知群", predecessors=[str(mixed.uid)])
    done = treatments.restructure_done(actor=staff, task=task, note="拆为三个群", version=1)
    assert done.state == "done" and done.done_by_name == staff.username
    with pytest.raises(Conflict):
        treatments.restructure_done(actor=staff, task=done)


@pytest.mark.django_db
def test_pairing_refusals_one_at_a_time_progress_and_end(area):
    staff = area["staff"]
    admin = area["admin"]
    mentee = area["registered"]("潜力群", POTENTIAL)
    high_without_admin = area["registered"]("高效群甲", HIGH)
    mentor = area["registered"]("高效群乙", HIGH, admins=[{"user": admin.username}])
    with pytest.raises(ValidationFailed) as caught:
        treatments.pairing_start(actor=staff, mentee=mentor, mentor_uid=mentee.uid)
    assert set(caught.value.details) == {"mentee", "mentor"}
    with pytest.raises(ValidationFailed) as caught:
        treatments.pairing_start(actor=staff, mentee=mentee, mentor_uid=high_without_admin.uid)
    assert "no admin" in caught.value.details["mentor"][0]
    assert [g.name for g in selectors_treatments.mentor_choices(actor=staff, mentee=mentee)] == [
        "高效群乙"
    ]
    pairing = treatments.pairing_start(actor=staff, mentee=mentee, mentor_uid=mentor.uid)
    assert Notification.objects.filter(recipient=admin, kind="groups.pairing").exists()
    with pytest.raises(Conflict) as caught:
        treatments.pairing_start(actor=staff, mentee=mentee, mentor_uid=mentor.uid)
    assert caught.value.code == "already_paired"
    with time_machine.travel(date(2026, 12, 3), tick=False):
        snapshot_save(actor=staff, group=mentee, month="2026-12", data=HIGH)
    pairing.started_on = date(2026, 11, 20)
    pairing.save()
    assert treatments.pairing_progress(pairing) == [(date(2026, 12, 1), "high")]
    with pytest.raises(ValidationFailed):
        treatments.pairing_end(actor=staff, pairing=pairing, outcome="")
    ended = treatments.pairing_end(actor=staff, pairing=pairing, outcome="升为高效能群", version=1)
    assert ended.state == "ended" and Pairing.objects.filter(state="active").count() == 0
    with pytest.raises(Conflict):
        treatments.pairing_end(actor=staff, pairing=ended, outcome="again")


@pytest.mark.django_db
def test_high_groups_report_quarterly(area):
    high = area["registered"]("高效群", HIGH, month="2026-11")
    assert treatments.next_report_due(high) == date(2027, 2, 1)
    potential = area["registered"]("潜力群", POTENTIAL)
    assert treatments.next_report_due(potential) is None


@pytest.mark.django_db
def test_api_pages_and_scope(area, client, login_client, make_user):
    staff, admin = area["staff"], area["admin"]
    mentee = area["registered"]("潜力群", POTENTIAL)
    mentor = area["registered"]("高效群", HIGH, admins=[{"user": admin.username}])
    mixed = area["registered"]("综合群", MIXED)
    login_client(staff)
    page = client.get(f"/groups/{mentee.uid}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "结对帮扶" in page and 'id="mentor"' in page
    client.post(f"/groups/{mentee.uid}/treatment/", {"action": "pair", "mentor": str(mentor.uid)})
    assert Pairing.objects.filter(mentee=mentee, state="active").exists()
    bad = client.post(
        "/api/v1/pairings",
        data={"mentee": str(mentor.uid), "mentor": str(mentee.uid)},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "mentee" in bad.json()["details"]
    listed = client.get("/api/v1/pairings?state=active").json()
    assert listed["count"] == 1 and listed["items"][0]["mentor_name"] == "高效群"
    tasks = client.get("/api/v1/restructure-tasks").json()
    assert tasks["count"] == 1 and tasks["items"][0]["group_name"] == "综合群"
    refused = client.post(
        f"/api/v1/restructure-tasks/{tasks['items'][0]['uid']}/done",
        data={"version": 1},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 422 and "status" in refused.json()["details"]
    listing = client.get("/groups/treatments/").content.decode()
    assert "潜力群" in listing and "综合群" in listing
    detail = client.get(f"/groups/{mixed.uid}/").content.decode()
    assert 'id="group-task"' in detail
    other = make_user(Role.COMMUNITY_STAFF, area["tree"]["c2"])
    login_client(other)
    assert client.get("/api/v1/pairings").json()["count"] == 0
    with pytest.raises(NotFound):
        selectors_treatments.task_get(actor=other, uid=tasks["items"][0]["uid"])
    assert Group.objects.count() == 3
