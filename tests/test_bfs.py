"""The breadth-first search on tiny hand-made `System`s, then traces through `check_model`."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from explorer.diagnostics import AssertFailure, EvalError
from explorer.explicit.bfs import Limits, Search, search
from explorer.explicit.run import check_model
from explorer.lang.load import load_text
from explorer.results import Outcome, ReplayError, Step, Trace, replay


@dataclass
class Sys:
    """A `System`: states are plain Python values, actions return successor lists."""

    initial: Callable[[], list[Any]]
    actions: list[Callable[[Any], list[Any]]]
    invariants: Callable[[Any], int] = lambda s: -1
    terminal: Callable[[Any], bool] | None = None


def run(system: Sys, limits: Limits | None = None, **kw: Any) -> Search[Any]:
    return search(system, limits, progress=None, **kw)


def counter(n: int, terminal: bool = False) -> Sys:
    """0 -> 1 -> ... -> n, one increment action."""
    return Sys(lambda: [0], [lambda s: [s + 1] if s < n else []],
               terminal=(lambda s: s == n) if terminal else None)


def path_states(r: Search[Any], at: int | None = None) -> list[Any]:
    return [r.states[i] for i in r.path(r.at if at is None else at)]


# ---------------------------------------------------------------------------------------
# A counter


@pytest.mark.parametrize("n", [0, 1, 5, 40])
def test_counter_deadlocks_at_the_top(n: int) -> None:
    r = run(counter(n))
    assert r.kind == "deadlock"
    assert r.states[r.at] == n
    assert len(r.states) == n + 1
    assert r.generated == n + 1  # the initial state plus one successor per increment
    assert r.depth == n
    assert path_states(r) == list(range(n + 1))
    assert r.fired == [n] and r.new == [n]


@pytest.mark.parametrize("n", [0, 3, 40])
def test_counter_with_terminal_top_holds(n: int) -> None:
    r = run(counter(n, terminal=True))
    assert r.kind == "holds"
    assert (len(r.states), r.generated, r.depth, r.queue) == (n + 1, n + 1, n, 0)
    assert r.at == -1


def test_no_deadlock_check_when_disabled() -> None:
    r = run(counter(4), Limits(deadlock=False))
    assert r.kind == "holds"
    assert len(r.states) == 5


def test_terminal_is_only_asked_about_states_without_successors() -> None:
    asked: list[int] = []

    def terminal(s: int) -> bool:
        asked.append(s)
        return True

    r = run(Sys(lambda: [0], [lambda s: [s + 1] if s < 3 else []], terminal=terminal))
    assert r.kind == "holds"
    assert asked == [3]


def test_self_loop_is_not_a_deadlock() -> None:
    r = run(Sys(lambda: [0], [lambda s: [s]]))
    assert r.kind == "holds"
    assert (len(r.states), r.generated, r.depth) == (1, 2, 0)


# ---------------------------------------------------------------------------------------
# Shortest counterexamples and parent links


def diamond() -> Sys:
    """start -long-> l1 -> l2 -> bad, start -short-> r -> bad; actions in that order."""
    long_edges = {"start": ["l1"], "l1": ["l2"], "l2": ["bad"]}
    short_edges = {"start": ["r"], "r": ["bad"]}
    return Sys(lambda: ["start"],
               [lambda s: long_edges.get(s, []), lambda s: short_edges.get(s, [])],
               invariants=lambda s: 0 if s == "bad" else -1)


def test_diamond_picks_the_shortest_counterexample() -> None:
    r = run(diamond())
    assert r.kind == "violation" and r.invariant == 0
    assert r.states[r.at] == "bad"
    assert path_states(r) == ["start", "r", "bad"]
    # the action that first reached each state on the path: short, short
    assert [r.label[i] for i in r.path(r.at)] == [-1, 1, 1]
    assert r.depth == 2


def test_parent_links_rebuild_every_path() -> None:
    edges = {0: [1, 2], 1: [3], 2: [3, 4], 3: [5], 4: [5], 5: []}
    r = run(Sys(lambda: [0], [lambda s: edges[s]], terminal=lambda s: s == 5))
    assert r.kind == "holds"
    assert r.states == [0, 1, 2, 3, 4, 5]
    assert r.parent == [-1, 0, 0, 1, 2, 3]
    assert path_states(r, r.states.index(5)) == [0, 1, 3, 5]
    assert path_states(r, r.states.index(4)) == [0, 2, 4]
    assert r.depth == 3


def test_invariant_violated_in_an_initial_state() -> None:
    r = run(Sys(lambda: [1, 2, 3], [lambda s: [s]], invariants=lambda s: 1 if s == 2 else -1))
    assert r.kind == "violation"
    assert r.invariant == 1
    assert r.states[r.at] == 2
    assert r.path(r.at) == [r.at]  # 0 steps
    assert r.depth == 0
    assert r.generated == 2


def test_first_violated_invariant_at_the_shallowest_depth() -> None:
    # two bad states at depths 3 and 2: the depth-2 one is reported
    edges = {0: [1, 10], 1: [2], 2: [3], 10: [11], 11: [12], 3: [], 12: []}
    r = run(Sys(lambda: [0], [lambda s: edges[s]],
                invariants=lambda s: 0 if s in (3, 11) else -1))
    assert r.kind == "violation"
    assert path_states(r) == [0, 10, 11]


def test_duplicate_initial_states_count_as_generated_once_as_distinct() -> None:
    r = run(Sys(lambda: [0, 0, 1], [lambda s: []], terminal=lambda s: True))
    assert r.kind == "holds"
    assert (r.generated, len(r.states)) == (3, 2)


# ---------------------------------------------------------------------------------------
# Limits: never "holds" when a limit cut the search short


def test_state_limit() -> None:
    r = run(counter(10, terminal=True), Limits(max_states=5))
    assert r.kind == "incomplete"
    assert "state limit 5" in r.reason
    assert len(r.states) == 5  # at most the allowed number of states is kept


def test_state_limit_exactly_reached_is_complete() -> None:
    r = run(counter(4, terminal=True), Limits(max_states=5))
    assert r.kind == "holds"
    assert len(r.states) == 5


def test_state_limit_below_the_number_of_initial_states() -> None:
    r = run(Sys(lambda: [0, 1, 2, 3], [lambda s: [s]]), Limits(max_states=2))
    assert r.kind == "incomplete"
    assert "state limit" in r.reason


def test_depth_limit() -> None:
    r = run(counter(10, terminal=True), Limits(max_depth=3))
    assert r.kind == "incomplete"
    assert r.reason == "depth limit 3"
    assert r.depth == 3
    assert max(r.states) <= 4


def test_depth_limit_not_reached_is_complete() -> None:
    r = run(counter(3, terminal=True), Limits(max_depth=3))
    assert r.kind == "holds"
    assert r.depth == 3


def fake_clock(times: list[float]) -> Callable[[], float]:
    """Returns the given times in turn, then the last one forever."""
    it = itertools.chain(times, itertools.repeat(times[-1]))
    return lambda: next(it)


def test_time_limit_with_a_fake_clock() -> None:
    r = run(counter(10, terminal=True), Limits(max_seconds=5), clock=fake_clock([0.0, 6.0]))
    assert r.kind == "incomplete"
    assert r.reason == "time limit 5s"
    assert r.elapsed == 6.0


def test_time_limit_checked_again_after_many_states() -> None:
    # the clock passes the deadline only after the first check: the search must still stop
    r = run(counter(5000, terminal=True), Limits(max_seconds=2.5),
            clock=fake_clock([0.0, 1.0, 3.0]))
    assert r.kind == "incomplete"
    assert r.reason == "time limit 2.5s"
    assert 1024 <= len(r.states) < 5001


def test_time_limit_not_reached() -> None:
    r = run(counter(10, terminal=True), Limits(max_seconds=5), clock=fake_clock([0.0, 1.0]))
    assert r.kind == "holds"
    assert r.elapsed == 1.0


def test_interrupt_inside_an_action() -> None:
    def action(s: int) -> list[int]:
        if s == 3:
            raise KeyboardInterrupt
        return [s + 1]

    r = run(Sys(lambda: [0], [action]))
    assert r.kind == "incomplete" and r.interrupted  # the run stops too
    assert r.reason == "interrupt (Ctrl-C)"
    assert len(r.states) == 4


def test_interrupt_in_initial() -> None:
    def initial() -> list[int]:
        raise KeyboardInterrupt

    r = run(Sys(initial, []))
    assert (r.kind, r.reason) == ("incomplete", "interrupt (Ctrl-C) while computing the "
                                  "initial states")


# ---------------------------------------------------------------------------------------
# Coverage and faults


def test_coverage_counts_fired_and_new_exactly() -> None:
    sys_ = Sys(lambda: [0],
               [lambda s: [s + 1] if s < 3 else [],   # 3 new states
                lambda s: [s, s],                       # self loops, twice per state
                lambda s: [min(s + 1, 3)],              # always already seen
                lambda s: []],                          # never fires
               terminal=lambda s: True)
    r = run(sys_)
    assert r.kind == "holds"
    assert r.fired == [3, 8, 4, 0]
    assert r.new == [3, 0, 0, 0]
    assert r.generated == 1 + 3 + 8 + 4
    assert len(r.states) == 4


def test_fault_in_an_action_carries_the_binding() -> None:
    def boom(s: int) -> list[int]:
        if s == 2:
            e = EvalError("E3006", "division by zero")
            e.binding = ("p2", 7)  # type: ignore[attr-defined]
            raise e
        return []

    r = run(Sys(lambda: [0], [lambda s: [s + 1] if s < 5 else [], boom]),
            fault_types=(EvalError, AssertFailure))
    assert r.kind == "fault"
    assert r.states[r.at] == 2
    assert r.fault_action == 1
    assert r.fault_binding == ("p2", 7)
    assert isinstance(r.fault, EvalError) and r.fault.code == "E3006"


def test_fault_in_an_invariant_and_in_initial() -> None:
    def inv(s: int) -> int:
        if s == 2:
            raise EvalError("E3002", "none used")
        return -1

    r = run(Sys(lambda: [0], [lambda s: [s + 1]], invariants=inv), fault_types=(EvalError,))
    assert (r.kind, r.states[r.at], r.fault_action) == ("fault", 2, -1)

    def initial() -> list[int]:
        raise AssertFailure("no")

    r = run(Sys(initial, []), fault_types=(AssertFailure,))
    assert (r.kind, r.at) == ("fault", -1)


def test_exceptions_that_are_not_faults_propagate() -> None:
    def bad(s: int) -> list[int]:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        run(Sys(lambda: [0], [bad]), fault_types=(EvalError,))


# ---------------------------------------------------------------------------------------
# Through check_model: traces and their replay by the interpreter


def check(text: str, limits: Limits | None = None) -> Any:
    model = load_text(text, "t.mnt").default
    return model, check_model(model, limits, progress=None)


COUNTER = """spec t
var x: 0..5
var y: bool
init { x = 0  y = false }
action inc(d in 1..2) when x + d <= 5 { x := x + d }
action flip { y := not y }
invariant small: x < 4
"""


def test_violation_trace_length_and_replay() -> None:
    model, r = check(COUNTER)
    o, t = r.outcome, r.trace
    assert (o.kind, o.target) == ("violation", "small")
    assert len(t) == 2 and len(t.states) == 3  # 0 -> 2 -> 4
    assert [st.action for st in t.steps] == ["inc", "inc"]
    assert [st.params for st in t.steps] == [(("d", 2),), (("d", 2),)]
    assert [s[0] for s in t.states] == [0, 2, 4]
    assert t.state_dict(2) == {"x": 4, "y": False}
    replay(model, t, o)  # also done inside check_model


def test_deadlock_trace() -> None:
    model, r = check("""spec t
var x: 0..3
init { x = 0 }
action inc when x < 3 { x := x + 1 }
""")
    assert r.outcome.kind == "deadlock"
    assert len(r.trace) == 3 and len(r.trace.states) == 4
    assert r.figures.depth == 3 and r.figures.distinct == 4 and not r.figures.complete


def test_assertion_trace_has_a_failing_step() -> None:
    model, r = check("""spec t
var x: 0..3
init { x = 0 }
action inc(d in 0..1) { x := x + d  assert x < 2 "too far" }
""")
    o, t = r.outcome, r.trace
    assert (o.kind, o.message) == ("assertion", "too far")
    assert len(t) == 2 and len(t.states) == 2  # the failing step has no post-state
    assert t.steps[-1] == Step("inc", (("d", 1),), t.steps[-1].span)
    replay(model, t, o)


def test_runtime_error_in_an_action() -> None:
    model, r = check("""spec t
var x: 0..2
init { x = 0 }
action inc { x := x + 1 }
""")
    o, t = r.outcome, r.trace
    assert (o.kind, o.code) == ("error", "E3001")
    assert len(t) == 3 and len(t.states) == 3
    replay(model, t, o)


def test_runtime_error_in_an_invariant() -> None:
    model, r = check("""spec t
var x: 0..2
init { x = 2 }
action dec when x > 0 { x := x - 1 }
invariant inv: 4 div x >= 1
""")
    o, t = r.outcome, r.trace
    assert (o.kind, o.code) == ("error", "E3006")
    assert len(t) == 2 and len(t.states) == 3  # no failing step: the last state fails
    replay(model, t, o)


def test_holds_and_incomplete_have_no_trace() -> None:
    _, r = check(COUNTER.replace("invariant small: x < 4", "invariant small: x < 6"))
    assert r.outcome.kind == "holds" and r.trace is None and r.figures.complete
    assert r.figures.distinct == 12
    _, r = check(COUNTER, Limits(max_states=3))
    assert r.outcome == Outcome("incomplete", reason="state limit 3")
    assert r.trace is None and not r.figures.complete


def test_coverage_through_check_model() -> None:
    _, r = check("""spec t
var x: 0..2
init { x = 0 }
action inc when x < 2 { x := x + 1 }
action never when x > 5 { x := 0 }
action stay { x := x }
terminal when x == 2
""")
    cov = {c.action: (c.fired, c.new) for c in r.coverage}
    assert cov == {"inc": (2, 2), "never": (0, 0), "stay": (3, 0)}


@pytest.mark.parametrize("corrupt", ["middle state", "last state", "initial state", "action",
                                     "params", "outcome kind", "invariant"])
def test_corrupted_trace_does_not_replay(corrupt: str) -> None:
    model, r = check(COUNTER)
    t, o = r.trace, r.outcome
    states, steps = list(t.states), list(t.steps)
    if corrupt == "middle state":
        states[1] = (1, False)
    elif corrupt == "last state":
        states[2] = (3, False)
    elif corrupt == "initial state":
        states[0] = (1, False)
    elif corrupt == "action":
        steps[0] = Step("flip", (), steps[0].span)
    elif corrupt == "params":
        steps[1] = Step("inc", (("d", 1),), steps[1].span)
    elif corrupt == "outcome kind":
        o = Outcome("deadlock")
    else:
        states = states[:2]  # the invariant still holds there
        steps = steps[:1]
    with pytest.raises(ReplayError):
        replay(model, Trace(t.var_names, states, steps), o)


def test_corrupted_failing_step_does_not_replay() -> None:
    model, r = check("""spec t
var x: 0..3
init { x = 0 }
action inc(d in 0..1) { x := x + d  assert x < 2 "too far" }
""")
    t = r.trace
    with pytest.raises(ReplayError):  # the failing step made a non-failing one
        replay(model, Trace(t.var_names, t.states, t.steps[:-1] + [Step("inc", (("d", 0),),
                                                                   t.steps[-1].span)]), r.outcome)
    with pytest.raises(ReplayError):  # right step, wrong kind of failure
        replay(model, t, Outcome("error", code="E3001"))


def test_runtime_error_in_init() -> None:
    _, r = check("""spec t
var x: 0..3
init { x in 2..5 }
action a { x := x }
""")
    assert (r.outcome.kind, r.outcome.code) == ("error", "E3001")


def test_runtime_error_in_a_parameter_domain() -> None:
    _, r = check("""spec t
var x: 0..3
var q: seq[2] 0..3
init { x = 0  q = [] }
action a(i in 0..q[0]) { x := i }
""")
    assert (r.outcome.kind, r.outcome.code) == ("error", "E3004")


def test_progress_lines_carry_the_figures_so_far() -> None:
    # The clock reads 0 at the start, then +2 at each check (one every 1024 states), and a
    # line is due every 3 s: at the checks before states 1024 (clock 4) and 3072 (clock 8).
    ticks = itertools.count(step=2.0)
    out = __import__("io").StringIO()
    r = search(counter(5000, terminal=True), None, out, progress_every=3.0,
               clock=lambda: next(ticks))
    assert r.kind == "holds"
    lines = [ln.split() for ln in out.getvalue().splitlines()]
    assert len(lines) == 2
    first, last = lines
    # before state 3072: states 0..3072 stored (the counter stores one ahead), 1 initial +
    # 3072 increments generated, the deepest stored state at depth 3072
    assert first[first.index("distinct") + 1] == "1025"
    assert last[last.index("distinct") + 1] == "3073"
    assert last[last.index("generated") + 1] == "3073"
    assert last[last.index("depth") + 1] == "3072"
