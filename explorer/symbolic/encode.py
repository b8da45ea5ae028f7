"""Model -> z3 terms: expressions, statements, actions, init and invariants.

The same semantics as `explorer.interp`, symbolically:
- an expression becomes a symbolic value (`explorer.symbolic.values`); every runtime error
  it can raise becomes a `Fault`, a condition under which that error happens, guarded by
  the short-circuit evaluation order (the right side of `and` only where the left is true,
  a quantifier's body only until an element decides, as `interp` stops there);
- an action body runs in SSA form: each statement reads the values the previous ones
  produced. An `if` merges its two sides with if-then-else; an `either` (or an `if` around
  one) splits the body into paths, like the explicit engine's code does, so each path is a
  straight line with one condition (its guard, domain membership and `require`s);
- an action's parameters are unrolled over their finite domains: one `Branch` per
  (action, binding, path), with the condition under which it fires and the state it makes.

`Encoder.step(state)` gives every branch and fault of one step from a symbolic state; the
engines build their formulas from it (bmc.py, induction.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import assert_never

import z3

from explorer import budget
from explorer import model as M
from explorer.engine import Unsupported
from explorer.interp import Interp
from explorer.model import AtomT, FnT, IntT, OptT, RecT, SeqT, SetT, Span, Type
from explorer.symbolic.values import (
    FALSE,
    TRUE,
    S,
    SFn,
    SOpt,
    Sorts,
    SRec,
    SSeq,
    SSet,
    Sym,
    conj,
    decode,
    disj,
    eq,
    fresh,
    implies,
    is_f,
    is_t,
    ite,
    keys_of,
    lit,
    mk_ite,
    mk_not,
    shape,
    term,
    zero,
)
from explorer.symbols import z3_var
from explorer.values import Value, sort_key

State = dict[int, Sym]  # variable index -> symbolic value
Env = dict[str, Sym]
Params = tuple[tuple[str, Value], ...]  # an action's parameters and their values
Binding = tuple[Params, z3.BoolRef, Env]  # ... when they hold, and the names they bind


@dataclass
class Fault:
    """A runtime error (code E3xxx) or a failed assertion (code "assert") and when it
    happens."""

    cond: z3.BoolRef
    code: str
    span: Span
    name: str | None = None  # a named assertion


@dataclass
class Path:
    pc: z3.BoolRef
    st: State
    env: Env
    faults: list[Fault] = field(default_factory=list)

    def copy(self, pc: z3.BoolRef | None = None) -> Path:
        return Path(self.pc if pc is None else pc, dict(self.st), dict(self.env), list(self.faults))


@dataclass
class Branch:
    """One way an action can fire: (action, binding, path through its `either`s)."""

    action: int
    params: Params
    fires: z3.BoolRef  # guard, domains, requires, and no fault on the way
    post: State


@dataclass
class StepTerms:
    branches: list[Branch]
    faults: list[Fault]  # every way expanding the state can fail
    fault_action: dict[int, list[Fault]]  # the same, by action index


@dataclass
class SymState:
    """One copy of the state variables (one per step of a formula)."""

    vals: State
    leaves: list[z3.ExprRef]
    side: list[z3.BoolRef]  # ranges and lengths of the leaves


class Encoder:
    def __init__(self, model: M.Model) -> None:
        self.model = model
        self.sorts = Sorts()
        for t in model.sets:
            self.sorts.of(t)
        self._interp = Interp(model)
        self._consts: dict[str, Sym] = {}
        self._faults: list[Fault] = []
        self._closures: dict[tuple[tuple[int, int], ...], dict[Value, dict[Value, z3.BoolRef]]] = {}
        self._ticks = 0

    # -- state copies ---------------------------------------------------------------------

    def state(self, tag: str) -> SymState:
        leaves: list[z3.ExprRef] = []
        side: list[z3.BoolRef] = []
        vals = {}
        for v in self.model.vars:
            try:
                vals[v.index] = fresh(v.t, z3_var(v.index, tag), self.sorts, leaves, side)
            except Unsupported as e:
                e.locate(v.span)
                raise
        return SymState(vals, leaves, side)

    def decode_state(self, s: SymState, m: z3.ModelRef) -> tuple[Value, ...]:
        return tuple(decode(s.vals[v.index], v.t, m, self.sorts) for v in self.model.vars)

    def state_eq(self, a: State, b: State) -> z3.BoolRef:
        return conj([eq(a[v.index], b[v.index]) for v in self.model.vars])

    # -- predicates on one state -----------------------------------------------------------

    def predicate(self, e: M.Expr, st: State) -> tuple[z3.BoolRef, list[Fault]]:
        """The value of a boolean expression (invariant, terminal) and its faults."""
        saved, self._faults = self._faults, []
        try:
            v = self._term(self.ev(e, st, {}, TRUE), TRUE, e.span)
            return v, self._faults
        finally:
            self._faults = saved

    # -- init -----------------------------------------------------------------------------

    def init(self, s: SymState) -> tuple[z3.BoolRef, list[Fault]]:
        """The initial-state condition on s, and the faults computing it can raise."""
        saved, self._faults = self._faults, []
        try:
            conds: list[z3.BoolRef] = []
            partial: State = {}
            for item in self.model.init:
                var = self.model.vars[item.var]
                val = self.ev(item.expr, partial, {}, conj(conds))
                x = s.vals[item.var]
                if item.choice:
                    st = self._need_as(SSet, val, TRUE, item.expr.span)
                    elem_t = item.expr.t.elem if isinstance(item.expr.t, SetT) else var.t
                    ok = []
                    for k, member in st.mem.items():
                        fitted, errs = self.conform(lit(k, elem_t, self.sorts), var.t)
                        for c, code in errs:
                            self._faults.append(Fault(conj([*conds, member, c]), code, item.span))
                        ok.append(conj([member, eq(x, fitted)]))
                    conds.append(disj(ok))
                else:
                    fitted, errs = self.conform(val, var.t)
                    for c, code in errs:
                        self._faults.append(Fault(conj([*conds, c]), code, item.span))
                    conds.append(eq(x, fitted))
                partial[item.var] = x
            return conj(conds), self._faults
        finally:
            self._faults = saved

    # -- one step -------------------------------------------------------------------------

    def step(self, st: State) -> StepTerms:
        branches: list[Branch] = []
        faults: list[Fault] = []
        by_action: dict[int, list[Fault]] = {}
        for ai, act in enumerate(self.model.actions):
            budget.poll()
            mine: list[Fault] = []
            saved, self._faults = self._faults, mine
            try:
                for binding, g, env in list(self._bindings(act.params, st)):
                    self._faults = mine
                    if act.guard is not None:
                        g = _and(g, self._term(self.ev(act.guard, st, env, g), g, act.guard.span))
                    start = Path(g, dict(st), dict(env))
                    for p in self.exec_block(act.body, start):
                        mine.extend(p.faults)
                        ok = conj([p.pc] + [mk_not(f.cond) for f in p.faults])
                        if not is_f(ok):
                            branches.append(Branch(ai, binding, ok, p.st))
            finally:
                self._faults = saved
            by_action[ai] = _dedup(mine)
            faults.extend(by_action[ai])
        return StepTerms(branches, faults, by_action)

    def _bindings(self, params: tuple[M.Binder, ...], st: State) -> Iterator[Binding]:
        """Every binding of the parameters, first outermost, with the condition that each
        value is in its domain (the domain evaluated with the parameters before it)."""
        def rec(i: int, g: z3.BoolRef, env: Env, vals: Params) -> Iterator[Binding]:
            if i == len(params):
                yield vals, g, env
                return
            b = params[i]
            dom = self._need_as(SSet, self.ev(b.domain, st, env, g), g, b.domain.span)
            elem_t = b.domain.t.elem if isinstance(b.domain.t, SetT) else None
            for k in sorted(dom.mem, key=sort_key):
                member = dom.mem[k]
                if is_f(member):
                    continue
                yield from rec(i + 1, _and(g, member), {**env, b.name: lit(k, elem_t, self.sorts)},
                               vals + ((b.name, k),))
        yield from rec(0, TRUE, {}, ())

    # -- statements -----------------------------------------------------------------------

    def exec_block(self, stmts: tuple[M.Stmt, ...], p: Path) -> list[Path]:
        outer = dict(p.env)
        paths = [p]
        for s in stmts:
            nxt: list[Path] = []
            for q in paths:
                if is_f(q.pc):  # kept for the faults met on the way
                    nxt.append(q)
                    continue
                nxt.extend(self._exec(s, q))
            paths = nxt
        for q in paths:  # a `let` is scoped to its block
            q.env = {**outer}
        return paths

    def _exec(self, s: M.Stmt, p: Path) -> list[Path]:
        self._faults = p.faults
        match s:
            case M.Let():
                p.env[s.name] = self.ev(s.value, p.st, p.env, p.pc)
                return [p]
            case M.Assign():
                self._assign(s, p)
                return [p]
            case M.Require():
                c = self._term(self.ev(s.cond, p.st, p.env, p.pc), p.pc, s.cond.span)
                p.pc = _and(p.pc, c)
                return [p]
            case M.Assert():
                c = self._term(self.ev(s.cond, p.st, p.env, p.pc), p.pc, s.cond.span)
                p.faults.append(Fault(_and(p.pc, mk_not(c)), "assert", s.span, s.name))
                p.pc = _and(p.pc, c)
                return [p]
            case M.Fail():
                p.faults.append(Fault(p.pc, s.code, s.span))
                p.pc = FALSE
                return [p]
            case M.If():
                c = self._term(self.ev(s.cond, p.st, p.env, p.pc), p.pc, s.cond.span)
                if is_t(c):
                    return self.exec_block(s.then, p)
                if is_f(c):
                    return self.exec_block(s.orelse, p)
                then = self.exec_block(s.then, p.copy(_and(p.pc, c)))
                orelse = self.exec_block(s.orelse, p.copy(_and(p.pc, mk_not(c))))
                if len(then) == 1 and len(orelse) == 1:
                    a, b = then[0], orelse[0]
                    st = {i: ite(c, a.st[i], b.st[i]) for i in p.st}
                    faults = list(p.faults)
                    faults.extend(f for f in a.faults[len(p.faults):])
                    faults.extend(f for f in b.faults[len(p.faults):])
                    return [Path(disj([a.pc, b.pc]), st, dict(p.env), faults)]
                return then + orelse
            case M.Either():
                out: list[Path] = []
                for branch in s.branches:
                    out.extend(self.exec_block(branch, p.copy()))
                return out
            case _:
                assert_never(s)

    def _assign(self, s: M.Assign, p: Path) -> None:
        g = p.pc
        cur = p.st[s.var]
        keys: list[Sym | str] = []
        for step in s.path:
            if step.kind == "field":
                assert isinstance(step.key, str)
                keys.append(step.key)
                cur = self._need_as(SRec, cur, g, step.span).fields[step.key]
            elif step.kind == "fn":
                f = self._need_as(SFn, cur, g, step.span)
                assert isinstance(step.key, M.Expr)
                k = self.ev(step.key, p.st, p.env, g)
                keys.append(k)
                dom = step.container.dom if isinstance(step.container, FnT) else None
                cur = self._apply(f, k, dom, g, step.span)
            else:
                seq = self._need_as(SSeq, cur, g, step.span)
                assert isinstance(step.key, M.Expr)
                i = self._term(self.ev(step.key, p.st, p.env, g), g, step.span)
                keys.append(i)
                elem = step.container.elem if isinstance(step.container, SeqT) else None
                cur = self._index(seq, i, g, step.span, elem)
        val = self.ev(s.value, p.st, p.env, g)
        fitted, errs = self.conform(val, s.target_t)
        for c, code in errs:
            self._faults.append(Fault(_and(g, c), code, s.span))
        p.st[s.var] = self._put(p.st[s.var], s.path, keys, fitted)

    def _put(self, cur: Sym, path: tuple[M.PathStep, ...], keys: list[Sym | str], v: Sym) -> Sym:
        if not path:
            return v
        if isinstance(cur, SOpt):
            assert cur.val is not None  # a stored `T?` always holds a T (junk when absent)
            return SOpt(cur.some, self._put(cur.val, path, keys, v))
        step, key = path[0], keys[0]
        if step.kind == "field":
            assert isinstance(cur, SRec) and isinstance(key, str)
            return SRec({**cur.fields, key: self._put(cur.fields[key], path[1:], keys[1:], v)})
        assert not isinstance(key, str)
        if step.kind == "fn":
            assert isinstance(cur, SFn)
            dom = step.container.dom if isinstance(step.container, FnT) else None
            known, kv = self._key(key)
            vals = dict(cur.vals)
            for k, old in cur.vals.items():
                if known:
                    if k == kv:
                        vals[k] = self._put(old, path[1:], keys[1:], v)
                    continue
                hit = eq(key, lit(k, dom, self.sorts))
                vals[k] = ite(hit, self._put(old, path[1:], keys[1:], v), old)
            return SFn(vals, cur.defined)
        assert isinstance(cur, SSeq)
        items = list(cur.items)
        for j, old in enumerate(cur.items):
            items[j] = ite(key == j, self._put(old, path[1:], keys[1:], v), old)
        return SSeq(cur.n, items)

    # -- storing: the fit checks of `interp._check_fits` ------------------------------------

    def conform(self, v: Sym, t: Type) -> tuple[Sym, list[tuple[z3.BoolRef, str]]]:
        """v in the representation of type t, and when storing it there is an error:
        E3002 (none where a value is needed), E3003 (a sequence over its bound), E3001
        (anything else that does not fit)."""
        errs: list[tuple[z3.BoolRef, str]] = []
        out = self._conform(v, t, TRUE, errs)
        return out, [(c, code) for c, code in errs if not is_f(c)]

    def _conform(self, v: Sym, t: Type, g: z3.BoolRef, errs: list[tuple[z3.BoolRef, str]]) -> Sym:
        if isinstance(t, OptT):
            if isinstance(v, SOpt):
                if v.val is None:
                    return SOpt(FALSE, zero(t.inner, self.sorts))
                return SOpt(v.some, self._conform(v.val, t.inner, _and(g, v.some), errs))
            return SOpt(TRUE, self._conform(v, t.inner, g, errs))
        if isinstance(v, SOpt):
            errs.append((_and(g, mk_not(v.some)), "E3002"))
            if v.val is None:
                return zero(t, self.sorts)
            v = v.val
        if isinstance(t, IntT):
            x = term(v)
            bounds = []
            if t.lo is not None:
                bounds.append(x >= t.lo)
            if t.hi is not None:
                bounds.append(x <= t.hi)
            if bounds:
                errs.append((_and(g, mk_not(conj(bounds))), "E3001"))
            return x
        if isinstance(t, SetT):
            s = shape(SSet, v)
            keys = keys_of(t.elem)
            allowed = set(keys)
            for k, b in s.mem.items():
                if k not in allowed:
                    errs.append((_and(g, b), "E3001"))
            return SSet({k: s.mem.get(k, FALSE) for k in keys})
        if isinstance(t, FnT):
            f = shape(SFn, v)
            vals = {}
            for k in keys_of(t.dom):
                if k not in f.vals:
                    errs.append((g, "E3001"))
                    vals[k] = zero(t.rng, self.sorts)
                    continue
                errs.append((_and(g, mk_not(f.defined[k])), "E3001"))
                vals[k] = self._conform(f.vals[k], t.rng, g, errs)
            return SFn(vals, {k: TRUE for k in vals})
        if isinstance(t, RecT):
            r = shape(SRec, v)
            return SRec({n: self._conform(r.fields[n], ft, g, errs) for n, ft in t.fields})
        if isinstance(t, SeqT):
            q = shape(SSeq, v)
            errs.append((_and(g, q.n > t.cap), "E3003"))
            items = []
            for i in range(t.cap):
                if i < len(q.items):
                    items.append(self._conform(q.items[i], t.elem, _and(g, q.n > i), errs))
                else:
                    items.append(zero(t.elem, self.sorts))
            return SSeq(q.n, items)
        return v

    # -- expressions ----------------------------------------------------------------------

    def _fault(self, cond: z3.BoolRef, code: str, span: Span) -> None:
        if not is_f(cond):
            self._faults.append(Fault(cond, code, span))

    def _need(self, v: Sym, g: z3.BoolRef, span: Span) -> Sym:
        """A value that must not be `none` (E3002 where it is)."""
        if isinstance(v, SOpt):
            self._fault(_and(g, mk_not(v.some)), "E3002", span)
            return v.val if v.val is not None else FALSE
        return v

    def _need_as(self, kind: type[S], v: Sym, g: z3.BoolRef, span: Span) -> S:
        """`_need`, where the expression's type says which structure the value is."""
        return shape(kind, self._need(v, g, span))

    def _term(self, v: Sym, g: z3.BoolRef, span: Span) -> z3.ExprRef:
        """`_need` of a bool, an integer or an atom: one z3 term."""
        return term(self._need(v, g, span))

    def _key(self, x: Sym) -> tuple[bool, Value]:
        """(True, value) when x is a literal (so a lookup by it needs no case split)."""
        if isinstance(x, z3.ExprRef):
            if is_t(x):
                return True, True
            if is_f(x):
                return True, False
            if z3.is_int_value(x):
                return True, x.as_long()
            a = self.sorts.literal_atom(x)
            if a is not None:
                return True, a
        return False, None

    def const(self, name: str, t: Type) -> Sym:
        if name not in self._consts:
            self._consts[name] = lit(self._interp.eval(M.ConstRef(name, t), ()), t, self.sorts)
        return self._consts[name]

    def ev(self, e: M.Expr, st: State, env: Env, g: z3.BoolRef) -> Sym:
        """The symbolic value of e; what cannot be encoded is reported at the innermost
        expression that needs it."""
        self._ticks += 1
        if self._ticks % budget.POLL_EVERY == 0:
            budget.poll()  # --max-seconds and --max-memory bound the encoding
        try:
            return self._ev(e, st, env, g)
        except Unsupported as u:
            u.locate(getattr(e, "span", M.NOSPAN))
            raise

    def _ev(self, e: M.Expr, st: State, env: Env, g: z3.BoolRef) -> Sym:
        ev = self.ev
        match e:
            case M.Lit():
                return lit(e.value, e.t, self.sorts)
            case M.VarRef():
                return st[e.index]
            case M.ConstRef():
                return self.const(e.name, e.t)
            case M.Local():
                return env[e.name]
            case M.Unwrap():
                return self._need(ev(e.e, st, env, g), g, e.span if e.span != M.NOSPAN else e.e.span)
            case M.Fit():
                v = ev(e.e, st, env, g)
                fitted, errs = self.conform(v, e.t)
                for c, code in errs:
                    self._fault(_and(g, c), code, e.span)
                return fitted
            case M.Not():
                return mk_not(self._need(ev(e.e, st, env, g), g, e.span))
            case M.Neg():
                return -self._term(ev(e.e, st, env, g), g, e.span)
            case M.BinOp():
                return self._binop(e, st, env, g)
            case M.RangeSet():
                lo = self._term(ev(e.lo, st, env, g), g, e.span)
                hi = self._term(ev(e.hi, st, env, g), g, e.span)
                assert isinstance(e.t, SetT)
                return SSet({k: conj([lo <= k, k <= hi]) for k in keys_of(e.t.elem)})
            case M.Apply():
                f = self._need_as(SFn, ev(e.f, st, env, g), g, e.span)
                x = ev(e.x, st, env, g)
                key_t = e.f.t.dom if isinstance(e.f.t, FnT) else None
                return self._apply(f, x, key_t, g, e.span)
            case M.Index():
                s = self._need_as(SSeq, ev(e.s, st, env, g), g, e.span)
                i = self._term(ev(e.i, st, env, g), g, e.span)
                return self._index(s, i, g, e.span, e.t)
            case M.Slice():
                return self._slice(e, st, env, g)
            case M.Field():
                return self._need_as(SRec, ev(e.r, st, env, g), g, e.span).fields[e.name]
            case M.Call():
                return self._call(e, st, env, g)
            case M.SetLit():
                elems = [self._need(ev(x, st, env, g), g, x.span) for x in e.elems]
                elem_t = e.t.elem if isinstance(e.t, SetT) else None
                return self._set_of([(TRUE, x) for x in elems], elem_t)
            case M.SeqLit():
                return SSeq(z3.IntVal(len(e.elems)), [ev(x, st, env, g) for x in e.elems])
            case M.RecLit():
                return SRec({n: ev(x, st, env, g) for n, x in e.fields})
            case M.Ite():
                c = self._term(ev(e.c, st, env, g), g, e.c.span)
                if is_t(c):
                    return ev(e.a, st, env, g)
                if is_f(c):
                    return ev(e.b, st, env, g)
                return ite(c, ev(e.a, st, env, _and(g, c)), ev(e.b, st, env, _and(g, mk_not(c))))
            case M.Quant():
                return self._quant(e, 0, st, env, g)
            case M.Filter():
                b = e.binder
                dom = self._domain(b, st, env, g)
                elem_t = b.domain.t.elem if isinstance(b.domain.t, SetT) else None
                mem = {}
                for k in sorted(dom.mem, key=sort_key):
                    m = dom.mem[k]
                    if is_f(m):
                        continue
                    inner = {**env, b.name: lit(k, elem_t, self.sorts)}
                    mem[k] = _and(m, self._term(ev(e.pred, st, inner, _and(g, m)), _and(g, m),
                                                e.pred.span))
                return SSet(mem)
            case M.MapSet():
                out: list[tuple[z3.BoolRef, Sym]] = []
                self._images(e, 0, st, env, g, TRUE, out)
                elem_t = e.t.elem if isinstance(e.t, SetT) else None
                return self._set_of(out, elem_t)
            case M.FnComp():
                b = e.binder
                dom = self._domain(b, st, env, g)
                assert isinstance(e.t, FnT)
                vals, defined = {}, {}
                for k in keys_of(e.t.dom):
                    m = dom.mem.get(k, FALSE)
                    defined[k] = m
                    if is_f(m):
                        vals[k] = zero(e.t.rng, self.sorts)
                        continue
                    inner = {**env, b.name: lit(k, e.t.dom, self.sorts)}
                    vals[k] = ev(e.e, st, inner, _and(g, m))
                return SFn(vals, defined)
            case _:
                assert_never(e)

    def _domain(self, b: M.Binder, st: State, env: Env, g: z3.BoolRef) -> SSet:
        return self._need_as(SSet, self.ev(b.domain, st, env, g), g, b.domain.span)

    def _set_of(self, items: list[tuple[z3.BoolRef, Sym]], elem_t: Type | None) -> SSet:
        """The set of the values x for which (cond, x) has cond true."""
        mem: dict[Value, list[z3.BoolRef]] = {}
        symbolic = []
        for c, x in items:
            known, k = self._key(x)
            if known:
                mem.setdefault(k, []).append(c)
            else:
                symbolic.append((c, x))
        if symbolic:
            if elem_t is None:
                raise Unsupported("a set of values whose type is unknown")
            for k in keys_of(elem_t):
                kl = lit(k, elem_t, self.sorts)
                for c, x in symbolic:
                    mem.setdefault(k, []).append(_and(c, eq(x, kl)))
        return SSet({k: disj(cs) for k, cs in mem.items()})

    def _images(self, e: M.MapSet, i: int, st: State, env: Env, g: z3.BoolRef,
                c: z3.BoolRef, out: list[tuple[z3.BoolRef, Sym]]) -> None:
        if i == len(e.binders):
            v = self._need(self.ev(e.e, st, env, _and(g, c)), _and(g, c), e.e.span)
            out.append((c, v))
            return
        b = e.binders[i]
        dom = self._domain(b, st, env, _and(g, c))
        elem_t = b.domain.t.elem if isinstance(b.domain.t, SetT) else None
        for k in sorted(dom.mem, key=sort_key):
            m = dom.mem[k]
            if is_f(m):
                continue
            self._images(e, i + 1, st, {**env, b.name: lit(k, elem_t, self.sorts)}, g,
                         _and(c, m), out)

    def _quant(self, e: M.Quant, i: int, st: State, env: Env, g: z3.BoolRef) -> z3.BoolRef:
        """forall/exists over binders i.., first outermost; an element's body is evaluated
        (and can fail) only while no earlier element has decided, as in `interp`."""
        if i == len(e.binders):
            return self._term(self.ev(e.body, st, env, g), g, e.body.span)
        b = e.binders[i]
        dom = self._domain(b, st, env, g)
        elem_t = b.domain.t.elem if isinstance(b.domain.t, SetT) else None
        parts: list[z3.BoolRef] = []
        decided: z3.BoolRef = FALSE
        for k in sorted(dom.mem, key=sort_key):
            m = dom.mem[k]
            if is_f(m):
                continue
            guard = _and(g, _and(m, mk_not(decided)))
            r = self._quant(e, i + 1, st, {**env, b.name: lit(k, elem_t, self.sorts)}, guard)
            if e.forall:
                parts.append(implies(m, r))
                decided = _or(decided, _and(m, mk_not(r)))
            else:
                parts.append(_and(m, r))
                decided = _or(decided, _and(m, r))
        return conj(parts) if e.forall else disj(parts)

    def _apply(self, f: SFn, x: Sym, dom: Type | None, g: z3.BoolRef, span: Span) -> Sym:
        if isinstance(x, SOpt):  # none is in no function's domain
            self._fault(_and(g, mk_not(x.some)), "E3005", span)
            if x.val is None:
                return next(iter(f.vals.values()))
            x = x.val
        known, k = self._key(x)
        if known:
            if k not in f.vals:
                self._fault(g, "E3005", span)
                return next(iter(f.vals.values()))
            self._fault(_and(g, mk_not(f.defined[k])), "E3005", span)
            return f.vals[k]
        keys = list(f.vals)
        hits = [eq(x, lit(k, dom, self.sorts)) for k in keys]
        self._fault(_and(g, mk_not(disj([_and(h, f.defined[k]) for h, k in zip(hits, keys)]))),
                    "E3005", span)
        out = f.vals[keys[-1]]
        for h, k in zip(reversed(hits[:-1]), reversed(keys[:-1])):
            out = ite(h, f.vals[k], out)
        return out

    def _index(self, s: SSeq, i: z3.ArithRef, g: z3.BoolRef, span: Span,
               elem: Type | None = None) -> Sym:
        self._fault(_and(g, mk_not(conj([i >= 0, i < s.n]))), "E3004", span)
        return self._index_nofault(s, i, elem)

    def _slice(self, e: M.Slice, st: State, env: Env, g: z3.BoolRef) -> SSeq:
        s = self._need_as(SSeq, self.ev(e.s, st, env, g), g, e.span)
        lo = z3.IntVal(0) if e.lo is None else self._term(self.ev(e.lo, st, env, g), g, e.span)
        hi = s.n if e.hi is None else self._term(self.ev(e.hi, st, env, g), g, e.span)
        lo = _clamp(lo, s.n)
        hi = _clamp(hi, s.n)
        n = mk_ite(hi > lo, hi - lo, 0)
        items = []
        for j in range(len(s.items)):
            items.append(self._index_nofault(s, lo + j))
        return SSeq(n, items)

    def _index_nofault(self, s: SSeq, i: z3.ArithRef, elem: Type | None = None) -> Sym:
        if not s.items:  # `seq[0]`: every index faults; a junk value of the element's type
            return FALSE if elem is None else zero(elem, self.sorts)
        out = s.items[-1]
        for j in range(len(s.items) - 2, -1, -1):
            out = ite(i == j, s.items[j], out)
        return out

    def _binop(self, e: M.BinOp, st: State, env: Env, g: z3.BoolRef) -> Sym:
        op, sp = e.op, e.span
        ev = self.ev
        a = ev(e.a, st, env, g)
        if op in (M.Op.IN, M.Op.NOTIN) and isinstance(e.b, M.RangeSet):
            # membership in a range: two comparisons, however many values it has
            lo = self._term(ev(e.b.lo, st, env, g), g, e.b.span)
            hi = self._term(ev(e.b.hi, st, env, g), g, e.b.span)
            x = self._term(a, g, sp)
            r = conj([lo <= x, x <= hi])
            return r if op is M.Op.IN else mk_not(r)
        if op in (M.Op.AND, M.Op.OR, M.Op.IMPLIES):
            lhs = self._term(a, g, sp)
            # the right side is evaluated (and can fail) only when it decides
            when = lhs if op is not M.Op.OR else mk_not(lhs)
            if is_f(when):
                return lhs if op is not M.Op.IMPLIES else TRUE
            rhs = self._term(ev(e.b, st, env, _and(g, when)), _and(g, when), sp)
            if op is M.Op.AND:
                return _and(lhs, rhs)
            if op is M.Op.OR:
                return _or(lhs, rhs)
            return implies(lhs, rhs)
        b = ev(e.b, st, env, g)
        if op is M.Op.IFF:
            return self._term(a, g, sp) == self._term(b, g, sp)
        if op is M.Op.EQ:
            return eq(a, b)
        if op is M.Op.NE:
            return mk_not(eq(a, b))
        if op in (M.Op.IN, M.Op.NOTIN):
            s = self._need_as(SSet, b, g, sp)
            elem_t = e.b.t.elem if isinstance(e.b.t, SetT) else None
            r = self._member(a, s, elem_t)
            return r if op is M.Op.IN else mk_not(r)
        if op is M.Op.SUBSET:
            sa, sb = self._need_as(SSet, a, g, sp), self._need_as(SSet, b, g, sp)
            return conj([implies(m, sb.mem.get(k, FALSE)) for k, m in sa.mem.items()])
        if op in (M.Op.UNION, M.Op.INTER, M.Op.MINUS):
            sa, sb = self._need_as(SSet, a, g, sp), self._need_as(SSet, b, g, sp)
            keys = list(sa.mem) + [k for k in sb.mem if k not in sa.mem]
            f: Callable[[z3.BoolRef, z3.BoolRef], z3.BoolRef] = {
                M.Op.UNION: _or, M.Op.INTER: _and,
                M.Op.MINUS: lambda x, y: _and(x, mk_not(y))}[op]
            return SSet({k: f(sa.mem.get(k, FALSE), sb.mem.get(k, FALSE)) for k in keys})
        if op is M.Op.CONCAT:
            return self._concat(self._need_as(SSeq, a, g, sp), self._need_as(SSeq, b, g, sp))
        x, y = self._term(a, g, sp), self._term(b, g, sp)
        ta = e.a.t.inner if isinstance(e.a.t, OptT) else e.a.t
        if isinstance(ta, AtomT):
            x, y = self.sorts.index(x, ta), self.sorts.index(y, ta)
        if z3.is_int_value(x) and z3.is_int_value(y) and op in _FOLD:
            # both known (first_free's `x < c` over literal mounts): no term at all
            r = _FOLD[op](x.as_long(), y.as_long())
            return z3.BoolVal(r) if isinstance(r, bool) else z3.IntVal(r)
        if op is M.Op.LT:
            return x < y
        if op is M.Op.LE:
            return x <= y
        if op is M.Op.GT:
            return x > y
        if op is M.Op.GE:
            return x >= y
        if op is M.Op.ADD:
            return x + y
        if op is M.Op.SUB:
            return x - y
        if op is M.Op.MUL:
            return x * y
        if op in (M.Op.DIV, M.Op.MOD):
            self._fault(_and(g, y == 0), "E3006", sp)
            # Python's floor division: SMT-LIB's div rounds toward -inf only for b > 0
            q = mk_ite(y > 0, x / y, (-x) / (-y))
            safe_q = mk_ite(y == 0, 0, q)
            return safe_q if op is M.Op.DIV else mk_ite(y == 0, 0, x - y * q)
        if op is M.Op.POW:
            self._fault(_and(g, y < 0), "E3009", sp)
            t = e.b.t
            assert isinstance(t, IntT) and t.hi is not None  # bounded by the elaborator
            powers, r = [], z3.IntVal(1)
            for _ in range(max(t.hi, 0) + 1):
                powers.append(r)
                r = r * x
            out = powers[-1]
            for k in range(len(powers) - 2, -1, -1):
                out = mk_ite(y == k, powers[k], out)
            return out
        assert_never(op)

    @staticmethod
    def _concat(sa: SSeq, sb: SSeq) -> SSeq:
        """s + t: slot j holds s's item j below s's length, else t's item j - len(s) (the
        slots past the length hold anything)."""
        if not sb.items:
            return SSeq(sa.n + sb.n, list(sa.items))
        la, lb = len(sa.items), len(sb.items)
        items: list[Sym] = []
        for j in range(la + lb):
            # len(s) == n puts t's item j - n here (n from 0 to j, with j - n an item of t)
            cands = [(n, sb.items[j - n]) for n in range(max(0, j - lb + 1), min(j, la) + 1)]
            here = cands[-1][1]
            for n, v in reversed(cands[:-1]):
                here = ite(sa.n == n, v, here)
            items.append(ite(sa.n > j, sa.items[j], here) if j < la else here)
        return SSeq(sa.n + sb.n, items)

    def _member(self, x: Sym, s: SSet, elem_t: Type | None) -> z3.BoolRef:
        if isinstance(x, SOpt):  # sets never hold none
            if x.val is None:
                return FALSE
            return _and(x.some, self._member(x.val, s, elem_t))
        known, k = self._key(x)
        if known:
            return s.mem.get(k, FALSE)
        return disj([_and(m, eq(x, lit(k, elem_t, self.sorts))) for k, m in s.mem.items()
                     if not is_f(m)])

    def _call(self, e: M.Call, st: State, env: Env, g: z3.BoolRef) -> Sym:
        args = [self.ev(a, st, env, g) for a in e.args]
        sp = e.span
        fn = e.fn
        if fn is M.Builtin.LEN:
            v = self._need(args[0], g, sp)
            if isinstance(v, SSeq):
                return v.n
            return z3.Sum([mk_ite(m, 1, 0) for m in shape(SSet, v).mem.values()] + [z3.IntVal(0)])
        if fn is M.Builtin.REACH:
            return self._reach(e, self._need_as(SFn, args[0], g, sp), args[1], g)
        if fn in (M.Builtin.MIN, M.Builtin.MAX):
            v = self._need(args[0], g, sp)
            if not isinstance(v, SSet):
                raise Unsupported("min/max of a sequence")
            st_t = e.args[0].t.inner if isinstance(e.args[0].t, OptT) else e.args[0].t
            elem_t = st_t.elem if isinstance(st_t, SetT) else None
            keys = sorted(v.mem, key=sort_key)
            if fn is M.Builtin.MAX:
                keys.reverse()
            if not keys:
                return SOpt(FALSE, None)
            out = lit(keys[-1], elem_t, self.sorts)
            for k in reversed(keys[:-1]):
                out = ite(v.mem[k], lit(k, elem_t, self.sorts), out)
            return SOpt(disj(list(v.mem.values())), out)
        s = self._need_as(SSeq, args[0], g, sp)
        t0 = e.args[0].t.inner if isinstance(e.args[0].t, OptT) else e.args[0].t
        cap = t0.cap if isinstance(t0, SeqT) else None
        if fn is M.Builtin.APPEND:
            if cap is not None:
                self._fault(_and(g, s.n >= cap), "E3003", sp)
            # slots past the old items lie past the length, so any value will do there
            slots = max(cap, len(s.items)) if cap is not None else len(s.items) + 1
            items = [ite(s.n == j, args[1], s.items[j]) if j < len(s.items) else args[1]
                     for j in range(slots)]
            return SSeq(s.n + 1, items)
        if fn is M.Builtin.INSERT:
            i, x = self._term(args[1], g, sp), args[2]
            self._fault(_and(g, mk_not(conj([i >= 0, i <= s.n]))), "E3004", sp)
            if cap is not None:
                self._fault(_and(g, conj([i >= 0, i <= s.n, s.n >= cap])), "E3003", sp)
            slots = max(cap, len(s.items)) if cap is not None else len(s.items) + 1
            items = []
            for j in range(slots):
                here = s.items[j] if j < len(s.items) else x
                before = s.items[j - 1] if j >= 1 else x
                items.append(ite(j < i, here, ite(i == j, x, before)))
            return SSeq(s.n + 1, items)
        if fn is M.Builtin.REMOVE:
            x = args[1]
            hit = [_and(s.n > j, eq(s.items[j], x)) for j in range(len(s.items))]
            found_upto: list[z3.BoolRef] = []
            acc: z3.BoolRef = FALSE
            for h in hit:
                acc = _or(acc, h)
                found_upto.append(acc)
            items = [ite(found_upto[j], s.items[j + 1] if j + 1 < len(s.items) else s.items[j],
                         s.items[j]) for j in range(len(s.items))]
            return SSeq(mk_ite(acc, s.n - 1, s.n), items)
        if fn is M.Builtin.INDEX:
            x = args[1]
            hit = [_and(s.n > j, eq(s.items[j], x)) for j in range(len(s.items))]
            self._fault(_and(g, mk_not(disj(hit))), "E3004", sp)
            pos: z3.ArithRef = z3.IntVal(0)
            for j in range(len(s.items) - 1, -1, -1):
                pos = mk_ite(hit[j], j, pos)
            return pos
        assert_never(fn)

    def _reach(self, e: M.Call, f: SFn, x: Sym, g: z3.BoolRef) -> SSet:
        """{x, f[x], f[f[x]], ...}: up to none or a value already in the set."""
        ft = e.args[0].t.inner if isinstance(e.args[0].t, OptT) else e.args[0].t
        assert isinstance(ft, FnT)
        dom = ft.dom
        if not all(is_t(d) for d in f.defined.values()):
            return self._reach_walk(e, f, x, g, dom)
        # f is total, so the walk cannot fail: read it off f's reachability matrix, which
        # every reach() over the same f shares (subtree(m) asks it once per mount)
        o = x if isinstance(x, SOpt) else SOpt(TRUE, x)
        if o.val is None:
            return SSet({})
        closure = self._closure(f, dom)
        known, k = self._key(o.val)
        if known:
            return SSet({j: _and(o.some, r) for j, r in closure[k].items()})
        hits = {k: eq(o.val, lit(k, dom, self.sorts)) for k in closure}
        return SSet({j: _and(o.some, disj([_and(hits[k], closure[k][j]) for k in closure]))
                     for j in closure})

    def _closure(self, f: SFn, dom: Type) -> dict[Value, dict[Value, z3.BoolRef]]:
        """r[k][j]: j is in reach(f, k), for a total f: reflexive-transitive closure of
        "f[k] is j", by squaring until paths of |keys| - 1 steps are covered."""
        keys = list(f.vals)
        opts = [v if isinstance(v, SOpt) else SOpt(TRUE, v) for v in f.vals.values()]
        ident = tuple((o.some.get_id(), -1 if o.val is None else term(o.val).get_id()) for o in opts)
        got = self._closures.get(ident)
        if got is not None:
            return got
        r: dict[Value, dict[Value, z3.BoolRef]] = {}
        for k, o in zip(keys, opts):
            known, v = (True, None) if o.val is None else self._key(o.val)
            r[k] = {j: TRUE if j == k else
                    (_and(o.some, TRUE if v == j else FALSE) if known else
                     _and(o.some, eq(o.val, lit(j, dom, self.sorts))))
                    for j in keys}
        steps = 1
        while steps < len(keys) - 1:
            r = {k: {j: disj([r[k][j]] + [_and(r[k][i], r[i][j]) for i in keys]) for j in keys}
                 for k in keys}
            steps *= 2
        self._closures[ident] = r
        return r

    def _reach_walk(self, e: M.Call, f: SFn, x: Sym, g: z3.BoolRef, dom: Type) -> SSet:
        """reach() by walking, for a partial f (a step off its domain is a runtime error).
        Past a repeat the walk only meets members again, so |domain| + 1 rounds reach every
        member."""
        keys = list(f.vals)
        mem: dict[Value, z3.BoolRef] = {k: FALSE for k in keys}
        cur = x
        for _ in range(len(keys) + 1):
            cur_o = cur if isinstance(cur, SOpt) else SOpt(TRUE, cur)
            if cur_o.val is None:
                break
            some, val = cur_o.some, cur_o.val
            seen = disj([_and(mem[k], eq(val, lit(k, dom, self.sorts))) for k in keys])
            active = _and(some, mk_not(seen))
            for k in keys:
                mem[k] = _or(mem[k], _and(active, eq(val, lit(k, dom, self.sorts))))
            nxt = self._apply(f, val, dom, _and(g, active), e.span)
            cur = ite(active, nxt, SOpt(FALSE, None)) if isinstance(nxt, SOpt) else \
                ite(active, SOpt(TRUE, nxt), SOpt(FALSE, None))
        return SSet(mem)


_FOLD: dict[M.Op, Callable[[int, int], int | bool]] = {
    M.Op.LT: lambda x, y: x < y, M.Op.LE: lambda x, y: x <= y,
    M.Op.GT: lambda x, y: x > y, M.Op.GE: lambda x, y: x >= y,
    M.Op.ADD: lambda x, y: x + y, M.Op.SUB: lambda x, y: x - y,
    M.Op.MUL: lambda x, y: x * y}


def _and(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    return conj([a, b])


def _or(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    return disj([a, b])


def _clamp(i: z3.ArithRef, n: z3.ArithRef) -> z3.ArithRef:
    return mk_ite(i < 0, 0, mk_ite(i > n, n, i))


def _dedup(faults: list[Fault]) -> list[Fault]:
    seen: set[tuple[int, str]] = set()
    out = []
    for f in faults:
        key = (f.cond.get_id(), f.code)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out

