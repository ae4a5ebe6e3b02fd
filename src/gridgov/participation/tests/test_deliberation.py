"""Deliberation 议事: who sees which topics, proposals with co-signatures and 代办,
moderation with its public record, the decision with its report-back and the red overdue
flag, the meeting notices (once each), and every bad input refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.participation import selectors_deliberation as selectors
from gridgov.participation import services_deliberation as services
from gridgov.participation.models import (
    Comment,
    CoSignature,
    Decision,
    Proposal,
    Topic,
    TopicNotice,
)
from gridgov.participation.signals import proposal_adopted
from gridgov.participation.workflow import move_topic
from gridgov.residents.models import ResidentAccount


def make_resident(staff, grid, number, *, birth="1970-02-02", residence=None, name="居民"):
    from gridgov.people import services as people

    household = people.household_create(
        actor=staff, grid=grid, number=number, address=f"{number}号", kind="family"
    )
    resident = people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": name,
            "id_type": "none",
            "sex": "F",
            "birth_date": birth,
            "relation": "head",
            "registration": "permanent",
        },
    )
    if residence:
        resident.residence = residence
        resident.save(update_fields=["residence"])
    return resident


def bound_user(make_user, resident, grid, role=Role.RESIDENT):
    user = make_user(role, grid)
    ResidentAccount.objects.create(
        user=user, resident=resident, method="in_person", bound_by_name="staff"
    )
    return user


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    outsider_staff = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    staff2 = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    people = [make_resident(staff, org_tree["g1a"], f"A{i}") for i in range(7)]
    users = [bound_user(make_user, r, org_tree["g1a"]) for r in people]
    far = make_resident(staff2, org_tree["g2a"], "Z1")
    far_user = bound_user(make_user, far, org_tree["g2a"])
    return {
        "tree": org_tree,
        "staff": staff,
        "outsider_staff": outsider_staff,
        "people": people,
        "users": users,
        "far_user": far_user,
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"]),
        "unbound": make_user(Role.RESIDENT, org_tree["g1a"]),
        "make_user": make_user,
    }


def _topic(world, unit="c1", **fields):
    fields.setdefault("source", Topic.Source.COMMITTEE)
    return Topic.objects.create(
        org_unit=world["tree"][unit],
        title=fields.pop("title", "加装电梯"),
        created_by=world["staff"],
        **fields,
    )


def test_a_resident_sees_topics_of_their_grid_and_community_only(world):
    mine_c = _topic(world, "c1", title="社区议题")
    mine_g = _topic(world, "g1a", title="网格议题")
    other_grid = _topic(world, "g1b", title="隔壁网格")
    other_district = Topic.objects.create(
        org_unit=world["tree"]["c2"], title="长宁", source="committee", created_by=world["staff"]
    )
    resident = world["people"][0]
    seen = set(selectors.resident_topic_list(resident=resident).values_list("pk", flat=True))
    assert seen == {mine_c.pk, mine_g.pk}
    for hidden in (other_grid, other_district):
        with pytest.raises(NotFound):
            selectors.resident_topic_get(resident=resident, pk=hidden.pk)
        with pytest.raises(NotFound):
            services.comment_create(actor=world["users"][0], topic_pk=hidden.pk, body="看看")
    assert not Comment.objects.exists()


def test_proposal_bad_input_and_unbound_account_write_nothing(world):
    with pytest.raises(PermissionDenied) as refused:
        services.proposal_create(actor=world["unbound"], data={"title": "x", "body": "y"})
    assert refused.value.code == "not_a_verified_resident"
    with pytest.raises(ValidationFailed) as bad:
        services.proposal_create(actor=world["users"][0], data={"title": " ", "body": ""})
    assert set(bad.value.details) == {"title", "body"}
    with pytest.raises(ValidationFailed) as wrong_unit:
        services.proposal_create(
            actor=world["users"][0], data={"title": "a", "body": "b", "org_unit": "310104003001002"}
        )
    assert "org_unit" in wrong_unit.value.details
    assert not Proposal.objects.exists()


def test_cosigning_once_each_not_ones_own_and_the_threshold(world):
    author, *others = world["users"]
    proposal = services.proposal_create(
        actor=author, data={"title": "增设非机动车棚", "body": "楼下缺车棚"}
    )
    assert proposal.state == Proposal.State.SUBMITTED and proposal.org_unit.code.endswith("001")
    with pytest.raises(Conflict) as own:
        services.proposal_cosign(actor=author, proposal_uid=proposal.uid)
    assert own.value.code == "own_proposal"
    for user in others[:4]:
        services.proposal_cosign(actor=user, proposal_uid=proposal.uid)
    proposal.refresh_from_db()
    assert (proposal.cosign_count, proposal.state) == (4, Proposal.State.SUBMITTED)
    with pytest.raises(Conflict) as twice:
        services.proposal_cosign(actor=others[0], proposal_uid=proposal.uid)
    assert twice.value.code == "already_cosigned"
    assert CoSignature.objects.count() == 4
    services.proposal_cosign(actor=others[4], proposal_uid=proposal.uid)
    proposal.refresh_from_db()
    assert (proposal.cosign_count, proposal.state) == (5, Proposal.State.SECONDED)
    assert proposal in selectors.proposal_list(actor=world["staff"], queue="candidates")
    # Another district's resident does not even see it.
    with pytest.raises(NotFound):
        services.proposal_cosign(actor=world["far_user"], proposal_uid=proposal.uid)
    assert AuditRecord.objects.filter(action="participation.proposal.cosign").count() == 5


def test_staff_enter_a_proposal_on_a_residents_behalf(world):
    resident = world["people"][1]
    proposal = services.proposal_create(
        actor=world["worker"],
        data={"title": "楼道灯坏了", "body": "三楼"},
        on_behalf_of=str(resident.uid),
    )
    assert (proposal.author, proposal.on_behalf, proposal.entered_by) == (
        resident,
        True,
        world["worker"],
    )
    record = AuditRecord.objects.get(action="participation.proposal.create")
    assert record.changes["on_behalf"] is True
    far = world["far_user"].resident_account.resident
    with pytest.raises(NotFound):
        services.proposal_create(
            actor=world["worker"], data={"title": "x", "body": "y"}, on_behalf_of=str(far.uid)
        )


def test_the_assist_page_finds_the_resident_and_submits_for_them(world, login_client):
    """The worker finds the resident by name (masked), writes the proposal down and it is the
    resident's, marked as entered on their behalf; an empty title keeps the form with the
    message; a resident outside the worker's area is a 404."""
    from django.test import Client

    resident = world["people"][2]
    worker = login_client(world["worker"], Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    found = worker.get("/participation/proposals/assist/?q=居民").content.decode()
    assert "居*" in found and f"?resident={resident.uid}" in found
    assert 'fw-semibold">居民<' not in found
    url = f"/participation/proposals/assist/?resident={resident.uid}"
    form = worker.get(url).content.decode()
    assert 'id="assist-propose-form"' in form and "居*" in form
    # The unit is the one the proposal goes to (提给), not the events' escalation (升级到).
    assert ">提给<" in form and "升级到" not in form
    empty = worker.post(url, {"resident": str(resident.uid), "title": "", "body": "三楼"})
    assert empty.status_code == 400 and not Proposal.objects.exists()
    done = worker.post(
        url, {"resident": str(resident.uid), "title": "楼道灯坏了", "body": "三楼楼道灯不亮"}
    )
    assert done.status_code == 302
    proposal = Proposal.objects.get()
    assert (proposal.author, proposal.on_behalf, proposal.entered_by) == (
        resident,
        True,
        world["worker"],
    )
    far = world["far_user"].resident_account.resident
    assert worker.get(f"/participation/proposals/assist/?resident={far.uid}").status_code == 404


def _seconded(world) -> Proposal:
    author, *others = world["users"]
    proposal = services.proposal_create(actor=author, data={"title": "加装电梯", "body": "老楼"})
    for user in others[:5]:
        services.proposal_cosign(actor=user, proposal_uid=proposal.uid)
    proposal.refresh_from_db()
    return proposal


def test_the_whole_path_from_proposal_to_report_back(world):
    staff = world["staff"]
    proposal = _seconded(world)
    proposal = services.proposal_include(actor=staff, proposal=proposal, version=proposal.version)
    topic = proposal.topic
    assert (topic.state, topic.source, proposal.state) == (
        Topic.State.COLLECTING,
        Topic.Source.PROPOSAL,
        Proposal.State.INCLUDED,
    )
    topic = move_topic(actor=staff, topic=topic, action="select", version=topic.version)
    topic = move_topic(actor=staff, topic=topic, action="open_discussion", version=topic.version)
    services.comment_create(actor=world["users"][2], topic_pk=topic.pk, body="支持")
    received = []

    def listener(sender, resident, source, **kwargs):
        received.append((resident, source))

    proposal_adopted.connect(listener)
    try:
        services.decision_record(
            actor=staff,
            topic=topic,
            data={"outcome": "changed", "summary": "先装两部"},
            version=topic.version,
        )
    finally:
        proposal_adopted.disconnect(listener)
    proposal.refresh_from_db()
    topic.refresh_from_db()
    assert topic.state == Topic.State.DECIDED
    assert proposal.state == Proposal.State.ADOPTED and proposal.decided_at is not None
    assert received == [(world["people"][0], proposal)]
    decision = topic.decision
    assert decision.report_due == timezone.localdate() + timedelta(days=30)
    services.decision_implementation(
        actor=staff, topic=topic, implementation="done", version=topic.version
    )
    topic.refresh_from_db()
    assert topic.state == Topic.State.IMPLEMENTING
    services.report_back(actor=staff, topic=topic, text="两部电梯已投用", version=topic.version)
    topic.refresh_from_db()
    proposal.refresh_from_db()
    assert topic.state == Topic.State.REPORTED and topic.decision.reported_at is not None
    assert proposal.state == Proposal.State.IMPLEMENTED
    assert list(topic.log.values_list("action", flat=True)) == [
        "create",
        "select",
        "open_discussion",
        "decide",
        "implement",
        "report_back",
    ]


def test_not_adopted_needs_its_reason_and_declines_the_proposals(world):
    staff = world["staff"]
    proposal = _seconded(world)
    proposal = services.proposal_include(actor=staff, proposal=proposal, version=proposal.version)
    topic = proposal.topic
    for action in ("select", "open_discussion"):
        topic = move_topic(actor=staff, topic=topic, action=action, version=topic.version)
    with pytest.raises(ValidationFailed) as bad:
        services.decision_record(
            actor=staff, topic=topic, data={"outcome": "not_adopted"}, version=topic.version
        )
    assert "reason" in bad.value.details
    assert not Decision.objects.exists()
    topic.refresh_from_db()
    assert topic.state == Topic.State.DISCUSSING
    services.decision_record(
        actor=staff,
        topic=topic,
        data={"outcome": "not_adopted", "reason": "结构不允许"},
        version=topic.version,
    )
    proposal.refresh_from_db()
    assert (proposal.state, proposal.reason) == (Proposal.State.DECLINED, "结构不允许")
    # Outside the scope: nothing.
    with pytest.raises(PermissionDenied):
        services.report_back(
            actor=world["outsider_staff"], topic=topic, text="x", version=topic.version + 1
        )


def test_a_removed_comment_shows_the_reason_never_its_text(world, client, login_client):
    topic = _topic(world, "g1a", state=Topic.State.DISCUSSING)
    comment = services.comment_create(actor=world["users"][1], topic_pk=topic.pk, body="骂人的话")
    with pytest.raises(ValidationFailed):
        services.comment_remove(actor=world["staff"], comment=comment, reason="")
    with pytest.raises(PermissionDenied):
        services.comment_remove(actor=world["outsider_staff"], comment=comment, reason="x")
    services.comment_remove(actor=world["staff"], comment=comment, reason="人身攻击")
    login_client(world["users"][2])
    page = client.get(f"/participation/me/topics/{topic.pk}/").content.decode()
    assert "人身攻击" in page and "骂人的话" not in page
    body = client.get(f"/api/v1/participation/me/topics/{topic.pk}").json()
    assert body["comments"] == [
        {
            "uid": str(comment.uid),
            "at": body["comments"][0]["at"],
            "text": "",
            "removed": True,
            "removed_reason": "人身攻击",
        }
    ]


def test_an_adopted_topic_without_its_report_back_turns_red(world, client, login_client):
    late = _topic(world, "c1", title="迟到的反馈", state=Topic.State.DECIDED)
    on_time = _topic(world, "c1", title="按时", state=Topic.State.DECIDED)
    rejected = _topic(world, "c1", title="未采纳", state=Topic.State.DECIDED)
    past = timezone.localdate() - timedelta(days=1)
    for topic, outcome, due in (
        (late, "adopted", past),
        (on_time, "adopted", timezone.localdate()),
        (rejected, "not_adopted", past),
    ):
        Decision.objects.create(
            topic=topic,
            outcome=outcome,
            report_due=due,
            decided_at=timezone.now() - timedelta(days=31),
            decided_by_name="s",
        )
    overdue = selectors.topic_list(actor=world["staff"], queue="overdue")
    assert list(overdue) == [late]
    login_client(world["staff"])
    page = client.get("/participation/topics/?queue=overdue").content.decode()
    assert "迟到的反馈" in page and "按时" not in page and "border-danger" in page
    assert (
        client.get(f"/participation/topics/{late.pk}/").content.decode().count('id="overdue-flag"')
        == 1
    )


def test_meeting_notices_reach_adults_living_there_once(world, caplog):
    staff = world["staff"]
    g1a = world["tree"]["g1a"]
    child = make_resident(staff, g1a, "K1", birth=str(timezone.localdate().year - 10) + "-01-01")
    away = make_resident(staff, g1a, "K2", residence="moved_out")
    topic = _topic(
        world,
        "g1a",
        meeting_type=Topic.MeetingType.HEARING,
        meeting_at=timezone.now() + timedelta(days=5),
    )
    topic = move_topic(actor=staff, topic=topic, action="select", version=topic.version)
    assert services.notices_send_due() == 0  # 5 days ahead, told 3 days before
    assert services.notices_send_due(now=timezone.now() + timedelta(days=2, hours=1)) == 7
    told = set(TopicNotice.objects.values_list("resident_id", flat=True))
    assert told == {r.pk for r in world["people"]}
    assert child.pk not in told and away.pk not in told
    assert services.notices_send_due(now=timezone.now() + timedelta(days=2, hours=2)) == 0
    assert TopicNotice.objects.count() == 7


def test_hidden_proposal_leaves_the_residents_pages(world):
    proposal = services.proposal_create(
        actor=world["users"][0], data={"title": "广告", "body": "x"}
    )
    with pytest.raises(ValidationFailed):
        services.proposal_hide(
            actor=world["staff"], proposal=proposal, reason=" ", version=proposal.version
        )
    services.proposal_hide(
        actor=world["staff"], proposal=proposal, reason="商业广告", version=proposal.version
    )
    other = world["people"][1]
    assert not selectors.resident_proposal_list(resident=other).filter(pk=proposal.pk).exists()
    assert (
        selectors.resident_proposal_list(resident=world["people"][0])
        .filter(pk=proposal.pk)
        .exists()
    )
    with pytest.raises(NotFound):
        services.proposal_cosign(actor=world["users"][1], proposal_uid=proposal.uid)


def test_documents_through_the_shared_handler_read_in_scope_only(
    world, settings, tmp_path, client, login_client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.core.tests.test_attachments import jpeg, pdf
    from gridgov.participation.models import TopicDocument

    settings.DATA_DIR = tmp_path
    topic = _topic(world, "g1a")
    with pytest.raises(ValidationFailed) as bad:
        services.topic_documents_add(
            actor=world["staff"],
            topic=topic,
            files=[SimpleUploadedFile("x.pdf", b"not a pdf")],
            title="方案",
        )
    assert "documents" in bad.value.details
    with pytest.raises(ValidationFailed) as untitled:
        services.topic_documents_add(actor=world["staff"], topic=topic, files=[pdf()], title="")
    assert "title" in untitled.value.details
    assert not TopicDocument.objects.exists() and not list(tmp_path.rglob("*.pdf"))
    with pytest.raises(PermissionDenied):
        services.topic_documents_add(
            actor=world["outsider_staff"], topic=topic, files=[pdf()], title="方案"
        )
    added = services.topic_documents_add(
        actor=world["staff"], topic=topic, files=[pdf(), jpeg()], title="加装电梯方案"
    )
    assert [d.kind for d in added] == ["pdf", "image"] and added[0].pages == 1
    assert AuditRecord.objects.filter(action="participation.topic.documents").count() == 1
    login_client(world["users"][0])
    response = client.get(f"/participation/me/topics/{topic.pk}/documents/{added[0].uid}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    login_client(world["far_user"])
    response = client.get(f"/participation/me/topics/{topic.pk}/documents/{added[0].uid}/")
    assert response.status_code == 404


def test_a_topic_not_taken_up_declines_its_proposals(world):
    staff = world["staff"]
    topic = _topic(world, "g1a")
    proposal = services.proposal_create(
        actor=world["users"][0], data={"title": "装路灯", "body": "暗", "topic": topic.pk}
    )
    assert proposal.state == Proposal.State.INCLUDED
    services.proposal_cosign(actor=world["users"][1], proposal_uid=proposal.uid)
    with pytest.raises(ValidationFailed):
        services.topic_transition(actor=staff, topic=topic, action="reject", version=1)
    services.topic_transition(
        actor=staff, topic=topic, action="reject", version=1, reason="已列入市政计划"
    )
    proposal.refresh_from_db()
    assert (proposal.state, proposal.reason) == (Proposal.State.DECLINED, "已列入市政计划")
    assert proposal.decided_at is not None
    with pytest.raises(Conflict):
        services.proposal_cosign(actor=world["users"][2], proposal_uid=proposal.uid)


def test_the_residents_page_has_the_topics_card(world, client, login_client):
    _topic(world, "c1", state=Topic.State.DISCUSSING)
    _topic(world, "g1a", state=Topic.State.REPORTED)
    _topic(world, "g1b", state=Topic.State.DISCUSSING)  # another grid: not counted
    login_client(world["users"][0])
    page = client.get("/participation/me/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "/participation/me/topics/" in page and "我的社区议题" in page
    from gridgov.participation.hub_deliberation import topics_card

    card = topics_card(world["users"][0], world["people"][0])
    assert (card.key, card.count) == ("topics", 1)
