"""The downloads as published: column names no one can misread, values a spreadsheet reads as what they are,
the workbook, and the data dictionary that explains every column of every file.

Two "declined" figures exist and never share a name: ``issued_declined_so_far`` (of the detainers issued this
week, those declined so far) and ``declines_recorded_this_week`` (declines recorded in the week, whatever the
issue date). report.json keeps its documented keys (``issued_outcomes.declined``, ``declined``): a published
contract only grows.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .blank import is_null

# internal column -> published name, per file
RENAMED = {
    "jurisdictions.csv": {"honored": "issued_honored_so_far", "issued_declined": "issued_declined_so_far",
                          "pending": "issued_pending", "other": "issued_other_outcome",
                          "declined": "declines_recorded_this_week"},
    "declines-by-jurisdiction.csv": {"declined": "declines_recorded_this_week"},
    "trend.csv": {"declined": "declines_recorded", "honored": "honored_recorded"},
}

SHEET_NAMES = {  # Excel allows 31 characters; each is chosen, never cut
    "jurisdictions.csv": "jurisdictions", "detainers-issued.csv": "detainers-issued", "declines.csv": "declines",
    "declines-by-jurisdiction.csv": "declines-by-jurisdiction", "subsequent-charges.csv": "charges",
    "subsequent-charges-by-jurisdiction.csv": "charges-by-jurisdiction",
    "subsequent-charges-by-category.csv": "charges-by-category", "policies.csv": "policies", "trend.csv": "trend",
    "corrections.csv": "corrections", "data-dictionary.csv": "data-dictionary",
}

DICTIONARY_FILE = "data-dictionary.csv"
DICTIONARY_COLUMNS = ["file", "column", "meaning", "unit", "source"]

DETAINERS = "detainer records (Date Issued, Outcome, Outcome Date)"
COUNTY = "county FIPS of the record, staff facilities table or bundled facility reference (see jurisdiction_source)"
CENSUS = "Census Bureau county list (reports/data/us_county_population_2010_2019.csv)"
CHARGES = "charges sheet (Arrest Date, Charge, Status), linked to the declined detainer"
POLICIES = "policies sheet"
WEEKLY = "week: the last day of the reporting week it fell in (ISO date)"
YES_NO = "yes / no"

# (meaning, unit, source) by column; FILE_SPECIFIC overrides a column in one file
COLUMNS = {
    "fips": ("county FIPS code (5 digits); blank for 'jurisdiction not determined' and totals", "code", COUNTY),
    "name": ("county name, or 'Jurisdiction not determined', or 'Total'", "text", CENSUS),
    "state": ("state postal code", "text", CENSUS),
    "population": ("resident population, 2019 estimate", "people", CENSUS),
    "issued": ("detainers issued in the week (Date Issued in the week)", "detainers", DETAINERS),
    "issued_honored_so_far": ("of the detainers issued this week, those honored so far (ICE took custody)",
                              "detainers", DETAINERS),
    "issued_declined_so_far": ("of the detainers issued this week, those declined so far, whenever the decline was "
                               "recorded; not the same as declines_recorded_this_week", "detainers", DETAINERS),
    "issued_pending": ("of the detainers issued this week, those with no outcome recorded yet (never counted as "
                       "declined)", "detainers", DETAINERS),
    "issued_other_outcome": ("of the detainers issued this week, those ended otherwise (lifted, transferred, case "
                             "closed…)", "detainers", DETAINERS),
    "decline_rate": ("issued_declined_so_far ÷ (issued − issued_pending) × 100, rounded half up to 1 decimal; blank "
                     "below the minimum number resolved", "percent", "computed"),
    "issued_per_100k": ("issued ÷ population × 100,000, rounded half up to 1 decimal", "per 100,000 residents",
                        "computed"),
    "declines_recorded_this_week": ("declines recorded in the week (Outcome declined, Outcome Date in the week), "
                                    "whatever the issue date; not the same as issued_declined_so_far", "detainers",
                                    DETAINERS),
    "policy_on_file": ("a policy limiting cooperation enacted by the end of the week is on file", YES_NO, POLICIES),
    "county": ("county name, or 'Jurisdiction not determined'", "text", CENSUS),
    "county_fips": ("county FIPS code (5 digits); blank when not determined", "code", COUNTY),
    "jurisdiction_source": ("how the county was found: record, staff, reference-code, reference-name, "
                            "name-names-county, reference-words, city, correction, none", "code", "attribution rules (README)"),
    "facility": ("facility as written in the source, cleaned of identifiers", "text", DETAINERS),
    "citizenship": ("citizenship; rare ones top-coded as 'Other'", "text", DETAINERS),
    "week_issued": ("week the detainer was issued", WEEKLY, DETAINERS),
    "date_issued": ("date the detainer was issued", "date", DETAINERS),
    "outcome": ("outcome so far: honored, declined, pending, other", "code", DETAINERS),
    "outcome_detail": ("outcome as written in the source (lift reason)", "text", DETAINERS),
    "outcome_week": ("week the outcome was recorded; blank when pending", WEEKLY, DETAINERS),
    "outcome_date": ("date the outcome was recorded; blank when pending", "date", DETAINERS),
    "criminality": ("criminality recorded at issuance: convicted, pending charges, none, unknown", "code", DETAINERS),
    "week_declined": ("week the decline was recorded", WEEKLY, DETAINERS),
    "date_declined": ("date the decline was recorded", "date", DETAINERS),
    "issued_before_week": ("the detainer was issued before the reporting week began", YES_NO, DETAINERS),
    "most_serious_conviction": ("most serious conviction as recorded by ICE", "text", DETAINERS),
    "date_declined_source": ("record: the Outcome Date; date issued: no Outcome Date, the issue date is used",
                             "code", DETAINERS),
    "convicted": ("declines of people with a prior conviction at issuance", "detainers", DETAINERS),
    "pending_charges": ("declines of people charged, not convicted, at issuance", "detainers", DETAINERS),
    "no_record": ("declines of people with no criminal record at issuance", "detainers", DETAINERS),
    "criminality_unknown": ("declines with criminality not recorded or not recognised", "detainers", DETAINERS),
    "declining_state": ("state of the jurisdiction that declined", "text", CENSUS),
    "declining_county": ("county that declined", "text", CENSUS),
    "declining_county_fips": ("FIPS code of the county that declined; blank when not determined", "code", COUNTY),
    "arrest_week": ("week of the arrest", WEEKLY, CHARGES),
    "arrest_date": ("date of the arrest", "date", CHARGES),
    "in_report_week": ("the arrest fell in the reporting week", YES_NO, CHARGES),
    "days_from_decline_to_arrest": ("days from the decline to the arrest", "days", CHARGES),
    "charge": ("the charge as written, cleaned of identifiers", "text", CHARGES),
    "charge_category": ("category of the charge, or 'Not categorised'", "text", CHARGES),
    "status": ("pending (an allegation), convicted, dismissed, acquitted", "code", CHARGES),
    "arresting_agency": ("arresting agency as written", "text", CHARGES),
    "people_week": ("people with a subsequent charge arrested in the week", "people", CHARGES),
    "charges_week": ("subsequent charges with an arrest in the week", "charges", CHARGES),
    "people_cumulative": ("people with a subsequent charge up to the end of the week", "people", CHARGES),
    "charges_cumulative": ("subsequent charges with an arrest up to the end of the week", "charges", CHARGES),
    "median_days_to_arrest": ("median days from decline to arrest, charges up to the end of the week", "days",
                              CHARGES),
    "category": ("charge category, or 'Total'", "text", CHARGES),
    "jurisdiction": ("jurisdiction as named in the policy list", "text", POLICIES),
    "aor": ("ICE field office area of responsibility", "text", POLICIES),
    "date_enacted": ("date enacted, at the precision given (2017-02-03, 2017-02 or 2017)", "date (partial)",
                     POLICIES),
    "policy": ("the policy as written", "text", POLICIES),
    "criteria": ("criteria for honoring a detainer", "text", POLICIES),
    "source": ("where the policy is documented", "text", POLICIES),
    "as_of": ("date the source was checked, at the precision given", "date (partial)", POLICIES),
    "week_start": ("first day of the week", "date", "reporting calendar"),
    "week_end": ("last day of the week (its name)", "date", "reporting calendar"),
    "declines_recorded": ("declines recorded in the week (by Outcome Date)", "detainers", DETAINERS),
    "honored_recorded": ("detainers honored, recorded in the week (by Outcome Date)", "detainers", DETAINERS),
    "caveat": ("what to keep in mind about the week: a policy took effect, a late batch (most declines of "
               "detainers issued over four weeks earlier), most declines recorded on one day; blank for none",
               "text", "computed"),
    "date": ("date the correction was recorded", "date", "corrections sheet"),
    "field": ("the field corrected", "text", "corrections sheet"),
    "what_was_wrong": ("what was wrong, as recorded by staff", "text", "corrections sheet"),
    "correct_value": ("the corrected value", "text", "corrections sheet"),
    "note": ("staff note", "text", "corrections sheet"),
    "detainers_changed": ("detainers the correction changed", "detainers", "corrections sheet"),
}
for _status in ("pending", "convicted", "dismissed", "acquitted"):
    COLUMNS[f"{_status}_week"] = (f"subsequent charges arrested in the week, status {_status}", "charges", CHARGES)
    COLUMNS[f"{_status}_cumulative"] = (f"subsequent charges up to the end of the week, status {_status}",
                                        "charges", CHARGES)
FILE_SPECIFIC = {
    ("declines-by-jurisdiction.csv", "issued_before_week"): (
        "of the declines recorded this week, those of detainers issued before the week began", "detainers",
        DETAINERS),
    ("corrections.csv", "jurisdiction"): ("jurisdiction the correction concerns", "text", "corrections sheet"),
    ("corrections.csv", "facility"): ("facility the correction concerns", "text", "corrections sheet"),
    ("subsequent-charges.csv", "week_declined"): ("week the decline was recorded", WEEKLY, DETAINERS),
    ("subsequent-charges.csv", "date_declined"): ("date the decline was recorded", "date", DETAINERS),
}
for _column in ("fips", "name", "state"):
    for _file in ("subsequent-charges-by-jurisdiction.csv",):
        FILE_SPECIFIC[(_file, _column)] = (COLUMNS[_column][0] + " (the declining jurisdiction)", *COLUMNS[_column][1:])


def public_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table as its download publishes it: chosen column names, yes/no for flags (a new frame)."""
    out = frame.rename(columns=RENAMED.get(name, {}))
    flags = {c: out[c].map(lambda v: v if isinstance(v, str) else "yes" if v else "no")
             for c in out.columns if out[c].dtype == bool or COLUMNS.get(c, ("", ""))[1] == YES_NO}
    counts = {c: out[c].astype("Int64") for c in out.columns if c not in flags and _whole_numbers(out[c])}
    changed = {**flags, **counts}
    return out.assign(**changed) if changed else out


def _whole_numbers(column: pd.Series) -> bool:
    """An object column of integers and blanks (a count or a population with a missing value), which would
    otherwise print as 4485414.0."""
    if column.dtype != object:
        return False
    values = column.dropna()
    return bool(len(values)) and all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def data_dictionary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per column of every published table. A column without an entry is an error, never a blank."""
    rows = []
    for name, frame in tables.items():
        for column in frame.columns:
            entry = FILE_SPECIFIC.get((name, column)) or COLUMNS.get(column)
            if entry is None:
                raise KeyError(f"{name}: column {column!r} has no entry in the data dictionary (reports/downloads.py)")
            rows.append({"file": name, "column": column, "meaning": entry[0], "unit": entry[1], "source": entry[2]})
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path, *, title: str, created: dt.date, sample: bool) -> None:
    """Every table on a sheet of its own: dates as dates, counts as numbers, blanks blank, text as text (never a
    formula, whatever it starts with)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "nan_inf_to_errors": False})
    workbook.set_properties({"title": title, "created": dt.datetime.combine(created, dt.time())})
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame in tables.items():
        sheet = workbook.add_worksheet(SHEET_NAMES[name])
        if sample:
            sheet.write_string(0, 0, "SAMPLE DATA - NOT OFFICIAL", bold)
        top = 1 if sample else 0
        for col, column in enumerate(frame.columns):
            sheet.write_string(top, col, str(column), bold)
            sheet.set_column(col, col, max(10, min(40, len(str(column)) + 2)))
        for r, row in enumerate(frame.itertuples(index=False), start=top + 1):
            for col, value in enumerate(row):
                _write_cell(sheet, r, col, value, date_format)
        sheet.freeze_panes(top + 1, 0)
    workbook.close()


def _write_cell(sheet, row: int, col: int, value, date_format) -> None:
    if is_null(value):
        return  # a blank is blank
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), date_format)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "yes" if value else "no")
    elif isinstance(value, (int, float)) or hasattr(value, "item"):
        sheet.write_number(row, col, value.item() if hasattr(value, "item") else value)
    else:
        sheet.write_string(row, col, str(value))
