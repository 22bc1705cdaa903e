"""Unattended publishing: one run at a time, all or nothing, idempotent, revisions, index and feed."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cli_helpers import generate_command, run_cli
from reports.exceptions import EXIT_BUSY
from reports.run import run_job
from reports.options import RunOptions
from reports.archive import run_lock

ROOT = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"
HEADER = "Detainer ID,Facility,State,County FIPS,Date Issued,Outcome,Outcome Date\n"
FIRST = HEADER + ("A1,Travis County Jail,TX,48453,2017-01-30,declined,2017-02-01\n"
                  "A2,Travis County Jail,TX,48453,2017-01-31,,\n"
                  "A3,Clark County Detention,NV,32003,2017-02-01,honored,2017-02-02\n")
# a late outcome for A2: one detainer moves from pending to declined
SECOND = FIRST.replace("A2,Travis County Jail,TX,48453,2017-01-31,,",
                       "A2,Travis County Jail,TX,48453,2017-01-31,declined,2017-02-02")


def folder_args(base: Path) -> list[str | Path]:
    return ["--inputs", base / "inputs", "--outputs", base / "outputs", "--staff", base / "staff",
            "--settings", base / "settings.toml"]


def generate(base: Path, *extra):
    """The command line on the folders under ``base``, in this process."""
    return run_cli(*folder_args(base), *extra)


def snapshot(outputs: Path) -> dict:
    """Every path under outputs: symlinks as their targets, files as their hashes."""
    state = {}
    for path in sorted(outputs.rglob("*")):
        rel = path.relative_to(outputs).as_posix()
        if path.is_symlink():
            state[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def assert_complete(outputs: Path) -> list[str]:
    """The public tree is a whole publication: links resolve, manifests match, index and feed parse."""
    weeks = sorted(p.name for p in outputs.iterdir() if p.is_symlink() and p.name[:1].isdigit())
    for week in weeks:
        folder = (outputs / week).resolve()
        assert folder.is_dir(), f"{week} points at a missing folder"
        manifest = json.loads((folder / "manifest.json").read_text())
        names = {p.name for p in folder.iterdir()} - {"manifest.json"}
        assert names == set(manifest["files"]), f"{week}: files differ from the manifest"
        for name, entry in manifest["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"], name
        json.loads((folder / "report.json").read_text())
    if weeks:
        index = (outputs / "index.html").read_text()
        for week in weeks:
            assert f'href="{week}/report.pdf"' in index
        feed = ET.parse(outputs / "feed.xml").getroot()
        assert feed.tag == f"{ATOM}feed"
        assert (outputs / "latest").resolve().is_dir()
    return weeks


@pytest.fixture
def base(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "detainers.csv").write_text(FIRST, encoding="utf-8")
    return tmp_path


def test_second_run_while_one_holds_the_lock_exits_with_the_lock_code(base):
    with run_lock(base / "outputs"):
        result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == EXIT_BUSY == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("busy: another run is publishing to ")
    assert not (base / "outputs" / "2017-02-03").exists()


@pytest.mark.slow
def test_two_concurrent_runs_one_publishes_the_other_waits_or_exits(base):
    runs = [subprocess.Popen(generate_command(*folder_args(base), "--week", "2017-02-01"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    codes = sorted(run.wait(timeout=300) for run in runs)
    assert codes in ([0, 0], [0, EXIT_BUSY])
    assert assert_complete(base / "outputs") == ["2017-02-03"]
    # whichever came second either found the lock or found nothing changed: never two first editions
    assert [p.name for p in (base / "outputs" / "archive" / "2017-02-03").iterdir()] == ["r1"]


def test_lock_of_a_killed_run_does_not_block(base):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; "
        "from reports.archive import run_lock; lock = run_lock(Path(sys.argv[1])); lock.__enter__(); "
        "print('locked', flush=True); time.sleep(600)"), str(base / "outputs")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    assert generate(base, "--week", "2017-02-01").exit_code == EXIT_BUSY
    holder.send_signal(signal.SIGKILL)  # a run killed while holding the lock
    holder.wait()
    assert generate(base, "--week", "2017-02-01").exit_code == 0


def test_no_change_rerun_publishes_nothing(base):
    first = generate(base, "--week", "2017-02-01")
    assert first.exit_code == 0, first.stderr
    before = snapshot(base / "outputs")
    started = time.perf_counter()
    second = generate(base, "--week", "2017-02-01")
    elapsed = time.perf_counter() - started
    assert second.exit_code == 0
    assert second.stdout.strip().splitlines() == [
        "Nothing changed since the last run (same inputs, settings and software); nothing published."]
    assert second.stderr == ""
    assert snapshot(base / "outputs") == before
    print(f"no-change run took {elapsed:.2f} s")


def test_every_published_file_is_in_the_manifest_with_its_hash(base):
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    manifest = json.loads((base / "outputs" / "2017-02-03" / "manifest.json").read_text())
    assert manifest["revision"] == 1 and manifest["week"] == "2017-02-03"
    # the inputs by their hashes only: a file's name can name a person, and never reaches the public
    assert manifest["inputs_sha256"] == [hashlib.sha256(FIRST.encode()).hexdigest()]
    assert "detainers.csv" not in (base / "outputs" / "2017-02-03" / "manifest.json").read_text()
    assert set(manifest["files"]) >= {"report.html", "report.pdf", "report.json", "declines.csv", "tables.xlsx"}
    assert_complete(base / "outputs")


def test_changed_input_publishes_revision_2_listing_exactly_the_changed_figures(base):
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    r1 = snapshot(base / "outputs" / "archive" / "2017-02-03" / "r1")
    (base / "inputs" / "detainers.csv").write_text(SECOND, encoding="utf-8")
    result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == 0, result.stderr
    assert "2017-02-03 r2" in result.stdout
    outputs = base / "outputs"
    assert os.readlink(outputs / "2017-02-03") == "archive/2017-02-03/r2"
    assert snapshot(outputs / "archive" / "2017-02-03" / "r1") == r1  # the earlier edition is untouched
    data = json.loads((outputs / "2017-02-03" / "report.json").read_text())
    assert data["revision"] == 2
    changes = {(c["table"], c["row"], c["column"]): (c["old"], c["new"]) for c in data["revision_changes"]}
    # counted by hand: A2 (Travis, issued Jan 31) goes from pending to declined on Feb 2, inside the week
    assert changes == {
        ("Summary", "", "issued_outcomes.pending"): (1, 0),
        ("Summary", "", "issued_outcomes.declined"): (1, 2),
        ("Summary", "", "declined"): (1, 2),
        ("Summary", "", "declined_attribution.record"): (1, 2),  # both declines carry their own FIPS
        ("Table 2: detainers issued by jurisdiction", "Travis County, TX", "issued_outcomes.pending"): (1, 0),
        ("Table 2: detainers issued by jurisdiction", "Travis County, TX", "issued_outcomes.declined"): (1, 2),
        ("Table 2: detainers issued by jurisdiction", "Travis County, TX", "declined"): (1, 2),
        ("Table 3a: declines by jurisdiction", "Travis County, TX", "declined"): (1, 2),
        ("Table 3a: declines by jurisdiction", "Travis County, TX", "criminality_unknown"): (1, 2),
        ("Table 3a: declines by jurisdiction", "Total", "declined"): (1, 2),
        ("Table 3a: declines by jurisdiction", "Total", "criminality_unknown"): (1, 2),
        ("Table 6: trend", "2017-02-03", "declined"): (1, 2),
    }
    html = (outputs / "2017-02-03" / "report.html").read_text()
    assert "This is revision 2 of the report for this week. 12 figures changed since revision 1" in html
    assert html.count('class="rev"') >= 8
    assert 'archive/2017-02-03/r1/report.html' in html
    index = (outputs / "index.html").read_text()
    assert 'href="archive/2017-02-03/r1/report.pdf"' in index and "Revision 2" in index
    entries = ET.parse(outputs / "feed.xml").getroot().findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Week ending 2017-02-03: revision 2",
                                                              "Week ending 2017-02-03: first edition"]
    # a third run with nothing changed publishes nothing
    assert "Nothing changed" in generate(base, "--week", "2017-02-01").stdout


def test_feed_is_valid_atom(base):
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    feed = ET.parse(base / "outputs" / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{tag}") is not None, tag
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    for entry in entries:
        for tag in ("id", "title", "updated", "link", "summary"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag
        dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text)  # RFC 3339
        assert entry.find(f"{ATOM}id").text.startswith("https://example.org/detainer-reports/archive/2017-02-03/r1")


def test_recovery_removes_only_what_a_killed_run_left(base):
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    outputs = base / "outputs"
    staging = outputs / "archive" / ".staging-2017-02-03-r2-12345"
    staging.mkdir()
    (staging / "report.html").write_text("half")
    (outputs / ".tmp-index.html-12345").write_text("half")
    (base / "inputs" / "detainers.csv").write_text(SECOND, encoding="utf-8")
    result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == 0, result.stderr
    assert not any(p.name.startswith((".staging", ".tmp")) for p in [*outputs.iterdir(), *(outputs / "archive").iterdir()])
    assert os.readlink(outputs / "2017-02-03") == "archive/2017-02-03/r2"
    assert (outputs / "archive" / "2017-02-03" / "r1" / "manifest.json").exists()
    assert_complete(outputs)


def test_a_deleted_week_link_is_relinked_and_its_archive_kept(base):
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    outputs = base / "outputs"
    (base / "inputs" / "detainers.csv").write_text(SECOND, encoding="utf-8")
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    archived = snapshot(outputs / "archive")
    (outputs / "2017-02-03").unlink()  # by hand
    result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == 0, result.stderr
    assert "relinked 2017-02-03 to its newest complete revision" in result.stdout
    assert snapshot(outputs / "archive") == archived  # nothing archived is lost
    assert os.readlink(outputs / "2017-02-03") == "archive/2017-02-03/r2"
    assert_complete(outputs)


def test_a_revision_renamed_into_the_archive_but_never_linked_is_linked(base):
    """A run killed between renaming its edition into the archive and switching the link."""
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    outputs = base / "outputs"
    (base / "inputs" / "detainers.csv").write_text(SECOND, encoding="utf-8")
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    os.remove(outputs / "2017-02-03")
    os.symlink("archive/2017-02-03/r1", outputs / "2017-02-03")  # the link was still at r1
    (outputs / "index.html").write_text("stale")
    result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == 0, result.stderr
    assert os.readlink(outputs / "2017-02-03") == "archive/2017-02-03/r2"
    assert "stale" not in (outputs / "index.html").read_text()
    assert_complete(outputs)


def test_a_stray_week_folder_is_refused_by_name_and_left_alone(base):
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    outputs = base / "outputs"
    stray = outputs / "2017-03-03"
    stray.mkdir()
    (stray / "notes.txt").write_text("someone's folder")
    before = snapshot(outputs)
    result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == 2
    assert f"{stray} is a folder without a report.json" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(outputs) == before  # never moved into the archive


def test_a_backup_restored_without_links_is_refused_then_repaired(base):
    import shutil

    assert generate(base, "--week", "2017-02-01").exit_code == 0
    outputs, restored = base / "outputs", base / "restored"
    shutil.copytree(outputs, restored, symlinks=False)  # a backup that followed the links
    shutil.rmtree(outputs)
    restored.rename(outputs)
    assert (outputs / "2017-02-03").is_dir() and not (outputs / "2017-02-03").is_symlink()
    refused = generate(base, "--week", "2017-02-01")
    assert refused.exit_code == 2
    assert "run again with --repair" in refused.stderr and "Traceback" not in refused.stderr
    repaired = generate(base, "--week", "2017-02-01", "--repair")
    assert repaired.exit_code == 0, repaired.stderr
    assert "repaired 2017-02-03" in repaired.stdout
    assert os.readlink(outputs / "2017-02-03") == "archive/2017-02-03/r1"
    assert (outputs / "latest").is_symlink()
    assert_complete(outputs)


def test_input_errors_keep_the_previous_publication(base):
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    before = snapshot(base / "outputs")
    (base / "inputs" / "broken.csv").write_text(HEADER + "B1,Jail,Atlantis,2017-02-01,declined,2017-02-02\n")
    result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == 1
    assert "E305 broken.csv, row 2" in result.stderr
    assert snapshot(base / "outputs") == before


def test_sample_data_twice_second_run_reports_nothing_changed(tmp_path):
    (tmp_path / "inputs").mkdir()
    first = generate(tmp_path)
    assert first.exit_code == 0 and "SAMPLE DATA" in first.stdout
    second = generate(tmp_path)
    assert second.exit_code == 0
    assert second.stdout.startswith("Nothing changed since the last run")


@pytest.mark.slow
@pytest.mark.real_render  # the killed runs render real PDFs; so do the runs in this process
def test_kill_minus_9_at_random_points_never_leaves_a_mix(base):
    """Kill publication runs at random moments; after each, the tree is a complete earlier or later edition."""
    rng = random.Random(20170320)
    outputs = base / "outputs"
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    declines = {FIRST: 1, SECOND: 2}  # declines recorded in the week, counted by hand from each text
    published_text = FIRST
    killed = completed = 0
    started = time.perf_counter()
    for attempt in range(12):
        new_text = SECOND if published_text == FIRST else FIRST
        (base / "inputs" / "detainers.csv").write_text(new_text, encoding="utf-8")
        link_before = os.readlink(outputs / "2017-02-03")
        process = subprocess.Popen(generate_command(*folder_args(base), "--week", "2017-02-01"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 4.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        else:
            completed += 1
        process.wait()
        assert assert_complete(outputs) == ["2017-02-03"]
        link_after = os.readlink(outputs / "2017-02-03")
        shown = json.loads((outputs / "2017-02-03" / "report.json").read_text())["totals"]["declined"]
        if link_after == link_before:  # the earlier publication, whole
            assert shown == declines[published_text]
        else:  # the later one, whole, exactly one revision on
            assert int(link_after.rsplit("r", 1)[1]) == int(link_before.rsplit("r", 1)[1]) + 1
            assert shown == declines[new_text]
            published_text = new_text
    assert killed >= 3, f"only {killed} runs were killed mid-way; the test did not exercise publication"
    final = generate(base, "--week", "2017-02-01")
    assert final.exit_code == 0, final.stderr
    assert assert_complete(outputs) == ["2017-02-03"]
    assert json.loads((outputs / "2017-02-03" / "report.json").read_text())["totals"]["declined"] == \
        declines[(base / "inputs" / "detainers.csv").read_text(encoding="utf-8")]
    assert not any(p.name.startswith((".staging", ".tmp")) for p in outputs.iterdir())
    print(f"killed {killed}, completed {completed}, in {time.perf_counter() - started:.0f} s")


def test_correction_sheet_revises_the_week_and_is_logged_with_the_response(base):
    """The DDOR's Franklin mistake: detainers mapped to Franklin County, IA belonged to Franklin County, NY."""
    inputs = base / "inputs"
    (inputs / "detainers.csv").write_text(FIRST + "A4,Franklin County Jail,IA,,2017-01-31,declined,2017-02-02\n"
                                          "A5,Franklin County Jail,IA,,2017-02-01,,\n", encoding="utf-8")
    (inputs / "facilities.csv").write_text("Facility,State,County FIPS\nFranklin County Jail,IA,19069\n",
                                           encoding="utf-8")
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    first = json.loads((base / "outputs" / "2017-02-03" / "report.json").read_text())
    assert {j["fips"]: j["issued"] for j in first["jurisdictions"]}["19069"] == 2

    (inputs / "corrections.csv").write_text(
        "Date,Type,County FIPS,Field,Correct Value,What Was Wrong,Note\n"
        "2017-03-22,correction,19069,County FIPS,36033,Detainers were attributed to Franklin County in Iowa,"
        "ICE corrected the facility's location\n"
        "2017-03-23,response,48453,,,,The Sheriff's Office honors detainers accompanied by a judicial warrant.\n",
        encoding="utf-8")
    result = generate(base, "--week", "2017-02-01")
    assert result.exit_code == 0, result.stderr
    data = json.loads((base / "outputs" / "2017-02-03" / "report.json").read_text())
    assert data["revision"] == 2
    by_fips = {j["fips"]: j for j in data["jurisdictions"]}
    assert "19069" not in by_fips
    assert (by_fips["36033"]["name"], by_fips["36033"]["state"], by_fips["36033"]["issued"],
            by_fips["36033"]["declined"]) == ("Franklin County", "NY", 2, 1)
    assert data["totals"]["issued"] == first["totals"]["issued"]  # moved, not lost
    changes = {(c["table"], c["row"], c["column"]): (c["old"], c["new"]) for c in data["revision_changes"]}
    table2 = "Table 2: detainers issued by jurisdiction"
    assert changes[(table2, "Franklin County, IA", "issued")] == (2, None)
    assert changes[(table2, "Franklin County, NY", "issued")] == (None, 2)
    assert any(r.startswith("Correction recorded 2017-03-22 (Franklin County, IA): Detainers were attributed to "
                            "Franklin County in Iowa. County FIPS corrected to Franklin County, NY") and
               "for 2 detainers" in r for r in data["revision_reasons"])
    [logged] = data["corrections"]
    assert (logged["date"], logged["jurisdiction"], logged["detainers_changed"]) == \
        ("2017-03-22", "Franklin County, IA", 2)
    [response] = data["responses"]
    assert response["jurisdiction"] == "Travis County, TX" and response["date"] == "2017-03-23"
    html = (base / "outputs" / "2017-02-03" / "report.html").read_text()
    assert "Corrections log" in html and "ICE corrected the facility&#39;s location" in html
    assert "Travis County, TX, March 23, 2017" in html
    assert "The Sheriff&#39;s Office honors detainers accompanied by a judicial warrant." in html
    # the corrections log stays in every later edition: a later week's report carries it too
    (inputs / "detainers.csv").write_text((inputs / "detainers.csv").read_text() +
                                          "A9,Travis County Jail,TX,48453,2017-02-08,honored,2017-02-09\n")
    assert generate(base, "--week", "2017-02-08").exit_code == 0
    later = json.loads((base / "outputs" / "2017-02-10" / "report.json").read_text())
    assert [c["date"] for c in later["corrections"]] == ["2017-03-22"]


def test_real_data_replaces_sample_editions_and_sample_never_joins_real_ones(tmp_path):
    (tmp_path / "inputs").mkdir()
    assert generate(tmp_path).exit_code == 0  # the sample edition of a fresh clone
    outputs = tmp_path / "outputs"
    sample_weeks = [p.name for p in outputs.iterdir() if p.is_symlink() and p.name[0].isdigit()]
    assert len(sample_weeks) == 1
    (tmp_path / "inputs" / "detainers.csv").write_text(FIRST, encoding="utf-8")
    assert generate(tmp_path, "--week", "2017-02-01").exit_code == 0
    weeks = [p.name for p in outputs.iterdir() if p.is_symlink() and p.name[0].isdigit()]
    assert weeks == ["2017-02-03"]
    assert not (outputs / "archive" / sample_weeks[0]).exists()
    assert "SAMPLE" not in (outputs / "index.html").read_text()
    assert os.readlink(outputs / "latest") == "2017-02-03"
    # staff files gone by mistake: the run refuses to put sample data beside the real editions
    (tmp_path / "inputs" / "detainers.csv").unlink()
    before = snapshot(outputs)
    refused = generate(tmp_path)
    assert refused.exit_code == 1
    assert "refusing to publish sample data" in refused.stderr
    assert snapshot(outputs) == before


def test_a_week_published_as_a_plain_folder_is_adopted_as_revision_1(base):
    import shutil

    assert generate(base, "--week", "2017-02-01").exit_code == 0
    outputs = base / "outputs"
    shutil.copytree(outputs / "2017-02-03", outputs / "legacy", symlinks=False)
    (outputs / "legacy" / "manifest.json").unlink()  # the layout before revisions had no manifest
    (outputs / "2017-02-03").unlink()
    shutil.rmtree(outputs / "archive")
    (outputs / "legacy").rename(outputs / "2017-02-03")
    (base / "inputs" / "detainers.csv").write_text(SECOND, encoding="utf-8")
    assert generate(base, "--week", "2017-02-01").exit_code == 0
    assert os.readlink(outputs / "2017-02-03") == "archive/2017-02-03/r2"
    r1 = json.loads((outputs / "archive" / "2017-02-03" / "r1" / "manifest.json").read_text())
    assert r1["revision"] == 1 and r1["sample"] is False and "report.pdf" in r1["files"]
    assert_complete(outputs)
