"""Reads of chat exports, early warnings and the compound risk index, each through
``core.scoping`` (``groups.view``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import access_object
from gridgov.groups.models import (
    ChatImport,
    EarlyWarning,
    Group,
    KeywordDay,
    Rectification,
    Snapshot,
)
from gridgov.groups.selectors import latest_class


def _uid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def import_list(*, actor, group: Group) -> QuerySet[ChatImport]:
    return ChatImport.objects.visible_to(actor, "view").filter(group=group)


def warning_list(
    *, actor, state: str = "", topic: str = "", group: Group | None = None
) -> QuerySet[EarlyWarning]:
    qs = EarlyWarning.objects.visible_to(actor, "view").select_related(
        "group", "group__community", "event"
    )
    if state:
        qs = qs.filter(state=state)
    if topic:
        qs = qs.filter(topic=topic)
    if group is not None:
        qs = qs.filter(group=group)
    return qs


def warning_get(*, actor, uid) -> EarlyWarning:
    return access_object(
        actor,
        EarlyWarning.objects.select_related("group", "group__community", "group__grid", "event"),
        "view",
        uid=_uid(uid),
    )


def warning_excerpts(warning: EarlyWarning) -> list[str]:
    """The masked excerpts kept for the warning's day and topic."""
    from gridgov.groups.services_warnings import excerpts_of

    row = KeywordDay.objects.filter(
        group_id=warning.group_id, topic=warning.topic, day=warning.day
    ).first()
    return excerpts_of(row) if row is not None else []


def warning_precision(*, actor) -> tuple[int, int]:
    """(confirmed, checked) warnings of the actor's area."""
    counts = warning_list(actor=actor).aggregate(
        confirmed=Count("id", filter=Q(state=EarlyWarning.State.CONFIRMED)),
        checked=Count("id", filter=~Q(state=EarlyWarning.State.OPEN)),
    )
    return counts["confirmed"], counts["checked"]


# The compound risk index -------------------------------------------------------------


@dataclass(frozen=True)
class RiskInput:
    code: str
    value: float | None  # None: not measured, leaves the weighted mean
    points: float | None  # 0–100
    weight: float
    full_at: float
    share: float | None = None  # its part of the index: its weight among the inputs measured


@dataclass(frozen=True)
class Risk:
    compound: object
    index: float | None
    level: str  # low, medium, high, or "" when nothing is measured
    inputs: list[RiskInput]
    groups: int
    policy_version: int


def compounds_visible(*, actor):
    """Compounds of the communities where the actor sees chat groups (a grid worker: those
    with a building in the grid)."""
    from gridgov.core.scoping import path_filter
    from gridgov.org.models import Compound

    query = path_filter(actor, "groups.view", "community__path")
    if query is None:
        return Compound.objects.none()
    query |= path_filter(actor, "groups.view", "buildings__grid__path")
    return (
        Compound.objects.filter(query)
        .distinct()
        .select_related("community")
        .order_by("community__code", "name")
    )


def compound_get(*, actor, compound_id):
    from gridgov.org.models import Compound

    try:
        return compounds_visible(actor=actor).get(pk=int(compound_id))
    except (ValueError, TypeError, Compound.DoesNotExist):
        raise NotFound() from None


def _share(part, whole) -> float | None:
    if not whole or part is None:
        return None
    return 100.0 * part / whole


def compound_risk(*, actor, compound, now=None) -> Risk:
    """The risk index 0–100 of a compound from its groups (registered, active): every
    input with its value, points and weight (docs/groups.md, *Compound risk index*)."""
    return compound_risks(actor=actor, compounds=[compound], now=now)[compound.pk]


def _by_compound(rows, ids) -> dict[int, dict]:
    return {row.pop("compound_pk"): row for row in rows if row["compound_pk"] in ids}


def compound_risks(*, actor, compounds, now=None) -> dict[int, Risk]:
    """``compound_risk`` of each compound, in one query per kind of input (a list or the
    map shows hundreds of compounds). A group serving two compounds counts in both."""
    in_force = policy_in_force("groups.risk")
    policy = in_force.value
    now = now or timezone.now()
    since = now - timedelta(days=policy.window_days)
    ids = {c.pk for c in compounds}
    groups = Group.objects.visible_to(actor, "view").filter(
        state=Group.State.APPROVED, status=Group.Status.ACTIVE
    )
    serving = Group.compounds.through.objects.filter(compound_id__in=ids, group__in=groups)
    members = _by_compound(
        serving.values(compound_pk=F("compound_id")).annotate(
            groups=Count("group_id"),
            total=Sum("group__members_total"),
            elderly=Sum("group__age_60_plus"),
            alone=Sum("group__special_elderly_alone"),
            pregnant=Sum("group__special_pregnant"),
            chronic=Sum("group__special_chronic"),
        ),
        ids,
    )
    warnings = _by_compound(
        EarlyWarning.objects.filter(group__in=groups, created_at__gte=since)
        .exclude(state=EarlyWarning.State.FALSE_ALARM)
        .values(compound_pk=F("group__compounds"))
        .annotate(
            all=Count("id"),
            confirmed=Count("id", filter=Q(state=EarlyWarning.State.CONFIRMED)),
        ),
        ids,
    )
    asked = _by_compound(
        ChatImport.objects.filter(group__in=groups, imported_at__gte=since)
        .values(compound_pk=F("group__compounds"))
        .annotate(questions=Sum("questions"), answered=Sum("answered")),
        ids,
    )
    open_cases = _by_compound(
        Rectification.objects.filter(group__in=groups)
        .exclude(state=Rectification.State.CLOSED)
        .values(compound_pk=F("group__compounds"))
        .annotate(n=Count("id")),
        ids,
    )
    classes: dict[int, list[str]] = {}
    for compound_id, klass in serving.annotate(latest=latest_class("group_id")).values_list(
        "compound_id", "latest"
    ):
        if klass:
            classes.setdefault(compound_id, []).append(klass)
    none = {"groups": 0, "total": None, "elderly": None}
    return {
        c.pk: _risk(
            c,
            policy,
            in_force.version,
            members.get(c.pk, none),
            warnings.get(c.pk, {"all": 0, "confirmed": 0}),
            asked.get(c.pk, {"questions": None, "answered": None}),
            open_cases.get(c.pk, {"n": 0})["n"],
            classes.get(c.pk, []),
        )
        for c in compounds
    }


def _risk(compound, policy, version, members, warnings, asked, open_cases, classed) -> Risk:
    group_count = members["groups"]
    troubled = sum(1 for k in classed if k in (Snapshot.Klass.RECTIFY, Snapshot.Klass.RESTRUCTURE))
    parts = [members.get(k) for k in ("alone", "pregnant", "chronic")]
    parts = [p for p in parts if p is not None]
    special = sum(parts) if parts else None
    values = {
        "warnings_per_1000": (
            1000.0 * warnings["all"] / members["total"] if members["total"] else None
        ),
        "confirmed_warnings": float(warnings["confirmed"]) if group_count else None,
        "special_share": _share(special, members["total"]),
        "elderly_share": _share(members["elderly"], members["total"]),
        "class_mix": _share(troubled, len(classed)),
        "open_rectifications": float(open_cases) if group_count else None,
        "unanswered_share": (
            _share((asked["questions"] or 0) - (asked["answered"] or 0), asked["questions"])
        ),
    }
    scored = []
    for code, value in values.items():
        setting = getattr(policy, code)
        points = None if value is None else min(100.0, 100.0 * value / setting.full_at)
        scored.append((code, value, points, setting.weight, setting.full_at))
    measured = sum(w for _c, _v, p, w, _f in scored if p is not None and w)
    inputs = [
        RiskInput(code, value, points, weight, full_at, weight / measured)
        if points is not None and measured
        else RiskInput(code, value, points, weight, full_at)
        for code, value, points, weight, full_at in scored
    ]
    index = (
        round(sum(i.points * i.weight for i in inputs if i.share is not None) / measured, 1)
        if measured
        else None
    )
    if index is None:
        level = ""
    elif index >= policy.high_from:
        level = "high"
    elif index >= policy.medium_from:
        level = "medium"
    else:
        level = "low"
    return Risk(compound, index, level, inputs, group_count, version)
