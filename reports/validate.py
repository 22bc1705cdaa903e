"""Stage 2: turn one recognised sheet's raw cells into a typed frame, with row-level problems.

Parsing works on the distinct values of a column (a national export has
~320,000 rows but only a few thousand distinct dates, states or facilities),
so the Python-level work grows with the number of distinct values, not rows.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections import Counter
import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pycountry

from .errors import DataNote, Problem
from .ingest import SheetTable
from .input_files import file_fingerprint
from .reference import Counties
from .schema import (
    CORRECTION_TYPE_VOCABULARY,
    COUNTY_CORRECTABLE_FIELDS,
    CRIMINALITY_VOCABULARY,
    KINDS,
    MISSING_TOKENS,
    OUTCOME_VOCABULARY,
    OUTCOMES,
    STATE_VOCABULARY,
    STATES,
    STATUS_VOCABULARY,
    correctable_field,
    normalise_value,
    outcome_texts,
    outcome_vocabulary,
)

PROVENANCE = ["source_file", "source_sheet", "source_row"]
EXCEL_1900_EPOCH = dt.date(1899, 12, 30)
EXCEL_1904_EPOCH = dt.date(1904, 1, 1)
EARLIEST_DATE = dt.date(1980, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


class Invalid(Exception):
    """A value that cannot be read; the message says why in plain English."""


class Unrecognised(Exception):
    """A value read but not in its vocabulary (a warning, counted as unknown)."""


@dataclass(frozen=True)
class ReadRules:
    """What the settings and the day of the run change about reading values."""

    outcomes: dict = field(default_factory=lambda: dict(OUTCOME_VOCABULARY))  # match key -> outcome
    outcome_names: dict = field(default_factory=outcome_texts)  # match key -> text staff know, for suggestions
    day_first: bool = False  # slash dates: 5/6/2017 is 5 June (else May 6, US order)
    today: dt.date | None = None  # a date after this is an error (E314); None: no check

    @classmethod
    def from_settings(cls, settings, today: dt.date | None) -> "ReadRules":
        extra = dict(settings.outcomes)
        return cls(outcome_vocabulary(extra), outcome_texts(extra), settings.day_first, today)


DEFAULT_RULES = ReadRules()


def is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_TOKENS


def display(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if not isinstance(value, (dt.date, dt.datetime)) else value.isoformat()


# --- one parser per column type: raw cell -> value, or raise ------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?$", re.IGNORECASE)
_TEXT_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y")


def parse_date(value, date1904: bool = False, day_first: bool = False) -> dt.date:
    """A day: an Excel date or date number, YYYY-MM-DD, M/D/YYYY (D/M/YYYY when day_first) or a month name."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise Invalid("a number that is not an Excel date")
        epoch = EXCEL_1904_EPOCH if date1904 else EXCEL_1900_EPOCH
        day = epoch + dt.timedelta(days=int(value))
        return _in_range(day)
    text = str(value).strip()
    m = _ISO.match(text)
    if m:
        return _in_range(_date(int(m[1]), int(m[2]), int(m[3])))
    m = _US.match(text)
    if m:  # US order, month/day/year, as US agency systems write it, unless the settings say day first
        first, second = int(m[1]), int(m[2])
        month, day = (second, first) if day_first else (first, second)
        return _in_range(_date(int(m[3]), month, day))
    for fmt in _TEXT_FORMATS:
        try:
            return _in_range(dt.datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    if _month_or_year(text):
        raise Invalid("only a month or a year; this date needs the day")
    raise Invalid("not a date; write it as YYYY-MM-DD")


# Descriptive dates (a policy's Date Enacted, As Of) may be a month or a year, as policy lists write them.
DAY, MONTH, YEAR = "day", "month", "year"
_MONTH_WORD = re.compile(r"^([A-Za-z]{3,9})\.?,?\s+(\d{4})$")  # February 2017, Feb. 2017, Sept. 2014
_MONTH_SLASH = re.compile(r"^(\d{1,2})[/.](\d{4})$")  # 2/2017
_MONTH_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})$")  # 2017-02
_YEAR = re.compile(r"^(\d{4})$")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")


def _month_or_year(text: str) -> tuple[dt.date, str] | None:
    """(first day, MONTH or YEAR) of a month or year written as text, or None."""
    m = _MONTH_WORD.match(text)
    if m:
        word = m[1].lower()
        month = next((i for i, name in enumerate(_MONTH_NAMES, start=1) if name.startswith(word)), None)
        return (_in_range(_date(int(m[2]), month, 1)), MONTH) if month else None
    m = _MONTH_SLASH.match(text) or _MONTH_ISO.match(text)
    if m:
        year, month = (int(m[2]), int(m[1])) if m.re is _MONTH_SLASH else (int(m[1]), int(m[2]))
        return _in_range(_date(year, month, 1)), MONTH
    m = _YEAR.match(text)
    if m:
        return _in_range(dt.date(int(m[1]), 1, 1)), YEAR
    return None


def parse_partial_date(value, date1904: bool = False, day_first: bool = False) -> tuple[dt.date, str]:
    """(first day, precision) of a day, a month or a year. A month is never given an invented day."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
            and EARLIEST_DATE.year <= value <= LATEST_DATE.year:
        return dt.date(int(value), 1, 1), YEAR  # a year typed into a number cell, not an Excel date number
    if isinstance(value, str):
        found = _month_or_year(value.strip())
        if found:
            return found
    try:
        return parse_date(value, date1904, day_first), DAY
    except Invalid as exc:
        raise Invalid(f"{exc}, or a month such as February 2017 or 2017-02") from None


def format_partial_date(day: dt.date, precision: str) -> str:
    """ISO at the precision written: 2017-02-01, 2017-02 or 2017."""
    return {DAY: day.isoformat(), MONTH: f"{day:%Y-%m}", YEAR: f"{day:%Y}"}[precision]


def slash_date_order(values, day_first: bool) -> tuple[list, list]:
    """Slash dates (D/D/YYYY) of one column that can only be read in the other order than the settings say,
    and those read in the settings' order. A column with both would be a silent mix of two orders."""
    other, own = [], []
    for value in values:
        m = _US.match(value.strip()) if isinstance(value, str) else None
        if not m:
            continue
        first, second = int(m[1]), int(m[2])
        month_first, day_first_reading = first <= 12 and second <= 31, second <= 12 and first <= 31
        own_reading, other_reading = (day_first_reading, month_first) if day_first else (month_first,
                                                                                         day_first_reading)
        if own_reading:
            own.append(value)
        elif other_reading:
            other.append(value)
    return other, own


def _date(year, month, day) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise Invalid(f"not a real date ({exc})") from exc


def _in_range(day: dt.date) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise Invalid(f"{day.isoformat()} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}")
    return day


def parse_state(value) -> str:
    code = STATE_VOCABULARY.get(normalise_value(value))
    if code is None:
        raise Invalid("not a US state, territory or DC")
    return code


def parse_fips(value) -> str:
    """Keeps leading zeros whether typed as text, stored as a number or formatted ('06037', 6037, 6037.0)."""
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid("not a whole number")
        value = int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if not re.fullmatch(r"\d{4,5}", text):
        raise Invalid("not a 5-digit county FIPS code")
    return text.zfill(5)


def parse_outcome(value, rules: ReadRules = DEFAULT_RULES) -> str:
    """The outcome an Outcome text means. The vocabulary is closed: an unknown text is an error naming the
    nearest known values, never "other" by default."""
    key = normalise_value(value)
    if key in rules.outcomes:
        return rules.outcomes[key]
    nearest = difflib.get_close_matches(key, list(rules.outcome_names), n=3, cutoff=0.6)
    hint = ("; nearest known: " + ", ".join(repr(rules.outcome_names[k]) for k in nearest)) if nearest else ""
    raise Invalid(f"not a known outcome{hint}. Known: {', '.join(OUTCOMES)} or an ICE lift reason; a new lift "
                  "reason can be mapped in settings.toml under [outcomes]")


def parse_criminality(value) -> str:
    try:
        return CRIMINALITY_VOCABULARY[normalise_value(value)]
    except KeyError:
        raise Unrecognised("not one of convicted, pending charges, none") from None


def parse_status(value) -> str:
    try:
        return STATUS_VOCABULARY[normalise_value(value)]
    except KeyError:
        raise Invalid("not one of pending, convicted, dismissed, acquitted") from None


# ICE spellings that ISO names do not cover.
CITIZENSHIP_ALIASES = {
    "chinapeoplesrepublicof": "China", "china": "China", "koreasouth": "Korea, Republic of",
    "southkorea": "Korea, Republic of", "koreanorth": "Korea, Democratic People's Republic of",
    "burma": "Myanmar", "ivorycoast": "Côte d'Ivoire", "capeverde": "Cabo Verde",
    "russia": "Russian Federation", "vietnam": "Viet Nam", "laos": "Lao People's Democratic Republic",
    "iran": "Iran, Islamic Republic of", "syria": "Syrian Arab Republic", "bolivia": "Bolivia, Plurinational State of",
    "venezuela": "Venezuela, Bolivarian Republic of", "tanzania": "Tanzania, United Republic of",
    "moldova": "Moldova, Republic of", "macedonia": "North Macedonia", "czechrepublic": "Czechia",
    "congodemocraticrepublic": "Congo, The Democratic Republic of the", "bahamas": "Bahamas",
    "bahamasthe": "Bahamas", "gambia": "Gambia", "gambiathe": "Gambia",
    "unitedkingdom": "United Kingdom", "greatbritain": "United Kingdom", "britishvirginislands": "Virgin Islands, British",
    "soviet union": "Soviet Union (former)", "sovietunion": "Soviet Union (former)",
    "yugoslavia": "Yugoslavia (former)", "serbiaandmontenegro": "Serbia and Montenegro (former)",
    "czechoslovakia": "Czechoslovakia (former)", "kosovo": "Kosovo", "stateless": "Stateless",
}
_COUNTRY_NAMES: dict[str, str] = {}


def _country_names() -> dict[str, str]:
    if not _COUNTRY_NAMES:
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name", "alpha_2", "alpha_3"):
                text = getattr(country, attr, None)
                if text:
                    _COUNTRY_NAMES.setdefault(normalise_value(text), getattr(country, "common_name", None) or country.name)
        # An alias of an ISO country gets that country's label, so "KOREA, SOUTH" and "KOR" count together.
        _COUNTRY_NAMES.update({key: _COUNTRY_NAMES.get(normalise_value(name), name)
                               for key, name in CITIZENSHIP_ALIASES.items()})
    return _COUNTRY_NAMES


def parse_citizenship(value) -> str:
    key = normalise_value(value)
    if key == "unknown":
        return "unknown"
    try:
        return _country_names()[key]
    except KeyError:
        raise Unrecognised("not a country name") from None


def parse_correction_type(value) -> str:
    try:
        return CORRECTION_TYPE_VOCABULARY[normalise_value(value)]
    except KeyError:
        raise Invalid("not one of correction, response") from None


def parse_text(value) -> str:
    return display(value)


PARSERS = {
    "text": parse_text, "date": parse_date, "partial_date": parse_partial_date, "fips": parse_fips,
    "state": parse_state, "outcome": parse_outcome, "criminality": parse_criminality, "status": parse_status,
    "citizenship": parse_citizenship, "correction_type": parse_correction_type,
}
DATE_TYPES = ("date", "partial_date")
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


def _parse_distinct(column, raw: list, table: SheetTable, rules: ReadRules) -> dict:
    """Distinct raw value -> (state, result, code): state is ok | missing | error | warning | column-error;
    result the parsed value (ok, missing) or the message (error, warning)."""
    parsed: dict = {}
    for value in set(raw):
        if is_missing(value):
            parsed[value] = ("missing", MISSING_DEFAULT.get(column.type), None)
            continue
        try:
            parsed[value] = ("ok", _parse(column.type, value, table, rules), None)
        except Invalid as exc:
            parsed[value] = ("error", str(exc), ERROR_CODE[column.type])
        except Unrecognised as exc:
            parsed[value] = ("warning", str(exc), WARNING_CODE[column.type])
    if column.type in DATE_TYPES and rules.today is not None:
        for value, (state, result, _) in parsed.items():
            day = result[0] if column.type == "partial_date" and state == "ok" else result
            if state == "ok" and day > rules.today:
                parsed[value] = ("error", f"the run's date is {rules.today.isoformat()}", "E314")
    return parsed


def _date_order_problem(column, raw: list, parsed: dict, table: SheetTable, rules: ReadRules) -> Problem | None:
    """One error for a column whose slash dates can only be read in the other day/month order in some rows:
    every slash date of the column is then uncertain, and none is counted (state column-error)."""
    if column.type not in DATE_TYPES:
        return None
    other, own = slash_date_order(dict.fromkeys(raw), rules.day_first)  # in the order of the rows
    if not other:
        return None
    for value in (*other, *own):
        parsed[value] = ("column-error", None, None)
    rows_other = [table.record_rows[i] for i, v in enumerate(raw) if v in set(other)]
    rows_own = [table.record_rows[i] for i, v in enumerate(raw) if v in set(own)]
    order, other_order = ("day/month", "month/day") if rules.day_first else ("month/day", "day/month")
    message = (f"{_rows_text(rows_other)} can only be {other_order} (e.g. {display(other[0])})")
    if rows_own:
        message += (f", while {_rows_text(rows_own)} would be read {order} (e.g. {display(own[0])}); "
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


def _rows_text(rows: list[int], shown: int = 5) -> str:
    listed = ", ".join(str(r) for r in rows[:shown]) + (" …" if len(rows) > shown else "")
    return f"row {listed}" if len(rows) == 1 else f"{len(rows):,} rows ({listed})"


def _mapping_rows(kind: str, column, uniques: list, rows: np.ndarray, parsed: dict) -> list[dict]:
    """Each distinct text of a vocabulary column, its number of rows and what it was counted as."""
    counts: Counter = Counter()
    for value, n in zip(uniques, rows.tolist()):
        state, result, code = parsed[value]
        text = "(blank)" if is_missing(value) else display(value)
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
        parsed_by_value = _parse_distinct(column, uniques, table, rules)
        order_problem = _date_order_problem(column, raw, parsed_by_value, table, rules)
        if order_problem:
            problems.append(order_problem)
        if column.type in MAPPED_TYPES:
            value_mapping += _mapping_rows(table.kind, column, uniques, np.bincount(codes, minlength=len(uniques)),
                                           parsed_by_value)
        by_code = [parsed_by_value[u] for u in uniques]
        results = np.empty(len(uniques), dtype=object)
        results[:] = [result if state in ("ok", "missing") else None for state, result, _ in by_code]
        values = results[codes]
        label = table.column_label(column.field)
        flagged_codes = [k for k, (state, _, _) in enumerate(by_code)
                         if state in ("error", "warning", "column-error") or (state == "missing" and column.required)]
        unsaved = _unsaved_formula_rows(table, column.field)
        for i in sorted(unsaved):  # the cell looks empty only because its formula was never calculated
            row_errors[i] = True
            problems.append(Problem("E104", row=table.record_rows[i], column=label, message=(
                "the cell holds a formula whose result was never saved; open the file in Excel and save it"),
                **where))
        flagged_rows = np.flatnonzero(np.isin(codes, flagged_codes)) if flagged_codes else ()
        for i in (i for i in flagged_rows if i not in unsaved):
            state, result, code = by_code[codes[i]]
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
            shown[:] = [None if is_missing(u) else display(u) for u in uniques]
            frame["outcome_detail"] = pd.Series(shown[codes], dtype=object)
        if column.type in DATE_TYPES:
            frame[column.field] = pd.to_datetime(frame[column.field]).astype("datetime64[s]")

    notes: list[DataNote] = []
    _check_fips(table, frame, counties, problems, row_errors)
    if table.kind == "detainers":
        _check_detainer_dates(table, frame, problems, row_errors, notes)
        _assign_ids(table, frame, problems, notes)
    if table.kind == "corrections":
        _check_corrections(table, frame, counties, problems, row_errors, rules)
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


def _assign_ids(table: SheetTable, frame: pd.DataFrame, problems: list[Problem], notes: list[str]) -> None:
    """Give every detainer of a layout without an ID column an ID, stable across runs and exports."""
    identity = table.layout.identity
    if identity == "column":
        return
    if identity == "row-content":
        _assign_content_ids(table, frame, problems)
        return
    n = len(frame)
    parts = []
    for f in identity:
        if KINDS["detainers"].column(f).type == "date" and f in table.values:
            parts.append(_keyed(table.values[f], lambda u: _datetime_keys(u, table.date1904), vectorised=True))
        else:
            parts.append(_keyed(frame[f].tolist(), _text_key) if f in frame.columns else np.full(n, "", dtype=object))
    joined = parts[0].astype(str) if parts else np.full(n, "", dtype=object)
    for part in parts[1:]:
        joined = np.char.add(np.char.add(joined, "|"), part.astype(str))
    incomplete_mask = np.zeros(n, dtype=bool)
    for part in parts:
        incomplete_mask |= part == ""
    keys = [None if bad else key for key, bad in zip(joined.tolist(), incomplete_mask.tolist())]
    # rows sharing the identity fields in one file are one detainer, unless a tie-break field differs
    groups: dict = {}
    for i, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(i)
    tiebreak_fields = [f for f in table.layout.identity_tiebreak if f in frame.columns]
    for key, members in groups.items():
        if len(members) < 2:
            continue
        tiebreak = [tuple(_text_key(frame.at[i, f]) for f in tiebreak_fields) for i in members]
        if len(set(tiebreak)) > 1:
            for i, extra in zip(members, tiebreak):
                keys[i] = "|".join((key, *extra))
    ids = ["ice-" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] if k is not None else None for k in keys]
    incomplete = [i for i, k in enumerate(keys) if k is None]
    if incomplete:  # no subject identifier: nothing stable to match across files, so the row stands alone
        content = _content_ids(table, frame.loc[incomplete])
        for i, derived in zip(incomplete, content):
            ids[i] = derived
        names = " and ".join(KINDS["detainers"].column(f).name for f in identity)
        notes.append(_note(table, f"holds {len(incomplete):,} {'row' if len(incomplete) == 1 else 'rows'} without "
                                  f"a {names}: each is counted as a separate detainer and cannot be matched with "
                                  "the same detainer in another file."))
    frame["detainer_id"] = pd.Series(ids, index=frame.index, dtype=object)


def _keyed(values, key, vectorised: bool = False) -> np.ndarray:
    """``key`` of every value, computed once per distinct value (``vectorised``: key takes them all at once)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    keyed = np.empty(len(uniques), dtype=object)
    keyed[:] = key(list(uniques)) if vectorised else [key(u) for u in uniques]
    return keyed[codes]


def _datetime_keys(values: list, date1904: bool) -> list[str]:
    """``_datetime_key`` of many values; date-times (most of a national export) are formatted by pandas."""
    stamps = [i for i, v in enumerate(values) if isinstance(v, dt.datetime)]
    keys = [None if isinstance(v, dt.datetime) else _datetime_key(v, date1904) for v in values]
    if stamps:
        formatted = (pd.to_datetime(pd.Series([values[i] for i in stamps], dtype=object))
                     .add(pd.Timedelta(milliseconds=500)).dt.floor("s").dt.strftime("%Y-%m-%dT%H:%M:%S").tolist())
        for i, text in zip(stamps, formatted):
            keys[i] = text
    return keys


def _text_key(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value).strip()


def _datetime_key(value, date1904: bool) -> str:
    """A date cell with its time of day, the same whether the export came as a workbook or as text."""
    if is_missing(value):
        return ""
    if isinstance(value, dt.datetime):  # to the second, whichever reader rounded the cell's fraction of a day
        return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):  # a date-only cell is midnight, as the same cell read as a date-time
        return dt.datetime.combine(value, dt.time()).isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        epoch = dt.datetime.combine(EXCEL_1904_EPOCH if date1904 else EXCEL_1900_EPOCH, dt.time())
        return (epoch + dt.timedelta(seconds=round(float(value) * 86400))).isoformat()
    text = str(value).strip()
    for parse in (dt.datetime.fromisoformat, *(lambda t, f=f: dt.datetime.strptime(t, f) for f in _US_TIMES)):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    return text


_US_TIMES = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")


def _content_ids(table: SheetTable, frame: pd.DataFrame) -> list[str]:
    """IDs from the file and the row's content, with an occurrence number: identical rows stay separate."""
    columns = [frame[f].tolist() for f in table.values]
    keys = ["|".join(_text_key(v) for v in values) for values in zip(*columns)]
    digests = pd.Series([hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] for k in keys], dtype=object)
    occurrence = digests.groupby(digests).cumcount() + 1
    return list(f"{file_fingerprint(table.file)}-" + digests + "-" + occurrence.astype(str))


def _assign_content_ids(table: SheetTable, frame: pd.DataFrame, problems: list[Problem]) -> None:
    """A layout with no IDs at all. Identical rows may be two people on the same day at the same jail, so
    they stay separate detainers; they are reported (W411), by content, so staff can check."""
    ids = _content_ids(table, frame)
    frame["detainer_id"] = pd.Series(ids, index=frame.index, dtype=object)
    first_row: dict = {}
    repeats = []
    for row_number, detainer_id in zip(table.record_rows, ids):
        digest, occurrence = detainer_id.rsplit("-", 1)
        if occurrence == "1":
            first_row[digest] = row_number
        else:
            repeats.append((row_number, first_row[digest]))
    if repeats:
        examples = ", ".join(f"row {r} repeats row {f}" for r, f in repeats[:5]) + (" …" if len(repeats) > 5 else "")
        problems.append(Problem("W411", table.file, table.sheet, message=(
            f"{len(repeats):,} {'row repeats' if len(repeats) == 1 else 'rows repeat'} an earlier row exactly "
            f"({examples}); the {table.layout.name} has no IDs, so each is counted as a separate detainer")))


# --- corrections: what each row needs depends on its Type and on which detainer field it corrects --------

CORRECTION_COLUMNS = ["level", "target_field", "correct_parsed", "correct_display"]


def correction_value(field_name: str, value, counties: Counties, date1904: bool = False,
                     rules: ReadRules = DEFAULT_RULES):
    """(parsed value, display text) of a correction's Correct Value for the detainer field it corrects.

    Raises Invalid. Stricter than the detainers sheet: a correction is a deliberate statement, so an
    unrecognised outcome, criminality or country is an error here, not "other" or "unknown".
    """
    if is_missing(value):
        if field_name == "county_fips":
            return None, "jurisdiction not determined"
        raise Invalid("blank; only a County FIPS correction may be blank (jurisdiction not determined)")
    if field_name == "outcome":
        key = normalise_value(value)
        if key == "" or key not in rules.outcomes:
            raise Invalid("not one of declined, honored, pending, other, or an ICE lift reason")
        outcome = rules.outcomes[key]
        return outcome, outcome
    if field_name in ("outcome_date", "date_issued"):
        day = parse_date(value, date1904, rules.day_first)
        if rules.today is not None and day > rules.today:
            raise Invalid(f"{day.isoformat()} is after the run's date, {rules.today.isoformat()}")
        return pd.Timestamp(day).as_unit("s"), day.isoformat()
    if field_name == "county_fips":
        fips = parse_fips(value)
        if fips not in counties.by_fips:
            raise Invalid("no such county in the Census county list")
        return fips, f"{counties.by_fips[fips].label} ({fips})"
    if field_name == "state":
        state = parse_state(value)
        return state, state
    try:
        if field_name == "criminality":
            result = "unknown" if normalise_value(value) == "unknown" else parse_criminality(value)
            return result, result
        if field_name == "citizenship":
            result = parse_citizenship(value)
            return result, result
    except Unrecognised as exc:
        raise Invalid(str(exc)) from None
    text = display(value)  # facility: free text
    return text, text


def _check_corrections(table, frame, counties: Counties, problems, row_errors, rules: ReadRules = DEFAULT_RULES):
    """Row-level rules of the corrections sheet (E309-E312); adds level, target field and parsed value."""
    n = len(frame)
    raw = {f: table.values.get(f, [None] * n) for f in ("detainer_id", "county_fips", "field", "correct_value", "note")}
    columns = {c: [None] * n for c in CORRECTION_COLUMNS}

    def label(field_name):
        return table.column_label(field_name) if field_name in table.columns else ""

    absent: dict = {}  # a column the sheet does not have: one problem for all the rows that need it

    def problem(code, i, field_name, message):
        row_errors[i] = True
        if field_name not in table.columns:
            absent.setdefault((code, message), []).append(table.record_rows[i])
            return
        value = raw[field_name][i] if field_name in raw else None
        problems.append(Problem(code, file=table.file, sheet=table.sheet, row=table.record_rows[i],
                                column=label(field_name), value="" if is_missing(value) else display(value),
                                message=message))

    for i, kind in enumerate(frame["type"]):
        if kind is None:  # blank (E301) or not recognised (E308): already reported
            continue
        has = {f: not is_missing(v[i]) for f, v in raw.items()}
        if kind == "response":
            if not has["county_fips"]:
                problem("E309", i, "county_fips", "a response needs the County FIPS of the jurisdiction responding")
            if not has["note"]:
                problem("E309", i, "note", "a response needs a Note: the jurisdiction's statement")
            continue
        # a correction
        level = "detainer" if has["detainer_id"] else "county" if has["county_fips"] else None
        if level is None:
            problem("E309", i, "detainer_id", "a correction needs a Detainer ID (one detainer) or a County FIPS "
                                              "(every detainer attributed to that county)")
        if not has["field"]:
            problem("E309", i, "field", "a correction needs the Field it corrects")
            continue
        target = correctable_field(raw["field"][i])
        if target is None:
            problem("E310", i, "field", "not a detainer field that can be corrected")
            continue
        if level == "county" and target not in COUNTY_CORRECTABLE_FIELDS:
            problem("E311", i, "field", "without a Detainer ID the correction applies to a whole county, "
                                        "and can only move its detainers to another County FIPS")
            continue
        try:
            parsed, shown = correction_value(target, raw["correct_value"][i], counties, table.date1904, rules)
        except Invalid as exc:
            problem("E312", i, "correct_value", f"{KINDS['detainers'].column(target).name}: {exc}")
            continue
        columns["level"][i], columns["target_field"][i] = level, target
        columns["correct_parsed"][i], columns["correct_display"][i] = parsed, shown
    for (code, message), rows in absent.items():
        where = "" if len(rows) == 1 else f"; {_rows_text(rows)} need it"
        problems.append(Problem(code, file=table.file, sheet=table.sheet, row=rows[0],
                                message=f"{message} (the sheet has no such column{where})"))
    for name, values in columns.items():
        frame[name] = pd.Series(values, dtype=object)


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
    return dataclasses.replace(sheet, frame=frame.assign(row_status=status)), problems
