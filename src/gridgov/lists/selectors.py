"""Reads of the three lists. Lists and single objects go through ``core.scoping``
(``visible_to`` / ``access_object``); ``candidates(need)`` is the one answer to "which
resources could serve this need now" for the manual match and the optimiser alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from gridgov.core.scoping import access_object
from gridgov.lists.models import Need, NeedCategory, Resource, ServiceOrder
from gridgov.people.models import Household, Resident, ResidentTag
from gridgov.visits.services import distance_m


def need_list(
    *, actor, state: str = "", category: str = "", colour: str = "", open_only: bool = False
) -> QuerySet[Need]:
    qs = Need.objects.visible_to(actor).select_related("category", "household")
    if state:
        qs = qs.filter(state=state)
    if open_only:
        qs = qs.filter(state__in=Need.OPEN_STATES)
    if category:
        qs = qs.filter(category__code=category)
    if colour:
        qs = qs.filter(colour=colour)
    return qs.order_by("-created_at", "-id")


def need_get(*, actor, uid, action: str = "view") -> Need:
    return access_object(
        actor, Need.objects.select_related("category", "household", "resident"), action, uid=uid
    )


def resource_list(*, actor, status: str = "", category: str = "") -> QuerySet[Resource]:
    qs = Resource.objects.visible_to(actor).select_related("owner")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(categories__code=category).distinct()
    return qs.order_by("name", "id")


def resource_get(*, actor, uid, action: str = "view") -> Resource:
    return access_object(actor, Resource.objects.select_related("owner"), action, uid=uid)


ORDER_QUEUES = ("overdue", "to_accept", "in_hand")


def overdue_q(now: datetime | None = None) -> Q:
    """Overdue orders: not accepted by ``accept_due`` (until the timeout job sends them back
    to matching) or accepted and not started by ``start_due`` (first service)."""
    now = now or timezone.now()
    return Q(state=ServiceOrder.State.DISPATCHED, accept_due__lt=now) | Q(
        state=ServiceOrder.State.ACCEPTED, start_due__lt=now
    )


def order_list(
    *, actor, state: str = "", resource: str = "", action: str = "view"
) -> QuerySet[ServiceOrder]:
    """Orders the actor sees (``action``: ``view`` staff's scope and a provider's own,
    ``serve`` a provider's own only); ``state`` a state or one of ``ORDER_QUEUES``."""
    qs = ServiceOrder.objects.visible_to(actor, action).select_related(
        "need__category",
        "need__household__room__building__compound",
        "need__household__grid",
        "resource",
    )
    if state == "overdue":
        qs = qs.filter(overdue_q())
    elif state == "to_accept":
        qs = qs.filter(state=ServiceOrder.State.DISPATCHED)
    elif state == "in_hand":
        qs = qs.filter(state__in=(ServiceOrder.State.ACCEPTED, ServiceOrder.State.IN_SERVICE))
    elif state:
        qs = qs.filter(state=state)
    if resource:
        qs = qs.filter(resource__uid=resource)
    return qs.order_by("-dispatched_at", "-id")


def order_get(*, actor, uid, action: str = "view") -> ServiceOrder:
    """One order (``action``: ``view``, ``dispatch``, ``serve`` a provider's own, ``act``
    staff's dispatch scope or a provider's own), or NotFound."""
    return access_object(
        actor,
        ServiceOrder.objects.select_related(
            "need__category",
            "need__household__room__building__compound",
            "need__household__grid",
            "resource",
        ),
        action,
        uid=uid,
    )


def orders_to_escalate(*, now: datetime | None = None) -> QuerySet[ServiceOrder]:
    """Accepted orders not started by their first-service time and not yet escalated
    (every scope: the escalation job's read)."""
    return ServiceOrder.objects.filter(
        state=ServiceOrder.State.ACCEPTED,
        start_due__lt=now or timezone.now(),
        overdue_escalated_at__isnull=True,
    ).order_by("start_due")


def sees_household(actor, order: ServiceOrder) -> bool:
    """Whether the actor reads the order's household as staff (``lists.view`` in its
    scope); a provider account sees only the masked place (``order_place``)."""
    from gridgov.core.scoping import path_in_scope

    return path_in_scope(actor, order.scope_path, "lists.view")


def mask_number(value: str) -> str:
    """A household number with all but its first and last characters hidden."""
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def order_place(order: ServiceOrder) -> str:
    """Where the service goes, as a provider sees it before a reveal: the building
    (compound and building number) without the room, else the grid's name."""
    household = order.need.household
    building = household.room.building if household.room_id else None
    if building is not None:
        return f"{building.compound.name} {building.number}"
    return household.grid.name


def operated_resources(*, actor) -> QuerySet[Resource]:
    """The resources the account operates (its links, whatever their keeper's scope)."""
    return Resource.objects.filter(operators__user=actor).order_by("name", "id")


def provider_queues(*, actor) -> dict[str, QuerySet[ServiceOrder]]:
    """A provider account's home: orders to accept, in hand (accepted or in service) and
    overdue; its own orders only."""
    return {key: order_list(actor=actor, state=key, action="serve") for key in ORDER_QUEUES}


def categories() -> QuerySet[NeedCategory]:
    return NeedCategory.objects.filter(is_active=True)


# Capacity, area and eligibility -------------------------------------------------------------


def period_start(resource: Resource, now: datetime | None = None) -> datetime:
    """The beginning of the resource's current capacity period (Monday or the 1st)."""
    today = timezone.localtime(now or timezone.now()).date()
    if resource.capacity_period == Resource.Period.WEEK:
        first = today - timedelta(days=today.weekday())
    else:
        first = today.replace(day=1)
    return timezone.make_aware(datetime.combine(first, datetime.min.time()))


def capacity_used(resource: Resource, now: datetime | None = None) -> int:
    """Orders dispatched to it in its current period that were not refused, timed out or
    cancelled: each takes one place (hours or items alike: one order, one unit)."""
    return ServiceOrder.objects.filter(
        resource=resource,
        dispatched_at__gte=period_start(resource, now),
        state__in=ServiceOrder.USING_STATES,
    ).count()


def capacity_left(resource: Resource, now: datetime | None = None) -> int:
    return max(0, resource.capacity - capacity_used(resource, now))


def household_point(household: Household) -> tuple[float, float] | None:
    """The household's building, else the centre of its grid's bounding box."""
    building = household.room.building if household.room_id else None
    if building is not None and building.lon is not None and building.lat is not None:
        return building.lon, building.lat
    grid = getattr(household.grid, "grid", None)
    if grid is None:
        return None
    return (grid.min_lon + grid.max_lon) / 2, (grid.min_lat + grid.max_lat) / 2


def serves_area(resource: Resource, need: Need, point=None) -> tuple[bool, float | None]:
    """(serves the household's area, distance in metres when the resource has a point)."""
    distance = None
    if resource.lon is not None and resource.lat is not None and point is not None:
        distance = distance_m(resource.lon, resource.lat, point[0], point[1])
    if any(need.scope_path.startswith(p) for p in resource.area_paths or []):
        return True, distance
    if resource.radius_m and distance is not None and distance <= resource.radius_m:
        return True, distance
    return False, distance


def _persons(need: Need) -> list[Resident]:
    if need.resident_id:
        return [need.resident]
    return list(Resident.objects.active().filter(household_id=need.household_id))


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def tags_of(people: list[Resident]) -> set[str]:
    """Special-population tags of these people, for a rule's check (colour, eligibility):
    only the rule's answer leaves this module, never the tags themselves."""
    today = timezone.localdate()
    rows = ResidentTag.objects.filter(resident__in=[p.pk for p in people]).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    return set(rows.values_list("category__code", flat=True))


def eligibility(
    resource: Resource,
    need: Need,
    people: list[Resident] | None = None,
    tags: set[str] | None = None,
) -> str:
    """'' when the need's person (or a household member) meets the resource's rule, else
    the reason (``tags`` or ``age``). ``tags``: the people's tags, when already read."""
    people = _persons(need) if people is None else people
    if resource.eligible_tags:
        held = tags_of(people) if tags is None else tags
        if not held & set(resource.eligible_tags):
            return "tags"
    if resource.min_age is not None or resource.max_age is not None:
        today = timezone.localdate()
        ages = [age_on(p.birth_date, today) for p in people if p.birth_date]
        low = resource.min_age if resource.min_age is not None else 0
        high = resource.max_age if resource.max_age is not None else 200
        if not any(low <= a <= high for a in ages):
            return "age"
    return ""


@dataclass
class Candidate:
    resource: Resource
    capacity_left: int
    distance_m: float | None
    load: int  # orders in hand
    reasons: list[str] = field(default_factory=list)  # why it qualifies
    via: str = ""  # the area path that covers the household, or "radius"


@dataclass
class CandidateSet:
    """One need's candidates, and for the others of its category why they failed
    (reason → how many: ``area``, ``capacity``, ``tags``, ``age``)."""

    candidates: list[Candidate]
    rejected: dict[str, int]


def _via(resource: Resource, need: Need) -> str:
    paths = [p for p in resource.area_paths or [] if need.scope_path.startswith(p)]
    return max(paths, key=len) if paths else "radius"


def candidates_for(
    needs: list[Need], *, now: datetime | None = None, pool: QuerySet[Resource] | None = None
) -> dict[int, CandidateSet]:
    """``candidates(need)`` for many needs at once (by need pk), reading each resource's
    capacity and each need's household, people and tags once. ``pool`` narrows the
    resources considered (the optimiser passes those the dispatcher may see)."""
    base = Resource.objects.all() if pool is None else pool
    resources = list(
        # The category filter as a subquery: a join would multiply the count of orders.
        base.filter(
            status=Resource.Status.ACTIVE,
            pk__in=Resource.objects.filter(categories__in={n.category_id for n in needs}).values(
                "pk"
            ),
        )
        .annotate(in_hand=Count("orders", filter=Q(orders__state__in=ServiceOrder.ACTIVE_STATES)))
        .prefetch_related("categories")
        .distinct()
    )
    by_category: dict[int, list[Resource]] = {}
    for resource in resources:
        for category in resource.categories.all():
            by_category.setdefault(category.pk, []).append(resource)
    households = Household.objects.select_related("grid__grid", "room__building").in_bulk(
        {n.household_id for n in needs}
    )
    left: dict[int, int] = {}
    out: dict[int, CandidateSet] = {}
    for need in needs:
        point = household_point(households[need.household_id])
        people = _persons(need)
        tags: set[str] | None = None
        found: list[Candidate] = []
        rejected: dict[str, int] = {}
        for resource in by_category.get(need.category_id, []):
            serves, distance = serves_area(resource, need, point)
            if not serves:
                rejected["area"] = rejected.get("area", 0) + 1
                continue
            if resource.pk not in left:
                left[resource.pk] = capacity_left(resource, now)
            if left[resource.pk] <= 0:
                rejected["capacity"] = rejected.get("capacity", 0) + 1
                continue
            if resource.eligible_tags and tags is None:
                tags = tags_of(people)
            why = eligibility(resource, need, people, tags)
            if why:
                rejected[why] = rejected.get(why, 0) + 1
                continue
            reasons = ["category", "area", "capacity"]
            if (
                resource.eligible_tags
                or resource.min_age is not None
                or resource.max_age is not None
            ):
                reasons.append("eligibility")
            found.append(
                Candidate(
                    resource,
                    left[resource.pk],
                    distance,
                    resource.in_hand,
                    reasons,
                    _via(resource, need),
                )
            )
        found.sort(
            key=lambda c: (c.distance_m if c.distance_m is not None else float("inf"), c.load)
        )
        out[need.pk] = CandidateSet(found, dict(sorted(rejected.items())))
    return out


def candidates(need: Need, *, now: datetime | None = None) -> list[Candidate]:
    """The resources that could serve ``need`` now: active, offering its category, serving
    the household's area, with capacity left in the period and the eligibility rule met.
    Nearest first, then the least loaded. The caller has already been allowed to see the
    need; resources kept above the caller's unit are candidates when they serve its area."""
    return candidates_for([need], now=now)[need.pk].candidates


def overdue_orders(*, now: datetime | None = None) -> QuerySet[ServiceOrder]:
    """Orders not accepted by their deadline (every scope: the timeout job's read)."""
    return ServiceOrder.objects.filter(
        state=ServiceOrder.State.DISPATCHED, accept_due__lt=now or timezone.now()
    )


# Projects ----------------------------------------------------------------------------------


def project_list(*, actor, state: str = "", service_line: str = "") -> QuerySet:
    from gridgov.lists.models import Project

    qs = Project.objects.visible_to(actor).select_related("sponsor")
    if state:
        qs = qs.filter(state=state)
    if service_line:
        qs = qs.filter(service_line=service_line)
    return qs.annotate(need_count=Count("needs", distinct=True)).order_by("-created_at", "-id")


def project_get(*, actor, uid, action: str = "view"):
    from gridgov.lists.models import Project

    return access_object(actor, Project.objects.select_related("sponsor"), action, uid=uid)


def linkable_needs(*, actor, project) -> QuerySet[Need]:
    """Needs the actor may link to the project: in its sponsor's area, nobody can meet them
    (匹配中, or 无法满足 with the route 转项目), and in no other open project."""
    from gridgov.lists.models import Project

    taken = Project.needs.through.objects.filter(project__state__in=Project.OPEN_STATES).values(
        "need_id"
    )
    return (
        Need.objects.visible_to(actor, "manage")
        .filter(scope_path__startswith=project.scope_path)
        .filter(Q(state=Need.State.MATCHING) | Q(state=Need.State.UNMET, route=Need.Route.PROJECT))
        .exclude(pk__in=taken)
        .select_related("category", "household")
        .order_by("category__sort", "-created_at")
    )


def projects_for_need(*, actor, need: Need) -> QuerySet:
    """Open projects (still taking needs) whose sponsor's area holds the need."""
    from gridgov.lists.models import Project

    return (
        Project.objects.visible_to(actor, "manage")
        .filter(
            state__in=(
                Project.State.RESEARCH,
                Project.State.DESIGN,
                Project.State.BUDGET_APPROVAL,
                Project.State.IMPLEMENTING,
            )
        )
        .filter(scope_path__in=_ancestors(need.scope_path))
        .order_by("-created_at")
    )


def _ancestors(path: str) -> list[str]:
    """The path and every path above it (``a/b/c/`` → ``a/``, ``a/b/``, ``a/b/c/``)."""
    codes = [c for c in path.split("/") if c]
    return ["/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]
