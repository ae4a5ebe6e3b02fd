"""Reads of the treatments (mentor pairings, split-or-merge tasks), scoped through
``core.scoping`` (``groups.view``)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from gridgov.core.errors import NotFound
from gridgov.groups.models import Group, Pairing, RestructureTask, Snapshot
from gridgov.groups.selectors import latest_class


def as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def pairing_list(*, actor, state: str = "", group: Group | None = None) -> QuerySet[Pairing]:
    qs = Pairing.objects.visible_to(actor, "view").select_related("mentee", "mentor")
    if state:
        qs = qs.filter(state=state)
    if group is not None:
        qs = qs.filter(mentee=group)
    return qs


def pairing_get(*, actor, uid) -> Pairing:
    found = pairing_list(actor=actor).filter(uid=as_uuid(uid)).first()
    if found is None:
        raise NotFound()
    return found


def task_list(*, actor, state: str = "", group: Group | None = None) -> QuerySet[RestructureTask]:
    qs = RestructureTask.objects.visible_to(actor, "view").select_related("group")
    if state:
        qs = qs.filter(state=state)
    if group is not None:
        qs = qs.filter(group=group)
    return qs


def task_get(*, actor, uid) -> RestructureTask:
    found = task_list(actor=actor).filter(uid=as_uuid(uid)).first()
    if found is None:
        raise NotFound()
    return found


def mentor_choices(*, actor, mentee: Group) -> list[Group]:
    """Groups the actor sees whose latest month is 高效能群 and that have an admin with an
    account, the mentee's own community first."""
    qs = (
        Group.objects.visible_to(actor, "view")
        .exclude(pk=mentee.pk)
        .filter(admins__user__isnull=False)
        .annotate(latest=latest_class())
        .filter(latest=Snapshot.Klass.HIGH)
        .select_related("community")
        .distinct()
    )
    return sorted(qs[:200], key=lambda g: (g.community_id != mentee.community_id, g.name))
