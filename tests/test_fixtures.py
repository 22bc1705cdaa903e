"""The committed fixture files are exactly what tests/make_fixtures.py writes."""
from __future__ import annotations

import make_fixtures
from ingest_helpers import FIXTURES
from shared_data import PA_DETAINERS


def test_committed_fixtures_match_the_script(tmp_path):
    make_fixtures.main(tmp_path)
    written = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(FIXTURES).as_posix(): p.read_bytes() for p in FIXTURES.rglob("*") if p.is_file()}
    if not PA_DETAINERS.exists():  # the FOIA case is copied from the real extract; keep the committed copy
        committed = {k: v for k, v in committed.items() if not k.startswith("foia_export/")}
    assert sorted(written) == sorted(committed)
    stale = [name for name in written if written[name] != committed[name]]
    assert stale == [], "run: python tests/make_fixtures.py"
    assert set(make_fixtures.CASES) == {p.name for p in FIXTURES.iterdir() if p.is_dir()}
