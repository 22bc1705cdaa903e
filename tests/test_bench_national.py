"""The benchmark's national input set (bench/national.py): deterministic, and clean for the ingest.

Small (2,000 detainers) and untimed: speed is measured by bench/run.py, never by a test.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from bench import national
from reports.load import load_inputs

ROWS = 2_000
pytestmark = pytest.mark.slow  # building the set takes seconds whatever its size (the facility list, the workbooks)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("national")
    return folder, national.build(folder, rows=ROWS, variants=True)


def test_same_parameters_same_bytes(built, tmp_path):
    _, first = built
    second = national.build(tmp_path, rows=ROWS, variants=False)  # the inputs again, without the variants
    inputs = {rel: f for rel, f in first["files"].items() if rel.startswith("inputs/")}
    assert inputs == second["files"]
    assert set(first["files"]) - set(inputs) == {f"variants/{name}" for name in (
        national.EARLIER_FILE, national.NEXT_WEEK_FILE, "policies-revised.xlsx", "policies-new.xlsx",
        "facilities.xlsx")}


def test_the_set_is_read_with_no_errors(built, tmp_path):
    folder, manifest = built
    inputs = tmp_path / "inputs"
    shutil.copytree(folder / "inputs", inputs)
    dataset = load_inputs(inputs)
    assert dataset.errors == []
    # the 47 export columns the project does not read, and no facility map: nothing else
    assert sorted({p.code for p in dataset.warnings}) == ["W202", "W402"]
    detainers = dataset.used("detainers")
    assert len(detainers) == ROWS == manifest["rows"]
    assert detainers["date_issued"].min().date() >= national.FIRST_DAY
    assert detainers["date_issued"].max().date() <= national.LAST_DAY
    assert (detainers["outcome"] == "declined").sum() == manifest["declined"]
    assert len(dataset.used("charges")) == manifest["charges"] > 0
    assert dataset.used("charges")["subsequent"].all()  # every arrest after its decline
    assert len(dataset.used("policies")) == 30
    assert detainers["subject_id"].nunique() == manifest["subjects"] < ROWS  # some people have several



def test_the_earlier_export_holds_the_same_detainers(built):
    """Same identity fields in the same order (so the derived detainer IDs match), a month fewer rows.

    (Loading both files is left to bench/run.py: the duplicate resolution is what it measures.)"""
    import python_calamine

    folder, manifest = built

    def rows(path):
        return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()

    main = rows(folder / "inputs" / national.MAIN_FILE)
    earlier = rows(folder / "variants" / national.EARLIER_FILE)
    assert main[6] == earlier[6] == national.COLUMN_ORDER  # the header, on row 7
    identity = [national.COLUMN_ORDER.index(c) for c in (
        "Detainer Prepare Date", "Unique Identifier", "Detention Facility Code", "Detention Facility", "Detainer Type")]
    key = lambda row: [row[i] for i in identity]  # noqa: E731
    n = manifest["earlier_export"]["rows"]
    assert len(earlier) - 7 == n < len(main) - 7 == ROWS
    assert [key(r) for r in earlier[7:]] == [key(r) for r in main[7:7 + n]]
    lift = national.COLUMN_ORDER.index("Detainer Lift Reason")
    differ = sum(a[lift] != b[lift] for a, b in zip(earlier[7:], main[7:7 + n]))
    assert differ >= manifest["earlier_export"]["outcomes_recorded_differently"] > 0


def test_the_shared_strings_copy_holds_the_same_cells_and_gives_the_same_dataset(built, tmp_path):
    """bench/run.py's shared-strings rows read a copy of the main file with its text in xl/sharedStrings.xml, as
    ICE's exports are: every cell the same for calamine, every figure the same for the project."""
    import zipfile

    import python_calamine

    folder, _ = built
    copy = national.shared_strings_variant(folder)
    with zipfile.ZipFile(copy) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
        assert b"inlineStr" not in archive.read("xl/worksheets/sheet1.xml")

    def rows(path):
        return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()

    assert rows(copy) == rows(folder / "inputs" / national.MAIN_FILE)
    datasets = []
    for name, workbook in (("inline", folder / "inputs" / national.MAIN_FILE), ("shared", copy)):
        inputs = tmp_path / name
        inputs.mkdir()
        shutil.copy(workbook, inputs / national.MAIN_FILE)
        shutil.copy(folder / "inputs" / "charges.csv", inputs / "charges.csv")
        datasets.append(load_inputs(inputs))
    inline, shared = datasets
    pd.testing.assert_frame_equal(inline.detainers, shared.detainers)
    pd.testing.assert_frame_equal(inline.charges, shared.charges)
    assert inline.problems == shared.problems


def test_a_benchmark_run_keeps_the_hand_written_part_of_the_document(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(national.__file__).parent))  # run.py imports its sibling as a script
    from bench import run

    old = "# old figures\n\n| a | 1 |\n\n" + run.KEPT_PART + "\n\n## How far this design scales\n\nBy hand.\n"
    new = run.with_kept_part("# new figures\n\n| a | 2 |\n", old)
    assert new.startswith("# new figures\n\n| a | 2 |\n\n" + run.KEPT_PART)
    assert new.endswith("## How far this design scales\n\nBy hand.\n") and "old figures" not in new
    assert run.with_kept_part("# first\n", "").endswith(run.KEPT_PART + "\n")
