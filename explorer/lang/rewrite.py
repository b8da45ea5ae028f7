"""IR -> IR helpers of the front end: substitution and renaming of locals (what inlining a
def, calling a proc and unrolling a loop do), constant folding, and the size of an
expression (what the elaboration budget counts). None of them reads the syntax tree.

The IR that inlining makes is a DAG (a def's body is shared by its uses), so the walks
here are memoised by identity where it matters: `Sizes` measures each node once, and
`subst` leaves alone, without walking it, a subtree that names none of the locals it
replaces (`Mentions`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any

from explorer import model as M
from explorer.values import Atom

MAX_FOLDED_RANGE = 4096  # a constant range with more values stays a range: never a set
NOT_CONST: Any = object()  # what `fold` gives for an expression it cannot fold

_LEAVES = frozenset({M.Lit, M.VarRef, M.ConstRef, M.Local})  # measured without the memo


class Sizes:
    """The size (nodes, as a tree) and depth of IR expressions. Inlined defs share their
    subtrees, so the IR is a DAG whose tree can be exponentially larger: each node is
    measured once (memo by identity, the node kept alive so its id is not reused)."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[M.Expr, int, int]] = {}

    def of(self, e: M.Expr) -> tuple[int, int]:
        if type(e) in _LEAVES:
            return 1, 1
        memo = self.memo
        got = memo.get(id(e))
        if got is not None and got[0] is e:
            return got[1], got[2]
        # post-order without recursion; a node is measured once its children are (in the
        # usual case, a node just built by `expr`, they are: one round)
        stack: list[tuple[M.Expr, list[M.Expr] | None]] = [(e, None)]
        while stack:
            x, kids = stack.pop()
            if kids is None:
                got = memo.get(id(x))
                if got is not None and got[0] is x:
                    continue
                kids = M.children(x)
                todo = [c for c in kids if type(c) not in _LEAVES
                        and ((g := memo.get(id(c))) is None or g[0] is not c)]
                if todo:
                    stack.append((x, kids))
                    stack.extend((c, None) for c in todo)
                    continue
            size, depth = 1, 0
            for c in kids:
                cs, cd = (1, 1) if type(c) in _LEAVES else memo[id(c)][1:]
                size += cs
                if cd > depth:
                    depth = cd
            memo[id(x)] = (x, size, depth + 1)
        _, size, depth = memo[id(e)]
        return size, depth

    def size(self, e: M.Expr) -> int:
        return self.of(e)[0]

    def alias(self, new: M.Expr, old: M.Expr) -> None:
        """new is old renamed (the same shape): measured without walking it."""
        size, depth = self.of(old)
        self.memo[id(new)] = (new, size, depth)


_NONE: frozenset[str] = frozenset()


class Mentions:
    """The names of the locals each IR expression mentions (free or bound), memoised by
    identity like `Sizes`: a subtree that mentions none of a substitution's names is the
    same after it, and need not be walked."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[M.Expr, frozenset[str]]] = {}

    def of(self, e: M.Expr) -> frozenset[str]:
        if isinstance(e, M.Local):
            return frozenset((e.name,))
        if type(e) in _LEAVES:
            return _NONE
        got = self.memo.get(id(e))
        if got is not None and got[0] is e:
            return got[1]
        names = frozenset(b.name for b in M.binders(e)).union(
            *(self.of(c) for c in M.children(e)))
        self.memo[id(e)] = (e, names)
        return names


_FOLDABLE = (M.Not, M.Neg, M.BinOp, M.Ite, M.SetLit, M.RangeSet)
# Which fields of an expression class hold sub-expressions: "e" one (or None), "es" a
# tuple of them, "fs" a record's (name, expression) pairs. From the annotations, once per
# class (binders are handled apart).
_PLAN_KINDS = {"Expr": "e", "Expr | None": "e", "tuple[Expr, ...]": "es",
               "tuple[tuple[str, Expr], ...]": "fs"}
_PLANS: dict[type, tuple[tuple[str, str], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, str], ...]:
    got = _PLANS.get(cls)
    if got is None:
        got = _PLANS[cls] = tuple((f.name, _PLAN_KINDS[f.type]) for f in fields(cls)
                                  if isinstance(f.type, str) and f.type in _PLAN_KINDS)
    return got


def _rebuild(e: M.Expr, changes: dict[str, Any]) -> M.Expr:
    """e with these fields changed: `dataclasses.replace` without its checks, which the
    front end's hottest loop cannot afford (the fields keep their types)."""
    try:
        old = e.__dict__
    except AttributeError:  # a class with slots: the slow way
        return replace(e, **changes)
    new = object.__new__(type(e))
    d = new.__dict__
    d.update(old)
    d.update(changes)
    return new


def subst(e: M.Expr, m: Mapping[str, M.Expr | str], fold: bool = True,
          mentions: Mentions | None = None) -> M.Expr:
    """e with each free `Local(name)` for a name of m replaced by m[name]: an expression,
    or a new name (a renaming, as proc calls and loop iterations do).

    Binders inside e that bind a name of m hide it in their scope (a later binder's domain
    and the body). No capture can happen: the replacements' free names are the caller's,
    and the names e binds are mangled with the def's name (or that of a def it inlined).
    With `fold`, nodes whose operands became literals are folded, as the elaborator's
    `expr` would have (a renaming makes no literals). With `mentions`, a subtree that
    names none of m's locals is returned as it is, unwalked."""
    if not m:
        return e
    if isinstance(e, M.Local):
        r = m.get(e.name, e)
        return replace(e, name=r) if isinstance(r, str) else r
    if isinstance(e, M.Lit | M.VarRef | M.ConstRef):
        return e
    if mentions is not None and mentions.of(e).isdisjoint(m):
        return e
    if isinstance(e, M.Quant | M.MapSet):
        binders, inner = _subst_binders(e.binders, m, fold, mentions)
        if isinstance(e, M.Quant):
            return replace(e, binders=binders, body=subst(e.body, inner, fold, mentions))
        return replace(e, binders=binders, e=subst(e.e, inner, fold, mentions))
    if isinstance(e, M.Filter | M.FnComp):
        (b,), inner = _subst_binders((e.binder,), m, fold, mentions)
        if isinstance(e, M.Filter):
            return replace(e, binder=b, pred=subst(e.pred, inner, fold, mentions))
        return replace(e, binder=b, e=subst(e.e, inner, fold, mentions))
    changes: dict[str, Any] = {}
    for name, kind in _plan(type(e)):
        c = getattr(e, name)
        if kind == "e":
            if c is not None:
                changes[name] = subst(c, m, fold, mentions)
        elif kind == "es":
            changes[name] = tuple(subst(x, m, fold, mentions) for x in c)
        else:
            changes[name] = tuple((f, subst(x, m, fold, mentions)) for f, x in c)
    out = _rebuild(e, changes)
    if fold and isinstance(out, _FOLDABLE):
        v = fold_expr(out)
        if v is not NOT_CONST:
            return M.Lit(v, out.t, out.span)
    return out


def _subst_binders(binders: tuple[M.Binder, ...], m: Mapping[str, M.Expr | str], fold: bool,
                   mentions: Mentions | None
                   ) -> tuple[tuple[M.Binder, ...], Mapping[str, M.Expr | str]]:
    out = []
    for b in binders:
        out.append(M.Binder(b.name, subst(b.domain, m, fold, mentions), b.span))
        if b.name in m:
            m = {k: v for k, v in m.items() if k != b.name}
    return tuple(out), m


def let_names(stmts: tuple[M.Stmt, ...]) -> list[str]:
    """The names the `let`s of a body bind (nested blocks included)."""
    return [st.name for st in M.walk_stmts(stmts) if isinstance(st, M.Let)]


def rename_stmts(stmts: tuple[M.Stmt, ...], names: dict[str, str],
                 sizes: Sizes | None = None, mentions: Mentions | None = None
                 ) -> tuple[M.Stmt, ...]:
    """The statements with the locals of `names` renamed (a proc call's or a loop
    iteration's own names)."""

    def ren(e: M.Expr) -> M.Expr:
        new = subst(e, names, fold=False, mentions=mentions)
        if sizes is not None and new is not e:  # a statement's expression keeps its size
            sizes.alias(new, e)
        return new

    out: list[M.Stmt] = []
    for st in stmts:
        if isinstance(st, M.Let):
            st = replace(st, name=names.get(st.name, st.name), value=ren(st.value))
        elif isinstance(st, M.Assign):
            path = tuple(replace(k, key=ren(k.key)) if isinstance(k.key, M.Expr) else k
                         for k in st.path)
            st = replace(st, path=path, value=ren(st.value))
        elif isinstance(st, M.If):
            st = replace(st, cond=ren(st.cond), then=rename_stmts(st.then, names, sizes, mentions),
                         orelse=rename_stmts(st.orelse, names, sizes, mentions))
        elif isinstance(st, M.Either):
            st = replace(st, branches=tuple(rename_stmts(b, names, sizes, mentions)
                                            for b in st.branches))
        elif isinstance(st, M.Require | M.Assert):
            st = replace(st, cond=ren(st.cond))
        out.append(st)  # Fail holds no names
    return tuple(out)


def fold_expr(e: M.Expr, ranges: int | None = MAX_FOLDED_RANGE) -> Any:
    """The value of a state-independent expression built from literals, or NOT_CONST.

    Folds scalars, arithmetic, logic, comparisons, ranges and set literals: enough for
    bounds, set sizes and param values. Anything it does not know is left to the engines.
    A range of more than `ranges` values is not made a set (None: any range is, for a
    param's value): the engines test membership in it by comparisons, and iterate it
    lazily. An operand that is not constant stops the fold at once, so that folding a
    large (shared) tree costs its depth, not its size.
    """
    if isinstance(e, M.Lit):
        return e.value
    if isinstance(e, M.Not):
        v = fold_expr(e.e, ranges)
        return NOT_CONST if v is NOT_CONST else (not v)
    if isinstance(e, M.Neg):
        v = fold_expr(e.e, ranges)
        return NOT_CONST if v is NOT_CONST else -v
    if isinstance(e, M.Ite):
        c = fold_expr(e.c, ranges)
        return NOT_CONST if c is NOT_CONST else fold_expr(e.a if c else e.b, ranges)
    if isinstance(e, M.SetLit):
        vs = []
        for x in e.elems:
            v = fold_expr(x, ranges)
            if v is NOT_CONST:
                return NOT_CONST
            vs.append(v)
        return frozenset(vs)
    if isinstance(e, M.RangeSet):
        lo = fold_expr(e.lo, ranges)
        hi = fold_expr(e.hi, ranges) if lo is not NOT_CONST else NOT_CONST
        if lo is NOT_CONST or hi is NOT_CONST:
            return NOT_CONST
        if ranges is not None and hi - lo + 1 > ranges:
            return NOT_CONST
        return frozenset(range(lo, hi + 1))
    if isinstance(e, M.BinOp):
        a = fold_expr(e.a, ranges)
        if a is NOT_CONST:
            return NOT_CONST
        b = fold_expr(e.b, ranges)
        if b is NOT_CONST:
            return NOT_CONST
        return fold_op(e.op, a, b)
    return NOT_CONST


def fold_op(op: M.Op, a: Any, b: Any) -> Any:
    """op applied to two constant values, or NOT_CONST when the engines must judge it."""
    O = M.Op
    if op in (O.DIV, O.MOD) and b == 0 or op is O.POW and isinstance(b, int) and b < 0:
        return NOT_CONST  # left to the engines, which report it with a trace
    table: dict[M.Op, Callable[[Any, Any], Any]] = {
        O.AND: lambda x, y: x and y, O.OR: lambda x, y: x or y,
        O.IMPLIES: lambda x, y: (not x) or y, O.IFF: lambda x, y: x == y,
        O.EQ: lambda x, y: x == y, O.NE: lambda x, y: x != y,
        O.LT: lambda x, y: x < y, O.LE: lambda x, y: x <= y,
        O.GT: lambda x, y: x > y, O.GE: lambda x, y: x >= y,
        O.IN: lambda x, y: x in y, O.NOTIN: lambda x, y: x not in y,
        O.SUBSET: lambda x, y: x <= y, O.ADD: lambda x, y: x + y, O.SUB: lambda x, y: x - y,
        O.MUL: lambda x, y: x * y, O.DIV: lambda x, y: x // y, O.MOD: lambda x, y: x % y,
        O.POW: lambda x, y: x ** y, O.CONCAT: lambda x, y: x + y,
        O.UNION: lambda x, y: x | y, O.INTER: lambda x, y: x & y, O.MINUS: lambda x, y: x - y,
    }
    if op in (O.LT, O.LE, O.GT, O.GE, O.ADD, O.SUB, O.MUL, O.DIV, O.MOD, O.POW) and (
            a is None or b is None):
        return NOT_CONST
    if op in (O.LT, O.LE, O.GT, O.GE) and isinstance(a, Atom) and isinstance(b, Atom):
        a, b = a.index, b.index  # ordered as declared
    if op in (O.MUL,) and abs(a) > 2**62:
        return NOT_CONST
    return table[op](a, b)
