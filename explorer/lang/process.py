"""Processes: a kernel path written as a sequence of atomic steps, turned into ordinary
declarations before anything else reads the spec (PlusCal's processes and labels, in
this language's words).

    [fair] process P(t in S) {
      var m: T = e            // one variable per instance, across its steps
      step a when G { ... }   // one atomic step: an action
      step b { ... goto a }
    }

becomes, for the whole spec, `enum Step = {every step's name, done}` and, per process:
- `var P.pc: S -> Step` (a plain `Step` without a parameter), every instance at the first
  step initially: the program counter, shown in traces and diagrams like any variable;
- `var P.m: S -> T`, initially `{t: e for t in S}` (e may read earlier variables and t);
- per step, `action P.a(t in S) when P.pc[t] == a and G { P.pc[t] := NEXT  body }`: NEXT
  is the next step, `done` after the last; `goto x` in the body is `P.pc[t] := x`, and a
  bare `m` is `P.m[t]`;
- a state where every instance of every process is `done` is terminal (with the spec's own
  `terminal when`, either one will do), as PlusCal's termination: finishing is not a
  deadlock, being stuck before the end is.
The names with a dot cannot be written in a spec, so they never meet the spec's own;
`P.pc` and `P.m` read them (typecheck.py resolves `P.field` for a process P). Errors
are positioned at the process's own text. Imports `syntax` and `diagnostics` only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from explorer.diagnostics import Diagnostic, SpecError
from explorer.lang import syntax as S
from explorer.model import Span

STEP = "Step"  # the enum of every step's name
DONE = "done"  # where an instance is after its last step


def desugar(spec: S.SpecFile) -> S.SpecFile:
    """The spec with its processes turned into declarations (the module's docstring)."""
    procs = [d for d in spec.decls if isinstance(d, S.DProcess)]
    if not procs:
        return spec
    diags: list[Diagnostic] = []
    labels: dict[str, Span] = {}
    for p in procs:
        steps = [i for i in p.items if isinstance(i, S.PStep)]
        if not steps:
            diags.append(Diagnostic("E2004", f"process `{p.name}` has no step", p.span))
        seen: set[str] = set()
        for st in steps:
            if st.name == DONE:
                diags.append(Diagnostic("E1002", f"`{DONE}` is where a process is after its "
                                        "last step: name the step otherwise", st.span))
            elif st.name in seen:
                diags.append(Diagnostic("E1002", f"step `{st.name}` appears twice in process "
                                        f"`{p.name}`", st.span))
            seen.add(st.name)
            labels.setdefault(st.name, st.span)
    at = procs[0].span
    made: list[S.AnyDecl] = [S.DEnum(STEP, (*labels.items(), (DONE, at)), span=at)]
    inits: list[S.InitNode] = []
    finished: list[S.AnyExpr] = []
    actions: list[S.AnyDecl] = []
    for p in procs:
        _process(p, made, inits, finished, actions, diags)
    if diags:
        raise SpecError(diags)
    all_done = finished[0]
    for f in finished[1:]:
        all_done = S.EBinary("and", all_done, f, span=at)
    out: list[S.AnyDecl] = []
    placed = False
    for d in spec.decls:
        if isinstance(d, S.DProcess):
            if not placed:  # the variables where the first process is; the actions last
                out.extend(made)
                placed = True
            continue
        if isinstance(d, S.DInit):
            d = dataclasses.replace(d, items=d.items + tuple(inits))
        elif isinstance(d, S.DTerminal):
            d = dataclasses.replace(d, expr=S.EBinary("or", d.expr, all_done, span=d.span))
        out.append(d)
    if not any(isinstance(d, S.DInit) for d in out):
        out.append(S.DInit(tuple(inits), span=at))
    if not any(isinstance(d, S.DTerminal) for d in out):
        out.append(S.DTerminal(all_done, span=at))
    out.extend(actions)
    made_vars = {d.name for d in made if isinstance(d, S.DVar)}
    out = [_reads(d, {p.name for p in procs}, made_vars, diags) for d in out]
    if diags:
        raise SpecError(diags)
    return S.SpecFile(tuple(out), tuple((p.name, p.span) for p in procs))


def _process(p: S.DProcess, made: list[S.AnyDecl], inits: list[S.InitNode],
             finished: list[S.AnyExpr], actions: list[S.AnyDecl],
             diags: list[Diagnostic]) -> None:
    sp = p.span
    b = p.binder
    dom = _domain_type(b, diags) if b is not None else None
    me = S.EName(b.name, b.span) if b is not None else None

    def per_instance(t: S.AnyType) -> S.AnyType:
        return S.TFn(dom, t, span=sp) if dom is not None else t

    def of(name: str, at: Span) -> S.AnyExpr:
        """This instance's copy of the process's variable `name` (`P.name[t]`)."""
        whole = S.EName(f"{p.name}.{name}", at)
        return S.EIndex(whole, me, span=at) if me is not None else whole

    def for_all(e: S.AnyExpr) -> S.AnyExpr:
        """e for every instance: `{t: e for t in S}`."""
        if b is None:
            return e
        return S.EFnComp(b, e, span=sp)

    steps = [i for i in p.items if isinstance(i, S.PStep)]
    local = {v.name: v for v in p.items if isinstance(v, S.PVar)}
    if "pc" in local:
        diags.append(Diagnostic("E1002", "`pc` is the process's own step counter: name the "
                                "variable otherwise", local["pc"].span))
    if b is not None and b.name in local:
        diags.append(Diagnostic("E1002", f"`{b.name}` names the process's instance and a "
                                "variable", local[b.name].span))
    made.append(S.DVar(f"{p.name}.pc", per_instance(S.TName(STEP, sp)), p.doc, sp))
    first = steps[0].name if steps else DONE
    inits.append(S.InitNode(f"{p.name}.pc", False, for_all(S.EName(first, sp)), sp))
    for v in local.values():
        made.append(S.DVar(f"{p.name}.{v.name}", per_instance(v.type), v.doc, v.span))
        value = _rename(v.value, {}, local, diags)  # the initial value reads no local
        inits.append(S.InitNode(f"{p.name}.{v.name}", False, for_all(value), v.span))
    pc_done = S.EBinary("==", of("pc", sp), S.EName(DONE, sp), span=sp)
    finished.append(S.EQuant(True, (b,), pc_done, span=sp) if b is not None else pc_done)
    names = {st.name for st in steps}
    locals_at = {n: of(n, v.span) for n, v in local.items()}
    for k, st in enumerate(steps):
        nxt = steps[k + 1].name if k + 1 < len(steps) else DONE
        at_step = S.EBinary("==", of("pc", st.span), S.EName(st.name, st.span), span=st.span)
        guard: S.AnyExpr = at_step
        if st.guard is not None:
            guard = S.EBinary("and", at_step, _rename(st.guard, locals_at, local, diags),
                              span=st.span)
        body = tuple(_goto(_rename(s, locals_at, local, diags), of, names, p.name, diags)
                     for s in st.body)
        advance = S.SAssign(of("pc", st.span), S.EName(nxt, st.span), span=st.span)
        actions.append(S.DAction(f"{p.name}.{st.name}", (b,) if b is not None else (), guard,
                                 (advance, *body), st.doc, st.span, p.fairness))


def _domain_type(b: S.BinderNode, diags: list[Diagnostic]) -> S.AnyType | None:
    """The type of a process's instances: its binder's set or enum name, or constant
    range."""
    d = b.domain
    if isinstance(d, S.EName):
        return S.TName(d.name, d.span)
    if isinstance(d, S.EBinary) and d.op == "..":
        return S.TRange(d.a, d.b, d.span)
    diags.append(Diagnostic("E2003", "a process's instances range over a set or enum name, "
                            "or a range: `t in Task`, `c in 0..1`", d.span))
    return None


def _map(node: Any, leaf: Callable[[Any], Any]) -> Any:
    """node with leaf(x) in place of each node x inside it for which leaf gives something
    (not None); syntax nodes are frozen dataclasses, rebuilt field by field."""
    got = leaf(node)
    if got is not None:
        return got
    if isinstance(node, tuple):
        return tuple(_map(x, leaf) for x in node)
    if (not dataclasses.is_dataclass(node) or isinstance(node, type)
            or isinstance(node, Span)):
        return node
    return dataclasses.replace(node, **{f.name: _map(getattr(node, f.name), leaf)
                                        for f in dataclasses.fields(node) if f.name != "span"})


def _rename(node: Any, locals_at: dict[str, S.AnyExpr], local: dict[str, S.PVar],
            diags: list[Diagnostic]) -> Any:
    """node with every bare name of a process variable read as this instance's copy
    (`locals_at`); a name bound inside node that is a process variable's is E1002, since it
    would hide it."""
    def leaf(x: Any) -> Any:
        if isinstance(x, S.EName):
            if x.name in locals_at:
                return dataclasses.replace(locals_at[x.name], span=x.span)
            if x.name in local and not locals_at:
                diags.append(Diagnostic("E1001", f"`{x.name}` is a process variable: its "
                                        "initial value cannot read one", x.span))
            return x
        bound = getattr(x, "name", None)
        if isinstance(x, S.BinderNode | S.SLet | S.SVar | S.SFor) and bound in local:
            diags.append(Diagnostic("E1002", f"`{bound}` is a variable of the process: "
                                    "choose another name", x.span))
        return None
    return _map(node, leaf)


def _reads(node: Any, procs: set[str], made: set[str], diags: list[Diagnostic]) -> Any:
    """node with `P.x` (P a process) read as the variable `P.x` (the dotted name)."""
    def leaf(x: Any) -> Any:
        if not (isinstance(x, S.EField) and isinstance(x.e, S.EName) and x.e.name in procs):
            return None
        name = f"{x.e.name}.{x.name}"
        if name not in made:
            known = ", ".join(sorted(n.split(".", 1)[1] for n in made
                                     if n.startswith(x.e.name + ".")))
            diags.append(Diagnostic("E1006", f"process `{x.e.name}` has no variable "
                                    f"`{x.name}` (it has: {known})", x.span))
        return S.EName(name, x.span)
    return _map(node, leaf)


def _goto(node: Any, of: Callable[[str, Span], S.AnyExpr], names: set[str], process: str,
          diags: list[Diagnostic]) -> Any:
    """node with every `goto x` made `P.pc[t] := x` (x a step of the process)."""
    def leaf(x: Any) -> Any:
        if not isinstance(x, S.SGoto):
            return None
        if x.label not in names and x.label != DONE:
            known = ", ".join(sorted(names))
            diags.append(Diagnostic("E1006", f"`{x.label}` is not a step of process "
                                    f"`{process}` (steps: {known}, and {DONE})", x.span))
        return S.SAssign(of("pc", x.span), S.EName(x.label, x.span), span=x.span)
    return _map(node, leaf)
