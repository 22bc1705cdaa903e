"""The corrections sheet's row rules (E309-E312): what a row needs, by its Type and the field it corrects."""
from __future__ import annotations

import pandas as pd

from .blank import is_blank
from .errors import Problem
from .frames import CORRECTION_DERIVED_COLUMNS
from .reference import JURISDICTION_NOT_DETERMINED, Counties
from .schema import COUNTY_CORRECTABLE_FIELDS, KINDS, correctable_field
from .vocabulary import normalise_value
from .parsers import (DEFAULT_RULES, Invalid, ReadRules, Unrecognised, display, parse_citizenship,
                     parse_criminality, parse_date, parse_fips, parse_state)
from .wording import rows_text



def correction_value(field_name: str, value, counties: Counties, date1904: bool = False,
                     rules: ReadRules = DEFAULT_RULES):
    """(parsed value, display text) of a correction's Correct Value for the detainer field it corrects.

    Raises Invalid. Stricter than the detainers sheet: a correction is a deliberate statement, so an
    unrecognised outcome, criminality or country is an error here, not "other" or "unknown".
    """
    if is_blank(value):
        if field_name == "county_fips":
            return None, JURISDICTION_NOT_DETERMINED
        raise Invalid(f"blank; only a County FIPS correction may be blank ({JURISDICTION_NOT_DETERMINED})")
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


def check_corrections(table, frame, counties: Counties, problems, row_errors, rules: ReadRules = DEFAULT_RULES):
    """Row-level rules of the corrections sheet (E309-E312); adds level, target field and parsed value."""
    n = len(frame)
    raw = {f: table.values.get(f, [None] * n) for f in ("detainer_id", "county_fips", "field", "correct_value", "note")}
    columns = {c: [None] * n for c in CORRECTION_DERIVED_COLUMNS}

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
                                column=label(field_name), value="" if is_blank(value) else display(value),
                                message=message))

    for i, kind in enumerate(frame["type"]):
        if kind is None:  # blank (E301) or not recognised (E308): already reported
            continue
        has = {f: not is_blank(v[i]) for f, v in raw.items()}
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
        where = "" if len(rows) == 1 else f"; {rows_text(rows)} need it"
        problems.append(Problem(code, file=table.file, sheet=table.sheet, row=rows[0],
                                message=f"{message} (the sheet has no such column{where})"))
    for name, values in columns.items():
        frame[name] = pd.Series(values, dtype=object)
