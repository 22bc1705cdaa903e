"""Fixtures for every test. The ``reports`` package is imported as installed (``pip install -e .``, which
``make test`` does)."""
import pytest


@pytest.fixture(autouse=True)
def no_settle_pause(monkeypatch):
    """Files a test has just written are "modified in the last few seconds", so the ingest would wait a second
    before looking at them again (reports.input_files.read_inputs). In-process tests skip the wait, not the second
    look; the tests of that check (tests/test_input_files.py) put a pause of their own in its place."""
    from reports import input_files

    monkeypatch.setattr(input_files, "pause", lambda seconds: None)
