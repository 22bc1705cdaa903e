"""The blank templates staff fill in are recognised as their kinds, with every canonical column."""
from __future__ import annotations

import shutil
from pathlib import Path

from reports.contract import SPREADSHEET_TEMPLATES_DIR, write_blank_templates
from reports.load import load_inputs
from reports.schema import KINDS

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / SPREADSHEET_TEMPLATES_DIR


def test_blank_templates_are_recognised_and_complete(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for kind in KINDS:
        shutil.copy(TEMPLATES_DIR / f"{kind}.xlsx", inputs)
    dataset = load_inputs(inputs)
    assert dataset.problems == []
    recognised = {r.file: (r.kind, r.layout, r.rows_read) for r in dataset.reconciliation.itertuples()}
    assert recognised == {f"{k}.xlsx": (k, f"{k} (project template)", 0) for k in KINDS}


def test_shipped_templates_match_the_schema(tmp_path):
    import openpyxl

    write_blank_templates(tmp_path)
    for kind in KINDS.values():
        shipped = openpyxl.load_workbook(TEMPLATES_DIR / f"{kind.name}.xlsx").active
        fresh = openpyxl.load_workbook(tmp_path / f"{kind.name}.xlsx").active
        header = [c.value for c in shipped[3]]
        assert header == [c.name for c in kind.columns] == [c.value for c in fresh[3]]
