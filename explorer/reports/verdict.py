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
    if o.kind == "error":
        return f"runtime error {o.code}{where}"
    if o.kind == "assertion" and o.assertion is not None:
        return f"assertion {o.assertion}{where}"
    return f"{o.kind}{where}"


def judge(check: Check, config: tuple[tuple[str, object], ...], result: Result,
          overridden: frozenset[str] = frozenset()) -> Verdict:
    exp, o = check.expect, result.outcome
    steps = len(result.trace) if result.trace is not None else None
    if o.kind == "incomplete":
        return Verdict(check, config, result, False, 3,
                       f"stopped at the {o.reason} before an answer", overridden=overridden)
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
