"""Where the shared real data lie: files too large or too sensitive to commit (the PA extract), kept outside the
checkout (``../shared/data`` beside it in CI, ``/work/shared/data`` on the team's machines).

One rule, for every test and for make_fixtures.py: ``$DETAINER_SHARED_DATA`` when set, else the first
``shared/data`` folder found beside the checkout or beside one of the folders above it. A test that needs a
shared file is skipped when the file is absent, saying where it was looked for.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ENVIRONMENT_VARIABLE = "DETAINER_SHARED_DATA"
CHECKOUT = Path(__file__).resolve().parent.parent


def find_shared_data() -> Path:
    """The shared data folder by the rule above (when there is none: where CI puts it, which does not exist)."""
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return Path(os.environ[ENVIRONMENT_VARIABLE])
    candidates = [folder / "shared" / "data" for folder in CHECKOUT.parents]
    return next((folder for folder in candidates if folder.is_dir()), candidates[0])


SHARED_DATA = find_shared_data()
PA_DETAINERS = SHARED_DATA / "pa_detainers.csv"


def missing_reason(path: Path) -> str:
    return f"shared data not found at {path}; set {ENVIRONMENT_VARIABLE} to the folder that holds it"


needs_pa_detainers = pytest.mark.skipif(not PA_DETAINERS.is_file(), reason=missing_reason(PA_DETAINERS))
