"""The successor contract (explorer/explicit/system.py): the search expands states through a
sink it picks. Each sink on hand-made systems and on compiled specs: unseen-only gives the
fused path's figures, all-edges records every edge (to seen states too) with the same
counts, canonicalise-then-unseen deduplicates by representative and keeps real steps on
the path, so a trace still replays through the interpreter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_bfs import Sys

from explorer import model as M
from explorer.diagnostics import AssertFailure, EvalError
from explorer.explicit.bfs import Search, search
from explorer.explicit.compile import CompiledModel, compile_model
from explorer.explicit.graph import UNFAIR, WEAK, Graph
from explorer.explicit.run import outcome as search_outcome
from explorer.explicit.system import AllEdges, Canonical, Collect, Unseen, expander
from explorer.interp import Interp
from explorer.lang.load import load_spec, load_text
from explorer.results import ReplayError, Trace, replay
from explorer.values import Fn

ROOT = Path(__file__).resolve().parent.parent
FAULTS = (EvalError, AssertFailure)


def two_counters(n: int, bad: tuple[int, int] | None = None) -> Sys:
    """(a, b), each counting up to n: symmetric under swapping a and b (the invariant
    too: `bad` is a pair in order, and both orders violate it)."""
    return Sys(lambda: [(0, 0)],
               [lambda s: [(s[0] + 1, s[1])] if s[0] < n else [],
                lambda s: [(s[0], s[1] + 1)] if s[1] < n else []],
               invariants=lambda s: 0 if tuple(sorted(s)) == bad else -1,
               terminal=lambda s: s == (n, n))


def run(system: Any, **kw: Any) -> Search[Any]:
    return search(system, progress=None, fault_types=FAULTS, **kw)


def figures(r: Search[Any]) -> tuple[Any, ...]:
    return r.kind, r.at, r.states, r.parent, r.label, r.generated, r.depth, r.fired, r.new


# ---------------------------------------------------------------------------------------
# The sinks themselves


def test_sinks_count_every_successor_and_keep_what_they_promise() -> None:
    seen = {1: 0}
    u, e, c = Unseen(seen, [0, 0]), AllEdges(seen, [0, 0]), Canonical(abs, seen, [0, 0])
    for sink in (u, e, c):
        sink(0, ("x",), 1)
        sink(1, ("y",), 2)
        sink(1, ("z",), -2)
    assert u.kept == [(2, 1, ("y",), 2), (-2, 1, ("z",), -2)]
    assert e.kept == [(1, 0, ("x",), 1), (2, 1, ("y",), 2), (-2, 1, ("z",), -2)]
    # the representative is the key; the successor itself is kept next to it
    assert c.kept == [(2, 1, ("y",), 2), (2, 1, ("z",), -2)]
    for sink in (u, e, c):
        assert sink.fired == [1, 2] and sink.total == 3


def test_expander_from_per_action_functions_marks_the_faulting_action() -> None:
    def boom(s: int) -> list[int]:
        raise EvalError("E3006", "division by zero", M.NOSPAN)
    sys = Sys(lambda: [0], [lambda s: [s + 1, s + 2], boom])
    sink: Collect[int] = Collect()
    with pytest.raises(EvalError) as ei:
        expander(sys)(0, sink)
    assert sink.edges == [(0, (), 1), (0, (), 2)] and vars(ei.value)["action"] == 1


# ---------------------------------------------------------------------------------------
# The search with each sink, on a hand-made system


def test_all_edges_sees_edges_to_seen_states_with_the_same_counts() -> None:
    plain = run(two_counters(2))
    r = run(two_counters(2), graph=Graph([UNFAIR, WEAK]))
    assert figures(r) == figures(plain)
    assert plain.graph is None and r.graph is not None
    g = r.graph
    edges = [(i, g.act[e], g.dst[e]) for i in range(g.n) for e in g.out(i)]
    # 9 states; (a, b) has one edge per counter below 2: 12 edges, 4 of them into a state
    # reached first another way (the diamonds)
    assert len(r.states) == 9 == g.n and len(edges) == 12 == sum(r.fired) == r.generated - 1
    assert sum(1 for i, _, j in edges if r.parent[j] != i) == 4
    for i, aid, j in edges:
        assert r.states[j] in two_counters(2).actions[aid](r.states[i])
    # the fair action's one instance (no parameters) is numbered; the other has none
    assert {g.inst[e] for e in range(g.edges) if g.act[e] == 1} == {0} == set(g.instances.values())
    assert {g.inst[e] for e in range(g.edges) if g.act[e] == 0} == {-1}
    assert g.nbytes == 8 * 10 + (8 + 4 + 4) * 12
    assert sorted((r.states[i], r.states[j]) for i, _, j in edges) == sorted(
        ((a, b), t) for a in range(3) for b in range(3)
        for act in two_counters(2).actions for t in act((a, b)))


def test_canonical_with_identity_is_the_plain_search() -> None:
    for bad in (None, (2, 1)):
        assert figures(run(two_counters(3, bad), canonical=lambda s: s)) == figures(
            run(two_counters(3, bad)))


def test_canonical_deduplicates_by_representative_and_keeps_real_steps() -> None:
    sys = two_counters(3, bad=(1, 3))
    r = run(sys, canonical=lambda s: tuple(sorted(s)))
    # only the unordered pairs are distinct; the state found is (3, 1), reached by real
    # steps (the first counter first), not its representative (1, 3)
    assert r.kind == "violation" and r.states[r.at] == (3, 1)
    assert len(set(map(lambda s: tuple(sorted(s)), r.states))) == len(r.states)
    assert any(s != tuple(sorted(s)) for s in r.states)
    path = r.path(r.at)
    for prev, i in zip(path, path[1:]):
        assert r.states[i] in sys.actions[r.label[i]](r.states[prev])
    assert r.bindings is not None and r.bindings[r.at] == ()


# ---------------------------------------------------------------------------------------
# Compiled specs


def compiled(path: str, **overrides: Any) -> CompiledModel:
    return compile_model(load_spec(str(ROOT / path)).model(overrides))


@pytest.mark.parametrize("spec,overrides", [("specs/examples/mutex.mnt", {}),
                                            ("specs/examples/mutex.mnt", {"buggy": True}),
                                            ("specs/examples/scalable.mnt", {"N": 3})])
def test_each_sink_on_a_compiled_spec(spec: str, overrides: dict[str, Any]) -> None:
    cm = compiled(spec, **overrides)
    fast = run(cm)
    assert fast.bindings is None  # the fused path
    g = Graph([WEAK] * len(cm.model.actions))  # every edge's binding numbered
    edges = run(cm, graph=g)
    ident = run(cm, canonical=lambda s: s)
    assert figures(edges) == figures(fast) == figures(ident)
    assert edges.graph is g and edges.bindings is not None
    rec = [(i, g.act[e], g.keys[g.inst[e]][1], g.dst[e]) for i in range(g.n) for e in g.out(i)]
    assert all(g.keys[g.inst[e]][0] == g.act[e] for e in range(g.edges))
    # a search that stops at a violation has counted the successors of the state it was
    # expanding, and recorded the edges up to the violating one; a step to the same state
    # is stuttering, not an edge
    done = edges.parent[edges.at] if edges.kind != "holds" else len(edges.states)  # expanded
    loops = sum(1 for i in range(done) for _, _, t in cm_edges(cm, edges.states[i])
                if t == edges.states[i])
    if edges.kind == "holds":
        assert len(rec) == sum(edges.fired) - loops
    else:
        last = edges.parent[edges.at]
        assert len(rec) == sum(edges.fired) - len(cm_edges(cm, edges.states[last])) + sum(
            1 for i, *_ in rec if i == last) - loops
        assert rec[-1][3] == edges.at
    assert sum(1 for i, _, _, j in rec if edges.parent[j] != i) > 0  # to seen states
    # every edge is the compiled action's, and from every expanded state, the edges are
    # the interpreter's successors (other than the state itself), in order
    it = Interp(cm.model)
    by_state: dict[int, list[Any]] = {}
    for i, aid, bind, j in rec:
        assert (edges.states[j], bind) in cm.labelled[aid](edges.states[i])
        act = cm.model.actions[aid].name
        by_state.setdefault(i, []).append(((act, cm.decode_binding(aid, bind)),
                                           cm.decode_state(edges.states[j])))
    for i in range(min(done, 300)):
        here = cm.decode_state(edges.states[i])
        assert by_state.get(i, []) == [x for x in it.successors(here) if x[1] != here]
    # the bindings a sink records are those the fused path's trace rebuilds
    if fast.kind != "holds":
        assert search_outcome(cm, edges) == search_outcome(cm, fast)


def cm_edges(cm: CompiledModel, s: int) -> list[Any]:
    sink: Collect[int] = Collect()
    cm.expand(s, sink)
    return sink.edges


SYMMETRIC = """spec sym
var pc: 0..1 -> 0..3
init { pc = {p: 0 for p in 0..1} }
action step(p in 0..1) when pc[p] < 3 { pc[p] := pc[p] + 1 }
invariant close: pc[0] - pc[1] < 2 and pc[1] - pc[0] < 2
"""


def test_canonical_keeps_a_compiled_trace_replayable() -> None:
    model = load_text(SYMMETRIC, "sym.mnt").default
    cm = compile_model(model)

    def canon(s: int) -> int:  # the two processes are interchangeable: sort their pcs
        (pc,) = cm.decode_state(s)
        lo, hi = sorted((pc[0], pc[1]))
        return cm.encode_state((Fn({0: lo, 1: hi}.items()),))

    r = run(cm, canonical=canon)
    assert r.kind == "violation" and len(r.states) < len(run(cm).states)
    outcome, trace = search_outcome(cm, r)
    assert trace is not None and outcome.kind == "violation"
    replay(model, trace, outcome)  # raises ReplayError unless every step is real
    assert trace.states[-1] == cm.decode_state(r.states[r.at])
    assert any(s != canon(s) for s in (r.states[i] for i in r.path(r.at)))
    # not vacuous: the same path through representatives does not replay
    reps = [cm.decode_state(canon(r.states[i])) for i in r.path(r.at)]
    with pytest.raises(ReplayError):
        replay(model, Trace(trace.var_names, reps, trace.steps), outcome)


GRAPHS = sorted((ROOT / "tests/golden").glob("*.mnt")) + sorted((ROOT / "specs/examples").glob("*.mnt"))


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.stem)
def test_state_graph_over_the_compiled_engine_is_the_interpreters(path: Path) -> None:
    """--dump-states builds its graph with an all-edges sink over the compiled engine: the
    same states, edges (labels and order), violations and failures as the interpreter's."""
    from explorer.diagnostics import SpecError
    from explorer.stategraph import TooLarge, reachable_graph
    try:
        spec = load_spec(str(path))
    except SpecError:
        pytest.skip("not a loadable spec")
    for check in spec.checks:
        model = spec.check_model(check)
        got: list[Any] = []
        for compiled_ in (True, False):
            try:
                g = reachable_graph(model, 300, compiled=compiled_)
                got.append((g.states, g.initial, g.edges, g.violating, g.failing))
            except (TooLarge, EvalError) as e:
                got.append((type(e), str(e)))
        assert got[0] == got[1], check.name
