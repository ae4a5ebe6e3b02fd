"""A small working community on the ``org_tree``: one account per staff role and events in
every queue a workbench shows (to dispatch, overdue, due, to verify, an extension asked
for, escalated to the street), plus households with residents and a meals resource whose
provider account has service orders to accept, overdue and in service. The workbench tests and
the layout browser test share it."""

from __future__ import annotations

from datetime import date, timedelta

from gridgov.accounts.roles import Role

# (key, role, org_tree unit, username)
STAFF = [
    ("worker", Role.GRID_WORKER, "g1a", "wb_worker"),
    ("worker2", Role.GRID_WORKER, "g1a", "wb_worker2"),
    ("leader", Role.GRID_LEADER, "c1", "wb_leader"),
    ("community", Role.COMMUNITY_STAFF, "c1", "wb_community"),
    ("street", Role.STREET_STAFF, "s1", "wb_street"),
    ("district", Role.DISTRICT_STAFF, "d1", "wb_district"),
    ("handler", Role.DEPARTMENT_HANDLER, "d1", "wb_handler"),
    ("sysadmin", Role.SYSTEM_ADMIN, "d1", "wb_sysadmin"),
    ("secadmin", Role.SECURITY_ADMIN, "d1", "wb_secadmin"),
    ("auditadmin", Role.AUDIT_ADMIN, "d1", "wb_auditadmin"),
    ("resident", Role.RESIDENT, "g1a", "wb_resident"),
    ("provider", Role.SERVICE_PROVIDER, "c1", "wb_provider"),
]

TITLES = [
    "楼道里堆满了纸箱和旧家具",
    "小区门口的路灯三天不亮",
    "沿街商铺占道经营堵住人行道",
    "地下车库入口积水",
    "消防通道被私家车占用",
    "垃圾箱满溢没人清运",
    "绿化带里有人种菜",
    "电动自行车在楼道充电",
    "井盖松动踩上去响",
]


def build_workplace(org_tree, make_user) -> dict:
    from gridgov.events.models import Channel, Department, Event
    from gridgov.events.services import ReportInput, report_event, transition
    from gridgov.org.models import GridAssignment
    from gridgov.people import services as people

    staff = {
        key: make_user(role, org_tree[unit], username=username, display_name=username)
        for key, role, unit, username in STAFF
    }
    for key in ("worker", "worker2"):
        GridAssignment.objects.create(
            grid=org_tree["g1a"],
            user=staff[key],
            duty=GridAssignment.Duty.FULL_TIME,
            start_date=date(2024, 1, 1),
        )
    department = Department.objects.create(district=org_tree["d1"], code="CG", name="城管执法")
    department.members.add(staff["handler"])

    def report(title, reporter=None):
        event, _ = report_event(
            actor=reporter,
            data=ReportInput(channel=Channel.RESIDENT, title=title, lon=121.405, lat=31.205),
        )
        return event

    def go(event, *steps):
        for who, action, params in steps:
            transition(actor=staff[who], event=event, action=action, **params)
            event.refresh_from_db()
        return event

    accept = ("community", "accept", {})
    classify = ("community", "classify", {"category_code": "06010"})
    dispatch = ("community", "dispatch", {"assignee": staff["worker"]})
    events = {"to_dispatch": [], "dispatched": []}
    # Waiting for the dispatcher: two new, one accepted.
    events["to_dispatch"].append(report(TITLES[0], staff["resident"]))
    events["to_dispatch"].append(report(TITLES[1]))
    events["to_dispatch"].append(go(report(TITLES[2]), accept))
    # The grid worker's: three dispatched, two of them overdue.
    for title in TITLES[3:6]:
        events["dispatched"].append(go(report(title), accept, classify, dispatch))
    Event.objects.filter(pk__in=[e.pk for e in events["dispatched"][:2]]).update(
        handle_due=Event.objects.get(pk=events["dispatched"][0].pk).reported_at - timedelta(days=2)
    )
    # An extension asked for on the third.
    go(
        events["dispatched"][2],
        ("worker", "check_in", {}),
        ("worker", "request_extension", {"working_days": "2", "note": "需要物业配合"}),
    )
    # Handled by the worker: the other worker and the community verify it.
    events["handled"] = go(
        report(TITLES[6]),
        accept,
        classify,
        dispatch,
        ("worker", "check_in", {}),
        ("worker", "handle", {"result": "已清理"}),
    )
    # Whistled up to the street (吹哨) and to the department.
    events["escalated"] = go(
        report(TITLES[7]),
        accept,
        classify,
        ("community", "escalate", {"level": "street", "note": "需要街道协调", "department": "CG"}),
    )

    households = []
    streets = ["宛平南路", "天平路", "衡山路", "建国西路"]
    for n in range(8):
        household = people.household_create(
            actor=staff["community"],
            grid=org_tree["g1a"],
            number=f"WB{n:03d}",
            address=f"{streets[n % 4]}{100 + n}弄 {n + 1}号楼 {n % 3 + 1}单元 {n + 2}0{n % 4 + 1}室",
            kind="family",
        )
        households.append(household)
        people.resident_create(
            actor=staff["community"],
            household=household,
            data={
                "name": [
                    "欧阳建国",
                    "张三",
                    "李秀英",
                    "王志强",
                    "司马丽华",
                    "陈晨",
                    "刘洋",
                    "赵敏",
                ][n],
                "id_type": "resident_id",
                "id_number": "",
                "birth_date": f"19{50 + n * 4}-0{n % 9 + 1}-1{n}",
                "sex": "M" if n % 2 else "F",
                "phone": f"1381234{1000 + n:04d}",
                "relation": "head",
                "registration": "registered",
            },
        )
    orders = _service_orders(staff, org_tree, households)
    return {
        "staff": staff,
        "events": events,
        "department": department,
        "households": households,
        "orders": orders,
    }


def _service_orders(staff, org_tree, households) -> list:
    """A meals resource of the community operated by the provider account, and three orders:
    waiting for acceptance, accepted but not started in time (overdue), in service."""
    from django.utils import timezone

    from gridgov.lists import services as lists
    from gridgov.lists.models import ServiceOrder

    community = staff["community"]
    resource = lists.resource_create(
        actor=community,
        data={
            "name": "宛平南路长者食堂",
            "resource_class": "social",
            "provider_kind": "social_org",
            "provider_name": "乐龄助餐服务社",
            "categories": ["meals", "elderly_care"],
            "owner": org_tree["c1"].code,
            "capacity": 20,
            "area_paths": [org_tree["c1"].code],
        },
    )
    lists.operator_add(actor=community, resource=resource, username=staff["provider"].username)
    orders = []
    for n, (category, text) in enumerate(
        [
            ("meals", "每天午餐送餐上门"),
            ("meals", "腿脚不便，需送晚餐"),
            ("elderly_care", "每周两次助浴"),
        ]
    ):
        need, _merged = lists.need_register(
            actor=community,
            data=lists.NeedInput(household=str(households[n].uid), category=category, text=text),
        )
        need = lists.need_transition(
            actor=community, need=need, action="start_matching", version=need.version
        )
        order = lists.order_dispatch(
            actor=community, need=need, resource_uid=resource.uid, version=need.version
        )
        steps = {0: [], 1: ["accept"], 2: ["accept", "start"]}[n]
        for action in steps:
            order = lists.order_transition(
                actor=staff["provider"], order=order, action=action, version=order.version
            )
        orders.append(order)
    ServiceOrder.objects.filter(pk=orders[1].pk).update(
        start_due=timezone.now() - timedelta(hours=2)
    )
    return orders
