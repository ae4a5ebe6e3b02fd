"""The KPIs of points and the time bank (积分兑换率, 积分账户活跃率, 时间银行余额), registered
with the KPI registry (docs/kpis.md). Each is a snapshot summed per grid from the ledger's
entries joined to the holder's account (which carries the resident's grid path):

- ``points.redemption_rate``: points redeemed (net of refunds) ÷ points earned (net of
  reversed credits) in the month up to the moment;
- ``points.active_accounts``: residents whose points account moved in the month ÷ residents
  holding a points account;
- ``timebank.hours_balance``: hours deposited − hours withdrawn as of the moment (the stock
  held by residents), shown per holder; the numerator is the stock itself.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.models import LedgerAccount, LedgerEntry
from gridgov.kpis.registry import Kpi, Period, register

UNIT_LEVELS = ("district", "street", "community", "grid")
EARNING = (
    "vote_cast",
    "proposal_adopted",
    "volunteer_hours",
    "survey_answered",
    "service_rated",
    "group_suggestion_adopted",
)


def _month_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _holder_entries(code: str, prefix: str, since, until):
    rows = LedgerEntry.objects.filter(
        account__ledger__code=code,
        account__owner_type="people.resident",
        account__kind="holder",
        account__scope_path__startswith=prefix,
        transaction__occurred_at__lt=until,
    )
    return rows.filter(transaction__occurred_at__gte=since) if since else rows


_EARNED = Q(transaction__action__in=EARNING) | Q(
    transaction__action="reversal", transaction__reversal_of__action__in=EARNING
)
_REDEEMED = Q(transaction__action__in=("redeem", "refund"))


def redemption(prefix: str, moment: datetime) -> dict[str, list]:
    """{grid path: [points redeemed, points earned]} in the month up to ``moment``."""
    rows = (
        _holder_entries("points", prefix, _month_start(moment), moment)
        .values("account__scope_path")
        .annotate(earned=Sum("amount", filter=_EARNED), spent=Sum("amount", filter=_REDEEMED))
        .order_by()
    )
    return {
        r["account__scope_path"]: [-int(r["spent"] or 0), int(r["earned"] or 0)]
        for r in rows
        if (r["earned"] or 0) or (r["spent"] or 0)
    }


def active(prefix: str, moment: datetime) -> dict[str, list]:
    """{grid path: [accounts that moved in the month, accounts opened by ``moment``]}."""
    accounts = LedgerAccount.objects.filter(
        ledger__code="points",
        owner_type="people.resident",
        kind="holder",
        scope_path__startswith=prefix,
        created_at__lt=moment,
    )
    since = _month_start(moment)
    moved = Q(entries__transaction__occurred_at__gte=since) & Q(
        entries__transaction__occurred_at__lt=moment
    )
    rows = (
        accounts.values("scope_path")
        .annotate(n=Count("pk", distinct=True), moved=Count("pk", filter=moved, distinct=True))
        .order_by()
    )
    return {r["scope_path"]: [r["moved"], r["n"]] for r in rows}


def hours(prefix: str, moment: datetime) -> dict[str, list]:
    """{grid path: [hours held by residents, residents holding a time-bank account]}."""
    held = (
        _holder_entries("timebank", prefix, None, moment)
        .values("account__scope_path")
        .annotate(h=Sum("amount"), n=Count("account", distinct=True))
        .order_by()
    )
    return {r["account__scope_path"]: [float(r["h"] or 0), r["n"]] for r in held}


def _link(unit_code: str, period: Period) -> str:
    return reverse("participation:points_overview")


def _kpi(**kwargs) -> Kpi:
    return register(
        Kpi(
            capability="participation",
            levels=UNIT_LEVELS,
            periods=("month",),
            source=lambda: LedgerAccount.objects.filter(owner_type="people.resident"),
            records=_link,
            **kwargs,
        )
    )


_kpi(
    code="points.redemption_rate",
    name=_("Points redemption rate (积分兑换率)"),
    definition=_(
        "Of the points residents earned in the month (less credits reversed), the share they "
        "redeemed for catalogue items (less refunds of cancelled or expired redemptions). A "
        "low rate means points pile up unused: the catalogue may not fit."
    ),
    formula=_("points redeemed ÷ points earned, in the month"),
    unit="%",
    higher_is_better=True,
    snapshot=redemption,
)
_kpi(
    code="points.active_accounts",
    name=_("Active points accounts (积分账户活跃率)"),
    definition=_(
        "Of the residents holding a points account, the share whose account moved (points "
        "earned, redeemed, refunded or corrected) in the month."
    ),
    formula=_("residents with a points movement in the month ÷ residents with an account"),
    unit="%",
    higher_is_better=True,
    snapshot=active,
)
_kpi(
    code="timebank.hours_balance",
    name=_("Time-bank hours held (时间银行余额)"),
    definition=_(
        "The hours residents hold in the time bank: hours deposited for service given, less "
        "hours withdrawn for service received (transfers within households cancel out). The "
        "numerator is the stock; the value is the hours per resident holding an account."
    ),
    formula=_("(hours deposited − hours withdrawn) ÷ residents with an account"),
    unit="h",
    higher_is_better=True,
    scale=1.0,
    snapshot=hours,
)
