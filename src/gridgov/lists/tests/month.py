"""A hand-built month of needs and service orders in one community (October 2026), shared by
the KPI, report and map tests. Everything happens through the services, on a moving clock.

Community c1 (grid g1a), four households H1–H4; resources: 长者食堂 (助餐, 10 places a month,
kept by the street s1, provider 街道民政科) and 康复上门 (医疗健康, 4 places a week, kept by c1,
provider 仁爱社工). In c2 (the other district) one household with one open 助餐 need.

  Mon 12 Oct 09:00  N1 H1 助餐, N2 H2 助餐, N6 H2 医疗健康: sent to matching;
                    N3 H3 助餐 verified then sent to matching; N5 H1 医疗健康 verified;
                    N4 H4 医疗健康 marked no longer valid by staff (误报).
  Tue 13 Oct 09:00  orders o1 (N1), o2 (N2), o3 (N3) to 长者食堂, o6 (N6) to 康复上门;
             10:00  o1 and o6 accepted (in time).
  Wed 14 Oct 09:00  o1 starts (2 days after N1 was registered).
  Thu 15 Oct 09:00  o2 accepted late; o3 times out (N3 back to matching).
  Fri 16 Oct 09:00  o2 starts (4 days).   Sun 18 Oct 09:00  o6 starts (6 days).
  Mon 19 Oct 09:00  completed and rated: o1 5★ met, staff 5; o2 3★ partly, staff 4;
                    o6 4★ not met, staff 2 (N6 back to matching); N3 cannot be met → project.
  Read on Tue 20 Oct 12:00.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridgov.accounts.roles import Role
from gridgov.lists import services
from gridgov.lists.models import Need, Resource, ServiceOrder
from gridgov.lists.services import NeedInput, Rating

READ_AT = "2026-10-20 12:00 +08:00"


@dataclass
class Month:
    org: dict
    staff: object  # community staff of c1
    street: object  # street staff of s1
    other: object  # community staff of c2
    needs: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)
    resources: dict = field(default_factory=dict)
    households: list = field(default_factory=list)


def _at(clock, moment: str) -> None:
    clock.move_to(f"2026-10-{moment} +08:00", tick=False)


def build(org_tree, make_user, clock) -> Month:
    from gridgov.people import services as people

    _at(clock, "12 08:00")
    month = Month(
        org=org_tree,
        staff=make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
        street=make_user(Role.STREET_STAFF, org_tree["s1"]),
        other=make_user(Role.COMMUNITY_STAFF, org_tree["c2"]),
    )
    for i in range(1, 5):
        month.households.append(
            people.household_create(
                actor=month.staff,
                grid=org_tree["g1a"],
                number=f"H{i}",
                address=f"宛平南路{i}号",
                kind="family",
            )
        )
    elsewhere = people.household_create(
        actor=month.other, grid=org_tree["g2a"], number="X1", address="华阳路1号", kind="family"
    )
    base = {
        "resource_class": "government",
        "provider_kind": "department",
        "area_paths": [org_tree["c1"].code],
        "contact_phone": "13800001111",
    }
    month.resources["meals"] = services.resource_create(
        actor=month.street,
        data=base
        | {
            "name": "长者食堂",
            "provider_name": "街道民政科",
            "categories": ["meals"],
            "owner": org_tree["s1"].code,
            "capacity": 10,
            "lon": 121.405,
            "lat": 31.205,
        },
    )
    month.resources["health"] = services.resource_create(
        actor=month.street,
        data=base
        | {
            "name": "康复上门",
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": "仁爱社工",
            "categories": ["health"],
            "owner": org_tree["c1"].code,
            "capacity": 4,
            "capacity_period": "week",
        },
    )

    _at(clock, "12 09:00")
    h = month.households

    def need(key, home, category):
        month.needs[key] = services.need_register(
            actor=month.staff, data=NeedInput(household=str(home.uid), category=category)
        )[0]

    for key, home, category in [
        ("N1", h[0], "meals"),
        ("N2", h[1], "meals"),
        ("N3", h[2], "meals"),
        ("N4", h[3], "health"),
        ("N5", h[0], "health"),
        ("N6", h[1], "health"),
    ]:
        need(key, home, category)
    services.need_register(
        actor=month.other, data=NeedInput(household=str(elsewhere.uid), category="meals")
    )
    for key, action, reason in [
        ("N1", "start_matching", ""),
        ("N2", "start_matching", ""),
        ("N6", "start_matching", ""),
        ("N3", "verify", ""),
        ("N3", "start_matching", ""),
        ("N5", "verify", ""),
        ("N4", "expire", "误报"),
    ]:
        month.needs[key] = move(month, key, action, reason=reason)

    _at(clock, "13 09:00")
    for order, key, resource in [
        ("o1", "N1", "meals"),
        ("o2", "N2", "meals"),
        ("o3", "N3", "meals"),
        ("o6", "N6", "health"),
    ]:
        current = Need.objects.get(pk=month.needs[key].pk)
        month.orders[order] = services.order_dispatch(
            actor=month.staff,
            need=current,
            resource_uid=month.resources[resource].uid,
            version=current.version,
        )
    _at(clock, "13 10:00")
    act(month, "o1", "accept")
    act(month, "o6", "accept")
    _at(clock, "14 09:00")
    act(month, "o1", "start")
    _at(clock, "15 09:00")
    act(month, "o2", "accept")
    services.orders_time_out()
    _at(clock, "16 09:00")
    act(month, "o2", "start")
    _at(clock, "18 09:00")
    act(month, "o6", "start")
    _at(clock, "19 09:00")
    for order, stars, met, outcome in [
        ("o1", 5, "yes", 5),
        ("o2", 3, "partly", 4),
        ("o6", 4, "no", 2),
    ]:
        act(month, order, "complete", hours="2")
        act(month, order, "rate", rating=Rating(stars, met, outcome))
    month.needs["N3"] = move(month, "N3", "unmet", reason="本社区无托管机构", route="project")
    _at(clock, "20 12:00")
    return month


def move(month: Month, key: str, action: str, **kwargs) -> Need:
    current = Need.objects.get(pk=month.needs[key].pk)
    return services.need_transition(
        actor=month.staff, need=current, action=action, version=current.version, **kwargs
    )


def act(month: Month, key: str, action: str, **kwargs) -> ServiceOrder:
    current = ServiceOrder.objects.get(pk=month.orders[key].pk)
    month.orders[key] = services.order_transition(
        actor=month.staff, order=current, action=action, version=current.version, **kwargs
    )
    return month.orders[key]


def resource(month: Month, key: str) -> Resource:
    return Resource.objects.get(pk=month.resources[key].pk)
