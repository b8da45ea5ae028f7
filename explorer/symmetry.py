"""Symmetry: which `symmetric set`s a model may be reduced by, and permutations of values.

Reducing by a set S is sound when every permutation of S's atoms maps the transition
relation onto itself, and the invariants and `terminal` too: then a state and its mirror
images have mirrored successors, are violations alike and deadlocks alike, so a search that
keeps one state per orbit finds a counterexample exactly when the full search does, at the
same depth (docs/semantics.md, "Symmetry"). The initial states need not be symmetric:
naming atoms in `init` is fine, as W0001 says.

This module decides it syntactically, conservatively, on the elaborated model (constants
and a check's `with` folded in), for every expression an action, an invariant or
`terminal` evaluates:
- no value that a permutation of S changes may appear (`m1`, `{m1}`, a constant bound to
  one, a `for` loop over S, which the elaborator unrolls atom by atom); the whole set, `{}`
  and values without S's atoms are fine;
- no quantifier over S may have a body that can fail at run time: `exists` stops at its
  first true element in declaration order, so a failure at a later element would show in a
  state and not in its mirror image.
Ordering atoms of a symmetric set (`<`, `min`, `max`) is refused by the type checker. A set
that fails keeps its states unreduced; `Symmetry.refused` says why and where.

Imports `model`, `values` and `interp` (the constants' values).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from explorer import model as M
from explorer.interp import Interp
from explorer.values import Atom, Fn, Rec, Value, format_value


@dataclass(frozen=True)
class Perm:
    """A permutation of the atoms of some sets: `to[S][i]` is where atom i of S goes."""

    to: tuple[tuple[M.AtomT, tuple[int, ...]], ...]

    def atom(self, a: Atom) -> Atom:
        for t, p in self.to:
            if t.name == a.sort:
                return t.atom(p[a.index])
        return a

    def value(self, v: Value) -> Value:
        """The image of a value: atoms mapped, functions' keys and values, set elements,
        sequence elements and record fields alike."""
        if isinstance(v, Atom):
            return self.atom(v)
        if isinstance(v, frozenset):
            return frozenset(self.value(x) for x in v)
        if isinstance(v, tuple):
            return tuple(self.value(x) for x in v)
        if isinstance(v, Fn):
            return Fn((self.value(k), self.value(x)) for k, x in v.items())
        if isinstance(v, Rec):
            return Rec((n, self.value(x)) for n, x in v.items())
        return v


def perms(sets: Sequence[M.AtomT]) -> Iterator[Perm]:
    """Every permutation of the atoms of `sets` (each permuted independently), the
    identity first."""
    per_set = [itertools.permutations(range(len(t.atoms))) for t in sets]
    for combo in itertools.product(*per_set):
        yield Perm(tuple(zip(sets, combo)))


def generators(t: M.AtomT) -> tuple[Perm, ...]:
    """Two permutations that generate every permutation of t's atoms: swapping the first
    two, and rotating them all."""
    n = len(t.atoms)
    swap = (1, 0, *range(2, n))
    rotate = tuple((i + 1) % n for i in range(n))
    return Perm(((t, swap),)), Perm(((t, rotate),))


def invariant(v: Value, t: M.AtomT) -> bool:
    """Whether every permutation of t's atoms leaves v as it is."""
    return all(g.value(v) == v for g in generators(t))


@dataclass(frozen=True)
class Refusal:
    set: str
    why: str
    span: M.Span

    def __str__(self) -> str:
        at = f" at {self.span.line}:{self.span.col}" if self.span.line else ""
        return f"{self.set}: {self.why}{at}"


@dataclass(frozen=True)
class Symmetry:
    """The symmetric sets of a model: those it is reduced by, and those it cannot be (with
    the first reason found for each)."""

    sets: tuple[M.AtomT, ...]
    refused: tuple[Refusal, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.sets)

    def describe(self) -> str:
        """The figures' words: `symmetry: Mount, Task`, and what was not reduced, and why."""
        out = []
        if self.sets:
            out.append("symmetry: " + ", ".join(self.names))
        out += [f"no symmetry for {r}" for r in self.refused]
        return "; ".join(out)


NONE = Symmetry(())


def analyse(model: M.Model) -> Symmetry:
    """The sets `model` may be reduced by (declared `symmetric`, two atoms or more), and
    those it may not, with the construct that breaks the symmetry."""
    candidates = [t for t in model.sets if t.symmetric and len(t.atoms) > 1]
    if not candidates:
        return NONE
    refused: dict[str, Refusal] = {}
    if model.properties:
        # a fair cycle of the quotient graph need not be one of the real graph, and
        # fairness is per binding, which a permutation renames: checked on the full graph
        first = model.properties[0]
        return Symmetry((), tuple(Refusal(t.name, f"the property `{first.name}` is checked on "
                                          "the full graph", first.span) for t in candidates))
    consts = Interp(model)

    def refuse(t: M.AtomT, why: str, span: M.Span) -> None:
        refused.setdefault(t.name, Refusal(t.name, why, span))

    for v in model.vars:  # canon.py permutes the bits of scalar sets only
        for elem in _compound_elems(v.t):
            for t in candidates:
                if _mentions(elem, t):
                    refuse(t, f"`{v.name}` holds sets of (or functions over) {elem}, "
                           "which hold its atoms", v.span)
    for e in _evaluated(model):
        for x in M.walk_expr(e):
            open_sets = [t for t in candidates if t.name not in refused]
            if not open_sets:
                break
            if isinstance(x, M.Lit | M.ConstRef):
                v = x.value if isinstance(x, M.Lit) else consts.const_value(x.name)
                for t in open_sets:
                    if not invariant(v, t):
                        refuse(t, f"`{format_value(v)}` is named", x.span)
            for b in M.binders(x):
                over = _atoms_of(b.domain.t)
                if isinstance(x, M.Quant) and over in open_sets and may_fail(x.body):
                    assert over is not None
                    refuse(over, "a quantifier over its atoms has a body that may fail at run time "
                           "(`exists` and `forall` stop at the first deciding atom, so the "
                           "failure would depend on the atoms' order)", x.span)
    return Symmetry(tuple(t for t in candidates if t.name not in refused),
                    tuple(refused[t.name] for t in candidates if t.name in refused))


def _compound_elems(t: M.Type) -> Iterator[M.Type]:
    """The element types of the sets within t, and the domains of its functions, that are
    not scalars."""
    for u in M.subtypes(t):
        if isinstance(u, M.SetT) and not isinstance(u.elem, M.BoolT | M.IntT | M.AtomT):
            yield u.elem
        elif isinstance(u, M.FnT) and not isinstance(u.dom, M.BoolT | M.IntT | M.AtomT):
            yield u.dom


def _mentions(t: M.Type, a: M.AtomT) -> bool:
    """Does a value of type t hold atoms of a?"""
    return any(isinstance(u, M.AtomT) and u.name == a.name for u in M.subtypes(t))


def _atoms_of(t: M.Type) -> M.AtomT | None:
    """The atom type a set type's elements have, if any."""
    if isinstance(t, M.OptT):
        t = t.inner
    if isinstance(t, M.SetT) and isinstance(t.elem, M.AtomT):
        return t.elem
    return None


def _evaluated(model: M.Model) -> Iterator[M.Expr]:
    """Every expression the search evaluates after `init`: the actions' parameter domains,
    guards and bodies, the invariants the search checks, `terminal`, the properties, the
    covers and the constraints."""
    for a in model.actions:
        yield from (b.domain for b in a.params)
        if a.guard is not None:
            yield a.guard
        yield from M.stmt_exprs(a.body)
    yield from (i.expr for i in model.invariants if not i.helper)
    if model.terminal is not None:
        yield model.terminal
    for p in model.properties:
        yield p.p
        if p.q is not None:
            yield p.q
    yield from (c.expr for c in model.covers)
    yield from (c.expr for c in model.constraints)


# where an optional value is read without needing a value: compared, tested for
# membership, or passed on whole
_OPT_OK = (M.Op.EQ, M.Op.NE, M.Op.IN, M.Op.NOTIN)
_FAILING_CALLS = (M.Builtin.APPEND, M.Builtin.INSERT, M.Builtin.INDEX)


def may_fail(e: M.Expr, safe: frozenset[M.Expr] = frozenset()) -> bool:
    """Whether evaluating e may raise a runtime error (E3001-E3006), conservatively: a node
    that checks something (an unwrap, a parameter's fit, an index, a division, a bounded
    append or insert, an index lookup, a function applied to a wider key), or an optional
    value used where a value is needed, unless it is one of `safe`, the optional values
    known not to be none there (`x != none and ... x ...`, `x == none or ... x ...`,
    `if x != none then ... x ...`)."""
    def fails(x: M.Expr, parent: M.Expr | None, safe: frozenset[M.Expr]) -> bool:
        if isinstance(x, M.Unwrap):
            if x.e not in safe:
                return True
        elif _checks(x):
            return True
        if isinstance(x.t, M.OptT | M.NoneT) and parent is not None and x not in safe \
                and not _passes_opt(parent, x):
            return True
        match x:
            case M.BinOp(op=M.Op.AND | M.Op.IMPLIES):
                return fails(x.a, x, safe) or fails(x.b, x, safe | _known(x.a, True))
            case M.BinOp(op=M.Op.OR):
                return fails(x.a, x, safe) or fails(x.b, x, safe | _known(x.a, False))
            case M.Ite():
                return fails(x.c, x, safe) or fails(x.a, x, safe | _known(x.c, True)) or \
                    fails(x.b, x, safe | _known(x.c, False))
        bound = {b.name for b in M.binders(x)}
        if bound:  # a binder hides what the facts say of a local of its name
            safe = frozenset(y for y in safe if not any(
                isinstance(z, M.Local) and z.name in bound for z in M.walk_expr(y)))
        return any(fails(c, x, safe) for c in M.children(x))

    return fails(e, None, safe)


def _known(c: M.Expr, value: bool) -> frozenset[M.Expr]:
    """The optional values that are not none where c evaluated to `value`."""
    if isinstance(c, M.Not):
        return _known(c.e, not value)
    if isinstance(c, M.BinOp):
        if c.op is (M.Op.AND if value else M.Op.OR):
            return _known(c.a, value) | _known(c.b, value)
        if c.op is (M.Op.NE if value else M.Op.EQ):
            for x, y in ((c.a, c.b), (c.b, c.a)):
                if isinstance(y, M.Lit) and y.value is None:
                    return frozenset((x,))
    return frozenset()


def _checks(x: M.Expr) -> bool:
    match x:
        case M.Unwrap() | M.Fit() | M.Index():
            return True
        case M.BinOp():
            return x.op in (M.Op.DIV, M.Op.MOD, M.Op.POW)
        case M.Call():
            return x.fn in _FAILING_CALLS
        case M.Apply():
            f = x.f.t
            return not (isinstance(f, M.FnT) and x.x.t == f.dom)
        case _:
            return False


def _passes_opt(parent: M.Expr, x: M.Expr) -> bool:
    """Whether `parent` reads its optional operand x without needing a value."""
    match parent:
        case M.BinOp():
            return parent.op in _OPT_OK and (parent.op in (M.Op.EQ, M.Op.NE) or x is parent.a)
        case M.Ite():
            return x is not parent.c
        case M.RecLit() | M.SeqLit():
            return True
        case M.FnComp():
            return x is parent.e
        case _:
            return False
