"""Privacy and disclosure control for the public outputs: redaction of personal data in free text,
top-coding of rare citizenships, week-only dates in row-level downloads, and small-cell suppression.

Every function is pure: inputs are never changed, results are new objects.

Redaction (``Redactor``)
    Free text that is published as written (most serious conviction, lift reason, charge, arresting agency,
    policy text, correction notes) may hold personal data typed by staff. ``Redactor.redact`` replaces each of
    these with ``[redacted]`` and returns where it was found (kind, start, length; never the text itself), so the
    staff report can warn about it without repeating it:

    - **A-numbers** (``a_number``): ``A`` followed by 8 or 9 digits, as ICE writes them: ``A209999999``,
      ``A-209999999``, ``A 209-999-999``, ``A#209999999``, ``A# 209 999 999`` (capital A, not inside a word;
      up to two of ``#``, ``:``, ``-`` (with spaces) between A and the digits; up to 3 spaces or dashes between
      two digits, as in ``209 - 999 - 999``; not followed by a further digit). Also a number of 8 or 9 digits after a label, any case:
      ``A-number``, ``A number``, ``A No.``, ``A num``, ``Alien number``, ``Alien registration number``,
      ``Alien No.`` (optionally followed by ``:`` or ``#``); then only the digits are replaced. Ordinary words
      are never touched: every match needs 8 or 9 digits.
    - **Dates of birth** (``date_of_birth``): a date within 40 characters (same line, no ``;``) after a cue, or
      at most 5 characters (``(``, ``,``, spaces) before one. Cues, any case, whole words: ``DOB``, ``D.O.B.``,
      ``D O B``, ``date of birth``, ``birth date``, ``birthdate``, ``born``. Dates: ``1990-01-02``,
      ``01/02/1990``, ``1-2-90``, ``01.02.1990``, ``January 2, 1990``, ``Jan. 2nd 1990``, ``2 January 1990``,
      ``2nd of Jan 1990``, ``02-JAN-90``, and month with year (``March 1990``). Only the date is replaced, so
      ``DOB: [redacted]`` still reads. A date with no cue (a policy's enactment date) is not a birth date and
      is kept; a year alone (``born in 1990``) is not matched. A cue near an unrelated date (``Born Free Act
      of 01/05/2017``) is redacted: over-redaction is the safe failure.
    - **Identifier values** (``identifier``): values of the inputs' ID and name columns (subject IDs, detainer
      IDs, names), matched whole-token and ignoring case: the text and each identifier are split into runs of
      letters and digits, and an identifier matches where the same runs follow one another in the text,
      separated by at most 3 characters other than a line break. So ``SUBJ-T1`` matches ``subj t1`` and
      ``SUBJ/T1`` but not ``SUBJ-T10``. Identifiers that would match ordinary text are ignored (and listed in
      ``Redactor.ignored``): under 4 letters and digits (``A1``, ``12``), digits only with fewer than 6 digits
      (``2017``, ``101``: years, counts, codes), and placeholders (``unknown``, ``none``, ``null``, ``nan``,
      ``missing``, ``other``, ``redacted``, ``test``). A one-word name that is also a place (``Travis``) is
      redacted wherever it appears.

    Where matches overlap they are merged into one ``[redacted]`` with the kind of the first-starting match
    (A-number before date of birth before identifier on a tie). Run ``safetext.clean_text`` first: a NUL
    inside an A-number would otherwise hide it.

Disclosure control
    - ``top_code``: in row-level downloads, a citizenship seen fewer than k times in the week becomes "Other",
      so a rare nationality cannot single a person out.
    - ``week_only``: row-level downloads carry the week (its last day) instead of exact dates. Flags computed
      from the exact dates (``issued_before_week``, ``in_report_week``) must be computed before and are kept;
      because weeks are aligned, "week ending before the report week" is the same as "date before it".
    - ``suppress``: with ``min_cell`` set, every count from 1 to ``min_cell - 1`` is withheld and shown as
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
    edge: the cell goes up by one; backward: it goes down by one, allowed only if it is at least 1). For each
    primary cell in table order, ``suppress`` finds the cheapest such cycle by Dijkstra's algorithm over all
    cells, where an already withheld cell costs nothing and a published one costs, in this order of priority:
    being the grand total, being a total, being zero, its value, and one per cell; it then withholds the
    cells of that cycle. Every cell on the cycle is then protected, and withholding more cells never removes
    a cycle, so one pass protects every withheld cell. Deterministic: ties go to table order.

    What it does not cover: other columns derived from the counts (a decline rate, a rate per 100,000, an
    "issued before the week" subset, a median) and the same figure printed in another table or in the
    summary. The caller must withhold those too, or a withheld count can be recovered from them.
"""
from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

REDACTED = "[redacted]"
SUPPRESSED = "[c]"
A_NUMBER, DATE_OF_BIRTH, IDENTIFIER = "a_number", "date_of_birth", "identifier"
_KIND_ORDER = {A_NUMBER: 0, DATE_OF_BIRTH: 1, IDENTIFIER: 2}

# ---------------------------------------------------------------------------------------------- patterns
_NOT_AFTER_ALNUM = r"(?<![^\W_])"
_NOT_BEFORE_ALNUM = r"(?![^\W_])"
_EIGHT_OR_NINE_DIGITS = r"(?:\d[ \-]{0,3}){7,8}\d(?!\d)"  # up to 3 spaces or dashes between digits
_A_NUMBER_BARE = re.compile(_NOT_AFTER_ALNUM + r"A[ \t]*(?:[#:\-][ \t]*){0,2}" + _EIGHT_OR_NINE_DIGITS)
_A_NUMBER_LABELLED = re.compile(
    _NOT_AFTER_ALNUM
    + r"(?i:a[\- ]?(?:number|no\.?|num\.?)|alien[ \t]+(?:registration[ \t]+)?(?:number|no\.?))"
    + r"[ \t]*[:#]?[ \t]*(?P<digits>" + _EIGHT_OR_NINE_DIGITS + ")")

_MONTH = (_NOT_AFTER_ALNUM + r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    r"(?<!\d)(?:"
    r"\d{4}-\d{1,2}-\d{1,2}"                                       # 1990-01-02
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"                 # 01/02/1990, 1-2-90, 01.02.1990
    r"|" + _DAY + r"[ \t\-]+(?:of[ \t]+)?" + _MONTH + r"[ \t,\-]+(?:\d{4}|\d{2})"  # 2 January 1990, 02-JAN-90
    r"|" + _MONTH + r"[ \t]+" + _DAY + r",?[ \t]+\d{4}"            # January 2, 1990
    r"|" + _MONTH + r",?[ \t]+\d{4}"                               # March 1990
    r")(?!\d)"
)
_CUE = _NOT_AFTER_ALNUM + r"(?:d\.?[ ]?o\.?[ ]?b\.?|date[ \t]+of[ \t]+birth|birth[ \t]*date|born)" \
    + r"(?:(?<=\.)|" + _NOT_BEFORE_ALNUM + ")"
_DOB_AFTER_CUE = re.compile(r"(?i)" + _CUE + r"[^\n;]{0,40}?(?P<date>" + _DATE + ")")
_DOB_BEFORE_CUE = re.compile(r"(?i)(?P<date>" + _DATE + r")[ \t(,\[:\-]{0,5}" + _CUE)

_TOKEN = re.compile(r"[^\W_]+")
_MAX_TOKEN_GAP = 3
_PLACEHOLDERS = frozenset({"unknown", "none", "null", "nan", "missing", "other", "redacted", "test"})
MIN_IDENTIFIER_CHARS = 4
MIN_IDENTIFIER_DIGITS = 6


@dataclass(frozen=True)
class Finding:
    """One redaction: what kind of personal data, and where it was in the (cleaned) text. Never the text."""
    kind: str
    start: int
    length: int


def _identifier_text(value) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (float, np.floating)):
        if value != value:
            return None
        if float(value).is_integer():  # an ID read from Excel as 1234567.0
            return str(int(value))
    return str(value)


def _identifier_tokens(text: str) -> tuple[str, ...] | None:
    """The identifier as casefolded letter/digit runs, or None when it is too short or generic to match safely."""
    tokens = tuple(t.casefold() for t in _TOKEN.findall(text))
    joined = "".join(tokens)
    if len(joined) < MIN_IDENTIFIER_CHARS or " ".join(tokens) in _PLACEHOLDERS:
        return None
    if joined.isdigit() and len(joined) < MIN_IDENTIFIER_DIGITS:
        return None
    return tokens


class Redactor:
    """Finds and replaces A-numbers, dates of birth and known identifier values in free text."""

    def __init__(self, identifiers: Iterable = ()):
        sequences, ignored = set(), set()
        for value in identifiers:
            text = _identifier_text(value)
            if text is None or not text.strip():
                continue
            tokens = _identifier_tokens(text)
            if tokens is None:
                ignored.add(text)
            else:
                sequences.add(tokens)
        self._sequences = frozenset(sequences)
        self._lengths_by_first: dict[str, tuple[int, ...]] = {}
        for tokens in sequences:
            self._lengths_by_first.setdefault(tokens[0], set()).add(len(tokens))
        self._lengths_by_first = {k: tuple(sorted(v, reverse=True)) for k, v in self._lengths_by_first.items()}
        self.ignored: tuple[str, ...] = tuple(sorted(ignored))  # staff may want to know what is not looked for

    @classmethod
    def from_columns(cls, frames: Iterable[pd.DataFrame], columns: Iterable[str]) -> "Redactor":
        """Identifiers: every value of the named columns (those a frame has) of every frame."""
        wanted = list(columns)
        values = []
        for frame in frames:
            for column in wanted:
                if column in frame.columns:
                    values.extend(frame[column].dropna().unique().tolist())
        return cls(values)

    def __len__(self) -> int:
        return len(self._sequences)

    def find(self, text: str) -> list[Finding]:
        """Where ``text`` holds personal data, merged and in order."""
        spans = [(m.start(), m.end(), A_NUMBER) for m in _A_NUMBER_BARE.finditer(text)]
        spans += [(m.start("digits"), m.end("digits"), A_NUMBER) for m in _A_NUMBER_LABELLED.finditer(text)]
        spans += [(m.start("date"), m.end("date"), DATE_OF_BIRTH) for m in _DOB_AFTER_CUE.finditer(text)]
        spans += [(m.start("date"), m.end("date"), DATE_OF_BIRTH) for m in _DOB_BEFORE_CUE.finditer(text)]
        spans += self._identifier_spans(text)
        return _merge(spans)

    def redact(self, text):
        """(text with every finding replaced by ``[redacted]``, findings). Not a ``str``: returned as it is."""
        if not isinstance(text, str):
            return text, []
        findings = self.find(text)
        parts, at = [], 0
        for f in findings:
            parts += [text[at:f.start], REDACTED]
            at = f.start + f.length
        parts.append(text[at:])
        return "".join(parts), findings

    def _identifier_spans(self, text: str) -> list[tuple[int, int, str]]:
        if not self._sequences:
            return []
        tokens = [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        spans = []
        for i, (token, start, _) in enumerate(tokens):
            for length in self._lengths_by_first.get(token, ()):
                run = tokens[i:i + length]
                if len(run) == length and self._adjacent(text, run) \
                        and tuple(t for t, _, _ in run) in self._sequences:
                    spans.append((start, run[-1][2], IDENTIFIER))
                    break  # the longest identifier starting here
        return spans

    @staticmethod
    def _adjacent(text: str, run) -> bool:
        for (_, _, end), (_, start, _) in zip(run, run[1:]):
            gap = text[end:start]
            if len(gap) > _MAX_TOKEN_GAP or "\n" in gap or "\r" in gap:
                return False
        return True


def _merge(spans: list[tuple[int, int, str]]) -> list[Finding]:
    merged: list[list] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], _KIND_ORDER[s[2]], -s[1])):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, kind])
    return [Finding(kind, start, end - start) for start, end, kind in merged]


FINDING_COLUMNS = ["column", "row", "kind", "start", "length"]


def _text_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns
            if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]


def redact_frame(frame: pd.DataFrame, redactor: Redactor,
                 columns: Sequence | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(a copy of ``frame`` with ``columns`` redacted — default: every text column —, the findings: one row per
    finding with ``column``, ``row`` (index label), ``kind``, ``start``, ``length``). Each distinct value is
    scanned once."""
    out = frame.copy()
    rows = []
    for column in (_text_columns(frame) if columns is None else list(columns)):
        series = frame[column]
        results = {v: redactor.redact(v) for v in pd.unique(series.dropna()) if isinstance(v, str)}
        if not any(found for _, found in results.values()):
            continue
        out[column] = series.map(lambda v: results[v][0] if isinstance(v, str) else v)
        for label, value in series.items():
            if isinstance(value, str):
                rows += [(column, label, f.kind, f.start, f.length) for f in results[value][1]]
    return out, pd.DataFrame(rows, columns=FINDING_COLUMNS)


# ------------------------------------------------------------------------------------------ top-coding
def top_code(series: pd.Series, k: int, other: str = "Other", keep: Iterable[str] = ()) -> pd.Series:
    """A new series where every value seen fewer than ``k`` times in ``series`` is ``other``.

    Missing values (None, NaN) are not a value: they are not counted and stay missing. Values in ``keep``
    (e.g. "unknown") are never replaced. With ``k`` of 1 or less nothing changes. Values are compared exactly
    (case and spacing matter; the validated citizenship names are already canonical)."""
    out = series.astype(object).copy()
    if k <= 1:
        return out
    counts = series.dropna().value_counts()
    rare = set(counts[counts < k].index) - set(keep)
    return out.where(~series.isin(rare).to_numpy(), other)


# ------------------------------------------------------------------------------------------- week dates
ROW_LEVEL_DATE_COLUMNS = {
    # column of tables.declines_detail / issued_detail / charges_detail → its week-only name
    "date_issued": "week_issued",
    "date_declined": "week_declined",
    "outcome_date": "outcome_week",
    "arrest_date": "arrest_week",
}


def week_ending(dates: pd.Series, week_start: int) -> pd.Series:
    """Each date replaced by the last day of the reporting week that contains it (``period.week_containing``;
    ``week_start``: 0 = Monday … 5 = Saturday), as ``datetime.date``; missing dates stay missing (NaT).
    Accepts dates, datetimes or ISO strings."""
    stamps = pd.to_datetime(pd.Series(dates, copy=True), format="ISO8601").dt.normalize()
    days_to_end = (week_start + 6 - stamps.dt.weekday) % 7
    return (stamps + pd.to_timedelta(days_to_end, unit="D")).dt.date


def week_only(frame: pd.DataFrame, week_start: int,
              columns: Mapping[str, str] = ROW_LEVEL_DATE_COLUMNS) -> pd.DataFrame:
    """A copy of a row-level table whose exact-date columns hold the week instead: each column named in
    ``columns`` (old name → new name) that the frame has becomes the last day of its week, renamed, in the
    same position. Every other column is unchanged, so flags computed from the exact dates survive."""
    out = frame.copy()
    present = {old: new for old, new in columns.items() if old in out.columns}
    for old in present:
        out[old] = week_ending(out[old], week_start)
    return out.rename(columns=present)


# ------------------------------------------------------------------------------------------ suppression
@dataclass(frozen=True)
class Suppression:
    """The result of ``suppress``. ``mask`` and ``primary`` have the table's index and columns."""
    mask: pd.DataFrame  # True where the figure is withheld (only count and total cells are ever True)
    primary: pd.DataFrame  # True where withheld for its own value (1 <= value < min_cell) or because forced
    display: pd.DataFrame  # the table with withheld figures replaced by "[c]"


@dataclass(frozen=True)
class _Edge:
    tail: int
    head: int
    value: int
    cell: tuple[int, int] | None  # (row, column) position in the table; None: a total it does not print
    level: int  # 0 interior cell, 1 row or column total, 2 grand total: what suppressing it costs first


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
    edges, nodes = _table_graph(table, count_columns, total_row, total_column)
    wanted = _forced_cells(table, forced, count_columns, total_column)
    threshold = min_cell or 0
    primary = [k for k, e in enumerate(edges)
               if e.cell is not None and (1 <= e.value < threshold or e.cell in wanted)]
    withheld = [e.cell is None for e in edges]  # totals the table does not print are never published
    for k in primary:
        withheld[k] = True
    if primary:
        weights = _cost_weights(edges)
        adjacency = _adjacency(edges, nodes)
        for k in primary:
            for g in _cheapest_cycle(k, edges, adjacency, withheld, weights):
                withheld[g] = True
        unprotected = [edges[k].cell for k in range(len(edges))
                       if withheld[k] and edges[k].cell is not None
                       and not _protected(k, edges, adjacency, withheld)]
        assert not unprotected, f"secondary suppression left {unprotected} recoverable"
    return _result(table, edges, withheld, set(primary))


def _table_graph(table: pd.DataFrame, count_columns: list, total_row, total_column):
    """The table as a circulation (module docstring): edges in table order, and the number of nodes."""
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
        return [], 0
    row_sums, column_sums, grand = values.sum(axis=1), values.sum(axis=0), int(values.sum())
    if tc is not None:
        _check_totals(table, figures[rows, c], row_sums, [(i, tc) for i in rows])
    if tr is not None:
        _check_totals(table, figures[tr, :c], column_sums, [(tr, j) for j in columns])
    if tr is not None and tc is not None:
        _check_totals(table, figures[[tr], c], np.array([grand]), [(tr, tc)])
    # nodes: rows 0..r-1, the total row r, columns r+1..r+c, the total column r+c+1
    total_row_node, total_column_node = r, r + c + 1
    edges = []
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            edges.append(_Edge(i, r + 1 + j, int(values[i, j]), (row, column), 0))
        edges.append(_Edge(total_column_node, i, int(row_sums[i]), (row, tc) if tc is not None else None, 1))
    for j, column in enumerate(columns):
        edges.append(_Edge(r + 1 + j, total_row_node, int(column_sums[j]),
                           (tr, column) if tr is not None else None, 1))
    edges.append(_Edge(total_row_node, total_column_node, grand,
                       (tr, tc) if tr is not None and tc is not None else None, 2))
    return edges, r + c + 2


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


def _cost_weights(edges) -> tuple[int, int, int, int]:
    """Integer weights that make cost comparison lexicographic: (grand total, totals, zeros, value, cells)."""
    n = len(edges)
    w_value = n + 1
    w_zero = (sum(e.value for e in edges) + 1) * w_value
    w_total = (n + 1) * w_zero
    w_grand = (n + 1) * w_total
    return w_value, w_zero, w_total, w_grand


def _cost(edge: _Edge, weights) -> int:
    w_value, w_zero, w_total, w_grand = weights
    level = (w_grand if edge.level == 2 else w_total if edge.level == 1 else 0)
    return level + (w_zero if edge.value == 0 else 0) + edge.value * w_value + 1


def _adjacency(edges, nodes) -> list[list[tuple[int, int, bool]]]:
    """Residual arcs out of each node: (edge, next node, forward). Forward: the cell could go up by one;
    backward: down by one, only if it is at least 1."""
    arcs = [[] for _ in range(nodes)]
    for k, e in enumerate(edges):
        arcs[e.tail].append((k, e.head, True))
        if e.value >= 1:
            arcs[e.head].append((k, e.tail, False))
    return arcs


def _cheapest_cycle(k, edges, adjacency, withheld, weights) -> list[int]:
    """The cells to withhold (besides k) so that k lies on a residual cycle, as cheaply as possible."""
    edge = edges[k]
    options = [_cheapest_path(edge.head, edge.tail, k, adjacency, withheld, edges, weights)]  # k goes up
    if edge.value >= 1:  # k goes down
        options.append(_cheapest_path(edge.tail, edge.head, k, adjacency, withheld, edges, weights))
    found = [o for o in options if o is not None]
    assert found, "every cell lies on a cycle through the totals"
    return min(found, key=lambda o: o[0])[1]


def _cheapest_path(source, target, excluded, adjacency, withheld, edges, weights):
    """Dijkstra from source to target over residual arcs, not using edge ``excluded``; (cost, edges)."""
    best = {source: 0}
    previous: dict[int, tuple[int, int]] = {}
    heap = [(0, source)]
    done = set()
    while heap:
        cost, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        if node == target:
            path, at = [], target
            while at != source:
                k, at = previous[at]
                path.append(k)
            return cost, path
        for k, nxt, _ in adjacency[node]:
            if k == excluded or nxt in done:
                continue
            step = cost + (0 if withheld[k] else _cost(edges[k], weights))
            if step < best.get(nxt, step + 1):
                best[nxt] = step
                previous[nxt] = (k, node)
                heapq.heappush(heap, (step, nxt))
    return None


def _protected(k, edges, adjacency, withheld) -> bool:
    """Does withheld cell k lie on a residual cycle of withheld cells (so it has another possible value)?"""
    edge = edges[k]
    ends = [(edge.head, edge.tail)] + ([(edge.tail, edge.head)] if edge.value >= 1 else [])
    for source, target in ends:
        seen, stack = {source}, [source]
        while stack:
            node = stack.pop()
            if node == target:
                return True
            for g, nxt, _ in adjacency[node]:
                if g != k and withheld[g] and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return False


def _result(table, edges, withheld, primary) -> Suppression:
    mask = np.zeros(table.shape, dtype=bool)
    primary_mask = np.zeros(table.shape, dtype=bool)
    for k, e in enumerate(edges):
        if e.cell is not None and withheld[k]:
            mask[e.cell] = True
            primary_mask[e.cell] = k in primary
    display = table.copy()
    for j in np.flatnonzero(mask.any(axis=0)):
        shown = display.iloc[:, j].to_numpy(dtype=object, copy=True)
        shown[mask[:, j]] = SUPPRESSED
        display.isetitem(int(j), shown)
    frame = lambda flags: pd.DataFrame(flags, index=table.index, columns=table.columns)  # noqa: E731
    return Suppression(mask=frame(mask), primary=frame(primary_mask), display=display)
