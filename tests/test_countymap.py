"""County choropleth: every county once, no data hatched and distinct from zero, classes, determinism, PDF."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re

import pytest
from defusedxml import ElementTree

from reports import countymap as cm
from reports import mapgeometry as geo
from reports.reference import COUNTIES_CSV
from reports.render import render_pdf

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2017, 3, 20)
REFERENCE_FIPS = sorted(row["fips"] for row in csv.DictReader(open(COUNTIES_CSV, encoding="utf-8")))
# Detainers issued in issue 1 of the 2017 report (section I), real places with real FIPS codes; and Travis
# County with 0, to test zero
ISSUE_1 = {"32003": 51, "36059": 38, "17031": 13, "19137": 12, "53061": 12, "36033": 9, "41067": 7, "12001": 5,
           "19069": 5, "42055": 5, "48453": 0}


def svg_of(values, **options) -> str:
    options = {"title": "Detainers issued this week, by county", "description": "A map.",
               "legend_title": "Detainers issued this week", **options}
    return cm.county_map_svg(values, **options)


def parse(svg: str):
    return ElementTree.fromstring(svg)


def county_paths(root) -> dict[str, object]:
    paths = [p for p in root.iter(f"{SVG}path") if "data-fips" in p.attrib]
    return {p.get("data-fips"): p for p in paths}


def fill_of(root, fips: str) -> str:
    """The fill a county is painted with: its group's."""
    for group in root.iter(f"{SVG}g"):
        if any(p.get("data-fips") == fips for p in group.findall(f"{SVG}path")):
            return group.get("fill")
    raise AssertionError(f"{fips} is not on the map")


@pytest.fixture(scope="module")
def issue_1_svg() -> str:
    return svg_of(ISSUE_1, note="Not determined: 40 detainers, not on the map")


# --- geometry -----------------------------------------------------------------------------------------------

def test_geometry_has_exactly_the_reference_counties():
    assert sorted(geo.load_geometry().counties) == REFERENCE_FIPS
    assert len(REFERENCE_FIPS) == 3142


def test_topology_ids_are_five_digit_strings():
    topology = json.loads(geo.TOPOLOGY_FILE.read_text(encoding="utf-8"))
    ids = [g["id"] for g in topology["objects"]["counties"]["geometries"]]
    assert all(isinstance(i, str) and re.fullmatch(r"\d{5}", i) for i in ids)
    assert "06037" in ids  # Los Angeles keeps its leading zero


def test_licence_notice_ships_with_the_geometry():
    licence = (geo.GEO_DIR / "us-atlas-LICENSE").read_text(encoding="utf-8")
    assert "Copyright 2013-2019 Michael Bostock" in licence and "Permission to use" in licence


def test_decoder_follows_delta_encoding_and_reversed_arcs():
    topology = {"transform": {"scale": [0.5, 2], "translate": [10, 20]},
                "arcs": [[[0, 0], [2, 0], [0, 1]], [[2, 1], [-2, -1]]]}
    arcs = geo.decode_arcs(topology)
    assert arcs == [[(10, 20), (11, 20), (11, 22)], [(11, 22), (10, 20)]]
    assert geo.stitch_ring(arcs, [0, 1]) == [(10, 20), (11, 20), (11, 22), (10, 20)]
    assert geo.stitch_ring(arcs, [~1, ~0]) == [(10, 20), (11, 22), (11, 20), (10, 20)]


def test_path_numbers_are_short_and_exact():
    assert [geo.format_fixed(v, 10) for v in (123, 120, -5, 0, -1205)] == ["12.3", "12", "-.5", "0", "-120.5"]
    assert geo.polyline_data([(10, 20), (15, 20), (15, 13)], 10, closed=True) == "M1 2l.5 0 0-.7z"


def test_every_county_has_drawable_data():
    for fips, data in geo.load_geometry().counties.items():
        assert re.fullmatch(r"(M[-.\d ]+l[-.\d ]+z)+", data), fips


def test_print_outlines_are_simplified_arc_by_arc_and_every_county_is_still_drawn():
    """The PDF's outlines drop the points within PRINT_TOLERANCE of the line (a quarter of the path data), keep
    every county and its rings, and stay within the tolerance of the full outline."""
    full, printed = geo.load_geometry(), geo.load_geometry(tolerance=geo.PRINT_TOLERANCE)
    assert printed.counties.keys() == full.counties.keys()
    for fips, data in printed.counties.items():
        assert re.fullmatch(r"(M[-.\d ]+l[-.\d ]+z)+", data), fips
        # (a ring is dropped only where simplifying shrank it below a triangle: islets of 0.2 pt in print)
        assert 1 <= data.count("M") <= full.counties[fips].count("M"), fips
    assert sum(map(len, printed.counties.values())) < 0.8 * sum(map(len, full.counties.values()))
    line = [(0.0, 0.0), (1.0, 0.2), (2.0, -0.3), (3.0, 0.0), (4.0, 3.0), (5.0, 0.0)]
    assert geo.simplify(line, 0.5) == [(0.0, 0.0), (3.0, 0.0), (4.0, 3.0), (5.0, 0.0)]
    assert geo.simplify(line, 0.0) == line
    ring = [(0.0, 0.0), (2.0, 0.1), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]  # a closed arc
    assert geo.simplify(ring, 0.5) == [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]


def test_counties_reduced_to_a_point_by_the_source_are_still_drawn():
    # Falls Church city, VA is a line in the source geometry: drawn as a small square where it lies
    assert re.fullmatch(r"M824.3 267.2l2 0 0 2-2 0z", geo.load_geometry().counties["51610"])


# --- the SVG ------------------------------------------------------------------------------------------------

def test_one_region_per_county_of_the_reference(issue_1_svg):
    root = parse(issue_1_svg)
    fips = [p.get("data-fips") for p in root.iter(f"{SVG}path") if "data-fips" in p.attrib]
    assert sorted(fips) == REFERENCE_FIPS  # every county exactly once


def test_svg_is_standalone_accessible_and_responsive(issue_1_svg):
    root = parse(issue_1_svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert len(root.get("viewBox").split()) == 4 and "width:100%" in root.get("style")
    assert root.find(f"{SVG}title").text == "Detainers issued this week, by county"
    assert root.find(f"{SVG}desc").text == "A map."
    assert root.get("aria-labelledby") == "county-map-title county-map-desc"


def test_counties_without_data_are_hatched_not_white(issue_1_svg):
    root = parse(issue_1_svg)
    pattern = root.find(f"{SVG}defs/{SVG}pattern")
    land = [p for p in root.findall(f"{SVG}path") if p.get("fill") == f"url(#{pattern.get('id')})"]
    assert land, "the land under the counties is hatched"
    assert fill_of(root, "06037") == "none"  # Los Angeles has no data: the hatching shows through
    assert county_paths(root)["06037"].find(f"{SVG}title").text == "Los Angeles County, CA: no data"


def test_zero_is_data_in_the_lightest_class_not_no_data(issue_1_svg):
    root = parse(issue_1_svg)
    lightest = cm.classify(ISSUE_1).classes[0]
    assert lightest.label == "0"
    assert fill_of(root, "48453") == lightest.colour != "none"  # Travis County, 0 declines
    assert county_paths(root)["48453"].find(f"{SVG}title").text == "Travis County, TX: 0"
    assert fill_of(root, "32003") == cm.classify(ISSUE_1).classes[-1].colour  # Clark, NV: the most


def test_none_and_nan_mean_no_data():
    root = parse(svg_of({"17031": None, "06037": float("nan"), "48453": 3}))
    assert fill_of(root, "17031") == fill_of(root, "06037") == "none"
    assert fill_of(root, "48453") != "none"


def test_legend_shows_every_class_and_the_no_data_swatch(issue_1_svg):
    root = parse(issue_1_svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    classification = cm.classify(ISSUE_1)
    assert [c.label for c in classification.classes] == ["0", "1\u20135", "6\u20139", "10\u201320", "21\u201351"]
    for map_class in classification.classes:
        assert map_class.label in texts
        assert any(r.get("fill") == map_class.colour for r in root.iter(f"{SVG}rect"))
    assert "No data" in texts and "Detainers issued this week" in texts
    assert "Not determined: 40 detainers, not on the map" in texts
    pattern_id = root.find(f"{SVG}defs/{SVG}pattern").get("id")
    assert any(r.get("fill") == f"url(#{pattern_id})" for r in root.iter(f"{SVG}rect"))


def test_county_names_and_texts_are_escaped():
    svg = svg_of({"48453": 1}, title='<script>alert("x")</script>', legend_title="A & B", note="x < y")
    root = parse(svg)
    assert "<script>" not in svg and root.find(f"{SVG}title").text == '<script>alert("x")</script>'
    assert "A & B" in [t.text for t in root.iter(f"{SVG}text")]


def test_same_input_same_bytes_whatever_the_order():
    shuffled = dict(random.Random(1).sample(sorted(ISSUE_1.items()), len(ISSUE_1)))
    assert svg_of(ISSUE_1) == svg_of(shuffled)
    assert svg_of(ISSUE_1, for_pdf=True) == svg_of(shuffled, for_pdf=True)


def test_two_maps_on_a_page_have_distinct_ids():
    ids = [set(re.findall(r'id="([^"]+)"', svg_of(ISSUE_1, id_prefix=prefix))) for prefix in ("declines", "rates")]
    assert ids[0] and not ids[0] & ids[1]
    with pytest.raises(ValueError):
        svg_of(ISSUE_1, id_prefix='x" onload="alert(1)')


@pytest.mark.parametrize("bad, message", [
    ({"6037": 3}, "leading zero"),
    ({"99999": 3}, "not a county FIPS code"),
    ({"06037": -1}, "at least 0"),
])
def test_bad_values_are_refused_never_dropped(bad, message):
    with pytest.raises(ValueError, match=message):
        svg_of(bad)


def test_a_long_legend_widens_the_picture_instead_of_being_cut():
    note = "Not determined: " + "a very long explanation " * 8
    min_x, _, max_x, _ = geo.load_geometry().extent
    usual = float(parse(svg_of(ISSUE_1)).get("viewBox").split()[2])
    left, _, width, _ = map(float, parse(svg_of(ISSUE_1, note=note)).get("viewBox").split())
    assert usual == max_x - min_x + 2 * cm.MARGIN < width
    assert left + width >= min_x + cm.text_width(note, cm.LEGEND_TEXT_SIZE)


def test_svg_size_stays_reasonable():
    everywhere = {fips: i % 50 for i, fips in enumerate(REFERENCE_FIPS)}
    assert len(svg_of(everywhere).encode()) < 800_000
    assert len(svg_of(everywhere, for_pdf=True).encode()) < 500_000
    assert len(svg_of(ISSUE_1, for_pdf=True).encode()) < 100_000


def test_pdf_variant_is_the_same_picture_in_fewer_elements(issue_1_svg):
    printed = parse(svg_of(ISSUE_1, note="Not determined: 40 detainers, not on the map", for_pdf=True))
    shown = parse(issue_1_svg)
    assert not county_paths(printed)
    fills = {p.get("fill"): p.get("d") for p in printed.iter(f"{SVG}path")}
    for map_class in cm.classify(ISSUE_1).classes:
        members = [f for f in ISSUE_1 if fill_of(shown, f) == map_class.colour]
        assert fills[map_class.colour] == "".join(geo.load_geometry(tolerance=geo.PRINT_TOLERANCE).counties[f]
                                                  for f in sorted(members))
    assert [t.text for t in printed.iter(f"{SVG}text")] == [t.text for t in shown.iter(f"{SVG}text")]
    # WeasyPrint's alternative text for the PDF figure is the <title>: it carries the description too
    assert printed.find(f"{SVG}title").text == "Detainers issued this week, by county. A map."


# --- classes ------------------------------------------------------------------------------------------------

def test_classes_cover_every_value_without_overlap():
    rng = random.Random(7)
    for decimals in (0, 1):
        for _ in range(50):
            values = {f: round(rng.paretovariate(0.8) - 1, decimals) * rng.choice((0, 1, 1))
                      for f in rng.sample(REFERENCE_FIPS, rng.randint(1, 300))}
            classes = cm.classify(values, decimals=decimals).classes
            assert 1 <= len(classes) <= 5
            for value in values.values():
                units = cm.to_units(value, decimals)
                assert sum(c.holds(units) for c in classes) == 1, (value, classes)
            assert [c.low for c in classes] == sorted({c.low for c in classes})  # increasing, no repeats


def test_breaks_are_nice_quantiles_and_the_top_class_ends_at_the_maximum():
    values = {str(i): v for i, v in enumerate([0, 0, 1, 1, 1, 1, 2, 2, 3, 4, 5, 7, 9, 12, 20, 38, 142])}
    assert [c.label for c in cm.classify(values).classes] == ["0", "1", "2\u20134", "5\u201320", "21\u2013142"]
    assert cm.nice_ceiling(3) == 3 and cm.nice_ceiling(12) == 20 and cm.nice_ceiling(142) == 200


def test_rates_are_classed_as_printed():
    values = {"a": 0.0, "b": 0.04, "c": 2.25, "d": 12.3}  # 0.04 prints as 0.0, so it is in the zero class
    classification = cm.classify(values, decimals=1)
    assert classification.class_of(cm.to_units(0.04, 1)).label == "0.0"
    assert classification.classes[-1].label.endswith("12.3")


def test_fixed_breaks_keep_the_legend_stable():
    labels = [c.label for c in cm.classify({"a": 3}, breaks=(1, 5, 20)).classes]
    assert labels == ["0", "1", "2\u20135", "6\u201320", "21 or more"]
    with pytest.raises(ValueError):
        cm.classify({"a": 3}, breaks=(5, 1))


def test_no_data_at_all_gives_a_map_of_hatching():
    root = parse(svg_of({}))
    assert not cm.classify({}).classes
    assert {fill_of(root, f) for f in ("01001", "56045")} == {"none"}
    assert "No data" in [t.text for t in root.iter(f"{SVG}text")]


def _luminance(colour: str) -> float:
    """WCAG relative luminance."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_palettes_darken_steadily_so_they_read_without_colour():
    for count in range(1, cm.MAX_CLASSES + 1):
        lightness = [_luminance(c) for c in cm.palette(count)]
        assert lightness == sorted(lightness, reverse=True) and len(set(lightness)) == count


# --- table and text alternative -----------------------------------------------------------------------------

def test_figures_rows_are_sorted_and_labelled():
    rows = cm.figures_rows(ISSUE_1)
    assert [r["fips"] for r in rows[:3]] == ["32003", "36059", "17031"]
    assert rows[0] == {"fips": "32003", "county": "Clark County, NV", "value": 51, "value_text": "51",
                       "class_label": "21\u201351"}
    assert [r["fips"] for r in rows[3:5]] == ["19137", "53061"]  # a tie: by FIPS
    assert rows[-1]["county"] == "Travis County, TX" and rows[-1]["class_label"] == "0"
    assert len(rows) == len(ISSUE_1)


def test_description_counts_leaders_no_data_and_not_determined():
    text = cm.map_description(ISSUE_1, measure="detainers issued this week", unit="detainer", not_determined=40)
    assert text == ("Map of US counties shaded by detainers issued this week; 10 counties had at least one "
                    "detainer, the most in Clark County, NV (51). 3,131 counties have no data and are hatched. "
                    "40 detainers could not be attributed to a county and are not on the map.")


def test_description_of_ties_rates_and_nothing():
    tie = cm.map_description({"19137": 12, "53061": 12}, measure="declines", unit="decline")
    assert "the most in Montgomery County, IA and Snohomish County, WA (12 each)" in tie
    rate = cm.map_description({"48453": 2.5}, measure="rates", unit="detainer", decimals=1, rate=True)
    assert "1 county had a rate above zero, the highest in Travis County, TX (2.5)" in rate
    assert "no county had any declines" in cm.map_description({"48453": 0}, measure="declines", unit="decline")
    single = cm.map_description({"48453": 0}, measure="declines", unit="decline", not_determined=1)
    assert single.endswith("1 decline could not be attributed to a county and is not on the map.")


# --- PDF ----------------------------------------------------------------------------------------------------

def page(svg: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Map</title></head>'
            f"<body><figure>{svg}</figure></body></html>")


def figure_alt_texts(reader) -> list[str]:
    """The /Alt of every /Figure in the PDF's structure tree (what a screen reader says for it)."""
    found, todo = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while todo:
        element = todo.pop().get_object()
        if not hasattr(element, "get"):
            continue
        if element.get("/S") == "/Figure":
            found.append(str(element.get("/Alt")))
        kids = element.get("/K")
        todo.extend(kids if isinstance(kids, list) else [kids] if kids is not None else [])
    return found


def test_pdf_contains_the_map_without_warnings():
    from pypdf import PdfReader

    pdf = render_pdf(page(svg_of(ISSUE_1, note="Not determined: 40 detainers, not on the map", for_pdf=True)), DAY)
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    for words in ("Detainers issued this week", "21\u201351", "No data", "Not determined: 40 detainers"):
        assert words in text
    content = reader.pages[0].get_contents().get_data()
    assert content.count(b" l\n") > 4_000  # the outlines as vector lines, simplified for print
    assert b"/Pattern" in pdf  # the hatching
    assert figure_alt_texts(reader) == ["Detainers issued this week, by county. A map."]
    assert render_pdf(page(svg_of(ISSUE_1, note="Not determined: 40 detainers, not on the map", for_pdf=True)),
                      DAY) == pdf  # byte-reproducible


@pytest.mark.slow
def test_interactive_svg_renders_in_a_pdf_too():
    """The HTML variant inline in a PDF works as well, only slower (a few seconds)."""
    assert render_pdf(page(svg_of(ISSUE_1)), DAY).startswith(b"%PDF-")


@pytest.mark.slow
def test_browser_shows_every_county_title_on_hover(tmp_path):
    """In Chromium, the county under the pointer is the right one, with or without data (its <title> is the
    tooltip), and the legend is laid out inside the picture."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("Chromium is not installed (apt-get install chromium): the browser tests need it")
    html = tmp_path / "map.html"
    html.write_text(page(svg_of(ISSUE_1, note="Not determined: 40 detainers, not on the map")), encoding="utf-8")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        tab.goto(html.as_uri())
        for fips in ("06037", "48453", "32003"):  # no data, 0, the most
            hit = tab.evaluate("""fips => {
                const box = document.querySelector(`path[data-fips="${fips}"]`).getBoundingClientRect();
                const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
                return hit.closest('path[data-fips]')?.dataset.fips;
            }""", fips)
            assert hit == fips
        svg_box, legend_box = ([box["right"], box["bottom"]] for box in tab.evaluate("""() => [
            document.querySelector('svg').getBoundingClientRect().toJSON(),
            document.querySelector('svg > g:last-of-type').getBoundingClientRect().toJSON()]"""))
        browser.close()
    assert legend_box[0] <= svg_box[0] and legend_box[1] <= svg_box[1]  # the legend is not cut off
