"""Make the project importable however pytest is started (``pytest``, ``python -m pytest``)."""
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_settle_pause(monkeypatch):
    """Files a test has just written are "modified in the last few seconds", so the ingest would wait a second
    before looking at them again (reports.input_files.read_inputs). In-process tests skip the wait, not the second
    look; the tests of that check (tests/test_input_files.py) put a pause of their own in its place."""
    from reports import input_files

    monkeypatch.setattr(input_files, "pause", lambda seconds: None)
