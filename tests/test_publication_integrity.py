"""Issue 9: every fix reaches the public, nothing archived is lost, no name leaks, the machine's failures are
named. In-process runs with a frozen clock; the kill and signal tests run generate.py as a real process."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import errno
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from cli_helpers import generate_command, run_cli
from reports import faults, publish
from reports import run as run_module
from reports.exceptions import (EXIT_ENVIRONMENT, EXIT_SIGTERM, ClockError, EnvironmentProblem, PublicTreeError,
                                RenderError, UsageError)
from reports.run import run_job
from reports.options import RunOptions

UTC = dt.timezone.utc
NOW = dt.datetime(2017, 3, 20, 12, tzinfo=UTC)
HEADER = ["Detainer ID", "Subject ID", "Facility", "State", "County FIPS", "Date Issued", "Outcome", "Outcome Date",
          "Citizenship", "Most Serious Conviction"]
ROWS = [
    ["A1", "SUBJ-100001", "Travis County Jail", "TX", "48453", "2017-01-30", "declined", "2017-02-01", "Mexico",
     "Assault"],
    ["A2", "SUBJ-100002", "Travis County Jail", "TX", "48453", "2017-01-31", "declined", "2017-02-02", "Mexico",
     "Burglary"],
    ["A3", "SUBJ-100003", "Clark County Detention", "NV", "32003", "2017-02-01", "honored", "2017-02-02", "Mexico",
     ""],
    ["B1", "SUBJ-100004", "Travis County Jail", "TX", "48453", "2017-02-06", "declined", "2017-02-08", "Mexico",
     "Theft"],
]
SETTINGS = 'public_base_url = "https://stats.example.gov/detainers/"\n'


def write_csv(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)  # a lone CR stays in its cell
    path.write_text(buffer.getvalue(), encoding="utf-8")


def make_base(tmp_path: Path, rows=ROWS, name: str = "detainers.csv") -> Path:
    (tmp_path / "inputs").mkdir()
    write_csv(tmp_path / "inputs" / name, [HEADER, *rows])
    (tmp_path / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    return tmp_path


def options(base: Path, now: dt.datetime = NOW, **extra) -> RunOptions:
    return RunOptions(inputs=base / "inputs", outputs=base / "out", staff=base / "staff",
                      settings=base / "settings.toml", now=now, **extra)


def link(base: Path, week: str) -> str:
    return os.readlink(base / "out" / week)


def public_files(outputs: Path, read_pdfs: bool = True) -> dict[str, str]:
    """The text of every public file: HTML, JSON, CSV, feed, index, manifest, PDF text and XLSX cells.
    ``read_pdfs=False``: a PDF's text is "" (its renderer is stubbed)."""
    texts = {}
    for path in sorted(outputs.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(outputs).as_posix()
        if path.suffix == ".pdf":
            texts[rel] = "\n".join(page.extract_text() for page in PdfReader(path).pages) if read_pdfs else ""
        elif path.suffix == ".xlsx":
            workbook = openpyxl.load_workbook(path, read_only=True)
            texts[rel] = "\n".join(str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                                   for v in row if v is not None)
            workbook.close()
        else:
            texts[rel] = path.read_text(encoding="utf-8")
    return texts


# --------------------------------------------------------------------------- every fix reaches the public


@pytest.mark.parametrize("column, new_value", [(9, "Simple assault"), (8, "Guatemala"),
                                               (2, "Travis County Correctional Complex")])
def test_a_fix_that_moves_no_total_is_published_as_a_revision(tmp_path, column, new_value):
    base = make_base(tmp_path)
    # two declines in the week: rare citizenships would be shown as Other, and a fix to one would not show
    (base / "settings.toml").write_text(SETTINGS + "top_code_citizenship_below = 0\n", encoding="utf-8")
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    fixed = [list(r) for r in ROWS]
    fixed[0][column] = new_value
    write_csv(base / "inputs" / "detainers.csv", [HEADER, *fixed])
    result = run_job(options(base, NOW + dt.timedelta(days=1), week=dt.date(2017, 2, 1)))
    assert result.exit_code == 0, result.summary
    assert link(base, "2017-02-03") == "archive/2017-02-03/r2"
    data = json.loads((base / "out" / "2017-02-03" / "report.json").read_text())
    assert data["revision"] == 2 and data["revision_changes"] == []  # no figure moved
    declines = (base / "out" / "2017-02-03" / "declines.csv").read_text()
    assert new_value in declines
    assert {d["file"] for d in data["revision_downloads"]} >= {"declines.csv"}
    changed = next(d for d in data["revision_downloads"] if d["file"] == "declines.csv")
    assert (changed["rows_removed"], changed["rows_added"]) == (1, 1)
    html = (base / "out" / "2017-02-03" / "report.html").read_text()
    assert "No figure changed since revision 1" in html and "declines.csv</code>: 1 removed, 1 added" in html


def test_a_charge_text_fix_is_published(tmp_path):
    base = make_base(tmp_path)
    charges = [["Subject ID", "Arrest Date", "State", "Charge", "Status"],
               ["SUBJ-100001", "2017-02-02", "TX", "Driving with suspended license", "pending"]]
    write_csv(base / "inputs" / "charges.csv", charges)
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    charges[1][3] = "Driving without a license"
    write_csv(base / "inputs" / "charges.csv", charges)
    assert run_job(options(base, NOW + dt.timedelta(days=1), week=dt.date(2017, 2, 1))).exit_code == 0
    assert link(base, "2017-02-03") == "archive/2017-02-03/r2"
    assert "Driving without a license" in (base / "out" / "2017-02-03" / "subsequent-charges.csv").read_text()


def test_nothing_changed_publishes_nothing(tmp_path):
    base = make_base(tmp_path)
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    (base / "staff" / "last-run.json").unlink()  # not the fast path: the week is rebuilt and compared
    result = run_job(options(base, NOW + dt.timedelta(days=1), week=dt.date(2017, 2, 1)))
    assert result.exit_code == 0 and result.unchanged == ["2017-02-03"]
    assert link(base, "2017-02-03") == "archive/2017-02-03/r1"


# --------------------------------------------------------------------------- index, feed, latest, several weeks


@pytest.mark.slow
@pytest.mark.real_render  # the killed run is a real process, rendering a real PDF; so are the runs around it
@pytest.mark.parametrize("point", faults.POINTS)
def test_killed_between_the_link_switch_and_the_index_the_next_run_repairs_the_catalogue(tmp_path, point):
    base = make_base(tmp_path)
    args = ["--inputs", base / "inputs", "--outputs", base / "out", "--staff", base / "staff",
            "--settings", base / "settings.toml"]
    assert run_cli(*args, "--week", "2017-02-01").exit_code == 0
    # the timeout: a worker process outliving the killed run would hold its stdout open (die_with_parent)
    killed = subprocess.run(generate_command(*args, "--week", "2017-02-08"), capture_output=True, timeout=120,
                            env={**os.environ, faults.ENVIRONMENT_VARIABLE: point})
    assert killed.returncode == -signal.SIGKILL
    assert link(base, "2017-02-10") == "archive/2017-02-10/r1"  # switched before the kill
    assert "2017-02-10" not in (base / "out" / "index.html").read_text()  # the index is behind
    again = run_cli(*args, "--week", "2017-02-08")
    assert again.exit_code == 0, again.stderr
    index, feed = (base / "out" / "index.html").read_text(), (base / "out" / "feed.xml").read_text()
    assert 'href="2017-02-10/report.pdf"' in index and "archive/2017-02-10/r1/" in feed
    assert os.readlink(base / "out" / "latest") == "2017-02-10"


def test_a_render_failure_on_a_later_week_publishes_no_week(tmp_path, monkeypatch):
    base = make_base(tmp_path)
    real = publish.render_pdf
    calls = []

    def fail_on_second(html, published):
        calls.append(1)
        if len(calls) == 2:
            raise RenderError("WeasyPrint warned (simulated)")
        return real(html, published)

    monkeypatch.setattr(publish, "render_pdf", fail_on_second)
    monkeypatch.setattr(run_module, "RENDER_WORKERS", 1)  # in this process, where the failure is patched in
    with pytest.raises(RenderError):
        run_job(options(base, all_weeks=True))
    outputs = base / "out"
    assert not [p for p in outputs.iterdir() if p.is_symlink()]  # neither week, not even the one rendered
    assert not any((outputs / "archive").rglob("r*")) and not list((outputs / "archive").glob(".staging-*"))
    monkeypatch.setattr(publish, "render_pdf", real)
    result = run_job(options(base, all_weeks=True))
    assert result.exit_code == 0 and sorted(p.parent.name for p in result.published) == ["2017-02-03", "2017-02-10"]


@pytest.mark.slow  # spawned worker processes, each importing the library and rendering real PDFs
def test_a_render_failure_in_a_worker_process_publishes_no_week(tmp_path, monkeypatch):
    base = make_base(tmp_path)
    monkeypatch.setattr(run_module, "RENDER_WORKERS", 2)
    monkeypatch.setenv(faults.FAIL_VARIABLE, "render:2017-02-10")
    with pytest.raises(RenderError, match="failure injected at render:2017-02-10"):
        run_job(options(base, all_weeks=True))
    outputs = base / "out"
    assert not [p for p in outputs.iterdir() if p.is_symlink()]
    assert not any((outputs / "archive").rglob("r*")) and not list((outputs / "archive").glob(".staging-*"))
    monkeypatch.delenv(faults.FAIL_VARIABLE)
    result = run_job(options(base, all_weeks=True))
    assert result.exit_code == 0 and sorted(p.parent.name for p in result.published) == ["2017-02-03", "2017-02-10"]


def test_a_switch_stopped_half_way_names_the_weeks_published(tmp_path, monkeypatch):
    base = make_base(tmp_path)
    real = publish.symlink_atomic
    calls = []

    def disk_full_on_second(target, link_path):
        calls.append(target)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(link_path))
        real(target, link_path)

    monkeypatch.setattr(publish, "symlink_atomic", disk_full_on_second)
    with pytest.raises(EnvironmentProblem) as caught:
        run_job(options(base, all_weeks=True))
    message = str(caught.value)
    assert message.startswith("No space left on device:") and "published before the failure: 2017-02-03 r1" in message
    assert caught.value.exit_code == EXIT_ENVIRONMENT
    monkeypatch.setattr(publish, "symlink_atomic", real)
    assert run_job(options(base, all_weeks=True)).exit_code == 0  # the archived r1 of 2017-02-10 gets its link
    assert link(base, "2017-02-10") == "archive/2017-02-10/r1"
    index = (base / "out" / "index.html").read_text()
    assert 'href="2017-02-03/report.pdf"' in index and 'href="2017-02-10/report.pdf"' in index


def test_an_archive_on_another_filesystem_is_staged_there(tmp_path):
    """Staging inside the archive: the rename never crosses devices, and nothing is left in the public folder."""
    other = Path("/dev/shm")
    if not other.is_dir() or os.stat(other).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem here")
    base = make_base(tmp_path)
    archive = other / f"detainer-archive-{os.getpid()}"
    archive.mkdir()
    try:
        (base / "out").mkdir()
        (base / "out" / "archive").symlink_to(archive)
        result = run_job(options(base, week=dt.date(2017, 2, 1)))
        assert result.exit_code == 0, result.summary
        assert (archive / "2017-02-03" / "r1" / "report.pdf").is_file()
        assert not [p for p in (base / "out").iterdir() if p.name.startswith(".")]
    finally:
        import shutil

        shutil.rmtree(archive, ignore_errors=True)


# --------------------------------------------------------------------------- the machine


def test_a_full_disk_is_one_line_naming_the_path_and_nothing_is_left_half_done(tmp_path, monkeypatch):
    base = make_base(tmp_path)
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    write_csv(base / "inputs" / "detainers.csv", [HEADER, *ROWS[:2]])
    real = publish.write_xlsx

    def full(tables, path, report):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(publish, "write_xlsx", full)
    with pytest.raises(EnvironmentProblem, match="No space left on device: .*tables.xlsx"):
        run_job(options(base, NOW + dt.timedelta(days=1), week=dt.date(2017, 2, 1)))
    assert link(base, "2017-02-03") == "archive/2017-02-03/r1"
    assert not list((base / "out" / "archive").glob(".staging-*"))
    monkeypatch.setattr(publish, "write_xlsx", real)


def test_the_cli_turns_environment_failures_into_exit_6_without_a_traceback(tmp_path, monkeypatch, capsys):
    from reports import cli

    base = make_base(tmp_path)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(base / "out"))

    monkeypatch.setattr(run_module, "reconcile", read_only)
    assert cli.run(options(base, week=dt.date(2017, 2, 1))) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert err.startswith(f"error: Read-only file system: {base / 'out'}") and "Traceback" not in err


@pytest.mark.slow
def test_sigterm_cleans_up_and_exits_143(tmp_path):
    base = make_base(tmp_path)
    args = generate_command("--inputs", base / "inputs", "--outputs", base / "out", "--staff", base / "staff",
                            "--settings", base / "settings.toml", "--all")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, faults.PAUSE_VARIABLE: "staged"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((base / "out" / "archive").glob(".staging-*")):
        time.sleep(0.05)  # until an edition is built and the run waits beside it
    assert list((base / "out" / "archive").glob(".staging-*")), "the run never staged an edition"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_SIGTERM
    assert err.strip().splitlines()[-1] == ("stopped: stopped by SIGTERM; staging was cleaned up and the previous "
                                            "publication stands")
    assert not list((base / "out" / "archive").glob(".staging-*"))
    assert not [p for p in (base / "out").iterdir() if p.is_symlink() and p.name[:1].isdigit()]


def test_a_clock_earlier_than_the_last_edition_is_refused(tmp_path):
    base = make_base(tmp_path)
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    write_csv(base / "inputs" / "detainers.csv", [HEADER, *ROWS[:2]])
    with pytest.raises(ClockError, match="is earlier than the publication of archive/2017-02-03/r1"):
        run_job(options(base, NOW - dt.timedelta(days=2), week=dt.date(2017, 2, 1)))
    assert link(base, "2017-02-03") == "archive/2017-02-03/r1"


def test_a_week_is_never_published_before_it_ends(tmp_path):
    base = make_base(tmp_path)
    with pytest.raises(ClockError, match="the week ending 2017-02-10 is not over on 2017-02-10"):
        run_job(options(base, dt.datetime(2017, 2, 10, 17, tzinfo=UTC), week=dt.date(2017, 2, 8)))


@pytest.mark.parametrize("layout", ["inputs in outputs", "outputs in inputs", "staff in inputs", "staff in outputs"])
def test_folders_that_would_publish_staff_files_or_read_published_ones_are_refused(tmp_path, layout):
    base = make_base(tmp_path)
    opts = options(base)
    if layout == "inputs in outputs":
        (base / "out").mkdir()
        (base / "inputs").rename(base / "out" / "inputs")
        opts.inputs = base / "out" / "inputs"
    elif layout == "outputs in inputs":
        opts.outputs = base / "inputs" / "public"
    elif layout == "staff in inputs":
        opts.staff = base / "inputs" / "staff"
    else:
        opts.staff = base / "out" / "staff"
    with pytest.raises(UsageError, match="folder .* is inside the"):
        run_job(opts)
    assert not (base / "inputs" / "public").exists() and not (base / "inputs" / "staff").exists()


def test_foreign_folder_in_the_archive_is_refused_by_name(tmp_path):
    base = make_base(tmp_path)
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    (base / "out" / "archive" / "2017-02-03" / "r9").mkdir()
    with pytest.raises(PublicTreeError, match="r9 is not a complete revision"):
        run_job(options(base, NOW + dt.timedelta(days=1), week=dt.date(2017, 2, 1)))


# --------------------------------------------------------------------------- privacy


@pytest.mark.parametrize("read_pdfs", [pytest.param(True, marks=(pytest.mark.slow, pytest.mark.real_render), id="pdf"),
                                       pytest.param(False, id="pdf-stubbed")])
def test_no_file_name_sheet_name_or_identifier_reaches_any_public_file(tmp_path, read_pdfs):
    rows = [list(r) for r in ROWS]
    rows[0][9] = "Assault; A209-999-999, DOB 01/02/1980"
    rows[1][9] = "Burglary (co-defendant SUBJ-100003)"
    base = tmp_path
    folder = base / "inputs" / "Jane Roe"
    folder.mkdir(parents=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Jane Roe"
    for row in [HEADER, *rows]:
        sheet.append(row)
    workbook.save(folder / "detainers A209999999 Jane Roe.xlsx")
    (base / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    result = run_job(options(base, all_weeks=True))
    assert result.exit_code == 0, result.summary
    texts = public_files(base / "out", read_pdfs)
    assert {"2017-02-03/report.pdf", "2017-02-03/declines.csv", "index.html", "feed.xml"} <= set(
        t.replace("archive/2017-02-03/r1/", "2017-02-03/") for t in texts)
    for name, text in texts.items():
        for secret in ("Jane", "Roe", "A209999999", "209-999-999", "01/02/1980", "SUBJ-100003", "SUBJ-100001"):
            assert secret not in text, f"{secret!r} published in {name}"
    assert "[redacted]" in texts["archive/2017-02-03/r1/declines.csv"]
    staff = (base / "staff" / "problems.csv").read_text(encoding="utf-8-sig")
    assert staff.count("W502") == 2 and "Jane Roe" in staff  # staff keep the names; the value is not repeated
    assert "01/02/1980" not in staff


def test_line_breaks_and_control_characters_never_reach_a_download_as_a_formula(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][9] = "Fraud\r=cmd|' /C calc'!A0\x07\x1b[31m"  # (a NUL makes the whole file an E103)
    base = make_base(tmp_path, rows)
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    text = (base / "out" / "2017-02-03" / "declines.csv").read_text(encoding="utf-8")
    assert "\x07" not in text and "\x1b" not in text and "\r" not in text
    records = list(csv.reader(io.StringIO(text)))
    assert all(len(r) == len(records[0]) for r in records)
    cell = next(c for r in records for c in r if c.startswith("Fraud"))
    assert cell == "Fraud\n'=cmd|' /C calc'!A0[31m"  # one cell; the formula neutralised on its own line
    assert not any(line.startswith("=") for line in text.splitlines())
    html = (base / "out" / "2017-02-03" / "report.html").read_text()
    assert "\x07" not in html and "\x1b" not in html


def test_a_correction_of_a_facility_is_published(tmp_path):
    base = make_base(tmp_path)
    assert run_job(options(base, week=dt.date(2017, 2, 1))).exit_code == 0
    write_csv(base / "inputs" / "corrections.csv", [
        ["Date", "Type", "Detainer ID", "Field", "Correct Value", "What Was Wrong"],
        ["2017-03-20", "correction", "A1", "Facility", "Travis County Correctional Complex", "Wrong facility name"]])
    result = run_job(options(base, NOW + dt.timedelta(days=1), week=dt.date(2017, 2, 1)))
    assert result.exit_code == 0, result.summary
    assert link(base, "2017-02-03") == "archive/2017-02-03/r2"
    assert "Travis County Correctional Complex" in (base / "out" / "2017-02-03" / "declines.csv").read_text()


def test_an_index_that_cannot_be_written_never_reads_as_nothing_published(tmp_path, monkeypatch):
    base = make_base(tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(base / "out" / "index.html"))

    monkeypatch.setattr(run_module, "write_index_and_feed", full)
    with pytest.raises(EnvironmentProblem) as caught:
        run_job(options(base, week=dt.date(2017, 2, 1)))
    assert "could not update the index and feed" in str(caught.value)
    assert str(caught.value).endswith("the next run will retry; published: 2017-02-03 r1")
    assert link(base, "2017-02-03") == "archive/2017-02-03/r1"


def test_a_line_break_in_a_file_name_stays_on_one_log_line(tmp_path, capsys):
    from reports import cli

    base = make_base(tmp_path)
    (base / "inputs" / "notes\nERROR E999 forged.xls").write_bytes(b"old")
    cli.run(options(base, check=True))
    err = capsys.readouterr().err
    assert "\nERROR E999" not in err and "notes\\nERROR E999 forged.xls" in err


def test_a_plain_run_after_all_is_a_no_op_and_a_new_week_is_not(tmp_path, monkeypatch):
    base = make_base(tmp_path)
    monkeypatch.setattr(run_module, "RENDER_WORKERS", 1)
    assert run_job(options(base, all_weeks=True)).exit_code == 0
    loads = []
    real = run_module.load_inputs
    monkeypatch.setattr(run_module, "load_inputs", lambda *a, **k: loads.append(1) or real(*a, **k))
    for again in (options(base), options(base, week=dt.date(2017, 2, 8)), options(base, all_weeks=True)):
        result = run_job(again)
        assert result.exit_code == 0 and result.summary.startswith("Nothing changed since the last run")
    assert loads == []  # the fast path: nothing read
    result = run_job(options(base, week=dt.date(2017, 1, 25), allow_empty_week=True))  # a week not checked yet
    assert loads == [1] and not result.summary.startswith("Nothing changed")


class _DeadPdfWorker:
    """A PDF worker whose process died while rendering (out of memory, killed by the machine)."""

    def render(self, report, link_base):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        future = Future()
        future.set_exception(BrokenProcessPool("A child process terminated abruptly"))
        return future

    def close(self):
        pass


@pytest.mark.parametrize("worker", ["cannot start", "dies while rendering"])
def test_a_pdf_worker_that_cannot_start_or_dies_leaves_the_pdf_to_this_process(tmp_path, monkeypatch, worker):
    """A single edition's PDF is drawn in a worker process when there are two cores; where processes cannot be
    started, or the worker dies, this process renders it and the edition is published as usual."""
    base = make_base(tmp_path)
    monkeypatch.setattr(run_module, "RENDER_WORKERS", 2)

    def no_processes():
        raise OSError("sem_open: Function not implemented")

    monkeypatch.setattr(publish, "PdfWorker", no_processes if worker == "cannot start" else _DeadPdfWorker)
    rendered_here = []
    stub = publish.render_pdf
    monkeypatch.setattr(publish, "render_pdf", lambda html, day: rendered_here.append(day) or stub(html, day))
    result = run_job(options(base, week=dt.date(2017, 2, 1)))
    assert result.exit_code == 0
    assert len(rendered_here) == 1
    assert (base / "out" / "2017-02-03" / "report.pdf").read_bytes().startswith(b"NOT A PDF")


class _RecordingPdfWorker:
    """A PDF worker that says when its PDF was asked for and when the run waited for it."""

    def __init__(self, events: list):
        self.events, self.draws_page = events, True

    def render(self, report, link_base):
        from concurrent.futures import Future

        events, documents = self.events, publish.render_documents(report, link_base, self.draws_page)
        events.append("PDF sent to the worker")

        class Pending(Future):
            def result(self, timeout=None):
                events.append("run waits for the PDF")
                return documents

        return Pending()

    def close(self):
        pass


def test_the_pdf_worker_draws_the_page_too_when_this_process_stores_new_record_frames(tmp_path, monkeypatch):
    """A run that derived the record frames stores them while the PDF renders, so the PDF worker draws the page
    as well; a run that took them from the cache (even one that read a new small file) draws the page itself
    meanwhile. The page is the same."""
    base = make_base(tmp_path)
    monkeypatch.setattr(run_module, "RENDER_WORKERS", 2)
    asked, drawn = [], []

    class Worker(_RecordingPdfWorker):
        drawing = False

        def render(self, report, link_base):
            asked.append(self.draws_page)
            Worker.drawing = True
            try:
                return super().render(report, link_base)
            finally:
                Worker.drawing = False

    monkeypatch.setattr(publish, "PdfWorker", lambda: Worker([]))
    real = publish.render_html
    monkeypatch.setattr(publish, "render_html", lambda report, **kw: drawn.append(
        ("worker" if Worker.drawing else "run", "print" if kw.get("for_pdf") else "page")) or real(report, **kw))
    week = dt.date(2017, 2, 1)
    assert run_job(options(base, week=week)).exit_code == 0
    assert asked == [True] and drawn == [("worker", "page"), ("worker", "print")]
    page = (base / "out" / "2017-02-03" / "report.html").read_text(encoding="utf-8")
    drawn.clear()
    again = run_job(dataclasses.replace(options(base, week=week), outputs=base / "out-again"))  # the same cache
    assert again.exit_code == 0
    assert asked == [True, False] and drawn == [("worker", "print"), ("run", "page")]
    assert (base / "out-again" / "2017-02-03" / "report.html").read_text(encoding="utf-8") == page
    # a new small file is read and stored, but the record frames still come from the cache
    write_csv(base / "inputs" / "policies.csv", [["Jurisdiction", "State", "Date Enacted", "Policy", "Criteria"],
                                                 ["Travis County", "TX", "2016-01-01", "Sheriff's policy",
                                                  "Honored with a judicial warrant"]])
    drawn.clear()
    third = run_job(dataclasses.replace(options(base, week=week), outputs=base / "out-third"))
    assert third.exit_code == 0, third.summary
    assert asked == [True, False, False] and drawn == [("worker", "print"), ("run", "page")]


def test_staff_reports_are_written_while_the_pdf_renders(tmp_path, monkeypatch):
    """The staff reports take the time the PDF worker needs anyway: written after the PDF is sent to it and
    before the run waits for it, once."""
    base = make_base(tmp_path)
    events = []
    monkeypatch.setattr(run_module, "RENDER_WORKERS", 2)
    monkeypatch.setattr(publish, "PdfWorker", lambda: _RecordingPdfWorker(events))
    real = run_module.write_staff_reports
    monkeypatch.setattr(run_module, "write_staff_reports",
                        lambda *a, **k: events.append("staff reports") or real(*a, **k))
    result = run_job(options(base, week=dt.date(2017, 2, 1)))
    assert result.exit_code == 0, result.summary
    assert events == ["PDF sent to the worker", "staff reports", "run waits for the PDF"]
    assert result.staff_files and all(p.is_file() for p in result.staff_files)
    assert "check-report.txt" in {p.name for p in result.staff_files}


@pytest.mark.parametrize("failure", ["render", "clock"])
def test_staff_reports_are_written_when_publishing_fails(tmp_path, monkeypatch, failure):
    """A run that read its inputs writes the staff reports even when no edition could be built: a PDF that
    failed, or a clock before the week's end."""
    base = make_base(tmp_path, rows=ROWS[:3])  # nothing dated after the early clock

    def broken(html, published):
        raise RenderError("WeasyPrint warned")

    if failure == "render":
        monkeypatch.setattr(publish, "render_pdf", broken)
    now = NOW if failure == "render" else dt.datetime(2017, 2, 2, 9, tzinfo=UTC)
    with pytest.raises(RenderError if failure == "render" else ClockError):
        run_job(options(base, now=now, week=dt.date(2017, 2, 1)))
    assert (base / "staff" / "check-report.txt").is_file()
    assert not (base / "out" / "2017-02-03").exists()


@pytest.mark.slow  # a spawned process that imports WeasyPrint
@pytest.mark.real_render  # the worker must run the real renderer, not the tests' stand-in
def test_a_pdf_the_worker_process_cannot_render_cleanly_fails_the_run_as_in_this_process():
    """WeasyPrint warnings (here: a missing image) fail the render in the worker process too; the error reaches
    the run, which never falls back to rendering in its own process for anything but a dead worker."""
    worker = publish.PdfWorker()
    try:
        pending = worker.submit(publish.render_pdf,
                                '<html><body><img src="missing.png" alt="x"><p>text</p></body></html>',
                                dt.date(2017, 2, 3))
        with pytest.raises(RenderError, match="missing.png"):
            publish._from_worker(pending)
    finally:
        worker.close()
