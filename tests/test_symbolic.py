"""The z3 encoding means what the interpreter means.

Per state of the interpreter's graph, the encoding evaluated on that concrete state must
give the same invariant values, the same terminal value, whether expanding the state fails,
and (when it does not) exactly the interpreter's successors; and the initial states it
allows are the interpreter's. Run on the hand-written specs that use every construct and
every fault kind (tests/test_engine_agreement.py), and on random specs.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
import z3
from hypothesis import assume
from test_engine_agreement import SPECS, _load_random, model_of, on_random_specs

from explorer import model as M
from explorer.diagnostics import AssertFailure, EvalError
from explorer.interp import Interp
from explorer.symbolic.encode import Encoder
from explorer.symbolic.values import decode, lit

FAULTS = (EvalError, AssertFailure)
_EMPTY = z3.Solver()
_EMPTY.check()
GROUND = _EMPTY.model()  # evaluates ground terms


def _true(b: z3.BoolRef) -> bool:
    return z3.is_true(GROUND.eval(b, model_completion=True))


class SymAgreement:
    def __init__(self, model: M.Model) -> None:
        self.model = model
        self.it = Interp(model)
        self.enc = Encoder(model)

    def sym(self, state: tuple) -> dict[int, Any]:
        return {v.index: lit(state[v.index], v.t, self.enc.sorts) for v in self.model.vars}

    def initial(self) -> list[tuple]:
        try:
            init = self.it.initial_states()
        except FAULTS:
            init = None
        s = self.enc.state("0")
        cond, faults = self.enc.init(s)
        solver = z3.Solver()
        solver.add(*s.side)
        fails = solver.check(z3.Or([f.cond for f in faults] or [z3.BoolVal(False)])) == z3.sat
        assert fails == (init is None), f"init fails: z3 {fails}, interpreter {init is None}"
        if init is None:
            return []
        solver.add(cond)
        found = set()
        while solver.check() == z3.sat:
            m = solver.model()
            st = self.enc.decode_state(s, m)
            found.add(st)
            solver.add(z3.Not(self.enc.state_eq(s.vals, self.sym(st))))
            assert len(found) <= len(init), "z3 allows more initial states"
        assert found == set(init)
        return init

    def check_state(self, state: tuple) -> list[tuple]:
        st = self.sym(state)
        for inv in self.model.invariants:
            holds, faults = self.enc.predicate(inv.expr, st)
            try:
                want: Any = self.it.invariant_holds(inv.name, state)
            except FAULTS:
                want = "fault"
            got = "fault" if any(_true(f.cond) for f in faults) else _true(holds)
            assert got == want, f"invariant {inv.name} in {state}: z3 {got}, interpreter {want}"
        if self.model.terminal is not None:
            holds, faults = self.enc.predicate(self.model.terminal, st)
            try:
                want = self.it.is_terminal(state)
            except FAULTS:
                want = "fault"
            got = "fault" if any(_true(f.cond) for f in faults) else _true(holds)
            assert got == want, f"terminal in {state}: z3 {got}, interpreter {want}"
        terms = self.enc.step(st)
        fails = any(_true(f.cond) for f in terms.faults)
        try:
            succ = self.it.successors(state)
        except FAULTS:
            assert fails, f"expanding {state} fails under the interpreter, not under z3"
            return []
        assert not fails, f"expanding {state} fails under z3, not under the interpreter: " + \
            str([(f.code, f.span) for f in terms.faults if _true(f.cond)])
        got = set()
        for b in terms.branches:
            if _true(b.fires):
                post = tuple(decode(b.post[v.index], v.t, GROUND, self.enc.sorts)
                             for v in self.model.vars)
                got.add(((self.model.actions[b.action].name, b.params), post))
        want_set = set(succ)
        assert got == want_set, (f"successors of {state}:\n  z3 only {got - want_set}\n"
                                 f"  interpreter only {want_set - got}")
        return [t for _, t in succ]

    def run(self, limit: int = 400) -> int:
        init = self.initial()
        seen = set(init)
        queue = deque(dict.fromkeys(init))
        while queue and len(seen) <= limit:
            s = queue.popleft()
            for t in self.check_state(s):
                if t not in seen:
                    seen.add(t)
                    queue.append(t)
        return len(seen)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_encoding_agrees_on_hand_written_spec(name: str) -> None:
    assert SymAgreement(model_of(SPECS[name])).run() >= 1


@on_random_specs(60)
def test_encoding_agrees_on_random_specs(text: str) -> None:
    model = _load_random(text)
    assume(model is not None)
    assert model is not None
    try:
        SymAgreement(model).run(limit=150)
    except AssertionError as e:
        raise AssertionError(f"{e}\n--- spec ---\n{text}") from None
