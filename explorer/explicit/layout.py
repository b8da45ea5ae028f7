"""Where each variable lives in a packed state (one Python int), and how to get it out.

Scalars are *cells*: bool (0/1), integer (value - lo), atom (index), set of scalars (its
bitmask), and `T?` of those (0 for none, 1 + the inner encoding). Compound values are laid
out field after field: a function as its cells in domain order, a record in field-name
order, a sequence as its length then `cap` element slots (unused slots are 0), and `T?` of
a compound as a tag bit then the inner layout. Generated code reads and writes cells,
sequence elements and lengths with shifts and masks (an append to, or a slice of, the
location assigned too); compound values are packed and unpacked whole, by the generic
functions here, only where a spec uses them whole.
"""

from __future__ import annotations

from typing import Any

from explorer.explicit.encoding import Encoding
from explorer.model import AtomT, BoolT, FnT, IntT, Model, NoneT, OptT, RecT, SeqT, SetT, Type, type_size


def is_cell(t: Type) -> bool:
    if isinstance(t, OptT):
        return isinstance(t.inner, BoolT | IntT | AtomT)
    return isinstance(t, BoolT | IntT | AtomT | SetT | NoneT)


class Layout:
    def __init__(self, model: Model, enc: Encoding) -> None:
        self.enc = enc
        self.offsets: list[int] = []
        off = 0
        for v in model.vars:
            self.offsets.append(off)
            off += self.width(v.t)
        self.total = off

    # ------------------------------------------------------------------ widths
    def width(self, t: Type) -> int:
        if isinstance(t, BoolT):
            return 1
        if isinstance(t, IntT):
            assert t.lo is not None and t.hi is not None
            return max(1, (t.hi - t.lo).bit_length())
        if isinstance(t, AtomT):
            return max(1, (len(t.atoms) - 1).bit_length())
        if isinstance(t, NoneT):
            return 1
        if isinstance(t, SetT):
            return self.set_width(t.elem)
        if isinstance(t, OptT):
            if is_cell(t):
                return max(1, type_size(t.inner).bit_length())
            return 1 + self.width(t.inner)
        if isinstance(t, FnT):
            return type_size(t.dom) * self.width(t.rng)
        if isinstance(t, RecT):
            return sum(self.width(ft) for _, ft in t.fields)
        if isinstance(t, SeqT):
            return self.len_width(t) + t.cap * self.width(t.elem)
        raise TypeError(t)

    def set_width(self, elem: Type) -> int:
        if isinstance(elem, BoolT):
            return 2
        if isinstance(elem, AtomT):
            return len(elem.atoms)
        if not isinstance(elem, IntT):  # one bit per value, by rank (Encoding.bit)
            return type_size(self.enc.universe(elem))
        assert isinstance(elem, IntT) and elem.hi is not None
        return max(1, elem.hi - self.enc.base + 1)

    @staticmethod
    def len_width(t: SeqT) -> int:
        return max(1, t.cap.bit_length())

    def field_offset(self, t: RecT, name: str) -> int:
        off = 0
        for n, ft in t.fields:
            if n == name:
                return off
            off += self.width(ft)
        raise KeyError(name)

    # ------------------------------------------------------------------ cells
    @staticmethod
    def cell_lo(t: Type) -> int:
        """The integer stored as 0 (the range's lower bound), for integer cells."""
        inner = t.inner if isinstance(t, OptT) else t
        return inner.lo if isinstance(inner, IntT) and inner.lo is not None else 0

    # ------------------------------------------------------------------ whole values
    def pack(self, t: Type, v: Any) -> int:
        """Compact value v of type t -> its bits."""
        if is_cell(t):
            if isinstance(t, OptT):
                return 0 if v is None else int(v) - self.cell_lo(t) + 1
            if isinstance(t, NoneT):
                return 0
            return int(v) - self.cell_lo(t)
        if isinstance(t, OptT):
            return 0 if v is None else 1 | self.pack(t.inner, v) << 1
        if isinstance(t, FnT):
            w, out = self.width(t.rng), 0
            for i, x in enumerate(v):
                out |= self.pack(t.rng, x) << (i * w)
            return out
        if isinstance(t, RecT):
            out, off = 0, 0
            for (_, ft), x in zip(t.fields, v):
                out |= self.pack(ft, x) << off
                off += self.width(ft)
            return out
        if isinstance(t, SeqT):
            lw, w = self.len_width(t), self.width(t.elem)
            out = len(v)
            for i, x in enumerate(v):
                out |= self.pack(t.elem, x) << (lw + i * w)
            return out
        raise TypeError(t)

    def unpack(self, t: Type, bits: int) -> Any:
        """Bits (already shifted down, extra high bits allowed) -> compact value."""
        bits &= (1 << self.width(t)) - 1
        if is_cell(t):
            if isinstance(t, OptT):
                return None if bits == 0 else bits - 1 + self.cell_lo(t)
            if isinstance(t, NoneT):
                return None
            return bits + self.cell_lo(t)
        if isinstance(t, OptT):
            return None if not bits & 1 else self.unpack(t.inner, bits >> 1)
        if isinstance(t, FnT):
            w = self.width(t.rng)
            return tuple(self.unpack(t.rng, bits >> (i * w)) for i in range(type_size(t.dom)))
        if isinstance(t, RecT):
            out, off = [], 0
            for _, ft in t.fields:
                out.append(self.unpack(ft, bits >> off))
                off += self.width(ft)
            return tuple(out)
        if isinstance(t, SeqT):
            lw, w = self.len_width(t), self.width(t.elem)
            n = bits & ((1 << lw) - 1)
            return tuple(self.unpack(t.elem, bits >> (lw + i * w)) for i in range(n))
        raise TypeError(t)
