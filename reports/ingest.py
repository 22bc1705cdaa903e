"""Stage 1: find each sheet's header row, recognise its layout, and tell records from blank, total and note rows.

Files are found by ``input_files`` and read into ``RawSheet`` by ``delimited`` and ``workbooks``. Output is
a ``SheetTable``: the raw cell values of the columns a layout needs, one row per candidate record, each
with its spreadsheet row number. Nothing is parsed here beyond what the reader gives (see ``validate``).
"""
from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field

import numpy as np

from . import xlsx
from .blank import is_empty
from .errors import Problem, column_letter
from .rawsheet import HEADER_SEARCH_ROWS, RawSheet
from .schema import KINDS, LAYOUTS, Layout, layout_required_fields, normalise_header

TOTAL_ROW = re.compile(r"^\s*(grand\s+)?(sub)?totals?\b", re.IGNORECASE)


@dataclass
class SheetTable:
    """One recognised sheet: the layout, and the raw values of the rows below its header."""

    file: str
    sheet: str
    mtime: float
    layout: Layout
    header_row: int  # spreadsheet row number of the header
    columns: dict[str, int]  # field -> 0-based column index
    headers: dict[str, str]  # field -> header text as written
    date1904: bool
    record_rows: list[int]  # spreadsheet row numbers of candidate records
    values: dict[str, list]  # field -> raw values, aligned with record_rows
    excluded: dict[int, str]  # spreadsheet row -> reason (blank, total, note)
    formula_gaps: frozenset = frozenset()  # (row index, column index): formula cells with no saved value
    error_rows: frozenset = frozenset()  # spreadsheet rows not counted: under a merged data cell (E203)
    # (spreadsheet row, field) -> "month" or "year": a date cell whose number format shows no day (Excel turns
    # "February 2017" typed into a cell into 1 Feb 2017 shown as Feb-17); only for descriptive date columns
    cell_precisions: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.layout.kind

    def column_label(self, field_name: str) -> str:
        return f"{column_letter(self.columns[field_name])} ({self.headers[field_name]})"

    @property
    def rows_read(self) -> int:
        return len(self.record_rows) + len(self.excluded)


def _header_keys(row: list) -> dict[str, list[int]]:
    keys: dict[str, list[int]] = {}
    for index, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            keys.setdefault(normalise_header(cell), []).append(index)
    return keys


def _match(layout: Layout, keys: dict[str, list[int]]) -> dict[str, list[int]]:
    """field -> column indexes of every header in the row that means that field."""
    matched = {}
    for field_name, aliases in layout.headers.items():
        indexes = sorted({i for alias in aliases for i in keys.get(normalise_header(alias), [])})
        if indexes:
            matched[field_name] = indexes
    return matched


def recognise(sheet: RawSheet, layouts: tuple[Layout, ...] = LAYOUTS) -> tuple[SheetTable | None, list[Problem]]:
    """Find the header row and the layout it belongs to.

    A header row is scored against every layout by the columns it explains: columns matched minus required
    columns missing. The best layout decides the sheet's kind, so a detainers table with one renamed column
    is still a detainers table (one E201 naming the column), never read as another kind that happens to be
    complete (a facilities table, for Facility, State and County FIPS).
    """
    where = dict(file=sheet.file, sheet=sheet.sheet)
    if sheet.hidden:
        return None, [Problem("W203", **where)]
    if not any(not is_empty(c) for row in sheet.rows for c in row):
        return None, [Problem("W205", **where)]

    best_partial = None  # (score, row index, layout, matched, missing)
    for row_index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        keys = _header_keys(row)
        if len(keys) < 2:
            continue
        ranked = []
        for order, layout in enumerate(layouts):
            matched = _match(layout, keys)
            required = layout_required_fields(layout)
            missing = [f for f in required if f not in matched]
            ranked.append((len(matched) - len(missing), not missing, -order, layout, matched, missing))
        score, complete, _, layout, matched, missing = max(ranked, key=lambda c: c[:3])
        if complete:
            return _build_table(sheet, row_index, layout, matched)
        have = len(layout_required_fields(layout)) - len(missing)
        if have >= 2 and (best_partial is None or score > best_partial[0]):
            best_partial = (score, row_index, layout, matched, missing)

    if best_partial:
        _, row_index, layout, matched, missing = best_partial
        return None, [_missing_columns_problem(sheet, row_index, layout, matched, missing)]
    return None, [Problem("W201", message="no header row of a known table in the first "
                          f"{HEADER_SEARCH_ROWS} rows; the sheet was not read", **where)]


def _missing_columns_problem(sheet: RawSheet, row_index: int, layout: Layout, matched: dict, missing: list) -> Problem:
    """E201 for a sheet that is clearly of a kind but lacks required columns: one problem for the sheet,
    naming each missing column and the header that probably means it."""
    header = sheet.rows[row_index]
    used = {i for indexes in matched.values() for i in indexes}
    unmatched = {i: str(header[i]).strip() for i in range(len(header)) if i not in used and not is_empty(header[i])}
    template = layout.name.endswith("(project template)")
    described = "" if template else f" ({layout.name})"
    parts, found_labels = [], []
    for field_name in missing:
        name = _canonical_name(layout, field_name) if template else layout.headers[field_name][0]
        index = _similar_header(unmatched, (name, *layout.headers.get(field_name, ())))
        if index is None:
            parts.append(f"no {name!r} column")
            continue
        found = unmatched.pop(index)
        found_labels.append(f"{column_letter(index)} ({found})")
        parts.append(f"no {name!r} column (found {found!r}: rename it, or add it as an alias in settings.toml: "
                     f"[aliases] \"{found}\" = \"{name}\")")
    return Problem("E201", sheet.file, sheet.sheet, row_index + 1, ", ".join(found_labels),
                   message=f"looks like a {layout.kind} table{described} but has " + "; and ".join(parts))


GENERIC_WORDS = {"date", "id", "code", "no", "number", "name", "of", "the", "on", "by", "a", "to", "in", "for"}


def _similar_header(candidates: dict[int, str], names: tuple[str, ...]) -> int | None:
    """The column whose header most probably means one of ``names``: a shared distinctive word (compared on its
    first five letters), else a close spelling. None when nothing is close."""
    def stems(text):
        return {w[:5] for w in re.findall(r"[a-z0-9]+", str(text).lower())} - {w[:5] for w in GENERIC_WORDS}

    wanted = set().union(*(stems(n) for n in names))
    keys = [normalise_header(n) for n in names]
    best, best_score = None, 0.0
    for index, text in candidates.items():
        shared = len(stems(text) & wanted)
        close = max(difflib.SequenceMatcher(None, normalise_header(text), k).ratio() for k in keys)
        score = shared + close if shared else (close if close >= 0.8 else 0.0)
        if score > best_score:
            best, best_score = index, score
    return best


def _canonical_name(layout: Layout, field_name: str) -> str:
    return KINDS[layout.kind].column(field_name).name


def _build_table(sheet: RawSheet, header_index: int, layout: Layout, matched: dict[str, list[int]]):
    where = dict(file=sheet.file, sheet=sheet.sheet)
    header = sheet.rows[header_index]
    header_row = header_index + 1
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for field_name, indexes in matched.items():
        if len(indexes) > 1:
            labels = " and ".join(f"{column_letter(i)} ({header[i]})" for i in indexes)
            problems.append(Problem("E202", row=header_row, column=labels,
                                    message=f"both mean {_canonical_name(layout, field_name)!r}", **where))
        columns[field_name] = indexes[0]
        headers[field_name] = str(header[indexes[0]]).strip()

    used = {i for indexes in matched.values() for i in indexes}
    width = sheet.width or max((len(r) for r in sheet.rows), default=0)
    unknown = [f"{column_letter(i)} ({str(header[i]).strip()})" for i in range(min(len(header), width))
               if i not in used and not is_empty(header[i])]
    if unknown:
        problems.append(Problem("W202", row=header_row, column=", ".join(unknown), message=(
            f"{len(unknown)} column(s) not part of the {layout.name} layout were ignored"), **where))
    unnamed = [i for i in range(width) if i not in used and (i >= len(header) or is_empty(header[i]))]
    if any(p.code == "E202" for p in problems):
        return None, problems
    # a sheet read whole is checked on every column, as staff see it; a large one on the columns it reads
    looked_at = sorted(used | set(unnamed)) if sheet.read_columns is not None else list(range(width))
    n, cells, sheet = _data_columns(sheet, header_index, looked_at)
    if sheet.read_columns is not None and _dates_as_text(layout, columns, cells):
        whole = dataclasses.replace(sheet, rows=sheet.read_whole(), width=None, read_columns=None)
        return _build_table(whole, header_index, layout, matched)
    for i in unnamed:
        if cells[i].nonblank.any():
            merged = any(r0 == header_index and c0 < i <= c1 for (r0, c0), (_, c1) in sheet.merged_ranges)
            note = " (the header cell is part of a merged cell)" if merged else ""
            problems.append(Problem("W204", row=header_row, column=column_letter(i),
                                    message=f"the column has values but no header{note}; not read", **where))

    required = layout_required_fields(layout)
    status = _row_status(n, [cells[i] for i in looked_at], [cells[columns[f]] for f in required])
    rows = np.arange(header_row + 1, header_row + 1 + n)
    keep = status == ""
    record_rows = rows[keep].tolist()
    excluded = dict(zip(rows[~keep].tolist(), status[~keep].tolist()))
    values = {f: cells[index].values[keep].tolist() for f, index in columns.items()}
    def cell(row_index: int, column: int):  # 0-based, as merged ranges give them
        position = row_index - header_index - 1
        if column in cells and 0 <= position < n:
            return cells[column].values[position]
        return sheet.rows[row_index][column] if row_index < len(sheet.rows) and column < len(sheet.rows[row_index]) \
            else ""

    merged_problems, merged_rows = _merged_data_cells(sheet, set(record_rows), columns, headers, cell)
    problems += merged_problems
    table = SheetTable(sheet.file, sheet.sheet, sheet.mtime, layout, header_row, columns, headers,
                       sheet.date1904, record_rows, values, excluded, sheet.formula_gaps, merged_rows)
    return table, problems


@dataclass
class _Cells:
    """One column of data rows: its values ("" for an empty cell) and what the row checks need of them."""

    values: np.ndarray  # of Python values, dtype object
    nonblank: np.ndarray  # bool
    text: np.ndarray  # bool: a non-blank text cell
    total: np.ndarray  # bool: text reading "Total", "Grand total", "Subtotal"
    arrow_type: str = ""


def _data_columns(sheet: RawSheet, header_index: int,
                  indexes: list[int]) -> tuple[int, dict[int, _Cells], RawSheet]:
    """The data rows below the header, column by column: from the sheet's rows, or read by column (and then
    the sheet with the merged ranges and formula cells that read found)."""
    if sheet.read_columns is None:
        data = sheet.rows[header_index + 1:]
        out = {}
        for i in indexes:
            values = np.empty(len(data), dtype=object)
            values[:] = [r[i] if i < len(r) else "" for r in data]
            nonblank = np.fromiter((not is_empty(v) for v in values), bool, len(values))
            text = np.fromiter((isinstance(v, str) for v in values), bool, len(values)) & nonblank
            total = np.fromiter((isinstance(v, str) and bool(TOTAL_ROW.match(v)) for v in values), bool, len(values))
            out[i] = _Cells(values, nonblank, text, total)
        return len(data), out, sheet
    # each block's cells are made on the thread that read it, while the next blocks are parsed
    blocks, merged, formula_gaps = sheet.read_columns(header_index, indexes, _arrow_cells)
    n = sum(len(part.values) for part in next(iter(blocks.values()))) if blocks else 0
    out = {}
    for i, parts in blocks.items():
        types = {part.arrow_type for part in parts if part.arrow_type != "null"}
        if not parts:
            parts = [_Cells(*(np.empty(0, dtype=t) for t in (object, bool, bool, bool)))]
        out[i] = _Cells(*(np.concatenate([getattr(part, name) for part in parts])
                          for name in ("values", "nonblank", "text", "total")),
                        arrow_type=types.pop() if len(types) == 1 else "mixed" if types else "null")
    return n, out, dataclasses.replace(sheet, merged_ranges=merged, formula_gaps=formula_gaps)


def _arrow_cells(array) -> _Cells:
    """One block of one column, as fastexcel gave it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    is_text = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    values = np.empty(n, dtype=object)
    if is_text:
        nonblank = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(array), ""), False).to_numpy(zero_copy_only=False)
        total = pc.fill_null(pc.match_substring_regex(array, TOTAL_ROW.pattern, ignore_case=True),
                             False).to_numpy(zero_copy_only=False)
        values[:] = pc.fill_null(array, "").to_numpy(zero_copy_only=False)
    else:
        nonblank = pc.is_valid(array).to_numpy(zero_copy_only=False)
        total = np.zeros(n, dtype=bool)
        values[:] = _python_values(array)
        values[~nonblank] = ""
    return _Cells(values, nonblank, nonblank & is_text, total & nonblank, str(array.type))


def _python_values(array) -> list | np.ndarray:
    """The cells as Python values (datetime, float, bool …; nulls are replaced by the caller). Date-times and
    numbers go through NumPy, ~20 times faster than ``to_pylist`` for a national export's date columns; a
    timestamp finer than microseconds or with a time zone would not come back as a datetime, so it does not."""
    import pyarrow as pa

    kind = array.type
    if (pa.types.is_timestamp(kind) and kind.tz is None and kind.unit in ("s", "ms", "us")) or \
            pa.types.is_floating(kind):
        return array.to_numpy(zero_copy_only=False).astype(object)
    return array.to_pylist()


def _dates_as_text(layout: Layout, columns: dict[str, int], cells: dict[int, _Cells]) -> bool:
    """A date column that fastexcel could only give as text, holding numbers: a mix of Excel date numbers and
    text that only a cell-by-cell read tells apart."""
    kind = KINDS[layout.kind]
    for field_name, index in columns.items():
        column = next((c for c in kind.columns if c.field == field_name), None)
        if column is not None and column.type in ("date", "partial_date") and cells[index].arrow_type in (
                "string", "large_string", "mixed") and any(xlsx.is_serial_number_text(v) for v in cells[index].values):
            return True
    return False


def _row_status(n: int, every: list[_Cells], required: list[_Cells]) -> np.ndarray:
    """Per data row: "" for a record, else why it is not one (blank row, total row, note below the data)."""
    status = np.full(n, "", dtype=object)
    if n == 0:
        return status
    nonblank = np.zeros(n, dtype=int)
    undecided = np.ones(n, dtype=bool)
    total = np.zeros(n, dtype=bool)
    for cells in every:  # in column order: a total row is one whose first non-blank cell reads "Total"
        total |= undecided & cells.total
        undecided &= ~cells.nonblank
        nonblank += cells.nonblank
    text_cells = sum((c.text.astype(int) for c in every), np.zeros(n, dtype=int))
    status[nonblank == 0] = "blank row"
    status[(status == "") & total] = "total row"
    # A row holding a single text cell (a source line, a footnote) is not a record, even when that cell sits
    # in a required column: after the last record it is a note below the data.
    has_required = np.zeros(n, dtype=bool)
    for cells in required:
        has_required |= cells.nonblank
    single_text = (nonblank == 1) & (text_cells == 1)
    candidates = np.flatnonzero((status == "") & has_required & ~single_text)
    last_data = candidates[-1] if len(candidates) else -1
    tail = np.arange(n) > last_data
    status[tail & (status == "")] = "note below the data"
    return status


def _merged_data_cells(sheet: RawSheet, record_rows: set[int], columns: dict[str, int], headers: dict[str, str],
                       cell):
    """A merged cell holds its value in its first cell only: the other rows it covers would read blank (an
    Outcome merged over four rows would be one outcome and three pending detainers). E203 names the range;
    the rows it covers are not counted."""
    problems, rows = [], set()
    by_index = {index: field_name for field_name, index in columns.items()}
    for (r0, c0), (r1, c1) in sheet.merged_ranges:
        covered = [(r + 1, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                   if (r, c) != (r0, c0) and r + 1 in record_rows and c in by_index]
        if not covered:
            continue
        span = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
        first_column = by_index[min(c for _, c in covered)]
        top_left = cell(r0, c0)
        affected = sorted({r for r in range(r0 + 1, r1 + 2) if r in record_rows})
        blank = sorted({r for r, _ in covered})
        rows.update(affected)
        problems.append(Problem("E203", sheet.file, sheet.sheet, r0 + 1,
                                f"{column_letter(columns[first_column])} ({headers[first_column]})",
                                "" if is_empty(top_left) else str(top_left).strip(), message=(
                                    f"cells {span} are merged: the value is in row {r0 + 1} only, so "
                                    f"{_row_list(blank, 'would read')} as blank; "
                                    f"{_row_list(affected, 'are', 'is')} not counted")))
    return problems, frozenset(rows)


def _row_list(rows: list[int], verb: str, singular_verb: str | None = None) -> str:
    if len(rows) == 1:
        return f"row {rows[0]} {singular_verb or verb}"
    return f"rows {', '.join(str(r) for r in rows)} {verb}"
