"""Fault injection for the publishing tests: a run kills itself at a named point.

``REPORTS_KILL_AT=after-link-switch`` (for example) makes the run send itself SIGKILL the first time it
passes that point, as a power cut or an OOM kill would. Unset, as in every real run, it does nothing.
"""
from __future__ import annotations

import os
import signal

ENVIRONMENT_VARIABLE = "REPORTS_KILL_AT"
POINTS = ("after-link-switch", "before-index")


def kill_point(name: str) -> None:
    if os.environ.get(ENVIRONMENT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
