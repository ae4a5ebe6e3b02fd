"""The quarterly cross-check 季度复核: the window by the calendar (policy
``groups.crosscheck``), the second person (the one who entered the reports is refused), one
check per quarter, discrepancies masked and corrected through the snapshot's own versioned
correction, bad input refused with nothing written, scoping, and the KPIs by hand."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.groups import services
from gridgov.groups import services_crosschecks as xc
from gridgov.groups.models import CrossCheck, CrossCheckDiscrepancy, CrossCheckItem, Snapshot
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.groups.tests.world import compounds_of, group_data

pytestmark = pytest.mark.django_db
CN = ZoneInfo("Asia/Shanghai")
Q3 = "2026-Q3"
MONTHS = ("2026-07", "2026-08", "2026-09")
KPI_CODES = {"groups.crosscheck_rate", "groups.crosscheck_discrepancy"}


def at(month, day, year=2026):
    return datetime(year, month, day, 10, tzinfo=CN)


def _registered(staff, places, name="幸福家园3栋服务群", months=MONTHS):
    group = services.group_create(actor=staff, data=group_data(places, name=name))
    group = services.group_transition(actor=staff, group=group, action="approve", version=1)
    for month in months:
        snapshot_save(
            actor=staff,
            group=group,
            month=month,
            data={"members_total": 200, "activity_pct": 60, "response_hours": 3},
        )
    return group


@pytest.fixture
def world(org_tree, make_user):
    reporter = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei_a")
    checker = make_user(Role.COMMUNITY_STAFF, org_tree["c1"], username="juwei_b")
    places = compounds_of(org_tree)
    group = _registered(reporter, places)
    return {
        "reporter": reporter,
        "checker": checker,
        "group": group,
        "places": places,
        "tree": org_tree,
        "other": make_user(Role.COMMUNITY_STAFF, org_tree["c2"], username="juwei_c2"),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"], username="wangge"),
    }


def _items(group, discrepancy_month="2026-08", **row):
    out = []
    for s in Snapshot.objects.filter(group=group).order_by("month"):
        if s.month.strftime("%Y-%m") == discrepancy_month:
            out.append(
                {
                    "snapshot": str(s.uid),
                    "confirmed": False,
                    "version": s.version,
                    "discrepancies": [
                        {"indicator": "members_total", "found": "185", "note": "", **row}
                    ],
                }
            )
        else:
            out.append({"snapshot": str(s.uid), "confirmed": True, "version": s.version})
    return out


def test_window_and_status_by_calendar():
    q3 = xc.quarter_of(Q3)
    span = xc.window(q3)
    assert (span.opens_on, span.due_on) == (date(2026, 9, 21), date(2026, 10, 15))
    assert span.status(date(2026, 9, 20)) == xc.UPCOMING
    assert span.status(date(2026, 9, 21)) == xc.DUE
    assert span.status(date(2026, 10, 15)) == xc.DUE
    assert span.status(date(2026, 10, 16)) == xc.OVERDUE
    # The year's last quarter runs into January; February's 28 days do not matter.
    q4 = xc.window(xc.quarter_of("2026-Q4"))
    assert (q4.opens_on, q4.due_on) == (date(2026, 12, 22), date(2027, 1, 15))
    q1 = xc.window(xc.quarter_of("2027Q1"))
    assert (q1.opens_on, q1.due_on) == (date(2027, 3, 22), date(2027, 4, 15))
    # Asked for: the running quarter once its window opened, else the one before.
    assert xc.quarter_for(date(2026, 11, 30)) == q3
    assert xc.quarter_for(date(2026, 12, 22)) == date(2026, 10, 1)
    assert xc.quarter_for(date(2027, 1, 10)) == date(2026, 10, 1)
    assert xc.quarter_of("2026-Q5") is None and xc.quarter_of("2026-07") is None


def test_window_opens_late_flag_and_policy(world):
    group, checker = world["group"], world["checker"]
    with pytest.raises(ValidationFailed) as err:
        xc.crosscheck_record(
            actor=checker, group=group, quarter=Q3, items=_items(group), now=at(9, 20)
        )
    assert err.value.code == "crosscheck_not_open"
    assert not CrossCheck.objects.exists()
    on_time = xc.crosscheck_record(
        actor=checker, group=group, quarter=Q3, items=_items(group), now=at(10, 15)
    )
    assert on_time.late is False and on_time.months_missing == 0
    CrossCheck.objects.all().delete()
    late = xc.crosscheck_record(
        actor=checker, group=group, quarter=Q3, items=_items(group), now=at(10, 16)
    )
    assert late.late is True


def test_policy_moves_the_window(world, make_user):
    from gridgov.core.services import policy_update

    admin = make_user(Role.SYSTEM_ADMIN, world["tree"]["d1"])
    policy_update(
        actor=admin,
        key="groups.crosscheck",
        value={"opens_days_before_end": 0, "due_days_after_end": 5},
        note="试行",
    )
    span = xc.window(xc.quarter_of(Q3))
    assert (span.opens_on, span.due_on) == (date(2026, 10, 1), date(2026, 10, 5))
    group = world["group"]
    with pytest.raises(ValidationFailed):
        xc.crosscheck_record(
            actor=world["checker"], group=group, quarter=Q3, items=_items(group), now=at(9, 30)
        )
    check = xc.crosscheck_record(
        actor=world["checker"], group=group, quarter=Q3, items=_items(group), now=at(10, 6)
    )
    assert check.late and check.policy_version == 1


def test_self_check_refused(world, client, login_client):
    group = world["group"]
    login_client(world["reporter"])
    response = client.post(
        f"/api/v1/chat-groups/{group.uid}/cross-checks",
        data={"quarter": Q3, "items": _items(group)},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "separation_of_duties"
    assert "双人复核" in response.json()["message"]
    assert not CrossCheck.objects.exists() and not CrossCheckItem.objects.exists()
    # A version saved before the account was kept: the user name tells.
    Snapshot.objects.filter(group=group).update(entered_by=None)
    with pytest.raises(PermissionDenied) as err:
        xc.crosscheck_record(actor=world["reporter"], group=group, quarter=Q3, items=_items(group))
    assert err.value.code == "separation_of_duties"
    # One month corrected by the checker makes the checker a reporter of the quarter too.
    august = Snapshot.objects.get(group=group, month=date(2026, 8, 1))
    snapshot_save(
        actor=world["checker"],
        group=group,
        month="2026-08",
        data={"members_total": 201},
        version=august.version,
    )
    with pytest.raises(PermissionDenied):
        xc.crosscheck_record(actor=world["checker"], group=group, quarter=Q3, items=_items(group))


def test_record_masks_notifies_and_refuses_a_second(world, client, login_client):
    from gridgov.core.models import Notification

    group = world["group"]
    login_client(world["checker"])
    url = f"/api/v1/chat-groups/{group.uid}/cross-checks"
    items = _items(group, found="185 (群主13812345678)", note="核对人电话13912345678")
    created = client.post(
        url,
        data={"quarter": Q3, "items": items, "note": "抽查成员名单"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["quarter"] == Q3 and out["checked_by_name"] == "juwei_b" and out["late"]
    assert [i["confirmed"] for i in out["items"]] == [True, False, True]
    august = out["items"][1]
    assert august["corrected"] is False
    d = august["discrepancies"][0]
    assert d["indicator"] == "members_total" and d["recorded"] == "200"
    stored = CrossCheckDiscrepancy.objects.get()
    assert "13812345678" not in stored.found and "13912345678" not in stored.note
    assert "138" in stored.found and "****" in stored.found
    record = AuditRecord.objects.filter(action="groups.crosscheck.record").get()
    assert record.changes["discrepancies"] == {"2026-08": ["members_total"]}
    notice = Notification.objects.get(recipient=world["reporter"], kind="groups.crosscheck")
    assert "2026-08" in notice.message
    again = client.post(url, data={"quarter": Q3, "items": items}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "crosscheck_exists"
    assert CrossCheck.objects.count() == 1 and CrossCheckItem.objects.count() == 3
    # The reporter corrects through the snapshot's own versioned correction.
    snap = Snapshot.objects.get(group=group, month=date(2026, 8, 1))
    snapshot_save(
        actor=world["reporter"],
        group=group,
        month="2026-08",
        data={"members_total": 185, "activity_pct": 60, "response_hours": 3},
        version=snap.version,
    )
    listing = client.get(url).json()
    assert listing["count"] == 1 and listing["items"][0]["items"][1]["corrected"] is True
    assert listing["current"]["quarter"] == xc.quarter_label(xc.quarter_for(date.today()))
    page = client.get(f"/groups/{group.uid}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "季度复核" in page


def test_version_read_must_be_current(world):
    group = world["group"]
    items = _items(group)
    items[0]["version"] = 7
    with pytest.raises(Conflict) as err:
        xc.crosscheck_record(actor=world["checker"], group=group, quarter=Q3, items=items)
    assert err.value.code == "version_conflict" and not CrossCheck.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda items: items[:2], "items"),
        (lambda items: [*items, items[0]], "items.3.snapshot"),
        (lambda items: [{**items[0], "confirmed": False}, *items[1:]], "items.0.discrepancies"),
        (
            lambda items: [items[0], {**items[1], "confirmed": True}, items[2]],
            "items.1.confirmed",
        ),
        (
            lambda items: [
                items[0],
                {**items[1], "discrepancies": [{"indicator": "password", "found": "1"}]},
                items[2],
            ],
            "items.1.discrepancies.0.indicator",
        ),
        (
            lambda items: [
                items[0],
                {**items[1], "discrepancies": [{"indicator": "complaints", "found": " "}]},
                items[2],
            ],
            "items.1.discrepancies.0.found",
        ),
    ],
)
def test_bad_input_named_nothing_written(world, client, login_client, change, field):
    group = world["group"]
    login_client(world["checker"])
    response = client.post(
        f"/api/v1/chat-groups/{group.uid}/cross-checks",
        data={"quarter": Q3, "items": change(_items(group))},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["details"], response.json()
    assert not CrossCheck.objects.exists() and not CrossCheckItem.objects.exists()
    assert not CrossCheckDiscrepancy.objects.exists()


def test_bad_quarter_and_nothing_to_check(world, client, login_client):
    group = world["group"]
    login_client(world["checker"])
    url = f"/api/v1/chat-groups/{group.uid}/cross-checks"
    bad = client.post(
        url,
        data={"quarter": "2026-13", "items": []},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 422 and "quarter" in bad.json()["details"]
    assert "YYYY-Qn" in bad.json()["details"]["quarter"][0]
    empty = client.post(
        url, data={"quarter": "2026-Q2", "items": []}, content_type="application/json"
    )
    assert empty.status_code == 409 and empty.json()["code"] == "no_snapshots"
    future = client.post(
        url, data={"quarter": "2027-Q1", "items": []}, content_type="application/json"
    )
    assert future.status_code == 422 and future.json()["code"] == "crosscheck_not_open"
    assert not CrossCheck.objects.exists()


def test_scoping(world, client, login_client):
    group = world["group"]
    xc.crosscheck_record(actor=world["checker"], group=group, quarter=Q3, items=_items(group))
    url = f"/api/v1/chat-groups/{group.uid}/cross-checks"
    login_client(world["other"])
    assert client.get(url).status_code == 404
    refused = client.post(
        url, data={"quarter": Q3, "items": _items(group)}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert client.get(f"/groups/{group.uid}/cross-check/").status_code == 404
    board = client.get("/groups/cross-checks/?quarter=2026-Q3").content.decode()
    assert group.name not in board
    login_client(world["worker"])  # sees the group, may not check it
    assert client.get(url).json()["count"] == 1
    assert client.post(url, data={}, content_type="application/json").status_code == 403
    login_client(world["checker"])
    board = client.get("/groups/cross-checks/?quarter=2026-Q3").content.decode()
    assert group.name in board


def test_form_records_the_check(world, client, login_client):
    group = world["group"]
    login_client(world["checker"])
    url = f"/groups/{group.uid}/cross-check/?quarter={Q3}"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "季度复核" in page.content.decode()
    snaps = list(Snapshot.objects.filter(group=group).order_by("month"))
    form = {"quarter": Q3}
    for s in snaps:
        form[f"confirm-{s.uid}"] = "yes"
        form[f"version-{s.uid}"] = str(s.version)
    form[f"confirm-{snaps[1].uid}"] = "no"
    bad = client.post(f"/groups/{group.uid}/cross-check/", form)
    assert bad.status_code == 200 and b"invalid-feedback" in bad.content
    assert not CrossCheck.objects.exists()
    form[f"ind-{snaps[1].uid}-1"] = "activity_pct"
    form[f"found-{snaps[1].uid}-1"] = "30"
    saved = client.post(f"/groups/{group.uid}/cross-check/", form)
    assert saved.status_code == 302
    row = CrossCheckDiscrepancy.objects.get()
    assert (row.indicator, row.recorded, row.found) == ("activity_pct", "60", "30")


def test_kpis_by_hand(org_tree, make_user):
    """As of 2026-11-01 00:00 (the last finished quarter: Q3) in c1: registered groups on
    file before 1 Oct: A, B, C, D (P waits for approval, E came after the quarter); checked
    by the moment: A (one month with a discrepancy) and B (all confirmed); D was checked
    only on 5 Nov. Rate 2/4 = 50 %; discrepancy 1 of A's and B's 6 reports = 16.67 %.
    The other community's checked group counts only for itself."""
    from gridgov.groups.kpis_groups import crosscheck_discrepancy, crosscheck_rate
    from gridgov.groups.models import Group
    from gridgov.kpis.registry import REGISTRY, period_containing

    reporter = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    checker = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    reporter2 = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    checker2 = make_user(Role.COMMUNITY_STAFF, org_tree["c2"])
    places = compounds_of(org_tree)
    a, b, c, d = (_registered(reporter, places, name=f"群{n}") for n in "ABCD")
    services.group_create(actor=reporter, data=group_data(places, name="待批群P"))
    e = _registered(reporter, places, name="群E", months=())
    Group.objects.filter(pk=e.pk).update(created_at=at(10, 20))  # no report of Q3
    other = services.group_create(
        actor=reporter2,
        data=group_data(
            places, name="华阳群", compounds=[places["other"].pk], buildings=[places["other_1"].pk]
        ),
    )
    other = services.group_transition(actor=reporter2, group=other, action="approve", version=1)
    snapshot_save(actor=reporter2, group=other, month="2026-09", data={"members_total": 50})
    xc.crosscheck_record(actor=checker, group=a, quarter=Q3, items=_items(a), now=at(10, 10))
    xc.crosscheck_record(
        actor=checker, group=b, quarter=Q3, items=_items(b, discrepancy_month=""), now=at(10, 12)
    )
    xc.crosscheck_record(actor=checker, group=d, quarter=Q3, items=_items(d), now=at(11, 5))
    xc.crosscheck_record(
        actor=checker2, group=other, quarter=Q3, items=_items(other), now=at(10, 9)
    )
    del c
    Group.objects.exclude(pk=e.pk).update(created_at=at(6, 1))
    moment = datetime(2026, 11, 1, tzinfo=CN)
    c1, c2 = org_tree["c1"].path, org_tree["c2"].path

    def total(counts, prefix):
        pairs = [v for p, v in counts.items() if p.startswith(prefix)]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)

    assert total(crosscheck_rate(c1, moment), c1) == (2, 4)
    assert total(crosscheck_discrepancy(c1, moment), c1) == (1, 6)
    assert total(crosscheck_rate(c2, moment), c2) == (1, 1)
    # Through the registry: October's value is as of its end, the same moment.
    october = period_containing("month", date(2026, 10, 1))
    assert REGISTRY["groups.crosscheck_rate"].snapshot_values(c1, october)[None].value == 50.0
    assert (
        REGISTRY["groups.crosscheck_discrepancy"].snapshot_values(c1, october)[None].value == 16.67
    )
    # As of the end of Q3 itself the quarter just ended is the one counted: nothing checked.
    assert total(crosscheck_rate(c1, datetime(2026, 10, 1, tzinfo=CN)), c1) == (0, 4)
