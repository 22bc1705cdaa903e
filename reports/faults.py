"""Fault injection for the publishing tests: a run kills itself, or waits, at a named point.

``REPORTS_KILL_AT=after-link-switch`` (for example) makes the run send itself SIGKILL the first time it
passes that point, as a power cut or an OOM kill would. ``REPORTS_PAUSE_AT=staged`` makes it wait there
(a minute at most), so a test can signal it at a known moment. Unset, as in every real run, they do nothing.
"""
from __future__ import annotations

import os
import signal
import time

ENVIRONMENT_VARIABLE = "REPORTS_KILL_AT"
PAUSE_VARIABLE = "REPORTS_PAUSE_AT"
POINTS = ("after-link-switch", "before-index")


def kill_point(name: str) -> None:
    if os.environ.get(ENVIRONMENT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def pause_point(name: str, seconds: float = 60) -> None:
    if os.environ.get(PAUSE_VARIABLE) == name:
        time.sleep(seconds)
