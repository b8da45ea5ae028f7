"""TLC-like text: figures, coverage, and traces as numbered steps with what changed.

Every line starts with our own text, and spec text in it (messages, reasons, the echoed
source line, the path) is escaped by `textsafe`: no spec can start a line or print a
control character."""

from __future__ import annotations

from typing import assert_never

from explorer.diagnostics import excerpt, location
from explorer.dispatch import engine
from explorer.model import Model
from explorer.reports.verdict import Verdict
from explorer.results import Outcome, OutcomeKind, Result, Trace
from explorer.textsafe import escape
from explorer.values import format_value


def format_params(params: tuple[tuple[str, object], ...]) -> str:
    return ", ".join(f"{n} = {format_value(v)}" for n, v in params)


def format_trace(trace: Trace, full: bool = False, indent: str = "  ",
                 first: str = "initial") -> list[str]:
    out: list[str] = []
    if not trace.states:
        return out
    width = max((len(n) for n in trace.var_names), default=0)
    out.append(f"{indent}State 0 ({first})")
    for n, v in zip(trace.var_names, trace.states[0]):
        out.append(f"{indent}    {n:<{width}} = {format_value(v)}")
    for i, step in enumerate(trace.steps):
        fails = i + 1 >= len(trace.states)
        mark = "  <- fails here" if fails else ""
        if trace.loop is not None and i + 1 == len(trace.steps) and not trace.stutters:
            mark = f"  -> back to state {trace.loop}"
        out.append(f"{indent}Step {i + 1}: {step.action}({format_params(step.params)})"
                   f"  [line {step.span.line}]{mark}")
        if fails:
            break
        before, after = trace.states[i], trace.states[i + 1]
        changed = False
        for n, a, b in zip(trace.var_names, before, after):
            if a != b:
                out.append(f"{indent}    {n:<{width}} : {format_value(a)} -> {format_value(b)}")
                changed = True
            elif full:
                out.append(f"{indent}    {n:<{width}} = {format_value(b)}")
        if not changed:
            out.append(f"{indent}    (no variable changed)")
    if trace.stutters:
        out.append(f"{indent}then state {trace.loop} for ever (stuttering): no fair action "
                   "leads out of it")
    return out


def format_figures(r: Result, timings: bool = True) -> str:
    """The figures line, as the engine that found the result tells them; without
    `timings` (committed artefacts) no clock reading."""
    return engine(r.engine).figures(r.figures, timings)


def format_coverage(r: Result) -> list[str]:
    if not r.coverage:
        return []
    w = max(len(c.action) for c in r.coverage)
    lines = ["  coverage (action, line, times fired, new states):"]
    for c in r.coverage:
        flag = "   <- never fired" if c.fired == 0 else ""
        lines.append(f"    {c.action:<{w}}  line {c.span.line:<4} fired {c.fired:>9,}  "
                     f"new {c.new:>9,}{flag}")
    return lines


def format_covers(r: Result) -> list[str]:
    """Each cover with the length of a shortest path to it, or that none reaches it."""
    if not r.covers:
        return []
    w = max(len(c.name) for c in r.covers)
    lines = ["  covers (cover, line, shortest path):"]
    missed = ("never reached   <- no reachable state satisfies it"
              if r.outcome.kind is OutcomeKind.HOLDS else
              f"not within {r.figures.depth} steps (bounded: it may be deeper)")
    for c in r.covers:
        reach = f"{c.steps} step{'s' * (c.steps != 1)}" if c.steps is not None else missed
        lines.append(f"    {c.name:<{w}}  line {c.span.line:<4} {reach}")
    return lines


def _lasso_words(trace: Trace | None) -> str:
    """A lasso in words: `3 steps, then a cycle of 2 steps back to state 3`."""
    if trace is None or trace.loop is None:
        return "(no trace)"
    prefix = f"{trace.loop} step{'s' * (trace.loop != 1)}"
    if trace.stutters:
        return f"{prefix}, then it stays in state {trace.loop} for ever"
    cycle = len(trace.steps) - trace.loop
    return (f"{prefix}, then a cycle of {cycle} step{'s' * (cycle != 1)} back to state "
            f"{trace.loop}, for ever")


# outcomes told in one line, without a position or a trace
_SUMMARIES = (OutcomeKind.HOLDS, OutcomeKind.INCOMPLETE, OutcomeKind.PROVED, OutcomeKind.BOUNDED)


def _headline(o: Outcome, trace: Trace | None, message: str, reason: str,
              properties: bool = False) -> str:
    """The line under the check's that says what was found (`message` and `reason`
    escaped)."""
    steps = len(trace) if trace is not None else 0
    after = f"after {steps} step{'s' * (steps != 1)}"
    match o.kind:
        case OutcomeKind.HOLDS:
            return "no violation: every invariant holds in every reachable state" + (
                ", every property on every fair behaviour" if properties else "")
        case OutcomeKind.INCOMPLETE:
            return f"stopped at the {reason}: no answer (never a false `holds`)"
        case OutcomeKind.PROVED:
            return message
        case OutcomeKind.BOUNDED:
            return f"{reason} (bounded: not a proof)"
        case OutcomeKind.VIOLATION:
            return f"{message or f'invariant {o.target} is violated'} {after}"
        case OutcomeKind.LIVENESS:  # the lasso's shape before what the message adds
            head, sep, idle = message.partition("; in state ")
            return f"{head}: {_lasso_words(trace)}{sep}{idle}"
        case OutcomeKind.DEADLOCK:
            return f"deadlock {after}: no action is enabled and the state is not terminal"
        case OutcomeKind.ASSERTION:
            return (f"assertion {o.assertion} failed {after}: {message}"
                    if o.assertion is not None else f"assertion failed {after}: {message}")
        case OutcomeKind.ERROR:
            return f"runtime error {o.code} {after}: {message}"
        case OutcomeKind.NO_INITIAL_STATE:
            return f"no initial state, runtime error {o.code}: {message}"
        case OutcomeKind.CTI:
            return f"counterexample to induction: {message}"
        case _:
            assert_never(o.kind)


def format_verdict(v: Verdict, model: Model, path: str, source: str, full: bool = False,
                   timings: bool = True) -> str:
    c, r, o = v.check, v.result, v.result.outcome
    shown = tuple((n, x) for n, x in v.config if n in v.overridden)
    cfg = f" with {format_params(shown)}" if shown else ""
    at = f" [line {c.span.line}]" if c.span.line else " (implicit)"
    if c.excluded:
        only = f" except {', '.join(c.excluded)}"
    else:
        only = f" only {', '.join(c.only)}" if c.only is not None else ""
    lines = [f"check {c.name}{cfg}{only}{c.assuming()}{at}: expect {c.expect.describe()}"]
    message, reason = escape(o.message or ""), escape(o.reason or "")
    head = _headline(o, r.trace, message, reason, bool(r.figures.liveness))
    lines.append(f"  {head}")
    if o.kind not in _SUMMARIES:
        if o.span is not None:
            lines.append(f"  at {location(path, o.span)}")
            lines.extend("  " + ln for ln in excerpt(source, o.span))
        if r.trace is not None:
            first = ("any state where every invariant holds, reachable or not"
                     if o.kind is OutcomeKind.CTI else "initial")
            lines.extend(format_trace(r.trace, full, first=first))
    lines.append("  " + format_figures(r, timings))
    lines.extend(format_coverage(r))
    lines.extend(format_covers(r))
    for cov in r.coverage:
        if cov.fired == 0 and r.figures.complete:
            lines.append(f"  warning: action {cov.action} (line {cov.span.line}) never fired; "
                         "check its guard")
    status = "PASS" if v.ok else "FAIL"
    lines.append(f"{status} {c.name}" + (f": {escape(v.why)}" if v.why else ""))
    return "\n".join(lines)
