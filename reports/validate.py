"""Stage 2: turn one recognised sheet's raw cells into a typed frame, with row-level problems.

Parsing works on the distinct values of a column (a national export has
~320,000 rows but only a few thousand distinct dates, states or facilities),
so the Python-level work grows with the number of distinct values, not rows.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import pandas as pd
import pycountry

from .errors import Problem
from .ingest import SheetTable, file_fingerprint
from .reference import Counties
from .schema import (
    CORRECTION_TYPE_VOCABULARY,
    COUNTY_CORRECTABLE_FIELDS,
    CRIMINALITY_VOCABULARY,
    KINDS,
    MISSING_TOKENS,
    OUTCOME_VOCABULARY,
    STATE_VOCABULARY,
    STATES,
    STATUS_VOCABULARY,
    correctable_field,
    normalise_value,
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


def parse_date(value, date1904: bool = False) -> dt.date:
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
    if m:  # US order, month/day/year, as US agency systems write it
        return _in_range(_date(int(m[3]), int(m[1]), int(m[2])))
    for fmt in _TEXT_FORMATS:
        try:
            return _in_range(dt.datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    raise Invalid("not a date; write it as YYYY-MM-DD")


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


def parse_outcome(value) -> str:
    return OUTCOME_VOCABULARY.get(normalise_value(value), "other")


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
    "text": parse_text, "date": parse_date, "fips": parse_fips, "state": parse_state,
    "outcome": parse_outcome, "criminality": parse_criminality, "status": parse_status,
    "citizenship": parse_citizenship, "correction_type": parse_correction_type,
}
ERROR_CODE = {"date": "E302", "fips": "E303", "state": "E305", "status": "E306", "correction_type": "E308"}
WARNING_CODE = {"criminality": "W302", "citizenship": "W301"}
UNKNOWN_DEFAULT = {"criminality": "unknown", "citizenship": "unknown"}
MISSING_DEFAULT = {"outcome": "pending", "criminality": "unknown", "citizenship": "unknown"}


@dataclass
class ValidatedSheet:
    table: SheetTable
    frame: pd.DataFrame  # typed canonical columns + provenance + row_status
    problems: list[Problem]
    notes: list[str]


def validate_sheet(table: SheetTable, counties: Counties) -> ValidatedSheet:
    kind = KINDS[table.kind]
    n = len(table.record_rows)
    problems: list[Problem] = []
    row_errors = [False] * n
    frame = pd.DataFrame({
        "source_file": pd.Series([table.file] * n, dtype=object),
        "source_sheet": pd.Series([table.sheet] * n, dtype=object),
        "source_row": pd.Series(table.record_rows, dtype="int64"),
        "source_layout": pd.Series([table.layout.name] * n, dtype=object),
    })
    where = dict(file=table.file, sheet=table.sheet)

    for column in kind.columns:
        if column.field not in table.values:
            default = MISSING_DEFAULT.get(column.type)
            frame[column.field] = pd.Series([default] * n, dtype=object)
            continue
        raw = table.values[column.field]
        parser = PARSERS[column.type]
        parsed_by_value: dict = {}
        for value in set(raw):
            if is_missing(value):
                parsed_by_value[value] = ("missing", MISSING_DEFAULT.get(column.type))
                continue
            try:
                result = parser(value, table.date1904) if column.type == "date" else parser(value)
                parsed_by_value[value] = ("ok", result)
            except Invalid as exc:
                parsed_by_value[value] = ("error", str(exc))
            except Unrecognised as exc:
                parsed_by_value[value] = ("warning", str(exc))
        outcomes = [parsed_by_value[v] for v in raw]
        values = [result if state in ("ok", "missing") else None for state, result in outcomes]
        label = table.column_label(column.field)
        flagged = {value for value, (state, _) in parsed_by_value.items()
                   if state in ("error", "warning") or (state == "missing" and column.required)}
        unsaved = _unsaved_formula_rows(table, column.field)
        for i in sorted(unsaved):  # the cell looks empty only because its formula was never calculated
            row_errors[i] = True
            problems.append(Problem("E104", row=table.record_rows[i], column=label, message=(
                "the cell holds a formula whose result was never saved; open the file in Excel and save it"),
                **where))
        for i in (i for i, v in enumerate(raw) if v in flagged and i not in unsaved) if flagged else ():
            state, result = outcomes[i]
            if state == "missing":
                if column.required and column.type != "outcome":
                    row_errors[i] = True
                    problems.append(Problem("E301", row=table.record_rows[i], column=label,
                                            value=display(raw[i]), **where))
            elif state == "error":
                row_errors[i] = True
                problems.append(Problem(ERROR_CODE[column.type], row=table.record_rows[i], column=label,
                                        value=display(raw[i]), message=result, **where))
            else:
                values[i] = UNKNOWN_DEFAULT[column.type]
                problems.append(Problem(WARNING_CODE[column.type], row=table.record_rows[i], column=label,
                                        value=display(raw[i]), message=result, **where))
        frame[column.field] = pd.Series(values, dtype=object)
        if column.type == "outcome":
            frame["outcome_detail"] = pd.Series(
                [None if is_missing(v) else display(v) for v in raw], dtype=object)
        if column.type == "date":
            frame[column.field] = pd.to_datetime(frame[column.field]).astype("datetime64[s]")

    notes: list[str] = []
    _check_fips(table, frame, counties, problems, row_errors)
    if table.kind == "detainers":
        _check_detainer_dates(table, frame, problems, row_errors, notes)
        _assign_ids(table, frame)
    if table.kind == "corrections":
        _check_corrections(table, frame, counties, problems, row_errors)
    frame["row_status"] = ["error" if e else "used" for e in row_errors]
    for note in table.layout.notes:
        notes.append(f"{table.file}{_sheet_suffix(table)} ({table.layout.name}) {note}.")
    return ValidatedSheet(table, frame, problems, notes)


def _unsaved_formula_rows(table: SheetTable, field_name: str) -> set[int]:
    """Record indexes whose cell in this column is a formula with no saved value."""
    if not table.formula_gaps:
        return set()
    column = table.columns[field_name]
    rows = {row - 1 for row, col in ((r + 1, c) for r, c in table.formula_gaps) if col == column}
    return {i for i, row_number in enumerate(table.record_rows) if row_number - 1 in rows}


def _sheet_suffix(table: SheetTable) -> str:
    return f", sheet {table.sheet!r}" if table.sheet else ""


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
        notes.append(f"{table.file}{_sheet_suffix(table)} ({table.layout.name}) has no outcome dates: "
                     "its declines are attributed to the date the detainer was issued.")
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
    undated = (frame["outcome"] == "declined") & decided.isna() & issued.notna()
    for i in undated[undated].index:
        problems.append(Problem("W303", file=table.file, sheet=table.sheet, row=table.record_rows[i], column=label))
    if undated.any():
        count = int(undated.sum())
        notes.append(f"{table.file}{_sheet_suffix(table)}: {count:,} declined "
                     f"{'detainer has' if count == 1 else 'detainers have'} no outcome date and "
                     f"{'is' if count == 1 else 'are'} attributed to the date issued.")
    frame.loc[undated, "outcome_date_source"] = "issue date (outcome date blank)"
    frame.loc[undated, "outcome_date"] = issued[undated]


def _assign_ids(table: SheetTable, frame: pd.DataFrame) -> None:
    """Give every detainer an ID. Derived IDs are stable across runs for an unchanged row."""
    identity = table.layout.identity
    if identity == "column":
        return
    if identity == "row-content":
        fields = [f for f in table.values]
        prefix = f"{file_fingerprint(table.file)}-"
    else:
        fields = [f for f in identity if f in frame.columns]
        prefix = "ice-"
    columns = [frame[f].tolist() for f in fields]
    keys = ["|".join("" if v is None or v != v else str(v) for v in values) for values in zip(*columns)]
    digests = pd.Series([hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] for k in keys],
                        index=frame.index, dtype=object)
    occurrence = digests.groupby(digests).cumcount() + 1
    frame["detainer_id"] = prefix + digests + "-" + occurrence.astype(str)


# --- corrections: what each row needs depends on its Type and on which detainer field it corrects --------

CORRECTION_COLUMNS = ["level", "target_field", "correct_parsed", "correct_display"]


def correction_value(field_name: str, value, counties: Counties, date1904: bool = False):
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
        if key == "" or key not in OUTCOME_VOCABULARY:
            raise Invalid("not one of declined, honored, pending, other")
        outcome = OUTCOME_VOCABULARY[key]
        return outcome, outcome
    if field_name in ("outcome_date", "date_issued"):
        day = parse_date(value, date1904)
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


def _check_corrections(table, frame, counties: Counties, problems, row_errors):
    """Row-level rules of the corrections sheet (E309-E312); adds level, target field and parsed value."""
    n = len(frame)
    raw = {f: table.values.get(f, [None] * n) for f in ("detainer_id", "county_fips", "field", "correct_value", "note")}
    columns = {c: [None] * n for c in CORRECTION_COLUMNS}

    def label(field_name):
        return table.column_label(field_name) if field_name in table.columns else ""

    def problem(code, i, field_name, message):
        row_errors[i] = True
        value = raw[field_name][i] if field_name in raw else None
        missing = field_name not in table.columns
        problems.append(Problem(code, file=table.file, sheet=table.sheet, row=table.record_rows[i],
                                column=label(field_name), value="" if is_missing(value) else display(value),
                                message=message + (" (the sheet has no such column)" if missing else "")))

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
            parsed, shown = correction_value(target, raw["correct_value"][i], counties, table.date1904)
        except Invalid as exc:
            problem("E312", i, "correct_value", f"{KINDS['detainers'].column(target).name}: {exc}")
            continue
        columns["level"][i], columns["target_field"][i] = level, target
        columns["correct_parsed"][i], columns["correct_display"][i] = parsed, shown
    for name, values in columns.items():
        frame[name] = pd.Series(values, dtype=object)
