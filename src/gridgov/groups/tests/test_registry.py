"""The group registry through the services, the API and the pages: scope (grid, community,
the other district), the commercial refusal, impossible numbers named by field, the
external id kept only as a keyed hash, approval by the 居委会, lineage of splits and
merges, masked free text and the 「四有」 evidence."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.groups import services
from gridgov.groups.errors import CommercialGroupRefused, ImpossibleNumbers
from gridgov.groups.models import Group, GroupEvidence
from gridgov.groups.tests.world import compounds_of, group_data


@pytest.fixture
def office(org_tree, make_user):
    return {
        "tree": org_tree,
        "places": compounds_of(org_tree),
        "staff": make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"]),
        "worker_b": make_user(Role.GRID_WORKER, org_tree["g1b"]),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"]),
        "outsider": make_user(Role.COMMUNITY_STAFF, org_tree["c2"]),
    }


def test_scope_follows_the_buildings_served(office):
    places, staff = office["places"], office["staff"]
    one_grid = services.group_create(actor=staff, data=group_data(places))
    assert one_grid.scope_path == office["tree"]["g1a"].path
    assert one_grid.grid == office["tree"]["g1a"]
    whole = services.group_create(
        actor=staff, data=group_data(places, name="幸福家园业主群", buildings=[])
    )
    # The compound spans two grids: the group is the community's.
    assert whole.scope_path == office["tree"]["c1"].path and whole.grid is None
    visible_a = set(Group.objects.visible_to(office["worker"]).values_list("name", flat=True))
    visible_b = set(Group.objects.visible_to(office["worker_b"]).values_list("name", flat=True))
    assert visible_a == {"幸福家园3栋服务群"} and visible_b == set()
    assert Group.objects.visible_to(office["street"]).count() == 2
    assert Group.objects.visible_to(office["outsider"]).count() == 0


def test_refusals_name_the_field(office):
    places, staff = office["places"], office["staff"]
    with pytest.raises(CommercialGroupRefused) as exc:
        services.group_create(actor=staff, data=group_data(places, function="commercial"))
    assert exc.value.status == 422 and "function" in exc.value.details
    with pytest.raises(ImpossibleNumbers) as exc:
        services.group_create(
            actor=staff, data=group_data(places, members_total=100, age_60_plus=120)
        )
    assert set(exc.value.details) == {"age_60_plus"}
    with pytest.raises(ImpossibleNumbers) as exc:
        services.group_create(actor=staff, data=group_data(places, special_pregnant=-1))
    assert set(exc.value.details) == {"special_pregnant"}
    with pytest.raises(ImpossibleNumbers) as exc:
        services.group_create(
            actor=staff,
            data=group_data(places, members_total=100, age_0_18=40, age_19_60=40, age_60_plus=30),
        )
    assert set(exc.value.details) == {"age_60_plus"}
    with pytest.raises(ValidationFailed) as exc:
        services.group_create(
            actor=staff, data=group_data(places, compounds=[places["other"].pk], buildings=[])
        )
    assert "compounds" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        services.group_create(
            actor=staff,
            data=group_data(places, buildings=[places["peace_1"].pk]),
        )
    assert "buildings" in exc.value.details
    assert not Group.objects.exists()


def test_external_id_is_only_a_keyed_hash_and_unique(office):
    places, staff = office["places"], office["staff"]
    group = services.group_create(
        actor=staff, data=group_data(places, external_id="wxid_group_4455667788")
    )
    assert len(group.external_id_hash) == 64 and "4455667788" not in group.external_id_hash
    stored = Group.objects.filter(pk=group.pk).values()[0]
    assert not any("4455667788" in str(v) for v in stored.values())
    audit = AuditRecord.objects.filter(action="groups.group.create").last()
    assert "4455667788" not in str(audit.changes)
    with pytest.raises(Conflict) as exc:
        services.group_create(
            actor=staff, data=group_data(places, name="重复", external_id="wxid_group_4455667788")
        )
    assert exc.value.code == "duplicate_group"


def test_free_text_is_masked_before_storage(office):
    group = services.group_create(
        actor=office["staff"],
        data=group_data(office["places"], note="群主电话13812345678，身份证110105194912310021"),
    )
    assert "13812345678" not in group.note and "138****5678" in group.note
    assert "194912310021" not in group.note


def test_approval_and_lineage(office):
    places, staff, worker = office["places"], office["staff"], office["worker"]
    group = services.group_create(actor=worker, data=group_data(places, members_total=200))
    assert group.state == Group.State.PENDING and not group.is_registered
    with pytest.raises(Exception) as exc:
        services.group_transition(actor=worker, group=group, action="approve", version=1)
    assert exc.value.status == 403
    with pytest.raises(ValidationFailed):
        services.group_transition(actor=staff, group=group, action="reject", version=1)
    group = services.group_transition(
        actor=staff, group=group, action="approve", version=1, note="核实"
    )
    assert group.is_registered and group.decided_by_name == staff.username
    b = services.group_create(
        actor=staff, data=group_data(places, name="拆分甲", predecessors=[group.uid])
    )
    group.refresh_from_db()
    assert group.status == Group.Status.SPLIT and list(group.successors.all()) == [b]
    c = services.group_create(actor=staff, data=group_data(places, name="乙"))
    merged = services.group_create(
        actor=staff, data=group_data(places, name="合并群", predecessors=[b.uid, c.uid])
    )
    assert set(merged.predecessors.values_list("status", flat=True)) == {"merged"}


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "charter.png"
    return buffer


def test_pages_register_approve_and_evidence(office, client, login_client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    places, staff = office["places"], office["staff"]
    login_client(staff)
    assert client.get("/groups/new/").status_code == 200
    bad = client.post(
        "/groups/new/",
        {
            "name": "团购群",
            "platform": "wechat",
            "function": "commercial",
            "manager": "property",
            "compounds": [places["happy"].pk],
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 200 and "不在盘点范围".encode() in bad.content
    response = client.post(
        "/groups/new/",
        {
            "name": "幸福家园3栋服务群",
            "platform": "wechat",
            "function": "service",
            "manager": "committee",
            "compounds": [places["happy"].pk],
            "buildings": [places["happy_1"].pk],
            "has_charter": "on",
            "members_total": "120",
            "age_60_plus": "30",
            "verified_residents": "90",
            "admin_users": staff.username,
        },
    )
    assert response.status_code == 302
    group = Group.objects.get()
    assert group.admins.get().user == staff and group.has_charter and not group.has_admin
    page = client.get(f"/groups/{group.uid}/")
    assert page.status_code == 200 and b"75%" in page.content
    assert (
        client.post(
            f"/groups/{group.uid}/evidence/", {"item": "has_charter", "files": [_png()]}
        ).status_code
        == 302
    )
    evidence = GroupEvidence.objects.get()
    opened = client.get(f"/groups/evidence/{evidence.uid}/")
    assert opened.status_code == 200 and opened["Content-Type"] == "image/jpeg"
    assert AuditRecord.objects.filter(action="groups.evidence.open").count() == 1
    client.post(f"/groups/{group.uid}/action/", {"action": "approve", "version": "1"})
    group.refresh_from_db()
    assert group.is_registered
    listing = client.get("/groups/")
    assert listing.status_code == 200 and "幸福家园3栋服务群".encode() in listing.content


def test_api_create_get_update_approve(office, client, login_client):
    places, staff = office["places"], office["staff"]
    login_client(staff)
    body = group_data(places, members_total=100, age_60_plus=101)
    bad = client.post(
        "/api/v1/chat-groups",
        data=body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "impossible_numbers"
    assert "age_60_plus" in bad.json()["details"]
    commercial = client.post(
        "/api/v1/chat-groups",
        data=group_data(places, function="commercial"),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert commercial.status_code == 422 and commercial.json()["code"] == "commercial_group"
    assert "商业" in commercial.json()["message"] or "商业" in str(commercial.json()["details"])
    created = client.post(
        "/api/v1/chat-groups",
        data=group_data(places, members_total=100, age_60_plus=40, external_id="abc"),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["state"] == "pending" and out["members"]["age_60_plus"] == 40
    assert out["members"]["age_0_18"] is None and "external_id" not in out
    uid = out["uid"]
    changed = client.put(
        f"/api/v1/chat-groups/{uid}",
        data={**group_data(places, name="新名字"), "version": 1},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["name"] == "新名字"
    # The hash stays when the id is not sent again.
    assert Group.objects.get(uid=uid).external_id_hash
    approved = client.post(
        f"/api/v1/chat-groups/{uid}/transitions",
        data={"action": "approve", "version": 2},
        content_type="application/json",
    )
    assert approved.status_code == 200 and approved.json()["registered"] is True
    listing = client.get("/api/v1/chat-groups").json()
    assert listing["count"] == 1 and listing["registered"] == 1
    login_client(office["outsider"])
    assert client.get(f"/api/v1/chat-groups/{uid}").status_code == 404
