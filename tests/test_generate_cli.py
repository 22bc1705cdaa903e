"""The command line as staff and cron use it: sample run, weeks, settings, the error gate, real PA data."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports.contract import contract_markdown
from reports.options import OPTIONS
from reports.settings import DEFAULTS
from cli_helpers import fast_rendering, generate_command, run_cli
from shared_data import PA_DETAINERS, needs_pa_detainers

ROOT = Path(__file__).resolve().parent.parent
PA_CSV = PA_DETAINERS
BY_HAND = ROOT / "tests" / "fixtures" / "attribution" / "pa_facility_counties.csv"


def _run_with_no_inputs(base: Path):
    (base / "inputs").mkdir()
    result = run_cli("--inputs", base / "inputs", "--outputs", base / "outputs", "--staff", base / "staff")
    assert result.exit_code == 0, result.stderr
    [week] = [p for p in (base / "outputs").iterdir() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name)]
    return base, result, week


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The command line with no staff files, the PDF and chart stubbed (tests/cli_helpers.py)."""
    with fast_rendering():
        return _run_with_no_inputs(tmp_path_factory.mktemp("sample"))


def test_no_inputs_renders_sample_marked_on_every_page(sample_run):
    base, result, folder = sample_run
    assert "SAMPLE DATA" in result.stdout
    data = json.loads((folder / "report.json").read_text())
    assert data["sample"] is True
    assert dt.date.fromisoformat(data["period"]["end"]).weekday() == 4  # a Friday: Saturday-to-Friday weeks
    html = (folder / "report.html").read_text()
    assert "SAMPLE DATA – NOT OFFICIAL" in html
    assert "SAMPLE DATA" in (base / "outputs" / "index.html").read_text()


@pytest.mark.slow
@pytest.mark.real_render
def test_every_page_of_the_sample_pdf_is_marked_sample(tmp_path):
    _, _, folder = _run_with_no_inputs(tmp_path)
    pages = PdfReader(folder / "report.pdf").pages
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert "SAMPLE DATA – NOT OFFICIAL" in page.extract_text(), f"page {number} is not marked SAMPLE"


def test_sample_issued_outcomes_add_up_and_tables_equal_summary(sample_run):
    _, _, folder = sample_run
    data = json.loads((folder / "report.json").read_text())
    totals = data["totals"]
    assert sum(totals["issued_outcomes"].values()) == totals["issued"] > 0
    assert sum(j["issued"] for j in data["jurisdictions"]) == totals["issued"]
    assert sum(j["declined"] for j in data["jurisdictions"]) == totals["declined"]
    assert data["declines_by_jurisdiction"][-1]["declined"] == totals["declined"]
    with open(folder / "detainers-issued.csv", encoding="utf-8") as f:
        issued = list(csv.DictReader(f))
    assert len(issued) == totals["issued"]
    for outcome, count in totals["issued_outcomes"].items():
        assert sum(1 for r in issued if r["outcome"] == outcome) == count


def test_week_option_and_week_start_setting(tmp_path):
    (tmp_path / "inputs").mkdir()
    settings = tmp_path / "settings.toml"
    settings.write_text('week_start = "monday"\ntitle = "Test title"\n')
    result = run_cli("--inputs", tmp_path / "inputs", "--outputs", tmp_path / "out", "--staff", tmp_path / "st",
                      "--settings", settings, "--week", "2026-10-15")
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "out" / "2026-10-18" / "report.json").read_text())
    assert data["period"] == {"start": "2026-10-12", "end": "2026-10-18"}
    assert data["title"] == "Test title"


def test_unknown_setting_and_bad_usage_exit_2(tmp_path):
    (tmp_path / "inputs").mkdir()
    settings = tmp_path / "settings.toml"
    settings.write_text('week_starts = "monday"\n')
    result = run_cli("--inputs", tmp_path / "inputs", "--outputs", tmp_path / "out", "--settings", settings)
    assert result.exit_code == 2
    assert "unknown setting(s) week_starts" in result.stderr
    assert run_cli("--week", "last friday").exit_code == 2
    assert run_cli("--week", "2026-01-01", "--all").exit_code == 2
    assert run_cli("--inputs", tmp_path / "missing").exit_code == 2
    inside = run_cli("--inputs", tmp_path / "inputs", "--outputs", tmp_path / "out", "--staff", tmp_path / "out" / "st")
    assert inside.exit_code == 2 and "must never be published" in inside.stderr


def test_input_errors_block_publication_and_keep_previous(tmp_path):
    inputs, outputs, staff = tmp_path / "inputs", tmp_path / "outputs", tmp_path / "staff"
    inputs.mkdir()
    shutil.copy(ROOT / "reports" / "data" / "sample" / "detainers.xlsx", inputs)
    first = run_cli("--inputs", inputs, "--outputs", outputs, "--staff", staff, "--week", "2026-11-10")
    assert first.exit_code == 0, first.stderr
    before = {p.relative_to(outputs): p.read_bytes() for p in outputs.rglob("*") if p.is_file()}
    (inputs / "broken.csv").write_text("Detainer ID,Facility,State,Date Issued,Outcome\n"
                                       "X1,Some Jail,Atlantis,2026-11-10,declined\n", encoding="utf-8")
    second = run_cli("--inputs", inputs, "--outputs", outputs, "--staff", staff, "--week", "2026-11-10")
    assert second.exit_code == 1
    assert "E305 broken.csv, row 2, column C (State)" in second.stderr
    after = {p.relative_to(outputs): p.read_bytes() for p in outputs.rglob("*") if p.is_file()}
    assert after == before
    assert "E305" in (staff / "check-report.txt").read_text()


def test_generate_py_starts_as_a_program():
    """The documented entry point as a real process: every other fast test runs the command in this one."""
    result = subprocess.run(generate_command("--help"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--check" in result.stdout


def test_generate_py_exit_codes_and_output_as_a_program(tmp_path):
    """A real process ends through cli.end_process (no freeing of the frames one by one): its exit code, and
    all it printed, are what cron gets, for a usage error (2), bad inputs (1) and a check that passes (0)."""
    usage = subprocess.run(generate_command("--week", "2025-01-01", "--all"), capture_output=True, text=True,
                           timeout=120)
    assert usage.returncode == 2 and "--week and --all cannot be used together" in usage.stderr
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "broken.csv").write_text("Detainer ID,Facility,State,Date Issued,Outcome\n"
                                       "X1,Some Jail,Atlantis,2026-11-10,declined\n", encoding="utf-8")
    folders = ["--inputs", inputs, "--outputs", tmp_path / "outputs", "--staff", tmp_path / "staff", "--check"]
    bad = subprocess.run(generate_command(*folders), capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1, bad.stderr
    assert "E305 broken.csv, row 2, column C (State)" in bad.stderr
    assert bad.stderr.rstrip().endswith(f"Staff report: {tmp_path / 'staff' / 'check-report.txt'}")
    (inputs / "broken.csv").unlink()
    good = subprocess.run(generate_command(*folders), capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    assert "Reconciliation" in good.stdout and (tmp_path / "staff" / "check-report.txt").is_file()


def test_end_process_runs_exit_handlers_and_flushes_before_it_exits():
    script = ("import atexit, sys\nfrom reports.cli import end_process\n"
              "atexit.register(lambda: print('handler ran'))\nprint('printed', end='')\n"
              "sys.stderr.write('to stderr')\nend_process(int(sys.argv[1]) if sys.argv[1:] else 'a message')\n")
    for argument, code in (("3", 3), ("0", 0), (None, 1)):
        done = subprocess.run([sys.executable, "-c", script, *([argument] if argument else [])], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == code
        assert done.stdout == "printedhandler ran\n"
        assert done.stderr.startswith("to stderr")
    assert done.stderr == "to stderra message\n"


def test_every_cli_option_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text()
    help_text = run_cli("--help").stdout
    for option in OPTIONS:
        assert f"`{option.flag}" in readme, option.flag
        assert option.flag in help_text
    for field in fields(DEFAULTS):
        assert f"`{field.name}`" in readme, field.name


def test_every_setting_has_a_description_and_a_readme_row():
    from reports.settings import DESCRIPTIONS

    readme = (ROOT / "README.md").read_text()
    assert set(DESCRIPTIONS) == {f.name for f in fields(DEFAULTS)}
    for name in DESCRIPTIONS:
        assert f"\n| `{name}` | " in readme, name


def test_readme_input_contract_is_in_step_with_schema():
    readme = (ROOT / "README.md").read_text()
    assert contract_markdown() in readme


@pytest.mark.slow  # reads all 32,757 rows of the real extract
@needs_pa_detainers
def test_pa_2014_week_counts_match_the_csv(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(PA_CSV, inputs / "pa_detainers.csv")
    result = run_cli("--inputs", inputs, "--outputs", tmp_path / "out", "--staff", tmp_path / "staff",
                      "--week", "2014-11-19")
    assert result.exit_code == 0, result.stderr
    start, end = dt.date(2014, 11, 15), dt.date(2014, 11, 21)
    with open(PA_CSV, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if start <= dt.date.fromisoformat(r["date"][:10]) <= end]
    data = json.loads((tmp_path / "out" / "2014-11-21" / "report.json").read_text())
    assert data["totals"]["issued"] == len(rows) > 0
    declined = sum(1 for r in rows if r["lift_reason"] == "Detainer Declined by LEA")
    honored = sum(1 for r in rows if r["lift_reason"] == "Booked into Detention")
    pending = sum(1 for r in rows if r["lift_reason"] == "")
    assert data["totals"]["declined"] == declined == 9
    assert data["totals"]["issued_outcomes"] == {"honored": honored, "declined": declined, "pending": pending,
                                                 "other": len(rows) - honored - declined - pending}
    assert any("no date of decline in the data" in c for c in data["caveats"])
    with open(BY_HAND, newline="", encoding="utf-8") as f:
        by_hand = {(r["facility"], r["city"]): r["county_fips"] for r in csv.DictReader(f)}
    counties = {by_hand[(r["det_facility"], r["city"])] for r in rows} - {""}
    undetermined = sum(1 for r in rows if not by_hand[(r["det_facility"], r["city"])])
    assert data["totals"]["issued_jurisdictions"] == len(counties)
    assert data["totals"]["issued_not_determined"] == undetermined
    assert data["totals"]["issued_attribution"]["none"] == undetermined
    assert any(c.startswith(f"Where the counties come from. Detainers issued this week ({len(rows)}): ")
               for c in data["caveats"])
    assert any("older FOIA export, which has no detainer IDs" in c for c in data["caveats"])
    # no charges sheet: subsequent charges are not reported, which is not the same as zero
    assert data["totals"]["charges_data"] is False and data["totals"]["subsequent_charges"] is None
    assert any(c.startswith("No data on later charges were provided") for c in data["caveats"])
    html = (tmp_path / "out" / "2014-11-21" / "report.html").read_text()
    assert "(this is not a count of zero)" in html
    not_determined = f" ({undetermined} with the jurisdiction not determined)" if undetermined else ""
    assert f"to {len(counties)} identified jurisdictions in 1 state{not_determined}." in html


def _two_week_inputs(folder: Path) -> None:
    folder.mkdir()
    (folder / "detainers.csv").write_text(
        "Detainer ID,Facility,State,County FIPS,Date Issued,Outcome,Outcome Date\n"
        "A1,Travis County Jail,TX,48453,2017-01-30,declined,2017-02-01\n"
        "A2,Travis County Jail,TX,48453,2017-02-06,honored,2017-02-07\n"
        "A3,Travis County Jail,TX,48453,2017-02-13,,\n", encoding="utf-8")


def test_default_is_latest_complete_week_with_a_frozen_clock(tmp_path):
    from reports.run import run_job
    from reports.options import RunOptions

    _two_week_inputs(tmp_path / "inputs")
    # Wednesday 2017-02-15: the week of Feb 11-17 is not complete, so Feb 4-10 is the latest complete week
    now = dt.datetime(2017, 2, 15, 6, 0, tzinfo=dt.timezone.utc)
    result = run_job(RunOptions(inputs=tmp_path / "inputs", outputs=tmp_path / "out", staff=tmp_path / "st",
                                settings=tmp_path / "settings.toml", now=now))
    assert result.exit_code == 0, result.summary
    assert [(p.parent.name, p.name) for p in result.published] == [("2017-02-10", "r1")]
    data = json.loads((tmp_path / "out" / "2017-02-10" / "report.json").read_text())
    assert data["published"] == "2017-02-15"
    assert data["totals"]["issued"] == 1 and data["totals"]["issued_outcomes"]["honored"] == 1


def test_all_renders_every_week_with_data_and_index_lists_newest_first(tmp_path):
    _two_week_inputs(tmp_path / "inputs")
    result = run_cli("--inputs", tmp_path / "inputs", "--outputs", tmp_path / "out", "--staff", tmp_path / "st",
                      "--all")
    assert result.exit_code == 0, result.stderr
    weeks = sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir() and p.name[0].isdigit())
    assert weeks == ["2017-02-03", "2017-02-10", "2017-02-17"]
    index = (tmp_path / "out" / "index.html").read_text()
    positions = [index.index(f'href="{w}/report.pdf"') for w in reversed(weeks)]
    assert positions == sorted(positions)


def test_the_program_and_its_workers_take_arrow_memory_from_the_system_allocator_unless_told_otherwise():
    script = ("import os, pyarrow\nfrom reports.cli import use_system_allocator_for_arrow\n"
              "use_system_allocator_for_arrow()\n"
              "print(pyarrow.default_memory_pool().backend_name, os.environ['ARROW_DEFAULT_MEMORY_POOL'])\n")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    chosen = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert chosen.stdout.split() == ["system", "system"], chosen.stderr
    operator = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env={**env, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"})
    assert operator.stdout.split() == ["mimalloc", "mimalloc"], operator.stderr
