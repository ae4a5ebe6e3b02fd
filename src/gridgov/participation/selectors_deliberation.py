"""Reads of deliberation 议事. Staff read in their ``participation`` scope; a resident reads
the topics and proposals of their own grid and of the community containing it, and nothing
else (anything outside is a 404)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.core.policies import policy_get
from gridgov.core.scoping import access_object
from gridgov.org.models import OrgUnit
from gridgov.participation.models import Comment, Decision, Proposal, Topic
from gridgov.people.models import Resident

TOPIC_QUEUES = ("overdue",)


def resident_units(resident: Resident) -> list[OrgUnit]:
    """The resident's grid and the community containing it (where they take part)."""
    grid = OrgUnit.objects.select_related("parent").get(pk=resident.household.grid_id)
    return [u for u in (grid, grid.parent) if u is not None]


def assistable_residents(*, actor, q: str = ""):
    """Active residents under the units where the actor may act for residents (代办,
    ``participation.assist``), looked up by name; the pages show them masked."""
    rows = (
        Resident.objects.active()
        .visible_to(actor, "view")
        .select_related("household")
        .order_by("household__number", "name")
    )
    paths = actor.scope_paths("participation.assist")
    if not paths:
        return rows.none()
    scope = Q()
    for path in paths:
        scope |= Q(scope_path__startswith=path)
    rows = rows.filter(scope)
    return rows.filter(name__icontains=q[:30]) if q else rows


def assistable_resident(*, actor, uid) -> Resident:
    """One resident the actor may act for, or 404."""
    return access_object(actor, assistable_residents(actor=actor), "view", uid=uid)


def resident_paths(resident: Resident) -> list[str]:
    return [u.path for u in resident_units(resident)]


def overdue_q(today: date | None = None) -> Q:
    """Topics adopted (with or without changes) whose report-back is past its due date and
    not yet published: shown red on the lists and boards."""
    today = today or timezone.localdate()
    return Q(
        decision__outcome__in=Decision.ADOPTING,
        decision__reported_at__isnull=True,
        decision__report_due__lt=today,
    )


def _topics() -> QuerySet[Topic]:
    return Topic.objects.select_related("org_unit", "decision")


def topic_list(*, actor, state: str = "", unit: str = "", queue: str = "") -> QuerySet[Topic]:
    qs = _topics().visible_to(actor, "view")
    if state in Topic.State.values:
        qs = qs.filter(state=state)
    if unit:
        found = OrgUnit.objects.filter(code=unit).first()
        qs = qs.filter(scope_path__startswith=found.path) if found else qs.none()
    if queue == "overdue":
        qs = qs.filter(overdue_q())
    return qs


def topic_get(*, actor, pk, action: str = "view") -> Topic:
    return access_object(actor, _topics(), action, pk=pk)


def resident_topic_list(*, resident: Resident, state: str = "") -> QuerySet[Topic]:
    qs = _topics().filter(scope_path__in=resident_paths(resident))
    if state in Topic.State.values:
        qs = qs.filter(state=state)
    return qs


def resident_topic_get(*, resident: Resident, pk) -> Topic:
    try:
        return resident_topic_list(resident=resident).get(pk=pk)
    except (Topic.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def is_overdue(topic: Topic, today: date | None = None) -> bool:
    decision = getattr(topic, "decision", None) if hasattr(topic, "decision") else None
    today = today or timezone.localdate()
    return bool(
        decision is not None
        and decision.adopting
        and decision.reported_at is None
        and decision.report_due < today
    )


def comments_of(topic: Topic) -> list[Comment]:
    return list(topic.comments.select_related("author").order_by("created_at", "pk"))


def _proposals() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("org_unit", "topic", "author")


def proposal_list(*, actor, state: str = "", queue: str = "") -> QuerySet[Proposal]:
    """``queue``: ``candidates`` (已附议, waiting for staff), ``hidden``."""
    qs = _proposals().visible_to(actor, "view")
    if state in Proposal.State.values:
        qs = qs.filter(state=state)
    if queue == "candidates":
        qs = qs.filter(state=Proposal.State.SECONDED, hidden_at__isnull=True)
    elif queue == "hidden":
        qs = qs.filter(hidden_at__isnull=False)
    return qs


def proposal_get(*, actor, uid, action: str = "view") -> Proposal:
    return access_object(actor, _proposals(), action, uid=uid)


def resident_proposal_list(*, resident: Resident) -> QuerySet[Proposal]:
    """Proposals of the resident's units a resident may read: submitted and not hidden,
    and their own (drafts and hidden ones too)."""
    return (
        _proposals()
        .filter(scope_path__in=resident_paths(resident))
        .filter(Q(author=resident) | (Q(hidden_at__isnull=True) & ~Q(state=Proposal.State.DRAFT)))
        .prefetch_related(
            Prefetch("cosignatures", to_attr="prefetched_cosignatures"),
        )
    )


def resident_proposal_get(*, resident: Resident, uid) -> Proposal:
    try:
        return resident_proposal_list(resident=resident).get(uid=uid)
    except (Proposal.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def eligible_residents(topic: Topic, today: date | None = None) -> QuerySet[Resident]:
    """Who is told of the topic's meeting: active residents living in its unit, adults by
    the policy's age."""
    today = today or timezone.localdate()
    age = policy_get("participation.deliberation").adult_age
    try:
        born_by = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        born_by = today.replace(year=today.year - age, day=28)
    return Resident.objects.active().filter(
        scope_path__startswith=topic.scope_path,
        residence=Resident.Residence.PRESENT,
        birth_date__lte=born_by,
    )


def notice_due_at(topic: Topic):
    """When the topic's residents are told: the policy's days before the meeting; a topic
    with no meeting time (online only) as soon as it is selected."""
    if topic.meeting_at is None:
        return topic.selected_at
    return topic.meeting_at - timedelta(days=policy_get("participation.deliberation").notice_days)
