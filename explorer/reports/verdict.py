"""A check's verdict: its expectation compared with the outcome an engine found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from explorer.model import Check, ExpectKind
from explorer.results import EXIT_UNCOVERED, Outcome, OutcomeKind, Result


@dataclass
class Verdict:
    check: Check
    config: tuple[tuple[str, object], ...]  # every param in force
    result: Result
    ok: bool
    exit_code: int
    why: str
    overridden: frozenset[str] = frozenset()  # params set by the check's `with` or --set


def describe_outcome(o: Outcome, steps: int | None) -> str:
    where = f" in {steps} step{'s' * (steps != 1)}" if steps is not None else ""
    match o.kind:
        case OutcomeKind.HOLDS:
            return "every invariant holds"
        case OutcomeKind.VIOLATION:
            return f"violation of {o.target}{where}"
        case OutcomeKind.LIVENESS:
            return f"violation of {o.target}{where} (a fair behaviour that loops)"
        case OutcomeKind.INCOMPLETE:
            return f"no answer: stopped at the {o.reason}"
        case OutcomeKind.PROVED:
            return "proved inductive"
        case OutcomeKind.CTI:
            return (f"a counterexample to induction for {o.target}" if o.target is not None
                    else "a counterexample to induction (an action fails)")
        case OutcomeKind.BOUNDED:
            return o.reason or "no violation within the depth"
        case OutcomeKind.ERROR:
            return f"runtime error {o.code}{where}"
        case OutcomeKind.NO_INITIAL_STATE:
            return "no initial state"
        case OutcomeKind.ASSERTION:
            return f"assertion {o.assertion}{where}" if o.assertion is not None \
                else f"assertion{where}"
        case OutcomeKind.DEADLOCK:
            return f"deadlock{where}"
        case _:
            assert_never(o.kind)


def judge(check: Check, config: tuple[tuple[str, object], ...], result: Result,
          overridden: frozenset[str] = frozenset(), accept_bounded: bool = False) -> Verdict:
    """`accept_bounded`: a bounded search that found nothing satisfies `expect holds`
    (`--accept-bounded`); otherwise it is no answer."""
    exp, o = check.expect, result.outcome
    missed = result.uncovered()
    if missed and exp.kind in (ExpectKind.HOLDS, ExpectKind.PROVED):
        which = ", ".join(missed)
        return Verdict(check, config, result, False, EXIT_UNCOVERED,
                       f"cover{'s' if len(missed) > 1 else ''} {which} never reached: the "
                       "exploration was complete and no state satisfies "
                       f"{'them' if len(missed) > 1 else 'it'}, so the check holds vacuously "
                       "for what it describes", overridden=overridden)
    deeper = [c.name for c in result.covers if c.steps is None]
    if o.kind is OutcomeKind.BOUNDED and deeper and exp.kind is ExpectKind.HOLDS:
        return Verdict(check, config, result, False, 3,
                       f"cover{'s' * (len(deeper) > 1)} {', '.join(deeper)} not reached within "
                       f"{result.figures.depth} steps: a bounded search cannot say it is never "
                       "reached, so no answer", overridden=overridden)
    match o.kind:
        case OutcomeKind.INCOMPLETE:
            return Verdict(check, config, result, False, 3,
                           f"stopped at the {o.reason} before an answer", overridden=overridden)
        case OutcomeKind.NO_INITIAL_STATE:  # nothing was checked: it meets no expectation
            return Verdict(check, config, result, False, o.exit_code,
                           f"expected {exp.describe()}, but there is no initial state, so "
                           "nothing was checked", overridden=overridden)
        case OutcomeKind.PROVED | OutcomeKind.CTI | OutcomeKind.BOUNDED:
            return _judge_z3(check, config, result, overridden, accept_bounded)
        case (OutcomeKind.HOLDS | OutcomeKind.VIOLATION | OutcomeKind.LIVENESS
              | OutcomeKind.DEADLOCK | OutcomeKind.ASSERTION | OutcomeKind.ERROR):
            if exp.kind in (ExpectKind.PROVED, ExpectKind.CTI):
                return _judge_z3(check, config, result, overridden, accept_bounded)
            return _judge_search(check, config, result, overridden)
        case _:
            assert_never(o.kind)


def _judge_search(check: Check, config: tuple[tuple[str, object], ...], result: Result,
                  overridden: frozenset[str]) -> Verdict:
    """What a search found (holds, or a counterexample) against `expect holds` or an
    expected counterexample."""
    exp, o = check.expect, result.outcome
    steps = len(result.trace) if result.trace is not None else None
    if exp.kind is ExpectKind.HOLDS:
        ok = o.kind is OutcomeKind.HOLDS
        what = ("every invariant and property" if o.kind is OutcomeKind.LIVENESS
                or (o.message or "").startswith("property ") else "every invariant")
        return Verdict(check, config, result, ok, 0 if ok else o.exit_code,
                       "" if ok else f"expected {what} to hold, found "
                       f"{describe_outcome(o, steps)}", overridden=overridden)
    if o.kind is OutcomeKind.HOLDS:
        return Verdict(check, config, result, False, 1, f"expected {exp.describe()}, but the "
                       "exploration was complete and found none", overridden=overridden)
    # the named property, if any
    found = o.assertion if o.kind is OutcomeKind.ASSERTION else o.target
    kind = OutcomeKind.VIOLATION if o.kind is OutcomeKind.LIVENESS else o.kind  # `violation P`
    ok = (kind == exp.kind.value and (exp.target is None or exp.target == found)
          and (exp.steps is None or exp.steps == steps))
    return Verdict(check, config, result, ok, 0 if ok else o.exit_code,
                   "" if ok else f"expected {exp.describe()}, found {describe_outcome(o, steps)}",
                   overridden=overridden)


def _judge_z3(check: Check, config: tuple[tuple[str, object], ...], result: Result,
              overridden: frozenset[str], accept_bounded: bool) -> Verdict:
    """Outcomes the z3 engines add (proved, a CTI, bounded), and the expectations
    `proved` and `cti` met by any engine. A proof, or an exhaustive `holds`, satisfies
    `holds` and `proved` alike (both say no reachable state violates an invariant); a CTI
    or a bounded search says neither yes nor no to `holds` (exit 3, as a limit does),
    unless bounded acceptance was asked for."""
    exp, o = check.expect, result.outcome
    steps = len(result.trace) if result.trace is not None else None

    def verdict(ok: bool, code: int, why: str) -> Verdict:
        return Verdict(check, config, result, ok, 0 if ok else code, "" if ok else why,
                       overridden=overridden)

    found = describe_outcome(o, steps)
    want = exp.describe()
    match o.kind:
        case OutcomeKind.PROVED | OutcomeKind.HOLDS:
            if exp.kind in (ExpectKind.HOLDS, ExpectKind.PROVED):
                return verdict(True, 0, "")
            return verdict(False, 1, f"expected {want}, found {found}")
        case OutcomeKind.CTI:
            if exp.kind is ExpectKind.CTI:
                return verdict(exp.target == o.target, 1, f"expected {want}, found {found}")
            if exp.kind is ExpectKind.PROVED:
                return verdict(False, 1, f"expected {want}, found {found}")
            return verdict(False, 3, f"{found}: the invariants are not inductive, which says "
                           f"nothing of {want}; add helper invariants, or run the search")
        case OutcomeKind.BOUNDED:
            if exp.kind is ExpectKind.HOLDS:
                return verdict(accept_bounded, 3, f"{found}: a bounded search is not a proof, "
                               "so no answer (--accept-bounded accepts it)")
            if exp.steps is not None and result.figures.depth >= exp.steps:
                return verdict(False, 1, f"expected {want}, found {found}")
            return verdict(False, 3, f"expected {want}; {found}, so no answer")
        case (OutcomeKind.VIOLATION | OutcomeKind.LIVENESS | OutcomeKind.DEADLOCK
              | OutcomeKind.ASSERTION | OutcomeKind.ERROR | OutcomeKind.INCOMPLETE
              | OutcomeKind.NO_INITIAL_STATE):
            # a violation, deadlock, assertion or error where a proof or a CTI was expected
            # (`judge` answers incomplete and no_initial_state before it comes here)
            code = o.exit_code or 1
            return verdict(False, code, f"expected {want}, found {found}")
        case _:
            assert_never(o.kind)


def never_fired(result: Result) -> list[str]:
    """The actions that never fired in a check that explored every reachable state (what
    --fail-on-unfired fails); none for a check that stopped early or ran no search."""
    if result.outcome.kind is not OutcomeKind.HOLDS:
        return []
    return [c.action for c in result.coverage if c.fired == 0]
