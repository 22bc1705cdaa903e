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
    before looking at them again (reports.ingest.read_inputs). In-process tests skip the wait, not the second
    look; the tests of that check (tests/test_input_files.py) put a pause of their own in its place."""
    from reports import ingest

    monkeypatch.setattr(ingest, "pause", lambda seconds: None)


@pytest.fixture(autouse=True)
def fast_publishing(request, monkeypatch):
    """Publishing in tests renders editions in this process, without fsync, and with stand-ins for WeasyPrint
    and the matplotlib trend chart unless the test is marked ``real_render`` (tests/cli_helpers.py).
    Module-scoped fixtures are set up before this one: they use ``cli_helpers.fast_rendering``. A test that
    sets ``job.RENDER_WORKERS`` itself gets its worker processes, which render for real."""
    from cli_helpers import patch_for_fast_publishing

    patch_for_fast_publishing(monkeypatch, real_render=request.node.get_closest_marker("real_render") is not None)
