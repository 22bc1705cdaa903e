"""Stage 6: publish editions so that the public never sees half a publication, and every fix reaches it.

An edition is built in ``archive/.staging-*`` (on the archive's own filesystem, so the rename into place
never crosses devices), renamed into ``archive/<week>/r<N>`` whole, and only then does ``<week>`` (a
symlink) move to it. Several weeks of one run are all built first and switched only if every one was
built: a failure leaves every week as it was. The public tree is otherwise derived from the archive
(``archive``: recovery and relinking; ``catalogue``: index, feed, ``latest``).

Whether a week changed is decided from its whole public content (``public_content``): every figure and
every text of report.json, and every CSV download byte for byte, so a fix that moves no total (a
conviction's text, a citizenship, a facility) is published too.
"""
from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import downloads, faults
from .archive import ARCHIVE, MANIFEST, STAGING_PREFIX, PublishedRevision, archive_dir
from .atomic import fsync_dir, fsync_tree, sha256_file, symlink_atomic, write_atomic
from .render import DOWNLOADS, downloads_for, prepare_print_rendering, render_html, render_pdf
from .downloads import DICTIONARY_FILE, data_dictionary, public_frame
from .safetext import csv_text
from .jsondoc import report_json
from .tables import Report

# report.json keys that change with every edition or with the publisher's settings, not with the data
EDITION_KEYS = ("published", "revision", "first_published", "earlier_revisions", "revision_changes",
                "revision_reasons", "revision_downloads", "title", "agency", "latest_week_with_data",
                "weeks_without_data_since")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A download exactly as published (text made safe for spreadsheets: ``safetext``)."""
    return csv_text(frame).encode("utf-8")


def download_tables(report: Report) -> dict[str, pd.DataFrame]:
    """Every CSV of the edition as published (``downloads.public_frame``), the data dictionary last."""
    published = {name for name, _ in downloads_for(report)}
    tables = {name: public_frame(name, frame) for name, frame in _tables(report).items() if name in published}
    return {**tables, DICTIONARY_FILE: data_dictionary(tables)}


def _tables(report: Report) -> dict[str, pd.DataFrame]:
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


# --- what the public gets, and what changed ----------------------------------------------------------------


def edition_figures(report_json_data: dict) -> bytes:
    """report.json without what changes with every edition: every figure and text of the week."""
    kept = {k: v for k, v in report_json_data.items() if k not in EDITION_KEYS}
    # compared, never shown: compact, which json encodes in C (with an indent it encodes in Python)
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def public_content(report: Report) -> dict[str, bytes]:
    """The edition's public content, minus its date and number: report.json's figures and texts, and every
    CSV download exactly as it would be published."""
    content = {name: csv_bytes(frame) for name, frame in download_tables(report).items()}
    content["report.json"] = edition_figures(report_json(report))
    return content


def archived_content(revision: PublishedRevision) -> dict[str, bytes]:
    """The same, read back from a published edition."""
    content = {name: (revision.folder / name).read_bytes() for name, _ in DOWNLOADS
               if name.endswith(".csv") and (revision.folder / name).is_file()}
    content["report.json"] = edition_figures(revision.report_json())
    return content


def download_changes(old: dict[str, bytes], new: dict[str, bytes]) -> list[dict]:
    """Per CSV download that differs: rows added and removed (a changed row is one of each)."""
    changes = []
    for name in sorted(set(old) | set(new)):
        if name == "report.json" or old.get(name) == new.get(name):
            continue
        before = Counter(old.get(name, b"").decode("utf-8").splitlines()[1:])
        after = Counter(new.get(name, b"").decode("utf-8").splitlines()[1:])
        changes.append({"file": name, "rows_removed": sum((before - after).values()),
                        "rows_added": sum((after - before).values())})
    return changes


# --- building an edition -------------------------------------------------------------------------------------


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path, report: Report) -> None:
    downloads.write_xlsx(tables, path, title=f"{report.settings.title}, week ending {report.week.name}",
                         created=report.published, sample=report.sample)


def revision_url(public_base_url: str, week_name: str, revision: int) -> str:
    return f"{public_base_url.rstrip('/')}/{ARCHIVE}/{week_name}/r{revision}/"


class PdfWorker:
    """WeasyPrint in a process of its own, so that a single edition's page, print HTML and PDF (most of its
    rendering time) are drawn on the second core while this process writes the downloads, the staff reports and
    the cache. Started at the beginning of a run, before the inputs are read, so that its start-up (Python,
    WeasyPrint, matplotlib, the template and the map outlines: ``render.prepare_print_rendering``) is paid
    meanwhile. ``draws_page`` says whether it draws the page too: worth it when this process has other work
    while the PDF renders (storing newly derived record frames, about 2 s nationally); otherwise this process
    draws the page meanwhile. If the worker dies (out of memory, killed), ``build_publication`` renders what it
    was drawing in this process instead."""

    def __init__(self):
        self._executor = spawned_pool(1)
        self._executor.submit(prepare_print_rendering)
        self.draws_page = True

    def submit(self, function, *args):
        """A future of ``function(*args)`` run in the worker process."""
        return self._executor.submit(function, *args)

    def render(self, report: Report, link_base: str):
        """A future whose ``result()`` is ``render_documents(report, link_base, self.draws_page)``, or raises
        what it raised."""
        return self.submit(render_documents, report, link_base, self.draws_page)

    def close(self) -> None:
        """Stop the process, whatever it is doing: a run that failed does not wait for its PDF."""
        stop_processes(self._executor)


def render_print_edition(report: Report, link_base: str, charts: dict | None = None) -> bytes:
    """The edition's PDF: its print HTML (links to ``link_base``) drawn by WeasyPrint."""
    return render_pdf(render_html(report, link_base=link_base, for_pdf=True, charts=charts), report.published)


def render_documents(report: Report, link_base: str, with_page: bool = True) -> tuple[str | None, bytes]:
    """The edition's page (report.html; None unless ``with_page``) and its PDF (links to ``link_base``), the
    trend charts drawn once for both."""
    charts: dict = {}
    page = render_html(report, charts=charts) if with_page else None
    return page, render_print_edition(report, link_base, charts)


def spawned_pool(workers: int, initializer=None, *initargs):
    """A ProcessPoolExecutor of ``workers`` processes, each killed with the run that started it
    (``die_with_parent``) before ``initializer(*initargs)``. Spawned, not forked: a forked copy of a process
    running pandas' and Arrow's threads can deadlock. An executor, not a multiprocessing.Pool: a worker that
    dies (out of memory, killed) fails the run with BrokenProcessPool instead of leaving it waiting for a result
    that never comes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                               initargs=(os.getpid(), initializer, initargs))


def _start_worker(parent: int, initializer, initargs: tuple) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def stop_processes(executor) -> None:
    """Shut a ProcessPoolExecutor down without waiting for what its processes are doing: they are killed. Its
    managing thread is then waited for, so that it is not still closing its pipes when the next pool starts
    (a pipe number it closes late may already be a new pool's)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)  # its thread sees the processes end, and stops
    for process in processes:
        process.join()


def start_pdf_worker() -> PdfWorker | None:
    """A PdfWorker, or None where processes cannot be started (no /dev/shm, a sandbox without sem_open): the
    PDF is then rendered in this process, as before."""
    try:
        return PdfWorker()
    except (OSError, ImportError, NotImplementedError):
        return None


def die_with_parent(parent: int) -> None:
    """In a worker process: on Linux, ask the kernel to kill this process when the run that started it dies,
    even by kill -9, so that no orphan goes on rendering or holds the run's stdout and stderr (cron's mail,
    a caller waiting for them) open."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker ends when its task queue closes
        return
    if os.getppid() != parent:  # the run died before the request took effect
        os._exit(1)


def raise_if_launch_failed(exc: ValueError) -> None:
    """A worker that dies while the pool is still starting the others can make CPython close a pipe the next
    start passes on ("bad value(s) in fds_to_keep"): the pool is broken, and said so as such."""
    from concurrent.futures.process import BrokenProcessPool

    if "fds_to_keep" in str(exc):
        raise BrokenProcessPool(f"a worker process ended while the pool was starting ({exc})") from exc


def _from_worker(pending):
    """The worker's result; None when the worker process died (killed, out of memory): rendered here instead."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pending.result()
    except BrokenProcessPool:
        return None


def build_publication(report: Report, folder: Path, public_base_url: str, manifest: dict,
                      pdf_worker: PdfWorker | None = None, meanwhile: Callable[[], object] | None = None
                      ) -> list[Path]:
    """Write every file of one revision into ``folder`` (which must not exist); the manifest last. With a
    ``pdf_worker``, the PDF (and the page, if it ``draws_page``) is rendered there while the other files are
    written, and ``meanwhile`` called (it is called before the PDF is rendered here)."""
    folder.mkdir(parents=True, exist_ok=False)
    faults.fail_point(f"render:{report.week.name}")
    pdf_base = revision_url(public_base_url, report.week.name, report.revision_number)
    pending = pdf_worker.render(report, pdf_base) if pdf_worker else None
    charts: dict = {}  # in this process, the trend charts are drawn once for the page and the PDF
    page = None if pending is not None and pdf_worker.draws_page else render_html(report, charts=charts)
    (folder / "report.json").write_text(json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    tables = download_tables(report)
    for name, frame in tables.items():
        (folder / name).write_bytes(csv_bytes(frame))
    write_xlsx(tables, folder / "tables.xlsx", report)
    if meanwhile:
        meanwhile()
    # what the worker drew (None, None without a worker, or when it died: then drawn here)
    page_drawn, pdf = (_from_worker(pending) if pending else None) or (None, None)
    if page is None:
        page = page_drawn if page_drawn is not None else render_html(report, charts=charts)
    if pdf is None:
        pdf = render_print_edition(report, pdf_base, charts)
    (folder / "report.html").write_text(page, encoding="utf-8")
    (folder / "report.pdf").write_bytes(pdf)
    expected = {name for name, _ in downloads_for(report)} | {"report.html", "report.pdf"}
    written = {p.name for p in folder.iterdir()}
    if written != expected:
        raise RuntimeError(f"publication files differ from the documented list: {sorted(written ^ expected)}")
    files = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in sorted(folder.iterdir())}
    fsync_tree(folder)
    write_atomic(folder / MANIFEST, json.dumps({**manifest, "files": files}, indent=2) + "\n")
    return sorted(folder.iterdir())


# --- staging and switching ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StagedEdition:
    week: str
    revision_number: int
    folder: Path  # archive/.staging-<week>-r<N>-<pid>, complete with its manifest

    @property
    def path(self) -> str:
        return f"{ARCHIVE}/{self.week}/r{self.revision_number}"


def stage_edition(report: Report, outputs_dir: Path, public_base_url: str, manifest: dict,
                  pdf_worker: PdfWorker | None = None, meanwhile: Callable[[], object] | None = None
                  ) -> StagedEdition:
    """Build one edition in the archive's staging area; on any failure nothing of it is left behind."""
    archive = archive_dir(outputs_dir)
    archive.mkdir(parents=True, exist_ok=True)
    staging = archive / f"{STAGING_PREFIX}{report.week.name}-r{report.revision_number}-{os.getpid()}"
    try:
        build_publication(report, staging, public_base_url, manifest, pdf_worker, meanwhile)
        faults.pause_point("staged")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StagedEdition(report.week.name, report.revision_number, staging)


def stage_editions(jobs: list[tuple[Report, dict]], outputs_dir: Path, public_base_url: str, workers: int = 1,
                   progress=lambda message: None, pdf_worker: PdfWorker | None = None,
                   meanwhile: Callable[[], object] = lambda: None) -> list[StagedEdition]:
    """Build every edition (report, manifest) in staging, on ``workers`` processes when there are several
    (a backfill renders one week per core); otherwise PDFs are rendered on ``pdf_worker`` when there is one.
    ``meanwhile`` is called once, while the first PDF renders on another core (or before the first edition,
    when none does). On any failure nothing staged by this call is left behind."""
    if workers <= 1 or len(jobs) <= 1:
        staged: list[StagedEdition] = []
        try:
            for report, manifest in jobs:
                progress(f"Rendering {report.week.name} revision {report.revision_number}")
                staged.append(stage_edition(report, outputs_dir, public_base_url, manifest, pdf_worker,
                                            None if staged else meanwhile))
            if not jobs:
                meanwhile()
        except BaseException:
            discard(staged)
            raise
        return staged
    pool = spawned_pool(min(workers, len(jobs)))
    try:
        try:
            pending = [pool.submit(stage_edition, report, outputs_dir, public_base_url, manifest)
                       for report, manifest in jobs]
        except ValueError as exc:
            raise_if_launch_failed(exc)
            raise
        meanwhile()
        staged = []
        for (report, _), result in zip(jobs, pending):
            progress(f"Rendering {report.week.name} revision {report.revision_number} ({len(staged) + 1}/{len(jobs)})")
            staged.append(result.result())
        pool.shutdown(wait=True)
        return staged
    except BaseException:  # the workers are stopped at once, then their staging is removed
        stop_processes(pool)
        for report, _ in jobs:  # whichever worker process made it
            for folder in archive_dir(outputs_dir).glob(f"{STAGING_PREFIX}{report.week.name}-r{report.revision_number}-*"):
                shutil.rmtree(folder, ignore_errors=True)
        raise


def discard(staged: list[StagedEdition]) -> None:
    for edition in staged:
        shutil.rmtree(edition.folder, ignore_errors=True)


def switch(staged: list[StagedEdition], outputs_dir: Path, done: list[StagedEdition]) -> None:
    """Rename each staged edition into the archive, then point its week at it, appending it to ``done``: if a
    failure stops the loop, the caller knows exactly which editions were published."""
    archive = archive_dir(outputs_dir)
    for edition in staged:
        week_archive = archive / edition.week
        week_archive.mkdir(exist_ok=True)
        os.rename(edition.folder, week_archive / f"r{edition.revision_number}")  # never over an existing revision
        fsync_dir(week_archive)
        symlink_atomic(edition.path, outputs_dir / edition.week)
        done.append(edition)
        faults.kill_point("after-link-switch")
    fsync_dir(outputs_dir)
