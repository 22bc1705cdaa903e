"""Ingest: every fixture case loaded with ``reports.load.load_inputs``.

Expected values come from the fixture content documented in tests/make_fixtures.py
(or, for the FOIA extract, are computed from the CSV with the csv module), never from a
previous run of the code.
"""
from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ingest_helpers import (
    BASE_MTIME,
    FIXTURES,
    copy_case,
    day,
    problem_keys,
    reconciliation,
    row_at,
    used_by_id,
)
from reports import delimited, ingest, input_files, parsers
from shared_data import PA_DETAINERS
from reports.load import load_inputs

W402 = ("W402", "(all files)", "", None, "", "")


def load(case: str, tmp_path: Path, order: list[str] | None = None):
    return load_inputs(copy_case(case, tmp_path / case, order))


def raw_sheets(case: str, name: str):
    path = FIXTURES / case / name
    sheets, problems = input_files.read_file(path, name)
    assert problems == []
    return sheets


def w402_message(dataset) -> str:
    return next(p.message for p in dataset.problems if p.code == "W402")


# --------------------------------------------------------------------------- reconciliation, every case

# case -> {(file, sheet): (header row, rows read, used, {exclusion reason: count})}
RECONCILIATION = {
    "title_rows": {("weekly-detainers.xlsx", "Detainers"): (5, 6, 3, {"blank row": 1, "total row": 1,
                                                                     "note below the data": 1})},
    "serial_dates": {("serials.xlsx", "Detainers"): (1, 5, 5, {})},
    "date1904": {("mac-1904.xlsx", "Detainers"): (1, 2, 2, {})},
    "numeric_fips": {("fips.xlsx", "Detainers"): (1, 7, 4, {"error": 3})},
    "bom_csv": {("detainers-utf8.csv", ""): (1, 3, 3, {})},
    "cp1252_csv": {("detainers-excel.csv", ""): (1, 3, 3, {})},
    "total_row": {("week.csv", ""): (1, 4, 3, {"total row": 1}),
                  ("month.xlsx", "January"): (1, 5, 2, {"blank row": 1, "total row": 2})},
    "merged_header": {("merged.xlsx", "Detainers"): (1, 2, 2, {})},
    # week2.csv is the newer file (copy_case order below)
    "duplicate_ids": {("week1.xlsx", "Detainers"): (1, 6, 1, {"error": 2, "repeat of an earlier row": 1,
                                                              "superseded by week2.csv": 2}),
                      ("week2.csv", ""): (1, 3, 3, {})},
    # rows of sheets that are not read are still accounted for, as excluded with the sheet's reason
    "unknown_layout": {("workbook.xlsx", "Notes"): (None, 3, 0, {"sheet not recognised": 3}),
                       ("workbook.xlsx", "Old data"): (None, 2, 0, {"hidden sheet, not read": 2}),
                       ("workbook.xlsx", "Empty"): (None, 0, 0, {}),
                       ("workbook.xlsx", "Partial"): (None, 4, 0, {"sheet not read: error in its header": 4})},
    # rows 13 and 14: the same subject and prepare time, identical: one detainer, counted once
    "ice_export": {("ice-detainers.xlsx", "Detainers"): (7, 7, 6, {"repeat of an earlier row": 1})},
    "foia_export": {("pa_first50.csv", ""): (1, 52, 52, {})},
    "facilities": {("detainers.csv", ""): (1, 7, 7, {}),
                   ("detainers-with-fips.csv", ""): (1, 1, 1, {}),
                   ("facilities.xlsx", "By code"): (1, 5, 1, {"error": 4}),
                   ("facilities.xlsx", "By name"): (1, 1, 1, {})},
    "charges": {("charges.xlsx", "Charges"): (1, 5, 3, {"error": 2}),
                ("detainers.csv", ""): (1, 4, 4, {})},
    "bad_values": {("detainers.xlsx", "Detainers"): (1, 6, 2, {"error": 4}),
                   ("charges.csv", ""): (1, 2, 1, {"error": 1})},
}


def physical_rows_below(path: Path, sheet: str, header_row: int) -> int:
    """Rows below the header as another reader (openpyxl / csv) sees them."""
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
            return len(list(csv.reader(handle))) - header_row
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb[sheet].max_row - header_row
    finally:
        wb.close()


def test_every_case_has_a_reconciliation_entry():
    assert sorted(RECONCILIATION) == sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", sorted(RECONCILIATION))
def test_reconciliation(case, tmp_path):
    dataset = load(case, tmp_path, order=["week1.xlsx", "week2.csv"])
    got = reconciliation(dataset)
    expected = RECONCILIATION[case]
    assert set(got) == set(expected)
    # every sheet of every file is in the reconciliation
    folder = FIXTURES / case
    sheets = set()
    for path in folder.iterdir():
        if path.suffix == ".csv":
            sheets.add((path.name, ""))
        else:
            wb = openpyxl.load_workbook(path, read_only=True)
            sheets |= {(path.name, s) for s in wb.sheetnames}
            wb.close()
    assert set(got) == sheets
    for key, (header_row, rows_read, used, reasons) in expected.items():
        line = got[key]
        assert (line["rows_read"], line["used"], line["reasons"]) == (rows_read, used, reasons), key
        assert line["rows_read"] == line["used"] + line["excluded"], key
        assert line["excluded"] == sum(reasons.values()), key
        if header_row is not None:
            # rows read = every spreadsheet row below the header, each with exactly one status
            assert rows_read == physical_rows_below(folder / key[0], key[1], header_row), key
            status = dataset.row_status
            mine = status[(status["source_file"] == key[0]) & (status["source_sheet"] == key[1])]
            assert sorted(mine["source_row"]) == list(range(header_row + 1, header_row + 1 + rows_read)), key


# --------------------------------------------------------------------------- title rows

def test_title_rows_header_found_below_titles():
    (sheet,) = raw_sheets("title_rows", "weekly-detainers.xlsx")
    table, problems = ingest.recognise(sheet)
    assert problems == []
    assert table.header_row == 5
    assert table.layout.name == "detainers (project template)"
    assert table.record_rows == [6, 7, 8]
    assert table.excluded == {9: "blank row", 10: "total row", 11: "note below the data"}


def test_title_rows_values(tmp_path):
    dataset = load("title_rows", tmp_path)
    assert dataset.problems == []
    assert dataset.notes == []
    rows = used_by_id(dataset)
    assert sorted(rows) == ["TR-1", "TR-2", "TR-3"]
    got = {i: (r.source_row, r.facility, r.state, r.county_fips, r.county_name, r.date_issued, r.outcome,
               r.outcome_date, r.citizenship, r.criminality, r.jurisdiction_source) for i, r in rows.items()}
    assert got["TR-1"] == (6, "Travis County Jail", "TX", "48453", "Travis County", day("2017-01-28"), "declined",
                           day("2017-02-01"), "Mexico", "convicted", "record")
    assert got["TR-2"] == (7, "Travis County Jail", "TX", "48453", "Travis County", day("2017-01-29"), "honored",
                           day("2017-01-31"), "Honduras", "pending charges", "record")
    assert got["TR-3"][:7] == (8, "Clark County Detention Center", "NV", "32003", "Clark County",
                               day("2017-01-30"), "pending")
    assert pd.isna(got["TR-3"][7])
    assert got["TR-3"][8:] == ("Guatemala", "none", "record")


# --------------------------------------------------------------------------- dates

def test_serial_dates(tmp_path):
    dataset = load("serial_dates", tmp_path)
    assert problem_keys(dataset) == []
    rows = used_by_id(dataset)
    issued = {i: r.date_issued for i, r in rows.items()}
    decided = {i: r.outcome_date for i, r in rows.items()}
    assert issued == {"SD-1": day("2017-01-28"), "SD-2": day("2017-01-28"), "SD-3": day("2017-01-29"),
                      "SD-4": day("2017-01-30"), "SD-5": day("2017-02-03")}
    assert {i: d for i, d in decided.items() if i != "SD-5"} == {
        "SD-1": day("2017-02-01"), "SD-2": day("2017-01-30"), "SD-3": day("2017-02-03"), "SD-4": day("2017-02-02")}
    assert pd.isna(decided["SD-5"])
    assert rows["SD-5"].outcome == "pending"


def test_serial_dates_raw_cells_are_what_the_fixture_says():
    """Guards the fixture itself: the General cells really are numbers, the text cells really text."""
    (sheet,) = raw_sheets("serial_dates", "serials.xlsx")
    assert sheet.date1904 is False
    assert sheet.rows[1][3] == 42763 and isinstance(sheet.rows[1][3], float)
    assert sheet.rows[3][5] == "2/3/2017"
    assert sheet.rows[4][3] == "2017-01-30"


def test_date1904(tmp_path):
    (sheet,) = raw_sheets("date1904", "mac-1904.xlsx")
    assert sheet.date1904 is True
    assert sheet.rows[1][5] == 41305  # a plain number in a General cell
    dataset = load("date1904", tmp_path)
    rows = used_by_id(dataset)
    assert (rows["MAC-1"].date_issued, rows["MAC-1"].outcome_date) == (day("2017-01-28"), day("2017-02-01"))
    assert (rows["MAC-2"].date_issued, rows["MAC-2"].outcome_date) == (day("2017-01-28"), day("2017-02-03"))
    assert [p.code for p in dataset.problems] == []


@pytest.mark.parametrize("value, date1904, expected", [
    (42763, False, "2017-01-28"), (42763.99, False, "2017-01-28"), (41301, True, "2017-01-28"),
    ("2017-01-28", False, "2017-01-28"), ("2017-01-28 13:45:00", False, "2017-01-28"),
    ("2/3/2017", False, "2017-02-03"), ("28 Jan 2017", False, "2017-01-28"),
])
def test_parse_date(value, date1904, expected):
    assert parsers.parse_date(value, date1904).isoformat() == expected


@pytest.mark.parametrize("value", ["31/31/2017", "2017-02-30", "yesterday", 12, "1850-01-01"])
def test_parse_date_rejects(value):
    with pytest.raises(parsers.Invalid):
        parsers.parse_date(value)


# --------------------------------------------------------------------------- FIPS

def test_numeric_fips(tmp_path):
    dataset = load("numeric_fips", tmp_path)
    label = "D (County FIPS)"
    assert problem_keys(dataset) == [
        ("E303", "fips.xlsx", "Detainers", 5, label, "99999"),
        ("E303", "fips.xlsx", "Detainers", 8, label, "ABC"),
        ("E304", "fips.xlsx", "Detainers", 6, label, "06037"),
    ]
    e304 = next(p for p in dataset.problems if p.code == "E304")
    assert e304.message == "06037 is Los Angeles County, CA, but the row's State is IL"
    rows = used_by_id(dataset)
    assert {i: (r.county_fips, r.county_name) for i, r in rows.items()} == {
        "NF-1": ("06037", "Los Angeles County"), "NF-2": ("06037", "Los Angeles County"),
        "NF-3": ("06037", "Los Angeles County"), "NF-6": ("01001", "Autauga County")}
    for row in (5, 6, 8):
        assert row_at(dataset.detainers, "fips.xlsx", row).row_status == "error"
    # an invalid code is not carried on as if it were a county: the row (an error) falls back to its facility
    invalid = row_at(dataset.detainers, "fips.xlsx", 5)
    assert invalid.county_fips != "99999" and invalid.jurisdiction_source != "record"


def test_custom_format_fips_is_stored_as_a_number():
    (sheet,) = raw_sheets("numeric_fips", "fips.xlsx")
    assert sheet.rows[3][3] == 6037  # row 4: number formatted "00000", the reader sees 6037


@pytest.mark.parametrize("value, expected", [(6037, "06037"), (6037.0, "06037"), ("06037", "06037"),
                                             ("6037", "06037"), (" 42091 ", "42091"), ("42091.0", "42091")])
def test_parse_fips(value, expected):
    assert parsers.parse_fips(value) == expected


@pytest.mark.parametrize("value", ["ABC", 6037.5, "123", "420910"])
def test_parse_fips_rejects(value):
    with pytest.raises(parsers.Invalid):
        parsers.parse_fips(value)


# --------------------------------------------------------------------------- encodings, missing tokens

def test_bom_csv(tmp_path):
    (sheet,) = raw_sheets("bom_csv", "detainers-utf8.csv")
    assert sheet.rows[0][0] == "Detainer ID"  # the BOM is not part of the first header
    dataset = load("bom_csv", tmp_path)
    assert dataset.problems == []  # "n/a", "NULL", "-" are missing values, not unrecognised ones
    rows = used_by_id(dataset)
    b1, b2, b3 = rows["BOM-1"], rows["BOM-2"], rows["BOM-3"]
    assert (b1.facility, b1.city, b1.subject_id, b1.detainer_type) == ("Cañon City Jail", "Cañon City", "P-1", "I-247A")
    assert (b1.facility_code, b1.aor, b1.most_serious_conviction) == (None, None, None)  # n/a, NULL, -
    assert (b1.county_fips, b1.county_name, b1.outcome, b1.citizenship, b1.criminality) == (
        "08043", "Fremont County", "declined", "Mexico", "convicted")
    assert (b2.subject_id, b2.facility_code, b2.aor, b2.detainer_type) == (None, None, None, None)
    assert (b2.state, b2.county_fips, b2.outcome, b2.outcome_detail) == ("CO", "08043", "honored",
                                                                         "Booked into Detention")
    assert (b2.citizenship, b2.criminality, b2.most_serious_conviction) == ("unknown", "unknown",
                                                                             "Driving under the influence")
    assert (b3.outcome, b3.outcome_detail, b3.citizenship, b3.criminality, b3.most_serious_conviction) == (
        "pending", None, "unknown", "unknown", None)
    assert pd.isna(b3.outcome_date)
    assert (b3.facility_code, b3.aor, b3.county_name) == ("DENCOJL", "Denver", "Denver County")


def test_cp1252_csv(tmp_path):
    data = (FIXTURES / "cp1252_csv" / "detainers-excel.csv").read_bytes()
    assert b"Ca\xf1on" in data and b"\x96" in data  # really Windows-1252 bytes
    dataset = load("cp1252_csv", tmp_path)
    rows = used_by_id(dataset)
    assert {i: (r.facility, r.city, r.state) for i, r in rows.items()} == {
        "WIN-1": ("Cañon City Jail", "Cañon City", "CO"),
        "WIN-2": ("Peñasco Detention Center", "Peñasco", "NM"),
        "WIN-3": ("Doña Ana County Detention Center – Las Cruces", "Las Cruces", "NM"),
    }
    assert problem_keys(dataset) == [W402]


def test_decode_csv_bytes():
    assert delimited.decode_csv_bytes("\ufeffCañon".encode("utf-8")) == "Cañon"
    assert delimited.decode_csv_bytes("Cañon".encode("utf-8")) == "Cañon"
    assert delimited.decode_csv_bytes("Peñasco – NM".encode("cp1252")) == "Peñasco – NM"


# --------------------------------------------------------------------------- totals, merged headers

def test_total_rows_are_not_records(tmp_path):
    dataset = load("total_row", tmp_path)
    assert sorted(used_by_id(dataset)) == ["TOT-1", "TOT-11", "TOT-12", "TOT-2", "TOT-3"]
    assert len(dataset.detainers) == 5
    status = dataset.row_status.set_index(["source_file", "source_row"])["row_status"].to_dict()
    assert status[("week.csv", 5)] == "total row"
    assert status[("month.xlsx", 4)] == "blank row"
    assert status[("month.xlsx", 5)] == "total row"  # Subtotal
    assert status[("month.xlsx", 6)] == "total row"  # Grand total
    assert problem_keys(dataset) == []


def test_merged_header(tmp_path):
    dataset = load("merged_header", tmp_path)
    assert problem_keys(dataset) == [
        ("W202", "merged.xlsx", "Detainers", 1, "G (Remarks)", ""),
        ("W204", "merged.xlsx", "Detainers", 1, "C", ""),
    ]
    w204 = next(p for p in dataset.problems if p.code == "W204")
    assert "merged cell" in w204.message
    rows = used_by_id(dataset)
    assert {i: (r.facility, r.state) for i, r in rows.items()} == {"MH-1": ("Berks County Jail", "PA"),
                                                                  "MH-2": ("Berks County Jail", "PA")}


# --------------------------------------------------------------------------- duplicates and updates

def test_duplicates_within_a_file_and_newer_file_wins(tmp_path):
    dataset = load("duplicate_ids", tmp_path, order=["week1.xlsx", "week2.csv"])  # week2 is newer
    label = "A (Detainer ID)"
    assert problem_keys(dataset, {"E401", "W401"}) == [
        ("E401", "week1.xlsx", "Detainers", 3, label, "DUP-2"),
        ("E401", "week1.xlsx", "Detainers", 4, label, "DUP-2"),
        ("W401", "week1.xlsx", "Detainers", 6, label, "DUP-3"),
    ]
    assert next(p for p in dataset.problems if p.code == "W401").message == "same as row 5"
    rows = used_by_id(dataset)
    assert {i: (r.source_file, r.source_row) for i, r in rows.items()} == {
        "DUP-1": ("week2.csv", 2), "DUP-3": ("week1.xlsx", 5), "DUP-4": ("week2.csv", 3), "DUP-5": ("week2.csv", 4)}
    assert (rows["DUP-1"].outcome, rows["DUP-1"].outcome_date) == ("declined", day("2017-02-02"))
    statuses = {r: row_at(dataset.detainers, "week1.xlsx", r).row_status for r in range(2, 8)}
    assert statuses == {2: "superseded by week2.csv", 3: "error", 4: "error", 5: "used", 6: "repeat of row 5",
                        7: "superseded by week2.csv"}
    changes = {(c.detainer_id, c.field, c.old_value, c.new_value, c.old_file, c.old_row, c.new_file, c.new_row)
               for c in dataset.changes.itertuples(index=False)}
    assert changes == {
        ("DUP-1", "outcome", "pending", "declined", "week1.xlsx", 2, "week2.csv", 2),
        ("DUP-1", "outcome_detail", "Pending", "Declined", "week1.xlsx", 2, "week2.csv", 2),
        ("DUP-1", "outcome_date", "", "2017-02-02", "week1.xlsx", 2, "week2.csv", 2),
    }  # DUP-4 is the same in both files: superseded, but no change to log
    assert not [p for p in dataset.problems if p.code == "W402"]  # every facility of the fixture is attributed


def test_modification_times_do_not_decide_which_file_wins(tmp_path):
    """Copying or unzipping resets modification times: the data decide. week2.csv's latest date (an outcome on
    2017-02-03) is later than week1.xlsx's (2017-01-31), so week2.csv wins even when week1.xlsx is newer."""
    dataset = load("duplicate_ids", tmp_path, order=["week2.csv", "week1.xlsx"])  # week1 is newer on disk
    rows = used_by_id(dataset)
    assert {i: (r.source_file, r.source_row) for i, r in rows.items()} == {
        "DUP-1": ("week2.csv", 2), "DUP-3": ("week1.xlsx", 5), "DUP-4": ("week2.csv", 3), "DUP-5": ("week2.csv", 4)}
    assert (rows["DUP-1"].outcome, rows["DUP-1"].outcome_date) == ("declined", day("2017-02-02"))
    changes = {(c.detainer_id, c.field, c.old_file, c.new_file, c.old_file_as_of, c.new_file_as_of)
               for c in dataset.changes.itertuples(index=False)}
    assert ("DUP-1", "outcome", "week1.xlsx", "week2.csv", "2017-01-31", "2017-02-03") in changes
    got = reconciliation(dataset)
    assert (got[("week2.csv", "")]["used"], got[("week2.csv", "")]["reasons"]) == (3, {})


def _detainer_csv(path: Path, rows: list[list[str]]) -> None:
    lines = ["Detainer ID,Facility,State,Date Issued,Outcome,Outcome Date"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_as_of_date_in_the_file_name_and_name_as_tie_break(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _detainer_csv(inputs / "b-export.csv", [["A1", "Berks County Jail", "PA", "2017-01-28", "honored", "2017-01-30"]])
    _detainer_csv(inputs / "a-export-2017-03-01.csv",
                  [["A1", "Berks County Jail", "PA", "2017-01-28", "declined", "2017-01-29"]])
    _detainer_csv(inputs / "z-late.csv", [["B1", "Berks County Jail", "PA", "2017-01-28", "honored", "2017-01-30"]])
    _detainer_csv(inputs / "y-early.csv", [["B1", "Berks County Jail", "PA", "2017-01-28", "declined", "2017-01-30"]])
    dataset = load_inputs(inputs)
    rows = used_by_id(dataset)
    # A1: the date in the name (2017-03-01) is later than the other file's data (2017-01-30)
    assert (rows["A1"].source_file, rows["A1"].outcome) == ("a-export-2017-03-01.csv", "declined")
    # B1: both files' latest date is 2017-01-30: the name that sorts last wins
    assert (rows["B1"].source_file, rows["B1"].outcome) == ("z-late.csv", "honored")


def test_update_back_to_pending_is_a_warning_listing_the_detainers(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _detainer_csv(inputs / "export-2017-02-01.csv", [
        ["A1", "Berks County Jail", "PA", "2017-01-28", "declined", "2017-01-30"],
        ["A2", "Berks County Jail", "PA", "2017-01-28", "honored", "2017-01-29"],
        ["A3", "Berks County Jail", "PA", "2017-01-28", "", ""]])
    _detainer_csv(inputs / "export-2017-02-08.csv", [
        ["A1", "Berks County Jail", "PA", "2017-01-28", "", ""],
        ["A2", "Berks County Jail", "PA", "2017-01-28", "honored", "2017-01-29"],
        ["A3", "Berks County Jail", "PA", "2017-01-28", "declined", "2017-02-02"]])
    dataset = load_inputs(inputs)
    [warning] = [p for p in dataset.problems if p.code == "W410"]
    assert (warning.file, warning.row) == ("export-2017-02-08.csv", None)
    assert warning.message == ("1 detainer has no outcome in this file, which is the newest version, but had one "
                               "in an older file: A1 (row 2; declined in export-2017-02-01.csv row 2)")
    rows = used_by_id(dataset)
    assert {i: r.outcome for i, r in rows.items()} == {"A1": "pending", "A2": "honored", "A3": "declined"}


# --------------------------------------------------------------------------- sheets not read

def test_unknown_layout(tmp_path):
    dataset = load("unknown_layout", tmp_path)
    assert problem_keys(dataset) == [
        ("E201", "workbook.xlsx", "Partial", 2, "", ""),
        ("W201", "workbook.xlsx", "Notes", None, "", ""),
        ("W203", "workbook.xlsx", "Old data", None, "", ""),
        ("W205", "workbook.xlsx", "Empty", None, "", ""),
    ]
    e201 = next(p for p in dataset.problems if p.code == "E201")
    assert e201.message == "looks like a detainers table but has no 'Outcome' column"
    assert len(dataset.detainers) == 0  # the hidden sheet's row is not counted
    layouts = {k[1]: v["layout"] for k, v in reconciliation(dataset).items()}
    assert layouts == {"Notes": "sheet not recognised", "Old data": "hidden sheet, not read",
                       "Empty": "sheet not recognised", "Partial": "sheet not read: error in its header"}


# --------------------------------------------------------------------------- ICE export

ICE_FILE = "ice-detainers.xlsx"


def test_ice_export_layout_and_problems(tmp_path):
    (sheet,) = raw_sheets("ice_export", ICE_FILE)
    table, _ = ingest.recognise(sheet)
    assert (table.layout.name, table.header_row, table.record_rows) == ("ICE detainer export", 7, list(range(8, 15)))
    dataset = load("ice_export", tmp_path)
    assert problem_keys(dataset) == [
        ("W202", ICE_FILE, "Detainers", 7, "H (Birth Country), I (Gender), K (Detainer Prep Threat Level), "
         "M (MSC Charge Code), P (Case Status), R (EID Subject ID), S (Alien File Number Flag), "
         "T (Sex Offender Flag)", ""),
        ("W301", ICE_FILE, "Detainers", 11, "G (Citizenship Country)", "ATLANTIS"),
        ("W302", ICE_FILE, "Detainers", 12, "J (Detainer Prepared Criminality)", "Suspected Gang Member"),
        ("W401", ICE_FILE, "Detainers", 14, "", row_at(dataset.detainers, ICE_FILE, 13).detainer_id),
    ]
    assert next(p.message for p in dataset.problems if p.code == "W401") == "same as row 13"
    assert dataset.notes == [
        f"{ICE_FILE}, sheet 'Detainers' (ICE detainer export) has no outcome dates: its declines are "
        "attributed to the date the detainer was issued.",
        f"{ICE_FILE}, sheet 'Detainers' (ICE detainer export) has no detainer ID column: IDs are derived from "
        "the subject identifier and the prepare date and time (and the facility code where those repeat), which "
        "do not change between exports.",
    ]


def test_ice_export_values(tmp_path):
    dataset = load("ice_export", tmp_path)
    frame = dataset.used("detainers")
    assert len(frame) == 6
    assert row_at(dataset.detainers, ICE_FILE, 14).row_status == "repeat of row 13"
    got = {r.source_row: (r.outcome, r.outcome_detail, r.criminality, r.citizenship, r.state, r.date_issued)
           for r in frame.itertuples(index=False)}
    assert got == {
        8: ("declined", "Detainer Declined by LEA", "convicted", "Mexico", "TX", day("2017-01-28")),
        9: ("honored", "Booked into Detention", "pending charges", "Honduras", "TX", day("2017-01-28")),
        10: ("pending", None, "none", "South Korea", "TX", day("2017-01-29")),
        11: ("other", "Transferred", "convicted", "unknown", "CA", day("2017-01-30")),
        12: ("declined", "Detainer Declined by LEA", "unknown", "Guatemala", "TX", day("2017-01-31")),
        13: ("honored", "Booked into Detention", "pending charges", "El Salvador", "TX", day("2017-02-01")),
    }
    first = row_at(frame, ICE_FILE, 8)
    assert (first.facility, first.facility_code, first.city, first.aor, first.most_serious_conviction,
            first.detainer_type, first.subject_id) == (
        "HARRIS COUNTY JAIL", "HARRITX", "HOUSTON", "Houston Area of Responsibility",
        "Driving Under Influence Liquor", "I-247A Immigration Detainer - Notice of Action", "U-0001")
    # no outcome date column: a decided detainer is dated by its issue date, a pending one has none
    assert first.outcome_date == day("2017-01-28")
    assert pd.isna(row_at(frame, ICE_FILE, 10).outcome_date)
    assert set(frame["outcome_date_source"]) == {"issue date (no outcome date in layout)"}


def test_ice_export_derived_ids(tmp_path):
    first = load("ice_export", tmp_path / "a")
    second = load("ice_export", tmp_path / "b")
    ids = first.detainers.set_index("source_row")["detainer_id"].to_dict()
    assert ids == second.detainers.set_index("source_row")["detainer_id"].to_dict()  # stable across loads
    assert len(set(ids.values())) == 6  # rows 13 and 14: same subject, same prepare time: one detainer
    assert ids[13] == ids[14]
    assert all(i.startswith("ice-") for i in ids.values())
    assert not any("U-000" in i for i in ids.values())  # the subject identifier is not readable in the ID
    # the ID depends on the record, not on the file name
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    shutil.copy(FIXTURES / "ice_export" / ICE_FILE, renamed / "export-2017-02-01.xlsx")
    again = load_inputs(renamed).detainers.set_index("source_row")["detainer_id"].to_dict()
    assert again == ids


def _ice_export_copy(path: Path, edit=None) -> None:
    wb = openpyxl.load_workbook(FIXTURES / "ice_export" / ICE_FILE)
    if edit:
        edit(wb["Detainers"])
    wb.save(path)


def test_ice_export_respelled_facility_is_the_same_detainer(tmp_path):
    """A re-export that respells a facility (or changes anything but the subject and prepare time) updates the
    same detainers: it never creates a second detainer."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(FIXTURES / "ice_export" / ICE_FILE, inputs / "export-2017-02-01.xlsx")

    def respell(ws):
        assert ws["D7"].value == "Detention Facility" and ws["D8"].value == "HARRIS COUNTY JAIL"
        for row in range(8, 15):
            if ws[f"D{row}"].value == "HARRIS COUNTY JAIL":
                ws[f"D{row}"] = "HARRIS CO. JAIL"
    _ice_export_copy(inputs / "export-2017-02-08.xlsx", respell)
    dataset = load_inputs(inputs)
    used = dataset.used("detainers")
    assert len(used) == 6 and set(used["source_file"]) == {"export-2017-02-08.xlsx"}
    assert dataset.errors == []
    respelled = {(c.field, c.old_value, c.new_value) for c in dataset.changes.itertuples(index=False)}
    assert respelled == {("facility", "HARRIS COUNTY JAIL", "HARRIS CO. JAIL")}
    assert dataset.changes["detainer_id"].nunique() == 4  # rows 8, 12, 13 (= 14) are at Harris County


def test_ice_export_ids_are_the_same_from_a_csv_export(tmp_path):
    """The prepare time keys the ID whether the cell is a date-time (xlsx) or text (CSV)."""
    xlsx = load("ice_export", tmp_path / "xlsx")
    wb = openpyxl.load_workbook(FIXTURES / "ice_export" / ICE_FILE, read_only=True)
    lines = [[("" if v is None else v.isoformat(sep=" ") if hasattr(v, "isoformat") else str(v)) for v in row]
             for row in wb["Detainers"].iter_rows(min_row=7, values_only=True)]
    wb.close()
    folder = tmp_path / "csv"
    folder.mkdir()
    with open(folder / "export.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)
    from_csv = load_inputs(folder).detainers
    assert list(from_csv["detainer_id"]) == list(xlsx.detainers["detainer_id"])


def test_ice_export_newer_export_updates_the_same_detainers(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(FIXTURES / "ice_export" / ICE_FILE, inputs / "week1.xlsx")
    wb = openpyxl.load_workbook(FIXTURES / "ice_export" / ICE_FILE)
    ws = wb["Detainers"]
    assert ws["N7"].value == "Detainer Lift Reason" and ws["N10"].value is None
    ws["N10"] = "Detainer Declined by LEA"  # the pending detainer of row 10 was declined since
    wb.save(inputs / "week2.xlsx")
    os.utime(inputs / "week1.xlsx", (BASE_MTIME, BASE_MTIME))
    os.utime(inputs / "week2.xlsx", (BASE_MTIME + 86400, BASE_MTIME + 86400))
    dataset = load_inputs(inputs)
    used = dataset.used("detainers")
    assert len(used) == 6 and set(used["source_file"]) == {"week2.xlsx"}  # same data dates: the name decides
    changed_id = row_at(used, "week2.xlsx", 10).detainer_id
    changes = {(c.detainer_id, c.field, c.old_value, c.new_value) for c in dataset.changes.itertuples(index=False)}
    assert changes == {
        (changed_id, "outcome", "pending", "declined"),
        (changed_id, "outcome_detail", "", "Detainer Declined by LEA"),
        (changed_id, "outcome_date", "", "2017-01-29"),
    }


@pytest.mark.parametrize("text, expected", [
    ("1 Convicted Criminal", "convicted"), ("2 Pending Criminal Charges", "pending charges"),
    ("3 Other Immigration Violator", "none"), ("convicted", "convicted"), ("No criminal record", "none"),
])
def test_criminality_vocabulary(text, expected):
    assert parsers.parse_criminality(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Detainer Declined by LEA", "declined"), ("Booked into Detention", "honored"),
    ("Transferred", "other"), ("Case Closed", "other"), ("Lifted - Lack of Funds", "other"),
    ("declined", "declined"), ("Honoured", "honored"), ("detainer declined by lea", "declined"),
])
def test_outcome_vocabulary(text, expected):
    assert parsers.parse_outcome(text) == expected


# The brief's list of lift reasons seen in real data, mapped by hand: only the two below are not "other".
BRIEF_LIFT_REASONS = {
    "Booked into Detention": "honored", "Detainer Declined by LEA": "declined", "Case Closed": "other",
    "Lifted": "other", "Transferred": "other", "Prosecutorial Discretion": "other",
    "Alien Not Subject to Deportation": "other", "United States Citizen Interviewed": "other",
    "Early Release": "other", "Died": "other", "Lifted - Lack of Funds": "other", "Lifted - Lack of Space": "other",
}


def test_every_lift_reason_of_the_real_data_is_mapped_explicitly():
    from reports.vocabulary import ICE_LIFT_REASONS

    assert {reason: outcome for reason, (outcome, _) in ICE_LIFT_REASONS.items()} == BRIEF_LIFT_REASONS
    if PA_DETAINERS.exists():  # and nothing in the real extract is left over
        with open(PA_DETAINERS, newline="", encoding="utf-8") as handle:
            reasons = {r["lift_reason"] for r in csv.DictReader(handle)} - {""}
        assert reasons == set(BRIEF_LIFT_REASONS)


@pytest.mark.parametrize("text, nearest", [
    ("Detainer Declned by LEA", "'Detainer Declined by LEA'"), ("Decliend", "'declined', 'Died'"),
    ("DECLINED BY LEA", "'Detainer Declined by LEA', 'declined'"),
])
def test_misspelled_outcome_is_an_error_naming_the_nearest_values(text, nearest, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "week.csv").write_text("Detainer ID,Facility,State,County FIPS,Date Issued,Outcome,Outcome Date\n"
                                     "A1,Travis County Jail,TX,48453,2017-02-01,Detainer Declined by LEA,2017-02-02\n"
                                     f"A2,Travis County Jail,TX,48453,2017-02-01,{text},2017-02-02\n")
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E313", "week.csv", "", 3, "F (Outcome)", text)]
    assert dataset.problems[0].message.startswith(f"not a known outcome; nearest known: {nearest}.")
    assert "[outcomes]" in dataset.problems[0].message
    assert row_at(dataset.detainers, "week.csv", 3).row_status == "error"  # not counted as "other"
    assert list(dataset.used("detainers")["outcome"]) == ["declined"]
    mapping = dataset.value_mapping.set_index("value")
    assert mapping.loc[text, "counted_as"] == "not counted (E313: not recognised)"
    assert mapping.loc["Detainer Declined by LEA", ["counted_as", "rows"]].tolist() == ["declined", 1]


def test_a_new_lift_reason_is_mapped_in_settings(tmp_path):
    from reports.settings import load_settings

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "week.csv").write_text("Detainer ID,Facility,State,County FIPS,Date Issued,Outcome,Outcome Date\n"
                                     "A1,Travis County Jail,TX,48453,2017-02-01,Released on Bond,2017-02-02\n"
                                     "A2,Travis County Jail,TX,48453,2017-02-01,,\n")
    assert [p.code for p in load_inputs(inputs).errors] == ["E313"]
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[outcomes]\n"Released on Bond" = "other"\n', encoding="utf-8")
    dataset = load_inputs(inputs, settings=load_settings(settings_file))
    assert dataset.errors == []
    a1 = used_by_id(dataset)["A1"]
    assert (a1.outcome, a1.outcome_detail) == ("other", "Released on Bond")  # the reason is kept
    mapping = {(r.column, r.value): (r.counted_as, r.rows) for r in dataset.value_mapping.itertuples()}
    assert mapping[("Outcome", "Released on Bond")] == ("other", 1)
    assert mapping[("Outcome", "(blank)")] == ("pending", 1)


def test_outcomes_setting_must_name_an_outcome(tmp_path):
    from reports.settings import SettingsError, load_settings

    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[outcomes]\n"Released on Bond" = "released"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="must be one of declined, honored, pending, other"):
        load_settings(settings_file)


def test_criminality_and_citizenship_unknowns_stay_warnings_with_the_counted_as_list(tmp_path):
    dataset = load("ice_export", tmp_path)
    assert [p.code for p in dataset.errors] == []
    mapping = {(r.column, r.value): (r.counted_as, r.rows) for r in dataset.value_mapping.itertuples()}
    assert mapping[("Citizenship", "ATLANTIS")] == ("unknown (W301: not recognised)", 1)
    assert mapping[("Criminality", "Suspected Gang Member")] == ("unknown (W302: not recognised)", 1)
    assert mapping[("Criminality", "2 Pending Criminal Charges")] == ("pending charges", 3)  # rows 9, 13, 14
    assert mapping[("Citizenship", "KOREA, SOUTH")] == ("South Korea", 1)
    assert mapping[("Outcome", "(blank)")] == ("pending", 1)
    assert sum(rows for (column, _), (_, rows) in mapping.items() if column == "Outcome") == 7


def test_citizenship_spellings_of_one_country_count_together():
    for spellings in (["KOREA, SOUTH", "KOR", "South Korea"], ["VIETNAM", "VNM", "Viet Nam"],
                      ["IRAN", "IRN"], ["CHINA, PEOPLES REPUBLIC OF", "CHN", "China"], ["MEXICO", "MEX"]):
        assert len({parsers.parse_citizenship(s) for s in spellings}) == 1, spellings
    with pytest.raises(parsers.Unrecognised):
        parsers.parse_citizenship("ATLANTIS")


# --------------------------------------------------------------------------- older FOIA export

FOIA_FILE = "pa_first50.csv"
BRIEF_OUTCOMES = {"Detainer Declined by LEA": "declined", "Booked into Detention": "honored", "": "pending"}


def foia_csv_rows() -> list[dict]:
    with open(FIXTURES / "foia_export" / FOIA_FILE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_foia_export_counts_every_row(tmp_path):
    source = foia_csv_rows()
    assert len(source) == 52
    assert source[-1] == source[-2]  # the two appended lines are identical
    dataset = load("foia_export", tmp_path)
    used = dataset.used("detainers")
    assert len(used) == 52 and len(dataset.detainers) == 52
    assert used["detainer_id"].is_unique
    expected = pd.Series([BRIEF_OUTCOMES.get(r["lift_reason"], "other") for r in source]).value_counts().to_dict()
    assert used["outcome"].value_counts().to_dict() == expected
    assert expected["declined"] == 2
    for line, r in enumerate(source, start=2):  # every record, by its CSV line number
        row = row_at(used, FOIA_FILE, line)
        assert row.facility == r["det_facility"] and row.city == r["city"] and row.state == "PA"
        assert row.date_issued == day(r["date"][:10])
        assert row.outcome_detail == (r["lift_reason"] or None)
        assert (row.detainer_type or "") == r["detainer_type"]
    assert problem_keys(dataset) == [("W411", FOIA_FILE, "", None, "", "")]
    # exact repeats, found here by comparing whole lines: reported, and still counted as separate detainers
    seen, repeats = set(), []
    for line, r in enumerate(source, start=2):
        key = tuple(r.values())
        if key in seen:
            repeats.append(line)
        seen.add(key)
    w411 = next(p for p in dataset.problems if p.code == "W411")
    assert w411.message.startswith(f"{len(repeats)} {'row repeats' if len(repeats) == 1 else 'rows repeat'} an "
                                   "earlier row exactly")
    assert f"row {repeats[0]} repeats row" in w411.message
    # every facility of these real rows is attributed, to the county checked by hand against the sources
    by_hand = {
        "MOSHANNON VALLEY CORRECTIONAL": ("42033", "reference-words"),  # mailing town Philipsburg is in Centre
        "BUCKS CNTY JAIL, PA": ("42017", "reference-name"), "CHESTER CNTY JAIL, PA": ("42029", "reference-name"),
        "MONTGOMERY CNTY JAIL, PA": ("42091", "name-names-county"),
        "LEWISBURG U.S. PEN.": ("42119", "reference-name"), "SCI SMITHFIELD": ("42061", "reference-name"),
        "CURRAN FROMHOLD CORR.FAC.": ("42101", "reference-name"), "ALLENWOOD (MED) FCI": ("42119", "reference-name"),
        "FDC PHILADELPHIA": ("42101", "reference-name"), "ALLENWOOD (LOW) FCI": ("42119", "reference-name"),
        "PHILADELPHIA DETENTION CT": ("42101", "reference-name"), "SCI COAL TOWNSHIP": ("42097", "reference-name"),
        "LORETTO FED.CORR.INST.": ("42021", "reference-name"), "DELAWARE CO JAIL": ("42045", "reference-name"),
        "PIKE COUNTY JAIL": ("42103", "name-names-county"), "SCHUYLKILL FED.CORR.INST.": ("42107", "reference-name"),
    }
    assert {r["det_facility"] for r in source} == set(by_hand)
    got = {(r.facility, r.county_fips, r.jurisdiction_source) for r in used.itertuples(index=False)}
    assert got == {(facility, *expected) for facility, expected in by_hand.items()}


def test_foia_export_notes(tmp_path):
    dataset = load("foia_export", tmp_path)
    assert dataset.notes == [
        f"{FOIA_FILE} (older FOIA detainer export) has no outcome dates: its declines are attributed to the date "
        "the detainer was issued.",
        f"{FOIA_FILE} (older FOIA detainer export) has no detainer or subject IDs: identical rows are counted as "
        "separate detainers, and duplicates across files cannot be detected.",
    ]


def test_foia_export_same_rows_in_two_files_are_never_merged(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(FIXTURES / "foia_export" / FOIA_FILE, inputs / "a.csv")
    shutil.copy(FIXTURES / "foia_export" / FOIA_FILE, inputs / "b.csv")
    dataset = load_inputs(inputs)
    assert len(dataset.used("detainers")) == 104
    assert dataset.changes.empty
    assert dataset.errors == []


# --------------------------------------------------------------------------- jurisdictions

def test_facilities_jurisdictions(tmp_path):
    """The staff sheet wins where it maps a facility; the bundled reference and the name do the rest."""
    dataset = load("facilities", tmp_path)
    rows = used_by_id(dataset)
    got = {i: (r.county_fips, r.jurisdiction_source, r.county_name) for i, r in rows.items()}
    assert got == {
        "FIPS-1": ("42011", "record", "Berks County"),
        "FAC-1": ("42011", "staff", "Berks County"),  # by code
        "FAC-2": ("42077", "staff", "Lehigh County"),  # by name
        "FAC-3": ("42091", "name-names-county", "Montgomery County"),
        "FAC-4": ("42119", "reference-name", "Union County"),
        "FAC-5": ("42055", "reference-name", "Franklin County"),
        # staff mapped DAUPHPA to two counties (E402): the staff sheet says nothing, the reference does
        "FAC-6": ("42043", "reference-code", "Dauphin County"),
        "FAC-7": ("42091", "name-names-county", "Montgomery County"),
    }
    label = "D (County FIPS)"
    assert problem_keys(dataset) == [
        ("E402", "facilities.xlsx", "By code", 3, label, "42043"),
        ("E402", "facilities.xlsx", "By code", 4, label, "42041"),
        ("E402", "facilities.xlsx", "By code", 5, label, "42017"),
        ("E402", "facilities.xlsx", "By code", 6, label, "42019"),
    ]
    messages = {p.row: p.message for p in dataset.problems if p.code == "E402"}
    assert messages[3] == "Dauphin County Prison (PA) is mapped to 42041, 42043"
    assert messages[5] == "Bucks County Jail (PA) is mapped to 42017, 42019"


def test_facilities_attribution_review(tmp_path):
    dataset = load("facilities", tmp_path)
    review = [(r["Facility"], r["Facility Code"], r["State"], r["County FIPS"], r["Method"], r["Detainers"])
              for r in dataset.attribution.to_dict("records")]
    assert review == [  # weakest method first, then most detainers
        ("MONTGOMERY CNTY JAIL, PA", "", "PA", "42091", "name-names-county", 2),
        ("FRANKLIN CNTY JAIL", "", "PA", "42055", "reference-name", 1),
        ("LEWISBURG U.S. PEN.", "", "PA", "42119", "reference-name", 1),
        ("DAUPHIN COUNTY PRISON", "DAUPHPA", "PA", "42043", "reference-code", 1),
        ("BERKS COUNTY JAIL", "BERKSPA", "PA", "42011", "staff", 1),
        ("Lehigh County Prison", "", "PA", "42077", "staff", 1),
        ("BERKS COUNTY JAIL", "BERKSPA", "PA", "42011", "record", 1),  # the other file: no city, own FIPS
    ]
    evidence = {(r["Facility"], r["Method"]): r["Evidence"] for r in dataset.attribution.to_dict("records")}
    assert evidence[("BERKS COUNTY JAIL", "staff")] == \
        "facilities sheet facilities.xlsx [By code] row 2, by facility code BERKSPA"
    assert evidence[("Lehigh County Prison", "staff")] == "facilities sheet facilities.xlsx [By name] row 2, by facility name"
    assert evidence[("MONTGOMERY CNTY JAIL, PA", "name-names-county")] == "the name names Montgomery County, PA"


# --------------------------------------------------------------------------- charges

def test_charges_linking(tmp_path):
    dataset = load("charges", tmp_path)
    assert problem_keys(dataset) == [
        ("E403", "charges.xlsx", "Charges", 4, "A (Subject ID)", "P-3"),
        ("E403", "charges.xlsx", "Charges", 5, "B (Detainer ID)", "CHD-3"),
    ]
    charges = dataset.charges
    got = {r.source_row: (r.row_status, r.linked_detainer_id, r.declined_county_fips, r.subsequent)
           for r in charges.itertuples(index=False)}
    assert got == {
        2: ("used", "CHD-1", "48453", True),  # by Subject ID; arrested after the decline
        3: ("used", "CHD-2", "48453", False),  # by Detainer ID; arrested before the decline
        4: ("error", None, None, False),
        5: ("error", None, None, False),
        6: ("used", "CHD-4", "48201", False),  # arrested the day of the decline: not later
    }
    assert row_at(charges, "charges.xlsx", 2).declined_date == day("2017-01-28")
    assert row_at(charges, "charges.xlsx", 6).declined_date == day("2017-01-30")
    assert [row_at(charges, "charges.xlsx", r).status for r in (2, 3, 5, 6)] == [
        "pending", "convicted", "dismissed", "acquitted"]


# --------------------------------------------------------------------------- bad values

def test_bad_values(tmp_path):
    dataset = load("bad_values", tmp_path)
    x = ("detainers.xlsx", "Detainers")
    assert problem_keys(dataset) == [
        ("E301", *x, 2, "B (Facility)", ""),
        ("E302", *x, 3, "D (Date Issued)", "31/31/2017"),
        ("E305", *x, 4, "C (State)", "Atlantis"),
        ("E306", "charges.csv", "", 2, "F (Status)", "maybe"),
        ("E307", *x, 5, "F (Outcome Date)", "2017-01-30"),
        ("W303", *x, 6, "F (Outcome Date)", ""),
    ]
    assert next(p for p in dataset.problems if p.code == "E307").message == "issued 2017-02-01"
    assert {r.detainer_id: r.row_status for r in dataset.detainers.itertuples(index=False)} == {
        "BAD-1": "error", "BAD-2": "error", "BAD-3": "error", "BAD-4": "error", "BAD-5": "used", "BAD-6": "used"}
    bad5 = used_by_id(dataset)["BAD-5"]
    assert (bad5.outcome, bad5.outcome_date, bad5.outcome_date_source) == (
        "declined", day("2017-02-01"), "issue date (outcome date blank)")
    assert dataset.notes == ["detainers.xlsx, sheet 'Detainers' (detainers (project template)) holds 1 declined "
                             "detainer without an outcome date: it is attributed to the date issued."]
    assert dataset.public_notes() == ["Source file 2 (detainers, detainers (project template)) holds 1 declined "
                                      "detainer without an outcome date: it is attributed to the date issued."]
    charge = row_at(dataset.charges, "charges.csv", 3)
    assert (charge.row_status, charge.linked_detainer_id, charge.subsequent) == ("used", "BAD-6", True)


# --------------------------------------------------------------------------- files that are not read

def test_other_files_in_inputs_are_reported_not_read(tmp_path):
    inputs = copy_case("cp1252_csv", tmp_path / "inputs")
    (inputs / "notes.txt").write_text("remember to check Travis County\n")
    (inputs / "~$week.xlsx").write_bytes(b"lock")
    (inputs / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (inputs / ".DS_Store").write_bytes(b"\0")
    dataset = load_inputs(inputs)
    assert problem_keys(dataset, {"W101", "E101", "W201"}) == [
        ("E101", "old.xls", "", None, "", ""),
        ("W101", "~$week.xlsx", "", None, "", ""),
        ("W201", "notes.txt", "", None, "", ""),  # a .txt file is read: this one is not a table
    ]
    assert [p.code for p in dataset.errors] == ["E101"]
    assert dataset.files == ["detainers-excel.csv", "notes.txt"]
    assert len(dataset.used("detainers")) == 3


def test_not_a_zip_is_e101(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "broken.xlsx").write_bytes(b"this is not a spreadsheet")
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E101", "broken.xlsx", "", None, "", "")]
    assert reconciliation(dataset)[("broken.xlsx", "")]["layout"] == "not read"
