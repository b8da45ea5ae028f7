"""What an engine hands to reports: `Result` (outcome, figures, coverage) and `Trace`.

One type whichever engine found it. `replay` re-executes a trace with the reference
interpreter; a disagreement is an internal error of the engine, never shown as a verdict.
Imports `model`, `values`, `interp`, `diagnostics`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

from explorer import budget as B
from explorer.diagnostics import AssertFailure, EvalError
from explorer.interp import Interp, Label
from explorer.model import Expr, Fairness, Model, Span, Temporal
from explorer.values import Value, format_value


class OutcomeKind(StrEnum):
    """What a check found. A `StrEnum`: it prints, formats and serialises (JSON) as its
    value, so reports read exactly as they did when kinds were strings."""

    HOLDS = "holds"  # the search explored every reachable state and found nothing wrong
    VIOLATION = "violation"  # an invariant, or an `always` property, is violated (`target`)
    LIVENESS = "liveness"  # a property is violated by a fair infinite behaviour (a lasso)
    DEADLOCK = "deadlock"
    ASSERTION = "assertion"
    ERROR = "error"  # a runtime evaluation error (`code`)
    INCOMPLETE = "incomplete"  # a limit stopped it before an answer (`reason`)
    NO_INITIAL_STATE = "no_initial_state"  # `init` gives no state (E3008)
    PROVED = "proved"  # the invariants are inductive
    CTI = "cti"  # a counterexample to induction
    BOUNDED = "bounded"  # nothing within the depth of a bounded search (`reason`)


EXIT_UNCOVERED = 15  # a complete exploration never reached a `cover` (TLC has no such code)

# exit codes, TLC's where TLC has one
EXIT = {OutcomeKind.DEADLOCK: 11, OutcomeKind.VIOLATION: 12, OutcomeKind.LIVENESS: 13,
        OutcomeKind.ASSERTION: 14,
        OutcomeKind.ERROR: 75, OutcomeKind.INCOMPLETE: 3, OutcomeKind.NO_INITIAL_STATE: 75}


@dataclass(frozen=True)
class Step:
    action: str
    params: tuple[tuple[str, Value], ...]
    span: Span


@dataclass
class Trace:
    """States[0] is initial; steps[i] leads from states[i] to states[i+1]. When the last
    step failed (assertion or runtime error in an action), len(steps) == len(states).
    A lasso (a liveness counterexample) has `loop`: the behaviour goes on for ever from
    its last state as from states[loop], which it equals; when loop is the last index,
    it stutters there for ever."""

    var_names: tuple[str, ...]
    states: list[tuple[Value, ...]]
    steps: list[Step]
    loop: int | None = None

    @property
    def stutters(self) -> bool:
        """A lasso that ends by stuttering for ever (its cycle has no step)."""
        return self.loop is not None and self.loop == len(self.states) - 1

    def __len__(self) -> int:
        return len(self.steps)

    def state_dict(self, i: int) -> dict[str, Value]:
        return dict(zip(self.var_names, self.states[i]))

    def only(self, keep: list[int]) -> Trace:
        """The same trace showing only the variables at positions `keep`."""
        return Trace(tuple(self.var_names[i] for i in keep),
                     [tuple(st[i] for i in keep) for st in self.states], self.steps, self.loop)


@dataclass
class Outcome:
    kind: OutcomeKind  # a plain string is taken too, and made an OutcomeKind
    target: str | None = None  # the violated invariant
    message: str | None = None
    code: str | None = None  # E3xxx for runtime errors
    span: Span | None = None  # where in the spec
    reason: str | None = None  # for incomplete: which limit
    assertion: str | None = None  # the failed assertion's name, for `assert NAME: ...`

    def __post_init__(self) -> None:
        self.kind = OutcomeKind(self.kind)  # an unknown kind is a bug: ValueError

    @property
    def exit_code(self) -> int:
        return EXIT.get(self.kind, 0)


def no_initial_state(model: Model, constrained: bool = False) -> Outcome:
    """The outcome, in every engine, of a model whose `init` gives no state (runtime error
    E3008, at `init`), or none that satisfies the constraints (`constrained`): nothing is
    reachable, so no check can say anything of it."""
    why = ("every initial state violates a `constraint`" if constrained else
           "every way through `init` meets an `x in S` whose S is empty")
    return Outcome(OutcomeKind.NO_INITIAL_STATE, code="E3008", span=model.init_span,
                   message=f"{why}, so there is nothing to check")


@dataclass
class Figures:
    generated: int = 0
    distinct: int = 0
    depth: int = 0
    elapsed: float = 0.0
    complete: bool = False
    queue: int = 0
    compiled: bool = False  # the explicit search ran compiled (explorer.native)
    symmetry: str = ""  # the reduction by symmetric sets, in words (explorer.symmetry)
    liveness: str = ""  # the properties checked, the graph and the fairness, in words

    @property
    def states_per_second(self) -> float:
        return self.distinct / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class Coverage:
    action: str
    span: Span
    fired: int = 0
    new: int = 0


@dataclass
class Reached:
    """A `cover` and how a search met it: `steps`, the length of a shortest path to a
    state that satisfies it (None: no state explored does), and that path (`trace`)."""

    name: str
    span: Span
    steps: int | None
    trace: Trace | None = None


@dataclass
class Result:
    outcome: Outcome
    figures: Figures
    coverage: list[Coverage] = field(default_factory=list)
    trace: Trace | None = None
    engine: str = "bfs"
    interrupted: bool = False  # Ctrl-C stopped it: the run stops too
    covers: list[Reached] = field(default_factory=list)  # the check's covers, when judged

    def uncovered(self) -> list[str]:
        """The covers a complete exploration never reached (the check fails for them)."""
        if self.outcome.kind is not OutcomeKind.HOLDS:
            return []
        return [c.name for c in self.covers if c.steps is None]


def within_budget(b: B.Budget, engine: str, run: Callable[[], Result]) -> Result:
    """run() with b active; a limit reached in any phase, the memory backstop's
    MemoryError and Ctrl-C give the outcome `incomplete` naming the phase (Ctrl-C also
    marks the result `interrupted`, so that the whole run stops)."""
    with B.activate(b):
        try:
            result = run()
            b.interrupted = b.interrupted or result.interrupted
            return result
        except B.LimitReached as e:
            reason = e.reason
        except MemoryError as e:
            reason = b.memory_reason(e)
        except KeyboardInterrupt as e:
            b.interrupted = True
            reason = b.interrupt_reason(e)
    figures = Figures(elapsed=b.clock() - b.start)
    return Result(Outcome(OutcomeKind.INCOMPLETE, reason=reason), figures, [], None, engine=engine,
                  interrupted=b.interrupted)


class ReplayError(Exception):
    """The engine's trace does not replay under the reference interpreter (an internal bug)."""


def replay(model: Model, trace: Trace, outcome: Outcome) -> None:
    """Check the trace step by step, and its ending, with the reference interpreter."""
    it = Interp(model)
    states = trace.states
    if not states:  # the fault happened while computing the initial states
        try:
            for _ in it.iter_initial_states():
                pass
        except EvalError as e:
            if outcome.kind is OutcomeKind.ERROR and e.code == outcome.code:
                return
            raise ReplayError(f"the initial states fail differently under the interpreter: {e}") from e
        raise ReplayError("the initial states do not fail under the interpreter")
    if not any(st == states[0] for st in it.iter_initial_states()):
        raise ReplayError("the first state of the trace is not an initial state")
    _replay_constraints(it, model, trace, outcome)
    for i, step in enumerate(trace.steps):
        if i == len(states) - 1:  # a failing step, without a post-state
            _replay_fault(it, model, states[i], step, outcome, i + 1)
            return
        try:
            succ = it.action_successors(states[i], step.action, step.params)
        except (EvalError, AssertFailure) as e:
            raise ReplayError(f"step {i + 1} ({step.action}) fails under the interpreter: {e}") from e
        if states[i + 1] not in succ:
            raise ReplayError(f"step {i + 1} ({step.action}) does not lead to the next state "
                              "under the interpreter")
    final = states[-1]
    try:
        if outcome.kind is OutcomeKind.VIOLATION:
            if it.invariant_holds(outcome.target or "", final):
                raise ReplayError(f"invariant {outcome.target} holds in the last state under the "
                                  "interpreter")
        elif outcome.kind is OutcomeKind.DEADLOCK:
            if it.successors(final) or it.is_terminal(final):
                raise ReplayError("the last state is not a deadlock under the interpreter")
        elif outcome.kind is OutcomeKind.LIVENESS:
            _replay_lasso(it, model, trace, outcome)
        elif outcome.kind is OutcomeKind.ERROR:
            failed = False
            try:
                for inv in model.invariants:
                    it.invariant_holds(inv.name, final)
                if model.terminal is not None:
                    it.is_terminal(final)
                for prop in model.properties:
                    for pred in (prop.p, prop.q):
                        if pred is not None:
                            it.eval(pred, final)
                it.in_model(final)
                it.covers(final)
            except EvalError as e:
                failed = e.code == outcome.code
            if not failed:
                raise ReplayError("the last state raises no such error under the interpreter")
    except (EvalError, AssertFailure) as e:
        raise ReplayError(f"the interpreter fails on the last state: {e}") from e


def replay_cover(model: Model, reached: Reached) -> None:
    """A cover's witness, checked by the interpreter: an initial state, steps that lead
    from each state to the next, every state within the constraints, and the last one
    satisfying the cover."""
    trace = reached.trace
    assert trace is not None and reached.steps == len(trace.steps)
    it = Interp(model)
    states = trace.states
    try:
        if not any(st == states[0] for st in it.iter_initial_states()):
            raise ReplayError(f"cover {reached.name}: the first state is not an initial state")
        for i, step in enumerate(trace.steps):
            if states[i + 1] not in it.action_successors(states[i], step.action, step.params):
                raise ReplayError(f"cover {reached.name}: step {i + 1} ({step.action}) does "
                                  "not lead to the next state under the interpreter")
        if not all(it.in_model(st) for st in states):
            raise ReplayError(f"cover {reached.name}: a state violates a constraint")
        if reached.name not in it.covers(states[-1]):
            raise ReplayError(f"cover {reached.name} does not hold in the last state under "
                              "the interpreter")
    except (EvalError, AssertFailure) as e:
        raise ReplayError(f"cover {reached.name}: the interpreter fails: {e}") from e


def _replay_constraints(it: Interp, model: Model, trace: Trace, outcome: Outcome) -> None:
    """Every state the search expanded satisfies the constraints: all but the last, and
    the last too when it was expanded (a deadlock, a lasso, a step that fails from it). A
    violation or an error may be met in a state a constraint drops: it is checked first."""
    if not model.constraints:
        return
    states = trace.states
    last_kept = (outcome.kind in (OutcomeKind.DEADLOCK, OutcomeKind.LIVENESS)
                 or len(trace.steps) == len(states))
    expanded = states if last_kept else states[:-1]
    try:
        for n, st in enumerate(expanded):
            if not it.in_model(st):
                raise ReplayError(f"state {n} of the trace violates a constraint under the "
                                  "interpreter, so the search would not have expanded it")
    except EvalError as e:
        raise ReplayError(f"the interpreter fails on a constraint: {e}") from e


def _replay_lasso(it: Interp, model: Model, trace: Trace, outcome: Outcome) -> None:
    """A lasso, checked by the interpreter (its steps are checked already): it closes (its
    last state is states[loop]), the property is violated along the infinite behaviour it
    stands for, and that behaviour is fair to every instance (an action with one binding)
    of a `fair` or `strong fair` action, counting only steps that change the state."""
    states, loop = trace.states, trace.loop
    prop = next((p for p in model.properties if p.name == outcome.target), None)
    if prop is None or loop is None or not 0 <= loop < len(states):
        raise ReplayError("a liveness counterexample without its property or its loop")
    if loop < len(states) - 1 and states[-1] != states[loop]:
        raise ReplayError(f"the lasso does not return to state {loop}")
    cycle = states[loop:-1] if loop < len(states) - 1 else [states[loop]]

    def holds(e: Expr | None, st: tuple[Value, ...]) -> bool:
        assert e is not None
        return it.eval(e, st) is True

    p = [holds(prop.p, st) for st in states]
    tail = range(loop, len(states))
    match prop.kind:
        case Temporal.EVENTUALLY:
            ok = not any(p)
        case Temporal.LEADS_TO:
            q = [holds(prop.q, st) for st in states]
            ok = not any(q[j] for j in tail) and any(
                p[i] and not any(q[i:]) for i in range(len(states)))
        case Temporal.ALWAYS_EVENTUALLY:
            ok = not any(p[j] for j in tail)
        case Temporal.EVENTUALLY_ALWAYS:
            ok = not all(p[j] for j in tail)
        case Temporal.ALWAYS:
            ok = False  # a finite trace violates it: never a lasso
        case _:
            assert_never(prop.kind)
    if not ok:
        raise ReplayError(f"the lasso does not violate {prop.name} under the interpreter")
    unfair = _unfair(it, model, cycle, states[loop:] if loop < len(states) - 1 else [])
    if unfair:
        raise ReplayError(f"the lasso's cycle is not fair to {unfair} under the interpreter")


def _unfair(it: Interp, model: Model, cycle: list[tuple[Value, ...]],
            path: list[tuple[Value, ...]]) -> str | None:
    """The first instance of a fair action the repeated cycle is unfair to, if any:
    `cycle` its states, `path` the same closed (first state last), or [] when it stutters."""
    fair = {a.name: a.fairness for a in model.actions if a.fairness is not Fairness.NONE}
    succ = [[(lab, t) for lab, t in it.successors(st) if lab[0] in fair and t != st]
            for st in cycle]  # each cycle state's steps of fair actions, stuttering left out
    enabled = [{lab for lab, _ in out} for out in succ]
    taken: set[Label] = set()
    for out, b in zip(succ, path[1:]):  # path[k] is cycle[k]
        taken |= {lab for lab, t in out if t == b}
    for lab in sorted(set().union(*enabled), key=repr):
        if lab in taken:
            continue
        strong = fair[lab[0]] is Fairness.STRONG
        if strong or all(lab in en for en in enabled):
            params = ", ".join(f"{n}={format_value(v)}" for n, v in lab[1])
            return f"{fair[lab[0]].value} {lab[0]}({params})"
    return None


def _replay_fault(it: Interp, model: Model, state: tuple[Value, ...], step: Step, outcome: Outcome,
                  n: int) -> None:
    """The failing step fails alike under the interpreter: for its binding (when complete:
    a fault in a parameter's domain binds only the parameters before it), and as the first
    fault of the state in exploration order, where the search stopped."""
    action = next((a for a in model.actions if a.name == step.action), None)
    if action is None:
        raise ReplayError(f"step {n}: no action {step.action}")
    runs: list[Callable[[], object]] = [lambda: it.successors(state)]
    if len(step.params) == len(action.params):
        runs.append(lambda: it.action_successors(state, step.action, step.params))
    for run in runs:
        try:
            run()
        except (EvalError, AssertFailure) as e:
            kind = OutcomeKind.ASSERTION if isinstance(e, AssertFailure) else OutcomeKind.ERROR
            if kind != outcome.kind or (isinstance(e, EvalError) and e.code != outcome.code) or (
                    isinstance(e, AssertFailure) and e.name != outcome.assertion):
                raise ReplayError(f"step {n} fails differently under the interpreter: {e}") from e
            continue
        raise ReplayError(f"step {n} ({step.action}) does not fail under the interpreter")


def verify_cti(model: Model, trace: Trace, outcome: Outcome) -> None:
    """Check a counterexample to induction with the reference interpreter: every state but
    the last satisfies every invariant (helpers included), each step leads to the next,
    and the last state violates the named invariant (or, when the last step has no
    post-state, expanding the state before it fails)."""
    it = Interp(model)
    states = trace.states
    failing = len(trace.steps) == len(states)
    pre = states if failing else states[:-1]
    try:
        for n, st in enumerate(pre):
            for inv in model.invariants:
                if not it.invariant_holds(inv.name, st):
                    raise ReplayError(f"state {n} of the CTI violates {inv.name}")
            if not it.in_model(st):
                raise ReplayError(f"state {n} of the CTI violates a constraint")
        for i, step in enumerate(trace.steps):
            if i == len(states) - 1:
                if it.first_fault(states[i]) is None:
                    raise ReplayError("the CTI's last step does not fail under the interpreter")
                return
            if states[i + 1] not in it.action_successors(states[i], step.action, step.params):
                raise ReplayError(f"step {i + 1} ({step.action}) of the CTI does not lead to the "
                                  "next state under the interpreter")
        try:
            broken = not it.invariant_holds(outcome.target or "", states[-1])
        except EvalError:
            broken = True
        if not broken:
            raise ReplayError(f"the CTI's last state satisfies {outcome.target}")
    except (EvalError, AssertFailure) as e:
        raise ReplayError(f"the interpreter fails on the CTI: {e}") from e
