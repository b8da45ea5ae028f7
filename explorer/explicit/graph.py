"""The reachable state graph a search records for the liveness check, in flat arrays.

States are the search's indexes (breadth-first order; the initial states first). The
search expands state 0, 1, 2, ... in order, so the edges arrive grouped by their source
and are kept as adjacency lists in one array (`first[s]` .. `first[s+1]` are the edges out
of s): per edge only its target, its action and its fairness instance, a few bytes each,
never a Python object. A step that leaves the state as it was is not kept: it is a
stuttering step, which every behaviour may take anyway, and which neither enables nor
takes an action in TLA+'s sense (<<A>>_vars). Each fair action's bindings are numbered as
they are met (the instances `\\A p: WF(A(p))` speaks of). Imports nothing from the language.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

UNFAIR, WEAK, STRONG = 0, 1, 2  # an action's fairness, as `Graph` is given it

Binding = tuple[Any, ...]


class Graph:
    """The edges of a search, to seen states too, self-loops left out. `fairness[a]` is
    action a's (UNFAIR, WEAK or STRONG); an edge of a fair action carries the number of
    its (action, binding) instance, any other -1."""

    def __init__(self, fairness: Sequence[int]) -> None:
        self.fairness = list(fairness)
        self.first = array("q")  # first[s]: the index of s's first edge (see `close`)
        self.dst = array("q")
        self.act = array("i")
        self.inst = array("i")
        self.instances: dict[tuple[int, Binding], int] = {}
        self.keys: list[tuple[int, Binding]] = []  # per instance: (action, binding)
        self.kinds: list[int] = []  # per instance: WEAK or STRONG
        self.n = 0  # states, once closed

    def add(self, src: int, action: int, binding: Binding, dst: int) -> None:
        """An edge out of `src`, the state being expanded (sources come in order)."""
        first = self.first
        while len(first) <= src:
            first.append(len(self.dst))
        if src == dst:
            return
        kind = self.fairness[action]
        inst = -1
        if kind:
            key = (action, binding)
            inst = self.instances.get(key, -1)
            if inst < 0:
                inst = self.instances[key] = len(self.kinds)
                self.kinds.append(kind)
                self.keys.append(key)
        self.dst.append(dst)
        self.act.append(action)
        self.inst.append(inst)

    def close(self, n: int) -> None:
        """The search is over with n states: the adjacency of the states not expanded
        (none, when it completed) is empty."""
        while len(self.first) <= n:
            self.first.append(len(self.dst))
        self.n = n

    @property
    def edges(self) -> int:
        return len(self.dst)

    @property
    def nbytes(self) -> int:
        """The memory of the arrays (what the figures report)."""
        return sum(a.itemsize * len(a) for a in (self.first, self.dst, self.act, self.inst))

    def out(self, s: int) -> range:
        """The indexes of the edges out of s."""
        return range(self.first[s], self.first[s + 1])
