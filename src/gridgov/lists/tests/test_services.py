"""Needs and service orders: the state machines (legal and illegal moves), the duplicate
merge, the colour rule, re-matching on refusal and timeout, the dispatch race, intake from
visits and the registry archive, and scoping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.lists import selectors, services
from gridgov.lists.models import Need, ServiceOrder
from gridgov.lists.services import NeedInput, Rating


@pytest.fixture
def world(org_tree, make_user):
    from gridgov.people import services as people
    from gridgov.people.models import ResidentTag, TagCategory

    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    household = people.household_create(
        actor=staff, grid=org_tree["g1a"], number="L1", address="1号楼101", kind="family"
    )
    resident = people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": "王清单",
            "id_type": "none",
            "sex": "F",
            "birth_date": "1950-05-05",
            "phone": "13912345678",
            "relation": "head",
            "registration": "permanent",
        },
    )
    category, _ = TagCategory.objects.get_or_create(
        code="living_alone_elderly", defaults={"name": "独居老人"}
    )
    ResidentTag.objects.create(resident=resident, category=category, scope_path=resident.scope_path)
    return {
        "staff": staff,
        "household": household,
        "resident": resident,
        "tree": org_tree,
        "make_user": make_user,
    }


def _need(world, category="meals", **extra) -> tuple[Need, bool]:
    return services.need_register(
        actor=world["staff"],
        data=NeedInput(household=str(world["household"].uid), category=category, **extra),
    )


def _resource(world, *, capacity=2, categories=("meals",), **extra):
    data = {
        "name": "长者食堂",
        "resource_class": "government",
        "provider_kind": "department",
        "provider_name": "街道民政科",
        "categories": list(categories),
        "owner": world["tree"]["s1"].code,
        "capacity": capacity,
        "area_paths": [world["tree"]["c1"].code],
        "contact_phone": "13800001111",
        **extra,
    }
    street = _street_staff(world)
    return services.resource_create(actor=street, data=data)


def _street_staff(world):
    if "street" not in world:
        world["street"] = world["make_user"](Role.STREET_STAFF, world["tree"]["s1"])
    return world["street"]


def _to_matching(world, need):
    return services.need_transition(
        actor=world["staff"], need=need, action="start_matching", version=need.version
    )


def _dispatched(world, **resource_extra):
    need, _ = _need(world)
    need = _to_matching(world, need)
    resource = _resource(world, **resource_extra)
    order = services.order_dispatch(
        actor=world["staff"], need=need, resource_uid=resource.uid, version=need.version
    )
    return need, resource, order


def test_colour_is_set_by_the_policy_rule_and_duplicates_merge(world):
    need, merged = _need(world, text="想在食堂吃午饭")
    assert not merged
    assert need.colour == "red"
    assert need.colour_rule == "lists.colour v0: red_tags:living_alone_elderly"
    again, merged = _need(world, text="子女也提出助餐", priority="high")
    assert merged and again.pk == need.pk
    again.refresh_from_db()
    assert again.merged_count == 1 and again.priority == "high"
    assert [entry.action for entry in again.log.all()] == ["register", "merge"]
    other, merged = _need(world, category="health")
    assert not merged and other.pk != need.pk
    with pytest.raises(ValidationFailed) as exc:
        _need(world, category="nope")
    assert "category" in exc.value.details


def test_need_state_machine_legal_and_illegal(world):
    need, _ = _need(world)
    need = services.need_transition(
        actor=world["staff"], need=need, action="verify", version=need.version
    )
    assert need.state == Need.State.VERIFIED
    with pytest.raises(Conflict) as exc:  # verified twice
        services.need_transition(
            actor=world["staff"], need=need, action="verify", version=need.version
        )
    assert exc.value.code == "illegal_transition"
    with pytest.raises(Conflict):  # a stale version
        services.need_transition(
            actor=world["staff"], need=need, action="start_matching", version=1
        )
    with pytest.raises(ValidationFailed):  # follow-up is not a state a verified need can take
        services.need_transition(actor=world["staff"], need=need, action="dispatch", version=2)
    with pytest.raises(Conflict):
        services.need_transition(
            actor=world["staff"], need=need, action="follow_up", version=need.version
        )
    with pytest.raises(ValidationFailed) as exc:
        services.need_transition(
            actor=world["staff"], need=need, action="expire", version=need.version
        )
    assert "reason" in exc.value.details
    need = services.need_transition(
        actor=world["staff"], need=need, action="expire", version=need.version, reason="已搬走"
    )
    assert need.state == Need.State.EXPIRED and need.closed_at is not None


def test_order_runs_to_met_and_the_need_follows(world):
    need, resource, order = _dispatched(world)
    need.refresh_from_db()
    assert need.state == Need.State.DISPATCHED
    assert order.accept_due > order.dispatched_at and order.start_due >= order.accept_due
    staff = world["staff"]
    with pytest.raises(Conflict):  # cannot start before acceptance
        services.order_transition(actor=staff, order=order, action="start", version=order.version)
    order = services.order_transition(actor=staff, order=order, action="accept", version=1)
    order = services.order_transition(actor=staff, order=order, action="start", version=2)
    need.refresh_from_db()
    assert need.state == Need.State.IN_SERVICE
    with pytest.raises(ValidationFailed):
        services.order_transition(
            actor=staff, order=order, action="complete", version=3, hours="-1"
        )
    order = services.order_transition(
        actor=staff, order=order, action="complete", version=3, hours="2.5"
    )
    with pytest.raises(ValidationFailed) as exc:
        services.order_transition(
            actor=staff, order=order, action="rate", version=4, rating=Rating(6, "yes", 5)
        )
    assert "resident_rating" in exc.value.details
    order = services.order_transition(
        actor=staff, order=order, action="rate", version=4, rating=Rating(5, "yes", 4)
    )
    assert order.state == ServiceOrder.State.RATED and str(order.hours) == "2.5"
    need.refresh_from_db()
    assert need.state == Need.State.MET
    with pytest.raises(Conflict) as exc:  # rated twice
        services.order_transition(
            actor=staff, order=order, action="rate", version=5, rating=Rating(1, "no", 1)
        )
    assert exc.value.code == "already_rated"
    need = services.need_transition(
        actor=staff, need=need, action="follow_up", version=need.version
    )
    assert need.state == Need.State.FOLLOWED_UP


def test_refusal_and_timeout_send_the_need_back_to_matching(world):
    need, resource, order = _dispatched(world)
    staff = world["staff"]
    with pytest.raises(ValidationFailed):
        services.order_transition(actor=staff, order=order, action="refuse", version=1)
    order = services.order_transition(
        actor=staff, order=order, action="refuse", version=1, reason="本周满员"
    )
    need.refresh_from_db()
    assert order.state == ServiceOrder.State.REFUSED and need.state == Need.State.MATCHING
    # A refused order frees its place: the resource is a candidate again.
    assert [c.resource.pk for c in selectors.candidates(need)] == [resource.pk]
    second = services.order_dispatch(
        actor=staff, need=need, resource_uid=resource.uid, version=need.version
    )
    assert services.orders_time_out(now=second.accept_due - timedelta(minutes=1)) == 0
    assert services.orders_time_out(now=second.accept_due + timedelta(minutes=1)) == 1
    second.refresh_from_db()
    need.refresh_from_db()
    assert second.state == ServiceOrder.State.TIMED_OUT and need.state == Need.State.MATCHING
    assert services.orders_time_out(now=second.accept_due + timedelta(minutes=1)) == 0


def test_not_met_rating_rematches_and_opens_a_follow_up_visit(world):
    from gridgov.visits.models import VisitTask

    need, _resource, order = _dispatched(world)
    staff = world["staff"]
    for version, action in enumerate(["accept", "start"], start=1):
        order = services.order_transition(actor=staff, order=order, action=action, version=version)
    order = services.order_transition(
        actor=staff, order=order, action="complete", version=3, hours=1
    )
    services.order_transition(
        actor=staff, order=order, action="rate", version=4, rating=Rating(2, "no", 2)
    )
    need.refresh_from_db()
    assert need.state == Need.State.MATCHING
    task = VisitTask.objects.get(household=world["household"], status="open")
    assert "助餐" in task.note


def test_two_dispatchers_confirming_the_same_need_one_wins(world, make_user):
    need, _ = _need(world)
    need = _to_matching(world, need)
    resource = _resource(world)
    other = make_user(Role.GRID_LEADER, world["tree"]["c1"])
    seen = need.version
    services.order_dispatch(
        actor=world["staff"], need=need, resource_uid=resource.uid, version=seen
    )
    with pytest.raises(Conflict):
        services.order_dispatch(actor=other, need=need, resource_uid=resource.uid, version=seen)
    assert ServiceOrder.objects.filter(need=need).count() == 1


def test_candidates_respect_category_area_capacity_and_eligibility(world):
    need, _ = _need(world)
    need = _to_matching(world, need)
    fitting = _resource(world, capacity=1)
    _resource(world, categories=("health",))  # another category
    elsewhere = _resource(world)
    elsewhere.area_paths = [world["tree"]["g1b"].path]
    elsewhere.save()
    _resource(world, eligible_tags=["dibao"])  # the household holds no such tag
    _resource(world, max_age=60)  # the household's member is older
    radius = _resource(world, area_paths=[], lon=121.405, lat=31.205, radius_m=2000)
    found = [c.resource.pk for c in selectors.candidates(need)]
    assert sorted(found) == sorted([fitting.pk, radius.pk])
    services.order_dispatch(
        actor=world["staff"], need=need, resource_uid=fitting.uid, version=need.version
    )
    other, _ = _need(world, category="meals", text="x")  # merged into the dispatched need
    assert other.pk == need.pk
    with pytest.raises(ValidationFailed):
        _resource(world, capacity=-1)


def test_scoping_of_needs_orders_and_resources(world, make_user):
    need, resource, order = _dispatched(world)
    outsider = make_user(Role.COMMUNITY_STAFF, world["tree"]["c2"])
    assert not selectors.need_list(actor=outsider).exists()
    assert not selectors.order_list(actor=outsider).exists()
    assert not selectors.resource_list(actor=outsider).exists()
    with pytest.raises(NotFound):
        selectors.need_get(actor=outsider, uid=need.uid)
    with pytest.raises(PermissionDenied):
        services.order_transition(actor=outsider, order=order, action="accept", version=1)
    worker = make_user(Role.GRID_WORKER, world["tree"]["g1a"])
    assert list(selectors.need_list(actor=worker)) == [need]
    with pytest.raises(PermissionDenied):  # a grid worker registers, but does not dispatch
        services.order_transition(actor=worker, order=order, action="accept", version=1)


def test_visit_review_and_registry_archive(world, make_user):
    import uuid

    from gridgov.people.services import resident_archive
    from gridgov.visits import services as visits

    worker = make_user(Role.GRID_WORKER, world["tree"]["g1a"])
    household, resident = world["household"], world["resident"]
    now = timezone.now()
    visit, _ = visits.visit_submit(
        actor=worker,
        data=visits.VisitInput(
            client_uuid=str(uuid.uuid4()),
            household=str(household.uid),
            outcome="partial",
            started_at=(now - timedelta(hours=1)).isoformat(),
            ended_at=now.isoformat(),
            versions={str(household.uid): household.version},
            needs=[{"category": "助餐", "text": "希望送餐"}, {"category": "", "text": "想学手机"}],
        ),
    )
    assert not Need.objects.exists()  # not before the review passes
    visits.visit_review(actor=world["staff"], visit=visit, decision="pass", version=visit.version)
    needs = {n.category.code: n for n in Need.objects.all()}
    assert set(needs) == {"meals", "other"}
    assert needs["meals"].source == "visit" and needs["meals"].source_ref == str(visit.uid)
    resident.refresh_from_db()
    resident_archive(
        actor=world["staff"],
        resident=resident,
        reason="deceased",
        expected_version=resident.version,
    )
    assert set(Need.objects.values_list("state", flat=True)) == {Need.State.EXPIRED}
