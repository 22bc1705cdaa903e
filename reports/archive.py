"""The public tree is derived from its archive, on every run; nothing archived is ever removed.

    outputs/
      index.html, feed.xml            derived from the archive; rewritten whenever they differ from it
      latest -> 2026-11-13            the newest week
      2026-11-13 -> archive/2026-11-13/r2      the week's newest complete revision
      archive/2026-11-13/r1/ ...      every edition ever published (a folder with its manifest.json)
      archive/.staging-*              an edition being built, on the archive's own filesystem

``reconcile`` runs under the lock at the start of every run: it removes only what this program created and
never made public (staging folders, temporary files, sample weeks being retired), relinks every week to its
newest complete revision (a link deleted by hand, or a run killed between renaming a revision into the
archive and switching the link), and refuses, naming it, anything in the tree it cannot vouch for: a week
folder where a link belongs (a backup restored without its links: ``--repair``), or a foreign folder in
the archive. The index, feed and ``latest`` are rewritten from the archive at the end of every run.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import TEMP_PREFIX, fsync_dir, sha256_file, symlink_atomic, write_atomic
from .exceptions import Busy, PublicTreeError

ARCHIVE = "archive"
MANIFEST = "manifest.json"
LATEST = "latest"
STAGING_PREFIX = ".staging-"
RETIRED_PREFIX = ".retired-"
WEEK_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REVISION_NAME = re.compile(r"^r(\d+)$")
LEFTOVERS = (STAGING_PREFIX, TEMP_PREFIX, RETIRED_PREFIX)


# --- the lock ---------------------------------------------------------------------------------------------


@contextmanager
def run_lock(outputs_dir: Path):
    """One run at a time: an exclusive flock on the outputs folder itself, so nothing is written to the
    public tree for it. The kernel drops the lock when the process dies, so a killed run never leaves a
    lock that blocks the next one."""
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


# --- reading the archive ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedRevision:
    week: str
    number: int
    folder: Path
    manifest: dict

    @property
    def published(self) -> str:
        return self.manifest["published"]

    @property
    def path(self) -> str:
        return f"{ARCHIVE}/{self.week}/r{self.number}"

    def report_json(self) -> dict:
        return json.loads((self.folder / "report.json").read_text(encoding="utf-8"))


def archive_dir(outputs_dir: Path) -> Path:
    return outputs_dir / ARCHIVE


def archived_weeks(outputs_dir: Path) -> list[str]:
    folder = archive_dir(outputs_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if WEEK_NAME.match(p.name) and p.is_dir())


def published_revisions(outputs_dir: Path, week_name: str) -> list[PublishedRevision]:
    """Every complete revision of a week in the archive (a revision folder with its manifest), oldest first."""
    folder = archive_dir(outputs_dir) / week_name
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        match = REVISION_NAME.match(entry.name)
        if match and entry.is_dir() and (entry / MANIFEST).is_file():
            found.append(PublishedRevision(week_name, int(match[1]), entry,
                                  json.loads((entry / MANIFEST).read_text(encoding="utf-8"))))
    return sorted(found, key=lambda r: r.number)


def next_revision_number(outputs_dir: Path, week_name: str) -> int:
    """One more than any revision folder of the week, complete or not: a number is never reused."""
    folder = archive_dir(outputs_dir) / week_name
    numbers = [int(m[1]) for m in (REVISION_NAME.match(p.name) for p in folder.iterdir()) if m] \
        if folder.is_dir() else []
    return max(numbers, default=0) + 1


def published_week_names(outputs_dir: Path) -> list[str]:
    if not outputs_dir.is_dir():
        return []
    return sorted(p.name for p in outputs_dir.iterdir() if WEEK_NAME.match(p.name) and p.is_symlink())


def current_is_sample(outputs_dir: Path, week_name: str) -> bool:
    """Is the week's newest edition built from the bundled sample data? (its report.json says so)"""
    revs = published_revisions(outputs_dir, week_name)
    return bool(revs and revs[-1].report_json().get("sample"))


# --- reconciling the public tree with the archive -----------------------------------------------------------


@dataclass
class TreeReport:
    removed: list[str] = field(default_factory=list)  # leftovers of killed runs (never public)
    relinked: list[str] = field(default_factory=list)  # weeks whose link now points at their newest revision
    adopted: list[str] = field(default_factory=list)  # old-layout week folders moved into the archive as r1
    repaired: list[str] = field(default_factory=list)  # folders replaced by the link they were copied from

    def lines(self) -> list[str]:
        return ([f"removed what a stopped run left: {', '.join(self.removed)}"] if self.removed else []) + \
               [f"relinked {w} to its newest complete revision" for w in self.relinked] + \
               [f"adopted {w} (a folder of the layout before revisions) as revision 1" for w in self.adopted] + \
               [f"repaired {w}: a copy of its archived revision, replaced by the link" for w in self.repaired]


def reconcile(outputs_dir: Path, repair: bool = False) -> TreeReport:
    """Make the week links match the archive; call only under the lock. Raises PublicTreeError, naming every
    entry it cannot vouch for, before changing anything but leftovers."""
    report = TreeReport()
    if not outputs_dir.is_dir():
        return report
    archive = archive_dir(outputs_dir)
    for folder in (outputs_dir, archive):
        for path in (folder.iterdir() if folder.is_dir() else ()):
            if path.name.startswith(LEFTOVERS):
                _remove(path)
                report.removed.append(path.relative_to(outputs_dir).as_posix())

    refusals, fixes = [], []
    for path in sorted(outputs_dir.iterdir()):
        if not (WEEK_NAME.match(path.name) or path.name == LATEST) or path.is_symlink():
            continue
        if path.name == LATEST:
            fixes.append(("latest", path))  # rewritten from the archive below
        elif not (path / "report.json").is_file():
            refusals.append(f"{path} is a folder without a report.json where a week's link belongs; this program "
                            "did not make it: move it out of the outputs folder")
        elif not published_revisions(outputs_dir, path.name):
            fixes.append(("adopt", path))
        elif repair and _copy_of_a_revision(path, published_revisions(outputs_dir, path.name)):
            fixes.append(("repair", path))
        else:
            refusals.append(f"{path} is a folder where a link to archive/{path.name} belongs (a backup restored "
                            "without its links?): run again with --repair to relink it"
                            + (", or move it out: it matches no archived revision" if repair else ""))
    for week in sorted(archive.iterdir()) if archive.is_dir() else []:
        if not (WEEK_NAME.match(week.name) and week.is_dir()):
            refusals.append(f"{week} is not a week of the archive; move it out of the outputs folder")
            continue
        for entry in sorted(week.iterdir()):
            if not (REVISION_NAME.match(entry.name) and entry.is_dir() and (entry / MANIFEST).is_file()):
                refusals.append(f"{entry} is not a complete revision (no {MANIFEST}); move it out of the archive")
    if refusals:
        raise PublicTreeError("the outputs folder holds what this program cannot vouch for; nothing was "
                              "published:\n  " + "\n  ".join(refusals))

    for kind, path in fixes:
        if kind == "adopt":
            _adopt_legacy_folder(outputs_dir, path)
            report.adopted.append(path.name)
        elif kind == "repair":
            _remove(path)
            report.repaired.append(path.name)
        elif kind == "latest":
            _remove(path)
    for week in archived_weeks(outputs_dir):
        revs = published_revisions(outputs_dir, week)
        if not revs:
            continue
        link, target = outputs_dir / week, revs[-1].path
        if not (link.is_symlink() and os.readlink(link) == target):
            symlink_atomic(target, link)
            if week not in report.adopted and week not in report.repaired:
                report.relinked.append(week)
    for name in published_week_names(outputs_dir):
        if not (outputs_dir / name).exists():  # its archive was removed by hand: nothing left to point at
            (outputs_dir / name).unlink()
    fsync_dir(outputs_dir)
    return report


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _copy_of_a_revision(folder: Path, revs: list[PublishedRevision]) -> bool:
    """Does the folder hold exactly the files of one archived revision (a copy that followed the link)?"""
    present = {p.name: p for p in folder.iterdir() if p.is_file()}
    for rev in revs:
        files = rev.manifest.get("files", {})
        if set(present) - {MANIFEST} == set(files) and all(
                sha256_file(present[name]) == entry["sha256"] for name, entry in files.items()):
            return True
    return False


def _adopt_legacy_folder(outputs_dir: Path, folder: Path) -> None:
    """A week published as a plain folder (before revisions existed) becomes revision 1."""
    target = archive_dir(outputs_dir) / folder.name / "r1"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (folder / MANIFEST).exists():
        files = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in sorted(folder.iterdir())}
        meta = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        published = meta.get("published", "1970-01-01")
        published = published if "T" in published else f"{published}T00:00:00+00:00"
        write_atomic(folder / MANIFEST, json.dumps({"week": folder.name, "revision": 1, "published": published,
                                                    "sample": meta.get("sample"), "files": files}))
    os.rename(folder, target)


def retire_sample_editions(outputs_dir: Path) -> list[str]:
    """Real data has arrived: take the demonstration (sample) weeks down. Each week's archive is renamed to
    a leftover name first, so a run stopped half-way leaves nothing the next run would relink."""
    retired = []
    for name in archived_weeks(outputs_dir):
        if current_is_sample(outputs_dir, name):
            link = outputs_dir / name
            if link.is_symlink():
                link.unlink()
            leaving = archive_dir(outputs_dir) / f"{RETIRED_PREFIX}{name}-{os.getpid()}"
            os.rename(archive_dir(outputs_dir) / name, leaving)
            shutil.rmtree(leaving)
            retired.append(name)
    return retired
