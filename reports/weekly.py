"""Many weeks' figures at once: each week's report, and its public content when the week was published
before (to look for a revision), computed on two processes when there are enough weeks.

A run that keeps an archive checks every published week for revisions, and ``--all`` builds every week: one
``build_report`` and one ``public_content`` each, about 0.65 s a week on the national set, one core busy and
the other idle. The weeks are independent, so a pool of spawned processes (``RENDER_WORKERS``), each given
the dataset once, builds them in week order while the run compares and stages what comes back.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from .load import Dataset
from .period import Week
from .publish import public_content, raise_if_launch_failed, spawned_pool
from .settings import Settings
from .tables import Report, build_report

MIN_WEEKS_FOR_WORKERS = 8  # fewer: starting the processes and handing them the dataset costs more than it saves

_job: dict = {}  # in a worker process: what every week is built from


def weekly_reports(dataset: Dataset, weeks: list[Week], settings: Settings, counties, *, sample: bool,
                   published: dt.date, with_content: set[str], workers: int) -> Iterator[tuple[Report, dict | None]]:
    """(report, public content or None) for each week, in order; the content only for weeks named in
    ``with_content``. On ``workers`` processes when there are at least MIN_WEEKS_FOR_WORKERS weeks."""
    job = dict(dataset=dataset, settings=settings, counties=counties, sample=sample, published=published)
    if workers <= 1 or len(weeks) < MIN_WEEKS_FOR_WORKERS:
        for week in weeks:
            yield _week(job, week, week.name in with_content)
        return
    pool = spawned_pool(workers, _remember, job)
    try:
        yield from pool.map(_in_worker, [(week, week.name in with_content) for week in weeks])
    except ValueError as exc:
        raise_if_launch_failed(exc)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a run stopped half-way does not build the other weeks


def _remember(job: dict) -> None:
    _job.update(job)


def _in_worker(task: tuple[Week, bool]) -> tuple[Report, dict | None]:
    return _week(_job, *task)


def _week(job: dict, week: Week, with_content: bool) -> tuple[Report, dict | None]:
    report = build_report(job["dataset"], week, job["settings"], job["counties"], sample=job["sample"],
                          published=job["published"])
    return report, public_content(report) if with_content else None
