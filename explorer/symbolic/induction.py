"""Induction: is the conjunction of the invariants (goals and helpers) inductive?

For K = 1, ordinary induction:
  initiation   some initial state exists (else the outcome is `no_initial_state`, never
               a vacuous proof), every initial state satisfies every invariant, and
               computing the initial states does not fail;
  consecution  from any state satisfying every invariant, no action fails (runtime error or
               assertion), and each action leads to a state satisfying each invariant.
K > 1 is k-induction: the base case is bounded model checking of the invariants and faults
for K-1 steps (bmc.py), and the step case assumes K consecutive good states on a path
without repeated states.

The solver's frames follow the proof obligations: the hypothesis (the good states and the
path) in the outer frame, one action in the middle one, one negated invariant innermost,
so a failure names both. A failure is a counterexample to induction (CTI): K states
satisfying every invariant, then the action, then a state violating the named one. Deadlock
freedom is not an inductive property and is not proved here. With `constraint`s, the
hypothesis states satisfy them too (the search expands no other state); covers are about
reachability, which induction does not decide: a proof leaves them out.
"""

from __future__ import annotations

import sys as _sys
import time
from typing import TextIO

import z3

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget
from explorer.engine import Unsupported, finish
from explorer.results import Figures, Outcome, OutcomeKind, Result, Trace, within_budget
from explorer.symbolic import decode
from explorer.symbolic.bmc import check_bmc, goals, z3_budget, z3_stops
from explorer.symbolic.system import Solver, System, reproducible
from explorer.symbolic.values import disj


@reproducible
def check_prove(model: M.Model, k: int = 1, max_seconds: float | None = None,
                progress: TextIO | None = _sys.stderr, verify: bool = True,
                budget: Budget | None = None) -> Result:
    """Prove the invariants inductive (k-induction). `budget` (by default `max_seconds`
    from now, or z3's default limit) bounds the base case, the encoding and every query
    together."""
    b = z3_budget(max_seconds, budget)

    def run() -> Result:
        with z3_stops():
            return _prove(model, k, progress, verify, b)
    result = within_budget(b, "prove", run)
    result.engine = "prove"  # a limit in the base case stops the proof
    return result


def _prove(model: M.Model, k: int, progress: TextIO | None, verify: bool, b: Budget) -> Result:
    t0 = time.monotonic()
    every = [i.name for i in model.invariants]

    def done(outcome: Outcome, trace: Trace | None) -> Result:
        figures = Figures(depth=k, complete=outcome.kind is OutcomeKind.PROVED)
        return finish(model, outcome, trace, figures, b, "prove", verify=verify, since=t0)

    # base case: nothing goes wrong in the first K-1 steps (for K = 1: in the initial states)
    if progress is not None:
        progress.write(f"  prove: base case ({k - 1} step{'s' * (k != 2)})\n")
    base = check_bmc(model, k - 1, check_deadlock=False, progress=None, verify=verify,
                     invariants=every, budget=b, covers=False)
    if base.outcome.kind is not OutcomeKind.BOUNDED:
        base.engine = "prove"
        base.figures.elapsed = time.monotonic() - t0
        return base

    with b.during(B.PHASE_ENCODE):
        sys = System(model)
        solver = Solver(b)
    if sys.constraints_may_fail:
        raise Unsupported("a constraint that may fail to evaluate (induction would have to "
                          "prove it never does; the explicit engines and bmc report it)",
                          next(c.span for c in model.constraints))
    ask = solver.check

    def unknown() -> Result:
        return done(Outcome(OutcomeKind.INCOMPLETE, reason=solver.why_unknown()), None)

    # the hypothesis: states 0..K-1 satisfy every invariant, the first K-1 expand without
    # fault and lead to the next, and none of them repeats. Why distinct states may be
    # assumed: the shortest counterexample (a violation, or a failing step) has no repeated
    # state, and every state before its end is good. A failing step from state K-1 ends the
    # path there, so state K is distinct from the others only in the query about the
    # invariants after a step (assuming it for the failing step too said `proved` for
    # `action boom { assert false }` in a one-state spec: there is no second state)
    with b.during(B.PHASE_ENCODE):  # in this order: z3's models depend on it
        for j in range(k + 1):
            solver.add(sys.side(j))
        for j in range(k):
            b.check()
            solver.add(sys.good(sys.invariants, j))
            if model.constraints:  # only states the constraints keep are expanded
                solver.add(sys.inside(j))
        for j in range(k - 1):
            b.check()
            solver.add(z3.Not(sys.fault(j)), sys.trans(j))
        for j in range(k):
            b.check()
            for i in range(j):
                solver.add(sys.distinct(i, j))
        fresh_last = [sys.distinct(i, k) for i in range(k)]
    last = k - 1
    checked = 0
    for ai, act in enumerate(model.actions):
        if progress is not None:
            progress.write(f"  prove: {act.name}, {time.monotonic() - t0:.1f} s\n")
        # first: the action does not fail from a good state
        r = ask(sys.fault_by(last, ai))
        checked += 1
        if r == z3.unknown:
            return unknown()
        if r == z3.sat:
            trace = decode.path(sys, solver.z3.model(), k)
            o = decode.fault_outcome(model, trace)
            if o is None:
                raise AssertionError(f"z3 finds that {act.name} can fail, the interpreter "
                                     "does not")
            step = trace.steps[-1]
            return done(Outcome(OutcomeKind.CTI, target=None, code=o.code, span=o.span,
                                assertion=o.assertion,
                                message=f"{step.action} can fail from a state where every "
                                        f"invariant holds: {o.message}"), trace)
        # then every invariant at once (one query is much cheaper than one per invariant);
        # a model names the first invariant it violates
        solver.z3.push()
        solver.add(sys.trans_by(last, ai), *fresh_last)
        bads = [sys.bad(inv, k) for inv in sys.invariants]
        r = ask(disj(bads))
        checked += len(bads)
        if r == z3.unknown:
            return unknown()
        if r == z3.sat:
            m = solver.z3.model()
            inv = next(inv for inv, b in zip(sys.invariants, bads)
                       if z3.is_true(m.eval(b, model_completion=True)))
            trace = decode.path(sys, m, k + 1)
            name = inv.inv.name
            return done(Outcome(OutcomeKind.CTI, target=name, span=inv.inv.span,
                                message=f"invariant {name} is not inductive: {act.name} "
                                        f"leads from a state where every invariant holds "
                                        f"to one where {name} does not"), trace)
        solver.z3.pop()
    names = [i.name for i in goals(model)]
    helpers = [i.name for i in model.invariants if i.helper]
    how = "induction" if k == 1 else f"{k}-induction"
    msg = f"proved by {how}: {', '.join(names) or 'no invariant'}"
    if helpers:
        msg += f" (with helper{'s' * (len(helpers) > 1)} {', '.join(helpers)})"
    msg += f"; {checked} obligations"
    return done(Outcome(OutcomeKind.PROVED, message=msg), None)
