"""The KPIs of emergency supplies, registered with the KPI registry (docs/kpis.md). Each is
a snapshot as of the period's end (stock from the ledger's entries up to that moment;
residents as the registry holds them now), summed per community or store path:

- ``supplies.communities_meeting_rule``: communities where at least ``categories_min``
  categories cover ``coverage_days_min`` days ÷ communities (储备达标率);
- ``supplies.near_expiry_batches``: batches in stock expiring within the shortest warning
  lead time (30 days) or already expired ÷ batches in stock (临期批次占比);
- ``supplies.open_shortages``: categories short of the rule ÷ categories kept, over the
  communities (物资短缺率).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Period, registrar
from gridgov.operations.models import Batch
from gridgov.operations.policies_supplies import supplies_policy
from gridgov.operations.selectors_supplies import coverage_as_of

LEVELS = ("district", "street", "community")


def meeting(prefix: str, moment: datetime) -> dict[str, list]:
    """{community path: [1 when it meets the rule else 0, 1]}."""
    return {
        c.unit.path: [int(c.meets_rule), 1] for c in coverage_as_of(prefix=prefix, moment=moment)
    }


def shortages(prefix: str, moment: datetime) -> dict[str, list]:
    """{community path: [categories short, categories kept by the policy]}."""
    return {
        c.unit.path: [len(c.shortages), len(c.categories)]
        for c in coverage_as_of(prefix=prefix, moment=moment)
    }


def near_expiry(prefix: str, moment: datetime) -> dict[str, list]:
    """{store path: [batches in stock expiring within the shortest lead time, batches in
    stock]} as of ``moment``."""
    lead = min(supplies_policy().near_expiry_days)
    limit = timezone.localtime(moment).date() + timedelta(days=lead)
    rows = (
        Batch.objects.filter(store__scope_path__startswith=prefix, store__is_active=True)
        .values("pk", "store__scope_path", "expires_on")
        .annotate(
            q=Sum(
                "account__entries__amount",
                filter=Q(account__entries__transaction__occurred_at__lt=moment),
            )
        )
        .order_by()
    )
    out: dict[str, list] = {}
    for r in rows:
        if not r["q"] or r["q"] <= 0:
            continue
        box = out.setdefault(r["store__scope_path"], [0, 0])
        box[0] += int(r["expires_on"] <= limit)
        box[1] += 1
    return out


def _link(unit_code: str, period: Period) -> str:
    return reverse("operations:supply_board")


_kpi = registrar(
    capability="operations",
    levels=LEVELS,
    periods=("month",),
    source=lambda: Batch.objects.all(),
    records=_link,
    unit="%",
)


_kpi(
    code="supplies.communities_meeting_rule",
    name=_("Communities meeting the 3-day supply rule (储备达标率)"),
    definition=_(
        "Of the communities, the share whose own stores hold at least 10 supply categories "
        "each covering 3 days of their residents' needs (stock ÷ residents × the daily norm "
        "per 100 residents; both numbers are in the emergency-supplies policy)."
    ),
    formula=_("communities meeting the rule ÷ communities"),
    higher_is_better=True,
    snapshot=meeting,
)
_kpi(
    code="supplies.near_expiry_batches",
    name=_("Supply batches near expiry (临期批次占比)"),
    definition=_(
        "Of the batches in stock, the share expiring within the shortest warning lead time "
        "of the policy (30 days by default) or already expired."
    ),
    formula=_("batches in stock expiring within 30 days ÷ batches in stock"),
    higher_is_better=False,
    snapshot=near_expiry,
)
_kpi(
    code="supplies.open_shortages",
    name=_("Open supply shortages (物资短缺率)"),
    definition=_(
        "Of the supply categories every community must keep, the share not covering 3 days "
        "of its residents' needs, over the communities."
    ),
    formula=_("categories short ÷ (communities × categories)"),
    higher_is_better=False,
    snapshot=shortages,
)
