"""``python generate.py --check``: exit codes, printed reconciliation, staff reports, and that
staff's own files are never touched."""
from __future__ import annotations

import csv
import re
import shutil

import openpyxl
import pytest

from ingest_helpers import FIXTURES, PROJECT, copy_case, parse_reasons, run_check, snapshot

STAFF_FILES = {"problems.csv", "reconciliation.csv", "changes.csv", "facility-attribution.xlsx", "check-report.txt",
               "value-mapping.csv", "cache"}


@pytest.fixture
def project_outputs_guard():
    """Nothing may be written under the public outputs/ folder, nor a staff/ folder in the project."""
    outputs = PROJECT / "outputs"
    before = snapshot(outputs) if outputs.exists() else None
    staff_existed = (PROJECT / "staff").exists()
    yield
    assert (snapshot(outputs) if outputs.exists() else None) == before
    if not staff_existed:
        assert not (PROJECT / "staff").exists()


def read_problems_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_clean_folder_exits_0(tmp_path, project_outputs_guard):
    inputs = copy_case("title_rows", tmp_path / "inputs")
    staff = tmp_path / "staff"
    result = run_check(inputs, staff)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Reconciliation (rows read = used + excluded):"
    prefix = "  weekly-detainers.xlsx [Detainers]: detainers, detainers (project template): 6 read, 3 used, 3 excluded ("
    assert lines[1].startswith(prefix) and lines[1].endswith(")")
    assert parse_reasons(lines[1][len(prefix):-1]) == {"blank row": 1, "total row": 1, "note below the data": 1}
    assert lines[-1] == f"1 file(s) checked: 0 error(s), 0 warning(s). Staff report: {staff / 'check-report.txt'}"
    assert result.stderr == ""
    assert {p.name for p in staff.iterdir()} == STAFF_FILES
    assert read_problems_csv(staff / "problems.csv") == []
    with open(staff / "reconciliation.csv", newline="", encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["file"], row["sheet"], row["rows_read"], row["used"], row["excluded"]) == (
        "weekly-detainers.xlsx", "Detainers", "6", "3", "3")
    report = (staff / "check-report.txt").read_text(encoding="utf-8")
    assert "0 error(s), 0 warning(s)." in report


def test_errors_exit_1_with_located_messages(tmp_path, project_outputs_guard):
    inputs = copy_case("bad_values", tmp_path / "inputs")
    staff = tmp_path / "staff"
    result = run_check(inputs, staff)
    assert result.exit_code == 1
    assert "  detainers.xlsx [Detainers]: detainers, detainers (project template): 6 read, 2 used, 4 excluded " \
           "(error: 4)" in result.stdout.splitlines()
    assert "  charges.csv: charges, charges (project template): 2 read, 1 used, 1 excluded (error: 1)" \
           in result.stdout.splitlines()
    err = result.stderr.splitlines()
    assert "ERROR E301 detainers.xlsx, sheet 'Detainers', row 2, column B (Facility): required value missing" in err
    assert any(line.startswith("ERROR E302 detainers.xlsx, sheet 'Detainers', row 3, column D (Date Issued): "
                               "date not recognised") and line.endswith("[value: '31/31/2017']") for line in err)
    assert ("ERROR E307 detainers.xlsx, sheet 'Detainers', row 5, column F (Outcome Date): outcome date before "
            "issue date: issued 2017-02-01 [value: '2017-01-30']") in err
    assert ("ERROR E306 charges.csv, row 2, column F (Status): charge status not recognised: not one of pending, "
            "convicted, dismissed, acquitted [value: 'maybe']") in err
    summary = [line for line in (result.stdout + result.stderr).splitlines() if "file(s) checked" in line]
    assert summary == [f"2 file(s) checked: 5 error(s), 1 warning(s). Staff report: {staff / 'check-report.txt'}"]
    rows = read_problems_csv(staff / "problems.csv")
    assert sorted((r["code"], r["file"], r["sheet"], r["row"], r["column"]) for r in rows) == [
        ("E301", "detainers.xlsx", "Detainers", "2", "B (Facility)"),
        ("E302", "detainers.xlsx", "Detainers", "3", "D (Date Issued)"),
        ("E305", "detainers.xlsx", "Detainers", "4", "C (State)"),
        ("E306", "charges.csv", "", "2", "F (Status)"),
        ("E307", "detainers.xlsx", "Detainers", "5", "F (Outcome Date)"),
        ("W303", "detainers.xlsx", "Detainers", "6", "F (Outcome Date)"),
    ]
    assert all(r["help"] for r in rows)


def test_usage_errors_exit_2(tmp_path, project_outputs_guard):
    missing = run_check(tmp_path / "no-such-folder", tmp_path / "staff")
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    assert not (tmp_path / "staff").exists()
    unknown = run_check(tmp_path, tmp_path / "staff", "--no-such-option")
    assert unknown.exit_code == 2


def test_facility_attribution_review_sheet(tmp_path, project_outputs_guard):
    inputs = copy_case("facilities", tmp_path / "inputs")
    staff = tmp_path / "staff"
    result = run_check(inputs, staff)
    assert result.exit_code == 1  # E402
    wb = openpyxl.load_workbook(staff / "facility-attribution.xlsx", read_only=True)
    rows = [tuple(r) for r in wb["Facility attribution"].iter_rows(min_row=3, values_only=True)]
    wb.close()
    # laid out as a facilities sheet first, so staff can copy a row to confirm or override it
    assert rows[0][:7] == ("Facility", "Facility Code", "State", "County FIPS", "County", "Method", "Evidence")
    body = [(r[0], r[3], r[5], r[8]) for r in rows[1:]]
    assert body == [  # weakest first
        ("MONTGOMERY CNTY JAIL, PA", "42091", "name-names-county", 2),
        ("FRANKLIN CNTY JAIL", "42055", "reference-name", 1),
        ("LEWISBURG U.S. PEN.", "42119", "reference-name", 1),
        ("DAUPHIN COUNTY PRISON", "42043", "reference-code", 1),
        ("BERKS COUNTY JAIL", "42011", "staff", 1),
        ("Lehigh County Prison", "42077", "staff", 1),
        ("BERKS COUNTY JAIL", "42011", "record", 1),
    ]


def test_check_never_modifies_staff_files(tmp_path, project_outputs_guard):
    """Every fixture case in one inputs folder (sub-folders are read too), plus files that are not read."""
    inputs = tmp_path / "inputs"
    for case in sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()):
        copy_case(case, inputs / case)
    (inputs / "notes.txt").write_text("not a spreadsheet\n")
    (inputs / "~$weekly.xlsx").write_bytes(b"lock file")
    (inputs / ".hidden.csv").write_text("Detainer ID\n")
    before = snapshot(inputs)
    assert len(before) == 24
    staff = tmp_path / "staff"
    result = run_check(inputs, staff)
    assert result.exit_code == 1
    assert snapshot(inputs) == before  # same files, same bytes, same modification times
    assert {p.name for p in staff.iterdir()} == STAFF_FILES
    # every recognised sheet of every case has its reconciliation line, with read = used + excluded
    out = result.stdout.splitlines()
    start = out.index("Reconciliation (rows read = used + excluded):") + 1
    end = next(i for i in range(start, len(out)) if not out[i].startswith("  "))
    recon_lines = out[start:end]
    # 22 files read (notes.txt is read as text), 26 sheets: workbook.xlsx has 4, facilities.xlsx 2; the rest 1 each
    assert len(recon_lines) == 26
    counted = [re.search(r": ([\d,]+) read, ([\d,]+) used, ([\d,]+) excluded", line) for line in recon_lines]
    assert sum(m is None for m in counted) == 5  # the four sheets of unknown_layout/workbook.xlsx, and notes.txt
    assert "  detainers, Outcome:" in result.stdout.split("How values were counted")[1].splitlines()
    for m in filter(None, counted):
        read, used, excluded = (int(g.replace(",", "")) for g in m.groups())
        assert read == used + excluded
    with open(staff / "reconciliation.csv", newline="", encoding="utf-8-sig") as handle:
        recon = list(csv.DictReader(handle))
    assert len(recon) == 26
    for row in recon:
        assert int(row["rows_read"]) == int(row["used"]) + int(row["excluded"]), row
    # running the library directly does not write either
    from reports.load import load_inputs

    load_inputs(inputs)
    assert snapshot(inputs) == before


def test_fixture_folder_itself_untouched(tmp_path):
    before = snapshot(FIXTURES)
    result = run_check(FIXTURES / "ice_export", tmp_path / "staff")
    assert result.exit_code == 0, result.stderr
    assert snapshot(FIXTURES) == before
    # --check lists each distinct outcome, criminality and citizenship text, its rows and what it counted as
    counted_as = re.findall(r"^ {4}(\S.*?) +(\d+)  -> (.+)$", result.stdout, re.M)
    assert counted_as[:4] == [("Detainer Declined by LEA", "2", "declined"), ("Booked into Detention", "3", "honored"),
                              ("Transferred", "1", "other"), ("(blank)", "1", "pending")]
    assert ("Suspected Gang Member", "1", "unknown (W302: not recognised)") in counted_as
    assert ("ATLANTIS", "1", "unknown (W301: not recognised)") in counted_as
    with open(tmp_path / "staff" / "value-mapping.csv", newline="", encoding="utf-8-sig") as handle:
        mapping = {(r["column"], r["value"]): (r["counted_as"], r["rows"]) for r in csv.DictReader(handle)}
    assert mapping[("Citizenship", "KOREA, SOUTH")] == ("South Korea", "1")
    assert "  detainers, Outcome:" in (tmp_path / "staff" / "check-report.txt").read_text().splitlines()
    shutil.rmtree(tmp_path / "staff")
