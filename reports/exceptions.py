"""Every error the library raises on purpose, under one base class, each with the exit code the CLI uses.

The CLI (``reports.cli``) maps a ``ReportsError`` to one line on stderr and its ``exit_code``; anything
else is a bug (exit 5, with the traceback). Input problems in staff files are not exceptions: they are
``errors.Problem`` records, every one reported in one run (exit 1).
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_INPUT_ERRORS = 1
EXIT_USAGE = 2
EXIT_RENDER_FAILED = 3
EXIT_BUSY = 4
EXIT_INTERNAL = 5
EXIT_ENVIRONMENT = 6
EXIT_SIGINT = 130  # 128 + the signal number, as shells report a run stopped by a signal
EXIT_SIGTERM = 143


class ReportsError(Exception):
    """Base class: a run that cannot go on, for a reason the message states in one line."""

    exit_code = EXIT_INTERNAL


class InternalError(ReportsError):
    """A broken invariant of the library itself (a bug, not bad input): the CLI prints the traceback (exit 5).

    Raised by explicit checks instead of ``assert``, which ``python -O`` removes."""

    exit_code = EXIT_INTERNAL


class UsageError(ReportsError):
    """Wrong options, a missing or misplaced folder, a bad settings file."""

    exit_code = EXIT_USAGE


class SettingsError(UsageError):
    """The settings file cannot be used."""


class PublicTreeError(UsageError):
    """The outputs folder holds something this program did not put there; nothing was changed."""


class ClockError(UsageError):
    """The machine's date is earlier than a publication already made: refuse rather than date backwards."""


class RenderError(ReportsError):
    """The report could not be rendered (or WeasyPrint warned); nothing was published."""

    exit_code = EXIT_RENDER_FAILED


class Busy(ReportsError):
    """Another run holds the lock on the outputs folder; this one did nothing."""

    exit_code = EXIT_BUSY


class EnvironmentProblem(ReportsError):
    """The machine refused: disk full, permission denied, read-only or cross-device folder."""

    exit_code = EXIT_ENVIRONMENT


class Interrupted(ReportsError):
    """SIGINT or SIGTERM: staging was cleaned up and the previous publication stands."""

    def __init__(self, signal_name: str, exit_code: int):
        super().__init__(f"stopped by {signal_name}")
        self.exit_code = exit_code
