"""The weekly report end to end: figures in report.json, HTML and PDF agree with counts made here."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from cli_helpers import fast_rendering
from reports.run import run_job
from reports.options import RunOptions

WEEK_START, WEEK_END = dt.date(2017, 1, 28), dt.date(2017, 2, 3)  # DDOR issue 1
NOW = dt.datetime(2017, 3, 20, 9, 0, tzinfo=dt.timezone.utc)
HEADER = ["Detainer ID", "Subject ID", "Facility", "Facility Code", "State", "County FIPS", "Date Issued",
          "Outcome", "Outcome Date", "Citizenship", "Criminality", "Most Serious Conviction"]
D = dt.date


def _detainer_rows():
    """Hand-written detainers: the expected figures are counted from this list, not from the library."""
    rows = []
    n = 0

    def add(subject, facility, code, state, fips, issued, outcome, decided, crim="convicted", cit="Mexico",
            msc="Assault"):
        nonlocal n
        n += 1
        rows.append({"Detainer ID": f"DET-{n:04d}", "Subject ID": subject, "Facility": facility,
                     "Facility Code": code, "State": state, "County FIPS": fips, "Date Issued": issued,
                     "Outcome": outcome, "Outcome Date": decided, "Citizenship": cit, "Criminality": crim,
                     "Most Serious Conviction": msc})

    travis, clark = ("TRAVIS COUNTY JAIL", "TXTRAV", "TX", "48453"), ("CLARK COUNTY DETENTION", "NVCLRK", "NV", "32003")
    franklin = ("FRANKLIN COUNTY JAIL", "PAFRNK", "PA", "")  # county comes from the facilities sheet
    nowhere = ("REGIONAL HOLDING CENTER", "XXHOLD", "TX", "")  # not mapped: jurisdiction not determined
    # Travis: 6 issued in the week (2 declined, 1 honored, 2 pending, 1 other), 4 declines of older detainers
    add("SUBJ-T1", *travis, D(2017, 1, 28), "Detainer Declined by LEA", D(2017, 2, 1))
    add("SUBJ-T2", *travis, D(2017, 1, 29), "declined", D(2017, 2, 6), crim="pending charges", msc="")
    add("SUBJ-T3", *travis, D(2017, 1, 30), "Booked into Detention", D(2017, 2, 2))
    add("SUBJ-T4", *travis, D(2017, 1, 31), "", None, crim="none", msc="")
    add("SUBJ-T5", *travis, D(2017, 2, 3), "pending", None)
    add("SUBJ-T6", *travis, D(2017, 2, 2), "Transferred", D(2017, 2, 3))
    for i, issued in enumerate([D(2016, 11, 5), D(2016, 12, 24), D(2017, 1, 20), D(2015, 6, 1)]):
        add(f"SUBJ-TO{i}", *travis, issued, "Detainer Declined by LEA", D(2017, 2, 1),
            crim=["convicted", "pending charges", "none", "convicted"][i], cit="GUATEMALA")
    # Clark: 5 issued (4 honored, 1 declined in the week)
    for i in range(4):
        add(f"SUBJ-C{i}", *clark, D(2017, 1, 28) + dt.timedelta(days=i), "honored", D(2017, 2, 1))
    add("SUBJ-C9", *clark, D(2017, 2, 1), "declined", D(2017, 2, 2), crim="pending charges", msc="")
    # Franklin PA via the facilities sheet: 3 issued, all pending; one decline issued before
    for i in range(3):
        add(f"SUBJ-F{i}", *franklin, D(2017, 1, 30), "", None)
    add("SUBJ-F9", *franklin, D(2017, 1, 2), "declined", D(2017, 1, 30), crim="none", msc="")
    # undetermined: 2 issued, one declined in the week
    add("SUBJ-N1", *nowhere, D(2017, 1, 29), "honored", D(2017, 1, 31))
    add("SUBJ-N2", *nowhere, D(2017, 1, 29), "declined", D(2017, 1, 31), cit="ATLANTIS")
    # outside the week entirely
    add("SUBJ-X1", *travis, D(2017, 1, 20), "honored", D(2017, 1, 22))
    add("SUBJ-X2", *clark, D(2017, 2, 4), "declined", D(2017, 2, 5))
    # hostile text: must be escaped in HTML and neutralised in CSV
    add("SUBJ-H1", "=HYPERLINK(\"http://evil.example\")<script>alert(1)</script>", "NVEVIL", "NV", "32003",
        D(2017, 2, 1), "declined", D(2017, 2, 1))
    return rows


CHARGES = [
    # subject, detainer id, arrest date, charge, category, status
    ("SUBJ-T1", "", D(2017, 2, 2), "Driving with suspended license", "Traffic", "pending"),
    ("SUBJ-T1", "", D(2017, 2, 3), "Assault", "Violent", "convicted"),
    ("SUBJ-TO0", "", D(2017, 1, 31), "Shoplifting", "Property", "dismissed"),  # before its decline (Feb 1)
    ("SUBJ-TO1", "", D(2017, 2, 1), "Trespass", "Other", "pending"),  # same day as decline: not subsequent
    ("SUBJ-F9", "<F9>", D(2017, 1, 31), "Possession of marijuana", "Drug", "acquitted"),  # by Detainer ID
    ("SUBJ-F9", "", D(2017, 2, 8), "Burglary", "Property", "pending"),  # after the week
]


def _write_inputs(folder: Path) -> list[dict]:
    rows = _detainer_rows()
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Detainers"
    ws.append(["Detainers, week of January 28, 2017 (test fixture)"])
    ws.append([])
    ws.append(HEADER)
    for r in rows:
        ws.append([r[h] for h in HEADER])
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # hostile text stored as text, as Excel does when typed with a quote
    wb.save(folder / "detainers.xlsx")
    with open(folder / "facilities.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Facility", "Facility Code", "State", "County FIPS"])
        w.writerow(["Franklin County Jail", "", "PA", "42055"])
    with open(folder / "charges.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Subject ID", "Detainer ID", "Arrest Date", "State", "Charge", "Charge Category", "Status"])
        f9 = next(r["Detainer ID"] for r in rows if r["Subject ID"] == "SUBJ-F9")
        for subject, detainer, arrest, charge, category, status in CHARGES:
            w.writerow([subject, detainer.replace("<F9>", f9), arrest.isoformat(), "TX", charge, category, status])
    with open(folder / "policies.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Jurisdiction", "State", "County FIPS", "AOR", "Date Enacted", "Policy",
                    "Criteria for Honoring Detainer", "Source", "As Of"])
        w.writerow(["Travis County", "TX", "48453", "San Antonio", "2017-02-01", "Honors only some detainers",
                    "Serious offenses", "Sheriff's statement", "2017-03-01"])
        w.writerow(["Later County", "TX", "48201", "Houston", "2017-03-01", "Enacted after the week", "None",
                    "", ""])
        # real policy lists give only the month (or the year): kept at that precision, never given a day
        w.writerow(["Cook County", "IL", "17031", "Chicago", "Sept. 2014", "Ordinance", "None", "Press", "2017"])
        w.writerow(["Multnomah County", "OR", "41051", "Seattle", "2/2017", "Sheriff policy", "Warrant", "", ""])
        w.writerow(["Santa Clara County", "CA", "06085", "San Francisco", "February 2016", "Board policy",
                    "Warrant", "", "2017-01"])
    return rows


def _in(day, start=WEEK_START, end=WEEK_END):
    return day is not None and start <= day <= end


def _outcome(text):
    text = (text or "").strip().lower()
    return {"detainer declined by lea": "declined", "declined": "declined", "booked into detention": "honored",
            "honored": "honored", "": "pending", "pending": "pending"}.get(text, "other")


def _publish(base: Path) -> dict:
    rows = _write_inputs(base / "inputs")
    options = RunOptions(inputs=base / "inputs", outputs=base / "outputs", staff=base / "staff",
                         settings=base / "settings.toml", now=NOW, week=dt.date(2017, 2, 1))
    result = run_job(options)
    assert result.exit_code == 0, result.summary + "\n" + "\n".join(p.line() for p in result.dataset.errors)
    folder = base / "outputs" / "2017-02-03"
    return {"rows": rows, "folder": folder, "json": json.loads((folder / "report.json").read_text()),
            "html": (folder / "report.html").read_text(), "base": base}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The fixture week, published with the PDF and chart stubbed (tests/cli_helpers.py)."""
    with fast_rendering():
        return _publish(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def published_pdf(tmp_path_factory):
    """The fixture week with its real PDF, and the PDF's text page by page."""
    published = _publish(tmp_path_factory.mktemp("report-pdf"))
    return {**published, "pdf_pages": [p.extract_text() for p in PdfReader(published["folder"] / "report.pdf").pages]}


def expected_totals(rows):
    issued = [r for r in rows if _in(r["Date Issued"])]
    declines = [r for r in rows if _outcome(r["Outcome"]) == "declined" and _in(r["Outcome Date"])]
    outcomes = {o: sum(1 for r in issued if _outcome(r["Outcome"]) == o)
                for o in ("honored", "declined", "pending", "other")}
    decline_day = {r["Subject ID"]: r["Outcome Date"] for r in rows if _outcome(r["Outcome"]) == "declined"}
    subsequent = [c for c in CHARGES if c[2] > decline_day[c[0]]]
    return {
        "issued": len(issued), "issued_outcomes": outcomes, "declined": len(declines),
        "declined_issued_before_period": sum(1 for r in declines if r["Date Issued"] < WEEK_START),
        "subsequent_charges": sum(1 for c in subsequent if _in(c[2])),
        "subsequent_charges_cumulative": sum(1 for c in subsequent if c[2] <= WEEK_END),
    }


def test_report_json_totals_match_independent_count(published):
    data, expected = published["json"], expected_totals(published["rows"])
    assert data["period"] == {"start": "2017-01-28", "end": "2017-02-03"}
    assert data["sample"] is False
    for key, value in expected.items():
        assert data["totals"][key] == value, key
    assert sum(data["totals"]["issued_outcomes"].values()) == data["totals"]["issued"]
    # hand check of the hand-written fixture, so the counting helper above is itself tested
    assert expected["issued"] == 17 and expected["declined"] == 9 and expected["declined_issued_before_period"] == 5
    assert expected["issued_outcomes"] == {"honored": 6, "declined": 5, "pending": 5, "other": 1}
    assert expected["subsequent_charges"] == 3 and expected["subsequent_charges_cumulative"] == 3


def test_jurisdictions_keyed_on_fips_with_not_determined(published):
    by_fips = {j["fips"]: j for j in published["json"]["jurisdictions"]}
    assert set(by_fips) == {"48453", "32003", "42055", None}
    travis = by_fips["48453"]
    assert (travis["name"], travis["state"], travis["issued"], travis["declined"]) == ("Travis County", "TX", 6, 5)
    assert travis["issued_outcomes"] == {"honored": 1, "declined": 2, "pending": 2, "other": 1}
    assert travis["policy_on_file"] is True
    assert by_fips["42055"]["name"] == "Franklin County" and by_fips["42055"]["state"] == "PA"
    assert by_fips["42055"]["issued_outcomes"]["pending"] == 3 and by_fips["42055"]["declined"] == 1
    assert by_fips[None]["issued"] == 2 and by_fips[None]["declined"] == 1 and by_fips[None]["state"] is None
    assert by_fips["32003"]["policy_on_file"] is False
    assert sum(j["issued"] for j in by_fips.values()) == published["json"]["totals"]["issued"]
    assert sum(j["declined"] for j in by_fips.values()) == published["json"]["totals"]["declined"]
    # population from the Census reference, rate per 100,000 from it
    assert by_fips["48453"]["population"] == 1273954
    assert by_fips["48453"]["issued_per_100k"] == 0.5  # 0.47097… printed to one decimal


def test_policies_newest_first_only_enacted_by_week_end(published):
    policies = published["json"]["policies"]
    # newest first by the first day of each date; a month (2/2017) from its first day, so Feb 2017 is on file
    assert [(p["jurisdiction"], p["date_enacted"], p["as_of"]) for p in policies] == [
        ("Multnomah County", "2017-02", None), ("Travis County", "2017-02-01", "2017-03-01"),
        ("Santa Clara County", "2016-02", "2017-01"), ("Cook County", "2014-09", "2017")]


def test_month_precision_policy_dates_print_as_written_never_with_a_day(published):
    rows = _table(_tables(published["html"]), "Table 5.")
    assert [(r[0].split(" (")[0], r[1], r[4]) for r in rows[1:]] == [
        ("Multnomah County", "February 2017", "–"), ("Travis County", "2017-02-01", "Sheriff's statement, 2017-03-01"),
        ("Santa Clara County", "February 2016", "–, January 2017"), ("Cook County", "September 2014", "Press, 2017")]
    with open(published["folder"] / "policies.csv", encoding="utf-8") as handle:
        dates = [(r["jurisdiction"], r["date_enacted"]) for r in csv.DictReader(handle)]
    assert dates == [("Multnomah County", "2017-02"), ("Travis County", "2017-02-01"),
                     ("Santa Clara County", "2016-02"), ("Cook County", "2014-09")]
    assert "2014-09-01" not in published["html"] and "2017-02-01</td><td>Sheriff policy" not in published["html"]


class _TableParser(HTMLParser):
    """Collects each table's rows as lists of cell texts, keyed by caption."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._row, self._caption, self._in_caption = {}, None, None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption.strip()] = []
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._caption.strip()].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell += data


def _tables(html):
    parser = _TableParser()
    parser.feed(html)
    return parser.tables


def _table(tables, prefix):
    return next(rows for caption, rows in tables.items() if caption.startswith(prefix))


def test_html_figures_and_table_totals_equal_summary(published):
    html, totals = published["html"], published["json"]["totals"]
    figures = dict(re.findall(r'data-figure="(\w+)">([\d,]+)<', html))
    assert figures == {"issued": f"{totals['issued']:,}", "declined": f"{totals['declined']:,}",
                       "subsequent_charges": f"{totals['subsequent_charges']:,}"}
    tables = _tables(html)
    issued = _table(tables, "Table 2.")
    total_row = next(r for r in issued if r[0] == "Total")
    o = totals["issued_outcomes"]
    assert total_row[2:7] == [str(totals["issued"]), str(o["honored"]), str(o["declined"]), str(o["pending"]),
                              str(o["other"])]
    not_determined = next(r for r in issued if r[0] == "Jurisdiction not determined")
    assert not_determined[2] == "2"
    declines = _table(tables, "Table 3a.")
    assert next(r for r in declines if r[0] == "Total")[2:4] == [str(totals["declined"]),
                                                                  str(totals["declined_issued_before_period"])]
    detail = _table(tables, "Table 3b.")
    assert len(detail) - 1 == totals["declined"]  # one header row
    charges = _table(tables, "Table 4a.")
    charge_total = next(r for r in charges if r[0] == "Total")
    assert charge_total[3] == str(totals["subsequent_charges"])
    assert charge_total[9] == str(totals["subsequent_charges_cumulative"])
    trend = _table(tables, "Table 6.")
    last = trend[-1]
    assert last[0] == "2017-02-03 †"  # Travis County's policy took effect that week: a caveat, given in the row
    assert last[4].startswith("policy took effect: Travis County, TX")
    assert last[1] == str(totals["issued"]) and last[3] == str(totals["declined"])


def test_pending_never_presented_as_declined(published):
    tables = _tables(published["html"])
    franklin = next(r for r in _table(tables, "Table 2.") if r[0] == "Franklin County")
    assert franklin[2:7] == ["3", "0", "0", "3", "0"]
    assert franklin[7] == "–"  # no rate when nothing is resolved


@pytest.mark.slow
def test_pdf_text_agrees_with_json(published_pdf):
    text = "\n".join(published_pdf["pdf_pages"])
    totals = published_pdf["json"]["totals"]
    assert f"{totals['issued']} detainers were issued in the week" in " ".join(text.split())
    assert f"{totals['declined']} declines were recorded in the week" in " ".join(text.split())
    assert "Page 1 of" in published_pdf["pdf_pages"][0]
    o = totals["issued_outcomes"]
    assert f"Total {totals['issued']} {o['honored']} {o['declined']} {o['pending']} {o['other']} " in text  # Table 2
    assert re.search(rf"Total {totals['declined']} {totals['declined_issued_before_period']} \d", text)  # Table 3a
    assert all("SAMPLE" not in page for page in published_pdf["pdf_pages"])
    for caveat in published_pdf["json"]["caveats"]:
        assert caveat[:40] in " ".join(text.split())


@pytest.mark.slow
def test_pdf_is_tagged_for_accessibility_and_titled(published_pdf):
    root = PdfReader(published_pdf["folder"] / "report.pdf").trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    meta = PdfReader(published_pdf["folder"] / "report.pdf").metadata
    assert meta.title.startswith("Weekly Declined Detainer Report: week ending February 3, 2017")


@pytest.mark.slow
@pytest.mark.real_render  # renders the report again here, chart included
def test_report_pdf_bytes_are_reproducible(published_pdf, tmp_path):
    """The same inputs, settings and date give the same PDF, byte for byte."""
    from reports.load import load_inputs
    from reports.reference import load_counties
    from reports.render import render_html, render_pdf
    from reports.settings import DEFAULTS
    from reports.period import week_containing
    from reports.tables import build_report

    dataset = load_inputs(published_pdf["base"] / "inputs")
    report = build_report(dataset, week_containing(WEEK_END, 5), DEFAULTS, load_counties(), sample=False,
                          published=NOW.date())
    html = render_html(report, link_base="https://example.org/detainer-reports/archive/2017-02-03/r1/", for_pdf=True)
    assert render_pdf(html, report.published) == (published_pdf["folder"] / "report.pdf").read_bytes()


@pytest.mark.slow  # a spawned process that imports WeasyPrint and matplotlib
@pytest.mark.real_render
def test_the_pdf_worker_process_draws_the_same_pdf_from_the_report(published_pdf):
    """A single edition's page, print HTML and PDF are drawn in the worker process, from the report sent to it:
    the bytes are those of the page and the PDF drawn in this process."""
    from reports import publish
    from reports.load import load_inputs
    from reports.reference import load_counties
    from reports.settings import DEFAULTS
    from reports.period import week_containing
    from reports.tables import build_report

    report = build_report(load_inputs(published_pdf["base"] / "inputs"), week_containing(WEEK_END, 5), DEFAULTS,
                          load_counties(), sample=False, published=NOW.date())
    worker = publish.PdfWorker()
    try:
        page, pdf = worker.render(report, "https://example.org/detainer-reports/archive/2017-02-03/r1/").result()
    finally:
        worker.close()
    assert pdf == (published_pdf["folder"] / "report.pdf").read_bytes()
    assert page == (published_pdf["folder"] / "report.html").read_text(encoding="utf-8")


def test_caveats_name_their_numbers(published):
    caveats = published["json"]["caveats"]
    assert ("Where the counties come from. Detainers issued this week (17): 12 from the County FIPS in the record, "
            "3 from the staff facilities table and 2 not determined. Declines recorded this week (9): 7 from the "
            "County FIPS in the record, 1 from the staff facilities table and 1 not determined. Detainers whose "
            "county could not be determined are counted in the national totals as 'jurisdiction not determined'; "
            "the report never guesses between counties of the same name.") in caveats
    totals = published["json"]["totals"]
    assert totals["issued_attribution"] == {"record": 12, "staff": 3, "reference-code": 0, "reference-name": 0,
                                            "name-names-county": 0, "reference-words": 0, "city": 0,
                                            "correction": 0, "none": 2}
    assert totals["declined_attribution"]["record"] == 7 and totals["declined_attribution"]["none"] == 1
    assert any(c.startswith("5 of the 9 declines recorded this week (56%) were for detainers issued before")
               for c in caveats)
    assert any(c.startswith("5 of the 17 detainers issued this week (29%) had no recorded outcome yet") for c in caveats)
    assert any("1 record in the source files had a citizenship that was not recognised" in c for c in caveats)
    assert any(c.startswith("6 of the 9 declines (67%) were recorded on a single day, Wednesday, February 1. "
                            "5 of them were in Travis County, TX.")
               and "That is the day a policy limiting cooperation took effect there" in c for c in caveats)


def test_downloads_trace_rows_without_identifiers(published):
    folder = published["folder"]
    with open(folder / "declines.csv", encoding="utf-8") as f:
        declines = list(csv.DictReader(f))
    assert len(declines) == published["json"]["totals"]["declined"]
    with open(folder / "detainers-issued.csv", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == published["json"]["totals"]["issued"]
    with open(folder / "subsequent-charges.csv", encoding="utf-8") as f:
        charges = list(csv.DictReader(f))
    assert len(charges) == published["json"]["totals"]["subsequent_charges_cumulative"]
    for path in folder.iterdir():
        if path.suffix in (".csv", ".json", ".html"):
            text = path.read_text(encoding="utf-8")
            assert "SUBJ-" not in text and "DET-0" not in text, path.name
            assert "subject_id" not in text and "detainer_id" not in text, path.name
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir()), "staging left behind"


def test_hostile_text_is_escaped_and_neutralised(published):
    html = published["html"]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    with open(published["folder"] / "declines.csv", encoding="utf-8") as f:
        facilities = [r["facility"] for r in csv.DictReader(f)]
    hostile = [f for f in facilities if "HYPERLINK" in f]
    assert hostile and all(f.startswith("'=") for f in hostile)
    wb = openpyxl.load_workbook(published["folder"] / "tables.xlsx")
    cells = [c for row in wb["declines"].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


def test_index_lists_the_week(published):
    index = (published["folder"].parent / "index.html").read_text()
    assert 'href="2017-02-03/report.html"' in index and 'href="2017-02-03/report.pdf"' in index


def test_staff_reports_are_not_public(published):
    base = published["base"]
    assert (base / "staff" / "problems.csv").exists()
    assert not list((base / "outputs").rglob("problems.csv"))
    assert not list((base / "outputs").rglob("unmapped-facilities.xlsx"))


def test_trend_caveats_mark_a_policy_a_late_batch_and_a_single_day():
    """Each rule of the trend's † on its own week, and a week that meets none (headlines.trend_caveats)."""
    import pandas as pd

    from reports.headlines import trend_caveats
    from reports.parsers import DAY, MONTH
    from reports.reference import load_counties

    def declines(recorded: list[str], issued: str | list[str]) -> list[dict]:
        issued = issued if isinstance(issued, list) else [issued] * len(recorded)
        return [{"outcome": "declined", "outcome_date": pd.Timestamp(r), "date_issued": pd.Timestamp(i)}
                for r, i in zip(recorded, issued)]

    rows = (declines(["2017-01-09", "2017-01-10", "2017-01-11", "2017-01-12", "2017-01-13", "2017-01-14"],
                     ["2016-11-01", "2016-11-02", "2016-11-03", "2016-11-04", "2017-01-05", "2017-01-06"])  # late
            + declines(["2017-01-16 08:00", "2017-01-16 17:30", "2017-01-16", "2017-01-19", "2017-01-20"],
                       "2017-01-10")  # three of five on one day
            + declines(["2017-01-23", "2017-01-24", "2017-01-25", "2017-01-26"], "2016-10-01")  # only four
            + declines(["2017-01-30", "2017-01-31", "2017-02-01", "2017-02-02", "2017-02-03"], "2017-01-25")
            + [{"outcome": "declined", "outcome_date": pd.NaT, "date_issued": pd.Timestamp("2016-01-01")},
               {"outcome": "honored", "outcome_date": pd.Timestamp("2017-01-16"),
                "date_issued": pd.Timestamp("2017-01-16")}])
    policies = pd.DataFrame({
        "date_enacted": pd.to_datetime(["2017-01-31", "2017-01-09", "2017-02-10"]),
        "date_enacted_precision": [DAY, MONTH, DAY], "county_fips": ["48453", "06037", "48453"],
        "jurisdiction": ["Travis County", "Los Angeles County", "Travis County"]})
    starts = pd.to_datetime(["2017-01-08", "2017-01-15", "2017-01-22", "2017-01-29"])
    trend = pd.DataFrame({"week_start": starts.date, "week_end": (starts + pd.Timedelta(days=6)).date})
    texts = trend_caveats(pd.DataFrame(rows), policies, trend, load_counties())
    assert texts == ["late batch: most declines were of detainers issued over four weeks earlier",
                     "most declines recorded on one day", "", "policy took effect: Travis County, TX"]


def test_an_edition_draws_each_trend_chart_once(published, tmp_path, monkeypatch):
    """The page and the PDF show the same trend chart: it is drawn once for both (and once for phones)."""
    from cli_helpers import stub_trend_chart_svg
    from reports import publish, render
    from reports.load import load_inputs
    from reports.period import week_containing
    from reports.reference import load_counties
    from reports.settings import DEFAULTS
    from reports.tables import build_report

    drawn = []
    monkeypatch.setattr(render, "trend_chart_svg",
                        lambda report, phone=False: drawn.append(phone) or stub_trend_chart_svg(report, phone))
    monkeypatch.setattr(publish, "render_pdf", lambda html, day: drawn.append("pdf") or html.encode("utf-8"))
    report = build_report(load_inputs(published["base"] / "inputs"), week_containing(WEEK_END, 5), DEFAULTS,
                          load_counties(), sample=False, published=NOW.date())
    publish.build_publication(report, tmp_path / "edition", "https://example.org/", {"week": report.week.name})
    assert sorted(map(str, drawn)) == ["False", "True", "pdf"]
    page, pdf_html = (tmp_path / "edition" / "report.html").read_text(), (tmp_path / "edition" / "report.pdf").read_text()
    chart = re.search(r'<img src="(data:image/svg\+xml;base64,[^"]+)"', pdf_html)[1]
    assert chart in page
