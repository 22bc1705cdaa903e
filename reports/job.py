"""One run of the weekly job: check inputs, choose weeks, build and publish. No printing here.

The CLI turns the returned ``JobResult`` into messages and an exit code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import ingest
from .period import Week, latest_complete_week, week_containing, weeks_with_data
from .pipeline import Dataset, load_inputs, write_staff_reports
from .publish import publish_week, write_index
from .reference import load_counties
from .options import RunOptions
from .settings import load_settings
from .tables import build_report

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE, EXIT_RENDER_FAILED = 0, 1, 2, 3


@dataclass
class JobResult:
    exit_code: int
    summary: str
    dataset: Dataset | None = None
    sample: bool = False
    published: list[Path] = field(default_factory=list)
    staff_files: list[Path] = field(default_factory=list)


def has_staff_inputs(inputs: Path) -> bool:
    files, problems = ingest.find_input_files(inputs)
    return bool(files or problems)


def data_days(dataset: Dataset) -> list:
    detainers = dataset.used("detainers")
    days = list(detainers["date_issued"].dropna().dt.date)
    days += list(detainers.loc[detainers["outcome"] == "declined", "outcome_date"].dropna().dt.date)
    return days


def choose_weeks(dataset: Dataset, options: RunOptions, week_start: int) -> list[Week]:
    days = data_days(dataset)
    if options.week:
        return [week_containing(options.week, week_start)]
    if options.all_weeks:
        return weeks_with_data(days, week_start)
    latest = latest_complete_week(days, week_start, options.now.date())
    return [latest] if latest else []


def run_job(options: RunOptions) -> JobResult:
    settings = load_settings(options.settings)  # SettingsError is a usage error, raised to the CLI
    sample = not options.check and not has_staff_inputs(options.inputs)
    inputs = options.sample_inputs if sample else options.inputs
    dataset = load_inputs(inputs)
    staff_files = write_staff_reports(dataset, options.staff, options.now)
    counts = f"{len(dataset.errors)} error(s), {len(dataset.warnings)} warning(s)"
    if options.check or dataset.errors:
        code = EXIT_INPUT_ERRORS if dataset.errors else EXIT_OK
        verb = "checked" if options.check else "checked, nothing published"
        return JobResult(code, f"{len(dataset.files)} file(s) {verb}: {counts}. Staff report: "
                               f"{options.staff / 'check-report.txt'}", dataset, sample, [], staff_files)
    weeks = choose_weeks(dataset, options, settings.week_start_index)
    if not weeks:
        return JobResult(EXIT_OK, f"No complete week with data to publish ({counts}).", dataset, sample, [],
                         staff_files)
    counties = load_counties()
    published = []
    for week in weeks:
        report = build_report(dataset, week, settings, counties, sample=sample, published=options.now.date())
        published.append(publish_week(report, options.outputs, settings.public_base_url))
    write_index(options.outputs, settings.title, settings.agency)
    names = ", ".join(p.name for p in published[:3]) + (" …" if len(published) > 3 else "")
    what = "SAMPLE DATA (no staff inputs found)" if sample else f"{len(dataset.files)} input file(s)"
    return JobResult(EXIT_OK, f"Published {len(published)} week(s) ({names}) from {what} to {options.outputs}; "
                              f"{counts}.", dataset, sample, published, staff_files)
