"""The index page, the Atom feed and ``latest``: written from the archive alone, at the end of every run.

Because they are derived from what the archive holds (not from what a run believes it published), a run
stopped between switching a week's link and rewriting the index leaves them stale only until the next run,
which rewrites whatever differs.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .archive import LATEST, archived_weeks, published_revisions
from .atomic import symlink_atomic, write_if_changed
from .countypages import write_county_pages

ATOM = "http://www.w3.org/2005/Atom"


def catalogue(outputs_dir: Path) -> list[dict]:
    """Every archived week, newest first, each with its revisions (newest first) and its current revision's
    report.json (``json``: read here anyway, and a national archive's 60 MB are not parsed twice)."""
    weeks = []
    for name in sorted(archived_weeks(outputs_dir), reverse=True):
        revs = published_revisions(outputs_dir, name)
        if not revs:
            continue
        read = [(rev, rev.report_json()) for rev in reversed(revs)]  # the current revision first
        entries = [{
            "revision": rev.number, "published": rev.published, "sample": meta["sample"], "path": rev.path,
            "html_bytes": rev.manifest["files"]["report.html"]["bytes"],
            "pdf_bytes": rev.manifest["files"]["report.pdf"]["bytes"],
            "issued": meta["totals"]["issued"], "declined": meta["totals"]["declined"],
            "period": meta["period"], "changes": len(meta.get("revision_changes", [])),
        } for rev, meta in read]
        weeks.append({"name": name, "current": entries[0], "earlier": entries[1:], "json": read[0][1]})
    if any(not w["current"]["sample"] for w in weeks):
        weeks = [w for w in weeks if not w["current"]["sample"]]  # sample editions never sit beside real ones
    return weeks


def current_editions(weeks: list[dict]) -> list[dict]:
    """The current edition of each catalogued week with its full report.json (for the county pages)."""
    return [{"name": week["name"], "path": week["current"]["path"], "revision": week["current"]["revision"],
             "json": week["json"]} for week in weeks]


def write_index_and_feed(outputs_dir: Path, title: str, agency: str, public_base_url: str) -> list[str]:
    """Bring index.html, feed.xml and latest in line with the archive; returns what had to change."""
    from .render import environment

    weeks = catalogue(outputs_dir)
    counties = write_county_pages(outputs_dir, current_editions(weeks), title=title, agency=agency,
                                  sample=any(w["current"]["sample"] for w in weeks))
    html = environment().get_template("index.html.j2").render(
        title=title, agency=agency, weeks=weeks, sample=any(w["current"]["sample"] for w in weeks))
    changed = [name for name, text in (("index.html", html),
                                       ("feed.xml", atom_feed(weeks, title, agency, public_base_url)))
               if write_if_changed(outputs_dir / name, text)] + counties
    latest = outputs_dir / LATEST
    if weeks:
        if not (latest.is_symlink() and latest.readlink().as_posix() == weeks[0]["name"]):
            symlink_atomic(weeks[0]["name"], latest)
            changed.append(LATEST)
    elif latest.is_symlink():
        latest.unlink()
        changed.append(LATEST)
    return changed


def atom_feed(weeks: list[dict], title: str, agency: str, public_base_url: str) -> str:
    """One entry per publication and per revision, newest first."""
    ET.register_namespace("", ATOM)
    base = public_base_url.rstrip("/") + "/"

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    entries = sorted(((w["name"], e) for w in weeks for e in [w["current"], *w["earlier"]]),
                     key=lambda pair: (pair[1]["published"], pair[0], pair[1]["revision"]), reverse=True)
    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", base + "feed.xml")
    sub(feed, "title", title)
    sub(feed, "updated", entries[0][1]["published"] if entries else "1970-01-01T00:00:00Z")
    author = sub(feed, "author")
    sub(author, "name", agency)
    sub(feed, "link", rel="self", href=base + "feed.xml")
    sub(feed, "link", rel="alternate", href=base + "index.html")
    for name, entry in entries:
        url = base + entry["path"] + "/"
        entry_el = sub(feed, "entry")
        sub(entry_el, "id", url)
        what = "first edition" if entry["revision"] == 1 else f"revision {entry['revision']}"
        sample = " (SAMPLE DATA)" if entry["sample"] else ""
        sub(entry_el, "title", f"Week ending {name}: {what}{sample}")
        sub(entry_el, "updated", entry["published"])
        sub(entry_el, "link", rel="alternate", type="text/html", href=url + "report.html")
        sub(entry_el, "link", rel="enclosure", type="application/pdf", href=url + "report.pdf",
            length=str(entry["pdf_bytes"]))
        summary = (f"{entry['issued']:,} detainers issued and {entry['declined']:,} declines recorded in the week "
                   f"{entry['period']['start']} to {entry['period']['end']}.")
        if entry["revision"] > 1:
            summary += f" Revised: {entry['changes']:,} figures changed."
        sub(entry_el, "summary", summary)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"
