"""Reads of the event loop, always scoped."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.core.scoping import access_object
from gridgov.events.models import (
    OPEN_STATES,
    Category,
    Department,
    Event,
    EventAction,
    EventPhoto,
    EventRequest,
    State,
)

WAITING_FOR_CLOCK = [State.CLASSIFIED, State.DISPATCHED, State.HANDLING, State.HANDLED]


# The queues a list can be narrowed to besides the states: the workbench counts these
# same querysets, so a count always equals the list it links to.
QUEUES = ("open", "overdue", "to_verify", "to_dispatch", "requests", "escalated")
DISPATCH_STATES = [State.REPORTED, State.ACCEPTED, State.CLASSIFIED]
ESCALATED_LEVELS = [Event.Level.STREET, Event.Level.DISTRICT]


@dataclass(frozen=True)
class EventFilters:
    state: str = ""  # a state, or one of QUEUES
    grid: str = ""
    q: str = ""
    mine: bool = False
    # The records behind a KPI number: its rows (or its numerator's) under a unit, in a period.
    kpi_rows: Q | None = None
    unit_path: str = ""


def event_list(*, actor, filters: EventFilters = EventFilters()) -> QuerySet[Event]:
    qs = Event.objects.visible_to(actor).select_related("category", "grid", "assignee")
    now = timezone.now()
    if filters.state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif filters.state == "overdue":
        qs = qs.filter(state__in=WAITING_FOR_CLOCK, handle_due__lt=now, paused_at__isnull=True)
    elif filters.state == "to_verify":
        qs = qs.filter(state=State.HANDLED)
    elif filters.state == "to_dispatch":
        qs = qs.filter(state__in=DISPATCH_STATES) & Event.objects.visible_to(actor, "dispatch")
    elif filters.state == "requests":
        # Extensions and suspensions asked for, where the actor may decide them.
        qs = qs.filter(
            pk__in=EventRequest.objects.filter(status=EventRequest.Status.PENDING).values("event")
        ) & Event.objects.visible_to(actor, "dispatch")
    elif filters.state == "escalated":
        # Whistled up to the street or the district (吹哨) and still open.
        qs = qs.filter(state__in=OPEN_STATES, level__in=ESCALATED_LEVELS)
    elif filters.state in State.values:
        qs = qs.filter(state=filters.state)
    if filters.grid:
        qs = qs.filter(grid__code=filters.grid)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(tracking_code=filters.q.upper()))
    if filters.mine:
        qs = qs.filter(assignee=actor)
    if filters.kpi_rows is not None:
        qs = qs.filter(filters.kpi_rows)
    if filters.unit_path:
        qs = qs.filter(scope_path__startswith=filters.unit_path)
    return (
        qs.order_by("handle_due", "-reported_at", "pk")
        if filters.state
        else qs.order_by("-reported_at", "-pk")
    )


def reported_by(*, actor) -> QuerySet[Event]:
    """The events the actor reported themselves, newest first (their own records: no
    scope needed to see what they sent)."""
    return Event.objects.filter(reporter=actor).order_by("-reported_at", "-pk")


def dispatcher_queue(*, actor) -> QuerySet[Event]:
    """Events waiting for a dispatcher: new, accepted, registered, returned; most urgent first."""
    return (
        Event.objects.visible_to(actor, "dispatch")
        .filter(state__in=DISPATCH_STATES)
        .select_related("category", "grid", "suggested_category", "suggested_assignee")
        .order_by("accept_due", "pk")
    )


# How many rows of each of the handler's queues a page shows (the counts are whole).
WORKER_LIST_SIZES = {"overdue": 50, "todo": 100, "to_check_in": 50, "to_verify": 50}


def worker_queues(*, actor) -> dict[str, QuerySet[Event]]:
    """The handler's own queues, whole: overdue, to do (soonest due first), to check in
    (吹哨报到) and to verify. My tasks and the workbench both read these."""
    now = timezone.now()
    mine = Event.objects.visible_to(actor).filter(assignee=actor).select_related("category")
    active = mine.filter(state__in=[State.DISPATCHED, State.HANDLING, State.WAITING])
    return {
        "overdue": active.filter(handle_due__lt=now).order_by("handle_due", "pk"),
        "todo": active.filter(Q(handle_due__gte=now) | Q(handle_due__isnull=True)).order_by(
            "handle_due", "pk"
        ),
        # Escalated to my unit or my department and not yet checked in (报到).
        "to_check_in": Event.objects.visible_to(actor)
        .filter(state=State.DISPATCHED, assignee__isnull=True)
        .filter(
            pk__in=Event.objects.filter(
                Q(responsible_unit__in=[m.org_unit_id for m in actor.memberships_cached])
                | Q(department__members=actor)
            ).values("pk")
        )
        .select_related("category")
        .order_by("handle_due", "pk"),
        "to_verify": _to_verify(actor).select_related("category").order_by("handled_at", "pk"),
    }


def worker_lists(*, actor) -> dict[str, list[Event]]:
    """The grid worker's phone view: the first rows of each of ``worker_queues``."""
    return {
        key: list(events[: WORKER_LIST_SIZES[key]])
        for key, events in worker_queues(actor=actor).items()
    }


def _to_verify(actor) -> QuerySet[Event]:
    """Handled events the actor may verify: not their own work (policy, on by default)."""
    from gridgov.core.policies import policy_get

    events = Event.objects.visible_to(actor, "verify").filter(state=State.HANDLED)
    if policy_get("events.loop").separate_verifier:
        events = events.exclude(assignee=actor)
    return events


def event_get(*, actor, uid, action: str = "view") -> Event:
    return access_object(
        actor,
        Event.objects.select_related(
            "category", "grid", "assignee", "department", "responsible_unit", "duplicate_of"
        ),
        action,
        uid=uid,
    )


def event_timeline(event: Event, *, public_only: bool = False) -> QuerySet[EventAction]:
    qs = EventAction.objects.filter(event=event).select_related("actor")
    return qs.filter(public=True) if public_only else qs


def event_photos(event: Event) -> QuerySet[EventPhoto]:
    return EventPhoto.objects.filter(event=event).order_by("pk")


def photo_get(*, actor, uid) -> EventPhoto:
    photo = EventPhoto.objects.select_related("event").filter(uid=uid).first()
    if photo is None:
        raise NotFound()
    access_object(actor, Event.objects.all(), "view", pk=photo.event_id)
    return photo


def duplicate_suggestions(*, actor, event: Event, limit: int = 5) -> list[Event]:
    """Open events of the same (or suggested) category near the event, recently."""
    from gridgov.core.policies import policy_get

    category_id = event.category_id or event.suggested_category_id
    if event.lon is None or category_id is None:
        return []
    policy = policy_get("events.duplicates")
    # About 111 km per degree of latitude; longitude shrinks with cos(latitude).
    dlat = policy.radius_m / 111_000
    dlon = dlat / max(0.1, math.cos(math.radians(event.lat)))
    since = event.reported_at - timedelta(hours=policy.window_hours)
    candidates = (
        Event.objects.visible_to(actor)
        .filter(
            Q(category_id=category_id) | Q(suggested_category_id=category_id),
            reported_at__gte=since,
            lon__range=(event.lon - dlon, event.lon + dlon),
            lat__range=(event.lat - dlat, event.lat + dlat),
        )
        .exclude(pk=event.pk)
        .exclude(state=State.MERGED)
        .order_by("-reported_at")
    )
    nearby = []
    for other in candidates[:50]:
        if _metres(event.lon, event.lat, other.lon, other.lat) <= policy.radius_m:
            nearby.append(other)
    return nearby[:limit]


def _metres(lon1, lat1, lon2, lat2) -> float:
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def category_tree(*, active_only: bool = True) -> list[Category]:
    qs = Category.objects.select_related("parent", "department").order_by("kind", "code")
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs)


def leaf_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True, parent__isnull=False).order_by("code")


def departments_for(event: Event) -> QuerySet[Department]:
    from gridgov.events.routing import ancestor_at

    return Department.objects.filter(district=ancestor_at(event.scope_path, "district"))


def grid_staff_for(event: Event) -> list:
    """Grid workers and grid leaders whose scope covers the event (who it can go to)."""
    from gridgov.accounts.models import Membership, User

    parts = [p for p in event.scope_path.split("/") if p]
    ancestors = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    ids = Membership.objects.filter(
        role__in=["grid_worker", "grid_leader"], org_unit__path__in=ancestors
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username"))
