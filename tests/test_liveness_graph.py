"""The liveness check over a recorded state graph (explorer.explicit.graph, .liveness).

First hand-computed graphs whose answers are forced, then random small graphs judged by a
brute-force oracle written from the TLA+ definitions, independently of liveness.py:

- a behaviour of a finite graph visits some set S of states infinitely often, S strongly
  connected by the edges inside it (a single state too: it may stutter). Among the
  behaviours whose infinitely-often set is S, the one that visits every state of S and
  takes every edge inside S infinitely often is the fairest: which instances are enabled
  infinitely often, or eventually always, depends on S only, and it takes every instance
  any of them takes infinitely often. Whether a property is violated depends on S (and on
  the path to S) only, not on which edges inside S are taken, as the properties speak of
  states: `eventually always P` fails iff S has a not-P state, `always eventually P` iff
  all of S is not-P, `eventually P` iff the whole path from the initial state and all of S
  are not-P, `P leads to Q` iff all of S is not-Q and some P-and-not-Q state, reachable
  from an initial state, reaches S by a path of not-Q states (the state itself may be in
  S). So a violation exists iff such an S exists, and the oracle enumerates every subset.
- every lasso returned is checked by definition: a path from an initial state, a closed
  path back to its end (empty: stuttering), the property violated along it, and the
  repetition of the cycle fair (every instance with an edge between the two states of a
  step counted as taken by it).
- the prefix is as short as the oracle says (a shortest path to any state of any valid S,
  through a trigger state for leads-to: the documented counterexample, liveness.py's
  module docstring), and no shorter cycle through the same entry gives a valid lasso.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from explorer.explicit import liveness as L
from explorer.explicit.graph import STRONG, UNFAIR, WEAK, Graph
from explorer.explicit.liveness import (
    ALWAYS_EVENTUALLY,
    EVENTUALLY,
    EVENTUALLY_ALWAYS,
    LEADS_TO,
    Lasso,
    Liveness,
    goal,
)

KINDS = (EVENTUALLY, LEADS_TO, ALWAYS_EVENTUALLY, EVENTUALLY_ALWAYS)

Edge = tuple[int, int, tuple[Any, ...], int]  # (src, action, binding, dst)


# -- the model: a graph as the test sees it, independent of liveness.py ---------------------


@dataclass(frozen=True)
class Spec:
    """A graph to record: `edges` in the order they are added (sources nondecreasing),
    self-loops included (the graph drops them); P and Q per state."""

    n: int
    n_init: int
    fairness: tuple[int, ...]
    edges: tuple[Edge, ...]
    p: bytes
    q: bytes

    def graph(self) -> Graph:
        g = Graph(self.fairness)
        for src, action, binding, dst in self.edges:
            g.add(src, action, binding, dst)
        g.close(self.n)
        return g

    @property
    def steps(self) -> list[Edge]:
        """The edges that change the state, in order: index i is the graph's edge i."""
        return [e for e in self.edges if e[0] != e[3]]

    def key(self, edge: Edge) -> tuple[int, tuple[Any, ...]] | None:
        """The fairness instance of an edge (None: its action is unfair)."""
        return (edge[1], edge[2]) if self.fairness[edge[1]] else None

    def instances(self) -> set[tuple[int, tuple[Any, ...]]]:
        return {k for e in self.steps if (k := self.key(e)) is not None}

    def enabled(self, s: int) -> set[tuple[int, tuple[Any, ...]]]:
        return {k for e in self.steps if e[0] == s and (k := self.key(e)) is not None}

    def between(self, u: int, v: int) -> set[tuple[int, tuple[Any, ...]]]:
        """The instances a step u -> v takes."""
        return {k for e in self.steps if e[0] == u and e[3] == v and (k := self.key(e)) is not None}

    def succ(self, s: int) -> set[int]:
        return {e[3] for e in self.steps if e[0] == s}

    def fair_to_all(self, states: set[int], taken: set[tuple[int, tuple[Any, ...]]]) -> bool:
        """Whether a behaviour visiting exactly `states` infinitely often, and taking
        exactly `taken` infinitely often, is fair to every instance."""
        for k in self.instances():
            if k in taken:
                continue
            on = [k in self.enabled(s) for s in states]
            if self.fairness[k[0]] == WEAK and all(on):
                return False  # eventually always enabled, never taken
            if self.fairness[k[0]] == STRONG and any(on):
                return False  # infinitely often enabled, never taken
        return True

    def __str__(self) -> str:
        fair = {UNFAIR: "-", WEAK: "WF", STRONG: "SF"}
        return (f"n={self.n} init={self.n_init} fairness={[fair[f] for f in self.fairness]} "
                f"edges={[(s, a, b, d) for s, a, b, d in self.edges]} "
                f"P={list(self.p)} Q={list(self.q)}")


def spec(n: int, edges: Iterable[Edge], fairness: Iterable[int], p: Iterable[int],
         q: Iterable[int] | None = None, n_init: int = 1) -> Spec:
    edges = sorted(edges, key=lambda e: e[0])  # stable: the order of each source's edges kept
    return Spec(n, n_init, tuple(fairness), tuple(edges), bytes(p),
                bytes(q) if q is not None else bytes(n))


def run(sp: Spec, kind: str) -> Lasso | None:
    return Liveness(sp.graph(), sp.n_init).lasso(goal(kind, sp.p, sp.q))


# -- checking a lasso by definition -----------------------------------------------------------


def source_of(g: Graph, e: int) -> int:
    """The state whose adjacency list holds edge e (from g.first alone)."""
    hits = [s for s in range(g.n) if g.first[s] <= e < g.first[s + 1]]
    assert len(hits) == 1, (e, list(g.first))
    return hits[0]


def states_of(sp: Spec, lasso: Lasso) -> tuple[list[int], list[int]]:
    """The prefix's states (start .. entry) and the cycle's (entry .. the last before it
    closes), checking that both are paths of the graph and the cycle closes."""
    g = sp.graph()
    steps = sp.steps
    assert g.edges == len(steps)
    assert 0 <= lasso.start < sp.n_init, f"start {lasso.start} is not initial"

    def walk(at: int, edges: tuple[int, ...], what: str) -> list[int]:
        out = [at]
        for e in edges:
            assert 0 <= e < len(steps), f"no edge {e}"
            assert source_of(g, e) == steps[e][0] == at, f"{what} edge {e} does not leave {at}"
            assert g.dst[e] == steps[e][3]
            at = steps[e][3]
            out.append(at)
        return out

    prefix = walk(lasso.start, lasso.prefix, "prefix")
    entry = prefix[-1]
    cycle = walk(entry, lasso.cycle, "cycle")
    at = cycle[-1]
    assert at == entry, f"the cycle ends at {at}, not at {entry}"
    return prefix, cycle[:-1] if lasso.cycle else cycle


def violates(sp: Spec, kind: str, prefix: list[int], cycle: list[int]) -> bool:
    """Whether the behaviour prefix, cycle, cycle, ... violates the property."""
    p, q = sp.p, sp.q
    if kind == EVENTUALLY:
        return not any(p[s] for s in prefix + cycle)
    if kind == ALWAYS_EVENTUALLY:
        return not any(p[s] for s in cycle)
    if kind == EVENTUALLY_ALWAYS:
        return any(not p[s] for s in cycle)
    assert kind == LEADS_TO
    if any(q[s] for s in cycle):
        return False  # Q holds infinitely often
    if any(p[s] for s in cycle):
        return True  # a P (and not Q) state on the cycle, and Q never after it
    # a P-and-not-Q state on the prefix after which Q never holds
    return any(p[s] and not any(q[t] for t in prefix[i:]) for i, s in enumerate(prefix))


def cycle_fair(sp: Spec, cycle_states: list[int]) -> bool:
    """Whether repeating the cycle (states s0, s1, .., back to s0; [s0] alone: stuttering
    at s0 for ever) is fair: each step takes every instance with an edge between its two
    states."""
    taken: set[tuple[int, tuple[Any, ...]]] = set()
    closed = cycle_states + cycle_states[:1]
    for u, v in zip(closed, closed[1:]):
        if u != v:
            taken |= sp.between(u, v)
    return sp.fair_to_all(set(cycle_states), taken)


def check_lasso(sp: Spec, kind: str, lasso: Lasso) -> tuple[list[int], list[int]]:
    prefix, cycle = states_of(sp, lasso)
    assert violates(sp, kind, prefix, cycle), f"{kind}: not violated by {prefix} then {cycle}"
    assert cycle_fair(sp, cycle), f"the cycle {cycle} is not fair"
    return prefix, cycle


# -- the oracle -------------------------------------------------------------------------------


def bfs(sp: Spec, sources: Iterable[int], allowed: bytes | None = None) -> dict[int, int]:
    """The distances from `sources` by paths of `allowed` states (None: any)."""
    dist = {s: 0 for s in sources if allowed is None or allowed[s]}
    queue = deque(dist)
    while queue:
        s = queue.popleft()
        for t in sorted(sp.succ(s)):
            if t not in dist and (allowed is None or allowed[t]):
                dist[t] = dist[s] + 1
                queue.append(t)
    return dist


def connected_sets(sp: Spec) -> Iterator[set[int]]:
    """Every nonempty set of states strongly connected by the edges inside it."""
    for bits in range(1, 1 << sp.n):
        s = {i for i in range(sp.n) if bits >> i & 1}
        inside = bytes(int(i in s) for i in range(sp.n))
        root = min(s)
        if not all(root in bfs(sp, [x], inside) for x in s):
            continue
        if set(bfs(sp, [root], inside)) == s:
            yield s


def fair_sets(sp: Spec) -> list[set[int]]:
    """The strongly connected sets S whose all-edges behaviour is fair."""
    out = []
    for s in connected_sets(sp):
        taken = set()
        for u in s:
            for v in s:
                if u != v:
                    taken |= sp.between(u, v)
        if sp.fair_to_all(s, taken):
            out.append(s)
    return out


def oracle(sp: Spec, kind: str) -> int | None:
    """The length of the shortest prefix of a violating fair lasso (to its cycle's first
    state, through a trigger for leads-to), None when the property holds."""
    p, q = sp.p, sp.q
    notp = bytes(1 - x for x in p)
    notq = bytes(1 - x for x in q)
    inits = range(sp.n_init)
    best: int | None = None
    anywhere = bfs(sp, inits)
    for s in fair_sets(sp):
        if kind == EVENTUALLY:
            if any(p[x] for x in s):
                continue
            dist = bfs(sp, inits, notp)  # the initial state and the whole path not-P
        elif kind == ALWAYS_EVENTUALLY:
            if any(p[x] for x in s):
                continue
            dist = anywhere
        elif kind == EVENTUALLY_ALWAYS:
            if all(p[x] for x in s):
                continue
            dist = anywhere
        else:
            if any(q[x] for x in s):
                continue
            dist = {}
            for t in range(sp.n):
                if p[t] and not q[t] and t in anywhere:
                    for x, d in bfs(sp, [t], notq).items():
                        dist[x] = min(dist.get(x, d + anywhere[t]), d + anywhere[t])
        for x in s:
            if x in dist and (best is None or dist[x] < best):
                best = dist[x]
    return best


def closed_walks(sp: Spec, entry: int, length: int) -> Iterator[list[int]]:
    """The states of every closed walk of `length` steps from entry (entry first)."""
    back = {}  # the distance to entry
    for s in range(sp.n):
        d = bfs(sp, [s])
        if entry in d:
            back[s] = d[entry]

    def go(path: list[int]) -> Iterator[list[int]]:
        left = length - (len(path) - 1)
        at = path[-1]
        if left == 0:
            if at == entry:
                yield path[:-1]
            return
        for t in sorted(sp.succ(at)):
            if t in back and back[t] <= left - 1:
                yield from go(path + [t])

    yield from go([entry])


def shorter_cycle(sp: Spec, kind: str, prefix: list[int], cycle_len: int) -> list[int] | None:
    """A cycle through the prefix's end shorter than cycle_len that makes a fair violating
    lasso with the same prefix, if any."""
    entry = prefix[-1]
    if cycle_len > 0 and violates(sp, kind, prefix, [entry]) and cycle_fair(sp, [entry]):
        return [entry]  # stuttering
    for k in range(1, cycle_len):
        for walk in closed_walks(sp, entry, k):
            if violates(sp, kind, prefix, walk) and cycle_fair(sp, walk):
                return walk
    return None


# -- random graphs ----------------------------------------------------------------------------

SEED = 20240611
GRAPHS = 600


def random_spec(rng: random.Random) -> Spec:
    n = rng.randint(1, 6)
    n_init = rng.randint(1, min(2, n))
    fairness = [rng.choice((UNFAIR, WEAK, WEAK, STRONG, STRONG)) for _ in range(rng.randint(1, 3))]
    edges = [(rng.randrange(n), rng.randrange(len(fairness)), (rng.randint(0, 1),), rng.randrange(n))
             for _ in range(rng.randint(0, 3 * n + 2))]
    if n > 1 and rng.random() < 0.5:  # no dead ends: fewer counterexamples that just stutter
        edges += [(s, rng.randrange(len(fairness)), (rng.randint(0, 1),),
                   rng.choice([t for t in range(n) if t != s])) for s in range(n)]
        rng.shuffle(edges)
    return spec(n, edges, fairness, [rng.randint(0, 1) for _ in range(n)],
                [int(rng.random() < 0.35) for _ in range(n)], n_init)


def random_specs() -> list[Spec]:
    rng = random.Random(SEED)
    return [random_spec(rng) for _ in range(GRAPHS)]


SPECS = random_specs()


def failures_report(failures: list[tuple[tuple[int, int], str]]) -> str:
    failures.sort(key=lambda f: f[0])
    return f"{len(failures)} failures; the smallest:\n" + "\n".join(m for _, m in failures[:3])


# -- hand-computed graphs ---------------------------------------------------------------------


def pairs(sp: Spec, edges: Iterable[int]) -> list[tuple[int, int]]:
    steps = sp.steps
    return [(steps[e][0], steps[e][3]) for e in edges]


def test_stuttering_at_the_start_violates_eventually_without_fairness() -> None:
    sp = spec(2, [(0, 0, (), 1), (1, 0, (), 0)], [UNFAIR], [0, 1])
    lasso = run(sp, EVENTUALLY)
    assert lasso == Lasso(0, (), ())
    check_lasso(sp, EVENTUALLY, lasso)


def test_weak_fairness_forces_progress() -> None:
    sp = spec(2, [(0, 0, (), 1), (1, 0, (), 0)], [WEAK], [0, 1])
    assert run(sp, EVENTUALLY) is None
    assert oracle(sp, EVENTUALLY) is None
    # P true at the start: nothing to violate even without fairness
    assert run(spec(2, [(0, 0, (), 1)], [UNFAIR], [1, 0]), EVENTUALLY) is None


def test_self_loops_are_stuttering() -> None:
    # a fair action whose only step leaves the state as it is is never enabled
    sp = spec(2, [(0, 0, (), 0), (1, 0, (), 0)], [WEAK], [0, 1])
    assert sp.graph().edges == 1
    assert run(sp, EVENTUALLY) == Lasso(0, (), ())


def starvation(fair_enter: int) -> Spec:
    """0: idle, the lock free; 1: the other process holds the lock; 2: ours (P). `enter`
    (0 -> 2) is enabled at 0 only; `grab` (0 -> 1) is unfair, `release` (1 -> 0) weak."""
    enter, grab, release = 0, 1, 2
    return spec(3, [(0, enter, (), 2), (0, grab, (), 1), (1, release, (), 0), (2, release, (), 0)],
                [fair_enter, UNFAIR, WEAK], [0, 0, 1])


def test_weak_fairness_is_not_enough_against_starvation() -> None:
    sp = starvation(WEAK)
    lasso = run(sp, EVENTUALLY)
    assert lasso is not None
    # `enter` is disabled at 1, so the cycle 0 -> 1 -> 0 that never takes it is weakly
    # fair; stuttering at 0 or 1 is not (enter, release enabled for ever)
    assert (lasso.start, len(lasso.prefix), len(lasso.cycle)) == (0, 0, 2)
    assert pairs(sp, lasso.cycle) == [(0, 1), (1, 0)]
    check_lasso(sp, EVENTUALLY, lasso)
    assert oracle(sp, EVENTUALLY) == 0


def test_strong_fairness_prevents_starvation() -> None:
    sp = starvation(STRONG)
    assert run(sp, EVENTUALLY) is None
    assert oracle(sp, EVENTUALLY) is None
    # without fairness on release the process may stop holding the lock for ever
    sp = spec(3, [(0, 0, (), 2), (0, 1, (), 1), (1, 2, (), 0), (2, 2, (), 0)],
              [STRONG, UNFAIR, UNFAIR], [0, 0, 1])
    lasso = run(sp, EVENTUALLY)
    assert lasso is not None and (len(lasso.prefix), len(lasso.cycle)) == (1, 0)
    assert pairs(sp, lasso.prefix) == [(0, 1)]
    check_lasso(sp, EVENTUALLY, lasso)


def test_fairness_is_per_binding() -> None:
    # A(0) goes round 0 <-> 1; A(1) leaves to 2 (P) from both: as separate instances A(1)
    # is enabled everywhere on the cycle and never taken (weakly unfair)
    edges = [(0, 0, (0,), 1), (0, 0, (1,), 2), (1, 0, (0,), 0), (1, 0, (1,), 2)]
    sp = spec(3, edges, [WEAK], [0, 0, 1])
    assert run(sp, EVENTUALLY) is None
    # one binding: the cycle takes the instance, and the behaviour is fair
    same = spec(3, [(s, a, (0,), d) for s, a, _, d in edges], [WEAK], [0, 0, 1])
    lasso = run(same, EVENTUALLY)
    assert lasso is not None and (len(lasso.prefix), len(lasso.cycle)) == (0, 2)
    check_lasso(same, EVENTUALLY, lasso)


def test_a_step_takes_every_instance_with_that_edge() -> None:
    # 0 -> 1 by A and by B (both weak); B is enabled at 0 and 1 (1 -> 2, P), so the cycle
    # 0 -> 1 -> 0 is fair to B only because its step 0 -> 1 is also a step of B
    sp = spec(3, [(0, 0, (), 1), (0, 1, (), 1), (1, 2, (), 0), (1, 1, (), 2)],
              [WEAK, WEAK, UNFAIR], [0, 0, 1])
    lasso = run(sp, EVENTUALLY)
    assert lasso is not None and (lasso.start, len(lasso.prefix), len(lasso.cycle)) == (0, 0, 2)
    check_lasso(sp, EVENTUALLY, lasso)
    # without the B edge 0 -> 1, B stays enabled and untaken: no fair violation
    sp = spec(3, [(0, 0, (), 1), (0, 1, (), 2), (1, 2, (), 0), (1, 1, (), 2)],
              [WEAK, WEAK, UNFAIR], [0, 0, 1])
    assert run(sp, EVENTUALLY) is None


def test_leads_to_with_a_deep_trigger() -> None:
    # 0 -> 1 -> 2 -> 3 -> 0 by a weak action, Q at 0, P at 2 (the trigger); from 2 an
    # unfair step to 4, a dead end without Q; from 0 an unfair step to 5, a dead end
    # without Q that no trigger precedes (not a counterexample, though nearer)
    step, escape = 0, 1
    edges = [(0, step, (), 1), (1, step, (), 2), (2, step, (), 3), (3, step, (), 0),
             (2, escape, (), 4), (0, escape, (), 5)]
    sp = spec(6, edges, [WEAK, UNFAIR], p=[0, 0, 1, 0, 0, 0], q=[1, 0, 0, 0, 0, 0])
    lasso = run(sp, LEADS_TO)
    assert lasso is not None
    assert (lasso.start, len(lasso.prefix), len(lasso.cycle)) == (0, 3, 0)
    assert pairs(sp, lasso.prefix) == [(0, 1), (1, 2), (2, 4)]
    check_lasso(sp, LEADS_TO, lasso)
    assert oracle(sp, LEADS_TO) == 3
    # Q at 4 too: every fair behaviour from 2 meets Q
    sp4 = spec(6, edges, [WEAK, UNFAIR], p=[0, 0, 1, 0, 0, 0], q=[1, 0, 0, 0, 1, 0])
    assert run(sp4, LEADS_TO) is None
    # the trigger on the cycle itself: P at 1, Q nowhere on 0..3, no escapes: the fair
    # cycle through 1 is the counterexample
    sp = spec(4, edges[:4], [WEAK], p=[0, 1, 0, 0], q=[0, 0, 0, 0])
    lasso = run(sp, LEADS_TO)
    assert lasso is not None and (len(lasso.prefix), len(lasso.cycle)) == (1, 4)
    check_lasso(sp, LEADS_TO, lasso)


def test_leads_to_counterexample_goes_through_the_trigger() -> None:
    # 0 (not P) <-> 1 (P), no Q, unfair: the cycle 0 -> 1 -> 0 from the start violates
    # P ~> Q with no prefix, but the counterexample documented (and shorter in all) is
    # the path to the trigger, then stuttering there
    sp = spec(2, [(0, 0, (), 1), (1, 0, (), 0)], [UNFAIR], p=[0, 1], q=[0, 0])
    assert violates(sp, LEADS_TO, [0], [0, 1]) and cycle_fair(sp, [0, 1])
    lasso = run(sp, LEADS_TO)
    assert lasso is not None and (lasso.start, len(lasso.prefix), len(lasso.cycle)) == (0, 1, 0)
    check_lasso(sp, LEADS_TO, lasso)
    assert oracle(sp, LEADS_TO) == 1


def test_eventually_always_and_always_eventually() -> None:
    # 0 (P) <-> 1 (not P), weakly fair: the behaviour alternates for ever
    sp = spec(2, [(0, 0, (), 1), (1, 0, (), 0)], [WEAK], [1, 0])
    lasso = run(sp, EVENTUALLY_ALWAYS)
    assert lasso is not None and (lasso.start, len(lasso.prefix), len(lasso.cycle)) == (0, 0, 2)
    check_lasso(sp, EVENTUALLY_ALWAYS, lasso)
    assert run(sp, ALWAYS_EVENTUALLY) is None  # P every other state
    # 0 (not P) -> 1 (P) <-> 2 (P), weakly fair: it ends in {1, 2}, P for ever
    sp = spec(3, [(0, 0, (), 1), (1, 0, (), 2), (2, 0, (), 1)], [WEAK], [0, 1, 1])
    assert run(sp, EVENTUALLY_ALWAYS) is None
    # unfair: it may stutter at 0, not-P for ever
    sp = spec(3, [(0, 0, (), 1), (1, 0, (), 2), (2, 0, (), 1)], [UNFAIR], [0, 1, 1])
    assert run(sp, EVENTUALLY_ALWAYS) == Lasso(0, (), ())
    assert run(sp, ALWAYS_EVENTUALLY) == Lasso(0, (), ())
    # a lone state stutters for ever
    assert run(spec(1, [], [], [0]), ALWAYS_EVENTUALLY) == Lasso(0, (), ())
    assert run(spec(1, [], [], [1]), ALWAYS_EVENTUALLY) is None


def test_the_counterexample_starts_at_the_nearest_initial_state() -> None:
    # initial states 0 (P) and 1 (not P, a dead end): eventually P fails from 1 only
    sp = spec(3, [(0, 0, (), 2)], [UNFAIR], [1, 0, 0], n_init=2)
    assert run(sp, EVENTUALLY) == Lasso(1, (), ())
    # always eventually: 2 is a dead end without P, one step from 0, but 1 is nearer
    assert run(sp, ALWAYS_EVENTUALLY) == Lasso(1, (), ())


# -- random graphs against the oracle ---------------------------------------------------------


def judge(sp: Spec, kind: str, lasso: Lasso | None, *, shortest_cycle: bool) -> str | None:
    """What is wrong with liveness.py's answer, if anything."""
    expected = oracle(sp, kind)
    if (lasso is None) != (expected is None):
        return f"{kind}: liveness.py returns {lasso}, the oracle's shortest prefix is {expected}"
    if lasso is None:
        return None
    try:
        prefix, _ = check_lasso(sp, kind, lasso)
    except AssertionError as e:
        return f"{kind}: {lasso} is not a counterexample: {e}"
    if len(lasso.prefix) != expected:
        return f"{kind}: {lasso} has a prefix of {len(lasso.prefix)}, the shortest is {expected}"
    if shortest_cycle:
        shorter = shorter_cycle(sp, kind, prefix, len(lasso.cycle))
        if shorter is not None:
            return f"{kind}: {lasso} has a cycle of {len(lasso.cycle)}, {shorter} is shorter"
    return None


def test_random_graphs_against_the_oracle() -> None:
    began = time.perf_counter()
    failures = []
    found = {k: 0 for k in KINDS}
    for sp in SPECS:
        for kind in KINDS:
            lasso = run(sp, kind)
            found[kind] += lasso is not None
            wrong = judge(sp, kind, lasso, shortest_cycle=True)
            if wrong:
                failures.append(((sp.n, len(sp.edges)), f"{sp}\n  {wrong}"))
    assert not failures, failures_report(failures)
    # the sample is not degenerate: both answers occur often for every kind
    for kind, k in found.items():
        assert GRAPHS // 10 < k < GRAPHS - GRAPHS // 10, (kind, k)
    assert time.perf_counter() - began < 20


def test_random_graphs_with_the_greedy_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond MAX_PRODUCT the cycle is built greedily: still a fair violating lasso, with
    the shortest prefix (not always the shortest cycle)."""
    monkeypatch.setattr(L, "MAX_PRODUCT", 0)
    failures = []
    for sp in SPECS:
        for kind in KINDS:
            wrong = judge(sp, kind, run(sp, kind), shortest_cycle=False)
            if wrong:
                failures.append(((sp.n, len(sp.edges)), f"{sp}\n  {wrong}"))
    assert not failures, failures_report(failures)


def test_the_oracle_building_blocks() -> None:
    """The oracle's building blocks agree with a few definitions they rest on."""
    sp = spec(3, [(0, 0, (), 1), (1, 0, (), 0), (1, 0, (), 2)], [UNFAIR], [0, 0, 0])
    assert sorted(map(sorted, connected_sets(sp))) == [[0], [0, 1], [1], [2]]
    # a cycle through a state where a weak instance is disabled is fair to it
    sp = spec(2, [(0, 0, (), 1), (1, 1, (), 0)], [WEAK, UNFAIR], [0, 0])
    assert cycle_fair(sp, [0, 1]) and not cycle_fair(sp, [0]) and cycle_fair(sp, [1])
    # strong: enabled at 0 on the cycle, never taken (1 -> 0 is another action)
    sp = spec(3, [(0, 0, (), 2), (0, 1, (), 1), (1, 1, (), 0)], [STRONG, UNFAIR], [0, 0, 0])
    assert not cycle_fair(sp, [0, 1]) and cycle_fair(sp, [1]) and cycle_fair(sp, [2])
