"""The JSON report (format `mnt-explorer/1`), read by the CI gate and other tools.

Stable: fields are only ever added. Values appear twice in traces: as spec-like text
(`states`) and as plain JSON data (`values`: sets as sorted lists, functions as [key, value]
pairs, records as objects).

Strings are carried as they are (an assert message reads back exactly); the CLI writes the
object with `textsafe.json_text`, whose text is printable ASCII only: control characters,
U+2028/U+2029 and bidi controls appear as `\\uXXXX` escapes, so neither a log nor a viewer
of the JSON shows them raw, and no line of it can hold a workflow command.
"""

from __future__ import annotations

from typing import Any

from explorer.model import ExpectKind
from explorer.reports.verdict import Verdict, describe_outcome
from explorer.results import Trace
from explorer.values import format_value, to_json

FORMAT = "mnt-explorer/1"


def trace_json(t: Trace) -> dict[str, Any]:
    out = {
        "vars": list(t.var_names),
        "states": [{n: format_value(v) for n, v in zip(t.var_names, s)} for s in t.states],
        "values": [{n: to_json(v) for n, v in zip(t.var_names, s)} for s in t.states],
        "steps": [{"action": st.action, "params": {n: format_value(v) for n, v in st.params},
                   "line": st.span.line} for st in t.steps],
        "failing_step": len(t.steps) == len(t.states) and len(t.steps) > 0,
    }
    if t.loop is not None:
        # a lasso: the last state is states[loop], and the behaviour repeats from there for
        # ever (loop == the last index: it stutters there); a finite trace has no `loop`
        out["loop"] = t.loop
    return out


def verdict_json(v: Verdict, timings: bool = True) -> dict[str, Any]:
    """One check's report; without `timings` (committed artefacts) no clock readings."""
    r, o, e = v.result, v.result.outcome, v.check.expect
    steps = len(r.trace) if r.trace is not None else None
    f = r.figures
    figures: dict[str, Any] = {"generated": f.generated, "distinct": f.distinct, "depth": f.depth,
               "elapsed": round(f.elapsed, 6),
               "states_per_second": round(f.states_per_second, 1), "complete": f.complete,
               "queue": f.queue, "compiled": f.compiled}
    if f.symmetry:  # the words of the text report (explorer.symmetry)
        figures["symmetry"] = f.symmetry
    if f.liveness:  # the properties, the graph and the fairness, as the text report says
        figures["liveness"] = f.liveness
    if not timings:  # nor how the run was made: the same artefact on every machine
        del figures["elapsed"], figures["states_per_second"], figures["compiled"]
    out = {
        "check": v.check.name,
        "line": v.check.span.line,
        "config": {n: to_json(x) for n, x in v.config},
        "only": list(v.check.only) if v.check.only is not None else None,
        "except": list(v.check.excluded),
        "expected": {"kind": e.kind.value,
                     "target": e.target if e.kind is not ExpectKind.ASSERTION else None,
                     "steps": e.steps, "k": e.k,
                     "assertion": e.target if e.kind is ExpectKind.ASSERTION else None},
        "outcome": {"kind": o.kind.value, "target": o.target, "steps": steps, "message": o.message,
                    "code": o.code, "line": o.span.line if o.span else None,
                    "reason": o.reason, "summary": describe_outcome(o, steps),
                    "assertion": o.assertion},
        "as_expected": v.ok,
        "why": v.why,
        "exit_code": v.exit_code,
        "engine": r.engine,
        "figures": figures,
        "coverage": [{"action": c.action, "line": c.span.line, "fired": c.fired, "new": c.new}
                     for c in r.coverage],
        "trace": trace_json(r.trace) if r.trace is not None else None,
    }
    if r.covers:  # judged over a complete search: each cover's shortest path (null: none)
        out["covers"] = [{"cover": c.name, "line": c.span.line, "steps": c.steps}
                         for c in r.covers]
    if not v.check.deadlock:  # the check's `ignoring deadlock`
        out["ignoring_deadlock"] = True
    if v.check.fairness:  # the check's `assuming` clause: action -> fair | strong fair | none
        out["assuming"] = {a: f.value for a, f in v.check.fairness}
    return out
