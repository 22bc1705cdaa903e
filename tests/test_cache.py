"""The input cache: unchanged files are not read again; what is read from the cache is what a fresh read gives;
a changed file, layout definition, reading setting or software version is read again."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil

import pandas as pd
import pytest

from ingest_helpers import FIXTURES
from shared_data import PA_DETAINERS, needs_pa_detainers
from reports import cache, input_files
from reports.load import load_inputs
from reports.settings import DEFAULTS

TODAY = dt.date(2017, 3, 20)


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "inputs"
    for case in ("ice_export", "charges", "facilities", "duplicate_ids", "total_row"):
        shutil.copytree(FIXTURES / case, folder / case)
    shutil.copy(FIXTURES / "foia_export" / "pa_first50.csv", folder / "pa_first50.csv")
    # corrected values of several types in one column (dates and words): a frame Parquet may not hold
    (folder / "corrections.csv").write_text(
        "Date,Type,Detainer ID,Field,Correct Value,What Was Wrong\n"
        "2017-03-01,correction,FAC-1,Date Issued,2017-01-29,Typed a day late\n"
        "2017-03-01,correction,FAC-2,Outcome,other,A transfer recorded as honored\n", encoding="utf-8")
    return folder


@pytest.fixture
def reads(monkeypatch):
    """The files the workbook and CSV readers open, in order."""
    opened = []
    real = input_files.read_file

    def counting(path, rel, max_bytes=None):
        opened.append(rel)
        return real(path, rel, max_bytes)

    monkeypatch.setattr(input_files, "read_file", counting)
    return opened


def _load(inputs, cache_dir, settings=DEFAULTS):
    return load_inputs(inputs, settings=settings, today=TODAY, cache_dir=cache_dir)


DATASET_FRAMES = ("detainers", "charges", "facilities", "policies", "correction_rows", "corrections", "responses",
                  "correction_log", "changes", "attribution", "row_status")


def _same(a, b):
    for kind in DATASET_FRAMES:
        pd.testing.assert_frame_equal(getattr(a, kind).reset_index(drop=True), getattr(b, kind).reset_index(drop=True))
    assert a.problems == b.problems
    pd.testing.assert_frame_equal(a.reconciliation, b.reconciliation)
    assert a.notes == b.notes
    pd.testing.assert_frame_equal(a.value_mapping, b.value_mapping)


def test_a_warm_run_reads_no_unchanged_file_and_gives_the_same_dataset(inputs, tmp_path, reads):
    files = sorted(p.relative_to(inputs).as_posix() for p in inputs.rglob("*") if p.is_file())
    cold = _load(inputs, tmp_path / "cache")
    assert sorted(reads) == files
    reads.clear()
    warm = _load(inputs, tmp_path / "cache")
    assert reads == []  # nothing opened: every file came from the cache
    _same(cold, warm)
    _same(cold, _load(inputs, None))  # and both are what a run without a cache gives


def test_a_changed_file_alone_is_read_again(inputs, tmp_path, reads):
    _load(inputs, tmp_path / "cache")
    reads.clear()
    changed = inputs / "pa_first50.csv"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Case Closed", "Lifted", 1), encoding="utf-8")
    new = inputs / "new" / "policies.csv"
    new.parent.mkdir()
    new.write_text("Jurisdiction,State,Date Enacted,Policy,Criteria\nCook County,IL,2017-01-02,Limits,Warrant\n",
                   encoding="utf-8")
    dataset = _load(inputs, tmp_path / "cache")
    assert sorted(reads) == ["new/policies.csv", "pa_first50.csv"]
    assert "Lifted" in set(dataset.used("detainers")["outcome_detail"])


def test_a_changed_layout_definition_or_reading_setting_reads_every_file_again(inputs, tmp_path, reads):
    _load(inputs, tmp_path / "cache")
    reads.clear()
    aliased = dataclasses.replace(DEFAULTS, aliases=(("Arrest Day", "Arrest Date"),))
    _load(inputs, tmp_path / "cache", aliased)
    assert len(reads) > 3
    reads.clear()
    _load(inputs, tmp_path / "cache", dataclasses.replace(DEFAULTS, outcomes=(("Voluntary Departure", "other"),)))
    assert len(reads) > 3


def test_a_new_software_version_reads_every_file_again(inputs, tmp_path, reads, monkeypatch):
    _load(inputs, tmp_path / "cache")
    reads.clear()
    monkeypatch.setattr(cache, "software_key", lambda: "a newer version")
    _load(inputs, tmp_path / "cache")
    assert len(reads) > 3


def test_a_file_touched_but_unchanged_is_hashed_not_read(inputs, tmp_path, reads):
    _load(inputs, tmp_path / "cache")
    reads.clear()
    path = inputs / "pa_first50.csv"
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 3600))  # copied again, same bytes
    _load(inputs, tmp_path / "cache")
    assert reads == []


def test_future_dates_are_checked_against_each_run_day_even_from_the_cache(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "week.csv").write_text("Detainer ID,Facility,State,County FIPS,Date Issued,Outcome\n"
                                     "A1,Travis County Jail,TX,48453,2017-02-01,pending\n", encoding="utf-8")
    early = load_inputs(folder, today=dt.date(2017, 1, 31), cache_dir=tmp_path / "cache")
    assert [p.code for p in early.errors] == ["E314"]
    later = load_inputs(folder, today=dt.date(2017, 2, 5), cache_dir=tmp_path / "cache")
    assert later.errors == [] and len(later.used("detainers")) == 1


@pytest.mark.slow  # 32,757 rows, read and then loaded from the cache
@needs_pa_detainers
def test_the_real_pa_extract_round_trips_through_the_cache(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copy(PA_DETAINERS, folder / "pa_detainers.csv")
    cold = _load(folder, tmp_path / "cache")
    warm = _load(folder, tmp_path / "cache")
    _same(cold, warm)


def test_facilities_attributed_before_are_not_attributed_again_unless_the_staff_sheet_changed(
        inputs, tmp_path, monkeypatch):
    """The per-facility attribution is kept beside the cached files, keyed by the staff facilities sheets and
    the software: a warm run attributes no facility, and gives the same counties; a changed staff sheet (here:
    removed) attributes every facility again."""
    from reports import attribution

    calls = []
    real = attribution.attribute_facility

    def counting(*args, **kwargs):
        calls.append(args[:4])
        return real(*args, **kwargs)

    monkeypatch.setattr(attribution, "attribute_facility", counting)
    cache_dir = tmp_path / "cache"
    first = _load(inputs, cache_dir)
    assert calls
    calls.clear()
    second = _load(inputs, cache_dir)
    assert calls == []
    _same(first, second)
    pd.testing.assert_frame_equal(first.attribution, second.attribution)
    shutil.rmtree(inputs / "facilities")
    fresh = _load(inputs, None)
    calls.clear()
    without_sheet = _load(inputs, cache_dir)
    assert calls  # the staff sheet mapped some of them: attributed again without it
    pd.testing.assert_frame_equal(without_sheet.detainers, fresh.detainers)


POLICY_WITH_AN_ID = ("Jurisdiction,State,Date Enacted,Policy,Criteria\n"
                     "Cook County,IL,2017-01-02,Limits,Honored for CHD-2 only\n")


@pytest.fixture
def derivations(monkeypatch):
    """The runs that derived the record frames (redaction, duplicates, attribution, corrections, links) instead
    of taking them from the cache."""
    from reports import load

    calls = []
    real = load.derive_records

    def counting(sheets, *args, **kwargs):
        calls.append(sorted({s.table.file for s in sheets}))
        return real(sheets, *args, **kwargs)

    monkeypatch.setattr(load, "derive_records", counting)
    return calls


def test_a_new_policies_file_is_read_and_redacted_alone_the_record_frames_come_from_the_cache(
        inputs, tmp_path, reads, derivations, monkeypatch):
    """The warm run of the benchmark: one small new file. The record sheets' rows are not even read back from
    the cache (their frames come derived), the policy naming a detainer's ID is still redacted, and the dataset
    is the one a run without a cache gives."""
    _load(inputs, tmp_path / "cache")
    assert len(derivations) == 1
    (inputs / "policies.csv").write_text(POLICY_WITH_AN_ID, encoding="utf-8")
    reads.clear()
    restored = []
    real_restore = cache._restore
    monkeypatch.setattr(cache, "_restore", lambda path, dtypes: restored.append(path.name) or real_restore(path, dtypes))
    warm = _load(inputs, tmp_path / "cache")
    assert reads == ["policies.csv"] and len(derivations) == 1
    assert not any(name.startswith("sheet-") for name in restored)  # no record sheet's rows read back
    assert list(warm.policies["criteria"]) == ["Honored for [redacted] only"]
    assert [(p.code, p.file, p.row) for p in warm.problems if p.code == "W502"] == [("W502", "policies.csv", 2)]
    _same(warm, _load(inputs, None))


def test_the_record_frames_are_derived_again_when_a_record_file_the_day_or_the_software_changes(
        inputs, tmp_path, derivations, monkeypatch):
    _load(inputs, tmp_path / "cache")
    _load(inputs, tmp_path / "cache")
    assert len(derivations) == 1
    changed = inputs / "pa_first50.csv"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Case Closed", "Lifted", 1), encoding="utf-8")
    changed_file = _load(inputs, tmp_path / "cache")
    assert len(derivations) == 2 and "Lifted" in set(changed_file.used("detainers")["outcome_detail"])
    load_inputs(inputs, today=TODAY + dt.timedelta(days=1), cache_dir=tmp_path / "cache")
    assert len(derivations) == 3
    monkeypatch.setattr(cache, "software_key", lambda: "a newer version")
    _load(inputs, tmp_path / "cache")
    assert len(derivations) == 4
    _same(_load(inputs, tmp_path / "cache"), _load(inputs, None))
    assert len(derivations) == 5  # the run without a cache derives them, and stores nothing


def test_a_cache_entry_damaged_during_a_run_stops_it_with_one_line_and_is_removed(inputs, tmp_path):
    from reports.exceptions import EnvironmentProblem

    _load(inputs, tmp_path / "cache")
    for bundle in (tmp_path / "cache").glob("records-*"):
        shutil.rmtree(bundle)
    damaged = next((tmp_path / "cache").glob("*/sheet-0.parquet"))
    damaged.write_bytes(b"not parquet")
    with pytest.raises(EnvironmentProblem, match="could not be read .* it was removed"):
        _load(inputs, tmp_path / "cache")
    assert not damaged.parent.exists()
    _same(_load(inputs, tmp_path / "cache"), _load(inputs, None))  # the next run reads that file again


def test_a_publishing_run_stores_the_record_frames_while_its_pdf_renders_and_even_when_it_fails(
        tmp_path, derivations, reads, monkeypatch):
    """A publishing run stores the files it read and the record frames it derived after reading (with the
    staff reports, while the edition's PDF renders), so the next run, here with one new policies file, reads
    that file alone and derives nothing; a run that fails after reading, or while deriving, still stores what
    it read and derived."""
    from reports import run
    from reports.options import RunOptions
    from reports.run import run_job

    inputs = tmp_path / "inputs"
    shutil.copytree(FIXTURES / "ice_export", inputs)
    (tmp_path / "settings.toml").write_text('public_base_url = "https://stats.example.gov/detainers/"\n')

    def options(name):
        return RunOptions(inputs=inputs, outputs=tmp_path / name, staff=tmp_path / "staff", cache=tmp_path / "cache",
                          settings=tmp_path / "settings.toml", now=dt.datetime(2017, 3, 20, 12, tzinfo=dt.timezone.utc))

    first = run_job(options("out"))
    assert first.exit_code == 0 and first.published and len(derivations) == 1
    read_first = list(reads)
    (inputs / "policies.csv").write_text(POLICY_WITH_AN_ID, encoding="utf-8")
    second = run_job(options("out"))
    assert second.exit_code == 0 and len(derivations) == 1
    assert read_first and reads[len(read_first):] == ["policies.csv"]
    assert list(second.dataset.policies["criteria"]) == ["Honored for CHD-2 only"]  # (no such ID in these files)

    shutil.rmtree(tmp_path / "cache")

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run, "write_staff_reports", broken)
    with pytest.raises(Exception, match="space"):
        run_job(options("out-failed"))
    assert len(derivations) == 2 and list((tmp_path / "cache").glob("records-*"))
    stored = [p for p in (tmp_path / "cache").iterdir() if p.is_dir() and (p / "result.json").is_file()]
    read_by_the_failed_run = set(reads[len(read_first) + 1:])
    assert len(stored) == len(read_by_the_failed_run) == 2  # the export and the policies

    shutil.rmtree(tmp_path / "cache")  # a run that fails while deriving still keeps the files it read
    from reports import load

    def failing(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(load, "derive_records", failing)
    with pytest.raises(MemoryError):
        run_job(options("out-failed-again"))
    assert len([p for p in (tmp_path / "cache").iterdir() if (p / "result.json").is_file()]) == 2
