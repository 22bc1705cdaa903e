"""Stage 2: turn one recognised sheet's raw cells into a typed frame, with row-level problems.

Parsing works on the distinct values of a column (a national export has
~320,000 rows but only a few thousand distinct dates, states or facilities),
so the Python-level work grows with the number of distinct values, not rows.

Here: the typed frame, row status and the sheet-level checks (FIPS against the county list, outcome
dates, dates after the run). Each cell is parsed by ``parsers``; detainer IDs of layouts without an ID
column come from ``detainer_ids``; the corrections sheet's own row rules are ``correction_rows``.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .blank import BLANK_TOKENS, is_blank
from .correction_rows import check_corrections
from .detainer_ids import assign_ids
from .errors import DataNote, Problem
from .ingest import SheetTable
from .reference import Counties
from .schema import KINDS
from .vocabulary import STATES
from .parsers import (DATE_TYPES, DAY, DEFAULT_RULES, MONTH, PARSERS, YEAR, Invalid, ReadRules, Unrecognised,
                     display, parse_outcome, slash_date_order)
from .wording import rows_text

PROVENANCE = ["source_file", "source_sheet", "source_row"]


ERROR_CODE = {"date": "E302", "partial_date": "E302", "fips": "E303", "state": "E305", "status": "E306",
              "outcome": "E313", "correction_type": "E308"}
WARNING_CODE = {"criminality": "W302", "citizenship": "W301"}
UNKNOWN_DEFAULT = {"criminality": "unknown", "citizenship": "unknown"}
MISSING_DEFAULT = {"outcome": "pending", "criminality": "unknown", "citizenship": "unknown"}
MAPPED_TYPES = ("outcome", "criminality", "citizenship")  # columns whose texts are listed with what they count as
VALUE_MAPPING_COLUMNS = ["kind", "column", "value", "counted_as", "rows"]


@dataclass
class ValidatedSheet:
    table: SheetTable
    frame: pd.DataFrame  # typed canonical columns + provenance + row_status
    problems: list[Problem]
    notes: list[DataNote]
    value_mapping: list[dict] = field(default_factory=list)  # VALUE_MAPPING_COLUMNS: each distinct text read


def _parse(column_type: str, value, table: SheetTable, rules: ReadRules):
    if column_type in DATE_TYPES:
        return PARSERS[column_type](value, table.date1904, rules.day_first)
    if column_type == "outcome":
        return parse_outcome(value, rules)
    return PARSERS[column_type](value)


@dataclass
class _Parsed:
    """What each distinct value of a column gave, in the order of the distinct values."""

    states: list[str]  # ok | missing | error | warning | column-error
    results: list  # the parsed value (ok, missing) or the message (error, warning)
    codes: list  # the problem's code (error, warning), else None

    def at(self, k: int) -> tuple:
        return self.states[k], self.results[k], self.codes[k]


COUNTED_STATES = frozenset({"ok", "missing"})
LONGEST_BLANK_TOKEN = max(len(token) for token in BLANK_TOKENS)


def _parse_distinct(column, uniques: list, table: SheetTable, rules: ReadRules) -> _Parsed:
    """Each distinct value parsed once. A column of date cells (a day, with no test of text or number) or of
    texts (stripped, or blank: an export's IDs and names) takes one comprehension, not a parse per value."""
    n = len(uniques)
    states, codes = ["ok"] * n, [None] * n
    if column.type == "text" and all(type(value) is str for value in uniques):
        results = [value.strip() for value in uniques]
        for k, text in enumerate(results):
            if len(text) <= LONGEST_BLANK_TOKEN and text.lower() in BLANK_TOKENS:
                states[k], results[k] = "missing", None
    else:
        results = [None] * n
        date_cells = column.type == "date"
        for k, value in enumerate(uniques):
            if date_cells and type(value) is dt.datetime:
                results[k] = value.date()
                continue
            if is_blank(value):
                states[k], results[k] = "missing", MISSING_DEFAULT.get(column.type)
                continue
            try:
                results[k] = _parse(column.type, value, table, rules)
            except Invalid as exc:
                states[k], results[k], codes[k] = "error", str(exc), ERROR_CODE[column.type]
            except Unrecognised as exc:
                states[k], results[k], codes[k] = "warning", str(exc), WARNING_CODE[column.type]
    if column.type in DATE_TYPES and rules.today is not None:
        for k, (state, result) in enumerate(zip(states, results)):
            day = result[0] if column.type == "partial_date" and state == "ok" else result
            if state == "ok" and day > rules.today:
                states[k], results[k], codes[k] = "error", f"the run's date is {rules.today.isoformat()}", "E314"
    return _Parsed(states, results, codes)


def _date_order_problem(column, raw: list, uniques: list, parsed: _Parsed, table: SheetTable,
                        rules: ReadRules) -> Problem | None:
    """One error for a column whose slash dates can only be read in the other day/month order in some rows:
    every slash date of the column is then uncertain, and none is counted (state column-error)."""
    if column.type not in DATE_TYPES:
        return None
    texts = [value for value in uniques if type(value) is str]  # (date cells are not slash dates)
    other, own = slash_date_order(texts, rules.day_first)  # the distinct values come in the order of the rows
    if not other:
        return None
    uncertain = {*other, *own}
    for k, value in enumerate(uniques):
        if value in uncertain:
            parsed.states[k], parsed.results[k], parsed.codes[k] = "column-error", None, None
    other_values, own_values = set(other), set(own)
    rows_other = [table.record_rows[i] for i, v in enumerate(raw) if v in other_values]
    rows_own = [table.record_rows[i] for i, v in enumerate(raw) if v in own_values]
    order, other_order = ("day/month", "month/day") if rules.day_first else ("month/day", "day/month")
    message = (f"{rows_text(rows_other)} can only be {other_order} (e.g. {display(other[0])})")
    if rows_own:
        message += (f", while {rows_text(rows_own)} would be read {order} (e.g. {display(own[0])}); "
                    "the column mixes two orders")
    else:
        message += f", and slash dates are read {order} (setting date_order)"
    message += f"; none of these {len(rows_other) + len(rows_own):,} rows is counted"
    return Problem("E315", table.file, table.sheet, None, table.column_label(column.field), display(other[0]),
                   message)


def _cell_precisions(table: SheetTable, field_name: str, raw: list, values: list) -> list:
    """A real date in a cell formatted without its day (Feb-17) was typed as a month: keep it a month."""
    if not table.cell_precisions:
        return values
    out = list(values)
    for i, row_number in enumerate(table.record_rows):
        precision = table.cell_precisions.get((row_number, field_name))
        if precision and out[i] and isinstance(raw[i], (dt.date, dt.datetime)):
            first = out[i][0].replace(day=1) if precision == MONTH else out[i][0].replace(month=1, day=1)
            out[i] = (first, precision)
    return out


def _mapping_rows(kind: str, column, uniques: list, rows: np.ndarray, parsed: _Parsed) -> list[dict]:
    """Each distinct text of a vocabulary column, its number of rows and what it was counted as."""
    counts: Counter = Counter()
    for k, (value, n) in enumerate(zip(uniques, rows.tolist())):
        state, result, code = parsed.at(k)
        text = "(blank)" if is_blank(value) else display(value)
        if state in ("ok", "missing"):
            counted_as = result
        elif state == "warning":
            counted_as = f"{UNKNOWN_DEFAULT[column.type]} ({code}: not recognised)"
        else:
            counted_as = f"not counted ({code}: not recognised)"
        counts[(text, counted_as)] += n
    return [{"kind": kind, "column": column.name, "value": text, "counted_as": counted_as, "rows": n}
            for (text, counted_as), n in counts.items()]


def validate_sheet(table: SheetTable, counties: Counties, rules: ReadRules = DEFAULT_RULES) -> ValidatedSheet:
    kind = KINDS[table.kind]
    n = len(table.record_rows)
    problems: list[Problem] = []
    row_errors = [False] * n
    for i, row_number in enumerate(table.record_rows):  # rows under merged data cells (reported by ingest)
        if row_number in table.error_rows:
            row_errors[i] = True
    frame = pd.DataFrame({
        "source_file": pd.Series([table.file] * n, dtype=object),
        "source_sheet": pd.Series([table.sheet] * n, dtype=object),
        "source_row": pd.Series(table.record_rows, dtype="int64"),
        "source_layout": pd.Series([table.layout.name] * n, dtype=object),
    })
    where = dict(file=table.file, sheet=table.sheet)
    value_mapping: list[dict] = []

    for column in kind.columns:
        if column.field not in table.values:
            default = MISSING_DEFAULT.get(column.type)
            frame[column.field] = pd.Series([default] * n, dtype=object)
            if column.type == "partial_date":
                frame[f"{column.field}_precision"] = pd.Series([None] * n, dtype=object)
            continue
        raw = table.values[column.field]
        # each distinct value is parsed once; rows take their value's result through its code
        codes, uniques = pd.factorize(np.asarray(raw, dtype=object), use_na_sentinel=False)
        uniques = list(uniques)
        parsed = _parse_distinct(column, uniques, table, rules)
        order_problem = _date_order_problem(column, raw, uniques, parsed, table, rules)
        if order_problem:
            problems.append(order_problem)
        if column.type in MAPPED_TYPES:
            value_mapping += _mapping_rows(table.kind, column, uniques, np.bincount(codes, minlength=len(uniques)),
                                           parsed)
        counted = [state in COUNTED_STATES for state in parsed.states]
        results = np.empty(len(uniques), dtype=object)
        results[:] = parsed.results if all(counted) else [
            result if ok else None for ok, result in zip(counted, parsed.results)]
        values = results[codes]
        label = table.column_label(column.field)
        flagged_codes = [k for k, (ok, state) in enumerate(zip(counted, parsed.states))
                         if not ok or (state == "missing" and column.required)]
        unsaved = _unsaved_formula_rows(table, column.field)
        for i in sorted(unsaved):  # the cell looks empty only because its formula was never calculated
            row_errors[i] = True
            problems.append(Problem("E104", row=table.record_rows[i], column=label, message=(
                "the cell holds a formula whose result was never saved; open the file in Excel and save it"),
                **where))
        flagged_rows = np.flatnonzero(np.isin(codes, flagged_codes)) if flagged_codes else ()
        for i in (i for i in flagged_rows if i not in unsaved):
            state, result, code = parsed.at(codes[i])
            if state == "missing":
                if column.required and column.type != "outcome":
                    row_errors[i] = True
                    problems.append(Problem("E301", row=table.record_rows[i], column=label,
                                            value=display(raw[i]), **where))
            elif state == "column-error":  # one problem for the column, above
                row_errors[i] = True
            elif state == "error":
                row_errors[i] = True
                problems.append(Problem(code, row=table.record_rows[i], column=label,
                                        value=display(raw[i]), message=result, **where))
            else:
                values[i] = UNKNOWN_DEFAULT[column.type]
                problems.append(Problem(code, row=table.record_rows[i], column=label,
                                        value=display(raw[i]), message=result, **where))
        values = values.tolist()
        if column.type == "partial_date":
            values = _cell_precisions(table, column.field, raw, values)
            frame[f"{column.field}_precision"] = pd.Series([v[1] if v else None for v in values], dtype=object)
            values = [v[0] if v else None for v in values]
        frame[column.field] = pd.Series(values, dtype=object)
        if column.type == "outcome":
            shown = np.empty(len(uniques), dtype=object)
            shown[:] = [None if is_blank(u) else display(u) for u in uniques]
            frame["outcome_detail"] = pd.Series(shown[codes], dtype=object)
        if column.type in DATE_TYPES:
            frame[column.field] = pd.to_datetime(frame[column.field]).astype("datetime64[s]")

    notes: list[DataNote] = []
    _check_fips(table, frame, counties, problems, row_errors)
    if table.kind == "detainers":
        _check_detainer_dates(table, frame, problems, row_errors, notes)
        notes += [_note(table, text) for text in assign_ids(table, frame, problems)]
    if table.kind == "corrections":
        check_corrections(table, frame, counties, problems, row_errors, rules)
    frame["row_status"] = ["error" if e else "used" for e in row_errors]
    for note in table.layout.notes:
        notes.append(_note(table, f"{note}."))
    return ValidatedSheet(table, frame, problems, notes, value_mapping)


def _note(table: SheetTable, text: str) -> DataNote:
    return DataNote(table.file, table.sheet, table.layout.name, table.kind, text)


def _unsaved_formula_rows(table: SheetTable, field_name: str) -> set[int]:
    """Record indexes whose cell in this column is a formula with no saved value."""
    if not table.formula_gaps:
        return set()
    column = table.columns[field_name]
    rows = {row - 1 for row, col in ((r + 1, c) for r, c in table.formula_gaps) if col == column}
    return {i for i, row_number in enumerate(table.record_rows) if row_number - 1 in rows}


def _check_fips(table, frame, counties: Counties, problems, row_errors):
    if "county_fips" not in table.values:
        return
    label = table.column_label("county_fips")
    unknown = []  # well-formed codes of no county: not a value, like a code that cannot be read
    states = frame["state"] if "state" in frame.columns else [None] * len(frame)  # corrections have no State
    for i, (fips, state) in enumerate(zip(frame["county_fips"], states)):
        if fips is None:
            continue
        where = dict(file=table.file, sheet=table.sheet, row=table.record_rows[i], column=label, value=fips)
        if fips not in counties.by_fips:
            row_errors[i] = True
            unknown.append(i)
            problems.append(Problem("E303", message="no such county in the Census county list", **where))
        elif state is not None and STATES[state][0] != fips[:2]:
            row_errors[i] = True
            problems.append(Problem("E304", message=(
                f"{fips} is {counties.by_fips[fips].name}, {counties.by_fips[fips].state}, "
                f"but the row's State is {state}"), **where))
    if unknown:
        frame.loc[unknown, "county_fips"] = None


def _check_detainer_dates(table, frame, problems, row_errors, notes):
    has_outcome_date = "outcome_date" in table.values
    frame["outcome_date_source"] = "record" if has_outcome_date else "issue date (no outcome date in layout)"
    if not has_outcome_date:
        notes.append(_note(table, "has no outcome dates: its declines are attributed to the date the detainer "
                                  "was issued."))
        frame["outcome_date"] = frame["date_issued"].where(frame["outcome"] != "pending")
        return
    label = table.column_label("outcome_date")
    issued, decided = frame["date_issued"], frame["outcome_date"]
    backwards = (decided < issued).fillna(False)
    for i in backwards[backwards].index:
        row_errors[i] = True
        problems.append(Problem("E307", file=table.file, sheet=table.sheet, row=table.record_rows[i], column=label,
                                value=decided[i].date().isoformat(),
                                message=f"issued {issued[i].date().isoformat()}"))
    counted = ~pd.Series(row_errors, index=frame.index)  # a row with an error is reported already
    undated = (frame["outcome"] == "declined") & decided.isna() & issued.notna() & counted
    for i in undated[undated].index:
        problems.append(Problem("W303", file=table.file, sheet=table.sheet, row=table.record_rows[i], column=label))
    if undated.any():
        count = int(undated.sum())
        notes.append(_note(table, f"holds {count:,} declined {'detainer' if count == 1 else 'detainers'} without "
                                  f"an outcome date: {'it is' if count == 1 else 'they are'} attributed to the "
                                  "date issued."))
    frame.loc[undated, "outcome_date_source"] = "issue date (outcome date blank)"
    frame.loc[undated, "outcome_date"] = issued[undated]


def future_date_problems(sheet: ValidatedSheet, today: dt.date) -> tuple[ValidatedSheet, list[Problem]]:
    """Dates after the day of the run (E314; E312 for a correction's value), checked after reading so that a
    file's checked result can be cached whatever the day: a new sheet whose offending rows are errors."""
    table, frame = sheet.table, sheet.frame
    limit = pd.Timestamp(today)
    errors = pd.Series(False, index=frame.index)
    problems = []
    used = frame["row_status"] == "used"
    for column in KINDS[table.kind].columns:
        if column.type not in DATE_TYPES or column.field not in table.columns:
            continue
        late = used & (frame[column.field] > limit).fillna(False)
        for index in late[late].index:
            day = frame.at[index, column.field].date()
            precision = frame.at[index, f"{column.field}_precision"] if column.type == "partial_date" else DAY
            shown = {DAY: day.isoformat(), MONTH: f"{day:%B %Y}", YEAR: f"{day:%Y}"}.get(precision, day.isoformat())
            problems.append(Problem("E314", table.file, table.sheet, int(frame.at[index, "source_row"]),
                                    table.column_label(column.field), shown,
                                    f"the run's date is {today.isoformat()}"))
        errors |= late
    if table.kind == "corrections" and "correct_parsed" in frame.columns:
        dated = used & frame["target_field"].isin(["outcome_date", "date_issued"])
        for index in dated[dated].index:
            day = frame.at[index, "correct_parsed"]
            if day is not None and day == day and day > limit:
                field = KINDS["detainers"].column(frame.at[index, "target_field"]).name
                label = table.column_label("correct_value") if "correct_value" in table.columns else ""
                problems.append(Problem("E312", table.file, table.sheet, int(frame.at[index, "source_row"]), label,
                                        day.date().isoformat(), f"{field}: {day.date().isoformat()} is after the "
                                        f"run's date, {today.isoformat()}"))
                errors[index] = True
    if not errors.any():
        return sheet, []
    status = frame["row_status"].where(~errors, "error")
    return ValidatedSheet(table, frame.assign(row_status=status), sheet.problems, sheet.notes,
                          sheet.value_mapping), problems
