"""Bylaws and the bylaw board 红黑榜: the writes with their audit records, each kind of bad
input refused with its field named and nothing written, scope (a household elsewhere is a
404), and privacy — a household without its consent never appears by name or room on the
public pages or the API, whoever reads them."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import NotFound, ValidationFailed
from gridgov.org.models import Building, Compound, Room
from gridgov.participation import services_boards as services
from gridgov.participation.models import Bylaw, ComplianceEntry
from gridgov.people import services as people
from gridgov.residents.services import bind_account

ARTICLES = [
    {"number": 1, "title": "垃圾分类", "text": "按时定点投放，干湿分开。"},
    {"number": 2, "title": "停车管理", "text": "车辆停入划线车位，不占消防通道。"},
    {"number": 3, "title": "文明养宠", "text": "遛狗牵绳，及时清理粪便。"},
]


def _id_number(serial: str) -> str:
    """A valid resident ID (GB 11643 check digit) born 1990-03-07."""
    body = f"11010119900307{serial[0]}{serial[2]}2"  # an even 17th digit: female
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def _household(actor, tree, grid, building, number, room, head):
    serial = room
    room = Room.objects.create(building=building, unit_number="2", number=serial)
    household = people.household_create(
        actor=actor, grid=tree[grid], number=number, address=f"{number}的家", kind="family"
    )
    household.room = room
    household.save(update_fields=["room"])
    people.resident_create(
        actor=actor,
        household=household,
        data={
            "name": head,
            "id_type": "resident_id",
            "id_number": _id_number(serial),
            "sex": "F",
            "birth_date": "1990-03-07",
            "phone": "13912345678",
            "relation": "head",
            "registration": "permanent",
        },
    )
    return household


@pytest.fixture
def world(org_tree, make_user):
    tree = org_tree
    staff = make_user(Role.COMMUNITY_STAFF, tree["c1"], username="c1staff")
    other = make_user(Role.COMMUNITY_STAFF, tree["c2"], username="c2staff")
    compound = Compound.objects.create(community=tree["c1"], name="宛平小区", kind="old")
    b3 = Building.objects.create(compound=compound, grid=tree["g1a"], number="3号楼")
    b5 = Building.objects.create(compound=compound, grid=tree["g1b"], number="5号楼")
    far = Compound.objects.create(community=tree["c2"], name="华阳小区", kind="old")
    b9 = Building.objects.create(compound=far, grid=tree["g2a"], number="9号楼")
    named = _household(staff, tree, "g1a", b3, "H301", "301", "赵秀英")
    hidden = _household(staff, tree, "g1a", b3, "H302", "302", "钱建国")
    elsewhere = _household(other, tree, "g2a", b9, "X901", "901", "孙华阳")
    bylaw = services.bylaw_create(
        staff,
        community=tree["c1"],
        data=services.BylawInput(
            kind="convention", title="宛平南路社区公约", adopted_on="2026-03-01", articles=ARTICLES
        ),
    )
    far_bylaw = services.bylaw_create(
        other,
        community=tree["c2"],
        data=services.BylawInput(
            kind="convention", title="华阳社区公约", adopted_on="2026-03-01", articles=ARTICLES
        ),
    )
    return {
        "tree": tree,
        "staff": staff,
        "other": other,
        "b3": b3,
        "b5": b5,
        "b9": b9,
        "named": named,
        "hidden": hidden,
        "elsewhere": elsewhere,
        "bylaw": bylaw,
        "article": bylaw.articles.get(number=1),
        "far_article": far_bylaw.articles.get(number=1),
        "make_user": make_user,
    }


def _entry(w, **kwargs):
    data = {
        "colour": "red",
        "household": str(w["named"].uid),
        "article": w["article"].pk,
        "occurred_on": timezone.localdate().isoformat(),
        "evidence": "",
    }
    data.update(kwargs)
    return services.entry_create(
        w["staff"], community=w["tree"]["c1"], data=services.EntryInput(**data)
    )


def test_bylaws_are_versioned_and_articles_with_entries_are_retired(world):
    bylaw, staff = world["bylaw"], world["staff"]
    assert bylaw.version == 1 and bylaw.articles.count() == 3
    _entry(world)  # on article 1
    updated = services.bylaw_update(
        staff,
        bylaw=bylaw,
        data=services.BylawInput(
            title="宛平南路社区公约（修订）",
            adopted_on="2026-06-01",
            articles=[{"number": 2, "title": "停车管理", "text": "夜间停车入库。"}],
        ),
        version=1,
    )
    assert updated.version == 2
    states = dict(updated.articles.values_list("number", "is_active"))
    assert states == {1: False, 2: True}  # 1 kept out of force (it has an entry), 3 deleted
    actions = list(
        AuditRecord.objects.filter(action__startswith="participation.bylaw").values_list(
            "action", flat=True
        )
    )
    assert actions.count("participation.bylaw.create") == 2
    assert actions.count("participation.bylaw.update") == 1
    from gridgov.core.errors import Conflict

    with pytest.raises(Conflict):
        services.bylaw_update(
            staff,
            bylaw=bylaw,
            data=services.BylawInput(title="x", adopted_on="2026-06-01", articles=ARTICLES),
            version=1,
        )


def test_create_consent_remove_are_audited(world):
    entry = _entry(world)
    assert (entry.building_id, entry.scope_path) == (world["b3"].pk, world["tree"]["g1a"].path)
    entry = services.entry_consent(
        world["staff"], entry=entry, consent_on=timezone.localdate(), public_name="赵家", version=1
    )
    assert entry.is_named and entry.consent_recorded_by_name == "c1staff"
    entry = services.entry_remove(world["staff"], entry=entry, reason="录入有误", version=2)
    assert entry.removed_at is not None
    actions = list(
        AuditRecord.objects.filter(action__startswith="participation.compliance")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "participation.compliance.create",
        "participation.compliance.consent",
        "participation.compliance.remove",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"article": "far"}, "article"),  # an article of another community's bylaws
        ({"article": 999999}, "article"),
        ({"colour": "black", "evidence": "  "}, "evidence"),  # black needs its evidence
        ({"colour": "green"}, "colour"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"occurred_on": "yesterday"}, "occurred_on"),
        ({"household": "", "building": None}, "household"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, change, field):
    if change.get("article") == "far":
        change["article"] = world["far_article"].pk
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        _entry(world, **change)
    assert field in caught.value.details
    assert caught.value.details[field][0]  # a message, in the request's language
    assert not ComplianceEntry.objects.exists()
    assert AuditRecord.objects.count() == before


def test_messages_in_chinese_and_english(world):
    from django.utils import translation

    for language, expected in [("zh-hans", "黑榜"), ("en", "black-list")]:
        with translation.override(language), pytest.raises(ValidationFailed) as caught:
            _entry(world, colour="black", evidence="")
        assert expected in caught.value.details["evidence"][0]


def test_household_or_building_outside_the_scope_is_404(world):
    with pytest.raises(NotFound):
        _entry(world, household=str(world["elsewhere"].uid))
    with pytest.raises(NotFound):
        _entry(world, household="", building=world["b9"].pk)
    # A grid's leader of g1b manages only g1b: g1a's household is out of reach.
    leader = world["make_user"](Role.GRID_LEADER, world["tree"]["g1b"])
    with pytest.raises(NotFound):
        services.entry_create(
            leader,
            community=world["tree"]["c1"],
            data=services.EntryInput(
                colour="red",
                household=str(world["named"].uid),
                article=world["article"].pk,
                occurred_on=timezone.localdate().isoformat(),
            ),
        )
    assert not ComplianceEntry.objects.exists()


def test_consent_does_not_apply_to_a_building_entry(world):
    entry = _entry(world, household="", building=world["b5"].pk)
    with pytest.raises(ValidationFailed) as caught:
        services.entry_consent(
            world["staff"], entry=entry, consent_on=timezone.localdate(), public_name="x", version=1
        )
    assert "consent_on" in caught.value.details
    with pytest.raises(ValidationFailed) as caught:  # a phone number as the name to show
        services.entry_consent(
            world["staff"],
            entry=_entry(world),
            consent_on=timezone.localdate(),
            public_name="13912345678",
            version=1,
        )
    assert "public_name" in caught.value.details
    entry.refresh_from_db()
    assert entry.consent_on is None and entry.version == 1


def _secrets(world):
    """What must never appear on the public board of the household without consent."""
    return ["钱建国", "钱", "H302", "302", "13912345678", _id_number("302"), "5678"]


def test_the_public_board_never_names_a_household_without_consent(world, client, login_client):
    named = _entry(world)
    services.entry_consent(
        world["staff"], entry=named, consent_on=timezone.localdate(), public_name="赵家", version=1
    )
    _entry(
        world, household=str(world["hidden"].uid), colour="black", evidence="垃圾未分类，拍照留存"
    )
    _entry(world, household="", building=world["b5"].pk, colour="red")
    period = timezone.localdate().strftime("%Y-%m")
    # A resident of the community, bound to their record, reads the board; staff too.
    resident_user = world["make_user"](Role.RESIDENT, world["tree"]["g1a"], username="resi")
    member = world["named"].members.get()
    bind_account(world["staff"], user=resident_user, resident=member)
    pages = []
    login_client(resident_user)
    pages.append(client.get("/participation/me/boards/"))
    pages.append(client.get(f"/api/v1/participation/me/boards?period={period}"))
    login_client(world["staff"])
    pages.append(client.get(f"/participation/boards/?community={world['tree']['c1'].code}"))
    pages.append(client.get(f"/api/v1/participation/boards?community={world['tree']['c1'].code}"))
    for response in pages:
        assert response.status_code == 200, response.content[:300]
        body = response.content.decode()
        if response["Content-Type"].startswith("application/json"):
            body = json.dumps(response.json(), ensure_ascii=False)
        for secret in _secrets(world):
            assert secret not in body, (secret, response.request["PATH_INFO"])
        # The consented household by its name and room; the other by its building only.
        assert "赵家" in body and "301" in body
        assert "赵秀英" not in body  # the consented name, never the resident's own
        assert "3号楼" in body and "5号楼" in body
    data = pages[1].json()
    assert [x["who"] for x in data["black"]] == ["宛平小区 building 3号楼, one household"]
    assert {x["named"] for x in data["red"]} == {True, False}
    # Removed: gone from the board.
    services.entry_remove(world["staff"], entry=named, reason="居民撤回同意", version=2)
    login_client(resident_user)
    assert "赵家" not in client.get("/participation/me/boards/").content.decode()


def test_an_unbound_resident_is_told_what_to_do(world, client, login_client):
    login_client(world["make_user"](Role.RESIDENT, world["tree"]["g1a"], username="unbound"))
    assert client.get("/participation/me/boards/").status_code == 403
    assert client.get("/api/v1/participation/me/boards").status_code == 403


def test_the_api_refuses_bad_input_and_scope(world, client, login_client):
    login_client(world["staff"])
    base = {
        "community": world["tree"]["c1"].code,
        "colour": "black",
        "household": str(world["hidden"].uid),
        "article": world["article"].pk,
        "occurred_on": timezone.localdate().isoformat(),
        "evidence": "",
    }
    url = "/api/v1/participation/compliance-records"
    response = client.post(url, base, content_type="application/json")
    assert response.status_code == 422 and "evidence" in response.json()["details"]
    elsewhere = {**base, "household": str(world["elsewhere"].uid), "evidence": "x"}
    assert client.post(url, elsewhere, content_type="application/json").status_code == 404
    ok = client.post(url, {**base, "evidence": "拍照"}, content_type="application/json")
    assert ok.status_code == 201, ok.content
    uid = ok.json()["uid"]
    consent = client.post(
        f"{url}/{uid}/consent",
        {"consent_on": timezone.localdate().isoformat(), "public_name": "钱家", "version": 1},
        content_type="application/json",
    )
    assert consent.status_code == 200 and consent.json()["consent_on"]
    removed = client.post(
        f"{url}/{uid}/remove", {"reason": "", "version": 2}, content_type="application/json"
    )
    assert removed.status_code == 422 and "reason" in removed.json()["details"]
    # Another community's staff cannot see it.
    login_client(world["other"])
    assert client.get(f"{url}/{uid}").status_code == 404
    assert Bylaw.objects.count() == 2


def test_the_pages_record_an_entry_and_edit_the_bylaws(world, client, login_client):
    login_client(world["staff"])
    c1 = world["tree"]["c1"].code
    base = {
        "community": c1,
        "colour": "black",
        "household": "H302",  # by its number in the community
        "article": str(world["article"].pk),
        "occurred_on": timezone.localdate().isoformat(),
        "evidence": "",
    }
    refused = client.post("/participation/compliance/new/", base)
    assert refused.status_code == 400
    assert "evidence note" in refused.content.decode()
    assert not ComplianceEntry.objects.exists()
    made = client.post("/participation/compliance/new/", {**base, "evidence": "拍照留存"})
    assert made.status_code == 302
    entry = ComplianceEntry.objects.get()
    assert entry.household == world["hidden"]
    page = client.get(f"/participation/compliance/{entry.uid}/").content.decode()
    assert "宛平小区 building 3号楼, one household" in page
    client.post(
        f"/participation/compliance/{entry.uid}/action/",
        {
            "action": "consent",
            "consent_on": timezone.localdate().isoformat(),
            "public_name": "钱家",
            "version": "1",
        },
    )
    entry.refresh_from_db()
    assert entry.public_name == "钱家"
    edited = client.post(
        f"/participation/bylaws/{world['bylaw'].pk}/",
        {
            "title": "宛平南路社区公约",
            "adopted_on": "2026-03-01",
            "articles": "垃圾分类：按时投放。\n噪音管理：晚十点后不装修。",
            "version": "1",
        },
    )
    assert edited.status_code == 302
    bylaw = Bylaw.objects.get(pk=world["bylaw"].pk)
    assert bylaw.version == 2
    assert [a.title for a in bylaw.articles.filter(is_active=True)] == ["垃圾分类", "噪音管理"]
    # Articles keep their identity by title: the entry still points at 垃圾分类.
    entry.refresh_from_db()
    assert entry.article.title == "垃圾分类" and entry.article.is_active


def test_the_resident_page_has_the_boards_card(world, client, login_client):
    _entry(world, household=str(world["hidden"].uid), colour="black", evidence="拍照")
    user = world["make_user"](Role.RESIDENT, world["tree"]["g1a"], username="hubresi")
    bind_account(world["staff"], user=user, resident=world["named"].members.get())
    login_client(user)
    page = client.get("/participation/me/").content.decode()
    assert 'data-part="boards"' in page
    assert "0 on the red list, 1 on the black list" in page
