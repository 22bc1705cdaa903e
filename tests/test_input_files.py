"""Files in the inputs folder: every format read, and every file that cannot be read correctly is an error
naming it (never a warning that drops rows, never a traceback, never silently skipped)."""
from __future__ import annotations

import csv
import datetime as dt
import os
import time
import zipfile
from pathlib import Path

import pytest

from ingest_helpers import problem_keys, used_by_id
from reports import input_files
from reports.run import run_job
from reports.options import RunOptions
from reports.load import load_inputs
from reports.settings import load_settings

HEADER = ["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome", "Outcome Date"]
ROWS = [["A1", "Travis County Jail", "TX", "48453", "2017-02-01", "Detainer Declined by LEA", "2017-02-02"],
        ["A2", "Cañon City Jail", "CO", "08043", "2017-02-02", "Booked into Detention", "2017-02-03"]]


def _text(delimiter: str = ",") -> str:
    return "\r\n".join(delimiter.join(row) for row in [HEADER, *ROWS]) + "\r\n"


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    return folder


def _read_as_expected(dataset, file: str) -> None:
    assert dataset.errors == [], [p.line() for p in dataset.errors]
    rows = used_by_id(dataset)
    assert {i: (r.source_file, r.facility, r.outcome, r.county_fips) for i, r in rows.items()} == {
        "A1": (file, "Travis County Jail", "declined", "48453"), "A2": (file, "Cañon City Jail", "honored", "08043")}


# --------------------------------------------------------------------------- formats and encodings

def write_ods(path: Path, sheets: dict[str, list[list]], encrypted: bool = False) -> None:
    """A minimal OpenDocument spreadsheet, as LibreOffice writes one (content.xml, manifest, mimetype); an
    encrypted one says so in its manifest."""
    cells = []
    for name, rows in sheets.items():
        cells.append(f'<table:table table:name="{name}">')
        for row in rows:
            cells.append("<table:table-row>")
            for value in row:
                if isinstance(value, (int, float)):
                    cells.append(f'<table:table-cell office:value-type="float" office:value="{value}">'
                                 f"<text:p>{value}</text:p></table:table-cell>")
                else:
                    cells.append(f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
                                 "</table:table-cell>")
            cells.append("</table:table-row>")
        cells.append("</table:table>")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               "<office:body><office:spreadsheet>" + "".join(cells) + "</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                + ('<manifest:encryption-data manifest:checksum-type="SHA1"/>' if encrypted else "")
                + "</manifest:file-entry></manifest:manifest>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)


def test_ods_workbook_is_read(tmp_path):
    inputs = _inputs(tmp_path)
    write_ods(inputs / "week.ods", {"Notes": [["Exported from LibreOffice"]], "Detainers": [HEADER, *ROWS]})
    dataset = load_inputs(inputs)
    assert problem_keys(dataset, {"W201"}) == [("W201", "week.ods", "Notes", None, "", "")]
    dataset.problems = [p for p in dataset.problems if p.code != "W201"]
    _read_as_expected(dataset, "week.ods")


@pytest.mark.parametrize("name, encoding, delimiter", [
    ("week.tsv", "utf-8", "\t"),
    ("unicode-text.txt", "utf-16", "\t"),  # Excel's "Unicode Text": UTF-16 with a byte-order mark, tabs
    ("unicode-text-saved-as.csv", "utf-16", "\t"),  # the same, saved with a .csv name
    ("big-endian.txt", "utf-16-be", "\t"),  # no byte-order mark: recognised by its NUL bytes
    ("little-endian.csv", "utf-16-le", ","),
    ("semicolons.csv", "utf-8-sig", ";"),
    ("pipes.txt", "cp1252", "|"),
])
def test_delimited_text_formats_and_encodings_are_read(tmp_path, name, encoding, delimiter):
    inputs = _inputs(tmp_path)
    (inputs / name).write_bytes(_text(delimiter).encode(encoding))
    _read_as_expected(load_inputs(inputs), name)


def test_binary_junk_named_csv_is_one_encoding_error_not_a_row_per_line(tmp_path):
    inputs = _inputs(tmp_path)
    junk = bytes(range(256)) * 400  # NUL bytes everywhere, in no text encoding
    (inputs / "export.csv").write_bytes(junk)
    (inputs / "utf32.csv").write_bytes(_text().encode("utf-32"))
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E103", "export.csv", "", None, "", ""), ("E103", "utf32.csv", "", None, "", "")]
    assert all("wrong encoding" in p.message for p in dataset.problems)


def test_a_workbook_with_a_csv_name_and_an_old_xls_with_an_xlsx_name(tmp_path):
    inputs = _inputs(tmp_path)
    write_ods(inputs / "renamed.csv", {"Detainers": [HEADER, *ROWS]})
    (inputs / "old.xlsx").write_bytes(input_files.OLE_MAGIC + b"\0" * 1024)
    (inputs / "binary.xlsb").write_bytes(b"PK\x03\x04")
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E101", "binary.xlsb", "", None, "", ""), ("E101", "old.xlsx", "", None, "", ""),
                                     ("E101", "renamed.csv", "", None, "", "")]
    messages = {p.file: p.message for p in dataset.problems}
    assert "a zipped spreadsheet" in messages["renamed.csv"]
    assert "Excel 97-2003" in messages["old.xlsx"]


def test_password_protected_workbooks_are_named_as_such(tmp_path):
    inputs = _inputs(tmp_path)
    # Excel wraps an encrypted workbook in an OLE compound file with an "EncryptedPackage" stream
    directory_entry = "EncryptedPackage".encode("utf-16-le") + b"\0\0"
    (inputs / "locked.xlsx").write_bytes(input_files.OLE_MAGIC + b"\0" * 504 + directory_entry + b"\0" * 4096)
    write_ods(inputs / "locked.ods", {"Detainers": [HEADER, *ROWS]}, encrypted=True)
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E111", "locked.ods", "", None, "", ""), ("E111", "locked.xlsx", "", None, "", "")]
    assert "remove the password" in dataset.problems[0].as_row()["help"].lower()


def test_a_cell_over_the_csv_field_limit_is_a_clear_error(tmp_path):
    inputs = _inputs(tmp_path)
    # a quote that is never closed swallows the rest of the file into one cell
    (inputs / "broken.csv").write_text(_text() + 'A3,"Travis County Jail,TX\n' + ("x" * 200 + "\n") * 1000,
                                       encoding="utf-8")
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E110", "broken.csv", "", None, "", "")]
    assert dataset.problems[0].message.startswith(
        f"the row starting on line 4 has a cell longer than {csv.field_size_limit():,} characters")


def test_a_file_over_the_size_limit_is_not_read(tmp_path):
    inputs = _inputs(tmp_path)
    (inputs / "week.csv").write_text(_text(), encoding="utf-8")
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text("max_input_bytes = 100\n")
    dataset = load_inputs(inputs, settings=load_settings(settings_file))
    assert problem_keys(dataset) == [("E109", "week.csv", "", None, "", "")]
    size = (inputs / "week.csv").stat().st_size
    assert dataset.problems[0].message == f"{size:,} bytes, more than max_input_bytes (100); not read"
    assert load_settings(None).max_input_bytes == 1024**3  # 1 GB by default
    _read_as_expected(load_inputs(inputs), "week.csv")


# --------------------------------------------------------------------------- files still being written

def test_a_file_still_being_copied_is_an_error_and_nothing_is_published(tmp_path, monkeypatch):
    """The file was modified a moment ago; while the ingest waits a second, the copy goes on."""
    inputs = _inputs(tmp_path)
    growing = inputs / "week.csv"
    growing.write_text(_text(), encoding="utf-8")
    waited = []

    def copy_goes_on(seconds):
        waited.append(seconds)
        with open(growing, "a", encoding="utf-8") as handle:
            handle.write("A3,Travis County Jail,TX,48453,2017-02-01,Booked into Detention,2017-02-02\r\n")

    monkeypatch.setattr(input_files, "pause", copy_goes_on)
    (tmp_path / "settings.toml").write_text('public_base_url = "https://stats.example.gov/detainers/"\n')
    options = RunOptions(inputs=inputs, outputs=tmp_path / "out", staff=tmp_path / "staff",
                         settings=tmp_path / "settings.toml", now=dt.datetime(2017, 3, 20, 12, tzinfo=dt.timezone.utc))
    result = run_job(options)
    assert waited == [input_files.SETTLE_PAUSE]
    assert result.exit_code == 1
    assert problem_keys(result.dataset) == [("E105", "week.csv", "", None, "", "")]
    assert "still being copied" in result.dataset.problems[0].message
    assert "run again" in result.dataset.problems[0].message
    assert len(result.dataset.used("detainers")) == 0
    assert not (tmp_path / "out" / "2017-02-03").exists()


def test_a_file_changed_while_it_is_read_is_an_error(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path)
    path = inputs / "week.csv"
    path.write_text(_text(), encoding="utf-8")
    old = time.time() - 3600
    os.utime(path, (old, old))  # not recent: no second look; the change happens during the read itself
    real_read = input_files.read_csv

    def read_while_written(p, rel):
        result = real_read(p, rel)
        with open(p, "a", encoding="utf-8") as handle:
            handle.write("A3,Travis County Jail,TX,48453,2017-02-01,,\r\n")
        return result

    monkeypatch.setattr(input_files, "read_csv", read_while_written)
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E105", "week.csv", "", None, "", "")]
    assert "size went from" in dataset.problems[0].message


def test_a_complete_new_file_is_read_at_once(tmp_path, monkeypatch):
    """Staff drop a file and run --check straight away: after the one-second look it is read normally."""
    monkeypatch.setattr(input_files, "pause", time.sleep)
    inputs = _inputs(tmp_path)
    (inputs / "week.csv").write_text(_text(), encoding="utf-8")
    started = time.monotonic()
    dataset = load_inputs(inputs)
    assert time.monotonic() - started >= input_files.SETTLE_PAUSE
    _read_as_expected(dataset, "week.csv")


# --------------------------------------------------------------------------- what is in the folder

def test_pipes_links_and_unreadable_entries_are_errors_naming_them(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path)
    (inputs / "week.csv").write_text(_text(), encoding="utf-8")
    os.mkfifo(inputs / "pipe.csv")
    (inputs / "gone.csv").symlink_to(tmp_path / "no-such-file.csv")
    outside = tmp_path / "outside.csv"
    outside.write_text(_text(), encoding="utf-8")
    (inputs / "elsewhere.csv").symlink_to(outside)
    (inputs / "copy.csv").symlink_to(inputs / "week.csv")  # a link inside the folder is read
    (inputs / "locked").mkdir()
    (inputs / "locked" / "hidden-from-us.csv").write_text(_text(), encoding="utf-8")
    (inputs / "secret.csv").write_text(_text(), encoding="utf-8")

    real_scandir, real_open = input_files.scandir, open

    def scandir(path):  # as for a folder without read permission (the tests may run as root)
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def guarded_open(path, *args, **kwargs):
        if Path(path).name == "secret.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(input_files, "scandir", scandir)
    monkeypatch.setattr(input_files, "open", guarded_open, raising=False)
    dataset = load_inputs(inputs)
    assert problem_keys(dataset, {"E106", "E107", "E108"}) == [
        ("E106", "locked/", "", None, "", ""),
        ("E106", "secret.csv", "", None, "", ""),
        ("E107", "gone.csv", "", None, "", ""),
        ("E107", "pipe.csv", "", None, "", ""),
        ("E108", "elsewhere.csv", "", None, "", ""),
    ]
    assert [p.code for p in dataset.problems if p.code not in {"E106", "E107", "E108"}] == ["W102"]  # copy.csv
    messages = {p.file: p.message for p in dataset.problems}
    assert "Permission denied" in messages["secret.csv"] and "Permission denied" in messages["locked/"]
    assert str(outside) in messages["elsewhere.csv"]
    assert len(dataset.used("detainers")) == 2  # week.csv and its linked copy: the same IDs, counted once


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_and_folder_without_help(tmp_path):
    inputs = _inputs(tmp_path)
    (inputs / "secret.csv").write_text(_text(), encoding="utf-8")
    (inputs / "locked").mkdir()
    os.chmod(inputs / "secret.csv", 0)
    os.chmod(inputs / "locked", 0)
    try:
        dataset = load_inputs(inputs)
    finally:
        os.chmod(inputs / "locked", 0o755)
    assert problem_keys(dataset) == [("E106", "locked/", "", None, "", ""), ("E106", "secret.csv", "", None, "", "")]


def test_identical_files_are_a_warning_saying_how_they_are_counted(tmp_path):
    inputs = _inputs(tmp_path)
    (inputs / "week.csv").write_text(_text(), encoding="utf-8")
    (inputs / "week (1).csv").write_text(_text(), encoding="utf-8")
    foia = "date,lift_reason,det_facility,city,state,detainer_type\n2014-11-17,Detainer Declined by LEA,YORK " \
           "COUNTY PRISON,YORK,PENNSYLVANIA,\n"
    (inputs / "foia.csv").write_text(foia, encoding="utf-8")
    (inputs / "foia-copy.csv").write_text(foia, encoding="utf-8")
    dataset = load_inputs(inputs)
    assert problem_keys(dataset, {"W102"}) == [("W102", "foia-copy.csv", "", None, "", ""),
                                               ("W102", "week (1).csv", "", None, "", "")]
    messages = {p.file: p.message for p in dataset.problems if p.code == "W102"}
    assert messages["week (1).csv"] == ("week.csv is byte for byte the same file; their detainers have IDs, so each "
                                        "is counted once")
    assert messages["foia-copy.csv"].startswith("foia.csv is byte for byte the same file; they hold rows without IDs, "
                                                "so those rows are counted once per copy")
    used = dataset.used("detainers")
    assert sorted(used.loc[used["source_file"].str.startswith("week"), "detainer_id"]) == ["A1", "A2"]
    assert (used["source_file"].str.startswith("foia")).sum() == 2  # no IDs: each copy counted, and said so
