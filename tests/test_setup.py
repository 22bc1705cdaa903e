"""scripts/check-system.sh, which `make report` and `make test` run first: one message, the exact apt-get line."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check-system.sh"
APT_INSTALL = re.compile(r"apt-get install -y(?: -qq)? ((?:[\w.+-]+[ \\\n]*)+)")


def check_system(tmp_path: Path, *args: str, installed=(), commands=(), python_can_venv=True):
    """Run the script on a PATH holding only stubs: dpkg-query knows the ``installed`` packages, and the only
    other commands are ``commands`` and python3."""
    stubs = tmp_path / "bin"
    stubs.mkdir(parents=True)
    for name, body in {
        "dpkg-query": f'case " {" ".join(installed)} " in *" $3 "*) printf installed;; *) exit 1;; esac',
        "python3": 'case "$2" in *ensurepip*) exit ' + ("0" if python_can_venv else "1") + ";; esac",
        **{command: "" for command in commands},
    }.items():
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
    return subprocess.run(["/bin/sh", str(SCRIPT), *args], capture_output=True, text=True,
                          env={"PATH": str(stubs)})


WEASYPRINT = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core")


def test_nothing_missing_says_nothing(tmp_path):
    result = check_system(tmp_path, "python3", "--test", installed=(*WEASYPRINT, "libatomic1"),
                          commands=("chromium", "pdftoppm"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_what_is_missing_is_named_in_one_apt_line(tmp_path):
    result = check_system(tmp_path, "python3", installed=WEASYPRINT[1:], python_can_venv=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "    sudo apt-get update && sudo apt-get install -y python3-venv libpango-1.0-0\n" in result.stderr
    assert len(re.findall("apt-get install", result.stderr)) == 1


def test_the_test_tools_are_checked_only_for_the_tests(tmp_path):
    assert check_system(tmp_path, "python3", installed=WEASYPRINT).returncode == 0
    result = check_system(tmp_path / "t", "python3", "--test", installed=WEASYPRINT, commands=("chromium-browser",))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].endswith("apt-get install -y poppler-utils libatomic1")


def test_readme_and_ci_install_everything_the_check_asks_for(tmp_path):
    result = check_system(tmp_path, "no-such-python", "--test")
    asked = set(APT_INSTALL.search(result.stderr).group(1).split())
    assert {"python3", "python3-venv", *WEASYPRINT, "chromium", "poppler-utils", "libatomic1"} == asked
    for document in ("README.md", ".ci/run"):
        listed = set(APT_INSTALL.search((ROOT / document).read_text(encoding="utf-8")).group(1).replace("\\", " ").split())
        assert asked <= listed, document
