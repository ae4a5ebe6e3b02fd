"""The seeded demo district looks like a real first morning: titles people would write,
one household number per household in a community, most of each grid's register on file,
and work waiting in every role's workbench."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.core import ledger
from gridgov.core.models import LedgerTransaction
from gridgov.core.workbench import workbench_for
from gridgov.demo import texts
from gridgov.demo.participation_boards import seed_participation_boards
from gridgov.demo.participation_ledgers import seed_points_ledgers
from gridgov.events.models import Category, Event
from gridgov.events.scan import scan
from gridgov.kpis.alerts import check_alerts
from gridgov.kpis.models import KpiAlert
from gridgov.org.models import OrgUnit
from gridgov.participation.models import (
    Bylaw,
    CatalogueItem,
    ComplianceEntry,
    Redemption,
    ServiceBoardEntry,
)
from gridgov.participation.selectors_boards import public_board
from gridgov.participation.service_board import previous_month_label
from gridgov.people.kpis import coverage
from gridgov.people.models import Household

pytestmark = pytest.mark.django_db


def _counts(username: str) -> dict[str, int]:
    user = User.objects.get(username=username)
    return {q.key: q.count for s in workbench_for(user) for q in s.queues}


def test_the_demo_district_on_its_first_morning(demo_district):

    # Every category the demo uses has texts, and every title is one of them (but the
    # events a chat-group warning or a device alarm became, which the product titles).
    synthetic = Event.objects.exclude(client_id__startswith="groups-warning-").exclude(
        channel="device"
    )
    used = set(synthetic.values_list("suggested_category__code", flat=True))
    assert used <= set(texts.templates())
    patterns = texts.title_patterns()
    titles = set(synthetic.values_list("title", flat=True))
    assert len(titles) > 100
    assert [t for t in titles if not any(p.match(t) for p in patterns)] == []
    assert not Event.objects.filter(category__is_active=False).exists()
    active = Category.objects.filter(is_active=True, parent__isnull=False)
    assert set(active.values_list("code", flat=True)) <= set(texts.templates())

    # Household numbers are unique within each community.
    repeated = (
        Household.objects.values("grid__parent", "number").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not repeated.exists()

    # The grid register and the files agree: 85–98 % coverage in every grid.
    per_grid = coverage("31/3101/310104/", timezone.now())
    assert len(per_grid) == 12
    for path, (on_file, register) in per_grid.items():
        assert 0.85 <= on_file / register <= 0.98, path

    # The deadline scan of the first morning escalates what is long overdue.
    scan()
    worker = _counts("demo_gridworker")
    assert 1 <= worker["overdue"] <= 5 and 2 <= worker["todo"] <= 12
    community = _counts("demo_community")
    assert 1 <= community["to_dispatch"] <= 20 and community["to_verify"] >= 1
    street = _counts("demo_street")
    assert 1 <= street["escalated"] <= 20 and street["overdue"] <= 30
    department = _counts("demo_dept")
    assert department["to_check_in"] >= 1 and department["todo"] >= 1
    district = _counts("demo_district")
    assert 1 <= district["escalated"] <= 30 and district["to_dispatch"] <= 40
    # The grid worker has work due soon (today, or first thing tomorrow late at night).
    now = timezone.now()
    due = Event.objects.filter(
        assignee__username="demo_gridworker", state__in=["dispatched", "handling"]
    ).values_list("handle_due", flat=True)
    assert any(now <= d <= now + timedelta(hours=24) for d in due if d)

    # Coverage alerts: none on the grid worker's grid; the believable gaps are elsewhere.
    check_alerts()
    gaps = set(
        KpiAlert.objects.filter(kpi_code="people.coverage").values_list("unit__code", flat=True)
    )
    assert "310104003001001" not in gaps and 1 <= len(gaps) <= 3

    # Visits: a month of them in every grid, some waiting for review, and every community's
    # spot-check draw checked but one, with some fields that did not match.
    from gridgov.visits.models import SpotCheck, Visit

    grids = OrgUnit.objects.filter(level="grid").values_list("path", flat=True)
    visited = set(Visit.objects.values_list("scope_path", flat=True))
    assert set(grids) <= visited
    assert Visit.objects.filter(state=Visit.State.SUBMITTED).exists()
    assert set(Visit.objects.values_list("outcome", flat=True)) >= {
        "completed",
        "partial",
        "refused",
        "not_home",
    }
    checked = SpotCheck.objects.exclude(checked_at=None)
    assert checked.filter(result=SpotCheck.Result.MISMATCH).exists()
    assert checked.filter(result=SpotCheck.Result.MATCH).exists()
    assert SpotCheck.objects.filter(checked_at=None).exists()

    # The lists: needs of many categories in every grid (some from the visits), resources
    # of the three classes, orders in every state, and nothing past its accept time left
    # waiting (the timeout job has sent it back).
    from gridgov.lists.models import Need, Resource, ServiceOrder

    assert set(grids) <= set(Need.objects.values_list("scope_path", flat=True))
    assert Need.objects.values("category").distinct().count() >= 10
    assert Need.objects.filter(source=Need.Source.VISIT).exclude(category__code="other").exists()
    assert set(Need.objects.values_list("state", flat=True)) == set(Need.State.values)
    assert set(Resource.objects.values_list("resource_class", flat=True)) == set(
        Resource.Class.values
    )
    assert set(ServiceOrder.objects.values_list("state", flat=True)) == set(
        ServiceOrder.State.values
    )
    assert not ServiceOrder.objects.filter(
        state=ServiceOrder.State.DISPATCHED, accept_due__lt=timezone.now()
    ).exists()


def test_the_demo_points_and_time_bank(demo_district):
    """A catalogue supplied by the community's resources, credits from rated and
    volunteer-delivered orders dated within six months, redemptions picked up and waiting,
    hours spent and transferred, one correction; the ledgers verify and a second run adds
    nothing."""
    assert set(CatalogueItem.objects.values_list("name", flat=True)) == {
        "理发",
        "家政 1 小时",
        "米油",
        "文化演出票",
    }
    actions = set(LedgerTransaction.objects.values_list("action", flat=True))
    assert {"service_rated", "volunteer_hours", "deposit", "redeem", "reversal"} <= actions
    assert {"withdraw", "transfer"} <= actions
    states = set(Redemption.objects.values_list("state", flat=True))
    assert {"picked_up", "placed"} <= states
    oldest = LedgerTransaction.objects.order_by("occurred_at").first().occurred_at
    assert oldest >= timezone.now() - timedelta(days=183)
    assert ledger.verify().ok
    count = LedgerTransaction.objects.count()
    assert seed_points_ledgers() == 0
    assert LedgerTransaction.objects.count() == count


def test_the_demo_bylaws_and_boards(demo_district):
    """Every community has its 社区公约, red and black entries over the past three months
    with and without consent, the service board of the last finished month published from
    the demo's ratings; the resident's board names no household without its consent;
    seeding again adds nothing."""
    assert Bylaw.objects.count() == 4
    entries = ComplianceEntry.objects.all()
    assert entries.filter(colour="red").exists() and entries.filter(colour="black").exists()
    assert entries.filter(consent_on__isnull=False).exists()
    assert entries.filter(household__isnull=False, consent_on__isnull=True).exists()
    assert entries.filter(household__isnull=True).exists()
    oldest = min(entries.values_list("occurred_on", flat=True))
    assert (timezone.localdate() - oldest).days > 45
    assert not entries.filter(colour="black", evidence="").exists()
    last = previous_month_label()
    published = ServiceBoardEntry.objects.filter(period=last)
    assert published.exclude(band="insufficient").count() >= 4  # workers with enough ratings
    assert published.filter(band="red").exists()
    # The public board of each community: the unconsented households appear as a building.
    for entry in entries.filter(household__isnull=False, consent_on__isnull=True)[:10]:
        board = public_board(entry.community, entry.period)
        shown = " ".join(line.who for line in board.red + board.black)
        assert entry.household.number not in shown
        assert f"{entry.household.room.unit_number}-{entry.household.room.number}" not in shown
    assert seed_participation_boards() == 0


def test_the_demo_chat_groups(demo_district):
    """About three groups per compound across every class, six months of snapshots, open
    rectification cases (by class and by score); seeding again adds nothing."""
    from gridgov.demo.groups import seed_groups
    from gridgov.groups.models import Group, Rectification, Snapshot
    from gridgov.org.models import Compound

    assert Group.objects.count() == 3 * Compound.objects.count()
    assert Group.objects.filter(state="pending").exists()
    # Six finished months; the campaign's street has this month's reports too.
    this_month = timezone.localdate().replace(day=1)
    finished = Snapshot.objects.filter(month__lt=this_month)
    latest = finished.order_by("-month").values_list("month", flat=True).first()
    classes = set(finished.filter(month=latest).values_list("klass", flat=True))
    assert classes == {"high", "potential", "rectify", "restructure"}
    per_group = finished.filter(group__state="approved").values("group").distinct()
    assert all(finished.filter(group_id=row["group"]).count() == 6 for row in per_group)
    open_cases = Rectification.objects.exclude(state="closed")
    assert set(open_cases.values_list("trigger", flat=True)) == {"class", "low_score"}
    # The treatments: 功能重构群 given split-or-merge tasks, 潜力提升群 paired.
    from gridgov.groups.models import Pairing, RestructureTask

    assert RestructureTask.objects.filter(state="open").exists()
    assert Pairing.objects.filter(state="active").exists()
    assert seed_groups() == 0


def test_the_demo_collection_plan(demo_district):
    """The collection plan has a small compound beside the medium ones, a share aged 60+
    for every compound, compounds whose groups leave needs unmet and flagged grid workers."""
    from gridgov.groups.selectors_collection import collection_plan, worker_loads

    district = User.objects.get(username="demo_district")
    plans, _version = collection_plan(actor=district)
    assert {p.method for p in plans} == {"building_head_spot_check", "grid_worker_check"}
    assert all(p.aged_share is not None for p in plans)
    assert any(p.matched is False for p in plans) and any(p.matched for p in plans)
    assert any(w.flag for w in worker_loads(actor=district))


def test_the_demo_cross_checks(demo_district):
    """The last finished quarter cross-checked for most registered groups by a second
    worker, never by whoever entered the reports; some discrepancies, one corrected, a few
    late; seeding again adds nothing."""
    from gridgov.demo.groups_crosschecks import seed_group_crosschecks
    from gridgov.groups import services_crosschecks as xc
    from gridgov.groups.models import CrossCheck, CrossCheckItem, Group

    today = timezone.localdate()
    quarter = xc.quarter_start(xc.quarter_start(today) - timedelta(days=1))
    checks = CrossCheck.objects.filter(quarter=quarter)
    registered = Group.objects.filter(state="approved", status="active").count()
    assert registered * 2 // 3 <= checks.count() < registered
    assert checks.filter(late=True).exists() and checks.filter(late=False).exists()
    items = CrossCheckItem.objects.filter(crosscheck__quarter=quarter).select_related(
        "snapshot", "crosscheck"
    )
    assert not [i for i in items if i.snapshot.entered_by_id == i.crosscheck.checked_by_id]
    odd = [i for i in items if not i.confirmed]
    assert odd and any(xc.discrepancy_corrected(i) for i in odd)
    assert seed_group_crosschecks() == 0


def test_the_demo_chat_exports_and_warnings(demo_district):
    """Service groups with a consent notice and an export read; warnings raised by the
    bursts, one reported as a grid event, one a false alarm, the rest to check; every
    compound has a risk index; seeding again reads nothing."""
    from gridgov.demo.groups_warnings import GROUPS, seed_group_warnings
    from gridgov.groups.models import ChatImport, EarlyWarning
    from gridgov.groups.selectors_warnings import compound_risk, compounds_visible

    assert ChatImport.objects.count() == GROUPS
    imported = ChatImport.objects.first()
    assert imported.response_hours is not None and imported.activity_pct is not None
    states = set(EarlyWarning.objects.values_list("state", flat=True))
    assert states == {"open", "confirmed", "false_alarm"}
    assert EarlyWarning.objects.filter(event__isnull=False).count() == 1
    street = User.objects.get(username="demo_street")
    compound = compounds_visible(actor=street).filter(chat_groups__imports__isnull=False).first()
    assert compound_risk(actor=street, compound=compound).index is not None
    assert seed_group_warnings() == 0


def test_the_demo_campaign_on_day_40(demo_district):
    """The demo street's campaign on its day 40: milestones done, one done late (yellow),
    the board in colours; seeding again adds nothing."""
    from gridgov.demo.groups_campaign import seed_groups_campaign
    from gridgov.groups import selectors_campaigns
    from gridgov.groups.models_campaigns import Campaign

    campaign = Campaign.objects.get()
    board = selectors_campaigns.campaign_board(campaign)
    assert board.day == 40 and board.phase["code"] == "implementation"
    colours = {m.day: (m.state, late.colour) for m, late in board.milestones}
    assert colours[10] == ("done", "success") and colours[25] == ("done", "warning")
    assert colours[45] == ("pending", "success")
    assert board.rows and {i.colour for r in board.rows for i in r.indicators.values()} - {
        "secondary"
    }
    assert seed_groups_campaign() is None


def test_the_demo_emergency_supplies(demo_district):
    from gridgov.demo.operations_supplies import seed_supplies
    from gridgov.operations.models import Batch, StockCheck, StockMovement, Store
    from gridgov.operations.selectors_supplies import community_coverage, near_expiry

    assert set(Store.objects.values_list("tier", flat=True)) == set(Store.Tier.values)
    assert Store.objects.filter(tier=Store.Tier.COMMUNITY).count() == 4
    kinds = set(StockMovement.objects.values_list("kind", flat=True))
    assert {"in", "out", "transfer", "loss", "disposal"} <= kinds
    oldest = StockMovement.objects.order_by("occurred_at").first().occurred_at
    assert oldest <= timezone.now() - timedelta(days=25)
    assert StockCheck.objects.exists()
    street = User.objects.get(username="demo_street")
    assert near_expiry(actor=street, within_days=30).exists()
    covers = {c.unit.code: c for c in community_coverage(actor=street)}
    assert covers["310104003001"].meets_rule
    assert not covers["310104003002"].meets_rule and "sandbag" in covers["310104003002"].shortages
    assert ledger.verify("supplies").ok
    count = Batch.objects.count()
    assert seed_supplies() == 0 and Batch.objects.count() == count


def test_the_demo_smart_devices(demo_district):
    """200+ devices in every status, repair tickets open, overdue and fixed, alarms judged
    and waiting; the demo grid worker's grid has devices and their board is not empty."""
    from gridgov.demo.operations_devices import seed_devices
    from gridgov.operations.models import Device, DeviceAlarm, RepairTicket
    from gridgov.operations.selectors_devices import board, ticket_list

    assert Device.objects.count() >= 200
    assert set(Device.objects.values_list("status", flat=True)) == set(Device.Status.values)
    assert set(Device.objects.values_list("kind", flat=True)) >= {"smoke", "gas", "camera"}
    street = User.objects.get(username="demo_street")
    assert ticket_list(actor=street, overdue_only=True).exists()
    assert RepairTicket.objects.filter(state="fixed").count() >= 20
    figures = board(actor=street)
    assert figures.overdue_service > 0 and figures.repair_hours is not None
    assert 80 < figures.good_rate < 100 and 90 < figures.access_rate < 100
    assert DeviceAlarm.objects.filter(is_true=False).exists()
    assert DeviceAlarm.objects.filter(is_true__isnull=True).exists()
    worker = User.objects.get(username="demo_gridworker")
    assert board(actor=worker).in_service > 0
    count = Device.objects.count()
    assert seed_devices() == 0 and Device.objects.count() == count


def test_the_demo_service_facilities(demo_district):
    """A service centre per community (not in every grid: the circle leaves buildings out),
    spaces booked through the three lists and spaces with walk-in use, an open 功能调整."""
    from gridgov.demo.operations_facilities import seed_facilities
    from gridgov.operations.models import AdjustmentTask, Facility, FacilitySpace
    from gridgov.operations.selectors_facilities import circle_board

    assert Facility.objects.filter(kind="service_centre").count() == 4
    assert FacilitySpace.objects.filter(bookable__isnull=False).exists()
    assert AdjustmentTask.objects.filter(state="open").exists()
    board = circle_board(actor=User.objects.get(username="demo_street"))
    assert 0 < board["covered"] < board["residents"]
    assert any(not g["has_centre"] for g in board["grids"])
    count = Facility.objects.count()
    assert seed_facilities() == 0 and Facility.objects.count() == count


def test_the_demo_grid_service_models(demo_district):
    """Signature services in some grids, a basic service everywhere, a service day."""
    from gridgov.demo.operations_catalogue import seed_service_models
    from gridgov.operations.models import ServiceDay, ServiceModel
    from gridgov.operations.selectors_catalogue import featured_by_grid, grid_catalogue
    from gridgov.org.models import OrgUnit

    featured = featured_by_grid(OrgUnit.objects.get(code="310104").path)
    assert 0 < sum(v[0] for v in featured.values()) < len(featured)
    grid = OrgUnit.objects.get(code="310104003001001")
    assert [e.model.name for e in grid_catalogue(grid)][0] == "网格管家"
    assert ServiceDay.objects.exists()
    count = ServiceModel.objects.count()
    assert seed_service_models() == 0 and ServiceModel.objects.count() == count


def test_the_demo_workforce(demo_district):
    """Every grid worker has a profile and training; some meet the hours, some lack a
    certificate."""
    from gridgov.demo.operations_workforce import seed_workforce
    from gridgov.operations.models import WorkerProfile
    from gridgov.operations.selectors_workforce import worker_rows

    rows = worker_rows(actor=User.objects.get(username="demo_district"))
    assert rows and all(r.profile is not None for r in rows)
    assert any(r.hours.total > 0 for r in rows)
    assert any(not r.certified for r in rows) and any(r.certified for r in rows)
    count = WorkerProfile.objects.count()
    assert seed_workforce() == 0 and WorkerProfile.objects.count() == count


def test_the_demo_provider_lands_on_its_orders(demo_district, login_client):
    """After the demo's needs and resources: demo_provider operates one of the street's
    resources and lands on its orders."""
    from gridgov.demo.lists_providers import seed_providers
    from gridgov.lists import selectors

    resource = seed_providers()
    provider = User.objects.get(username="demo_provider")
    assert resource.scope_path.startswith("31/3101/310104/310104003/")
    assert list(resource.operators.values_list("user", flat=True)) == [provider.pk]
    mine = selectors.order_list(actor=provider, action="serve")
    assert mine.exists() and set(mine.values_list("resource", flat=True)) == {resource.pk}
    c = login_client(provider)
    assert c.get("/").url == "/lists/serve/"
    assert c.get("/lists/serve/").status_code == 200


def test_every_demo_login_is_a_demo_account(demo_district):
    """Production refuses to start while any of these is active (core.checks, start)."""
    from gridgov.demo.seed import demo_logins

    names = [login.username for login in demo_logins()]
    assert names and set(
        User.objects.filter(username__in=names, is_demo=True).values_list("username", flat=True)
    ) == set(names)


def test_the_demo_lies_where_its_streets_are(demo_district):
    """徐汇区's outline, streets and communities where their roads are, grids that tile their
    community, buildings inside their grid (demo/tests/test_geography.py)."""
    from gridgov.demo.tests.test_geography import check_demo_geography

    check_demo_geography()
