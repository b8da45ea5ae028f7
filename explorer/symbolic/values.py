"""Symbolic values: how one value of each type of the language is held as z3 terms.

Every type is finite, so every value is a finite structure of scalar z3 terms:
  bool -> BoolRef, integer -> ArithRef (z3 Int; ranges are checked where a value is stored),
  atom -> a constant of the set's or enum's z3 enumeration sort,
  T? -> SOpt (a presence bit and a T), set T -> SSet (a membership bit per value of T),
  T -> U -> SFn (a U per value of T, and whether the key is in the domain),
  record -> SRec (a value per field), seq[N] T -> SSeq (a length and N slots).
A slot beyond a sequence's length, or the T of an absent T?, is junk: `eq` ignores it.
This module owns that representation: building fresh ones, literals, `ite`, `eq`, and
reading a concrete value back from a z3 model.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias, TypeVar, assert_never

import z3
import z3.z3 as _z3  # _to_expr_ref: wraps a raw term in the right Python class

from explorer.engine import Unsupported  # the engines' own, raised here for z3
from explorer.model import (
    AnyT,
    AtomT,
    BoolT,
    FnT,
    IntT,
    NoneT,
    OptT,
    RecT,
    SeqT,
    SetT,
    Type,
    is_finite,
    type_size,
    type_values,
)
from explorer.symbols import z3_atom, z3_sort
from explorer.values import Atom, Fn, Rec, Value, sort_key

# the most values a set's element type or a function's domain may have
MAX_KEYS = 4096

Sym: TypeAlias = "z3.ExprRef | SOpt | SSet | SFn | SRec | SSeq"


@dataclass
class SOpt:
    some: z3.BoolRef
    val: Sym | None  # None: the literal `none`, which has no inner value at all


@dataclass
class SSet:
    mem: dict[Value, z3.BoolRef]  # key -> is it a member; keys missing are not members


@dataclass
class SFn:
    vals: dict[Value, Sym]
    defined: dict[Value, z3.BoolRef]  # key -> is it in the domain (a comprehension over a subset)


@dataclass
class SRec:
    fields: dict[str, Sym]


@dataclass
class SSeq:
    n: z3.ArithRef
    items: list[Sym]


S = TypeVar("S", SOpt, SSet, SFn, SRec, SSeq)


def shape(kind: type[S], x: Sym) -> S:
    """x, which its type says is a `kind` (a set, a function...)."""
    assert isinstance(x, kind)
    return x


def term(x: Sym) -> z3.ExprRef:
    """x, which its type says is a bool, an integer or an atom: one z3 term."""
    assert not isinstance(x, SOpt | SSet | SFn | SRec | SSeq)
    return x


TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)
_CTX = z3.main_ctx()
# Terms are built through z3's C API directly: z3py's And/Or/If/is_true re-check and
# coerce every argument, which dominated the time to encode a spec. z3 shares equal terms,
# so a term is known by its address (`_ptr`, an attribute read) as well as by its id
# (`get_id`, a foreign call: ~1.5 million of them per showcase proof).


def _ptr(x: z3.ExprRef) -> int:
    address: int = x.ast.value  # z3 is untyped: name the int
    return address


_TID: int = _ptr(TRUE)
_FID: int = _ptr(FALSE)


def is_t(x: z3.ExprRef) -> bool:
    return _ptr(x) == _TID


def is_f(x: z3.ExprRef) -> bool:
    return _ptr(x) == _FID


def _arr(xs: list[z3.ExprRef]) -> z3.Array:
    a = (z3.Ast * len(xs))()
    for i, x in enumerate(xs):
        a[i] = x.as_ast()
    return a


def mk_not(x: z3.BoolRef) -> z3.BoolRef:
    if is_t(x):
        return FALSE
    if is_f(x):
        return TRUE
    return z3.BoolRef(z3.Z3_mk_not(_CTX.ref(), x.as_ast()), _CTX)


def mk_ite(c: z3.BoolRef, a: z3.ExprRef | int, b: z3.ExprRef | int) -> z3.ExprRef:
    if isinstance(a, int):
        a = z3.IntVal(a)
    if isinstance(b, int):
        b = z3.IntVal(b)
    if is_t(c):
        return a
    if is_f(c):
        return b
    if _ptr(a) == _ptr(b):
        return a
    return _z3._to_expr_ref(z3.Z3_mk_ite(_CTX.ref(), c.as_ast(), a.as_ast(), b.as_ast()), _CTX)


def mk_eq(a: z3.ExprRef, b: z3.ExprRef) -> z3.BoolRef:
    if _ptr(a) == _ptr(b):
        return TRUE
    return z3.BoolRef(z3.Z3_mk_eq(_CTX.ref(), a.as_ast(), b.as_ast()), _CTX)


def keys_of(t: Type) -> list[Value]:
    """The values of a finite element or domain type, in canonical (sort_key) order."""
    if isinstance(t, AnyT):
        return []
    if not is_finite(t) or type_size(t, MAX_KEYS + 1) > MAX_KEYS:
        raise Unsupported(f"the type {t} has too many values to unfold (more than {MAX_KEYS})")
    return sorted(type_values(t), key=sort_key)


class Sorts:
    """The z3 enumeration sort of each atom type, named uniquely per encoding (so two
    configurations of one spec in one process never share a sort)."""

    _serial = itertools.count()

    def __init__(self) -> None:
        self._sorts: dict[str, tuple[z3.SortRef, list[z3.ExprRef], AtomT]] = {}
        self._atoms: dict[int, Atom] = {}  # z3 id of an enumeration constant -> its atom
        self._tag = next(Sorts._serial)

    def of(self, t: AtomT) -> tuple[z3.SortRef, list[z3.ExprRef]]:
        got = self._sorts.get(t.name)
        if got is None:
            number = len(self._sorts)
            names = [z3_atom(number, i, self._tag) for i in range(len(t.atoms))]
            # z3 wants a value in every sort: an empty set's (`s[2..N]` with N = 1) holds a
            # placeholder, which is no atom
            sort, consts = z3.EnumSort(z3_sort(number, self._tag),
                                       names or [z3_atom(number, 0, self._tag)])
            got = (sort, list(consts)[:len(names)], t)
            self._sorts[t.name] = got
            for i, c in enumerate(got[1]):
                self._atoms[c.get_id()] = t.atom(i)
        return got[0], got[1]

    def atom(self, a: Atom) -> z3.ExprRef:
        got = self._sorts.get(a.sort)
        if got is None:
            raise Unsupported(f"atom {a.name} of an unknown set {a.sort}")
        return got[1][a.index]

    def literal_atom(self, x: z3.ExprRef) -> Atom | None:
        """The atom x is, when x is one of the enumeration constants."""
        return self._atoms.get(x.get_id()) if z3.is_app(x) and x.num_args() == 0 else None

    def index(self, x: z3.ExprRef, t: AtomT) -> z3.ArithRef:
        """The declaration index of an atom term (for `<` on atoms)."""
        a = self.literal_atom(x)
        if a is not None:
            return z3.IntVal(a.index)
        consts = self.of(t)[1]
        out: z3.ArithRef = z3.IntVal(len(consts) - 1)
        for i in range(len(consts) - 2, -1, -1):
            out = z3.If(x == consts[i], z3.IntVal(i), out)
        return out

    def decode_atom(self, term: z3.ExprRef, t: AtomT) -> Atom:
        consts = self.of(t)[1]
        for i, c in enumerate(consts):
            if z3.eq(term, c):
                return t.atom(i)
        raise ValueError(f"not an atom of {t.name}: {term}")


def zero(t: Type, sorts: Sorts) -> Sym:
    """A fixed value of type t (used for junk slots)."""
    match t:
        case BoolT():
            return FALSE
        case IntT():
            return z3.IntVal(t.lo if t.lo is not None and t.lo > 0 else
                             (t.hi if t.hi is not None and t.hi < 0 else 0))
        case AtomT():
            return sorts.of(t)[1][0]
        case OptT() | NoneT():
            return SOpt(FALSE, None)
        case SetT():
            return SSet({})
        case FnT():
            ks = keys_of(t.dom)
            return SFn({k: zero(t.rng, sorts) for k in ks}, {k: TRUE for k in ks})
        case RecT():
            return SRec({n: zero(ft, sorts) for n, ft in t.fields})
        case SeqT():
            return SSeq(z3.IntVal(0), [zero(t.elem, sorts) for _ in range(t.cap)])
        case AnyT():
            return FALSE
        case _:
            assert_never(t)


def fresh(t: Type, name: str, sorts: Sorts, leaves: list[z3.ExprRef],
          side: list[z3.BoolRef]) -> Sym:
    """A value of type t made of new z3 constants named after `name` (see explorer.symbols:
    the root is a variable's position, and each part below it is named by its position in
    the type, never by spec text); the constants go to `leaves`, and the constraints that
    keep them in the type (ranges, lengths) to `side`."""
    match t:
        case BoolT():
            x = z3.Bool(name)
            leaves.append(x)
            return x
        case IntT():
            x = z3.Int(name)
            leaves.append(x)
            if t.lo is not None:
                side.append(x >= t.lo)
            if t.hi is not None:
                side.append(x <= t.hi)
            return x
        case AtomT():
            x = z3.Const(name, sorts.of(t)[0])
            leaves.append(x)
            return x
        case OptT():
            some = z3.Bool(f"{name}?")
            leaves.append(some)
            return SOpt(some, fresh(t.inner, f"{name}!", sorts, leaves, side))
        case SetT():
            mem = {}
            for i, k in enumerate(keys_of(t.elem)):
                b = z3.Bool(f"{name}∋{i}")
                leaves.append(b)
                mem[k] = b
            return SSet(mem)
        case FnT():
            ks = keys_of(t.dom)
            return SFn({k: fresh(t.rng, f"{name}[{i}]", sorts, leaves, side) for i, k in enumerate(ks)},
                       {k: TRUE for k in ks})
        case RecT():
            return SRec({n: fresh(ft, f"{name}.{i}", sorts, leaves, side)
                         for i, (n, ft) in enumerate(t.fields)})
        case SeqT():
            n = z3.Int(f"{name}#")
            leaves.append(n)
            side.extend([n >= 0, n <= t.cap])
            return SSeq(n, [fresh(t.elem, f"{name}[{i}]", sorts, leaves, side) for i in range(t.cap)])
        case NoneT() | AnyT():
            raise Unsupported(f"a variable of type {t}")
        case _:
            assert_never(t)


def lit(v: Value, t: Type | None, sorts: Sorts) -> Sym:
    """The symbolic form of a concrete value of type t."""
    if isinstance(t, OptT):
        return SOpt(FALSE, None) if v is None else SOpt(TRUE, lit(v, t.inner, sorts))
    if v is None:
        return SOpt(FALSE, None)
    if isinstance(v, bool):
        return z3.BoolVal(v)
    if isinstance(v, int):
        return z3.IntVal(v)
    if isinstance(v, Atom):
        return sorts.atom(v)
    if isinstance(v, frozenset):
        return SSet({x: TRUE for x in sorted(v, key=sort_key)})  # not hash order: z3 is
        # deterministic only for one sequence of calls
    if isinstance(v, Fn):
        rng = t.rng if isinstance(t, FnT) else AnyT()
        return SFn({k: lit(x, rng, sorts) for k, x in v.items()}, {k: TRUE for k in v.keys()})
    if isinstance(v, Rec):
        ft = dict(t.fields) if isinstance(t, RecT) else {}
        return SRec({n: lit(x, ft.get(n, AnyT()), sorts) for n, x in v.items()})
    if isinstance(v, tuple):
        et = t.elem if isinstance(t, SeqT) else AnyT()
        items = [lit(x, et, sorts) for x in v]
        if isinstance(t, SeqT):  # every slot of the type, as a variable has
            items += [zero(et, sorts) for _ in range(t.cap - len(v))]
        return SSeq(z3.IntVal(len(v)), items)
    raise Unsupported(f"the value {v!r}")


def ite(c: z3.BoolRef, a: Sym, b: Sym) -> Sym:
    """if c then a else b, structurally."""
    if is_t(c):
        return a
    if is_f(c):
        return b
    if a is b:
        return a
    if isinstance(a, SOpt) or isinstance(b, SOpt):
        a, b = _as_opt(a), _as_opt(b)
        if a.val is None:
            val = b.val
        elif b.val is None:
            val = a.val
        else:
            val = ite(c, a.val, b.val)
        return SOpt(mk_ite(c, a.some, b.some), val)
    if isinstance(a, SSet):
        b = shape(SSet, b)  # both sides have one type, so one shape
        return SSet({k: mk_ite(c, a.mem.get(k, FALSE), b.mem.get(k, FALSE))
                     for k in _union_keys(a.mem, b.mem)})
    if isinstance(a, SFn):
        b = shape(SFn, b)
        ks = _union_keys(a.vals, b.vals)
        return SFn({k: _pick(c, a.vals, b.vals, k) for k in ks},
                   {k: mk_ite(c, a.defined.get(k, FALSE), b.defined.get(k, FALSE))
                    for k in ks})
    if isinstance(a, SRec):
        b = shape(SRec, b)
        return SRec({n: ite(c, a.fields[n], b.fields[n]) for n in a.fields})
    if isinstance(a, SSeq):
        b = shape(SSeq, b)
        m = max(len(a.items), len(b.items))
        items = []
        for i in range(m):
            if i < len(a.items) and i < len(b.items):
                items.append(ite(c, a.items[i], b.items[i]))
            else:
                items.append(a.items[i] if i < len(a.items) else b.items[i])
        return SSeq(mk_ite(c, a.n, b.n), items)
    return mk_ite(c, a, b)


def _pick(c: z3.BoolRef, a: dict[Value, Sym], b: dict[Value, Sym], k: Value) -> Sym:
    if k in a and k in b:
        return ite(c, a[k], b[k])
    return a[k] if k in a else b[k]


def _union_keys(a: Mapping[Value, object], b: Mapping[Value, object]) -> list[Value]:
    out = list(a)
    out.extend(k for k in b if k not in a)
    return out


def _as_opt(x: Sym) -> SOpt:
    return x if isinstance(x, SOpt) else SOpt(TRUE, x)


def eq(a: Sym, b: Sym) -> z3.BoolRef:
    """Semantic equality of two values of compatible types (junk ignored)."""
    if a is b:
        return TRUE
    if isinstance(a, SOpt) or isinstance(b, SOpt):
        a, b = _as_opt(a), _as_opt(b)
        # a `none` literal (val None) has some == false
        if a.val is None:
            return mk_not(b.some)
        if b.val is None:
            return mk_not(a.some)
        return conj([mk_eq(a.some, b.some), implies(a.some, eq(a.val, b.val))])
    if isinstance(a, SSet):
        b = shape(SSet, b)
        return conj([mk_eq(a.mem.get(k, FALSE), b.mem.get(k, FALSE)) for k in _union_keys(a.mem, b.mem)])
    if isinstance(a, SFn):
        b = shape(SFn, b)
        out = []
        for k in _union_keys(a.vals, b.vals):
            da, db = a.defined.get(k, FALSE), b.defined.get(k, FALSE)
            both = eq(a.vals[k], b.vals[k]) if k in a.vals and k in b.vals else FALSE
            out.append(conj([mk_eq(da, db), implies(da, both)]))
        return conj(out)
    if isinstance(a, SRec):
        b = shape(SRec, b)
        return conj([eq(a.fields[n], b.fields[n]) for n in a.fields])
    if isinstance(a, SSeq):
        b = shape(SSeq, b)
        out = [mk_eq(a.n, b.n)]
        for i in range(min(len(a.items), len(b.items))):
            out.append(implies(a.n > i, eq(a.items[i], b.items[i])))
        return conj(out)
    return mk_eq(a, b)


def conj(xs: list[z3.BoolRef]) -> z3.BoolRef:
    out = []
    for x in xs:
        i = _ptr(x)
        if i == _FID:
            return FALSE
        if i != _TID:
            out.append(x)
    if not out:
        return TRUE
    if len(out) == 1:
        return out[0]
    return z3.BoolRef(z3.Z3_mk_and(_CTX.ref(), len(out), _arr(out)), _CTX)


def disj(xs: list[z3.BoolRef]) -> z3.BoolRef:
    out = []
    for x in xs:
        i = _ptr(x)
        if i == _TID:
            return TRUE
        if i != _FID:
            out.append(x)
    if not out:
        return FALSE
    if len(out) == 1:
        return out[0]
    return z3.BoolRef(z3.Z3_mk_or(_CTX.ref(), len(out), _arr(out)), _CTX)


def implies(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    return disj([mk_not(a), b])


def decode(x: Sym, t: Type, m: z3.ModelRef, sorts: Sorts) -> Value:
    """The concrete value of x (of type t) in model m."""
    match t:
        case OptT():
            x = _as_opt(x)
            if x.val is None or not z3.is_true(m.eval(x.some, model_completion=True)):
                return None
            return decode(x.val, t.inner, m, sorts)
        case BoolT():
            return z3.is_true(m.eval(x, model_completion=True))
        case IntT():
            return m.eval(x, model_completion=True).as_long()
        case AtomT():
            return sorts.decode_atom(m.eval(x, model_completion=True), t)
        case SetT():
            s = shape(SSet, x)
            return frozenset(k for k, b in s.mem.items() if z3.is_true(m.eval(b, model_completion=True)))
        case FnT():
            f = shape(SFn, x)
            return Fn((k, decode(v, t.rng, m, sorts)) for k, v in f.vals.items()
                      if z3.is_true(m.eval(f.defined[k], model_completion=True)))
        case RecT():
            r = shape(SRec, x)
            return Rec((n, decode(r.fields[n], ft, m, sorts)) for n, ft in t.fields)
        case SeqT():
            q = shape(SSeq, x)
            n = m.eval(q.n, model_completion=True).as_long()
            return tuple(decode(q.items[i], t.elem, m, sorts) for i in range(n))
        case NoneT() | AnyT():
            raise Unsupported(f"decoding a value of type {t}")
        case _:
            assert_never(t)
