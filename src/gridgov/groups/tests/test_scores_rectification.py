"""The monthly score by hand on a fixture, ranks and the top/bottom per street, "< 70 two
months running" opening exactly one case, a month in 问题整改群 opening one, deadlines
and colours on the shared deadline clock, and the case's closure review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict
from gridgov.groups import selectors, services
from gridgov.groups import services_rectifications as cases
from gridgov.groups.models import Rectification, Score
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.groups.tests.world import compounds_of, group_data

FIXTURE = {
    "activity_pct": 60,
    "members_total": 100,
    "age_0_18": 10,
    "age_19_60": 60,
    "age_60_plus": 30,
    "occupation_students": 10,
    "occupation_employed": 50,
    "occupation_retired": 30,
    "occupation_other": 10,
    "special_elderly_alone": 3,
    "special_pregnant": 1,
    "special_chronic": 5,
    "admin_contact": True,
    "response_hours": 13,
    "allocation_hours": 48,
    "satisfaction_pct": 80,
    "service_missing": False,
    "false_information": False,
    "leak_incidents": 0,
    "complaints": 2,
}
WEAK = {"activity_pct": 20, "complaints": 5}  # 潜力 (no fault), a low score


@pytest.fixture
def street(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    places = compounds_of(org_tree)

    def registered(name, **extra):
        group = services.group_create(
            actor=staff, data=group_data(places, name=name, created_on="2025-05-01", **extra)
        )
        return services.group_transition(actor=staff, group=group, action="approve", version=1)

    return {
        "staff": staff,
        "supervisor": make_user(Role.STREET_STAFF, org_tree["s1"]),
        "registered": registered,
        "tree": org_tree,
    }


def test_score_by_hand(street):
    group = street["registered"]("手算群")
    snap = snapshot_save(actor=street["staff"], group=group, month="2026-09", data=FIXTURE)
    score = Score.objects.get(snapshot=snap)
    # 数据: 11 of 12 measured (no 90 % read time); 服务: reply 13 h → 100·(24−13)/22 = 50,
    # satisfaction 80, services not missing 100; 安全: 100, no leak 100, 2 complaints 80;
    # 发展: activity 60.
    assert score.data == pytest.approx(91.67, abs=0.01)
    assert score.service == pytest.approx(76.67, abs=0.01)
    assert score.security == pytest.approx(93.33, abs=0.01)
    assert score.development == 60
    assert score.total == pytest.approx((91.67 + 76.67 + 93.33 + 60) / 4, abs=0.01)
    assert score.stars == 4 and score.rank == 1 and score.ranked_among == 1
    assert score.street == street["tree"]["s1"]


def test_unmeasured_dimension_leaves_the_mean(street):
    group = street["registered"]("少数据群")
    snap = snapshot_save(actor=street["staff"], group=group, month="2026-09", data={})
    score = Score.objects.get(snapshot=snap)
    assert score.service is None and score.security is None and score.development is None
    # Only 数据 counts: created on, community, function of 12.
    assert score.total == pytest.approx(25.0) and score.stars == 1


def test_ranks_and_top_bottom(street):
    staff = street["staff"]
    for n, activity in enumerate([90, 10, 50, 70, 30, 60, 20]):
        group = street["registered"](f"群{n}")
        snapshot_save(
            actor=staff, group=group, month="2026-09", data={**FIXTURE, "activity_pct": activity}
        )
    board = selectors.top_and_bottom(actor=street["supervisor"], month=date(2026, 9, 1))
    assert len(board) == 1
    assert [r.group.name for r in board[0]["top"]] == ["群0", "群3", "群5"]
    assert [r.group.name for r in board[0]["bottom"]] == ["群1", "群6", "群4"]
    assert sorted(Score.objects.values_list("rank", flat=True)) == list(range(1, 8))


def test_low_score_twice_opens_exactly_one_case(street):
    staff = street["staff"]
    group = street["registered"]("低分群")
    snapshot_save(actor=staff, group=group, month="2026-07", data=WEAK)
    assert not Rectification.objects.exists()
    snapshot_save(actor=staff, group=group, month="2026-08", data=WEAK)
    case = Rectification.objects.get()
    assert case.trigger == "low_score" and case.klass_at_trigger == "potential"
    assert "< 70 for 2 months" in case.reason
    snapshot_save(actor=staff, group=group, month="2026-09", data=WEAK)
    snapshot_save(
        actor=staff,
        group=group,
        month="2026-10",
        data={"activity_pct": 10, "false_information": True},
    )
    assert Rectification.objects.count() == 1
    # A good month between breaks the run.
    other = street["registered"]("好坏交替群")
    snapshot_save(actor=staff, group=other, month="2026-07", data=WEAK)
    snapshot_save(actor=staff, group=other, month="2026-08", data=FIXTURE)
    snapshot_save(actor=staff, group=other, month="2026-09", data=WEAK)
    assert not Rectification.objects.filter(group=other).exists()


def test_rectify_class_opens_a_case_with_deadlines_and_colours(street):
    staff = street["staff"]
    group = street["registered"]("整改群")
    snapshot_save(
        actor=staff,
        group=group,
        month="2026-10",
        data={"activity_pct": 30, "service_missing": True},
    )
    case = Rectification.objects.get()
    assert case.trigger == "class" and case.klass_at_trigger == "rectify"
    assert case.reason.startswith("groups.classes v0: rectify")
    items = list(case.items.order_by("due_at"))
    assert [i.text for i in items] == ["建立信息审核制度", "完成成员清查"]
    assert items[0].due_at - case.opened_at == timedelta(days=7)
    assert items[1].due_at - case.opened_at == timedelta(days=14)
    start = case.opened_at
    assert cases.item_colour(items[0], case, now=start + timedelta(days=1)) == "success"
    assert cases.item_colour(items[0], case, now=start + timedelta(days=6, hours=23)) == "warning"
    assert cases.item_colour(items[0], case, now=start + timedelta(days=7)) == "danger"
    assert cases.case_colour(case, now=start + timedelta(days=8)) == "danger"


def test_closure_review(street):
    staff, supervisor = street["staff"], street["supervisor"]
    group = street["registered"]("验收群")
    snapshot_save(
        actor=staff,
        group=group,
        month="2026-10",
        data={"activity_pct": 30, "false_information": True},
    )
    case = Rectification.objects.get()
    case = cases.case_action(actor=supervisor, case=case, action="supervise", version=1)
    assert case.supervisor == supervisor
    with pytest.raises(Conflict) as exc:
        cases.case_action(actor=staff, case=case, action="request_closure", version=2)
    assert exc.value.code == "items_open"
    for item in case.items.all():
        cases.item_done(actor=staff, case=case, item_id=item.pk)
    with pytest.raises(Conflict) as exc:
        cases.case_action(actor=staff, case=case, action="request_closure", version=2)
    assert exc.value.code == "posting_not_restricted"
    case = cases.case_action(actor=staff, case=case, action="check_restriction", version=2)
    case = cases.case_action(actor=staff, case=case, action="request_closure", version=3)
    with pytest.raises(Exception) as exc:
        cases.case_action(actor=staff, case=case, action="close", version=4)
    assert exc.value.status == 403
    case = cases.case_action(actor=supervisor, case=case, action="close", version=4, note="已销号")
    assert case.state == "closed" and cases.case_colour(case) == "secondary"


def test_api_and_pages(street, client, login_client):
    staff, supervisor = street["staff"], street["supervisor"]
    group = street["registered"]("接口群")
    snapshot_save(
        actor=staff,
        group=group,
        month="2026-10",
        data={"activity_pct": 30, "false_information": True},
    )
    login_client(supervisor)
    listing = client.get("/api/v1/rectifications?state=in_progress").json()
    assert listing["count"] == 1 and listing["items"][0]["colour"] == "success"
    uid = listing["items"][0]["uid"]
    taken = client.post(
        f"/api/v1/rectifications/{uid}/actions",
        data={"action": "supervise", "version": 1},
        content_type="application/json",
    )
    assert taken.status_code == 200 and taken.json()["supervisor"] == supervisor.username
    scores = client.get("/api/v1/scores?month=2026-10").json()
    assert scores["count"] == 1 and scores["items"][0]["rank"] == 1
    page = client.get("/groups/rectifications/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "接口群".encode() in page.content
    assert client.get(f"/groups/rectifications/{uid}/").status_code == 200
    board = client.get("/groups/scores/?month=2026-10")
    assert board.status_code == 200 and "接口群".encode() in board.content
    login_client(staff)
    done = client.post(
        f"/groups/rectifications/{uid}/action/", {"action": "check_restriction", "version": "2"}
    )
    assert done.status_code == 302
    assert Rectification.objects.get().restrict_posting_checked_at is not None


def test_case_evidence_is_stored_audited_and_refused_when_empty(street, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from gridgov.audit.models import AuditRecord
    from gridgov.core.errors import ValidationFailed
    from gridgov.groups.models import RectificationEvidence

    settings.DATA_DIR = tmp_path
    staff = street["staff"]
    group = street["registered"]("佐证群")
    snapshot_save(
        actor=staff,
        group=group,
        month="2026-10",
        data={"activity_pct": 30, "service_missing": True},
    )
    case = Rectification.objects.get()
    with pytest.raises(ValidationFailed) as refused:
        cases.evidence_add(actor=staff, case=case, files=[])
    assert "files" in refused.value.details
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, "PNG")
    photo = SimpleUploadedFile("notice.png", buffer.getvalue(), content_type="image/png")
    (kept,) = cases.evidence_add(actor=staff, case=case, files=[photo])
    stored = RectificationEvidence.objects.get()
    assert stored == kept and stored.case == case and stored.size > 0
    record = AuditRecord.objects.get(action="groups.rectification.evidence")
    assert record.changes["files"] == [str(stored.uid)]
