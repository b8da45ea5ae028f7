"""The canonical form of a packed state under permutations of symmetric sets.

`Canon(model, layout, sets)(s)` is the representative of s's orbit: two states get the
same one exactly when a permutation of the sets' atoms (each set permuted on its own) maps
one onto the other, and it is itself in the orbit (a real state of the model).

A permutation acts on the packed bits cell by cell (the layout's leaves): an atom cell of
the set is mapped through a table, a set-of-atoms cell has its bits permuted, and the
cells of a function whose domain holds the atoms change places; every other bit stays
(one mask). `var` locals are left alone: they are zero between steps.

The representative is the least packed state among a few images of s, not the whole
orbit's: each atom gets a *signature*, a hash summed over what the state says about it
(its cells in functions over the set, with their values; the cells that hold it or a set
containing it), which a permutation carries along with the atom. Sorting the atoms by
signature leaves only the permutations that respect the order (atoms with equal
signatures may be put in any order) and the least image under those is the same for every
state of the orbit, because the permutations that respect the order of s's mirror image
are those of s composed with the mirror. Cost: one pass over the state for the
signatures, then one image per permutation left: 1 when the signatures differ. A block of
equal signatures whose atoms the state cannot tell apart (every swap of two leaves it as
it is, as at an initial state where all are alike) gives one image in every order, so it
is tried in one. The worst case, k1! * k2! * ... images, is atoms alike in what each one
sees without being interchangeable (points on rings).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from explorer import model as M
from explorer.explicit.layout import Layout, is_cell
from explorer.symmetry import Perm
from explorer.values import Value

MASK64 = (1 << 64) - 1
# how a leaf cell's value changes under a permutation, and what it says about atoms
PLAIN, ATOM, OPT_ATOM, ATOM_SET = range(4)


Guard = tuple[int, int, int]


def _holds(s: int, guards: tuple[Guard, ...]) -> bool:
    """Whether a cell under these guards holds a value in state s (else it is zero)."""
    for off, mask, k in guards:
        if (s >> off) & mask <= k:
            return False
    return True


@dataclass(frozen=True)
class _FnStep:
    """One function application on a cell's path: the domain's values, the slot width."""

    dom_t: M.Type
    dom: tuple[Value, ...]
    width: int
    index: int  # this cell's domain position


@dataclass(frozen=True)
class _Leaf:
    off: int
    width: int
    base: int  # the offset with every permuted function step at position 0
    steps: tuple[_FnStep, ...]  # the function steps whose domain a permutation moves
    kind: int
    vset: int  # ATOM, OPT_ATOM, ATOM_SET: which of the sets the value's atoms are from
    cls: int  # the cell's place, with the permuted domain positions left out
    coords: tuple[tuple[int, int], ...]  # (set, atom) of each step over exactly one set
    # the cell holds a value only where each (offset, mask, k) reads more than k: the
    # length of the sequences it is a slot of, the tag of the optional values it is in
    guards: tuple[Guard, ...] = ()


class _Map(Protocol):
    """A cell's value map: a tuple, or `_Masks`."""

    def __getitem__(self, v: int, /) -> int: ...


Program = tuple[int, tuple[tuple[int, int, int, _Map | None, tuple[Guard, ...]], ...]]


class Canon:
    """The canonical form of a model's packed states under `sets` (symmetric sets)."""

    def __init__(self, model: M.Model, layout: Layout, sets: Sequence[M.AtomT]) -> None:
        self.sets = tuple(sets)
        self._index = {t.name: j for j, t in enumerate(self.sets)}
        self.layout = layout
        self.leaves: list[_Leaf] = []
        self._classes: dict[tuple[object, ...], int] = {}
        self._doms: dict[M.Type, tuple[Value, ...]] = {}
        self._guards: list[Guard] = []  # the walk's enclosing optional values and slots
        for v, off in zip(model.vars, layout.offsets):
            if not v.local:
                self._walk(v.t, off, off, (), (v.index,))
        # the leaves a permutation may change: the rest is one mask
        self.moving = [x for x in self.leaves if x.steps or x.kind != PLAIN]
        self._sig = [_SigLeaf(x) for x in self.moving if x.coords or x.kind != PLAIN]
        self._programs: dict[tuple[tuple[int, ...], ...], Program] = {}
        total = layout.total
        still = (1 << total) - 1
        for x in self.moving:
            still &= ~(((1 << x.width) - 1) << x.off)
        self.still = still

    # ------------------------------------------------------------------ the leaves
    def _moves(self, t: M.Type) -> bool:
        """Whether a permutation of the sets changes values of type t."""
        match t:
            case M.AtomT():
                return t.name in self._index
            case M.OptT() | M.SetT():
                return self._moves(t.inner if isinstance(t, M.OptT) else t.elem)
            case M.FnT():
                return self._moves(t.dom) or self._moves(t.rng)
            case M.RecT():
                return any(self._moves(ft) for _, ft in t.fields)
            case M.SeqT():
                return self._moves(t.elem)
            case _:
                return False

    def _walk(self, t: M.Type, off: int, base: int, steps: tuple[_FnStep, ...],
              place: tuple[object, ...]) -> None:
        lay = self.layout
        if is_cell(t):
            self._leaf(t, off, base, steps, place)
            return
        match t:
            case M.OptT():  # a tag bit, then the inner layout (zero when the tag is)
                self._leaf(M.BoolT(), off, base, steps, (*place, "tag"))
                self._guards.append((off, 1, 0))
                self._walk(t.inner, off + 1, base + 1, steps, (*place, "some"))
                self._guards.pop()
            case M.FnT():
                w = lay.width(t.rng)
                dom = self._doms.get(t.dom)
                if dom is None:
                    dom = self._doms[t.dom] = tuple(M.type_values(t.dom))
                moved = self._moves(t.dom)
                for i in range(len(dom)):
                    if moved:
                        step = _FnStep(t.dom, dom, w, i)
                        self._walk(t.rng, off + i * w, base, (*steps, step), (*place, "fn"))
                    else:
                        self._walk(t.rng, off + i * w, base + i * w, steps, (*place, i))
            case M.RecT():
                for name, ft in t.fields:
                    d = lay.field_offset(t, name)
                    self._walk(ft, off + d, base + d, steps, (*place, name))
            case M.SeqT():
                lw, w = lay.len_width(t), lay.width(t.elem)
                self._leaf(M.IntT(0, t.cap), off, base, steps, (*place, "len"))
                for i in range(t.cap):  # a slot past the length is zero
                    d = lw + i * w
                    self._guards.append((off, (1 << lw) - 1, i))
                    self._walk(t.elem, off + d, base + d, steps, (*place, "at", i))
                    self._guards.pop()
            case _:
                raise TypeError(t)

    def _leaf(self, t: M.Type, off: int, base: int, steps: tuple[_FnStep, ...],
              place: tuple[object, ...]) -> None:
        kind, vset = PLAIN, -1
        inner = t.inner if isinstance(t, M.OptT) else t
        if isinstance(inner, M.AtomT) and inner.name in self._index:
            kind, vset = (OPT_ATOM if isinstance(t, M.OptT) else ATOM), self._index[inner.name]
        elif isinstance(t, M.SetT) and isinstance(t.elem, M.AtomT) and t.elem.name in self._index:
            kind, vset = ATOM_SET, self._index[t.elem.name]
        coords = tuple((self._index[st.dom_t.name], st.index) for st in steps
                       if isinstance(st.dom_t, M.AtomT))  # a domain of exactly one set
        cls = self._classes.setdefault(place, len(self._classes))
        self.leaves.append(_Leaf(off, self.layout.width(t), base, steps, kind, vset, cls,
                                 coords, tuple(self._guards)))

    # ------------------------------------------------------------------ permutations
    def program(self, p: tuple[tuple[int, ...], ...]) -> Program:
        """How permutation p (p[j][a]: where atom a of set j goes) rewrites a state: the
        bits that stay, and (source offset, mask, destination offset, value table) for
        each cell that moves or changes."""
        prog = self._programs.get(p)
        if prog is not None:
            return prog
        perm = Perm(tuple(zip(self.sets, p)))
        positions: dict[M.Type, list[int]] = {}
        cells = []
        still = self.still
        tables: dict[tuple[int, int], _Map | None] = {}
        for x in self.moving:
            dst = x.base
            for st in x.steps:
                pos = positions.get(st.dom_t)
                if pos is None:
                    index = {v: i for i, v in enumerate(st.dom)}
                    pos = positions[st.dom_t] = [index[perm.value(v)] for v in st.dom]
                dst += pos[st.index] * st.width
            key = (x.kind, x.vset)
            if key not in tables:
                tables[key] = _table(x.kind, p[x.vset]) if x.kind != PLAIN else None
            tab = tables[key]
            m = (1 << x.width) - 1
            if dst == x.off and tab is None:
                still |= m << x.off
            else:
                cells.append((x.off, m, dst, tab, x.guards))
        prog = (still, tuple(cells))
        if len(self._programs) < 50_000:
            self._programs[p] = prog
        return prog

    def apply(self, p: tuple[tuple[int, ...], ...], s: int) -> int:
        """The image of packed state s under permutation p."""
        still, cells = self.program(p)
        out = s & still
        for src, m, dst, tab, guards in cells:
            if guards and not _holds(s, guards):
                continue
            v = (s >> src) & m
            if tab is not None:
                v = tab[v]
            out |= v << dst
        return out

    # ------------------------------------------------------------------ the form
    def signatures(self, s: int) -> list[list[int]]:
        """Each atom's signature, set by set (see the module's docstring): what each cell
        adds to an atom is looked up by the cell's value (computed on first sight)."""
        sig = [[0] * len(t.atoms) for t in self.sets]
        for x in self._sig:
            if x.guards and not _holds(s, x.guards):
                continue
            v = (s >> x.off) & x.mask
            for q, (j, a, tab) in enumerate(x.coords):
                h = tab.get(v)
                if h is None:
                    h = tab[v] = x.coord_hash(q, v)
                sig[j][a] += h
            if x.held is not None:
                hs = x.held.get(v)
                if hs is None:
                    hs = x.held[v] = x.held_hashes(v)
                row = sig[x.leaf.vset]
                for b, h in hs:
                    row[b] += h
        for row in sig:
            for a, h in enumerate(row):
                row[a] = h & MASK64
        return sig

    def __call__(self, s: int) -> int:
        choices = []
        ties = False
        for row in self.signatures(s):
            order = sorted(range(len(row)), key=row.__getitem__)
            blocks = [list(g) for _, g in itertools.groupby(order, key=row.__getitem__)]
            ties = ties or len(blocks) < len(row)
            choices.append(blocks)
        if not ties:  # one permutation respects the order: each atom to its rank
            only: list[tuple[int, ...]] = []
            for blocks in choices:
                rank = [0] * len(blocks)
                for pos, (a,) in enumerate(blocks):
                    rank[a] = pos
                only.append(tuple(rank))
            return self.apply(tuple(only), s)
        # a block whose atoms s cannot tell apart (swapping any two leaves s as it is)
        # gives the same image in every order: one order is enough (the usual worst case,
        # every atom alike, costs k - 1 swaps instead of k! images)
        free = [[len(b) > 1 and self._alike(j, b, s) for b in blocks]
                for j, blocks in enumerate(choices)]
        best = -1
        for p in _respecting(choices, free):
            img = self.apply(p, s)
            if best < 0 or img < best:
                best = img
        return best

    def _alike(self, j: int, block: list[int], s: int) -> bool:
        """Whether every permutation of `block` (atoms of set j) leaves s as it is: the
        swaps of neighbours, which generate them, all do."""
        ident = [tuple(range(len(t.atoms))) for t in self.sets]
        for a, b in zip(block, block[1:]):
            swap = list(ident[j])
            swap[a], swap[b] = b, a
            p = (*ident[:j], tuple(swap), *ident[j + 1:])
            if self.apply(p, s) != s:
                return False
        return True


class _SigLeaf:
    """What one cell adds to the signatures, by value: to the atom of each of its
    coordinates (`coords`: set, atom, value -> hash), and to the atoms it holds (`held`:
    value -> ((atom, hash), ...)), memoised."""

    __slots__ = ("coords", "guards", "held", "leaf", "mask", "off")

    def __init__(self, leaf: _Leaf) -> None:
        self.leaf, self.off, self.mask = leaf, leaf.off, (1 << leaf.width) - 1
        self.guards = leaf.guards
        self.coords: tuple[tuple[int, int, dict[int, int]], ...] = \
            tuple((j, a, {}) for j, a in leaf.coords)
        self.held: dict[int, tuple[tuple[int, int], ...]] | None = \
            None if leaf.kind == PLAIN else {}

    def _flags(self, j: int, a: int, skip: int = -1) -> tuple[bool, ...]:
        """How atom a of set j stands to the cell's coordinates of that set."""
        return tuple(a == b for k, (i, b) in enumerate(self.leaf.coords) if i == j and k != skip)

    def coord_hash(self, q: int, v: int) -> int:
        j, a = self.leaf.coords[q]
        return hash((self.leaf.cls, q, self._flags(j, a, q), self._seen_from(v, j, a)))

    def held_hashes(self, v: int) -> tuple[tuple[int, int], ...]:
        x = self.leaf
        if x.kind == ATOM_SET:
            atoms = [b for b in range(v.bit_length()) if v >> b & 1]
            tag = -2
        else:
            atoms = [v - (x.kind == OPT_ATOM)] if x.kind == ATOM or v else []
            tag = -1
        return tuple((b, hash((x.cls, tag, self._flags(x.vset, b)))) for b in atoms)

    def _seen_from(self, v: int, j: int, a: int) -> int:
        """The cell's value as atom a of set j sees it: itself, unless it holds atoms of a
        set being permuted (which it names only by how they stand to a: itself, none,
        another; a set by its size and whether it holds a)."""
        x = self.leaf
        if x.kind == PLAIN:
            return v
        if x.kind == ATOM_SET:
            return v.bit_count() * 2 + (x.vset == j and (v >> a) & 1)
        if x.kind == OPT_ATOM:
            if not v:
                return -1
            v -= 1
        return -2 if x.vset == j and v == a else -3


def _table(kind: int, p: tuple[int, ...]) -> _Map | None:
    """The value map of a cell of this kind under p (one set's permutation); None when p
    leaves every value as it is."""
    n = len(p)
    if p == tuple(range(n)):
        return None
    if kind == ATOM:
        return tuple(p)
    if kind == OPT_ATOM:
        return (0, *(1 + p[i] for i in range(n)))
    if n > 10:  # a set of many atoms: its masks mapped one by one, not tabulated
        return _Masks(p)
    return tuple(_Masks(p)[mask] for mask in range(1 << n))


class _Masks:
    """The map of a set-of-atoms cell's bits under a permutation."""

    __slots__ = ("p",)

    def __init__(self, p: tuple[int, ...]) -> None:
        self.p = p

    def __getitem__(self, mask: int) -> int:
        img, i = 0, 0
        while mask:
            if mask & 1:
                img |= 1 << self.p[i]
            mask >>= 1
            i += 1
        return img

    def __len__(self) -> int:
        return 1 << len(self.p)


def _respecting(choices: list[list[list[int]]], free: list[list[bool]]
                ) -> itertools.product[tuple[tuple[int, ...], ...]]:
    """The permutations that put each set's atoms in signature order: block by block, the
    atoms of a block take its positions in every order (in one order, for a `free` block,
    whose orders all give the same image)."""
    per_set = []
    for blocks, same in zip(choices, free):
        n = sum(len(b) for b in blocks)
        options: list[tuple[int, ...]] = []
        arrangements = [[tuple(b)] if f else itertools.permutations(b)
                        for b, f in zip(blocks, same)]
        for order in itertools.product(*arrangements):
            p = [0] * n
            for pos, a in enumerate(itertools.chain.from_iterable(order)):
                p[a] = pos
            options.append(tuple(p))
        per_set.append(options)
    return itertools.product(*per_set)
