"""Structure that keeps the public tree safe: library guards on folders, frames declared once, no runtime asserts."""
from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from reports import cli, frames
from reports.exceptions import EXIT_INTERNAL, InternalError, UsageError
from reports.options import RunOptions
from reports.run import run_job

REPORTS = Path(__file__).resolve().parent.parent / "reports"


def folders(tmp_path: Path) -> RunOptions:
    (tmp_path / "inputs").mkdir()
    return RunOptions(inputs=tmp_path / "inputs", outputs=tmp_path / "out", staff=tmp_path / "staff",
                      settings=tmp_path / "settings.toml")


@pytest.mark.parametrize("where, message", [
    ({"cache": ("out", "cache")}, "cache folder .* is inside the outputs folder"),
    ({"cache": ("inputs", "cache")}, "cache folder .* is inside the inputs folder"),
    ({"settings": ("out", "settings.toml")}, "settings file .* is inside the outputs folder"),
    ({"staff": ("out", "staff")}, "staff folder .* is inside the outputs folder"),
    ({"outputs": ("staff", "public")}, "outputs folder .* is inside the staff folder"),
    ({"outputs": ("inputs", "public")}, "outputs folder .* is inside the inputs folder"),
    ({"outputs": ("cache", "public"), "cache": ("cache",)}, "outputs folder .* is inside the cache folder"),
])
@pytest.mark.parametrize("check", [False, True])
def test_the_library_refuses_folders_that_would_publish_staff_files(tmp_path, where, message, check):
    """run_job itself refuses, so a library caller cannot bypass the CLI's guard; nothing is written."""
    options = folders(tmp_path)
    for name, parts in where.items():
        setattr(options, name, tmp_path.joinpath(*parts))
    options.check = check
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(UsageError, match=message):
        run_job(options)
    assert sorted(tmp_path.rglob("*")) == before


def test_the_guard_comes_before_the_settings_file_is_read(tmp_path):
    options = folders(tmp_path)
    options.settings = tmp_path / "out" / "settings.toml"
    options.settings.parent.mkdir()
    options.settings.write_text("not = [valid toml", encoding="utf-8")
    with pytest.raises(UsageError, match="settings file .* is inside the outputs folder"):
        run_job(options)


def test_the_public_correction_log_has_no_identifier_or_staff_file_column():
    public = set(frames.PUBLIC_CORRECTION_LOG_COLUMNS) | set(frames.PUBLIC_RESPONSE_COLUMNS)
    assert not public & set(frames.IDENTIFIER_COLUMNS)
    assert not public & {"reference", *frames.SOURCE_COLUMNS}
    assert "detainer_id" in frames.STAFF_CORRECTION_LOG_COLUMNS  # the staff log does name detainers


def test_the_published_correction_log_has_exactly_the_public_columns(tmp_path):
    from test_corrections import load_scenario
    from reports.tables import corrections_and_responses

    dataset = load_scenario(tmp_path)
    jurisdictions = pd.DataFrame({"fips": ["42055"]})
    log, responses = corrections_and_responses(dataset, jurisdictions, pd.Timestamp("2017-04-01").date())
    assert list(log.columns) == list(frames.PUBLIC_CORRECTION_LOG_COLUMNS) and len(log) == 3
    assert list(responses.columns) == list(frames.PUBLIC_RESPONSE_COLUMNS) and len(responses) == 1


def test_a_frame_missing_a_declared_column_is_an_internal_error():
    frame = pd.DataFrame(columns=["source_file", "row_status"])
    frames.require_columns(frame, ["row_status"], "the test frame")
    with pytest.raises(InternalError, match="the test frame lacks the column.s. source_sheet, source_row"):
        frames.require_columns(frame, ["source_file", "source_sheet", "source_row"], "the test frame")


def test_an_empty_combined_frame_has_every_declared_column():
    from reports.join import combine

    for kind in ("detainers", "charges", "facilities", "policies", "corrections"):
        assert tuple(combine([], kind).columns) == frames.read_columns(kind)


def test_an_internal_error_is_reported_as_a_bug_with_its_traceback(tmp_path, monkeypatch, capsys):
    def broken(options, progress):
        raise InternalError("an invariant broke")

    monkeypatch.setattr(cli, "run_job", broken)
    assert cli.run(folders(tmp_path)) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error (please report it)" in err and "InternalError: an invariant broke" in err


def test_no_assert_statements_in_the_library():
    """Asserts vanish under python -O: runtime invariants raise InternalError instead."""
    found = [f"{path.name}:{node.lineno}" for path in sorted(REPORTS.glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Assert)]
    assert found == []
