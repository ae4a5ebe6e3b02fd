"""The inventory campaign: milestone colours with the calendar (0, 3, 4, 5, 6 days late),
extensions and pauses moving due days, batches ordered by size 7 days apart, the "3 days
below 80 %" alert raised exactly once, the board's indicators and the KPIs by hand, the
public page (aggregates only, 404 on a wrong token), the API's refusals naming the field,
and another street's campaign being a 404."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.accounts.roles import Role
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.groups import selectors_campaigns as selectors
from gridgov.groups import services, services_campaigns
from gridgov.groups import services_rectifications as cases
from gridgov.groups.models import CampaignAlert, CampaignDaily, Rectification, Snapshot
from gridgov.groups.services_snapshots import snapshot_save
from gridgov.groups.tests.world import compounds_of, group_data

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = date(2026, 3, 2)


def at(day: date, hour: int = 12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _community(org_tree, code, name, households):
    from gridgov.org.models import Grid, OrgUnit

    unit = OrgUnit.objects.create(
        code=code,
        name=name,
        level="community",
        parent=org_tree["s1"],
        path=f"{org_tree['s1'].path}{code}/",
    )
    grid = OrgUnit.objects.create(
        code=f"{code}001",
        name=f"{name}网格",
        level="grid",
        parent=unit,
        path=f"{unit.path}{code}001/",
    )
    Grid.objects.create(
        unit=grid,
        boundary={"type": "Polygon", "coordinates": []},
        household_count=households,
        min_lon=0,
        min_lat=0,
        max_lon=0,
        max_lat=0,
    )
    return unit


@pytest.fixture
def street(org_tree, make_user):
    """s1 with c1 (two grids of 400 households: large), a medium (300), a small (150) and
    a second large community (600)."""
    medium = _community(org_tree, "310104003002", "中型社区", 300)
    small = _community(org_tree, "310104003003", "小型社区", 150)
    big = _community(org_tree, "310104003004", "大型社区", 600)
    return {
        "tree": org_tree,
        "medium": medium,
        "small": small,
        "big": big,
        "street_staff": make_user(Role.STREET_STAFF, org_tree["s1"]),
        "district": make_user(Role.DISTRICT_STAFF, org_tree["d1"]),
        "district2": make_user(Role.DISTRICT_STAFF, org_tree["d1"]),
        "community": make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
    }


def _campaign(street, start=START):
    with time_machine.travel(at(start), tick=False):
        return services_campaigns.campaign_create(
            actor=street["street_staff"], unit_code="310104003", name="天平路盘点", start_on=start
        )


def test_batches_by_size_seven_days_apart(street):
    campaign = _campaign(street)
    rows = [
        (b.community.code, b.households, b.size, b.number, b.start_on)
        for b in campaign.batches.select_related("community").order_by("number", "-households")
    ]
    first = START + timedelta(days=15)  # day 16
    assert rows == [
        ("310104003001", 800, "large", 1, first),
        ("310104003004", 600, "large", 1, first),
        ("310104003002", 300, "medium", 2, first + timedelta(days=7)),
        ("310104003003", 150, "small", 3, first + timedelta(days=14)),
    ]
    days = list(campaign.milestones.values_list("day", "due_on"))
    assert [d for d, _ in days] == [10, 15, 25, 45, 60, 70, 85, 90]
    assert days[0][1] == START + timedelta(days=9)


def test_policy_change_does_not_rewrite_a_running_campaign(street, make_user, org_tree):
    from gridgov.core.policies import policy_get
    from gridgov.core.services import policy_update

    campaign = _campaign(street)
    policy = policy_get("groups.campaigns")
    changed = policy.model_copy(update={"milestones": policy.milestones[:2]})
    admin = make_user(Role.SYSTEM_ADMIN, org_tree["d1"])
    policy_update(actor=admin, key="groups.campaigns", value=changed.model_dump(), note="试")
    assert campaign.milestones.count() == 8
    assert _campaign(street).milestones.count() == 2


@pytest.mark.parametrize(
    ("late", "colour", "beyond"),
    [
        (0, "success", False),
        (3, "warning", False),
        (4, "warning", True),
        (5, "warning", True),
        (6, "danger", False),
    ],
)
def test_milestone_colours_by_calendar_days_late(street, late, colour, beyond):
    campaign = _campaign(street)
    d10 = campaign.milestones.get(day=10)
    today = d10.due_on + timedelta(days=late)
    result = services_campaigns.milestone_lateness(d10, today)
    assert (result.days_late, result.colour, result.beyond_plan) == (late, colour, beyond)
    # Done that day: it keeps the colour of the day it was done.
    with time_machine.travel(at(today), tick=False):
        done = services_campaigns.milestone_done(
            actor=street["street_staff"], milestone=d10, evidence_note="专家评审会纪要", version=1
        )
    assert services_campaigns.milestone_lateness(done, today + timedelta(days=30)).colour == colour


def test_extension_needs_someone_else_above_and_moves_the_due_day(street):
    campaign = _campaign(street)
    d25 = campaign.milestones.get(day=25)
    before = d25.due_on
    with pytest.raises(ValidationFailed) as refused:
        services_campaigns.extension_request(
            actor=street["street_staff"], milestone=d25, days=7, reason="疫情"
        )
    assert "days" in refused.value.details
    ext = services_campaigns.extension_request(
        actor=street["street_staff"], milestone=d25, days=4, reason="疫情应急"
    )
    with pytest.raises(Conflict):
        services_campaigns.extension_request(
            actor=street["street_staff"], milestone=d25, days=3, reason="再次"
        )
    with pytest.raises(PermissionDenied):  # the street cannot approve
        services_campaigns.extension_decide(
            actor=street["street_staff"], extension=ext, approve=True
        )
    own = services_campaigns.extension_request(
        actor=street["district"], milestone=campaign.milestones.get(day=45), days=3, reason="应急"
    )
    with pytest.raises(PermissionDenied):  # nor the one who asked
        services_campaigns.extension_decide(actor=street["district"], extension=own, approve=True)
    services_campaigns.extension_decide(actor=street["district"], extension=ext, approve=True)
    d25.refresh_from_db()
    assert d25.due_on == before + timedelta(days=4) and d25.extended_days == 4
    from gridgov.audit.models import AuditRecord

    assert AuditRecord.objects.filter(action="groups.milestone.extension_approve").count() == 1


def test_pause_and_resume_move_every_milestone_not_done(street):
    campaign = _campaign(street)
    d10 = campaign.milestones.get(day=10)
    with time_machine.travel(at(START + timedelta(days=5)), tick=False):
        services_campaigns.milestone_done(
            actor=street["street_staff"], milestone=d10, evidence_note="培训完成", version=1
        )
        campaign = services_campaigns.campaign_pause(
            actor=street["street_staff"], campaign=campaign, reason="疫情防控优先", version=1
        )
        assert services_campaigns.campaign_day(campaign) == 6
    with time_machine.travel(at(START + timedelta(days=12)), tick=False):
        assert services_campaigns.campaign_day(campaign) == 6  # the clock stands still
        campaign = services_campaigns.campaign_resume(
            actor=street["street_staff"], campaign=campaign, version=2
        )
        assert services_campaigns.campaign_day(campaign) == 6
    dues = dict(campaign.milestones.values_list("day", "due_on"))
    assert dues[10] == START + timedelta(days=9)  # done: unchanged
    assert dues[15] == START + timedelta(days=14 + 7)
    assert dues[90] == START + timedelta(days=89 + 7)
    assert campaign.paused_days == 7


def _registered(street, n, community_key="c1"):
    staff = street["community"]
    places = compounds_of(street["tree"])
    groups = []
    for i in range(n):
        group = services.group_create(
            actor=staff,
            data=group_data(
                places,
                name=f"盘点群{i}",
                has_charter=True,
                has_admin=True,
                has_review=True,
                has_emergency_plan=i % 2 == 0,
                members_total=100,
                verified_residents=10,
            ),
        )
        groups.append(
            services.group_transition(actor=staff, group=group, action="approve", version=1)
        )
    return groups


def test_three_days_below_80_alerts_the_street_exactly_once(street):
    _campaign(street)
    groups = _registered(street, 5)
    # 准备 phase, before any batch begins: nothing collected, nobody alerted.
    for offset in range(1, 6):
        services_campaigns.campaign_daily_run(START + timedelta(days=offset))
    assert not CampaignAlert.objects.filter(kind="low_collection").exists()
    day = START + timedelta(days=20)
    for offset in range(5):
        with time_machine.travel(at(day + timedelta(days=offset), 20), tick=False):
            if offset == 0:  # 3 of 5 collected: 60 %
                for g in groups[:3]:
                    snapshot_save(
                        actor=street["community"],
                        group=g,
                        month="2026-03",
                        data={"members_total": 100},
                    )
            services_campaigns.campaign_daily_run()
            services_campaigns.campaign_daily_run()  # idempotent the same day
            low = CampaignAlert.objects.filter(kind="low_collection")
            assert low.count() == (0 if offset < 2 else 1), offset
    alert = CampaignAlert.objects.get(kind="low_collection")
    assert alert.community == street["tree"]["c1"] and alert.unit == street["tree"]["s1"]
    assert CampaignDaily.objects.filter(community=street["tree"]["c1"]).count() == 10
    from gridgov.core.models import Notification

    assert (
        Notification.objects.filter(recipient=street["street_staff"], kind="campaign_low").count()
        == 1
    )


def test_a_red_milestone_alerts_the_district_once(street):
    campaign = _campaign(street)
    d10 = campaign.milestones.get(day=10)
    for late in (5, 6, 7):
        services_campaigns.campaign_daily_run(d10.due_on + timedelta(days=late))
    red = CampaignAlert.objects.filter(kind="milestone_red")
    assert red.count() == 1
    assert red.get().unit == street["tree"]["d1"] and red.get().milestone == d10


def test_board_indicators_by_hand(street):
    campaign = _campaign(street)
    groups = _registered(street, 4)
    now = at(date(2026, 4, 10))
    with time_machine.travel(at(date(2026, 3, 20)), tick=False):
        snapshot_save(
            actor=street["community"], group=groups[0], month="2026-03", data={"members_total": 100}
        )
    with time_machine.travel(at(date(2026, 4, 3)), tick=False):
        # By the 5th; members doubled from March: abnormal.
        snapshot_save(
            actor=street["community"], group=groups[0], month="2026-04", data={"members_total": 200}
        )
    with time_machine.travel(at(date(2026, 4, 8)), tick=False):
        # After the 5th; the age bands add up to less than the members: abnormal.
        snapshot_save(
            actor=street["community"],
            group=groups[1],
            month="2026-04",
            data={"members_total": 100, "age_0_18": 10, "age_19_60": 50, "age_60_plus": 20},
        )
        snapshot_save(
            actor=street["community"],
            group=groups[2],
            month="2026-04",
            data={"members_total": 100, "age_0_18": 10, "age_19_60": 60, "age_60_plus": 30},
        )
    board = selectors.campaign_board(campaign, now=now)
    c1 = next(r for r in board.rows if r.batch.community.code == "310104003001")
    got = {k: (i.numerator, i.denominator, i.value) for k, i in c1.indicators.items()}
    assert got["collection"] == (3, 4, 75.0)
    assert got["anomaly"] == (2, 3, 66.67)
    assert got["four_haves"] == (2, 4, 50.0)
    assert got["monthly_update"] == (1, 4, 25.0)
    assert got["participation"][:2] == (40, 0)  # no residents on file
    assert c1.indicators["collection"].colour == "danger"
    assert board.day == 40 and board.phase["code"] == "implementation"
    assert board.reports_due and len(board.missing_reports) == 4


def test_daily_report_check_at_17(street):
    campaign = _campaign(street)
    day = START + timedelta(days=20)
    with time_machine.travel(at(day, 16), tick=False):
        services_campaigns.daily_report_submit(
            actor=street["community"], campaign=campaign, community_code="310104003001", note="ok"
        )
        board = selectors.campaign_board(campaign)
        assert not board.past_deadline
        assert "310104003001" not in {b.community.code for b in board.missing_reports}
    with time_machine.travel(at(day, 18), tick=False):
        board = selectors.campaign_board(campaign)
        assert board.past_deadline
        assert {b.community.code for b in board.missing_reports} == {
            "310104003002",
            "310104003003",
            "310104003004",
        }
    with pytest.raises(ValidationFailed) as refused:
        services_campaigns.daily_report_submit(
            actor=street["community"], campaign=campaign, community_code="310104003002"
        )
    assert "community" in refused.value.details


KPI_CODES = {
    "groups.four_haves",
    "groups.freshness",
    "groups.monthly_update",
    "groups.class_high",
    "groups.class_potential",
    "groups.class_rectify",
    "groups.class_restructure",
    "groups.average_score",
    "groups.rectification_on_time",
}


def test_kpis_by_hand(street):
    from gridgov.kpis.registry import REGISTRY, parse_period

    with time_machine.travel(at(date(2026, 4, 1)), tick=False):
        groups = _registered(street, 4)
    with time_machine.travel(at(date(2026, 4, 3)), tick=False):
        snapshot_save(
            actor=street["community"],
            group=groups[0],
            month="2026-04",
            data={
                "activity_pct": 90,
                "response_hours": 1,
                "satisfaction_pct": 95,
                "members_total": 100,
            },
        )
    with time_machine.travel(at(date(2026, 4, 9)), tick=False):
        snapshot_save(
            actor=street["community"],
            group=groups[1],
            month="2026-04",
            data={"activity_pct": 60, "members_total": 100},
        )
    with time_machine.travel(at(date(2026, 4, 3)), tick=False):
        # 问题整改群: a case opens with items due on the 10th and the 17th.
        snapshot_save(
            actor=street["community"],
            group=groups[2],
            month="2026-04",
            data={"activity_pct": 20, "false_information": True},
        )
    case = Rectification.objects.get(group=groups[2])
    first = case.items.order_by("due_at").first()
    with time_machine.travel(at(date(2026, 4, 5)), tick=False):
        cases.item_done(actor=street["community"], case=case, item_id=first.pk)
    with time_machine.travel(at(date(2026, 4, 20)), tick=False):
        period = parse_period("month")
        d1 = street["tree"]["d1"].path

        def value(code):
            v = REGISTRY[code].snapshot_values(d1, period)[None]
            return v.numerator, v.denominator, v.value

        assert value("groups.four_haves") == (2, 4, 50.0)
        # Registered after the first quarter ended: not due its check; fresh when updated
        # by the 5th.
        assert value("groups.freshness") == (2, 4, 50.0)
        assert value("groups.monthly_update") == (2, 4, 50.0)
        assert value("groups.class_high") == (1, 3, 33.33)
        assert value("groups.class_potential") == (1, 3, 33.33)
        assert value("groups.class_rectify") == (1, 3, 33.33)
        assert value("groups.class_restructure")[:2] == (0, 3)
        assert value("groups.rectification_on_time") == (1, 2, 50.0)
        scores = list(
            Snapshot.objects.filter(month=date(2026, 4, 1)).values_list("score__total", flat=True)
        )
        avg = value("groups.average_score")
        assert avg[1] == 3 and avg[2] == round(sum(scores) / 3, 2)
        # The other district sees none of it.
        assert (
            REGISTRY["groups.four_haves"]
            .snapshot_values(street["tree"]["d2"].path, period)[None]
            .denominator
            == 0
        )


def test_freshness_needs_the_last_quarters_cross_check(street, make_user):
    from gridgov.groups import services_crosschecks as xc
    from gridgov.kpis.registry import REGISTRY, parse_period

    checker = make_user(Role.COMMUNITY_STAFF, street["tree"]["c1"])
    with time_machine.travel(at(date(2026, 3, 2)), tick=False):
        groups = _registered(street, 2)
        for group in groups:
            snapshot_save(
                actor=street["community"], group=group, month="2026-03", data={"members_total": 9}
            )
    with time_machine.travel(at(date(2026, 4, 3)), tick=False):
        for group in groups:
            snapshot_save(
                actor=street["community"], group=group, month="2026-04", data={"members_total": 9}
            )
        march = Snapshot.objects.get(group=groups[0], month=date(2026, 3, 1))
        xc.crosscheck_record(
            actor=checker,
            group=groups[0],
            quarter="2026-Q1",
            items=[{"snapshot": str(march.uid), "confirmed": True, "version": march.version}],
        )

    def freshness():
        v = REGISTRY["groups.freshness"].snapshot_values(
            street["tree"]["d1"].path, parse_period("month")
        )[None]
        return v.numerator, v.denominator

    with time_machine.travel(at(date(2026, 4, 20)), tick=False):
        # Both updated by the 5th; only the first was cross-checked for the first quarter.
        assert freshness() == (1, 2)
    with time_machine.travel(at(date(2026, 3, 20)), tick=False):
        # In March the quarter finished last is 2025-Q4, before the groups: not due.
        assert freshness() == (2, 2)


def test_public_page_aggregates_only_and_404_on_a_wrong_token(street, client):
    campaign = _campaign(street)
    _registered(street, 2)
    page = client.get(f"/groups/progress/{campaign.public_token}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "天平路盘点" in body and "<svg" in body
    assert street["community"].username not in body
    assert "盘点群0" not in body  # no group names, only figures
    assert client.get(f"/groups/progress/{campaign.public_token[:-2]}xx/").status_code == 404
    assert client.get("/groups/progress/short/").status_code == 404


def test_api_refuses_bad_input_naming_the_field(street, login_client):
    c = login_client(street["street_staff"])
    bad = c.post(
        "/api/v1/campaigns",
        {"unit": "310104003", "name": "x", "start_on": "2026-13-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "start_on" in bad.json()["details"]
    bad = c.post(
        "/api/v1/campaigns",
        {"unit": "310105001", "name": "x", "start_on": "2026-03-02"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "unit" in bad.json()["details"]
    ok = c.post(
        "/api/v1/campaigns",
        {"unit": "310104003", "name": "盘点", "start_on": START.isoformat()},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    uid = ok.json()["uid"]
    m = ok.json()["milestones"][0]
    bad = c.post(
        f"/api/v1/campaigns/{uid}/milestones/{m['id']}/done",
        {"evidence_note": "", "version": m["version"]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "evidence_note" in bad.json()["details"]
    bad = c.post(
        f"/api/v1/campaigns/{uid}/milestones/{m['id']}/extensions",
        {"days": 9, "reason": "疫情"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "days" in bad.json()["details"]
    board = c.get(f"/api/v1/campaigns/{uid}/board")
    assert board.status_code == 200 and len(board.json()["rows"]) == 4


def test_another_streets_campaign_is_a_404(street, make_user, login_client):
    campaign = _campaign(street)
    other = login_client(make_user(Role.STREET_STAFF, street["tree"]["s2"]))
    assert other.get(f"/api/v1/campaigns/{campaign.uid}").status_code == 404
    assert other.get(f"/api/v1/campaigns/{campaign.uid}/board").status_code == 404
    assert other.get(f"/groups/campaigns/{campaign.uid}/").status_code == 404
    assert other.get("/api/v1/campaigns").json()["count"] == 0
    # The community below sees it, with its own row only.
    mine = login_client(street["community"])
    rows = mine.get(f"/api/v1/campaigns/{campaign.uid}/board").json()["rows"]
    assert [r["community"] for r in rows] == ["310104003001"]
