"""Matching benchmark: open needs against resources with capacities (``gridgov.lists.matching``,
no database), each figure next to a baseline from the same run:

- seconds: the optimiser (candidates, two min-cost flows, explanations) against the greedy
  baseline on the same instance (candidates, priority order, nearest with capacity left,
  explanations);
- objective: the priority-weighted needs served and the metres travelled, optimiser and
  greedy, each against the bound HiGHS proves for the instance's LP relaxation (the
  network is totally unimodular, so the optimiser's ratio to it is 1 up to tolerance).

The instance is synthetic but shaped like a district: 8 streets × 6 communities
(3 grids each) on a 12 km square, 12 need categories with uneven demand, needs clustered round their
grid's centre, priority = colour (red 3 / yellow 2 / blue 1 / none 1) × urgency (1–3);
resources of the three classes — government (a street), social organisations (1–3
communities) and volunteers (a point and a 1–3 km radius) — each offering 1–3 categories
with one capacity, some only for residents with a tag or over 60, and a provider load."""

from __future__ import annotations

import math
import random
import time

SIZES = {"smoke": (1_000, 200), "small": (10_000, 2_000), "full": (10_000, 2_000)}
CENTRE = (121.47, 31.23)
SIDE_M = 12_000
CATEGORIES = [
    ("养老", 14),
    ("助餐", 16),
    ("助医", 12),
    ("康复", 6),
    ("托育", 8),
    ("医疗健康", 10),
    ("教育", 6),
    ("文化活动", 6),
    ("就业帮扶", 6),
    ("心理健康", 5),
    ("特殊群体照护", 6),
    ("适老化改造", 5),
]
TAGS = ["elderly_alone", "disabled", "low_income", "veteran", "child"]


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    dlat = north_m / 111_320
    dlon = east_m / (111_320 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def district_instance(n_needs: int, n_resources: int, seed: int = 15):
    from gridgov.lists.matching import NeedIn, ResourceIn, priority_weight

    rng = random.Random(seed)
    streets, communities, grids = [], [], []
    cell = SIDE_M / 12  # 144 grids (8 streets × 6 communities × 3) on a 12 × 12 lattice
    k = 0
    for s in range(8):
        street = f"31/3101/310104/310104{s + 1:03d}/"
        streets.append(street)
        for c in range(6):
            community = f"{street}310104{s + 1:03d}{c + 1:03d}/"
            communities.append((street, community))
            for g in range(3):
                x = (k % 12 + 0.5) * cell - SIDE_M / 2
                y = (k // 12 + 0.5) * cell - SIDE_M / 2
                k += 1
                path = f"{community}310104{s + 1:03d}{c + 1:03d}{g + 1:03d}/"
                grids.append((path, community, street, *_offset(*CENTRE, x, y)))
    names = [c for c, _w in CATEGORIES]
    weights = [w for _c, w in CATEGORIES]
    colours = ["red"] * 10 + ["yellow"] * 20 + ["blue"] * 30 + [""] * 40
    needs = []
    for i in range(n_needs):
        path, _community, _street, lon, lat = rng.choice(grids)
        lon, lat = _offset(lon, lat, rng.gauss(0, cell / 3), rng.gauss(0, cell / 3))
        age = rng.choice([None] + list(range(3, 96)))
        needs.append(
            NeedIn(
                id=i + 1,
                category=rng.choices(names, weights)[0],
                priority=priority_weight(rng.choice(colours), rng.choice([1, 1, 2, 3])),
                lon=lon,
                lat=lat,
                area_path=path,
                tags=frozenset(t for t in TAGS if rng.random() < 0.15),
                age=age,
            )
        )
    resources = []
    for j in range(n_resources):
        kind = rng.choices(["government", "social", "volunteer"], [25, 40, 35])[0]
        path, community, street, lon, lat = rng.choice(grids)
        lon, lat = _offset(lon, lat, rng.uniform(-cell, cell), rng.uniform(-cell, cell))
        offered = frozenset(rng.choices(names, weights, k=rng.randint(1, 3)))
        paths: tuple[str, ...] = ()
        radius = None
        if kind == "government":
            paths = (street,)
            capacity = rng.randint(4, 16)
        elif kind == "social":
            paths = tuple(sorted({c for _s, c in rng.sample(communities, rng.randint(1, 3))}))
            paths = tuple(sorted(set(paths) | {community}))
            capacity = rng.randint(2, 10)
        else:
            radius = rng.choice([1000, 2000, 3000])
            capacity = rng.randint(1, 4)
        rule = rng.random()
        resources.append(
            ResourceIn(
                id=j + 1,
                provider_id=f"{kind}-{j // 3 + 1}",  # a provider often runs several
                categories=offered,
                capacity_left=capacity,
                service_paths=paths,
                lon=lon,
                lat=lat,
                radius_m=radius,
                required_tags=frozenset(rng.sample(TAGS, 2)) if rule < 0.1 else frozenset(),
                min_age=60 if 0.1 <= rule < 0.2 else None,
                provider_load=rng.randint(0, 20),
            )
        )
    return needs, resources


def bench_matching(size: str) -> dict:
    from gridgov.lists.matching import greedy, match, proven_bound

    n_needs, n_resources = SIZES[size]
    needs, resources = district_instance(n_needs, n_resources)
    started = time.perf_counter()
    best = match(needs, resources)
    match_s = time.perf_counter() - started
    started = time.perf_counter()
    base = greedy(needs, resources)
    greedy_s = time.perf_counter() - started
    started = time.perf_counter()
    bound = proven_bound(needs, resources)
    bound_s = time.perf_counter() - started
    # Nothing broken: capacities, eligibility, one resource a need.
    by_id = {r.id: r for r in resources}
    for result in (best, base):
        used: dict = {}
        for p in result.proposals:
            used[p.resource_id] = used.get(p.resource_id, 0) + 1
        assert all(n <= by_id[r].capacity_left for r, n in used.items())
        assert len({p.need_id for p in result.proposals}) == len(result.proposals)
    assert best.objective.key() >= base.objective.key()
    assert best.objective.priority_served <= bound.priority_upper + 1e-6
    return {
        "needs": n_needs,
        "resources": n_resources,
        "capacity": sum(r.capacity_left for r in resources),
        "match_s": match_s,
        "greedy_s": greedy_s,
        "bound_s": bound_s,
        "best": best.objective,
        "greedy": base.objective,
        "bound": bound,
        "unserved": {
            reason: sum(1 for u in best.unserved if u.reason == reason)
            for reason in ("no_candidate", "candidates_full")
        },
    }


def matching_lines(m: dict) -> list[str]:
    best, base, bound = m["best"], m["greedy"], m["bound"]
    upper = max(bound.priority_upper, 1e-9)
    return [
        f"| matching {m['needs']:,} open needs × {m['resources']:,} resources "
        f"({m['capacity']:,} places): seconds to solve | min-cost flow {m['match_s']:.2f} s "
        f"| greedy {m['greedy_s']:.2f} s (HiGHS bound {m['bound_s']:.2f} s) | "
        f"{m['match_s'] / max(m['greedy_s'], 1e-6):.2f}× | — |",
        f"| matching: priority-weighted needs served | {best.priority_served:,} of "
        f"{best.priority_total:,} ({best.needs_served:,} needs; unserved: "
        f"{m['unserved']['no_candidate']:,} no candidate, {m['unserved']['candidates_full']:,} "
        f"candidates full); vs bound {bound.priority_upper:,.1f}: "
        f"{best.priority_served / upper:.4f} | greedy {base.priority_served:,} "
        f"({base.needs_served:,} needs); vs bound {base.priority_served / upper:.4f} | "
        f"optimiser / greedy {best.priority_served / max(base.priority_served, 1):.4f} | "
        f"optimiser = bound |",
        f"| matching: metres travelled (tier 2) | {best.distance_cost_m / 1000:,.1f} km, "
        f"{best.distance_cost_m / max(best.needs_served, 1):,.0f} m a need; LP lower bound "
        f"at that priority {bound.distance_lower_m / 1000:,.1f} km: "
        f"{best.distance_cost_m / max(bound.distance_lower_m, 1e-9):.4f} | greedy "
        f"{base.distance_cost_m / 1000:,.1f} km, "
        f"{base.distance_cost_m / max(base.needs_served, 1):,.0f} m a need | — | — |",
    ]
