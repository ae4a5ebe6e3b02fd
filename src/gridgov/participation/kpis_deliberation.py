"""The KPIs of deliberation 议事 (docs/kpis.md): 居民意见采纳率, 反馈率 of decided topics, and
月度议题数 per community. Registered with the KPI registry; nothing else computes them."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Kpi, Period, period_containing, register
from gridgov.org.models import OrgUnit
from gridgov.participation.models import Decision, Proposal, Topic

UNIT_LEVELS = ("district", "street", "community")


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _link(name: str):
    def link(unit_code: str, period: Period) -> str:
        return reverse(name)

    return link


def _decisions():
    return Decision.objects.annotate(scope_path=F("topic__scope_path"))


register(
    Kpi(
        capability="participation",
        code="participation.adoption_rate",
        name=_("Residents' proposals adopted (居民意见采纳率)"),
        definition=_(
            "Of the residents' proposals decided in the period — declined by staff, or "
            "settled by the decision of the topic they were taken into — the share adopted "
            "(with or without changes). Hidden proposals never reach a decision."
        ),
        formula=_("proposals adopted ÷ proposals decided"),
        unit="%",
        higher_is_better=True,
        levels=UNIT_LEVELS,
        source=lambda: Proposal.objects.all(),
        date_field="decided_at",
        denominator=lambda p: _in("decided_at", p),
        numerator=lambda p: Q(state__in=Proposal.ADOPTED_STATES),
        records=_link("participation:proposal_list"),
    )
)
register(
    Kpi(
        capability="participation",
        code="participation.report_back",
        name=_("Decisions reported back (反馈率)"),
        definition=_(
            "Of the topics decided in the period, the share whose public report-back has "
            "been published."
        ),
        formula=_("decided topics with a report-back ÷ decided topics"),
        unit="%",
        higher_is_better=True,
        levels=UNIT_LEVELS,
        source=_decisions,
        date_field="decided_at",
        denominator=lambda p: _in("decided_at", p),
        numerator=lambda p: Q(reported_at__isnull=False),
        records=_link("participation:topic_list"),
    )
)


def topics_per_community(prefix: str, moment) -> dict[str, list]:
    """{community path: [topics selected in the month up to ``moment``, 1]} for every
    active community under ``prefix`` (grids' topics count under their community)."""
    month = period_containing(
        "month", timezone.localtime(moment - timedelta(microseconds=1)).date()
    )
    communities = list(
        OrgUnit.objects.filter(
            Q(path__startswith=prefix)
            | Q(pk__in=OrgUnit.objects.filter(path=prefix).values("parent")),
            level=OrgUnit.Level.COMMUNITY,
            is_active=True,
        ).values_list("path", flat=True)
    )
    counts = {
        path: [0, 1] for path in communities if path.startswith(prefix) or prefix.startswith(path)
    }
    rows = (
        Topic.objects.filter(
            scope_path__startswith=prefix, selected_at__gte=month.start, selected_at__lt=moment
        )
        .values("scope_path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        for path in counts:
            if row["scope_path"].startswith(path):
                counts[path][0] += row["n"]
                break
    return counts


register(
    Kpi(
        capability="participation",
        code="participation.topics",
        name=_("Topics per community per month (月度议题数)"),
        definition=_(
            "Topics selected for deliberation (已立项) in the month, per community: the "
            "number selected in the communities of the unit (a grid's topics count under "
            "its community) divided by the number of communities."
        ),
        formula=_("topics selected in the month ÷ communities"),
        unit=_("topics"),
        higher_is_better=True,
        scale=1.0,
        levels=UNIT_LEVELS,
        periods=("month",),
        source=lambda: Topic.objects.all(),
        snapshot=topics_per_community,
        records=_link("participation:topic_list"),
    )
)
