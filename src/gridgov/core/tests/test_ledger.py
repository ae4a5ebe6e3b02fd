"""The shared ledger (core/ledger.py): balanced transactions, precision, one posting per
source, reversal, append-only entries, stored balances that verify, no overdraft."""

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from gridgov.core import ledger
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.models import LedgerAccount, LedgerEntry

pytestmark = pytest.mark.django_db


def _accounts(code="pts", places=0, holders=1):
    issuer = ledger.account(code, "system", "issuer", ledger.Kind.ISSUER, places=places)
    people = [ledger.account(code, "person", str(i), places=places) for i in range(holders)]
    return issuer, people


def _credit(code, issuer, holder, amount, source, **kw):
    return ledger.post(
        code,
        [(issuer, -Decimal(amount)), (holder, Decimal(amount))],
        action="earn",
        source_key=source,
        **kw,
    )


def test_post_keeps_balances_and_verifies():
    issuer, (alice,) = _accounts()
    _credit("pts", issuer, alice, 5, "vote:1")
    _credit("pts", issuer, alice, 3, "vote:2")
    alice.refresh_from_db()
    issuer.refresh_from_db()
    assert alice.balance == 8 and issuer.balance == -8
    assert ledger.derived_balance(alice) == 8
    assert ledger.verify().ok
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "OK: 2 transactions, 4 entries, 2 accounts" in out.getvalue()


def test_same_source_is_posted_once():
    issuer, (alice,) = _accounts()
    first = _credit("pts", issuer, alice, 5, "vote:1")
    again = _credit("pts", issuer, alice, 5, "vote:1")
    assert first.created and not again.created
    assert again.transaction.pk == first.transaction.pk
    alice.refresh_from_db()
    assert alice.balance == 5 and LedgerEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("legs", "field"),
    [
        ([-5, 4], "amount"),  # does not sum to zero
        (["-1.5", "1.5"], "amount"),  # fractional point
        ([0, 0], "amount"),
        (["x", "1"], "amount"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(legs, field):
    issuer, (alice,) = _accounts()
    with pytest.raises(ValidationFailed) as err:
        ledger.post("pts", [(issuer, legs[0]), (alice, legs[1])], action="earn", source_key="s")
    assert field in err.value.details
    assert not LedgerEntry.objects.exists()


def test_a_credit_without_a_source_is_refused():
    issuer, (alice,) = _accounts()
    with pytest.raises(ValidationFailed) as err:
        _credit("pts", issuer, alice, 5, "")
    assert "source" in err.value.details


def test_hours_take_two_places():
    issuer, (alice,) = _accounts("hrs", places=2)
    _credit("hrs", issuer, alice, "1.25", "shift:1")
    with pytest.raises(ValidationFailed):
        _credit("hrs", issuer, alice, "0.125", "shift:2")
    alice.refresh_from_db()
    assert alice.balance == Decimal("1.25")


def test_holder_cannot_be_overdrawn():
    issuer, (alice,) = _accounts()
    sink = ledger.account("pts", "system", "sink", ledger.Kind.SINK)
    _credit("pts", issuer, alice, 5, "vote:1")
    with pytest.raises(Conflict) as err:
        ledger.post("pts", [(alice, -6), (sink, 6)], action="redeem", source_key="r1")
    assert err.value.code == "insufficient_balance" and err.value.status == 409
    alice.refresh_from_db()
    assert alice.balance == 5 and LedgerEntry.objects.count() == 2


def test_reversal_mirrors_and_needs_reason_and_another_approver(make_user):
    maker, approver = make_user(), make_user()
    issuer, (alice,) = _accounts()
    original = _credit("pts", issuer, alice, 5, "vote:1", created_by=maker).transaction
    with pytest.raises(ValidationFailed) as err:
        ledger.reverse(original, reason="  ", approver=approver)
    assert "reason" in err.value.details
    with pytest.raises(ValidationFailed) as err:
        ledger.reverse(original, reason="wrong resident", approver=maker)
    assert err.value.code == "separation_of_duties"
    back = ledger.reverse(original, reason="wrong resident", approver=approver)
    assert back.reversal_of == original and back.approver == approver
    assert sorted(e.amount for e in back.entries.all()) == [-5, 5]
    alice.refresh_from_db()
    assert alice.balance == 0
    with pytest.raises(Conflict):
        ledger.reverse(original, reason="again", approver=approver)
    with pytest.raises(Conflict):
        ledger.reverse(back, reason="undo", approver=maker)
    assert ledger.verify().ok


def test_entries_cannot_be_updated_or_deleted():
    issuer, (alice,) = _accounts()
    _credit("pts", issuer, alice, 5, "vote:1")
    entry = LedgerEntry.objects.get(account=alice)
    for sql in (
        "UPDATE core_ledgerentry SET amount = 500 WHERE id = %s",
        "DELETE FROM core_ledgerentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 5


def test_tampered_balance_is_found_by_verify():
    issuer, (alice,) = _accounts()
    _credit("pts", issuer, alice, 5, "vote:1")
    LedgerAccount.objects.filter(pk=alice.pk).update(balance=50)
    result = ledger.verify()
    assert not result.ok and result.mismatched == [(alice.pk, "pts", Decimal(50), Decimal(5))]
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("ledger", "verify", stdout=out)
    assert f"BALANCE account {alice.pk} (pts): stored 50" in out.getvalue()


def test_unbalanced_transaction_is_found_by_verify():
    from gridgov.core import ledger_triggers

    issuer, (alice,) = _accounts()
    txn = _credit("pts", issuer, alice, 5, "vote:1").transaction
    # What a rogue DBA could do with the triggers lifted.
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SET CONSTRAINTS ALL IMMEDIATE")
    ledger_triggers.lift(connection)
    try:
        LedgerEntry.objects.filter(transaction=txn, account=alice).update(amount=7)
    finally:
        ledger_triggers.create(connection)
    result = ledger.verify()
    assert (txn.pk, Decimal(2)) in result.unbalanced
    assert {m[0] for m in result.mismatched} == {alice.pk}


@pytest.mark.django_db(transaction=True)
def test_concurrent_spending_cannot_overdraw():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads need PostgreSQL")
    issuer, (alice,) = _accounts()
    sink = ledger.account("pts", "system", "sink", ledger.Kind.SINK)
    _credit("pts", issuer, alice, 7, "vote:1")
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def spend(i):
        from django.db import connections

        try:
            barrier.wait()
            ledger.post("pts", [(alice, -1), (sink, 1)], action="redeem", source_key=f"r{i}")
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 7 and outcomes.count("refused") == 13
    alice.refresh_from_db()
    assert alice.balance == 0
    assert ledger.verify().ok
