"""Liveness over the recorded state graph (explorer.explicit.graph): fair cycles, lassos.

A behaviour is infinite; stuttering (staying in the same state) is always allowed, so a
state where nothing is enabled stutters for ever. A property is violated when some fair
behaviour violates it, and a violating behaviour of a finite graph can always be taken to
be a lasso: a path from an initial state to a state e, then a cycle through e repeated
for ever (an empty cycle: stuttering at e for ever). Every kind of property asks the same
question of the graph (`Goal`): is there a fair cycle among `cycle` states that visits a
`visit` state, reached by a path that stays among `cycle` states from a `trigger` state on
(from the initial state itself when `from_start`)?

Fairness is per instance (an action with one binding of its parameters; graph.py numbers
them), as TLA+ reads `\\A p: WF_vars(A(p))`, counting only steps that change the state. The
set of states a behaviour visits infinitely often is strongly connected, so the fair
cycles are found by the standard SCC refinement: in a strongly connected set (a single
state counts, as it may stutter) a behaviour can take every edge infinitely often; it is
weakly fair to an instance taken on one of its edges or disabled at one of its states, and
strongly fair to one taken on one of its edges or disabled at all of its states. A set
unfair to a weak instance has no fair subset (the instance stays enabled everywhere and
untaken); one unfair to strong instances loses the states where those are enabled, and
what is left is decomposed again.

The counterexample: the shortest path (breadth-first, edges in exploration order) from an
initial state to a state of a fair set, then the shortest fair cycle through that entry
(a breadth-first search over (state, what the cycle has done so far)): exact up to
`MAX_PRODUCT` (state, mask) pairs, beyond which the cycle is built greedily (one
obligation after another, each by a shortest path: a real, fair cycle, not always the
shortest). Deterministic: nothing depends on hashing or timing. Imports nothing from the
language.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from explorer import budget as B
from explorer.explicit.graph import STRONG, WEAK, Graph

_NONE: frozenset[int] = frozenset()

MAX_PRODUCT = 4_000_000  # (state, mask) pairs the exact shortest-cycle search may visit

EVENTUALLY = "eventually"
LEADS_TO = "leads to"
ALWAYS_EVENTUALLY = "always eventually"
EVENTUALLY_ALWAYS = "eventually always"


@dataclass(frozen=True)
class Goal:
    """What a counterexample to a property looks like, over the graph's states (one byte
    per state, 1 for a member)."""

    cycle: bytes  # the states the cycle, and the path after the trigger, stay among
    visit: bytes  # the cycle visits one of these (a subset of `cycle`)
    trigger: bytes  # where the path may start to stay among `cycle` states
    from_start: bool  # the trigger must be the initial state itself


def goal(kind: str, p: bytes, q: bytes | None = None) -> Goal:
    """The counterexamples to `kind` (model.Temporal's values but `always`), given P (and
    Q) at each state."""
    n = len(p)
    notp = bytes(1 - x for x in p)
    every = b"\x01" * n
    if kind == EVENTUALLY:  # P never holds
        return Goal(notp, notp, notp, True)
    if kind == LEADS_TO:  # some P state, then Q never holds
        assert q is not None
        notq = bytes(1 - x for x in q)
        return Goal(notq, notq, bytes(a & b for a, b in zip(p, notq)), False)
    if kind == ALWAYS_EVENTUALLY:  # from some point on, P never holds
        return Goal(notp, notp, notp, False)
    if kind == EVENTUALLY_ALWAYS:  # P fails infinitely often
        return Goal(every, notp, every, False)
    raise ValueError(kind)


@dataclass(frozen=True)
class Lasso:
    """An initial state, the edges of the path from it to the cycle's first state, and
    the cycle's edges back to that state (none: it stutters there for ever)."""

    start: int
    prefix: tuple[int, ...]
    cycle: tuple[int, ...]

    @property
    def steps(self) -> int:
        """Its length as a check counts it (`in K steps`): the prefix's steps and the
        cycle's (none for stuttering). Not `__len__`: an empty lasso is still a lasso."""
        return len(self.prefix) + len(self.cycle)


class Liveness:
    """The fair sets of one graph, for one goal at a time."""

    def __init__(self, g: Graph, n_init: int) -> None:
        self.g, self.n_init = g, n_init
        self.enabled = _Enabled(g)

    # -- fair sets ------------------------------------------------------------------------

    def fair_sets(self, goal: Goal) -> list[list[int]]:
        """The maximal strongly connected sets of `cycle` states in which a fair behaviour
        can stay for ever visiting a `visit` state, each sorted; in order of their
        smallest state. Only those a counterexample can reach are looked for: the `cycle`
        states reachable, among `cycle` states, from a trigger (a cycle through one of them
        stays among them, so their components are the same)."""
        out: list[list[int]] = []
        region = self._region(goal)
        todo = self._sccs(range(self.g.n), region.__getitem__)
        while todo:
            comp = todo.pop()
            B.poll()
            ok, drop = self._judge(comp, goal)
            if ok:
                out.append(sorted(comp))
            elif drop:
                left = set(comp).difference(drop)
                todo.extend(self._sccs(sorted(left), left.__contains__))
        out.sort(key=lambda c: c[0])
        return out

    def _region(self, goal: Goal) -> bytearray:
        """The `cycle` states reachable among `cycle` states from a trigger (one that may
        start the counterexample's second half: an initial one when `from_start`)."""
        g, cycle, trigger = self.g, goal.cycle, goal.trigger
        first, dst = g.first, g.dst
        seeds = range(self.n_init) if goal.from_start else range(g.n)
        region = bytearray(g.n)
        stack = [s for s in seeds if trigger[s] and cycle[s]]
        for s in stack:
            region[s] = 1
        n = 0
        while stack:
            s = stack.pop()
            n += 1
            if n & 4095 == 0:
                B.poll()
            for e in range(first[s], first[s + 1]):
                t = dst[e]
                if cycle[t] and not region[t]:
                    region[t] = 1
                    stack.append(t)
        return region

    def _judge(self, comp: list[int], goal: Goal) -> tuple[bool, list[int]]:
        """(fair, the states to drop to look for fair subsets): a set unfair to a weak
        instance, or visiting no `visit` state, has no fair subset (nothing to drop)."""
        g, en = self.g, self.enabled
        member = set(comp)
        if not any(goal.visit[s] for s in comp):
            return False, []
        taken: set[int] = set()
        for s in comp:
            for e in g.out(s):
                if g.inst[e] >= 0 and g.dst[e] in member:
                    taken.add(g.inst[e])
        count: dict[int, int] = {}
        for s in comp:
            for i in en[s]:
                count[i] = count.get(i, 0) + 1
        strong: set[int] = set()
        for i, c in count.items():
            if i in taken:
                continue
            if g.kinds[i] == WEAK and c == len(comp):
                return False, []
            if g.kinds[i] == STRONG:
                strong.add(i)
        if not strong:
            return True, []
        return False, [s for s in comp if en[s] & strong]

    def _sccs(self, states: range | list[int], inside: Callable[[int], object]
              ) -> list[list[int]]:
        """The strongly connected components of the subgraph of `states` (those for which
        `inside` holds; iterative Tarjan): every one of them is in one, singletons
        included."""
        g = self.g
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        on: set[int] = set()
        stack: list[int] = []
        out: list[list[int]] = []
        counter = 0
        for root in states:
            if not inside(root) or root in index:
                continue
            work = [(root, g.first[root])]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on.add(root)
            while work:
                v, e = work[-1]
                end = g.first[v + 1]
                while e < end:
                    w = g.dst[e]
                    e += 1
                    if not inside(w):
                        continue
                    if w not in index:
                        work[-1] = (v, e)
                        index[w] = low[w] = counter
                        counter += 1
                        stack.append(w)
                        on.add(w)
                        work.append((w, g.first[w]))
                        break
                    if w in on and index[w] < low[v]:
                        low[v] = index[w]
                else:
                    work.pop()
                    if work:
                        u = work[-1][0]
                        if low[v] < low[u]:
                            low[u] = low[v]
                    if low[v] == index[v]:
                        comp = []
                        while True:
                            w = stack.pop()
                            on.discard(w)
                            comp.append(w)
                            if w == v:
                                break
                        out.append(comp)
                    if counter & 4095 == 0:
                        B.poll()
        return out

    # -- the counterexample ---------------------------------------------------------------

    def lasso(self, goal: Goal) -> Lasso | None:
        """A shortest path to a fair set, then a shortest fair cycle there (see the module
        docstring); None when no fair behaviour violates the property."""
        sets = self.fair_sets(goal)
        if not sets:
            return None
        which = [-1] * self.g.n
        for k, comp in enumerate(sets):
            for s in comp:
                which[s] = k
        found = self._prefix(goal, which)
        if found is None:  # no fair set is reachable as the goal asks
            return None
        start, prefix, entry = found
        cycle = self._cycle(entry, sets[which[entry]], goal)
        return Lasso(start, tuple(prefix), tuple(cycle))

    def _prefix(self, goal: Goal, which: list[int]) -> tuple[int, list[int], int] | None:
        """Breadth first over (state, phase): phase 0 goes anywhere, phase 1 (from a
        trigger on) stays among `cycle` states and ends at a state of a fair set."""
        g = self.g
        parent: dict[tuple[int, int], tuple[int, int, int]] = {}  # node -> (node, edge)
        queue: deque[tuple[int, int]] = deque()

        def reach(node: tuple[int, int], via: tuple[int, int, int]) -> None:
            if node in parent:
                return
            parent[node] = via
            queue.append(node)
            s, phase = node
            if phase == 0 and goal.trigger[s] and goal.cycle[s]:
                reach((s, 1), (s, 0, -1))  # the trigger: no step

        for s in range(self.n_init):
            if goal.from_start:
                if goal.trigger[s] and goal.cycle[s]:
                    reach((s, 1), (-1, -1, -1))
            else:
                reach((s, 0), (-1, -1, -1))
        n = 0
        while queue:
            s, phase = node = queue.popleft()
            n += 1
            if n & 4095 == 0:
                B.poll()
            if phase == 1 and which[s] >= 0:
                return self._unwind(parent, node)
            for e in g.out(s):
                t = g.dst[e]
                if phase == 1 and not goal.cycle[t]:
                    continue
                reach((t, phase), (s, phase, e))
        return None

    @staticmethod
    def _unwind(parent: dict[tuple[int, int], tuple[int, int, int]],
                node: tuple[int, int]) -> tuple[int, list[int], int]:
        edges: list[int] = []
        entry = node[0]
        while True:
            s, phase, e = parent[node]
            if s < 0:
                return node[0], edges[::-1], entry
            if e >= 0:
                edges.append(e)
            node = (s, phase)

    def _cycle(self, entry: int, comp: list[int], goal: Goal) -> list[int]:
        """The shortest fair cycle through `entry` inside the fair set `comp` (empty:
        stuttering at `entry` is fair), or a greedy one when the exact search is too big."""
        g, en = self.g, self.enabled
        member = set(comp)
        inst_in: set[int] = set()  # the instances enabled somewhere in comp
        for s in comp:
            inst_in |= en[s]
        # the obligations: one bit per weak instance (taken, or disabled at a state
        # visited), two per strong one (taken; enabled at a state visited), one to visit
        weak = sorted(i for i in inst_in if g.kinds[i] == WEAK)
        strong = sorted(i for i in inst_in if g.kinds[i] == STRONG)
        bit = {i: 1 << k for k, i in enumerate(weak)}
        sbit = {i: (1 << (len(weak) + 2 * k), 1 << (len(weak) + 2 * k + 1))
                for k, i in enumerate(strong)}
        vbit = 1 << (len(weak) + 2 * len(strong))
        wmask = sum(bit.values())

        def arrive(s: int, mask: int) -> int:
            """What visiting s adds."""
            here = en[s]
            for i in weak:
                if i not in here:
                    mask |= bit[i]
            for i in strong:
                if i in here:
                    mask |= sbit[i][1]
            if goal.visit[s]:
                mask |= vbit
            return mask

        def move(s: int, t: int) -> int:
            """What the step s -> t takes: every instance with an edge s -> t."""
            mask = 0
            for e in g.out(s):
                if g.dst[e] == t and g.inst[e] >= 0:
                    i = g.inst[e]
                    mask |= bit.get(i, 0) | sbit.get(i, (0, 0))[0]
            return mask

        def fair(mask: int) -> bool:
            return (mask & wmask == wmask and mask & vbit != 0 and
                    all(mask & t or not mask & v for t, v in sbit.values()))

        start = arrive(entry, 0)
        if not en[entry] and goal.visit[entry]:
            return []  # nothing fair is enabled here: stuttering for ever is fair
        if len(comp) << (len(weak) + 2 * len(strong) + 1) > MAX_PRODUCT:
            return self._greedy(entry, member, weak, strong, goal)
        parent: dict[tuple[int, int], tuple[int, int, int]] = {}
        queue: deque[tuple[int, int]] = deque([(entry, start)])
        seen = {(entry, start)}
        n = 0
        while queue:
            s, mask = queue.popleft()
            n += 1
            if n & 4095 == 0:
                B.poll()
            for e in g.out(s):
                t = g.dst[e]
                if t not in member:
                    continue
                m2 = arrive(t, mask | move(s, t))
                if t == entry and fair(m2):
                    edges = [e]
                    node = (s, mask)
                    while node != (entry, start):
                        ps, pm, pe = parent[node]
                        edges.append(pe)
                        node = (ps, pm)
                    return edges[::-1]
                if (t, m2) not in seen:
                    seen.add((t, m2))
                    parent[(t, m2)] = (s, mask, e)
                    queue.append((t, m2))
        raise AssertionError("a fair set has a fair cycle through each of its states")

    def _greedy(self, entry: int, member: set[int], weak: list[int], strong: list[int],
                goal: Goal) -> list[int]:
        """A fair cycle through `entry`, one obligation after another: for each weak
        instance not yet met, the nearest state where it is disabled or edge that takes
        it; each strong instance enabled in the set taken; a `visit` state; then back."""
        g, en = self.g, self.enabled
        path: list[int] = []
        at = entry
        met: set[int] = set()
        visited = bool(goal.visit[entry])

        def note(s: int) -> None:
            met.update(i for i in weak if i not in en[s])

        note(entry)
        for i in [*weak, *strong]:
            if i in met:
                continue
            def done(s: int, e: int, i: int = i) -> bool:
                return g.inst[e] == i or (g.kinds[i] == WEAK and i not in en[g.dst[e]])
            steps = self._walk(at, member, done)
            for e in steps:
                met.add(g.inst[e])
                note(g.dst[e])
                visited = visited or bool(goal.visit[g.dst[e]])
            path += steps
            at = g.dst[path[-1]] if path else at
        if not visited:
            steps = self._walk(at, member, lambda s, e: bool(goal.visit[g.dst[e]]))
            path += steps
            at = g.dst[path[-1]]
        if at != entry or not path:
            path += self._walk(at, member, lambda s, e: g.dst[e] == entry)
        return path

    def _walk(self, start: int, member: set[int], done: Callable[[int, int], bool]) -> list[int]:
        """The edges of a shortest path inside `member` from start through the first edge
        for which done(source, edge) holds."""
        g = self.g
        parent: dict[int, int] = {start: -1}
        queue = deque([start])
        while queue:
            s = queue.popleft()
            for e in g.out(s):
                t = g.dst[e]
                if t not in member:
                    continue
                if done(s, e):
                    edges = [e]
                    while s != start:
                        pe = parent[s]
                        edges.append(pe)
                        s = source(g, pe)
                    return edges[::-1]
                if t not in parent:
                    parent[t] = e
                    queue.append(t)
        raise AssertionError("a fair set is strongly connected")


def source(g: Graph, e: int) -> int:
    """The source of edge e."""
    lo, hi = 0, g.n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if g.first[mid] <= e:
            lo = mid
        else:
            hi = mid - 1
    return lo


class _Enabled:
    """enabled[s]: the fair instances with an edge out of s (to another state), computed
    when first asked for (most states of a large graph are never asked about)."""

    def __init__(self, g: Graph) -> None:
        self.g = g
        self.memo: dict[int, frozenset[int]] = {}
        self.fair = bool(g.kinds)

    def __getitem__(self, s: int) -> frozenset[int]:
        got = self.memo.get(s)
        if got is None:
            if not self.fair:
                return _NONE
            g = self.g
            inst = g.inst
            got = frozenset(i for i in (inst[e] for e in range(g.first[s], g.first[s + 1]))
                            if i >= 0) or _NONE
            self.memo[s] = got
        return got
