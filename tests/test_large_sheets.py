"""Large sheets are read by column (reports/xlsx.py); what they give must be what a whole-sheet read gives."""
from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

from ingest_helpers import FIXTURES
from reports import xlsx
from reports.load import load_inputs

TODAY = dt.date(2026, 11, 30)
# Large only in kind: the tests set xlsx.LARGE_SHEET_ROWS themselves to choose the path, so a few thousand rows
# more would test nothing more.
SYNTHETIC_ROWS = 1_500
WORKBOOK_CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and any(p.rglob("*.xlsx")))


def _both(folder, monkeypatch):
    monkeypatch.setattr(xlsx, "LARGE_SHEET_ROWS", 10**9)
    whole = load_inputs(folder, today=TODAY)
    monkeypatch.setattr(xlsx, "LARGE_SHEET_ROWS", 0)
    by_column = load_inputs(folder, today=TODAY)
    return whole, by_column


def _assert_same(a, b):
    for kind in ("detainers", "charges", "facilities", "policies", "correction_rows"):
        pd.testing.assert_frame_equal(getattr(a, kind).reset_index(drop=True), getattr(b, kind).reset_index(drop=True))
    assert [p.line() for p in a.problems] == [p.line() for p in b.problems]
    pd.testing.assert_frame_equal(a.reconciliation, b.reconciliation)


@pytest.mark.parametrize("case", WORKBOOK_CASES)
def test_every_workbook_fixture_reads_the_same_by_column(case, tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / case, tmp_path / case)
    _assert_same(*_both(tmp_path / case, monkeypatch))


def test_a_large_export_is_read_by_column_with_the_same_result(tmp_path, monkeypatch):
    """Title rows, a merged data cell, a formula without a saved result, notes and a total below the data."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Detainers"
    for title in ("ICE detainers", "as of 2017-03-01", "", "", "", ""):
        ws.append([title])
    ws.append(["Detainer Prepare Date", "Unique Identifier", "Detention Facility", "Detention Facility Code",
               "Facility State", "Detainer Lift Reason", "Detainer Lift Date", "Citizenship Country",
               "Detainer Prepared Criminality", "Birth Country"])
    reasons = ["Detainer Declined by LEA", "Booked into Detention", "", "Case Closed"]
    for n in range(SYNTHETIC_ROWS):
        issued = dt.datetime(2017, 1, 2, 8) + dt.timedelta(hours=n)
        reason = reasons[n % 4]
        ws.append([issued, f"S{n:06d}", "LEHIGH COUNTY JAIL (PENNSYLVANIA)", "LEHIGPA", "PA", reason,
                   issued + dt.timedelta(days=2) if reason else None, "MEXICO", "1 Convicted Criminal", "MEXICO"])
    ws.merge_cells("F100:F102")
    ws["C200"] = "=UPPER(\"x\")"  # never calculated: no saved value
    ws.append([])
    ws.append(["Total", SYNTHETIC_ROWS])
    ws.append(["Source: ICE, via FOIA"])
    wb.save(folder / "export.xlsx")
    calls = []
    real = xlsx.column_reader
    monkeypatch.setattr(xlsx, "column_reader", lambda *a: calls.append(a) or real(*a))
    whole, by_column = _both(folder, monkeypatch)
    assert calls, "the large path was not taken"
    _assert_same(whole, by_column)
    codes = sorted({p.code for p in by_column.problems})
    assert {"E104", "E203", "W202"} <= set(codes)
    assert by_column.reconciliation.iloc[0]["excluded_reasons"] == ("error: 4; blank row: 1; total row: 1; "
                                                                    "note below the data: 1")


def test_a_date_column_mixing_date_numbers_and_text_falls_back_to_a_whole_read(tmp_path, monkeypatch):
    folder = tmp_path / "inputs"
    folder.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome"])
    for n in range(SYNTHETIC_ROWS):
        day = 42763 + n % 5 if n % 2 else dt.datetime(2017, 1, 28) + dt.timedelta(days=n % 5)
        ws.append([f"D{n}", "Travis County Jail", "TX", "48453", day if n != 7 else "n/a", "pending"])
    wb.save(folder / "mixed.xlsx")
    whole, by_column = _both(folder, monkeypatch)
    _assert_same(whole, by_column)
    assert len(by_column.used("detainers")) == SYNTHETIC_ROWS - 1  # the date numbers are dates; only "n/a" is missing
