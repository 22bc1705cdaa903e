"""One run of the weekly job: lock, check inputs, choose weeks, publish new weeks and revisions.

No printing here: the CLI turns the returned ``JobResult`` into messages and an exit code.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from . import ingest, revisions
from .errors import Problem
from .options import PROJECT_ROOT, RunOptions
from .period import Week, latest_complete_week, week_containing, weeks_with_data
from .pipeline import Dataset, load_inputs, write_staff_reports
from .publish import (current_is_sample, publish_revision, published_week_names, recover, retire_sample_editions,
                      revisions as week_revisions, run_lock, sha256_file, write_atomic, write_index_and_feed)
from .reference import load_counties
from .sample import CREATED as SAMPLE_CREATED
from .settings import Settings, load_settings
from .tables import Report, build_report, report_json, week_has_data

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE, EXIT_RENDER_FAILED, EXIT_BUSY, EXIT_INTERNAL = 0, 1, 2, 3, 4, 5
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
    files, problems = ingest.find_input_files(inputs)
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


def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for folder in ("reports", "templates"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
                digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def input_hashes(inputs: Path) -> dict[str, str]:
    files, _ = ingest.find_input_files(inputs)
    hashes = {}
    for path in files:
        try:
            hashes[path.relative_to(inputs).as_posix()] = sha256_file(path)
        except OSError:  # reported by the ingest as E106; the fingerprint must not stop the run
            hashes[path.relative_to(inputs).as_posix()] = "unreadable"
    return hashes


def run_fingerprint(options: RunOptions, inputs: Path, settings_path: Path, week_start: int) -> dict:
    """Everything a run's result depends on. Equal fingerprints: nothing to do."""
    outputs = {name: str((options.outputs / name).readlink()) for name in published_week_names(options.outputs)}
    return {
        "inputs": input_hashes(inputs),
        "settings": sha256_file(settings_path) if settings_path.is_file() else None,
        "code": code_fingerprint(),
        "current_week": week_containing(options.now.date(), week_start).name,
        "request": {"week": options.week.isoformat() if options.week else None, "all": options.all_weeks},
        "outputs_dir": str(options.outputs.resolve()),
        "published": outputs,
    }


def _last_state(staff: Path) -> dict | None:
    try:
        return json.loads((staff / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_job(options: RunOptions, progress: Callable[[str], None] = lambda message: None) -> JobResult:
    settings = load_settings(options.settings)  # SettingsError is a usage error, raised to the CLI
    # "today" and the publication date are the configured time zone's, not UTC's
    options = dataclasses.replace(options, now=settings.local(options.now))
    if options.check:
        dataset = load_inputs(options.inputs, settings=settings, today=options.now.date())
        staff_files = write_staff_reports(dataset, options.staff, options.now)
        counts = f"{len(dataset.errors)} error(s), {len(dataset.warnings)} warning(s)"
        return JobResult(EXIT_INPUT_ERRORS if dataset.errors else EXIT_OK,
                         f"{len(dataset.files)} file(s) checked: {counts}. Staff report: "
                         f"{options.staff / 'check-report.txt'}", dataset, False, [], staff_files)
    with run_lock(options.outputs):  # Busy is raised to the CLI
        recover(options.outputs)
        return _publish(options, settings, progress)


def _publish(options: RunOptions, settings: Settings, progress) -> JobResult:
    sample = not has_staff_inputs(options.inputs)
    published_names = published_week_names(options.outputs)
    real_editions = [n for n in published_names if not current_is_sample(options.outputs, n)]
    if sample and real_editions:
        return JobResult(EXIT_INPUT_ERRORS, f"The inputs folder {options.inputs} holds no spreadsheets, but real "
                                            f"editions are published in {options.outputs}: refusing to publish "
                                            "sample data there. Put the staff files back; nothing was published.")
    inputs = options.sample_inputs if sample else options.inputs
    fingerprint = run_fingerprint(options, inputs, options.settings, settings.week_start_index)
    if _last_state(options.staff) == fingerprint:
        return JobResult(EXIT_OK, "Nothing changed since the last run (same inputs, settings and software); "
                                  "nothing published.", None, sample)
    progress("Reading inputs")
    # the sample is data as of the day it was made: a clock set earlier must not make its dates "future"
    today = max(options.now.date(), SAMPLE_CREATED.date()) if sample else options.now.date()
    dataset = load_inputs(inputs, settings=settings, today=today)
    if not sample and settings.links_to_example_site:
        dataset.problems.append(Problem("W501", str(options.settings.name), message=(
            f"the report links to {settings.public_base_url}; set public_base_url to where outputs/ is served")))
    staff_files = write_staff_reports(dataset, options.staff, options.now)
    counts = f"{len(dataset.errors)} error(s), {len(dataset.warnings)} warning(s)"
    if dataset.errors:
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
                             dataset, sample, [], staff_files)
    retired = [] if sample else retire_sample_editions(options.outputs)
    counties = load_counties()
    published, unchanged = [], []
    weeks = choose_weeks(dataset, options, settings.week_start_index, published_week_names(options.outputs))
    for number, week in enumerate(weeks, start=1):
        progress(f"Week {week.name} ({number}/{len(weeks)})")
        report = build_report(dataset, week, settings, counties, sample=sample, published=options.now.date())
        earlier = week_revisions(options.outputs, week.name)
        if earlier:
            previous = json.loads((earlier[-1].folder / "report.json").read_text(encoding="utf-8"))
            changes = revisions.diff(previous, report_json(report))
            if not changes:
                unchanged.append(week.name)
                continue
            mark_revision(report, earlier, previous, changes, dataset)
        progress(f"Rendering {week.name} revision {report.revision}")
        manifest = {"week": week.name, "revision": report.revision, "published": options.now.isoformat(),
                    "sample": sample, "inputs": fingerprint["inputs"], "settings_sha256": fingerprint["settings"],
                    "software_sha256": fingerprint["code"]}
        published.append(publish_revision(report, options.outputs, settings.public_base_url, manifest))
    if published or retired or not (options.outputs / "index.html").exists():
        write_index_and_feed(options.outputs, settings.title, settings.agency, settings.public_base_url)
    fingerprint["published"] = {name: str((options.outputs / name).readlink())
                                for name in published_week_names(options.outputs)}
    options.staff.mkdir(parents=True, exist_ok=True)
    write_atomic(options.staff / STATE_FILE, json.dumps(fingerprint, indent=2))
    what = "SAMPLE DATA (no staff inputs found)" if sample else f"{len(dataset.files)} input file(s)"
    if not published:
        detail = f"{len(unchanged)} published week(s) unchanged" if unchanged else "no complete week with data"
        return JobResult(EXIT_OK, f"Nothing new to publish from {what} ({detail}); {counts}.", dataset, sample,
                         [], staff_files, unchanged)
    names = ", ".join(f"{p.parent.name} r{p.name[1:]}" for p in published[:4]) + (" …" if len(published) > 4 else "")
    return JobResult(EXIT_OK, f"Published {len(published)} edition(s) ({names}) from {what} to {options.outputs}; "
                              f"{counts}.", dataset, sample, published, staff_files, unchanged)


def mark_revision(report: Report, earlier, previous: dict, changes, dataset: Dataset) -> None:
    report.revision = earlier[-1].number + 1
    report.first_published = dt.date.fromisoformat(previous.get("first_published", previous["published"])[:10])
    report.earlier_revisions = [{"revision": r.number, "published": r.published,
                                 "path": f"archive/{r.week}/r{r.number}"} for r in earlier]
    report.revision_changes = [c.as_dict() for c in changes]
    report.revision_reasons = revision_reasons(report, dataset)


def revision_reasons(report: Report, dataset: Dataset) -> list[str]:
    """What staff said about the records behind this week, where they said it."""
    reasons = []
    corrections = getattr(dataset, "corrections", None)
    if corrections is not None and len(corrections):
        for row in corrections.to_dict(orient="records"):
            if _touches_week(row, report):
                reasons.append(correction_sentence(row))
    updated = _updated_in_window(dataset, report)
    if updated:
        reasons.append(f"{updated:,} detainer record{'' if updated == 1 else 's'} behind these figures "
                       f"{'was' if updated == 1 else 'were'} updated by newer source files.")
    if not reasons:
        reasons.append("Records were added to or changed in the source files since the previous edition "
                       "(for example outcomes recorded late, or facilities newly mapped to their county).")
    return reasons


def _updated_in_window(dataset: Dataset, report: Report) -> int:
    """Detainers updated by a newer file whose dates fall in the weeks this edition prints."""
    if not len(dataset.changes):
        return 0
    detainers = dataset.used("detainers")
    updated = detainers[detainers["detainer_id"].isin(set(dataset.changes["detainer_id"]))]
    start = pd.Timestamp(report.week.start - dt.timedelta(days=7 * (report.settings.trend_weeks - 1)))
    end = pd.Timestamp(report.week.end)
    inside = (updated["date_issued"].between(start, end) | updated["outcome_date"].between(start, end))
    return int(inside.sum())


def _touches_week(row: dict, report: Report) -> bool:
    """Could the correction change a figure this edition prints? It changed detainers whose dates
    (before or after the correction) span some range; the trend reaches back trend_weeks."""
    days = [row.get(k) for k in ("date_issued_min", "date_issued_max", "outcome_date_min", "outcome_date_max")]
    days = [d.date() for d in days if d is not None and d == d and d is not pd.NaT]
    if not days or not row.get("detainers_changed"):
        return False
    window_start = report.week.start - dt.timedelta(days=7 * (report.settings.trend_weeks - 1))
    return not (max(days) < window_start or min(days) > report.week.end)


def correction_sentence(row: dict) -> str:
    """'Correction recorded 2017-03-22 (Franklin County, IA): ... County FIPS corrected to ... for 12 detainers.'"""
    day = row["date"].date().isoformat() if hasattr(row.get("date"), "date") else str(row.get("date"))
    where = f" ({row['jurisdiction']})" if row.get("jurisdiction") else ""
    text = f"Correction recorded {day}{where}: "
    if row.get("what_was_wrong"):
        text += f"{row['what_was_wrong'].rstrip('.')}. "
    count = int(row.get("detainers_changed") or 0)
    text += (f"{row['field']} corrected to {row.get('correct_value') or 'not determined'} for {count:,} "
             f"detainer{'' if count == 1 else 's'}.")
    if row.get("note"):
        text += f" {row['note']}"
    return text
