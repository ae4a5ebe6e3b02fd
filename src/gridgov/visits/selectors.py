"""Reads of household visits. Every list starts from ``visible_to`` under a ``visits``
permission; members are shown masked and only as the people app lets the reader see them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.core.masking import mask_name
from gridgov.core.scoping import access_object
from gridgov.people.models import Resident
from gridgov.people.privacy import actor_sees_sensitive_tags
from gridgov.visits.models import (
    Correction,
    Indicator,
    IndicatorCategory,
    IndicatorRevision,
    SpotCheck,
    Visit,
    VisitAttachment,
    VisitTask,
)
from gridgov.visits.services import answer_value


def indicator_list(*, active_only: bool = True) -> QuerySet[Indicator]:
    """The catalogue (not personal data; the same for everyone)."""
    qs = Indicator.objects.select_related("category")
    return qs.filter(is_active=True) if active_only else qs


def indicator_get(*, code: str) -> Indicator:
    """One indicator by its code (retired ones too), or NotFound."""
    from gridgov.core.errors import NotFound

    indicator = Indicator.objects.select_related("category").filter(code=str(code)[:20]).first()
    if indicator is None:
        raise NotFound()
    return indicator


def category_list() -> QuerySet[IndicatorCategory]:
    return IndicatorCategory.objects.annotate(
        active=Count("indicators", filter=Q(indicators__is_active=True)),
        retired=Count("indicators", filter=Q(indicators__is_active=False)),
    )


def indicator_history(*, indicator: Indicator) -> QuerySet[IndicatorRevision]:
    """The changes of an indicator, newest first: each revision is the definition of
    ``version``, replaced by ``changed_by`` at ``created_at`` with ``changes``."""
    return indicator.revisions.select_related("changed_by").order_by("-version")


def definitions_at(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    """The definitions of (indicator id, version) pairs that are no longer current."""
    if not pairs:
        return {}
    ids = {i for i, _v in pairs}
    versions = {v for _i, v in pairs}
    rows = IndicatorRevision.objects.filter(indicator_id__in=ids, version__in=versions)
    return {
        (r.indicator_id, r.version): r.definition
        for r in rows.only("indicator_id", "version", "definition")
        if (r.indicator_id, r.version) in pairs
    }


def task_list(*, actor, mine: bool = False, status: str = "open") -> QuerySet[VisitTask]:
    qs = VisitTask.objects.visible_to(actor, "view").select_related("household", "assignee")
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(assignee=actor)
    return qs.order_by("due_date", "household__number")


def task_get(*, actor, uid, action: str = "view") -> VisitTask:
    return access_object(actor, VisitTask.objects.select_related("household"), action, uid=uid)


@dataclass
class Card:
    """One household on the worker's phone list."""

    task: VisitTask
    overdue: bool
    building: str
    floor: int | None
    members: list[dict] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def _floor(room) -> int | None:
    if room is None:
        return None
    digits = re.match(r"\d+", room.number or "")
    return int(digits.group()) // 100 if digits and len(digits.group()) >= 3 else None


def worker_today(*, actor) -> list[Card]:
    """The worker's open visits: overdue first, then by building and floor, each with the
    household's members masked and the indicators that are out of date."""
    today = timezone.localdate()
    tasks = list(
        task_list(actor=actor, mine=True).select_related("household__room__building__compound")
    )
    names = dict(Indicator.objects.values_list("code", "name"))
    members: dict[int, list[dict]] = {}
    for resident in (
        Resident.objects.visible_to(actor)
        .active()
        .filter(household_id__in=[t.household_id for t in tasks])
        .order_by("household_id", "birth_date")
    ):
        members.setdefault(resident.household_id, []).append(
            {
                "name": mask_name(resident.name),
                "relation": resident.get_relation_display(),
                "phone": resident.phone_masked,
                "uid": str(resident.uid),
                "version": resident.version,
            }
        )
    cards = []
    for task in tasks:
        room = task.household.room
        building = room.building if room else None
        label = f"{building.compound.name} {building.number}" if building else ""
        cards.append(
            Card(
                task=task,
                overdue=task.due_date < today,
                building=label,
                floor=_floor(room),
                members=members.get(task.household_id, []),
                stale=[f"{c} {names.get(c, '')}".strip() for c in task.stale],
            )
        )
    cards.sort(
        key=lambda c: (
            not c.overdue,
            c.building == "",
            c.building,
            c.floor if c.floor is not None else 999,
            c.task.household.number,
        )
    )
    return cards


def visit_list(*, actor, state: str = "", household=None) -> QuerySet[Visit]:
    qs = Visit.objects.visible_to(actor, "view").select_related("household", "collector")
    if state:
        qs = qs.filter(state=state)
    if household is not None:
        qs = qs.filter(household=household)
    return qs.order_by("-submitted_at")


def visit_get(*, actor, uid, action: str = "view") -> Visit:
    return access_object(
        actor, Visit.objects.select_related("household", "collector", "task"), action, uid=uid
    )


def attachment_list(*, actor, visit: Visit) -> QuerySet[VisitAttachment]:
    """The scans and photos of a visit the actor may see (every round)."""
    return (
        VisitAttachment.objects.visible_to(actor, "view")
        .filter(visit=visit)
        .select_related("uploaded_by", "visit")
        .order_by("created_at", "pk")
    )


def attachment_get(*, actor, uid, visit_uid=None) -> VisitAttachment:
    """One attachment in the actor's scope (``NotFound`` otherwise, also when it belongs
    to another visit than the one named)."""
    qs = VisitAttachment.objects.select_related("visit__household")
    if visit_uid is not None:
        qs = qs.filter(visit__uid=visit_uid)
    return access_object(actor, qs, "view", uid=uid)


def own_visit(*, actor, client_uuid: str) -> Visit | None:
    """The actor's own visit stored under a client id, if any."""
    import uuid

    try:
        key = uuid.UUID(str(client_uuid))
    except ValueError:
        return None
    return (
        Visit.objects.visible_to(actor, "collect").filter(client_uuid=key, collector=actor).first()
    )


def review_queue(*, actor) -> QuerySet[Visit]:
    """Records waiting for a second person: never the reader's own."""
    return (
        Visit.objects.visible_to(actor, "review")
        .filter(state=Visit.State.SUBMITTED)
        .exclude(collector=actor)
        .exclude(companions=actor)
        .select_related("household", "collector")
        .order_by("submitted_at")
    )


def returned_to_me(*, actor) -> QuerySet[Visit]:
    return (
        Visit.objects.visible_to(actor, "collect")
        .filter(state=Visit.State.RETURNED, collector=actor)
        .select_related("household")
        .order_by("submitted_at")
    )


def conflict_list(*, actor) -> QuerySet[Correction]:
    return (
        Correction.objects.visible_to(actor, "review")
        .filter(status=Correction.Status.CONFLICT)
        .select_related("visit", "resident")
        .order_by("visit__submitted_at")
    )


def correction_get(*, actor, uid, action: str = "review") -> Correction:
    return access_object(
        actor, Correction.objects.select_related("visit", "resident"), action, uid=uid
    )


def spot_check_list(*, actor, pending_only: bool = True) -> QuerySet[SpotCheck]:
    qs = (
        SpotCheck.objects.visible_to(actor, "spot_check")
        .select_related("visit__household", "collector", "draw")
        .order_by("draw__period_label", "pk")
    )
    return qs.filter(checked_at__isnull=True) if pending_only else qs


def spot_check_get(*, actor, uid) -> SpotCheck:
    return access_object(actor, SpotCheck.objects.select_related("visit"), "spot_check", uid=uid)


def collector_accuracy(*, actor) -> list[dict]:
    """Per collector: spot checks done and the share that matched (采集准确率)."""
    rows = (
        SpotCheck.objects.visible_to(actor, "spot_check")
        .filter(checked_at__isnull=False)
        .values("collector__username")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(result=SpotCheck.Result.MATCH)))
        .order_by("collector__username")
    )
    return [
        {
            "collector": r["collector__username"],
            "checked": r["n"],
            "matched": r["ok"],
            "accuracy": round(100 * r["ok"] / r["n"], 1) if r["n"] else None,
        }
        for r in rows
    ]


def visit_answers(*, actor, visit: Visit) -> list[dict]:
    """The current round's answers, each read with the definition of the indicator version
    it was given against (names, choices), whatever the catalogue says now and whether or
    not the indicator was retired since. Sensitive values only for the roles that see
    sensitive data (others see that an answer exists); an answer stored as sensitive stays
    hidden even if its indicator was graded normal later, and the other way round."""
    sees = actor_sees_sensitive_tags(actor)
    answers = list(visit.answers.filter(round=visit.round).select_related("indicator"))
    old = definitions_at(
        {
            (a.indicator_id, a.indicator_version)
            for a in answers
            if a.indicator_version != a.indicator.version
        }
    )
    out = []
    for answer in answers:
        indicator = answer.indicator
        definition = old.get((indicator.pk, answer.indicator_version), {})
        sensitive = (
            indicator.is_sensitive
            or bool(answer.value_encrypted)
            or definition.get("sensitivity") == Indicator.Sensitivity.SENSITIVE
        )
        hidden = sensitive and not sees
        value = None if hidden else answer_value(answer)
        choices = definition.get("validation", {}).get("choices") if definition else None
        out.append(
            {
                "code": indicator.code,
                "name": definition.get("name", indicator.name),
                "name_en": definition.get("name_en", indicator.name_en),
                "sensitive": sensitive,
                "value": value,
                "display": "" if hidden else answer_display(indicator, value, choices=choices),
                "hidden": hidden,
                "version": answer.indicator_version,
                "retired": not indicator.is_active,
            }
        )
    return out


def answer_display(indicator: Indicator, value, *, choices: list | None = None) -> str:
    """An answer as a person reads it: 是/否, choices by their names in the reader's
    language (``choices`` of the version it was given against, when not the current)."""
    from django.utils.translation import get_language, gettext

    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    chinese = (get_language() or "").lower().startswith("zh")
    labels = {c[0]: (c[1] if chinese else c[2]) for c in (choices or indicator.choices)}
    if isinstance(value, list):
        return "、".join(labels.get(v, str(v)) for v in value)
    return labels.get(value, str(value)) if labels else str(value)


def review_backlog(*, actor, paths: list[str], as_of) -> dict[str, tuple[int, float | None]]:
    """Per unit path: the visit records waiting for review (双人复核) at ``as_of`` and the
    age in days of the oldest (from its first submission). Waiting means submitted before
    that moment and not yet reviewed then, or still waiting now; read within the actor's
    ``visits.view`` scope, one query grouped by grid."""
    from django.db.models import Min

    if not paths:
        return {}
    under = Q()
    for path in paths:
        under |= Q(scope_path__startswith=path)
    waiting = (
        Q(state=Visit.State.SUBMITTED) | Q(reviewed_at__isnull=True) | Q(reviewed_at__gte=as_of)
    )
    rows = (
        Visit.objects.visible_to(actor, "view")
        .filter(under, waiting, submitted_at__lt=as_of)
        .values("scope_path")
        .annotate(n=Count("pk"), oldest=Min("submitted_at"))
        .order_by()
    )
    out: dict[str, list] = {path: [0, None] for path in paths}
    for row in rows:
        for path in paths:
            if row["scope_path"].startswith(path):
                sums = out[path]
                sums[0] += row["n"]
                if sums[1] is None or row["oldest"] < sums[1]:
                    sums[1] = row["oldest"]
    return {
        path: (n, round((as_of - oldest).total_seconds() / 86400, 1) if oldest else None)
        for path, (n, oldest) in out.items()
    }
