"""IR -> IR passes the explicit engine runs before emission: `normalize` moves what
follows a branching statement into its branches (so an `either` only ends a statement
list); `top_require` says whether a body needs a loop for its `require`s to leave;
`substitute` binds names to constants and `fold` folds what literals decide (run over the
whole model, and again wherever emission unrolls a binding)."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping
from typing import Any

from explorer import model as M
from explorer.model import BoolT
from explorer.types import fits_statically
from explorer.values import Value


def has_either(s: M.Stmt) -> bool:
    if isinstance(s, M.Either):
        return True
    if isinstance(s, M.If):
        return any(has_either(x) for x in s.then + s.orelse)
    return False


def normalize(stmts: tuple[M.Stmt, ...]) -> tuple[M.Stmt, ...]:
    """Move everything after a branching statement into its branches, so that an `Either`
    only ever ends a statement list. An `if` holding an `either` becomes an `either` of
    `require c` and `require not c`. `model.either_growth` measures what this does to a body,
    and the elaborator keeps it bounded."""
    for i, s in enumerate(stmts):
        if not has_either(s):
            continue
        rest = stmts[i + 1:]
        if isinstance(s, M.Either):
            branches = tuple(normalize(b + rest) for b in s.branches)
        else:
            assert isinstance(s, M.If)
            neg = M.Not(s.cond, BoolT(), s.cond.span if hasattr(s.cond, "span") else M.NOSPAN)
            branches = (normalize((M.Require(s.cond, s.span),) + s.then + rest),
                        normalize((M.Require(neg, s.span),) + s.orelse + rest))
        return stmts[:i] + (M.Either(branches, s.span),)
    return stmts


def top_require(stmts: tuple[M.Stmt, ...]) -> bool:
    """A `require` outside every `either` (whose branch loop gives it a `continue` target)."""
    for s in stmts:
        if isinstance(s, M.Require):
            return True
        if isinstance(s, M.If) and top_require(s.then + s.orelse):
            return True
    return False


# ---------------------------------------------------------------------------------------
# Substitution and folding: names bound to constants (parameters and quantifiers over
# small literal domains, which emission unrolls) become literals, then literal tests fold.

Env = Mapping[str, Value]


def _plan(cls: type) -> tuple[tuple[str, str], ...]:
    """Which fields of an expression class hold sub-expressions, and how (from their
    annotations, once per class)."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple((f.name, _KINDS[f.type]) for f in dataclasses.fields(cls)
                                   if isinstance(f.type, str) and f.type in _KINDS)
    return plan


_PLANS: dict[type, tuple[tuple[str, str], ...]] = {}
_KINDS = {"Expr": "e", "Expr | None": "e", "tuple[Expr, ...]": "es",
          "tuple[tuple[str, Expr], ...]": "fs", "Binder": "b", "tuple[Binder, ...]": "bs"}


def _rebuild(e: M.Expr, inner: Callable[[M.Expr, int], M.Expr]) -> M.Expr:
    """e with `inner(sub, k)` for each direct sub-expression, where k is how many of e's
    binders are in scope there (binder i's domain sees the binders before it; the rest
    of the node sees them all)."""
    changes: dict[str, Any] = {}
    nb = len(e.binders) if isinstance(e, M.Quant | M.MapSet) else 1
    for name, kind in _plan(type(e)):
        v = getattr(e, name)
        new: Any
        if kind == "e":
            new = None if v is None else inner(v, nb)
        elif kind == "es":
            new = tuple(inner(x, nb) for x in v)
        elif kind == "fs":
            new = tuple((n, inner(x, nb)) for n, x in v)
        elif kind == "b":
            new = dataclasses.replace(v, domain=inner(v.domain, 0))
        else:
            new = tuple(dataclasses.replace(b, domain=inner(b.domain, i)) for i, b in enumerate(v))
        if new != v:
            changes[name] = new
    return dataclasses.replace(e, **changes) if changes else e


def substitute(e: M.Expr, env: Env) -> M.Expr:
    """e with each free `Local` named in env replaced by a literal of its value."""
    if not env:
        return e
    if isinstance(e, M.Local):
        return M.Lit(env[e.name], e.t, e.span) if e.name in env else e
    names = [b.name for b in M.binders(e)]
    if not names:
        return _rebuild(e, lambda x, _: substitute(x, env))
    envs = [{k: v for k, v in env.items() if k not in names[:i]} for i in range(len(names) + 1)]
    return _rebuild(e, lambda x, k: substitute(x, envs[k]))


def substitute_stmts(stmts: tuple[M.Stmt, ...], env: Env) -> tuple[M.Stmt, ...]:
    return _map_stmts(stmts, lambda x: substitute(x, env))


def fold(e: M.Expr) -> M.Expr:
    """Fold what literals decide: `not`, `and`/`or`/`implies` with a literal side (keeping
    any side that may fail), comparisons of two literals, a quantifier over an empty
    literal domain, a fit that holds statically. The rest is kept as it is."""
    e = _rebuild(e, lambda x, _: fold(x))
    match e:
        case M.Not(e=M.Lit(value=bool(v))):
            return M.Lit(not v, e.t, e.span)
        case M.BinOp(op=M.Op.AND | M.Op.OR | M.Op.IMPLIES):
            return _logic(e)
        case M.BinOp(op=M.Op.EQ | M.Op.NE, a=M.Lit(value=x), b=M.Lit(value=y)):
            return M.Lit((x == y) != (e.op is M.Op.NE), e.t, e.span)
        case M.BinOp(op=M.Op.LT | M.Op.LE | M.Op.GT | M.Op.GE, a=M.Lit(value=int(x)),
                     b=M.Lit(value=int(y))):
            return M.Lit(_COMPARE[e.op](x, y), e.t, e.span)
        case M.Quant() if all(isinstance(b.domain, M.Lit) for b in e.binders) and any(
                isinstance(b.domain, M.Lit) and not b.domain.value for b in e.binders):
            return M.Lit(e.forall, e.t, e.span)
        case M.Fit(e=M.Lit() as lit) if fits_statically(lit.t, e.t):
            return lit
    return e


_COMPARE: dict[M.Op, Callable[[int, int], bool]] = {
    M.Op.LT: operator.lt, M.Op.LE: operator.le, M.Op.GT: operator.gt, M.Op.GE: operator.ge}


def _logic(e: M.BinOp) -> M.Expr:
    """`a and b`, `a or b`, `a implies b` with a literal side: a literal first side decides
    or drops out; a literal second side drops out when it is the neutral one (a side that
    decides is kept, and so is the first side, which may fail)."""
    a, b = e.a, e.b
    stop = e.op is not M.Op.AND  # the value that decides the whole
    if isinstance(a, M.Lit):
        first = (not a.value) if e.op is M.Op.IMPLIES else a.value
        return M.Lit(stop, e.t, e.span) if first == stop else b
    if isinstance(b, M.Lit) and b.value != stop:
        return M.Not(a, e.t, e.span) if e.op is M.Op.IMPLIES else a
    return e


def fold_stmts(stmts: tuple[M.Stmt, ...]) -> tuple[M.Stmt, ...]:
    return _map_stmts(stmts, fold)


def _map_stmts(stmts: tuple[M.Stmt, ...], f: Callable[[M.Expr], M.Expr]) -> tuple[M.Stmt, ...]:
    """The statements with f applied to each expression they hold."""
    out: list[M.Stmt] = []
    for s in stmts:
        match s:
            case M.Assign():
                path = tuple(dataclasses.replace(p, key=f(p.key)) if isinstance(p.key, M.Expr)
                             else p for p in s.path)
                out.append(dataclasses.replace(s, path=path, value=f(s.value)))
            case M.Let():
                out.append(dataclasses.replace(s, value=f(s.value)))
            case M.If():
                out.append(dataclasses.replace(s, cond=f(s.cond), then=_map_stmts(s.then, f),
                                               orelse=_map_stmts(s.orelse, f)))
            case M.Either():
                out.append(dataclasses.replace(
                    s, branches=tuple(_map_stmts(b, f) for b in s.branches)))
            case M.Require() | M.Assert():
                out.append(dataclasses.replace(s, cond=f(s.cond)))
            case M.Fail():
                out.append(s)
            case _:
                raise AssertionError(s)
    return tuple(out)


def fold_model(model: M.Model) -> M.Model:
    """The model with every expression folded (what emission compiles)."""
    def action(a: M.Action) -> M.Action:
        params = tuple(dataclasses.replace(b, domain=fold(b.domain)) for b in a.params)
        return dataclasses.replace(a, params=params, body=fold_stmts(a.body),
                                   guard=None if a.guard is None else fold(a.guard))
    return dataclasses.replace(
        model,
        consts=tuple(dataclasses.replace(c, expr=fold(c.expr)) for c in model.consts),
        init=tuple(dataclasses.replace(i, expr=fold(i.expr)) for i in model.init),
        actions=tuple(action(a) for a in model.actions),
        invariants=tuple(dataclasses.replace(i, expr=fold(i.expr)) for i in model.invariants),
        terminal=None if model.terminal is None else fold(model.terminal),
        properties=tuple(dataclasses.replace(p, p=fold(p.p), q=None if p.q is None else fold(p.q))
                         for p in model.properties),
        covers=tuple(dataclasses.replace(c, expr=fold(c.expr)) for c in model.covers),
        constraints=tuple(dataclasses.replace(c, expr=fold(c.expr)) for c in model.constraints))
