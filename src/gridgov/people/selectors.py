"""Reads of the registry. Every list starts from ``visible_to`` (scope, minors, sensitive
tags); archived residents are left out unless asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Prefetch, Q, QuerySet, When
from django.db.models.functions import Collate, ExtractYear

from gridgov.core.scoping import access_object
from gridgov.org.models import OrgUnit
from gridgov.people import quality
from gridgov.people.models import (
    Consent,
    DuplicateCandidate,
    Household,
    ImportJob,
    Resident,
    ResidentHistory,
    ResidentTag,
    TagCategory,
)
from gridgov.people.privacy import reveal_scope_filter

AGE_BRACKETS = {"0-18": (0, 18), "19-60": (19, 60), "60+": (60, None), "80+": (80, None)}
# Tags computed from other data rather than stored.
DERIVED_TAGS = {"oldest_old": "80+"}
SORTS = {
    "birth": "birth_date",
    "-birth": "-birth_date",
    "updated": "updated_at",
    "-updated": "-updated_at",
}


def _by_name(descending: bool = False):
    """Names in byte (code point) order, which the name index provides on PostgreSQL
    (for Chinese names it matches the usual collation's order)."""
    from django.db import connection

    expression = Collate("name", "C" if connection.vendor == "postgresql" else "BINARY")
    return expression.desc() if descending else expression.asc()


def _years_ago(years: int, today: date) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_bracket_filter(bracket: str, today: date | None = None) -> Q:
    """Age brackets are derived from the birth date, never typed."""
    today = today or date.today()
    low, high = AGE_BRACKETS[bracket]
    query = Q(birth_date__lte=_years_ago(low, today))
    if high is not None:
        query &= Q(birth_date__gt=_years_ago(high + 1, today))
    return query


@dataclass(frozen=True)
class ResidentFilters:
    q: str = ""
    address: str = ""
    tag: str = ""
    age: str = ""
    grid: str = ""
    include_archived: bool = False
    sort: str = "name"
    unit: str = ""  # the code of any unit in scope (street, community, grid)
    check: str = ""  # "incomplete" or "stale": records that need work (policy people.quality)


CHECKS = ("incomplete", "stale")


def resident_list(*, actor, filters: ResidentFilters | None = None) -> QuerySet[Resident]:
    """Residents in the actor's scope matching the filters.

    ``q``: a name (or part of it), pinyin initials (``zs`` finds 张三), or the last 4
    digits of an ID or phone number.
    """
    f = filters or ResidentFilters()
    qs = Resident.objects.visible_to(actor).select_related("household")
    if not f.include_archived:
        qs = qs.active()
    q = f.q.strip()
    if q:
        if re.fullmatch(r"\d{3}[\dXx]", q):
            # The last digits of an ID number are hidden from roles without reveal: a search
            # by them would show them again (docs/registry.md, threat model).
            by_id = Q(id_last4=q.upper()) & (reveal_scope_filter(actor) or Q(pk__in=[]))
            qs = qs.filter(by_id | Q(phone_last4=q))
        elif re.fullmatch(r"[A-Za-z]{1,10}", q):
            qs = qs.filter(name_initials__startswith=q.lower())
        else:
            # Surname or full name, as people search; a prefix uses an index.
            qs = qs.filter(name__startswith=q)
    if f.address.strip():
        qs = qs.filter(household__address__contains=f.address.strip())
    if f.tag in DERIVED_TAGS:
        qs = qs.filter(age_bracket_filter(DERIVED_TAGS[f.tag]))
    elif f.tag:
        visible_tags = ResidentTag.objects.visible_to(actor).filter(category__code=f.tag)
        qs = qs.filter(pk__in=visible_tags.values("resident_id"))
    if f.age in AGE_BRACKETS:
        qs = qs.filter(age_bracket_filter(f.age))
    if f.grid:
        qs = qs.filter(household__grid__code=f.grid)
    if f.unit:
        unit = OrgUnit.objects.visible_to(actor).filter(code=f.unit).first()
        qs = qs.filter(scope_path__startswith=unit.path) if unit else qs.none()
    if f.check == "incomplete":
        qs = qs.exclude(quality.complete_q())
    elif f.check == "stale":
        qs = qs.exclude(quality.fresh_q())
    if f.sort in SORTS and f.sort.endswith("birth") and not reveal_scope_filter(actor):
        # The order within a year would tell the birth day (docs/registry.md, threat model).
        year = ExtractYear("birth_date")
        return qs.order_by(year.desc() if f.sort == "-birth" else year, "pk")
    if f.sort in SORTS:
        return qs.order_by(SORTS[f.sort], "pk")
    return qs.order_by(_by_name(descending=f.sort == "-name"), "pk")


def resident_get(*, actor, uid, action: str = "view") -> Resident:
    return access_object(
        actor, Resident.objects.select_related("household", "household__grid"), action, uid=uid
    )


def household_list(*, actor, grid: str = "", q: str = "") -> QuerySet[Household]:
    qs = Household.objects.visible_to(actor).select_related("grid")
    if grid:
        qs = qs.filter(grid__code=grid)
    if q:
        qs = qs.filter(Q(number__contains=q) | Q(address__contains=q))
    return qs.order_by("grid__code", "number")


def household_get(*, actor, uid, action: str = "view") -> Household:
    return access_object(actor, Household.objects.select_related("grid"), action, uid=uid)


def household_members(*, actor, household: Household, include_archived: bool = True):
    """Members the actor may see, each with the tags the actor may see."""
    tags = ResidentTag.objects.visible_to(actor).select_related("category")
    qs = (
        Resident.objects.visible_to(actor)
        .filter(household=household)
        .prefetch_related(Prefetch("tags", queryset=tags, to_attr="visible_tags"))
    )
    if not include_archived:
        qs = qs.active()
    head_first = Case(When(relation="head", then=0), default=1)
    return qs.order_by("archived_at", head_first, "birth_date")


def resident_tags(*, actor, resident: Resident) -> QuerySet[ResidentTag]:
    return (
        ResidentTag.objects.visible_to(actor).filter(resident=resident).select_related("category")
    )


def resident_consents(*, actor, resident: Resident) -> QuerySet[Consent]:
    return Consent.objects.visible_to(actor).filter(resident=resident).order_by("-given_at")


def resident_history(*, resident: Resident) -> QuerySet[ResidentHistory]:
    """History of a resident the caller already fetched through ``resident_get``."""
    return resident.history.all()


def tag_catalogue(*, actor) -> QuerySet[TagCategory]:
    from gridgov.people.privacy import actor_sees_sensitive_tags

    qs = TagCategory.objects.filter(is_active=True, derived=False)
    if not actor_sees_sensitive_tags(actor):
        qs = qs.filter(sensitivity=TagCategory.Sensitivity.NORMAL)
    return qs


def duplicate_list(*, actor, status: str = "open") -> QuerySet[DuplicateCandidate]:
    return (
        DuplicateCandidate.objects.visible_to(actor, "merge")
        .filter(status=status)
        .select_related("resident", "other", "resident__household", "other__household")
        .order_by("-created_at")
    )


# Imports that wait for their uploader: a go-ahead, a decision on columns, or a failure.
IMPORT_ATTENTION = [ImportJob.Status.CHECKED, ImportJob.Status.DECIDE, ImportJob.Status.FAILED]


def import_job_list(*, actor, needs_attention: bool = False) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.visible_to(actor, "import").filter(created_by=actor)
    return jobs.filter(status__in=IMPORT_ATTENTION) if needs_attention else jobs


def import_job_get(*, actor, uid) -> ImportJob:
    return access_object(actor, ImportJob.objects.filter(created_by=actor), "import", uid=uid)


def grids_where_actor_keeps_records(*, actor) -> QuerySet:
    """Grids in which the actor may create households (``people.change``)."""
    from gridgov.org.models import OrgUnit

    paths = actor.scope_paths("people.change")
    if not paths:
        return OrgUnit.objects.none()
    query = Q()
    for path in paths:
        query |= Q(path__startswith=path)
    return OrgUnit.objects.filter(query, level=OrgUnit.Level.GRID).order_by("code")


def import_target_grids(*, actor) -> QuerySet:
    """Grids an import may fill (``people.import`` in scope), for rows without a grid code."""
    from gridgov.core.scoping import path_filter
    from gridgov.org.models import OrgUnit

    query = path_filter(actor, "people.import")
    if query is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(query, level=OrgUnit.Level.GRID, is_active=True).order_by("code")


def resident_counts(*, actor, units: list[OrgUnit], permission: str) -> dict[int, int]:
    """Active residents under each unit (unit id → count), for planning figures that need
    numbers, not people (emergency-supply coverage). Only units where the actor holds
    ``permission``, or that lie above one of the actor's units, are counted; every resident
    counts, minors included, and nothing about any one of them leaves this function."""
    from gridgov.core.scoping import path_in_scope

    allowed = [
        u
        for u in units
        if path_in_scope(actor, u.path, permission)
        or any(p.startswith(u.path) for p in actor.scope_paths(permission))
    ]
    return resident_counts_of(units=allowed)


def resident_counts_of(*, units: list[OrgUnit]) -> dict[int, int]:
    """Active residents under each unit, for callers already scoped to them (the KPI
    registry, which scopes by the unit asked for)."""
    from django.db.models import Count

    from gridgov.people.models import Resident

    return {
        unit.pk: Resident.objects.active()
        .filter(scope_path__startswith=unit.path)
        .aggregate(n=Count("pk"))["n"]
        for unit in units
    }


def residents_by_building(*, prefix: str) -> tuple[dict[int, int], int]:
    """({building id: active residents}, active residents whose household has no room) under
    the unit path ``prefix``, for planning figures that need numbers, not people (the
    15-minute service circle). The caller has scoped ``prefix``."""
    from django.db.models import Count

    from gridgov.people.models import Resident

    rows = (
        Resident.objects.active()
        .filter(scope_path__startswith=prefix)
        .values("household__room__building")
        .annotate(n=Count("pk"))
        .order_by()
    )
    placed: dict[int, int] = {}
    unplaced = 0
    for row in rows:
        if row["household__room__building"] is None:
            unplaced += row["n"]
        else:
            placed[row["household__room__building"]] = row["n"]
    return placed, unplaced
