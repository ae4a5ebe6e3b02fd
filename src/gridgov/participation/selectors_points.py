"""Reads of the points ledger and the time bank: a resident's balances and statement, the
staff overview per unit, the catalogue and the redemption orders (all through scope)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import LedgerAccount, LedgerEntry
from gridgov.core.scoping import path_filter
from gridgov.participation.models import CatalogueItem, PendingCredit, Redemption
from gridgov.participation.services_points import (
    HOURS,
    PLACES,
    POINTS,
    RESIDENT,
    resident_in_scope,
)
from gridgov.people.models import Resident

ACTION_LABELS = {
    "vote_cast": _("vote cast"),
    "proposal_adopted": _("proposal adopted"),
    "volunteer_hours": _("volunteer hours"),
    "survey_answered": _("survey answered"),
    "service_rated": _("service rated"),
    "group_suggestion_adopted": _("group suggestion adopted"),
    "redeem": _("redemption"),
    "refund": _("redemption refunded"),
    "expire": _("points lapsed"),
    "reversal": _("correction"),
    "deposit": _("hours deposited"),
    "withdraw": _("hours spent on a service"),
    "transfer": _("family transfer"),
}


def _account(code: str, resident: Resident) -> LedgerAccount | None:
    return LedgerAccount.objects.filter(
        ledger__code=code, owner_type=RESIDENT, owner_id=str(resident.pk), kind="holder"
    ).first()


def balances(resident: Resident) -> dict[str, Decimal]:
    out = {}
    for code in (POINTS, HOURS):
        acct = _account(code, resident)
        out[code] = _q(code, acct.balance if acct else Decimal(0))
    return out


def _q(code: str, value: Decimal) -> Decimal:
    """An amount at its ledger's precision (whole points, hours to the hundredth)."""
    return value.quantize(Decimal(1).scaleb(-PLACES[code]))


@dataclass
class Line:
    transaction_id: int
    occurred_at: object
    action: str
    label: str
    amount: Decimal
    reason: str
    reversed: bool
    is_reversal: bool


def statement(resident: Resident, code: str, limit: int = 200) -> list[Line]:
    acct = _account(code, resident)
    if acct is None:
        return []
    entries = (
        LedgerEntry.objects.filter(account=acct)
        .select_related("transaction")
        .order_by("-transaction__occurred_at", "-pk")[:limit]
    )
    reversed_ids = set(
        LedgerEntry.objects.filter(
            account=acct, transaction__reversal_of__isnull=False
        ).values_list("transaction__reversal_of_id", flat=True)
    )
    return [
        Line(
            e.transaction_id,
            e.transaction.occurred_at,
            e.transaction.action,
            str(ACTION_LABELS.get(e.transaction.action, e.transaction.action)),
            _q(code, e.amount),
            e.transaction.reason,
            e.transaction_id in reversed_ids,
            e.transaction.reversal_of_id is not None,
        )
        for e in entries
    ]


def resident_for_staff(actor, resident_id: int) -> Resident:
    """A resident whose ledgers the actor may read (404 outside scope)."""
    return resident_in_scope(actor, resident_id, "participation.view")


def overview(actor) -> list[dict]:
    """Per org unit of the actor's scope holding accounts: residents with an account, the
    points and hours they hold."""
    within = path_filter(actor, "participation.view", "scope_path")
    if within is None:
        return []
    rows = (
        LedgerAccount.objects.filter(within, owner_type=RESIDENT, kind="holder")
        .values("scope_path", "ledger__code")
        .annotate(accounts=Count("pk"), held=Sum("balance"))
        .order_by("scope_path")
    )
    from gridgov.org.models import OrgUnit

    names = dict(
        OrgUnit.objects.filter(path__in={r["scope_path"] for r in rows}).values_list("path", "name")
    )
    table: dict[str, dict] = {}
    for row in rows:
        line = table.setdefault(
            row["scope_path"],
            {
                "path": row["scope_path"],
                "name": names.get(row["scope_path"], row["scope_path"]),
                POINTS: Decimal(0),
                HOURS: Decimal(0),
                "accounts": 0,
            },
        )
        line[row["ledger__code"]] = row["held"] or Decimal(0)
        line["accounts"] = max(line["accounts"], row["accounts"])
    return list(table.values())


def holders(actor, limit: int = 200) -> list[tuple[Resident, Decimal, Decimal]]:
    """Residents of the actor's scope with a points or hours account, and both balances."""
    within = path_filter(actor, "participation.view", "scope_path")
    if within is None:
        return []
    accts = LedgerAccount.objects.filter(within, owner_type=RESIDENT, kind="holder")
    by_resident: dict[str, dict] = {}
    for owner, code, balance in accts.values_list("owner_id", "ledger__code", "balance"):
        by_resident.setdefault(owner, {})[code] = balance
    people = Resident.objects.filter(pk__in=[int(k) for k in by_resident]).order_by("name")[:limit]
    return [
        (
            r,
            by_resident[str(r.pk)].get(POINTS, Decimal(0)),
            by_resident[str(r.pk)].get(HOURS, Decimal(0)),
        )
        for r in people
    ]


def catalogue(actor, *, include_inactive: bool = True):
    items = CatalogueItem.objects.visible_to(actor, "view").select_related("resource", "org_unit")
    return items if include_inactive else items.filter(active=True)


def redemptions(actor, state: str | None = None):
    rows = Redemption.objects.visible_to(actor, "view").select_related("item", "resident")
    return rows.filter(state=state) if state else rows


def own_redemptions(resident: Resident):
    return Redemption.objects.filter(resident=resident).select_related("item")


def pending_credits(actor, state: str = PendingCredit.State.PENDING):
    """Acts waiting for (or decided by) the staff's approval in the actor's ledger scope,
    oldest first; the resident's name is masked by the pages."""
    rows = PendingCredit.objects.visible_to(actor, "ledger").select_related("resident")
    if state:
        rows = rows.filter(state=state)
    return (
        rows.order_by("occurred_at", "pk")
        if state == "pending"
        else rows.order_by("-decided_at", "-pk")
    )
