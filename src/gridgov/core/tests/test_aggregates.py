"""Small-cell suppression of published counts: a hidden cell cannot be recomputed from the
published total and the other published cells (the recomputation attack)."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.core.aggregates import (
    PRIMARY,
    SECONDARY,
    min_cell,
    suppress_counts,
    suppress_table,
    suppressed_mean,
)


def _attack_line(cells: dict, total: int, minimum: int) -> list:
    """What an attacker learns from a published line and its total: the hidden cells add up
    to ``total − published``. A lone hidden cell is that number; hidden cells adding up to
    fewer than the minimum are each known to be that small. Returns the exposed keys."""
    hidden = [k for k, c in cells.items() if c.suppressed]
    left = total - sum(c.value for c in cells.values() if not c.suppressed)
    if len(hidden) == 1 or 0 < left < minimum:
        return hidden
    return []


def test_small_cell_hidden_and_its_complement():
    cells = suppress_counts({"yes": 40, "no": 2, "unsure": 9}, minimum=5)
    assert cells["no"].suppressed and cells["no"].reason == PRIMARY
    assert cells["no"].value is None
    # Without a second hidden cell, 51 − 40 − 9 = 2 gives "no" back.
    assert cells["unsure"].suppressed and cells["unsure"].reason == SECONDARY
    assert cells["yes"].value == 40 and not cells["yes"].suppressed
    assert _attack_line(cells, 51, 5) == []


def test_the_recomputation_attack_succeeds_without_secondary_suppression():
    cells = suppress_counts({"yes": 40, "no": 2, "unsure": 9}, minimum=5, total_published=False)
    assert [k for k, c in cells.items() if c.suppressed] == ["no"]
    # Published with its total, the line gives the hidden cell back exactly.
    assert _attack_line(cells, 51, 5) == ["no"]


def test_two_small_cells_that_add_up_to_little_take_a_third():
    cells = suppress_counts({"a": 1, "b": 1, "c": 30, "d": 7}, minimum=5)
    hidden = {k for k, c in cells.items() if c.suppressed}
    # a + b = 2 < 5 would still bound each to 1: the smallest other cell (d) joins them.
    assert hidden == {"a", "b", "d"}
    assert sum(cells[k].count for k in hidden) >= 5


def test_zero_is_published_and_large_cells_untouched():
    cells = suppress_counts({"a": 0, "b": 12, "c": 6}, minimum=5)
    assert not any(c.suppressed for c in cells.values())
    assert cells["a"].value == 0


def test_minimum_follows_the_policy(db):
    from gridgov.core.policies import policy_get

    assert policy_get("core.small_cells").min_cell == 5 == min_cell()
    assert suppress_counts({"a": 4, "b": 20, "c": 20})["a"].suppressed
    assert not suppress_counts({"a": 4, "b": 20, "c": 20}, minimum=3)["a"].suppressed


def test_table_hides_small_units_whole_and_protects_columns():
    rows = {
        "g1": {"yes": 20, "no": 6},
        "g2": {"yes": 12, "no": 2},
        "g3": {"yes": 2, "no": 1},  # a unit of 3: hidden whole
        "g4": {"yes": 30, "no": 9},
    }
    table = suppress_table(rows, minimum=5)
    assert table.row_totals["g3"].suppressed
    assert all(c.suppressed for c in table.cells["g3"].values())
    # A lone hidden unit would be total − others: a second unit is hidden with it.
    assert sum(1 for c in table.row_totals.values() if c.suppressed) >= 2
    assert table.cells["g2"]["no"].suppressed
    # Every column and every published row resists the attack.
    for column in ("yes", "no"):
        line = {r: table.cells[r][column] for r in rows}
        assert _attack_line(line, table.column_totals[column].count, 5) == []
    for r in rows:
        if not table.row_totals[r].suppressed:
            assert _attack_line(table.cells[r], table.row_totals[r].count, 5) == []


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdefg"), st.integers(min_value=0, max_value=40), min_size=1)
)
def test_no_line_lets_a_small_cell_be_recomputed(counts):
    cells = suppress_counts(counts, minimum=5)
    total = sum(counts.values())
    for key, cell in cells.items():
        if 0 < counts[key] < 5:
            assert cell.suppressed
    hidden = [k for k, c in cells.items() if c.suppressed]
    if hidden and len(hidden) < len(counts):
        assert len(hidden) >= 2
        assert sum(counts[k] for k in hidden) >= 5
    assert _attack_line(cells, total, 5) == [] or len(hidden) == len(counts)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=25), min_size=3, max_size=3),
        min_size=2,
        max_size=5,
    )
)
def test_no_table_line_gives_a_small_cell_back(matrix):
    rows = {
        f"u{i}": {c: v for c, v in zip("xyz", row, strict=True)} for i, row in enumerate(matrix)
    }
    table = suppress_table(rows, minimum=5)
    for r, c in itertools.product(rows, "xyz"):
        if 0 < rows[r][c] < 5:
            assert table.cells[r][c].suppressed
    totals = {c: sum(rows[r][c] for r in rows) for c in "xyz"}
    if not table.total.suppressed:
        assert _attack_line(table.column_totals, table.total.count, 5) == []
    for c in "xyz":
        line = {r: table.cells[r][c] for r in rows}
        if table.column_totals[c].suppressed:
            # No published total: the published cells must not add up to the hidden one.
            assert any(cell.suppressed for cell in line.values()) or totals[c] == 0
            continue
        hidden = [r for r, cell in line.items() if cell.suppressed]
        if hidden and len(hidden) < len(rows):
            assert len(hidden) >= 2
            assert sum(rows[r][c] for r in hidden) == 0 or sum(rows[r][c] for r in hidden) >= 5


def test_mean_hidden_below_the_minimum():
    assert suppressed_mean(300, 4, minimum=5)["suppressed"] is True
    assert suppressed_mean(400, 5, minimum=5) == {
        "value": 80.0,
        "suppressed": False,
        "reason": "",
        "count": 5,
    }
    assert suppressed_mean(0, 0, minimum=5)["value"] is None
