"""Stage 6: publish a week's files so that the public never sees half a publication.

The public tree (``outputs/``)::

    index.html, feed.xml            replaced atomically (write to a temporary name, then rename)
    latest -> 2026-11-13            symlink to the newest week, replaced atomically
    2026-11-13 -> archive/2026-11-13/r2   the week's current revision, a symlink replaced atomically
    archive/2026-11-13/r1/ ...      every revision ever published, never changed once in place
    archive/2026-11-13/r2/ ...      (report.html, report.pdf, report.json, CSV, XLSX, manifest.json)

A revision is built in ``.staging-*`` and renamed into ``archive/`` whole; only then does the
week's symlink move. A run killed at any moment leaves the previous publication complete;
the next run removes what the killed one left half-done (``recover``).
"""
from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .render import DOWNLOADS, environment, render_html, render_pdf
from .safetext import neutralise_formula, safe_frame, write_csv  # noqa: F401  the first two lived here before
from .tables import Report, report_json

ARCHIVE = "archive"
MANIFEST = "manifest.json"
WEEK_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REVISION_NAME = re.compile(r"^r(\d+)$")
ATOM = "http://www.w3.org/2005/Atom"


class Busy(Exception):
    """Another run holds the lock."""


def download_tables(report: Report) -> dict[str, pd.DataFrame]:
    return {
        "jurisdictions.csv": report.jurisdictions,
        "detainers-issued.csv": report.issued_detail,
        "declines.csv": report.declines_detail,
        "declines-by-jurisdiction.csv": report.declines_by_jurisdiction,
        "subsequent-charges.csv": report.charges_detail,
        "subsequent-charges-by-jurisdiction.csv": report.charges_by_jurisdiction,
        "subsequent-charges-by-category.csv": report.charges_by_category,
        "policies.csv": report.policies,
        "trend.csv": report.trend,
        "corrections.csv": report.corrections if report.corrections is not None else pd.DataFrame(),
    }


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path, report: Report) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "nan_inf_to_errors": False})
    workbook.set_properties({"title": f"{report.settings.title}, week ending {report.week.name}",
                             "created": dt.datetime.combine(report.published, dt.time())})
    bold = workbook.add_format({"bold": True})
    for name, frame in tables.items():
        sheet = workbook.add_worksheet(name.removesuffix(".csv")[:31])
        if report.sample:
            sheet.write_string(0, 0, "SAMPLE DATA - NOT OFFICIAL", bold)
        top = 1 if report.sample else 0
        for col, column in enumerate(frame.columns):
            sheet.write_string(top, col, str(column), bold)
        for r, row in enumerate(frame.itertuples(index=False), start=top + 1):
            for col, value in enumerate(row):
                if value is None or (isinstance(value, float) and value != value):
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, col, value)
                elif isinstance(value, (int, float)) or hasattr(value, "item"):
                    sheet.write_number(r, col, float(value))
                else:
                    text = value.isoformat() if isinstance(value, (dt.date, pd.Timestamp)) else str(value)
                    sheet.write_string(r, col, text)  # never a formula, whatever it starts with
        sheet.freeze_panes(top + 1, 0)
    workbook.close()


def revision_url(public_base_url: str, week_name: str, revision: int) -> str:
    return f"{public_base_url.rstrip('/')}/{ARCHIVE}/{week_name}/r{revision}/"


def build_publication(report: Report, folder: Path, public_base_url: str, manifest: dict) -> list[Path]:
    """Write every file of one revision into ``folder`` (which must not exist); the manifest last."""
    folder.mkdir(parents=True, exist_ok=False)
    (folder / "report.html").write_text(render_html(report), encoding="utf-8")
    pdf_base = revision_url(public_base_url, report.week.name, report.revision)
    pdf = render_pdf(render_html(report, link_base=pdf_base, for_pdf=True), report.published)
    (folder / "report.pdf").write_bytes(pdf)
    (folder / "report.json").write_text(json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    tables = download_tables(report)
    for name, frame in tables.items():
        write_csv(frame, folder / name)
    write_xlsx(tables, folder / "tables.xlsx", report)
    expected = {name for name, _ in DOWNLOADS} | {"report.html", "report.pdf"}
    written = {p.name for p in folder.iterdir()}
    assert written == expected, f"publication files differ from the documented list: {written ^ expected}"
    files = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in sorted(folder.iterdir())}
    _fsync_files(folder)
    write_atomic(folder / MANIFEST, json.dumps({**manifest, "files": files}, indent=2) + "\n")
    return sorted(folder.iterdir())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_files(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def symlink_atomic(target: str, link: Path) -> None:
    tmp = link.with_name(f".tmp-link-{link.name}-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


# --- the lock ---------------------------------------------------------------------------------


@contextmanager
def run_lock(outputs_dir: Path):
    """One run at a time: an exclusive flock on the outputs folder itself, so nothing is written to
    the public tree for it. The kernel drops the lock when the process dies, so a killed run never
    leaves a lock that blocks the next one."""
    outputs_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(outputs_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise Busy(f"another run is publishing to {outputs_dir}") from None
        raise
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# --- the archive --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    week: str
    number: int
    folder: Path
    manifest: dict

    @property
    def published(self) -> str:
        return self.manifest["published"]


def current_revision(outputs_dir: Path, week_name: str) -> int | None:
    link = outputs_dir / week_name
    if not link.is_symlink():
        return None
    match = REVISION_NAME.match(Path(os.readlink(link)).name)
    return int(match[1]) if match else None


def revisions(outputs_dir: Path, week_name: str) -> list[Revision]:
    """Published revisions of a week, oldest first: those up to the one the week's link points at."""
    current = current_revision(outputs_dir, week_name)
    if current is None:
        return []
    found = []
    for folder in (outputs_dir / ARCHIVE / week_name).iterdir():
        match = REVISION_NAME.match(folder.name)
        if match and int(match[1]) <= current and (folder / MANIFEST).is_file():
            found.append(Revision(week_name, int(match[1]), folder,
                                  json.loads((folder / MANIFEST).read_text(encoding="utf-8"))))
    return sorted(found, key=lambda r: r.number)


def published_week_names(outputs_dir: Path) -> list[str]:
    if not outputs_dir.is_dir():
        return []
    return sorted(p.name for p in outputs_dir.iterdir() if WEEK_NAME.match(p.name) and p.is_symlink())


def recover(outputs_dir: Path) -> list[str]:
    """Clean up after a run that was killed: staging folders, temporary files, and revisions that
    were moved into the archive but never linked (so never public). Call only under the lock."""
    removed = []
    if not outputs_dir.is_dir():
        return removed
    for path in outputs_dir.iterdir():
        if path.name.startswith((".staging-", ".tmp-", ".retired-")):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
            removed.append(path.name)
        elif WEEK_NAME.match(path.name) and path.is_dir() and not path.is_symlink():
            _adopt_legacy_folder(outputs_dir, path)
    archive = outputs_dir / ARCHIVE
    if archive.is_dir():
        for week_folder in archive.iterdir():
            current = current_revision(outputs_dir, week_folder.name) or 0
            for folder in week_folder.iterdir():
                match = REVISION_NAME.match(folder.name)
                if not match or int(match[1]) > current or not (folder / MANIFEST).is_file():
                    shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
                    removed.append(f"{ARCHIVE}/{week_folder.name}/{folder.name}")
            if not any(week_folder.iterdir()):
                week_folder.rmdir()
    latest = outputs_dir / "latest"
    if latest.is_symlink() and not latest.exists():
        latest.unlink()
    return removed


def _adopt_legacy_folder(outputs_dir: Path, folder: Path) -> None:
    """A week published as a plain folder (before revisions existed) becomes revision 1."""
    target = outputs_dir / ARCHIVE / folder.name / "r1"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (folder / MANIFEST).exists():
        files = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in sorted(folder.iterdir())}
        meta = json.loads((folder / "report.json").read_text(encoding="utf-8")) if (folder / "report.json").exists() else {}
        published = meta.get("published", "1970-01-01")
        published = published if "T" in published else f"{published}T00:00:00+00:00"
        write_atomic(folder / MANIFEST, json.dumps({"week": folder.name, "revision": 1, "published": published,
                                                    "sample": meta.get("sample"), "files": files}))
    os.rename(folder, target)
    symlink_atomic(f"{ARCHIVE}/{folder.name}/r1", outputs_dir / folder.name)


def publish_revision(report: Report, outputs_dir: Path, public_base_url: str, manifest: dict) -> Path:
    """Build the report's revision in staging, move it into the archive whole, then point the week at it."""
    week = report.week.name
    staging = outputs_dir / f".staging-{week}-r{report.revision}-{os.getpid()}"
    try:
        build_publication(report, staging, public_base_url, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    week_archive = outputs_dir / ARCHIVE / week
    week_archive.mkdir(parents=True, exist_ok=True)
    final = week_archive / f"r{report.revision}"
    os.rename(staging, final)  # fails rather than overwrite: a published revision never changes
    _fsync_dir(week_archive)
    symlink_atomic(f"{ARCHIVE}/{week}/r{report.revision}", outputs_dir / week)
    _fsync_dir(outputs_dir)
    return final


def current_is_sample(outputs_dir: Path, week_name: str) -> bool:
    """Is the week's current edition built from the bundled sample data? (report.json says so)"""
    revs = revisions(outputs_dir, week_name)
    if not revs:
        return False
    return bool(json.loads((revs[-1].folder / "report.json").read_text(encoding="utf-8")).get("sample"))


def retire_sample_editions(outputs_dir: Path) -> list[str]:
    """Real data has arrived: take the demonstration (sample) weeks down. The link goes first, so the
    public never sees a half-removed week; recover() finishes the job if this is interrupted."""
    retired = []
    for name in published_week_names(outputs_dir):
        if current_is_sample(outputs_dir, name):
            (outputs_dir / name).unlink()
            shutil.rmtree(outputs_dir / ARCHIVE / name, ignore_errors=True)
            retired.append(name)
    latest = outputs_dir / "latest"
    if latest.is_symlink() and not latest.exists():
        latest.unlink()
    return retired


# --- index, latest, feed -------------------------------------------------------------------------


def catalogue(outputs_dir: Path) -> list[dict]:
    """Every published week, newest first, each with its revisions (newest first)."""
    weeks = []
    for name in sorted(published_week_names(outputs_dir), reverse=True):
        revs = revisions(outputs_dir, name)
        if not revs:
            continue
        entries = []
        for rev in reversed(revs):
            meta = json.loads((rev.folder / "report.json").read_text(encoding="utf-8"))
            entries.append({
                "revision": rev.number, "published": rev.published, "sample": meta["sample"],
                "path": f"{ARCHIVE}/{name}/r{rev.number}",
                "html_bytes": rev.manifest["files"]["report.html"]["bytes"],
                "pdf_bytes": rev.manifest["files"]["report.pdf"]["bytes"],
                "issued": meta["totals"]["issued"], "declined": meta["totals"]["declined"],
                "period": meta["period"], "changes": len(meta.get("revision_changes", [])),
            })
        weeks.append({"name": name, "current": entries[0], "earlier": entries[1:]})
    if any(not w["current"]["sample"] for w in weeks):
        weeks = [w for w in weeks if not w["current"]["sample"]]  # sample editions never sit beside real ones
    return weeks


def write_index_and_feed(outputs_dir: Path, title: str, agency: str, public_base_url: str) -> None:
    weeks = catalogue(outputs_dir)
    html = environment().get_template("index.html.j2").render(
        title=title, agency=agency, weeks=weeks, sample=any(w["current"]["sample"] for w in weeks))
    write_atomic(outputs_dir / "index.html", html)
    write_atomic(outputs_dir / "feed.xml", atom_feed(weeks, title, agency, public_base_url))
    if weeks:
        symlink_atomic(weeks[0]["name"], outputs_dir / "latest")


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
