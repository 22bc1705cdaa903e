"""Running the command line in the test process; publishing fast: stand-ins for the PDF renderer and the trend
chart, one render worker, no fsync.

Every test that runs ``python generate.py`` as staff and cron do goes through ``run_cli``: the same click
command, its exit code, stdout and stderr, without starting Python, importing pandas and WeasyPrint, and
waiting for the ingest's settle pause in a new process each time. Only the tests that need a real process
(two runs locking each other, SIGTERM, kill -9) start one, with ``generate_command``.
"""
from __future__ import annotations

import hashlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reports import publish, render, run
from reports.cli import main

PROJECT = Path(__file__).resolve().parent.parent

# Not a PDF on purpose: pypdf and pdfplumber refuse these bytes, so a test that reads the PDF of a stubbed
# run fails at once instead of passing on a stand-in. Such a test is marked ``real_render``.
STUB_PDF_HEADER = b"NOT A PDF: tests stub the PDF renderer (tests/cli_helpers.py); mark the test real_render\n"


def run_cli(*args) -> Result:
    """``python generate.py ARGS`` in this process: ``exit_code``, ``stdout`` and ``stderr`` as cron sees them."""
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def generate_command(*args) -> list[str]:
    """The argv of a real ``generate.py`` process, for the tests where a process of its own matters."""
    return [sys.executable, str(PROJECT / "generate.py"), *map(str, args)]


def stub_render_pdf(html: str, published) -> bytes:
    """Stands in for ``render.render_pdf``: a few bytes that differ whenever the HTML differs, so manifests,
    hashes, revisions and 'nothing changed' behave as with the real PDF."""
    return STUB_PDF_HEADER + hashlib.sha256(html.encode("utf-8")).hexdigest().encode("ascii") + b"\n"


def stub_trend_chart_svg(report, phone: bool = False) -> bytes:
    """Stands in for ``chart.trend_chart_svg`` (matplotlib: half the time of a run without the PDF): an empty
    picture that still differs with the trend it stands for."""
    digest = hashlib.sha256(report.trend.to_csv().encode("utf-8")).hexdigest()
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="3"><desc>trend chart stub '
            f'{"phone " if phone else ""}{digest}</desc></svg>').encode("ascii")


def stub_pdf_and_chart(monkeypatch) -> None:
    monkeypatch.setattr(publish, "render_pdf", stub_render_pdf)
    monkeypatch.setattr(render, "trend_chart_svg", stub_trend_chart_svg)


def no_fsync(monkeypatch) -> None:
    """fsync makes a publication survive a power cut, which no test in this process can observe (the kill -9
    tests run real processes, which do fsync); on a busy disk it is a good part of a run's time."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def one_render_worker(monkeypatch) -> None:
    """Editions render in this process, where the stub is patched in, instead of spawned processes that
    would each pay their own start-up and render real PDFs."""
    monkeypatch.setattr(run, "RENDER_WORKERS", 1)


def patch_for_fast_publishing(monkeypatch, real_render: bool = False) -> None:
    no_fsync(monkeypatch)
    one_render_worker(monkeypatch)
    if not real_render:
        stub_pdf_and_chart(monkeypatch)


@contextmanager
def fast_rendering():
    """``patch_for_fast_publishing`` for module-scoped fixtures, which are set up before tests/conftest.py's
    autouse fixture applies it to each test."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        patch_for_fast_publishing(monkeypatch)
        yield
