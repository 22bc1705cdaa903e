"""Large sheets are read by column (reports/xlsx.py); what they give must be what a whole-sheet read gives."""
from __future__ import annotations

import datetime as dt
import re
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


def _both(folder, monkeypatch, block_bytes=None, cuttable=True):
    """The inputs read whole (python-calamine, cell by cell), then by column; with ``block_bytes``, the sheet is
    handed to calamine in blocks of rows that small (a few rows each), and the reads are that small too.
    Unless told otherwise, the sheets must have been read in blocks, not whole by fastexcel."""
    monkeypatch.setattr(xlsx, "LARGE_SHEET_ROWS", 10**9)
    whole = load_inputs(folder, today=TODAY)
    monkeypatch.setattr(xlsx, "LARGE_SHEET_ROWS", 0)
    if block_bytes:
        monkeypatch.setattr(xlsx, "ROW_BLOCK_XML_BYTES", block_bytes)
        monkeypatch.setattr(xlsx, "_READ_BYTES", block_bytes // 3)
        monkeypatch.setattr(xlsx, "SHARED_STRINGS_PER_BLOCK", 0)
    read_whole = []
    real_whole = xlsx._read_whole
    monkeypatch.setattr(xlsx, "_read_whole", lambda *a: read_whole.append(a) or real_whole(*a))
    by_column = load_inputs(folder, today=TODAY)
    assert bool(read_whole) != cuttable
    return whole, by_column


def _assert_same(a, b):
    for kind in ("detainers", "charges", "facilities", "policies", "correction_rows"):
        pd.testing.assert_frame_equal(getattr(a, kind).reset_index(drop=True), getattr(b, kind).reset_index(drop=True))
    assert [p.line() for p in a.problems] == [p.line() for p in b.problems]
    pd.testing.assert_frame_equal(a.reconciliation, b.reconciliation)



def _staff_workbook(path, rows) -> None:
    """A staff detainer sheet (the simple layout) holding ``rows`` under its header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome"])
    for row in rows:
        ws.append(row)
    wb.save(path)


def _record_blocks(monkeypatch) -> list:
    """The row count asked of each block read (None: to the last cell)."""
    counts = []
    real_block = xlsx._read_block
    monkeypatch.setattr(xlsx, "_read_block", lambda *a: counts.append(a[1]) or real_block(*a))
    return counts

@pytest.mark.parametrize("block_bytes", [None, 700])
@pytest.mark.parametrize("case", WORKBOOK_CASES)
def test_every_workbook_fixture_reads_the_same_by_column(case, block_bytes, tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / case, tmp_path / case)
    _assert_same(*_both(tmp_path / case, monkeypatch, block_bytes))


@pytest.mark.parametrize("block_bytes", [None, 20_000])
def test_a_large_export_is_read_by_column_with_the_same_result(block_bytes, tmp_path, monkeypatch):
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
    blocks = _record_blocks(monkeypatch)
    whole, by_column = _both(folder, monkeypatch, block_bytes)
    assert calls, "the large path was not taken"
    if block_bytes:  # blocks of rows covering every row below the header, up to the last note
        assert len(blocks) > 10 and blocks[-1] is None and min(blocks[:-1]) > 0
    _assert_same(whole, by_column)
    codes = sorted({p.code for p in by_column.problems})
    assert {"E104", "E203", "W202"} <= set(codes)
    assert by_column.reconciliation.iloc[0]["excluded_reasons"] == ("error: 4; blank row: 1; total row: 1; "
                                                                    "note below the data: 1")


@pytest.mark.parametrize("block_bytes", [None, 5_000])
def test_a_date_column_mixing_date_numbers_and_text_falls_back_to_a_whole_read(block_bytes, tmp_path, monkeypatch):
    folder = tmp_path / "inputs"
    folder.mkdir()
    days = (42763 + n % 5 if n % 2 else dt.datetime(2017, 1, 28) + dt.timedelta(days=n % 5)
            for n in range(SYNTHETIC_ROWS))
    _staff_workbook(folder / "mixed.xlsx", ([f"D{n}", "Travis County Jail", "TX", "48453", day if n != 7 else "n/a",
                                            "pending"] for n, day in enumerate(days)))
    whole, by_column = _both(folder, monkeypatch, block_bytes)
    _assert_same(whole, by_column)
    assert len(by_column.used("detainers")) == SYNTHETIC_ROWS - 1  # the date numbers are dates; only "n/a" is missing


def test_a_column_typed_differently_in_different_blocks_reads_as_a_whole_read_does(tmp_path, monkeypatch):
    """Dates in the first blocks, then a block where the same column holds text and numbers, then a block of
    blank rows and a block where a column holds nothing: each block is typed on its own, and the values are
    the cells' own, as a cell-by-cell read gives them."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    rows = []
    for n in range(SYNTHETIC_ROWS):
        day = dt.datetime(2017, 1, 28) + dt.timedelta(days=n % 5)
        if n > 1_200:
            day = "unknown" if n % 3 == 0 else "2017-02-01"
        county = "" if 600 < n < 800 else 48453 if n > 1_000 else "48453"
        rows.append([f"D{n}", "Travis County Jail", "TX", county, day, "pending"])
    rows += [[], [], ["D-last", "Travis County Jail", "TX", "48453", dt.datetime(2017, 2, 2), "pending"]]
    _staff_workbook(folder / "typed-by-block.xlsx", rows)
    blocks = _record_blocks(monkeypatch)
    whole, by_column = _both(folder, monkeypatch, block_bytes=4_000)
    assert len(blocks) > 20
    _assert_same(whole, by_column)
    assert len(by_column.used("detainers")) == SYNTHETIC_ROWS + 1 - sum(1 for n in range(1_201, SYNTHETIC_ROWS)
                                                                        if n % 3 == 0)


def test_a_sheet_whose_rows_carry_no_numbers_is_read_whole(tmp_path, monkeypatch):
    """A row without its r="…" is numbered by its place, so the rows cannot be cut into blocks safely."""
    import zipfile

    folder = tmp_path / "inputs"
    folder.mkdir()
    _staff_workbook(tmp_path / "numbered.xlsx", ([f"D{n}", "Travis County Jail", "TX", "48453",
                                                 dt.datetime(2017, 1, 28), "pending"] for n in range(200)))
    with zipfile.ZipFile(tmp_path / "numbered.xlsx") as source, \
            zipfile.ZipFile(folder / "unnumbered.xlsx", "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<row r="\d+"', b"<row", data)
            target.writestr(item, data)
    whole, by_column = _both(folder, monkeypatch, block_bytes=2_000, cuttable=False)
    _assert_same(whole, by_column)
    assert len(by_column.used("detainers")) == 200


def test_the_formula_test_finds_every_formula_tag_and_no_font_tag():
    """Whether a sheet holds formulas decides whether their saved values are checked: every form of the <f>
    start tag counts; a rich text's <family> and <font> do not."""
    from reports.xlsx import FORMULA_START

    for tag in (b"<f>SUM(A1:A3)</f>", b'<f t="shared" ref="B2:B9" si="0">A2</f>', b'<f t="shared" si="0"/>',
                b"<f/>", b"<f\n>A1</f>"):
        assert FORMULA_START.search(b'<c r="B2"><v>1</v></c><c r="B3">' + tag + b"</c>"), tag
    for text in (b'<rPr><rFont val="Calibri"/><family val="2"/></rPr>', b"<font><sz/></font>", b"<v>f</v>"):
        assert FORMULA_START.search(text) is None, text


def _shared_strings_export(path, texts, formula_result=None) -> None:
    """An ICE-layout export written as Excel and ICE's tools write text: into the shared-strings table."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                              "strings_to_urls": False})
    sheet = workbook.add_worksheet("Detainers")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_string(0, 0, "ICE detainers")
    header = ["Detainer Prepare Date", "Unique Identifier", "Detention Facility", "Detention Facility Code",
              "Facility State", "Detainer Lift Reason", "Detainer Lift Date", "Citizenship Country",
              "Detainer Prepared Criminality", "Birth Country"]
    for c, name in enumerate(header):
        sheet.write_string(6, c, name)
    reasons = ["Detainer Declined by LEA", "Booked into Detention", None, "Case Closed"]
    for n in range(SYNTHETIC_ROWS):
        r, issued, reason = 7 + n, dt.datetime(2017, 1, 2, 8) + dt.timedelta(hours=n), reasons[n % 4]
        sheet.write_datetime(r, 0, issued, when)
        sheet.write_string(r, 1, f"S{n:06d}")
        sheet.write_string(r, 2, texts[n % len(texts)])
        sheet.write_string(r, 3, "LEHIGPA")
        sheet.write_string(r, 4, "PA")
        if reason:
            sheet.write_string(r, 5, reason)
            sheet.write_datetime(r, 6, issued + dt.timedelta(days=2), when)
        for c, text in ((7, "MEXICO"), (8, "1 Convicted Criminal"), (9, "MEXICO")):
            sheet.write_string(r, c, text)
    if formula_result is not None:  # a formula's text result is in the sheet itself, not in the table
        sheet.write_formula(7 + SYNTHETIC_ROWS // 2, 10, '="x"', None, formula_result)
    workbook.close()


PLAIN_TEXTS = ["LEHIGH COUNTY JAIL (PENNSYLVANIA)", "A & B <County> \"Jail\"", "  spaced  ", "Ünïcode Jail"]


@pytest.mark.parametrize("texts, formula_result, by_index", [
    (PLAIN_TEXTS, None, True),
    (PLAIN_TEXTS + ["Private \ue000 Use Jail"], None, True),  # the index mark in the table: looked up once
    (PLAIN_TEXTS + ["Carriage\r\nReturn Jail"], None, False),  # written as _x000D_: calamine's own reading kept
    (PLAIN_TEXTS, "\ue000 12", False),  # the index mark in the sheet: the blocks carry the table
])
def test_a_shared_strings_export_is_read_by_column_with_the_same_result(texts, formula_result, by_index, tmp_path,
                                                                        monkeypatch):
    """Blocks of a sheet whose text is in the shared-strings table carry each text's index, not the table (a
    national table is 25 MB, parsed again for every block), and the texts are looked up when the columns come
    back; a table or sheet that index cannot be trusted with is read with the table in every block. Both give
    what a whole read gives, cell for cell."""
    import io
    import zipfile

    folder = tmp_path / "inputs"
    folder.mkdir()
    _shared_strings_export(folder / "export.xlsx", texts, formula_result)
    with zipfile.ZipFile(folder / "export.xlsx") as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
    carried = []
    real_block = xlsx._read_block

    def block(book, *args):
        carried.append("xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(book)).namelist())
        return real_block(book, *args)

    monkeypatch.setattr(xlsx, "_read_block", block)
    whole, by_column = _both(folder, monkeypatch, 20_000)
    assert len(carried) > 10
    if by_index:
        assert not any(carried)
    else:  # (the mark is found half-way: blocks read until then are read again, with the table)
        assert carried[-1] and sum(carried) > 10
    _assert_same(whole, by_column)
    facilities = set(by_column.used("detainers")["facility"])
    assert len(facilities) == len(texts) and {"A & B <County> \"Jail\"", "Ünïcode Jail"} <= facilities
    assert len(by_column.used("detainers")) == SYNTHETIC_ROWS
