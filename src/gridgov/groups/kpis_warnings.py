"""The early-warning KPI, registered with the KPI registry (docs/kpis.md):

- ``groups.warning_precision``: of the chat-group warnings checked in the 30 days up to
  the end of the period, the share confirmed (预警准确率). A snapshot per group scope path
  (grid or community), summed up to the community, street and district.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.groups.models import EarlyWarning
from gridgov.kpis.registry import Kpi, Period, register

WINDOW = timedelta(days=30)


def precision(prefix: str, moment: datetime) -> dict[str, list]:
    """{group scope path: [warnings confirmed, warnings checked]} in the window."""
    rows = (
        EarlyWarning.objects.filter(
            scope_path__startswith=prefix,
            decided_at__gte=moment - WINDOW,
            decided_at__lt=moment,
        )
        .exclude(state=EarlyWarning.State.OPEN)
        .values("scope_path")
        .annotate(
            confirmed=Count("pk", filter=Q(state=EarlyWarning.State.CONFIRMED)), checked=Count("pk")
        )
        .order_by()
    )
    return {r["scope_path"]: [r["confirmed"], r["checked"]] for r in rows}


def _link(unit_code: str, period: Period) -> str:
    return f"{reverse('groups:warning_list')}?state=all"


register(
    Kpi(
        code="groups.warning_precision",
        name=_("Chat-group warning precision (预警准确率)"),
        definition=_(
            "Of the chat-group early warnings checked in the 30 days up to the end of the "
            "period, the share staff confirmed (the rest were false alarms)."
        ),
        formula=_("warnings confirmed ÷ warnings checked"),
        unit="%",
        higher_is_better=True,
        capability="groups",
        levels=("district", "street", "community"),
        periods=("month",),
        source=lambda: EarlyWarning.objects.all(),
        snapshot=precision,
        records=_link,
    )
)
