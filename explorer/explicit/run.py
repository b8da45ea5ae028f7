"""One explicit-state check: compile the model, search, decode and replay the trace.

Produces the engine-independent `Result`. A trace the reference interpreter does not
replay becomes an internal error, never a verdict.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget
from explorer.diagnostics import AssertFailure, EvalError
from explorer.engine import finish
from explorer.explicit import covers, properties
from explorer.explicit.bfs import Limits, Search, search
from explorer.explicit.canon import Canon
from explorer.explicit.compile import CompiledModel, compile_model
from explorer.explicit.graph import Graph
from explorer.explicit.properties import graph_for
from explorer.explicit.system import Binding
from explorer.results import (
    Coverage,
    Figures,
    Outcome,
    OutcomeKind,
    Reached,
    Result,
    Step,
    Trace,
    no_initial_state,
    within_budget,
)
from explorer.symmetry import NONE as NO_SYMMETRY
from explorer.symmetry import Symmetry, analyse

# compile_model is looked up here by the compiled engine too, so that both explicit
# engines compile the model through one name (tests stand in for it there)
__all__ = ["Explored", "FAULTS", "Finished", "check_model", "compile_model", "outcome",
           "python_search", "reduction", "result"]


def check_model(model: M.Model, limits: Limits | None = None,
                progress: TextIO | None = sys.stderr, verify: bool = True,
                budget: Budget | None = None, symmetry: bool = True) -> Result:
    """Explore `model` exhaustively (within limits) and describe what was found. The
    phases poll `budget` (by default one of `limits`, from now); a limit reached outside
    the search gives the outcome `incomplete` too, naming the phase. `symmetry`: reduce by
    the model's symmetric sets where that is sound (explorer.symmetry)."""
    b = budget or Budget(limits)
    return within_budget(b, "bfs", lambda: _check(model, limits, progress, verify, b, symmetry))


def _check(model: M.Model, limits: Limits | None, progress: TextIO | None, verify: bool,
           b: Budget, symmetry: bool) -> Result:
    t0 = time.monotonic()
    with b.during(B.PHASE_COMPILE):
        cm = compile_model(model)
        sym = reduction(model, symmetry)
    s = python_search(cm, limits, progress, b, symmetry=sym)
    return result(cm, s, t0, b, verify, symmetry=sym)


def reduction(model: M.Model, on: bool) -> Symmetry:
    """The symmetric sets the search reduces by: those `analyse` finds sound, unless `on`
    is false (`--no-symmetry`)."""
    return analyse(model) if on else NO_SYMMETRY


FAULTS = (EvalError, AssertFailure)


class Explored(Protocol):
    """What a finished search says, for `outcome`: the Python search (`bfs.Search`) and the
    compiled engine's both read this way."""

    kind: str
    at: int
    invariant: int
    fault: BaseException | None
    fault_action: int
    fault_binding: Binding | None

    @property
    def reason(self) -> str: ...

    @property
    def distinct(self) -> int: ...

    def path(self, i: int) -> list[int]: ...

    def state(self, i: int) -> int: ...

    def label_of(self, i: int) -> int: ...

    def binding_of(self, i: int) -> Binding | None: ...


def outcome(cm: CompiledModel, s: Explored) -> tuple[Outcome, Trace | None]:
    """The outcome of a finished search of cm, and its trace (decoded, not replayed)."""
    model = cm.model
    if s.kind == "holds" and not s.distinct:  # nothing was explored: not a `holds`
        return no_initial_state(model, constrained=bool(model.constraints)), None
    if s.kind == "holds":
        return Outcome(OutcomeKind.HOLDS), None
    if s.kind == "incomplete":
        return Outcome(OutcomeKind.INCOMPLETE, reason=s.reason), None
    # a fault while computing the initial states has an empty trace (0 steps)
    trace = _trace(cm, s, s.at) if s.at >= 0 else Trace(tuple(v.name for v in model.vars), [], [])
    if s.kind == "violation":
        inv = model.invariants[s.invariant]
        return Outcome(OutcomeKind.VIOLATION, target=inv.name, message=inv.violated(),
                       span=inv.span), trace
    if s.kind == "deadlock":
        return Outcome(OutcomeKind.DEADLOCK, message="deadlock: no action is enabled and the state is "
                       "not terminal"), trace
    e = s.fault
    if s.fault_action >= 0:
        act = model.actions[s.fault_action]
        params = cm.decode_binding(s.fault_action, s.fault_binding or ())
        trace.steps.append(Step(act.name, params, act.span))
    if isinstance(e, AssertFailure):
        return Outcome(OutcomeKind.ASSERTION, message=e.message, span=e.span, assertion=e.name), trace
    assert isinstance(e, EvalError)
    return Outcome(OutcomeKind.ERROR, message=e.message, code=e.code, span=e.span), trace


def _trace(cm: CompiledModel, s: Explored, at: int) -> Trace:
    model = cm.model
    idx = s.path(at)
    states = [cm.decode_state(s.state(i)) for i in idx]
    steps = []
    for prev, i in zip(idx, idx[1:]):
        aid = s.label_of(i)
        recorded = s.binding_of(i)
        if recorded is not None:  # a sink recorded it
            bind = recorded
        else:
            # the fused paths (Python and compiled) do not record it, and need not:
            # successors come in a fixed order and state i was first reached from prev by
            # action aid, so the first binding of aid that leads from prev to i is the one
            # that reached it (one action expanded again per step of the trace)
            bind = cm.binding_between(aid, s.state(prev), s.state(i))
        act = model.actions[aid]
        steps.append(Step(act.name, cm.decode_binding(aid, bind), act.span))
    return Trace(tuple(v.name for v in model.vars), states, steps)


def python_search(cm: CompiledModel, limits: Limits | None, progress: TextIO | None,
                  b: Budget, handover_at: float | None = None,
                  symmetry: Symmetry = NO_SYMMETRY) -> Search[int]:
    """The Python search of cm; with symmetric sets to reduce by, one state per orbit
    (explorer.explicit.canon), the path made of real states; for a model with properties,
    every edge recorded (explorer.explicit.graph, for the liveness check)."""
    canonical = Canon(cm.model, cm.layout, symmetry.sets) if symmetry.sets else None
    with b.during(B.PHASE_SEARCH):
        return search(cm, limits, progress, fault_types=FAULTS, budget=b,
                      handover_at=handover_at, canonical=canonical,
                      graph=graph_for(cm.model))


class Finished(Explored, Protocol):
    """A finished search with its figures."""

    generated: int
    depth: int
    queue: int
    fired: list[int]
    new: list[int]
    interrupted: bool
    graph: Graph | None  # every edge, for the properties (explorer.explicit.graph)


def _liveness_figures(model: M.Model, g: Graph) -> str:
    """What the figures say of the properties: how many, the graph, the fairness."""
    n = len(model.properties)
    return (f"{n} propert{'y' if n == 1 else 'ies'} over {g.edges:,} transitions "
            f"({B.format_size(g.nbytes)}); {properties.fairness(model)}")


def result(cm: CompiledModel, s: Finished, t0: float, b: Budget, verify: bool,
           compiled: bool = False, symmetry: Symmetry = NO_SYMMETRY) -> Result:
    """The `Result` of a finished search of cm that started (compiling) at t0 (reduced by
    `symmetry`'s sets)."""
    model = cm.model
    found, trace = outcome(cm, s)
    complete = found.kind is OutcomeKind.HOLDS  # every state explored (before properties)
    live = ""
    if complete and s.graph is not None:  # a model with properties: check them
        with b.during(B.PHASE_LIVENESS):
            bad = properties.check(cm, s, s.graph, lambda i: _trace(cm, s, i))
        if bad is not None:
            found, trace = bad
        live = _liveness_figures(model, s.graph)
    reached: list[Reached] = []
    if found.kind is OutcomeKind.HOLDS and model.covers:  # judged over a complete search
        reached, bad = covers.reach(cm, s, lambda i: _trace(cm, s, i))
        if bad is not None:
            found, trace = bad
    elapsed = time.monotonic() - t0
    figures = Figures(s.generated, s.distinct, s.depth, elapsed, complete, s.queue, compiled,
                      symmetry.describe(), live)
    coverage = [Coverage(a.name, a.span, s.fired[i], s.new[i])
                for i, a in enumerate(model.actions)]
    return finish(model, found, trace, figures, b, "bfs", coverage, verify,
                  interrupted=s.interrupted, covers=reached)
