"""The participation KPIs that count every part at once (docs/kpis.md): 人均年参与次数 and
年轻群体参与率. One act of taking part is one of: a vote cast (online or on paper), a
proposal made (not hidden), a co-signature, a comment, volunteer hours approved, an
identified survey answer — each counted in the year (1 January to the end of the period)
of the resident who did it."""

from __future__ import annotations

import operator
from datetime import date, datetime, timedelta
from functools import reduce

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.policies import policy_get
from gridgov.kpis.registry import Kpi, register
from gridgov.participation.models import (
    Comment,
    CoSignature,
    Proposal,
    ShiftRecord,
    SurveyResponse,
    Turnout,
)
from gridgov.people.models import Resident

UNIT_LEVELS = ("district", "street", "community", "grid")


def _years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _act_sources(start: datetime, end: datetime) -> list[tuple[QuerySet, str]]:
    """(acts in [start, end), the field naming the resident who did them) for each kind."""
    sources = [
        (Turnout.objects.all(), "resident", "at"),
        (Proposal.objects.filter(hidden_at__isnull=True), "author", "created_at"),
        (CoSignature.objects.all(), "resident", "at"),
        (Comment.objects.all(), "author", "created_at"),
        (
            ShiftRecord.objects.filter(approved_at__isnull=False),
            "volunteer__resident",
            "approved_at",
        ),
        (SurveyResponse.objects.filter(resident__isnull=False), "resident", "created_at"),
    ]
    return [
        (queryset.filter(**{f"{when}__gte": start, f"{when}__lt": end}), who)
        for queryset, who, when in sources
    ]


def _residents(prefix: str, as_of: datetime):
    """Residents on file at ``as_of`` living in the unit."""
    return Resident.objects.filter(
        scope_path__startswith=prefix,
        created_at__lt=as_of,
        residence=Resident.Residence.PRESENT,
    ).filter(Q(archived_at__isnull=True) | Q(archived_at__gte=as_of))


def _year(as_of: datetime) -> tuple[date, datetime]:
    day = timezone.localtime(as_of - timedelta(microseconds=1)).date()
    return day, timezone.make_aware(datetime(day.year, 1, 1))


def _per_grid(residents) -> dict[str, int]:
    return dict(
        residents.order_by()
        .values("scope_path")
        .annotate(n=Count("pk"))
        .values_list("scope_path", "n")
    )


def acts_per_resident(prefix: str, as_of: datetime) -> dict[str, list]:
    """Per grid: acts of its residents since 1 January, and its residents. Counted by the
    database per grid (a district holds a million residents: none is read one by one)."""
    _day, year_start = _year(as_of)
    residents = _residents(prefix, as_of)
    out = {path: [0, n] for path, n in _per_grid(residents).items()}
    living = residents.values("pk")
    for acts, who in _act_sources(year_start, as_of):
        rows = (
            acts.filter(**{f"{who}__in": living})
            .order_by()
            .values(f"{who}__scope_path")
            .annotate(n=Count("pk"))
            .values_list(f"{who}__scope_path", "n")
        )
        for path, n in rows:
            out[path][0] += n
    return out


def youth_taking_part(prefix: str, as_of: datetime) -> dict[str, list]:
    """Per grid: residents in the young age band who took part at least once since
    1 January, and the residents in that band."""
    day, year_start = _year(as_of)
    band = policy_get("participation.participation")
    young = _residents(prefix, as_of).filter(
        birth_date__lte=_years_ago(day, band.youth_min_age),
        birth_date__gt=_years_ago(day, band.youth_max_age + 1),
    )
    took_part = reduce(
        operator.or_,
        (Q(pk__in=acts.values(who)) for acts, who in _act_sources(year_start, as_of)),
    )
    active = _per_grid(young.filter(took_part))
    return {path: [active.get(path, 0), n] for path, n in _per_grid(young).items()}


def _link(unit_code: str, period) -> str:
    return reverse("participation:topic_list")


register(
    Kpi(
        code="participation.per_resident",
        name=_("Times each resident took part this year (人均年参与次数)"),
        definition=_(
            "Acts of taking part since 1 January (a vote cast, a proposal, a co-signature, a "
            "comment, volunteer hours approved, an identified survey answer) per resident "
            "living in the unit, as of the end of the period."
        ),
        formula=_("acts of taking part this year ÷ residents"),
        unit=_("times"),
        scale=1.0,
        higher_is_better=True,
        capability="participation",
        levels=UNIT_LEVELS,
        snapshot=acts_per_resident,
        records=_link,
    )
)

register(
    Kpi(
        code="participation.youth_rate",
        name=_("Young residents taking part (年轻群体参与率)"),
        definition=_(
            "Of the residents in the young age band (policy “Participation: the young "
            "residents' age band”, 18–45 by default) living in the unit, the share who took "
            "part at least once since 1 January, as of the end of the period."
        ),
        formula=_("young residents who took part this year ÷ young residents"),
        unit="%",
        higher_is_better=True,
        capability="participation",
        levels=UNIT_LEVELS,
        snapshot=youth_taking_part,
        records=_link,
    )
)
