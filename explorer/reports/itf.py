"""Traces in the Informal Trace Format (ITF), the JSON trace format of Apalache and Quint.

A trace is an object with `#meta` (format, source, description), `vars` (the variable
names), `states` (one object per state: `#meta` with the state's `index`, then one field per
variable) and, for a lasso (a liveness counterexample), `loop`: the index of the state the
last one goes on to, for ever (the repeated state is not listed again; the step back to it
is the top-level `#meta`'s `loop_step`; a lasso that stutters for ever has `loop` equal to
its last index and no `loop_step`).

Values follow the format's encoding, chosen by the variable's type:
  bool -> true/false; integer -> a JSON number, or {"#bigint": "..."} beyond 2^53 - 1;
  atom -> its name, a string; set -> {"#set": [...]}, elements in canonical order;
  T -> U -> {"#map": [[k, v], ...]}; record -> an object; seq[N] T -> a JSON list;
  T? -> a variant, {"tag": "Some", "value": v} or {"tag": "None", "value": {"#tup": []}},
  as Quint writes its Option type.
Each state after the first also records, in its `#meta`, the action that led to it and its
parameters (ITF lets `#meta` hold anything). `value_of` reads a value back, given its type.
The CLI writes these objects with `textsafe.json_text` (printable ASCII only, see
json_report).
"""

from __future__ import annotations

from typing import Any

from explorer.model import (
    AtomT,
    BoolT,
    FnT,
    IntT,
    Model,
    OptT,
    RecT,
    SeqT,
    SetT,
    Type,
)
from explorer.results import Step, Trace
from explorer.values import Fn, Rec, Value, format_value, sorted_values

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
_SAFE = 2**53 - 1  # the largest integer every JSON reader holds exactly
_NONE = {"tag": "None", "value": {"#tup": []}}


def itf_value(v: Value, t: Type) -> Any:
    """The ITF encoding of value v of type t."""
    if isinstance(t, OptT):
        return _NONE if v is None else {"tag": "Some", "value": itf_value(v, t.inner)}
    if isinstance(t, BoolT):
        return bool(v)
    if isinstance(t, IntT):
        return v if -_SAFE <= v <= _SAFE else {"#bigint": str(v)}
    if isinstance(t, AtomT):
        return v.name
    if isinstance(t, SetT):
        return {"#set": [itf_value(x, t.elem) for x in sorted_values(v)]}
    if isinstance(t, FnT):
        return {"#map": [[itf_value(k, t.dom), itf_value(x, t.rng)] for k, x in v.items()]}
    if isinstance(t, RecT):
        return {n: itf_value(v[n], ft) for n, ft in t.fields}
    if isinstance(t, SeqT):
        return [itf_value(x, t.elem) for x in v]
    raise TypeError(f"no ITF encoding for type {t}")


def value_of(j: Any, t: Type) -> Value:
    """The value an ITF encoding of type t stands for (the inverse of `itf_value`)."""
    if isinstance(t, OptT):
        if j.get("tag") == "None":
            return None
        return value_of(j["value"], t.inner)
    if isinstance(t, BoolT):
        return bool(j)
    if isinstance(t, IntT):
        return int(j["#bigint"]) if isinstance(j, dict) else int(j)
    if isinstance(t, AtomT):
        return t.atom(t.atoms.index(j))
    if isinstance(t, SetT):
        return frozenset(value_of(x, t.elem) for x in j["#set"])
    if isinstance(t, FnT):
        return Fn((value_of(k, t.dom), value_of(x, t.rng)) for k, x in j["#map"])
    if isinstance(t, RecT):
        return Rec((n, value_of(j[n], ft)) for n, ft in t.fields)
    if isinstance(t, SeqT):
        return tuple(value_of(x, t.elem) for x in j)
    raise TypeError(f"no ITF encoding for type {t}")


def trace_itf(model: Model, trace: Trace, source: str, description: str) -> dict[str, Any]:
    """The ITF object of a trace of `model`. A failing last step (no state after it) is in
    the top-level `#meta`, as `failing_step`."""
    types = {v.name: v.t for v in model.vars}
    states = []
    cycle = trace.loop is not None and not trace.stutters
    shown = trace.states[:-1] if cycle else trace.states
    for i, s in enumerate(shown):
        meta: dict[str, Any] = {"index": i}
        if i > 0:
            meta.update(_step(trace.steps[i - 1]))
        state: dict[str, Any] = {"#meta": meta}
        state.update((n, itf_value(x, types[n])) for n, x in zip(trace.var_names, s))
        states.append(state)
    top: dict[str, Any] = {"format": "ITF", "format-description": FORMAT_DESCRIPTION,
                           "source": source, "description": description,
                           "varTypes": {n: str(types[n]) for n in trace.var_names}}
    if len(trace.steps) == len(trace.states) and trace.steps:
        top["failing_step"] = _step(trace.steps[-1])
    out: dict[str, Any] = {"#meta": top, "vars": list(trace.var_names), "states": states}
    if trace.loop is not None:
        out["loop"] = trace.loop
    if cycle:
        top["loop_step"] = _step(trace.steps[-1])
    return out


def _step(step: Step) -> dict[str, Any]:
    """A step as ITF's `#meta` holds it: the action and its parameters."""
    return {"action": step.action, "params": {n: format_value(x) for n, x in step.params}}


def trace_of_itf(model: Model, j: dict[str, Any]) -> list[tuple[Value, ...]]:
    """The states of an ITF trace of `model`, as value tuples in `vars` order."""
    types = {v.name: v.t for v in model.vars}
    return [tuple(value_of(s[n], types[n]) for n in j["vars"]) for s in j["states"]]
