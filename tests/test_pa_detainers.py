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

from ingest_helpers import FIXTURES, run_check
from reports.load import load_inputs
from shared_data import PA_DETAINERS, needs_pa_detainers

pytestmark = [pytest.mark.slow, needs_pa_detainers]  # the 32,757 rows are read twice

BY_HAND = FIXTURES.parent / "attribution" / "pa_facility_counties.csv"
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


def _by_hand() -> dict[tuple[str, str], str]:
    """(facility, city) -> county FIPS ('' = must stay not determined), as checked by hand against the sources."""
    with open(BY_HAND, newline="", encoding="utf-8") as handle:
        return {(r["facility"], r["city"]): r["county_fips"] for r in csv.DictReader(handle)}


def test_every_attribution_is_the_county_checked_by_hand(pa):
    """No facilities sheet: the bundled reference attributes the real file, never to a wrong county."""
    expected = _by_hand()
    source_facilities = {(r["det_facility"], r["city"]) for r in pa["source"]}
    assert len({f for f, _ in source_facilities}) == FACILITIES
    assert set(expected) == source_facilities
    used = pa["dataset"].used("detainers")
    got = {(r.facility, r.city, r.county_fips or "") for r in used.itertuples(index=False)}
    assert got == {(f, c, fips) for (f, c), fips in expected.items()}  # one county per facility, the right one
    attributed = int(used["county_fips"].notna().sum())
    assert attributed / ROWS >= 0.95
    per_source = collections.Counter((r["det_facility"], r["city"]) for r in pa["source"])
    assert attributed == sum(n for key, n in per_source.items() if expected[key])
    assert set(used["jurisdiction_source"]) <= {"reference-name", "name-names-county", "reference-words", "city",
                                                "none"}  # no record FIPS, no staff sheet, no ICE codes here
    w402 = [p for p in pa["dataset"].problems if p.code == "W402"]
    missing = {key for key, fips in expected.items() if not fips}
    assert len(w402) == 1 and w402[0].message.startswith(
        f"{len(missing)} facility with {sum(per_source[k] for k in missing)} detainers has no county")


def test_cli_check_on_the_real_file(pa):
    result = pa["result"]
    assert result.exit_code == 0, result.stderr
    assert (f"  pa_detainers.csv: detainers, older FOIA detainer export: {ROWS:,} read, {ROWS:,} used, 0 excluded"
            in result.stdout.splitlines())
    wb = openpyxl.load_workbook(pa["staff"] / "facility-attribution.xlsx", read_only=True)
    rows = list(wb["Facility attribution"].iter_rows(min_row=4, values_only=True))
    wb.close()
    assert len(rows) == len(_by_hand())
    assert rows[0][0] == "ALLENWOOD FED.PRISON CAMP" and rows[0][5] == "none"  # the unattributed come first


def test_staff_file_not_modified(pa):
    assert pa["after"] == pa["before"]
    assert pa["after"][0] == hashlib.sha256(PA_DETAINERS.read_bytes()).hexdigest()
