"""Points and the time bank: credits from source records (once each), caps, expiry,
redemption within balance and stock, pick-up by code, refunds and corrections as reversing
entries with an audit trail, hours deposited, spent and transferred within a household."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from gridgov.audit.models import AuditRecord
from gridgov.core import ledger
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.models import LedgerEntry, LedgerTransaction
from gridgov.participation import selectors_points as read
from gridgov.participation import services_points as points
from gridgov.participation import signals
from gridgov.participation.models import Redemption
from gridgov.participation.tests import ledger_world


@pytest.fixture
def world(org_tree, make_user):
    return ledger_world.build(org_tree, make_user)


def _sources(world, n):
    """Distinct existing records to stand as the acts' sources (households of the world)."""
    from gridgov.people.models import Household

    made = [
        Household.objects.create(
            grid=world["tree"]["g1a"],
            scope_path=world["tree"]["g1a"].path,
            number=f"S{n}-{i}",
            address="x",
            kind="family",
        )
        for i in range(n)
    ]
    return made


def _points(resident):
    return read.balances(resident)["points"]


def test_a_vote_credits_once_per_source(world):
    mother = world["mother"]
    (ballot,) = _sources(world, 1)
    signals.vote_cast.send(sender=None, resident=mother, source=ballot)
    signals.vote_cast.send(sender=None, resident=mother, source=ballot)
    assert _points(mother) == 2
    assert LedgerTransaction.objects.filter(action="vote_cast").count() == 1
    assert AuditRecord.objects.filter(action="participation.points.credit").count() == 1
    assert ledger.verify().ok


def test_a_credit_needs_a_source(world):
    with pytest.raises(ValidationFailed) as err:
        points.credit_points(resident=world["mother"], action="vote_cast", source=None)
    assert "source" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        points.credit_points(resident=world["mother"], action="cheer", source=world["item"])
    assert "action" in err.value.details


def test_daily_and_monthly_caps_clip_credits(world):
    mother = world["mother"]
    sources = _sources(world, 8)
    now = timezone.localtime().replace(day=10, hour=12)
    # Default: 2 points a vote, at most 10 a day, 40 a month.
    results = [
        points.credit_points(resident=mother, action="vote_cast", source=s, occurred_at=now)
        for s in sources[:6]
    ]
    assert [r.points for r in results] == [2, 2, 2, 2, 2, 0]
    assert results[-1].note == "cap_reached" and results[-1].transaction is None
    assert _points(mother) == 10
    # Next day the daily cap starts again.
    later = points.credit_points(
        resident=mother, action="vote_cast", source=sources[6], occurred_at=now + timedelta(days=1)
    )
    assert later.points == 2


def test_volunteer_hours_earn_points_and_deposit_hours(world):
    mother, staff = world["mother"], world["staff"]
    (shift,) = _sources(world, 1)
    signals.hours_approved.send(
        sender=None, resident=mother, source=shift, hours=Decimal("2.5"), approver=staff
    )
    assert read.balances(mother) == {"points": 25, "timebank": Decimal("2.50")}
    assert AuditRecord.objects.filter(action="participation.timebank.deposit").count() == 1


def test_redeem_pick_up_with_code(world):
    mother, staff, item = world["mother"], world["staff"], world["item"]
    points.credit_points(resident=mother, action="proposal_adopted", source=_sources(world, 1)[0])
    points.credit_points(resident=mother, action="proposal_adopted", source=_sources(world, 2)[1])
    order, code = points.redeem(actor=world["users"]["mother"], item_uid=item.uid)
    assert len(code) == 8 and code not in order.code_digest
    assert _points(mother) == 10
    item.refresh_from_db()
    assert item.stock == 1
    with pytest.raises(NotFound):
        points.pick_up(actor=world["outsider"], code=code)
    with pytest.raises(NotFound):
        points.pick_up(actor=staff, code="00000000" if code != "00000000" else "11111111")
    with pytest.raises(ValidationFailed) as err:
        points.pick_up(actor=staff, code="12")
    assert "code" in err.value.details
    done = points.pick_up(actor=staff, code=code)
    assert done.state == Redemption.State.PICKED_UP
    assert AuditRecord.objects.filter(action="participation.points.pickup").count() == 1


def test_redemption_beyond_balance_or_stock_writes_nothing(world):
    mother, item = world["mother"], world["item"]
    points.credit_points(resident=mother, action="proposal_adopted", source=_sources(world, 1)[0])
    before = LedgerEntry.objects.count()
    with pytest.raises(Conflict) as err:
        points.redeem(actor=world["users"]["mother"], item_uid=item.uid)
    assert err.value.status == 409 and err.value.code == "insufficient_balance"
    assert LedgerEntry.objects.count() == before and not Redemption.objects.exists()
    item.refresh_from_db()
    assert item.stock == 2
    item.stock = 0
    item.save()
    for s in _sources(world, 3)[1:]:
        points.credit_points(resident=mother, action="proposal_adopted", source=s)
    with pytest.raises(Conflict) as err:
        points.redeem(actor=world["users"]["mother"], item_uid=item.uid)
    assert err.value.code == "out_of_stock"
    assert not Redemption.objects.exists()


def test_cancel_refunds_by_reversal_and_restores_stock(world):
    mother, staff, item = world["mother"], world["staff"], world["item"]
    for s in _sources(world, 2):
        points.credit_points(resident=mother, action="proposal_adopted", source=s)
    order, _code = points.redeem(actor=world["users"]["mother"], item_uid=item.uid)
    with pytest.raises(ValidationFailed) as err:
        points.cancel_redemption(actor=staff, uid=order.uid, reason=" ", version=order.version)
    assert "reason" in err.value.details
    done = points.cancel_redemption(
        actor=staff, uid=order.uid, reason="居民不需要了", version=order.version
    )
    assert done.state == Redemption.State.CANCELLED
    assert _points(mother) == 40
    item.refresh_from_db()
    assert item.stock == 2
    refund = LedgerTransaction.objects.get(action="refund")
    assert refund.reversal_of == order.transaction and refund.approver == staff
    assert ledger.verify().ok


def test_uncollected_redemption_and_old_points_expire(world):
    mother, item = world["mother"], world["item"]
    sources = _sources(world, 3)
    long_ago = timezone.now() - timedelta(days=800)  # past the 24-month default
    points.credit_points(
        resident=mother, action="proposal_adopted", source=sources[0], occurred_at=long_ago
    )
    points.credit_points(resident=mother, action="proposal_adopted", source=sources[1])
    points.credit_points(resident=mother, action="proposal_adopted", source=sources[2])
    order, _code = points.redeem(actor=world["users"]["mother"], item_uid=item.uid)
    # Balance 60 − 30 = 30; the old 20 were spent first, so nothing lapses yet.
    assert points.expire()["accounts"] == 0
    counts = points.expire(timezone.now() + timedelta(days=15))
    assert counts["redemptions"] == 1
    order.refresh_from_db()
    assert order.state == Redemption.State.EXPIRED
    # The refund (30) is good; of 60 held, 40 are fresh credits + 30 refund ≥ 60: none lapse.
    assert _points(mother) == 60
    # Two years on, everything earned has lapsed; the refund stays.
    points.expire(timezone.now() + timedelta(days=365 * 3))
    assert _points(mother) == 30
    assert AuditRecord.objects.filter(action="participation.points.expire").count() == 2
    assert ledger.verify().ok
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("points_expire", stdout=out)
    assert "redemptions expired: 0" in out.getvalue()


def test_correction_is_a_reversal_by_someone_else_with_reason(world):
    mother, staff, other = world["mother"], world["staff"], world["other"]
    (shift,) = _sources(world, 1)
    signals.hours_approved.send(
        sender=None, resident=mother, source=shift, hours=Decimal("1"), approver=staff
    )
    deposit = LedgerTransaction.objects.get(action="deposit")
    with pytest.raises(ValidationFailed) as err:
        points.correct(actor=other, transaction_id=deposit.pk, reason="")
    assert "reason" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        points.correct(actor=staff, transaction_id=deposit.pk, reason="记错人了")
    assert err.value.code == "separation_of_duties"
    with pytest.raises(NotFound):
        points.correct(actor=world["outsider"], transaction_id=deposit.pk, reason="x")
    back = points.correct(actor=other, transaction_id=deposit.pk, reason="记错人了")
    assert back.reversal_of == deposit
    assert read.balances(mother)["timebank"] == 0
    record = AuditRecord.objects.get(action="participation.ledger.reverse")
    assert record.changes["reason"] == "记错人了" and record.changes["reverses"] == deposit.pk
    lines = read.statement(mother, "timebank")
    assert [line.is_reversal for line in lines] == [True, False]
    assert lines[1].reversed


def test_transfer_to_family_only_and_by_policy(world):
    mother, son, users = world["mother"], world["son"], world["users"]
    points.deposit_hours(resident=mother, source=_sources(world, 1)[0], hours=3)
    with pytest.raises(NotFound) as err:
        points.transfer_hours(actor=users["mother"], to_resident_id=world["neighbour"].pk, hours=1)
    assert err.value.code == "not_family"
    with pytest.raises(ValidationFailed) as err:
        points.transfer_hours(actor=users["mother"], to_resident_id=son.pk, hours="-1")
    assert "hours" in err.value.details
    with pytest.raises(Conflict):
        points.transfer_hours(actor=users["mother"], to_resident_id=son.pk, hours=5)
    points.transfer_hours(
        actor=users["mother"], to_resident_id=son.pk, hours="1.5", request_key="a"
    )
    points.transfer_hours(
        actor=users["mother"], to_resident_id=son.pk, hours="1.5", request_key="a"
    )
    assert read.balances(son)["timebank"] == Decimal("1.5")
    assert read.balances(mother)["timebank"] == Decimal("1.5")
    ledger_world.set_policy("participation.timebank", family_transfer=False)
    with pytest.raises(Conflict) as err:
        points.transfer_hours(actor=users["mother"], to_resident_id=son.pk, hours="0.5")
    assert err.value.code == "transfer_off"
    assert AuditRecord.objects.filter(action="participation.timebank.transfer").count() == 1


def test_withdraw_needs_a_completed_order_once(world):
    mother, staff = world["mother"], world["staff"]
    res = ledger_world.resource(world["tree"]["c1"], name="助浴")
    points.deposit_hours(resident=mother, source=_sources(world, 1)[0], hours=3)
    order = ledger_world.completed_order(world, mother, res, hours="2.0")
    with pytest.raises(NotFound):
        points.withdraw_hours(actor=world["outsider"], order_uid=order.uid, hours=2)
    with pytest.raises(ValidationFailed) as err:
        points.withdraw_hours(actor=staff, order_uid=order.uid, hours="0.001")
    assert "hours" in err.value.details
    points.withdraw_hours(actor=staff, order_uid=order.uid, hours=2)
    with pytest.raises(Conflict) as err:
        points.withdraw_hours(actor=staff, order_uid=order.uid, hours=1)
    assert err.value.code == "already_spent"
    assert read.balances(mother)["timebank"] == 1
    assert AuditRecord.objects.filter(action="participation.timebank.withdraw").count() == 1


def test_volunteer_delivered_order_deposits_hours_and_rating_credits_points(world):
    from gridgov.lists.models import ResourceOperator
    from gridgov.lists.signals import order_completed, order_resident_rated

    son, mother = world["son"], world["mother"]
    team = ledger_world.resource(
        world["tree"]["c1"],
        name="巧手志愿队",
        resource_class="volunteer",
        provider_kind="volunteer_team",
    )
    ResourceOperator.objects.create(resource=team, user=world["users"]["son"], created_by_name="s")
    order = ledger_world.completed_order(world, mother, team, hours="1.5")
    order_completed.send(sender=None, order=order)
    order_completed.send(sender=None, order=order)
    assert read.balances(son)["timebank"] == Decimal("1.5")
    order_resident_rated.send(sender=None, order=order)
    assert read.balances(mother)["points"] == 1
    # A non-volunteer provider deposits nothing.
    plain = ledger_world.completed_order(
        world, mother, ledger_world.resource(world["tree"]["c1"], name="家政公司"), hours="3.0"
    )
    order_completed.send(sender=None, order=plain)
    assert read.balances(son)["timebank"] == Decimal("1.5")


# Counted by hand below (the registry's test checks every KPI has an expectation).
KPI_CODES = ("points.redemption_rate", "points.active_accounts", "timebank.hours_balance")


def test_kpis_from_hand_computed_entries(world):
    """mother earns 20 + 20 and redeems 30; son earns 2 and nothing else; the neighbour has
    an account opened last month and no movement this month. Hours: mother 3 deposited,
    1.5 transferred to son, son spends 1 on a service → held 2.0 in all."""
    from gridgov.kpis.registry import REGISTRY, parse_period

    mother, son, neighbour = world["mother"], world["son"], world["neighbour"]
    now = timezone.localtime()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month = start + (now - start) / 2  # inside this month, before now
    s = _sources(world, 4)
    points.credit_points(resident=mother, action="proposal_adopted", source=s[0], occurred_at=month)
    points.credit_points(resident=mother, action="proposal_adopted", source=s[1], occurred_at=month)
    points.credit_points(resident=son, action="vote_cast", source=s[2], occurred_at=month)
    points.credit_points(
        resident=neighbour, action="vote_cast", source=s[3], occurred_at=start - timedelta(days=10)
    )
    points.redeem(actor=world["users"]["mother"], item_uid=world["item"].uid)
    points.deposit_hours(resident=mother, source=mother, hours=3)
    points.transfer_hours(actor=world["users"]["mother"], to_resident_id=son.pk, hours="1.5")
    res = ledger_world.resource(world["tree"]["c1"], name="助洁")
    order = ledger_world.completed_order(world, son, res)
    points.withdraw_hours(actor=world["staff"], order_uid=order.uid, hours=1)

    period = parse_period("month", timezone.localdate().isoformat())
    c1 = world["tree"]["c1"].path
    rate = REGISTRY["points.redemption_rate"].snapshot_values(c1, period)[None]
    assert (rate.numerator, rate.denominator, rate.value) == (30, 42, round(3000 / 42, 2))
    act = REGISTRY["points.active_accounts"].snapshot_values(c1, period)[None]
    assert (act.numerator, act.denominator) == (2, 3)
    held = REGISTRY["timebank.hours_balance"].snapshot_values(c1, period)[None]
    assert (held.numerator, held.denominator, held.value) == (2.0, 2, 1.0)
    # Nothing of c1 is seen from the other district.
    c2 = world["tree"]["c2"].path
    assert REGISTRY["points.redemption_rate"].snapshot_values(c2, period)[None].denominator == 0
