"""The covers of a model over a finished search: for each `cover`, the first state the
search kept that satisfies it. A search numbers its states breadth first, so the first
is at the end of a shortest path. Every cover is evaluated in every kept state, as an
invariant is: one that fails to evaluate is that runtime error, at the first such state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from explorer import budget as B
from explorer.diagnostics import AssertFailure, EvalError
from explorer.explicit.compile import CompiledModel
from explorer.results import Outcome, OutcomeKind, Reached, Trace


class Kept(Protocol):
    """A finished search, as this module reads it."""

    @property
    def distinct(self) -> int: ...

    def state(self, i: int) -> int: ...


class Firsts(Protocol):
    """A search that finds the first states itself (the compiled engine's, in C): the
    first state of each cover (-1: none), and the first state where one fails to
    evaluate (-1: none), where the scan stopped."""

    def cover_firsts(self) -> tuple[list[int], int]: ...


def reach(cm: CompiledModel, s: Kept, path_trace: Callable[[int], Trace]
          ) -> tuple[list[Reached], tuple[Outcome, Trace] | None]:
    """Each cover of cm with its shortest witness over the search s (`path_trace(i)`: the
    search's trace to state i), or the runtime error of evaluating one."""
    model = cm.model
    if not model.covers:
        return [], None
    fn = cm.covers
    assert fn is not None
    firsts = [-1] * len(model.covers)
    fault = -1
    with B.phase(B.PHASE_COVERS):
        own = getattr(s, "cover_firsts", None)
        if own is not None:
            firsts, fault = own()
        else:
            for i in range(s.distinct):
                if i & 4095 == 4095:
                    B.poll()
                try:
                    bits = fn(s.state(i))
                except (EvalError, AssertFailure):
                    fault = i
                    break
                while bits:
                    k = (bits & -bits).bit_length() - 1
                    if firsts[k] < 0:
                        firsts[k] = i
                    bits &= bits - 1
        if fault >= 0:
            try:
                fn(s.state(fault))
            except EvalError as e:
                return [], (Outcome(OutcomeKind.ERROR, message=e.message, code=e.code,
                                    span=e.span), path_trace(fault))
            raise AssertionError(f"covers fail at state {fault} in one engine only")
        out = []
        for c, i in zip(model.covers, firsts):
            trace = path_trace(i) if i >= 0 else None
            out.append(Reached(c.name, c.span, len(trace.steps) if trace is not None else None,
                               trace))
    return out, None
