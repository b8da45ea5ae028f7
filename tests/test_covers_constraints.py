"""`cover` (witnesses a check must reach) and `constraint` (TLC's state constraints) in
every engine: the figures of small specs counted by hand, the counterexamples met in a
state a constraint drops, TLC's deadlock rule, the z3 engines, the verdicts and their
exit codes, and the reports. Also `ignoring deadlock`, a check's own deadlock switch."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main
from explorer.diagnostics import SpecError
from explorer.lang.load import load_text

HAS_CC = shutil.which("cc") is not None or shutil.which("gcc") is not None
EXPLICIT = ["bfs", "c"] if HAS_CC else ["bfs"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    spec = tmp_path / "t.mnt"
    spec.write_text(text)
    out = io.StringIO()
    code = main([str(spec), "--format", "json", *args], stdout=out, stderr=io.StringIO())
    return code, {c["check"]: c for c in json.loads(out.getvalue())["checks"]}


def text_report(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    spec = tmp_path / "t.mnt"
    spec.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(spec), *args], stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


# A queue of at most two messages out of 0..2, and at most three sends. Kept states: q of
# length L <= 2 (3**L contents) with `sent` from L to 3: 4 + 3*3 + 9*2 = 31. Each sends
# three ways; those with L >= 1 (27) also receive: 31*3 + 27 + 1 initial = 121 generated.
# The deepest is sent 3, L 0: three sends and three receives, depth 6.
FIFO = """spec fifo
var q: seq[5] 0..2
var sent: 0..9
init { q = []  sent = 0 }
action send(m in 0..2) { q := append(q, m)  sent := sent + 1 }
action recv when len(q) > 0 { q := q[1:] }
constraint bounded: len(q) <= 2 and sent <= 3
invariant small: len(q) <= 3
cover full: len(q) == 2
cover three: len(q) == 3
cover drained: sent == 3 and q == []
check all: expect holds
check reachable only small, full, drained: expect holds
check not_three except three: expect holds
"""


@pytest.mark.parametrize("engine", EXPLICIT)
def test_a_constrained_fifo_has_its_hand_counted_figures(tmp_path: Path, engine: str) -> None:
    code, checks = run(tmp_path, FIFO, "--engine", engine)
    c = checks["all"]
    f = c["figures"]
    assert (f["distinct"], f["generated"], f["depth"], f["complete"]) == (31, 121, 6, True)
    assert c["outcome"]["kind"] == "holds"
    assert c["covers"] == [{"cover": "full", "line": 9, "steps": 2},
                           {"cover": "three", "line": 10, "steps": None},
                           {"cover": "drained", "line": 11, "steps": 6}]
    # a state of length 3 is generated (and checked) but never kept: `three` is not reached
    assert not c["as_expected"] and c["exit_code"] == 15
    assert "cover three never reached" in c["why"]
    assert checks["reachable"]["as_expected"] and checks["not_three"]["as_expected"]
    assert [x["cover"] for x in checks["reachable"]["covers"]] == ["full", "drained"]
    assert [x["cover"] for x in checks["not_three"]["covers"]] == ["full", "drained"]
    assert code == 15


def test_the_text_report_lists_each_cover(tmp_path: Path) -> None:
    code, out = text_report(tmp_path, FIFO, "--check", "all", "--engine", "bfs")
    assert code == 15
    lines = out.splitlines()
    at = lines.index("  covers (cover, line, shortest path):")
    assert lines[at + 1:at + 4] == [
        "    full     line 9    2 steps",
        "    three    line 10   never reached   <- no reachable state satisfies it",
        "    drained  line 11   6 steps"]
    assert ("FAIL all: cover three never reached: the exploration was complete and no state "
            "satisfies it, so the check holds vacuously for what it describes") in lines


def test_the_gate_line_names_the_cover_never_reached(tmp_path: Path) -> None:
    (tmp_path / "t.mnt").write_text(FIFO)
    out = io.StringIO()
    code = main([str(tmp_path), "--check", "all"], stdout=out, stderr=io.StringIO())
    assert code == 15
    assert f"FAIL {tmp_path / 't.mnt'}:12 all: every invariant holds, but never reached " \
           "three" in out.getvalue().splitlines()


def test_bmc_finds_the_covers_within_its_depth(tmp_path: Path) -> None:
    code, checks = run(tmp_path, FIFO, "--engine", "bmc", "--depth", "7", "--check", "all",
                       "--accept-bounded")
    c = checks["all"]
    assert c["outcome"]["kind"] == "bounded"
    assert [x["steps"] for x in c["covers"]] == [2, None, 6]
    # a cover not found within the depth may be deeper: no answer, bounds accepted or not
    assert c["exit_code"] == 3 and "cover three not reached within 7 steps" in c["why"]
    _, checks = run(tmp_path, FIFO, "--engine", "bmc", "--depth", "4", "--check",
                    "reachable", "--accept-bounded")
    assert [x["steps"] for x in checks["reachable"]["covers"]] == [2, None]
    assert checks["reachable"]["exit_code"] == 3


def test_the_covers_are_not_judged_when_a_counterexample_is_found(tmp_path: Path) -> None:
    text = FIFO.replace("invariant small: len(q) <= 3", "invariant small: sent < 3")
    text = text.replace("check all: expect holds", "check all: expect violation small in 3 steps")
    _, checks = run(tmp_path, text, "--check", "all")
    assert checks["all"]["as_expected"] and "covers" not in checks["all"]


# The same queue with an invariant only the dropped states break: the first successor of
# depth 3 is [0, 0, 0] (sends in order), which the constraint drops, and which is checked
# all the same (TLC). Up to then: 1 + 3 + (9 + 1) = 14 kept states; generated: 1 initial,
# 3 from the first, 4 from each of the three at depth 1, 4 from [0, 0] = 20.
DROPPED = FIFO.replace("invariant small: len(q) <= 3", "invariant small: len(q) <= 2").replace(
    "check all: expect holds", "check all: expect violation small in 3 steps")


@pytest.mark.parametrize("engine", [*EXPLICIT, "bmc"])
def test_a_state_the_constraint_drops_is_still_checked(tmp_path: Path, engine: str) -> None:
    _, checks = run(tmp_path, DROPPED, "--engine", engine, "--check", "all")
    c = checks["all"]
    assert c["as_expected"], c["why"]
    assert c["outcome"]["steps"] == 3
    assert len(c["trace"]["states"]) == 4
    if engine != "bmc":
        f = c["figures"]
        assert (f["distinct"], f["generated"], f["complete"]) == (14, 20, False)
        assert [s["q"] for s in c["trace"]["states"]] == ["[]", "[0]", "[0, 0]", "[0, 0, 0]"]


INITIAL = """spec init_dropped
var x: 0..3
init {{ x in 0..3 }}
action inc when x < 3 {{ x := x + 1 }}
constraint low: 10 div (2 - x) >= {k}
invariant not_three: x != 3
check c: expect {expect}
"""


@pytest.mark.parametrize("engine", [*EXPLICIT, "bmc"])
def test_initial_states_and_constraints_that_fail(tmp_path: Path, engine: str) -> None:
    # x = 2 makes the constraint divide by zero, at the third initial state, in 0 steps
    _, checks = run(tmp_path, INITIAL.format(k=0, expect="error in 0 steps"), "--engine", engine)
    c = checks["c"]
    assert c["as_expected"], c["why"]
    assert c["outcome"]["code"] == "E3006" and c["outcome"]["line"] == 5
    assert [s["x"] for s in c["trace"]["states"]] == ["2"]


@pytest.mark.parametrize("engine", [*EXPLICIT, "bmc"])
def test_a_dropped_initial_state_is_checked_after_the_kept_ones(tmp_path: Path,
                                                              engine: str) -> None:
    text = INITIAL.replace("10 div (2 - x) >= {k}", "x <= 1").format(
        expect="violation not_three in 0 steps")
    _, checks = run(tmp_path, text, "--engine", engine)
    c = checks["c"]
    assert c["as_expected"], c["why"]
    assert [s["x"] for s in c["trace"]["states"]] == ["3"]
    if engine != "bmc":  # generated up to x = 3 (all four), kept: 0 and 1
        assert (c["figures"]["generated"], c["figures"]["distinct"]) == (4, 2)


@pytest.mark.parametrize("engine", [*EXPLICIT, "bmc"])
def test_every_initial_state_dropped_is_no_initial_state(tmp_path: Path, engine: str) -> None:
    text = INITIAL.replace("10 div (2 - x) >= {k}", "x > 5").replace(
        "invariant not_three: x != 3\n", "").format(expect="holds")
    code, checks = run(tmp_path, text, "--engine", engine)
    o = checks["c"]["outcome"]
    assert o["kind"] == "no_initial_state" and code == 75
    assert o["message"] == ("every initial state violates a `constraint`, so there is "
                            "nothing to check")


# TLC's deadlock: a state is a deadlock when it has no successor at all, not when the
# constraint drops all of them. x = 2 has one successor (3), dropped: not a deadlock.
COUNTER = """spec counter
var x: 0..5
init {{ x = 0 }}
action inc when x < {top} {{ x := x + 1 }}
constraint low: x <= 2
invariant le3: x <= 3
check c: expect {expect}
check p: expect proved
"""


@pytest.mark.parametrize("engine", [*EXPLICIT, "bmc"])
def test_a_state_whose_successors_are_all_dropped_is_no_deadlock(tmp_path: Path,
                                                                engine: str) -> None:
    _, checks = run(tmp_path, COUNTER.format(top=5, expect="holds"), "--engine", engine,
                    "--check", "c", "--accept-bounded", "--depth", "6")
    assert checks["c"]["as_expected"], checks["c"]["why"]
    if engine != "bmc":
        f = checks["c"]["figures"]
        assert (f["distinct"], f["generated"], f["depth"]) == (3, 4, 2)
    _, checks = run(tmp_path, COUNTER.format(top=2, expect="deadlock in 2 steps"), "--engine",
                    engine, "--check", "c")
    assert checks["c"]["as_expected"], checks["c"]["why"]


def test_induction_assumes_the_constraints(tmp_path: Path) -> None:
    # le3 is inductive only among states with x <= 2: the hypothesis assumes the
    # constraint for the states the search expands
    _, checks = run(tmp_path, COUNTER.format(top=5, expect="holds"), "--check", "p")
    assert checks["p"]["as_expected"] and checks["p"]["outcome"]["kind"] == "proved"
    _, checks = run(tmp_path, COUNTER.format(top=5, expect="holds").replace(
        "constraint low: x <= 2\n", ""), "--check", "p")
    assert checks["p"]["outcome"]["kind"] == "cti"


def test_induction_refuses_a_constraint_that_may_fail(tmp_path: Path) -> None:
    code, out = text_report(tmp_path, COUNTER.format(top=5, expect="holds").replace(
        "x <= 2", "10 div (3 - x) > 2"), "--check", "p")
    assert code == 150
    assert "t.mnt:5:12: error[E2005]: the z3 engine cannot encode this: a constraint that " \
           "may fail to evaluate" in out


CAUGHT = """spec covered
var x: 0..3
init { x = 0 }
action inc when x < 3 { x := x + 1 }
cover bad: 6 div (2 - x) == 3
check c ignoring deadlock: expect error in 2 steps
"""


@pytest.mark.parametrize("engine", [*EXPLICIT, "bmc"])
def test_a_cover_that_fails_to_evaluate_is_that_error(tmp_path: Path, engine: str) -> None:
    _, checks = run(tmp_path, CAUGHT, "--engine", engine, "--depth", "4")
    c = checks["c"]
    assert c["as_expected"], c["why"]
    assert c["outcome"]["code"] == "E3006" and c["outcome"]["line"] == 5


def test_properties_and_constraints_do_not_mix(tmp_path: Path) -> None:
    text = FIFO + "fair action recv2 when len(q) > 0 { q := q[1:] }\n" \
        "property empties: always eventually q == []\ncheck live only empties: expect holds\n"
    code, out = text_report(tmp_path, text, "--check", "live")
    assert code == 150
    assert "error[E2005]: the constraint `bounded` cuts the behaviours the properties are " \
           "about" in out


def test_names_of_covers_and_constraints() -> None:
    with pytest.raises(SpecError) as e:
        load_text("spec n\nvar x: 0..1\ninit { x = 0 }\ninvariant a: x == 0\n"
                  "cover a: x == 1\nconstraint k: true\nconstraint k: x == 0\n")
    assert [(d.code, d.span.line) for d in e.value.diagnostics] == [("E1002", 5), ("E1002", 7)]
    with pytest.raises(SpecError) as e:
        load_text("spec n\nvar x: 0..1\ninit { x = 0 }\ncover c: x + 1\n")
    assert e.value.diagnostics[0].span.line == 4
    with pytest.raises(SpecError) as e:  # a cover is no counterexample to expect
        load_text("spec n\nvar x: 0..1\ninit { x = 0 }\ncover c: x == 1\n"
                  "check k: expect violation c\n")
    assert e.value.diagnostics[0].code == "E1006"


IGNORING = """spec stops
var x: 0..3
init { x = 0 }
action inc when x < 3 { x := x + 1 }
check stops: expect deadlock in 3 steps
check fine ignoring deadlock: expect holds
"""


@pytest.mark.parametrize("engine", [*EXPLICIT, "bmc"])
def test_a_check_may_ignore_deadlocks(tmp_path: Path, engine: str) -> None:
    code, checks = run(tmp_path, IGNORING, "--engine", engine, "--accept-bounded")
    assert code == 0
    assert checks["stops"]["as_expected"] and checks["fine"]["as_expected"]
    assert checks["fine"]["ignoring_deadlock"] is True and "ignoring_deadlock" not in \
        checks["stops"]
    with pytest.raises(SpecError) as e:
        load_text(IGNORING.replace("check stops:", "check stops ignoring deadlock:"))
    assert (e.value.diagnostics[0].code, e.value.diagnostics[0].span.line) == ("E1006", 5)
