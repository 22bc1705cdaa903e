"""Headers, sheets and values staff get wrong: each ends in a correct read or one clear error naming the file,
sheet, row and column; never a figure changed without a word."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from ingest_helpers import day, problem_keys, reconciliation, row_at, used_by_id
from reports import parsers
from reports.load import load_inputs
from reports.settings import SettingsError, load_settings


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    return folder


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")


def _settings(tmp_path: Path, text: str):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


# --------------------------------------------------------------------------- headers and sheets

RENAMED = ["Detainer ID", "Facility", "State", "County FIPS", "Issued On", "Outcome"]


def _renamed_detainers(inputs: Path, count: int = 300) -> None:
    _csv(inputs / "week.csv", RENAMED, [[f"A{i}", "Travis County Jail", "TX", "48453", "2017-02-01", "declined"]
                                        for i in range(count)])


def test_a_renamed_required_column_is_one_error_not_a_facilities_table(tmp_path):
    """Facility, State and County FIPS make a complete facilities table; the sheet's other columns make it a
    detainers table with one column missing. It must not be read as facilities, losing 300 detainers."""
    inputs = _inputs(tmp_path)
    _renamed_detainers(inputs)
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E201", "week.csv", "", 1, "E (Issued On)", "")]
    assert dataset.problems[0].message == (
        "looks like a detainers table but has no 'Date Issued' column (found 'Issued On': rename it, or add it "
        "as an alias in settings.toml: [aliases] \"Issued On\" = \"Date Issued\")")
    assert len(dataset.facilities) == 0 and len(dataset.detainers) == 0
    line = reconciliation(dataset)[("week.csv", "")]
    assert (line["layout"], line["rows_read"], line["used"]) == ("sheet not read: error in its header", 301, 0)


def test_an_alias_in_settings_reads_the_renamed_column(tmp_path):
    inputs = _inputs(tmp_path)
    _renamed_detainers(inputs)
    dataset = load_inputs(inputs, settings=_settings(tmp_path, '[aliases]\n"Issued On" = "Date Issued"\n'))
    assert dataset.errors == []
    used = dataset.used("detainers")
    assert len(used) == 300 and set(used["date_issued"]) == {day("2017-02-01")}


@pytest.mark.parametrize("text, message", [
    ('[aliases]\n"Issued On" = "Issue Day"\n', "no template column is called 'Issue Day'"),
    ('[aliases]\n"Facility" = "Date Issued"\n', "'Facility' already names the column 'facility'"),
    ('aliases = "Issued On"\n', "[aliases] must be a table of texts"),
])
def test_bad_aliases_are_a_settings_error(tmp_path, text, message):
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _settings(tmp_path, text)


def test_a_facilities_list_with_a_city_column_is_still_a_facilities_table(tmp_path):
    """The best match over all columns decides: City is a detainers column too, but a facilities list with
    a City is not a detainers table missing three columns."""
    inputs = _inputs(tmp_path)
    _csv(inputs / "facilities.csv", ["Facility", "Facility Code", "City", "State", "County FIPS"],
         [["Travis County Jail", "TXTRAV", "Austin", "TX", "48453"]])
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("W202", "facilities.csv", "", 1, "C (City)", "")]
    assert reconciliation(dataset)[("facilities.csv", "")]["kind"] == "facilities"


def test_an_outcome_merged_over_four_rows_is_an_error_naming_the_range(tmp_path):
    inputs = _inputs(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Detainers"
    ws.append(["Detainers, week of January 28, 2017"])
    ws.append(["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome"])
    for i in range(1, 6):
        ws.append([f"M{i}", "Travis County Jail", "TX", "48453", "2017-02-01", "declined" if i in (1, 5) else None])
    ws.merge_cells("F3:F6")  # "declined" typed once for rows 3-6
    wb.save(inputs / "merged.xlsx")
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E203", "merged.xlsx", "Detainers", 3, "F (Outcome)", "declined")]
    assert dataset.problems[0].message == ("cells F3:F6 are merged: the value is in row 3 only, so rows 4, 5, 6 "
                                           "would read as blank; rows 3, 4, 5, 6 are not counted")
    assert {r: row_at(dataset.detainers, "merged.xlsx", r).row_status for r in range(3, 8)} == {
        3: "error", 4: "error", 5: "error", 6: "error", 7: "used"}
    assert list(dataset.used("detainers")["outcome"]) == ["declined"]  # never three pending detainers


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize("text, expected", [
    ("February 2017", (dt.date(2017, 2, 1), "month")), ("Sept. 2014", (dt.date(2014, 9, 1), "month")),
    ("Feb 2017", (dt.date(2017, 2, 1), "month")), ("2/2017", (dt.date(2017, 2, 1), "month")),
    ("2017-02", (dt.date(2017, 2, 1), "month")), ("2017", (dt.date(2017, 1, 1), "year")),
    (2017, (dt.date(2017, 1, 1), "year")), ("2017-02-03", (dt.date(2017, 2, 3), "day")),
    (42769, (dt.date(2017, 2, 3), "day")),
])
def test_descriptive_dates_keep_their_precision(text, expected):
    assert parsers.parse_partial_date(text) == expected


@pytest.mark.parametrize("text", ["Febtober 2017", "13/2017", "2017-13", "next spring"])
def test_descriptive_dates_that_are_not_dates(text):
    with pytest.raises(parsers.Invalid):
        parsers.parse_partial_date(text)


def test_a_detainer_date_needs_the_day(tmp_path):
    inputs = _inputs(tmp_path)
    _csv(inputs / "week.csv", ["Detainer ID", "Facility", "State", "Date Issued", "Outcome"],
         [["A1", "Travis County Jail", "TX", "February 2017", "declined"]])
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E302", "week.csv", "", 2, "D (Date Issued)", "February 2017")]
    assert dataset.problems[0].message == "only a month or a year; this date needs the day"


DATE_HEADER = ["Detainer ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome"]


def test_day_first_dates_among_month_first_ones_are_one_error_for_the_column(tmp_path):
    inputs = _inputs(tmp_path)
    _csv(inputs / "week.csv", DATE_HEADER, [
        ["A1", "Travis County Jail", "TX", "48453", "13/05/2017", ""],  # only day/month: 13 May
        ["A2", "Travis County Jail", "TX", "48453", "05/06/2017", ""],  # either: read as May 6, or 5 June?
        ["A3", "Travis County Jail", "TX", "48453", "2017-05-07", ""],  # not a slash date: fine
        ["A4", "Travis County Jail", "TX", "48453", "25/05/2017", ""],
    ])
    dataset = load_inputs(inputs)
    assert problem_keys(dataset) == [("E315", "week.csv", "", None, "E (Date Issued)", "13/05/2017")]
    assert dataset.problems[0].message == (
        "2 rows (2, 5) can only be day/month (e.g. 13/05/2017), while row 3 would be read month/day "
        "(e.g. 05/06/2017); the column mixes two orders; none of these 3 rows is counted")
    assert sorted(used_by_id(dataset)) == ["A3"]


def test_us_order_is_the_default_and_day_first_can_be_set(tmp_path):
    inputs = _inputs(tmp_path)
    _csv(inputs / "week.csv", DATE_HEADER, [["A1", "Travis County Jail", "TX", "48453", "05/06/2017", ""],
                                            ["A2", "Travis County Jail", "TX", "48453", "13/06/2017", ""]])
    us = load_inputs(inputs)
    assert [p.code for p in us.errors] == ["E315"]
    assert "the column mixes two orders" in us.errors[0].message
    day_first = load_inputs(inputs, settings=_settings(tmp_path, 'date_order = "day-first"\n'))
    assert day_first.errors == []
    assert {i: r.date_issued for i, r in used_by_id(day_first).items()} == {"A1": day("2017-06-05"),
                                                                            "A2": day("2017-06-13")}
    _csv(inputs / "week.csv", DATE_HEADER, [["A1", "Travis County Jail", "TX", "48453", "05/06/2017", ""]])
    assert used_by_id(load_inputs(inputs))["A1"].date_issued == day("2017-05-06")
    # a column written day first throughout: one error for the column, not one per row
    _csv(inputs / "week.csv", DATE_HEADER, [["A1", "Travis County Jail", "TX", "48453", "13/06/2017", ""],
                                            ["A2", "Travis County Jail", "TX", "48453", "14/06/2017", ""]])
    [problem] = load_inputs(inputs).problems
    assert (problem.code, problem.row, problem.message) == (
        "E315", None, "2 rows (2, 3) can only be day/month (e.g. 13/06/2017), and slash dates are read month/day "
                      "(setting date_order); none of these 2 rows is counted")


def test_dates_after_the_day_of_the_run_are_errors_naming_the_row(tmp_path):
    inputs = _inputs(tmp_path)
    _csv(inputs / "week.csv", DATE_HEADER + ["Outcome Date"], [
        ["A1", "Travis County Jail", "TX", "48453", "2017-02-01", "declined", "2017-02-06"],  # tomorrow
        ["A2", "Travis County Jail", "TX", "48453", "2017-02-01", "declined", "2017-02-05"],  # today: fine
    ])
    _csv(inputs / "policies.csv", ["Jurisdiction", "State", "Date Enacted", "Policy", "Criteria"], [
        ["Travis County", "TX", "February 2017", "Policy", "Warrant"],  # this month: fine
        ["Harris County", "TX", "March 2017", "Policy", "Warrant"],  # next month
    ])
    dataset = load_inputs(inputs, today=dt.date(2017, 2, 5))
    assert problem_keys(dataset) == [
        ("E314", "policies.csv", "", 3, "C (Date Enacted)", "March 2017"),
        ("E314", "week.csv", "", 2, "G (Outcome Date)", "2017-02-06"),
    ]
    assert dataset.problems[1].message == "the run's date is 2017-02-05"
    assert sorted(used_by_id(dataset)) == ["A2"]


def test_a_month_typed_into_excel_stays_a_month(tmp_path):
    """Excel turns "February 2017" typed into a cell into the date 1 February 2017, shown as Feb-17: the cell's
    format says it is a month, so no day is invented."""
    inputs = _inputs(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Policies"
    ws.append(["Jurisdiction", "State", "Date Enacted", "Policy", "Criteria for Honoring Detainer", "As Of"])
    ws.append(["Travis County", "TX", dt.datetime(2017, 2, 1), "Policy", "Warrant", dt.datetime(2017, 1, 1)])
    ws.append(["Harris County", "TX", dt.datetime(2017, 2, 3), "Policy", "Warrant", None])
    ws["C2"].number_format, ws["F2"].number_format, ws["C3"].number_format = "mmm-yy", "yyyy", "yyyy-mm-dd"
    wb.save(inputs / "policies.xlsx")
    dataset = load_inputs(inputs)
    assert dataset.problems == []
    got = {r.jurisdiction: (r.date_enacted, r.date_enacted_precision, r.as_of_precision)
           for r in dataset.used("policies").itertuples()}
    assert got == {"Travis County": (day("2017-02-01"), "month", "year"),
                   "Harris County": (day("2017-02-03"), "day", None)}
