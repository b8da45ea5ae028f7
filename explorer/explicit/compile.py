"""Model -> generated Python over packed states (compiled once per configuration).

A state is one Python int (see layout.py): reading `f[k]` is a shift and a mask, writing it
is a mask and an or, and the seen set hashes and compares plain ints. Expressions compute
compact values (encoding.py); whole compound values are packed and unpacked only where a
spec uses them whole.

The search's hot path is one function `succ(s, seen, fired)`: every action inline, with its
parameter loops, guard, body and runtime checks, and the `Unseen` sink of the successor
contract (explorer.explicit.system) fused in. Each action also becomes a function
`b<i>(s) -> [(next_state, binding), ...]`, generated on first use, behind `expand(s, sink)`
(the other sinks, trace rebuilding, state graphs). The invariants become one function
returning the index of the first violated one (or -1). Spec text never reaches the
generated source: identifiers are built from validated names behind fixed prefixes
(`l_` locals, `C_` consts, `v`/`w` variables), messages and spans live in tables.
`either` is compiled by moving the rest of the body into each branch (a loop over the
branches), so `require` is always a `continue` to the next alternative.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import itertools
import operator
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from explorer import budget
from explorer import model as M
from explorer.diagnostics import AssertFailure, Diagnostic, EvalError, SpecError
from explorer.explicit.encoding import Encoding
from explorer.explicit.layout import Layout, is_cell
from explorer.explicit.system import Sink
from explorer.model import AtomT, BoolT, FnT, IntT, NoneT, OptT, RecT, SeqT, SetT, Span, Type
from explorer.symbols import py_const, py_local
from explorer.types import fits_statically
from explorer.values import format_value

_UNBOUND = object()  # a parameter whose domain is being evaluated
_BITS = [tuple(i for i in range(12) if m >> i & 1) for m in range(1 << 12)]


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


def _bare(labelled: Callable[[int], list[tuple[int, tuple]]], s: int) -> list[int]:
    return [t for t, _ in labelled(s)]


def _is_int(code: str) -> bool:
    return code.lstrip("-").isdigit()


def _mkset(it: Any) -> int:
    return functools.reduce(operator.or_, it, 0)


@dataclass
class CompiledModel:
    """What the search needs: the generated functions and how to decode their states.
    A `System` (explorer.explicit.system). The per-action functions are generated on first
    use (`expand`: trace rebuilding, sinks other than the fused one, tests): the search
    itself needs only `successors`."""

    model: M.Model
    source: str
    initial: Callable[[], Iterator[int]]
    successors: Callable[[int, dict, list[int]], tuple[list[tuple[int, int]], int]]
    invariants: Callable[[tuple], int]
    terminal: Callable[[tuple], bool] | None
    encoding: Encoding
    layout: Layout
    build_actions: Callable[[], list[Callable[[int], list[tuple[int, tuple]]]]]
    _actions: tuple[list[Callable], list[Callable]] | None = None

    @property
    def n_actions(self) -> int:
        return len(self.model.actions)

    def _built(self) -> tuple[list[Callable], list[Callable]]:
        if self._actions is None:
            labelled = self.build_actions()
            bare: list[Callable] = [functools.partial(_bare, f) for f in labelled]
            self._actions = bare, list(labelled)
        return self._actions

    @property
    def actions(self) -> list[Callable[[int], list[int]]]:
        """`actions[i](s)`: every successor of action i, in exploration order."""
        return self._built()[0]

    @property
    def labelled(self) -> list[Callable[[int], list[tuple[int, tuple]]]]:
        """`labelled[i](s)`: (successor, binding) pairs of action i."""
        return self._built()[1]

    def expand(self, s: int, sink: Sink) -> None:
        """The successor contract: `sink(action, binding, successor)` for every successor
        of s, in exploration order; an action's successors reach the sink once it has
        completed without a fault (so counts stop where the fused `successors`' do)."""
        for aid, fn in enumerate(self.labelled):
            for t, b in fn(s):
                sink(aid, b, t)

    def compact_state(self, s: int) -> tuple:
        lay = self.layout
        return tuple(lay.unpack(v.t, s >> off) for v, off in zip(self.model.vars, lay.offsets))

    def decode_state(self, s: int) -> tuple:
        return tuple(self.encoding.decode(v.t, x)
                     for v, x in zip(self.model.vars, self.compact_state(s)))

    def encode_state(self, values: tuple) -> int:
        """A state of rich values (as the interpreter has it) -> the packed state."""
        lay, out = self.layout, 0
        for v, off, x in zip(self.model.vars, lay.offsets, values):
            out |= lay.pack(v.t, self.encoding.encode(v.t, x)) << off
        return out

    def decode_binding(self, aid: int, bind: tuple) -> tuple[tuple[str, Any], ...]:
        act = self.model.actions[aid]
        return tuple((b.name, self.encoding.decode(b.domain.t.elem, x))  # type: ignore[attr-defined]
                     for b, x in zip(act.params, bind))


class _Runtime:
    """Error raisers and helpers the generated code calls; they hold the span tables."""

    def __init__(self, enc: Encoding) -> None:
        self.enc = enc
        self.spans: list[Span] = []
        self.msgs: list[str] = []
        self.names: dict[int, str] = {}  # span index of a named assert -> its name
        self.errors: dict[int, tuple[str, str]] = {}  # span index of a Fail -> (code, message)
        self.types: list[Type] = []
        self.wheres: list[str] = []
        self.ptypes: list[Type] = []  # types packed/unpacked whole by generated code
        self.lay: Layout = None  # type: ignore[assignment]  # set by compile_model

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

    def at(self, k: int, s: tuple, i: int) -> Any:
        if not 0 <= i < len(s):
            self.idx(k, i, s)
        return s[i]

    def key(self, k: int, x: int, lo: int, n: int) -> int:
        if not 0 <= x - lo < n:
            self.dom(k, x)
        return x - lo

    def dom(self, k: int, x: Any) -> Any:
        raise EvalError("E3005", f"{x} is outside the domain of the function", self.spans[k])

    def idx(self, k: int, i: int, s: tuple) -> Any:
        raise EvalError("E3004", f"index {i} outside the sequence of length {len(s)}", self.spans[k])

    def floordiv(self, k: int, a: int, b: int) -> int:
        if b == 0:
            raise EvalError("E3006", "division by zero", self.spans[k])
        return a // b

    def mod(self, k: int, a: int, b: int) -> int:
        if b == 0:
            raise EvalError("E3006", "modulo by zero", self.spans[k])
        return a % b

    def append(self, k: int, s: tuple, x: Any, cap: int) -> tuple:
        if len(s) >= cap:
            raise EvalError("E3003", f"append to a full sequence (bound {cap})", self.spans[k])
        return s + (x,)

    def insert(self, k: int, s: tuple, i: int, x: Any, cap: int) -> tuple:
        if not 0 <= i <= len(s):
            raise EvalError("E3004", f"insert at {i} outside 0..{len(s)}", self.spans[k])
        if len(s) >= cap:
            raise EvalError("E3003", f"insert into a full sequence (bound {cap})", self.spans[k])
        return s[:i] + (x,) + s[i:]

    def index(self, k: int, s: tuple, x: Any) -> int:
        try:
            return s.index(x)
        except ValueError:
            raise EvalError("E3004", "the element is not in the sequence", self.spans[k]) from None

    @staticmethod
    def remove(s: tuple, x: Any) -> tuple:
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

    def reach(self, k: int, f: tuple, x: Any, ilo: int, n: int, blo: int) -> int:
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
        lo_bit, hi_bit = t.elem.lo - enc.base, t.elem.hi - enc.base  # type: ignore[operator]
        return x & ~(((1 << (hi_bit - lo_bit + 1)) - 1) << lo_bit) == 0
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


def _int_base(model: M.Model) -> int:
    """The integer held by bit 0 of integer sets: the least element any set can hold."""
    lows = [0]

    def see(t: Type) -> None:
        if isinstance(t, SetT) and isinstance(t.elem, IntT) and t.elem.lo is not None:
            lows.append(t.elem.lo)
        for sub in (getattr(t, a, None) for a in ("inner", "elem", "dom", "rng")):
            if isinstance(sub, Type):
                see(sub)
        if isinstance(t, RecT):
            for _, ft in t.fields:
                see(ft)

    exprs: list[M.Expr] = []
    for v in model.vars:
        see(v.t)
    for c in model.consts:
        exprs.append(c.expr)
    for it in model.init:
        exprs.append(it.expr)
    for inv in model.invariants:
        if not inv.helper:  # helpers are not compiled (see _Gen.invariants)
            exprs.append(inv.expr)
    if model.terminal is not None:
        exprs.append(model.terminal)
    for a in model.actions:
        exprs.extend(b.domain for b in a.params)
        if a.guard is not None:
            exprs.append(a.guard)
        exprs.extend(M.stmt_exprs(a.body))
    for e in exprs:
        for x in M.walk_expr(e):
            see(x.t)
            if isinstance(x, M.BinOp) and x.op in (M.Op.IN, M.Op.NOTIN) and isinstance(x.a.t, IntT):
                if x.a.t.lo is not None:
                    lows.append(x.a.t.lo)
    return min(lows)


def _has_either(s: M.Stmt) -> bool:
    if isinstance(s, M.Either):
        return True
    if isinstance(s, M.If):
        return any(_has_either(x) for x in s.then + s.orelse)
    return False


def normalize(stmts: tuple[M.Stmt, ...]) -> tuple[M.Stmt, ...]:
    """Move everything after a branching statement into its branches, so that an `Either`
    only ever ends a statement list. An `if` holding an `either` becomes an `either` of
    `require c` and `require not c`. `model.either_growth` measures what this does to a body,
    and the elaborator keeps it bounded."""
    for i, s in enumerate(stmts):
        if not _has_either(s):
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


def _top_require(stmts: tuple[M.Stmt, ...]) -> bool:
    """A `require` outside every `either` (whose branch loop gives it a `continue` target)."""
    for s in stmts:
        if isinstance(s, M.Require):
            return True
        if isinstance(s, M.If) and _top_require(s.then + s.orelse):
            return True
    return False


class _Gen:
    def __init__(self, model: M.Model, rt: _Runtime) -> None:
        self.model = model
        self.rt = rt
        self.enc = rt.enc
        self.lay = rt.lay
        self.lines: list[str] = []
        self.origin: list[Span] = []  # per line: the spec text it was generated for
        self.where: Span = M.NOSPAN  # the spec text being generated for
        self.ntmp = 0
        self.src = "s"  # the packed state that reads see: `s` (guards, invariants) or `w`
        self.hoist: dict[tuple[int, int], str] | None = None  # reads of `s` done once, up front
        # cells written so far in the body being generated; None: treat all as written
        self.dirty: list[tuple[int, int]] | None = None
        self.pending: tuple[int, int, int] | None = None  # (depth, keep mask, bits) to write
        self.subst: dict[str, str] = {}  # bound names replaced by constants (unrolled quantifiers)
        self.in_iter = 0  # > 0 inside a comprehension's iterable, where Python forbids `:=`

    # ------------------------------------------------------------------ plumbing
    def emit(self, depth: int, line: str) -> None:
        if self.pending is not None:
            self.flush()
        self.lines.append("    " * depth + line)
        self.origin.append(self.where)

    def pop(self) -> None:
        self.lines.pop()
        self.origin.pop()

    def flush(self) -> None:
        """Emit the constant writes collected by `write` as one statement."""
        assert self.pending is not None
        depth, keep, put = self.pending
        self.pending = None
        pad, src = "    " * depth, "w"
        if self.lines and self.lines[-1] == pad + "w = s":  # start from s directly
            self.pop()
            src = "s"
        self.lines.append(pad + f"w = ({src} & {keep})" + (f" | {put}" if put else ""))
        self.origin.append(self.where)

    def tmp(self) -> str:
        self.ntmp += 1
        return f"_t{self.ntmp}"

    def ptype(self, t: Type) -> int:
        if t not in self.rt.ptypes:
            self.rt.ptypes.append(t)
        return self.rt.ptypes.index(t)

    @staticmethod
    def add(a: int | str, b: int | str) -> int | str:
        if isinstance(a, int) and isinstance(b, int):
            return a + b
        if a == 0:
            return b
        if b == 0:
            return a
        return f"({a} + {b})"

    @staticmethod
    def mul(a: str, k: int) -> int | str:
        if a.lstrip("-").isdigit():
            return int(a) * k
        return a if k == 1 else f"{a} * {k}"

    def place(self, e: M.Expr) -> tuple[int | str, Type] | None:
        """(bit offset, type) of a read through function keys and record fields of a state
        variable; None for anything else. Key code (with its checks) is generated here."""
        if isinstance(e, M.VarRef):
            return self.lay.offsets[e.index], e.t
        if isinstance(e, M.Apply):
            p = self.place(e.f)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, FnT)
            idx = self.key_index(t.dom, e.x, e.span)
            return self.add(off, self.mul(idx, self.lay.width(t.rng))), t.rng
        if isinstance(e, M.Field):
            p = self.place(e.r)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, RecT)
            return self.add(off, self.lay.field_offset(t, e.name)), t.field_type(e.name)  # type: ignore[return-value]
        return None

    def raw(self, off: int | str, t: Type) -> str:
        mask = (1 << self.lay.width(t)) - 1
        src = self.src
        if src == "w" and self.dirty is not None and isinstance(off, int) and not any(
                o < off + self.lay.width(t) and off < o + n for o, n in self.dirty):
            self.src = "s"  # not written yet in this binding: read the state as it was
            try:
                return self.raw(off, t)
            finally:
                self.src = src
        if self.hoist is not None and self.src == "s" and isinstance(off, int):
            return self.hoist.setdefault((off, mask), f"_r{len(self.hoist)}")
        if off == 0:
            return f"({self.src} & {mask})"
        return f"(({self.src} >> {off}) & {mask})"

    def read(self, off: int | str, t: Type) -> str:
        raw = self.raw(off, t)
        if not is_cell(t):
            return f"_unpack({self.ptype(t)}, {raw})"
        lo = self.lay.cell_lo(t)
        if isinstance(t, OptT):
            if self.in_iter:
                return f"_dopt({raw}, {lo - 1})"
            x = self.tmp()
            return f"(({x} + {lo - 1}) if ({x} := {raw}) else None)"
        return f"({raw} + {lo})" if lo else raw

    def encode_cell(self, val: str, t: Type) -> str:
        if isinstance(t, FnT | RecT) and val.isidentifier():
            parts = self.inline_pack(val, t)
            if parts is not None:
                return parts
        if not is_cell(t):
            return f"_pack({self.ptype(t)}, {val})"
        lo = self.lay.cell_lo(t)
        if val in ("None", "True", "False") or _is_int(val):  # a literal: encode it now
            x = ast.literal_eval(val)
            return str(0 if x is None else int(x) - lo + (1 if isinstance(t, OptT) else 0))
        if isinstance(t, OptT):
            return f"(0 if {val} is None else {val} - {lo - 1})"
        if isinstance(t, NoneT):
            return "0"
        return f"({val} - {lo})" if lo else val

    def inline_pack(self, val: str, t: FnT | RecT) -> str | None:
        """Pack code for a small function or record of cells held in local `val`."""
        comps = ([(i, t.rng) for i in range(M.type_size(t.dom))] if isinstance(t, FnT)
                 else list(enumerate(ft for _, ft in t.fields)))
        if len(comps) > 64 or not all(is_cell(ct) for _, ct in comps):
            return None
        out, off = [], 0
        for i, ct in comps:
            code = self.encode_cell(f"{val}[{i}]", ct)
            out.append(code if off == 0 else f"({code} << {off})")
            off += self.lay.width(ct)
        return "(" + " | ".join(out) + ")" if out else "0"

    def write(self, depth: int, off: int | str, t: Type, raw: str) -> None:
        mask = (1 << self.lay.width(t)) - 1
        if self.dirty is not None:
            if isinstance(off, int):
                self.dirty.append((off, self.lay.width(t)))
            else:
                self.dirty = None  # a computed offset: anything may have changed
        if isinstance(off, int) and _is_int(raw):  # constant: merge with its neighbours
            keep_i, put_i = ~(mask << off), int(raw) << off
            if self.pending is not None and self.pending[0] == depth:
                _, k0, p0 = self.pending
                self.pending = (depth, k0 & keep_i, (p0 & keep_i) | put_i)
            else:
                if self.pending is not None:
                    self.flush()
                self.pending = (depth, keep_i, put_i)
            return
        if isinstance(off, int):
            keep = str(~(mask << off))
            if _is_int(raw):
                put = "" if raw == "0" else f" | {int(raw) << off}"
            else:
                put = f" | ({raw} << {off})" if off else f" | {raw}"
        else:
            keep = f"~({mask} << {off})"
            put = "" if raw == "0" else f" | ({raw} << {off})"
        self.emit(depth, f"w = (w & {keep}){put}")

    def const(self, v: Any, t: Type) -> str:
        return repr(self.enc.encode(t, v))

    # ------------------------------------------------------------------ expressions
    def bit(self, t: Type, code: str) -> str:
        if isinstance(t, IntT) and self.enc.base != 0:
            return f"({code} - {self.enc.base})"
        return code

    def elems(self, dom: M.Expr) -> str:
        """Code iterating the compact elements of a set expression, in canonical order."""
        elem = dom.t.elem  # type: ignore[attr-defined]
        if isinstance(dom, M.Lit):
            vals = sorted(self.enc.encode(elem, x) for x in dom.value)
            return repr(tuple(vals))
        self.in_iter += 1
        if isinstance(dom, M.RangeSet):  # lazily, never as a set: it may be huge
            code = f"_range({self.ex(dom.lo)}, {self.ex(dom.hi)})"
            self.in_iter -= 1
            return code
        code = self.ex(dom)
        self.in_iter -= 1
        if isinstance(elem, IntT):
            return f"_ibits({code})"
        if isinstance(elem, BoolT):
            return f"_bbits({code})"
        return f"_bits({code})"

    def pure(self, e: M.Expr) -> bool:
        return isinstance(e, M.VarRef | M.Local | M.ConstRef | M.Lit)

    def ex(self, e: M.Expr) -> str:
        if isinstance(e, M.Lit):
            return self.const(e.value, e.t)
        if isinstance(e, M.VarRef):
            return self.read(self.lay.offsets[e.index], e.t)
        if isinstance(e, M.ConstRef):
            return py_const(e.name)
        if isinstance(e, M.Local):
            return self.subst.get(e.name, py_local(e.name))
        if isinstance(e, M.Unwrap):
            t, k = self.tmp(), self.rt.span(e.span)
            if self.in_iter:
                return f"_unwrap({k}, {self.ex(e.e)})"
            return f"({t} if ({t} := {self.ex(e.e)}) is not None else _none({k}))"
        if isinstance(e, M.Fit):
            return self.fit(e)
        if isinstance(e, M.Not):
            x = self.ex(e.e)
            return {"True": "False", "False": "True"}.get(x, f"(not {x})")
        if isinstance(e, M.Neg):
            return f"(-{self.ex(e.e)})"
        if isinstance(e, M.BinOp):
            return self.binop(e)
        if isinstance(e, M.RangeSet):
            return f"_rng({self.ex(e.lo)}, {self.ex(e.hi)})"
        if isinstance(e, M.Apply):
            return self.apply(e)
        if isinstance(e, M.Index):
            k = self.rt.span(e.span)
            s, i = self.tmp(), self.tmp()
            if self.in_iter:
                return f"_at({k}, {self.ex(e.s)}, {self.ex(e.i)})"
            # the sequence is evaluated before the index, as in the interpreter
            return (f"(({s} := {self.ex(e.s)}), ({i} := {self.ex(e.i)}), "
                    f"{s}[{i}] if 0 <= {i} < len({s}) else _idx({k}, {i}, {s}))[2]")
        if isinstance(e, M.Slice):
            lo = f"max({self.ex(e.lo)}, 0)" if e.lo is not None else ""
            hi = f"max({self.ex(e.hi)}, 0)" if e.hi is not None else ""
            return f"{self.ex(e.s)}[{lo}:{hi}]"
        if isinstance(e, M.Field):
            p = self.place(e)
            if p is not None:
                return self.read(*p)
            assert isinstance(e.r.t, RecT)
            idx = [n for n, _ in e.r.t.fields].index(e.name)
            return f"{self.ex(e.r)}[{idx}]"
        if isinstance(e, M.Call):
            return self.call(e)
        if isinstance(e, M.SetLit):
            if not e.elems:
                return "0"
            return "(" + " | ".join(f"(1 << {self.bit(x.t, self.ex(x))})" for x in e.elems) + ")"
        if isinstance(e, M.SeqLit):
            return "(" + "".join(f"{self.ex(x)}, " for x in e.elems) + ")"
        if isinstance(e, M.RecLit):
            return "(" + "".join(f"{self.ex(x)}, " for _, x in e.fields) + ")"
        if isinstance(e, M.Ite):
            return f"({self.ex(e.a)} if {self.ex(e.c)} else {self.ex(e.b)})"
        if isinstance(e, M.Quant):
            unrolled = self.unroll(e)
            if unrolled is not None:
                return unrolled
            fors = self.fors(e.binders)
            body = self.bound(e.body, [b.name for b in e.binders])
            return f"{'all' if e.forall else 'any'}({body} {fors})"
        if isinstance(e, M.Filter):
            b = e.binder
            bit = self.bit(b.domain.t.elem, py_local(b.name))  # type: ignore[attr-defined]
            pred = self.bound(e.pred, [b.name])
            return f"sum(1 << {bit} {self.fors((b,))} if {pred})"
        if isinstance(e, M.MapSet):
            img = self.bound(e.e, [b.name for b in e.binders])
            return f"_mkset(1 << {self.bit(e.e.t, img)} {self.fors(e.binders)})"
        if isinstance(e, M.FnComp) and isinstance(e.binder.domain, M.Lit) and len(
                e.binder.domain.value) <= 64:  # a tuple display, one element per key
            b, saved = e.binder, dict(self.subst)
            parts = []
            for x in ast.literal_eval(self.elems(b.domain)):
                self.subst[b.name] = repr(x)
                parts.append(self.ex(e.e))
            self.subst = saved
            return "(" + "".join(f"{p}, " for p in parts) + ")"
        if isinstance(e, M.FnComp):
            b = e.binder
            return f"tuple({self.bound(e.e, [b.name])} {self.fors((b,))})"
        raise AssertionError(e)

    def fit(self, e: M.Fit) -> str:
        code = self.ex(e.e)
        if fits_statically(e.e.t, e.t):
            return code
        k = self.rt.span(e.span)
        self.rt.types.append(e.t)
        self.rt.wheres.append(e.what)
        j = len(self.rt.types) - 1
        if isinstance(e.t, IntT) and e.t.lo is not None and not self.in_iter:
            t = self.tmp()
            return f"({t} if {e.t.lo} <= ({t} := {code}) <= {e.t.hi} else _store_fail({k}, {j}, {t}))"
        return f"_fit({k}, {j}, {code})"

    def fors(self, binders: tuple[M.Binder, ...]) -> str:
        """`for` clauses; a later domain sees the earlier binders, not substitutions."""
        out = []
        for i, b in enumerate(binders):
            dom = self.bound_domain(b.domain, [x.name for x in binders[:i]])
            out.append(f"for {py_local(b.name)} in {dom}")
        return " ".join(out)

    def bound_domain(self, dom: M.Expr, names: list[str]) -> str:
        saved = self.subst
        self.subst = {k: v for k, v in saved.items() if k not in names}
        try:
            return self.elems(dom)
        finally:
            self.subst = saved

    def bound(self, e: M.Expr, names: list[str]) -> str:
        """Code for e where `names` are bound by a Python comprehension (not substituted)."""
        saved = self.subst
        self.subst = {k: v for k, v in saved.items() if k not in names}
        try:
            return self.ex(e)
        finally:
            self.subst = saved

    def unroll(self, e: M.Quant) -> str | None:
        """`forall`/`exists` over small literal domains as an and/or chain with each
        binder replaced by its value: no generator, no call per evaluation."""
        if not all(isinstance(b.domain, M.Lit) for b in e.binders):
            return None
        doms = [self.elems(b.domain) for b in e.binders]
        combos: list[tuple[str, ...]] = [()]
        for d in doms:
            combos = [c + (repr(x),) for c in combos for x in ast.literal_eval(d)]
            if len(combos) > 16:
                return None
        if not combos:
            return "True" if e.forall else "False"
        parts = []
        for c in combos:
            saved = dict(self.subst)
            self.subst.update({b.name: v for b, v in zip(e.binders, c)})
            parts.append(self.ex(e.body))
            self.subst = saved
        return "(" + (" and " if e.forall else " or ").join(parts) + ")"

    def binop(self, e: M.BinOp) -> str:
        O = M.Op
        op = e.op
        if op in (O.AND, O.OR, O.IMPLIES):  # fold literal sides (unrolled binders)
            a = self.ex(e.a)
            if op is O.IMPLIES:
                a = "True" if a == "False" else "False" if a == "True" else f"not {a}"
            stop = "False" if op is O.AND else "True"
            if a == stop:
                return stop
            b = self.ex(e.b)
            if a in ("True", "False"):
                return b
            if b in ("True", "False") and b != stop:
                return a if op is not O.IMPLIES else f"({a})"
            return f"({a} {'and' if op is O.AND else 'or'} {b})"
        if op in (O.EQ, O.NE):
            neg = op is O.NE
            if isinstance(e.b, M.Lit) and e.b.value is None:
                p = self.place(e.a) if isinstance(e.a.t, OptT) and is_cell(e.a.t) else None
                if p is not None:
                    return f"({self.raw(*p)} {'!=' if neg else '=='} 0)"
                return f"({self.ex(e.a)} is {'not ' if neg else ''}None)"
            if isinstance(e.a, M.Lit) and e.a.value is None:
                return f"({self.ex(e.b)} is {'not ' if neg else ''}None)"
            for x, y in ((e.a, e.b), (e.b, e.a)):  # an optional cell against a literal
                if isinstance(y, M.Lit) and isinstance(x.t, OptT) and is_cell(x.t):
                    p = self.place(x)
                    if p is not None:
                        enc = self.encode_cell(repr(self.enc.encode(x.t, y.value)), x.t)
                        return f"({self.raw(*p)} {'!=' if neg else '=='} {enc})"
            a, b = self.ex(e.a), self.ex(e.b)
            if _is_int(a) and _is_int(b):  # literals (unrolled binders): fold
                return str((int(a) == int(b)) != neg)
            return f"({a} {'!=' if neg else '=='} {b})"
        if op is O.IFF:
            return f"({self.ex(e.a)} == {self.ex(e.b)})"
        if op in (O.LT, O.LE, O.GT, O.GE):
            a, b = self.ex(e.a), self.ex(e.b)
            if _is_int(a) and _is_int(b):  # literals (unrolled binders): fold
                x, y = int(a), int(b)
                return str({O.LT: x < y, O.LE: x <= y, O.GT: x > y, O.GE: x >= y}[op])
            return f"({a} {op.value} {b})"
        simple = {O.LT: "<", O.LE: "<=", O.GT: ">", O.GE: ">=", O.ADD: "+", O.SUB: "-",
                  O.MUL: "*", O.UNION: "|", O.INTER: "&"}
        if op in simple:
            return f"({self.ex(e.a)} {simple[op]} {self.ex(e.b)})"
        if op is O.MINUS:
            return f"({self.ex(e.a)} & ~{self.ex(e.b)})"
        if op is O.SUBSET:
            return f"({self.ex(e.a)} & ~{self.ex(e.b)} == 0)"
        if op in (O.IN, O.NOTIN) and isinstance(e.b, M.RangeSet):
            # membership in a range is two comparisons, whatever its size (the element
            # first, then the bounds, as the interpreter evaluates them)
            elem, lo, hi = self.ex(e.a), self.ex(e.b.lo), self.ex(e.b.hi)
            if _is_int(lo) and _is_int(hi):
                test = f"({lo} <= {elem} <= {hi})"
            else:
                test = f"_inrange({elem}, {lo}, {hi})"
            return test if op is O.IN else f"(not {test})"
        if op in (O.IN, O.NOTIN):
            a = self.ex(e.a)
            bit = self.bit(e.a.t, a)
            one = str(1 << int(bit)) if _is_int(bit) else f"(1 << {bit})"
            test = "==" if op is O.NOTIN else "!="
            return f"({one} & {self.ex(e.b)} {test} 0)"  # element first, as interp
        if op in (O.DIV, O.MOD):
            k = self.rt.span(e.span)
            fn = "_floordiv" if op is O.DIV else "_mod"
            return f"{fn}({k}, {self.ex(e.a)}, {self.ex(e.b)})"
        raise AssertionError(op)

    def key_index(self, dom: Type, key: M.Expr, span: Span) -> str:
        """Code for the tuple position of function key `key` (domain-checked if needed)."""
        code = self.ex(key)
        if isinstance(dom, IntT):
            assert dom.lo is not None and dom.hi is not None
            if _is_int(code) and dom.lo <= int(code) <= dom.hi:
                return str(int(code) - dom.lo)
            if fits_statically(key.t, dom):
                return code if dom.lo == 0 else f"({code} - {dom.lo})"
            t, k = self.tmp(), self.rt.span(span)
            n = dom.hi - dom.lo + 1
            if self.in_iter:
                return f"_key({k}, {code}, {dom.lo}, {n})"
            off = f" - {dom.lo}" if dom.lo else ""
            return f"({t}{off} if 0 <= ({t} := {code}){off} < {n} else _dom({k}, {t}))"
        return code

    def apply(self, e: M.Apply) -> str:
        assert isinstance(e.f.t, FnT)
        p = self.place(e)
        if p is not None:
            return self.read(*p)
        if self.pure(e.f):
            return f"{self.ex(e.f)}[{self.key_index(e.f.t.dom, e.x, e.span)}]"
        if self.in_iter:
            return f"_getitem({self.ex(e.f)}, {self.key_index(e.f.t.dom, e.x, e.span)})"
        f = self.tmp()
        return f"(({f} := {self.ex(e.f)}), {f}[{self.key_index(e.f.t.dom, e.x, e.span)}])[1]"

    def call(self, e: M.Call) -> str:
        B = M.Builtin
        if e.fn is B.REACH:
            return self.reach(e)
        args = [self.ex(a) for a in e.args]
        if e.fn is B.LEN:
            return f"len({args[0]})" if isinstance(e.args[0].t, SeqT) else f"({args[0]}).bit_count()"
        if e.fn is B.MIN or e.fn is B.MAX:
            # the lowest (highest) set bit of the mask, as a compact element; none when empty
            elem = e.args[0].t.elem  # type: ignore[attr-defined]
            base = self.enc.base if isinstance(elem, IntT) else 0
            return f"_{e.fn.value}bit({args[0]}, {base}, {isinstance(elem, BoolT)})"
        k = self.rt.span(e.span)
        cap = e.args[0].t.cap  # type: ignore[attr-defined]
        if e.fn is B.APPEND:
            return f"_append({k}, {args[0]}, {args[1]}, {cap})"
        if e.fn is B.INSERT:
            return f"_insert({k}, {args[0]}, {args[1]}, {args[2]}, {cap})"
        if e.fn is B.REMOVE:
            return f"_remove({args[0]}, {args[1]})"
        if e.fn is B.INDEX:
            return f"_index({k}, {args[0]}, {args[1]})"
        raise AssertionError(e.fn)

    def reach(self, e: M.Call) -> str:
        """reach(f, x); when f is a location of the state holding cells, its cells are
        read from the packed state directly instead of unpacking f whole."""
        f, x = e.args
        ft = f.t
        assert isinstance(ft, FnT)
        k = self.rt.span(e.span)
        dom = ft.dom
        if isinstance(dom, IntT):
            assert dom.lo is not None and dom.hi is not None
            ilo, n, blo = dom.lo, dom.hi - dom.lo + 1, self.enc.base
        else:
            ilo, n, blo = 0, M.type_size(dom), 0
        p = self.place(f) if is_cell(ft.rng) else None
        if p is not None:  # f first, then x, as the interpreter evaluates them
            bits = self.raw(*p)
            lo, opt = self.lay.cell_lo(ft.rng), isinstance(ft.rng, OptT)
            return (f"_reach_bits({k}, {bits}, {self.ex(x)}, {self.lay.width(ft.rng)}, {lo}, "
                    f"{opt}, {ilo}, {n}, {blo})")
        return f"_reach({k}, {self.ex(f)}, {self.ex(x)}, {ilo}, {n}, {blo})"

    # ------------------------------------------------------------------ stores
    def store_check(self, depth: int, code: str, vt: Type, t: Type, span: Span, where: str) -> None:
        if fits_statically(vt, t):
            return
        k = self.rt.span(span)
        self.rt.types.append(t)
        self.rt.wheres.append(where)
        j = len(self.rt.types) - 1
        inner = t.inner if isinstance(t, OptT) else t
        if isinstance(inner, IntT) and inner.lo is not None:
            test = f"not ({inner.lo} <= {code} <= {inner.hi})"
            if isinstance(t, OptT):
                test = f"{code} is not None and {test}"
            elif isinstance(vt, OptT | NoneT):
                test = f"{code} is None or {test}"
        elif isinstance(inner, AtomT | BoolT):
            test = f"{code} is None"
        else:
            test = f"_fails({j}, {code})"
        self.emit(depth, f"if {test}: _store_fail({k}, {j}, {code})")

    def assign(self, depth: int, s: M.Assign) -> None:
        var = self.model.vars[s.var]
        if any(step.kind == "seq" for step in s.path):
            self.assign_whole(depth, s)
            return
        off: int | str = self.lay.offsets[s.var]
        t, where = var.t, s.name
        for step in s.path:  # keys first, left to right, each checked
            if step.kind == "field":
                assert isinstance(t, RecT) and isinstance(step.key, str)
                off = self.add(off, self.lay.field_offset(t, step.key))
                t = t.field_type(step.key)  # type: ignore[assignment]
                where += f".{step.key}"
            else:
                assert isinstance(t, FnT) and isinstance(step.key, M.Expr)
                off = self.add(off, self.mul(self.key_index(t.dom, step.key, step.span),
                                             self.lay.width(t.rng)))
                t = t.rng
                where += "[...]"
            if isinstance(off, str) and not off.isidentifier():  # evaluate it once, now
                tmp = self.tmp()
                self.emit(depth, f"{tmp} = {off}")
                off = tmp
        val = self.ex(s.value)
        if not (_is_int(val) or val in ("True", "False", "None")):
            tmp = self.tmp()
            self.emit(depth, f"{tmp} = {val}")
            val = tmp
        self.store_check(depth, val, s.value.t, s.target_t, s.span, where)
        self.write(depth, off, t, self.encode_cell(val, t))

    def assign_whole(self, depth: int, s: M.Assign) -> None:
        """A path through a sequence: update the variable's compact value, pack it back."""
        var = self.model.vars[s.var]
        where = s.name
        conts, idxs = [self.tmp()], []
        self.emit(depth, f"{conts[0]} = {self.ex(M.VarRef(s.var, s.name, var.t))}")
        for n, step in enumerate(s.path):  # keys first, left to right, each checked
            cur = conts[-1]
            if step.kind == "field":
                assert isinstance(step.container, RecT)
                idx = str([n for n, _ in step.container.fields].index(step.key))  # type: ignore[arg-type]
                where += f".{step.key}"
            elif step.kind == "fn":
                assert isinstance(step.container, FnT) and isinstance(step.key, M.Expr)
                idx = self.tmp()
                self.emit(depth, f"{idx} = {self.key_index(step.container.dom, step.key, step.span)}")
                where += "[...]"
            else:
                assert isinstance(step.key, M.Expr)
                idx, k = self.tmp(), self.rt.span(step.span)
                self.emit(depth, f"{idx} = {self.ex(step.key)}")
                self.emit(depth, f"if not 0 <= {idx} < len({cur}): _idx({k}, {idx}, {cur})")
                where += "[...]"
            idxs.append(idx)
            if n < len(s.path) - 1:
                nxt = self.tmp()
                self.emit(depth, f"{nxt} = {cur}[{idx}]")
                conts.append(nxt)
        val = self.tmp()
        self.emit(depth, f"{val} = {self.ex(s.value)}")
        self.store_check(depth, val, s.value.t, s.target_t, s.span, where)
        for cur, idx in zip(reversed(conts), reversed(idxs)):
            new = self.tmp()  # a list round trip is the fastest tuple update in CPython
            self.emit(depth, f"{new} = list({cur}); {new}[{idx}] = {val}; {new} = tuple({new})")
            val = new
        self.write(depth, self.lay.offsets[s.var], var.t, self.encode_cell(val, var.t))

    # ------------------------------------------------------------------ statements
    def block(self, depth: int, stmts: tuple[M.Stmt, ...], done: list[str]) -> None:
        """Statements of a normalized list; `done` are the lines that yield a successor."""
        for s in stmts:
            self.where = _span(s)
            if isinstance(s, M.Assign):
                self.assign(depth, s)
            elif isinstance(s, M.Let):
                self.emit(depth, f"{py_local(s.name)} = {self.ex(s.value)}")
            elif isinstance(s, M.If):
                self.emit(depth, f"if {self.ex(s.cond)}:")
                self.block_plain(depth + 1, s.then)
                if s.orelse:
                    self.emit(depth, "else:")
                    self.block_plain(depth + 1, s.orelse)
            elif isinstance(s, M.Require):
                self.emit(depth, f"if not {self.ex(s.cond)}: continue")
            elif isinstance(s, M.Assert):
                k = self.rt.span(s.span)
                self.rt.msgs.extend([""] * (len(self.rt.spans) - len(self.rt.msgs)))
                self.rt.msgs[k] = s.message
                if s.name is not None:
                    self.rt.names[k] = s.name
                self.emit(depth, f"if not {self.ex(s.cond)}: _assert_fail({k})")
            elif isinstance(s, M.Fail):
                k = self.rt.span(s.span)
                self.rt.errors[k] = (s.code, s.message)
                self.emit(depth, f"_fail({k})")
            elif isinstance(s, M.Either):
                save = self.tmp()
                self.emit(depth, f"{save} = w")
                self.emit(depth, f"for _b in range({len(s.branches)}):")
                self.emit(depth + 1, f"w = {save}")
                for j, br in enumerate(s.branches):
                    self.emit(depth + 1, f"{'if' if j == 0 else 'elif'} _b == {j}:")
                    self.emit(depth + 2, "pass")
                    self.block(depth + 2, br, done)
                return
            else:
                raise AssertionError(s)
        for line in done:
            self.emit(depth, line)

    def block_plain(self, depth: int, stmts: tuple[M.Stmt, ...]) -> None:
        """An `if` branch without `either` (normalize moved those out)."""
        self.emit(depth, "pass")
        for s in stmts:
            if isinstance(s, M.Either):
                raise AssertionError("either inside if after normalize")
            self.block(depth, (s,), [])

    # ------------------------------------------------------------------ functions
    def action(self, aid: int, a: M.Action) -> None:
        """`b<i>(s)` lists (state, binding) pairs: the successor contract's `expand`."""
        self.emit(0, f"def b{aid}(s):  # action {a.name}")
        self.emit(1, "res = []")
        self.action_code(aid, a, 1, lambda bind: [f"res.append((w, {bind}))"])
        self.emit(1, "return res")

    def fused(self) -> None:
        """`succ(s, seen, fired)`: every action inline, one call per state. Counts each
        action's successors into `fired` and returns ([(new state, action), ...], total),
        leaving out states already in `seen` (the search's hot path)."""
        acts = self.model.actions
        self.emit(0, "def succ(s, seen, fired):")
        self.start_hoisting()
        self.emit(1, "res = []")
        for aid, a in enumerate(acts):
            self.emit(1, f"n{aid} = 0  # action {a.name}")
            self.action_code(aid, a, 1, lambda bind, aid=aid: [
                f"n{aid} += 1", f"if w not in seen: res.append((w, {aid}))"])
            self.emit(1, f"if n{aid}: fired[{aid}] += n{aid}")
        self.emit(1, f"return res, {' + '.join(f'n{i}' for i in range(len(acts))) or '0'}")
        self.stop_hoisting()

    def start_hoisting(self) -> None:
        self.hoist, self.hoist_at = {}, len(self.lines)

    def stop_hoisting(self) -> None:
        """Insert the collected reads of `s` at the top of the function just generated."""
        assert self.hoist is not None
        reads = [f"    {name} = " + (f"s & {mask}" if off == 0 else f"(s >> {off}) & {mask}")
                 for (off, mask), name in self.hoist.items()]
        self.lines[self.hoist_at:self.hoist_at] = reads
        self.origin[self.hoist_at:self.hoist_at] = [self.where] * len(reads)
        self.hoist = None

    def action_code(self, aid: int, a: M.Action, base: int,
                    done: Callable[[str], list[str]]) -> None:
        """An action's bindings at indentation `base`; `done(binding)` yields a successor."""
        body = normalize(a.body)
        self.src = "s"  # domains and the guard read the state as it is
        self.where = a.span
        loops = a.params or ()
        combos = self.bindings(loops)
        if combos is not None:
            self.unrolled(aid, a, body, loops, combos, base, done)
            return
        for b in loops:  # stale values would make a wrong partial binding below
            self.emit(base, f"{py_local(b.name)} = _U")
        self.emit(base, "try:")
        depth = base + 1
        if not loops:
            self.emit(depth, "for _once in (0,):")
            depth += 1
        for b in loops:
            self.emit(depth, f"for {py_local(b.name)} in {self.elems(b.domain)}:")
            depth += 1
        self.emit(depth, "try:")
        depth += 1
        if a.guard is not None:
            self.where = _span(a.guard)
            self.emit(depth, f"if not {self.ex(a.guard)}: continue")
        self.emit(depth, "w = s")
        self.src, self.dirty = "w", []  # the body reads its own writes
        bind = "(" + "".join(f"{py_local(b.name)}, " for b in loops) + ")"
        self.block(depth, body, done(bind))
        self.src, self.dirty = "s", None
        self.emit(depth - 1, "except _Fault as _e:")
        self.emit(depth, f"_e.binding, _e.action = {bind}, {aid}")
        self.emit(depth, "raise")
        # a fault while evaluating a parameter's domain: bind the parameters so far
        for n in range(len(loops) - 1, 0, -1):
            self.emit(base + 1 + n, f"{py_local(loops[n].name)} = _U")
        self.emit(base, "except _Fault as _e:")
        self.emit(base + 1, "if not hasattr(_e, 'binding'):")
        names = ", ".join(f"'{py_local(b.name)}'" for b in loops)
        self.emit(base + 2, f"_e.binding = tuple(x for x in map(locals().get, "
                  f"({names}{',' if loops else ''}), [_U] * {len(loops)}) if x is not _U)")
        self.emit(base + 2, f"_e.action = {aid}")
        self.emit(base + 1, "raise")

    def bindings(self, loops: tuple[M.Binder, ...]) -> list[tuple[str, ...]] | None:
        """The literal bindings of parameters over small literal domains, in exploration
        order; None when the loops must stay loops."""
        if not loops or not all(isinstance(b.domain, M.Lit) for b in loops):
            return None
        combos: list[tuple[str, ...]] = [()]
        for b in loops:
            vals = sorted(self.enc.encode(b.domain.t.elem, x) for x in b.domain.value)  # type: ignore[attr-defined]
            combos = [c + (repr(v),) for c in combos for v in vals]
            if len(combos) > 32:
                return None
        return combos

    def unrolled(self, aid: int, a: M.Action, body: tuple[M.Stmt, ...],
                 loops: tuple[M.Binder, ...], combos: list[tuple[str, ...]], base: int,
                 done: Callable[[str], list[str]]) -> None:
        """One straight block per binding: parameters are constants, so offsets fold."""
        needs_loop = _top_require(body)
        for combo in combos:
            self.subst = {b.name: v for b, v in zip(loops, combo)}
            bind = "(" + "".join(f"{v}, " for v in combo) + ")"
            depth = base
            if needs_loop:  # `require` abandons the binding with `continue`
                self.emit(depth, "for _once in (0,):")
                depth += 1
            self.emit(depth, "try:")
            depth += 1
            self.src = "s"
            self.where = a.span
            if a.guard is not None:
                self.where = _span(a.guard)
                guard = self.ex(a.guard)
                if guard == "False":
                    self.pop()
                    if needs_loop:
                        self.pop()
                    continue
                if needs_loop:
                    self.emit(depth, f"if not {guard}: continue")
                else:
                    self.emit(depth, f"if {guard}:")
                    depth += 1
            self.emit(depth, "w = s")
            self.src, self.dirty = "w", []
            self.block(depth, body, done(bind))
            self.src, self.dirty = "s", None
            at = base + (1 if needs_loop else 0)
            self.emit(at, "except _Fault as _e:")
            self.emit(at + 1, f"_e.binding, _e.action = {bind}, {aid}")
            self.emit(at + 1, "raise")
        self.subst = {}

    def init(self) -> None:
        """`initial()` yields the initial states one by one: the search counts them
        against its limits as they come, so a huge product is never built whole."""
        self.src = "w"  # a later item reads what earlier items assigned
        self.emit(0, "def initial():")
        self.emit(1, "w = 0")
        depth = 1
        for it in self.model.init:
            self.where = it.span
            var = self.model.vars[it.var]
            x = self.tmp()
            if it.choice:
                self.emit(depth, f"for {x} in {self.elems(it.expr)}:")
                depth += 1
                self.store_check(depth, x, it.expr.t.elem, var.t, it.span, var.name)  # type: ignore[attr-defined]
            else:
                self.emit(depth, f"{x} = {self.ex(it.expr)}")
                self.store_check(depth, x, it.expr.t, var.t, it.span, var.name)
            self.write(depth, self.lay.offsets[it.var], var.t, self.encode_cell(x, var.t))
        self.emit(depth, "yield w")
        self.src = "s"

    def invariants(self) -> None:
        self.emit(0, "def invariants(s):")
        self.start_hoisting()
        for i, inv in enumerate(self.model.invariants):
            # a helper is a lemma for the induction engine, not a goal: the search skips it,
            # and the indexes stay those of model.invariants
            if not inv.helper:
                self.where = _span(inv.expr)
                self.emit(1, f"if not {self.ex(inv.expr)}: return {i}  # {i}")
        self.emit(1, "return -1")
        self.stop_hoisting()

    def terminal(self) -> None:
        self.emit(0, "def terminal(s):")
        assert self.model.terminal is not None
        self.where = _span(self.model.terminal)
        self.emit(1, f"return {self.ex(self.model.terminal)}")

    def consts(self) -> None:
        for c in self.model.consts:
            self.where = c.span
            self.emit(0, f"{py_const(c.name)} = {self.ex(c.expr)}")


@contextlib.contextmanager
def _long_literals() -> Iterator[None]:
    """Lift Python's limit on converting integers to and from decimal text while code is
    generated and compiled: the packed states (and masks) of large types are integers of
    thousands of digits, written into the source as literals. The limit guards parsers of
    untrusted numbers; these are ours, as large as the state layout."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def compile_model(model: M.Model) -> CompiledModel:
    with _long_literals():
        return _compile_model(model)


def _compile_model(model: M.Model) -> CompiledModel:
    enc = Encoding(_int_base(model))
    rt = _Runtime(enc)
    rt.lay = Layout(model, enc)
    g = _Gen(model, rt)
    g.consts()
    g.init()
    g.fused()
    g.invariants()
    if model.terminal is not None:
        g.terminal()
    source = "\n".join(g.lines) + "\n"
    origin = g.origin
    ns: dict[str, Any] = {
        "_Fault": (EvalError, AssertFailure), "_bits": _bits, "_unwrap": rt.unwrap,
        "_at": rt.at, "_key": rt.key, "_getitem": operator.getitem, "_U": _UNBOUND, "_ibits": rt.ibits,
        "_bbits": rt.bbits, "_mkset": _mkset, "_none": rt.none, "_dom": rt.dom, "_idx": rt.idx,
        "_floordiv": rt.floordiv, "_mod": rt.mod, "_append": rt.append, "_insert": rt.insert,
        "_index": rt.index, "_remove": rt.remove, "_rng": rt.rng, "_fails": rt.fails,
        "_range": rt.range_iter, "_inrange": rt.inrange,
        "_store_fail": rt.store_fail, "_assert_fail": rt.assert_fail, "_fail": rt.fail, "_pack": rt.pack,
        "_unpack": rt.unpack, "_dopt": rt.dopt, "_fit": rt.fit, "_reach": rt.reach,
        "_reach_bits": rt.reach_bits, "_minbit": _minbit, "_maxbit": _maxbit,
    }
    _run(source, origin, model, ns)

    def build_actions() -> list[Callable[[int], list[tuple[int, tuple]]]]:
        with _long_literals():
            return _build_actions()

    def _build_actions() -> list[Callable[[int], list[tuple[int, tuple]]]]:
        ga = _Gen(model, rt)  # same runtime tables, same namespace (consts are shared)
        ga.ntmp = g.ntmp
        for aid, a in enumerate(model.actions):
            ga.action(aid, a)
        _run("\n".join(ga.lines) + "\n", ga.origin, model, ns)
        return [ns[f"b{i}"] for i in range(len(model.actions))]

    return CompiledModel(model, source, ns["initial"], ns["succ"], ns["invariants"],
                         ns.get("terminal"), enc, rt.lay, build_actions)


def _run(source: str, origin: list[Span], model: M.Model, ns: dict[str, Any]) -> None:
    try:
        code = compile(source, f"<generated from {model.path}>", "exec")
    except (SyntaxError, RecursionError) as e:
        raise _too_complex(source, origin, e) from None
    exec(code, ns)  # noqa: S102 - source built only from validated identifiers and encoded values


def _span(x: M.Expr | M.Stmt) -> Span:
    return getattr(x, "span", M.NOSPAN)


def _too_complex(source: str, origin: list[Span], e: SyntaxError | RecursionError) -> SpecError:
    """Python refused the generated code (too many nested parentheses or blocks, or too
    deep to compile): a spec error at the spec text that line was generated for. (The
    elaborator bounds nesting and size; this is what a construct's own code adds.)"""
    lines = source.split("\n")
    n = getattr(e, "lineno", None)
    if not n or not 0 < n <= len(origin):  # no line given: the most deeply nested one
        depth = [max(itertools.accumulate((c in "([{") - (c in ")]}") for c in line),
                     default=0) for line in lines[:len(origin)]]
        n = depth.index(max(depth)) + 1 if depth else 1
    why = getattr(e, "msg", None) or str(e)
    return SpecError([Diagnostic(
        "E2005", f"the explicit engine cannot compile the code for this ({why}): it is "
        "nested too deeply, or has too many nested loops and choices", origin[n - 1],
        notes=("simplify it or split it (several smaller defs, actions or invariants); "
               "--engine bmc or prove may still run it",))])
