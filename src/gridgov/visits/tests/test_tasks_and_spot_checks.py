"""Visit tasks (due households, assignment by load, retries) and spot checks (reproducible
stratified draw, checker rules, mismatch → correction task)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.core.errors import Conflict, PermissionDenied
from gridgov.people import services as people
from gridgov.visits import services
from gridgov.visits.models import IndicatorFreshness, SpotCheck, SpotCheckDraw, Visit, VisitTask

pytestmark = pytest.mark.django_db


def _households(world, n):
    return [
        people.household_create(
            actor=world.staff,
            grid=world.org["g1a"],
            number=f"H{i}",
            address=f"宛平南路{i}号",
            kind="family",
        )
        for i in range(n)
    ]


def test_due_households_get_tasks_by_load_once(world):
    _households(world, 4)
    created = services.tasks_generate(grid=world.org["g1a"])
    assert created == 5  # never visited: every household is due
    tasks = VisitTask.objects.filter(status="open")
    loads = sorted(tasks.values_list("assignee__username", flat=True))
    assert loads.count("worker_a") in (2, 3) and loads.count("worker_b") in (2, 3)
    assert all(t.reason == "stale" and "B01" in t.stale for t in tasks)
    assert services.tasks_generate(grid=world.org["g1a"]) == 0  # idempotent


def test_a_fresh_visited_household_is_not_due_until_its_indicators_age(world):
    visit, _ = services.visit_submit(actor=world.worker, data=world.visit_input())
    services.visit_review(actor=world.staff, visit=visit, decision="pass", version=1)
    due = {d.household.pk: d for d in services.households_due(world.org["g1a"])}
    assert world.household.pk not in due
    # Monthly indicators (B06 流动人口人数 …) are out of date 31 days later.
    later = timezone.now() + timedelta(days=31)
    due = {d.household.pk: d for d in services.households_due(world.org["g1a"], now=later)}
    assert "B06" in due[world.household.pk].stale
    assert "B01" not in due[world.household.pk].stale  # quarterly
    # The cycle alone makes it due after 90 days even if every indicator were fresh.
    IndicatorFreshness.objects.update(verified_at=timezone.now() + timedelta(days=400))
    far = timezone.now() + timedelta(days=91)
    due = {d.household.pk: d for d in services.households_due(world.org["g1a"], now=far)}
    assert due[world.household.pk].reason == "cycle"


def test_not_at_home_retries_then_goes_back_to_the_office(world):
    services.tasks_generate(grid=world.org["g1a"])
    task = VisitTask.objects.get(household=world.household)
    for attempt in range(1, 4):
        services.visit_submit(
            actor=world.worker, data=world.visit_input(outcome="not_home", answers={})
        )
        task.refresh_from_db()
        assert task.status == "open" and task.attempts == attempt
    assert task.assignee is None  # three attempts: the office decides
    services.visit_submit(actor=world.worker, data=world.visit_input())
    task.refresh_from_db()
    assert task.status == "done"


def test_staff_add_reassign_and_cancel_tasks(world):
    task = services.task_create(
        actor=world.staff,
        household=world.household,
        due_date=timezone.localdate(),
        assignee="worker_a",
        note="家属来电",
    )
    with pytest.raises(Conflict):
        services.task_create(
            actor=world.staff, household=world.household, due_date=timezone.localdate()
        )
    with pytest.raises(PermissionDenied):
        services.task_reassign(actor=world.worker, task=task, assignee="worker_b", version=1)
    task = services.task_reassign(actor=world.staff, task=task, assignee="worker_b", version=1)
    assert task.assignee.username == "worker_b"
    with pytest.raises(Conflict):
        services.task_cancel(actor=world.staff, task=task, version=1)  # stale version
    task = services.task_cancel(actor=world.staff, task=task, version=task.version)
    assert task.status == "cancelled"


def test_draw_is_reproducible_and_stratified():
    # 3 collectors: 40 visits of collector 1, one each of 2 and 3 — 5 % of 42 rounds up to 3.
    population = [(i, 1) for i in range(1, 41)] + [(41, 2), (42, 3)]
    seed = "ab" * 32
    first = services.draw_sample(population, seed=seed, rate=0.05)
    assert first == services.draw_sample(list(reversed(population)), seed=seed, rate=0.05)
    assert len(first) == 3 and 41 in first and 42 in first  # every collector sampled
    bigger = services.draw_sample([(i, i % 2) for i in range(200)], seed=seed, rate=0.05)
    assert len(bigger) == 10
    assert services.draw_sample([(i, i % 2) for i in range(200)], seed="cd" * 32, rate=0.05) != (
        bigger
    )


def _approved_visits(world, households, collectors=None):
    collectors = collectors or [world.worker2, world.worker]
    visits = []
    for i, household in enumerate(households):
        collector = collectors[i % len(collectors)]
        data = world.visit_input(household=str(household.uid))
        data.versions = {str(household.uid): household.version}
        visit, _ = services.visit_submit(actor=collector, data=data)
        services.visit_review(actor=world.staff, visit=visit, decision="pass", version=1)
        visits.append(visit)
    return visits


def test_spot_check_draw_per_community_and_period(world):
    households = _households(world, 6)
    _approved_visits(world, households)
    period = timezone.localdate().strftime("%Y-%m")
    draw = services.spot_check_draw(
        actor=world.staff, community=world.org["c1"], period_label=period
    )
    assert draw.population == 6 and draw.rate == 0.05
    checks = list(draw.checks.all())
    assert {c.collector.username for c in checks} == {"worker_a", "worker_b"}
    assert len(checks) == 2
    again = services.spot_check_draw(
        actor=world.staff, community=world.org["c1"], period_label=period
    )
    assert again.pk == draw.pk and SpotCheckDraw.objects.count() == 1
    # The stored seed redoes the same draw.
    population = [(c.visit_id, c.collector_id) for c in checks]
    assert draw.seed and len(population) == 2
    with pytest.raises(PermissionDenied):
        services.spot_check_draw(
            actor=world.outsider, community=world.org["c1"], period_label=period
        )


def test_checker_is_neither_collector_nor_reviewer_and_mismatch_opens_a_task(world):
    households = _households(world, 2)
    _approved_visits(world, households, [world.leader, world.worker])
    draw = services.spot_check_draw(
        actor=world.staff,
        community=world.org["c1"],
        period_label=timezone.localdate().strftime("%Y-%m"),
    )
    check = draw.checks.select_related("visit").get(collector=world.leader)
    with pytest.raises(PermissionDenied) as exc:
        services.spot_check_record(actor=world.leader, check=check, fields={"B01": True})
    assert exc.value.code == "checker_is_collector"
    check = draw.checks.select_related("visit").get(collector=world.worker)
    collector = world.worker
    with pytest.raises(PermissionDenied) as exc:
        services.spot_check_record(actor=world.staff, check=check, fields={"B01": True})
    assert exc.value.code == "checker_is_reviewer"
    VisitTask.objects.filter(household=check.visit.household).update(status="done")
    check = services.spot_check_record(
        actor=world.leader, check=check, fields={"B01": True, "B02": False}
    )
    assert check.result == SpotCheck.Result.MISMATCH
    task = check.correction_task
    assert task.reason == "correction" and task.assignee == collector and task.stale == ["B02"]
    with pytest.raises(Conflict):
        services.spot_check_record(actor=world.leader, check=check, fields={"B01": True})
    assert Visit.objects.filter(spot_checked=True).count() == draw.checks.count()
