"""Benchmark harness for the "national scale" issue: every row of its table, and its targets.

    python bench/run.py                 # everything: ~80 minutes on a 2-core machine (+ ~25 the first time,
                                        # to build the input sets)
    python bench/run.py --quick         # without the openpyxl row and the scaling line
    python bench/run.py --rows 80000    # a smaller national set (the targets still apply, as ratios)
    python bench/run.py --only reads,cold   # some groups only (see GROUPS); does not write the document

It builds the seeded national input set once (bench/national.py, cached in bench/.data/, which git
ignores), then runs every measurement in a fresh process, one at a time, and records its wall time and
peak memory (the child's maximum resident set size, from wait4, its own children included). The figures
to compare between runs are the RATIOS measured in one run: the machine is shared and noisy, seconds are
not comparable from one run to the next. Prints the table and writes docs/performance.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import national  # bench/national.py, beside this script

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent

GENERATE = PROJECT / "generate.py"
RUNS_ROOT = BENCH / ".data" / "runs"
DOCUMENT = PROJECT / "docs" / "performance.md"
# What follows this line in the document is written by hand (the history of the figures, how far the design
# scales) and is kept when a run rewrites what is above it.
KEPT_PART = "<!-- Written by hand below this line: bench/run.py keeps it. -->"
GROUPS = ("reads", "cold", "backfill", "overlap", "pdfmap", "shared", "scaling")
PACKAGES = ("pandas", "numpy", "python-calamine", "openpyxl", "XlsxWriter", "weasyprint", "Jinja2", "matplotlib",
            "pypdf", "fastexcel", "pyarrow")


# --------------------------------------------------------------------------- measuring one process

@dataclass
class Run:
    seconds: float | None = None
    cpu_seconds: float | None = None  # user + system, the child and its children
    peak_mib: float | None = None
    exit_code: int | None = None
    timed_out: bool = False
    stdout: str = ""
    stderr: str = ""
    error: str = ""  # why it could not run at all

    @property
    def ok(self) -> bool:
        return not self.timed_out and not self.error and self.exit_code == 0


def measure(cmd: list[str], log: Path, timeout: float, env: dict | None = None) -> Run:
    """Run cmd in a new process group; wall time, and peak RSS from wait4 (the child and its children)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log.with_suffix(".stdout"), "wb") as out, open(log.with_suffix(".stderr"), "wb") as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=PROJECT, env=env, start_new_session=True)
        except OSError as exc:
            return Run(error=str(exc))
        fired = threading.Event()

        def kill():
            fired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: take the child down with us
            kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run(seconds=seconds, cpu_seconds=usage.ru_utime + usage.ru_stime, peak_mib=usage.ru_maxrss / 1024,
              exit_code=proc.returncode, timed_out=fired.is_set())
    run.stdout = log.with_suffix(".stdout").read_text(encoding="utf-8", errors="replace")
    run.stderr = log.with_suffix(".stderr").read_text(encoding="utf-8", errors="replace")
    return run


def available_mib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------- rows and targets

@dataclass
class Row:
    key: str
    label: str
    run: Run | None = None
    note: str = ""
    target: str = "—"
    versus: str = ""  # the measured figure the target is about, e.g. "24 % of cold"
    verdict: str = ""  # pass / FAIL / "" (no target) / "not run"
    value: str | None = None  # shown instead of seconds (the PDF page count)


@dataclass
class Harness:
    args: argparse.Namespace
    work: Path
    data: Path | None = None
    manifest: dict = field(default_factory=dict)
    rows: dict[str, Row] = field(default_factory=dict)
    scaling: list[dict] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    scaling_verdicts: list = field(default_factory=list)
    cache_option: bool = False

    # ---- plumbing

    def say(self, message: str) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        print(f"[{stamp}] {message}", file=sys.stderr, flush=True)

    def row(self, key: str, label: str, **kw) -> Row:
        self.rows[key] = Row(key, label, **kw)
        return self.rows[key]

    def timed(self, key: str, cmd: list[str], env: dict | None = None) -> Run:
        available = available_mib()
        if available is not None and available < 6 * 1024:
            self.events.append(f"{key}: only {available:,.0f} MiB of memory available when it started")
        self.say(f"{self.rows[key].label} …")
        run = measure(cmd, self.work / "logs" / key, self.args.timeout * 60, env)
        self.rows[key].run = run
        status = "timed out" if run.timed_out else f"exit {run.exit_code}" if run.exit_code else "ok"
        self.say(f"  {run.seconds:,.1f} s (CPU {run.cpu_seconds:,.1f} s), peak {run.peak_mib:,.0f} MiB, {status}"
                 + (f"; {summary(run)}" if summary(run) else ""))
        if not run.timed_out and run.exit_code not in (0, None):
            tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-5:])
            self.events.append(f"{key}: exit code {run.exit_code}: {tail[-400:]}")
        return run

    def generate(self, key: str, scenario: Path, *extra: str) -> Run:
        """generate.py on a scenario folder (inputs/, outputs/, staff/, cache/)."""
        cmd = [sys.executable, str(GENERATE), "--inputs", str(scenario / "inputs"), "--staff", str(scenario / "staff")]
        if "--check" not in extra:
            cmd += ["--outputs", str(scenario / "outputs")]
        if self.cache_option:
            cmd += ["--cache", str(scenario / "cache")]
        env = dict(os.environ, XDG_CACHE_HOME=str(scenario / "cache"))
        # as deployed, Python keeps its compiled modules (__pycache__); a shell that sets PYTHONDONTWRITEBYTECODE
        # would make every run compile the project again (about 0.1 s, a tenth of a warm run's budget)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return self.timed(key, cmd + list(extra), env)

    def scenario(self, name: str, *files: Path) -> Path:
        """A fresh folder: inputs/ holding the given files (hard links: never written to), empty outputs, staff, cache."""
        folder = self.work / name
        shutil.rmtree(folder, ignore_errors=True)
        for sub in ("inputs", "staff", "cache"):
            (folder / sub).mkdir(parents=True)
        for path in files:
            link(path, folder / "inputs" / path.name)
        return folder

    def dataset(self, rows: int, variants: bool) -> Path:
        """The cached input set; built in its own process, so this one stays small while children are measured."""
        folder = national.cached(rows, variants=variants)
        if folder is None:
            self.say(f"building the {rows:,}-row input set{' and its variants' if variants else ''} "
                     "(once; a few minutes per 100,000 rows) …")
            cmd = [sys.executable, str(BENCH / "national.py"), "--rows", str(rows)]
            subprocess.run(cmd + ([] if variants else ["--no-variants"]), cwd=PROJECT, check=True,
                           stdout=subprocess.DEVNULL)
            folder = national.cached(rows, variants=variants)
        return folder

    # ---- the groups, in order

    def reads(self) -> None:
        main = self.data / "inputs" / national.MAIN_FILE
        reader = [sys.executable, str(BENCH / "readers.py")]
        self.row("baseline", "python-calamine reads the whole sheet (baseline)",
                 note="CalamineWorkbook…to_python(), all 60 columns")
        self.timed("baseline", reader + ["calamine", str(main)])
        self.row("pandas_openpyxl", 'pandas.read_excel(engine="openpyxl")', note="what a user would write")
        if self.args.quick:
            self.rows["pandas_openpyxl"].verdict = "not run (--quick)"
        else:
            self.timed("pandas_openpyxl", reader + ["pandas-openpyxl", str(main)])
        self.row("pandas_calamine", 'pandas.read_excel(engine="calamine")')
        self.timed("pandas_calamine", reader + ["pandas-calamine", str(main)])
        self.row("fastexcel", "fastexcel, the 13 used columns as text",
                 note="load_sheet(0, header_row=6, use_columns=[13 names], dtypes=\"string\").to_pandas()")
        try:
            importlib.metadata.version("fastexcel")
            self.timed("fastexcel", reader + ["fastexcel", str(main)])
        except importlib.metadata.PackageNotFoundError:
            self.rows["fastexcel"].verdict = "not run (fastexcel not installed)"

    def baseline_again(self) -> None:
        """The baseline once more at the end: how much the machine's speed drifted during the run."""
        self.row("baseline_end", "python-calamine reads the whole sheet (baseline again, at the end)")
        self.timed("baseline_end", [sys.executable, str(BENCH / "readers.py"), "calamine",
                                    str(self.data / "inputs" / national.MAIN_FILE)])

    def cold(self) -> None:
        inputs = sorted((self.data / "inputs").iterdir())
        self.row("check", "generate.py --check")
        self.generate("check", self.scenario("check", *inputs), "--check")
        folder = self.scenario("cold", *inputs)
        self.row("cold", "generate.py, one week, cold", note="fresh outputs, staff and cache folders")
        self.generate("cold", folder)
        link(self.data / "variants" / "policies-new.xlsx", folder / "inputs" / "policies-new.xlsx")
        self.row("warm_check", "warm: --check after one new small file",
                 note="same folders + policies-new.xlsx (a policy enacted in the last week)")
        self.generate("warm_check", folder, "--check")
        self.row("warm_publish", "warm: publishing run after one new small file")
        self.generate("warm_publish", folder)
        self.row("noop", "no-op: the same again")
        self.generate("noop", folder)

    def backfill(self) -> None:
        folder = self.scenario("backfill", *sorted((self.data / "inputs").iterdir()))
        self.row("backfill", f"--all, {national.WEEKS} weeks", note="fresh folders")
        self.generate("backfill", folder, "--all")
        replace(self.data / "variants" / "policies-revised.xlsx", folder / "inputs" / "policies.xlsx")
        self.row("policy", "then one policy changed (2 weeks revised)",
                 note="policies.xlsx rewritten: the newest policy's criteria")
        self.generate("policy", folder)
        self.row("plain", "then a plain run with nothing changed")
        self.generate("plain", folder)
        link(self.data / "variants" / national.NEXT_WEEK_FILE, folder / "inputs" / national.NEXT_WEEK_FILE)
        self.row("add_week", "adding a week to the archive", note=f"+ {national.NEXT_WEEK_FILE}")
        self.generate("add_week", folder)
        pages = pdf_pages(folder / "outputs")
        row = self.row("pdf_pages", "PDF pages, largest week (archive above)")
        if pages:
            (most, week), count = max((n, w) for w, n in pages.items()), len(pages)
            row.value, row.note = f"{most} pages", f"week {week}; {count} PDFs read, median {median(pages.values())} pages"
        else:
            row.verdict = "not run (no PDF published)"

    def overlap(self) -> None:
        files = sorted((self.data / "inputs").iterdir()) + [self.data / "variants" / national.EARLIER_FILE]
        self.row("overlap", "two overlapping national exports, cold",
                 note=f"+ {national.EARLIER_FILE} (a month shorter, older)")
        self.generate("overlap", self.scenario("overlap", *files))

    def pdfmap(self) -> None:
        files = sorted((self.data / "inputs").iterdir()) + [self.data / "variants" / "facilities.xlsx"]
        folder = self.scenario("pdfmap", *files)
        row = self.row("pdf_map", "PDF pages, last week, with a facility map",
                       note="+ facilities.xlsx; --week, cold")
        self.generate("pdf_map", folder, "--week", national.LAST_DAY.isoformat())
        pages = pdf_pages(folder / "outputs")
        if pages:
            row.value = f"{max(pages.values())} pages"

    def shared(self) -> None:
        """The main file with its text in a shared-strings table, as ICE's own exports are: its own baseline
        read and a cold run on it (the other inputs as in the cold run)."""
        self.say(f"making {national.SHARED_STRINGS_FILE} (once) …")
        workbook = national.shared_strings_variant(self.data)
        warm_page_cache(workbook.parent)
        self.row("shared_baseline", "shared strings: python-calamine reads the whole sheet",
                 note=f"{national.SHARED_STRINGS_FILE}: the same cells, text in xl/sharedStrings.xml")
        self.timed("shared_baseline", [sys.executable, str(BENCH / "readers.py"), "calamine", str(workbook)])
        others = [p for p in sorted((self.data / "inputs").iterdir()) if p.name != national.MAIN_FILE]
        self.row("shared_cold", "shared strings: generate.py, one week, cold",
                 note="in place of the main file; fresh folders")
        self.generate("shared_cold", self.scenario("shared", workbook, *others))

    def scaling_line(self) -> None:
        full = self.args.rows
        for rows in (full // 8, full // 4, full // 2, full):
            folder = self.data if rows == full else self.dataset(rows, variants=False)
            key = f"scale_{rows}"
            self.row(key, f"--check, {rows:,} rows")
            run = self.generate(key, self.scenario(key, *sorted((folder / "inputs").iterdir())), "--check")
            self.scaling.append({"rows": rows, "run": run})

    # ---- verdicts

    def baseline(self) -> Row | None:
        """The faster of the two baseline runs (start and end of the harness): the denominator of every ratio."""
        runs = [self.rows[k] for k in ("baseline", "baseline_end") if k in self.rows and self.rows[k].run
                and self.rows[k].run.ok]
        return min(runs, key=lambda row: row.run.seconds) if runs else None

    def judge(self) -> None:
        r = self.rows
        base = self.baseline()
        base_ok = base is not None
        if base_ok and "baseline_end" in r:
            base.note = "; ".join(x for x in (base.note, "the faster baseline run: the ratios use it") if x)
        cold = r.get("cold")
        cold_ok = cold and cold.run and cold.run.ok

        def ratio(key, to):
            a = r.get(key)
            if not (a and a.run and a.run.seconds is not None and to and to.run and to.run.seconds):
                return None
            return a.run.seconds / to.run.seconds

        def verdict(row: Row, target: str, value: float | None, limit: float, shown: str) -> None:
            row.target = target
            if row.run is None or row.verdict.startswith("not run"):
                return
            if row.run.timed_out:
                row.versus, row.verdict = "timed out", "FAIL"
                return
            if value is None or not row.run.ok:
                row.versus, row.verdict = "no figure", "FAIL" if row.run.exit_code else ""
                return
            row.versus, row.verdict = shown, "pass" if value <= limit else "FAIL"

        if "cold" in r and base_ok:
            t = ratio("cold", base)
            verdict(cold, "≤ 1.0 × baseline time; peak ≤ 0.6 × baseline peak", t, 1.0,
                    f"{t:.2f} × time" if t is not None else "")
            if cold_ok:
                m = cold.run.peak_mib / base.run.peak_mib
                cold.versus += f"; {m:.2f} × peak"
                failed = [what for what, bad in (("time", t > 1.0), ("memory", m > 0.6)) if bad]
                cold.verdict = f"FAIL ({', '.join(failed)})" if failed else "pass"
        shared_base, shared_cold = r.get("shared_baseline"), r.get("shared_cold")
        if shared_cold and shared_base and shared_base.run and shared_base.run.ok:
            t = ratio("shared_cold", shared_base)
            verdict(shared_cold, "as cold, against this file's baseline", t, 1.0,
                    f"{t:.2f} × time" if t is not None else "")
            if shared_cold.run and shared_cold.run.ok:
                m = shared_cold.run.peak_mib / shared_base.run.peak_mib
                shared_cold.versus += f"; {m:.2f} × peak"
                failed = [what for what, bad in (("time", t > 1.0), ("memory", m > 0.6)) if bad]
                shared_cold.verdict = f"FAIL ({', '.join(failed)})" if failed else "pass"
        for key, limit, what in (("warm_check", 0.10, "10"), ("warm_publish", 0.40, "40"), ("noop", 0.05, "5"),
                                 ("plain", 0.05, "5")):
            if key in r and cold_ok:
                v = ratio(key, cold)
                verdict(r[key], f"≤ {what} % of cold", v, limit, f"{v * 100:.1f} % of cold" if v is not None else "")
        if "policy" in r and cold_ok:
            v = ratio("policy", cold)
            r["policy"].versus = f"{v * 100:.0f} % of cold" if v is not None else ""
            r["policy"].target = "— (no target in the issue)"
        if "backfill" in r and r["backfill"].run:
            b = r["backfill"]
            verdict(b, "≤ 3 minutes (absolute)", b.run.seconds, 180, f"{b.run.seconds / 60:.1f} min")
        if "overlap" in r and cold_ok:
            v = ratio("overlap", cold)
            verdict(r["overlap"], "≤ 2.2 × one file's cold run", v, 2.2, f"{v:.2f} × cold" if v is not None else "")
        if "add_week" in r and cold_ok:
            v = ratio("add_week", cold)
            verdict(r["add_week"], "≤ 2 × one cold week", v, 2.0, f"{v:.2f} × cold" if v is not None else "")
        for key in ("pdf_pages", "pdf_map"):
            row = r.get(key)
            if row and row.value:
                pages = int(row.value.split()[0])
                row.target, row.versus = "≤ ~30 pages", row.value
                row.verdict = "pass" if pages <= 30 else "FAIL"
        if self.scaling:
            self.judge_scaling()

    def judge_scaling(self) -> None:
        points = [(p["rows"], p["run"]) for p in self.scaling if p["run"].ok]
        if len(points) < 3:
            return
        (r0, a), (r1, b), (rn, z) = points[0], points[1], points[-1]
        (rp, y) = points[-2]
        # marginal cost per row over the first doubling and over the last one: equal when linear
        for what, get, unit in (("wall time", lambda x: x.seconds, "s"), ("CPU time", lambda x: x.cpu_seconds, "s"),
                                ("peak memory", lambda x: x.peak_mib, "MiB")):
            first = (get(b) - get(a)) / (r1 - r0)
            last = (get(z) - get(y)) / (rn - rp)
            growth = last / first if first > 0 else float("inf")
            self.scaling_verdicts.append((what, first * 1000, last * 1000, unit, growth))



def summary(run: Run) -> str:
    """What a generate.py run did, from its one summary line."""
    text = run.stdout + run.stderr
    m = re.search(r"Published (\d+) edition\(s\) \(([^)]*)\)", text)
    if m:
        return f"published {m[1]} edition{'s' if m[1] != '1' else ''} ({m[2]})"
    if "Nothing changed since the last run" in text:
        return "nothing changed: fast path"
    m = re.search(r"Nothing new to publish[^(]*\(([^)]*)\)", text)
    if m:
        return f"nothing new to publish ({m[1]})"
    m = re.search(r"(\d+) file\(s\) checked: (\d+) error\(s\), (\d+) warning\(s\)", text)
    if m:
        return f"{m[2]} errors, {m[3]} warnings"
    lines = run.stdout.strip().splitlines()
    return lines[-1][:80] if lines else ""


def warm_page_cache(folder: Path) -> None:
    """Read every input once, so that no measured run (the first above all) pays for reading the disk."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(1 << 24):
                    pass


def link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def replace(source: Path, target: Path) -> None:
    """A staff edit: a new file (new inode, modified now) in place of the old; never writes through a link."""
    target.unlink()
    shutil.copyfile(source, target)


def pdf_pages(outputs: Path) -> dict[str, int]:
    """Pages of the current edition of every published week."""
    from pypdf import PdfReader

    pages = {}
    for week in sorted(outputs.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")):
        pdf = week / "report.pdf"
        if pdf.is_file():
            pages[week.name] = len(PdfReader(pdf).pages)
    return pages


def median(values) -> int:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


# --------------------------------------------------------------------------- the machine and the document

def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("cpu MHz"):
                cpu += f" ({float(line.split(':', 1)[1]):,.0f} MHz)"
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "ram_gib": ram, "os": platform.platform(), "python": platform.python_version(),
            "packages": versions, "load": os.getloadavg()}


def git_revision() -> str:
    """The last commit that changed the pipeline (not the harness), and whether it has uncommitted changes."""
    try:
        sha = subprocess.run(["git", "log", "-1", "--format=%h", "--", "reports", "generate.py"],
                             cwd=PROJECT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "reports", "generate.py"],
                               cwd=PROJECT, capture_output=True, text=True).stdout.strip()
        return sha + (" (with uncommitted changes to the pipeline)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 600:
        return f"{seconds:,.0f} ({seconds / 60:.1f} min)"
    return f"{seconds:,.1f}"


READERS = ("baseline", "baseline_end", "pandas_openpyxl", "pandas_calamine", "fastexcel")


def table(h: Harness) -> list[str]:
    base = h.baseline()
    base_run = base.run if base else None
    lines = ["| run | wall s | CPU s | peak MiB | time × baseline | CPU × baseline | peak × baseline | target | measured "
             "| result | what it did |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |"]
    for row in h.rows.values():
        if row.key.startswith("scale_"):
            continue
        run, what = row.run, [row.note] if row.note else []
        wall = cpu = peak = time_ratio = cpu_ratio = peak_ratio = "—"
        if run is not None and run.seconds is not None:
            wall = f"timed out ({fmt_seconds(run.seconds)})" if run.timed_out else fmt_seconds(run.seconds)
            cpu = fmt_seconds(run.cpu_seconds)
            peak = f"{run.peak_mib:,.0f}"
            if base_run:
                time_ratio = f"{run.seconds / base_run.seconds:.2f}"
                cpu_ratio = f"{run.cpu_seconds / base_run.cpu_seconds:.2f}"
                peak_ratio = f"{run.peak_mib / base_run.peak_mib:.2f}"
            done = run.stdout.strip().splitlines()[-1][:60] if row.key in READERS and run.stdout.strip() \
                else summary(run)
            what += [done] if done else []
            if run.exit_code not in (0, None) and not run.timed_out:
                what.append(f"exit code {run.exit_code}")
        result = row.verdict or ("—" if row.target.startswith("—") else "")
        lines.append(f"| {row.label} | {wall} | {cpu} | {peak} | {time_ratio} | {cpu_ratio} | {peak_ratio} | {row.target} | "
                     f"{row.versus or row.value or ''} | {result} | {'; '.join(what)} |")
    return lines


def scaling_table(h: Harness) -> list[str]:
    if not h.scaling:
        return []
    lines = ["| rows | wall s | CPU s | peak MiB | µs per row (wall) | MiB per 1,000 rows |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for point in h.scaling:
        run = point["run"]
        if run.seconds is None:
            lines.append(f"| {point['rows']:,} | — | — | — | — | — |")
            continue
        wall = "timed out" if run.timed_out else f"{run.seconds:,.1f}"
        lines.append(f"| {point['rows']:,} | {wall} | {run.cpu_seconds:,.1f} | {run.peak_mib:,.0f} | "
                     f"{run.seconds / point['rows'] * 1e6:,.0f} | "
                     f"{run.peak_mib / point['rows'] * 1000:,.2f} |")
    for what, first, last, unit, growth in h.scaling_verdicts:
        shape = "linear" if growth <= 1.25 else f"grows faster than linear (× {growth:.2f})"
        lines.append("")
        lines.append(f"Marginal {what} per 1,000 rows: {first:,.2f} {unit} over the first doubling, {last:,.2f} {unit} "
                     f"over the last: {shape}.")
    return lines


def document(h: Harness, info: dict, started: dt.datetime, finished: dt.datetime) -> str:
    m = h.manifest
    size = m.get("files", {}).get(f"inputs/{national.MAIN_FILE}", {}).get("bytes", 0)
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    lines = [
        "# Performance baseline: the national-scale input set",
        "",
        "Written by `python bench/run.py" + (" --quick" if h.args.quick else "")
        + (f" --rows {h.args.rows}" if h.args.rows != national.ROWS else "") + "`. "
        "**Compare ratios, not seconds**: the machine is shared and noisy, so only the ratios measured "
        "in one run (to the python-calamine baseline, or to the cold run) say whether the pipeline got "
        "faster. The backfill target is the one absolute figure (3 minutes).",
        "",
        f"- Run: {started:%Y-%m-%d %H:%M} – {finished:%H:%M} UTC ({(finished - started).total_seconds() / 60:.0f} "
        f"minutes in all, the input sets already built); pipeline (reports/, generate.py) at commit "
        f"{git_revision()}",
        f"- Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info['ram_gib']:.0f} GiB RAM; {info['os']}; load average at the start "
        f"{info['load'][0]:.1f}, {info['load'][1]:.1f}, {info['load'][2]:.1f} (other work was running)",
        f"- Python {info['python']}; {packages}",
        f"- Input set (bench/national.py, seed {m.get('seed')}): {m.get('rows', 0):,} detainers × "
        f"{m.get('columns')} columns in the ICE detainer export layout ({size / 2**20:,.0f} MB .xlsx, header on row 7 "
        f"under 6 title rows), {m.get('first_day')} – {m.get('last_day')} ({m.get('weeks')} weeks), "
        f"{m.get('facilities', 0):,} facilities ({m.get('facilities_real_ice_codes', 0):,} with real ICE codes), "
        f"{m.get('subjects', 0):,} people, {m.get('declined', 0):,} declined "
        f"({m.get('declined_share', 0) * 100:.1f} %), {m.get('pending_blank', 0):,} with no outcome yet; "
        f"{m.get('charges', 0):,} charges; {m.get('policies')} policies.",
        "",
        *table(h),
        "",
    ]
    if h.scaling:
        lines += ["## Scaling: `generate.py --check` against the number of rows", "", *scaling_table(h), ""]
    if h.events:
        lines += ["## Events during the run", "", *[f"- {e}" for e in h.events], ""]
    lines += [
        "## How each row is measured",
        "",
        "- Every row is a fresh process, run alone. *wall s* is its elapsed time (interpreter start-up "
        "included), the figure the targets are about; *CPU s* is its user + system time, which other work on the "
        "machine disturbs less (a wall time well above the CPU time means the process waited for a core); "
        "*peak MiB* is its maximum resident set size. CPU and peak come from `wait4`, children included.",
        "- *Baseline*: `python_calamine.CalamineWorkbook.from_path(p).get_sheet_by_index(0)"
        ".to_python(skip_empty_area=False)`, every cell of the sheet into Python lists (bench/readers.py). "
        "It runs first and again last; the faster of the two is the denominator of every ratio, and the gap "
        "between them shows how much the machine's speed drifted. Every input file is read once before the "
        "first row, so no row pays for the disk. "
        "The pandas rows use `header=6`; fastexcel reads only the 13 columns the ingest uses, as text.",
        "- *Cold*: `generate.py` (latest complete week) with fresh `--outputs`, `--staff` and cache folders "
        "(`XDG_CACHE_HOME`, and `--cache` once generate.py has that option). *Warm*: the same folders after "
        "adding `policies-new.xlsx` (one policy, enacted in the last week, so the publishing run revises that "
        "week); *no-op*: the same again.",
        f"- *Backfill*: `--all` into fresh folders. Then `policies.xlsx` is replaced by a copy whose newest "
        "policy (enacted in week 92, on file in weeks 92 and 93) has different criteria: 2 weeks revised; "
        "then a plain run with nothing changed; then the next week's export "
        f"(`{national.NEXT_WEEK_FILE}`) is added and a plain run publishes week 94 (rebuilding every published "
        "week to look for revisions).",
        f"- *Two overlapping exports*: the national file and an export made four weeks earlier "
        f"(`{national.EARLIER_FILE}`, older file date) of the same detainers, outcomes as known then, about 1 % "
        "recorded differently; the newer file wins.",
        "- *PDF pages*: the current edition of every week of the backfilled archive (no facility map, so every "
        "detainer is 'jurisdiction not determined'), and the last week rendered with `facilities.xlsx` mapping "
        "most facilities to counties (the jurisdiction tables at full size).",
        "- The .xlsx files are written by XlsxWriter in constant-memory mode, which stores text as inline "
        "strings; Excel and ICE's tools use a shared-strings table. The *shared strings* rows use a copy of the "
        f"main file with the same cells and its text moved into a shared-strings table (`{national.SHARED_STRINGS_FILE}`, "
        "made once by `national.shared_strings_copy`), each ratio against that file's own baseline read.",
        "",
    ]
    return "\n".join(lines)


def with_kept_part(generated: str, old: str) -> str:
    """The new measurements, then the hand-written part of the old document (from its marker on)."""
    kept = old[old.index(KEPT_PART):] if KEPT_PART in old else KEPT_PART + "\n"
    return generated.rstrip("\n") + "\n\n" + kept


# --------------------------------------------------------------------------- main

def _terminate(signum, frame):
    raise KeyboardInterrupt  # `kill PID` stops the measured child too, and reports what was measured


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the openpyxl row and the scaling line")
    parser.add_argument("--rows", type=int, default=national.ROWS, help="national set size (default 320,000)")
    parser.add_argument("--timeout", type=float, default=40, help="minutes per measured run (default 40)")
    parser.add_argument("--only", help=f"comma-separated groups: {', '.join(GROUPS)} (implies --no-write)")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {DOCUMENT.relative_to(PROJECT)}")
    parser.add_argument("--keep", action="store_true", help="keep the scenario folders and logs")
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",")] if args.only else list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    if args.quick and "scaling" in groups:
        groups.remove("scaling")

    started = dt.datetime.now(dt.timezone.utc)
    info = machine()
    work = RUNS_ROOT / started.strftime("%Y%m%d-%H%M%S")
    h = Harness(args, work)
    h.say(f"work folder {work}")
    try:
        h.data = h.dataset(args.rows, variants=True)
    except KeyboardInterrupt:
        h.say("interrupted while building the input set; nothing measured")
        return 130
    h.manifest = json.loads((h.data / "manifest.json").read_text(encoding="utf-8"))
    help_text = subprocess.run([sys.executable, str(GENERATE), "--help"], cwd=PROJECT, capture_output=True,
                               text=True).stdout
    h.cache_option = bool(re.search(r"--cache\b", help_text))
    try:
        warm_page_cache(h.data)
        for group in GROUPS:
            if group in groups:
                getattr(h, "scaling_line" if group == "scaling" else group)()
        if "reads" in groups:
            h.baseline_again()
    except KeyboardInterrupt:
        h.say("interrupted; reporting what was measured")
        h.events.append("run interrupted: later rows missing")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    finished = dt.datetime.now(dt.timezone.utc)
    h.judge()
    text = document(h, info, started, finished)
    print(text)
    if not (args.no_write or args.only):
        DOCUMENT.write_text(with_kept_part(text, DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""),
                            encoding="utf-8")
        h.say(f"wrote {DOCUMENT.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
