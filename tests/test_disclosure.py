"""Disclosure control applied to a real report: row-level dates by week, rare citizenships top-coded, and with
min_cell set, no withheld count recoverable from what Table 2 and Table 3a print (checked by linear
programming, as tests/test_privacy.py checks the suppression itself)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pandas as pd
import pytest

from reports.disclosure import WITHHELD, suppress_report
from reports.period import week_containing
from reports.load import load_inputs
from reports.publish import download_tables
from reports.reference import load_counties
from reports.settings import DEFAULTS
from reports.caveats import _has_small_count
from reports.jsondoc import report_json
from reports.tables import build_report
from test_privacy import determined_cells

WEEK = week_containing(dt.date(2017, 2, 1), 5)
COUNTIES = [("48453", "TX"), ("32003", "NV"), ("17031", "IL"), ("06037", "CA"), ("36059", "NY"), ("19137", "IA"),
            ("53061", "WA"), ("41067", "OR"), ("12001", "FL"), ("42055", "PA"), ("04013", "AZ"), ("13121", "GA")]


def _inputs(tmp_path):
    rng = random.Random(7)
    rows = [["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome", "Outcome Date",
             "Citizenship", "Criminality"]]
    n = 0
    for fips, state in COUNTIES:
        for _ in range(rng.choice([1, 2, 3, 6, 9, 14])):
            n += 1
            day = WEEK.start + dt.timedelta(days=rng.randrange(7))
            outcome = rng.choice(["declined", "honored", "honored", "", "Transferred"])
            decided = (day + dt.timedelta(days=rng.randrange(0, 7 - (day - WEEK.start).days))) if outcome else None
            rows.append([f"D{n}", "County Jail", state, fips, day.isoformat(), outcome,
                         decided.isoformat() if decided else "", rng.choice(["Mexico", "Mexico", "Honduras", "Peru"]),
                         rng.choice(["convicted", "pending charges", "none"])])
    n += 1  # a decline without its date: a caveat with a small count ("1 decline ... had no date of decline")
    rows.append([f"D{n}", "County Jail", "TX", "48453", WEEK.start.isoformat(), "declined", "", "Mexico", "none"])
    (tmp_path / "inputs").mkdir()
    with open(tmp_path / "inputs" / "detainers.csv", "w", encoding="utf-8") as handle:
        handle.write("\n".join(",".join(r) for r in rows) + "\n")
    return load_inputs(tmp_path / "inputs")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    data = _inputs(tmp_path_factory.mktemp("disclosure"))
    assert data.errors == []
    return data


def report_with(dataset, **settings):
    return build_report(dataset, WEEK, dataclasses.replace(DEFAULTS, **settings), load_counties(), sample=False,
                        published=dt.date(2017, 3, 20))


def test_row_level_tables_give_weeks_and_top_code_rare_citizenships(dataset):
    report = report_with(dataset)
    detail = report.declines_detail
    assert {"week_issued", "week_declined"} <= set(detail.columns) and "date_issued" not in detail.columns
    assert set(detail["week_declined"]) == {WEEK.end}
    counts = detail["citizenship"].value_counts()
    assert all(n >= 3 for c, n in counts.items() if c not in ("Other", "unknown"))
    exact = report_with(dataset, row_level_dates="exact", top_code_citizenship_below=0).declines_detail
    assert "date_declined" in exact.columns and (exact["date_declined"] >= WEEK.start).all()


def test_with_min_cell_off_nothing_is_withheld(dataset):
    report = report_with(dataset)
    assert report is suppress_report(report)
    assert WITHHELD not in str(report_json(report))


def _as_checked_table(values: pd.DataFrame, mask: pd.DataFrame, counts: list[str], total: str, total_row: str):
    """The shape tests/test_privacy.determined_cells reads: c0.. counts, a total column, a Total row."""
    names = {c: f"c{i}" for i, c in enumerate(counts)} | {total: "total"}
    table = values[counts + [total]].rename(columns=names).rename(index={total_row: "Total"}).astype(int)
    checked_mask = mask[counts + [total]].rename(columns=names).rename(index={total_row: "Total"})
    return table, checked_mask


def test_min_cell_withholds_small_counts_and_none_can_be_worked_out(dataset):
    exact, shown = report_with(dataset), report_with(dataset, min_cell=5)
    # Table 2 and jurisdictions.csv, with the national total as the total row
    key = lambda t: t["name"] + "|" + t["fips"]  # noqa: E731
    outcomes = ["honored", "issued_declined", "pending", "other"]

    def with_national(report):
        national = {"issued": report.summary["issued"],
                    **{c: report.summary["issued_outcomes"][c.replace("issued_", "")] for c in outcomes}}
        rows = report.jurisdictions.set_axis(key(report.jurisdictions))
        return pd.concat([rows, pd.DataFrame([national], index=["Total|"])])

    values, published = with_national(exact), with_national(shown)
    mask = published[["issued", *outcomes]] == WITHHELD
    counts = values[outcomes]
    assert ((counts >= 1) & (counts < 5)).to_numpy().sum() > 0  # the fixture has small cells
    for column in outcomes + ["issued"]:
        for label in values.index:
            v = int(values.at[label, column])
            if 1 <= v < 5:
                assert mask.at[label, column], (label, column, v)  # every small count is withheld
    table, checked = _as_checked_table(values, mask, outcomes, "issued", "Total|")
    assert determined_cells(table, checked) == []
    # Table 3a: declines recorded, by criminality; its declined column is Table 2's "declines recorded"
    crim = ["convicted", "pending_charges", "no_record", "criminality_unknown"]
    values3 = exact.declines_by_jurisdiction.set_axis(key(exact.declines_by_jurisdiction))
    shown3 = shown.declines_by_jurisdiction.set_axis(key(shown.declines_by_jurisdiction))
    mask3 = shown3[["declined", *crim]] == WITHHELD
    table3, checked3 = _as_checked_table(values3, mask3, crim, "declined", "Total|")
    assert determined_cells(table3, checked3) == []
    for label in mask3.index:
        if label in published.index and label != "Total|":
            assert (published.at[label, "declined"] == WITHHELD) == mask3.at[label, "declined"], label
    # a rate from a withheld count is withheld too
    for label in published.index[:-1]:
        if (mask.loc[label]).any():
            assert published.at[label, "decline_rate"] in (WITHHELD, None) or pd.isna(published.at[label, "decline_rate"])
    # rows that are sums of withheld members are withheld in the same columns
    other = shown.issued_table[shown.issued_table["row_type"] == "other"]
    if len(other):
        top = set(shown.issued_table.loc[shown.issued_table["row_type"] == "jurisdiction", "fips"])
        members = published[[k.split("|")[1] not in top and k.split("|")[1] != "" for k in published.index]]
        for column in outcomes:
            if (members[column] == WITHHELD).any():
                assert other.iloc[0][column] == WITHHELD, column


def test_min_cell_publishes_no_row_level_table(dataset):
    shown = report_with(dataset, min_cell=5)
    names = set(download_tables(shown))
    assert not names & {"declines.csv", "detainers-issued.csv", "subsequent-charges.csv"}
    assert {"jurisdictions.csv", "declines-by-jurisdiction.csv"} <= names
    data = report_json(shown)
    assert WITHHELD in str(data["jurisdictions"])
    assert not any(_has_small_count(c, 5) for c in data["caveats"])  # a caveat never gives a withheld count away
    assert any(_has_small_count(c, 5) for c in report_json(report_with(dataset))["caveats"])  # without min_cell


@pytest.mark.real_render  # the trend chart is drawn with withheld weeks
def test_a_report_with_withheld_counts_renders_them_as_c(dataset):
    from reports.render import render_html, trend_chart_svg

    shown = report_with(dataset, min_cell=5)
    html = render_html(shown)
    assert ">[c]<" in html
    assert "The list of declined detainers is not published in this edition" in html
    assert 'href="declines.csv"' not in html  # not offered for download either
    trend_chart_svg(shown)  # a withheld week is a gap, not an error
