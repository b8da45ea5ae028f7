"""Emission: the model's IR -> Python source over packed states (see compile.py for the
shape of the generated code).

The emitter walks the IR with an explicit `Frame` saying what the code being generated
may assume (which packed state reads see, the reads hoisted to the top of the function,
the cells the body wrote so far, whether the code sits in a comprehension's iterable); the
output buffer `Code` owns the lines and the pending constant writes it merges. Folding is
not done here: the model is folded before (normalize.fold_model), and so is each binding
emission unrolls (a quantifier or an action over a small literal domain: the names become
literals, normalize.substitute, then fold). Spec text never reaches the source: identifiers come from
explorer.symbols (`l_`, `C_`), values are encoded, messages and spans go to the runtime's
tables (runtime.py).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, assert_never

from explorer import model as M
from explorer.explicit.layout import is_cell
from explorer.explicit.normalize import (
    fold,
    fold_stmts,
    normalize,
    substitute,
    substitute_stmts,
    top_require,
)
from explorer.explicit.runtime import Runtime
from explorer.model import AtomT, BoolT, FnT, IntT, NoneT, OptT, RecT, SeqT, SetT, Span, Type
from explorer.symbols import py_const, py_local
from explorer.types import fits_statically
from explorer.values import Value, sort_key

Hoist = dict[tuple[int, int], str]  # (offset, mask) of a read of `s` -> its local


@dataclass
class Frame:
    """What the code being generated may assume. A frame is derived (`replace`) for an
    inner context; `hoist` and `dirty` are shared with the frame they came from."""

    src: str = "s"  # the packed state that reads see: `s` (guards, invariants) or `w`
    hoist: Hoist | None = None  # reads of `s` done once, at the top of the function
    # cells written so far in the body being generated; None: treat all as written
    dirty: list[tuple[int, int]] | None = None
    in_iter: bool = False  # inside a comprehension's iterable, where Python forbids `:=`


class Code:
    """The lines generated, the spec text each was generated for, and the constant writes
    collected but not yet emitted (merged into one statement)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.origin: list[Span] = []
        self.pending: tuple[int, int, int] | None = None  # (depth, keep mask, bits) to write

    def emit(self, depth: int, line: str, where: Span) -> None:
        if self.pending is not None:
            self.flush(where)
        self.lines.append("    " * depth + line)
        self.origin.append(where)

    def pop(self) -> None:
        self.lines.pop()
        self.origin.pop()

    def flush(self, where: Span) -> None:
        """Emit the constant writes collected by `write_const` as one statement."""
        assert self.pending is not None
        depth, keep, put = self.pending
        self.pending = None
        pad, src = "    " * depth, "w"
        if self.lines and self.lines[-1] == pad + "w = s":  # start from s directly
            self.pop()
            src = "s"
        self.lines.append(pad + f"w = ({src} & {keep})" + (f" | {put}" if put else ""))
        self.origin.append(where)

    def write_const(self, depth: int, keep: int, put: int, where: Span) -> None:
        """w = (w & keep) | put, merged with the constant writes just before it."""
        if self.pending is not None and self.pending[0] == depth:
            _, k0, p0 = self.pending
            self.pending = (depth, k0 & keep, (p0 & keep) | put)
            return
        if self.pending is not None:
            self.flush(where)
        self.pending = (depth, keep, put)


def elem_type(e: M.Expr) -> Type:
    """The element type of a set-valued expression."""
    t = ty(e)
    assert isinstance(t, SetT), t
    return t.elem


def ty(e: M.Expr) -> Type:
    """The type of an IR expression (every kind has one)."""
    return e.t


def field_type(t: RecT, name: str) -> Type:
    ft = t.field_type(name)
    assert ft is not None, name
    return ft


def _unseen(aid: int, bind: str) -> list[str]:
    """The lines of the fused `Unseen` sink for one successor `w` of action `aid`."""
    return [f"n{aid} += 1", f"if w not in seen: res.append((w, {aid}))"]


def _is_target(e: M.Expr, s: M.Assign) -> bool:
    """Is e the location s assigns (the same variable, keys, fields and indexes)?"""
    for step in reversed(s.path):
        if step.kind == "fn" and isinstance(e, M.Apply) and e.x == step.key:
            e = e.f
        elif step.kind == "field" and isinstance(e, M.Field) and e.name == step.key:
            e = e.r
        elif step.kind == "seq" and isinstance(e, M.Index) and e.i == step.key:
            e = e.s
        else:
            return False
    return isinstance(e, M.VarRef) and e.index == s.var


def is_int(code: str) -> bool:
    return code.lstrip("-").isdigit()


def span_of(x: M.Expr | M.Stmt) -> Span:
    return getattr(x, "span", M.NOSPAN)


class Emitter:
    """Generates the functions of one compiled model into `code`, filling the runtime's
    tables (spans, messages, types) as it goes."""

    def __init__(self, model: M.Model, rt: Runtime) -> None:
        self.model = model
        self.rt = rt
        self.enc = rt.enc
        self.lay = rt.lay
        self.code = Code()
        self.where: Span = M.NOSPAN  # the spec text being generated for
        self.ntmp = 0

    # ------------------------------------------------------------------ plumbing
    @property
    def lines(self) -> list[str]:
        return self.code.lines

    @property
    def origin(self) -> list[Span]:
        """Per line: the spec text it was generated for."""
        return self.code.origin

    def emit(self, depth: int, line: str) -> None:
        self.code.emit(depth, line, self.where)

    def pop(self) -> None:
        self.code.pop()

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

    def elem_at(self, off: int | str, t: SeqT, i: int | str) -> int | str:
        """The bit offset of element i of the sequence of type t stored at `off`."""
        return self.add(self.add(off, self.lay.len_width(t)),
                        self.mul(str(i), self.lay.width(t.elem)))

    def place(self, fr: Frame, e: M.Expr) -> tuple[int | str, Type] | None:
        """(bit offset, type) of a read through function keys and record fields of a state
        variable; None for anything else. Key code (with its checks) is generated here."""
        if isinstance(e, M.VarRef):
            return self.lay.offsets[e.index], e.t
        if isinstance(e, M.Apply):
            p = self.place(fr, e.f)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, FnT)
            idx = self.key_index(fr, t.dom, e.x, e.span)
            return self.add(off, self.mul(idx, self.lay.width(t.rng))), t.rng
        if isinstance(e, M.Field):
            p = self.place(fr, e.r)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, RecT)
            return self.add(off, self.lay.field_offset(t, e.name)), field_type(t, e.name)
        if isinstance(e, M.Index) and not fr.in_iter:  # an element: a shift, no unpacking
            p = self.place(fr, e.s)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, SeqT)
            k, i = self.rt.span(e.span), self.tmp()
            bind = ""
            if isinstance(off, str) and not off.isidentifier():  # the keys, once and first
                o = self.tmp()
                bind, off = f"({o} := {off}), ", o
            n = self.raw_bits(fr, off, self.lay.len_width(t))
            icode = self.ex(fr, e.i)
            if is_int(icode) and int(icode) >= 0:
                at = self.elem_at(off, t, icode)
                code = f"({at} if {n} > {icode} else _idxn({k}, {icode}, {n}))"
            else:  # the sequence, then the index, as the interpreter evaluates them
                at = self.elem_at(off, t, i)
                code = f"({at} if 0 <= ({i} := {icode}) < {n} else _idxn({k}, {i}, {n}))"
            return (f"({bind}{code})[1]" if bind else code), t.elem
        return None

    def raw(self, fr: Frame, off: int | str, t: Type) -> str:
        return self.raw_bits(fr, off, self.lay.width(t))

    def raw_bits(self, fr: Frame, off: int | str, width: int) -> str:
        """The `width` bits at `off` of the state reads see."""
        mask = (1 << width) - 1
        if fr.src == "w" and fr.dirty is not None and isinstance(off, int) and not any(
                o < off + width and off < o + n for o, n in fr.dirty):
            # not written yet in this binding: read the state as it was
            return self.raw_bits(replace(fr, src="s"), off, width)
        if fr.hoist is not None and fr.src == "s" and isinstance(off, int):
            return fr.hoist.setdefault((off, mask), f"_r{len(fr.hoist)}")
        if off == 0:
            return f"({fr.src} & {mask})"
        return f"(({fr.src} >> {off}) & {mask})"

    def read(self, fr: Frame, off: int | str, t: Type) -> str:
        raw = self.raw(fr, off, t)
        if not is_cell(t):
            return f"_unpack({self.ptype(t)}, {raw})"
        lo = self.lay.cell_lo(t)
        if isinstance(t, OptT):
            if fr.in_iter:
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
        if val in ("None", "True", "False") or is_int(val):  # a literal: encode it now
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

    def write(self, fr: Frame, depth: int, off: int | str, t: Type, raw: str) -> None:
        self.write_bits(fr, depth, off, self.lay.width(t), raw)

    def write_bits(self, fr: Frame, depth: int, off: int | str, width: int, raw: str) -> None:
        """w's `width` bits at `off` := raw."""
        mask = (1 << width) - 1
        if fr.dirty is not None:
            if isinstance(off, int):
                fr.dirty.append((off, width))
            else:
                fr.dirty = None  # a computed offset: anything may have changed
        if isinstance(off, int) and is_int(raw):  # constant: merge with its neighbours
            self.code.write_const(depth, ~(mask << off), int(raw) << off, self.where)
            return
        if isinstance(off, int):
            keep = str(~(mask << off))
            if is_int(raw):
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
        if not isinstance(t, IntT | BoolT | AtomT):  # a compound element: its rank
            return f"_rank[{self.enc.table(t)}][{code}]"
        return code

    def elems(self, fr: Frame, dom: M.Expr) -> str:
        """Code iterating the compact elements of a set expression, in canonical order."""
        elem = elem_type(dom)
        if isinstance(dom, M.Lit):
            vals = [self.enc.encode(elem, x) for x in sorted(dom.value, key=sort_key)]
            return repr(tuple(vals))
        it = replace(fr, in_iter=True)
        if isinstance(dom, M.RangeSet):  # lazily, never as a set: it may be huge
            return f"_range({self.ex(it, dom.lo)}, {self.ex(it, dom.hi)})"
        code = self.ex(it, dom)
        if isinstance(elem, IntT):
            return f"_ibits({code})"
        if isinstance(elem, BoolT):
            return f"_bbits({code})"
        if not isinstance(elem, AtomT):
            return f"_elems(_unrank[{self.enc.table(elem)}], {code})"
        return f"_bits({code})"

    def pure(self, e: M.Expr) -> bool:
        return isinstance(e, M.VarRef | M.Local | M.ConstRef | M.Lit)

    def ex(self, fr: Frame, e: M.Expr) -> str:
        match e:
            case M.Lit():
                return self.const(e.value, e.t)
            case M.VarRef():
                return self.read(fr, self.lay.offsets[e.index], e.t)
            case M.ConstRef():
                return py_const(e.name)
            case M.Local():
                return py_local(e.name)
            case M.Unwrap():
                t, k = self.tmp(), self.rt.span(e.span)
                if fr.in_iter:
                    return f"_unwrap({k}, {self.ex(fr, e.e)})"
                return f"({t} if ({t} := {self.ex(fr, e.e)}) is not None else _none({k}))"
            case M.Fit():
                return self.fit(fr, e)
            case M.Not():
                return f"(not {self.ex(fr, e.e)})"
            case M.Neg():
                return f"(-{self.ex(fr, e.e)})"
            case M.BinOp():
                return self.binop(fr, e)
            case M.RangeSet():
                return f"_rng({self.ex(fr, e.lo)}, {self.ex(fr, e.hi)})"
            case M.Apply():
                return self.apply(fr, e)
            case M.Index():
                p = self.place(fr, e)
                if p is not None:
                    return self.read(fr, *p)
                k = self.rt.span(e.span)
                s, i = self.tmp(), self.tmp()
                if fr.in_iter:
                    return f"_at({k}, {self.ex(fr, e.s)}, {self.ex(fr, e.i)})"
                # the sequence is evaluated before the index, as in the interpreter
                return (f"(({s} := {self.ex(fr, e.s)}), ({i} := {self.ex(fr, e.i)}), "
                        f"{s}[{i}] if 0 <= {i} < len({s}) else _idx({k}, {i}, {s}))[2]")
            case M.Slice():
                lo = f"max({self.ex(fr, e.lo)}, 0)" if e.lo is not None else ""
                hi = f"max({self.ex(fr, e.hi)}, 0)" if e.hi is not None else ""
                return f"{self.ex(fr, e.s)}[{lo}:{hi}]"
            case M.Field():
                p = self.place(fr, e)
                if p is not None:
                    return self.read(fr, *p)
                rec = ty(e.r)
                assert isinstance(rec, RecT)
                idx = [n for n, _ in rec.fields].index(e.name)
                return f"{self.ex(fr, e.r)}[{idx}]"
            case M.Call():
                return self.call(fr, e)
            case M.SetLit():
                if not e.elems:
                    return "0"
                return "(" + " | ".join(f"(1 << {self.bit(ty(x), self.ex(fr, x))})"
                                        for x in e.elems) + ")"
            case M.SeqLit():
                return "(" + "".join(f"{self.ex(fr, x)}, " for x in e.elems) + ")"
            case M.RecLit():
                return "(" + "".join(f"{self.ex(fr, x)}, " for _, x in e.fields) + ")"
            case M.Ite():
                return f"({self.ex(fr, e.a)} if {self.ex(fr, e.c)} else {self.ex(fr, e.b)})"
            case M.Quant():
                unrolled = self.unroll(fr, e)
                if unrolled is not None:
                    return unrolled
                fors = self.fors(fr, e.binders)
                body = self.ex(fr, e.body)
                return f"{'all' if e.forall else 'any'}({body} {fors})"
            case M.Filter():
                b = e.binder
                bit = self.bit(elem_type(b.domain), py_local(b.name))
                pred = self.ex(fr, e.pred)
                return f"sum(1 << {bit} {self.fors(fr, (b,))} if {pred})"
            case M.MapSet():
                img = self.ex(fr, e.e)
                return f"_mkset(1 << {self.bit(ty(e.e), img)} {self.fors(fr, e.binders)})"
            case M.FnComp() if isinstance(e.binder.domain, M.Lit) and len(
                    e.binder.domain.value) <= 64:  # a tuple display, one element per key
                b = e.binder
                parts = [self.ex(fr, fold(substitute(e.e, {b.name: x})))
                         for x in self.literal_values(e.binder.domain)]
                return "(" + "".join(f"{p}, " for p in parts) + ")"
            case M.FnComp():
                b = e.binder
                return f"tuple({self.ex(fr, e.e)} {self.fors(fr, (b,))})"
            case _:
                assert_never(e)

    def fit(self, fr: Frame, e: M.Fit) -> str:
        code = self.ex(fr, e.e)
        if fits_statically(ty(e.e), e.t):
            return code
        k = self.rt.span(e.span)
        self.rt.types.append(e.t)
        self.rt.wheres.append(e.what)
        j = len(self.rt.types) - 1
        if isinstance(e.t, IntT) and e.t.lo is not None and not fr.in_iter:
            t = self.tmp()
            return f"({t} if {e.t.lo} <= ({t} := {code}) <= {e.t.hi} else _store_fail({k}, {j}, {t}))"
        return f"_fit({k}, {j}, {code})"

    def fors(self, fr: Frame, binders: tuple[M.Binder, ...]) -> str:
        """`for` clauses (a later domain sees the earlier binders)."""
        out = []
        for b in binders:
            out.append(f"for {py_local(b.name)} in {self.elems(fr, b.domain)}")
        return " ".join(out)

    def unroll(self, fr: Frame, e: M.Quant) -> str | None:
        """`forall`/`exists` over small literal domains as an and/or chain with each
        binder replaced by its value: no generator, no call per evaluation."""
        combos = self.combos(e.binders, 16)
        if combos is None:
            return None
        assert combos, "folded: a quantifier over an empty literal domain"
        parts = [self.ex(fr, fold(substitute(e.body, dict(zip(names, c)))))
                 for names, c in ((tuple(b.name for b in e.binders), c) for c in combos)]
        return "(" + (" and " if e.forall else " or ").join(parts) + ")"

    def literal_values(self, dom: M.Expr) -> list[Value]:
        """The values of a literal domain, in exploration order (that of their codes)."""
        assert isinstance(dom, M.Lit)
        return sorted(dom.value, key=sort_key)

    def combos(self, binders: tuple[M.Binder, ...], most: int) -> list[tuple[Value, ...]] | None:
        """The bindings of binders over literal domains, in exploration order; None when a
        domain is not a literal or there are more than `most`."""
        if not all(isinstance(b.domain, M.Lit) for b in binders):
            return None
        combos: list[tuple[Value, ...]] = [()]
        for b in binders:
            combos = [c + (x,) for c in combos for x in self.literal_values(b.domain)]
            if len(combos) > most:
                return None
        return combos

    def binop(self, fr: Frame, e: M.BinOp) -> str:
        O = M.Op
        op = e.op
        match op:
            case O.AND:
                return f"({self.ex(fr, e.a)} and {self.ex(fr, e.b)})"
            case O.OR:
                return f"({self.ex(fr, e.a)} or {self.ex(fr, e.b)})"
            case O.IMPLIES:
                return f"(not {self.ex(fr, e.a)} or {self.ex(fr, e.b)})"
            case O.EQ | O.NE:
                return self.equality(fr, e, op is O.NE)
            case O.IFF:
                return f"({self.ex(fr, e.a)} == {self.ex(fr, e.b)})"
            case O.LT | O.LE | O.GT | O.GE:
                return f"({self.ex(fr, e.a)} {op.value} {self.ex(fr, e.b)})"
            case O.ADD | O.SUB | O.MUL | O.UNION | O.INTER:
                sym = {O.ADD: "+", O.SUB: "-", O.MUL: "*", O.UNION: "|", O.INTER: "&"}[op]
                return f"({self.ex(fr, e.a)} {sym} {self.ex(fr, e.b)})"
            case O.MINUS:
                return f"({self.ex(fr, e.a)} & ~{self.ex(fr, e.b)})"
            case O.CONCAT:  # tuples of compact elements
                return f"({self.ex(fr, e.a)} + {self.ex(fr, e.b)})"
            case O.SUBSET:
                return f"({self.ex(fr, e.a)} & ~{self.ex(fr, e.b)} == 0)"
            case O.IN | O.NOTIN if isinstance(e.b, M.RangeSet):
                # membership in a range is two comparisons, whatever its size (the element
                # first, then the bounds, as the interpreter evaluates them)
                elem, lo, hi = self.ex(fr, e.a), self.ex(fr, e.b.lo), self.ex(fr, e.b.hi)
                if is_int(lo) and is_int(hi):
                    test = f"({lo} <= {elem} <= {hi})"
                else:
                    test = f"_inrange({elem}, {lo}, {hi})"
                return test if op is O.IN else f"(not {test})"
            case O.IN | O.NOTIN:
                a = self.ex(fr, e.a)
                bit = self.bit(ty(e.a), a)
                one = str(1 << int(bit)) if is_int(bit) else f"(1 << {bit})"
                test = "==" if op is O.NOTIN else "!="
                return f"({one} & {self.ex(fr, e.b)} {test} 0)"  # element first, as interp
            case O.DIV | O.MOD | O.POW:
                k = self.rt.span(e.span)
                fn = {O.DIV: "_floordiv", O.MOD: "_mod", O.POW: "_pow"}[op]
                return f"{fn}({k}, {self.ex(fr, e.a)}, {self.ex(fr, e.b)})"
            case _:
                assert_never(op)

    def equality(self, fr: Frame, e: M.BinOp, neg: bool) -> str:
        if isinstance(e.b, M.Lit) and e.b.value is None:
            p = self.place(fr, e.a) if isinstance(ty(e.a), OptT) and is_cell(ty(e.a)) else None
            if p is not None:
                return f"({self.raw(fr, *p)} {'!=' if neg else '=='} 0)"
            return f"({self.ex(fr, e.a)} is {'not ' if neg else ''}None)"
        if isinstance(e.a, M.Lit) and e.a.value is None:
            return f"({self.ex(fr, e.b)} is {'not ' if neg else ''}None)"
        for x, y in ((e.a, e.b), (e.b, e.a)):  # an optional cell against a literal
            xt = ty(x)
            if isinstance(y, M.Lit) and isinstance(xt, OptT) and is_cell(xt):
                p = self.place(fr, x)
                if p is not None:
                    enc = self.encode_cell(repr(self.enc.encode(xt, y.value)), xt)
                    return f"({self.raw(fr, *p)} {'!=' if neg else '=='} {enc})"
        return f"({self.ex(fr, e.a)} {'!=' if neg else '=='} {self.ex(fr, e.b)})"

    def key_index(self, fr: Frame, dom: Type, key: M.Expr, span: Span) -> str:
        """Code for the tuple position of function key `key` (domain-checked if needed)."""
        code = self.ex(fr, key)
        if isinstance(dom, IntT):
            assert dom.lo is not None and dom.hi is not None
            if is_int(code) and dom.lo <= int(code) <= dom.hi:
                return str(int(code) - dom.lo)
            if fits_statically(ty(key), dom):
                return code if dom.lo == 0 else f"({code} - {dom.lo})"
            t, k = self.tmp(), self.rt.span(span)
            n = dom.hi - dom.lo + 1
            if fr.in_iter:
                return f"_key({k}, {code}, {dom.lo}, {n})"
            off = f" - {dom.lo}" if dom.lo else ""
            return f"({t}{off} if 0 <= ({t} := {code}){off} < {n} else _dom({k}, {t}))"
        if not isinstance(dom, BoolT | AtomT):  # a compound key: its position, by table
            return f"_fkey({self.rt.span(span)}, {self.enc.key_table(dom)}, {code})"
        return code

    def apply(self, fr: Frame, e: M.Apply) -> str:
        ft = ty(e.f)
        assert isinstance(ft, FnT)
        p = self.place(fr, e)
        if p is not None:
            return self.read(fr, *p)
        if self.pure(e.f):
            return f"{self.ex(fr, e.f)}[{self.key_index(fr, ft.dom, e.x, e.span)}]"
        if fr.in_iter:
            return f"_getitem({self.ex(fr, e.f)}, {self.key_index(fr, ft.dom, e.x, e.span)})"
        f = self.tmp()
        return f"(({f} := {self.ex(fr, e.f)}), {f}[{self.key_index(fr, ft.dom, e.x, e.span)}])[1]"

    def call(self, fr: Frame, e: M.Call) -> str:
        B = M.Builtin
        fn = e.fn
        if fn is B.REACH:
            return self.reach(fr, e)
        st = ty(e.args[0])
        if fn is B.LEN and isinstance(st, SeqT):
            p = self.place(fr, e.args[0])
            if p is not None:  # the length cell, no unpacking
                return self.raw_bits(fr, p[0], self.lay.len_width(st))
        args = [self.ex(fr, a) for a in e.args]
        match fn:
            case B.LEN:
                return f"len({args[0]})" if isinstance(ty(e.args[0]), SeqT) else f"({args[0]}).bit_count()"
            case B.MIN | B.MAX:
                # the lowest (highest) set bit of the mask, as a compact element; none when empty
                elem = elem_type(e.args[0])
                base = self.enc.base if isinstance(elem, IntT) else 0
                return f"_{fn.value}bit({args[0]}, {base}, {isinstance(elem, BoolT)})"
            case B.APPEND | B.INSERT | B.REMOVE | B.INDEX:
                k = self.rt.span(e.span)
                seq = ty(e.args[0])
                assert isinstance(seq, SeqT), seq
                if fn is B.APPEND:
                    return f"_append({k}, {args[0]}, {args[1]}, {seq.cap})"
                if fn is B.INSERT:
                    return f"_insert({k}, {args[0]}, {args[1]}, {args[2]}, {seq.cap})"
                if fn is B.REMOVE:
                    return f"_remove({args[0]}, {args[1]})"
                return f"_index({k}, {args[0]}, {args[1]})"
            case _:
                assert_never(fn)

    def reach(self, fr: Frame, e: M.Call) -> str:
        """reach(f, x); when f is a location of the state holding cells, its cells are
        read from the packed state directly instead of unpacking f whole."""
        f, x = e.args
        ft = ty(f)
        assert isinstance(ft, FnT)
        k = self.rt.span(e.span)
        dom = ft.dom
        if isinstance(dom, IntT):
            assert dom.lo is not None and dom.hi is not None
            ilo, n, blo = dom.lo, dom.hi - dom.lo + 1, self.enc.base
        else:
            ilo, n, blo = 0, M.type_size(dom), 0
        p = self.place(fr, f) if is_cell(ft.rng) else None
        if p is not None:  # f first, then x, as the interpreter evaluates them
            bits = self.raw(fr, *p)
            lo, opt = self.lay.cell_lo(ft.rng), isinstance(ft.rng, OptT)
            return (f"_reach_bits({k}, {bits}, {self.ex(fr, x)}, {self.lay.width(ft.rng)}, {lo}, "
                    f"{opt}, {ilo}, {n}, {blo})")
        return f"_reach({k}, {self.ex(fr, f)}, {self.ex(fr, x)}, {ilo}, {n}, {blo})"

    # ------------------------------------------------------------------ stores
    def store_check(self, depth: int, code: str, vt: Type, t: Type, span: Span, where: str) -> None:
        if fits_statically(vt, t):
            return
        k = self.rt.span(span)
        self.rt.types.append(t)
        self.rt.wheres.append(where)
        j = len(self.rt.types) - 1
        inner = t.inner if isinstance(t, OptT) else t
        if is_int(code) and isinstance(inner, IntT) and inner.lo is not None \
                and inner.hi is not None and inner.lo <= int(code) <= inner.hi:
            return  # a literal that fits (no `1 is None`: Python warns about it)
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

    def assign(self, fr: Frame, depth: int, s: M.Assign) -> None:
        var = self.model.vars[s.var]
        off: int | str = self.lay.offsets[s.var]
        t, where = var.t, s.name
        for step in s.path:  # keys first, left to right, each checked
            if step.kind == "field":
                assert isinstance(t, RecT) and isinstance(step.key, str)
                off = self.add(off, self.lay.field_offset(t, step.key))
                t = field_type(t, step.key)
                where += f".{step.key}"
            elif step.kind == "fn":
                assert isinstance(t, FnT) and isinstance(step.key, M.Expr)
                off = self.add(off, self.mul(self.key_index(fr, t.dom, step.key, step.span),
                                             self.lay.width(t.rng)))
                t = t.rng
                where += "[...]"
            else:  # an element of a sequence: checked against the length stored at `off`
                assert isinstance(t, SeqT) and isinstance(step.key, M.Expr)
                idx, n, k = self.tmp(), self.tmp(), self.rt.span(step.span)
                self.emit(depth, f"{idx} = {self.ex(fr, step.key)}")
                self.emit(depth, f"{n} = {self.raw_bits(fr, off, self.lay.len_width(t))}")
                self.emit(depth, f"if not 0 <= {idx} < {n}: _idxn({k}, {idx}, {n})")
                off = self.elem_at(off, t, idx)
                t = t.elem
                where += "[...]"
            if isinstance(off, str) and not off.isidentifier():  # evaluate it once, now
                tmp = self.tmp()
                self.emit(depth, f"{tmp} = {off}")
                off = tmp
        if isinstance(t, SeqT) and self.in_place(fr, depth, s, off, t):
            return
        val = self.ex(fr, s.value)
        if not (is_int(val) or val in ("True", "False", "None")):
            tmp = self.tmp()
            self.emit(depth, f"{tmp} = {val}")
            val = tmp
        self.store_check(depth, val, ty(s.value), s.target_t, s.span, where)
        self.write(fr, depth, off, t, self.encode_cell(val, t))

    def in_place(self, fr: Frame, depth: int, s: M.Assign, off: int | str, t: SeqT) -> bool:
        """`q := append(q, x)` and `q := q[a:b]` (q the assigned location, x fitting the
        element type): the queue operations, on the packed bits where q lives (an element
        and the length written; the elements shifted), never unpacking q. The keys of q
        were evaluated for the target, and evaluate alike in the value (no writes between):
        they are not evaluated again."""
        v = s.value
        if not fits_statically(ty(v), s.target_t):
            return False
        lw, w = self.lay.len_width(t), self.lay.width(t.elem)
        if (isinstance(v, M.Call) and v.fn is M.Builtin.APPEND and _is_target(v.args[0], s)
                and fits_statically(ty(v.args[1]), t.elem) and ty(v.args[0]) == t):
            n, x, k = self.tmp(), self.tmp(), self.rt.span(v.span)
            self.emit(depth, f"{n} = {self.raw_bits(fr, off, lw)}")
            self.emit(depth, f"{x} = {self.ex(fr, v.args[1])}")
            self.emit(depth, f"if {n} >= {t.cap}: _full({k}, {t.cap})")
            self.write(fr, depth, self.elem_at(off, t, n), t.elem, self.encode_cell(x, t.elem))
            self.write_bits(fr, depth, off, lw, f"({n} + 1)")
            return True
        if isinstance(v, M.Slice) and _is_target(v.s, s) and ty(v) == t and ty(v.s) == t:
            n, a, m = self.tmp(), self.tmp(), self.tmp()
            self.emit(depth, f"{n} = {self.raw_bits(fr, off, lw)}")
            lo = "0" if v.lo is None else f"min(max({self.ex(fr, v.lo)}, 0), {n})"
            self.emit(depth, f"{a} = {lo}")
            if v.hi is None:
                self.emit(depth, f"{m} = {n} - {a}")
                kept = f"({self.raw_bits(fr, off, self.lay.width(t))} >> ({lw} + {a} * {w}))"
            else:
                self.emit(depth, f"{m} = max(min(max({self.ex(fr, v.hi)}, 0), {n}) - {a}, 0)")
                kept = (f"(({self.raw_bits(fr, off, self.lay.width(t))} >> ({lw} + {a} * {w}))"
                        f" & ((1 << ({m} * {w})) - 1))")
            self.write(fr, depth, off, t, f"(({kept} << {lw}) | {m})")
            return True
        return False

    # ------------------------------------------------------------------ statements
    def block(self, fr: Frame, depth: int, stmts: tuple[M.Stmt, ...], done: list[str]) -> None:
        """Statements of a normalized list; `done` are the lines that yield a successor."""
        for s in stmts:
            self.where = span_of(s)
            match s:
                case M.Assign():
                    self.assign(fr, depth, s)
                case M.Let():
                    self.emit(depth, f"{py_local(s.name)} = {self.ex(fr, s.value)}")
                case M.If():
                    self.emit(depth, f"if {self.ex(fr, s.cond)}:")
                    self.block_plain(fr, depth + 1, s.then)
                    if s.orelse:
                        self.emit(depth, "else:")
                        self.block_plain(fr, depth + 1, s.orelse)
                case M.Require():
                    self.emit(depth, f"if not {self.ex(fr, s.cond)}: continue")
                case M.Assert():
                    k = self.rt.span(s.span)
                    self.rt.msgs.extend([""] * (len(self.rt.spans) - len(self.rt.msgs)))
                    self.rt.msgs[k] = s.message
                    if s.name is not None:
                        self.rt.names[k] = s.name
                    self.emit(depth, f"if not {self.ex(fr, s.cond)}: _assert_fail({k})")
                case M.Fail():
                    k = self.rt.span(s.span)
                    self.rt.errors[k] = (s.code, s.message)
                    self.emit(depth, f"_fail({k})")
                case M.Either():
                    save = self.tmp()
                    self.emit(depth, f"{save} = w")
                    self.emit(depth, f"for _b in range({len(s.branches)}):")
                    self.emit(depth + 1, f"w = {save}")
                    for j, br in enumerate(s.branches):
                        self.emit(depth + 1, f"{'if' if j == 0 else 'elif'} _b == {j}:")
                        self.emit(depth + 2, "pass")
                        self.block(fr, depth + 2, br, done)
                    return
                case _:
                    assert_never(s)
        for line in done:
            self.emit(depth, line)

    def block_plain(self, fr: Frame, depth: int, stmts: tuple[M.Stmt, ...]) -> None:
        """An `if` branch without `either` (normalize moved those out)."""
        self.emit(depth, "pass")
        for s in stmts:
            if isinstance(s, M.Either):
                raise AssertionError("either inside if after normalize")
            self.block(fr, depth, (s,), [])

    # ------------------------------------------------------------------ functions
    def action(self, aid: int, a: M.Action) -> None:
        """`b<i>(s)` lists (state, binding) pairs: the successor contract's `expand`."""
        self.emit(0, f"def b{aid}(s):  # action {a.name}")
        self.emit(1, "res = []")
        self.action_code(Frame(), aid, a, 1, lambda bind: [f"res.append((w, {bind}))"])
        self.emit(1, "return res")

    def fused(self) -> None:
        """`succ(s, seen, fired)`: every action inline, one call per state. Counts each
        action's successors into `fired` and returns ([(new state, action), ...], total),
        leaving out states already in `seen` (the search's hot path): the successor
        contract's `Unseen` sink, fused (explorer.explicit.system)."""
        acts = self.model.actions
        self.emit(0, "def succ(s, seen, fired):")
        fr, at = Frame(hoist={}), len(self.lines)
        self.emit(1, "res = []")
        for aid, a in enumerate(acts):
            self.emit(1, f"n{aid} = 0  # action {a.name}")
            self.action_code(fr, aid, a, 1, functools.partial(_unseen, aid))
            self.emit(1, f"if n{aid}: fired[{aid}] += n{aid}")
        self.emit(1, f"return res, {' + '.join(f'n{i}' for i in range(len(acts))) or '0'}")
        self.hoisted(fr, at)

    def hoisted(self, fr: Frame, at: int) -> None:
        """Insert the reads of `s` collected in `fr` at line `at`, the top of the function
        just generated."""
        assert fr.hoist is not None
        reads = [f"    {name} = " + (f"s & {mask}" if off == 0 else f"(s >> {off}) & {mask}")
                 for (off, mask), name in fr.hoist.items()]
        self.lines[at:at] = reads
        self.origin[at:at] = [self.where] * len(reads)

    def action_code(self, fn: Frame, aid: int, a: M.Action, base: int,
                    done: Callable[[str], list[str]]) -> None:
        """An action's bindings at indentation `base`; `done(binding)` yields a successor.
        `fn` is the function's frame (reading `s`)."""
        body = normalize(a.body)
        self.where = a.span
        loops = a.params or ()
        combos = self.combos(loops, 32) if loops else None
        if combos is not None:
            self.unrolled(fn, aid, a, body, combos, base, done)
            return
        for b in loops:  # stale values would make a wrong partial binding below
            self.emit(base, f"{py_local(b.name)} = _U")
        self.emit(base, "try:")
        depth = base + 1
        if not loops:
            self.emit(depth, "for _once in (0,):")
            depth += 1
        for b in loops:  # domains and the guard read the state as it is
            self.emit(depth, f"for {py_local(b.name)} in {self.elems(fn, b.domain)}:")
            depth += 1
        self.emit(depth, "try:")
        depth += 1
        if a.guard is not None:
            self.where = span_of(a.guard)
            self.emit(depth, f"if not {self.ex(fn, a.guard)}: continue")
        self.emit(depth, "w = s")
        bind = "(" + "".join(f"{py_local(b.name)}, " for b in loops) + ")"
        # the body reads its own writes
        self.block(replace(fn, src="w", dirty=[]), depth, body, done(bind))
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

    def unrolled(self, fn: Frame, aid: int, a: M.Action, body: tuple[M.Stmt, ...],
                 combos: list[tuple[Value, ...]], base: int,
                 done: Callable[[str], list[str]]) -> None:
        """One straight block per binding: parameters are constants (substituted, then
        folded), so offsets fold and a binding whose guard is false is left out."""
        needs_loop = top_require(body)
        names = [b.name for b in a.params]
        elems = [elem_type(b.domain) for b in a.params]
        for combo in combos:
            env = dict(zip(names, combo))
            bind = "(" + "".join(f"{self.const(x, t)}, " for x, t in zip(combo, elems)) + ")"
            self.where = a.span
            guard = None if a.guard is None else fold(substitute(a.guard, env))
            if isinstance(guard, M.Lit) and guard.value is False:
                continue
            depth = base
            if needs_loop:  # `require` abandons the binding with `continue`
                self.emit(depth, "for _once in (0,):")
                depth += 1
            self.emit(depth, "try:")
            depth += 1
            if guard is not None:
                assert a.guard is not None
                self.where = span_of(a.guard)
                if needs_loop:
                    self.emit(depth, f"if not {self.ex(fn, guard)}: continue")
                else:
                    self.emit(depth, f"if {self.ex(fn, guard)}:")
                    depth += 1
            self.emit(depth, "w = s")
            self.block(replace(fn, src="w", dirty=[]), depth,
                       fold_stmts(substitute_stmts(body, env)), done(bind))
            at = base + (1 if needs_loop else 0)
            self.emit(at, "except _Fault as _e:")
            self.emit(at + 1, f"_e.binding, _e.action = {bind}, {aid}")
            self.emit(at + 1, "raise")

    def init(self) -> None:
        """`initial()` yields the initial states one by one: the search counts them
        against its limits as they come, so a huge product is never built whole."""
        fr = Frame(src="w")  # a later item reads what earlier items assigned
        self.emit(0, "def initial():")
        self.emit(1, "w = 0")
        depth = 1
        for it in self.model.init:
            self.where = it.span
            var = self.model.vars[it.var]
            x = self.tmp()
            if it.choice:
                self.emit(depth, f"for {x} in {self.elems(fr, it.expr)}:")
                depth += 1
                self.store_check(depth, x, elem_type(it.expr), var.t, it.span, var.name)
            else:
                self.emit(depth, f"{x} = {self.ex(fr, it.expr)}")
                self.store_check(depth, x, ty(it.expr), var.t, it.span, var.name)
            self.write(fr, depth, self.lay.offsets[it.var], var.t, self.encode_cell(x, var.t))
        self.emit(depth, "yield w")

    def invariants(self) -> None:
        self.emit(0, "def invariants(s):")
        fr, at = Frame(hoist={}), len(self.lines)
        for i, inv in enumerate(self.model.invariants):
            # a helper is a lemma for the induction engine, not a goal: the search skips it,
            # and the indexes stay those of model.invariants
            if not inv.helper:
                self.where = span_of(inv.expr)
                self.emit(1, f"if not {self.ex(fr, inv.expr)}: return {i}  # {i}")
        self.emit(1, "return -1")
        self.hoisted(fr, at)

    def predicates(self) -> None:
        """`predicates(s)`: the properties' state predicates as the bits of one int (P of
        property i at bit 2i, its Q at bit 2i+1), for the liveness check."""
        self.emit(0, "def predicates(s):")
        fr, at = Frame(hoist={}), len(self.lines)
        bits = self.tmp()
        self.emit(1, f"{bits} = 0")
        for i, p in enumerate(self.model.properties):
            for k, e in enumerate((p.p, p.q)):
                if e is not None:
                    self.where = span_of(e)
                    self.emit(1, f"if {self.ex(fr, e)}: {bits} |= {1 << (2 * i + k)}")
        self.emit(1, f"return {bits}")
        self.hoisted(fr, at)

    def covers(self) -> None:
        """`covers(s)`: the covers the state satisfies, as the bits of one int (cover i at
        bit i)."""
        self.emit(0, "def covers(s):")
        fr, at = Frame(hoist={}), len(self.lines)
        bits = self.tmp()
        self.emit(1, f"{bits} = 0")
        for i, c in enumerate(self.model.covers):
            self.where = span_of(c.expr)
            self.emit(1, f"if {self.ex(fr, c.expr)}: {bits} |= {1 << i}")
        self.emit(1, f"return {bits}")
        self.hoisted(fr, at)

    def constraint(self) -> None:
        """`constraint(s)`: does the state satisfy every `constraint` (the search keeps it)?"""
        self.emit(0, "def constraint(s):")
        fr, at = Frame(hoist={}), len(self.lines)
        for c in self.model.constraints:
            self.where = span_of(c.expr)
            self.emit(1, f"if not {self.ex(fr, c.expr)}: return False")
        self.emit(1, "return True")
        self.hoisted(fr, at)

    def terminal(self) -> None:
        self.emit(0, "def terminal(s):")
        assert self.model.terminal is not None
        self.where = span_of(self.model.terminal)
        self.emit(1, f"return {self.ex(Frame(), self.model.terminal)}")

    def consts(self) -> None:
        for c in self.model.consts:
            self.where = c.span
            self.emit(0, f"{py_const(c.name)} = {self.ex(Frame(), c.expr)}")
