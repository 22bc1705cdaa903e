"""The real Pennsylvania FOIA extract (32,757 rows), read in full.

Expected counts are computed here from the CSV with the csv module and the mapping in the brief,
not taken from the library.
"""
from __future__ import annotations

import collections
import csv
import hashlib
import shutil

import openpyxl
import pytest

from ingest_helpers import PA_DETAINERS, run_check
from reports.pipeline import load_inputs

pytestmark = pytest.mark.skipif(not PA_DETAINERS.exists(),
                                reason=f"real data file {PA_DETAINERS} is not present on this machine")

ROWS = 32_757
FACILITIES = 117


def brief_outcome(lift_reason: str) -> str:
    return {"Detainer Declined by LEA": "declined", "Booked into Detention": "honored", "": "pending"}.get(
        lift_reason, "other")


@pytest.fixture(scope="module")
def pa(tmp_path_factory):
    base = tmp_path_factory.mktemp("pa")
    inputs = base / "inputs"
    inputs.mkdir()
    staff_file = inputs / "pa_detainers.csv"
    shutil.copy2(PA_DETAINERS, staff_file)
    before = (hashlib.sha256(staff_file.read_bytes()).hexdigest(), staff_file.stat().st_mtime_ns)
    with open(staff_file, newline="", encoding="utf-8") as handle:
        source = list(csv.DictReader(handle))
    dataset = load_inputs(inputs)
    result = run_check(inputs, base / "staff")
    after = (hashlib.sha256(staff_file.read_bytes()).hexdigest(), staff_file.stat().st_mtime_ns)
    return {"source": source, "dataset": dataset, "result": result, "before": before, "after": after,
            "staff": base / "staff"}


def test_every_row_read_and_used(pa):
    assert len(pa["source"]) == ROWS
    recon = pa["dataset"].reconciliation
    assert len(recon) == 1
    line = recon.iloc[0]
    assert (line["file"], line["layout"], line["rows_read"], line["used"], line["excluded"]) == (
        "pa_detainers.csv", "older FOIA detainer export", ROWS, ROWS, 0)
    assert len(pa["dataset"].used("detainers")) == ROWS
    assert pa["dataset"].errors == []


def test_outcomes_match_an_independent_count(pa):
    expected = collections.Counter(brief_outcome(r["lift_reason"]) for r in pa["source"])
    got = pa["dataset"].used("detainers")["outcome"].value_counts().to_dict()
    assert got == dict(expected)
    # and the raw lift reason is kept as written
    detail = collections.Counter(r["lift_reason"] for r in pa["source"] if r["lift_reason"])
    assert pa["dataset"].used("detainers")["outcome_detail"].value_counts().to_dict() == dict(detail)


def test_unmapped_facilities_listed(pa):
    source_facilities = {r["det_facility"] for r in pa["source"]}
    assert len(source_facilities) == FACILITIES
    unmapped = pa["dataset"].unmapped
    assert len(unmapped) == FACILITIES
    assert set(unmapped["Facility"]) == source_facilities
    assert int(unmapped["Detainers"].sum()) == ROWS
    per_facility = collections.Counter(r["det_facility"] for r in pa["source"])
    assert dict(zip(unmapped["Facility"], unmapped["Detainers"])) == dict(per_facility)
    suggestions = dict(zip(unmapped["Facility"], unmapped["Suggested County FIPS"]))
    assert suggestions["MONTGOMERY CNTY JAIL, PA"] == "42091"
    assert suggestions["LEWISBURG U.S. PEN."] == ""
    assert all(s == "" or s.startswith("42") for s in suggestions.values())  # never outside Pennsylvania
    w402 = [p for p in pa["dataset"].problems if p.code == "W402"]
    assert len(w402) == 1 and w402[0].message.startswith(f"{FACILITIES} facilities with {ROWS:,} detainers")


def test_cli_check_on_the_real_file(pa):
    result = pa["result"]
    assert result.returncode == 0, result.stderr
    assert (f"  pa_detainers.csv: detainers, older FOIA detainer export: {ROWS:,} read, {ROWS:,} used, 0 excluded"
            in result.stdout.splitlines())
    wb = openpyxl.load_workbook(pa["staff"] / "unmapped-facilities.xlsx", read_only=True)
    rows = list(wb["Unmapped facilities"].iter_rows(min_row=4, values_only=True))
    wb.close()
    assert len(rows) == FACILITIES


def test_staff_file_not_modified(pa):
    assert pa["after"] == pa["before"]
    assert pa["after"][0] == hashlib.sha256(PA_DETAINERS.read_bytes()).hexdigest()
