"""z3 model -> `Trace` and `Outcome`, the same types the explicit engine produces.

The states and the actions of the steps come from the z3 model. What went wrong at the
end (which invariant, which runtime error with its message) is then read off the concrete
last state with the reference interpreter, so both engines describe a fault alike.
"""

from __future__ import annotations

import z3

from explorer import model as M
from explorer.diagnostics import AssertFailure, EvalError
from explorer.interp import Interp, State
from explorer.results import Outcome, OutcomeKind, Step, Trace
from explorer.symbolic.system import System


def path(sys: System, m: z3.ModelRef, n_states: int) -> Trace:
    """States 0..n_states-1 of the model, and the steps between them."""
    model = sys.model
    states = [sys.state_value(m, k) for k in range(n_states)]
    steps = []
    for k in range(n_states - 1):
        b = sys.branch_at(m, k)
        act = model.actions[b.action]
        steps.append(Step(act.name, b.params, act.span))
    return Trace(tuple(v.name for v in model.vars), states, steps)


def fault_outcome(model: M.Model, trace: Trace) -> Outcome | None:
    """When expanding the last state of `trace` fails: append the failing step (its
    action, and its binding so far) and describe the fault, as the explicit engine does."""
    found = Interp(model).first_fault(trace.states[-1])
    if found is None:
        return None
    (action, params), e = found
    act = next(a for a in model.actions if a.name == action)
    trace.steps.append(Step(action, params, act.span))
    return _fault(e)


def _fault(e: EvalError | AssertFailure) -> Outcome:
    if isinstance(e, AssertFailure):
        return Outcome(OutcomeKind.ASSERTION, message=e.message, span=e.span, assertion=e.name)
    return Outcome(OutcomeKind.ERROR, message=e.message, code=e.code, span=e.span)


def state_outcome(model: M.Model, invs: list[M.Invariant], state: State,
                  deadlock: bool) -> Outcome | None:
    """What is wrong with a state: a constraint that fails to evaluate (the search
    evaluates them first), the first of `invs` that fails to evaluate or is false (model
    order), or else, when `deadlock` is asked, whether it is a deadlock."""
    it = Interp(model)
    try:
        it.in_model(state)
    except EvalError as e:
        return _fault(e)
    for inv in invs:
        try:
            ok = it.invariant_holds(inv.name, state)
        except EvalError as e:
            return _fault(e)
        if not ok:
            return Outcome(OutcomeKind.VIOLATION, target=inv.name,
                           message=inv.violated(), span=inv.span)
    if deadlock:
        try:
            if it.successors(state):
                return None
        except (EvalError, AssertFailure):
            return None
        try:
            terminal = it.is_terminal(state)
        except EvalError as e:  # a stuck state where `terminal` fails: that error
            return _fault(e)
        if not terminal:
            return Outcome(OutcomeKind.DEADLOCK, message="deadlock: no action is enabled and the state "
                           "is not terminal")
    return None


def cover_fault(model: M.Model, state: State) -> Outcome | None:
    """The runtime error of evaluating the covers in a state, if any."""
    try:
        Interp(model).covers(state)
    except EvalError as e:
        return _fault(e)
    return None


def init_fault(model: M.Model) -> Outcome | None:
    try:
        for _ in Interp(model).iter_initial_states():
            pass
    except (EvalError, AssertFailure) as e:
        return _fault(e)
    return None
