"""Type algebra of the IR: join, compatibility, static containment, scalars.

Integers carry static bounds (interval arithmetic) so that set elements and stored values
can be bounded at compile time. Imports only `model`: the front end and every engine use
it, so it sits below both.
"""

from __future__ import annotations

from explorer.model import (
    MAX_SET_ELEMS,
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
)

INT = IntT(None, None)


def is_scalar(t: Type) -> bool:
    """Types allowed as set elements and function domains."""
    return isinstance(t, BoolT | AtomT) or (isinstance(t, IntT) and t.lo is not None
                                            and t.hi is not None)


def set_elem_problem(t: Type) -> str | None:
    """Why t cannot be a set's element type (None: it can). Scalars always can; records,
    sequences, sets and functions can when they have at most MAX_SET_ELEMS values."""
    if is_scalar(t):
        return None
    if isinstance(t, OptT | NoneT | AnyT):
        return f"set elements cannot be optional ({t}); use a record with an optional field"
    if not is_finite(t):
        return f"set elements need a finite type, not {t}"
    n = type_size(t, MAX_SET_ELEMS + 1)
    if n > MAX_SET_ELEMS:
        return (f"a set of {t} could hold {'more than ' if n > MAX_SET_ELEMS else ''}"
                f"{MAX_SET_ELEMS} different values; a set's element type may have at most "
                f"{MAX_SET_ELEMS} (narrow its ranges or bounds)")
    return None


def join(a: Type, b: Type) -> Type | None:
    """The least type holding both, or None when they are incompatible."""
    if isinstance(a, AnyT):
        return b
    if isinstance(b, AnyT):
        return a
    if isinstance(a, NoneT) and isinstance(b, NoneT):
        return a
    if isinstance(a, NoneT):
        return b if isinstance(b, OptT) else OptT(b)
    if isinstance(b, NoneT):
        return a if isinstance(a, OptT) else OptT(a)
    if isinstance(a, OptT) or isinstance(b, OptT):
        ia = a.inner if isinstance(a, OptT) else a
        ib = b.inner if isinstance(b, OptT) else b
        j = join(ia, ib)
        return OptT(j) if j is not None else None
    if isinstance(a, BoolT) and isinstance(b, BoolT):
        return a
    if isinstance(a, IntT) and isinstance(b, IntT):
        lo = None if a.lo is None or b.lo is None else min(a.lo, b.lo)
        hi = None if a.hi is None or b.hi is None else max(a.hi, b.hi)
        return IntT(lo, hi)
    if isinstance(a, AtomT) and isinstance(b, AtomT):
        return a if a.name == b.name else None
    if isinstance(a, SetT) and isinstance(b, SetT):
        j = join(a.elem, b.elem)
        return SetT(j) if j is not None else None
    if isinstance(a, FnT) and isinstance(b, FnT):
        # a function's keys are exactly its domain, so functions over different domains
        # (0..1 and 0..2 alike) have no value in common: their join would lie about the keys
        r = join(a.rng, b.rng)
        return FnT(a.dom, r) if r is not None and a.dom == b.dom else None
    if isinstance(a, SeqT) and isinstance(b, SeqT):
        j = join(a.elem, b.elem)
        return SeqT(max(a.cap, b.cap), j) if j is not None else None
    if isinstance(a, RecT) and isinstance(b, RecT):
        if [n for n, _ in a.fields] != [n for n, _ in b.fields]:
            return None
        fs = []
        for (n, ta), (_, tb) in zip(a.fields, b.fields):
            j = join(ta, tb)
            if j is None:
                return None
            fs.append((n, j))
        return RecT(tuple(fs))
    return None


def same_shape(a: Type, b: Type) -> bool:
    """Equal up to integer bounds, sequence bounds and empty-collection element types
    (not up to a function's domain: see `join`)."""
    j = join(a, b)
    return j is not None and not (isinstance(j, OptT) and not (isinstance(a, OptT | NoneT)
                                                                and isinstance(b, OptT | NoneT)))


def domain_clash(a: Type, b: Type) -> tuple[Type, Type] | None:
    """The domains (a's, b's) of two functions at the same place inside a and b that
    differ, the first found; None when there are none. It explains why `join` fails for
    types that are otherwise alike."""
    if isinstance(a, OptT):
        a = a.inner
    if isinstance(b, OptT):
        b = b.inner
    if isinstance(a, FnT) and isinstance(b, FnT):
        return (a.dom, b.dom) if a.dom != b.dom else domain_clash(a.rng, b.rng)
    if isinstance(a, SeqT) and isinstance(b, SeqT):
        return domain_clash(a.elem, b.elem)
    if isinstance(a, RecT) and isinstance(b, RecT):
        for (na, ta), (nb, tb) in zip(a.fields, b.fields):
            clash = domain_clash(ta, tb) if na == nb else None
            if clash is not None:
                return clash
    return None


def fits_statically(v: Type, t: Type) -> bool:
    """Every value of type v is a value of type t (no runtime check needed)."""
    if isinstance(v, AnyT):
        return True
    if isinstance(t, OptT):
        if isinstance(v, NoneT):
            return True
        return fits_statically(v.inner if isinstance(v, OptT) else v, t.inner)
    if isinstance(v, OptT | NoneT):
        return False
    if isinstance(t, IntT) and isinstance(v, IntT):
        return ((t.lo is None or (v.lo is not None and v.lo >= t.lo))
                and (t.hi is None or (v.hi is not None and v.hi <= t.hi)))
    if isinstance(t, SetT) and isinstance(v, SetT):
        return fits_statically(v.elem, t.elem)
    if isinstance(t, FnT) and isinstance(v, FnT):
        return v.dom == t.dom and fits_statically(v.rng, t.rng)
    if isinstance(t, SeqT) and isinstance(v, SeqT):
        return v.cap <= t.cap and fits_statically(v.elem, t.elem)
    if isinstance(t, RecT) and isinstance(v, RecT):
        return all(fits_statically(fv, ft) for (_, fv), (_, ft) in zip(v.fields, t.fields))
    return v == t


def cannot_fit(v: Type, t: Type) -> bool:
    """No value of type v is a value of t (a static error when storing)."""
    if isinstance(t, OptT):
        t = t.inner
    if isinstance(v, OptT):
        v = v.inner
    if isinstance(v, IntT) and isinstance(t, IntT):
        return ((v.lo is not None and t.hi is not None and v.lo > t.hi)
                or (v.hi is not None and t.lo is not None and v.hi < t.lo))
    return False


def arith(op: str, a: IntT, b: IntT) -> IntT:
    """Interval bounds of a op b."""
    if None in (a.lo, a.hi, b.lo, b.hi):
        return INT
    assert a.lo is not None and a.hi is not None and b.lo is not None and b.hi is not None
    if op == "+":
        return IntT(a.lo + b.lo, a.hi + b.hi)
    if op == "-":
        return IntT(a.lo - b.hi, a.hi - b.lo)
    if op == "*":
        ps = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
        return IntT(min(ps), max(ps))
    if op == "%":
        if b.lo > 0:
            return IntT(0, b.hi - 1)
        m = max(abs(b.lo), abs(b.hi))
        return IntT(-m, m)
    if op == "div":
        m = max(abs(a.lo), abs(a.hi))
        return IntT(-m, m)
    if op == "**":  # a negative exponent fails at run time; the extremes are at the ends
        lo, hi = max(b.lo, 0), max(b.hi, 0)  # (and the parity next to them, for a < 0)
        bases = {a.lo, a.hi} | {x for x in (-1, 0, 1) if a.lo <= x <= a.hi}
        exps = {lo, min(lo + 1, hi), max(hi - 1, lo), hi}
        ps = [x ** e for x in bases for e in exps]
        return IntT(min(ps), max(ps))
    return INT
