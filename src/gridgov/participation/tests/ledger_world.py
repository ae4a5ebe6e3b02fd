"""A small world for the points and time-bank tests: two staff of 宛平南路社区 (c1) who keep
the ledger, staff of another district, a household of two bound residents and a neighbour,
a resource of the three lists and a catalogue item."""

from __future__ import annotations

from gridgov.accounts.roles import Role


def resident(staff, grid, number, name, household=None, relation="head"):
    from gridgov.people import services as people

    household = household or people.household_create(
        actor=staff, grid=grid, number=number, address=f"{number}号", kind="family"
    )
    return people.resident_create(
        actor=staff,
        household=household,
        data={
            "name": name,
            "id_type": "none",
            "sex": "F",
            "birth_date": "1970-02-02",
            "relation": relation,
            "registration": "permanent",
        },
    )


def resource(owner, name="阳光理发", **kw):
    from gridgov.lists.models import Resource

    fields = {
        "resource_class": Resource.Class.SOCIAL,
        "provider_kind": Resource.ProviderKind.SOCIAL_ORG,
        "provider_name": f"{name}服务社",
        "capacity": 10,
        **kw,
    }
    return Resource.objects.create(name=name, owner=owner, scope_path=owner.path, **fields)


def build(tree, make_user) -> dict:
    from gridgov.residents.services import bind_account

    staff = make_user(Role.COMMUNITY_STAFF, tree["c1"])
    other = make_user(Role.COMMUNITY_STAFF, tree["c1"])
    outsider = make_user(Role.COMMUNITY_STAFF, tree["c2"])
    mother = resident(staff, tree["g1a"], "R1", "王阿姨")
    son = resident(staff, tree["g1a"], "R1", "王小明", household=mother.household, relation="child")
    neighbour = resident(staff, tree["g1a"], "R2", "李伯伯")
    users = {}
    for key, person in (("mother", mother), ("son", son), ("neighbour", neighbour)):
        users[key] = make_user(Role.RESIDENT, tree["g1a"])
        bind_account(staff, user=users[key], resident=person)
    from gridgov.participation import services_points as points

    item = points.item_create(
        actor=staff,
        org_unit_id=tree["c1"].pk,
        resource_uid=resource(tree["c1"]).uid,
        name="理发",
        price=30,
        stock=2,
    )
    return {
        "tree": tree,
        "staff": staff,
        "other": other,
        "outsider": outsider,
        "mother": mother,
        "son": son,
        "neighbour": neighbour,
        "users": users,
        "item": item,
        "make_user": make_user,
    }


def completed_order(world, person, res, hours="2.0", state="completed"):
    """A service order to ``person``'s household from ``res``, completed with ``hours``."""
    from django.utils import timezone

    from gridgov.lists.models import Need, NeedCategory, ServiceOrder

    now = timezone.now()
    need = Need.objects.create(
        household=person.household,
        resident=person,
        scope_path=person.scope_path,
        category=NeedCategory.objects.exclude(
            pk__in=Need.objects.filter(household=person.household).values("category")
        ).first(),
        source=Need.Source.STAFF,
        state=Need.State.IN_SERVICE,
        created_by_name="staff",
    )
    return ServiceOrder.objects.create(
        need=need,
        resource=res,
        scope_path=person.scope_path,
        state=state,
        dispatched_at=now,
        accept_due=now,
        start_due=now,
        completed_at=now,
        hours=hours,
    )


def set_policy(key: str, **changes) -> None:
    from gridgov.core.models import PolicyVersion
    from gridgov.core.policies import policy_cache_forget, policy_latest

    current = policy_latest(key)
    PolicyVersion.objects.create(
        key=key,
        version=current.version + 1,
        value={**current.value.model_dump(), **changes},
        note="test",
    )
    policy_cache_forget(key)
