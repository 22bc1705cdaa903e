"""Hostile or broken files get a clear error naming the file, and never stop the rest of the check."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from reports.load import load_inputs

GOOD_CSV = "Detainer ID,Facility,State,Date Issued,Outcome\nA1,Travis County Jail,TX,2017-02-01,declined\n"


def _problems(dataset):
    return [(p.code, p.file, p.sheet, p.row, p.column) for p in dataset.problems]


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "good.csv").write_text(GOOD_CSV)
    _zip(inputs / "bomb.xlsx", {"xl/workbook.xml": b"<workbook/>",
                                "xl/worksheets/sheet1.xml": b"0" * (64 * 1024 * 1024)})
    dataset = load_inputs(inputs)
    [bomb] = [p for p in dataset.problems if p.file == "bomb.xlsx"]
    assert bomb.code == "E102" and "inflates" in bomb.message
    assert dataset.reconciliation.set_index("file").loc["good.csv", "used"] == 1  # the rest is still read


def test_xml_entity_expansion_is_refused(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>')
    _zip(inputs / "laughs.xlsx", {"xl/workbook.xml": laughs})
    dataset = load_inputs(inputs)
    assert _problems(dataset) == [("E102", "laughs.xlsx", "", None, "")]
    assert "XML parser" in dataset.problems[0].message


def test_csv_in_an_unknown_encoding_is_a_clear_error(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "odd.csv").write_bytes(GOOD_CSV.encode() + b"A2,Ca\x81on Jail,CO,2017-02-01,declined\n")
    dataset = load_inputs(inputs)
    assert _problems(dataset) == [("E103", "odd.csv", "", None, "")]
    assert "byte" in dataset.problems[0].message


def test_two_columns_meaning_the_same_thing_is_an_error(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "twice.csv").write_text("Detainer ID,Facility,Detention Facility,State,Date Issued,Outcome\n"
                                      "A1,Jail,Other Jail,TX,2017-02-01,declined\n")
    dataset = load_inputs(inputs)
    assert _problems(dataset) == [("E202", "twice.csv", "", 1, "B (Facility) and C (Detention Facility)")]
    assert len(dataset.used("detainers")) == 0
    [line] = dataset.reconciliation.to_dict(orient="records")
    assert (line["rows_read"], line["used"], line["excluded_reasons"]) == (2, 0, "sheet not read: error in its header: 2")


def test_formula_without_a_saved_result_is_an_error_not_a_blank(tmp_path):
    """A workbook written by a script and never opened in Excel: its formula cells read as empty."""
    import openpyxl
    import xlsxwriter

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Det"
    ws.append(["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome"])
    ws.append(["A1", "Travis County Jail", "TX", "48453", "2017-02-01", "declined"])
    ws.append(["A2", "Travis County Jail", "TX", '=CONCAT("48","453")', "2017-02-01", "declined"])
    wb.save(inputs / "script.xlsx")
    saved = xlsxwriter.Workbook(str(inputs / "saved.xlsx"))  # a formula with its result saved is fine
    sheet = saved.add_worksheet("Det")
    sheet.write_row(0, 0, ["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome"])
    sheet.write_row(1, 0, ["B1", "Travis County Jail", "TX"])
    sheet.write_formula(1, 3, '=CONCAT("48","453")', None, "48453")
    sheet.write_row(1, 4, ["2017-02-01", "declined"])
    saved.close()
    dataset = load_inputs(inputs)
    assert _problems(dataset) == [("E104", "script.xlsx", "Det", 3, "D (County FIPS)")]
    used = dataset.used("detainers").set_index("detainer_id")
    assert used.loc["B1", "county_fips"] == "48453" and "A2" not in used.index
