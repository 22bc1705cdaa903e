"""Where the installed command and generate.py take their default folders from; files shipped in the package."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reports.cli import main
from reports.options import RunOptions
from reports.resources import package_path


def check_in(project: Path, monkeypatch, cwd: Path, **invoke) -> None:
    (project / "inputs").mkdir(parents=True)
    cwd.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, ["--check"], **invoke)
    assert result.exit_code == 0, result.output


def test_the_console_script_uses_the_current_directory(tmp_path, monkeypatch):
    check_in(tmp_path, monkeypatch, cwd=tmp_path)
    assert (tmp_path / "staff" / "check-report.txt").is_file()


def test_generate_py_passes_its_own_folder(tmp_path, monkeypatch):
    check_in(tmp_path / "project", monkeypatch, cwd=tmp_path / "elsewhere", obj=tmp_path / "project")
    assert (tmp_path / "project" / "staff" / "check-report.txt").is_file()
    assert not (tmp_path / "elsewhere" / "staff").exists()
    assert "console(obj=Path(__file__).resolve().parent)" in (Path(__file__).parent.parent / "generate.py").read_text()


def test_default_folders_and_shipped_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = RunOptions()
    assert (options.inputs, options.outputs, options.staff, options.settings) == (
        tmp_path / "inputs", tmp_path / "outputs", tmp_path / "staff", tmp_path / "settings.toml")
    assert options.sample_inputs == package_path("data", "sample")
    assert (package_path("templates") / "report.html.j2").is_file()
    assert (options.sample_inputs / "detainers.xlsx").is_file()
