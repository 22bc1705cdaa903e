"""The test helpers' stand-ins behave as the tests that use them assume (tests/cli_helpers.py)."""
from __future__ import annotations

import io

import pdfplumber
import pytest
from pdfplumber.utils.exceptions import PdfminerException
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from cli_helpers import run_cli, stub_render_pdf


def test_a_stubbed_pdf_cannot_be_read_as_a_pdf():
    """A test that reads the PDF of a stubbed run must fail, never pass on the stand-in."""
    stub = stub_render_pdf("<p>report</p>", None)
    with pytest.raises(PyPdfError):
        PdfReader(io.BytesIO(stub)).pages[0].extract_text()
    with pytest.raises(PdfminerException):
        pdfplumber.open(io.BytesIO(stub)).pages[0].extract_text()


def test_a_stubbed_pdf_differs_when_the_report_differs():
    assert stub_render_pdf("<p>a</p>", None) == stub_render_pdf("<p>a</p>", None)
    assert stub_render_pdf("<p>a</p>", None) != stub_render_pdf("<p>b</p>", None)


def test_the_command_line_in_this_process_keeps_stdout_and_stderr_apart(tmp_path):
    result = run_cli("--check", "--inputs", tmp_path / "missing", "--staff", tmp_path / "staff")
    assert result.exit_code == 2
    assert result.stdout == "" and "does not exist" in result.stderr
