"""A grid with a household of two, its grid worker (collector), a second worker, the grid
leader and the community's staff (reviewers), and a household in the other district."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role


def valid_value(indicator):
    kind = indicator.value_type
    rules = indicator.validation or {}
    if kind == "bool":
        return False
    if kind in ("int", "decimal"):
        return rules.get("min", 0)
    if kind == "choice":
        return indicator.choices[0][0]
    if kind == "multi":
        return [indicator.choices[0][0]]
    if kind == "date":
        return "2020-01-01"
    return "无"


def required_answers(**extra):
    from gridgov.visits.models import Indicator

    answers = {
        i.code: valid_value(i)
        for i in Indicator.objects.filter(is_active=True, required=True, sensitivity="normal")
    }
    answers.update(extra)
    return answers


@dataclass
class World:
    org: dict
    worker: object
    worker2: object
    leader: object
    staff: object
    outsider: object
    household: object
    head: object
    spouse: object
    household_out: object

    def visit_input(self, **fields):
        from gridgov.visits.services import VisitInput

        now = timezone.now()
        data = {
            "client_uuid": str(uuid.uuid4()),
            "household": str(self.household.uid),
            "outcome": "completed",
            "started_at": (now - timedelta(minutes=30)).isoformat(),
            "ended_at": (now - timedelta(minutes=5)).isoformat(),
            "notice_given": True,
            "commitment_signed": True,
            "versions": {
                str(self.household.uid): self.household.version,
                str(self.head.uid): self.head.version,
                str(self.spouse.uid): self.spouse.version,
            },
            "answers": required_answers(),
        }
        data.update(fields)
        return VisitInput(**data)


@pytest.fixture
def world(org_tree, make_user):
    from gridgov.org.models import GridAssignment
    from gridgov.people import services as people

    worker = make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker_a")
    worker2 = make_user(Role.GRID_WORKER, org_tree["g1a"], username="worker_b")
    leader = make_user(Role.GRID_LEADER, org_tree["g1a"], username="leader_a")
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="staff_c1")
    outsider = make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="staff_c2")
    today = timezone.localdate()
    for user in (worker, worker2):
        GridAssignment.objects.create(
            grid=org_tree["g1a"], user=user, duty="full_time", start_date=today
        )
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="101", address="宛平南路1号101室", kind="family"
    )

    def member(name, relation, sex, phone):
        return people.resident_create(
            actor=staff,
            household=household,
            data={
                "name": name,
                "id_type": "none",
                "sex": sex,
                "birth_date": "1950-03-04",
                "phone": phone,
                "relation": relation,
                "registration": "permanent",
            },
        )

    head = member("王建国", "head", "M", "13812345678")
    spouse = member("李秀英", "spouse", "F", "13912345678")
    household_out = people.household_create(
        actor=outsider, grid=org_tree["g2a"], number="201", address="华阳路2号", kind="family"
    )
    return World(
        org_tree, worker, worker2, leader, staff, outsider, household, head, spouse, household_out
    )
