"""Compact encoding of values for the explicit engine, and its inverse.

  bool -> bool, integer -> int, atom -> its index, none -> None,
  set -> int bitmask (bit = atom index, bool 0/1, integer - base; for other element types
        the element's rank in canonical order),
  function -> tuple indexed by the domain (atom index, bool 0/1, integer - lo),
  record -> tuple in field-name order, sequence -> tuple.
Reports never see this encoding: traces are decoded to `values` first.
"""

from __future__ import annotations

from typing import Any

from explorer.model import AnyT, AtomT, BoolT, FnT, IntT, NoneT, OptT, RecT, SeqT, SetT, Type, type_values
from explorer.types import join
from explorer.values import Atom, Fn, Rec, Value, sort_key


class Encoding:
    """Encoder/decoder for one model. Integer sets are bitmasks whose bit 0 holds the
    integer `base` (the least element any set of the model can hold, at most 0)."""

    def __init__(self, int_base: int, universes: list[Type] | None = None) -> None:
        self.base = int_base  # the integer stored in bit 0 of an integer set
        # the types whose values rank the sets of compound elements: each holds (joins)
        # the element types that join, so that those sets' masks meet bit for bit
        # (`s union {{a: 1}}`, whatever the types of s and the literal)
        self.universes = universes or []
        self._universe: dict[Type, Type] = {}
        # the element types of sets that are not scalars: each one's table from compact
        # value to bit (its rank in canonical order) and back (generated code reads them)
        self.ranks: list[dict[Any, int]] = []
        self.unranks: list[list[Any]] = []
        self._tables: dict[object, int] = {}

    def keys(self, dom: Type) -> list[Value]:
        """A function's keys in the order of its compact tuple: canonical (for scalars, the
        order of type_values)."""
        return sorted(type_values(dom), key=sort_key)

    def key_table(self, dom: Type) -> int:
        """The index of the table from a compound key's compact value to its position in
        the compact tuple of a function over dom (exactly dom: functions over different
        domains never meet)."""
        k = self._tables.get(("key", dom))
        if k is None:
            compact = [self.encode(dom, v) for v in self.keys(dom)]
            k = self._tables[("key", dom)] = len(self.ranks)
            self.ranks.append({c: i for i, c in enumerate(compact)})
            self.unranks.append(compact)
        return k

    def universe(self, t: Type) -> Type:
        """The type whose values rank a set with elements of type t (compound)."""
        u = self._universe.get(t)
        if u is None:
            u = self._universe[t] = next((u for u in self.universes if join(u, t) == u), t)
        return u

    def table(self, t: Type) -> int:
        """The index of the rank tables of t's universe (t a compound element type)."""
        t = self.universe(t)
        k = self._tables.get(t)
        if k is None:
            values = sorted(type_values(t), key=sort_key)  # canonical order
            compact = [self.encode(t, v) for v in values]
            k = self._tables[t] = len(self.ranks)
            self.ranks.append({c: i for i, c in enumerate(compact)})
            self.unranks.append(compact)
        return k

    def bit(self, t: Type, v: Any) -> int:
        """Bit position of compact element v of type t: a scalar's own number, else its
        rank among t's values in canonical order (so masks iterate canonically)."""
        if isinstance(t, IntT):
            return int(v) - self.base
        if not isinstance(t, BoolT | AtomT):
            return self.ranks[self.table(t)][v]
        return int(v)

    def unbit(self, t: Type, b: int) -> Any:
        if isinstance(t, IntT):
            return b + self.base
        if isinstance(t, BoolT):
            return b == 1
        if not isinstance(t, AtomT):
            return self.unranks[self.table(t)][b]
        return b

    def encode(self, t: Type, v: Value) -> Any:
        if v is None:
            return None
        if isinstance(t, OptT):
            return self.encode(t.inner, v)
        if isinstance(t, BoolT | IntT):
            return v
        if isinstance(t, AtomT):
            assert isinstance(v, Atom)
            return v.index
        if isinstance(t, SetT):
            mask = 0
            for x in v:
                mask |= 1 << self.bit(t.elem, self.encode(t.elem, x))
            return mask
        if isinstance(t, FnT):
            return tuple(self.encode(t.rng, v[k]) for k in self.keys(t.dom))
        if isinstance(t, RecT):
            return tuple(self.encode(ft, v[n]) for n, ft in t.fields)
        if isinstance(t, SeqT):
            return tuple(self.encode(t.elem, x) for x in v)
        if isinstance(t, AnyT | NoneT):
            return v
        raise TypeError(t)

    def decode(self, t: Type, v: Any) -> Value:
        if v is None:
            return None
        if isinstance(t, OptT):
            return self.decode(t.inner, v)
        if isinstance(t, BoolT):
            return bool(v)
        if isinstance(t, IntT):
            return v
        if isinstance(t, AtomT):
            return t.atom(v)
        if isinstance(t, SetT):
            out, b = [], 0
            while v:
                if v & 1:
                    out.append(self.decode(t.elem, self.unbit(t.elem, b)))
                v >>= 1
                b += 1
            return frozenset(out)
        if isinstance(t, FnT):
            return Fn(zip(self.keys(t.dom), (self.decode(t.rng, x) for x in v)))
        if isinstance(t, RecT):
            return Rec((n, self.decode(ft, x)) for (n, ft), x in zip(t.fields, v))
        if isinstance(t, SeqT):
            return tuple(self.decode(t.elem, x) for x in v)
        return v
