"""Projects (项目清单): the lifecycle (legal and illegal moves, who may approve the budget,
the guards), bad input (budget, name, dates) with nothing half-written, the 409 for the
second of two people moving the same project, linking needs, and the gap table's figures
and project proposal on a hand-built case; the API and the pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.lists import gap, project_services, services
from gridgov.lists.models import Need, Project, ProjectLog
from gridgov.lists.services import NeedInput


@pytest.fixture
def world(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    street = make_user(Role.STREET_STAFF, org_tree["s1"])
    return {"staff": staff, "street": street, "tree": org_tree, "make_user": make_user, "n": 0}


def _household(world, grid="g1a"):
    from gridgov.people import services as people

    world["n"] += 1
    household = people.household_create(
        actor=world["staff"],
        grid=world["tree"][grid],
        number=f"P{world['n']}",
        address=f"{world['n']}号楼",
        kind="family",
    )
    people.resident_create(
        actor=world["staff"],
        household=household,
        data={
            "name": "项" + "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"[world["n"] % 20],
            "id_type": "none",
            "sex": "F",
            "birth_date": "1948-02-02",
            "phone": "13912345678",
            "relation": "head",
            "registration": "permanent",
        },
    )
    return household


def _need(world, category="culture", state="matching", grid="g1a") -> Need:
    need, _merged = services.need_register(
        actor=world["staff"],
        data=NeedInput(household=str(_household(world, grid).uid), category=category),
    )
    if state in ("matching", "unmet"):
        need = services.need_transition(
            actor=world["staff"], need=need, action="start_matching", version=need.version
        )
    if state == "unmet":
        need = services.need_transition(
            actor=world["staff"],
            need=need,
            action="unmet",
            version=need.version,
            reason="没有资源",
            route="project",
        )
    return need


def _data(world, **extra) -> dict:
    return {
        "name": "老旧小区适老化改造",
        "service_line": "ageing_adapt",
        "sponsor": world["tree"]["c1"].code,
        "budget": "120000",
        **extra,
    }


def _move(world, project, action, actor=None, **extra):
    project.refresh_from_db()
    return project_services.project_transition(
        actor=actor or world["staff"],
        project=project,
        action=action,
        version=project.version,
        **extra,
    )


def test_the_whole_lifecycle_with_who_and_when(world):
    project = project_services.project_create(actor=world["staff"], data=_data(world))
    assert project.state == "research" and project.budget == 120000
    _move(world, project, "design")
    # Asking for approval needs the plan's dates and funding source.
    with pytest.raises(Conflict) as refused:
        _move(world, project, "submit_budget")
    assert refused.value.code == "not_planned"
    project = project_services.project_update(
        actor=world["staff"],
        project=project,
        data=_data(
            world,
            funding_source="社区基金",
            planned_start="2026-03-01",
            planned_end="2026-09-30",
        ),
        version=project.version,
    )
    _move(world, project, "submit_budget")
    # The community proposes, the street approves.
    with pytest.raises(PermissionDenied):
        _move(world, project, "approve_budget")
    _move(world, project, "return_budget", actor=world["street"], reason="预算偏高")
    project.refresh_from_db()
    assert project.state == "design"
    _move(world, project, "submit_budget")
    _move(world, project, "approve_budget", actor=world["street"])
    # The budget is settled once approved.
    project.refresh_from_db()
    with pytest.raises(ValidationFailed) as settled:
        project_services.project_update(
            actor=world["staff"],
            project=project,
            data=_data(world, budget="1", funding_source="x", planned_start="2026-03-01"),
            version=project.version,
        )
    assert "budget" in settled.value.details
    _move(world, project, "evaluate")
    with pytest.raises(Conflict) as uncounted:
        _move(world, project, "resident_review")
    assert uncounted.value.code == "no_beneficiaries"
    project.refresh_from_db()
    project_services.project_update(
        actor=world["staff"],
        project=project,
        data=_data(
            world,
            funding_source="社区基金",
            planned_start="2026-03-01",
            planned_end="2026-09-30",
            beneficiaries="48",
        ),
        version=project.version,
    )
    _move(world, project, "resident_review")
    with pytest.raises(Conflict) as unrated:
        _move(world, project, "close")
    assert unrated.value.code == "not_rated"
    _move(world, project, "rate", rating=5)
    _move(world, project, "rate", rating="4")
    with pytest.raises(ValidationFailed):
        _move(world, project, "rate", rating=6)
    project = _move(world, project, "close")
    assert project.state == "closed" and project.closed_at is not None
    assert project.resident_rating == 4.5 and project.rating_count == 2
    steps = list(ProjectLog.objects.filter(project=project).values_list("action", "actor_name"))
    assert [a for a, _who in steps] == [
        "create",
        "design",
        "update",
        "submit_budget",
        "return_budget",
        "submit_budget",
        "approve_budget",
        "evaluate",
        "update",
        "resident_review",
        "rate",
        "rate",
        "close",
    ]
    assert ("approve_budget", world["street"].username) in steps
    assert AuditRecord.objects.filter(action="lists.project.transition").count() == 10


def test_illegal_transitions_are_refused(world):
    project = project_services.project_create(actor=world["staff"], data=_data(world))
    for action in ("close", "approve_budget", "evaluate", "rate"):
        actor = world["street"] if action == "approve_budget" else world["staff"]
        with pytest.raises(Conflict) as refused:
            _move(world, project, action, actor=actor, rating=3)
        assert refused.value.code == "illegal_transition"
    with pytest.raises(ValidationFailed) as unknown:
        _move(world, project, "launch")
    assert "action" in unknown.value.details
    with pytest.raises(ValidationFailed) as reasonless:
        _move(world, project, "cancel")
    assert "reason" in reasonless.value.details
    project = _move(world, project, "cancel", reason="需求已由区级项目覆盖")
    assert project.state == "cancelled" and project.cancel_reason
    with pytest.raises(Conflict):
        _move(world, project, "design")
    # A cancelled project is not changed any more.
    with pytest.raises(Conflict):
        project_services.project_update(
            actor=world["staff"], project=project, data=_data(world), version=project.version
        )


@pytest.mark.parametrize(
    ("field", "value", "english", "chinese"),
    [
        ("budget", "十二万", "must be a number", "必须是数字"),
        ("budget", "-5", "cannot be negative", "不能为负数"),
        ("budget", "1.005", "two decimals", "两位小数"),
        ("name", "", "Give the project a name", "请填写项目名称"),
        ("planned_end", "2026-01-01", "before the planned start", "早于计划开始"),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_nothing_is_written(
    world, field, value, english, chinese
):
    need = _need(world)
    data = _data(world, planned_start="2026-02-01", **{field: value})
    for language, text in (("en", english), ("zh-hans", chinese)):
        with translation.override(language), pytest.raises(ValidationFailed) as refused:
            project_services.project_create(actor=world["staff"], data=data, needs=[need.uid])
        assert field in refused.value.details
        assert text in str(refused.value.details[field][0])
    assert not Project.objects.exists() and not ProjectLog.objects.exists()
    need.refresh_from_db()
    assert need.state == "matching"


def test_two_people_moving_the_same_project_one_wins(world):
    project = project_services.project_create(actor=world["staff"], data=_data(world))
    other = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c1"])
    seen = project.version
    project_services.project_transition(
        actor=world["staff"], project=project, action="design", version=seen
    )
    with pytest.raises(Conflict) as lost:
        project_services.project_transition(
            actor=other, project=project, action="cancel", version=seen, reason="重复"
        )
    assert lost.value.status == 409
    project.refresh_from_db()
    assert project.state == "design"
    with pytest.raises(Conflict):
        project_services.project_update(
            actor=other, project=project, data=_data(world), version=seen
        )


def test_linking_needs_moves_matching_ones_to_unmet_and_is_all_or_nothing(world):
    matching = _need(world, "culture", "matching")
    routed = _need(world, "culture", "unmet")
    fresh = _need(world, "culture", "registered")
    project = project_services.project_create(actor=world["staff"], data=_data(world))
    with pytest.raises(ValidationFailed) as refused:
        project_services.project_link_needs(
            actor=world["staff"],
            project=project,
            needs=[matching.uid, fresh.uid],
            version=project.version,
        )
    assert "已登记" in str(refused.value.details["needs"]) or "registered" in str(
        refused.value.details["needs"]
    )
    matching.refresh_from_db()
    assert matching.state == "matching" and not project.needs.exists()
    project = project_services.project_link_needs(
        actor=world["staff"],
        project=project,
        needs=[matching.uid, routed.uid],
        version=project.version,
    )
    matching.refresh_from_db()
    assert matching.state == "unmet" and matching.route == "project"
    assert matching.log.filter(action="unmet").exists()
    assert set(project.needs.all()) == {matching, routed}
    # A need belongs to one open project.
    second = project_services.project_create(actor=world["staff"], data=_data(world, name="二期"))
    with pytest.raises(ValidationFailed):
        project_services.project_link_needs(
            actor=world["staff"], project=second, needs=[routed.uid], version=second.version
        )
    # A need outside the sponsor's area does not join.
    grid_project = project_services.project_create(
        actor=world["staff"], data=_data(world, name="网格项目", sponsor=world["tree"]["g1b"].code)
    )
    other = _need(world, "culture", "matching")
    with pytest.raises(ValidationFailed):
        project_services.project_link_needs(
            actor=world["staff"], project=grid_project, needs=[other.uid], version=1
        )


def _resource(world, *, category, capacity, area="c1", **extra):
    return services.resource_create(
        actor=world["street"],
        data={
            "name": f"{category}资源{capacity}",
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": "阳光社工",
            "categories": [category],
            "owner": world["tree"]["s1"].code,
            "capacity": capacity,
            "area_paths": [world["tree"][area].code],
            **extra,
        },
    )


def test_gap_table_figures_on_a_hand_built_case(world, django_assert_max_num_queries):
    from gridgov.core.services import policy_update

    # meals: a resource of 2 places serving c1, one of them used by a dispatched order;
    # three open meal needs (one dispatched, two matching: they still have a candidate).
    meals = _resource(world, category="meals", capacity=2)
    dispatched = _need(world, "meals")
    services.order_dispatch(
        actor=world["staff"], need=dispatched, resource_uid=meals.uid, version=dispatched.version
    )
    _need(world, "meals")
    _need(world, "meals", grid="g1b")
    # rehab: the only resource is for the over-80s: the matching need (born 1948) has none.
    _resource(world, category="rehab", capacity=5, min_age=80)
    _need(world, "rehab")
    # culture: no resource; two matching and one routed to a project.
    culture = [_need(world, "culture"), _need(world, "culture"), _need(world, "culture", "unmet")]
    # Outside the community (c2) nothing shows.
    outsider = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"])
    from gridgov.people import services as people

    h2 = people.household_create(
        actor=outsider, grid=world["tree"]["g2a"], number="X1", address="外", kind="family"
    )
    services.need_register(
        actor=outsider, data=NeedInput(household=str(h2.uid), category="culture")
    )
    with django_assert_max_num_queries(14):
        table = gap.gap_table(actor=world["staff"])
    rows = {r.category.code: r for r in table.rows}
    assert {r.community.code for r in table.rows} == {world["tree"]["c1"].code}
    assert (rows["meals"].open_needs, rows["meals"].resources) == (3, 1)
    assert (rows["meals"].capacity, rows["meals"].capacity_left) == (2, 1)
    assert rows["meals"].shortfall == 2 and rows["meals"].unmet == 0
    assert (rows["rehab"].open_needs, rows["rehab"].capacity_left, rows["rehab"].unmet) == (1, 5, 1)
    assert rows["culture"].open_needs == 2 and rows["culture"].resources == 0
    assert set(rows["culture"].unmet_uids) == {n.uid for n in culture}
    assert table.threshold == 5 and not any(r.propose for r in table.rows)
    assert table.by_category()[0][0].code == "culture"
    # The threshold: more than 2 needs nobody can meet proposes a project.
    admin = world["make_user"](Role.SYSTEM_ADMIN, world["tree"]["d1"])
    policy_update(actor=admin, key="lists.projects", value={"propose_threshold": 2}, note="测试")
    table = gap.gap_table(actor=world["staff"])
    proposed = [(r.category.code, r.service_line) for r in table.rows if r.propose]
    assert proposed == [("culture", "culture")]
    # Once the needs are in a project, the proposal goes.
    project_services.project_create(
        actor=world["staff"], data=_data(world), needs=[n.uid for n in culture]
    )
    table = gap.gap_table(actor=world["staff"])
    assert not any(r.propose for r in table.rows)
    assert "culture" not in {r.category.code for r in table.rows}


def test_api_create_bad_budget_transitions_race_link_and_gap(world, login_client):
    client = login_client(world["staff"])
    bad = client.post(
        "/api/v1/projects",
        {**_data(world), "budget": "abc"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 422 and "budget" in bad.json()["details"]
    assert not Project.objects.exists()
    nameless = client.post(
        "/api/v1/projects", {**_data(world), "name": ""}, content_type="application/json"
    )
    assert nameless.status_code == 422 and "name" in nameless.json()["details"]
    need = _need(world)
    created = client.post(
        "/api/v1/projects",
        {**_data(world), "budget": 8500.5, "needs": [str(need.uid)]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["budget"] in ("8500.50", 8500.5) and body["needs"] == [str(need.uid)]
    assert body["actions"] == ["design", "cancel"] and len(body["households"]) == 1
    uid, version = body["uid"], body["version"]
    first = client.post(
        f"/api/v1/projects/{uid}/transitions",
        {"action": "design", "version": version},
        content_type="application/json",
    )
    second = client.post(
        f"/api/v1/projects/{uid}/transitions",
        {"action": "design", "version": version},
        content_type="application/json",
    )
    assert first.status_code == 200 and second.status_code == 409
    illegal = client.post(
        f"/api/v1/projects/{uid}/transitions",
        {"action": "close", "version": first.json()["version"]},
        content_type="application/json",
    )
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_transition"
    other = _need(world)
    linked = client.post(
        f"/api/v1/projects/{uid}/needs",
        {"needs": [str(other.uid)], "version": first.json()["version"]},
        content_type="application/json",
    )
    assert linked.status_code == 200 and len(linked.json()["needs"]) == 2
    assert [e["action"] for e in linked.json()["timeline"]] == ["create", "link", "design", "link"]
    listed = client.get("/api/v1/projects?state=design").json()
    assert listed["count"] == 1 and listed["items"][0]["uid"] == uid
    assert client.get("/api/v1/projects/gap").status_code == 200
    outsider = login_client(world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c2"]))
    assert outsider.get(f"/api/v1/projects/{uid}").status_code == 404
    assert outsider.get("/api/v1/projects").json()["count"] == 0
    assert outsider.get("/api/v1/projects/gap").json()["rows"] == []


def test_pages_gap_proposal_project_and_need_link(world, login_client):
    from gridgov.core.services import policy_update

    admin = world["make_user"](Role.SYSTEM_ADMIN, world["tree"]["d1"])
    policy_update(actor=admin, key="lists.projects", value={"propose_threshold": 1}, note="测试")
    needs = [_need(world, "childcare"), _need(world, "childcare", "unmet")]
    client = login_client(world["staff"])
    page = client.get("/lists/gap/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "category=childcare" in text and "Propose a project" in text
    form = client.get(
        f"/lists/projects/new/?community={world['tree']['c1'].code}&category=childcare"
    )
    assert form.status_code == 200
    assert all(str(n.uid) in form.content.decode() for n in needs)
    assert 'value="youth_care" selected' in form.content.decode()
    bad = client.post(
        "/lists/projects/new/",
        {
            **_data(world),
            "service_line": "youth_care",
            "budget": "-1",
            "needs": [n.uid for n in needs],
        },
    )
    assert bad.status_code == 400 and b"cannot be negative" in bad.content
    assert not Project.objects.exists()
    created = client.post(
        "/lists/projects/new/",
        {**_data(world), "service_line": "youth_care", "needs": [n.uid for n in needs]},
    )
    assert created.status_code == 302
    project = Project.objects.get()
    assert project.needs.count() == 2
    detail = client.get(f"/lists/projects/{project.uid}/")
    assert detail.status_code == 200 and "start the plan design" in detail.content.decode()
    moved = client.post(
        f"/lists/projects/{project.uid}/action/", {"action": "design", "version": project.version}
    )
    assert moved.status_code == 302
    project.refresh_from_db()
    assert project.state == "design"
    stale = client.post(
        f"/lists/projects/{project.uid}/action/",
        {"action": "cancel", "version": 1, "reason": "x"},
        follow=True,
    )
    assert "Someone else changed this" in stale.content.decode()
    project.refresh_from_db()
    assert project.state == "design"
    # From a need's page: a matching need joins the open project.
    later = _need(world, "childcare")
    need_page = client.get(f"/lists/needs/{later.uid}/").content.decode()
    assert "Link to a project" in need_page and project.name in need_page
    client.post(
        f"/lists/needs/{later.uid}/project/",
        {"project": str(project.uid), "version": later.version},
    )
    later.refresh_from_db()
    assert later.state == "unmet" and project.needs.filter(pk=later.pk).exists()
    assert client.get("/lists/projects/").status_code == 200
    assert client.get(f"/lists/projects/{project.uid}/edit/").status_code == 200
    with translation.override("zh-hans"):
        zh = client.get("/lists/gap/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "资源分布与服务缺口" in zh.content.decode()


def test_demo_projects_at_two_steps_with_their_needs(world):
    from gridgov.demo.lists_projects import seed_projects

    for _i in range(5):
        _household(world)
    existing = _need(world, "childcare")
    assert seed_projects() == 2
    assert seed_projects() == 0  # once
    by_line = {p.service_line: p for p in Project.objects.all()}
    assert by_line["ageing_adapt"].state == "implementing"
    assert by_line["youth_care"].state == "design"
    assert by_line["ageing_adapt"].needs.count() == 4
    assert existing in by_line["youth_care"].needs.all()
    assert by_line["youth_care"].needs.count() == 3
    assert ProjectLog.objects.filter(action="approve_budget").count() == 1


def test_the_street_home_shows_budgets_to_approve(world, login_client):
    project = project_services.project_create(
        actor=world["staff"],
        data=_data(
            world, funding_source="社区基金", planned_start="2026-03-01", planned_end="2026-06-01"
        ),
    )
    _move(world, project, "design")
    _move(world, project, "submit_budget")
    home = login_client(world["street"]).get("/")
    assert home.status_code == 200
    queues = {q.key: q.count for s in home.context["sections"] for q in s.queues}
    assert queues["lists_budgets_to_approve"] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)
def test_two_people_at_the_same_moment_one_wins(world):
    import threading

    project = project_services.project_create(actor=world["staff"], data=_data(world))
    other = world["make_user"](Role.COMMUNITY_STAFF, world["tree"]["c1"])
    seen = project.version
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name, actor, action, reason):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            project_services.project_transition(
                actor=actor, project=project, action=action, version=seen, reason=reason
            )
            outcomes[name] = "ok"
        except Conflict as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("design", world["staff"], "design", "")),
        threading.Thread(target=act, args=("cancel", other, "cancel", "重复立项")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(v).__name__ for v in outcomes.values()) == ["Conflict", "str"]
    loser = next(v for v in outcomes.values() if isinstance(v, Conflict))
    assert loser.status == 409
    project.refresh_from_db()
    assert project.state in ("design", "cancelled") and project.version == seen + 1
    assert ProjectLog.objects.filter(project=project, action__in=["design", "cancel"]).count() == 1
