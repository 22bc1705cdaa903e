"""One registry of run options, shared by the command line and the Python API.

The CLI builds its flags from ``OPTIONS``; ``RunOptions`` is what the library takes. Its default folders lie
in the current directory; ``RunOptions.in_folder`` puts them in another (generate.py: the folder it lies in).
A test checks that every option here is documented in the README.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .resources import package_path

# where each default folder or file lies in the project folder
PROJECT_LAYOUT = {"inputs": "inputs", "outputs": "outputs", "staff": "staff", "settings": "settings.toml"}


@dataclass(frozen=True)
class Option:
    name: str  # RunOptions field
    flag: str  # command-line flag
    help: str
    kind: str = "path"  # path | flag | date
    metavar: str | None = None


OPTIONS: tuple[Option, ...] = (
    Option("check", "--check", "Validate everything in the inputs folder and print the reconciliation and "
           "problems; publish nothing. Exit 0 when clean, 1 when any error.", kind="flag"),
    Option("week", "--week", "Render the week that contains this date (YYYY-MM-DD) instead of the latest "
           "complete week.", kind="date", metavar="YYYY-MM-DD"),
    Option("all_weeks", "--all", "Render every week that has data and has ended.", kind="flag"),
    Option("allow_empty_week", "--allow-empty-week", "With --week: publish the week even though no detainer data "
           "were received for it; page 1 then says so. Without it such a week is refused (exit 1).", kind="flag"),
    Option("inputs", "--inputs", "Folder of staff spreadsheets (default: inputs/ in the project).", metavar="DIR"),
    Option("outputs", "--outputs", "Public folder the reports are published to (default: outputs/).",
           metavar="DIR"),
    Option("staff", "--staff", "Staff-only folder for error reports and review sheets (default: staff/).",
           metavar="DIR"),
    Option("cache", "--cache", "Staff-only folder where checked input files are kept, so unchanged files are not read "
           "again (default: cache/ in the staff folder; delete it at any time).", metavar="DIR"),
    Option("settings", "--settings", "Settings file (default: settings.toml in the project, if present).",
           metavar="FILE"),
    Option("repair", "--repair", "Relink the outputs folder from its archive where a backup was restored with its "
           "links turned into folders, then run as usual.", kind="flag"),
    Option("verbose", "--verbose", "Print every problem and the data notes, not only the summary.", kind="flag"),
)


def _in_current_folder(name: str):
    return field(default_factory=lambda: Path.cwd() / PROJECT_LAYOUT[name])


@dataclass
class RunOptions:
    inputs: Path = _in_current_folder("inputs")
    outputs: Path = _in_current_folder("outputs")
    staff: Path = _in_current_folder("staff")
    settings: Path = _in_current_folder("settings")
    cache: Path | None = None  # None: <staff>/cache
    check: bool = False
    week: dt.date | None = None
    all_weeks: bool = False
    repair: bool = False
    allow_empty_week: bool = False
    verbose: bool = False
    # the moment of the run; the run takes "today" from it in the settings' time zone (time_zone)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    sample_inputs: Path = field(default_factory=lambda: package_path("data", "sample"))

    @classmethod
    def in_folder(cls, project: Path, **given) -> RunOptions:
        """Options whose folders and settings file not ``given`` lie in the ``project`` folder."""
        return cls(**{**{name: project / where for name, where in PROJECT_LAYOUT.items()}, **given})

    @property
    def cache_dir(self) -> Path:
        return self.cache if self.cache is not None else self.staff / "cache"
