"""Small-cell suppression of a table of counts, and why no withheld count can be worked out from the rest.

Every function is pure: inputs are never changed, results are new objects.

``suppress``: with ``min_cell`` set, every count from 1 to ``min_cell - 1`` is withheld and shown as
``[c]`` (primary suppression), and further cells are withheld (secondary suppression) so that no
withheld count can be worked out from the published cells and totals. True zeros are not withheld: a
zero tells of no person (a row whose people all fall in one column is attribute disclosure, which a
threshold does not address). Totals are cells too: a row total of 2 is withheld like any 2. The
default ``min_cell`` is off, as the DDOR published exact counts.

Secondary suppression, exactly: a table with row totals, column totals and a grand total is a flow
(circulation) on a bipartite graph of row nodes and column nodes: each interior cell (i, j) is an edge
row i → column j, each row total an edge total-column → row i, each column total an edge column j →
total-row, and the grand total an edge total-row → total-column; the additive equations are flow
conservation at every node. A total the table does not print is an edge that is always withheld. Given
the published cells, another table with non-negative integer cells that differs in a withheld cell exists
if and only if that cell lies on a cycle of the residual graph of the withheld cells (forward along an
edge: the cell goes up by one; backward: it goes down by one, allowed only if it is at least 1): moving
one unit round the cycle keeps every total right and every cell a non-negative integer, and conversely
the difference of two such tables is a circulation, which splits into such cycles. For each primary
cell in table order, ``suppress`` finds the cheapest cycle through it over all cells, where a withheld
cell costs nothing and a published one costs, in this order of priority: being the grand total, being a
total, being zero, its value, and one per cell (so the smallest non-zero cells inside the table are
preferred); it then withholds the cells of that cycle. Every cell on the cycle is then protected, and
withholding more cells never removes a cycle, so one pass protects every withheld cell; a final check
confirms it. The search is Dijkstra's algorithm on the few column nodes, the best row between each
pair of columns found at once with numpy (about 1 s for a 1,000-row table). Deterministic: ties go to
table order. It is a heuristic for the fewest cells (the optimum is NP-hard); the protection is exact.

What it does not cover: other columns derived from the counts (a decline rate, a rate per 100,000, an
"issued before the week" subset, a median) and the same figure printed in another table or in the
summary. The caller must withhold those too, or a withheld count can be recovered from them.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .exceptions import InternalError

SUPPRESSED = "[c]"


@dataclass(frozen=True)
class Suppression:
    """The result of ``suppress``. ``mask`` and ``primary`` have the table's index and columns."""
    mask: pd.DataFrame  # True where the figure is withheld (only count and total cells are ever True)
    primary: pd.DataFrame  # True where withheld for its own value (1 <= value < min_cell) or because forced
    display: pd.DataFrame  # the table with withheld figures replaced by "[c]"


def suppress(table: pd.DataFrame, count_columns: Sequence[str], min_cell: int | None, *,
             total_row: Hashable | None = None, total_column: str | None = None,
             forced: pd.DataFrame | None = None) -> Suppression:
    """Primary and secondary suppression of a table of counts (module docstring).

    ``count_columns``: the additive columns; every other row of the table is a category. ``total_row``: the
    index label of the row holding the column totals, if any; ``total_column``: the column holding each row's
    total of ``count_columns``, if any (then the total row's cell in it is the grand total). ``forced``: a
    boolean frame like ``table`` of cells to withhold whatever their value (e.g. withheld in another table);
    they are protected like primary cells. ``min_cell`` None, 0 or 1: nothing is withheld (except forced).

    Raises ValueError when counts are not non-negative integers or a total is not the sum of its cells: the
    guarantee rests on the additivity being exact."""
    count_columns = list(count_columns)
    graph, positions = _table_graph(table, count_columns, total_row, total_column)
    wanted = _forced_cells(table, forced, count_columns, total_column)
    threshold = min_cell or 0
    primary = [figure for figure, cell in positions.items()
               if 1 <= graph.values[figure] < threshold or cell in wanted]
    if primary:
        graph.withhold(primary)
        for figure in primary:
            graph.withhold(graph.cheapest_cycle(*figure)[1])
        unprotected = [positions[figure] for figure in positions
                       if graph.withheld[figure] and graph.cheapest_cycle(*figure)[0] != 0]
        if unprotected:
            raise InternalError(f"secondary suppression left {unprotected} recoverable")
    return _result(table, graph, positions, set(primary))


class _Graph:
    """A table as a circulation on a complete bipartite graph (module docstring).

    Row side: the table's rows k = 0..r-1 and the total row r. Column side: the count columns a = 0..c-1 and
    the total column c. Between every row-side k and column-side a there is exactly one figure: a cell, a row
    total (k, c), a column total (r, a) or the grand total (r, c). Its two residual arcs are kept as costs in
    two matrices indexed [k, a]: ``up`` for the arc k → a and ``down`` for the arc a → k. The arc that raises
    the figure is k → a for a cell and the grand total, a → k for a row or column total; the arc that lowers
    it exists only when the figure is at least 1. An arc costs 0 once its figure is withheld, else the
    figure's cost; a missing arc costs ``inf``."""

    def __init__(self, values: np.ndarray, printed: np.ndarray):
        r, c = values.shape[0] - 1, values.shape[1] - 1
        self.values = values
        level = np.zeros(values.shape, dtype=np.int64)
        level[r, :] = 1
        level[:, c] = 1
        level[r, c] = 2
        raises_up = level != 1  # cells and the grand total go up along k → a; totals along a → k
        positive = values >= 1
        self.up_exists = raises_up | positive
        self.down_exists = ~raises_up | positive
        cost, self.inf = _costs(values, level)
        self.withheld = ~printed  # a total the table does not print is never published
        self.up = np.where(self.up_exists & ~self.withheld, cost, 0)
        self.down = np.where(self.down_exists & ~self.withheld, cost, 0)
        self.up[~self.up_exists] = self.inf
        self.down[~self.down_exists] = self.inf

    def withhold(self, figures) -> None:
        for figure in figures:
            self.withheld[figure] = True
            if self.up_exists[figure]:
                self.up[figure] = 0
            if self.down_exists[figure]:
                self.down[figure] = 0

    def cheapest_cycle(self, k0: int, a0: int) -> tuple[int, list[tuple[int, int]]]:
        """(cost, figures) of the cheapest cycle through figure (k0, a0): the figures to withhold so that it
        can go up or down by one with every printed total still right. Cost 0: it already can."""
        # The rest of a simple cycle through (k0, a0) is a path between column-side nodes whose steps
        # a → k → b pass through row-side nodes k other than k0. The cheapest k for every (a, b) is found at
        # once; Dijkstra then runs on the c + 1 column-side nodes only.
        through = self.down[:, :, None] + self.up[:, None, :]  # [k, a, b]: a → k → b
        through[k0] = 2 * self.inf
        step, via = through.min(axis=0), through.argmin(axis=0)
        options = []
        if self.up_exists[k0, a0]:  # k0 → a0, back by a0 ⇝ b → k0
            start = np.full(len(step), self.inf, dtype=self.up.dtype)
            start[a0] = 0
            dist, parent = _dijkstra(start, step, self.inf)
            cost, b = min((dist[b] + self.down[k0, b], b) for b in range(len(step)) if b != a0)
            if cost < self.inf:
                options.append((cost, 0, _walk(a0, b, parent, via) + [("k", k0)]))
        if self.down_exists[k0, a0]:  # a0 → k0, back by k0 → a ⇝ a0
            start = self.up[k0].copy()
            start[a0] = self.inf
            dist, parent = _dijkstra(start, step, self.inf)
            if dist[a0] < self.inf:
                root = a0
                while parent[root] >= 0:
                    root = parent[root]
                options.append((dist[a0], 1, [("k", k0)] + _walk(root, a0, parent, via)))
        if not options:
            raise InternalError(f"figure {(k0, a0)} lies on no cycle through the totals")
        cost, _, walk = min(options, key=lambda option: option[:2])
        walk = _without_loops(walk)
        figures = [(x[1], y[1]) if x[0] == "k" else (y[1], x[1]) for x, y in zip(walk, walk[1:])]
        return int(cost), figures


def _costs(values: np.ndarray, level: np.ndarray):
    """Integer costs that order cycles lexicographically by: grand total withheld, totals withheld, zeros
    withheld, sum of the values withheld, figures withheld (a simple cycle has at most 2 (c + 2) figures)."""
    longest = 2 * values.shape[1] + 2
    largest = int(values.max(initial=0))
    w_value = longest + 1
    w_zero = longest * (largest * w_value + 1) + 1
    w_total = (longest + 1) * w_zero
    w_grand = (longest + 1) * w_total
    inf = 4 * (longest + 1) * w_grand
    exact = object if 2 * inf >= 2 ** 62 else np.int64  # Python integers past int64: slower, still exact
    weights = np.where(level == 2, w_grand, np.where(level == 1, w_total, 0)).astype(exact)
    cost = weights + np.where(values == 0, w_zero, 0).astype(exact) + values.astype(exact) * w_value + 1
    return cost, (inf if exact is object else np.int64(inf))


def _dijkstra(start: np.ndarray, step: np.ndarray, inf):
    """Shortest distances over a small dense graph from several sources (``start``: the cost of starting at
    each node); ties go to the lowest node. Returns (distances, parents; -1 at a source)."""
    size = len(start)
    dist, parent, done = list(start), [-1] * size, [False] * size
    for _ in range(size):
        node = min((d, n) for n, d in enumerate(dist) if not done[n])[1]
        if dist[node] >= inf:
            break
        done[node] = True
        for b in range(size):
            if not done[b] and dist[node] + step[node, b] < dist[b]:
                dist[b], parent[b] = dist[node] + step[node, b], node
    return dist, parent


def _walk(source: int, target: int, parent: list, via: np.ndarray) -> list:
    """The nodes from column-side ``source`` to ``target`` along the parents, row-side nodes between."""
    chain = [target]
    while chain[-1] != source:
        chain.append(parent[chain[-1]])
    chain.reverse()
    walk = [("a", chain[0])]
    for a, b in zip(chain, chain[1:]):
        walk += [("k", int(via[a, b])), ("a", b)]
    return walk


def _without_loops(walk: list) -> list:
    """The walk with every return to a node cut out (one row-side node may serve two steps): a simple path
    over a subset of its arcs, so no dearer, and still closing the cycle."""
    out: list = []
    for node in walk:
        if node in out:
            del out[out.index(node) + 1:]
        else:
            out.append(node)
    return out


def _table_graph(table: pd.DataFrame, count_columns: list, total_row, total_column):
    """(the graph, {figure (k, a): its (row, column) position in the table}) for every printed figure."""
    if not table.index.is_unique or not table.columns.is_unique:
        raise ValueError("suppress needs unique row labels and column names")
    missing = [c for c in count_columns + ([total_column] if total_column is not None else [])
               if c not in table.columns]
    if missing:
        raise ValueError(f"columns not in the table: {missing}")
    if total_column in count_columns:
        raise ValueError("the total column cannot also be a count column")
    if total_row is not None and total_row not in table.index:
        raise ValueError(f"total row {total_row!r} not in the table")
    tr = table.index.get_loc(total_row) if total_row is not None else None
    tc = table.columns.get_loc(total_column) if total_column is not None else None
    rows = [p for p in range(len(table.index)) if p != tr]
    columns = [table.columns.get_loc(c) for c in count_columns]
    figures = table.iloc[:, columns + ([tc] if tc is not None else [])].to_numpy()  # one copy, then numpy
    values = _counts(figures[rows, :len(columns)])
    r, c = values.shape
    if r == 0 or c == 0:
        return _Graph(np.zeros((1, 1), dtype=np.int64), np.zeros((1, 1), dtype=bool)), {}
    row_sums, column_sums, grand = values.sum(axis=1), values.sum(axis=0), int(values.sum())
    if tc is not None:
        _check_totals(table, figures[rows, c], row_sums, [(i, tc) for i in rows])
    if tr is not None:
        _check_totals(table, figures[tr, :c], column_sums, [(tr, j) for j in columns])
    if tr is not None and tc is not None:
        _check_totals(table, figures[[tr], c], np.array([grand]), [(tr, tc)])
    extended = np.zeros((r + 1, c + 1), dtype=np.int64)
    extended[:r, :c], extended[:r, c], extended[r, :c], extended[r, c] = values, row_sums, column_sums, grand
    positions = {(i, j): (row, column) for i, row in enumerate(rows) for j, column in enumerate(columns)}
    if tc is not None:
        positions.update({(i, c): (row, tc) for i, row in enumerate(rows)})
    if tr is not None:
        positions.update({(r, j): (tr, column) for j, column in enumerate(columns)})
    if tr is not None and tc is not None:
        positions[(r, c)] = (tr, tc)
    printed = np.zeros(extended.shape, dtype=bool)
    for figure in positions:
        printed[figure] = True
    return _Graph(extended, printed), positions


def _counts(values: np.ndarray) -> np.ndarray:
    try:
        numbers = values.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"counts must be non-negative integers: {exc}") from exc
    if np.isnan(numbers).any() or (numbers < 0).any() or (numbers != np.round(numbers)).any():
        raise ValueError("counts must be non-negative integers, without blanks")
    return numbers.astype(np.int64)


def _check_totals(table, printed: np.ndarray, expected: np.ndarray, cells) -> None:
    numbers = _counts(printed)
    for value, sum_, (i, j) in zip(numbers, expected, cells):
        if value != sum_:
            raise ValueError(f"total at ({table.index[i]!r}, {table.columns[j]!r}) is {value}, "
                             f"not the sum of its cells ({sum_})")


def _forced_cells(table, forced, count_columns, total_column) -> set:
    if forced is None:
        return set()
    flags = forced.reindex(index=table.index, columns=table.columns, fill_value=False).to_numpy(dtype=bool)
    cells = {(int(i), int(j)) for i, j in np.argwhere(flags)}
    allowed = {table.columns.get_loc(c) for c in count_columns}
    if total_column is not None:
        allowed.add(table.columns.get_loc(total_column))
    stray = sorted(f"({table.index[i]!r}, {table.columns[j]!r})" for i, j in cells if j not in allowed)
    if stray:
        raise ValueError(f"forced cells outside the count and total columns: {', '.join(stray)}")
    return cells


def _result(table, graph: _Graph, positions: dict, primary: set) -> Suppression:
    mask = np.zeros(table.shape, dtype=bool)
    primary_mask = np.zeros(table.shape, dtype=bool)
    for figure, cell in positions.items():
        mask[cell] = graph.withheld[figure]
        primary_mask[cell] = figure in primary
    display = table.copy()
    for j in np.flatnonzero(mask.any(axis=0)):
        shown = display.iloc[:, j].to_numpy(dtype=object, copy=True)
        shown[mask[:, j]] = SUPPRESSED
        display.isetitem(int(j), shown)
    frame = lambda flags: pd.DataFrame(flags, index=table.index, columns=table.columns)  # noqa: E731
    return Suppression(mask=frame(mask), primary=frame(primary_mask), display=display)
