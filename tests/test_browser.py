"""The published HTML in a real browser (system Chromium via Playwright): axe-clean, readable on a phone.

Slow: run in CI, skip locally with -m "not slow".
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
playwright = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A sample edition, and a real-data week in its second edition (the revised-edition layout)."""
    base = tmp_path_factory.mktemp("site")
    for name in ("empty", "staff"):
        (base / name).mkdir()

    def run(inputs, outputs, *extra):
        subprocess.run([sys.executable, str(ROOT / "generate.py"), "--inputs", str(base / inputs), "--outputs",
                        str(base / outputs), "--staff", str(base / "st"), *extra], check=True, capture_output=True)

    run("empty", "sample")
    header = "Detainer ID,Facility,State,County FIPS,Date Issued,Outcome,Outcome Date\n"
    (base / "staff" / "d.csv").write_text(header + "A1,Travis County Jail,TX,48453,2017-01-30,,\n")
    run("staff", "revised", "--week", "2017-02-01")
    (base / "staff" / "d.csv").write_text(header + "A1,Travis County Jail,TX,48453,2017-01-30,declined,2017-02-01\n")
    run("staff", "revised", "--week", "2017-02-01")
    assert (base / "revised" / "archive" / "2017-02-03" / "r2").is_dir()
    return base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.fail("Chromium is not installed (apt-get install chromium): the browser tests need it")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def pages(base: Path) -> list[Path]:
    sample_week = next(p for p in (base / "sample").iterdir() if p.is_symlink() and p.name[0].isdigit())
    return [sample_week / "report.html", base / "sample" / "index.html",
            base / "revised" / "2017-02-03" / "report.html", base / "revised" / "index.html",
            base / "sample" / "jurisdictions" / "17031.html", base / "sample" / "jurisdictions" / "index.html"]


@pytest.mark.parametrize("width", [390, 1280])
def test_no_axe_violations_and_no_sideways_scrolling(site, browser, width):
    for path in pages(site):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(path.resolve().as_uri())
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, f"{path.name} scrolls sideways at {width}px"
        results = axe_module.Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        page.close()


def test_sample_banner_visible_and_tables_scroll_inside_their_frame(site, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(pages(site)[0].resolve().as_uri())
    assert page.locator(".sample-banner").is_visible()
    wrap = page.locator(".table-wrap", has=page.locator("#cap-issued"))
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth"), "the wide table should scroll inside its frame"
    page.close()


def test_on_a_phone_captions_wrap_row_names_stay_and_chart_text_is_at_least_12px(site, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(pages(site)[0].resolve().as_uri())
    width = page.evaluate("window.innerWidth")
    for caption in page.locator("caption").all():
        box = caption.bounding_box()
        if box:  # captions of tables folded away (the map figures) have no box
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, caption.inner_text()
    wrap = page.locator(".table-wrap", has=page.locator("#cap-issued"))
    wrap.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    name = wrap.locator("tbody th").first.bounding_box()
    frame = wrap.bounding_box()
    assert name["x"] >= frame["x"] - 1 and name["x"] + name["width"] <= frame["x"] + frame["width"]
    # the chart: its smallest text, as drawn at this width
    smallest = page.evaluate("""async () => {
        const img = document.querySelector("#trend img");
        const svg = await (await fetch(img.currentSrc)).text();
        const sizes = [...svg.matchAll(/font-size: ?([0-9.]+)px/g)].map(m => parseFloat(m[1]));
        const doc = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
        const intrinsic = doc.viewBox.baseVal.width;
        return Math.min(...sizes) * img.clientWidth / intrinsic;
    }""")
    assert smallest >= 12, smallest
    page.close()


def test_county_index_filters_with_javascript(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((site / "sample" / "jurisdictions" / "index.html").resolve().as_uri())
    page.fill("#county-filter", "cook")
    visible = [li.inner_text() for li in page.locator("#county-list li").all() if li.is_visible()]
    assert visible == ["Cook County, IL"]
    page.close()
