"""Many weeks' figures on worker processes are the figures the run builds one week at a time."""
from __future__ import annotations

import os

import pytest

from reports import weekly
from reports.jsondoc import report_json
from reports.load import load_inputs
from reports.period import weeks_with_data
from reports.publish import public_content
from reports.reference import load_counties
from reports.sample import CREATED, SAMPLE_DIR
from reports.settings import DEFAULTS
from reports.run import data_days


@pytest.mark.slow  # spawns two processes
def test_weeks_built_on_workers_are_the_weeks_built_in_the_run(monkeypatch):
    today = CREATED.date()
    dataset = load_inputs(SAMPLE_DIR, today=today)
    weeks = sorted(weeks_with_data(data_days(dataset), DEFAULTS.week_start_index))
    assert len(weeks) >= 3
    published = {weeks[0].name, weeks[-1].name}
    job = dict(settings=DEFAULTS, counties=load_counties(), sample=True, published=today, with_content=published)
    one_by_one = list(weekly.weekly_reports(dataset, weeks, workers=1, **job))
    monkeypatch.setattr(weekly, "MIN_WEEKS_FOR_WORKERS", 2)
    on_workers = list(weekly.weekly_reports(dataset, weeks, workers=2, **job))
    assert [r.week.name for r, _ in on_workers] == [w.name for w in weeks]
    for (serial, serial_content), (pooled, pooled_content) in zip(one_by_one, on_workers):
        assert report_json(pooled) == report_json(serial)
        assert public_content(pooled) == public_content(serial)
        assert pooled_content == serial_content
        assert (pooled_content is None) == (pooled.week.name not in published)


class _DiesWhenUnpickled:
    """Stands for the counties: a worker process that unpickles it exits at once, as one killed would."""

    def __reduce__(self):
        return os._exit, (1,)


@pytest.mark.slow  # spawns two processes
def test_a_worker_that_dies_fails_the_run_instead_of_leaving_it_waiting(monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    dataset = load_inputs(SAMPLE_DIR, today=CREATED.date())
    weeks = sorted(weeks_with_data(data_days(dataset), DEFAULTS.week_start_index))
    monkeypatch.setattr(weekly, "MIN_WEEKS_FOR_WORKERS", 2)
    with pytest.raises(BrokenProcessPool):
        list(weekly.weekly_reports(dataset, weeks, DEFAULTS, _DiesWhenUnpickled(), sample=True,
                                   published=CREATED.date(), with_content=set(), workers=2))


@pytest.mark.slow  # spawns two processes
def test_a_rendering_worker_that_dies_fails_the_backfill_and_leaves_no_staging(tmp_path):
    """A backfill renders its editions on worker processes: one that dies (out of memory, killed) fails the
    run at once, where a multiprocessing.Pool would have waited for ever, and nothing staged is left."""
    from concurrent.futures.process import BrokenProcessPool

    from reports.archive import STAGING_PREFIX, archive_dir
    from reports.publish import stage_editions

    dataset = load_inputs(SAMPLE_DIR, today=CREATED.date())
    weeks = sorted(weeks_with_data(data_days(dataset), DEFAULTS.week_start_index))[:2]
    reports = [report for report, _ in weekly.weekly_reports(
        dataset, weeks, DEFAULTS, load_counties(), sample=True, published=CREATED.date(), with_content=set(),
        workers=1)]
    for report in reports:
        report.revision_number = 1
    jobs = [(report, {"dies": _DiesWhenUnpickled()}) for report in reports]
    meanwhile = []
    with pytest.raises(BrokenProcessPool):
        stage_editions(jobs, tmp_path, "https://example.org/", workers=2, meanwhile=lambda: meanwhile.append(1))
    assert meanwhile == [1]  # the run's own work went on while the editions rendered
    assert not list(archive_dir(tmp_path).glob(f"{STAGING_PREFIX}*"))
