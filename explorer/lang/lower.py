"""Lowering, per configuration: what makes the IR that engines see free of defs, procs and
loops, and keeps it within the elaboration budget (E2005).

A def use is its body's IR with each parameter replaced by the argument's IR (call by
name); a proc call is one `let` per parameter (arguments evaluated at the call, left to
right) followed by the proc's body. `for` and `while` loops are unrolled: the body is
checked once, and each iteration, like each proc call, renames its names `{name}__{n}`
with a number no other call or iteration has. `while` adds the IR statement `Fail` (E3007).
Every copy counts against the budget below; an unrolled loop and an action body are also
bounded in the code the explicit engine would make of them.

`Lowering` is a part of the elaborator (typecheck.py's `Elaborator` derives from it): its
methods call back into the type checker for the expressions and blocks they lower, through
the `Host` protocol, which says what they need.
"""

from __future__ import annotations

from typing import Protocol

from explorer import model as M
from explorer.diagnostics import Diagnostic
from explorer.lang import syntax as S
from explorer.lang.resolve import BUILTIN_NAMES
from explorer.lang.rewrite import (
    NOT_CONST,
    Mentions,
    Sizes,
    fold_expr,
    let_names,
    rename_stmts,
    subst,
)
from explorer.lang.scope import Abort, Ctx, Def, Global, Param, Proc, article, type_of
from explorer.model import AnyT, BoolT, IntT, SeqT, SetT, Span
from explorer.types import set_elem_problem

MAX_LOOP = 64  # the most iterations a `for` or `while` unrolls to
MAX_UNROLLED = 2000  # the most IR statements one loop may unroll to (nested loops multiply)
# The path bounds are the language's, not one engine's: every path through a body is a
# successor computation each engine makes (the interpreter walks it, z3 encodes it, the
# explicit engine compiles it), so they are checked once, when a configuration elaborates.
MAX_LOOP_EITHERS = 12  # `either`s in sequence in one unrolled loop (each nests the code)
MAX_LOOP_PATHS = 4096  # paths through an unrolled loop (each one copies what follows it)
MAX_LOOP_NESTING = 72  # blocks nested in one unrolled loop (`while` nests one per iteration)
# The elaboration budget: what inlining defs and procs and unrolling loops may make (E2005).
# Each def use copies the def's body, so a def using the previous one twice doubles at
# every level; these keep every engine's work (and the generated code) bounded.
MAX_EXPR_DEPTH = 150  # nesting of one expression once inlined (the evaluators recurse on it)
MAX_EXPR_NODES = 20_000  # nodes of one expression once inlined
MAX_BODY_NODES = 200_000  # nodes (statements and expressions) one declaration instantiates
MAX_MODEL_NODES = 2_000_000  # ... and a whole configuration


class Host(Protocol):
    """What lowering uses of the elaborator: its tables, budgets and type checks."""

    diags: list[Diagnostic]
    globals: dict[str, Global]
    vars: list[M.Var]
    defs: dict[str, Def]
    procs: dict[str, Proc]
    sizes: Sizes
    mentions: Mentions
    calls: int
    body_nodes: int
    model_nodes: int

    def error(self, code: str, msg: str, span: Span, *notes: str) -> Abort: ...
    def expr(self, n: S.AnyExpr, ctx: Ctx) -> M.Expr: ...
    def _block(self, stmts: tuple[S.AnyStmt, ...], ctx: Ctx) -> tuple[tuple[M.Stmt, ...], Ctx]: ...
    def _bool(self, node: S.AnyExpr, ctx: Ctx) -> M.Expr: ...
    def _unwrap(self, e: M.Expr, span: Span) -> M.Expr: ...
    def _expect_type(self, e: M.Expr, t: M.Type, span: Span, what: str) -> M.Expr: ...
    def _unknown(self, name: str, what: str, span: Span) -> Abort: ...
    def _arg(self, e: M.Expr, p: Param, owner: str, span: Span) -> M.Expr: ...
    def _arity(self, name: str, kind: str, params: tuple[Param, ...], n: int, span: Span) -> None: ...
    # the lowering's own, called on self
    def _instantiate(self, n: int, span: Span, what: str) -> None: ...
    def _stmts_size(self, stmts: tuple[M.Stmt, ...]) -> int: ...
    def _fresh(self, names: list[str]) -> dict[str, str]: ...
    def _iteration(self, var: str, value: M.Expr, body: tuple[M.Stmt, ...], cond: M.Expr,
                   sp: Span) -> M.Stmt: ...
    def _loop_size(self, stmts: tuple[M.Stmt, ...], span: Span) -> None: ...
    def _unrolled_elem(self, t: SetT, name: str, span: Span, what: str, limit: str) -> M.Type: ...


class Lowering:
    """Inlining defs and procs, unrolling loops, and the budget of both (see the module)."""

    def _use_def(self: Host, name: str, args: tuple[S.AnyExpr, ...], span: Span, ctx: Ctx,
                 bare: bool = False) -> M.Expr:
        d = self.defs.get(name)
        if d is None:
            raise Abort()  # the def is broken: its error is reported at its declaration
        if bare and d.params:
            k = len(d.params)
            raise self.error("E2004", f"def `{name}` takes {k} argument{'s' * (k != 1)}: call "
                             f"it as {name}(...)", span)
        self._arity(name, "def", d.params, len(args), span)
        if d.reads and not ctx.vars_ok:
            first = next(v.name for v in self.vars if v.index in d.reads)
            raise self.error("E2007", f"def `{name}` reads variable `{first}`, so it cannot "
                             "be used in a constant", span)
        if ctx.readable_vars is not None and not d.reads <= ctx.readable_vars:
            late = [v.name for v in self.vars if v.index in d.reads - ctx.readable_vars]
            raise self.error("E1004", f"def `{name}` reads `{late[0]}` before `init` assigns it",
                             span)
        given = {p.ir: self._arg(self.expr(x, ctx), p, name, x.span)
                 for p, x in zip(d.params, args)}
        out = subst(d.body, given, mentions=self.mentions)
        size, depth = self.sizes.of(out)
        if depth > MAX_EXPR_DEPTH or size > MAX_EXPR_NODES:
            what = (f"{depth} levels deep (at most {MAX_EXPR_DEPTH})" if depth > MAX_EXPR_DEPTH
                    else f"{size:,} nodes (at most {MAX_EXPR_NODES:,})")
            raise self.error("E2005", f"using def `{name}` here makes an expression of {what}: "
                             "every use of a def is a copy of its body", span,
                             "a def that uses another one several times doubles in size at "
                             "each level; compute the value once (a `let`, or a variable)")
        self._instantiate(size, span, f"def `{name}`")
        return out

    def _instantiate(self: Host, n: int, span: Span, what: str) -> None:
        """Count n nodes copied by an inlining or an unrolling against the budgets."""
        self.body_nodes += n
        self.model_nodes += n
        if self.body_nodes > MAX_BODY_NODES:
            raise self.error("E2005", f"{what} brings this declaration to {self.body_nodes:,} "
                             f"nodes once defs and procs are inlined and loops unrolled (at "
                             f"most {MAX_BODY_NODES:,})", span,
                             "every use of a def or proc, and every round of a loop, is a "
                             "copy of its body")
        if self.model_nodes > MAX_MODEL_NODES:
            raise self.error("E2005", f"{what} brings the spec to {self.model_nodes:,} nodes "
                             "once defs and procs are inlined and loops unrolled (at most "
                             f"{MAX_MODEL_NODES:,})", span)

    def _stmts_size(self: Host, stmts: tuple[M.Stmt, ...]) -> int:
        return M.normalized_size(stmts, self.sizes.size)

    def _call_stmt(self: Host, s: S.SCall, ctx: Ctx) -> tuple[M.Stmt, ...]:
        """A proc call: a `let` per parameter, left to right, then the proc's body."""
        g = self.globals.get(s.name)
        if g is None or g.kind != "proc":
            if g is not None and g.kind == "def":
                raise self.error("E2004", f"`{s.name}` is a def, which gives a value; only a "
                                 "proc can be called as a statement", s.span)
            if g is not None or s.name in BUILTIN_NAMES:
                what = "a built-in function" if g is None else article(g.kind)
                raise self.error("E2004", f"`{s.name}` is {what}; only a proc can be called as a "
                                 "statement", s.span)
            raise self._unknown(s.name, "proc", s.span)
        p = self.procs.get(s.name)
        if p is None:
            raise Abort()  # the proc is broken: its error is reported at its declaration
        self._arity(s.name, "proc", p.params, len(s.args), s.span)
        # Each call binds names of its own: a second call of the same proc in one action
        # must not rebind the first call's parameters while an `either` of the first call
        # still has branches to run (the generated code runs them after the continuation).
        self._instantiate(p.size, s.span, f"proc `{s.name}`")
        names = self._fresh([prm.ir for prm in p.params] + let_names(p.body))
        lets = tuple(M.Let(names[prm.ir], self._arg(self.expr(x, ctx), prm, s.name, x.span),
                           s.span) for prm, x in zip(p.params, s.args))
        return lets + rename_stmts(p.body, names, self.sizes, self.mentions)

    # ------------------------------------------------------------------ loops
    def _fresh(self: Host, names: list[str]) -> dict[str, str]:
        """New IR names for `names`, with a suffix no other call or iteration has."""
        self.calls += 1
        return {n: f"{n}__{self.calls}" for n in names}

    def _for_stmt(self: Host, s: S.SFor, ctx: Ctx) -> tuple[M.Stmt, ...]:
        """`for x in e { body }`, unrolled: `let` the set (or sequence) once under a fresh
        name, then one `if` per value of the element type (per position of the sequence)
        binding x; each iteration's x and `let`s get names of their own."""
        if s.name in self.globals or ctx.binds(s.name):
            raise self.error("E1002", f"`{s.name}` is already defined; choose another name for "
                             "the loop variable", s.name_span)
        it = self._unwrap(self.expr(s.iterable, ctx), s.iterable.span)
        t = type_of(it)
        if isinstance(t, SetT):
            elem = self._unrolled_elem(t, s.name, s.iterable.span, "`for`", "a loop unrolls to")
        elif isinstance(t, SeqT):
            elem = t.elem
            if isinstance(elem, AnyT):
                raise self.error("E2001", f"cannot tell the type of `{s.name}` from an empty "
                                 "sequence", s.iterable.span)
            n = len(it.elems) if isinstance(it, M.SeqLit) else t.cap
        else:
            raise self.error("E2001", f"`for` needs a set or a sequence, not {t}",
                             s.iterable.span)
        body, _ = self._block(s.body, ctx.bind(s.name, elem))  # its `let`s stay inside
        var = ctx.ir(s.name)
        snap = self._fresh(["_for"])["_for"]
        whole = M.Local(snap, t, s.iterable.span)
        sp = s.span
        out: list[M.Stmt] = []
        if isinstance(t, SetT):
            for v in M.type_values(elem):
                lit = M.Lit(v, elem, s.name_span)
                cond = M.BinOp(M.Op.IN, lit, whole, BoolT(), sp)
                out.append(self._iteration(var, lit, body, cond, sp))
        else:
            for i in range(n):
                idx = M.Lit(i, IntT(i, i), sp)
                cond = M.BinOp(M.Op.LT, idx, M.Call(M.Builtin.LEN, (whole,), IntT(0, n), sp),
                               BoolT(), sp)
                out.append(self._iteration(var, M.Index(whole, idx, elem, sp), body, cond, sp))
        lowered = (M.Let(snap, it, sp), *out)
        self._loop_size(lowered, sp)
        return lowered

    def _unrolled_elem(self: Host, t: SetT, name: str, span: Span, what: str,
                       limit: str) -> M.Type:
        """The element type of a set that a `for` or an `any` unrolls, one copy per value
        of it: known, allowed in a set, and of at most MAX_LOOP values."""
        elem = t.elem
        if isinstance(elem, AnyT):
            raise self.error("E2001", f"cannot tell the type of `{name}` from an empty set", span)
        if (why := set_elem_problem(elem)) is not None:
            raise self.error("E2005", why, span)
        n = M.type_size(elem)
        if n > MAX_LOOP:
            raise self.error("E2005", f"{what} over a {t}: its element type {elem} has {n} "
                             f"values, and {limit} at most {MAX_LOOP}", span,
                             "use a set whose element type is smaller (a narrower range or set)")
        return elem

    def _any_stmt(self: Host, s: S.SFor, ctx: Ctx) -> tuple[M.Stmt, ...]:
        """`any x in S { body }`: `let` the set once under a fresh name, then an `either`
        with one branch per value v of the element type, `require v in S`, binding x to
        v (each branch's names its own). S empty: no branch goes on, no transition."""
        if s.name in self.globals or ctx.binds(s.name):
            raise self.error("E1002", f"`{s.name}` is already defined; choose another name for "
                             "the element", s.name_span)
        it = self._unwrap(self.expr(s.iterable, ctx), s.iterable.span)
        t = type_of(it)
        if not isinstance(t, SetT):
            raise self.error("E2001", f"`any` picks from a set, not {t}", s.iterable.span)
        elem = self._unrolled_elem(t, s.name, s.iterable.span, "`any`",
                                   "a choice has branches")
        body, _ = self._block(s.body, ctx.bind(s.name, elem))  # its `let`s stay inside
        var = ctx.ir(s.name)
        snap = self._fresh(["_any"])["_any"]
        whole = M.Local(snap, t, s.iterable.span)
        sp = s.span
        branches = []
        for v in M.type_values(elem):
            lit = M.Lit(v, elem, s.name_span)
            names = self._fresh([var, *let_names(body)])
            branches.append((M.Require(M.BinOp(M.Op.IN, lit, whole, BoolT(), sp), sp),
                             M.Let(names[var], lit, sp),
                             *rename_stmts(body, names, self.sizes, self.mentions)))
        lowered = (M.Let(snap, it, sp), M.Either(tuple(branches), sp))
        self._loop_size(lowered, sp)
        return lowered

    def _iteration(self: Host, var: str, value: M.Expr, body: tuple[M.Stmt, ...], cond: M.Expr,
                   sp: Span) -> M.Stmt:
        names = self._fresh([var, *let_names(body)])
        body = rename_stmts(body, names, self.sizes, self.mentions)
        return M.If(cond, (M.Let(names[var], value, sp), *body), (), sp)

    def _while_stmt(self: Host, s: S.SWhile, ctx: Ctx) -> tuple[M.Stmt, ...]:
        """`while c max K { body }`, unrolled to K nested `if c { body ... }`, the innermost
        `if c` raising E3007. Each iteration's `let`s get names of their own."""
        k = fold_expr(self.expr(s.bound, ctx))
        if k is NOT_CONST or isinstance(k, bool) or not isinstance(k, int):
            raise self.error("E2003", "the bound of `while ... max K` must be a constant "
                             "integer (numbers, params, consts)", s.bound.span)
        if not 0 <= k <= MAX_LOOP:
            raise self.error("E2002", f"loop bound {k} is outside 0..{MAX_LOOP}", s.bound.span)
        cond = self._bool(s.cond, ctx)
        body, _ = self._block(s.body, ctx)
        fail = M.Fail("E3007", f"loop bound {k} exceeded: the `while` condition still holds "
                      f"after {k} iteration{'s' * (k != 1)}", s.span)
        bodies = [rename_stmts(body, self._fresh(let_names(body)), self.sizes,
                               self.mentions)
                  for _ in range(k)]
        inner: tuple[M.Stmt, ...] = (M.If(cond, (fail,), (), s.span),)
        for b in reversed(bodies):  # iteration i+1 runs inside iteration i's `if`
            inner = (M.If(cond, b + inner, (), s.span),)
        self._loop_size(inner, s.span)
        return inner

    def _loop_size(self: Host, stmts: tuple[M.Stmt, ...], span: Span) -> None:
        """Keep what an unrolled loop hands the engines within bounds they can compile."""
        n = sum(1 for _ in M.walk_stmts(stmts))
        if n > MAX_UNROLLED:
            raise self.error("E2005", f"this loop unrolls to {n} statements (at most "
                             f"{MAX_UNROLLED}); nested loops multiply", span,
                             "iterate over fewer values, or lower a `max` bound")
        eithers, depth, paths = M.either_growth(stmts)
        hint = "iterate over fewer values, or lower a `max` bound"
        if eithers > MAX_LOOP_EITHERS or paths > MAX_LOOP_PATHS:
            raise self.error("E2005", f"this loop unrolls to {eithers} `either`s in sequence "
                             f"and {paths} paths (at most {MAX_LOOP_EITHERS} and "
                             f"{MAX_LOOP_PATHS}): each path is one more successor computation "
                             "for every engine", span, hint,
                             "an `if` around an `either` counts as one more `either`")
        if depth > MAX_LOOP_NESTING:
            raise self.error("E2005", f"this loop unrolls to {depth} nested blocks (at most "
                             f"{MAX_LOOP_NESTING}); nested `while` loops add up their bounds",
                             span, "lower a `max` bound")
        self._instantiate(self._stmts_size(stmts), span, "this loop")

    def _body_size(self: Host, body: tuple[M.Stmt, ...], span: Span, action: str) -> None:
        """The loop limits below, for a whole action: `either`s written in sequence (or
        brought in by procs) multiply the generated code just as unrolled ones do."""
        eithers, depth, paths = M.either_growth(body)
        if eithers > MAX_LOOP_EITHERS or paths > MAX_LOOP_PATHS or depth > MAX_LOOP_NESTING:
            raise self.error("E2005", f"action `{action}` has {eithers} `either`s in sequence "
                             f"and {paths} paths through its body (at most "
                             f"{MAX_LOOP_EITHERS} and {MAX_LOOP_PATHS}, nesting at most "
                             f"{MAX_LOOP_NESTING}): each path is one more successor "
                             "computation for every engine", span,
                             "split the action, or move the choices into action parameters")
        n = self._stmts_size(body)
        if n > MAX_BODY_NODES:
            raise self.error("E2005", f"action `{action}` makes {n:,} nodes once what follows "
                             f"each `either` is copied into its branches (at most "
                             f"{MAX_BODY_NODES:,})", span,
                             "split the action, or move the choices into action parameters")
