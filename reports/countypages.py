"""A page per county across every published week: ``outputs/jurisdictions/<fips>.html``, and an index of them.

A live view across editions, derived from the archive like the index and the feed (``catalogue``): each
week's current edition's report.json gives the county's figures; its policies, corrections and responses
come from the editions too. Never inside an edition folder. Links are relative to the page's own place
(``jurisdictions/`` under the outputs root), so they work on any host and from a local copy.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .atomic import write_if_changed

FOLDER = "jurisdictions"
PAGE_NAME = re.compile(r"^\d{5}\.html$")
PAGE_WRITERS = 4  # threads writing pages: a write waits for the disk (fsync), not for Python


def _count(value):
    return value if isinstance(value, str) or value is None else int(value)


def county_series(weeks: list[dict]) -> dict[str, dict]:
    """{fips: {fips, name, state, rows (oldest week first), policies, corrections, responses}} from
    ``weeks`` = [{name, path, revision, json}] (any order)."""
    counties: dict[str, dict] = {}
    ordered = sorted(weeks, key=lambda w: w["name"])
    # each week's rows by county, looked up once per county and week (a national archive: ~2,000 counties,
    # ~100 weeks, ~1,000 rows a week)
    by_fips = [(_first_by_fips(week["json"].get("jurisdictions", [])),
                _first_by_fips(week["json"].get("subsequent_charges_by_jurisdiction", []))) for week in ordered]
    for rows in by_fips:
        for table in rows:
            for fips, row in table.items():
                counties.setdefault(fips, {"fips": fips, "name": row["name"], "state": row["state"]})
    policy_counties = [{p.get("county_fips") for p in week["json"].get("policies", [])} for week in ordered]
    responses_by_fips: dict[str, list] = {}
    for week in reversed(ordered):
        for r in week["json"].get("responses", []):
            responses_by_fips.setdefault(r.get("county_fips"), []).append(r)
    latest = ordered[-1]["json"] if ordered else {}
    for fips, county in counties.items():
        county["rows"] = [_week_row(fips, week, rows, policies)
                          for week, rows, policies in zip(ordered, by_fips, policy_counties)]
        county["population"] = next((rows[0][fips].get("population") for rows in reversed(by_fips)
                                     if fips in rows[0]), None)
        county["policies"] = [p for p in latest.get("policies", []) if p.get("county_fips") == fips]
        label = f"{county['name']}, {county['state']}"
        county["corrections"] = [c for c in latest.get("corrections", []) if c.get("jurisdiction") == label]
        seen, responses = set(), []
        for r in responses_by_fips.get(fips, []):
            key = (r.get("date"), r.get("note"))
            if key not in seen:
                seen.add(key)
                responses.append(r)
        county["responses"] = sorted(responses, key=lambda r: r.get("date") or "", reverse=True)
    return counties


def _first_by_fips(rows: list[dict]) -> dict[str, dict]:
    """The first row of each county (as a scan finds it), by FIPS."""
    first: dict = {}
    for row in rows:
        if row.get("fips"):
            first.setdefault(row["fips"], row)
    return first


def _week_row(fips: str, week: dict, rows: tuple[dict, dict], policy_counties: set) -> dict:
    data = week["json"]
    row, charges = rows[0].get(fips), rows[1].get(fips)
    outcomes = (row or {}).get("issued_outcomes") or {}
    charges_data = data.get("totals", {}).get("charges_data", True)
    return {
        "week": week["name"], "revision": week["revision"], "data_received": data.get("data_received", True),
        "issued": _count(row["issued"]) if row else 0,
        "honored": _count(outcomes.get("honored", 0)), "declined_so_far": _count(outcomes.get("declined", 0)),
        "pending": _count(outcomes.get("pending", 0)), "other": _count(outcomes.get("other", 0)),
        "declines_recorded": _count(row["declined"]) if row else 0,
        "charges": (_count(charges["charges_week"]) if charges else 0) if charges_data else None,
        "policy_on_file": bool(row.get("policy_on_file")) if row else fips in policy_counties,
    }


def write_county_pages(outputs_dir: Path, weeks: list[dict], *, title: str, agency: str, sample: bool) -> list[str]:
    """Bring ``jurisdictions/`` in line with the archive: a page per county, the index; pages of counties no
    longer in any week are removed. Returns the names written or removed."""
    from .render import environment

    folder = outputs_dir / FOLDER
    counties = county_series(weeks) if weeks else {}
    if not counties and not folder.exists():
        return []
    folder.mkdir(exist_ok=True)
    env = environment()
    changed = []
    page = env.get_template("county.html.j2")
    # the files are compared, written and synced to disk on threads while the next pages are rendered
    with ThreadPoolExecutor(PAGE_WRITERS, "county-page") as writers:
        pending = [(fips, writers.submit(write_if_changed, folder / f"{fips}.html",
                                         page.render(title=title, agency=agency, sample=sample, county=county)))
                   for fips, county in counties.items()]
        changed += [f"{FOLDER}/{fips}.html" for fips, written in pending if written.result()]
    listing = sorted(counties.values(), key=lambda c: (c["state"], c["name"]))
    index = env.get_template("county_index.html.j2").render(title=title, agency=agency, sample=sample,
                                                               counties=listing)
    if write_if_changed(folder / "index.html", index):
        changed.append(f"{FOLDER}/index.html")
    for stale in folder.iterdir():
        if PAGE_NAME.match(stale.name) and stale.name[:5] not in counties:
            stale.unlink()
            changed.append(f"{FOLDER}/{stale.name}")
    return changed
