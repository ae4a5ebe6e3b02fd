"""The gap table 「资源分布与服务缺口」: per community and need category, the open needs
against the capacity of the resources serving that community, and the needs nobody can
meet; when a community has more of those in one category than the policy
``lists.projects`` allows, a project is proposed.

Set-based: a fixed number of queries whatever the number of needs (the open needs counted
by grid and category in the database; the needs 匹配中 checked against the resource pool
in memory with the same rules as ``selectors.candidates``: category, area, capacity left in
the period, eligibility).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.core.policies import policy_in_force
from gridgov.lists.models import Need, NeedCategory, Project, Resource, ServiceOrder
from gridgov.lists.selectors import age_on
from gridgov.org.models import Grid, OrgUnit
from gridgov.people.models import Household, Resident, ResidentTag
from gridgov.visits.services import distance_m


@dataclass
class GapRow:
    community: OrgUnit
    category: NeedCategory
    open_needs: int = 0
    resources: int = 0
    capacity: int = 0
    capacity_left: int = 0
    # Needs nobody can meet: 无法满足 · 转项目 not yet in a project, and 匹配中 with no candidate.
    unmet_uids: list = field(default_factory=list)
    service_line: str = Project.ServiceLine.OTHER
    propose: bool = False

    @property
    def unmet(self) -> int:
        return len(self.unmet_uids)

    @property
    def shortfall(self) -> int:
        """Open needs beyond the capacity left this period (0 when covered)."""
        return max(0, self.open_needs - self.capacity_left)


@dataclass
class GapTable:
    rows: list[GapRow]
    threshold: int
    policy_version: int

    def by_category(self) -> list[tuple[NeedCategory, int, int]]:
        """(category, needs nobody can meet, open needs) summed over the communities."""
        totals: dict[int, list] = {}
        for row in self.rows:
            entry = totals.setdefault(row.category.pk, [row.category, 0, 0])
            entry[1] += row.unmet
            entry[2] += row.open_needs
        return sorted((tuple(v) for v in totals.values() if v[1]), key=lambda t: (-t[1], t[0].sort))


def _communities(actor) -> list[OrgUnit]:
    """The communities the actor reads needs in: those in its scope, and the community
    above a grid-level scope."""
    scopes = actor.scope_paths("lists.view")
    if not scopes:
        return []
    above: set[str] = set()
    query = Q()
    for path in scopes:
        query |= Q(path__startswith=path)
        codes = [c for c in path.split("/") if c]
        above |= {"/".join(codes[:i]) + "/" for i in range(1, len(codes))}
    return list(
        OrgUnit.objects.filter(level=OrgUnit.Level.COMMUNITY)
        .filter(query | Q(path__in=sorted(above)))
        .order_by("path")
    )


def _community_of(path: str, communities: dict[str, OrgUnit]) -> OrgUnit | None:
    codes = [c for c in path.split("/") if c]
    for i in range(len(codes), 0, -1):
        hit = communities.get("/".join(codes[:i]) + "/")
        if hit is not None:
            return hit
    return None


@dataclass
class _Pool:
    """The active resources with their categories and capacity left this period."""

    resources: list[Resource]
    categories: dict[int, set[int]]
    left: dict[int, int]


def _period_starts(now: datetime) -> tuple[datetime, datetime]:
    today = timezone.localtime(now).date()
    week = today - timedelta(days=today.weekday())
    month = today.replace(day=1)

    def aware(d):
        return timezone.make_aware(datetime.combine(d, datetime.min.time()))

    return aware(week), aware(month)


def _pool(now: datetime) -> _Pool:
    week, month = _period_starts(now)
    using = Q(orders__state__in=ServiceOrder.USING_STATES)
    resources = list(
        Resource.objects.filter(status=Resource.Status.ACTIVE).annotate(
            used_week=Count("orders", filter=using & Q(orders__dispatched_at__gte=week)),
            used_month=Count("orders", filter=using & Q(orders__dispatched_at__gte=month)),
        )
    )
    categories: dict[int, set[int]] = defaultdict(set)
    for resource_id, category_id in Resource.categories.through.objects.filter(
        resource__status=Resource.Status.ACTIVE
    ).values_list("resource_id", "needcategory_id"):
        categories[resource_id].add(category_id)
    left = {
        r.pk: max(
            0,
            r.capacity
            - (r.used_week if r.capacity_period == Resource.Period.WEEK else r.used_month),
        )
        for r in resources
    }
    return _Pool(resources, categories, left)


def _covers(resource: Resource, community: OrgUnit, boxes: list[tuple]) -> bool:
    """The resource serves (part of) the community: an area path above or inside it, or
    its point inside the bounding box of one of the community's grids."""
    for path in resource.area_paths or []:
        if community.path.startswith(path) or path.startswith(community.path):
            return True
    if resource.radius_m and resource.lon is not None and resource.lat is not None:
        return any(b[0] <= resource.lon <= b[2] and b[1] <= resource.lat <= b[3] for b in boxes)
    return False


def _no_candidate(needs: list[dict], pool: _Pool) -> set[int]:
    """The ids of the needs (rows of ``Need`` values) no resource could serve now: the rules
    of ``selectors.candidates`` evaluated in memory over data read in four queries."""
    if not needs:
        return set()
    household_ids = {n["household_id"] for n in needs}
    points = {}
    for h in Household.objects.filter(pk__in=household_ids).values(
        "pk",
        "room__building__lon",
        "room__building__lat",
        "grid__grid__min_lon",
        "grid__grid__min_lat",
        "grid__grid__max_lon",
        "grid__grid__max_lat",
    ):
        if h["room__building__lon"] is not None and h["room__building__lat"] is not None:
            points[h["pk"]] = (h["room__building__lon"], h["room__building__lat"])
        elif h["grid__grid__min_lon"] is not None:
            points[h["pk"]] = (
                (h["grid__grid__min_lon"] + h["grid__grid__max_lon"]) / 2,
                (h["grid__grid__min_lat"] + h["grid__grid__max_lat"]) / 2,
            )
    named = {n["resident_id"] for n in needs if n["resident_id"]}
    people = list(
        Resident.objects.filter(Q(pk__in=named) | Q(household_id__in=household_ids))
        .filter(Q(pk__in=named) | Q(pk__in=Resident.objects.active().values("pk")))
        .values("pk", "household_id", "birth_date")
    )
    today = timezone.localdate()
    tags: dict[int, set[str]] = defaultdict(set)
    for resident_id, code in (
        ResidentTag.objects.filter(resident__in=[p["pk"] for p in people])
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values_list("resident_id", "category__code")
    ):
        tags[resident_id].add(code)
    by_pk = {p["pk"]: p for p in people}
    members: dict[int, list[dict]] = defaultdict(list)
    active = set(
        Resident.objects.active()
        .filter(household_id__in=household_ids)
        .values_list("pk", flat=True)
    )
    for p in people:
        if p["pk"] in active:
            members[p["household_id"]].append(p)
    by_category: dict[int, list[Resource]] = defaultdict(list)
    for r in pool.resources:
        if pool.left[r.pk] > 0:
            for c in pool.categories.get(r.pk, ()):
                by_category[c].append(r)
    out = set()
    for need in needs:
        persons = (
            [by_pk[need["resident_id"]]]
            if need["resident_id"] and need["resident_id"] in by_pk
            else members[need["household_id"]]
        )
        held = set().union(*(tags[p["pk"]] for p in persons)) if persons else set()
        ages = [age_on(p["birth_date"], today) for p in persons if p["birth_date"]]
        point = points.get(need["household_id"])
        if not any(
            _serves(r, need["scope_path"], point, held, ages)
            for r in by_category[need["category_id"]]
        ):
            out.add(need["id"])
    return out


def _serves(resource: Resource, scope_path: str, point, held: set[str], ages: list[int]) -> bool:
    in_area = any(scope_path.startswith(p) for p in resource.area_paths or [])
    if not in_area and resource.radius_m and point is not None and resource.lon is not None:
        in_area = distance_m(resource.lon, resource.lat, point[0], point[1]) <= resource.radius_m
    if not in_area:
        return False
    if resource.eligible_tags and not held & set(resource.eligible_tags):
        return False
    if resource.min_age is not None or resource.max_age is not None:
        low = resource.min_age if resource.min_age is not None else 0
        high = resource.max_age if resource.max_age is not None else 200
        if not any(low <= a <= high for a in ages):
            return False
    return True


def gap_table(*, actor, now: datetime | None = None) -> GapTable:
    """The gap table of the communities the actor reads needs in (only rows with an open
    need, a need nobody can meet or a resource)."""
    in_force = policy_in_force("lists.projects")
    rules = in_force.value
    communities = _communities(actor)
    by_path = {c.path: c for c in communities}
    categories = {c.pk: c for c in NeedCategory.objects.all()}
    rows: dict[tuple[int, int], GapRow] = {}

    def row(community: OrgUnit, category_id: int) -> GapRow:
        key = (community.pk, category_id)
        if key not in rows:
            category = categories[category_id]
            rows[key] = GapRow(
                community,
                category,
                service_line=rules.category_lines.get(category.code, Project.ServiceLine.OTHER),
            )
        return rows[key]

    visible = Need.objects.visible_to(actor)
    for grouped in (
        visible.filter(state__in=Need.OPEN_STATES)
        .values("scope_path", "category_id")
        .annotate(n=Count("id"))
    ):
        community = _community_of(grouped["scope_path"], by_path)
        if community is not None:
            row(community, grouped["category_id"]).open_needs += grouped["n"]
    in_project = Project.needs.through.objects.exclude(
        project__state=Project.State.CANCELLED
    ).values("need_id")
    closed_unmet = list(
        visible.filter(state=Need.State.UNMET, route=Need.Route.PROJECT)
        .exclude(pk__in=in_project)
        .values("id", "uid", "scope_path", "category_id")
    )
    matching = list(
        visible.filter(state=Need.State.MATCHING).values(
            "id", "uid", "scope_path", "category_id", "household_id", "resident_id"
        )
    )
    pool = _pool(now or timezone.now())
    stuck = _no_candidate(matching, pool)
    for need in closed_unmet + [n for n in matching if n["id"] in stuck]:
        community = _community_of(need["scope_path"], by_path)
        if community is not None:
            row(community, need["category_id"]).unmet_uids.append(need["uid"])
    boxes: dict[int, list[tuple]] = defaultdict(list)
    under = Q(pk__in=[])
    for community in communities:
        under |= Q(unit__path__startswith=community.path)
    grid_rows = Grid.objects.filter(under).values_list(
        "unit__path", "min_lon", "min_lat", "max_lon", "max_lat"
    )
    for path, *box in grid_rows:
        community = _community_of(path, by_path)
        if community is not None:
            boxes[community.pk].append(tuple(box))
    for resource in pool.resources:
        for community in communities:
            if not _covers(resource, community, boxes[community.pk]):
                continue
            for category_id in pool.categories.get(resource.pk, ()):
                r = row(community, category_id)
                r.resources += 1
                r.capacity += resource.capacity
                r.capacity_left += pool.left[resource.pk]
    out = sorted(rows.values(), key=lambda r: (r.community.path, r.category.sort, r.category.code))
    for r in out:
        r.propose = r.unmet > rules.propose_threshold
    return GapTable(out, rules.propose_threshold, in_force.version)


def unmet_for(*, actor, community: OrgUnit, category: NeedCategory) -> list:
    """The uids of the needs nobody can meet of one category in one community (what a
    proposed project links)."""
    table = gap_table(actor=actor)
    for r in table.rows:
        if r.community.pk == community.pk and r.category.pk == category.pk:
            return list(r.unmet_uids)
    return []
