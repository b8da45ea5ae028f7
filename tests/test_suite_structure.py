"""tests/conftest.py: a gate item whose check a pinned test of the same session runs and
asserts is skipped, with a reason naming that test; when that test is not selected (or not
collected at all), the gate item runs. A skipped gate item never counts as passed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SPEC = """spec tiny
var n: 0..3
init { n = 0 }
action up when n < 2 { n := n + 1 }
invariant small: n <= 2
terminal when n == 2
check fine: expect holds
check other: expect holds
"""

PINNED = """from pathlib import Path
import pytest
SPEC = Path(__file__).resolve().parent.parent / "specs" / "tiny.mnt"
@pytest.mark.parametrize("name", ["fine"])
def test_check_outcome_and_figures(name):
    assert name == "fine"
"""


def _run(root: Path, *args: str) -> list[str]:
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0",
                        "-p", "no:randomly", "-rs", "-v", *args], cwd=root,
                       capture_output=True, text=True)
    return r.stdout.splitlines()


def test_gate_items_of_pinned_checks_are_skipped_and_say_by_whom(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "tiny.mnt").write_text(SPEC)
    (tmp_path / "tests").mkdir()
    shutil.copy(TESTS / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "test_tiny.py").write_text(PINNED)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests specs\n")
    out = _run(tmp_path)
    assert any(ln.startswith("specs/tiny.mnt::fine SKIPPED") for ln in out)
    assert "SKIPPED [1] specs/tiny.mnt: run and asserted by " \
        "tests/test_tiny.py::test_check_outcome_and_figures[fine]" in out
    assert any(ln.startswith("specs/tiny.mnt::other PASSED") for ln in out)  # not pinned
    assert any(ln.startswith("tests/test_tiny.py::test_check_outcome_and_figures[fine] PASSED")
               for ln in out)
    assert out[-1].startswith("=") and "2 passed, 1 skipped" in out[-1]
    # the pinned test deselected, or not collected: the gate runs the check itself
    for args in (["-k", "not outcome"], ["specs"]):
        out = _run(tmp_path, *args)
        assert any(ln.startswith("specs/tiny.mnt::fine PASSED") for ln in out), out
        assert "skipped" not in out[-1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """The README's two commands set up a fresh Debian machine themselves (Graphviz from
    Debian's `graphviz` package, the C compiler from `gcc`, venv from `python3-venv`), and
    `.ci/run` runs the test command as written."""
    readme = (TESTS.parent / "README.md").read_text()
    start = readme.index("## Set up and run")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme[start:readme.index("\n## ", start + 1)],
                        re.S)
    assert len(blocks) == 2
    setup = "sudo apt-get update && sudo apt-get install -y graphviz gcc python3-venv && "
    assert all(b.startswith(setup) for b in blocks)
    ci = (TESTS.parent / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == blocks[1] and "pytest" in blocks[1]
