"""Acts whose earning rule needs approval: recorded once when they happen, listed for the
ledger's staff (masked name), credited as the rule gives when approved (the approver named
on the transaction) or declined with the reason; decided once, and only in scope."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.audit.models import AuditRecord
from gridgov.core.models import LedgerTransaction
from gridgov.participation import services_points as points
from gridgov.participation.models import PendingCredit
from gridgov.participation.tests import ledger_world


@pytest.fixture
def world(org_tree, make_user):
    world = ledger_world.build(org_tree, make_user)
    rules = points.policy_in_force("participation.points").value.earning
    earning = {code: rule.model_dump() for code, rule in rules.items()}
    earning["proposal_adopted"]["needs_approval"] = True
    ledger_world.set_policy("participation.points", earning=earning)
    return world


def _act(world, source):
    return points.credit_points(resident=world["mother"], action="proposal_adopted", source=source)


def test_the_act_waits_once_and_the_page_approves_it(world, login_client):
    mother = world["mother"]
    assert _act(world, mother.household).note == "needs_approval"
    assert _act(world, mother.household).note == "needs_approval"  # resent: still one
    (waiting,) = PendingCredit.objects.all()
    assert (waiting.state, waiting.source) == ("pending", f"people.household:{mother.household.pk}")
    assert not LedgerTransaction.objects.filter(action="proposal_adopted").exists()

    staff = login_client(world["staff"], Client(HTTP_ACCEPT_LANGUAGE="zh-hans"))
    page = staff.get("/participation/points/approvals/").content.decode()
    assert "王**" in page and "王阿姨" not in page and 'id="waiting-count">1<' in page
    staff.post(
        f"/participation/points/approvals/{waiting.uid}/",
        {"decision": "approve", "version": waiting.version},
    )
    waiting.refresh_from_db()
    assert (waiting.state, waiting.points, waiting.decided_by) == (
        "approved",
        20,
        world["staff"],
    )
    txn = LedgerTransaction.objects.get(action="proposal_adopted")
    assert txn.approver == world["staff"]
    again = staff.post(
        f"/participation/points/approvals/{waiting.uid}/",
        {"decision": "approve", "version": waiting.version},
        follow=True,
    ).content.decode()
    assert "已经处理" in again or "already been decided" in again
    assert LedgerTransaction.objects.filter(action="proposal_adopted").count() == 1
    assert AuditRecord.objects.filter(action="participation.points.approve").count() == 1


def test_the_api_declines_with_a_reason_and_keeps_scope(world, login_client, make_user, org_tree):
    mother = world["mother"]
    _act(world, mother)
    waiting = PendingCredit.objects.get()
    staff = login_client(world["staff"], Client(HTTP_ACCEPT_LANGUAGE="en"))
    listed = staff.get("/api/v1/participation/points/pending").json()
    assert listed["count"] == 1 and listed["items"][0]["resident_masked"] == "王**"
    url = f"/api/v1/participation/points/pending/{waiting.uid}"
    bare = staff.post(url, {"decision": "decline"}, content_type="application/json")
    assert bare.status_code == 422 and "reason" in bare.json()["details"]
    odd = staff.post(url, {"decision": "maybe"}, content_type="application/json")
    assert odd.status_code == 422 and "decision" in odd.json()["details"]
    outsider = login_client(world["outsider"], Client(HTTP_ACCEPT_LANGUAGE="en"))
    assert outsider.get("/api/v1/participation/points/pending").json()["count"] == 0
    foreign = outsider.post(url, {"decision": "approve"}, content_type="application/json")
    assert foreign.status_code == 404
    declined = staff.post(
        url, {"decision": "decline", "reason": "提案未实际采纳"}, content_type="application/json"
    )
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    late = staff.post(url, {"decision": "approve"}, content_type="application/json")
    assert late.status_code == 409
    assert not LedgerTransaction.objects.filter(action="proposal_adopted").exists()
    by_source = staff.post(
        "/api/v1/participation/points/credits",
        {"resident": str(mother.uid), "action": "proposal_adopted", "source": waiting.source},
        content_type="application/json",
    )
    assert by_source.status_code == 409 and by_source.json()["code"] == "declined"


def test_crediting_by_source_clears_the_waiting_act(world):
    mother = world["mother"]
    _act(world, mother)
    credit = points.approve_credit(
        actor=world["staff"],
        resident_id=mother.pk,
        action="proposal_adopted",
        source=f"people.resident:{mother.pk}",
    )
    assert credit.created and credit.points == 20
    assert PendingCredit.objects.get().state == "approved"
