"""Public aggregates with small-cell suppression: the one mechanism every published count
goes through (survey results, group boards, campaign pages, red/black boards).

A count of fewer than ``min_cell`` people (policy ``core.small_cells``, 5 by default) can
point at a person — "the one household in building 3 that answered 'no'" — so it is not
published (**primary suppression**). Hiding it is not enough when a total is published too:
``total − the other cells`` would give it back. So, in each line whose total is published,
more cells are hidden (**secondary**, complementary suppression) until at least two cells are
hidden and the hidden cells together hold at least ``min_cell`` — the smallest cells first,
so the least information is lost. A table (units × options) repeats this along its rows,
its columns and its column totals until nothing changes; a row whose own total is under
the minimum is hidden whole, and so is a column whose total is hidden. Zero is published:
nobody can be singled out of nobody.

Callers publish ``Cell.value`` (None when hidden) and show ``Cell.suppressed``; they never
publish the raw counts they passed in.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

PRIMARY = "small"
SECONDARY = "complementary"


@dataclass(frozen=True)
class Cell:
    count: int  # the true count: for computing inside the platform, never for publishing
    suppressed: bool = False
    reason: str = ""  # PRIMARY or SECONDARY when suppressed

    @property
    def value(self) -> int | None:
        """What may be published: the count, or None when hidden."""
        return None if self.suppressed else self.count

    def as_public(self) -> dict:
        return {"value": self.value, "suppressed": self.suppressed, "reason": self.reason}


def min_cell() -> int:
    """The policy's minimum (``core.small_cells``)."""
    from gridgov.core.policies import policy_get

    return policy_get("core.small_cells").min_cell


def _primary(count: int, minimum: int) -> bool:
    return 0 < count < minimum


def _protect_line(counts: Mapping, hidden: dict, minimum: int) -> bool:
    """Hide more cells of one line (whose total is published) until the hidden cells cannot
    be recomputed or bounded to a small number; True when something was added."""
    keys = list(counts)
    hidden_keys = [k for k in keys if hidden.get(k)]
    if not hidden_keys:
        return False
    added = False

    def safe() -> bool:
        if len(hidden_keys) == len(keys):
            return True
        total = sum(counts[k] for k in hidden_keys)
        return len(hidden_keys) >= 2 and (total == 0 or total >= minimum)

    # Smallest first (zeros last: hiding a zero protects nothing by its count).
    candidates = sorted(
        (k for k in keys if not hidden.get(k)),
        key=lambda k: (counts[k] == 0, counts[k], str(k)),
    )
    for key in candidates:
        if safe():
            break
        hidden[key] = SECONDARY
        hidden_keys.append(key)
        added = True
    return added


def suppress_counts(
    counts: Mapping[Hashable, int], *, minimum: int | None = None, total_published: bool = True
) -> dict[Hashable, Cell]:
    """One line of counts (e.g. answers per option) → {key: Cell}. With
    ``total_published`` (the default) the complementary cells are hidden too."""
    minimum = min_cell() if minimum is None else minimum
    hidden: dict = {k: PRIMARY for k, n in counts.items() if _primary(n, minimum)}
    if total_published:
        _protect_line(counts, hidden, minimum)
    return {k: Cell(n, bool(hidden.get(k)), hidden.get(k, "")) for k, n in counts.items()}


@dataclass(frozen=True)
class Table:
    cells: dict[Hashable, dict[Hashable, Cell]]  # row → column → cell
    row_totals: dict[Hashable, Cell]
    column_totals: dict[Hashable, Cell]
    total: Cell


def suppress_table(
    rows: Mapping[Hashable, Mapping[Hashable, int]],
    *,
    columns: list | None = None,
    row_totals: Mapping[Hashable, int] | None = None,
    minimum: int | None = None,
) -> Table:
    """Counts by row (e.g. unit) and column (e.g. option), with every row total, column
    total and the grand total published. ``row_totals`` may be given when a row's cells do
    not add up to its total (a multiple-choice question: a person ticks several options);
    the lines are then protected column by column only, plus the small rows hidden whole."""
    minimum = min_cell() if minimum is None else minimum
    columns = (
        list(columns) if columns is not None else sorted({c for r in rows.values() for c in r})
    )
    grid = {r: {c: int(rows[r].get(c, 0)) for c in columns} for r in rows}
    additive = row_totals is None
    totals = {r: sum(grid[r].values()) for r in grid} if additive else dict(row_totals)
    # A row (unit) whose total is small is hidden whole, its total too.
    hidden_rows = {r: PRIMARY for r in grid if _primary(totals.get(r, 0), minimum)}
    if len(hidden_rows) == 1 and len(grid) > 1:
        # The grand total would give the lone hidden row back: hide the next smallest row.
        _protect_line(totals, hidden_rows, minimum)
    # The column totals (e.g. answers per option over all units) are a line of their own
    # whose sum, the grand total, is published when the rows add up; a column total hidden
    # there hides its whole column, or its cells would add up to it.
    column_sums = {c: sum(grid[r][c] for r in grid) for c in columns}
    hidden_columns = {c: PRIMARY for c, n in column_sums.items() if _primary(n, minimum)}
    if additive:
        _protect_line(column_sums, hidden_columns, minimum)
    hidden: dict[tuple, str] = {}
    for r in grid:
        for c in columns:
            if hidden_rows.get(r):
                hidden[(r, c)] = hidden_rows[r]
            elif hidden_columns.get(c) and grid[r][c]:
                hidden[(r, c)] = SECONDARY if not _primary(grid[r][c], minimum) else PRIMARY
            elif _primary(grid[r][c], minimum):
                hidden[(r, c)] = PRIMARY
    changed = True
    while changed:
        changed = False
        lines = [[(r, c) for r in grid] for c in columns if not hidden_columns.get(c)]
        if additive:
            lines += [[(r, c) for c in columns] for r in grid if not hidden_rows.get(r)]
        for line in lines:
            counts = {key: grid[key[0]][key[1]] for key in line}
            local = {key: hidden[key] for key in line if key in hidden}
            if _protect_line(counts, local, minimum):
                for key, reason in local.items():
                    if key not in hidden:
                        hidden[key] = reason
                        changed = True
    column_totals = {
        c: Cell(n, bool(hidden_columns.get(c)), hidden_columns.get(c, ""))
        for c, n in column_sums.items()
    }
    grand = sum(totals.values())
    return Table(
        cells={
            r: {c: Cell(grid[r][c], (r, c) in hidden, hidden.get((r, c), "")) for c in columns}
            for r in grid
        },
        row_totals={
            r: Cell(totals.get(r, 0), bool(hidden_rows.get(r)), hidden_rows.get(r, ""))
            for r in grid
        },
        column_totals=column_totals,
        total=Cell(grand, _primary(grand, minimum), PRIMARY if _primary(grand, minimum) else ""),
    )


def suppressed_mean(values_sum: float, count: int, *, minimum: int | None = None) -> dict:
    """A published mean (e.g. of 0–100 scores): hidden when fewer than the minimum gave it."""
    minimum = min_cell() if minimum is None else minimum
    if _primary(count, minimum):
        return {"value": None, "suppressed": True, "reason": PRIMARY, "count": None}
    value = round(values_sum / count, 1) if count else None
    return {"value": value, "suppressed": False, "reason": "", "count": count}
