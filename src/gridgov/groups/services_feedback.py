"""Residents' feedback on their chat groups (「居民反馈直通车」, docs/groups.md, *Residents'
feedback*): a verified resident rates each group serving their compound once a month
(giving it again changes it) and sends suggestions; staff pick the month's 金点子, at most
``golden_per_month`` per community. The month's ratings give a group's satisfaction once
``min_group_ratings`` residents rated (policy ``groups.feedback``)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import require_in_scope
from gridgov.groups.models import Group, GroupRating, Suggestion
from gridgov.groups.services import actor_name, free_text
from gridgov.residents.selectors import require_resident


def groups_of_resident(resident) -> list[Group]:
    """The registered, active groups serving the resident's compound (by the household's
    room), else those serving a compound with a building in the household's grid."""
    household = resident.household
    qs = Group.objects.filter(state=Group.State.APPROVED, status=Group.Status.ACTIVE)
    if household.room_id:
        qs = qs.filter(compounds__buildings__rooms=household.room_id)
    else:
        qs = qs.filter(compounds__buildings__grid_id=household.grid_id)
    return list(qs.distinct().order_by("name"))


def _own_group(user, uid) -> tuple:
    resident = require_resident(user)
    group = next((g for g in groups_of_resident(resident) if str(g.uid) == str(uid)), None)
    if group is None:
        raise NotFound()
    return resident, group


def rating_give(*, actor, group_uid, stars) -> GroupRating:
    resident, group = _own_group(actor, group_uid)
    try:
        stars = int(str(stars))
    except ValueError:
        stars = 0
    if not 1 <= stars <= 5:
        raise ValidationFailed(details={"stars": [_("Give 1 to 5 stars.")]})
    month = timezone.localdate().replace(day=1)
    with transaction.atomic():
        rating, _created = GroupRating.objects.update_or_create(
            group=group, resident=resident, month=month, defaults={"stars": stars}
        )
    return rating


def suggestion_send(*, actor, group_uid, text) -> Suggestion:
    resident, group = _own_group(actor, group_uid)
    errors: dict = {}
    text = free_text(text, "text", 300, errors)
    if not text and "text" not in errors:
        errors["text"] = [_("Write your suggestion.")]
    if errors:
        raise ValidationFailed(details=errors)
    return Suggestion.objects.create(
        group=group,
        resident=resident,
        scope_path=group.scope_path,
        month=timezone.localdate().replace(day=1),
        text=text,
    )


def golden_set(*, actor, suggestion: Suggestion, golden: bool) -> Suggestion:
    """Pick (or unpick) a suggestion as one of its month's 金点子 in its community."""
    require_in_scope(actor, suggestion.scope_path, "groups.register")
    limit = policy_in_force("groups.feedback").value.golden_per_month
    with transaction.atomic():
        suggestion = (
            Suggestion.objects.select_for_update().select_related("group").get(pk=suggestion.pk)
        )
        if golden and not suggestion.golden:
            # Locks the community's month: two staff picking at once stay within the limit.
            picked = list(
                Suggestion.objects.select_for_update()
                .filter(
                    group__community_id=suggestion.group.community_id,
                    month=suggestion.month,
                    golden=True,
                )
                .values_list("pk", flat=True)
            )
            if len(picked) >= limit:
                raise Conflict(
                    _("%(n)s 金点子 are already picked for this month in this community.")
                    % {"n": limit},
                    code="golden_limit",
                )
        suggestion.golden = golden
        suggestion.picked_by_name = actor_name(actor) if golden else ""
        suggestion.picked_at = timezone.now() if golden else None
        suggestion.save(update_fields=["golden", "picked_by_name", "picked_at"])
        audit_record(
            "groups.suggestion.golden",
            actor=actor,
            target=suggestion,
            changes={"golden": golden, "group": str(suggestion.group.uid)},
        )
    return suggestion


def month_satisfaction(group: Group, month: date) -> tuple[float | None, int]:
    """(share of ratings with at least ``satisfied_from_stars`` as a percent, ratings) of
    the month; the share is None below ``min_group_ratings`` ratings."""
    policy = policy_in_force("groups.feedback").value
    counts = GroupRating.objects.filter(group=group, month=month).aggregate(
        n=Count("pk"), satisfied=Count("pk", filter=Q(stars__gte=policy.satisfied_from_stars))
    )
    if counts["n"] < policy.min_group_ratings:
        return None, counts["n"]
    return round(100.0 * counts["satisfied"] / counts["n"], 1), counts["n"]
