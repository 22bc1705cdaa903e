"""Corrections sheets: disputes, corrections and jurisdictions' responses, applied on top of the raw data.

Every input is written here, in a temporary folder, and every expected value comes from that content
(and the Census county list), not from a previous run of the code.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from ingest_helpers import day, problem_keys, reconciliation, row_at, used_by_id
from reports.frames import CORRECTION_SUMMARY_COLUMNS, RESPONSE_COLUMNS
from reports.reference import JURISDICTION_NOT_DETERMINED
from reports.load import load_inputs
from reports.staff_reports import write_staff_reports

D = dt.date
HEADER = ["Date", "Type", "Detainer ID", "County FIPS", "Jurisdiction", "Facility", "Field", "Correct Value",
          "What Was Wrong", "Note"]


def write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def write_xlsx(path: Path, sheet: str, rows: list[list]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None and value != "":
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    wb.save(path)


def write_detainers(folder: Path) -> None:
    r"""The detainers every test corrects.

    detainers.csv:
      line 2 D-1 TRAVIS COUNTY JAIL, TX, own FIPS 48453, issued 01-28, declined 02-01
      line 3 D-2 FRANKLIN COUNTY JAIL, IA, no FIPS (facilities: 19069), issued 01-29, pending
      line 4 D-3 FRANKLIN COUNTY JAIL, IA, no FIPS (facilities: 19069), issued 02-02, declined 02-06
      line 5 D-4 HAMPTON JAIL, IA, own FIPS 19069, issued 01-30, honored 01-31
      line 6 D-5 MONTGOMERY COUNTY JAIL, IA, own FIPS 19137, issued 01-28, declined 01-30
      line 7 D-6 MONTGOMERY COUNTY JAIL, IA, own FIPS 19137, issued 02-03, pending
    facilities.csv: FRANKLIN COUNTY JAIL, IA -> 19069
    """
    write_csv(folder / "detainers.csv", [
        ["Detainer ID", "Subject ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome", "Outcome Date",
         "Criminality"],
        ["D-1", "S-1", "TRAVIS COUNTY JAIL", "TX", "48453", "2017-01-28", "Declined", "2017-02-01", "convicted"],
        ["D-2", "S-2", "FRANKLIN COUNTY JAIL", "IA", "", "2017-01-29", "Pending", "", "none"],
        ["D-3", "S-3", "FRANKLIN COUNTY JAIL", "IA", "", "2017-02-02", "Declined", "2017-02-06", "pending charges"],
        ["D-4", "S-4", "HAMPTON JAIL", "IA", "19069", "2017-01-30", "Honored", "2017-01-31", "convicted"],
        ["D-5", "S-5", "MONTGOMERY COUNTY JAIL", "IA", "19137", "2017-01-28", "Declined", "2017-01-30", "none"],
        ["D-6", "S-6", "MONTGOMERY COUNTY JAIL", "IA", "19137", "2017-02-03", "Pending", "", "none"],
    ])
    write_csv(folder / "facilities.csv", [
        ["Facility", "State", "County FIPS"],
        ["Franklin County Jail", "IA", "19069"],
    ])


FRANKLIN_IA_NOTE = "Detainers at the Franklin County Jail in New York were attributed to Franklin County, Iowa."
PA_RESPONSE = "Franklin County, PA has not declined any detainer; the figures listed were detainers issued."
CORRECTIONS = [
    HEADER,
    # row 2: one detainer's outcome
    [D(2017, 3, 22), "Correction", "D-1", None, None, None, "Outcome", "other",
     "Listed as declined; the person was transferred to another county's custody.", None],
    # row 3: a whole county, only the detainers at one facility (the DDOR's Franklin County mix-up)
    [D(2017, 3, 23), "dispute", None, "19069", "Franklin County, Iowa", "Franklin County Jail", "County FIPS",
     "36033", FRANKLIN_IA_NOTE, "ICE apologized to Franklin County, Iowa."],
    # row 4: a whole county, no facility, blank Correct Value: jurisdiction not determined
    [D(2017, 3, 24), "CORRECTION", None, "19137", "Montgomery County, IA", None, "County FIPS", None,
     "These detainers were not sent to Montgomery County, Iowa.", None],
    # row 5: a jurisdiction's response
    [D(2017, 3, 25), "Jurisdiction Response", None, "42055", "Franklin County Sheriff", None, None, None, None,
     PA_RESPONSE],
]


def load_scenario(tmp_path: Path, corrections=CORRECTIONS):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_detainers(inputs)
    write_xlsx(inputs / "corrections.xlsx", "Corrections", corrections)
    return load_inputs(inputs)


REF = "corrections.xlsx [Corrections] row {}"


def test_corrections_applied_to_detainers(tmp_path):
    dataset = load_scenario(tmp_path)
    assert dataset.problems == []
    rows = used_by_id(dataset)
    got = {i: (r.outcome, r.outcome_detail, r.state, r.county_fips, r.county_name,
               None if pd.isna(r.county_population) else int(r.county_population), r.jurisdiction_source,
               r.corrections) for i, r in rows.items()}
    assert got == {
        # detainer-level: declined -> other; its jurisdiction is untouched
        "D-1": ("other", "other", "TX", "48453", "Travis County", 1273954, "record", REF.format(2)),
        # attributed to Franklin County, IA by the facilities sheet, moved to Franklin County, NY
        "D-2": ("pending", "Pending", "NY", "36033", "Franklin County", 50022, "correction", REF.format(3)),
        "D-3": ("declined", "Declined", "NY", "36033", "Franklin County", 50022, "correction", REF.format(3)),
        # same county, another facility: not moved
        "D-4": ("honored", "Honored", "IA", "19069", "Franklin County", 10070, "record", ""),
        # blank Correct Value: jurisdiction not determined
        "D-5": ("declined", "Declined", "IA", None, JURISDICTION_NOT_DETERMINED, None, "correction", REF.format(4)),
        "D-6": ("pending", "Pending", "IA", None, JURISDICTION_NOT_DETERMINED, None, "correction", REF.format(4)),
    }


def test_correction_log_keeps_the_original_values(tmp_path):
    dataset = load_scenario(tmp_path)
    log = dataset.correction_log
    got = [(r.reference, r.level, r.detainer_id, r.field, r.old_value, r.new_value, r.changed, r.correction_date)
           for r in log.itertuples(index=False)]
    assert got == [
        (REF.format(2), "detainer", "D-1", "outcome", "declined", "other", True, day("2017-03-22")),
        (REF.format(3), "county", "D-2", "county_fips", "19069", "36033", True, day("2017-03-23")),
        (REF.format(3), "county", "D-2", "state", "IA", "NY", True, day("2017-03-23")),
        (REF.format(3), "county", "D-3", "county_fips", "19069", "36033", True, day("2017-03-23")),
        (REF.format(3), "county", "D-3", "state", "IA", "NY", True, day("2017-03-23")),
        (REF.format(4), "county", "D-5", "county_fips", "19137", "", True, day("2017-03-24")),
        (REF.format(4), "county", "D-6", "county_fips", "19137", "", True, day("2017-03-24")),
    ]
    assert list(log.columns) == ["reference", "correction_date", "level", "detainer_id", "field", "old_value",
                                 "new_value", "changed", "source_file", "source_sheet", "source_row"]


def test_public_corrections_log_and_responses(tmp_path):
    dataset = load_scenario(tmp_path)
    public = dataset.corrections
    assert list(public.columns) == list(CORRECTION_SUMMARY_COLUMNS)
    got = [tuple(r) for r in public.itertuples(index=False)]
    assert got == [
        (day("2017-03-22"), "detainer", "Travis County, TX", "48453", "Travis County", "TX", "", "Outcome",
         "Listed as declined; the person was transferred to another county's custody.", "other", "", 1,
         day("2017-01-28"), day("2017-01-28"), day("2017-02-01"), day("2017-02-01"), REF.format(2)),
        (day("2017-03-23"), "county", "Franklin County, IA", "19069", "Franklin County", "IA",
         "Franklin County Jail", "County FIPS", FRANKLIN_IA_NOTE, "Franklin County, NY (36033)",
         "ICE apologized to Franklin County, Iowa.", 2,
         day("2017-01-29"), day("2017-02-02"), day("2017-02-06"), day("2017-02-06"), REF.format(3)),
        (day("2017-03-24"), "county", "Montgomery County, IA", "19137", "Montgomery County", "IA", "",
         "County FIPS", "These detainers were not sent to Montgomery County, Iowa.", JURISDICTION_NOT_DETERMINED, "", 2,
         day("2017-01-28"), day("2017-02-03"), day("2017-01-30"), day("2017-01-30"), REF.format(4)),
    ]
    # (the outcome dates of pending detainers are blank and left out of the ranges)
    responses = dataset.responses
    assert list(responses.columns) == list(RESPONSE_COLUMNS)
    assert [tuple(r) for r in responses.itertuples(index=False)] == [
        (day("2017-03-25"), "Franklin County, PA", "42055", "Franklin County", "PA", PA_RESPONSE, REF.format(5)),
    ]
    # public-facing frames name no detainer or person
    for frame in (public, responses):
        assert not {"detainer_id", "subject_id"} & set(frame.columns)
        text = " ".join(str(v) for v in frame.to_numpy().ravel())
        assert "D-" not in text and "S-" not in text


def test_corrections_rows_reconcile_and_staff_log_is_written(tmp_path):
    dataset = load_scenario(tmp_path)
    assert reconciliation(dataset)[("corrections.xlsx", "Corrections")] == {
        "kind": "corrections", "layout": "corrections (project template)", "rows_read": 4, "used": 4,
        "excluded": 0, "reasons": {}}
    assert set(dataset.used("corrections")["source_row"]) == {2, 3, 4, 5}
    staff = tmp_path / "staff"
    written = write_staff_reports(dataset, staff, dt.datetime(2017, 3, 27, 9, 0))
    assert staff / "corrections-applied.csv" in written
    with open(staff / "corrections-applied.csv", newline="", encoding="utf-8-sig") as handle:
        logged = list(csv.DictReader(handle))
    assert [(r["detainer_id"], r["field"], r["old_value"], r["new_value"]) for r in logged][:2] == [
        ("D-1", "outcome", "declined", "other"), ("D-2", "county_fips", "19069", "36033")]
    report = (staff / "check-report.txt").read_text(encoding="utf-8")
    assert ("Corrections: 3 correction(s) applied, changing 5 detainer(s); 1 jurisdiction response(s)."
            in report)


def test_no_corrections_sheet_gives_empty_frames_and_no_staff_log(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_detainers(inputs)
    dataset = load_inputs(inputs)
    assert dataset.problems == []
    assert dataset.corrections.empty and list(dataset.corrections.columns) == list(CORRECTION_SUMMARY_COLUMNS)
    assert dataset.responses.empty and list(dataset.responses.columns) == list(RESPONSE_COLUMNS)
    assert dataset.correction_log.empty
    assert set(dataset.detainers["corrections"]) == {""}
    staff = tmp_path / "staff"
    staff.mkdir()
    (staff / "corrections-applied.csv").write_text("stale\n")  # left by an earlier run
    written = write_staff_reports(dataset, staff, dt.datetime(2017, 3, 27, 9, 0))
    assert not (staff / "corrections-applied.csv").exists()
    assert all(p.name != "corrections-applied.csv" for p in written)


def test_same_detainer_and_field_apply_in_date_order_last_wins(tmp_path):
    """Rows out of date order: row 3 (03-20) applies first, then row 2 (03-21), then row 4 (03-21, a later
    row on the same day). All three are logged; the last one wins."""
    dataset = load_scenario(tmp_path, [
        HEADER,
        [D(2017, 3, 21), "correction", "D-1", None, None, None, "Outcome", "honored", "second", None],
        [D(2017, 3, 20), "correction", "D-1", None, None, None, "Outcome", "pending", "first", None],
        [D(2017, 3, 21), "correction", "D-1", None, None, None, "Lift Reason", "Booked into Detention", "third",
         None],
    ])
    assert dataset.problems == []
    d1 = used_by_id(dataset)["D-1"]
    assert (d1.outcome, d1.outcome_detail) == ("honored", "Booked into Detention")
    assert d1.corrections == "; ".join(REF.format(r) for r in (3, 2, 4))
    got = [(r.reference, r.old_value, r.new_value, r.changed) for r in dataset.correction_log.itertuples()]
    assert got == [(REF.format(3), "declined", "pending", True), (REF.format(2), "pending", "honored", True),
                   (REF.format(4), "honored", "honored", False)]
    assert list(dataset.corrections["detainers_changed"]) == [1, 1, 0]


def test_detainer_level_corrections_of_every_field(tmp_path):
    dataset = load_scenario(tmp_path, [
        HEADER,
        [D(2017, 3, 20), "correction", "D-2", None, None, None, "Outcome", "declined", None, None],   # row 2
        [D(2017, 3, 20), "correction", "D-2", None, None, None, "Date Declined", "2017-02-04", None, None],
        [D(2017, 3, 20), "correction", "D-3", None, None, None, "Date Issued", D(2017, 1, 31), None, None],
        [D(2017, 3, 20), "correction", "D-3", None, None, None, "Criminality", "convicted", None, None],
        [D(2017, 3, 20), "correction", "D-3", None, None, None, "Citizenship", "Honduras", None, None],  # row 6
        [D(2017, 3, 20), "correction", "D-4", None, None, None, "Facility", "Hampton City Jail", None, None],
        [D(2017, 3, 20), "correction", "D-4", None, None, None, "County FIPS", 19197, None, None],  # Wright, IA
        [D(2017, 3, 20), "correction", "D-5", None, None, None, "County FIPS", "36033", None, None],  # row 9
        [D(2017, 3, 20), "correction", "D-6", None, None, None, "State", "Iowa", None, None],
    ])
    assert dataset.problems == []
    rows = used_by_id(dataset)
    got = {i: (r.outcome, r.date_issued, r.outcome_date, r.outcome_date_source, r.criminality, r.citizenship,
               r.facility, r.state, r.county_fips, r.county_name, r.jurisdiction_source)
           for i, r in rows.items() if i != "D-1"}
    assert got == {
        "D-2": ("declined", day("2017-01-29"), day("2017-02-04"), "correction", "none", "unknown",
                "FRANKLIN COUNTY JAIL", "IA", "19069", "Franklin County", "staff"),
        "D-3": ("declined", day("2017-01-31"), day("2017-02-06"), "record", "convicted", "Honduras",
                "FRANKLIN COUNTY JAIL", "IA", "19069", "Franklin County", "staff"),
        "D-4": ("honored", day("2017-01-30"), day("2017-01-31"), "record", "convicted", "unknown",
                "Hampton City Jail", "IA", "19197", "Wright County", "correction"),
        # a county in another state: the detainer's state follows its county
        "D-5": ("declined", day("2017-01-28"), day("2017-01-30"), "record", "none", "unknown",
                "MONTGOMERY COUNTY JAIL", "NY", "36033", "Franklin County", "correction"),
        "D-6": ("pending", day("2017-02-03"), pd.NaT, "record", "none", "unknown",
                "MONTGOMERY COUNTY JAIL", "IA", "19137", "Montgomery County", "record"),
    }
    # with no County FIPS on the row, the public log names the county the detainer was attributed to before
    public = dataset.corrections.set_index("reference")
    assert public.loc[REF.format(2), "jurisdiction"] == "Franklin County, IA"  # via the facilities sheet
    assert public.loc[REF.format(9), "jurisdiction"] == "Montgomery County, IA"
    assert public.loc[REF.format(9), "correct_value"] == "Franklin County, NY (36033)"
    assert public.loc[REF.format(4), ["date_issued_min", "date_issued_max"]].tolist() == [
        day("2017-01-31"), day("2017-02-02")]  # the old and the new issue date


def test_detainer_level_blank_county_beats_the_facilities_sheet(tmp_path):
    """D-2's county comes from the facilities sheet; a correction to a blank County FIPS leaves it
    undetermined. D-3's own correction (03-25) is later than the county-wide one (03-23), so it wins;
    D-2's (03-20) is earlier, so the county-wide one moves it."""
    dataset = load_scenario(tmp_path, [
        HEADER,
        [D(2017, 3, 25), "correction", "D-3", None, None, None, "County FIPS", None, None, None],
        [D(2017, 3, 20), "correction", "D-2", None, None, None, "County FIPS", "19069", None, None],
        [D(2017, 3, 23), "correction", None, "19069", None, None, "County FIPS", "36033", None, None],
    ])
    assert dataset.problems == []
    rows = used_by_id(dataset)
    got = {i: (rows[i].county_fips, rows[i].county_name, rows[i].jurisdiction_source, rows[i].corrections)
           for i in ("D-2", "D-3", "D-4")}
    assert got == {
        "D-2": ("36033", "Franklin County", "correction", f"{REF.format(3)}; {REF.format(4)}"),
        "D-3": (None, JURISDICTION_NOT_DETERMINED, "correction", REF.format(2)),
        "D-4": ("36033", "Franklin County", "correction", REF.format(4)),  # no Facility: the whole county
    }


def test_row_level_errors_exact_code_row_and_column(tmp_path):
    """corrections.csv, one problem per line (line 1 is the header)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_detainers(inputs)
    c = "correction"
    write_csv(inputs / "corrections.csv", [
        HEADER,
        ["2017-03-20", "amendment", "D-1", "", "", "", "Outcome", "other", "", ""],          # 2 E308 type
        ["2017-03-20", c, "", "", "Travis County", "", "Outcome", "other", "", ""],          # 3 E309 no ID/FIPS
        ["2017-03-20", c, "D-1", "", "", "", "", "other", "", ""],                           # 4 E309 no Field
        ["2017-03-20", c, "D-1", "", "", "", "Subject ID", "S-9", "", ""],                   # 5 E310
        ["2017-03-20", c, "", "48453", "", "", "Outcome", "other", "", ""],                  # 6 E311
        ["2017-03-20", c, "D-1", "", "", "", "Outcome", "maybe", "", ""],                    # 7 E312
        ["2017-03-20", c, "D-1", "", "", "", "County FIPS", "99999", "", ""],                 # 8 E312
        ["2017-03-20", c, "D-1", "", "", "", "Outcome Date", "31/31/2017", "", ""],          # 9 E312
        ["2017-03-20", "response", "", "", "Travis County", "", "", "", "", "We object."],   # 10 E309 FIPS
        ["2017-03-20", "statement", "", "42055", "", "", "", "", "", ""],                    # 11 E309 Note
        ["2017-03-20", c, "D-404", "", "", "", "Outcome", "other", "", ""],                  # 12 E404
        ["2017-03-20", c, "", "06037", "", "", "County FIPS", "06059", "", ""],              # 13 W403
        ["2017-03-20", c, "D-1", "", "", "", "Criminality", "dangerous", "", ""],            # 14 E312
        ["", c, "D-1", "", "", "", "Outcome", "other", "", ""],                              # 15 E301 date
        ["2017-03-20", c, "D-1", "", "", "", "Outcome Date", "2017-01-01", "", ""],          # 16 E307
        ["2017-03-20", c, "D-4", "", "", "", "State", "NE", "", ""],                         # 17 E304
        ["2017-03-20", c, "D-1", "", "", "", "Outcome", "", "", ""],                         # 18 E312 blank
        ["2017-03-20", c, "", "99999", "", "", "County FIPS", "06059", "", ""],              # 19 E303
    ])
    dataset = load_inputs(inputs)
    f = "corrections.csv"
    assert problem_keys(dataset) == sorted([
        ("E308", f, "", 2, "B (Type)", "amendment"),
        ("E309", f, "", 3, "C (Detainer ID)", ""),
        ("E309", f, "", 4, "G (Field)", ""),
        ("E310", f, "", 5, "G (Field)", "Subject ID"),
        ("E311", f, "", 6, "G (Field)", "Outcome"),
        ("E312", f, "", 7, "H (Correct Value)", "maybe"),
        ("E312", f, "", 8, "H (Correct Value)", "99999"),
        ("E312", f, "", 9, "H (Correct Value)", "31/31/2017"),
        ("E309", f, "", 10, "D (County FIPS)", ""),
        ("E309", f, "", 11, "J (Note)", ""),
        ("E404", f, "", 12, "C (Detainer ID)", "D-404"),
        ("W403", f, "", 13, "D (County FIPS)", "06037"),
        ("E312", f, "", 14, "H (Correct Value)", "dangerous"),
        ("E301", f, "", 15, "A (Date)", ""),
        ("E307", f, "", 16, "H (Correct Value)", "2017-01-01"),
        ("E304", f, "", 17, "H (Correct Value)", "NE"),
        ("E312", f, "", 18, "H (Correct Value)", ""),
        ("E303", f, "", 19, "D (County FIPS)", "99999"),
    ], key=lambda k: tuple("" if v is None else str(v) for v in k))
    status = {r: row_at(dataset.correction_rows, f, r).row_status for r in range(2, 20)}
    assert status == {r: ("used" if r == 13 else "error") for r in range(2, 20)}
    assert reconciliation(dataset)[(f, "")] == {
        "kind": "corrections", "layout": "corrections (project template)", "rows_read": 18, "used": 1,
        "excluded": 17, "reasons": {"error": 17}}
    # the only correction used changed nothing; errors block publication anyway
    assert list(dataset.corrections["detainers_changed"]) == [0]
    messages = {p.row: p.message for p in dataset.problems}
    assert messages[12] == "no detainer with this ID in the inputs"
    assert messages[17] == "detainer D-4: its County FIPS 19069 is Franklin County, IA, but its State would be NE"


def test_unmatched_detainer_id_is_an_error_even_when_its_row_has_an_error(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_csv(inputs / "detainers.csv", [
        ["Detainer ID", "Facility", "State", "Date Issued", "Outcome"],
        ["BAD-1", "York County Prison", "PA", "31/31/2017", "Declined"],  # E302: not counted
    ])
    write_csv(inputs / "corrections.csv", [HEADER, ["2017-03-20", "correction", "BAD-1", "", "", "", "Outcome",
                                                    "other", "", ""]])
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [
        ("E302", "detainers.csv", "", 2, "D (Date Issued)", "31/31/2017"),
        ("E404", "corrections.csv", "", 2, "C (Detainer ID)", "BAD-1"),
    ]
    assert next(p.message for p in dataset.problems if p.code == "E404") == (
        "the detainer with this ID has an error in its own row and is not counted")
    assert dataset.corrections.empty


def test_type_aliases_and_columns_may_be_absent(tmp_path):
    """A response sheet with only the columns a response needs; 'Statement' is an alias of Note."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_detainers(inputs)
    write_csv(inputs / "responses.csv", [
        ["Date", "Type", "FIPS", "Statement"],
        ["2017-03-20", "Statement", "48453", "Travis County honors detainers backed by a judicial warrant."],
        ["2017-03-21", "jurisdiction response", "19069", "Franklin County, Iowa received none of these."],
        ["2017-03-22", "correction", "19069", ""],
    ])
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E309", "responses.csv", "", 4, "", "")]
    assert next(p.message for p in dataset.problems) == (
        "a correction needs the Field it corrects (the sheet has no such column)")
    assert list(dataset.responses["county_fips"]) == ["48453", "19069"]
    assert list(dataset.responses["jurisdiction"]) == ["Travis County, TX", "Franklin County, IA"]


def test_declined_without_outcome_date_after_correction_warns_on_the_correction(tmp_path):
    dataset = load_scenario(tmp_path, [
        HEADER,
        [D(2017, 3, 20), "correction", "D-2", None, None, None, "Outcome", "declined", None, None],
    ])
    assert problem_keys(dataset) == [("W303", "corrections.xlsx", "Corrections", 2, "H (Correct Value)", "")]
    d2 = used_by_id(dataset)["D-2"]
    assert (d2.outcome, d2.outcome_date, d2.outcome_date_source) == (
        "declined", day("2017-01-29"), "issue date (outcome date blank)")
    assert row_at(dataset.correction_rows, "corrections.xlsx", 2).row_status == "used"


def test_outcome_dates_derived_from_the_issue_date_follow_corrections(tmp_path):
    """The older FOIA export has no outcome dates: a decline is dated on the issue date. Correcting the
    issue date moves the derived decline date; correcting the outcome to pending clears it."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_csv(inputs / "foia.csv", [
        ["date", "lift_reason", "det_facility", "city", "state", "detainer_type"],
        ["2017-01-28", "Detainer Declined by LEA", "YORK COUNTY PRISON", "YORK", "PENNSYLVANIA", "I247D"],
        ["2017-01-29", "Detainer Declined by LEA", "YORK COUNTY PRISON", "YORK", "PENNSYLVANIA", "I247D"],
    ])
    ids = {r.date_issued: r.detainer_id for r in load_inputs(inputs).used("detainers").itertuples()}
    first, second = ids[day("2017-01-28")], ids[day("2017-01-29")]
    write_csv(inputs / "corrections.csv", [
        HEADER,
        ["2017-03-20", "correction", first, "", "", "", "Date Issued", "2017-01-30", "", ""],
        ["2017-03-20", "correction", second, "", "", "", "Outcome", "pending", "", ""],
    ])
    dataset = load_inputs(inputs)
    assert dataset.problems == []  # York County Prison is in no facilities sheet, but in the bundled reference
    rows = used_by_id(dataset)
    assert (rows[first].date_issued, rows[first].outcome_date) == (day("2017-01-30"), day("2017-01-30"))
    assert rows[second].outcome == "pending" and pd.isna(rows[second].outcome_date)


def test_a_column_the_sheet_lacks_is_one_problem_not_one_per_row(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_detainers(inputs)
    write_csv(inputs / "responses.csv", [
        ["Date", "Type", "FIPS", "Statement"],
        ["2017-03-20", "correction", "19069", ""],
        ["2017-03-21", "statement", "48453", "We honor warrants."],
        ["2017-03-22", "correction", "19069", ""],
        ["2017-03-23", "correction", "19137", ""],
    ])
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E309", "responses.csv", "", 2, "", "")]
    assert dataset.problems[0].message == ("a correction needs the Field it corrects (the sheet has no such column; "
                                           "3 rows (2, 4, 5) need it)")
    status = {r: row_at(dataset.correction_rows, "responses.csv", r).row_status for r in range(2, 6)}
    assert status == {2: "error", 3: "used", 4: "error", 5: "error"}


def test_applying_corrections_never_changes_the_callers_frames(tmp_path, monkeypatch):
    """Both stages of the corrections engine return new frames; what they were given is left as it was."""
    from reports import corrections, load

    seen = []

    def unchanged_after(stage):
        def wrapper(detainers, corrections_rows, *args, **kwargs):
            before = detainers.copy(), corrections_rows.copy()
            result = stage(detainers, corrections_rows, *args, **kwargs)
            pd.testing.assert_frame_equal(detainers, before[0])
            pd.testing.assert_frame_equal(corrections_rows, before[1])
            assert result.detainers is not detainers
            seen.append(stage.__name__)
            return result
        return wrapper

    for name in ("apply_detainer_corrections", "apply_county_corrections"):
        monkeypatch.setattr(load, name, unchanged_after(getattr(corrections, name)))
    detainer_row = [D(2017, 3, 26), "Correction", "D-4", None, None, None, "County FIPS", "19137", None, None]
    dataset = load_scenario(tmp_path, CORRECTIONS + [detainer_row])
    assert seen == ["apply_detainer_corrections", "apply_county_corrections"]
    assert dataset.used("detainers").set_index("detainer_id").loc["D-4", "county_fips"] == "19137"
