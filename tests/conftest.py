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


@pytest.fixture(autouse=True)
def fast_publishing(request, monkeypatch):
    """Publishing in tests renders editions in this process, without fsync, and with stand-ins for WeasyPrint
    and the matplotlib trend chart unless the test is marked ``real_render`` (tests/cli_helpers.py).
    Module-scoped fixtures are set up before this one: they use ``cli_helpers.fast_rendering``. A test that
    sets ``run.RENDER_WORKERS`` itself gets its worker processes, which render for real."""
    from cli_helpers import patch_for_fast_publishing

    patch_for_fast_publishing(monkeypatch, real_render=request.node.get_closest_marker("real_render") is not None)
