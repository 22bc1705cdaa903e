"""Fault injection for the publishing tests: a run kills itself, or waits, at a named point.

``REPORTS_KILL_AT=after-link-switch`` (for example) makes the run send itself SIGKILL the first time it
passes that point, as a power cut or an OOM kill would. ``REPORTS_PAUSE_AT=staged`` makes it wait there
(a minute at most), so a test can signal it at a known moment. ``REPORTS_FAIL_AT=render:2017-02-10`` makes
the render of that week fail as a WeasyPrint warning would (in whichever process renders it). Unset, as in every
real run, they do nothing.
"""
from __future__ import annotations

import os
import signal
import time

ENVIRONMENT_VARIABLE = "REPORTS_KILL_AT"
PAUSE_VARIABLE = "REPORTS_PAUSE_AT"
FAIL_VARIABLE = "REPORTS_FAIL_AT"
POINTS = ("after-link-switch", "before-index")


def kill_point(name: str) -> None:
    if os.environ.get(ENVIRONMENT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def pause_point(name: str, seconds: float = 60) -> None:
    if os.environ.get(PAUSE_VARIABLE) == name:
        time.sleep(seconds)


def fail_point(name: str) -> None:
    if os.environ.get(FAIL_VARIABLE) == name:
        from .exceptions import RenderError

        raise RenderError(f"failure injected at {name}")
