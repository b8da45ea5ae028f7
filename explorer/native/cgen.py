"""The typed IR -> C functions over packed states (the compiled engine's model half; the
search half is search.c).

A state is `W` 64-bit words holding the Python engine's layout (explicit/layout.py): the
same bits, so the Python engine decodes the compiled engine's states. Expressions compute
C values: `int64_t` for booleans, integers and atoms (an integer as itself, an atom as its
index), `NONE` (INT64_MIN) for none in an optional scalar; `uint64_t` for sets (the
bitmask of the Python engine's encoding) and for compound values (functions, records,
sequences, optional compounds: their packed layout bits, which must fit 64 bits when a
spec uses the value whole). Reads and writes through function keys, record fields and
sequence indexes of a state variable are shifts and masks on the state's words, whatever
the variable's width.

Runtime errors: the generated code only says *that* expanding a state (or evaluating an
invariant, `terminal`, the initial states) fails: it sets the fault flag `F`, goes on with
a harmless value (0), and stops at the end of the statement. The search reports the state,
and the Python engine expands that state again to build the error itself (message, code,
span, action, binding), so both engines report the same error. For that the compiled code
must fail exactly where the Python engine fails: it evaluates what the Python engine
evaluates, short-circuits where it does (`and`, `or`, `implies`, `if`, quantifiers), and
checks what it checks (function domains, sequence bounds, division by zero, stores that do
not fit, `none` unwrapped, asserts, `fail`).

What it cannot express (a compound value wider than 64 bits used whole, an unbounded
integer inside a packed value) raises `Unsupported`: the check runs on the Python engine.
Spec text never reaches the C source: names are numbered (`l7`), values are encoded
integers, and no comment carries spec text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import assert_never

from explorer import model as M
from explorer.engine import Unsupported
from explorer.explicit.emit import Emitter
from explorer.explicit.encoding import Encoding
from explorer.explicit.layout import Layout, is_cell
from explorer.explicit.normalize import fold, fold_model, normalize, substitute
from explorer.model import AnyT, AtomT, BoolT, FnT, IntT, NoneT, OptT, RecT, SeqT, SetT, Type
from explorer.native import symtab
from explorer.types import fits_statically
from explorer.values import Value

NONE = "NONE"  # the C value of none in an optional scalar (search.c defines it)
I64 = "int64_t"
MAX_COVERS = 62  # the bits of covers(), an int64_t that is -1 for a fault
U64 = "uint64_t"


def is_word(t: Type) -> bool:
    """Is the C value of type t a `uint64_t` (a set or packed bits)?"""
    if isinstance(t, SetT | FnT | RecT | SeqT):
        return True
    return isinstance(t, OptT) and not is_cell(t)


def ctype(t: Type) -> str:
    return U64 if is_word(t) else I64


def has_any(t: Type) -> bool:
    """Does t hold the type of an empty literal's elements (`{}`, `[]`)?"""
    if isinstance(t, AnyT):
        return True
    if isinstance(t, OptT):
        return has_any(t.inner)
    if isinstance(t, SetT | SeqT):
        return has_any(t.elem)
    if isinstance(t, FnT):
        return has_any(t.dom) or has_any(t.rng)
    if isinstance(t, RecT):
        return any(has_any(ft) for _, ft in t.fields)
    return False


MAX_RANKED_WIDTH = 16  # the bits of a compound set element or key the C tables index


def compound(t: Type) -> bool:
    """A set element or function key that is not a scalar (a record, sequence, set or
    function): its bit or position comes from a table (CGen.ranks)."""
    return not isinstance(t, BoolT | IntT | AtomT | AnyT | NoneT | OptT)


def retype(e: M.Expr, t: Type) -> M.Expr:
    """e, whose type holds an empty literal's element type, as an expression of type t
    (where it is stored or compared): an empty collection has a layout only once its
    element type is known."""
    if not has_any(e.t) or has_any(t):
        return e
    match e:
        case M.Lit():
            return replace(e, t=t)
        case M.SetLit() if isinstance(t, SetT):
            return replace(e, t=t, elems=tuple(retype(x, t.elem) for x in e.elems))
        case M.SeqLit() if isinstance(t, SeqT):
            return replace(e, t=t, elems=tuple(retype(x, t.elem) for x in e.elems))
        case M.FnComp() if isinstance(t, FnT):
            return replace(e, t=t, e=retype(e.e, t.rng))
        case M.Ite():
            return replace(e, t=t, a=retype(e.a, t), b=retype(e.b, t))
        case M.RecLit() if isinstance(t, RecT):
            return replace(e, t=t, fields=tuple((n, retype(x, t.field_type(n) or x.t))
                                                for n, x in e.fields))
    raise Unsupported(f"an empty collection of unknown type, as a {t}")


@dataclass(frozen=True)
class Frame:
    src: str = "s"  # the state that reads see: `s`, or `w` in a body (it reads its writes)
    locals: tuple[tuple[str, str], ...] = ()  # spec name -> C name, innermost last

    def local(self, name: str) -> str:
        for n, c in reversed(self.locals):
            if n == name:
                return c
        raise AssertionError(f"unbound local {name}")

    def bind(self, name: str, cname: str) -> Frame:
        return replace(self, locals=self.locals + ((name, cname),))


class CGen:
    """Generates the C functions of one model (`source()`)."""

    def __init__(self, model: M.Model, enc: Encoding, lay: Layout,
                 consts: dict[str, Value], symmetry: Sequence[AtomT] = ()) -> None:
        self.symmetry = tuple(symmetry)  # the symmetric sets to reduce by
        self.model = fold_model(model)
        self.tables: list[str] = []  # rank tables of compound set elements and keys
        self._table_names: dict[tuple[str, Type], str] = {}
        self.enc, self.lay = enc, lay
        self.consts = consts
        self.words = max(1, (lay.total + 63) // 64)
        self.lines: list[str] = []
        self.n = 0

    # ------------------------------------------------------------------ plumbing
    def emit(self, depth: int, line: str) -> None:
        self.lines.append("  " * depth + line)

    def tmp(self) -> str:
        self.n += 1
        return f"l{self.n}"

    def width(self, t: Type) -> int:
        try:
            return self.lay.width(t)
        except (AssertionError, TypeError):
            raise Unsupported(f"a value of type {t} has no bounded layout") from None

    def need_word(self, t: Type) -> None:
        """A value of type t used whole must fit one word."""
        if isinstance(t, SetT):
            if isinstance(t.elem, IntT) and (t.elem.hi is None or t.elem.lo is None):
                raise Unsupported(f"a set of unbounded integers ({t})")
        if is_word(t) and self.width(t) > 64:
            raise Unsupported(f"a value of type {t} used whole is wider than 64 bits")

    @staticmethod
    def mask(w: int) -> str:
        return "UINT64_MAX" if w >= 64 else f"{(1 << w) - 1}ULL"

    # ------------------------------------------------------------------ state access
    def rd(self, src: str, off: int | str, w: int) -> str:
        """The w bits at bit offset off of a state (as uint64_t)."""
        if w > 64:
            raise Unsupported("a value wider than 64 bits read whole")
        if isinstance(off, int):
            i, sh = divmod(off, 64)
            if sh + w <= 64:
                word = f"{src}[{i}]"
                shifted = f"({word} >> {sh})" if sh else word
                return shifted if sh + w == 64 else f"({shifted} & {self.mask(w)})"
        return f"rdv({src}, {off}, {w})"

    def wr(self, depth: int, off: int | str, w: int, bits: str) -> None:
        if w > 64:
            raise Unsupported("a value wider than 64 bits written whole")
        self.emit(depth, f"wrv(w, {off}, {w}, {bits});")

    def cell_val(self, t: Type, raw: str) -> str:
        """Stored bits of type t -> its C value."""
        if isinstance(t, OptT) and is_cell(t):
            lo = self.lay.cell_lo(t)
            r = self.tmp()
            return f"({{ {U64} {r} = {raw}; {r} ? ({I64}){r} - 1 + {lo} : {NONE}; }})"
        if isinstance(t, IntT):
            lo = self.lay.cell_lo(t)
            return f"(({I64}){raw} + {lo})" if lo else f"({I64}){raw}"
        if isinstance(t, NoneT):
            return NONE
        if isinstance(t, BoolT | AtomT):
            return f"({I64}){raw}"
        return raw  # sets and compounds: the bits are the value

    def val_cell(self, t: Type, v: str) -> str:
        """C value of type t -> its stored bits (it fits t: checked before)."""
        if isinstance(t, OptT) and is_cell(t):
            lo = self.lay.cell_lo(t)
            r = self.tmp()
            return f"({{ {I64} {r} = {v}; {r} == {NONE} ? 0 : ({U64})({r} - {lo} + 1); }})"
        if isinstance(t, IntT):
            lo = self.lay.cell_lo(t)
            return f"({U64})({v} - {lo})" if lo else f"({U64})({v})"
        if isinstance(t, NoneT):
            return "0"
        if isinstance(t, BoolT | AtomT):
            return f"({U64})({v})"
        return v

    # ------------------------------------------------------------------ literals
    def lit(self, v: Value, t: Type) -> str:
        if isinstance(t, AnyT):
            raise Unsupported("a value of unknown type")
        if not is_word(t):
            if v is None:
                return NONE
            c = self.enc.encode(t, v)
            return f"{int(c)}LL" if not isinstance(c, bool) else str(int(c))
        if isinstance(t, SetT) and not v:  # `{}`, whatever its element type
            return "0ULL"
        self.need_word(t)
        if isinstance(t, SetT):
            return f"{int(self.enc.encode(t, v))}ULL"
        return f"{self.lay.pack(t, self.enc.encode(t, v))}ULL"

    # ------------------------------------------------------------------ places
    def place(self, fr: Frame, e: M.Expr) -> tuple[int | str, Type] | None:
        """(bit offset, type) of a state location read through keys, fields and indexes;
        None for anything else. Key checks are part of the offset's code."""
        if isinstance(e, M.VarRef):
            return self.lay.offsets[e.index], e.t
        if isinstance(e, M.Apply):
            p = self.place(fr, e.f)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, FnT)
            idx = self.key_index(fr, t.dom, e.x)
            return self.add(off, self.mul(idx, self.width(t.rng))), t.rng
        if isinstance(e, M.Field):
            p = self.place(fr, e.r)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, RecT)
            ft = t.field_type(e.name)
            assert ft is not None
            return self.add(off, self.lay.field_offset(t, e.name)), ft
        if isinstance(e, M.Index):
            p = self.place(fr, e.s)
            if p is None:
                return None
            off, t = p
            assert isinstance(t, SeqT)
            lw, w = self.lay.len_width(t), self.width(t.elem)
            o, i, n = self.tmp(), self.tmp(), self.tmp()
            # the sequence's length, then the index, checked against it
            code = (f"({{ {I64} {o} = {off}; {U64} {n} = rdv({fr.src}, {o}, {lw}); "
                    f"{I64} {i} = {self.ex(fr, e.i)}; "
                    f"if ({i} < 0 || ({U64}){i} >= {n}) {{ F = 1; {i} = 0; }} "
                    f"{o} + {lw} + {i} * {w}; }})")
            return code, t.elem
        return None

    add = staticmethod(Emitter.add)  # offsets fold as in the Python engine's emitter

    @staticmethod
    def mul(a: int | str, k: int) -> int | str:
        if isinstance(a, int):
            return a * k
        return a if k == 1 else f"({a} * {k})"

    def key_index(self, fr: Frame, dom: Type, key: M.Expr) -> int | str:
        """The position of key `key` in a function on `dom`, domain-checked."""
        if isinstance(key, M.Lit) and key.value is not None and not compound(dom):
            c = self.enc.encode(dom, key.value)
            if isinstance(dom, IntT):
                assert dom.lo is not None and dom.hi is not None
                if dom.lo <= c <= dom.hi:
                    return int(c) - dom.lo
            else:
                return int(c)
        code = self.ex(fr, key)
        if isinstance(dom, IntT):
            assert dom.lo is not None and dom.hi is not None
            n = dom.hi - dom.lo + 1
            if fits_statically(key.t, dom):
                return f"({code} - {dom.lo})" if dom.lo else code
            k = self.tmp()
            return (f"({{ {I64} {k} = {code} - {dom.lo}; "
                    f"if ({k} < 0 || {k} >= {n}) {{ F = 1; {k} = 0; }} {k}; }})")
        if isinstance(key.t, OptT | NoneT):  # none as a key: outside every domain
            k = self.tmp()
            return f"({{ {I64} {k} = {code}; if ({k} == {NONE}) {{ F = 1; {k} = 0; }} {k}; }})"
        if compound(dom):
            k = self.tmp()
            table = self.ranks("key", dom)
            if key.t != dom:  # a key of another type: in dom's layout, or outside it
                code = self.convert(code, key.t, dom, check=True)
            return (f"({{ {I64} {k} = {table}[{code}]; "
                    f"if ({k} < 0) {{ F = 1; {k} = 0; }} {k}; }})")
        return code

    def read(self, fr: Frame, off: int | str, t: Type) -> str:
        if not is_cell(t):
            self.need_word(t)
        return self.cell_val(t, self.rd(fr.src, off, self.width(t)))

    # ------------------------------------------------------------------ expressions
    def ex(self, fr: Frame, e: M.Expr) -> str:
        match e:
            case M.Lit():
                return self.lit(e.value, e.t)
            case M.VarRef():
                return self.read(fr, self.lay.offsets[e.index], e.t)
            case M.ConstRef():
                return self.lit(self.consts[e.name], e.t)
            case M.Local():
                return fr.local(e.name)
            case M.Unwrap():
                x = self.tmp()
                inner = self.ex(fr, e.e)
                if is_word(e.e.t):  # an optional compound: tag bit, then the value
                    return (f"({{ {U64} {x} = {inner}; if (!({x} & 1)) F = 1; "
                            f"{x} >> 1; }})")
                return f"({{ {I64} {x} = {inner}; if ({x} == {NONE}) {{ F = 1; {x} = 0; }} {x}; }})"
            case M.Fit():
                return self.fit(fr, e.e, e.t)
            case M.Not():
                return f"(!{self.ex(fr, e.e)})"
            case M.Neg():
                return self.arith("sub", "0LL", self.ex(fr, e.e))
            case M.BinOp():
                return self.binop(fr, e)
            case M.RangeSet():
                self.need_word(e.t)
                return f"rngmask({self.ex(fr, e.lo)}, {self.ex(fr, e.hi)}, {self.enc.base})"
            case M.Apply():
                return self.apply(fr, e)
            case M.Index():
                p = self.place(fr, e)
                if p is not None:
                    return self.read(fr, *p)
                return self.index(fr, e)
            case M.Slice():
                return self.slice(fr, e)
            case M.Field():
                p = self.place(fr, e)
                if p is not None:
                    return self.read(fr, *p)
                rt = e.r.t
                assert isinstance(rt, RecT)
                ft = rt.field_type(e.name)
                assert ft is not None
                self.need_word(rt)
                off, w = self.lay.field_offset(rt, e.name), self.width(ft)
                return self.cell_val(ft, f"(({self.ex(fr, e.r)} >> {off}) & {self.mask(w)})")
            case M.Call():
                return self.call(fr, e)
            case M.SetLit():
                self.need_word(e.t)
                if not e.elems:
                    return "0ULL"
                return "(" + " | ".join(self.bit(x.t, self.ex(fr, x)) for x in e.elems) + ")"
            case M.SeqLit():
                assert isinstance(e.t, SeqT)
                return self.pack_parts(e.t, [(x.t, self.ex(fr, x)) for x in e.elems],
                                       seq_len=len(e.elems))
            case M.RecLit():
                assert isinstance(e.t, RecT)
                vals = dict(e.fields)
                return self.pack_parts(e.t, [(vals[n].t, self.ex(fr, vals[n]))
                                             for n, _ in e.t.fields])
            case M.Ite():
                t = ctype(e.t)
                a, b = self.conv(fr, e.a, e.t), self.conv(fr, e.b, e.t)
                return f"(({t})({self.ex(fr, e.c)} ? {a} : {b}))"
            case M.Quant():
                return self.quant(fr, e)
            case M.Filter():
                self.need_word(e.t)
                r = self.tmp()
                binder = e.binder
                dt = binder.domain.t
                assert isinstance(dt, SetT)

                def keep(f2: Frame, x: str) -> str:
                    return f"if ({self.ex(f2, e.pred)}) {r} |= {self.bit(dt.elem, x)};"
                return (f"({{ {U64} {r} = 0; "
                        + self.loops(fr, (binder,), keep, stop=None) + f" {r}; }})")
            case M.MapSet():
                self.need_word(e.t)
                r = self.tmp()

                def img(f2: Frame, _: str) -> str:
                    return f"{r} |= {self.bit(e.e.t, self.ex(f2, e.e))};"
                return f"({{ {U64} {r} = 0; " + self.loops(fr, e.binders, img, None) + f" {r}; }})"
            case M.FnComp():
                return self.fncomp(fr, e)
            case _:
                assert_never(e)

    def arith(self, op: str, a: str, b: str) -> str:
        """a op b on int64, an overflow stops the run (the Python engine computes it)."""
        return f"ar_{op}({a}, {b})"

    def bit(self, t: Type, v: str) -> str:
        """The set bit of C value v of type t (a compound one's rank, by table)."""
        if isinstance(t, IntT):
            return f"setbit({v}, {self.enc.base})"
        if compound(t):
            return f"(1ULL << {self.ranks('rank', t)}[{v}])"
        return f"(1ULL << {v})"

    def ranks(self, kind: str, t: Type) -> str:
        """The name of a C table for compound type t, made on first use: `rank`, from
        t's packed value to its bit in the sets of its shape (Encoding.bit: its rank in
        their universe); `unrank`, back from the bit to t's packed value; `key`, from t's
        packed value to its position in a function over t (Encoding.key_table)."""
        name = self._table_names.get((kind, t))
        if name is not None:
            return name
        w = self.width(t)
        if w > MAX_RANKED_WIDTH:
            raise Unsupported(f"a value of {t} in a set or as a key, {w} bits wide (at most "
                              f"{MAX_RANKED_WIDTH})")
        vals = M.type_values(t)
        if kind == "key":
            pos = {v: i for i, v in enumerate(self.enc.keys(t))}
            cells = [-1] * (1 << w)
            for v in vals:
                cells[self.lay.pack(t, self.enc.encode(t, v))] = pos[v]
            ctype_, entries = "int16_t", cells
        elif kind == "rank":
            if M.type_size(self.enc.universe(t)) > 64:
                raise Unsupported(f"a set of {t}: more than 64 values of its shape")
            cells = [0] * (1 << w)
            for v in vals:
                c = self.enc.encode(t, v)
                cells[self.lay.pack(t, c)] = self.enc.bit(t, c)
            ctype_, entries = "int8_t", cells
        else:
            u = self.enc.universe(t)
            entries = [0] * M.type_size(u)
            for v in M.type_values(u):
                if M.value_fits(v, t):
                    c = self.enc.encode(t, v)
                    entries[self.enc.bit(t, c)] = self.lay.pack(t, c)
            ctype_ = U64
        name = self._table_names[(kind, t)] = f"{kind.upper()}{len(self._table_names)}"
        body = ", ".join(str(x) for x in entries)
        self.tables.append(f"static const {ctype_} {name}[{len(entries)}] = {{{body}}};")
        return name

    def conv(self, fr: Frame, e: M.Expr, t: Type) -> str:
        """e's value as a value of type t (same values; a packed value repacked)."""
        e = retype(e, t)
        shown = self.display_as(fr, e, t, check=False)
        if shown is not None:
            return shown
        return self.convert(self.ex(fr, e), e.t, t, check=False)

    def same_layout(self, a: Type, b: Type) -> bool:
        if a == b:
            return True
        if not is_word(a) or not is_word(b):
            return not is_word(a) and not is_word(b)
        if isinstance(a, SetT) and isinstance(b, SetT):
            return True  # bit positions are the model's (enc.base), not the type's
        try:
            return self._layout_key(a) == self._layout_key(b)
        except Unsupported:
            return False

    def _layout_key(self, t: Type) -> object:
        if is_cell(t):
            return ("cell", self.width(t), self.lay.cell_lo(t), isinstance(t, OptT))
        if isinstance(t, OptT):
            return ("opt", self._layout_key(t.inner))
        if isinstance(t, FnT):
            return ("fn", M.type_size(t.dom), self._layout_key(t.rng))
        if isinstance(t, RecT):
            return ("rec", tuple((n, self._layout_key(ft)) for n, ft in t.fields))
        if isinstance(t, SeqT):
            return ("seq", t.cap, self._layout_key(t.elem))
        raise Unsupported(f"type {t}")

    def convert(self, code: str, src: Type, dst: Type, check: bool) -> str:
        """Value `code` of type src as a value of type dst. With `check`, a value that does
        not fit dst sets F (a store, or a def's argument)."""
        if not is_word(dst):
            if not check or fits_statically(src, dst):
                return code
            return self.scalar_check(code, src, dst)
        if isinstance(src, NoneT):  # none as an optional compound
            return "0ULL"
        if isinstance(dst, OptT) and not isinstance(src, OptT):  # some(x): tag it
            inner = self.convert(code, src, dst.inner, check)
            return f"((({U64}){inner} << 1) | 1ULL)"
        if isinstance(dst, SetT):
            if not check or fits_statically(src, dst):
                return code
            if compound(dst.elem):  # one universe: the bits of dst's values may be set
                m = sum(1 << self.enc.bit(dst.elem, self.enc.encode(dst.elem, v))
                        for v in M.type_values(dst.elem))
                x = self.tmp()
                return f"({{ {U64} {x} = {code}; if ({x} & ~{m}ULL) F = 1; {x}; }})"
            assert isinstance(dst.elem, IntT) and dst.elem.lo is not None
            assert dst.elem.hi is not None
            lo, hi = dst.elem.lo - self.enc.base, dst.elem.hi - self.enc.base
            m = ((1 << (hi - lo + 1)) - 1) << lo
            x = self.tmp()
            return f"({{ {U64} {x} = {code}; if ({x} & ~{m}ULL) F = 1; {x}; }})"
        if self.same_layout(src, dst) and (not check or fits_statically(src, dst)):
            return code
        self.need_word(src)
        self.need_word(dst)
        x = self.tmp()
        return f"({{ {U64} {x} = {code}; (void){x}; {self.repack(x, src, dst, check)}; }})"

    def repack(self, x: str, src: Type, dst: Type, check: bool) -> str:
        """An expression: packed bits x of src repacked as dst, element by element."""
        if is_cell(src) or is_cell(dst):
            v = self.cell_val(src, x)
            if check and not fits_statically(src, dst):
                v = self.scalar_check(v, src, dst)
            return self.val_cell(dst, v)
        if isinstance(src, OptT) and isinstance(dst, OptT):
            inner = self.repack(f"({x} >> 1)", src.inner, dst.inner, check)
            return f"(({x} & 1) ? ((({U64}){inner} << 1) | 1ULL) : 0ULL)"
        parts: list[str] = []
        if isinstance(src, FnT) and isinstance(dst, FnT):
            ws, wd = self.width(src.rng), self.width(dst.rng)
            for i in range(M.type_size(src.dom)):
                el = f"(({x} >> {i * ws}) & {self.mask(ws)})"
                parts.append(self.shift(self.repack(el, src.rng, dst.rng, check), i * wd))
        elif isinstance(src, RecT) and isinstance(dst, RecT):
            for (n, fs), (_, fd) in zip(src.fields, dst.fields, strict=True):
                el = (f"(({x} >> {self.lay.field_offset(src, n)}) & "
                      f"{self.mask(self.width(fs))})")
                parts.append(self.shift(self.repack(el, fs, fd, check),
                                        self.lay.field_offset(dst, n)))
        elif isinstance(src, SeqT) and isinstance(dst, SeqT):
            ls, ld = self.lay.len_width(src), self.lay.len_width(dst)
            ws, wd = self.width(src.elem), self.width(dst.elem)
            n = self.tmp()
            parts.append(f"({U64}){n}")
            for i in range(min(src.cap, dst.cap)):
                el = f"(({x} >> {ls + i * ws}) & {self.mask(ws)})"
                conv = self.repack(el, src.elem, dst.elem, check)
                # only the elements below the length: the other slots are 0
                parts.append(f"({i} < {n} ? {self.shift(conv, ld + i * wd)} : 0ULL)")
            over = f"if ({n} > {dst.cap}) {{ F = 1; {n} = 0; }} " if src.cap > dst.cap else ""
            return (f"({{ {U64} {n} = {x} & {self.mask(ls)}; {over}"
                    f"{' | '.join(parts)}; }})")
        else:
            raise Unsupported(f"a value of type {src} used as {dst}")
        return "(" + " | ".join(parts) + ")" if parts else "0ULL"

    @staticmethod
    def shift(code: str, by: int) -> str:
        return f"(({U64}){code} << {by})" if by else f"({U64}){code}"

    def scalar_check(self, code: str, src: Type, dst: Type) -> str:
        """A scalar value that must fit dst: F when it does not."""
        x = self.tmp()
        inner = dst.inner if isinstance(dst, OptT) else dst
        conds = []
        if not isinstance(dst, OptT | NoneT) and isinstance(src, OptT | NoneT):
            conds.append(f"{x} == {NONE}")
        if isinstance(inner, IntT) and inner.lo is not None and inner.hi is not None:
            test = f"({x} < {inner.lo} || {x} > {inner.hi})"
            if isinstance(dst, OptT) and isinstance(src, OptT | NoneT):
                test = f"({x} != {NONE} && {test})"
            conds.append(test)
        if not conds:
            return code
        return f"({{ {I64} {x} = {code}; if ({' || '.join(conds)}) {{ F = 1; {x} = 0; }} {x}; }})"

    def fit(self, fr: Frame, e: M.Expr, t: Type) -> str:
        e = retype(e, t)
        shown = self.display_as(fr, e, t, check=True)
        if shown is not None:
            return shown
        return self.convert(self.ex(fr, e), e.t, t, check=True)

    def display_as(self, fr: Frame, e: M.Expr, t: Type, check: bool) -> str | None:
        """A literal or a sequence display built directly as a value of type t: its own
        type (`seq[64]` for `[2]`) may be too wide to pack, t's is not."""
        if isinstance(e, M.Lit) and not has_any(t) and is_word(t) and M.value_fits(e.value, t):
            return self.lit(e.value, t)
        if isinstance(e, M.SeqLit) and isinstance(t, SeqT) and len(e.elems) <= t.cap:
            return self.pack_parts(t, [(t.elem, self.convert(self.ex(fr, x), x.t, t.elem, check))
                                       for x in e.elems], seq_len=len(e.elems))
        return None

    def pack_parts(self, t: RecT | SeqT, parts: list[tuple[Type, str]],
                   seq_len: int | None = None) -> str:
        """A record or sequence display from its elements' C values."""
        self.need_word(t)
        out: list[str] = []
        if isinstance(t, RecT):
            for (n, ft), (vt, code) in zip(t.fields, parts, strict=True):
                cell = self.val_cell(ft, self.convert(code, vt, ft, check=False))
                out.append(self.shift(cell, self.lay.field_offset(t, n)))
        else:
            assert seq_len is not None
            lw, w = self.lay.len_width(t), self.width(t.elem)
            out.append(f"{seq_len}ULL")
            for i, (vt, code) in enumerate(parts):
                cell = self.val_cell(t.elem, self.convert(code, vt, t.elem, check=False))
                out.append(self.shift(cell, lw + i * w))
        return "(" + " | ".join(out) + ")" if out else "0ULL"

    def index(self, fr: Frame, e: M.Index) -> str:
        st = e.s.t
        assert isinstance(st, SeqT)
        self.need_word(st)
        lw, w = self.lay.len_width(st), self.width(st.elem)
        s, i = self.tmp(), self.tmp()
        return (f"({{ {U64} {s} = {self.ex(fr, e.s)}; {I64} {i} = {self.ex(fr, e.i)}; "
                f"if ({i} < 0 || ({U64}){i} >= ({s} & {self.mask(lw)})) {{ F = 1; {i} = 0; }} "
                f"{self.cell_val(st.elem, f'(({s} >> ({lw} + {i} * {w})) & {self.mask(w)})')}; }})")

    def slice(self, fr: Frame, e: M.Slice) -> str:
        """s[lo:hi], bounds clamped to 0..len (Python's slice of the sequence)."""
        st, rt = e.s.t, e.t
        assert isinstance(st, SeqT) and isinstance(rt, SeqT)
        self.need_word(st)
        self.need_word(rt)
        ls, ws = self.lay.len_width(st), self.width(st.elem)
        lr, wr = self.lay.len_width(rt), self.width(rt.elem)
        s, n, lo, hi, r, i = (self.tmp() for _ in range(6))
        el = f"(({s} >> ({ls} + ({lo} + {i}) * {ws})) & {self.mask(ws)})"
        conv = self.repack(el, st.elem, rt.elem, check=False)
        bounds = ""
        if e.lo is not None:
            bounds += f"{lo} = {self.ex(fr, e.lo)}; "
        if e.hi is not None:
            bounds += f"{hi} = {self.ex(fr, e.hi)}; "
        # the sequence, then its bounds, as the interpreter evaluates them
        return (f"({{ {U64} {s} = {self.ex(fr, e.s)}; {I64} {n} = ({I64})({s} & "
                f"{self.mask(ls)}); {I64} {lo} = 0, {hi} = {n}; {bounds}"
                f"if ({lo} < 0) {lo} = 0; if ({lo} > {n}) {lo} = {n}; "
                f"if ({hi} < 0) {hi} = 0; if ({hi} > {n}) {hi} = {n}; "
                f"if ({hi} < {lo}) {hi} = {lo}; "
                f"if ({hi} - {lo} > {rt.cap}) {{ OVF = 1; {hi} = {lo}; }} "
                f"{U64} {r} = ({U64})({hi} - {lo}); "
                f"for ({I64} {i} = 0; {i} < {hi} - {lo}; {i}++) "
                f"{r} |= ({U64}){conv} << ({lr} + {i} * {wr}); {r}; }})")

    def apply(self, fr: Frame, e: M.Apply) -> str:
        p = self.place(fr, e)
        if p is not None:
            return self.read(fr, *p)
        ft = e.f.t
        assert isinstance(ft, FnT)
        self.need_word(ft)
        w = self.width(ft.rng)
        f = self.tmp()
        idx = self.key_index(fr, ft.dom, e.x)
        # the function first, then the key, as the interpreter evaluates them
        return (f"({{ {U64} {f} = {self.ex(fr, e.f)}; "
                f"{self.cell_val(ft.rng, f'(({f} >> ({idx} * {w})) & {self.mask(w)})')}; }})")

    def binop(self, fr: Frame, e: M.BinOp) -> str:
        O = M.Op
        op = e.op
        def a() -> str:
            return self.ex(fr, e.a)

        def b() -> str:
            return self.ex(fr, e.b)
        match op:
            case O.AND:
                return f"({a()} && {b()})"
            case O.OR:
                return f"({a()} || {b()})"
            case O.IMPLIES:
                return f"(!{a()} || {b()})"
            case O.IFF:
                return f"(!!{a()} == !!{b()})"
            case O.EQ | O.NE:
                return self.equality(fr, e, op is O.NE)
            case O.LT | O.LE | O.GT | O.GE:
                return f"({a()} {op.value} {b()})"
            case O.ADD:
                return self.arith("add", a(), b())
            case O.SUB:
                return self.arith("sub", a(), b())
            case O.MUL:
                return self.arith("mul", a(), b())
            case O.DIV:
                return f"fdiv_(&F, {a()}, {b()})"
            case O.MOD:
                return f"fmod_(&F, {a()}, {b()})"
            case O.POW:
                return f"ipow_(&F, {a()}, {b()})"
            case O.CONCAT:
                return self.concat(fr, e)
            case O.UNION:
                return f"({a()} | {b()})"
            case O.INTER:
                return f"({a()} & {b()})"
            case O.MINUS:
                return f"({a()} & ~{b()})"
            case O.SUBSET:
                return f"(({a()} & ~{b()}) == 0)"
            case O.IN | O.NOTIN if isinstance(e.b, M.RangeSet):
                x, lo, hi = self.tmp(), self.tmp(), self.tmp()
                test = (f"({{ {I64} {x} = {a()}; {I64} {lo} = {self.ex(fr, e.b.lo)}; "
                        f"{I64} {hi} = {self.ex(fr, e.b.hi)}; {lo} <= {x} && {x} <= {hi}; }})")
                return test if op is O.IN else f"(!{test})"
            case O.IN | O.NOTIN if compound(e.a.t):
                x = self.tmp()
                inside = (f"({{ {U64} {x} = {a()}; "
                          f"(({b()} >> {self.ranks('rank', e.a.t)}[{x}]) & 1); }})")
                return inside if op is O.IN else f"(!{inside})"
            case O.IN | O.NOTIN:
                x = self.tmp()
                t = e.a.t
                # the element first, then the set, as the interpreter evaluates them
                inside = (f"({{ {I64} {x} = {a()}; ({x} != {NONE} && "
                          f"(inset({x}, {b()}, {self.enc.base if isinstance(t, IntT) else 0})))"
                          f"; }})")
                if not isinstance(t, OptT | NoneT):
                    inside = (f"({{ {I64} {x} = {a()}; "
                              f"inset({x}, {b()}, {self.enc.base if isinstance(t, IntT) else 0}); }})")
                return inside if op is O.IN else f"(!{inside})"
            case _:
                assert_never(op)

    def equality(self, fr: Frame, e: M.BinOp, neg: bool) -> str:
        if has_any(e.a.t) or has_any(e.b.t):  # `x == []`: the literal takes x's type
            e = replace(e, a=retype(e.a, e.b.t), b=retype(e.b, e.a.t))
        ta, tb = e.a.t, e.b.t
        cmp = "!=" if neg else "=="
        if not is_word(ta) and not is_word(tb):
            return f"({self.ex(fr, e.a)} {cmp} {self.ex(fr, e.b)})"
        if isinstance(ta, NoneT) or isinstance(tb, NoneT):  # an optional compound and none
            if isinstance(ta, NoneT) and isinstance(tb, NoneT):
                return "0" if neg else "1"
            some = e.b if isinstance(ta, NoneT) else e.a  # none is its packed 0 (tag clear)
            return f"({self.ex(fr, some)} {cmp} 0ULL)"
        if self.same_layout(ta, tb):
            return f"({self.ex(fr, e.a)} {cmp} {self.ex(fr, e.b)})"
        # different layouts: compare as values, each repacked to the wider of the two
        # would lose values that fit one type only; compare element by element instead
        x, y = self.tmp(), self.tmp()
        eq = self.values_equal(x, ta, y, tb)
        return (f"({{ {U64} {x} = {self.ex(fr, e.a)}; {U64} {y} = {self.ex(fr, e.b)}; "
                f"{'!' if neg else ''}({eq}); }})")

    def values_equal(self, x: str, ta: Type, y: str, tb: Type) -> str:
        """An expression: packed x (type ta) and packed y (type tb) hold the same value."""
        if is_cell(ta) and is_cell(tb):
            return f"({self.cell_val(ta, x)} == {self.cell_val(tb, y)})"
        if isinstance(ta, SetT) and isinstance(tb, SetT):
            return f"({x} == {y})"
        if isinstance(ta, OptT) and isinstance(tb, OptT):
            inner = self.values_equal(f"({x} >> 1)", ta.inner, f"({y} >> 1)", tb.inner)
            return f"(({x} & 1) == ({y} & 1) && (!({x} & 1) || {inner}))"
        if isinstance(ta, FnT) and isinstance(tb, FnT):
            wa, wb = self.width(ta.rng), self.width(tb.rng)
            parts = [self.values_equal(f"(({x} >> {i * wa}) & {self.mask(wa)})", ta.rng,
                                       f"(({y} >> {i * wb}) & {self.mask(wb)})", tb.rng)
                     for i in range(M.type_size(ta.dom))]
            return "(" + " && ".join(parts) + ")" if parts else "1"
        if isinstance(ta, RecT) and isinstance(tb, RecT):
            parts = []
            for (n, fa), (_, fb) in zip(ta.fields, tb.fields, strict=True):
                oa, ob = self.lay.field_offset(ta, n), self.lay.field_offset(tb, n)
                parts.append(self.values_equal(
                    f"(({x} >> {oa}) & {self.mask(self.width(fa))})", fa,
                    f"(({y} >> {ob}) & {self.mask(self.width(fb))})", fb))
            return "(" + " && ".join(parts) + ")" if parts else "1"
        if isinstance(ta, SeqT) and isinstance(tb, SeqT):
            la, lb = self.lay.len_width(ta), self.lay.len_width(tb)
            wa, wb = self.width(ta.elem), self.width(tb.elem)
            parts = [f"(({x} & {self.mask(la)}) == ({y} & {self.mask(lb)}))"]
            for i in range(min(ta.cap, tb.cap)):
                el = self.values_equal(f"(({x} >> {la + i * wa}) & {self.mask(wa)})", ta.elem,
                                       f"(({y} >> {lb + i * wb}) & {self.mask(wb)})", tb.elem)
                parts.append(f"(({x} & {self.mask(la)}) <= {i} || {el})")
            return "(" + " && ".join(parts) + ")"
        raise Unsupported(f"comparing a {ta} with a {tb}")

    # ------------------------------------------------------------------ iteration
    def loops(self, fr: Frame, binders: tuple[M.Binder, ...], body: Callable[[Frame, str], str],
              stop: str | None) -> str:
        """C statements running `body(frame, c_name)` for every binding of binders, in the
        engines' order (a later domain sees the earlier binders). `stop`, when given, is a
        C condition checked after each binding that leaves every loop (a quantifier
        decided, or a fault)."""
        if not binders:
            return ""
        b, rest = binders[0], binders[1:]
        x = self.tmp()
        inner_fr = fr.bind(b.name, x)
        inner = (self.loops(inner_fr, rest, body, stop) if rest else body(inner_fr, x))
        brk = f" if ({stop}) break;" if stop is not None else " if (F) break;"
        dom = b.domain
        elem = dom.t.elem if isinstance(dom.t, SetT) else None
        if isinstance(dom, M.RangeSet):
            lo, hi = self.tmp(), self.tmp()
            return (f"{{ {I64} {lo} = {self.ex(fr, dom.lo)}; {I64} {hi} = {self.ex(fr, dom.hi)}; "
                    f"for ({I64} {x} = {lo}; {x} <= {hi}; {x}++) {{ (void){x}; {inner}{brk} }} }}")
        if elem is None:
            raise Unsupported("iterating over a non-set")
        self.need_word(dom.t)
        m = self.tmp()
        if compound(elem):  # the bit's value, by table
            return (f"{{ {U64} {m} = {self.ex(fr, dom)}; while ({m}) {{ "
                    f"{U64} {x} = {self.ranks('unrank', elem)}[__builtin_ctzll({m})]; "
                    f"{m} &= {m} - 1; (void){x}; {inner}{brk} }} }}")
        base = self.enc.base if isinstance(elem, IntT) else 0
        return (f"{{ {U64} {m} = {self.ex(fr, dom)}; while ({m}) {{ "
                f"{I64} {x} = ({I64})__builtin_ctzll({m}) + {base}; {m} &= {m} - 1; (void){x}; "
                f"{inner}{brk} }} }}")

    def quant(self, fr: Frame, e: M.Quant) -> str:
        r = self.tmp()
        want = "0" if e.forall else "1"  # the value that decides
        # stop at the first binding that decides, as the interpreter does

        def body(f2: Frame, _: str) -> str:
            return f"if ({'!' if e.forall else ''}({self.ex(f2, e.body)})) {r} = {want};"
        init = "1" if e.forall else "0"
        return (f"({{ int {r} = {init}; "
                + self.loops(fr, e.binders, body, stop=f"F || {r} == {want}") + f" {r}; }})")

    def fncomp(self, fr: Frame, e: M.FnComp) -> str:
        t = e.t
        assert isinstance(t, FnT)
        self.need_word(t)
        w = self.width(t.rng)
        r, i = self.tmp(), self.tmp()
        b = e.binder

        def body(f2: Frame, x: str) -> str:
            cell = self.val_cell(t.rng, self.conv(f2, e.e, t.rng))
            return f"{r} |= ({U64}){cell} << ({i} * {w}); {i}++;"
        # the binder's domain is the whole domain type, in key order
        return (f"({{ {U64} {r} = 0; {I64} {i} = 0; "
                + self.loops(fr, (b,), body, None) + f" {r}; }})")

    def call(self, fr: Frame, e: M.Call) -> str:
        B = M.Builtin
        args = e.args
        match e.fn:
            case B.LEN:
                t = args[0].t
                if isinstance(t, SeqT):
                    return f"(({I64})({self.ex(fr, args[0])} & {self.mask(self.lay.len_width(t))}))"
                return f"(({I64})__builtin_popcountll({self.ex(fr, args[0])}))"
            case B.MIN | B.MAX:
                st = args[0].t
                assert isinstance(st, SetT)
                elem = st.elem
                base = self.enc.base if isinstance(elem, IntT) else 0
                return f"{e.fn.value}bit({self.ex(fr, args[0])}, {base})"
            case B.APPEND:
                st = args[0].t
                assert isinstance(st, SeqT)
                return self.append(fr, e, st)
            case B.REACH:
                return self.reach(fr, e)
            case B.INSERT | B.REMOVE | B.INDEX:
                return self.seq_op(fr, e)
            case _:
                assert_never(e.fn)

    def append(self, fr: Frame, e: M.Call, st: SeqT) -> str:
        rt = e.t
        assert isinstance(rt, SeqT)
        self.need_word(rt)
        s, n, x = self.tmp(), self.tmp(), self.tmp()
        conv = self.convert(self.ex(fr, e.args[0]), st, rt, check=False)
        lw, w = self.lay.len_width(rt), self.width(rt.elem)
        elem = e.args[1]
        cell = self.val_cell(rt.elem, self.convert(x, elem.t, rt.elem, check=False))
        return (f"({{ {U64} {s} = {conv}; {ctype(elem.t)} {x} = {self.ex(fr, elem)}; "
                f"{U64} {n} = {s} & {self.mask(lw)}; "
                f"if ({n} >= {rt.cap}) {{ F = 1; {n} = 0; }} "
                f"(({s} & ~{self.mask(lw)}) | ({n} + 1)) | (({U64}){cell} << ({lw} + {n} * {w})); }})")

    def concat(self, fr: Frame, e: M.BinOp) -> str:
        """s + t on packed sequences: both in the result's layout, t's elements shifted
        past s's (the bits past a sequence's length are zero)."""
        rt = e.t
        assert isinstance(rt, SeqT) and isinstance(e.a.t, SeqT) and isinstance(e.b.t, SeqT)
        self.need_word(rt)
        lw, w = self.lay.len_width(rt), self.width(rt.elem)
        a, b, na = self.tmp(), self.tmp(), self.tmp()

        def part(x: M.Expr) -> str:  # a literal is as long as it is, not as it may grow
            if isinstance(x, M.SeqLit):
                x = replace(x, t=SeqT(len(x.elems), rt.elem),
                            elems=tuple(retype(y, rt.elem) for y in x.elems))
            assert isinstance(x.t, SeqT)
            return self.convert(self.ex(fr, x), x.t, rt, check=False)
        return (f"({{ {U64} {a} = {part(e.a)}; {U64} {b} = {part(e.b)}; "
                f"{U64} {na} = {a} & {self.mask(lw)}; "
                f"({na} + ({b} & {self.mask(lw)})) | shl(shr({a}, {lw}) "
                f"| shl(shr({b}, {lw}), {na} * {w}), {lw}); }})")

    def seq_op(self, fr: Frame, e: M.Call) -> str:
        """insert(s, i, x), remove(s, x), index(s, x) on a packed sequence: its elements
        shifted as a block, found by comparing values."""
        B = M.Builtin
        st = e.args[0].t
        assert isinstance(st, SeqT)
        rt = e.t if e.fn is not B.INDEX else st
        assert isinstance(rt, SeqT)
        self.need_word(rt)
        lw, w = self.lay.len_width(rt), self.width(rt.elem)
        s, n, els, k, found = (self.tmp() for _ in range(5))
        head = (f"{U64} {s} = {self.convert(self.ex(fr, e.args[0]), st, rt, check=False)}; "
                f"{U64} {n} = {s} & {self.mask(lw)}; {U64} {els} = {s} >> {lw}; ")
        x = e.args[-1]
        xv = self.tmp()
        head_x = f"{ctype(x.t)} {xv} = {self.ex(fr, x)}; "
        if e.fn is B.INSERT:
            i = self.tmp()
            cell = self.val_cell(rt.elem, self.convert(xv, x.t, rt.elem, check=False))
            # the sequence, the index, then the value, as the interpreter evaluates them
            return (f"({{ {head}{I64} {i} = {self.ex(fr, e.args[1])}; {head_x}"
                    f"if ({i} < 0 || ({U64}){i} > {n}) {{ F = 1; {i} = 0; }} "
                    f"else if ({n} >= {rt.cap}) F = 1; "
                    f"F ? {s} : (({n} + 1) | shl(low_bits({els}, {i} * {w}) "
                    f"| shl(({U64}){cell}, {i} * {w}) "
                    f"| shl(shr({els}, {i} * {w}), ({i} + 1) * {w}), {lw})); }})")
        el = f"(shr({els}, {k} * {w}) & {self.mask(w)})"
        if is_cell(rt.elem) and not is_word(x.t):
            same = f"({self.cell_val(rt.elem, el)} == {xv})"
        else:
            ex_bits = self.tmp()
            same = (f"({{ {U64} {ex_bits} = {el}; "
                    f"{self.values_equal(ex_bits, rt.elem, xv, x.t)}; }})")
        search = (f"{I64} {found} = -1; for ({I64} {k} = 0; {k} < ({I64}){n}; {k}++) "
                  f"if ({same}) {{ {found} = {k}; break; }} ")
        if e.fn is B.INDEX:
            return (f"({{ {head}{head_x}{search}"
                    f"if ({found} < 0) {{ F = 1; {found} = 0; }} {found}; }})")
        return (f"({{ {head}{head_x}{search}"
                f"{found} < 0 ? {s} : (({n} - 1) | shl(low_bits({els}, {found} * {w}) "
                f"| shl(shr({els}, ({found} + 1) * {w}), {found} * {w}), {lw})); }})")

    def reach(self, fr: Frame, e: M.Call) -> str:
        f, x = e.args
        ft = f.t
        assert isinstance(ft, FnT)
        dom = ft.dom
        if isinstance(dom, IntT):
            assert dom.lo is not None and dom.hi is not None
            ilo, n, blo = dom.lo, dom.hi - dom.lo + 1, self.enc.base
        else:
            ilo, n, blo = 0, M.type_size(dom), 0
        w = self.width(ft.rng)
        p = self.place(fr, f)
        if p is not None:
            off, _ = p
            if isinstance(off, int) and n * w <= 64:
                bits = self.rd(fr.src, off, n * w)
            else:
                raise Unsupported("reach over a function wider than 64 bits")
        else:
            self.need_word(ft)
            bits = self.ex(fr, f)
        fb, m, cur, i, raw = (self.tmp() for _ in range(5))
        nxt = self.cell_val(ft.rng, f"(({fb} >> ({i} * {w})) & {self.mask(w)})")
        # f first, then x; x walks f until none or a value seen before
        return (f"({{ {U64} {fb} = {bits}; {I64} {cur} = {self.ex(fr, x)}; {U64} {m} = 0; "
                f"while ({cur} != {NONE}) {{ {U64} {raw} = setbit({cur}, {blo}); "
                f"if ({m} & {raw}) break; {m} |= {raw}; {I64} {i} = {cur} - {ilo}; "
                f"if ({i} < 0 || {i} >= {n}) {{ F = 1; break; }} {cur} = {nxt}; }} {m}; }})")

    # ------------------------------------------------------------------ statements
    def block(self, fr: Frame, depth: int, stmts: tuple[M.Stmt, ...], done: list[str]) -> None:
        """A normalized statement list; `break` leaves the alternative (a `require`)."""
        for s in stmts:
            match s:
                case M.Assign():
                    self.assign(fr, depth, s)
                case M.Let():
                    c = self.tmp()
                    self.emit(depth, f"{ctype(s.value.t)} {c} = {self.ex(fr, s.value)};")
                    self.emit(depth, "(void)" + c + ";")
                    fr = fr.bind(s.name, c)
                case M.If():
                    self.emit(depth, f"if ({self.ex(fr, s.cond)}) {{")
                    self.emit(depth + 1, "if (F) goto fault;")
                    self.block(fr, depth + 1, s.then, [])
                    self.emit(depth, "} else {")
                    self.emit(depth + 1, "if (F) goto fault;")
                    self.block(fr, depth + 1, s.orelse, [])
                    self.emit(depth, "}")
                case M.Require():
                    self.emit(depth, f"if (!({self.ex(fr, s.cond)})) {{ if (F) goto fault; break; }}")
                case M.Assert():
                    self.emit(depth, f"if (!({self.ex(fr, s.cond)})) F = 1;")
                case M.Fail():
                    self.emit(depth, "F = 1;")
                case M.Either():
                    save, k = self.tmp(), self.tmp()
                    self.emit(depth, f"{U64} {save}[W]; memcpy({save}, w, sizeof {save});")
                    self.emit(depth, f"for (int {k} = 0; {k} < {len(s.branches)}; {k}++) {{")
                    self.emit(depth + 1, f"memcpy(w, {save}, sizeof {save});")
                    for j, br in enumerate(s.branches):
                        self.emit(depth + 1, f"{'if' if j == 0 else 'else if'} ({k} == {j}) do {{")
                        self.block(fr, depth + 2, br, done)
                        self.emit(depth + 1, "} while (0);")
                    self.emit(depth, "}")
                    return
                case _:
                    assert_never(s)
            self.emit(depth, "if (F) goto fault;")
        for line in done:
            self.emit(depth, line)

    def assign(self, fr: Frame, depth: int, s: M.Assign) -> None:
        var = self.model.vars[s.var]
        off: int | str = self.lay.offsets[s.var]
        t: Type = var.t
        for step in s.path:  # keys first, left to right, each checked
            if step.kind == "field":
                assert isinstance(t, RecT) and isinstance(step.key, str)
                off = self.add(off, self.lay.field_offset(t, step.key))
                ft = t.field_type(step.key)
                assert ft is not None
                t = ft
            elif step.kind == "fn":
                assert isinstance(t, FnT) and isinstance(step.key, M.Expr)
                off = self.add(off, self.mul(self.key_index(fr, t.dom, step.key),
                                             self.width(t.rng)))
                t = t.rng
            else:
                assert isinstance(t, SeqT) and isinstance(step.key, M.Expr)
                lw, w = self.lay.len_width(t), self.width(t.elem)
                o, i, n = self.tmp(), self.tmp(), self.tmp()
                self.emit(depth, f"{I64} {o} = {off};")
                self.emit(depth, f"{I64} {i} = {self.ex(fr, step.key)};")
                self.emit(depth, f"{U64} {n} = rdv(w, {o}, {lw});")
                self.emit(depth, f"if ({i} < 0 || ({U64}){i} >= {n}) {{ F = 1; {i} = 0; }}")
                off = f"({o} + {lw} + {i} * {w})"
                t = t.elem
            if isinstance(off, str):  # evaluate it once, now
                o = self.tmp()
                self.emit(depth, f"{I64} {o} = {off};")
                off = o
        if not is_cell(t):
            self.need_word(t)
        v = self.tmp()
        val = self.fit(fr, s.value, s.target_t)
        if s.target_t != t:  # the declared type of the location is the one stored
            val = self.convert(val, s.target_t, t, check=False)
        self.emit(depth, f"{ctype(t)} {v} = {val};")
        self.emit(depth, "if (F) goto fault;")
        self.wr(depth, off, self.width(t), self.val_cell(t, v))

    # ------------------------------------------------------------------ functions
    def action(self, aid: int, a: M.Action) -> None:
        """Action aid's successors of s, appended to the search's buffer; the count of
        those, or -1 when expanding s fails."""
        self.emit(0, f"static int64_t act{aid}(ctx_t *c, const {U64} *s) {{")
        self.emit(1, "int F = 0; int64_t n = 0; (void)s;")
        self.emit(1, f"{U64} w[W];")
        fr = Frame()
        body = normalize(a.body)
        done = ["if (F) goto fault;", f"if (put(c, w, {aid}) < 0) return -2;", "n++;"]

        def inner(f2: Frame, _: str) -> str:
            # generated into a separate buffer: the body's lines go inside the loops
            saved = self.lines
            self.lines = []
            # with EDGES, each successor's binding goes with it (its fairness instance)
            ends = ([f"c->bind_now[{k}] = (int64_t){f2.local(b.name)};"
                     for k, b in enumerate(a.params)] if self.model.properties else []) + done
            if a.guard is not None:
                self.emit(0, f"if (!({self.ex(f2, a.guard)})) {{ if (F) goto fault; continue; }}")
            self.emit(0, "if (F) goto fault;")
            self.emit(0, "memcpy(w, s, sizeof w);")
            self.emit(0, "do {")
            self.block(replace(f2, src="w"), 1, body, ends)
            self.emit(0, "} while (0);")
            code = "\n".join(self.lines)
            self.lines = saved
            return code
        if a.params:
            self.emit(1, self.loops(fr, a.params, inner, stop="F"))
        else:
            self.emit(1, "for (int once = 0; once < 1; once++) {")
            self.emit(0, inner(fr, ""))
            self.emit(1, "}")
        self.emit(1, "if (F) goto fault;")
        self.emit(1, "return n;")
        self.emit(0, "fault:")
        self.emit(1, "return -1;")
        self.emit(0, "}")

    def init(self) -> None:
        """Every initial state, in the engines' order, handed to `add_init`."""
        self.emit(0, "static int init_states(ctx_t *c) {")
        self.emit(1, "int F = 0;")
        self.emit(1, f"{U64} w[W]; memset(w, 0, sizeof w);")
        fr = Frame(src="w")  # a later item reads what earlier items assigned
        closing = 0
        for it in self.model.init:
            var = self.model.vars[it.var]
            off = self.lay.offsets[it.var]
            if not it.choice:
                self.init_store(fr, off, var.t, it.expr)
                continue
            if not is_cell(var.t):
                self.need_word(var.t)
            st = it.expr.t
            assert isinstance(st, SetT)
            x = self.tmp()
            elem = st.elem
            self.need_word(st)
            m = self.tmp()
            base = self.enc.base if isinstance(elem, IntT) else 0
            self.emit(1, f"{U64} {m} = {self.ex(fr, it.expr)};")
            self.emit(1, "if (F) return -1;")
            first = (f"{U64} {x} = {self.ranks('unrank', elem)}[__builtin_ctzll({m})]"
                     if compound(elem) else f"{I64} {x} = ({I64})__builtin_ctzll({m}) + {base}")
            self.emit(1, f"while ({m}) {{ {first}; {m} &= {m} - 1; (void){x};")
            closing += 1
            self.init_write(off, var.t, self.convert(x, elem, var.t, check=True))
        self.emit(1, "{ int r = add_init(c, w); if (r) return r; }")
        for _ in range(closing):
            self.emit(1, "}")
        self.emit(1, "return 0;")
        self.emit(0, "}")

    def init_write(self, off: int, t: Type, val: str) -> None:
        """`init` writes the C value val (of type t) at bit `off`, unless it failed."""
        v = self.tmp()
        self.emit(1, f"{ctype(t)} {v} = {val};")
        self.emit(1, "if (F) return -1;")
        self.emit(1, f"wrv(w, {off}, {self.width(t)}, {self.val_cell(t, v)});")

    def init_store(self, fr: Frame, off: int, t: Type, e: M.Expr) -> None:
        """`init` stores e (of a variable of type t) at bit `off`. A value wider than a
        word is stored part by part: a function comprehension key by key, a literal in
        words (the initial values of a function of queues, say)."""
        if is_cell(t) or self.width(t) <= 64:
            self.init_write(off, t, self.fit(fr, e, t))
        elif (isinstance(e, M.FnComp) and isinstance(t, FnT) and isinstance(e.binder.domain, M.Lit)
              and M.type_size(t.dom) == len(e.binder.domain.value)):
            w, elem = self.width(t.rng), e.binder.domain.t
            assert isinstance(elem, SetT)
            keys = sorted(e.binder.domain.value, key=lambda x: self.enc.encode(elem.elem, x))
            for i, x in enumerate(keys):  # the keys in layout order
                self.init_store(fr, off + i * w, t.rng,
                                fold(substitute(e.e, {e.binder.name: x})))
        elif isinstance(e, M.Lit) and not has_any(t) and M.value_fits(e.value, t):
            bits, w = self.lay.pack(t, self.enc.encode(t, e.value)), self.width(t)
            for k in range(0, w, 64):
                self.emit(1, f"wrv(w, {off + k}, {min(64, w - k)}, "
                          f"{(bits >> k) & ((1 << 64) - 1)}ULL);")
        else:
            self.need_word(t)

    def invariants(self) -> None:
        """The first violated invariant's index, -1 when all hold, -2 when one fails to
        evaluate (helpers are the prover's: skipped, indexes kept)."""
        self.emit(0, f"static int invariants(const {U64} *s) {{")
        self.emit(1, "int F = 0; (void)s;")
        for i, inv in enumerate(self.model.invariants):
            if not inv.helper:
                self.emit(1, f"{{ int ok = {self.ex(Frame(), inv.expr)}; if (F) return -2; "
                          f"if (!ok) return {i}; }}")
        self.emit(1, "(void)F; return -1;")
        self.emit(0, "}")

    def constraint(self) -> None:
        """1 when the state satisfies every `constraint`, 0 when not, -2 when one fails to
        evaluate."""
        self.emit(0, f"static int constraint(const {U64} *s) {{")
        self.emit(1, "int F = 0; (void)s;")
        for c in self.model.constraints:
            self.emit(1, f"{{ int ok = {self.ex(Frame(), c.expr)}; if (F) return -2; "
                      "if (!ok) return 0; }")
        self.emit(1, "(void)F; return 1;")
        self.emit(0, "}")

    def covers(self) -> None:
        """The covers the state satisfies (cover i at bit i), -1 when one fails to
        evaluate."""
        if len(self.model.covers) > MAX_COVERS:
            raise Unsupported(f"more than {MAX_COVERS} covers")
        self.emit(0, f"#define NCOVERS {len(self.model.covers)}")
        self.emit(0, f"static {I64} covers(const {U64} *s) {{")
        self.emit(1, f"int F = 0; {I64} bits = 0; (void)s;")
        for i, c in enumerate(self.model.covers):
            self.emit(1, f"{{ int ok = {self.ex(Frame(), c.expr)}; if (F) return -1; "
                      f"if (ok) bits |= ({I64})1 << {i}; }}")
        self.emit(1, "(void)F; return bits;")
        self.emit(0, "}")

    def terminal(self) -> None:
        self.emit(0, f"static int terminal(const {U64} *s) {{")
        self.emit(1, "int F = 0; (void)s;")
        if self.model.terminal is None:
            self.emit(1, "(void)F; return 0;")
        else:
            self.emit(1, f"int r = {self.ex(Frame(), self.model.terminal)};")
            self.emit(1, "return F ? -2 : (r != 0);")
        self.emit(0, "}")

    def source(self) -> str:
        """The model's half of the C source (search.c is the other)."""
        self.emit(0, f"#define W {self.words}")
        self.emit(0, f"#define SB {max(1, (self.lay.total + 7) // 8)}")
        self.emit(0, f"#define NACT {max(1, len(self.model.actions))}")
        # EDGES: the search records every edge, with its action's binding (liveness)
        self.emit(0, f"#define EDGES {int(bool(self.model.properties))}")
        self.emit(0, f"#define MAXP {max([1, *(len(a.params) for a in self.model.actions)])}")
        self.emit(0, "#include \"search.h\"")
        if self.model.properties:  # per action: its fairness (0, 1 weak, 2 strong), parameters
            code = {M.Fairness.NONE: 0, M.Fairness.WEAK: 1, M.Fairness.STRONG: 2}
            fair = ", ".join(str(code[a.fairness]) for a in self.model.actions) or "0"
            nparams = ", ".join(str(len(a.params)) for a in self.model.actions) or "0"
            self.emit(0, f"static const signed char FAIR_OF[NACT] = {{{fair}}};")
            self.emit(0, f"static const int NPARAMS[NACT] = {{{nparams}}};")
        for line in symtab.tables(self.model, self.lay, self.symmetry, self.words):
            self.emit(0, line)
        for aid, a in enumerate(self.model.actions):
            self.action(aid, a)
        self.init()
        self.invariants()
        self.terminal()
        self.constraint()
        self.covers()
        calls = " ".join(f"r = act{aid}(c, s); if (r < 0) return r; c->fired_now[{aid}] = r; "
                         f"total += r;" for aid in range(len(self.model.actions)))
        self.emit(0, f"static int64_t successors(ctx_t *c, const {U64} *s) {{")
        # (void): a spec without actions uses neither the parameters nor the buffer
        self.emit(1, f"int64_t r = 0, total = 0; (void)r; (void)c; (void)s; (void)put; {calls}")
        self.emit(1, "return total;")
        self.emit(0, "}")
        self.emit(0, f"static const int HAS_TERMINAL = {int(self.model.terminal is not None)};")
        self.emit(0, f"static const int HAS_CONSTRAINT = {int(bool(self.model.constraints))};")
        self.emit(0, "#include \"search.c\"")
        at = self.lines.index("#include \"search.h\"") + 1
        self.lines[at:at] = self.tables  # declared before the code that reads them
        return "\n".join(self.lines) + "\n"
