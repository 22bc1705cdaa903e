"""Orchestrates one run of the weekly job: folders and their guards, lock, fingerprint, check inputs, choose weeks,
publish new weeks and revisions.

No printing here: the CLI turns the returned ``JobResult`` into messages and an exit code.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import os
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import faults, input_files
from .archive import (TreeReport, archived_weeks, current_is_sample, next_revision_number, reconcile,
                      published_revisions, retire_sample_editions, run_lock)
from .atomic import sha256_file, write_atomic
from .catalogue import write_index_and_feed
from .errors import Problem
from .exceptions import (EXIT_INPUT_ERRORS, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, ClockError, EnvironmentProblem,
                         Interrupted, ReportsError, UsageError)
from .options import RunOptions
from .period import Week, latest_complete_week, week_containing, weeks_with_data
from .load import Dataset, RecordFramesStore, load_inputs
from .staff_reports import write_staff_reports
from .publish import (PdfWorker, StagedEdition, archived_content, discard, public_content, stage_editions,
                      start_pdf_worker, switch)
from .reference import load_counties
from .resources import code_fingerprint
from .revision_reasons import mark_revision
from .sample import CREATED as SAMPLE_CREATED
from .settings import Settings, load_settings
from .tables import Report, week_has_data
from .weekly import weekly_reports

RENDER_WORKERS = min(2, os.cpu_count() or 1)  # editions of a multi-week run render one per core
STATE_FILE = "last-run.json"  # in the staff folder: what the last successful run was made from


@dataclass
class JobResult:
    exit_code: int
    summary: str
    dataset: Dataset | None = None
    sample: bool = False
    published: list[Path] = field(default_factory=list)
    staff_files: list[Path] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def has_staff_inputs(inputs: Path) -> bool:
    files, problems = input_files.find_input_files(inputs)
    return bool(files or problems)


def data_days(dataset: Dataset) -> list:
    detainers = dataset.used("detainers")
    days = set(detainers["date_issued"].dropna().dt.date.unique())
    days |= set(detainers.loc[detainers["outcome"] == "declined", "outcome_date"].dropna().dt.date.unique())
    return sorted(days)


def choose_weeks(dataset: Dataset, options: RunOptions, week_start: int, published: list[str]) -> list[Week]:
    """--week: that week. --all: every week with data. Default: the latest complete week with data.
    Without --week, every week already published is checked too, for revisions."""
    days = data_days(dataset)
    if options.week:
        return [week_containing(options.week, week_start)]
    today = options.now.date()
    # --all: every week with data that has ended (never a week still running, nor one after the last data)
    weeks = {w for w in weeks_with_data(days, week_start) if w.end < today} if options.all_weeks else set()
    latest = latest_complete_week(days, week_start, today)
    if latest:
        weeks.add(latest)
    for name in published:
        end = dt.date.fromisoformat(name)
        week = week_containing(end, week_start)
        if week.end == end:  # a week published under another week_start setting is left alone
            weeks.add(week)
    return sorted(weeks)


def input_hashes(inputs: Path) -> dict[str, str]:
    files, _ = input_files.find_input_files(inputs)
    hashes = {}
    for path in files:
        try:
            hashes[path.relative_to(inputs).as_posix()] = sha256_file(path)
        except OSError:  # reported by the ingest as E106; the fingerprint must not stop the run
            hashes[path.relative_to(inputs).as_posix()] = "unreadable"
    return hashes


def run_fingerprint(options: RunOptions, inputs: Path, settings_path: Path, week_start: int) -> dict:
    """Everything a run's result depends on, and the public tree it left. Equal fingerprints: nothing to do."""
    return {
        "inputs": input_hashes(inputs),
        "settings": sha256_file(settings_path) if settings_path.is_file() else None,
        "code": code_fingerprint(),
        "current_week": week_containing(options.now.date(), week_start).name,
        "outputs_dir": str(options.outputs.resolve()),
        "public_tree": public_tree_state(options.outputs),
    }


def public_tree_state(outputs: Path) -> dict:
    """What the public sees at the top of the tree: every link, and the index and feed as they are."""
    links = {p.name: str(p.readlink()) for p in sorted(outputs.iterdir()) if p.is_symlink()} \
        if outputs.is_dir() else {}
    files = {name: sha256_file(outputs / name) for name in ("index.html", "feed.xml") if (outputs / name).is_file()}
    return {"links": links, "files": files}


def _covered(done: dict, options: RunOptions, week_start: int) -> bool:
    """Did the last run (same inputs, settings, software, week and public tree) already do what this one asks?
    A plain run checks the latest complete week and every published one, which a plain run or --all did; a
    --week run, the week it names, which any run that checked that week did."""
    if options.week:
        return (week_containing(options.week, week_start).name in done.get("weeks_checked", [])
                and done.get("allow_empty_week", False) == options.allow_empty_week)
    if options.all_weeks:
        return done.get("kind") == "all"
    return done.get("kind") in ("plain", "all")


def _last_state(staff: Path) -> dict | None:
    try:
        return json.loads((staff / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def check_folders(options: RunOptions) -> None:
    """Guards of the public tree, for every caller of the library (``run_job`` calls it first): staff files, the
    cache, raw inputs and the settings file never inside the published outputs, and the outputs never inside a
    staff-only folder; nothing written inside the inputs (the next run would read it as staff files)."""
    if not options.inputs.is_dir():
        raise UsageError(f"inputs folder {options.inputs} does not exist")
    places = {name: getattr(options, attr).resolve() for name, attr in
              (("inputs", "inputs"), ("outputs", "outputs"), ("staff", "staff"), ("cache", "cache_dir"),
               ("settings", "settings"))}
    for inner, outer, why in (
            ("staff", "outputs", "staff reports must never be published"),
            ("cache", "outputs", "the cache holds detainer rows and must never be published"),
            ("inputs", "outputs", "raw staff files must never be published"),
            ("settings", "outputs", "the settings file must never be published"),
            ("outputs", "inputs", "the next run would read the published files as staff inputs"),
            ("outputs", "staff", "published files and staff files must stay apart"),
            ("outputs", "cache", "the cache is pruned: published files would be deleted"),
            ("staff", "inputs", "the next run would read the staff reports as staff inputs"),
            ("cache", "inputs", "the next run would read the cache as staff inputs")):
        if places[inner].is_relative_to(places[outer]):
            kind = "file" if inner == "settings" else "folder"
            raise UsageError(f"the {inner} {kind} {places[inner]} is inside the {outer} folder {places[outer]}; "
                             f"{why}")


ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EXDEV, errno.EIO,
                      errno.EMFILE, errno.ENFILE}


@contextmanager
def _signals_stop_cleanly():
    """SIGTERM and SIGINT raise Interrupted, so every cleanup on the way out runs (staging is discarded and
    the previous publication stands) before the CLI prints one line and exits 143 or 130."""
    def stop(signum, frame):
        raise Interrupted(signal.Signals(signum).name, EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _environment_problem(exc: OSError) -> EnvironmentProblem:
    where = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p)
    return EnvironmentProblem(f"{exc.strerror or exc}: {where}" if where else str(exc))


def run_job(options: RunOptions, progress: Callable[[str], None] = lambda message: None) -> JobResult:
    """One run. Raises a ReportsError (with its exit code) when the run cannot go on; input problems are
    returned in the result (exit 1), never raised."""
    check_folders(options)
    settings = load_settings(options.settings)
    # "today" and the publication date are the configured time zone's, not UTC's
    options = dataclasses.replace(options, now=settings.local(options.now))
    try:
        with _signals_stop_cleanly():
            if options.check:
                dataset = load_inputs(options.inputs, settings=settings, today=options.now.date(),
                                      cache_dir=options.cache_dir)
                staff_files = write_staff_reports(dataset, options.staff, options.now)
                counts = f"{len(dataset.errors)} error(s), {len(dataset.warnings)} warning(s)"
                return JobResult(EXIT_INPUT_ERRORS if dataset.errors else EXIT_OK,
                                 f"{len(dataset.files)} file(s) checked: {counts}. Staff report: "
                                 f"{options.staff / 'check-report.txt'}", dataset, False, [], staff_files)
            with run_lock(options.outputs):
                tree = reconcile(options.outputs, repair=options.repair)
                return _publish(options, settings, progress, tree)
    except OSError as exc:
        if exc.errno in ENVIRONMENT_ERRNOS:
            raise _environment_problem(exc) from exc
        raise


def _publish(options: RunOptions, settings: Settings, progress, tree: TreeReport) -> JobResult:
    outputs = options.outputs
    sample = not has_staff_inputs(options.inputs)
    # (only a sample run looks: reading every week's report.json took 0.7 s with a 94-week national archive)
    if sample and any(not current_is_sample(outputs, n) for n in archived_weeks(outputs)):
        return JobResult(EXIT_INPUT_ERRORS, f"The inputs folder {options.inputs} holds no spreadsheets, but real "
                                            f"editions are published in {outputs}: refusing to publish "
                                            "sample data there. Put the staff files back; nothing was published.")
    inputs = options.sample_inputs if sample else options.inputs
    fingerprint = run_fingerprint(options, inputs, options.settings, settings.week_start_index)
    last = _last_state(options.staff) or {}
    if {k: v for k, v in last.items() if k != "request"} == fingerprint and not tree.lines() \
            and _covered(last.get("request", {}), options, settings.week_start_index):
        return JobResult(EXIT_OK, "Nothing changed since the last run (same inputs, settings and software); "
                                  "nothing published.", None, sample)
    # a single edition's PDF worker, started while the inputs are read (--all renders on a pool of its own)
    pdf_worker = start_pdf_worker() if RENDER_WORKERS > 1 and not options.all_weeks else None
    try:
        return _read_and_publish(options, settings, progress, tree, sample, inputs, fingerprint, pdf_worker)
    finally:
        if pdf_worker:
            pdf_worker.close()


def _read_and_publish(options: RunOptions, settings: Settings, progress, tree: TreeReport, sample: bool,
                      inputs: Path, fingerprint: dict, pdf_worker: PdfWorker | None) -> JobResult:
    progress("Reading inputs")
    # the sample is data as of the day it was made: a clock set earlier must not make its dates "future"
    today = max(options.now.date(), SAMPLE_CREATED.date()) if sample else options.now.date()
    cache_writes: list = []

    def store_cache():  # an entry that cannot be stored is simply not kept
        while cache_writes:
            cache_writes.pop(0)()

    try:
        dataset = load_inputs(inputs, settings=settings, today=today, cache_dir=options.cache_dir,
                              deferred_cache_writes=cache_writes)
    except BaseException:  # the files read before the failure are kept for the next run
        store_cache()
        raise
    if pdf_worker:  # this process stores new record frames while the PDF renders: the worker draws the page
        pdf_worker.draws_page = any(isinstance(write, RecordFramesStore) for write in cache_writes)
    if not sample and settings.links_to_example_site:
        dataset.problems.append(Problem("W501", str(options.settings.name), message=(
            f"the report links to {settings.public_base_url}; set public_base_url to where outputs/ is served")))

    def staff_reports_and_cache():
        try:
            return write_staff_reports(dataset, options.staff, options.now)
        finally:  # the cache is kept whatever happens next
            store_cache()

    # written once, whatever happens next; when an edition is built, while its PDF renders on the other core
    staff_reports = _Once(staff_reports_and_cache)
    try:
        return _publish_checked(options, settings, progress, tree, sample, fingerprint, pdf_worker, dataset,
                                staff_reports)
    finally:
        staff_reports()


def _publish_checked(options: RunOptions, settings: Settings, progress, tree: TreeReport, sample: bool,
                     fingerprint: dict, pdf_worker: PdfWorker | None, dataset: Dataset,
                     staff_reports: _Once) -> JobResult:
    outputs = options.outputs
    counts = f"{len(dataset.errors)} error(s), {len(dataset.warnings)} warning(s)"
    if dataset.errors:
        staff_files = staff_reports()
        _write_catalogue(outputs, settings)  # the public tree stays consistent with its archive
        return JobResult(EXIT_INPUT_ERRORS, f"{len(dataset.files)} file(s) checked, nothing published: {counts}. "
                                            f"Staff report: {options.staff / 'check-report.txt'}",
                         dataset, sample, [], staff_files)
    if options.week and not options.allow_empty_week:
        week = week_containing(options.week, settings.week_start_index)
        if not week_has_data(dataset, week):
            return JobResult(EXIT_INPUT_ERRORS, f"No detainer data were received for the week {week.label()}: "
                                                "refusing to publish an edition of zeros as if they were counted; "
                                                "nothing published. If that is intended, run again with "
                                                "--allow-empty-week: page 1 will say that no data were received.",
                             dataset, sample, [], staff_reports())
    if not sample:
        retire_sample_editions(outputs)
    counties = load_counties()
    editions, unchanged = [], []
    published_weeks = archived_weeks(outputs)
    weeks = choose_weeks(dataset, options, settings.week_start_index, published_weeks)
    reports = weekly_reports(dataset, weeks, settings, counties, sample=sample, published=options.now.date(),
                             with_content=set(published_weeks), workers=RENDER_WORKERS)
    for number, (week, (report, current)) in enumerate(zip(weeks, reports), start=1):
        progress(f"Week {week.name} ({number}/{len(weeks)})")
        earlier = published_revisions(outputs, week.name)
        _check_clock(options.now, week, earlier)
        if earlier:
            previous = archived_content(earlier[-1])
            current = current if current is not None else public_content(report)
            if current == previous:
                unchanged.append(week.name)
                continue
            mark_revision(report, earlier, earlier[-1].report_json(), previous, current, dataset)
        report.revision_number = next_revision_number(outputs, week.name)
        editions.append(report)
    switched = _stage_and_switch(editions, options, settings, fingerprint, sample, progress, pdf_worker,
                                 staff_reports)
    staff_files = staff_reports()
    _write_catalogue(outputs, settings, switched)
    fingerprint["public_tree"] = public_tree_state(outputs)
    fingerprint["request"] = {"kind": "week" if options.week else "all" if options.all_weeks else "plain",
                              "weeks_checked": sorted(w.name for w in weeks),
                              "allow_empty_week": options.allow_empty_week}
    options.staff.mkdir(parents=True, exist_ok=True)
    write_atomic(options.staff / STATE_FILE, json.dumps(fingerprint, indent=2))
    what = "SAMPLE DATA (no staff inputs found)" if sample else f"{len(dataset.files)} input file(s)"
    tree_notes = "".join(f" Outputs folder: {line}." for line in tree.lines())
    if not switched:
        detail = f"{len(unchanged)} published week(s) unchanged" if unchanged else "no complete week with data"
        return JobResult(EXIT_OK, f"Nothing new to publish from {what} ({detail}); {counts}.{tree_notes}", dataset,
                         sample, [], staff_files, unchanged)
    names = _edition_names(switched)
    return JobResult(EXIT_OK, f"Published {len(switched)} edition(s) ({names}) from {what} to {outputs}; "
                              f"{counts}.{tree_notes}", dataset, sample,
                     [outputs / e.path for e in switched], staff_files, unchanged)


class _Once:
    """A call made at most once (even if it fails), its result kept."""

    def __init__(self, function):
        self.function, self.called, self.result = function, False, None

    def __call__(self):
        if not self.called:
            self.called = True
            self.result = self.function()
        return self.result


def _edition_names(editions: list[StagedEdition], limit: int = 4) -> str:
    names = ", ".join(f"{e.week} r{e.revision_number}" for e in editions[:limit])
    return names + (" …" if len(editions) > limit else "")


def _check_clock(now: dt.datetime, week: Week, earlier) -> None:
    """A publication is never dated before the end of its week, nor before an edition already published."""
    if now.date() <= week.end:
        raise ClockError(f"the week ending {week.end.isoformat()} is not over on {now.date().isoformat()}: a week "
                         "is published once it has ended (if today's date is wrong, check the machine's clock); "
                         "nothing was published")
    if earlier and now < dt.datetime.fromisoformat(earlier[-1].published):
        raise ClockError(f"the machine's date ({now.isoformat(timespec='seconds')}) is earlier than the "
                         f"publication of {earlier[-1].path} ({earlier[-1].published}): is the system clock "
                         "wrong? Nothing was published")


def _stage_and_switch(editions: list[Report], options: RunOptions, settings: Settings, fingerprint: dict,
                      sample: bool, progress, pdf_worker: PdfWorker | None = None,
                      meanwhile=lambda: None) -> list[StagedEdition]:
    """Build every edition first; switch them only when all were built. If switching stops half-way (a full
    disk, a signal), the error names exactly the editions already published."""
    staged: list[StagedEdition] = []
    switched: list[StagedEdition] = []
    jobs = [(report, {"week": report.week.name, "revision": report.revision_number, "published": options.now.isoformat(),
                      "sample": sample, "inputs_sha256": sorted(set(fingerprint["inputs"].values())),
                      "settings_sha256": fingerprint["settings"], "software_sha256": fingerprint["code"]})
            for report in editions]
    try:
        staged = stage_editions(jobs, options.outputs, settings.public_base_url, RENDER_WORKERS, progress, pdf_worker,
                                meanwhile)
        switch(staged, options.outputs, switched)
    except BaseException as exc:
        discard([e for e in staged if e not in switched])
        if switched:
            _write_catalogue(options.outputs, settings, switched, best_effort=True)
            note = f"published before the failure: {_edition_names(switched, limit=len(switched))}"
            if isinstance(exc, ReportsError):
                exc.args = (f"{exc.args[0]}; {note}",) + exc.args[1:]
            elif isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
                raise EnvironmentProblem(f"{_environment_problem(exc)}; {note}") from exc
        raise
    return switched


def _write_catalogue(outputs: Path, settings: Settings, switched=(), best_effort: bool = False) -> None:
    """Index, feed and latest from the archive. A failure here after editions were switched says which."""
    faults.kill_point("before-index")
    try:
        write_index_and_feed(outputs, settings.title, settings.agency, settings.public_base_url)
    except OSError as exc:
        if best_effort:
            return
        published = f"; published: {_edition_names(list(switched), limit=len(switched))}" if switched else ""
        raise EnvironmentProblem(f"could not update the index and feed ({_environment_problem(exc)}): the next run "
                                 f"will retry{published}") from exc
