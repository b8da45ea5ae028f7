"""The shortest counterexample over every kind (fuzzing defect D, issue 15).

BFS meets a violation, or a failing step, of length d+1 while expanding a state of depth
d; a later state of depth d may still be a deadlock (or fail to evaluate `terminal`), a
counterexample of length d. The search looks at the rest of the level for one, without
storing states or changing any figure, and BMC, which asks depth by depth, agrees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_bfs import Sys, run
from test_cli import explore
from test_engine_agreement import model_of

from explorer.diagnostics import AssertFailure, EvalError
from explorer.explicit.bfs import Limits
from explorer.explicit.run import check_model
from explorer.lang.load import load_text
from explorer.results import Result
from explorer.symbolic.bmc import check_bmc

# the fuzzing reproducer: expanding x = 0 fails (1 step), x = 1 is a deadlock (0 steps)
REPRO = """spec t
var x: 0..2
init { x in {0, 1} }
action a when x == 0 { assert false "boom" }
"""

# level 1 is {1, 2}: expanding 1 reaches 3, which violates `low` (2 steps); 2 is stuck
# (1 step). `d` gives 2 a successor when `unstuck` is set.
LEVELS = """spec t
param unstuck: bool = false
var x: 0..9
init { x = 0 }
action a when x == 0 { x := 1 }
action b when x == 0 { x := 2 }
action c when x == 1 { x := 3 }
action d when unstuck and x == 2 { x := 4 }
invariant low: x != 3
"""

# as LEVELS, but 2 is a stuck state where `terminal` fails: f has no entry 2 (1 step)
TERMINAL = """spec t
var x: 0..3
var f: 0..1 -> bool
init { x = 0
  f = {i: true for i in 0..1} }
action a when x == 0 { x := 1 }
action b when x == 0 { x := 2 }
action c when x == 1 { x := 3 }
invariant low: x != 3
terminal when f[x]
"""


def _model(text: str, params: dict[str, Any]) -> Any:
    return load_text(text, "t.mnt").model(params) if params else model_of(text)


def bfs(text: str, deadlock: bool = True, **params: Any) -> Result:
    return check_model(_model(text, params), Limits(deadlock=deadlock), progress=None)


def bmc(text: str, deadlock: bool = True, **params: Any) -> Result:
    return check_bmc(_model(text, params), 6, check_deadlock=deadlock, progress=None)


def _what(r: Result) -> tuple:
    """Kind, invariant, error code, assertion, length (a 0-step trace too)."""
    o = r.outcome
    return (o.kind, o.target, o.code, o.assertion, None if r.trace is None else len(r.trace))


def figures(r: Result) -> tuple:
    f = r.figures
    return (f.generated, f.distinct, f.depth, [(c.action, c.fired, c.new) for c in r.coverage])


# ---------------------------------------------------------------------------------------
# Through check_model (and the interpreter's replay)


def test_the_reproducer_reports_the_deadlock_in_0_steps() -> None:
    r = bfs(REPRO)
    assert _what(r) == ("deadlock", None, None, None, 0)
    assert r.trace is not None and r.trace.state_dict(0) == {"x": 1}
    # the figures of the search up to the failing step, as before the fix
    assert figures(r) == (2, 2, 0, [("a", 0, 0)])


def test_a_violation_in_2_steps_gives_way_to_a_later_deadlock_in_1() -> None:
    r = bfs(LEVELS)
    assert _what(r) == ("deadlock", None, None, None, 1)
    assert r.trace is not None and [s.action for s in r.trace.steps] == ["b"]
    # 0, 1, 2 and 3 are stored, as when the violation was reported: nothing more
    assert figures(r) == (4, 4, 2, [("a", 1, 1), ("b", 1, 1), ("c", 1, 1), ("d", 0, 0)])


def test_a_failing_terminal_later_in_the_level_is_reported() -> None:
    r = bfs(TERMINAL)
    assert _what(r) == ("error", None, "E3005", None, 1)
    assert r.trace is not None and [s.action for s in r.trace.steps] == ["b"]


def test_a_violation_without_a_shorter_deadlock_keeps_its_figures() -> None:
    # 2 has a successor (4): the violation stands; looking at 2 counts nothing
    r = bfs(LEVELS, unstuck=True)
    assert _what(r) == ("violation", "low", None, None, 2)
    # by hand: 0 (initial), a and b from 0, c from 1 reaching 3; d never counted
    assert figures(r) == (4, 4, 2, [("a", 1, 1), ("b", 1, 1), ("c", 1, 1), ("d", 0, 0)])
    assert r.figures.queue == 3
    assert figures(bfs(LEVELS, deadlock=False, unstuck=True)) == figures(r)


@pytest.mark.parametrize(("text", "what"), [
    (REPRO, ("assertion", None, None, None, 1)),
    (LEVELS, ("violation", "low", None, None, 2)),
    (TERMINAL, ("violation", "low", None, None, 2)),
])
def test_no_deadlock_keeps_the_first_counterexample(text: str, what: tuple) -> None:
    r = bfs(text, deadlock=False)
    assert _what(r) == what
    assert _what(bmc(text, deadlock=False)) == what


@pytest.mark.parametrize("text", [REPRO, LEVELS, TERMINAL])
def test_bfs_and_bmc_agree_on_kind_and_length(text: str) -> None:
    assert _what(bfs(text)) == _what(bmc(text))


def test_the_expected_deadlock_passes_on_the_command_line(tmp_path: Path) -> None:
    code, out, _ = explore(tmp_path, REPRO + "check c: expect deadlock in 0 steps\n")
    assert code == 0, out
    code, out, _ = explore(tmp_path, REPRO)
    assert code == 11 and "deadlock in 0 steps" in out
    code, out, _ = explore(tmp_path, REPRO, "--no-deadlock")
    assert code == 14 and "assertion in 1 step" in out


# ---------------------------------------------------------------------------------------
# The search alone: what it looks at, and what it leaves alone


def level0(pending: str, rest: dict[int, Any], deadlock: bool = True,
           **kw: Any) -> tuple[Any, list[int]]:
    """Initial states 0, 1, 2, ...: expanding 0 gives a counterexample of 1 step of kind
    `pending`; `rest[k]` is what expanding k gives: a list of successors or an exception
    to raise. Returns the search and the states expanded, in order."""
    expanded: list[int] = []

    def act(s: Any) -> list[Any]:
        expanded.append(s)
        if s == 0:
            if pending == "step":
                raise AssertFailure("boom")
            return ["bad"]
        if isinstance(rest[s], BaseException):
            raise rest[s]
        return rest[s]

    def inv(s: Any) -> int:
        if s == "bad" and pending == "state":
            raise EvalError("E3002", "none used")
        return 0 if s == "bad" else -1

    sys_ = Sys(lambda: [0, *rest], [act], invariants=inv, **kw)
    return run(sys_, Limits(deadlock=deadlock), fault_types=(EvalError, AssertFailure)), expanded


@pytest.mark.parametrize("pending", ["violation", "state", "step"])
def test_every_pending_kind_gives_way_to_a_deadlock(pending: str) -> None:
    r, expanded = level0(pending, {1: [1], 2: [], 3: []})
    assert (r.kind, r.states[r.at]) == ("deadlock", 2)  # the first one, not 3
    assert expanded == [0, 1, 2]


@pytest.mark.parametrize("pending", ["violation", "state", "step"])
def test_nothing_is_stored_or_counted_while_looking(pending: str) -> None:
    # 1 and 2 have successors the search has never seen, and 3 fails (a step as long as
    # the pending counterexample, found later: it does not count)
    r, expanded = level0(pending, {1: [10, 11], 2: [12], 3: EvalError("E3006", "div")})
    assert r.kind == ("violation" if pending == "violation" else "fault")
    assert r.states == [0, 1, 2, 3] + ([] if pending == "step" else ["bad"])
    assert r.fired == [0 if pending == "step" else 1]
    assert r.generated == 4 + r.fired[0]
    assert expanded == [0, 1, 2, 3]
    if pending == "step":
        assert isinstance(r.fault, AssertFailure) and r.states[r.at] == 0


def test_terminal_is_asked_only_about_stuck_states_of_the_level() -> None:
    asked: list[Any] = []

    def terminal(s: Any) -> bool:
        asked.append(s)
        return s == 2

    r, _ = level0("violation", {1: [1], 2: [], 3: [], 4: []}, terminal=terminal)
    assert (r.kind, r.states[r.at]) == ("deadlock", 3)
    assert asked == [2, 3]


def test_a_failing_terminal_is_that_fault() -> None:
    def terminal(s: Any) -> bool:
        raise EvalError("E3005", "outside the domain")

    r, _ = level0("violation", {1: [1], 2: []}, terminal=terminal)
    assert (r.kind, r.states[r.at], r.fault_action) == ("fault", 2, -1)


def test_no_deadlock_looks_at_nothing_more() -> None:
    r, expanded = level0("violation", {1: [], 2: []}, deadlock=False)
    assert (r.kind, r.states[r.at]) == ("violation", "bad")
    assert expanded == [0]


def test_the_next_level_is_not_looked_at() -> None:
    # level 1 is {1, 2}; expanding 1 stores 3 (stuck) and then bad, both of depth 2: 3 is
    # as long as the violation and found earlier, but only level 1 is looked at (2 loops)
    edges: dict[Any, list[Any]] = {0: [1, 2], 1: [3, "bad"], 2: [2], 3: [], "bad": []}
    r = run(Sys(lambda: [0], [lambda s: edges[s]], invariants=lambda s: 0 if s == "bad" else -1))
    assert (r.kind, r.states[r.at]) == ("violation", "bad")


def test_a_limit_while_looking_gives_incomplete() -> None:
    # 2048 initial states; expanding the first one finds the violation, and the clock
    # passes the deadline then: a deadlock among the rest is not ruled out
    now = [0.0]

    def act(s: Any) -> list[Any]:
        if s == 0:
            now[0] = 10.0
            return ["bad"]
        return [s]

    sys_ = Sys(lambda: list(range(2048)), [act],
               invariants=lambda s: 0 if s == "bad" else -1)
    r = run(sys_, Limits(max_seconds=5), clock=lambda: now[0])
    assert r.kind == "incomplete"
    assert r.reason == ("time limit 5s, before a deadlock shorter than the counterexample "
                        "found (1 steps) was ruled out")
    r = run(sys_, Limits(max_seconds=5, deadlock=False), clock=lambda: now[0])
    assert r.kind == "violation"
