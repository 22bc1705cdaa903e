"""The bundled sample data is what reports/sample.py makes: seeded, byte for byte."""
from __future__ import annotations

from reports.load import load_inputs
from reports.sample import SAMPLE_DIR, write_sample


def test_sample_files_are_reproducible(tmp_path):
    written = write_sample(tmp_path)
    assert [p.name for p in written] == sorted(p.name for p in SAMPLE_DIR.iterdir())
    for path in written:
        assert path.read_bytes() == (SAMPLE_DIR / path.name).read_bytes(), path.name


def test_sample_is_clean_and_exercises_every_section():
    dataset = load_inputs(SAMPLE_DIR)
    assert dataset.errors == []
    assert [p.code for p in dataset.warnings] == ["W402"]  # one facility left unmapped on purpose
    assert len(dataset.used("charges")) > 100 and len(dataset.used("policies")) > 5
    assert len(dataset.corrections) == 1 and len(dataset.responses) == 1
    detainers = dataset.used("detainers")
    assert {"record", "staff", "none"} <= set(detainers["jurisdiction_source"])
    corrected = detainers[detainers["corrections"].fillna("") != ""]
    assert len(corrected) == 1 and corrected["outcome"].tolist() == ["other"]
