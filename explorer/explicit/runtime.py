"""What the generated code calls at run time: the error raisers (they hold the span and
message tables, so no spec text is ever written into the generated source), the helpers
over compact values, and the namespace the generated code runs in."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any

from explorer import budget
from explorer.diagnostics import AssertFailure, EvalError
from explorer.explicit.encoding import Encoding
from explorer.explicit.layout import Layout
from explorer.model import FnT, IntT, NoneT, OptT, RecT, SeqT, SetT, Span, Type
from explorer.values import format_value

Tup = tuple[Any, ...]  # a compact sequence, function or record
UNBOUND = object()  # a parameter whose domain is being evaluated
_BITS = [tuple(i for i in range(12) if m >> i & 1) for m in range(1 << 12)]


def _elems(values: list[Any], m: int) -> tuple[Any, ...]:
    """The compact elements of a set of compound values, mask m (bits by rank)."""
    return tuple(values[b] for b in _bits(m))


def _bits(m: int) -> tuple[int, ...]:
    if m < 4096:
        return _BITS[m]
    out, b = [], 0
    while m:
        if m & 1:
            out.append(b)
        m >>= 1
        b += 1
    return tuple(out)


def _minbit(m: int, base: int, boolean: bool) -> Any:
    if not m:
        return None
    b = (m & -m).bit_length() - 1
    return b == 1 if boolean else b + base


def _maxbit(m: int, base: int, boolean: bool) -> Any:
    if not m:
        return None
    b = m.bit_length() - 1
    return b == 1 if boolean else b + base


def _mkset(it: Iterable[int]) -> int:
    return functools.reduce(operator.or_, it, 0)


class Runtime:
    """Error raisers and helpers the generated code calls; they hold the span tables."""

    def __init__(self, enc: Encoding, lay: Layout) -> None:
        self.enc, self.lay = enc, lay
        self.spans: list[Span] = []
        self.msgs: list[str] = []
        self.names: dict[int, str] = {}  # span index of a named assert -> its name
        self.errors: dict[int, tuple[str, str]] = {}  # span index of a Fail -> (code, message)
        self.types: list[Type] = []
        self.wheres: list[str] = []
        self.ptypes: list[Type] = []  # types packed/unpacked whole by generated code

    def span(self, s: Span) -> int:
        self.spans.append(s)
        return len(self.spans) - 1

    def none(self, k: int) -> Any:
        raise EvalError("E3002", "none used where a value is needed", self.spans[k])

    def pack(self, j: int, v: Any) -> int:
        return self.lay.pack(self.ptypes[j], v)

    def unpack(self, j: int, bits: int) -> Any:
        return self.lay.unpack(self.ptypes[j], bits)

    @staticmethod
    def dopt(raw: int, base: int) -> Any:
        return None if raw == 0 else raw + base

    def unwrap(self, k: int, x: Any) -> Any:
        if x is None:
            self.none(k)
        return x

    def at(self, k: int, s: Tup, i: int) -> Any:
        if not 0 <= i < len(s):
            self.idx(k, i, s)
        return s[i]

    def key(self, k: int, x: int, lo: int, n: int) -> int:
        if not 0 <= x - lo < n:
            self.dom(k, x)
        return x - lo

    def fkey(self, k: int, table: int, x: Any) -> int:
        """The position of compound key x in a function's tuple (E3005 outside its domain)."""
        i = self.enc.ranks[table].get(x)
        if i is None:
            self.dom(k, x)
        assert i is not None
        return i

    def dom(self, k: int, x: Any) -> Any:
        raise EvalError("E3005", f"{x} is outside the domain of the function", self.spans[k])

    def idx(self, k: int, i: int, s: Tup) -> Any:
        return self.idxn(k, i, len(s))

    def idxn(self, k: int, i: int, n: int) -> Any:
        """`idx` for a sequence read where it is stored: only its length n is known."""
        raise EvalError("E3004", f"index {i} outside the sequence of length {n}", self.spans[k])

    def full(self, k: int, cap: int) -> Any:
        raise EvalError("E3003", f"append to a full sequence (bound {cap})", self.spans[k])

    def floordiv(self, k: int, a: int, b: int) -> int:
        if b == 0:
            raise EvalError("E3006", "division by zero", self.spans[k])
        return a // b

    def mod(self, k: int, a: int, b: int) -> int:
        if b == 0:
            raise EvalError("E3006", "modulo by zero", self.spans[k])
        return a % b

    def pow(self, k: int, a: int, b: int) -> int:
        if b < 0:
            raise EvalError("E3009", f"negative exponent ({b})", self.spans[k])
        r: int = a ** b  # int ** int is typed Any
        return r

    def append(self, k: int, s: Tup, x: Any, cap: int) -> Tup:
        if len(s) >= cap:
            self.full(k, cap)
        return s + (x,)

    def insert(self, k: int, s: Tup, i: int, x: Any, cap: int) -> Tup:
        if not 0 <= i <= len(s):
            raise EvalError("E3004", f"insert at {i} outside 0..{len(s)}", self.spans[k])
        if len(s) >= cap:
            raise EvalError("E3003", f"insert into a full sequence (bound {cap})", self.spans[k])
        return s[:i] + (x,) + s[i:]

    def index(self, k: int, s: Tup, x: Any) -> int:
        try:
            return s.index(x)
        except ValueError:
            raise EvalError("E3004", "the element is not in the sequence", self.spans[k]) from None

    @staticmethod
    def remove(s: Tup, x: Any) -> Tup:
        try:
            i = s.index(x)
        except ValueError:
            return s
        return s[:i] + s[i + 1:]

    def rng(self, lo: int, hi: int) -> int:
        return ((1 << (hi - lo + 1)) - 1) << (lo - self.enc.base) if hi >= lo else 0

    @staticmethod
    def range_iter(lo: int, hi: int) -> Any:
        """The integers lo..hi in order, without a set; a long range polls the run's
        limits as it goes (a quantifier over a million values, the initial states)."""
        r = range(lo, hi + 1)
        return r if len(r) <= budget.POLL_EVERY else budget.counted(iter(r))

    @staticmethod
    def inrange(x: int, lo: int, hi: int) -> bool:
        return lo <= x <= hi

    def ibits(self, m: int) -> tuple[int, ...]:
        b = self.enc.base
        return tuple(x + b for x in _bits(m))

    @staticmethod
    def bbits(m: int) -> tuple[bool, ...]:
        return tuple(x == 1 for x in _bits(m))

    def fails(self, j: int, x: Any) -> bool:
        """Does compact value x NOT fit the type types[j]? (the general store check)"""
        return not _fits_compact(self.types[j], x, self.enc)

    def store_fail(self, k: int, j: int, x: Any) -> Any:
        t, where = self.types[j], self.wheres[j]
        if x is None and not isinstance(t, OptT):
            raise EvalError("E3002", f"none used where a value is needed ({where}: {t})", self.spans[k])
        v = self.enc.decode(t, x)
        if _overflows(t, x):
            raise EvalError("E3003", f"value {format_value(v)} exceeds the bound of {t} ({where})",
                            self.spans[k])
        raise EvalError("E3001", f"value {format_value(v)} does not fit {t} ({where})", self.spans[k])

    def assert_fail(self, k: int) -> Any:
        raise AssertFailure(self.msgs[k], self.spans[k], self.names.get(k))

    def fail(self, k: int) -> Any:
        """A `Fail` statement reached (E3007: a loop's bound exceeded)."""
        code, message = self.errors[k]
        raise EvalError(code, message, self.spans[k])

    def fit(self, k: int, j: int, x: Any) -> Any:
        """x, when it fits the type types[j] (an argument of a def or proc); else E3001."""
        if self.fails(j, x):
            self.store_fail(k, j, x)
        return x

    def reach(self, k: int, f: Tup, x: Any, ilo: int, n: int, blo: int) -> int:
        """reach(f, x) on compact values: f a tuple indexed by x - ilo (n keys), x a scalar
        or None; the set's bit for x is x - blo."""
        mask = 0
        while x is not None:
            b = 1 << (x - blo)
            if mask & b:
                break
            mask |= b
            if not 0 <= x - ilo < n:
                self.dom(k, x)
            x = f[x - ilo]
        return mask

    def reach_bits(self, k: int, bits: int, x: Any, w: int, lo: int, opt: bool, ilo: int,
                   n: int, blo: int) -> int:
        """reach(f, x) where f is read from the packed state: `bits` holds its n cells of
        width w (a cell holds value - lo, or for an optional range 0 for none and
        value - lo + 1)."""
        mask, cell = 0, (1 << w) - 1
        while x is not None:
            b = 1 << (x - blo)
            if mask & b:
                break
            mask |= b
            i = x - ilo
            if not 0 <= i < n:
                self.dom(k, x)
            raw = (bits >> (i * w)) & cell
            x = (None if raw == 0 else raw - 1 + lo) if opt else raw + lo
        return mask


def _fits_compact(t: Type, x: Any, enc: Encoding) -> bool:
    if x is None:
        return isinstance(t, OptT | NoneT)
    if isinstance(t, OptT):
        t = t.inner
    if isinstance(t, IntT):
        return (t.lo is None or x >= t.lo) and (t.hi is None or x <= t.hi)
    if isinstance(t, SetT) and isinstance(t.elem, IntT) and t.elem.lo is not None:
        assert t.elem.hi is not None  # a range with a low bound has a high one
        lo_bit, hi_bit = t.elem.lo - enc.base, t.elem.hi - enc.base
        mask: int = x
        return mask & ~(((1 << (hi_bit - lo_bit + 1)) - 1) << lo_bit) == 0
    if isinstance(t, FnT):
        return all(_fits_compact(t.rng, y, enc) for y in x)
    if isinstance(t, RecT):
        return all(_fits_compact(ft, y, enc) for (_, ft), y in zip(t.fields, x))
    if isinstance(t, SeqT):
        return len(x) <= t.cap and all(_fits_compact(t.elem, y, enc) for y in x)
    return True


def _overflows(t: Type, x: Any) -> bool:
    if x is None:
        return False
    if isinstance(t, OptT):
        return _overflows(t.inner, x)
    if isinstance(t, SeqT):
        return len(x) > t.cap or any(_overflows(t.elem, y) for y in x)
    if isinstance(t, FnT):
        return any(_overflows(t.rng, y) for y in x)
    if isinstance(t, RecT):
        return any(_overflows(ft, y) for (_, ft), y in zip(t.fields, x))
    return False



def namespace(rt: Runtime) -> dict[str, Any]:
    """The globals of the generated code: its helpers under fixed `_` names."""
    return {
        "_Fault": (EvalError, AssertFailure), "_bits": _bits, "_elems": _elems,
        "_rank": rt.enc.ranks, "_unrank": rt.enc.unranks, "_unwrap": rt.unwrap,
        "_at": rt.at, "_key": rt.key, "_getitem": operator.getitem, "_U": UNBOUND, "_ibits": rt.ibits,
        "_bbits": rt.bbits, "_mkset": _mkset, "_none": rt.none, "_dom": rt.dom, "_idx": rt.idx,
        "_idxn": rt.idxn, "_full": rt.full,
        "_fkey": rt.fkey, "_floordiv": rt.floordiv, "_mod": rt.mod, "_pow": rt.pow,
        "_append": rt.append, "_insert": rt.insert,
        "_index": rt.index, "_remove": rt.remove, "_rng": rt.rng, "_fails": rt.fails,
        "_range": rt.range_iter, "_inrange": rt.inrange,
        "_store_fail": rt.store_fail, "_assert_fail": rt.assert_fail, "_fail": rt.fail, "_pack": rt.pack,
        "_unpack": rt.unpack, "_dopt": rt.dopt, "_fit": rt.fit, "_reach": rt.reach,
        "_reach_bits": rt.reach_bits, "_minbit": _minbit, "_maxbit": _maxbit,
    }
