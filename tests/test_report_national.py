"""A national-scale week (every county of the Census list with detainers, about 3,000 jurisdictions): the PDF
stays inside its margins and bounded in length, and says where the full lists are. And every published file,
new ones included, is byte-reproducible. Slow: big PDFs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from national_week import NOW, WEEK_END, write_national_week
from pdf_checks import glyphs_outside_margins, overlapping_glyphs
from reports.run import run_job
from reports.options import RunOptions

pytestmark = pytest.mark.slow
MAX_PAGES = 30


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    base = tmp_path_factory.mktemp("national")
    counties = write_national_week(base / "inputs")
    result = run_job(RunOptions(inputs=base / "inputs", outputs=base / "outputs", staff=base / "staff",
                                settings=base / "settings.toml", now=NOW, week=WEEK_END))
    assert result.exit_code == 0, result.summary
    folder = base / "outputs" / WEEK_END.isoformat()
    return {"folder": folder, "counties": counties, "json": json.loads((folder / "report.json").read_text()),
            "outputs": base / "outputs"}


def test_a_national_week_has_over_a_thousand_jurisdictions(national):
    assert len([j for j in national["json"]["jurisdictions"] if j["fips"]]) > 1_000


def test_every_glyph_of_a_national_week_lies_inside_the_margins(national):
    assert glyphs_outside_margins(national["folder"] / "report.pdf") == []


def test_no_text_of_a_national_week_runs_into_other_text(national):
    """The PDF's table columns have set widths (table-layout: fixed): the widest national figures, names and
    dates still fit their columns."""
    assert overlapping_glyphs(national["folder"] / "report.pdf") == []


def test_a_national_week_pdf_is_bounded_and_says_where_the_full_lists_are(national):
    reader = PdfReader(national["folder"] / "report.pdf")
    assert len(reader.pages) <= MAX_PAGES
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    declining = len(national["json"]["declines_by_jurisdiction"]) - 1  # less the total row
    assert declining > 25
    assert f"more in declines-by-jurisdiction.csv" in text
    assert f"all {declining:,} are in declines-by-jurisdiction.csv, in the HTML edition and on the county pages" in text
    assert "Map 1. Declines recorded this week, by county" in text


def test_county_pages_for_every_jurisdiction(national):
    pages = {p.stem for p in (national["outputs"] / "jurisdictions").glob("*.html")} - {"index"}
    assert {j["fips"] for j in national["json"]["jurisdictions"] if j["fips"]} <= pages


@pytest.mark.real_render  # the PDF and the chart are among the files compared
def test_every_published_file_is_byte_reproducible(tmp_path):
    from test_report import NOW as FIXTURE_NOW, _write_inputs

    _write_inputs(tmp_path / "inputs")
    trees = []
    for name in ("one", "two"):
        result = run_job(RunOptions(inputs=tmp_path / "inputs", outputs=tmp_path / name, staff=tmp_path / f"staff-{name}",
                                    settings=tmp_path / "settings.toml", now=FIXTURE_NOW,
                                    week=WEEK_END))
        assert result.exit_code == 0, result.summary
        trees.append(tmp_path / name)
    files = sorted(p.relative_to(trees[0]) for p in trees[0].rglob("*") if p.is_file() and not p.is_symlink())
    assert {Path("jurisdictions/index.html"), Path("archive/2017-02-03/r1/data-dictionary.csv")} <= set(files)
    for relative in files:
        assert (trees[0] / relative).read_bytes() == (trees[1] / relative).read_bytes(), relative
