"""Names and types: syntax tree + param values -> one `Model` configuration.

One pass over the declarations in order: constant-level declarations (enums, params, sets,
consts) must be declared before use and are folded to values; `def`s and `proc`s are checked
there too, once, and see only what is declared above them (so they cannot recurse);
variables, init, actions, invariants and the terminal predicate are elaborated into typed IR
with the runtime checks (unwrap of `T?`, range checks on stores) made explicit. All static
errors of a phase are collected and raised together as one SpecError.

Per configuration, after resolve.py (once per spec) has sorted the declarations and found
the errors no param can change. Defs, procs and loops are lowered on the way by lower.py's
`Lowering`, which this module's `Elaborator` derives from, so engines never see them; names
bound inside a def or proc body are mangled to `{name}__{owner}` in the IR; spec names
never contain `__` (E1007), so a mangled name never captures or clashes with another.
Constant folding and the IR rewrites are rewrite.py's.
Imports `model`, `values`, `diagnostics`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, assert_never

from explorer import budget
from explorer import model as M
from explorer.diagnostics import Diagnostic, SpecError
from explorer.lang import syntax as S
from explorer.lang.lower import (
    MAX_EXPR_DEPTH,
    MAX_EXPR_NODES,
    Lowering,
)
from explorer.lang.resolve import Resolved, resolve
from explorer.lang.rewrite import (
    NOT_CONST,
    Mentions,
    Sizes,
    fold_expr,
    subst,
)
from explorer.lang.scope import Abort, Ctx, Def, Global, Param, Proc, article
from explorer.model import AnyT, AtomT, BoolT, FnT, IntT, NoneT, OptT, RecT, SeqT, SetT, Span, Type
from explorer.types import (
    INT,
    arith,
    cannot_fit,
    domain_clash,
    fits_statically,
    is_scalar,
    join,
    same_shape,
    set_elem_problem,
)
from explorer.values import Atom, Rec, Value, format_value

MAX_SEQ = 64  # the largest sequence bound
MAX_ATOMS = 10_000  # the largest set a param can make (`set S = p[1..N]`)
BUILTINS = {b.value: b for b in M.Builtin}
_T = TypeVar("_T")


class Elaborator(Lowering):
    """Names and types of one configuration (with lower.py's `Lowering`: inlining, unrolling)."""

    def __init__(self, spec: S.SpecFile, path: str, overrides: dict[str, Any],
                 resolved: Resolved | None = None) -> None:
        self.spec = spec
        self.resolved = resolved if resolved is not None else resolve(spec)
        self.path = path
        self.overrides = dict(overrides)  # name -> (ExprNode, Span) or Value
        self.diags: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.globals: dict[str, Global] = {}
        self.types: dict[str, AtomT] = {}
        self.params: list[tuple[str, Value]] = []
        self.param_types: dict[str, Type] = {}
        self.consts: list[M.ConstDef] = []
        self.vars: list[M.Var] = []
        self.defs: dict[str, Def] = {}
        self.procs: dict[str, Proc] = {}
        self.calls = 0  # proc calls and loop iterations inlined so far: each gets names of its own
        self.declared = self.resolved.declared  # every value-level name of the file, for hints
        self.assertions: list[tuple[str, Span]] = []  # named asserts, in elaboration order
        self.current: str | None = None  # the def or proc being checked
        self.constant: str | None = None  # the const, param, set or var being checked
        self.made_names = 0  # binders the elaborator made (function literals, argmin)
        self.action_name = ""  # the action being checked
        self.sizes = Sizes()
        self.mentions = Mentions()
        self.body_nodes = 0  # nodes instantiated for the declaration being elaborated
        self.model_nodes = 0  # ... and for the whole configuration
        self.polls = 0

    # ------------------------------------------------------------------ diagnostics
    def error(self, code: str, msg: str, span: Span, *notes: str) -> Abort:
        self.diags.append(Diagnostic(code, msg, span, notes=tuple(notes)))
        return Abort()

    def warn(self, code: str, msg: str, span: Span) -> None:
        d = Diagnostic(code, msg, span, severity="warning")
        if d not in self.warnings:
            self.warnings.append(d)

    def guarded(self, fn: Callable[[], _T]) -> _T | None:
        try:
            return fn()
        except Abort:
            return None

    # ------------------------------------------------------------------ driver
    def run(self) -> M.Model:
        decls = self.spec.decls
        r = self.resolved
        self.diags.extend(r.diagnostics)
        fatal = False  # a constant-level declaration failed: later phases would only cascade
        for d in decls:
            if isinstance(d, S.DDef | S.DProc):
                self.guarded(lambda: self._callable(d))
            elif isinstance(d, S.DEnum | S.DSet | S.DParam | S.DConst | S.DVar):
                self.constant = d.name
                try:
                    self._constant_level(d)
                except Abort:
                    fatal = True
                finally:
                    self.constant = None
        for n in self.overrides:
            if n not in self.param_types:
                ov = self.overrides[n]
                span = ov[1] if isinstance(ov, tuple) else M.NOSPAN
                self.error("E1005", f"`{n}` is not a param of this spec", span)
                fatal = True
        if fatal:
            raise SpecError(self.diags)
        init = self._init(list(r.inits))
        actions = [act for d in r.actions
                   if (act := self.guarded(lambda: self._action(d))) is not None]
        # `var` locals are variables that every step starts and ends at their type's zero
        init += tuple(M.InitItem(v.index, False, _zero_lit(v, v.span), v.span)
                      for v in self.vars if v.local)
        invariants = [i for d in r.invariants
                      if (i := self.guarded(lambda: self._invariant(d))) is not None]
        terminals = r.terminals
        terminal = None
        if len(terminals) > 1:
            self.error("E1002", "only one `terminal when` is allowed", terminals[1].span)
        if terminals:
            self.body_nodes = 0
            terminal = self.guarded(lambda: self._bool(terminals[0].expr, Ctx()))
        renders = r.renders
        if len(renders) > 1:
            self.error("E1002", "a spec has one `render` section", renders[1].span)
        self.body_nodes = 0
        render = self.guarded(lambda: self._render(renders[0])) if renders else None
        properties = [p for d in r.properties
                      if (p := self.guarded(lambda: self._property(d))) is not None]
        # `always P` is the invariant P, in every engine (reported as the property)
        invariants += [M.Invariant(p.name, p.p, p.doc, p.span, always=True)
                       for p in properties if p.kind is M.Temporal.ALWAYS]
        properties = [p for p in properties if p.kind is not M.Temporal.ALWAYS]
        covers = [c for d in r.covers
                  if (c := self.guarded(lambda: self._cover(d))) is not None]
        constraints = [k for d in r.constraints
                       if (k := self.guarded(lambda: self._constraint(d))) is not None]
        inv_names = ({d.name for d in r.invariants} | {d.name for d in r.properties}
                     | {d.name for d in r.covers})
        for a, span in self.assertions:
            if a in inv_names:
                self.error("E1002", f"`{a}` is the name of an invariant; give the assertion "
                           "another name", span)
        if self.diags:
            raise SpecError(self.diags)
        return M.Model(r.name, self.path, tuple(self.vars), tuple(self.consts), init,
                       tuple(actions), tuple(invariants), terminal, tuple(self.params),
                       tuple(self.types.values()), doc=r.doc,
                       assertions=tuple(dict.fromkeys(a for a, _ in self.assertions)),
                       render=render, init_span=r.inits[0].span if r.inits else r.span,
                       properties=tuple(properties), covers=tuple(covers),
                       constraints=tuple(constraints))

    # ------------------------------------------------------------------ defs and procs
    def _callable(self, d: S.DDef | S.DProc) -> None:
        """Check a def or proc once, here, and keep its IR for the calls to inline."""
        kind = "def" if isinstance(d, S.DDef) else "proc"
        self.current = d.name
        self.body_nodes = 0
        try:
            self._callable_body(d)
        finally:  # known from here on, even if broken (its uses then add no error)
            self.current = None
            self.globals.setdefault(d.name, Global(kind, None, d.span))  # E1002 if taken

    def _callable_body(self, d: S.DDef | S.DProc) -> None:
        ctx = Ctx(mangle=d.name)
        params: list[Param] = []
        for b in d.params:
            if any(p.name == b.name for p in params):
                raise self.error("E1002", f"parameter `{b.name}` appears twice", b.span)
            # the domain gives the parameter's type only; it may not read the state
            dom = self._domain(b, Ctx(dict(ctx.locals), vars_ok=False, mangle=d.name))
            t = _elem_of(dom.t)
            if isinstance(t, AnyT):
                raise self.error("E2001", f"cannot tell the type of parameter `{b.name}` from an "
                                 "empty set", b.domain.span)
            params.append(Param(b.name, ctx.ir(b.name), t))
            ctx = ctx.bind(b.name, t)
        if isinstance(d, S.DDef):
            body = self.expr(d.body, ctx)
            reads = frozenset(x.index for x in M.walk_expr(body) if isinstance(x, M.VarRef))
            self.defs[d.name] = Def(tuple(params), body, reads)
        else:
            before = len(self.diags)
            stmts, _ = self._block(d.body, ctx)
            if len(self.diags) == before:
                self.procs[d.name] = Proc(tuple(params), stmts, self._stmts_size(stmts))

    def _arg(self, e: M.Expr, p: Param, owner: str, span: Span) -> M.Expr:
        """An argument for parameter p: its type checked, and a runtime check when its
        type does not guarantee that its value fits p's type."""
        e = self._expect_type(e, p.t, span, f"argument `{p.name}` of `{owner}`")
        if cannot_fit(e.t, p.t):
            raise self.error("E2002", f"the argument ({e.t}) cannot fit parameter `{p.name}` "
                             f"of `{owner}`, of type {p.t}", span)
        if not fits_statically(e.t, p.t):
            e = M.Fit(e, p.t, f"parameter {p.name} of {owner}", span)
        return e

    def _arity(self, name: str, kind: str, params: tuple[Param, ...], n: int, span: Span) -> None:
        if n != len(params):
            k = len(params)
            raise self.error("E2004", f"{kind} `{name}` takes {k} argument{'s' * (k != 1)}, "
                             f"not {n}", span)

    def _unknown(self, name: str, what: str, span: Span) -> Abort:
        if name == self.current:
            return self.error("E1001", f"`{name}` cannot use itself: defs and procs cannot "
                              "recurse", span)
        if name == self.constant:
            return self.error("E1001", f"`{name}` cannot refer to itself", span)
        at = self.declared.get(name)
        if at is not None and (at.line, at.col) < (span.line, span.col):
            # declared above, yet unknown: its own declaration failed, and its error (already
            # reported) says why; one more here would only cascade
            if self.diags:
                return Abort()
            return self.error("E1001", f"`{name}` cannot be used: its declaration (line "
                              f"{at.line}) could not be elaborated", span)
        if at is not None:
            return self.error("E1001", f"`{name}` is declared later, at line "
                              f"{self.declared[name].line}; a declaration sees only what is "
                              "declared above it", span)
        return self.error("E1001", f"unknown {what} `{name}`", span)

    # ------------------------------------------------------------------ constant level
    def _constant_level(self, d: S.Decl) -> None:
        self.body_nodes = 0
        if isinstance(d, S.DEnum):
            self._atoms(d.name, [a for a, _ in d.values], [sp for _, sp in d.values],
                        True, False, d.span)
        elif isinstance(d, S.DSet):
            if d.atoms is not None:
                names = [a for a, _ in d.atoms]
                spans = [sp for _, sp in d.atoms]
            else:
                assert d.prefix is not None and d.lo is not None and d.hi is not None
                lo, hi = self._const_int(d.lo), self._const_int(d.hi)
                if hi - lo + 1 > MAX_ATOMS:
                    raise self.error("E2002", f"set `{d.name}` would have {hi - lo + 1} atoms "
                                     f"(at most {MAX_ATOMS})", d.span)
                names = [f"{d.prefix}{i}" for i in range(lo, hi + 1)]
                spans = [d.span] * len(names)
                for n in names:
                    if n in self.globals:
                        raise self.error("E1002", f"atom `{n}` of set `{d.name}` is already "
                                         "declared", d.span)
            self._atoms(d.name, names, spans, False, d.symmetric, d.span)
        elif isinstance(d, S.DParam):
            t = self._type(d.type, allow_int=True)
            self.param_types[d.name] = t  # known even if its value is rejected below
            if d.name in self.overrides:
                ov = self.overrides[d.name]
                if isinstance(ov, tuple):
                    v = self._const_value(ov[0], t, f"param `{d.name}`")
                else:
                    v = ov
                    if not M.value_fits(v, t):
                        raise self.error("E2002", f"{format_value(v)} is not a value of "
                                         f"`{d.name}`'s type {t}", d.span)
            else:
                v = self._const_value(d.default, t, f"param `{d.name}`")
            self.params.append((d.name, v))
            self.globals[d.name] = Global("param", M.Lit(v, _lit_type(v, t), d.span), d.span)
        elif isinstance(d, S.DConst):
            e = self.expr(d.value, Ctx(vars_ok=False))
            t = e.t
            if d.type is not None:
                t = self._type(d.type)
                e = self._store(e, t, d.value.span, f"const `{d.name}`")
                if not fits_statically(e.t, t):  # checked once, before any engine runs
                    e = M.Fit(e, t, f"const {d.name}", d.value.span)
            v = fold_expr(e)
            g: M.Lit | M.ConstRef
            if v is not NOT_CONST and (v is None or isinstance(v, bool | int | Atom)):
                g = M.Lit(v, _lit_type(v, t), d.span)
            else:
                self.consts.append(M.ConstDef(d.name, e, t, d.span))
                g = M.ConstRef(d.name, t, d.span)
            self.globals[d.name] = Global("const", g, d.span)
        elif isinstance(d, S.DVar):
            t = self._type(d.type)
            if not M.is_finite(t):
                raise self.error("E2005", f"variable `{d.name}` needs a finite type, not {t}",
                                 d.type.span)
            var = M.Var(len(self.vars), d.name, t, d.doc, d.span)
            self.vars.append(var)
            self.globals[d.name] = Global("var", M.VarRef(var.index, d.name, t, d.span),
                                           d.span, var)

    def _atoms(self, name: str, atoms: list[str], spans: list[Span], is_enum: bool,
               symmetric: bool, span: Span) -> None:
        t = AtomT(name, tuple(atoms), is_enum, symmetric)
        self.types[name] = t
        for i, (a, sp) in enumerate(zip(atoms, spans)):
            self.globals[a] = Global("atom", M.Lit(t.atom(i), t, sp), sp)
        everything = frozenset(t.atom(i) for i in range(len(atoms)))
        self.globals[name] = Global("set", M.Lit(everything, SetT(t), span), span)

    def _const_int(self, node: S.AnyExpr) -> int:
        e = self.expr(node, Ctx(vars_ok=False))
        v = fold_expr(e)
        if v is NOT_CONST or isinstance(v, bool) or not isinstance(v, int):
            raise self.error("E2003", "expected a constant integer (numbers, params, consts)",
                             node.span)
        return v

    def _const_value(self, node: S.AnyExpr, t: Type, what: str) -> Value:
        e = self.expr(node, Ctx(vars_ok=False))
        v = fold_expr(e, ranges=None)
        if v is NOT_CONST:
            raise self.error("E2003", f"{what} needs a constant value", node.span)
        if not M.value_fits(v, t):
            raise self.error("E2002", f"{format_value(v)} is not a value of {what}'s type {t}",
                             node.span)
        return v

    # ------------------------------------------------------------------ types
    def _type(self, node: S.AnyType, allow_int: bool = False) -> Type:
        match node:
            case S.TBool():
                return BoolT()
            case S.TInt():
                if not allow_int:
                    raise self.error("E2005", "`int` is unbounded: give a range such as 0..3",
                                     node.span)
                return INT
            case S.TName():
                if node.name in self.types:
                    return self.types[node.name]
                g = self.globals.get(node.name)
                if g is not None:
                    raise self.error("E2001", f"`{node.name}` is {article(g.kind)}, not a type", node.span)
                raise self.error("E1001", f"unknown type `{node.name}`", node.span)
            case S.TRange():
                lo, hi = self._const_int(node.lo), self._const_int(node.hi)
                if hi < lo:
                    raise self.error("E2002", f"empty range {lo}..{hi}", node.span)
                return IntT(lo, hi)
            case S.TSet():
                elem = self._type(node.elem)
                if (why := set_elem_problem(elem)) is not None:
                    raise self.error("E2005", why, node.elem.span)
                return SetT(elem)
            case S.TFn():
                dom = self._type(node.dom)
                if (why := set_elem_problem(dom)) is not None:  # its keys are a set's values
                    raise self.error("E2005", f"a function's domain: {why}", node.dom.span)
                return FnT(dom, self._type(node.rng))
            case S.TOpt():
                inner = self._type(node.inner)
                if isinstance(inner, OptT):
                    raise self.error("E2001", "`T??` is the same as `T?`", node.span)
                return OptT(inner)
            case S.TRec():
                names = [n for n, _ in node.fields]
                dup = {n for n in names if names.count(n) > 1}
                if dup:
                    raise self.error("E1002", f"record field `{sorted(dup)[0]}` appears twice",
                                     node.span)
                return RecT(tuple(sorted((n, self._type(t)) for n, t in node.fields)))
            case S.TSeq():
                cap = self._const_int(node.cap)
                if cap < 0 or cap > MAX_SEQ:
                    raise self.error("E2002", f"sequence bound {cap} is outside 0..{MAX_SEQ}", node.cap.span)
                return SeqT(cap, self._type(node.elem))
            case _:
                assert_never(node)

    # ------------------------------------------------------------------ init
    def _init(self, blocks: list[S.DInit]) -> tuple[M.InitItem, ...]:
        items: list[M.InitItem] = []
        assigned: dict[int, Span] = {}
        self.body_nodes = 0
        if len(blocks) > 1:
            self.error("E1002", "only one `init` block is allowed", blocks[1].span)
        attempted: set[str] = set()
        for node in blocks[0].items if blocks else ():
            attempted.add(node.name)

            def one(node: S.InitNode = node) -> None:
                g = self.globals.get(node.name)
                if g is None or g.var is None:
                    raise self.error("E2006", f"`{node.name}` is not a variable", node.span)
                var = g.var
                if var.index in assigned:
                    raise self.error("E1002", f"`{var.name}` is initialized twice", node.span,
                                     f"first at line {assigned[var.index].line}")
                ctx = Ctx(readable_vars=set(assigned), in_init=True)
                e = self.expr(node.expr, ctx)
                if node.choice:
                    if not isinstance(e.t, SetT):
                        raise self.error("E2001", f"`{var.name} in ...` needs a set, not {e.t}",
                                         node.expr.span)
                    self._store(M.Local("_", e.t.elem, node.span), var.t, node.expr.span,
                                f"`{var.name}`")
                else:
                    e = self._store(e, var.t, node.expr.span, f"`{var.name}`")
                assigned[var.index] = node.span
                items.append(M.InitItem(var.index, node.choice, e, node.span))
            self.guarded(one)
        for var in self.vars:
            if var.index not in assigned and var.name not in attempted and not var.local:
                self.error("E1004", f"variable `{var.name}` has no initial value", var.span,
                           "assign it in the `init` block")
        return tuple(items)

    # ------------------------------------------------------------------ actions
    def _action(self, d: S.DAction) -> M.Action:
        self.action_name = d.name
        self.body_nodes = 0
        ctx = Ctx()
        params = []
        for b in d.params:
            dom = self._domain(b, ctx)
            params.append(M.Binder(b.name, dom, b.span))
            ctx = ctx.bind(b.name, _elem_of(dom.t))
        guard = self._bool(d.guard, ctx) if d.guard is not None else None
        body, _ = self._block(d.body, ctx)
        # the `var` locals this step wrote (its procs' included) go back to their zero, so
        # that they never tell two states apart
        written = dict.fromkeys(s.var for s in M.walk_stmts(body)
                                if isinstance(s, M.Assign) and self.vars[s.var].local)
        body += tuple(M.Assign(i, self.vars[i].name, (), _zero_lit(self.vars[i], d.span),
                               self.vars[i].t, d.span) for i in written)
        self._body_size(body, d.span, d.name)
        return M.Action(d.name, tuple(params), guard, body, d.doc, d.span,
                        M.Fairness(d.fairness))

    def _block(self, stmts: tuple[S.AnyStmt, ...], ctx: Ctx) -> tuple[tuple[M.Stmt, ...], Ctx]:
        out: list[M.Stmt] = []
        for s in stmts:
            try:
                lowered, ctx = self._stmt(s, ctx)
                out.extend(lowered)
            except Abort:
                if isinstance(s, S.SLet | S.SVar):
                    # the rest of the block would meet the name as unknown: a cascade of
                    # the error already reported
                    break
        return tuple(out), ctx

    def _stmt(self, s: S.AnyStmt, ctx: Ctx) -> tuple[tuple[M.Stmt, ...], Ctx]:
        """The statement's IR (a proc call or a loop lowers to several), and what the
        statements after it see."""
        match s:
            case S.SCall():
                return self._call_stmt(s, ctx), ctx
            case S.SFor() if s.pick:
                return self._any_stmt(s, ctx), ctx
            case S.SFor():
                return self._for_stmt(s, ctx), ctx
            case S.SGoto():
                raise self.error("E2004", "`goto` chooses a process's next step: it belongs "
                                 "in a `step` of a `process`", s.span)
            case S.SWhile():
                return self._while_stmt(s, ctx), ctx
            case S.SAssign():
                return (self._assign(s, ctx),), ctx
            case S.SLet():
                if s.name in self.globals or ctx.binds(s.name):
                    raise self.error("E1002", f"`{s.name}` is already defined", s.span)
                e = self.expr(s.value, ctx)
                if isinstance(e.t, NoneT):
                    raise self.error("E2001", "cannot bind a name to `none` alone", s.value.span)
                return (M.Let(ctx.ir(s.name), e, s.span),), ctx.bind(s.name, e.t)
            case S.SVar():
                st, ctx = self._var_stmt(s, ctx)
                return (st,), ctx
            case S.SIf():
                c = self._bool(s.cond, ctx)
                then, _ = self._block(s.then, ctx)
                orelse, _ = self._block(s.orelse, ctx)
                return (M.If(c, then, orelse, s.span),), ctx
            case S.SEither():
                return (M.Either(tuple(self._block(b, ctx)[0] for b in s.branches), s.span),), ctx
            case S.SRequire():
                return (M.Require(self._bool(s.cond, ctx), s.span),), ctx
            case S.SAssert():
                msg = s.message if s.message is not None else "assertion failed"
                if s.name is not None:
                    self.assertions.append((s.name, s.name_span or s.span))
                return (M.Assert(self._bool(s.cond, ctx), msg, s.span, s.name),), ctx
            case _:
                assert_never(s)

    def _var_stmt(self, s: S.SVar, ctx: Ctx) -> tuple[M.Stmt, Ctx]:
        """`var x: T = e`: a variable of its own that only the rest of this block sees. It
        is stored with the state, and every step that writes it sets it back to T's zero at
        its end, so it never tells two states apart; traces leave it out."""
        if s.name in self.globals or ctx.binds(s.name):
            raise self.error("E1002", f"`{s.name}` is already defined", s.span)
        t = self._type(s.type)
        if _zero(t) is _NO_ZERO:
            raise self.error("E2001", f"a `var` in a body must be a bool, a bounded range, an "
                             f"atom, a set, a sequence or an optional one of those, not {t}",
                             s.type.span)
        value = self._store(self.expr(s.value, ctx), t, s.value.span, f"`{s.name}`")
        owner = ctx.mangle or self.action_name
        var = M.Var(len(self.vars), f"{s.name}__{owner}__{len(self.vars)}", t, "", s.span,
                    local=True)
        self.vars.append(var)
        return M.Assign(var.index, s.name, (), value, t, s.span), ctx.cell(s.name, var)

    def _assign(self, s: S.SAssign, ctx: Ctx) -> M.Assign:
        chain: list[S.AnyExpr] = []
        node = s.target
        while isinstance(node, S.EIndex | S.EField):
            chain.append(node)
            node = node.e
        assert isinstance(node, S.EName)
        if node.name in ctx.locals:
            raise self.error("E2006", f"`{node.name}` is a bound name, not a variable; "
                             "only variables can be assigned", node.span)
        var = ctx.cells.get(node.name)
        if var is None:
            g = self.globals.get(node.name)
            if g is None:
                raise self._unknown(node.name, "variable", node.span)
            if g.var is None:
                raise self.error("E2006", f"`{node.name}` is {article(g.kind)}; only variables can "
                                 "be assigned", node.span)
            var = g.var
        t: Type = var.t
        path: list[M.PathStep] = []
        for step in reversed(chain):
            if isinstance(step, S.EField):
                ft = t.field_type(step.name) if isinstance(t, RecT) else None
                if ft is None:
                    raise self.error("E2001", f"{t} has no field `{step.name}`", step.span)
                path.append(M.PathStep("field", step.name, t, step.span))
                t = ft
            else:
                assert isinstance(step, S.EIndex)
                key = self.expr(step.x, ctx)
                if isinstance(t, FnT):
                    key = self._expect_type(key, t.dom, step.x.span, "function key")
                    path.append(M.PathStep("fn", key, t, step.span))
                    t = t.rng
                elif isinstance(t, SeqT):
                    key = self._int(key, step.x.span)
                    path.append(M.PathStep("seq", key, t, step.span))
                    t = t.elem
                else:
                    raise self.error("E2001", f"cannot index a value of type {t}", step.span)
        value = self._store(self.expr(s.value, ctx), t, s.value.span, f"`{_lvalue_text(s.target)}`")
        return M.Assign(var.index, node.name, tuple(path), value, t, s.span)

    def _render(self, d: S.DRender) -> M.Render:
        """The render section: node rules over sets of atoms, labels of any type, styles from
        a fixed list (they become DOT attributes, so no spec text reaches the DOT), and edges
        to atoms of a type some node rule draws."""
        nodes = []
        drawn: set[str] = set()
        for n in d.nodes:
            (b,), ctx = self._binders((n.binder,), Ctx())
            elem = _elem_of(b.domain.t)
            if not isinstance(elem, AtomT | IntT):
                raise self.error("E2001", f"a node is an atom or an integer, not a {elem}",
                                 n.binder.domain.span)
            drawn.add(_drawn_kind(elem))
            when = self._bool(n.when, ctx) if n.when is not None else None
            labels = tuple(M.RenderLabel(x.caption,
                                         self.expr(x.expr, ctx) if x.expr is not None else None,
                                         self._bool(x.when, ctx) if x.when is not None else None)
                           for x in n.labels)
            styles = tuple(M.RenderStyle(self._styles(x.styles), self._bool(x.when, ctx))
                           for x in n.styles)
            group = self.expr(n.group, ctx) if n.group is not None else None
            nodes.append(M.RenderNode(b.name, b.domain, when, labels, styles, group, n.span,
                                      n.group_caption))
        edges = []
        for e in d.edges:
            (b,), ctx = self._binders((e.binder,), Ctx())
            target = self.expr(e.target, ctx)
            t = target.t.inner if isinstance(target.t, OptT) else target.t
            t = t.elem if isinstance(t, SetT) else t
            src = _elem_of(b.domain.t)
            for end, span in ((src, e.binder.domain.span), (t, e.target.span)):
                if not isinstance(end, AtomT | IntT) or _drawn_kind(end) not in drawn:
                    raise self.error("E2001", f"an edge joins drawn nodes: no `node` rule draws "
                                     f"the values of {end}", span,
                                     "an edge's ends are atoms or integers (optional, or a "
                                     "set of them) of a kind a node rule draws")
            when = self._bool(e.when, ctx) if e.when is not None else None
            edges.append(M.RenderEdge(b.name, b.domain, target, when, e.label,
                                      self._styles(e.styles), e.span))
        return M.Render(tuple(nodes), tuple(edges))

    def _styles(self, names: tuple[tuple[str, Span], ...]) -> tuple[str, ...]:
        for name, span in names:
            if name not in M.STYLES:
                raise self.error("E1008", f"`{name}` is not a style", span,
                                 f"styles: {', '.join(M.STYLES)}")
        return tuple(n for n, _ in names)

    def _invariant(self, d: S.DInvariant) -> M.Invariant:
        self.body_nodes = 0
        return M.Invariant(d.name, self._bool(d.expr, Ctx()), d.doc, d.span, d.helper)

    def _property(self, d: S.DProperty) -> M.Property:
        self.body_nodes = 0
        p = self._bool(d.p, Ctx())
        q = None if d.q is None else self._bool(d.q, Ctx())
        return M.Property(d.name, M.Temporal(d.kind), p, q, d.doc, d.span)

    def _cover(self, d: S.DCover) -> M.Cover:
        self.body_nodes = 0
        return M.Cover(d.name, self._bool(d.expr, Ctx()), d.doc, d.span)

    def _constraint(self, d: S.DConstraint) -> M.Constraint:
        self.body_nodes = 0
        return M.Constraint(d.name, self._bool(d.expr, Ctx()), d.doc, d.span)

    # ------------------------------------------------------------------ type helpers
    def _store(self, e: M.Expr, t: Type, span: Span, what: str) -> M.Expr:
        """Check that e may be stored where type t is declared (static part)."""
        if isinstance(e.t, NoneT) and not isinstance(t, OptT):
            raise self.error("E2002", f"{what} has type {t}, which does not include `none`", span,
                             f"declare it as {t}? to allow none")
        if not same_shape(_strip_opt(e.t), _strip_opt(t)) and not isinstance(e.t, NoneT):
            raise self.error("E2001", f"type mismatch: {what} has type {t}, the value has type "
                             f"{e.t}", span, *_clash_notes(e.t, t))
        if cannot_fit(e.t, t):
            raise self.error("E2002", f"the value ({e.t}) cannot fit {what}, of type {t}", span)
        return e

    def _expect_type(self, e: M.Expr, t: Type, span: Span, what: str) -> M.Expr:
        if isinstance(t, OptT):  # a T, a T? or none all do
            if isinstance(e.t, NoneT) or same_shape(_strip_opt(e.t), t.inner):
                return e
            raise self.error("E2001", f"{what} must be {t}, not {e.t}", span, *_clash_notes(e.t, t))
        if isinstance(e.t, OptT | NoneT):
            e = self._unwrap(e, span)
        if join(e.t, t) is None or not same_shape(e.t, t):
            raise self.error("E2001", f"{what} must be {t}, not {e.t}", span, *_clash_notes(e.t, t))
        return e

    def _unwrap(self, e: M.Expr, span: Span) -> M.Expr:
        if isinstance(e.t, NoneT):
            raise self.error("E2001", "`none` used where a value is needed", span)
        if isinstance(e.t, OptT):
            return M.Unwrap(e, e.t.inner, span)
        return e

    def _int(self, e: M.Expr, span: Span) -> M.Expr:
        e = self._unwrap(e, span)
        if not isinstance(e.t, IntT):
            raise self.error("E2001", f"expected an integer, not {e.t}", span)
        return e

    def _bool(self, node: S.AnyExpr, ctx: Ctx) -> M.Expr:
        return self._bool_e(self.expr(node, ctx), node.span)

    def _bool_e(self, e: M.Expr, span: Span) -> M.Expr:
        e = self._unwrap(e, span)
        if not isinstance(e.t, BoolT):
            raise self.error("E2001", f"expected a condition (bool), not {e.t}", span)
        return e

    def _set(self, e: M.Expr, span: Span) -> M.Expr:
        e = self._unwrap(e, span)
        if not isinstance(e.t, SetT):
            raise self.error("E2001", f"expected a set, not {e.t}", span)
        return e

    def _seq(self, e: M.Expr, span: Span) -> M.Expr:
        e = self._unwrap(e, span)
        if not isinstance(e.t, SeqT):
            raise self.error("E2001", f"expected a sequence, not {e.t}", span)
        return e

    def _elem(self, e: M.Expr, span: Span) -> M.Expr:
        e = self._unwrap(e, span)
        if isinstance(e, M.SeqLit) and isinstance(e.t, SeqT):  # as long as it is: in a set,
            e = dataclasses.replace(e, t=SeqT(len(e.elems), e.t.elem))  # it does not grow
        if (why := set_elem_problem(e.t)) is not None:
            raise self.error("E2005", why, span)
        return e

    def _domain(self, b: S.BinderNode, ctx: Ctx) -> M.Expr:
        if b.name in self.globals:
            raise self.error("E1002", f"`{b.name}` is already declared; choose another name",
                             b.span)
        return self._set(self.expr(b.domain, ctx), b.domain.span)

    # ------------------------------------------------------------------ expressions
    def expr(self, n: S.AnyExpr, ctx: Ctx) -> M.Expr:
        self.polls += 1
        if self.polls % budget.POLL_EVERY == 0:
            budget.poll()  # --max-seconds and --max-memory bound elaboration too
        e = self._expr(n, ctx)
        span = n.span
        v = fold_expr(e) if not isinstance(e, M.Lit) else NOT_CONST
        if v is not NOT_CONST:
            return M.Lit(v, e.t, span)
        size, depth = self.sizes.of(e)
        if depth > MAX_EXPR_DEPTH or size > MAX_EXPR_NODES:
            what = (f"{depth} levels deep (at most {MAX_EXPR_DEPTH})" if depth > MAX_EXPR_DEPTH
                    else f"{size:,} nodes (at most {MAX_EXPR_NODES:,})")
            raise self.error("E2005", f"this expression is {what} once defs are inlined", span,
                             "every use of a def is a copy of its body: a def that uses "
                             "another one several times doubles in size at each level")
        return e

    def _expr(self, n: S.AnyExpr, ctx: Ctx) -> M.Expr:
        sp = n.span
        match n:
            case S.ELit():
                if n.value is None:
                    return M.Lit(None, NoneT(), sp)
                if isinstance(n.value, bool):
                    return M.Lit(n.value, BoolT(), sp)
                return M.Lit(n.value, IntT(n.value, n.value), sp)
            case S.EName():
                return self._name(n, ctx)
            case S.EUnary():
                e = self.expr(n.e, ctx)
                if n.op == "not":
                    return M.Not(self._bool_e(e, n.e.span), BoolT(), sp)
                e = self._int(e, n.e.span)
                t = e.t
                assert isinstance(t, IntT)
                return M.Neg(e, IntT(-t.hi if t.hi is not None else None,
                                     -t.lo if t.lo is not None else None), sp)
            case S.EBinary():
                return self._binary(n, ctx)
            case S.EIndex():
                f = self._unwrap(self.expr(n.e, ctx), n.e.span)
                x = self.expr(n.x, ctx)
                if isinstance(f.t, FnT):
                    x = self._expect_type(x, f.t.dom, n.x.span, "the argument")
                    return M.Apply(f, x, f.t.rng, sp)
                if isinstance(f.t, SeqT):
                    return M.Index(f, self._int(x, n.x.span), f.t.elem, sp)
                raise self.error("E2001", f"cannot index a value of type {f.t}", n.e.span)
            case S.ESlice():
                s = self._seq(self.expr(n.e, ctx), n.e.span)
                lo = self._int(self.expr(n.lo, ctx), n.lo.span) if n.lo is not None else None
                hi = self._int(self.expr(n.hi, ctx), n.hi.span) if n.hi is not None else None
                return M.Slice(s, lo, hi, s.t, sp)
            case S.EField():
                r = self._unwrap(self.expr(n.e, ctx), n.e.span)
                ft = r.t.field_type(n.name) if isinstance(r.t, RecT) else None
                if ft is None:
                    raise self.error("E2001", f"{r.t} has no field `{n.name}`", sp)
                return M.Field(r, n.name, ft, sp)
            case S.ECall():
                return self._call(n, ctx)
            case S.ESetLit():
                elems = tuple(self._elem(self.expr(x, ctx), x.span) for x in n.elems)
                return M.SetLit(elems, SetT(self._join_all([e.t for e in elems], n.elems, sp)), sp)
            case S.ESeqLit():
                elems = tuple(self.expr(x, ctx) for x in n.elems)
                t = self._join_all([e.t for e in elems], n.elems, sp)
                # A literal has no declared bound: it may grow up to the largest bound, and is
                # checked against the declared one where it is stored.
                return M.SeqLit(elems, SeqT(max(len(elems), MAX_SEQ), t), sp)
            case S.ERecLit() if n.fields and all(
                    (g := self.globals.get(f)) is not None and g.kind == "atom"
                    and f not in ctx.locals for f, _ in n.fields):
                # every key names an atom: a function literal (a record's fields are not values)
                keys = tuple(S.EName(f, sp_) for (f, _), sp_ in zip(n.fields, n.names or
                                                                   (sp,) * len(n.fields)))
                return self._fn_literal(tuple(zip(keys, (x for _, x in n.fields))), sp, ctx)
            case S.EFnLit():
                return self._fn_literal(n.pairs, sp, ctx)
            case S.ERecLit():
                names = [f for f, _ in n.fields]
                if len(set(names)) != len(names):
                    raise self.error("E1002", "a record field appears twice", sp)
                fields = tuple(sorted((f, self.expr(x, ctx)) for f, x in n.fields))
                return M.RecLit(fields, RecT(tuple((f, e.t) for f, e in fields)), sp)
            case S.EIte():
                c = self._bool(n.c, ctx)
                a, b = self.expr(n.a, ctx), self.expr(n.b, ctx)
                ta, tb = a.t, b.t
                joined = join(ta, tb)
                if joined is None:
                    raise self.error("E2001", f"the branches have different types: {ta} and {tb}", sp,
                                     *_clash_notes(ta, tb))
                return M.Ite(c, a, b, joined, sp)
            case S.EQuant():
                binders, inner = self._binders(n.binders, ctx)
                return M.Quant(n.forall, binders, self._bool(n.body, inner), BoolT(), sp)
            case S.EArg():
                return self._arg_best(n, ctx)
            case S.EFilter():
                (bd,), inner = self._binders((n.binder,), ctx)
                return M.Filter(bd, self._bool(n.pred, inner), bd.domain.t, sp)
            case S.EMap():
                binders, inner = self._binders(n.binders, ctx)
                e = self._elem(self.expr(n.e, inner), n.e.span)
                return M.MapSet(e, binders, SetT(e.t), sp)
            case S.EFnComp():
                (bd,), inner = self._binders((n.binder,), ctx)
                dom_t = _elem_of(bd.domain.t)
                if set_elem_problem(dom_t) is not None or not _whole(bd.domain, dom_t):
                    raise self.error("E2003", "the domain of `{x: e for x in D}` must be a whole "
                                     "type: a set or enum name, or a constant range", n.binder.domain.span)
                e = self.expr(n.e, inner)
                return M.FnComp(bd, e, FnT(dom_t, e.t), sp)
            case _:
                assert_never(n)

    def _arg_best(self, n: S.EArg, ctx: Ctx) -> M.Expr:
        """`argmin x in S: e` is `min({x in S where forall y in S: e <= e[x := y]})`: of the
        elements with the least key, the first in canonical order (`min`, whose rules for
        S's elements it follows); `argmax` the same with `>=`."""
        (bd,), inner = self._binders((n.binder,), ctx)
        elem = _elem_of(bd.domain.t)
        key = self._int(self.expr(n.key, inner), n.key.span)
        ordered = isinstance(elem, IntT | BoolT) or (isinstance(elem, AtomT)
                                                      and not elem.symmetric)
        if not ordered:
            raise self.error("E2001", "argmin/argmax ranges over a set of integers, booleans or "
                             f"atoms of a non-symmetric set, not {bd.domain.t}",
                             n.binder.domain.span)
        other = f"{bd.name}__other{self.made_names}"
        self.made_names += 1
        y = M.Local(other, elem, n.binder.span)
        key_y = subst(key, {bd.name: y})
        op = M.Op.LE if n.least else M.Op.GE
        best = M.Quant(True, (M.Binder(other, bd.domain, n.binder.span),),
                       M.BinOp(op, key, key_y, BoolT(), n.span), BoolT(), n.span)
        chosen = M.Filter(bd, best, bd.domain.t, n.span)
        return M.Call(M.Builtin.MIN, (chosen,), OptT(elem), n.span)

    def _fn_literal(self, pairs: tuple[tuple[S.AnyExpr, S.AnyExpr], ...], sp: Span,
                    ctx: Ctx) -> M.Expr:
        """`{k1: v1, ...}` with constant keys that are every value of one type (its domain):
        the function `{x: if x == k1 then v1 else ... for x in D}`, which every engine has."""
        keys: list[M.Expr] = []
        seen: dict[Value, Span] = {}
        for k, _ in pairs:
            e = self._elem(self.expr(k, ctx), k.span)  # a key is what a set may hold
            v = _literal(e)
            if v is NOT_CONST:
                raise self.error("E2005", "a function literal's keys are constants (atoms, "
                                 "numbers, booleans, or records, sequences and sets of them)",
                                 k.span)
            if v in seen:
                raise self.error("E1002", f"the key {format_value(v)} appears twice", k.span)
            seen[v] = k.span
            keys.append(M.Lit(v, e.t, k.span))
        dom = self._join_all([e.t for e in keys], tuple(k for k, _ in pairs), sp)
        if isinstance(dom, IntT):
            ints = sorted(v for v in seen if isinstance(v, int))
            dom = IntT(ints[0], ints[-1])
        missing = [v for v in M.type_values(dom) if v not in seen]
        if missing:
            raise self.error("E2003", f"a function literal gives every key of its domain "
                             f"{dom}: {', '.join(format_value(v) for v in missing[:5])}"
                             f"{' ...' if len(missing) > 5 else ''} missing", sp)
        vals = [self.expr(v, ctx) for _, v in pairs]
        rng = self._join_all([v.t for v in vals], tuple(v for _, v in pairs), sp)
        name = f"__key{self.made_names}"
        self.made_names += 1
        x = M.Local(ctx.ir(name), dom, sp)
        body = vals[-1]
        for key, val in zip(reversed(keys[:-1]), reversed(vals[:-1])):
            body = M.Ite(M.BinOp(M.Op.EQ, x, key, BoolT(), key.span), val, body, rng, sp)
        domain = M.Lit(frozenset(M.type_values(dom)), SetT(dom), sp)
        return M.FnComp(M.Binder(x.name, domain, sp), body, FnT(dom, rng), sp)

    def _join_all(self, ts: list[Type], nodes: tuple[S.AnyExpr, ...], sp: Span) -> Type:
        t: Type = AnyT()
        for u, node in zip(ts, nodes):
            j = join(t, u)
            if j is None:
                raise self.error("E2001", f"elements of different types: {t} and {u}", node.span,
                                 *_clash_notes(u, t))
            t = j
        return t

    def _binders(self, nodes: tuple[S.BinderNode, ...], ctx: Ctx) -> tuple[tuple[M.Binder, ...], Ctx]:
        out = []
        for b in nodes:
            dom = self._domain(b, ctx)
            out.append(M.Binder(ctx.ir(b.name), dom, b.span))
            ctx = ctx.bind(b.name, _elem_of(dom.t))
        return tuple(out), ctx

    def _name(self, n: S.EName, ctx: Ctx) -> M.Expr:
        if n.name in ctx.locals:
            return M.Local(ctx.ir(n.name), ctx.locals[n.name], n.span)
        if n.name in ctx.cells:
            var = ctx.cells[n.name]
            return M.VarRef(var.index, n.name, var.t, n.span)
        g = self.globals.get(n.name)
        if g is None and n.name == "bool":
            return M.Lit(frozenset({False, True}), SetT(BoolT()), n.span)
        if g is None:
            if n.name in BUILTINS:
                raise self.error("E2004", f"`{n.name}` is a function: call it as {n.name}(...)",
                                 n.span)
            raise self._unknown(n.name, "name", n.span)
        if g.kind == "def":
            return self._use_def(n.name, (), n.span, ctx, bare=True)
        if g.kind == "proc":
            raise self.error("E2004", f"`{n.name}` is a proc: call it as a statement, "
                             f"{n.name}(...)", n.span)
        assert g.expr is not None
        if g.kind == "var":
            if not ctx.vars_ok:
                raise self.error("E2007", f"variable `{n.name}` cannot be used in a constant",
                                 n.span)
            assert g.var is not None
            if ctx.readable_vars is not None and g.var.index not in ctx.readable_vars:
                raise self.error("E1004", f"`{n.name}` is read before `init` assigns it", n.span)
            return M.VarRef(g.var.index, n.name, g.var.t, n.span)
        if g.kind == "atom" and not ctx.in_init:
            t = g.expr.t
            if isinstance(t, AtomT) and t.symmetric:
                self.warn("W0001", f"`{n.name}` is an atom of symmetric set `{t.name}`; naming it "
                          "outside `init` breaks the symmetry", n.span)
        e = g.expr
        if isinstance(e, M.Lit):
            return M.Lit(e.value, e.t, n.span)
        if isinstance(e, M.ConstRef):
            return M.ConstRef(e.name, e.t, n.span)
        return e

    def _binary(self, n: S.EBinary, ctx: Ctx) -> M.Expr:
        sp, op = n.span, n.op
        a, b = self.expr(n.a, ctx), self.expr(n.b, ctx)
        if op in ("and", "or", "implies", "iff"):
            a, b = self._bool_e(a, n.a.span), self._bool_e(b, n.b.span)
            return M.BinOp(M.Op(op), a, b, BoolT(), sp)
        if op in ("==", "!="):
            ta, tb = a.t, b.t
            if join(ta, tb) is None:
                raise self.error("E2001", f"cannot compare {ta} with {tb}", sp, *_clash_notes(ta, tb))
            return M.BinOp(M.Op(op), a, b, BoolT(), sp)
        if op in ("<", "<=", ">", ">="):
            if isinstance(_strip_opt(a.t), AtomT) or isinstance(_strip_opt(b.t), AtomT):
                return M.BinOp(M.Op(op), *self._ordered_atoms(a, b, n), BoolT(), sp)
            return M.BinOp(M.Op(op), self._int(a, n.a.span), self._int(b, n.b.span), BoolT(), sp)
        if op in ("in", "not in"):
            b = self._set(b, n.b.span)
            a = self._expect_type(a, _elem_of(b.t), n.a.span, "the element")
            return M.BinOp(M.Op.IN if op == "in" else M.Op.NOTIN, a, b, BoolT(), sp)
        if op == "subset":
            a, b = self._set(a, n.a.span), self._set(b, n.b.span)
            if join(a.t, b.t) is None:
                raise self.error("E2001", f"cannot compare {a.t} with {b.t}", sp)
            return M.BinOp(M.Op.SUBSET, a, b, BoolT(), sp)
        if op in ("union", "inter", "minus"):
            a, b = self._set(a, n.a.span), self._set(b, n.b.span)
            t = join(a.t, b.t)
            if t is None:
                raise self.error("E2001", f"cannot combine {a.t} with {b.t}", sp)
            if op != "union":
                t = a.t if op == "minus" or isinstance(_elem_of(b.t), AnyT) else t
            return M.BinOp(M.Op(op), a, b, t, sp)
        if op == "..":
            a, b = self._int(a, n.a.span), self._int(b, n.b.span)
            t = join(a.t, b.t)
            assert isinstance(t, IntT)
            if t.lo is None or t.hi is None:
                raise self.error("E2005", "cannot bound this range; use bounded operands", sp)
            return M.RangeSet(a, b, SetT(t), sp)
        if op == "+" and (isinstance(_strip_opt(a.t), SeqT) or isinstance(_strip_opt(b.t), SeqT)):
            a, b = self._seq(a, n.a.span), self._seq(b, n.b.span)
            assert isinstance(a.t, SeqT) and isinstance(b.t, SeqT)  # what _seq ensures
            elem = join(a.t.elem, b.t.elem)
            if elem is None:
                raise self.error("E2001", f"cannot concatenate {a.t} and {b.t}", sp,
                                 *_clash_notes(a.t.elem, b.t.elem))
            for x, y in ((a, b), (b, a)):
                if isinstance(x, M.SeqLit) and not x.elems:  # `[] + s` is s
                    return y
            # as long as both can be (a literal as long as it is): storing it checks that
            # it fits
            cap = sum(len(x.elems) if isinstance(x, M.SeqLit) else x.t.cap for x in (a, b)
                      if isinstance(x.t, SeqT))
            return M.BinOp(M.Op.CONCAT, a, b, SeqT(cap, elem), sp)
        if op in ("+", "-", "*", "div", "%", "**"):
            a, b = self._int(a, n.a.span), self._int(b, n.b.span)
            assert isinstance(a.t, IntT) and isinstance(b.t, IntT)  # what _int ensures
            if op == "**" and (b.t.hi is None or b.t.hi > M.MAX_EXPONENT):
                bound = "has no bound" if b.t.hi is None else f"can be {b.t.hi}"
                raise self.error("E2005", f"the exponent {bound}; an exponent's type allows at "
                                 f"most {M.MAX_EXPONENT}", n.b.span,
                                 "bound it, for example with a variable of type 0..8")
            iop = {"+": M.Op.ADD, "-": M.Op.SUB, "*": M.Op.MUL, "div": M.Op.DIV, "%": M.Op.MOD,
                   "**": M.Op.POW}[op]
            return M.BinOp(iop, a, b, arith(op, a.t, b.t), sp)
        raise AssertionError(op)

    def _ordered_atoms(self, a: M.Expr, b: M.Expr, n: S.EBinary) -> tuple[M.Expr, M.Expr]:
        """Atoms of one set compare by declaration order (lowest-free-slot allocation); a
        symmetric set has no order, so it refuses."""
        a, b = self._unwrap(a, n.a.span), self._unwrap(b, n.b.span)
        if not (isinstance(a.t, AtomT) and isinstance(b.t, AtomT) and a.t.name == b.t.name):
            raise self.error("E2001", f"cannot order {a.t} against {b.t}", n.span)
        if a.t.symmetric:
            raise self.error("E2001", f"`{a.t.name}` is symmetric: its atoms have no order",
                             n.span)
        return a, b

    def _call(self, n: S.ECall, ctx: Ctx) -> M.Expr:
        sp = n.span
        g = self.globals.get(n.name)
        if g is not None and g.kind == "def":
            return self._use_def(n.name, n.args, sp, ctx)
        if g is not None and g.kind == "proc":
            raise self.error("E2004", f"`{n.name}` is a proc: call it as a statement, not inside "
                             "an expression", sp)
        fn = BUILTINS.get(n.name)
        if fn is None:
            if n.name in self.globals:
                raise self.error("E1001", f"unknown function `{n.name}` (functions are applied "
                                 "with brackets: f[x])", sp)
            raise self._unknown(n.name, "function", sp)
        arity = {M.Builtin.LEN: 1, M.Builtin.APPEND: 2, M.Builtin.REMOVE: 2,
                 M.Builtin.INSERT: 3, M.Builtin.INDEX: 2, M.Builtin.REACH: 2,
                 M.Builtin.MIN: 1, M.Builtin.MAX: 1}[fn]
        if len(n.args) != arity:
            raise self.error("E2004", f"`{n.name}` takes {arity} argument{'s' * (arity > 1)}, "
                             f"not {len(n.args)}", sp)
        args = [self.expr(x, ctx) for x in n.args]
        if fn is M.Builtin.REACH:
            return self._reach(args, n)
        if fn is M.Builtin.MIN or fn is M.Builtin.MAX:
            x = self._set(args[0], n.args[0].span)
            elem = _elem_of(x.t)
            ordered = isinstance(elem, IntT | BoolT) or (isinstance(elem, AtomT) and not elem.symmetric)
            if not ordered:
                raise self.error("E2001", f"{n.name}() needs a set of integers, booleans or atoms of "
                                 f"a non-symmetric set, not {x.t}", n.args[0].span)
            return M.Call(fn, (x,), OptT(elem), sp)
        if fn is M.Builtin.LEN:
            x = self._unwrap(args[0], n.args[0].span)
            if isinstance(x.t, SeqT):
                return M.Call(fn, (x,), IntT(0, x.t.cap), sp)
            if isinstance(x.t, SetT):
                size = M.type_size(x.t.elem) if M.is_finite(x.t.elem) else None
                return M.Call(fn, (x,), IntT(0, size), sp)
            raise self.error("E2001", f"len() needs a sequence or a set, not {x.t}", n.args[0].span)
        s = self._seq(args[0], n.args[0].span)
        assert isinstance(s.t, SeqT)
        if fn is M.Builtin.INSERT:
            i = self._int(args[1], n.args[1].span)
            x = self._expect_type(args[2], s.t.elem, n.args[2].span, "the element")
            return M.Call(fn, (s, i, x), SeqT(s.t.cap, join(s.t.elem, x.t) or s.t.elem), sp)
        x = self._expect_type(args[1], s.t.elem if not isinstance(s.t.elem, AnyT) else args[1].t,
                              n.args[1].span, "the element")
        if fn is M.Builtin.INDEX:
            return M.Call(fn, (s, x), IntT(0, max(0, s.t.cap - 1)), sp)
        if fn is M.Builtin.APPEND:
            return M.Call(fn, (s, x), SeqT(s.t.cap, join(s.t.elem, x.t) or s.t.elem), sp)
        return M.Call(fn, (s, x), s.t, sp)


    def _reach(self, args: list[M.Expr], n: S.ECall) -> M.Expr:
        """reach(f, x): f of type T -> T? (or T -> T), x of type T, T? or none."""
        f = self._unwrap(args[0], n.args[0].span)
        if not isinstance(f.t, FnT) or not same_shape(_strip_opt(f.t.rng), f.t.dom):
            raise self.error("E2001", "reach(f, x) needs a function from a type to itself "
                             f"(T -> T? or T -> T) as f, not {f.t}", n.args[0].span)
        if not is_scalar(f.t.dom):
            raise self.error("E2005", "reach(f, x) follows a function over bool, a range or "
                             f"atoms, not over {f.t.dom}", n.args[0].span)
        x = self._expect_type(args[1], OptT(f.t.dom), n.args[1].span, "the start of reach()")
        elem = join(f.t.dom, _strip_opt(f.t.rng))
        if not isinstance(x.t, NoneT):
            elem = join(elem, _strip_opt(x.t)) if elem is not None else None
        assert elem is not None
        return M.Call(M.Builtin.REACH, (f, x), SetT(elem), n.span)


_NO_ZERO = object()


def _zero(t: Type) -> Any:
    """The value a `var` local holds outside the step that uses it."""
    if isinstance(t, BoolT):
        return False
    if isinstance(t, IntT) and t.lo is not None and t.hi is not None:
        return t.lo
    if isinstance(t, AtomT):
        return t.atom(0)
    if isinstance(t, OptT):
        return None
    if isinstance(t, SetT):
        return frozenset()
    if isinstance(t, SeqT):
        return ()
    return _NO_ZERO


def _zero_lit(var: M.Var, span: Span) -> M.Lit:
    """A `var` local's value between steps, as a literal."""
    return M.Lit(_zero(var.t), var.t, span)


def _elem_of(t: Type) -> Type:
    """The element type of t, a set type: what `_set` and `_domain` have checked."""
    assert isinstance(t, SetT)
    return t.elem


def _strip_opt(t: Type) -> Type:
    return t.inner if isinstance(t, OptT) else t


def _lvalue_text(n: S.AnyExpr) -> str:
    if isinstance(n, S.EName):
        return n.name
    if isinstance(n, S.EField):
        return f"{_lvalue_text(n.e)}.{n.name}"
    if isinstance(n, S.EIndex):
        return f"{_lvalue_text(n.e)}[...]"
    return "?"


def _lit_type(v: Value, declared: Type) -> Type:
    if isinstance(v, bool):
        return BoolT()
    if isinstance(v, int):
        return IntT(v, v)
    if v is None:
        return NoneT()
    return declared


def _drawn_kind(t: Type) -> str:
    """What a render node stands for: the atoms of one set or enum, or integers."""
    return t.name if isinstance(t, AtomT) else "int"


def _clash_notes(a: Type, b: Type) -> tuple[str, ...]:
    """Why two types that look alike are not: functions over different domains."""
    clash = domain_clash(a, b)
    if clash is None:
        return ()
    return (f"a function's domain is part of its type (its keys are exactly the domain): "
            f"{clash[0]} is not {clash[1]}",)


def _whole(dom: M.Expr, t: Type) -> bool:
    """Is the set expression dom, statically, every value of its element type t?"""
    if isinstance(dom, M.RangeSet) and isinstance(t, IntT):  # a range too large to fold
        return bool(fold_expr(dom.lo) == t.lo and fold_expr(dom.hi) == t.hi)
    whole = _literal(dom)
    return whole is not NOT_CONST and whole == frozenset(M.type_values(t))


def _literal(e: M.Expr) -> Any:
    """fold_expr's value, set, sequence and record literals of constants included."""
    if isinstance(e, M.SetLit | M.SeqLit):
        vs = [_literal(x) for x in e.elems]
        if any(v is NOT_CONST for v in vs):
            return NOT_CONST
        return frozenset(vs) if isinstance(e, M.SetLit) else tuple(vs)
    if isinstance(e, M.RecLit):
        fs = [(n, _literal(x)) for n, x in e.fields]
        return NOT_CONST if any(v is NOT_CONST for _, v in fs) else Rec(fs)
    return fold_expr(e)


class Elaboration(NamedTuple):
    model: M.Model
    warnings: list[Diagnostic]
    nodes: int  # IR nodes built (expressions typed, and those copied by inlining or unrolling)


def elaborate(spec: S.SpecFile, path: str, overrides: dict[str, Any],
              resolved: Resolved | None = None) -> Elaboration:
    """One configuration of the spec as a Model, plus the warnings found on the way;
    `resolved` is `resolve(spec)`, done once per spec by the caller (or here)."""
    el = Elaborator(spec, path, overrides, resolved)
    model = el.run()
    return Elaboration(model, el.warnings, el.polls + el.model_nodes)

