"""A model's `property` declarations, checked over a finished explicit search.

The search has explored every reachable state (and, for properties about infinite
behaviours, recorded every edge: explorer.explicit.graph). The properties' predicates are
evaluated at every state, and each property is looked for a fair lasso that violates it
(explorer.explicit.liveness). (`always P` is not among them: it is an invariant, checked
during the search.)
Of the violated properties, the one with the shortest counterexample is reported (ties:
the first declared), as the search reports the shortest of its counterexamples. A lasso
becomes a `Trace` with `loop` set; its bindings are the instances' own, or rebuilt as a
safety trace's are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from explorer import budget as B
from explorer import model as M
from explorer.diagnostics import AssertFailure, EvalError
from explorer.explicit.compile import CompiledModel
from explorer.explicit.graph import STRONG, UNFAIR, WEAK, Graph
from explorer.explicit.liveness import Lasso, Liveness, goal, source
from explorer.results import Outcome, OutcomeKind, Step, Trace
from explorer.values import format_value

FAULTS = (EvalError, AssertFailure)


def graph_for(model: M.Model) -> Graph | None:
    """The graph a search of `model` must record: one when it has properties about
    infinite behaviours."""
    if not model.properties:
        return None
    code = {M.Fairness.NONE: UNFAIR, M.Fairness.WEAK: WEAK, M.Fairness.STRONG: STRONG}
    return Graph([code[a.fairness] for a in model.actions])


def fairness(model: M.Model) -> str:
    """The fairness the properties were checked under, in words (the figures say it)."""
    fair = [f"{a.fairness.value} {a.name}" for a in model.actions
            if a.fairness is not M.Fairness.NONE]
    return "fairness: " + (", ".join(fair) if fair else "none (every state may stutter for ever)")


class Searched(Protocol):
    """What the check reads of a finished search, Python's (`bfs.Search`) or compiled."""

    @property
    def distinct(self) -> int: ...

    def state(self, i: int) -> int: ...

    def path(self, i: int) -> list[int]: ...


@dataclass
class Found:
    outcome: Outcome
    trace: Trace
    steps: int
    order: int  # the property's place in the spec


def check(cm: CompiledModel, s: Searched, g: Graph,
          path_trace: Callable[[int], Trace]) -> tuple[Outcome, Trace] | None:
    """The shortest counterexample to one of cm's properties over the complete search s
    and its graph g, or None when every property holds. A predicate that fails to evaluate
    at a state is that runtime error, with the search's trace to the state
    (`path_trace`)."""
    model = cm.model
    pred = cm.predicates
    assert pred is not None
    n = s.distinct
    bits: list[int] = []
    with B.phase(B.PHASE_LIVENESS):
        for i in range(n):
            if i & 4095 == 4095:
                B.poll()
            try:
                bits.append(pred(s.state(i)))
            except FAULTS as e:
                assert isinstance(e, EvalError)  # predicates have no `assert`
                return (Outcome(OutcomeKind.ERROR, message=e.message, code=e.code,
                                span=e.span), path_trace(i))
        live = Liveness(g, next((i for i in range(n) if len(s.path(i)) > 1), n))
        found: list[Found] = []
        for k, prop in enumerate(model.properties):
            p = bytes((b >> 2 * k) & 1 for b in bits)
            q = bytes((b >> (2 * k + 1)) & 1 for b in bits) if prop.q is not None else None
            lasso = live.lasso(goal(prop.kind.value, p, q))
            if lasso is not None:
                trace = _lasso(cm, s, g, lasso)
                found.append(Found(Outcome(
                    OutcomeKind.LIVENESS, target=prop.name,
                    message=f"property {prop.name} ({prop.describe()}) is violated by a "
                    f"fair behaviour{_idle(cm, s, g, lasso, trace)}", span=prop.span), trace,
                    lasso.steps, k))
    if not found:
        return None
    best = min(found, key=lambda f: (f.steps, f.order))
    return best.outcome, best.trace


def _idle(cm: CompiledModel, s: Searched, g: Graph, lasso: Lasso, trace: Trace) -> str:
    """For a lasso that stays in its last state: the steps that leave that state as it is
    (stuttering, in TLA+'s sense: a busy loop that changes nothing), as the message's end."""
    if lasso.cycle:
        return ""
    entry = g.dst[lasso.prefix[-1]] if lasso.prefix else lasso.start
    st = s.state(entry)
    loops = []
    for aid, fn in enumerate(cm.labelled):
        for t, bind in fn(st):
            if t == st:
                params = ", ".join(f"{n} = {format_value(v)}"
                                   for n, v in cm.decode_binding(aid, bind))
                loops.append(f"{cm.model.actions[aid].name}({params})")
    if not loops:
        return ""
    leave = "leaves" if len(loops) == 1 else "leave"
    return f"; in state {len(trace.states) - 1}, {', '.join(loops)} {leave} it as it is"


def _lasso(cm: CompiledModel, s: Searched, g: Graph, lasso: Lasso) -> Trace:
    """The lasso as a trace: its states decoded, each step's binding the instance's own,
    or, for an unfair action, the first that leads from one state to the next."""
    edges = [*lasso.prefix, *lasso.cycle]
    packed = [s.state(lasso.start)] + [s.state(g.dst[e]) for e in edges]
    assert all(source(g, e) == (lasso.start if k == 0 else g.dst[edges[k - 1]])
               for k, e in enumerate(edges))
    model = cm.model
    steps: list[Step] = []
    for e, a, b in zip(edges, packed, packed[1:]):
        aid, inst = g.act[e], g.inst[e]
        bind = g.keys[inst][1] if inst >= 0 else cm.binding_between(aid, a, b)
        act = model.actions[aid]
        steps.append(Step(act.name, cm.decode_binding(aid, bind), act.span))
    return Trace(tuple(v.name for v in model.vars), [cm.decode_state(x) for x in packed],
                 steps, len(lasso.prefix))
