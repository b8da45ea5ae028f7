"""A check's verdict: its expectation compared with the outcome an engine found."""

from __future__ import annotations

from dataclasses import dataclass

from explorer.model import Check, ExpectKind
from explorer.results import Outcome, Result


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
    where = f" in {steps} steps" if steps is not None else ""
    if o.kind == "holds":
        return "every invariant holds"
    if o.kind == "violation":
        return f"violation of {o.target}{where}"
    if o.kind == "incomplete":
        return f"no answer: stopped at the {o.reason}"
    if o.kind == "proved":
        return "proved inductive"
    if o.kind == "cti":
        return (f"a counterexample to induction for {o.target}" if o.target is not None
                else "a counterexample to induction (an action fails)")
    if o.kind == "bounded":
        return o.reason or "no violation within the depth"
    if o.kind == "error":
        return f"runtime error {o.code}{where}"
    if o.kind == "no_initial_state":
        return "no initial state"
    if o.kind == "assertion" and o.assertion is not None:
        return f"assertion {o.assertion}{where}"
    return f"{o.kind}{where}"


def judge(check: Check, config: tuple[tuple[str, object], ...], result: Result,
          overridden: frozenset[str] = frozenset(), accept_bounded: bool = False) -> Verdict:
    """`accept_bounded`: a bounded search that found nothing satisfies `expect holds`
    (`--accept-bounded`); otherwise it is no answer."""
    exp, o = check.expect, result.outcome
    steps = len(result.trace) if result.trace is not None else None
    if o.kind == "incomplete":
        return Verdict(check, config, result, False, 3,
                       f"stopped at the {o.reason} before an answer", overridden=overridden)
    if o.kind == "no_initial_state":  # nothing was checked: it meets no expectation
        return Verdict(check, config, result, False, o.exit_code,
                       f"expected {exp.describe()}, but there is no initial state, so "
                       "nothing was checked", overridden=overridden)
    if o.kind in ("proved", "cti", "bounded") or exp.kind in (ExpectKind.PROVED, ExpectKind.CTI):
        return _judge_z3(check, config, result, overridden, accept_bounded)
    if exp.kind is ExpectKind.HOLDS:
        ok = o.kind == "holds"
        return Verdict(check, config, result, ok, 0 if ok else o.exit_code,
                       "" if ok else f"expected every invariant to hold, found "
                       f"{describe_outcome(o, steps)}", overridden=overridden)
    if o.kind == "holds":
        return Verdict(check, config, result, False, 1, f"expected {exp.describe()}, but the "
                       "exploration was complete and found none", overridden=overridden)
    found = o.assertion if o.kind == "assertion" else o.target  # the named property, if any
    ok = (o.kind == exp.kind.value and (exp.target is None or exp.target == found)
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
    if o.kind in ("proved", "holds"):
        if exp.kind in (ExpectKind.HOLDS, ExpectKind.PROVED):
            return verdict(True, 0, "")
        return verdict(False, 1, f"expected {want}, found {found}")
    if o.kind == "cti":
        if exp.kind is ExpectKind.CTI:
            return verdict(exp.target == o.target, 1, f"expected {want}, found {found}")
        if exp.kind is ExpectKind.PROVED:
            return verdict(False, 1, f"expected {want}, found {found}")
        return verdict(False, 3, f"{found}: the invariants are not inductive, which says "
                       f"nothing of {want}; add helper invariants, or run the search")
    if o.kind == "bounded":
        if exp.kind is ExpectKind.HOLDS:
            return verdict(accept_bounded, 3, f"{found}: a bounded search is not a proof, "
                           "so no answer (--accept-bounded accepts it)")
        if exp.steps is not None and result.figures.depth >= exp.steps:
            return verdict(False, 1, f"expected {want}, found {found}")
        return verdict(False, 3, f"expected {want}; {found}, so no answer")
    # a violation, deadlock, assertion or error where a proof or a CTI was expected
    code = o.exit_code or 1
    return verdict(False, code, f"expected {want}, found {found}")


def never_fired(result: Result) -> list[str]:
    """The actions that never fired in a check that explored every reachable state (what
    --fail-on-unfired fails); none for a check that stopped early or ran no search."""
    if result.outcome.kind != "holds":
        return []
    return [c.action for c in result.coverage if c.fired == 0]
