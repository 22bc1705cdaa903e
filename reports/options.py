"""One registry of run options, shared by the command line and the Python API.

The CLI builds its flags from ``OPTIONS``; ``RunOptions`` is what the library takes.
A test checks that every option here is documented in the README.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Option:
    name: str  # RunOptions field
    flag: str  # command-line flag
    help: str
    is_flag: bool = False
    metavar: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option("check", "--check", "Validate everything in the inputs folder and print the reconciliation and "
           "problems; publish nothing. Exit 0 when clean, 1 when any error.", is_flag=True),
    Option("inputs", "--inputs", "Folder of staff spreadsheets (default: inputs/ in the project).", metavar="DIR"),
    Option("staff", "--staff", "Staff-only folder for error reports and review sheets (default: staff/).",
           metavar="DIR"),
    Option("verbose", "--verbose", "Print every problem and the data notes, not only the summary.", is_flag=True),
)


@dataclass
class RunOptions:
    inputs: Path = PROJECT_ROOT / "inputs"
    staff: Path = PROJECT_ROOT / "staff"
    check: bool = False
    verbose: bool = False
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
