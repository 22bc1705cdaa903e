"""Issue 11: the report as a journalist, a sheriff and a statistician read it, checked in what is published:
the rendered PDF (pdfplumber positions, text), the HTML, the downloads and the county pages."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from pdf_checks import captions, glyphs_outside_margins, overlapping_glyphs, page_lines
from reports.run import run_job
from reports.options import RunOptions
from cli_helpers import fast_rendering
from test_report import (CHARGES, WEEK_END, _detainer_rows, _in, _outcome, published,  # noqa: F401 (fixtures)
                         published_pdf)

SAMPLE_NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)  # two complete weeks after the sample data


def _publish_sample(base: Path) -> dict:
    (base / "empty").mkdir()
    options = RunOptions(inputs=base / "empty", outputs=base / "outputs", staff=base / "staff",
                         settings=base / "settings.toml", now=SAMPLE_NOW)
    result = run_job(options)
    assert result.exit_code == 0, result.summary
    folder = base / "outputs" / "2026-11-13"
    return {"base": base, "outputs": base / "outputs", "folder": folder,
            "json": json.loads((folder / "report.json").read_text()), "html": (folder / "report.html").read_text()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample published, with the PDF and chart stubbed (tests/cli_helpers.py)."""
    with fast_rendering():
        return _publish_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    """The bundled sample with its real PDF, and the PDF's lines page by page."""
    sample = _publish_sample(tmp_path_factory.mktemp("sample-pdf"))
    pdf = sample["folder"] / "report.pdf"
    return {**sample, "pdf": pdf, "pages": page_lines(pdf)}


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _half_up(numerator: int, denominator: int, decimals: int, scale: int = 1) -> str:
    exact = Fraction(scale * numerator, denominator) * 10 ** decimals
    units = int(exact + Fraction(1, 2))
    return f"{units / 10 ** decimals:.{decimals}f}"


# --- the PDF: margins, order, headers ----------------------------------------------------------------------


@pytest.mark.slow
def test_every_glyph_of_the_sample_pdf_lies_inside_the_margins(sample_pdf):
    assert glyphs_outside_margins(sample_pdf["pdf"]) == []
    assert overlapping_glyphs(sample_pdf["pdf"]) == []


@pytest.mark.slow
@pytest.mark.real_render
def test_the_overlap_check_finds_a_number_run_into_the_next_cell(tmp_path):
    """The check above would see a column too narrow for a number that may not wrap, and passes the same
    table with room for it."""
    from reports.render import render_pdf

    def pdf(width: str) -> Path:
        html = ('<html lang="en"><head><title>t</title><style>table{table-layout:fixed;width:100%}'
                f'td{{white-space:nowrap;font-size:8pt}}col.n{{width:{width}}}</style></head><body><table>'
                '<colgroup><col class="n"><col></colgroup><tr><td>10,039,107,123</td><td>next cell</td></tr>'
                '</table></body></html>')
        path = tmp_path / f"{width}.pdf"
        path.write_bytes(render_pdf(html, dt.date(2025, 6, 13)))
        return path

    assert overlapping_glyphs(pdf("4%")), "a number wider than its column"
    assert overlapping_glyphs(pdf("30%")) == []


@pytest.mark.slow
def test_tables_are_numbered_in_order_and_each_caption_keeps_three_rows_on_its_page(sample_pdf):
    pages = sample_pdf["pages"]
    found = captions(pages)
    numbers = [n for _, n, _ in found]
    assert numbers == sorted(numbers, key=lambda n: (int(re.match(r"\d+", n)[0]), n))
    whole = sorted({int(re.match(r"\d+", n)[0]) for n in numbers})
    assert whole == list(range(1, len(whole) + 1))  # no number skipped
    assert {"1", "2", "3a", "3b", "4a", "4b", "5", "6"} <= set(numbers)
    for page, number, top in found:
        below = [text for t, text in pages[page] if t > top and not text.startswith(("Page ", "Revision "))]
        assert len(below) >= 5, f"Table {number}: caption on page {page + 1} with only {len(below)} lines under it"


@pytest.mark.slow
@pytest.mark.parametrize("number, header", [("2", "Of them, outcome so far"), ("3a", "Of them, issued"),
                                            ("4a", "Up to the end of the week"), ("4b", "Up to the end of the week")])
def test_a_table_continued_on_another_page_repeats_its_header(sample_pdf, number, header):
    pages = sample_pdf["pages"]
    start = next(page for page, n, _ in captions(pages) if n == number)
    end = next(i for i in range(start, len(pages))
               if any(text.startswith("Total ") for _, text in pages[i]
                      if i > start or True) and _after_caption(pages, i, start, number))
    for i in range(start, end + 1):
        words = {w for _, text in pages[i] for w in text.split()}
        assert set(header.split()) <= words, f"Table {number} on page {i + 1} without its header"


def _after_caption(pages, i, start, number):
    """Does page i hold table ``number``'s total row (the first 'Total' line after its caption)?"""
    caption_top = next(top for p, n, top in captions(pages) if n == number) if i == start else -1
    return any(text.startswith("Total ") and top > caption_top for top, text in pages[i])


# --- figures where they are read ------------------------------------------------------------------------------


def test_two_declined_figures_are_named_apart_everywhere(published):
    html, folder = published["html"], published["folder"]
    assert "Declined so far" in html and "Declines recorded this week" in html
    assert "Two different “declined” figures." in html
    header = next(csv.reader(io.StringIO((folder / "jurisdictions.csv").read_text())))
    assert "issued_declined_so_far" in header and "declines_recorded_this_week" in header
    assert "declined" not in header and "issued_declined" not in header
    travis = next(r for r in _csv(folder / "jurisdictions.csv") if r["fips"] == "48453")
    # counted here from the fixture: Travis issued 6 in the week, 2 of them declined so far; 5 declines recorded
    rows = [r for r in published["rows"] if r["County FIPS"] == "48453"]
    so_far = sum(1 for r in rows if _in(r["Date Issued"]) and _outcome(r["Outcome"]) == "declined")
    recorded = sum(1 for r in rows if _outcome(r["Outcome"]) == "declined" and _in(r["Outcome Date"]))
    assert (travis["issued_declined_so_far"], travis["declines_recorded_this_week"]) == (str(so_far), str(recorded))
    dictionary = {(r["file"], r["column"]): r for r in _csv(folder / "data-dictionary.csv")}
    assert "not the same as declines_recorded_this_week" in dictionary[("jurisdictions.csv", "issued_declined_so_far")]["meaning"]
    # report.json keeps its documented keys
    j = next(r for r in published["json"]["jurisdictions"] if r["fips"] == "48453")
    assert j["issued_outcomes"]["declined"] == so_far and j["declined"] == recorded


@pytest.mark.slow
def test_two_declined_figures_are_named_apart_in_the_pdf(published_pdf):
    pdf_text = " ".join(" ".join(published_pdf["pdf_pages"]).split())
    assert "Two different “declined” figures. Declined so far counts the detainers issued this week" in pdf_text
    assert "Declined so far" in pdf_text and "Declines recorded this week" in pdf_text


def _cohort_by_hand(rows) -> tuple[set, set, dt.date]:
    """Counted here from the fixture: the people declined up to the end of the week, those of them charged
    after their decline, and the first decline."""
    declined = [r for r in rows if _outcome(r["Outcome"]) == "declined" and r["Outcome Date"] <= WEEK_END]
    people = {r["Subject ID"] for r in declined}
    first = min(r["Outcome Date"] for r in declined)
    decline_day = {r["Subject ID"]: r["Outcome Date"] for r in declined}
    charged = {c[0] for c in CHARGES if c[0] in decline_day and decline_day[c[0]] < c[2] <= WEEK_END}
    return people, charged, first


def test_subsequent_charges_have_their_cohort_and_no_share_under_20_people(published):
    people, charged, first = _cohort_by_hand(published["rows"])
    cohort = published["json"]["totals"]["subsequent_charges_cohort"]
    assert (cohort["people"], cohort["people_charged"], cohort["declined_since"]) == (len(people), len(charged),
                                                                                       first.isoformat())
    assert len(people) < 20 and cohort["people_charged_percent"] is None


@pytest.mark.slow
def test_subsequent_charges_cohort_in_the_pdf(published_pdf):
    people, charged, first = _cohort_by_hand(published_pdf["rows"])
    text = " ".join(" ".join(published_pdf["pdf_pages"]).split())
    assert f"among {len(people)} whose detainer was declined from {first:%B} {first.day}, {first.year}" in text
    assert f"{len(charged)} of them have any subsequent charge (no share is given for fewer than 20 people)" in text


def test_rates_are_rounded_once_half_up_at_the_printed_precision(sample):
    from reports.rounding import ratio_half_up

    assert ratio_half_up(1, 16, 1, scale=100) == 6.3  # 6.25 %: round() would give 6.2
    assert ratio_half_up(12531, 1_000_000_000, 1, scale=100_000) == 1.3  # 1.2531 per 100,000, not 1.2
    html_rows = {r[0]: r for r in _html_table_rows(sample["html"], "Table 2.")}
    for row in _csv(sample["folder"] / "jurisdictions.csv"):
        if not row["fips"] or row["name"] not in html_rows:
            continue
        issued, pending, declined = int(row["issued"]), int(row["issued_pending"]), int(row["issued_declined_so_far"])
        printed = html_rows[row["name"]]
        assert printed[10] == _half_up(issued, int(row["population"]), 1, 100_000)
        if issued - pending >= 5:
            assert printed[7] == _half_up(declined, issued - pending, 1, 100) + "%"
    for r in sample["json"]["jurisdictions"]:  # numerator and denominator travel with the rate
        if r["decline_rate_percent"] is not None:
            assert r["resolved"] == r["issued"] - r["issued_outcomes"]["pending"]


@pytest.mark.slow
def test_week_over_week_and_the_four_week_average_come_from_the_trend(sample_pdf):
    trend = _csv(sample_pdf["folder"] / "trend.csv")
    issued = [int(r["issued"]) for r in trend]
    change = issued[-1] - issued[-2]
    average = _half_up(sum(issued[-5:-1]), 4, 1)
    text = " ".join(" ".join(t for _, t in sample_pdf["pages"][0]).split())
    sign = "+" if change > 0 else "\u2212"
    assert f"Previous week {issued[-2]:,} ({sign}{abs(change):,}); average of the four weeks before {average}." in text


@pytest.mark.slow
def test_a_week_with_data_but_none_since_says_it_is_the_latest_with_data(sample_pdf):
    assert sample_pdf["json"]["latest_week_with_data"] == "2026-11-13"
    assert sample_pdf["json"]["weeks_without_data_since"] == 2  # weeks ending Nov 20 and Nov 27
    first_page = " ".join(" ".join(t for _, t in sample_pdf["pages"][0]).split())
    assert "This is the latest week with data. No detainer data were received for the 2 complete weeks" in first_page


def test_trend_weeks_with_a_caveat_are_marked(sample):
    trend = _csv(sample["folder"] / "trend.csv")
    policies = _csv(sample["folder"] / "policies.csv")
    weeks_with_policy = {r["week_end"] for r in trend for p in policies
                         if len(p["date_enacted"]) == 10 and r["week_start"] <= p["date_enacted"] <= r["week_end"]}
    assert weeks_with_policy  # the sample's Travis County policy took effect in the trend window
    for r in trend:
        assert ("policy took effect" in r["caveat"]) == (r["week_end"] in weeks_with_policy)
    rows = {r[0]: r for r in _html_table_rows(sample["html"], "Table 6.")}
    for week in weeks_with_policy:
        assert rows[f"{week} †"][4].startswith("policy took effect")


# --- downloads ---------------------------------------------------------------------------------------------------


def test_workbook_has_real_dates_integers_blanks_and_chosen_sheet_names(sample):
    from reports.downloads import SHEET_NAMES

    workbook = openpyxl.load_workbook(sample["folder"] / "tables.xlsx")
    assert workbook.sheetnames == [SHEET_NAMES[name] for name in _published_csvs(sample["folder"])]
    assert all(len(name) <= 31 for name in workbook.sheetnames)
    issued = workbook["detainers-issued"]
    header = [c.value for c in issued[2]]  # row 1 is the SAMPLE line
    outcome_week = header.index("outcome_week")
    values = [row[outcome_week].value for row in issued.iter_rows(min_row=3)]
    assert any(v is None for v in values)  # pending: blank, never the text "NaT"
    assert all(v is None or isinstance(v, dt.datetime) for v in values)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.value not in ("NaT", "nan", "True", "False") and not isinstance(cell.value, bool)
    jurisdictions = workbook["jurisdictions"]
    population = [c.value for c in jurisdictions[2]].index("population")
    assert all(isinstance(r[population].value, int) for r in jurisdictions.iter_rows(min_row=3) if r[population].value)


def test_population_is_an_integer_in_csv_and_json(sample):
    assert all(re.fullmatch(r"\d*", r["population"]) for r in _csv(sample["folder"] / "jurisdictions.csv"))
    assert all(r["population"] is None or isinstance(r["population"], int) for r in sample["json"]["jurisdictions"])


def test_every_column_of_every_download_is_in_the_data_dictionary(sample):
    dictionary = _csv(sample["folder"] / "data-dictionary.csv")
    described = {(r["file"], r["column"]) for r in dictionary if r["meaning"] and r["unit"] and r["source"]}
    for name in _published_csvs(sample["folder"]):
        if name == "data-dictionary.csv":
            continue
        header = next(csv.reader(io.StringIO((sample["folder"] / name).read_text(encoding="utf-8"))))
        assert {(name, column) for column in header} <= described, name
    workbook = openpyxl.load_workbook(sample["folder"] / "tables.xlsx")
    assert workbook["data-dictionary"].max_row == len(dictionary) + 2  # the SAMPLE line and the header


def _published_csvs(folder: Path) -> list[str]:
    from reports.render import DOWNLOADS

    return [name for name, _ in DOWNLOADS if name.endswith(".csv") and (folder / name).exists()]


# --- the map -------------------------------------------------------------------------------------------------------


def test_maps_in_html_have_one_region_per_county_and_hatch_counties_without_detainers(sample):
    from reports.mapgeometry import load_geometry

    html = sample["html"]
    counties = set(load_geometry().counties)
    for map_id in ("declines", "per100k"):
        svg = html[html.index(f'id="map-{map_id}-title"'):]
        svg = svg[:svg.index("</svg>")]
        regions = re.findall(r'<path data-fips="(\d{5})"', svg)
        assert len(regions) == len(counties) and set(regions) == counties
        assert f"url(#map-{map_id}-no-data)" in svg
    with_detainers = {r["fips"] for r in sample["json"]["jurisdictions"]
                      if r["fips"] and (r["issued"] or r["declined"])}
    svg = html[html.index('id="map-declines-title"'):]
    svg = svg[:svg.index("</svg>")]
    for fips in ("17031", "06037"):  # counties with detainers: a value; a county without: "No data"
        assert fips in with_detainers
    no_data = re.findall(r'<path data-fips="(\d{5})" d="[^"]*"><title>[^<]*: no data</title>', svg)
    assert not set(no_data) & with_detainers and len(no_data) == len(counties) - len(with_detainers)
    not_determined = sample["json"]["totals"]["declined_not_determined"]
    words = "decline could not be placed in a county and is" if not_determined == 1 else \
        "declines could not be placed in a county and are"
    assert f"Not determined: {not_determined:,} {words} not on the map" in html


@pytest.mark.slow
def test_maps_in_the_pdf_with_their_text_alternative_and_not_determined_count(sample_pdf):
    reader = PdfReader(sample_pdf["pdf"])
    text = " ".join(" ".join(page.extract_text() for page in reader.pages[:3]).split())
    assert "Map 1. Declines recorded this week, by county" in text
    assert "Map 2. Detainers issued this week per 100,000 residents, by county" in text
    assert f"Not determined: {sample_pdf['json']['totals']['declined_not_determined']:,} decline" in text
    from test_countymap import figure_alt_texts

    alts = figure_alt_texts(reader)
    assert any(a.startswith("Map 1. Declines recorded this week, by county. Map of US counties") for a in alts)
    assert any(a.startswith("Map 2. Detainers issued this week per 100,000") for a in alts)


# --- county pages and navigation ----------------------------------------------------------------------------------


def test_county_page_figures_are_report_json_figures(sample):
    data = sample["json"]
    for j in data["jurisdictions"]:
        if not j["fips"]:
            continue
        page = (sample["outputs"] / "jurisdictions" / f"{j['fips']}.html").read_text()
        row = re.search(r'<tr data-week="2026-11-13">(.*?)</tr>', page, re.S)[1]
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        o = j["issued_outcomes"]
        charges = next((c["charges_week"] for c in data["subsequent_charges_by_jurisdiction"] if c["fips"] == j["fips"]), 0)
        assert cells[1:8] == [f"{v:,}" for v in (j["issued"], o["honored"], o["declined"], o["pending"], o["other"],
                                                j["declined"], charges)], j["name"]
        assert cells[8] == ("Yes" if j["policy_on_file"] else "No")
    index = (sample["outputs"] / "jurisdictions" / "index.html").read_text()
    assert index.count('<li data-search=') == len({j["fips"] for j in data["jurisdictions"] if j["fips"]} |
                                                   {c["fips"] for c in data["subsequent_charges_by_jurisdiction"] if c["fips"]})
    assert 'id="county-filter"' in index and "<noscript>" not in index


def test_county_page_links_resolve_from_its_place(sample):
    folder = sample["outputs"] / "jurisdictions"
    for page in [folder / "17031.html", folder / "index.html"]:
        for href in re.findall(r'href="([^"#]+)"', page.read_text()):
            assert (page.parent / href).resolve().exists(), f"{page.name}: {href}"


def test_report_links_to_neighbouring_weeks_index_feed_and_county_pages(sample):
    html, base = sample["html"], "https://example.org/detainer-reports/"
    for target in ("2026-11-06/report.html", "2026-11-20/report.html", "index.html", "feed.xml",
                   "jurisdictions/index.html", "jurisdictions/17031.html"):
        assert f'href="{base}{target}"' in html, target
    for target in ("index.html", "feed.xml", "jurisdictions/index.html", "jurisdictions/17031.html"):
        assert (sample["outputs"] / target).exists()  # the absolute links name files that are published
    rows = _html_table_rows(html, "Table 2.")
    linked = set(re.findall(r'<a href="https://example.org/detainer-reports/jurisdictions/(\d{5}).html">', html))
    assert {r["fips"] for r in sample["json"]["jurisdictions"] if r["fips"]} & set(linked)
    assert len(rows) > 3


def _html_table_rows(html: str, prefix: str) -> list[list[str]]:
    from test_report import _table, _tables

    return _table(_tables(html), prefix)
