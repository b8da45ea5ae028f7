"""The checks a spec declares: `check` declarations validated against the spec's default
configuration (`declared_checks`, with each check's `only` or `except` list, `only_list`),
and the model a check with such a list runs (`select`). Per spec, once: the configuration
each check's `with` clause makes comes from the caller (load.py's memo).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeAlias

from explorer import model as M
from explorer.diagnostics import Diagnostic, SpecError
from explorer.lang import syntax as S

Override: TypeAlias = Any  # (ExprNode, Span) from a `with` clause or --set, or a Value
Configure: TypeAlias = Callable[[dict[str, Override]], M.Model]


def declared_checks(syntax: S.SpecFile, default: M.Model, configure: Configure
                    ) -> tuple[list[M.Check], dict[str, dict[str, Override]]]:
    """The spec's `check` declarations, validated against the default configuration; each
    check's `with` overrides (name -> (expr, span)), whose configuration `configure` gives
    (it raises SpecError when they do not make one). All errors are raised together."""
    diags: list[Diagnostic] = []
    checks: list[M.Check] = []
    overrides: dict[str, dict[str, Override]] = {}
    invariants = dict.fromkeys(i.name for i in default.invariants)  # ordered, for `except`
    properties = dict.fromkeys(p.name for p in default.properties)
    covers = dict.fromkeys(c.name for c in default.covers)
    helpers = {i.name for i in default.invariants if i.helper}
    assertions = dict.fromkeys(default.assertions)
    params = {n for n, _ in default.params}
    for d in syntax.decls:
        if not isinstance(d, S.DCheck):
            continue
        if d.kind == "violation" and d.target in properties:
            pass
        elif d.kind in ("violation", "cti") and d.target not in invariants:
            assert d.target_span is not None
            known = ", ".join(sorted(invariants)) or "none declared"
            what = "an invariant"
            if d.kind == "violation" and properties:
                what = "an invariant or a property"
                known += "; properties: " + ", ".join(sorted(properties))
            elif d.target in properties:
                what = "an invariant (a property has no counterexample to induction)"
            diags.append(Diagnostic("E1006", f"`{d.target}` is not {what} of this spec "
                                    f"(invariants: {known})", d.target_span))
            continue
        if d.kind == "violation" and d.target in helpers:
            assert d.target_span is not None
            diags.append(Diagnostic("E1006", f"`{d.target}` is a helper invariant: the search "
                                    "does not check helpers, so it cannot find a violation of "
                                    "one (declare it without `helper` to check it)", d.target_span))
            continue
        if d.kind == "assertion" and d.target is not None and d.target not in assertions:
            assert d.target_span is not None
            known = ", ".join(sorted(assertions)) or "none declared"
            diags.append(Diagnostic("E1006", f"`{d.target}` is not a named assertion of this "
                                    f"spec (named assertions: {known})", d.target_span))
            continue
        only = only_list(d, {**invariants, **properties, **covers}, assertions, helpers, diags)
        ov: dict[str, Override] = {}
        for name, expr, span in d.overrides:
            if name not in params:
                diags.append(Diagnostic("E1005", f"`{name}` is not a param of this spec", span))
            elif name in ov:
                diags.append(Diagnostic("E1002", f"param `{name}` is set twice", span))
            else:
                ov[name] = (expr, span)
        overrides[d.name] = ov
        fairness = _fairness(d, default, diags)
        if d.deadlock is not None and d.kind == "deadlock":
            diags.append(Diagnostic("E1006", "the check expects a deadlock, and ignores "
                                    "deadlocks: drop `ignoring deadlock`", d.deadlock))
        try:
            model = configure(ov) if ov else default
        except SpecError as e:
            diags.extend(e.diagnostics)
            continue
        checks.append(M.Check(d.name, model.params if ov else (),
                              M.Expect(M.ExpectKind(d.kind), d.target, d.steps, d.k), d.doc, d.span,
                              only, tuple(n for n, _ in d.excluded or ()), d.long, fairness,
                              deadlock=d.deadlock is None))
    if diags:
        raise SpecError(diags)
    return checks, overrides


def _fairness(d: S.DCheck, default: M.Model,
              diags: list[Diagnostic]) -> tuple[tuple[str, M.Fairness], ...]:
    """The check's `assuming` clause, validated (errors go to diags)."""
    actions = {a.name for a in default.actions}
    out: dict[str, M.Fairness] = {}
    for fair, name, span in d.fairness:
        if name not in actions:
            known = ", ".join(sorted(actions)) or "none declared"
            diags.append(Diagnostic("E1006", f"`{name}` is not an action of this spec "
                                    f"(actions: {known})", span))
        elif name in out:
            diags.append(Diagnostic("E1002", f"the fairness of `{name}` is given twice", span))
        else:
            out[name] = M.Fairness(fair)
    return tuple(out.items())


def assume(model: M.Model, fairness: tuple[tuple[str, M.Fairness], ...]) -> M.Model:
    """The model with the fairness of a check's `assuming` clause."""
    if not fairness:
        return model
    given = dict(fairness)
    return replace(model, actions=tuple(replace(a, fairness=given.get(a.name, a.fairness))
                                        for a in model.actions))


def only_list(d: S.DCheck, invariants: dict[str, None], assertions: dict[str, None],
          helpers: set[str], diags: list[Diagnostic]) -> tuple[str, ...] | None:
    """The check's `only` list, validated (errors go to diags); `except A, B` gives every
    invariant and named assertion but those. Helpers are kept without being listed (see
    `select`), so a `cti` of one survives an `only` list."""
    listed = d.only if d.only is not None else d.excluded
    if listed is None:
        return None
    names: list[str] = []
    for name, span in listed:
        if name not in invariants and name not in assertions:
            known = ", ".join(sorted({*invariants, *assertions})) or "none declared"
            diags.append(Diagnostic("E1006", f"`{name}` is not an invariant, property, cover or "
                                    f"named assertion of this spec (known: {known})", span))
        elif name in names:
            diags.append(Diagnostic("E1002", f"`{name}` is listed twice", span))
        else:
            names.append(name)
    if d.excluded is not None:
        # an assertion never shares an invariant's name (E1002 at elaboration)
        names = [n for n in [*invariants, *assertions] if n not in names]
    kept = names if d.excluded is not None else [*names, *helpers]
    if d.target is not None and d.target not in kept and d.target_span is not None:
        what = {"violation": "a violation of", "assertion": "assertion",
                "cti": "a counterexample to induction for invariant"}[d.kind]
        which = "`only` list" if d.excluded is None else "`except` list"
        diags.append(Diagnostic("E1006", f"the check expects {what} `{d.target}`, which its "
                                f"{which} leaves out", d.target_span))
    return tuple(names)


def select(model: M.Model, only: tuple[str, ...], excluded: tuple[str, ...] = ()) -> M.Model:
    """The model that checks only the invariants, properties, covers and named assertions
    listed in `only`: the others are left out, the named `assert` statements
    (nested ones included). Unnamed asserts always stay, and so do helper invariants
    unless `excluded` names them: a lemma is not a goal to select, a proof needs it."""
    keep = set(only)

    def stmts(body: tuple[M.Stmt, ...]) -> tuple[M.Stmt, ...]:
        out: list[M.Stmt] = []
        for st in body:
            if isinstance(st, M.Assert) and st.name is not None and st.name not in keep:
                continue
            if isinstance(st, M.If):
                st = replace(st, then=stmts(st.then), orelse=stmts(st.orelse))
            elif isinstance(st, M.Either):
                st = replace(st, branches=tuple(stmts(b) for b in st.branches))
            out.append(st)
        return tuple(out)

    return replace(model,
                   invariants=tuple(i for i in model.invariants if i.name in keep
                                    or (i.helper and i.name not in excluded)),
                   properties=tuple(p for p in model.properties if p.name in keep),
                   covers=tuple(c for c in model.covers if c.name in keep),
                   actions=tuple(replace(a, body=stmts(a.body)) for a in model.actions))
