"""Benchmark: the county map's SVG size and WeasyPrint's time to put it in a PDF. Prints figures; asserts nothing.

    python bench/countymap_speed.py              # sizes and render times, both variants, sparse and full data
    python bench/countymap_speed.py --demo DIR   # also writes DIR/demo.html, DIR/demo.pdf (and demo.png with pdftoppm)

Machines here are shared and noisy: times are CPU seconds of this process, the best of three, beside the time
for the same page without the map.
"""
from __future__ import annotations

import datetime as dt
import gzip
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from reports import countymap, mapgeometry
from reports.reference import load_counties
from reports.render import render_pdf

DAY = dt.date(2017, 3, 20)


def sparse_values() -> dict[str, int]:
    """About 60 counties of 5 states with declines (a quarter of them 0), and Travis County's 142."""
    rng = random.Random(2017)
    pool = sorted(f for f, c in load_counties().by_fips.items() if c.state in ("TX", "NY", "IL", "CA", "PA"))
    values = {f: 0 if rng.random() < 0.25 else min(60, int(rng.lognormvariate(1.2, 1.1)) + 1)
              for f in rng.sample(pool, 60)}
    return {**values, "48453": 142}


def full_values() -> dict[str, float]:
    """Every county: detainers issued per 100,000 residents, most of them 0."""
    rng = random.Random(100000)
    return {f: (int(rng.paretovariate(1.1)) - 1 if rng.random() < 0.35 else 0) * 100000 / c.population
            for f, c in sorted(load_counties().by_fips.items())}


def page(body: str) -> str:
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>County map</title>'
            '<style>@page { size: A4; margin: 2cm } body { font-family: "DejaVu Sans"; margin: 0 } '
            f"figure {{ margin: 0 }}</style></head><body>{body}</body></html>")


def cpu_seconds(html: str) -> tuple[float, bytes]:
    best, pdf = float("inf"), b""
    for _ in range(3):
        start = time.process_time()
        pdf = render_pdf(html, DAY)
        best = min(best, time.process_time() - start)
    return best, pdf


def maps() -> dict[str, dict]:
    sparse, full = sparse_values(), full_values()
    return {
        "sparse (61 counties)": dict(values=sparse, legend_title="Declines recorded this week",
                                     title="Declines recorded this week, by county",
                                     description=countymap.map_description(
                                         sparse, measure="declines recorded this week", unit="decline",
                                         not_determined=40),
                                     note="Not determined: 40 declines, not on the map"),
        "full (3,142 counties)": dict(values=full, decimals=1, id_prefix="rate-map",
                                      legend_title="Detainers issued per 100,000 residents",
                                      title="Detainers issued per 100,000 residents, by county",
                                      description=countymap.map_description(
                                          full, measure="detainers issued per 100,000 residents",
                                          unit="detainer issued", units="detainers issued", decimals=1, rate=True)),
    }


def main(argv: list[str]) -> None:
    start = time.perf_counter()
    mapgeometry.load_geometry()
    print(f"geometry decoded in {time.perf_counter() - start:.2f} s (once per process)")
    baseline, _ = cpu_seconds(page("<p>No map.</p>"))
    print(f"page without a map: {baseline:.2f} s CPU")
    for name, arguments in maps().items():
        values = arguments.pop("values")
        for for_pdf in (False, True):
            svg = countymap.county_map_svg(values, for_pdf=for_pdf, **arguments)
            seconds, pdf = cpu_seconds(page(f"<figure>{svg}</figure>"))
            raw = len(svg.encode())
            print(f"{name:22} {'for_pdf' if for_pdf else 'html   '}  SVG {raw / 1024:6.0f} KB "
                  f"(gzip {len(gzip.compress(svg.encode(), 9)) / 1024:4.0f} KB)  "
                  f"PDF {len(pdf) / 1024:4.0f} KB in {seconds:.2f} s CPU")
    if "--demo" in argv:
        folder = Path(argv[argv.index("--demo") + 1])
        folder.mkdir(parents=True, exist_ok=True)
        arguments = maps()["sparse (61 counties)"]
        values = arguments.pop("values")
        caption = f"<figcaption>{arguments['description']}</figcaption>"
        html_svg = countymap.county_map_svg(values, **arguments)
        (folder / "demo.html").write_text(page(f"<figure>{html_svg}{caption}</figure>"), encoding="utf-8")
        pdf_svg = countymap.county_map_svg(values, for_pdf=True, **arguments)
        (folder / "demo.pdf").write_bytes(render_pdf(page(f"<figure>{pdf_svg}{caption}</figure>"), DAY))
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "120", "-singlefile", str(folder / "demo.pdf"),
                            str(folder / "demo")], check=True)
        print(f"demo written to {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
