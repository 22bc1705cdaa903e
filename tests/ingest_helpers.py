"""Shared helpers for the ingest tests (fixture paths, copying with controlled mtimes, the --check command)."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
from click.testing import Result

from cli_helpers import run_cli

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT / "tests" / "fixtures" / "inputs"
BASE_MTIME = 1_490_000_000  # 2017-03-20; fixture files get BASE_MTIME + n


def copy_case(case: str, dest: Path, order: list[str] | None = None) -> Path:
    """Copy a fixture case into ``dest`` and give its files known modification times.

    ``order`` lists file names oldest first; files not listed are older still. Git checkouts give
    arbitrary mtimes, so any test whose result depends on them copies first.
    """
    shutil.copytree(FIXTURES / case, dest, dirs_exist_ok=True)
    files = sorted(p for p in dest.rglob("*") if p.is_file())
    order = order or []
    for path in files:
        rel = path.relative_to(dest).as_posix()
        rank = order.index(rel) + 1 if rel in order else 0
        os.utime(path, (BASE_MTIME + rank * 3600, BASE_MTIME + rank * 3600))
    return dest


def problem_keys(dataset, codes: set[str] | None = None) -> list[tuple]:
    """(code, file, sheet, row, column, value) of every problem, sorted; optionally only some codes."""
    return sorted(
        ((p.code, p.file, p.sheet, p.row, p.column, p.value) for p in dataset.problems
         if codes is None or p.code in codes),
        key=lambda k: tuple("" if v is None else str(v) for v in k),
    )


def parse_reasons(text: str) -> dict[str, int]:
    """'blank row: 1; total row: 2' -> {'blank row': 1, 'total row': 2}."""
    if not text:
        return {}
    out = {}
    for part in text.split("; "):
        reason, _, number = part.rpartition(": ")
        out[reason] = int(number.replace(",", ""))
    return out


def reconciliation(dataset) -> dict[tuple[str, str], dict]:
    out = {}
    for r in dataset.reconciliation.itertuples(index=False):
        out[(r.file, r.sheet)] = {"kind": r.kind, "layout": r.layout, "rows_read": r.rows_read, "used": r.used,
                                  "excluded": r.excluded, "reasons": parse_reasons(r.excluded_reasons)}
    return out


def row_at(frame: pd.DataFrame, file: str, row: int) -> pd.Series:
    hit = frame[(frame["source_file"] == file) & (frame["source_row"] == row)]
    assert len(hit) == 1, f"expected one row {file}:{row}, got {len(hit)}"
    return hit.iloc[0]


def used_by_id(dataset, kind: str = "detainers") -> dict[str, pd.Series]:
    frame = dataset.used(kind)
    ids = frame["detainer_id"].tolist()
    assert len(ids) == len(set(ids)), "used detainer IDs must be unique"
    return {row["detainer_id"]: row for _, row in frame.iterrows()}


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def run_check(inputs: Path, staff: Path, *extra: str) -> Result:
    """``python generate.py --check`` as staff run it (in this process: tests/cli_helpers.py)."""
    return run_cli("--check", "--inputs", inputs, "--staff", staff, *extra)


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file under folder: sha256, size and mtime in ns."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        out[path.relative_to(folder).as_posix()] = (hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size,
                                                    stat.st_mtime_ns)
    return out
