"""Weekly declined-detainer report: the library behind ``generate.py`` and the ``detainer-report`` command.

For a notebook, three steps, each the same code a run uses::

    import reports

    dataset = reports.load_folder("inputs")            # read and check every spreadsheet; writes nothing
    dataset.errors, dataset.warnings                   # problems, as in the staff report
    dataset.used("detainers")                          # the rows counted, one DataFrame per kind

    report = reports.build_week(dataset, "2017-02-01")  # the week containing that day
    report.summary["declined"], report.jurisdictions   # headline figures; every table is a DataFrame

    result = reports.render_week("inputs", "outputs", staff="staff", day="2017-02-01")  # publish, as a run does

Every error raised on purpose is a ``ReportsError`` (``reports.exceptions``), with the exit code the
command line gives it. The modules are imported when a function is first called, so ``import reports``
stays cheap.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from .exceptions import ReportsError

if TYPE_CHECKING:
    from .run import JobResult
    from .load import Dataset
    from .settings import Settings
    from .tables import Report

__all__ = ["ReportsError", "build_week", "load_folder", "load_settings", "render_week"]

Day = dt.date | str  # a date, or its ISO form "YYYY-MM-DD"


def load_settings(settings: Settings | str | Path | None = None) -> Settings:
    """The settings: ``None`` for the defaults, a path to a settings.toml file, or ``Settings`` as they are.
    A bad file raises ``SettingsError`` (a ``ReportsError``)."""
    from . import settings as settings_module

    if settings is None or isinstance(settings, settings_module.Settings):
        return settings or settings_module.DEFAULTS
    return settings_module.load_settings(Path(settings))


def load_folder(inputs: str | Path, settings: Settings | str | Path | None = None,
                today: Day | None = None) -> Dataset:
    """Read and check every spreadsheet in the folder ``inputs`` (sub-folders too), as a run does; nothing is
    written, nothing is cached.

    Returns the ``Dataset``: one DataFrame per kind of record (``detainers``, ``charges``, ``facilities``,
    ``policies``; ``dataset.used(kind)`` keeps the rows that are counted), ``problems`` (``errors`` and
    ``warnings``), the ``reconciliation`` of rows read, used and excluded per file and sheet, and the
    ``attribution`` of each facility to a county. ``today`` (default: today in the settings' time zone) is
    the day of the run: a record dated after it is an error.
    """
    from .load import load_inputs

    return load_inputs(Path(inputs), settings=load_settings(settings), today=_date(today) if today else None)


def build_week(dataset: Dataset, day: Day, settings: Settings | str | Path | None = None,
               published: Day | None = None, sample: bool = False) -> Report:
    """The figures of the reporting week that contains ``day``, as the report prints them.

    Returns a ``Report``: ``summary`` holds the headline figures (issued, declined, outcomes, subsequent
    charges, …); ``jurisdictions``, ``issued_table``, ``declines_by_jurisdiction``, ``declines_detail``,
    ``issued_detail``, ``charges_by_jurisdiction``, ``charges_by_category``, ``charges_detail``, ``policies``
    and ``trend`` are DataFrames; ``caveats`` the sentences printed with them. ``published`` (default: today
    in the settings' time zone) dates the edition; ``sample`` marks figures built from sample data.
    """
    from .period import week_containing
    from .reference import load_counties
    from .tables import build_report

    settings = load_settings(settings)
    week = week_containing(_date(day), settings.week_start_index)
    return build_report(dataset, week, settings, load_counties(), sample=sample,
                        published=_date(published) if published else settings.today())


def render_week(inputs: str | Path, outputs: str | Path, staff: str | Path, day: Day,
                settings: str | Path | None = None, allow_empty_week: bool = False) -> JobResult:
    """Publish the week that contains ``day`` from the spreadsheets in ``inputs`` into the folder ``outputs``
    (HTML, PDF, JSON, CSV, XLSX, the index and feed), exactly as ``generate.py --week`` does: locked, all or
    nothing, a revision when the week was published before with other figures. Staff-only reports go to
    ``staff``, which must not be inside ``outputs``. ``settings`` is a settings file (default: settings.toml in
    the current directory, if there is one, as for the ``detainer-report`` command).

    Returns the run's ``JobResult``: ``exit_code`` (0 when published or nothing changed, 1 when the inputs
    have errors: then nothing is published, ``dataset.errors`` says why), ``summary`` (the line the command
    prints) and ``published`` (the edition folders). A run that cannot go on raises a ``ReportsError``.
    """
    from .run import run_job
    from .options import RunOptions

    given = {"settings": Path(settings)} if settings is not None else {}
    return run_job(RunOptions(inputs=Path(inputs), outputs=Path(outputs), staff=Path(staff), week=_date(day),
                              allow_empty_week=allow_empty_week, **given))


def _date(day: Day) -> dt.date:
    return day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
