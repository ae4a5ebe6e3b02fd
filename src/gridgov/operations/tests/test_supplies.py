"""Emergency supplies: the category policy, stores, batches, the stock ledger (never below
zero, also under concurrency on PostgreSQL), stock checks, coverage days and the
10-categories rule, scoping, and the API's refusals."""

from __future__ import annotations

import math
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from gridgov.accounts.roles import Role
from gridgov.audit.models import AuditRecord
from gridgov.core import ledger
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.models import LedgerTransaction
from gridgov.operations import selectors_supplies as selectors
from gridgov.operations import services_supplies as services
from gridgov.operations.models import Batch, Dispatch, StockCheck, StockMovement, Store
from gridgov.operations.policies_supplies import supplies_policy
from gridgov.operations.tests.supply_world import make_store, receive, residents

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(org_tree, make_user):
    return {
        "community": make_user(Role.COMMUNITY_STAFF, org_tree["c1"]),
        "street": make_user(Role.STREET_STAFF, org_tree["s1"]),
        "district": make_user(Role.DISTRICT_STAFF, org_tree["d1"]),
        "worker": make_user(Role.GRID_WORKER, org_tree["g1a"]),
        "outsider": make_user(Role.COMMUNITY_STAFF, org_tree["c2"]),
    }


def _nothing_written(before):
    assert (
        StockMovement.objects.count(),
        Batch.objects.count(),
        LedgerTransaction.objects.filter(ledger__code="supplies").count(),
    ) == before


def _counts():
    return (
        StockMovement.objects.count(),
        Batch.objects.count(),
        LedgerTransaction.objects.filter(ledger__code="supplies").count(),
    )


def test_policy_has_ten_categories_with_unit_norm_shelf_life_and_check_interval():
    policy = supplies_policy()
    names = {c.name for c in policy.categories.values()}
    assert {
        "急救包",
        "灭火器",
        "防汛沙袋",
        "应急照明",
        "饮用水",
        "食品",
        "帐篷",
        "保暖",
        "防护用品",
        "发电设备",
    } <= names
    for c in policy.categories.values():
        assert c.unit and c.norm_per_100 > 0 and c.shelf_life_days > 0
        assert c.check_interval_days > 0
    assert policy.categories_min == 10 and policy.coverage_days_min == 3
    assert policy.near_expiry_days == [90, 30]


def test_store_keeps_the_phone_masked_and_encrypted(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    assert store.keeper_phone_masked == "138****5678"
    assert "13812345678" not in store.keeper_phone_encrypted
    assert AuditRecord.objects.filter(action="operations.store.create").count() == 1


def test_store_tier_must_match_the_unit_level(org_tree, staff):
    with pytest.raises(ValidationFailed) as exc:
        make_store(staff["street"], org_tree["c1"], tier="street")
    assert "org_unit" in exc.value.details
    assert not Store.objects.exists()


def test_community_staff_cannot_add_a_store_above_their_community(org_tree, staff):
    with pytest.raises(NotFound):
        make_store(staff["community"], org_tree["s1"], tier="street")
    assert not Store.objects.exists()


def test_receive_issue_and_balances_are_derived_from_the_ledger(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    early = receive(staff["community"], store, "water", 40, expires_in=20)
    late = receive(staff["community"], store, "water", 100, expires_in=300)
    moved = services.stock_move(
        actor=staff["community"], store=store, kind="out", category="water", quantity=50
    )
    # First expiry, first out: the early batch is emptied first.
    assert [(b.pk, n) for b, n in moved.batches] == [(early.pk, 40), (late.pk, 10)]
    early.account.refresh_from_db()
    late.account.refresh_from_db()
    assert (early.account.balance, late.account.balance) == (0, 90)
    assert ledger.derived_balance(late.account) == 90
    assert selectors.stock_by_category([store]) == {store.pk: {"water": 90}}
    assert ledger.verify("supplies").ok


def test_a_movement_that_would_go_negative_is_refused_with_nothing_written(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    receive(staff["community"], store, "food", 10)
    before = _counts()
    audits = AuditRecord.objects.count()
    with translation.override("zh-hans"), pytest.raises(Conflict) as exc:
        services.stock_move(
            actor=staff["community"], store=store, kind="out", category="food", quantity=11
        )
    assert exc.value.code == "insufficient_stock" and exc.value.status == 409
    assert "库存" in str(exc.value.message)
    _nothing_written(before)
    assert AuditRecord.objects.count() == audits


@pytest.mark.parametrize("quantity", [0, -5, "1.5", "abc"])
def test_zero_negative_or_fractional_quantities_are_refused(org_tree, staff, quantity):
    store = make_store(staff["community"], org_tree["c1"])
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        receive(staff["community"], store, "food", quantity)
    assert "quantity" in exc.value.details
    with pytest.raises(ValidationFailed):
        services.stock_move(
            actor=staff["community"], store=store, kind="out", category="food", quantity=quantity
        )
    _nothing_written(before)


def test_a_batch_expiring_before_production_is_refused(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    before = _counts()
    today = timezone.localdate()
    for language, words in (("zh-hans", "生产"), ("en", "produced")):
        with translation.override(language), pytest.raises(ValidationFailed) as exc:
            services.batch_receive(
                actor=staff["community"],
                store=store,
                category="food",
                quantity=5,
                produced_on=today - timedelta(days=5),
                expires_on=today - timedelta(days=6),
            )
        assert exc.value.code == "expires_before_produced"
        assert words in str(exc.value.message)
    _nothing_written(before)


def test_transfer_moves_batches_with_their_dates(org_tree, staff):
    street = make_store(staff["street"], org_tree["s1"], tier="street", lon=121.45)
    community = make_store(staff["community"], org_tree["c1"])
    batch = receive(staff["street"], street, "sandbag", 500, expires_in=200)
    moved = services.stock_move(
        actor=staff["street"],
        store=street,
        kind="transfer",
        category="sandbag",
        quantity=120,
        to_store=community,
    )
    twin = Batch.objects.get(store=community)
    assert twin.origin == batch and twin.expires_on == batch.expires_on
    assert int(twin.account.balance) == 120
    assert moved.movement.to_store == community
    assert selectors.stock_by_category([street, community]) == {
        street.pk: {"sandbag": 380},
        community.pk: {"sandbag": 120},
    }


def test_disposal_takes_only_expired_stock(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    receive(staff["community"], store, "food", 30, expires_in=-2, produced_ago=400)
    receive(staff["community"], store, "food", 50, expires_in=100)
    with pytest.raises(Conflict) as exc:
        services.stock_move(
            actor=staff["community"],
            store=store,
            kind="disposal",
            category="food",
            quantity=31,
            reason="过期",
        )
    assert exc.value.code == "insufficient_expired_stock"
    services.stock_move(
        actor=staff["community"],
        store=store,
        kind="disposal",
        category="food",
        quantity=30,
        reason="过期",
    )
    assert selectors.stock_by_category([store]) == {store.pk: {"food": 50}}


def test_stock_check_posts_differences_as_loss_and_gain(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    a = receive(staff["community"], store, "first_aid", 10)
    b = receive(staff["community"], store, "tent", 4)
    with pytest.raises(ValidationFailed) as exc:
        services.stock_check_record(
            actor=staff["community"], store=store, counts={str(a.uid): 8, str(b.uid): 5}
        )
    assert "reason" in exc.value.details
    assert not StockCheck.objects.exists()
    check = services.stock_check_record(
        actor=staff["community"],
        store=store,
        counts={str(a.uid): "8", str(b.uid): 5},
        reason="两个急救包受潮; 多出一顶帐篷",
    )
    lines = {line.batch_id: line for line in check.lines.all()}
    assert (lines[a.pk].book, lines[a.pk].counted, lines[a.pk].difference) == (10, 8, -2)
    assert lines[a.pk].movement.kind == "loss" and lines[b.pk].movement.kind == "check"
    assert selectors.stock_by_category([store]) == {store.pk: {"first_aid": 8, "tent": 5}}
    assert ledger.verify("supplies").ok


def test_coverage_days_and_the_ten_categories_rule(org_tree, staff):
    residents(org_tree["g1a"], 200)
    store = make_store(staff["community"], org_tree["c1"])
    policy = supplies_policy()
    # Exactly 3 days for 200 residents in every category but sandbags (2 days there).
    for code, cat in policy.categories.items():
        days = 2 if code == "sandbag" else 3
        receive(staff["community"], store, code, max(1, int(200 * cat.norm_per_100 / 100 * days)))
    cover = selectors.community_coverage(actor=staff["street"])[0]
    assert cover.residents == 200
    by = {c.code: c for c in cover.categories}
    assert by["water"].days == 3.0 and by["water"].covered
    assert by["first_aid"].stock == 6 and by["first_aid"].need_per_day == 2
    assert by["sandbag"].days == 2.0 and not by["sandbag"].covered
    assert cover.covered_count == 9 and not cover.meets_rule
    assert cover.shortages == ["sandbag"]
    receive(staff["community"], store, "sandbag", 20)
    cover = selectors.community_coverage(actor=staff["street"])[0]
    assert cover.covered_count == 10 and cover.meets_rule and not cover.shortages


def test_near_expiry_warnings_at_90_and_30_days(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    receive(staff["community"], store, "food", 5, expires_in=80)
    receive(staff["community"], store, "water", 5, expires_in=20)
    receive(staff["community"], store, "tent", 5, expires_in=400)
    levels = sorted(
        selectors.expiry_level(b.expires_on, timezone.localdate(), [90, 30])
        for b in selectors.near_expiry(actor=staff["community"])
    )
    assert levels == ["d30", "d90"]
    cover = selectors.community_coverage(actor=staff["community"])[0]
    assert cover.warnings == {"d30": 1, "d90": 1}


def test_scoping_out_of_scope_is_not_found_and_workers_read_their_community(org_tree, staff):
    store = make_store(staff["community"], org_tree["c1"])
    with pytest.raises(NotFound):
        selectors.store_get(actor=staff["outsider"], uid=store.uid)
    assert selectors.store_get(actor=staff["worker"], uid=store.uid) == store
    with pytest.raises(NotFound):
        selectors.store_get(actor=staff["worker"], uid=store.uid, action="manage")
    assert list(selectors.store_list(actor=staff["district"])) == [store]
    assert selectors.community_coverage(actor=staff["outsider"])[0].unit == org_tree["c2"]


def test_api_refuses_with_the_reason_in_both_languages(org_tree, staff, login_client):
    store = make_store(staff["community"], org_tree["c1"])
    receive(staff["community"], store, "food", 3)
    client = login_client(staff["community"])
    url = f"/api/v1/operations/stores/{store.uid}/movements"
    before = _counts()
    for language, word in (("zh-hans", "库存"), ("en", "stock")):
        response = client.post(
            url,
            {"kind": "out", "category": "food", "quantity": 4},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 409
        assert response.json()["code"] == "insufficient_stock"
        assert word in response.json()["message"]
    response = client.post(
        f"/api/v1/operations/stores/{store.uid}/batches",
        {
            "category": "food",
            "quantity": 0,
            "produced_on": "2026-01-01",
            "expires_on": "2025-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "expires_before_produced"
    _nothing_written(before)
    ok = client.post(
        url, {"kind": "out", "category": "food", "quantity": 3}, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["quantity"] == 3
    detail = client.get(f"/api/v1/operations/stores/{store.uid}").json()
    assert detail.get("name"), detail
    assert detail["keeper_phone_masked"] == "138****5678"
    assert "13812345678" not in str(detail)
    assert client.get("/api/v1/operations/coverage").json()[0]["community"] == "310104003001"


def test_pages_show_the_board_and_record_a_check(org_tree, staff, login_client):
    store = make_store(staff["community"], org_tree["c1"])
    batch = receive(staff["community"], store, "food", 12, expires_in=20)
    client = login_client(staff["community"])
    page = client.get(f"/operations/supplies/stores/{store.uid}/")
    assert page.status_code == 200 and f"count_{batch.uid}" in page.content.decode()
    refused = client.post(
        f"/operations/supplies/stores/{store.uid}/check/", {f"count_{batch.uid}": "10"}
    )
    assert refused.status_code == 422 and not StockCheck.objects.exists()
    done = client.post(
        f"/operations/supplies/stores/{store.uid}/check/",
        {f"count_{batch.uid}": "10", "reason": "破损"},
    )
    assert done.status_code == 302
    assert selectors.stock_by_category([store]) == {store.pk: {"food": 10}}
    board = login_client(staff["street"]).get("/operations/supplies/")
    assert board.status_code == 200 and "宛平南路社区" in board.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections")
def test_concurrent_issues_never_take_the_stock_below_zero(org_tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, org_tree["c1"])
    store = make_store(staff, org_tree["c1"])
    receive(staff, store, "water", 10, expires_in=50)
    receive(staff, store, "water", 15, expires_in=90)
    barrier = threading.Barrier(20)
    outcomes: list = []

    def take(_index):
        from django.db import connections

        try:
            barrier.wait(timeout=20)
            outcomes.append(
                services.stock_move(
                    actor=staff, store=store, kind="out", category="water", quantity=3
                )
            )
        except Conflict as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    wins = [o for o in outcomes if not isinstance(o, Conflict)]
    losses = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(outcomes) == 20 and len(wins) == 8
    assert all(o.code == "insufficient_stock" for o in losses)
    assert selectors.stock_by_category([store]) == {store.pk: {"water": 1}}
    assert StockMovement.objects.filter(kind="out").count() == 8
    assert ledger.verify("supplies").ok


def test_suggestions_are_the_nearest_stores_with_stock(org_tree, staff):
    residents(org_tree["g1a"], 100)
    community = make_store(staff["community"], org_tree["c1"], lon=121.400, lat=31.200)
    near = make_store(staff["street"], org_tree["s1"], tier="street", lon=121.410, lat=31.200)
    far = make_store(staff["district"], org_tree["d1"], tier="district", lon=121.500, lat=31.200)
    empty = make_store(staff["street"], org_tree["s1"], tier="street", name="空库", lon=121.401)
    receive(staff["street"], near, "sandbag", 10)
    receive(staff["district"], far, "sandbag", 1000)
    # 100 residents × 10 per 100 a day × 3 days = 30 sandbags lacking.
    assert selectors.shortfall(actor=staff["street"], store=community, category="sandbag") == 30
    found = selectors.transfer_suggestions(
        actor=staff["street"],
        lon=community.lon,
        lat=community.lat,
        category="sandbag",
        quantity=30,
        exclude=community,
    )
    assert [s.store for s in found] == [near, far]
    assert empty not in [s.store for s in found]
    # About 951 m between 121.400 and 121.410 at latitude 31.2.
    assert 940 <= found[0].distance_m <= 960 and not found[0].covers and found[1].covers
    assert found[0].can_send and not found[1].can_send  # the street cannot send the district's


def test_dispatch_records_the_target_and_met_or_missed(org_tree, staff):
    community = make_store(staff["community"], org_tree["c1"])
    street = make_store(staff["street"], org_tree["s1"], tier="street", lon=121.41)
    receive(staff["street"], street, "water", 500)
    dispatch = services.dispatch_create(
        actor=staff["street"],
        from_store=street,
        to_store=community,
        category="water",
        quantity=200,
    )
    assert dispatch.target_minutes == 30 and dispatch.met_target is None
    assert selectors.stock_by_category([community]) == {community.pk: {"water": 200}}
    with pytest.raises(PermissionDenied):
        services.dispatch_receive(actor=staff["worker"], dispatch=dispatch, version=1)
    done = services.dispatch_receive(
        actor=staff["community"],
        dispatch=dispatch,
        version=1,
        received_at=dispatch.dispatched_at + timedelta(minutes=25),
    )
    assert done.met_target is True and done.minutes_taken == 25
    with pytest.raises(Conflict):
        services.dispatch_receive(actor=staff["community"], dispatch=done, version=2)
    late = services.dispatch_create(
        actor=staff["street"],
        from_store=street,
        to_store=community,
        category="water",
        quantity=100,
    )
    late = services.dispatch_receive(
        actor=staff["community"],
        dispatch=late,
        version=1,
        received_at=late.dispatched_at + timedelta(minutes=31),
    )
    assert late.met_target is False
    before = _counts()
    with pytest.raises(Conflict):
        services.dispatch_create(
            actor=staff["street"],
            from_store=street,
            to_store=community,
            category="water",
            quantity=201,
        )
    _nothing_written(before)
    assert Dispatch.objects.count() == 2


def test_pages_suggest_and_dispatch_a_transfer(org_tree, staff, login_client):
    residents(org_tree["g1a"], 100)
    community = make_store(staff["community"], org_tree["c1"])
    street = make_store(staff["street"], org_tree["s1"], tier="street", lon=121.41)
    receive(staff["street"], street, "sandbag", 100)
    client = login_client(staff["street"])
    board = client.get("/operations/supplies/").content.decode()
    assert f"store={community.uid}&amp;category=sandbag" in board
    page = client.get(
        f"/operations/supplies/transfers/?store={community.uid}&category=sandbag"
    ).content.decode()
    assert street.name in page and 'value="30"' in page
    sent = client.post(
        "/operations/supplies/dispatches/new/",
        {
            "from_store": street.uid,
            "to_store": community.uid,
            "category": "sandbag",
            "quantity": "30",
        },
    )
    assert sent.status_code == 302
    dispatch = Dispatch.objects.get()
    assert dispatch.quantity == 30
    listing = login_client(staff["community"]).get("/operations/supplies/dispatches/")
    assert "Received" in listing.content.decode() or "签收" in listing.content.decode()


KPI_CODES = {
    "supplies.communities_meeting_rule",
    "supplies.near_expiry_batches",
    "supplies.open_shortages",
}


def test_kpis_by_hand(org_tree, staff):
    from gridgov.kpis.registry import REGISTRY, parse_period

    residents(org_tree["g1a"], 100)
    residents(org_tree["g2a"], 100)
    store = make_store(staff["community"], org_tree["c1"])
    policy = supplies_policy()
    for code, cat in policy.categories.items():
        if code != "tent":  # 9 categories covered, tents short
            receive(staff["community"], store, code, math.ceil(100 * cat.norm_per_100 / 100 * 3))
    receive(staff["community"], store, "tent", 1, expires_in=10)  # near expiry
    period = parse_period("month")
    d1 = org_tree["d1"].path
    meeting = REGISTRY["supplies.communities_meeting_rule"].snapshot_values(d1, period)[None]
    assert (meeting.numerator, meeting.denominator) == (0, 1)
    short = REGISTRY["supplies.open_shortages"].snapshot_values(d1, period)[None]
    assert (short.numerator, short.denominator, short.value) == (1, 10, 10.0)
    near = REGISTRY["supplies.near_expiry_batches"].snapshot_values(d1, period)[None]
    assert (near.numerator, near.denominator) == (1, 10)
    receive(staff["community"], store, "tent", 5)
    meeting = REGISTRY["supplies.communities_meeting_rule"].snapshot_values(d1, period)[None]
    assert (meeting.numerator, meeting.denominator, meeting.value) == (1, 1, 100.0)
    # The other district: its community has residents and no store.
    other = REGISTRY["supplies.open_shortages"].snapshot_values(org_tree["d2"].path, period)
    assert other[None].numerator == 10


def test_the_add_buttons_read_add_in_chinese(staff, client, login_client):
    """The word "Add" was translated 「上传」 (a documents form's word) on every page that used it."""
    login_client(staff["community"])
    page = client.get("/operations/supplies/stores/new/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    button = page.content.decode().split('type="submit">')[-1].split("</button>")[0]
    assert button == "添加"
