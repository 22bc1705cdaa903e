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


def readme_setup_commands() -> list[str]:
    """The lines of the README's set-up code blocks (section "Set-up, run, test")."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Set-up, run, test\n", 1)[1].split("\n## ", 1)[0]
    return [line for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S) for line in block.splitlines()]


def test_ci_runs_the_readme_test_command():
    readme_test = [line for line in readme_setup_commands() if line.startswith("make test")][0]
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    assert readme_test == "make test"
    assert ci_lines[-1] == readme_test  # the last thing CI does, after installing the system packages


def readme_development_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Development\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_architecture_names_every_module_once():
    """Every module of reports/ has its bullet in the README's Development section, and every bullet
    that names a module (a line starting "- `name`:") names one that exists."""
    import pkgutil

    import reports

    modules = {m.name for m in pkgutil.iter_modules(reports.__path__)} - {"__init__", "__main__"}
    section = readme_development_section()
    bullets = re.findall(r"^\s*- `([A-Za-z_]\w*)`:", section, flags=re.M)
    assert sorted(m for m in modules if f"`{m}`" not in section) == []
    assert sorted(set(bullets) - modules) == []  # a bullet for a module that no longer exists
    assert sorted(m for m in modules if bullets.count(m) != 1) == []  # one bullet each
