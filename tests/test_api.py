"""The public API (reports/__init__.py) on the bundled sample data: figures that match the input rows."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import reports
from reports.exceptions import ReportsError, SettingsError
from reports.resources import package_path

SAMPLE = package_path("data", "sample")
WEEK_START, WEEK_END = dt.date(2026, 11, 7), dt.date(2026, 11, 13)  # a Saturday-to-Friday week of the sample


@pytest.fixture(scope="module")
def dataset():
    return reports.load_folder(SAMPLE, today="2026-11-30")


def sample_rows() -> pd.DataFrame:
    """The sample's detainer rows as staff typed them (header on row 4), with the outcomes its corrections sheet
    corrects, read without the library."""
    rows = pd.read_excel(SAMPLE / "detainers.xlsx", header=3, dtype=str, engine="openpyxl")
    for column in ("Date Issued", "Outcome Date"):
        rows[column] = pd.to_datetime(rows[column]).dt.date
    corrections = pd.read_csv(SAMPLE / "corrections.csv", dtype=str)
    outcome_fixes = corrections[corrections["Field"] == "Outcome"]
    for detainer_id, outcome in zip(outcome_fixes["Detainer ID"], outcome_fixes["Correct Value"]):
        rows.loc[rows["Detainer ID"] == detainer_id, "Outcome"] = outcome
    return rows


def test_the_week_s_figures_are_counted_from_the_input_rows(dataset):
    assert dataset.errors == []
    report = reports.build_week(dataset, "2026-11-10", sample=True)
    assert (report.week.start, report.week.end) == (WEEK_START, WEEK_END)
    rows = sample_rows()
    issued = rows[rows["Date Issued"].between(WEEK_START, WEEK_END)]
    declined = rows[(rows["Outcome"] == "Detainer Declined by LEA") & rows["Outcome Date"].between(WEEK_START, WEEK_END)]
    assert report.summary["issued"] == len(issued) > 0
    assert report.summary["declined"] == len(declined) > 0
    assert isinstance(report.jurisdictions, pd.DataFrame)
    assert report.jurisdictions["issued"].sum() == len(issued)


@pytest.mark.slow  # renders the full PDF
def test_render_week_publishes_the_week(tmp_path):
    result = reports.render_week(SAMPLE, tmp_path / "outputs", staff=tmp_path / "staff", day=WEEK_END)
    assert result.exit_code == 0, result.summary
    assert (tmp_path / "outputs" / WEEK_END.isoformat() / "report.json").is_file()


def test_errors_share_one_base_class(tmp_path):
    assert "ReportsError" in reports.__all__ and reports.ReportsError is ReportsError
    with pytest.raises(ReportsError) as raised:
        reports.load_settings(tmp_path / "missing.toml")
    assert isinstance(raised.value, SettingsError)
