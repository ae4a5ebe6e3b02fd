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
