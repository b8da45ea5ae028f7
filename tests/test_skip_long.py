"""`check long NAME` and `explore --skip-long`: a long check is left out only when asked,
is never reported as passing, and is listed as not run with how to run it (text, JSON, the
gate's lines and totals); `--check` runs a long check it names; without the flag (and in
`pytest specs/`) every check runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_gate import _run

from explorer.lang.load import load_text

SPEC = """spec counter
var n: 0..3
var long: 0..1
init { n = 0
  long = 0 }
action up when n < 3 { n := n + 1 }
invariant small: n <= 2
terminal when n == 3
check long: expect violation small in 3 steps
check long wrong: expect holds
check long right: expect violation small in 3 steps
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "counter.mnt"
    p.write_text(SPEC)
    return p


def test_check_long_marks_the_check_and_long_stays_a_name() -> None:
    checks = load_text(SPEC).checks
    assert [(c.name, c.long) for c in checks] == [("long", False), ("wrong", True),
                                                  ("right", True)]


def test_a_word_other_than_long_before_the_name_is_a_syntax_error(spec: Path) -> None:
    spec.write_text(SPEC.replace("check long wrong", "check short wrong"))
    code, _, err = _run(str(spec))
    assert code == 150
    assert f"{spec}:10:7: error[E0001]: expected `with`, `only`, `except` or `:` after the " \
        "check's name, or `check long NAME`; `short` is not `long`" in err


def test_without_the_flag_every_check_runs(spec: Path) -> None:
    code, out, _ = _run(str(spec))
    assert code == 12  # the long check `wrong` fails
    assert out.splitlines()[-1] == f"{spec}: 3 checks, 2 as expected, 1 not (exit 12)"
    assert "not run" not in out


def test_skip_long_lists_the_long_checks_as_not_run(spec: Path) -> None:
    code, out, _ = _run(str(spec), "--skip-long")
    assert code == 0
    lines = out.splitlines()
    assert lines[-2:] == [
        "not run (long; run without --skip-long): wrong, right",
        f"{spec}: 1 check, 1 as expected, 0 not, 2 long not run (--skip-long) (exit 0)"]
    assert "PASS long" in lines and "PASS right" not in lines and "FAIL wrong" not in lines
    code, out, _ = _run(str(spec), "--skip-long", "--format", "json")
    data = json.loads(out)
    assert code == data["exit_code"] == 0
    assert [c["check"] for c in data["checks"]] == ["long"]
    assert data["long_not_run"] == ["wrong", "right"]


def test_check_runs_the_long_check_it_names(spec: Path) -> None:
    code, out, _ = _run(str(spec), "--skip-long", "--check", "wrong")
    assert code == 12 and "FAIL wrong" in out and "not run" not in out


def test_the_gate_lists_each_long_check_as_skip_and_counts_them(spec: Path) -> None:
    d = spec.parent
    code, out, _ = _run(str(d), "--skip-long")
    assert code == 0
    assert out.splitlines() == [
        f"SKIP {spec}:10 wrong: long, not run (run without --skip-long)",
        f"SKIP {spec}:11 right: long, not run (run without --skip-long)",
        f"PASS {spec}:9 long: violation of small in 3 steps",
        "1 spec, 1 checks, 1 as expected, 0 not, 2 long not run (--skip-long) (exit 0)"]
    code, out, _ = _run(str(d), "--skip-long", "--format", "json")
    [s] = json.loads(out)["specs"]
    assert code == 0 and s["long_not_run"] == ["wrong", "right"]
    assert [c["check"] for c in s["checks"]] == ["long"]
    code, out, _ = _run(str(d))
    assert code == 12 and out.splitlines()[-1] == \
        "1 spec, 3 checks, 2 as expected, 1 not (exit 12)"
