"""The `explore` command end to end: exit codes, checks, overrides, limits, reports."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from explorer.cli import main

REPO = Path(__file__).resolve().parent.parent


def explore(tmp_path: Path, text: str, *args: str, name: str = "spec.mnt") -> tuple[int, str, str]:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main([str(spec), "--quiet", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def explore_json(tmp_path: Path, text: str, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = explore(tmp_path, text, "--format", "json", *args)
    return code, json.loads(out)


def status_lines(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith(("PASS ", "FAIL "))]


COUNTER = """
spec demo
param N: int = 3
param M: int = 1
var x: 0..5
var y: bool
var z: 0..1
init { x = 0  y = false  z = 0 }
action inc when x < N { x := x + M }
action flip { y := not y }
action never when x > 5 { z := 1 }
invariant small: x < 3
check ok with N = 2: expect holds
check bad: expect violation small in 3 steps
check big with N = 4, M = 2: expect violation small in 2 steps
"""


# ---------------------------------------------------------------------------------------
# Exit codes


def test_exit_0_every_check_as_expected(tmp_path: Path) -> None:
    code, out, err = explore(tmp_path, COUNTER)
    assert code == 0
    assert status_lines(out) == ["PASS ok", "PASS bad", "PASS big"]
    assert out.rstrip().endswith("3 checks, 3 as expected, 0 not (exit 0)")
    assert "check ok with N = 2 [line 13]: expect holds" in out  # only what was overridden
    assert "check bad [line 14]: expect violation small in 3 steps" in out
    assert err == ""


def test_exit_1_expected_violation_not_found(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER + "check wrong with N = 2: expect violation small\n")
    assert code == 1
    assert status_lines(out)[-1].startswith("FAIL wrong: expected violation small, but the "
                                            "exploration was complete and found none")
    assert "4 checks, 3 as expected, 1 not (exit 1)" in out


def test_exit_1_wrong_number_of_steps(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER + "check off: expect violation small in 2 steps\n",
                           "--check", "off")
    # the violation was found, but not in the declared number of steps: its own exit code
    assert code == 12
    assert status_lines(out) == ["FAIL off: expected violation small in 2 steps, found "
                                 "violation of small in 3 steps"]


def test_exit_3_state_limit(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER, "--check", "ok", "--max-states", "2")
    assert code == 3
    assert "stopped at the state limit 2" in out
    assert "incomplete" in out
    assert status_lines(out) == ["FAIL ok: stopped at the state limit 2 before an answer"]


def test_exit_3_depth_limit_never_claims_holds(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER, "--check", "ok", "--max-depth", "1")
    assert code == 3
    assert "stopped at the depth limit 1" in out
    assert "every invariant holds" not in out


DEADLOCK = """spec t
var x: 0..3
init { x = 0 }
action inc when x < 2 { x := x + 1 }
"""


def test_exit_11_deadlock(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, DEADLOCK)
    assert code == 11
    assert "deadlock after 2 steps: no action is enabled and the state is not terminal" in out
    assert status_lines(out) == ["FAIL default: expected every invariant to hold, found "
                                 "deadlock in 2 steps"]


def test_no_deadlock_option(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, DEADLOCK, "--no-deadlock")
    assert code == 0
    assert status_lines(out) == ["PASS default"]


def test_expected_deadlock_passes(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, DEADLOCK + "check stuck: expect deadlock in 2 steps\n")
    assert code == 0
    assert status_lines(out) == ["PASS stuck"]


def test_exit_12_violation(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER.split("check ok")[0])
    assert code == 12
    assert "invariant small is violated after 3 steps" in out
    assert status_lines(out) == ["FAIL default: expected every invariant to hold, found "
                                 "violation of small in 3 steps"]


def test_exit_14_assertion(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, """spec t
var x: 0..3
init { x = 0 }
action inc { x := x + 1  assert x < 2 "x got too big" }
""")
    assert code == 14
    assert "assertion failed after 2 steps: x got too big" in out
    assert "Step 2: inc()" in out and "<- fails here" in out
    assert status_lines(out)[0].startswith("FAIL default")


def test_exit_75_runtime_error(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, """spec t
var x: 0..3
init { x = 0 }
action inc { x := x + 2 }
""")
    assert code == 75
    assert "runtime error E3001 after" in out
    assert "found runtime error E3001 in 2 steps" in out


def test_exit_code_of_the_first_check_not_as_expected(tmp_path: Path) -> None:
    text = DEADLOCK + "invariant lo: x < 2\ncheck a: expect holds\ncheck b: expect deadlock\n"
    code, out, _ = explore(tmp_path, text)
    assert code == 12  # check a: violation of lo (before the deadlock)
    assert status_lines(out) == [status_lines(out)[0], "FAIL b: expected deadlock, found "
                                 "violation of lo in 2 steps"]
    assert status_lines(out)[0].startswith("FAIL a")


def test_exit_150_spec_error_and_2_usage_errors(tmp_path: Path) -> None:
    code, _, err = explore(tmp_path, "spec t\nvar x: 0..3\ninit { x = y }\n")
    assert code == 150
    assert "error[E1001]" in err and "unknown name `y`" in err
    code, _, err = explore(tmp_path, COUNTER, "--check", "nosuch")
    assert code == 2 and "no check named `nosuch`" in err
    code, _, err = explore(tmp_path, COUNTER, "--set", "Q=1")
    assert code == 2 and "`Q` is not a param" in err
    code, _, err = explore(tmp_path, COUNTER, "--set", "N")
    assert code == 2 and "NAME=VALUE" in err


# ---------------------------------------------------------------------------------------
# Checks, --check, --set


def test_check_option_runs_one_check(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER, "--check", "big")
    assert code == 0
    assert status_lines(out) == ["PASS big"]
    assert "1 check, 1 as expected, 0 not (exit 0)" in out


def test_spec_without_checks_gets_a_default_check(tmp_path: Path) -> None:
    text = COUNTER.split("check ok")[0].replace("invariant small: x < 3", "")
    code, doc = explore_json(tmp_path, text)
    assert code == 0
    assert [c["check"] for c in doc["checks"]] == ["default"]
    assert doc["checks"][0]["expected"] == {"kind": "holds", "target": None, "steps": None,
                                            "k": None, "assertion": None}
    assert doc["checks"][0]["only"] is None


def test_set_overrides_a_param(tmp_path: Path) -> None:
    # N = 2 keeps x below 3: the default check now holds
    text = COUNTER.split("check ok")[0]
    code, out, _ = explore(tmp_path, text, "--set", "N=2")
    assert code == 0
    assert "check default with N = 2 (implicit)" in out  # the text names what was set
    code, doc = explore_json(tmp_path, text, "--set", "N=2")
    assert doc["checks"][0]["config"] == {"N": 2, "M": 1}


def test_set_applies_after_the_checks_own_with(tmp_path: Path) -> None:
    code, doc = explore_json(tmp_path, COUNTER, "--check", "big", "--set", "N=5")
    (c,) = doc["checks"]
    assert c["config"] == {"N": 5, "M": 2}  # N from --set, M from `with`
    assert c["outcome"]["kind"] == "violation" and c["outcome"]["steps"] == 2
    assert code == 0
    # --set N=1 with `with M = 2`: x reaches 2 only, and the expected violation is missing
    code, doc = explore_json(tmp_path, COUNTER, "--check", "big", "--set", "N=1")
    assert doc["checks"][0]["config"] == {"N": 1, "M": 2}
    assert code == 1 and doc["exit_code"] == 1


def test_set_expression_value(tmp_path: Path) -> None:
    code, doc = explore_json(tmp_path, COUNTER, "--check", "bad", "--set", "M=1 + 1")
    assert doc["checks"][0]["config"] == {"N": 3, "M": 2}
    assert doc["checks"][0]["outcome"]["steps"] == 2
    assert code == 12


# ---------------------------------------------------------------------------------------
# Reports


def test_json_report(tmp_path: Path) -> None:
    code, doc = explore_json(tmp_path, COUNTER + "check stuck with N = 2: expect deadlock\n")
    assert set(doc) == {"format", "spec", "exit_code", "checks"}
    assert doc["format"] == "mnt-explorer/1"
    assert doc["spec"].endswith("spec.mnt")
    assert doc["exit_code"] == code == 1
    assert [c["check"] for c in doc["checks"]] == ["ok", "bad", "big", "stuck"]
    for c in doc["checks"]:
        assert {"check", "line", "config", "expected", "outcome", "as_expected", "why",
                "exit_code", "engine", "figures", "coverage", "trace"} <= set(c)
        assert set(c["expected"]) == {"kind", "target", "steps", "k", "assertion"}
        assert {"kind", "target", "steps", "message", "code", "line", "reason",
                "summary"} <= set(c["outcome"])
        assert {"generated", "distinct", "depth", "elapsed", "states_per_second", "complete",
                "queue"} <= set(c["figures"])
        assert [cv["action"] for cv in c["coverage"]] == ["inc", "flip", "never"]
        for cv in c["coverage"]:
            assert set(cv) == {"action", "line", "fired", "new"}
        t = c["trace"]
        if t is None:
            assert c["outcome"]["steps"] is None
            continue
        assert set(t) == {"vars", "states", "values", "steps", "failing_step"}
        assert len(t["steps"]) == c["outcome"]["steps"]
        assert len(t["states"]) == len(t["values"]) == len(t["steps"]) + 1
        assert t["vars"] == ["x", "y", "z"]
        assert t["failing_step"] is False
    ok, bad, big, stuck = doc["checks"]
    assert ok["outcome"]["kind"] == "holds" and ok["as_expected"] and ok["exit_code"] == 0
    assert ok["figures"]["complete"] is True and ok["figures"]["distinct"] == 6
    assert ok["coverage"][2] == {"action": "never", "line": 11, "fired": 0, "new": 0}
    assert bad["expected"] == {"kind": "violation", "target": "small", "steps": 3, "k": None,
                               "assertion": None}
    assert bad["outcome"]["target"] == "small" and bad["outcome"]["line"] == 12
    assert bad["trace"]["values"][-1] == {"x": 3, "y": False, "z": 0}
    assert bad["trace"]["states"][-1] == {"x": "3", "y": "false", "z": "0"}
    assert [s["action"] for s in bad["trace"]["steps"]] == ["inc"] * 3
    assert big["config"] == {"N": 4, "M": 2}
    assert not stuck["as_expected"] and stuck["exit_code"] == 1
    assert stuck["outcome"]["kind"] == "holds"


def test_json_failing_step(tmp_path: Path) -> None:
    code, doc = explore_json(tmp_path, """spec t
set P = {p1, p2}
var x: 0..3
init { x = 0 }
action inc(p in P) { x := x + 1  assert x < 2 "big" }
""")
    assert code == 14
    (c,) = doc["checks"]
    t = c["trace"]
    assert c["outcome"]["steps"] == len(t["steps"]) == 2
    assert len(t["states"]) == 2 and t["failing_step"] is True
    assert t["steps"][0] == {"action": "inc", "params": {"p": "p1"}, "line": 5}


def test_coverage_warning_for_an_action_that_never_fires(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER, "--check", "ok")
    assert code == 0
    assert "warning: action never (line 11) never fired; check its guard" in out
    assert "<- never fired" in out
    assert "warning: action inc" not in out and "warning: action flip" not in out


def step_block(out: str, n: int) -> list[str]:
    """The lines describing step n of the (only) trace in `out`."""
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith(f"Step {n}:"))
    block = []
    for ln in lines[start + 1:]:
        if not ln.startswith("      "):
            break
        block.append(ln.strip())
    return block


def test_text_trace_shows_changed_variables_and_full_shows_all(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, COUNTER, "--check", "bad")
    assert code == 0
    assert "State 0 (initial)" in out
    assert step_block(out, 1) == ["x : 0 -> 1"]
    assert step_block(out, 3) == ["x : 2 -> 3"]
    assert "Step 1: inc()  [line 9]" in out
    code, full, _ = explore(tmp_path, COUNTER, "--check", "bad", "--full")
    assert code == 0
    assert step_block(full, 1) == ["x : 0 -> 1", "y = false", "z = 0"]
    assert step_block(full, 3) == ["x : 2 -> 3", "y = false", "z = 0"]


def test_text_trace_shows_parameters(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, """spec t
set P = {p1, p2}
var at: P?
var n: 0..3
init { at = none  n = 0 }
action go(p in P, k in 1..2) when at != p { at := p  n := k }
invariant low: n < 2
""")
    assert code == 12
    assert "Step 1: go(p = p1, k = 2)  [line 6]" in out
    assert step_block(out, 1) == ["at : none -> p1", "n  : 0 -> 2"]


# ---------------------------------------------------------------------------------------
# Determinism across hash seeds


SYMMETRIC = """
spec sym
symmetric set Proc = p[1..3]
enum Mode = {OFF, ON}
var mode: Proc -> Mode
var held: set Proc
var owner: Proc?
var log: seq[3] Proc
init {
  mode = {p: OFF for p in Proc}
  held = {}
  owner = none
  log = []
}
action grab(p in Proc) when owner == none and p not in held {
  owner := p
  held := held union {p}
  log := append(log, p)
}
action drop(p in Proc) when owner == p {
  owner := none
  either { mode[p] := ON } or { mode[p] := OFF }
}
invariant bounded: len(held) < 3
check full: expect violation bounded
check relaxed: expect holds
"""


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    spec = tmp_path / "sym.mnt"
    spec.write_text(SYMMETRIC, encoding="utf-8")
    outputs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.run([sys.executable, "-m", "explorer", str(spec), "--format", "json",
                               "--quiet"], capture_output=True, text=True, env=env, cwd=REPO,
                              timeout=120)
        assert proc.returncode == 12, proc.stderr
        doc = json.loads(proc.stdout)
        for c in doc["checks"]:
            c["figures"].pop("elapsed")
            c["figures"].pop("states_per_second")
        outputs.append(doc)
    assert outputs[0] == outputs[1] == outputs[2]
    full, relaxed = outputs[0]["checks"]
    assert full["as_expected"] and full["trace"] is not None
    assert relaxed["outcome"]["kind"] == "violation"


def test_exit_75_runtime_error_in_init(tmp_path: Path) -> None:
    code, out, err = explore(tmp_path, "spec t\nvar x: 0..3\ninit { x in 2..5 }\naction a { x := x }\n")
    assert code == 75, err


def test_a_closed_output_stops_quietly_with_141() -> None:
    class Closed(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    assert main([str(REPO / "specs/examples/prodcons.mnt"), "-q"], stdout=Closed(),
                stderr=err) == 141
    assert err.getvalue() == ""
