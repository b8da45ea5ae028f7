"""The CI gate: `explore` over several specs or a directory, one line per check; GitHub
annotations for the checks that fail; the coverage gate (--fail-on-unfired)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from explorer.cli import main

COUNTER = """spec counter
var n: 0..3
init { n = 0 }
action up when n < 2 { n := n + 1 }
action never when n > 5 { n := 0 }
invariant small: n <= 2
terminal when n == 2
check ok: expect holds
"""

BROKEN = """spec broken
var n: 0..3
init { n = 0 }
action up when n < 3 { n := n + 1 }
invariant small: n <= 2
terminal when n == 3
check claims_too_much: expect holds
check right: expect violation small in 3 steps
"""


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "-q"], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "a_counter.mnt").write_text(COUNTER)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.mnt").write_text(BROKEN)
    (tmp_path / "notes.txt").write_text("not a spec")
    return tmp_path


def test_a_directory_runs_every_spec_under_it_one_line_per_check(specs: Path) -> None:
    code, out, _ = _run(str(specs))
    a, b = specs / "a_counter.mnt", specs / "sub" / "broken.mnt"
    lines = out.splitlines()
    assert f"PASS {a}:8 ok: every invariant holds" in lines
    assert f"FAIL {b}:7 claims_too_much: violation of small in 3 steps" in lines
    assert f"PASS {b}:8 right: violation of small in 3 steps" in lines
    assert lines[-1] == "2 specs, 3 checks, 2 as expected, 1 not (exit 12)"
    assert code == 12
    # the failing check gets its full report (the trace) above its line; a passing one not
    assert "State 0 (initial)" in out and out.count("State 0 (initial)") == 1


def test_several_files_and_the_same_as_json(specs: Path) -> None:
    a, b = str(specs / "a_counter.mnt"), str(specs / "sub" / "broken.mnt")
    code, out, _ = _run(a, b, "--format", "json")
    data = json.loads(out)
    assert code == data["exit_code"] == 12
    assert [s["spec"] for s in data["specs"]] == [a, b]
    assert [s["exit_code"] for s in data["specs"]] == [0, 12]
    assert [[c["check"] for c in s["checks"]] for s in data["specs"]] == \
        [["ok"], ["claims_too_much", "right"]]


def test_check_selects_in_every_spec_that_has_it(specs: Path) -> None:
    code, out, _ = _run(str(specs), "--check", "right")
    assert code == 0 and out.splitlines()[-1] == "2 specs, 1 checks, 1 as expected, 0 not (exit 0)"
    code, _, err = _run(str(specs), "--check", "nowhere")
    assert code == 2 and "no check named `nowhere` in any of the 2 specs" in err


def test_github_annotations_point_at_the_failing_check(specs: Path) -> None:
    code, out, _ = _run(str(specs), "--annotations", "github")
    b = specs / "sub" / "broken.mnt"
    notes = [ln for ln in out.splitlines() if ln.startswith("::")]
    assert notes == [f"::error file={b},line=7,title=check claims_too_much::"
                     "expected every invariant to hold, found violation of small in 3 steps"]
    assert code == 12


def test_fail_on_unfired_fails_a_complete_check_with_a_dead_action(specs: Path) -> None:
    a = str(specs / "a_counter.mnt")
    assert _run(a)[0] == 0
    code, out, _ = _run(a, "--fail-on-unfired")
    assert code == 4
    assert "FAIL ok: never fired: never (--fail-on-unfired)" in out
    # a check that stops at its counterexample has not explored everything: not judged
    b = str(specs / "sub" / "broken.mnt")
    assert _run(b, "--check", "right", "--fail-on-unfired")[0] == 0


def test_a_directory_without_specs_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _run(str(tmp_path))
    assert code == 2 and "no .mnt file under this directory" in err


# ---------------------------------------------------------------------------------------
# The pytest plugin: `pytest specs/` is the gate

# the plugin itself is loaded through its pytest11 entry point, as in any install
pytest_plugins = ["pytester"]


def test_pytest_collects_every_check_and_fails_the_unexpected(pytester: pytest.Pytester) -> None:
    pytester.makefile(".mnt", counter=COUNTER, broken=BROKEN, bad="spec bad\nvar x: bool\n"
                      "init { x = 3 }\n")
    r = pytester.runpytest("--junitxml=gate.xml", "-rA")
    r.assert_outcomes(passed=2, failed=2)
    out = r.stdout.str()
    assert "PASSED counter.mnt::ok" in out and "PASSED broken.mnt::right" in out
    assert "FAILED broken.mnt::claims_too_much" in out and "FAILED bad.mnt::spec" in out
    # the failure is explore's own report, with the trace, not a Python traceback
    assert "found violation of small in 3 steps" in out and "State 0 (initial)" in out
    assert "Traceback" not in out
    assert "error[E" in out  # the spec error's diagnostic
    xml = (pytester.path / "gate.xml").read_text()
    assert 'tests="4"' in xml and 'failures="2"' in xml and 'name="claims_too_much"' in xml


def test_pytest_selects_checks_and_gates_coverage(pytester: pytest.Pytester) -> None:
    pytester.makefile(".mnt", counter=COUNTER)
    r = pytester.runpytest("-k", "ok")
    r.assert_outcomes(passed=1)
    r = pytester.runpytest("--mnt-fail-on-unfired")
    r.assert_outcomes(failed=1)
    assert "never fired: never" in r.stdout.str()


def test_mnt_paths_limits_collection(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmnt_paths = gate\n")
    pytester.mkdir("gate")
    (pytester.path / "gate" / "counter.mnt").write_text(COUNTER)
    (pytester.path / "broken.mnt").write_text(BROKEN)
    pytester.runpytest().assert_outcomes(passed=1)
    # a file named on the command line is collected wherever it is
    pytester.runpytest("broken.mnt").assert_outcomes(passed=1, failed=1)
