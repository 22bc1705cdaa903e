"""Documentation that names code stays in step with it."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_named_in_the_security_page_exists():
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named, current = [], None
    for match in re.finditer(r"`(test_\w+\.py)::(test_\w+)`|`::(test_\w+)`", text):
        current = match.group(1) or current
        named.append((current, match.group(2) or match.group(3)))
    assert len(named) > 30
    missing = [(f, t) for f, t in named if f"def {t}(" not in (ROOT / "tests" / f).read_text(encoding="utf-8")]
    assert missing == []
