"""Need ↔ resource matching (「智能匹配+人工协调」): a pure optimiser, no database.

The services of the lists app turn open needs and resources into ``NeedIn`` /
``ResourceIn`` values, call :func:`match` for proposals and show each proposal with its
explanation; a person confirms, changes or rejects it. Nothing here reads or writes the
database, so the same code runs in tests, in the benchmark and behind the views.

Candidates
    A resource is a candidate for a need when (:func:`eligible`): it offers the need's
    category; it serves the need's area (the need's area path starts with one of the
    resource's service paths, or the need lies within the resource's radius of its point);
    it has capacity left (> 0); its eligibility rule is met (any one of the required tags,
    age within min/max — an unknown age fails a rule that has an age limit); and, when
    ``max_distance_m`` is set, the need is no farther than that from the resource's point.
    The product does not use this rule: it passes ``candidates=`` to :func:`match`, decided
    by ``lists.selectors.candidates_for`` (the manual match's rule), so that a proposal and
    the need page never disagree about who may serve a need.

Objective (lexicographic, exact)
    1. maximise the priority-weighted number of needs served (each need at most one
       resource, each resource at most its capacity left);
    2. among those, minimise the total great-circle distance (whole metres);
    3. among those, minimise the total current load of the chosen providers (each
       assignment counts its provider's open orders: the less busy provider is preferred);
    4. a fixed tie-break (the resources' order by id) so that equal answers always come out
       the same, whatever order the input came in.

    Tiers 1 and 2 are one min-cost flow with integer costs ``-W * priority + metres`` where
    ``W`` is larger than any possible difference in total metres (proof at
    :func:`_priority_weight_factor`). Tier 3 (and 4) is a second min-cost flow restricted
    to the optimal face of the first: arcs whose reduced cost under the first solution's
    node potentials is non-zero keep their flow, the others are free (complementary
    slackness: every optimal flow of the first problem, and only those, satisfies it with
    those potentials). This keeps every cost far inside the solver's 64-bit range instead
    of stacking three tiers of weights into one number.

Proven bound
    The network matrix is totally unimodular, so the LP relaxation of tier 1 has an integral
    optimum and the min-cost flow's answer *is* the optimum: its bound equals its value.
    :func:`proven_bound` computes that bound independently with HiGHS (SciPy's ``linprog``,
    dual simplex, which proves optimality by a dual solution): the LP upper bound on the
    priority served, then the LP lower bound on total metres at that priority.

Policy parameters (keyword arguments of :func:`match`, :func:`greedy`, :func:`eligible`)
    ``max_distance_m`` (default 10,000): a located resource farther from the need than this
    is not a candidate, whatever its service area says; ``None`` for no limit.
    ``unlocated_distance_m`` (default ``None`` = ``max_distance_m``, or the largest
    candidate distance when there is no limit): the distance counted for a resource or a
    need without coordinates, so that an unknown distance is never preferred to a known one.
    ``balance_load`` (default True): tier 3 on or off.
    ``max_alternatives`` (default 10): how many other candidates an explanation lists.
    Priority weights come with the needs; :func:`priority_weight` is the default rule
    (special-group colour 红/黄/蓝 → 3/2/1, times urgency), its weights a parameter too.

Explanations carry codes and numbers, not sentences: the pages render them in zh-Hans and
English. Reason codes (``REASONS``): ``category``, ``area``, ``capacity``, ``tags``,
``age``, ``distance`` for a resource that is not a candidate; an unserved need is
``no_candidate`` (with how many resources of its category failed each check) or
``candidates_full`` (its candidates' capacity went to needs of higher priority or nearer).
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
DEFAULT_MAX_DISTANCE_M = 10_000
DEFAULT_COLOUR_WEIGHTS: Mapping[str, int] = {"red": 3, "yellow": 2, "blue": 1, "": 1}

REASONS = {
    "category": "the resource does not offer the need's category",
    "area": "the resource does not serve the need's area",
    "capacity": "the resource has no capacity left",
    "tags": "the resident has none of the tags the resource requires",
    "age": "the resident's age is outside (or unknown for) the resource's age limits",
    "distance": "the resource is farther than the maximum distance",
    "no_candidate": "no resource can serve this need",
    "candidates_full": "every candidate's capacity went to other needs",
}

# OR-Tools scales costs by (number of nodes + 1) and refuses arcs above
# int64 max / (2 * (nodes + 1)) (BAD_COST_RANGE); we check before solving.
_INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class NeedIn:
    id: int | str
    category: str
    priority: int  # ≥ 1: e.g. priority_weight(colour, urgency)
    lon: float | None
    lat: float | None
    area_path: str  # "31/3101/310104/310104003/…/" — the household's grid path
    tags: frozenset[str] = frozenset()
    age: int | None = None


@dataclass(frozen=True)
class ResourceIn:
    id: int | str
    provider_id: int | str
    categories: frozenset[str]
    capacity_left: int  # ≥ 0, in places for this period
    service_paths: tuple[str, ...] = ()  # a need is served when its path starts with one
    lon: float | None = None
    lat: float | None = None
    radius_m: float | None = None  # … or lies within this radius of (lon, lat)
    required_tags: frozenset[str] = frozenset()  # any one of them; empty = anyone
    min_age: int | None = None
    max_age: int | None = None
    provider_load: int = 0  # the provider's open orders now


@dataclass(frozen=True)
class Candidate:
    resource_id: int | str
    provider_id: int | str
    distance_m: float | None  # None: no coordinates on one side
    capacity_left: int
    provider_load: int
    via: str  # the service path that covers the need, or "radius"


@dataclass(frozen=True)
class Explanation:
    category: str
    via: str
    distance_m: float | None
    capacity_left: int  # before this matching
    capacity_left_after: int
    provider_load: int
    alternatives: tuple[Candidate, ...]  # the other candidates, nearest first
    alternatives_total: int


@dataclass(frozen=True)
class Proposal:
    need_id: int | str
    resource_id: int | str
    provider_id: int | str
    priority: int
    distance_m: float | None
    explanation: Explanation


@dataclass(frozen=True)
class Unserved:
    need_id: int | str
    category: str
    area_path: str
    priority: int
    reason: str  # "no_candidate" | "candidates_full"
    candidates: tuple[Candidate, ...] = ()  # for candidates_full: who was full, nearest first
    rejected: Mapping[str, int] = field(default_factory=dict)  # for no_candidate: why


@dataclass(frozen=True)
class Objective:
    priority_served: int
    priority_total: int
    needs_served: int
    needs_total: int
    distance_m: float  # total of the real distances of the located proposals
    distance_cost_m: int  # total of the whole metres the optimiser counted (tier 2)
    provider_load: int  # tier 3: sum of the chosen providers' loads

    def key(self) -> tuple[int, int, int]:
        """Larger is better, lexicographically."""
        return (self.priority_served, -self.distance_cost_m, -self.provider_load)


@dataclass(frozen=True)
class Bound:
    priority_upper: float  # no assignment serves more priority than this (LP, dual-proven)
    distance_lower_m: float  # no assignment at that priority travels less (LP)
    method: str


@dataclass(frozen=True)
class MatchResult:
    method: str
    proposals: tuple[Proposal, ...]  # by need id
    unserved: tuple[Unserved, ...]  # by descending priority, then need id
    objective: Objective
    seconds: float
    bound: Bound | None = None  # for "min_cost_flow": equals the objective (integral LP)


def priority_weight(
    colour: str = "", urgency: int = 1, *, colour_weights: Mapping[str, int] | None = None
) -> int:
    """The default priority rule: the special group's colour (red 3, yellow 2, blue 1,
    none 1) times the need's urgency (≥ 1)."""
    weights = DEFAULT_COLOUR_WEIGHTS if colour_weights is None else colour_weights
    if colour not in weights:
        raise ValueError(f"未知的颜色 {colour!r} / unknown special-group colour {colour!r}")
    if not isinstance(urgency, int) or urgency < 1:
        raise ValueError(f"紧急程度须为 ≥ 1 的整数 / urgency must be an integer ≥ 1: {urgency!r}")
    return int(weights[colour]) * urgency


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _distance(need: NeedIn, resource: ResourceIn) -> float | None:
    if None in (need.lon, need.lat, resource.lon, resource.lat):
        return None
    return great_circle_m(need.lon, need.lat, resource.lon, resource.lat)


def _covering_path(need: NeedIn, resource: ResourceIn) -> str | None:
    best = None
    for path in resource.service_paths:
        if need.area_path.startswith(path) and (best is None or len(path) > len(best)):
            best = path
    return best


def eligible(
    need: NeedIn,
    resource: ResourceIn,
    *,
    max_distance_m: float | None = DEFAULT_MAX_DISTANCE_M,
) -> tuple[bool, str]:
    """Whether ``resource`` is a candidate for ``need``, and why (a code of ``REASONS``, or
    on success the service path that covers the need, or ``"radius"``)."""
    if need.category not in resource.categories:
        return False, "category"
    distance = _distance(need, resource)
    via = _covering_path(need, resource)
    if (
        via is None
        and resource.radius_m is not None
        and distance is not None
        and distance <= resource.radius_m
    ):
        via = "radius"
    if via is None:
        return False, "area"
    if resource.capacity_left <= 0:
        return False, "capacity"
    if resource.required_tags and not (resource.required_tags & need.tags):
        return False, "tags"
    if resource.min_age is not None or resource.max_age is not None:
        if need.age is None:
            return False, "age"
        if resource.min_age is not None and need.age < resource.min_age:
            return False, "age"
        if resource.max_age is not None and need.age > resource.max_age:
            return False, "age"
    if max_distance_m is not None and distance is not None and distance > max_distance_m:
        return False, "distance"
    return True, via


# Input checks ---------------------------------------------------------------------------------


def _validate(needs: Sequence[NeedIn], resources: Sequence[ResourceIn]) -> None:
    seen: set = set()
    for n in needs:
        if n.id in seen:
            raise ValueError(f"需求编号重复 / duplicate need id {n.id!r}")
        seen.add(n.id)
        if not isinstance(n.priority, int) or isinstance(n.priority, bool) or n.priority < 1:
            raise ValueError(f"需求 {n.id!r} 的优先级须为 ≥ 1 的整数 / priority must be ≥ 1")
        _check_point(n.lon, n.lat, f"需求 {n.id!r} / need {n.id!r}")
        if n.age is not None and n.age < 0:
            raise ValueError(f"需求 {n.id!r} 的年龄不能为负 / need {n.id!r}: age below zero")
    seen = set()
    for r in resources:
        if r.id in seen:
            raise ValueError(f"资源编号重复 / duplicate resource id {r.id!r}")
        seen.add(r.id)
        if not isinstance(r.capacity_left, int) or r.capacity_left < 0:
            raise ValueError(
                f"资源 {r.id!r} 的剩余容量须为 ≥ 0 的整数 / resource {r.id!r}: "
                "capacity left must be an integer ≥ 0"
            )
        if not isinstance(r.provider_load, int) or r.provider_load < 0:
            raise ValueError(
                f"资源 {r.id!r} 的服务方负荷须为 ≥ 0 的整数 / resource {r.id!r}: "
                "provider load must be an integer ≥ 0"
            )
        if r.radius_m is not None and (r.radius_m <= 0 or r.lon is None or r.lat is None):
            raise ValueError(
                f"资源 {r.id!r} 的服务半径须 > 0 且有位置 / resource {r.id!r}: a radius must "
                "be > 0 and come with a point"
            )
        _check_point(r.lon, r.lat, f"资源 {r.id!r} / resource {r.id!r}")
        if r.min_age is not None and r.max_age is not None and r.min_age > r.max_age:
            raise ValueError(
                f"资源 {r.id!r} 的最小年龄大于最大年龄 / resource {r.id!r}: min age > max age"
            )


def _check_point(lon, lat, label: str) -> None:
    if (lon is None) != (lat is None):
        raise ValueError(f"{label}: 经纬度须同时给出 / give both longitude and latitude")
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"{label}: 经纬度超出范围 / longitude or latitude out of range")


# Candidates -----------------------------------------------------------------------------------


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@dataclass
class _Instance:
    needs: list[NeedIn]  # sorted by id
    resources: list[ResourceIn]  # sorted by id; index = tie-break rank
    arcs: list[list[tuple[int, float | None, str]]]  # per need: (resource index, distance, via)
    unlocated_m: float
    # Given with the candidates: per need id, why the resources of its category failed.
    rejected: Mapping | None = None


def _sort_key(value) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


CandidateArcs = Mapping  # need id → iterable of (resource id, distance in m or None, via)


def _given_arcs(
    needs: list[NeedIn], resources: list[ResourceIn], candidates: CandidateArcs
) -> list[list[tuple[int, float | None, str]]]:
    """The candidate arcs decided by the caller (the lists app's ``selectors.candidates``:
    one eligibility rule for the manual match and the optimiser); a resource without
    capacity left is dropped, an unknown resource id or a negative distance refused."""
    index = {r.id: j for j, r in enumerate(resources)}
    arcs = []
    for need in needs:
        mine: dict[int, tuple[int, float | None, str]] = {}
        for resource_id, distance, via in candidates.get(need.id, ()):
            if resource_id not in index:
                raise ValueError(
                    f"需求 {need.id!r} 的候选资源 {resource_id!r} 不在资源中 / "
                    f"need {need.id!r}: candidate {resource_id!r} is not among the resources"
                )
            if distance is not None and not (distance >= 0 and math.isfinite(distance)):
                raise ValueError(
                    f"需求 {need.id!r} 的距离无效 / need {need.id!r}: invalid distance {distance!r}"
                )
            j = index[resource_id]
            if resources[j].capacity_left > 0:
                mine[j] = (j, None if distance is None else float(distance), via)
        arcs.append([mine[j] for j in sorted(mine)])
    return arcs


def _build(
    needs: Iterable[NeedIn],
    resources: Iterable[ResourceIn],
    max_distance_m: float | None,
    unlocated_distance_m: float | None,
    candidates: CandidateArcs | None = None,
    rejected: Mapping | None = None,
) -> _Instance:
    needs = sorted(needs, key=lambda n: _sort_key(n.id))
    resources = sorted(resources, key=lambda r: _sort_key(r.id))
    _validate(needs, resources)
    if candidates is not None:
        arcs = _given_arcs(needs, resources, candidates)
        if unlocated_distance_m is None:
            located = [d for mine in arcs for _j, d, _v in mine if d is not None]
            unlocated_distance_m = max(located, default=0.0)
        return _Instance(needs, resources, arcs, float(unlocated_distance_m), rejected or {})
    by_path: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_radius: dict[str, list[int]] = defaultdict(list)
    for j, r in enumerate(resources):
        if r.capacity_left <= 0:
            continue
        for category in r.categories:
            for path in r.service_paths:
                by_path[(category, path)].append(j)
            if r.radius_m is not None:
                by_radius[category].append(j)
    arcs: list[list[tuple[int, float | None, str]]] = []
    for need in needs:
        found: set[int] = set()
        for prefix in _prefixes(need.area_path):
            found.update(by_path.get((need.category, prefix), ()))
        found.update(by_radius.get(need.category, ()))
        mine = []
        for j in sorted(found):
            ok, via = eligible(need, resources[j], max_distance_m=max_distance_m)
            if ok:
                mine.append((j, _distance(need, resources[j]), via))
        arcs.append(mine)
    if unlocated_distance_m is None:
        if max_distance_m is not None:
            unlocated_distance_m = max_distance_m
        else:
            located = [d for mine in arcs for _j, d, _v in mine if d is not None]
            unlocated_distance_m = max(located, default=0.0)
    return _Instance(needs, resources, arcs, float(unlocated_distance_m))


def _metres(distance: float | None, unlocated_m: float) -> int:
    return int(round(unlocated_m if distance is None else distance))


# The optimiser --------------------------------------------------------------------------------


def _priority_weight_factor(instance: _Instance) -> int:
    """``W`` for tier 1 over tier 2.

    Proof that ``cost = Σ (-W · priority_i + metres_ij)`` over the chosen arcs orders
    assignments by priority served first: let ``M_i`` be need i's largest candidate
    distance in whole metres (≥ 0) and ``W = Σ_i M_i + 1``. Any assignment's total metres
    lies in ``[0, Σ_i M_i]`` (each need adds at most its own ``M_i``, or nothing if unserved),
    so two assignments' totals differ by at most ``W - 1``. If assignment A serves more
    priority than B, it serves at least one unit more (priorities are integers), and
    ``cost(A) - cost(B) ≤ -W · 1 + (W - 1) = -1 < 0``: A costs less, whatever the distances.
    If both serve the same priority, the ``W`` terms cancel and the cost difference is the
    difference in metres. So a distance saving never beats one more unit of priority."""
    unlocated = instance.unlocated_m
    return 1 + sum(
        max((_metres(d, unlocated) for _j, d, _v in mine), default=0) for mine in instance.arcs
    )


def _check_cost_range(costs: np.ndarray, nodes: int) -> None:
    limit = _INT64_MAX // (2 * (nodes + 1))
    if costs.size and int(np.abs(costs).max()) > limit:
        raise ValueError(
            "匹配规模过大,费用超出求解器范围 / the instance's costs exceed the solver's range: "
            "split it (by street or category) or set max_distance_m"
        )


def _solve_flow(nodes, tails, heads, caps, costs, supplies) -> np.ndarray:
    from ortools.graph.python import min_cost_flow

    _check_cost_range(costs, nodes)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_nodes_supplies(np.arange(nodes, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    return np.asarray(flow.flows(arcs), dtype=np.int64)


def _potentials(nodes, tails, heads, caps, costs, flows) -> np.ndarray:
    """Node potentials proving ``flows`` optimal: shortest distances in the residual graph
    from a virtual root joined to every node at cost 0 (vectorised Bellman-Ford; the
    residual graph of an optimal flow has no negative cycle)."""
    forward = flows < caps
    backward = flows > 0
    eu = np.concatenate([tails[forward], heads[backward]])
    ev = np.concatenate([heads[forward], tails[backward]])
    ew = np.concatenate([costs[forward], -costs[backward]])
    dist = np.zeros(nodes, dtype=np.int64)
    for _ in range(nodes + 1):
        new = dist.copy()
        np.minimum.at(new, ev, dist[eu] + ew)
        if np.array_equal(new, dist):
            return dist
        dist = new
    raise RuntimeError("negative cycle in the residual graph: the flow was not optimal")


def match(
    needs: Iterable[NeedIn],
    resources: Iterable[ResourceIn],
    *,
    max_distance_m: float | None = DEFAULT_MAX_DISTANCE_M,
    unlocated_distance_m: float | None = None,
    balance_load: bool = True,
    max_alternatives: int = 10,
    with_bound: bool = False,
    candidates: CandidateArcs | None = None,
    rejected: Mapping | None = None,
) -> MatchResult:
    """Optimal proposals (min-cost flow, lexicographic objective: see the module's doc).

    ``candidates`` (need id → ``(resource id, distance, via)``), when given, replaces
    :func:`eligible` and ``max_distance_m``: the caller has decided who may serve whom;
    ``rejected`` (need id → reason → count) is then the reason an unserved need had no
    candidate at all."""
    started = time.perf_counter()
    inst = _build(needs, resources, max_distance_m, unlocated_distance_m, candidates, rejected)
    n, r = len(inst.needs), len(inst.resources)
    source, sink = 0, n + r + 1
    nodes = n + r + 2
    weight = _priority_weight_factor(inst)
    tails, heads, caps, cost12, cost3 = [], [], [], [], []
    # Tier 4 tie-break: the resource's rank; its factor K exceeds any total of ranks.
    rank_factor = sum(max(j for j, _d, _v in mine) for mine in inst.arcs if mine) + 1
    need_arcs: list[tuple[int, int]] = []  # (need index, resource index) per need→resource arc
    served_possible = 0
    used_resources: set[int] = set()
    for i, mine in enumerate(inst.arcs):
        if not mine:
            continue
        served_possible += 1
        tails.append(source), heads.append(1 + i), caps.append(1)
        cost12.append(0), cost3.append(0)
        p = inst.needs[i].priority
        for j, d, _via in mine:
            tails.append(1 + i), heads.append(1 + n + j), caps.append(1)
            cost12.append(-weight * p + _metres(d, inst.unlocated_m))
            load = inst.resources[j].provider_load if balance_load else 0
            cost3.append(load * rank_factor + j)
            need_arcs.append((i, j))
            used_resources.add(j)
    for j in sorted(used_resources):
        tails.append(1 + n + j), heads.append(sink), caps.append(inst.resources[j].capacity_left)
        cost12.append(0), cost3.append(0)
    tails.append(source), heads.append(sink), caps.append(served_possible)  # "not served"
    cost12.append(0), cost3.append(0)
    tails_a = np.asarray(tails, dtype=np.int64)
    heads_a = np.asarray(heads, dtype=np.int64)
    caps_a = np.asarray(caps, dtype=np.int64)
    c12 = np.asarray(cost12, dtype=np.int64)
    c3 = np.asarray(cost3, dtype=np.int64)
    supplies = np.zeros(nodes, dtype=np.int64)
    supplies[source], supplies[sink] = served_possible, -served_possible
    chosen: dict[int, int] = {}
    if served_possible:
        flows = _solve_flow(nodes, tails_a, heads_a, caps_a, c12, supplies)
        optimum12 = int((flows * c12).sum())
        # Tier 3 on the optimal face of tiers 1-2: fix the arcs with non-zero reduced cost.
        pi = _potentials(nodes, tails_a, heads_a, caps_a, c12, flows)
        reduced = c12 + pi[tails_a] - pi[heads_a]
        full, free = reduced < 0, reduced == 0
        assert np.all(flows[full] == caps_a[full]) and np.all(flows[reduced > 0] == 0)
        supplies2 = supplies.copy()
        np.subtract.at(supplies2, tails_a[full], caps_a[full])
        np.add.at(supplies2, heads_a[full], caps_a[full])
        flows2 = np.zeros_like(flows)
        flows2[full] = caps_a[full]
        flows2[free] = _solve_flow(
            nodes, tails_a[free], heads_a[free], caps_a[free], c3[free], supplies2
        )
        assert int((flows2 * c12).sum()) == optimum12, "tier 3 left the optimal face"
        is_need_arc = (tails_a >= 1) & (tails_a <= n)
        for a in np.flatnonzero(is_need_arc & (flows2 > 0)):
            chosen[int(tails_a[a]) - 1] = int(heads_a[a]) - 1 - n
    result = _result("min_cost_flow", inst, chosen, max_alternatives, started, max_distance_m)
    if with_bound:
        bound = _proven_bound(inst)
        result = MatchResult(**{**result.__dict__, "bound": bound})
    return result


def greedy(
    needs: Iterable[NeedIn],
    resources: Iterable[ResourceIn],
    *,
    max_distance_m: float | None = DEFAULT_MAX_DISTANCE_M,
    unlocated_distance_m: float | None = None,
    max_alternatives: int = 10,
    candidates: CandidateArcs | None = None,
    rejected: Mapping | None = None,
) -> MatchResult:
    """The baseline: needs in priority order (then id), each takes its nearest candidate
    that still has capacity (then the less loaded provider, then the resource's id).
    ``candidates`` and ``rejected`` as for :func:`match`."""
    started = time.perf_counter()
    inst = _build(needs, resources, max_distance_m, unlocated_distance_m, candidates, rejected)
    left = [res.capacity_left for res in inst.resources]
    chosen: dict[int, int] = {}
    order = sorted(range(len(inst.needs)), key=lambda i: -inst.needs[i].priority)
    for i in order:
        options = sorted(
            inst.arcs[i],
            key=lambda a: (
                _metres(a[1], inst.unlocated_m),
                inst.resources[a[0]].provider_load,
                a[0],
            ),
        )
        for j, _d, _via in options:
            if left[j] > 0:
                left[j] -= 1
                chosen[i] = j
                break
    return _result("greedy", inst, chosen, max_alternatives, started, max_distance_m)


def _result(method, inst, chosen, max_alternatives, started, max_distance_m) -> MatchResult:
    used = Counter(chosen.values())
    proposals, unserved = [], []
    taken = Counter()
    for i, need in enumerate(inst.needs):
        cands = sorted(
            (
                Candidate(
                    resource_id=inst.resources[j].id,
                    provider_id=inst.resources[j].provider_id,
                    distance_m=d,
                    capacity_left=inst.resources[j].capacity_left,
                    provider_load=inst.resources[j].provider_load,
                    via=via,
                )
                for j, d, via in inst.arcs[i]
            ),
            key=lambda c: (_metres(c.distance_m, inst.unlocated_m), _sort_key(c.resource_id)),
        )
        if i in chosen:
            j = chosen[i]
            res = inst.resources[j]
            mine = next(c for c in cands if c.resource_id == res.id)
            others = [c for c in cands if c.resource_id != res.id]
            taken[j] += 1
            proposals.append(
                Proposal(
                    need_id=need.id,
                    resource_id=res.id,
                    provider_id=res.provider_id,
                    priority=need.priority,
                    distance_m=mine.distance_m,
                    explanation=Explanation(
                        category=need.category,
                        via=mine.via,
                        distance_m=mine.distance_m,
                        capacity_left=res.capacity_left,
                        capacity_left_after=res.capacity_left - used[j],
                        provider_load=res.provider_load,
                        alternatives=tuple(others[:max_alternatives]),
                        alternatives_total=len(others),
                    ),
                )
            )
        elif cands:
            unserved.append(
                Unserved(
                    need.id,
                    need.category,
                    need.area_path,
                    need.priority,
                    "candidates_full",
                    candidates=tuple(cands[:max_alternatives]),
                )
            )
        else:
            if inst.rejected is not None:
                rejected = Counter(inst.rejected.get(need.id, {}))
            else:
                rejected = Counter(
                    eligible(need, res, max_distance_m=max_distance_m)[1]
                    for res in inst.resources
                    if need.category in res.categories
                )
            unserved.append(
                Unserved(
                    need.id,
                    need.category,
                    need.area_path,
                    need.priority,
                    "no_candidate",
                    rejected=dict(sorted(rejected.items())),
                )
            )
    for j, count in used.items():
        assert count <= inst.resources[j].capacity_left, "capacity exceeded"
    unserved.sort(key=lambda u: (-u.priority, _sort_key(u.need_id)))
    objective = Objective(
        priority_served=sum(p.priority for p in proposals),
        priority_total=sum(n.priority for n in inst.needs),
        needs_served=len(proposals),
        needs_total=len(inst.needs),
        distance_m=sum(p.distance_m for p in proposals if p.distance_m is not None),
        distance_cost_m=sum(_metres(p.distance_m, inst.unlocated_m) for p in proposals),
        provider_load=sum(p.explanation.provider_load for p in proposals),
    )
    return MatchResult(
        method=method,
        proposals=tuple(proposals),
        unserved=tuple(unserved),
        objective=objective,
        seconds=time.perf_counter() - started,
    )


# Bound ----------------------------------------------------------------------------------------


def proven_bound(
    needs: Iterable[NeedIn],
    resources: Iterable[ResourceIn],
    *,
    max_distance_m: float | None = DEFAULT_MAX_DISTANCE_M,
    unlocated_distance_m: float | None = None,
) -> Bound:
    """The solver-independent bound of the instance (see :func:`_proven_bound`)."""
    return _proven_bound(_build(needs, resources, max_distance_m, unlocated_distance_m))


def _proven_bound(inst: _Instance) -> Bound:
    """The LP relaxation solved by HiGHS: an upper bound on priority served that no
    assignment can beat (proven by HiGHS's dual solution), then a lower bound on the total
    metres of any assignment serving that much. The network is totally unimodular, so the
    first equals the min-cost flow's optimum exactly (up to the LP tolerance)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_array, vstack

    rows_i, rows_j, priority, metres = [], [], [], []
    for i, mine in enumerate(inst.arcs):
        for j, d, _via in mine:
            rows_i.append(i)
            rows_j.append(j)
            priority.append(inst.needs[i].priority)
            metres.append(_metres(d, inst.unlocated_m))
    m = len(rows_i)
    if m == 0:
        return Bound(0.0, 0.0, "no candidate arcs")
    cols = np.arange(m)
    a_need = csr_array((np.ones(m), (np.asarray(rows_i), cols)), shape=(len(inst.needs), m))
    a_res = csr_array((np.ones(m), (np.asarray(rows_j), cols)), shape=(len(inst.resources), m))
    a_ub = vstack([a_need, a_res]).tocsr()
    b_ub = np.concatenate([np.ones(len(inst.needs)), [res.capacity_left for res in inst.resources]])
    p = np.asarray(priority, dtype=float)
    first = linprog(-p, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    if first.status != 0:
        raise RuntimeError(f"HiGHS: {first.message}")
    upper = -first.fun
    # Tier 2 at that priority (less a tolerance so the LP stays feasible).
    floor = math.floor(upper + 1e-6)
    second = linprog(
        np.asarray(metres, dtype=float),
        A_ub=vstack([a_ub, csr_array(-p.reshape(1, -1))]).tocsr(),
        b_ub=np.concatenate([b_ub, [-(floor - 1e-6)]]),
        bounds=(0, 1),
        method="highs",
    )
    if second.status != 0:
        raise RuntimeError(f"HiGHS: {second.message}")
    return Bound(
        priority_upper=upper,
        distance_lower_m=second.fun,
        method="HiGHS LP relaxation (dual simplex)",
    )
