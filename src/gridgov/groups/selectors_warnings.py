"""Reads of chat exports, early warnings and the compound risk index, each through
``core.scoping`` (``groups.view``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
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
    in_force = policy_in_force("groups.risk")
    policy = in_force.value
    now = now or timezone.now()
    since = now - timedelta(days=policy.window_days)
    groups = Group.objects.visible_to(actor, "view").filter(
        compounds=compound, state=Group.State.APPROVED, status=Group.Status.ACTIVE
    )
    members = groups.aggregate(
        total=Sum("members_total"),
        elderly=Sum("age_60_plus"),
        alone=Sum("special_elderly_alone"),
        pregnant=Sum("special_pregnant"),
        chronic=Sum("special_chronic"),
    )
    warnings = EarlyWarning.objects.filter(group__in=groups, created_at__gte=since).exclude(
        state=EarlyWarning.State.FALSE_ALARM
    )
    counted = warnings.aggregate(
        all=Count("id"), confirmed=Count("id", filter=Q(state=EarlyWarning.State.CONFIRMED))
    )
    group_count = groups.count()
    latest = Snapshot.objects.filter(group=OuterRef("pk")).order_by("-month").values("klass")
    classes = groups.annotate(latest=Subquery(latest[:1])).values_list("latest", flat=True)
    classed = [k for k in classes if k]
    troubled = sum(1 for k in classed if k in (Snapshot.Klass.RECTIFY, Snapshot.Klass.RESTRUCTURE))
    asked = ChatImport.objects.filter(group__in=groups, imported_at__gte=since).aggregate(
        questions=Sum("questions"), answered=Sum("answered")
    )
    parts = [members[k] for k in ("alone", "pregnant", "chronic") if members[k] is not None]
    special = sum(parts) if parts else None
    values = {
        "warnings_per_1000": (
            1000.0 * counted["all"] / members["total"] if members["total"] else None
        ),
        "confirmed_warnings": float(counted["confirmed"]) if group_count else None,
        "special_share": _share(special, members["total"]),
        "elderly_share": _share(members["elderly"], members["total"]),
        "class_mix": _share(troubled, len(classed)),
        "open_rectifications": (
            float(
                Rectification.objects.filter(group__in=groups)
                .exclude(state=Rectification.State.CLOSED)
                .count()
            )
            if group_count
            else None
        ),
        "unanswered_share": (
            _share((asked["questions"] or 0) - (asked["answered"] or 0), asked["questions"])
        ),
    }
    inputs = []
    for code, value in values.items():
        setting = getattr(policy, code)
        points = None if value is None else min(100.0, 100.0 * value / setting.full_at)
        inputs.append(RiskInput(code, value, points, setting.weight, setting.full_at))
    weighted = [(i.points, i.weight) for i in inputs if i.points is not None and i.weight]
    total_weight = sum(w for _p, w in weighted)
    index = round(sum(p * w for p, w in weighted) / total_weight, 1) if total_weight else None
    if index is None:
        level = ""
    elif index >= policy.high_from:
        level = "high"
    elif index >= policy.medium_from:
        level = "medium"
    else:
        level = "low"
    return Risk(compound, index, level, inputs, group_count, in_force.version)
