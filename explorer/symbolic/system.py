"""The transition system as z3 templates, and their copies for step k of a formula.

Every formula over one step (the transition, the faults of expanding a state, deadlock,
each invariant) is built once, over a template current state `@cur` and next state `@nxt`,
and copied to steps k and k+1 by substituting the leaves (z3 constants are declared once
per (variable, step)). Engines ask for `at(k)` states and `trans(k)`, `fault(k)`, ...
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import z3

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget
from explorer.symbolic.encode import Branch, Encoder, SymState
from explorer.symbolic.values import conj, disj
from explorer.symbols import z3_internal
from explorer.values import Value

P = ParamSpec("P")
R = TypeVar("R")


def reproducible(run: Callable[P, R]) -> Callable[P, R]:
    """A z3 run whose answers do not depend on what the process allocated before it.

    z3's choices (which of several shortest counterexamples, which CTI) depend on the ids
    of its terms, and z3 reuses the ids of freed terms. Python's cyclic collector frees
    terms at moments set by every allocation since the process started, the spec's names
    included, so the same query could answer differently after a renaming, or under
    pytest. The run starts from a collected heap and frees terms by reference counts
    only."""
    @functools.wraps(run)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        enabled = gc.isenabled()
        gc.collect()
        gc.disable()
        try:
            return run(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
    return wrapper


@dataclass
class InvTerms:
    inv: M.Invariant
    holds: z3.BoolRef
    fails: z3.BoolRef  # evaluating it raises a runtime error
    bad: z3.BoolRef  # false, or fails
    good: z3.BoolRef  # true, and does not fail


class System:
    """`steps=False` encodes no action: a run that asks only about initial states (the
    base case of 1-induction) skips what is most of the encoding's cost."""

    def __init__(self, model: M.Model, steps: bool = True) -> None:
        self.model = model
        self.enc = enc = Encoder(model)
        self._cur, self._nxt = enc.state("cur"), enc.state("nxt")
        self._sel = z3.Int(z3_internal("sel@cur"))
        self._has_steps = steps
        self._encode_steps(model)
        self.invariants = []
        for inv in model.invariants:
            holds, faults = enc.predicate(inv.expr, self._cur.vals)
            fails = disj([f.cond for f in faults])
            self.invariants.append(InvTerms(inv, holds, fails, z3.Or(z3.Not(holds), fails),
                                            z3.And(holds, z3.Not(fails))))
        # the constraints: hold (and evaluate), fail to evaluate
        cons = [enc.predicate(c.expr, self._cur.vals) for c in model.constraints]
        self._cons_fails = disj([f.cond for _, fs in cons for f in fs])
        self._inside = conj([h for h, _ in cons] + [z3.Not(self._cons_fails)])
        self.constraints_may_fail = any(fs for _, fs in cons)
        # the covers: each holds (and evaluates); one fails to evaluate
        covs = [enc.predicate(c.expr, self._cur.vals) for c in model.covers]
        self._cover_fails = disj([f.cond for _, fs in covs for f in fs])
        self._covers = [z3.And(h, z3.Not(self._cover_fails)) for h, _ in covs]
        if model.terminal is not None:
            term, tfaults = enc.predicate(model.terminal, self._cur.vals)
            self._term_fails = disj([f.cond for f in tfaults])
        else:
            term, self._term_fails = z3.BoolVal(False), z3.BoolVal(False)
        # stuck: nothing enabled or failing, and `terminal` false or failing to evaluate
        # (the search reports the latter as the error it is)
        self._deadlock = conj([z3.Not(self._enabled), z3.Not(self._fault),
                               z3.Or(z3.Not(term), self._term_fails)])
        self._states: dict[int, SymState] = {}
        self._sels: dict[int, z3.ArithRef] = {}
        self._copies: dict[tuple[int, int], z3.ExprRef] = {}

    def _encode_steps(self, model: M.Model) -> None:
        if not self._has_steps:
            self.branches: list[Branch] = []
            self._trans = self._fault = self._enabled = z3.BoolVal(False)
            self._trans_by_action: dict[int, z3.BoolRef] = {}
            self._fault_by_action: dict[int, z3.BoolRef] = {}
            return
        enc = self.enc
        steps = enc.step(self._cur.vals)
        self.branches = steps.branches
        n = len(self.branches)
        moves = [z3.Implies(self._sel == i, z3.And(b.fires, enc.state_eq(self._nxt.vals, b.post)))
                 for i, b in enumerate(self.branches)]
        self._trans = conj([self._sel >= 0, self._sel < n] + moves)
        # one action's branches alone: a proof obligation about one action need not carry
        # the others' (much smaller queries for induction)
        by_action: dict[int, list[int]] = {}
        for i, b in enumerate(self.branches):
            by_action.setdefault(b.action, []).append(i)
        self._trans_by_action = {
            a: conj([disj([self._sel == i for i in ids])] + [moves[i] for i in ids])
            for a, ids in by_action.items()}
        self._fault = disj([f.cond for f in steps.faults])
        self._fault_by_action = {a: disj([f.cond for f in fs])
                                 for a, fs in steps.fault_action.items()}
        self._enabled = disj([b.fires for b in self.branches])

    # -- copies per step ------------------------------------------------------------------

    def at(self, k: int) -> SymState:
        if k not in self._states:
            self._states[k] = self.enc.state(str(k))
        return self._states[k]

    def sel(self, k: int) -> z3.ArithRef:
        if k not in self._sels:
            self._sels[k] = z3.Int(z3_internal(f"sel@{k}"))
        return self._sels[k]

    def _inst(self, term: z3.ExprRef, k: int) -> z3.ExprRef:
        # keyed by the template's id: every template lives as long as the System
        key = (term.get_id(), k)
        got = self._copies.get(key)
        if got is None:
            got = self._copies[key] = self._subst(term, k)
        return got

    def _subst(self, term: z3.ExprRef, k: int) -> z3.ExprRef:
        pairs = list(zip(self._cur.leaves, self.at(k).leaves))
        pairs += list(zip(self._nxt.leaves, self.at(k + 1).leaves))
        pairs.append((self._sel, self.sel(k)))
        return z3.substitute(term, *pairs)

    def side(self, k: int) -> z3.BoolRef:
        """The leaves of step k stay in their types (ranges, sequence lengths)."""
        return conj(self.at(k).side)

    def init(self) -> tuple[z3.BoolRef, z3.BoolRef]:
        """(state 0 is initial, computing the initial states fails)."""
        cond, faults = self.enc.init(self.at(0))
        return cond, disj([f.cond for f in faults])

    def trans(self, k: int) -> z3.BoolRef:
        """Step k leads from state k to state k+1 (sel@k names the branch)."""
        assert self._has_steps, "a System built without steps"
        return self._inst(self._trans, k)

    def trans_by(self, k: int, action: int) -> z3.BoolRef:
        """... by one action."""
        assert self._has_steps, "a System built without steps"
        return self._inst(self._trans_by_action.get(action, z3.BoolVal(False)), k)

    def fault(self, k: int) -> z3.BoolRef:
        """Expanding state k fails (a runtime error or assertion in some action)."""
        assert self._has_steps, "a System built without steps"
        return self._inst(self._fault, k)

    def fault_by(self, k: int, action: int) -> z3.BoolRef:
        assert self._has_steps, "a System built without steps"
        return self._inst(self._fault_by_action.get(action, z3.BoolVal(False)), k)

    def deadlock(self, k: int) -> z3.BoolRef:
        assert self._has_steps, "a System built without steps"
        return self._inst(self._deadlock, k)

    def inside(self, k: int) -> z3.BoolRef:
        """State k satisfies every constraint (a search keeps and expands it)."""
        return self._inst(self._inside, k)

    def constraint_fails(self, k: int) -> z3.BoolRef:
        """A constraint fails to evaluate in state k."""
        return self._inst(self._cons_fails, k)

    def cover(self, i: int, k: int) -> z3.BoolRef:
        """Cover i holds in state k (and no cover fails to evaluate there)."""
        return self._inst(self._covers[i], k)

    def cover_fails(self, k: int) -> z3.BoolRef:
        """A cover fails to evaluate in state k."""
        return self._inst(self._cover_fails, k)

    def bad(self, inv: InvTerms, k: int) -> z3.BoolRef:
        """Invariant inv is false, or fails to evaluate, in state k."""
        return self._inst(inv.bad, k)

    def good(self, invs: list[InvTerms], k: int) -> z3.BoolRef:
        return conj([self._inst(i.good, k) for i in invs])

    def distinct(self, j: int, k: int) -> z3.BoolRef:
        return z3.Not(self.enc.state_eq(self.at(j).vals, self.at(k).vals))

    # -- reading a model back -------------------------------------------------------------

    def state_value(self, m: z3.ModelRef, k: int) -> tuple[Value, ...]:
        return self.enc.decode_state(self.at(k), m)

    def branch_at(self, m: z3.ModelRef, k: int) -> Branch:
        i: int = m.eval(self.sel(k), model_completion=True).as_long()
        return self.branches[i]


class Solver:
    """A z3 solver within the check's budget: each check gets the time that is left (the
    encoding has used some), one past the deadline answers unknown without asking, and z3
    may use the memory the limit leaves (it answers unknown beyond it). Ctrl-C, which z3
    turns into an unknown answer, is a KeyboardInterrupt again."""

    def __init__(self, budget: Budget) -> None:
        self.z3 = z3.Solver()
        self.budget = budget
        self._timed_out = False
        self.timeout_ms: int | None = None  # the last time limit given to z3
        limit = budget.limits.max_memory
        if limit is None:
            z3.set_param("memory_max_size", 0)  # no limit (a global: set for every check)
        else:
            # z3 counts its own allocations: give it what the rest of the process leaves
            used = B.resident_bytes() - z3.Z3_get_estimated_alloc_size()
            z3.set_param("memory_max_size", max(16, (limit - used) >> 20))

    def add(self, *fs: z3.BoolRef) -> None:
        self.z3.add(*fs)

    def check(self, *extra: z3.BoolRef) -> z3.CheckSatResult:
        rest = self.budget.seconds_left()
        if rest is not None:
            if rest <= 0:
                self._timed_out = True
                return z3.unknown
            self.timeout_ms = max(1, int(rest * 1000))
            self.z3.set("timeout", self.timeout_ms)
        self._timed_out = False
        with self.budget.during(B.PHASE_SOLVE):
            r = self.z3.check(*extra)
            if r == z3.unknown and self.z3.reason_unknown() == "interrupted from keyboard":
                raise KeyboardInterrupt
        return r

    def why_unknown(self) -> str:
        """The `incomplete` reason of the last unknown answer."""
        why = "timeout" if self._timed_out else self.z3.reason_unknown()
        with self.budget.during(B.PHASE_SOLVE):
            if why in ("timeout", "canceled"):
                return self.budget.time_reason()
            if "memory" in why:
                return self.budget.memory_reason()
        return f"z3 answered unknown ({why or 'no reason given'})"
