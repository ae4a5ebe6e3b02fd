"""An append-only double-entry ledger, written once for every app that keeps a count of
something people hold: points, the time bank, later the emergency-supply stock.

- A **ledger** (``Ledger``) has a code and a precision (``places``: 0 for whole points,
  2 for hours).
- An **account** belongs to an owner (a plain key: ``"people.resident"`` and the record's
  id, or a system name such as ``"issuer"``) and has a kind: a holder (never below zero), an
  issuer (may go negative: what it issued), a redemption sink, a reserve.
- A **transaction** is a set of entries summing to zero, with an action, the key of the
  source record that justifies it — (ledger, action, source) is unique, so a source is
  posted once — a reason, who wrote it and, for a correction, who approved it.
- Entries are never updated or deleted (a database trigger refuses it). A correction is a
  new transaction mirroring the original (``reverse``), with a reason and an approver who
  is not the person who wrote the original.
- Each account's balance is derived from its entries and also kept on the account, updated
  in the same transaction under ``select_for_update`` of the accounts, taken in id order
  so two transactions touching the same accounts never deadlock. An account whose kind
  forbids it cannot be overdrawn, whatever runs concurrently.
- ``verify()`` (``gridgov ledger verify``) checks that every transaction sums to zero and
  every stored balance equals the sum of its entries.

Audit records are the calling app's business: this module imports no app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.models import Ledger, LedgerAccount, LedgerEntry, LedgerTransaction

Kind = LedgerAccount.Kind
# The kinds that may hold a negative balance unless an account says otherwise.
NEGATIVE_ALLOWED = {Kind.ISSUER}


def ledger(code: str, places: int = 0) -> Ledger:
    """The ledger of that code (created on first use with its precision)."""
    found, _created = Ledger.objects.get_or_create(code=code, defaults={"places": places})
    return found


def account(
    ledger_code: str,
    owner_type: str,
    owner_id: str | int,
    kind: str = Kind.HOLDER,
    *,
    scope_path: str = "",
    places: int = 0,
) -> LedgerAccount:
    """The account of that owner and kind in the ledger (created on first use)."""
    book = ledger(ledger_code, places)
    found, _created = LedgerAccount.objects.get_or_create(
        ledger=book,
        owner_type=owner_type,
        owner_id=str(owner_id),
        kind=kind,
        defaults={"scope_path": scope_path, "allow_negative": kind in NEGATIVE_ALLOWED},
    )
    return found


def quantize(book: Ledger, value, field_name: str = "amount") -> Decimal:
    """``value`` as a Decimal of the ledger's precision; a value with more places (a
    fractional point) or not a number is refused, naming the field."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(details={field_name: [_("Enter a number.")]}) from None
    if not amount.is_finite():
        raise ValidationFailed(details={field_name: [_("Enter a number.")]})
    step = Decimal(1).scaleb(-book.places)
    rounded = amount.quantize(step, rounding=ROUND_HALF_UP)
    if rounded != amount:
        message = (
            _("Only whole numbers are allowed here.")
            if book.places == 0
            else _("At most %(places)d decimal places are allowed here.") % {"places": book.places}
        )
        raise ValidationFailed(details={field_name: [message]})
    return rounded


@dataclass
class Posted:
    """What ``post`` did: the transaction, and whether it was written now (False: the
    source had already been posted, and that earlier transaction is returned)."""

    transaction: LedgerTransaction
    created: bool


def _lock(accounts: Iterable[LedgerAccount]) -> dict[int, LedgerAccount]:
    ids = sorted({a.pk for a in accounts})
    # Fixed order (by id) so concurrent transactions over the same accounts never deadlock.
    locked = LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {a.pk: a for a in locked}


def post(
    ledger_code: str,
    legs: list[tuple[LedgerAccount, Decimal | int | str]],
    *,
    action: str,
    source_key: str,
    reason: str = "",
    created_by=None,
    created_by_name: str = "",
    approver=None,
    occurred_at: datetime | None = None,
    expires_at: datetime | None = None,
    reversal_of: LedgerTransaction | None = None,
) -> Posted:
    """Write one transaction. ``legs`` are (account, amount) pairs summing to zero.

    Refused (nothing written): no source key (``ValidationFailed`` on ``source``), legs
    that do not balance, an amount finer than the ledger's precision, a zero amount, an
    account of another ledger, or a holder that would go below zero (``Conflict``
    ``insufficient_balance``, 409). The same (action, source) posted again returns the
    first transaction with ``created=False`` and writes nothing: an idempotent repeat.
    """
    book = Ledger.objects.get(code=ledger_code)
    if not source_key or not str(source_key).strip():
        raise ValidationFailed(
            _("Every ledger entry needs the record that justifies it."),
            details={"source": [_("Name the record that justifies this entry.")]},
        )
    if not legs:
        raise ValidationFailed(details={"amount": [_("Enter an amount.")]})
    amounts = []
    for acct, value in legs:
        if acct.ledger_id != book.pk:
            raise ValidationFailed(details={"account": [_("The account is of another ledger.")]})
        amount = quantize(book, value)
        if amount == 0:
            raise ValidationFailed(details={"amount": [_("The amount cannot be zero.")]})
        amounts.append((acct, amount))
    if sum(a for _acct, a in amounts) != 0:
        raise ValidationFailed(details={"amount": [_("The entries do not sum to zero.")]})

    existing = LedgerTransaction.objects.filter(
        ledger=book, action=action, source_key=source_key
    ).first()
    if existing is not None:
        return Posted(existing, created=False)

    with transaction.atomic():
        locked = _lock(a for a, _amount in amounts)
        change: dict[int, Decimal] = {}
        for acct, amount in amounts:
            change[acct.pk] = change.get(acct.pk, Decimal(0)) + amount
        for pk, delta in change.items():
            acct = locked[pk]
            if delta < 0 and not acct.allow_negative and acct.balance + delta < 0:
                raise Conflict(
                    _("The balance (%(balance)s) does not cover this (%(amount)s).")
                    % {"balance": _fmt(book, acct.balance), "amount": _fmt(book, -delta)},
                    code="insufficient_balance",
                    details={"amount": [_("More than the balance.")]},
                )
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    ledger=book,
                    action=action,
                    source_key=str(source_key)[:120],
                    reason=reason[:300],
                    created_by=created_by if getattr(created_by, "pk", None) else None,
                    created_by_name=(created_by_name or _name(created_by))[:150],
                    approver=approver,
                    occurred_at=occurred_at or timezone.now(),
                    expires_at=expires_at,
                    reversal_of=reversal_of,
                )
        except IntegrityError:
            # Posted by a concurrent request between the check and the insert.
            existing = LedgerTransaction.objects.filter(
                ledger=book, action=action, source_key=source_key
            ).first()
            if existing is None:
                raise
            return Posted(existing, created=False)
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(transaction=txn, account_id=a.pk, amount=amt) for a, amt in amounts]
        )
        for pk, delta in change.items():
            acct = locked[pk]
            acct.balance = acct.balance + delta
            LedgerAccount.objects.filter(pk=pk).update(balance=acct.balance)
    return Posted(txn, created=True)


def reverse(
    original: LedgerTransaction,
    *,
    reason: str,
    approver,
    created_by=None,
    action: str = "reversal",
    by_rule: str = "",
) -> LedgerTransaction:
    """A new transaction mirroring ``original`` (every entry negated). Needs a reason and
    an approver who did not write the original — or, for a reversal a policy makes on its
    own (an uncollected redemption expiring), ``by_rule`` naming the rule; a transaction is
    reversed at most once, and a reversal is not itself reversed. The holder's balance must
    still cover it."""
    if not (reason or "").strip():
        raise ValidationFailed(
            _("A correction needs its reason."),
            details={"reason": [_("Give the reason for the correction.")]},
        )
    if approver is None and not by_rule:
        raise ValidationFailed(details={"approver": [_("A correction needs an approver.")]})
    if approver is not None and original.created_by_id == approver.pk:
        raise ValidationFailed(
            _("A correction is approved by someone other than who made the original entry."),
            code="separation_of_duties",
            details={"approver": [_("You made the original entry.")]},
        )
    if original.reversal_of_id is not None:
        raise Conflict(_("A correction cannot itself be reversed."), code="is_reversal")
    if LedgerTransaction.objects.filter(reversal_of=original).exists():
        raise Conflict(_("This entry has already been reversed."), code="already_reversed")
    legs = [(e.account, -e.amount) for e in original.entries.select_related("account")]
    try:
        posted = post(
            original.ledger.code,
            legs,
            action=action,
            source_key=f"txn:{original.pk}",
            reason=reason.strip(),
            created_by=created_by or approver,
            created_by_name="" if approver is not None or created_by else by_rule,
            approver=approver,
            reversal_of=original,
        )
    except IntegrityError:
        raise Conflict(
            _("This entry has already been reversed."), code="already_reversed"
        ) from None
    if not posted.created:
        raise Conflict(_("This entry has already been reversed."), code="already_reversed")
    return posted.transaction


def derived_balance(acct: LedgerAccount) -> Decimal:
    """The account's balance as the sum of its entries."""
    total = LedgerEntry.objects.filter(account=acct).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


@dataclass
class Verification:
    transactions: int = 0
    accounts: int = 0
    entries: int = 0
    unbalanced: list[tuple[int, Decimal]] = field(default_factory=list)
    mismatched: list[tuple[int, str, Decimal, Decimal]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unbalanced and not self.mismatched


def verify(ledger_code: str | None = None) -> Verification:
    """Every transaction sums to zero and every stored balance equals the sum of its
    entries (two grouped sums in the database; nothing is loaded row by row)."""
    result = Verification()
    txns = LedgerTransaction.objects.all()
    accts = LedgerAccount.objects.all()
    entries = LedgerEntry.objects.all()
    if ledger_code:
        txns = txns.filter(ledger__code=ledger_code)
        accts = accts.filter(ledger__code=ledger_code)
        entries = entries.filter(account__ledger__code=ledger_code)
    result.transactions = txns.count()
    sums = (
        entries.values("transaction_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .values_list("transaction_id", "total")
        .order_by()
    )
    result.unbalanced = sorted(sums)
    # One pass over the entries gives each account's sum and the number of entries.
    by_account = {}
    for pk, total, n in (
        entries.values("account_id")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .values_list("account_id", "total", "n")
        .order_by()
    ):
        by_account[pk] = total
        result.entries += n
    for pk, label, stored in accts.values_list("pk", "ledger__code", "balance").order_by("pk"):
        result.accounts += 1
        derived = by_account.get(pk) or Decimal(0)
        if derived != stored:
            result.mismatched.append((pk, label, stored, derived))
    return result


def _fmt(book: Ledger, value: Decimal) -> str:
    return f"{value:.{book.places}f}"


def _name(actor) -> str:
    if actor is None:
        return ""
    if getattr(actor, "pk", None):
        return actor.get_full_name() or actor.get_username()
    return str(getattr(actor, "name", "") or actor)
