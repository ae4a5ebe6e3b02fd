"""The grid workforce: profiles, certificates and the training ledger with their refusals,
the year's hours against the policy and the certification flag by hand, re-tests due, the
KPIs, scoping through the grid assignments, the API and the pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.kpis.registry import REGISTRY, parse_period
from gridgov.operations import selectors_workforce as selectors
from gridgov.operations import services_workforce as services
from gridgov.operations.models import Certificate, TrainingRecord
from gridgov.org.models import GridAssignment

pytestmark = pytest.mark.django_db

KPI_CODES = {"workforce.training_hours", "workforce.tool_training", "workforce.certified"}
NOW = "2026-06-15 10:00:00 +08:00"


@pytest.fixture
def crew(org_tree, make_user):
    people = {
        "community": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="c1staff"),
        "outsider": make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="c2staff"),
        "wang": make_user(Role.GRID_WORKER, org_tree["g1a"], username="wang"),
        "li": make_user(Role.GRID_WORKER, org_tree["g1b"], username="li"),
        "zhao": make_user(Role.GRID_WORKER, org_tree["g2a"], username="zhao"),
    }
    for key, grid, duty in [
        ("wang", "g1a", "full_time"),
        ("li", "g1b", "part_time"),
        ("zhao", "g2a", "full_time"),
    ]:
        GridAssignment.objects.create(
            grid=org_tree[grid], user=people[key], duty=duty, start_date=date(2024, 1, 1)
        )
    return people


def train(actor, worker, path, category, hours, held_on="2026-03-10", **data):
    return services.training_add(
        actor=actor,
        worker=worker,
        path=path,
        data={
            "course": f"{category}课程",
            "category": category,
            "hours": hours,
            "held_on": held_on,
            **data,
        },
    )


def test_training_refusals_leave_nothing(org_tree, crew):
    c, wang, path = crew["community"], crew["wang"], org_tree["g1a"].path
    with time_machine.travel(NOW, tick=False):
        for change, field in [
            ({"hours": "0"}, "hours"),
            ({"hours": "-2"}, "hours"),
            ({"hours": "500"}, "hours"),
            ({"hours": "abc"}, "hours"),
            ({"held_on": "2026-06-16"}, "held_on"),  # tomorrow
            ({"category": "cooking"}, "category"),
            ({"score": "101"}, "score"),
            ({"retest_of": "999999"}, "retest_of"),
        ]:
            data = {
                "course": "急救",
                "category": "first_aid",
                "hours": "4",
                "held_on": "2026-03-10",
                **change,
            }
            with pytest.raises(ValidationFailed) as refused:
                services.training_add(actor=c, worker=wang, path=path, data=data)
            assert field in refused.value.details, change
        with pytest.raises(ValidationFailed) as refused:
            services.certificate_add(
                actor=c,
                worker=wang,
                path=path,
                data={"name": "网格员证", "issued_on": "2026-01-01", "expires_on": "2025-01-01"},
            )
        assert "expires_on" in refused.value.details
    assert not TrainingRecord.objects.exists() and not Certificate.objects.exists()


def test_hours_certification_and_retests_by_hand(org_tree, crew):
    """wang: law 24 h + first aid 16 h = 40 professional, tools 8 h; certified.
    li: psychology 10 h, tools 20 h; certificate expired. Last year's 30 h do not count."""
    c = crew["community"]
    wang, li = crew["wang"], crew["li"]
    g1a, g1b = org_tree["g1a"].path, org_tree["g1b"].path
    with time_machine.travel(NOW, tick=False):
        first_aid = train(c, wang, g1a, "first_aid", "16", score="82")
        train(c, wang, g1a, "legal", "24", held_on="2026-05-20")
        train(c, wang, g1a, "tools", "8")
        train(c, wang, g1a, "legal", "30", held_on="2025-11-01")
        train(c, li, g1b, "psychology", "10", held_on="2026-06-01", score="75")
        train(c, li, g1b, "tools", "20")
        services.certificate_add(
            actor=c, worker=wang, path=g1a, data={"name": "网格员上岗证", "issued_on": "2025-01-01"}
        )
        services.certificate_add(
            actor=c,
            worker=li,
            path=g1b,
            data={"name": "网格员上岗证", "issued_on": "2023-01-01", "expires_on": "2025-12-31"},
        )
        rows = {r.user.username: r for r in selectors.worker_rows(actor=c)}
        assert set(rows) == {"wang", "li"}  # zhao works in the other district
        assert (rows["wang"].hours.professional, rows["wang"].hours.tools) == (40.0, 8.0)
        assert rows["wang"].meets_professional and not rows["wang"].meets_tools
        assert rows["wang"].certified and not rows["li"].certified
        assert (rows["li"].hours.professional, rows["li"].meets_tools) == (10.0, True)
        # first aid on 10 March with a score: 97 days ago, past the 90-day re-test.
        assert rows["wang"].retests_due == 1 and rows["li"].retests_due == 0
        train(
            c,
            wang,
            g1a,
            "first_aid",
            "0",
            held_on="2026-06-14",
            score="78",
            retest_of=str(first_aid.pk),
        )
        assert selectors.worker_rows(actor=c)[0].retests_due == 0
        period = parse_period("month")
        for code, expected in [
            ("workforce.training_hours", (1, 2)),
            ("workforce.tool_training", (1, 2)),
            ("workforce.certified", (1, 2)),
        ]:
            value = REGISTRY[code].snapshot_values(org_tree["c1"].path, period)[None]
            assert (value.numerator, value.denominator) == expected, code


def test_profile_and_scope(org_tree, crew):
    c, wang, path = crew["community"], crew["wang"], org_tree["g1a"].path
    profile = services.profile_save(
        actor=c,
        worker=wang,
        path=path,
        data={
            "grade": "middle",
            "education": "college",
            "hire_date": "2022-03-01",
            "birth_year": "1990",
        },
    )
    assert profile.version == 1
    with pytest.raises(Conflict):
        services.profile_save(
            actor=c,
            worker=wang,
            path=path,
            data={
                "grade": "senior",
                "education": "college",
                "hire_date": "2022-03-01",
                "version": "7",
            },
        )
    for change, field in [
        ({"grade": "master"}, "grade"),
        ({"hire_date": "2999-01-01"}, "hire_date"),
        ({"left_on": "2021-01-01"}, "left_on"),
        ({"birth_year": "1800"}, "birth_year"),
    ]:
        data = {
            "grade": "senior",
            "education": "college",
            "hire_date": "2022-03-01",
            "version": "1",
            **change,
        }
        with pytest.raises(ValidationFailed) as refused:
            services.profile_save(actor=c, worker=wang, path=path, data=data)
        assert field in refused.value.details, change
    with pytest.raises(NotFound):
        selectors.worker_path(actor=crew["outsider"], user_id=wang.pk)
    with pytest.raises(NotFound):
        selectors.worker_path(actor=c, user_id=crew["zhao"].pk)
    # An assignment that ended takes the worker out of the area.
    GridAssignment.objects.filter(user=wang).update(end_date=date.today() - timedelta(days=1))
    with pytest.raises(NotFound):
        selectors.worker_path(actor=c, user_id=wang.pk)


def test_api_and_pages(org_tree, crew, client, login_client):
    login_client(crew["community"])
    base = "/api/v1/operations/workforce"
    wang = crew["wang"]
    bad = client.post(
        f"{base}/workers/{wang.pk}/trainings",
        {"course": "急救", "category": "first_aid", "hours": 0, "held_on": "2026-01-05"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 422 and "大于零" in bad.json()["details"]["hours"][0]
    done = client.post(
        f"{base}/workers/{wang.pk}/trainings",
        {"course": "急救", "category": "first_aid", "hours": 8, "held_on": "2026-01-05"},
        content_type="application/json",
    )
    assert done.status_code == 201
    workers = client.get(f"{base}/workers").json()
    assert {w["name"] for w in workers} == {"wang", "li"}
    detail = client.get(f"{base}/workers/{wang.pk}").json()
    assert detail["trainings"][0]["course"] == "急救" and detail["certified"] is False
    assert client.get(f"{base}/workers/{crew['zhao'].pk}").status_code == 404
    page = client.get("/operations/workforce/")
    assert page.status_code == 200 and "wang" in page.content.decode()
    assert client.get(f"/operations/workforce/{wang.pk}/").status_code == 200
    posted = client.post(
        f"/operations/workforce/{wang.pk}/certificates/",
        {"name": "网格员上岗证", "issued_on": "2026-01-01"},
    )
    assert posted.status_code == 302 and Certificate.objects.filter(user=wang).exists()
    login_client(crew["outsider"])
    assert client.get(f"/operations/workforce/{wang.pk}/").status_code == 404
    assert [w["name"] for w in client.get(f"{base}/workers").json()] == ["zhao"]
