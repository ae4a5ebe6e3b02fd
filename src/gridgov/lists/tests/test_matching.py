"""The matching optimiser: pure, no database.

Points lie on the equator so that distances are exact: ``east(x)`` is x metres east of
(0°, 0°), and the great-circle distance between two such points is the difference of x."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.lists.matching import (
    EARTH_RADIUS_M,
    REASONS,
    NeedIn,
    ResourceIn,
    _metres,
    eligible,
    greedy,
    match,
    priority_weight,
    proven_bound,
)

GRID = "31/3101/310104/310104003/310104003001/310104003001001/"
OTHER_GRID = "31/3101/310104/310104003/310104003001/310104003001002/"
COMMUNITY = "31/3101/310104/310104003/310104003001/"
STREET = "31/3101/310104/310104003/"


def east(x: float) -> tuple[float, float]:
    return (math.degrees(x / EARTH_RADIUS_M), 0.0)


def need(id, x, *, priority=1, category="meal", area=GRID, tags=(), age=None):
    lon, lat = east(x)
    return NeedIn(id, category, priority, lon, lat, area, frozenset(tags), age)


def resource(id, x, *, capacity=1, paths=(STREET,), category="meal", load=0, provider=None, **kw):
    lon, lat = east(x)
    return ResourceIn(
        id=id,
        provider_id=provider or f"p-{id}",
        categories=frozenset({category}),
        capacity_left=capacity,
        service_paths=tuple(paths),
        lon=lon,
        lat=lat,
        provider_load=load,
        **kw,
    )


def assignment(result) -> dict:
    return {p.need_id: p.resource_id for p in result.proposals}


def test_greedy_leaves_a_need_the_optimum_serves():
    # A (red, 3) at 0 m, B (red, 3) at 1,000 m, both 助餐. X at 10 m serves the whole
    # street, Y at 500 m serves only A's grid; one place each.
    # Greedy: A (first by id) takes its nearest, X (10 m); B's only candidate X is full:
    # served priority 3, B unserved.
    # Optimum by hand: A→Y (500 m), B→X (990 m): priority 6 (both served), 1,490 m.
    needs = [need("A", 0, priority=3), need("B", 1000, priority=3, area=OTHER_GRID)]
    resources = [resource("X", 10), resource("Y", 500, paths=(GRID,))]
    g = greedy(needs, resources)
    assert assignment(g) == {"A": "X"}
    assert g.objective.priority_served == 3
    assert [(u.need_id, u.reason) for u in g.unserved] == [("B", "candidates_full")]
    best = match(needs, resources, with_bound=True)
    assert assignment(best) == {"A": "Y", "B": "X"}
    assert best.objective.priority_served == 6
    assert best.objective.distance_cost_m == 1490
    assert best.unserved == ()
    assert best.bound.priority_upper == pytest.approx(6)


def test_greedy_travels_farther_than_the_optimum():
    # A at 0, B at 250; X at 100, Y at -200; one place each, everyone served either way.
    # Greedy: A→X (100 m), then B→Y (450 m) = 550 m.
    # Optimum by hand: A→Y (200 m) + B→X (150 m) = 350 m (the other way round is 550 m).
    needs = [need("A", 0), need("B", 250)]
    resources = [resource("X", 100), resource("Y", -200)]
    g = greedy(needs, resources)
    assert assignment(g) == {"A": "X", "B": "Y"}
    assert g.objective.distance_cost_m == 550
    best = match(needs, resources, with_bound=True)
    assert assignment(best) == {"A": "Y", "B": "X"}
    assert best.objective.distance_cost_m == 350
    assert best.bound.distance_lower_m == pytest.approx(350, abs=1e-3)


def test_two_yellow_needs_beat_one_red_need_and_priority_beats_distance():
    # X (2 places) and Y (1 place); R (red, 3) can use only X; Y1, Y2 (yellow, 2) can use
    # X or Y; the red need is far, the yellows are near.
    # Greedy: R→X, Y1→X (nearest, X now full), Y2→Y: 7, all served.
    # With X at 1 place: greedy R→X, Y1→Y, Y2 unserved = 5; optimum: same 5 (3 + 2 beats
    # 2 + 2 = 4), although R travels 9,000 m and a yellow would travel 10 m: priority first.
    needs = [
        need("R", 9000, priority=3, area=OTHER_GRID),
        need("Y1", 10, priority=2),
        need("Y2", 20, priority=2),
    ]
    resources = [resource("X", 0, capacity=1), resource("Y", 30, paths=(GRID,))]
    best = match(needs, resources)
    assert best.objective.priority_served == 5
    assert assignment(best)["R"] == "X"
    # Of Y1 and Y2 the optimum keeps the nearer total: Y2→Y (10 m) rather than Y1→Y (20 m).
    assert assignment(best) == {"R": "X", "Y2": "Y"}
    assert [(u.need_id, u.reason) for u in best.unserved] == [("Y1", "candidates_full")]


def test_provider_load_breaks_a_distance_tie_and_ties_are_deterministic():
    # Two co-located resources of two providers: the lighter provider gets the need.
    needs = [need("A", 0)]
    busy = resource("X", 100, load=7, provider="busy")
    idle = resource("Y", 100, load=1, provider="idle")
    assert assignment(match(needs, [busy, idle])) == {"A": "Y"}
    # Equal in everything: the lowest resource id, whatever the input order.
    twins = [resource(f"R{k}", 100) for k in range(5)]
    answers = set()
    for seed in range(6):
        rng = random.Random(seed)
        shuffled_needs = [need(f"N{k}", k) for k in range(3)]
        rng.shuffle(shuffled_needs)
        shuffled = twins[:]
        rng.shuffle(shuffled)
        answers.add(tuple(sorted(assignment(match(shuffled_needs, shuffled)).items())))
    assert len(answers) == 1
    assert {r for _n, r in next(iter(answers))} == {"R0", "R1", "R2"}


def test_distance_never_outweighs_a_priority_unit_even_at_the_limit():
    # One place; a need of priority 2 at the maximum distance against one of priority 1 next
    # door: the priority-2 need wins.
    needs = [need("far", 10_000, priority=2), need("near", 1)]
    resources = [resource("X", 0)]
    assert assignment(match(needs, resources, max_distance_m=10_000)) == {"far": "X"}


def test_explanations_and_unserved_reasons():
    needs = [
        need("A", 0, priority=2),
        need("B", 450),
        need("C", 0, category="medical"),
        need("D", 0, area="32/3201/"),
    ]
    resources = [
        resource("X", 100, capacity=1, load=3),
        resource("Y", 400, paths=(GRID,)),
        resource("Z", 100, capacity=0, category="medical"),
    ]
    result = match(needs, resources)
    by_need = {p.need_id: p for p in result.proposals}
    a = by_need["A"].explanation
    assert (a.category, a.via, round(a.distance_m)) == ("meal", STREET, 100)
    assert (a.capacity_left, a.capacity_left_after, a.provider_load) == (1, 0, 3)
    assert [(c.resource_id, round(c.distance_m), c.via) for c in a.alternatives] == [
        ("Y", 400, GRID)
    ]
    assert a.alternatives_total == 1
    assert by_need["B"].resource_id == "Y"
    unserved = {u.need_id: u for u in result.unserved}
    assert unserved["C"].reason == "no_candidate"
    assert unserved["C"].rejected == {"capacity": 1}
    assert unserved["D"].reason == "no_candidate"
    assert unserved["D"].rejected == {"area": 2}
    assert all(u.reason in REASONS for u in result.unserved)
    assert result.objective.needs_served == 2 and result.objective.needs_total == 4


def test_eligibility_rules():
    base = need("A", 0, tags={"elderly_alone"}, age=82)
    assert eligible(base, resource("X", 10)) == (True, STREET)
    assert eligible(base, resource("X", 10, paths=(COMMUNITY, GRID))) == (True, GRID)
    assert eligible(base, resource("X", 10, category="medical"))[1] == "category"
    assert eligible(base, resource("X", 10, paths=("32/",)))[1] == "area"
    assert eligible(base, resource("X", 10, capacity=0))[1] == "capacity"
    assert eligible(base, resource("X", 10, required_tags=frozenset({"disabled"})))[1] == "tags"
    assert eligible(
        base, resource("X", 10, required_tags=frozenset({"disabled", "elderly_alone"}))
    ) == (True, STREET)
    assert eligible(base, resource("X", 10, min_age=60, max_age=80))[1] == "age"
    assert eligible(need("B", 0), resource("X", 10, min_age=60))[1] == "age"  # age unknown
    assert eligible(base, resource("X", 20_000))[1] == "distance"
    assert eligible(base, resource("X", 20_000), max_distance_m=None)[0] is True
    # A point and a radius instead of areas.
    radius = resource("X", 300, paths=(), radius_m=500)
    assert eligible(base, radius) == (True, "radius")
    assert eligible(need("F", 900), radius)[1] == "area"


def test_an_unlocated_resource_counts_as_the_farthest():
    needs = [need("A", 0)]
    nowhere = ResourceIn("U", "p", frozenset({"meal"}), 1, (STREET,))
    result = match(needs, [nowhere, resource("X", 9_000)])
    assert assignment(result) == {"A": "X"}  # 9,000 m known beats unknown (10,000 m)
    alone = match(needs, [nowhere])
    assert alone.proposals[0].distance_m is None and alone.objective.distance_cost_m == 10_000


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="capacity left"):
        match([need("A", 0)], [resource("X", 0, capacity=-1)])
    with pytest.raises(ValueError, match="priority"):
        match([need("A", 0, priority=0)], [resource("X", 0)])
    with pytest.raises(ValueError, match="duplicate need"):
        match([need("A", 0), need("A", 1)], [])
    with pytest.raises(ValueError, match="radius"):
        match([], [ResourceIn("X", "p", frozenset({"meal"}), 1, radius_m=100)])
    with pytest.raises(ValueError, match="colour"):
        priority_weight("purple")
    assert priority_weight("red", 2) == 6 and priority_weight("blue") == 1


def test_nothing_to_match():
    result = match([], [], with_bound=True)
    assert result.proposals == () and result.unserved == ()
    assert result.objective.priority_served == 0


# Against brute force on tiny instances --------------------------------------------------------


def brute_force(needs, resources, max_distance_m=10_000):
    """Every assignment (each need: nobody or one candidate) within the capacities; the best
    by (priority served, -metres, -provider load)."""
    options = []
    for n in needs:
        mine = [None]
        for r in resources:
            if eligible(n, r, max_distance_m=max_distance_m)[0]:
                mine.append(r)
        options.append(mine)
    best = None
    for choice in itertools.product(*options):
        used = {}
        for r in choice:
            if r is not None:
                used[r.id] = used.get(r.id, 0) + 1
        if any(used[r.id] > r.capacity_left for r in resources if r.id in used):
            continue
        key = (0, 0, 0)
        for n, r in zip(needs, choice, strict=True):
            if r is not None:
                d = great_circle(n, r)
                key = (key[0] + n.priority, key[1] - _metres(d, 0), key[2] - r.provider_load)
        best = key if best is None or key > best else best
    return best


def great_circle(n, r):
    from gridgov.lists.matching import great_circle_m

    return great_circle_m(n.lon, n.lat, r.lon, r.lat)


PATHS = [STREET, COMMUNITY, GRID, OTHER_GRID]
# Few spots, so that distances tie often and the load tier decides.
SPOTS = st.sampled_from([-1500, -500, 0, 500, 1500]) | st.integers(-3000, 3000)


@st.composite
def instances(draw):
    """Either anything (rules, areas, radii, any spot) or a crowded instance: one category,
    one area, no rules, resources on two spots, so that distances tie and the provider-load
    tier decides."""
    crowded = draw(st.booleans())
    categories = st.just("meal") if crowded else st.sampled_from(["meal", "medical"])
    n_needs = draw(st.integers(0, 5))
    n_res = draw(st.integers(0, 3))
    needs = [
        need(
            f"N{k}",
            draw(SPOTS),
            priority=draw(st.integers(1, 3)),
            category=draw(categories),
            area=draw(st.sampled_from([GRID, OTHER_GRID])),
            tags=draw(st.sets(st.sampled_from(["a", "b"]))),
            age=draw(st.none() | st.integers(50, 90)),
        )
        for k in range(n_needs)
    ]
    if crowded:
        resources = [
            resource(
                f"R{k}",
                draw(st.sampled_from([0, 1000])),
                capacity=draw(st.integers(0, 2)),
                load=draw(st.integers(0, 3)),
            )
            for k in range(n_res)
        ]
        return needs, resources
    resources = [
        resource(
            f"R{k}",
            draw(SPOTS),
            capacity=draw(st.integers(0, 2)),
            category=draw(categories),
            paths=draw(st.lists(st.sampled_from(PATHS), max_size=2)),
            load=draw(st.integers(0, 3)),
            required_tags=frozenset(draw(st.sets(st.sampled_from(["a", "b"]), max_size=1))),
            min_age=draw(st.none() | st.just(60)),
            radius_m=draw(st.none() | st.integers(100, 2000)),
        )
        for k in range(n_res)
    ]
    return needs, resources


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([None, 2000]))
def test_optimum_matches_brute_force_and_never_breaks_a_rule(instance, max_distance_m):
    needs, resources = instance
    by_id = {r.id: r for r in resources}
    needs_by_id = {n.id: n for n in needs}
    best = match(needs, resources, max_distance_m=max_distance_m)
    base = greedy(needs, resources, max_distance_m=max_distance_m)
    for result in (best, base):
        counts = {}
        for p in result.proposals:
            ok, _why = eligible(
                needs_by_id[p.need_id], by_id[p.resource_id], max_distance_m=max_distance_m
            )
            assert ok
            counts[p.resource_id] = counts.get(p.resource_id, 0) + 1
        assert all(c <= by_id[r].capacity_left for r, c in counts.items())
        assert len(result.proposals) + len(result.unserved) == len(needs)
    assert best.objective.key() == brute_force(needs, resources, max_distance_m)
    assert base.objective.key() <= best.objective.key()
    bound = proven_bound(needs, resources, max_distance_m=max_distance_m)
    assert best.objective.priority_served == pytest.approx(bound.priority_upper, abs=1e-6)
    assert bound.distance_lower_m <= best.objective.distance_cost_m + 1e-3


def test_candidates_given_by_the_caller_replace_the_rule():
    """The product passes the candidates its one rule decided (selectors.candidates_for):
    the optimiser then ignores its own eligibility and distance limit, drops candidates
    without capacity, and reports the caller's reasons for a need with none."""
    needs = [need("a", 0, priority=2), need("b", 0), need("c", 0)]
    resources = [
        resource("r1", 50_000, paths=()),  # no area, far away: the caller says it serves
        resource("r2", 0, capacity=0),
    ]
    given = {"a": [("r1", 50_000.0, "caller")], "b": [("r2", 0.0, "x")], "c": []}
    why = {"b": {"capacity": 1}, "c": {"area": 2}}
    result = match(needs, resources, candidates=given, rejected=why)
    assert assignment(result) == {"a": "r1"}
    assert result.proposals[0].explanation.via == "caller"
    unserved = {u.need_id: u for u in result.unserved}
    assert unserved["b"].reason == "no_candidate" and unserved["b"].rejected == {"capacity": 1}
    assert unserved["c"].rejected == {"area": 2}
    assert greedy(needs, resources, candidates=given).objective.priority_served == 2
    with pytest.raises(ValueError):
        match(needs, resources, candidates={"a": [("nope", 1.0, "x")]})
    with pytest.raises(ValueError):
        match(needs, resources, candidates={"a": [("r1", -1.0, "x")]})
