"""A counterexample's filmstrip: which drawing a trace gets.

A spec with a `render` section gets its own mount-tree pictures (`explorer.drawing`
evaluates the section on every state of the trace), with what the violated invariant is
about marked in the last frame; a spec without one gets tables of variables. The DOT text
itself is written by `explorer.reports.diagram`.
"""

from __future__ import annotations

from explorer.drawing import Drawer
from explorer.model import Model
from explorer.reports.diagram import filmstrip_dot, trace_dot
from explorer.results import OutcomeKind, Result


def counterexample_dot(model: Model, result: Result, title: str) -> str:
    """The filmstrip of `result`'s trace (which it must have) as DOT text."""
    trace, o = result.trace, result.outcome
    assert trace is not None
    if model.render is None:
        return trace_dot(trace, o, title)
    dr = Drawer(model)
    # a violation or a CTI ends in the bad state, a failing step in a state before it
    last_is_bad = (o.kind in (OutcomeKind.VIOLATION, OutcomeKind.CTI)
                   and len(trace.steps) < len(trace.states))
    marked = dr.about(o.target, trace.states[-1]) if last_is_bad else set()
    return filmstrip_dot(trace, o, title, [dr.draw(st) for st in trace.states], marked)
