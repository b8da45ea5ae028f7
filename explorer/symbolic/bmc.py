"""Bounded model checking: the shortest violation of length <= K, with one growing solver.

Depth k asks, in this order, whether some path of k steps ends in
  1. a state violating an invariant (or failing to evaluate one);
  2. a step that fails (a runtime error or assertion in expanding state k-1), asked before
     step k-1 -> k is added for good, since a state that fails may have no successor;
  3. a deadlock (no action enabled, not terminal), unless deadlocks are not checked; a
     stuck state where evaluating `terminal` fails is that runtime error, as in the search.
Depths below k have been refuted before, so the first answer is a shortest counterexample
over every kind, as the search's is. Of several kinds at one depth, BMC reports the first
of this list; the search too puts 1 and 2 before 3, and between 1 and 2 reports the one
it meets first (docs/semantics.md, "Counterexample length").
First of all, an `init` that no state satisfies is the outcome `no_initial_state`.
Its trace is replayed with the reference interpreter, like the explicit engine's.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys as _sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

import z3

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget, Limits
from explorer.engine import finish
from explorer.results import (
    Figures,
    Outcome,
    OutcomeKind,
    Reached,
    Result,
    Trace,
    no_initial_state,
    within_budget,
)
from explorer.symbolic import decode
from explorer.symbolic.system import Solver, System, reproducible
from explorer.symbolic.values import disj


def goals(model: M.Model) -> list[M.Invariant]:
    """The invariants a check reports on (helper invariants only serve proofs)."""
    return [i for i in model.invariants if not i.helper]


def z3_budget(max_seconds: float | None, budget: Budget | None) -> Budget:
    """The check's budget, or one from now with max_seconds, by default z3's own limit."""
    if budget is not None:
        return budget
    seconds = max_seconds if max_seconds is not None else B.Z3_DEFAULT_SECONDS
    return Budget(Limits(max_seconds=seconds))


@reproducible
def check_bmc(model: M.Model, depth: int, check_deadlock: bool = True,
              max_seconds: float | None = None, progress: TextIO | None = _sys.stderr,
              verify: bool = True, invariants: list[str] | None = None,
              budget: Budget | None = None, covers: bool = True) -> Result:
    """Search for a shortest counterexample of at most `depth` steps. `invariants` names
    the invariants to check (default: every one but the helpers). `budget` (by default
    `max_seconds` from now, or z3's default limit) bounds the encoding and every query.
    `covers`: look for a shortest path to each cover too (within the depth)."""
    b = z3_budget(max_seconds, budget)

    def run() -> Result:
        with z3_stops():
            return _bmc(model, depth, check_deadlock, progress, verify, invariants, b,
                        covers)
    return within_budget(b, "bmc", run)


@contextlib.contextmanager
def z3_stops() -> Iterator[None]:
    """A stop in z3's hands as the exception the budget knows: z3 reports its memory
    limit (or a failed allocation) as an exception of its own, and ctypes wraps Ctrl-C
    (or a MemoryError) met while converting a call's arguments."""
    try:
        yield
    except z3.Z3Exception as e:
        if "memory" in str(e):
            raise MemoryError(str(e)) from None
        raise
    except ctypes.ArgumentError as e:
        if "KeyboardInterrupt" in str(e):
            raise KeyboardInterrupt from None
        if "MemoryError" in str(e):
            raise MemoryError(str(e)) from None
        raise


def _bmc(model: M.Model, depth: int, check_deadlock: bool, progress: TextIO | None,
         verify: bool, invariants: list[str] | None, b: Budget, covers: bool) -> Result:
    t0 = time.monotonic()
    with b.during(B.PHASE_ENCODE):
        sys = System(model, steps=depth > 0 or check_deadlock)
        wanted = set(invariants) if invariants is not None else {i.name for i in goals(model)}
        invs = [t for t in sys.invariants if t.inv.name in wanted]
        solver = Solver(b)
        ask = solver.check
        init, init_fails = sys.init()
        solver.add(sys.side(0))

    def done(outcome: Outcome, trace: Trace | None, k: int,
             reached: list[Reached] | None = None) -> Result:
        return finish(model, outcome, trace, Figures(depth=k, complete=False), b, "bmc",
                      verify=verify, since=t0, covers=reached or ())

    def unknown(k: int) -> Result:
        return done(Outcome(OutcomeKind.INCOMPLETE, reason=solver.why_unknown()), None, k)

    def answer(r: z3.CheckSatResult, k: int, n: int, what: str,
               classify: Callable[[Trace], Outcome | None]) -> Result | None:
        """The result when the query at depth k was sat (the first n states make the
        trace) or unknown; None when it was unsat."""
        if r == z3.unknown:
            return unknown(k)
        if r == z3.unsat:
            return None
        trace = decode.path(sys, solver.z3.model(), n)
        o = classify(trace)
        if o is None:
            raise AssertionError(f"z3 finds {what} at depth {k}, the interpreter does not")
        return done(o, trace, k)

    found = answer(ask(init_fails), 0, 0, "a fault in the initial states",
                   lambda _: decode.init_fault(model))
    if found is not None:
        return found
    solver.add(init)
    # no initial state: every depth would be vacuously fine, and induction's initiation too
    r = ask()
    if r == z3.unknown:
        return unknown(0)
    if r == z3.unsat:
        return done(no_initial_state(model), None, 0)
    if sys.constraints_may_fail:  # evaluated as the initial states come, before any check
        found = answer(ask(sys.constraint_fails(0)), 0, 1, "a constraint failing",
                       lambda t: decode.state_outcome(model, [], t.states[-1], False))
        if found is not None:
            return found
    names = [i.inv for i in invs]
    # each cover's shortest witness (steps, trace), and the first state where a cover fails
    # to evaluate: judged when nothing else is found within the depth, as a search judges
    # them once it is complete
    witness: dict[int, tuple[int, Trace]] = {}
    cover_fault: tuple[Outcome, Trace, int] | None = None
    for k in range(depth + 1):
        if progress is not None:
            progress.write(f"  bmc: depth {k}, {time.monotonic() - t0:.1f} s\n")
        with b.during(B.PHASE_ENCODE):
            b.check()
            step = [sys.side(k), sys.trans(k - 1)] if k > 0 else []
            if k > 0 and model.constraints:  # a search expands only the states it keeps
                solver.add(sys.inside(k - 1))
        bads = [sys.bad(i, k) for i in invs]
        if sys.constraints_may_fail:  # evaluated in every new state, before the invariants
            bads.append(sys.constraint_fails(k))
        if bads:
            # from a state whose expansion fails there is no step (the search stops at the
            # failure): the violation must come from a state that does not fail
            sound = [z3.Not(sys.fault(k - 1))] if k > 0 else []
            found = answer(ask(*step, *sound, disj(bads)), k, k + 1,
                           "an invariant violated",
                           lambda t: decode.state_outcome(model, names, t.states[-1], False))
            if found is not None:
                return found
        if k == 0 and model.constraints:  # every initial state dropped: nothing to explore
            r = ask(sys.inside(0))
            if r == z3.unknown:
                return unknown(0)
            if r == z3.unsat:
                return done(no_initial_state(model, constrained=True), None, 0)
        if k > 0:
            # asked before the step is added: a state that fails may have no successor
            found = answer(ask(sys.fault(k - 1)), k, k, "a failing step",
                           lambda t: decode.fault_outcome(model, t))
            if found is not None:
                return found
            solver.add(*step)
        if check_deadlock:
            kept = [sys.inside(k)] if model.constraints else []
            found = answer(ask(*kept, sys.deadlock(k)), k, k + 1, "a deadlock",
                           lambda t: decode.state_outcome(model, [], t.states[-1], True))
            if found is not None:
                return found
        if covers and model.covers and cover_fault is None:
            r = ask(sys.inside(k), sys.cover_fails(k))
            if r == z3.unknown:
                return unknown(k)
            if r == z3.sat:
                trace = decode.path(sys, solver.z3.model(), k + 1)
                o = decode.cover_fault(model, trace.states[-1])
                if o is None:
                    raise AssertionError(f"z3 finds a cover failing at depth {k}, the "
                                         "interpreter does not")
                cover_fault = (o, trace, k)
            for i in range(len(model.covers)):
                if i in witness or cover_fault is not None:
                    continue
                r = ask(sys.inside(k), sys.cover(i, k))
                if r == z3.unknown:
                    return unknown(k)
                if r == z3.sat:
                    witness[i] = (k, decode.path(sys, solver.z3.model(), k + 1))
    if cover_fault is not None:
        return done(cover_fault[0], cover_fault[1], cover_fault[2])
    reached = [Reached(c.name, c.span, *(witness[i] if i in witness else (None, None)))
               for i, c in enumerate(model.covers)] if covers else []
    return done(Outcome(OutcomeKind.BOUNDED, reason=f"no violation in {depth} steps or fewer"),
                None, depth, reached)
