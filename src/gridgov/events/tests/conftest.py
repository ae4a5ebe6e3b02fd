"""People and helpers for the event-loop tests, on the two-district ``org_tree``."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.accounts.roles import Role


@pytest.fixture
def crew(org_tree, make_user):
    """A community dispatcher, two grid workers of g1a, a street hub, a department handler,
    and a dispatcher of the other district."""
    from gridgov.events.models import Department
    from gridgov.org.models import GridAssignment

    people = {
        "dispatcher": make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="disp"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker_a"),
        "worker2": make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker_b"),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"], username="street"),
        "district": make_user(Role.DISTRICT_STAFF, org_tree["d1"], username="district"),
        "handler": make_user(Role.DEPARTMENT_HANDLER, org_tree["d1"], username="handler"),
        "outsider": make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="outsider"),
    }
    for key in ("worker", "worker2"):
        GridAssignment.objects.create(
            grid=org_tree["g1a"],
            user=people[key],
            duty=GridAssignment.Duty.FULL_TIME,
            start_date=date(2024, 1, 1),
        )
    department = Department.objects.create(district=org_tree["d1"], code="CG", name="城管")
    department.members.add(people["handler"])
    people["department"] = department
    return people


@pytest.fixture
def report(crew):
    """report(title=…, lon=…, actor=None, **fields) → a new event reported by a resident
    (without an account unless ``actor`` is given)."""
    from gridgov.events.models import Channel
    from gridgov.events.services import ReportInput, report_event

    def factory(title="楼道里堆满了垃圾", lon=121.405, lat=31.205, **fields):
        actor = fields.pop("actor", None)
        data = ReportInput(
            channel=fields.pop("channel", Channel.RESIDENT), title=title, lon=lon, lat=lat, **fields
        )
        event, _ = report_event(actor=actor, data=data)
        return event

    return factory


@pytest.fixture
def advance(crew):
    """advance(event, *actions) → the event after the named actions, each by the usual role."""
    from gridgov.events.services import transition

    defaults = {
        "accept": ("dispatcher", {}),
        "classify": ("dispatcher", {"category_code": "06010"}),
        "dispatch": ("dispatcher", {"assignee": "worker"}),
        "check_in": ("worker", {}),
        "handle": ("worker", {"result": "已清理"}),
        "verify_pass": ("worker2", {}),  # never the handler
    }

    def go(event, *actions):
        for action in actions:
            who, params = defaults[action]
            params = {k: crew[v] if k == "assignee" else v for k, v in params.items()}
            transition(actor=crew[who], event=event, action=action, **params)
            event.refresh_from_db()
        return event

    return go
