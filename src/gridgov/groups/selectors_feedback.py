"""Reads of residents' feedback: the suggestions of the actor's area (``groups.view``) and
each group's ratings of a month."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import Avg, Count, QuerySet

from gridgov.core.errors import NotFound
from gridgov.groups.models import GroupRating, Suggestion


def suggestion_list(*, actor, month: date | None = None, golden: bool | None = None):
    qs = Suggestion.objects.visible_to(actor, "view").select_related("group", "group__community")
    if month is not None:
        qs = qs.filter(month=month)
    if golden is not None:
        qs = qs.filter(golden=golden)
    return qs


def suggestion_get(*, actor, uid) -> Suggestion:
    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        raise NotFound() from None
    found = suggestion_list(actor=actor).filter(uid=uid).first()
    if found is None:
        raise NotFound()
    return found


def ratings_by_group(groups, month: date) -> dict[int, dict]:
    """{group id: {"n", "average"}} of the month's ratings."""
    rows: QuerySet = (
        GroupRating.objects.filter(group__in=groups, month=month)
        .values("group")
        .annotate(n=Count("pk"), average=Avg("stars"))
        .order_by()
    )
    return {r["group"]: {"n": r["n"], "average": r["average"]} for r in rows}


def my_ratings(resident, month: date) -> dict[int, int]:
    return dict(
        GroupRating.objects.filter(resident=resident, month=month).values_list("group", "stars")
    )
