"""The whole reachable state graph of a small model (for `explore --dump-states`): every
state, every transition with its action and binding, which states are initial and which
violate an invariant. Refuses models whose graph is larger than a limit, since the point
is a picture someone can read.

The graph is built breadth first over the explicit engine's compiled model, through the
successor contract (explorer.explicit.system) with a sink that keeps every edge, to seen
states too. Unlike the search, it goes on past a violation (a violating state is drawn,
not expanded) and past a failing state (drawn with why, no edges); a state outside the
`constraint`s is drawn, saying so, and not expanded. The reference
interpreter still judges each state: the first invariant it breaks (helpers included; one
that fails to evaluate counts as broken) and the message of a failing expansion, so the
picture reads exactly as the interpreter has it. A spec the explicit engine cannot
compile (E2005) is drawn by the interpreter alone, behind the same contract. With
`symmetry`, the graph has one node per orbit of the model's symmetric sets (where the
reduction is sound: explorer.symmetry), drawn as the first of its states reached, as the
search explores it."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from explorer import budget
from explorer.diagnostics import AssertFailure, EvalError, SpecError
from explorer.explicit.canon import Canon
from explorer.explicit.compile import compile_model
from explorer.explicit.run import reduction
from explorer.explicit.system import Binding, Collect, Sink
from explorer.interp import Interp, Label, State, check_consts
from explorer.model import Model

MAX_STATES = 2_000
_FAULTS = (EvalError, AssertFailure)


class TooLarge(Exception):
    """The graph has more states than the limit."""


@dataclass
class StateGraph:
    var_names: tuple[str, ...]
    states: list[State] = field(default_factory=list)  # in breadth-first order
    initial: set[int] = field(default_factory=set)
    edges: list[tuple[int, Label, int]] = field(default_factory=list)
    violating: dict[int, str] = field(default_factory=dict)  # state -> first invariant it breaks
    failing: dict[int, str] = field(default_factory=dict)  # state -> why expanding it fails
    reduced: str = ""  # " (one per orbit of S)" when reduced by symmetric sets


@dataclass
class _Engine:
    """What the graph needs of an engine: its states (as it holds them), the successor
    contract, and how to read a state and a binding as the interpreter has them."""

    initial: Callable[[], Iterable[Hashable]]
    expand: Callable[[Any, Sink[Hashable]], None]
    state: Callable[[Any], State]
    label: Callable[[int, Binding], Label]
    key: Callable[[Any], Hashable] = lambda s: s  # noqa: E731  (the node a state is drawn as)
    reduced: str = ""


def _compiled(model: Model, symmetry: bool) -> _Engine | None:
    try:
        cm = compile_model(model)
    except SpecError:  # E2005: too deeply nested for Python
        return None
    names = [a.name for a in model.actions]
    sets = reduction(model, symmetry).sets
    key: Callable[[Any], Hashable] = Canon(model, cm.layout, sets) if sets else _same
    reduced = f" (one per orbit of {', '.join(t.name for t in sets)})" if sets else ""
    return _Engine(cm.initial, cm.expand, cm.decode_state,
                   lambda aid, b: (names[aid], cm.decode_binding(aid, b)), key, reduced)


def _same(s: Hashable) -> Hashable:
    return s


def _interpreted(model: Model, it: Interp) -> _Engine:
    index = {a.name: i for i, a in enumerate(model.actions)}

    def expand(s: State, sink: Sink[State]) -> None:
        for (name, params), t in it.successors(s):
            sink(index[name], params, t)

    return _Engine(it.iter_initial_states, expand, lambda s: s,
                   lambda aid, b: (model.actions[aid].name, b))


def reachable_graph(model: Model, limit: int = MAX_STATES, compiled: bool = True,
                    symmetry: bool = False) -> StateGraph:
    """SpecError when a const fails to evaluate (as every engine does). `compiled=False`
    draws it with the interpreter alone (the same graph: tests compare them)."""
    check_consts(model)
    it = Interp(model)
    eng = (compiled and _compiled(model, symmetry)) or _interpreted(model, it)
    g = StateGraph(tuple(v.name for v in model.vars), reduced=eng.reduced)
    index: dict[Hashable, int] = {}
    held: list[Any] = []  # the engine's own form of each state

    def add(s: Hashable) -> int:
        k = eng.key(s)
        if k not in index:
            budget.poll()  # the run's time and memory limits
            if len(g.states) >= limit:
                raise TooLarge(f"the reachable state graph has more than {limit:,} states")
            index[k] = len(g.states)
            held.append(s)
            g.states.append(eng.state(s))
            for inv in model.invariants:
                try:
                    ok = it.invariant_holds(inv.name, g.states[-1])
                except EvalError:
                    ok = False
                if not ok:
                    g.violating[index[k]] = inv.name
                    break
            if model.constraints and index[k] not in g.violating:
                try:
                    inside = it.in_model(g.states[-1])
                except EvalError as e:
                    g.failing[index[k]] = e.message
                else:
                    if not inside:  # drawn, not expanded: the search drops it
                        g.failing[index[k]] = "outside the constraints: not explored"
        return index[k]

    queue: deque[int] = deque()
    try:
        for s in eng.initial():  # one by one: the limit applies to them too
            i = add(s)
            g.initial.add(i)
            queue.append(i)
    except _FAULTS:
        for _ in it.iter_initial_states():  # the interpreter's own fault, as it words it
            pass
        raise
    while queue:
        i = queue.popleft()
        if i in g.violating or i in g.failing:
            continue  # the search stops there too, or does not expand it
        sink: Collect[Hashable] = Collect()
        try:
            eng.expand(held[i], sink)
        except _FAULTS as e:
            g.failing[i] = _why(it, g.states[i], e)
            continue
        for aid, bind, t in sink.edges:
            new = eng.key(t) not in index
            j = add(t)
            g.edges.append((i, eng.label(aid, bind), j))
            if new:
                queue.append(j)
    return g


def _why(it: Interp, state: State, e: EvalError | AssertFailure) -> str:
    """The message of the fault expanding `state` meets, as the interpreter words it."""
    try:
        it.successors(state)
    except _FAULTS as ie:
        e = ie
    return getattr(e, "message", str(e))
