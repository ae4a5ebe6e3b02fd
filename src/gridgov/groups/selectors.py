"""Reads of the group registry, every one through ``core.scoping`` (``groups.*``)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from gridgov.core.scoping import access_object
from gridgov.groups.models import Group, GroupEvidence


def group_list(
    *,
    actor,
    state: str = "",
    status: str = "",
    function: str = "",
    q: str = "",
    mine: bool = False,
    action: str = "view",
) -> QuerySet[Group]:
    qs = (
        Group.objects.visible_to(actor, action)
        .select_related("community", "grid", "responsible")
        .prefetch_related("compounds")
    )
    if state:
        qs = qs.filter(state=state)
    if status:
        qs = qs.filter(status=status)
    if function:
        qs = qs.filter(function=function)
    if q:
        qs = qs.filter(Q(name__icontains=q))
    if mine:
        qs = qs.filter(responsible=actor)
    return qs


def group_get(*, actor, uid, action: str = "view") -> Group:
    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        uid = None
    return access_object(
        actor,
        Group.objects.select_related("community", "grid", "responsible").prefetch_related(
            "compounds",
            "buildings__compound",
            "admins__user",
            "admins__resident",
            "predecessors",
            "successors",
            "evidence",
        ),
        action,
        uid=uid,
    )


def evidence_get(*, actor, uid) -> GroupEvidence:
    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        uid = None
    visible = Group.objects.visible_to(actor, "view")
    try:
        return GroupEvidence.objects.select_related("group").get(uid=uid, group__in=visible)
    except GroupEvidence.DoesNotExist:
        from gridgov.core.errors import NotFound

        raise NotFound() from None


def compound_choices(*, actor):
    """Compounds (with their buildings) of the communities where the actor registers groups."""
    from gridgov.core.scoping import path_filter
    from gridgov.org.models import Compound

    query = path_filter(actor, "groups.register", "community__path")
    query_grid = path_filter(actor, "groups.register", "buildings__grid__path")
    if query is None:
        return Compound.objects.none()
    return (
        Compound.objects.filter(query | query_grid)
        .distinct()
        .select_related("community")
        .prefetch_related("buildings")
        .order_by("community__code", "name")
    )


def registry_summary(qs: QuerySet[Group]) -> dict:
    """Counts of a list: registered (approved), waiting, with all 「四有」."""
    registered = qs.filter(state=Group.State.APPROVED)
    four = registered.filter(**{k: True for k in Group.FOUR_HAVES})
    n_registered = registered.count()
    return {
        "registered": n_registered,
        "pending": qs.filter(state=Group.State.PENDING).count(),
        "four_haves": four.count(),
        "four_haves_share": (four.count() / n_registered) if n_registered else None,
    }


def snapshot_list(*, actor, group: Group | None = None, month=None, klass: str = ""):
    from gridgov.groups.models import Snapshot

    qs = Snapshot.objects.visible_to(actor).select_related("group", "indicator_set")
    if group is not None:
        qs = qs.filter(group=group)
    if month is not None:
        qs = qs.filter(month=month)
    if klass:
        qs = qs.filter(klass=klass)
    return qs.order_by("-month", "group__name", "id")


def latest_class(group_ref: str = "pk"):
    """The class of a group's newest month, to annotate a queryset whose ``group_ref`` is
    the group's id ("" before the first month)."""
    from django.db.models import OuterRef, Subquery

    from gridgov.groups.models import Snapshot

    newest = Snapshot.objects.filter(group=OuterRef(group_ref)).order_by("-month")
    return Subquery(newest.values("klass")[:1])


def latest_snapshots(groups) -> dict[int, object]:
    """The newest snapshot of each group (for lists showing the class)."""
    from gridgov.groups.models import Snapshot

    out = {}
    for snap in Snapshot.objects.filter(group__in=groups).order_by("group_id", "-month"):
        out.setdefault(snap.group_id, snap)
    return out


def score_list(*, actor, month=None, street: str = ""):
    from gridgov.groups.models import Score

    qs = Score.objects.visible_to(actor).select_related("group", "street")
    if month is not None:
        qs = qs.filter(month=month)
    if street:
        qs = qs.filter(street__code=street)
    return qs.order_by("-month", "street__code", "rank", "id")


def score_rules(*, actor, month) -> dict:
    """The scoring policy version in force, and how many of the month's scores in the
    actor's area were computed under another version (they change when scored again)."""
    from gridgov.core.policies import policy_in_force

    version = policy_in_force("groups.scoring").version
    outdated = score_list(actor=actor, month=month).exclude(policy_version=version).count()
    return {"version": version, "outdated": outdated}


def top_and_bottom(*, actor, month) -> list[dict]:
    """Per street of the actor's area: the top and bottom groups of the month (policy
    ``groups.scoring.top_bottom``), for the 奖励 / 约谈 decisions."""
    from gridgov.core.policies import policy_get

    n = policy_get("groups.scoring").top_bottom
    by_street: dict[int, dict] = {}
    for row in score_list(actor=actor, month=month).order_by("street__code", "rank"):
        entry = by_street.setdefault(row.street_id, {"street": row.street, "rows": []})
        entry["rows"].append(row)
    out = []
    for entry in by_street.values():
        rows = entry["rows"]
        out.append(
            {
                "street": entry["street"],
                "top": rows[:n],
                "bottom": list(reversed(rows[-n:])) if len(rows) > n else [],
                "count": len(rows),
            }
        )
    return out


def rectification_list(*, actor, state: str = "", group: Group | None = None):
    from gridgov.groups.models import Rectification

    qs = (
        Rectification.objects.visible_to(actor)
        .select_related("group", "supervisor")
        .prefetch_related("items")
    )
    if state == "in_progress":
        qs = qs.exclude(state=Rectification.State.CLOSED)
    elif state:
        qs = qs.filter(state=state)
    if group is not None:
        qs = qs.filter(group=group)
    return qs


def rectification_get(*, actor, uid):
    from gridgov.groups.models import Rectification

    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        uid = None
    return access_object(
        actor,
        Rectification.objects.select_related("group", "supervisor", "snapshot").prefetch_related(
            "items", "evidence"
        ),
        "view",
        uid=uid,
    )
