"""The visits' KPIs on a hand-counted grid, and the refusal alert to the community and its
street.

Four households in g1a, all given a task; visits by worker_a:
  H0 completed, passed review, spot-checked (mismatch);
  H1 refused;  H2 nobody at home;  H3 completed after its due date, passed review.
Counted by hand:
  coverage 2/4 = 50 %; review rate 2 reviewed / 4 submitted = 50 %; refusal 1/4 = 25 %;
  staleness: H1, H2 never verified → 2/4 = 50 %; spot-check share 1 drawn / 2 passed = 50 %;
  accuracy 0/1 = 0 %; on time: H0, H1 by the due date, H3 late → 2/3 = 66.67 %.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.kpis.registry import REGISTRY, period_containing
from gridgov.kpis.services import _live
from gridgov.people import services as people
from gridgov.visits import services
from gridgov.visits.models import VisitTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(world):
    homes = [world.household] + [
        people.household_create(
            actor=world.staff,
            grid=world.org["g1a"],
            number=f"K{i}",
            address=f"宛平南路{i}号",
            kind="family",
        )
        for i in range(1, 4)
    ]
    for home in homes:
        services.task_create(
            actor=world.staff, household=home, due_date=timezone.localdate(), assignee="worker_a"
        )
    VisitTask.objects.filter(household=homes[3]).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )

    def visit(home, **fields):
        data = world.visit_input(household=str(home.uid), **fields)
        data.versions = {str(home.uid): home.version}
        return services.visit_submit(actor=world.worker, data=data)[0]

    first = visit(homes[0])
    visit(homes[1], outcome="refused", refusal_reason="time", answers={})
    visit(homes[2], outcome="not_home", answers={})
    last = visit(homes[3])
    for v in (first, last):
        services.visit_review(actor=world.staff, visit=v, decision="pass", version=1)
    draw = services.spot_check_draw(
        actor=world.staff,
        community=world.org["c1"],
        period_label=timezone.localdate().strftime("%Y-%m"),
    )
    services.spot_check_record(
        actor=world.leader, check=draw.checks.get(), fields={"B01": True, "B02": False}
    )
    return world


# code → (value, numerator, denominator) for g1a, c1 and d1 this month (counted above).
EXPECTED = {
    "visits.coverage": (50.0, 2, 4),
    "visits.review_rate": (50.0, 2, 4),
    "visits.refusal_rate": (25.0, 1, 4),
    "visits.staleness": (50.0, 2, 4),
    "visits.spot_check_rate": (50.0, 1, 2),
    "visits.accuracy": (0.0, 0, 1),
    "visits.on_time": (66.67, 2, 3),
}


@pytest.mark.parametrize(
    ("code", "expected", "numerator", "denominator"),
    [(code, *values) for code, values in EXPECTED.items()],
)
def test_kpis_match_the_hand_count(counted, code, expected, numerator, denominator):
    period = period_containing("month", timezone.localdate())
    for unit in ("g1a", "c1", "d1"):
        value = _live(REGISTRY[code], counted.org[unit], period)
        assert (value.numerator, value.denominator, value.value) == (
            numerator,
            denominator,
            expected,
        ), unit
    # The other district holds one household and no visit: none of the above counts there.
    assert _live(REGISTRY[code], counted.org["c2"], period).denominator <= 1


def test_per_collector_accuracy(counted):
    from gridgov.visits.selectors import collector_accuracy

    assert collector_accuracy(actor=counted.staff) == [
        {"collector": "worker_a", "checked": 1, "matched": 0, "accuracy": 0.0}
    ]


def test_refusal_rate_above_30_percent_alerts_the_community_and_its_street(world, make_user):
    from gridgov.accounts.roles import Role
    from gridgov.core.models import Notification
    from gridgov.kpis import daily
    from gridgov.kpis.alerts import check_alerts
    from gridgov.kpis.models import KpiAlert

    street = make_user(Role.STREET_STAFF, world.org["s1"], username="street_s1")
    for i in range(6):  # 2 of 6 refused: 33 %
        home = people.household_create(
            actor=world.staff,
            grid=world.org["g1a"],
            number=f"R{i}",
            address=f"{i}号",
            kind="family",
        )
        data = world.visit_input(
            household=str(home.uid),
            outcome="refused" if i < 2 else "not_home",
            refusal_reason="privacy" if i < 2 else "",
            answers={},
        )
        data.versions = {str(home.uid): 1}
        services.visit_submit(actor=world.worker, data=data)
    daily.refresh_recent()
    check_alerts()
    alerts = KpiAlert.objects.filter(kpi_code="visits.refusal_rate")
    assert set(alerts.values_list("unit__code", flat=True)) >= {world.org["c1"].code}
    alert = alerts.get(unit=world.org["c1"])
    assert alert.value == 33.33
    told = set(
        Notification.objects.filter(kind="kpi_red").values_list("recipient__username", flat=True)
    )
    assert {"staff_c1", "street_s1"} <= told
    assert street.pk
