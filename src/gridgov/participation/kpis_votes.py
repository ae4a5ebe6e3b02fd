"""The votes' KPIs (重大决策居民参与率, 居民参与决策比例), registered with the KPI registry
(docs/kpis.md, docs/participation.md *Votes*)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.kpis.registry import Kpi, Period, register
from gridgov.participation.models import Topic, TopicLog, Turnout, Vote
from gridgov.people.models import Resident

UNIT_LEVELS = ("district", "street", "community", "grid")


def _decided_topics():
    """Topics with the moment they were decided (their first ``decide`` step)."""
    first = (
        TopicLog.objects.filter(topic=OuterRef("pk"), action="decide")
        .values("topic")
        .annotate(at=Min("at"))
        .values("at")
    )
    return Topic.objects.annotate(decided_at=Subquery(first[:1]))


# Decided with residents taking part: a vote that met its quorum, or a deliberation meeting
# (hearing, coordination or review meeting) held.
_WITH_RESIDENTS = Q(
    Exists(Vote.objects.filter(topic=OuterRef("pk"), state=Vote.State.CLOSED, quorum_met=True))
) | (~Q(meeting_type=Topic.MeetingType.ONLINE) & Q(meeting_at__isnull=False))


def _in(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _link(unit_code: str, period: Period) -> str:
    return reverse("participation:vote_list")


register(
    Kpi(
        code="participation.decision_participation",
        name=_("Residents' part in major decisions (重大决策居民参与率)"),
        definition=_(
            "Of the major topics (重大事项) decided in the period, the share decided after a "
            "vote that met its quorum or after a deliberation meeting (hearing, coordination "
            "or review meeting) was held."
        ),
        formula=_("major topics decided after a valid vote or a meeting ÷ major topics decided"),
        unit="%",
        higher_is_better=True,
        capability="participation",
        levels=UNIT_LEVELS,
        source=_decided_topics,
        date_field="decided_at",
        denominator=lambda p: Q(is_major=True) & _in("decided_at", p),
        numerator=lambda p: _WITH_RESIDENTS,
        group_fields={"grid": "org_unit_id"},
        records=_link,
    )
)


def _adult_limit(day):
    try:
        return day.replace(year=day.year - 18)
    except ValueError:
        return day.replace(year=day.year - 18, day=28)


def decision_residents(prefix: str, as_of: datetime) -> dict[str, list]:
    """Per grid: eligible residents at ``as_of`` (on file, not archived, living here, 18 or
    over) and those of them who cast at least one vote since 1 January of that year."""
    day = timezone.localtime(as_of - timedelta(microseconds=1)).date()
    year_start = timezone.make_aware(datetime(day.year, 1, 1))
    eligible = (
        Resident.objects.filter(
            scope_path__startswith=prefix,
            created_at__lt=as_of,
            residence=Resident.Residence.PRESENT,
            birth_date__lte=_adult_limit(day),
        )
        .filter(Q(archived_at__isnull=True) | Q(archived_at__gte=as_of))
        .annotate(
            voted=Exists(
                Turnout.objects.filter(resident=OuterRef("pk"), at__gte=year_start, at__lt=as_of)
            )
        )
    )
    rows = (
        eligible.values("scope_path")
        .annotate(n=Count("pk"), num=Count("pk", filter=Q(voted=True)))
        .order_by()
    )
    return {r["scope_path"]: [r["num"], r["n"]] for r in rows}


register(
    Kpi(
        code="participation.decision_residents",
        name=_("Residents taking part in decisions (居民参与决策比例)"),
        definition=_(
            "Of the residents who may vote (18 or over, living in the unit, on file), the "
            "share who cast at least one vote (online or on paper) since 1 January of the "
            "year, as of the end of the period."
        ),
        formula=_("residents who voted this year ÷ residents who may vote"),
        unit="%",
        higher_is_better=True,
        capability="participation",
        levels=UNIT_LEVELS,
        snapshot=decision_residents,
        records=_link,
    )
)
