"""Breadth-first search over a `System`: seen set, parent links, violations, deadlocks,
limits, progress and coverage.

The list of reached states is also the BFS queue, so parent links (indexes) are all that a
trace needs: it is rebuilt by walking them back. The search expands a state
through the successor contract (explorer.explicit.system): by default the system's fused
`successors` (the `Unseen` sink compiled in), else `expand` with a sink it picks: `Unseen`,
`AllEdges` (`graph=`: every edge is recorded, to seen states too, in the compact arrays
of explorer.explicit.graph, for the liveness check) or `Canonical`
(`canonical=`: states are deduplicated by representative, while the path keeps the real
successors); with a sink, the search records each state's binding too. Invariants are checked when a state is
first reached, so the first violation found is a shortest one. The counterexample
reported is a shortest one over every kind: a violation or failing step met while
expanding depth d (length d+1) gives way to a deadlock, or a failing `terminal`, later in
depth d (length d), which the search then looks for (`shorter`). Imports nothing from the
language.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TextIO

from explorer import budget as B
from explorer.budget import Budget, LimitReached, Limits
from explorer.explicit.graph import Graph
from explorer.explicit.system import (
    AllEdges,
    Binding,
    Canonical,
    Kept,
    S,
    System,
    Unseen,
    expander,
)

__all__ = ["HANDOVER", "Limits", "Search", "search"]

HANDOVER = "handover"  # a search stopped at `handover_at`, to be run again elsewhere

# `successors(s, seen, fired)` of a System (explorer.explicit.system)
Successors = Callable[[S, dict[S, int], list[int]], tuple[list[tuple[S, int]], int]]
# the same through a sink: what the sink kept, and the number of successors
SinkSuccessors = Callable[[S, dict[S, int], list[int]], tuple[list[Kept[S]], int]]


@dataclass
class Search(Generic[S]):
    """The raw result of a search; indexes point into `states`."""

    kind: str = "holds"  # holds | violation | deadlock | fault | incomplete | handover
    at: int = -1  # the state where it happened (pre-state for a fault in an action)
    invariant: int = -1
    fault: BaseException | None = None
    fault_action: int = -1  # -1: the fault happened evaluating a state, not an action
    fault_binding: Binding | None = None
    reason: str = ""
    states: list[S] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    label: list[int] = field(default_factory=list)  # the action that first reached each state
    generated: int = 0
    depth: int = 0
    elapsed: float = 0.0
    fired: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)
    queue: int = 0
    interrupted: bool = False  # Ctrl-C stopped it
    # the binding that first reached each state (initial states: ()); None on the fused
    # path, which does not record them (a trace rebuilds its bindings, see explicit/run.py)
    bindings: list[Binding] | None = None
    graph: Graph | None = None  # every edge, when the search was given a graph to fill
    # 1 when the last of `states` is one a constraint dropped, kept only for the trace of
    # the violation or fault found in it: not one of the distinct states
    phantom: int = 0

    @property
    def distinct(self) -> int:
        return len(self.states) - self.phantom

    def state(self, i: int) -> S:
        return self.states[i]

    def label_of(self, i: int) -> int:
        return self.label[i]

    def binding_of(self, i: int) -> Binding | None:
        return None if self.bindings is None else self.bindings[i]

    def path(self, i: int) -> list[int]:
        """State indexes from an initial state to state i."""
        out = []
        while i >= 0:
            out.append(i)
            i = self.parent[i]
        return out[::-1]


class _Progress:
    def __init__(self, out: TextIO | None, every: float, start: float) -> None:
        self.out, self.every = out, every
        self.start = start  # on the search's clock
        self.next = start + every

    def tick(self, now: float, s: Search[S], done: int) -> None:
        if self.out is None or now < self.next:
            return
        self.next = now + self.every
        el = now - self.start
        self.out.write(f"progress: {el:6.1f}s  depth {s.depth}  distinct {len(s.states)}  "
                       f"generated {s.generated}  queue {len(s.states) - done}  "
                       f"{len(s.states) / el:,.0f} states/s\n")
        self.out.flush()


def search(system: System[S], limits: Limits | None = None, progress: TextIO | None = sys.stderr,
           progress_every: float = 3.0, fault_types: tuple[type[BaseException], ...] = (),
           clock: Callable[[], float] = time.monotonic, budget: Budget | None = None,
           graph: Graph | None = None, canonical: Callable[[S], S] | None = None,
           handover_at: float | None = None) -> Search[S]:
    """Explore every state reachable from the initial states, breadth-first.

    The initial states are all computed (and counted against the state limit) before
    any is checked: a fault anywhere in computing them is that fault, as in the
    interpreter. `budget`, when given, is the check's: its deadline (which may have
    started before the compilation) and memory limit apply. `graph` records every edge
    (`Search.graph`; closed when the search ends); `canonical` maps a state to the
    representative under which it is deduplicated (it must respect the invariants,
    `terminal` and the actions).
    `handover_at`, a reading of `clock`, stops a search still running then with the kind
    `HANDOVER` (the compiled engine takes over: explorer.native.engine)."""
    lim = limits or Limits()
    nact = getattr(system, "n_actions", None)
    if nact is None:
        nact = len(system.actions)
    s: Search[S] = Search(fired=[0] * nact, new=[0] * nact)
    states, parent, label = s.states, s.parent, s.label
    seen: dict[S, int] = {}
    start = clock()
    prog = _Progress(progress, progress_every, start)
    invariants, terminal = system.invariants, system.terminal
    constraint: Callable[[S], bool] | None = getattr(system, "constraint", None)
    fused: Successors[S] | None = getattr(system, "successors", None)
    fast = fused is not None and graph is None and canonical is None
    # the fused form lists (state, action) pairs, a sink's form `Kept` tuples
    succ: Callable[[S, dict[S, int], list[int]], tuple[list[Any], int]] = (
        fused if fast and fused is not None else
        _sink_successors(system, graph is not None, canonical))
    bindings = s.bindings = None if fast else []
    s.graph = graph
    edge = graph.add if graph is not None else None
    key = canonical or _same
    fired, new = s.fired, s.new
    max_states = lim.max_states if lim.max_states is not None else -1
    if budget is not None:
        deadline, seconds = budget.deadline, budget.seconds
        max_memory = budget.limits.max_memory
    else:
        seconds, max_memory = lim.max_seconds, lim.max_memory
        deadline = start + seconds if seconds is not None else None
    phase = B.PHASE_INIT
    i = 0

    level_end = sys.maxsize  # index where the level being explored ends
    n_init = [0]  # initial states generated so far (duplicates included)

    def finish(kind: str, at: int = -1, **kw: Any) -> Search[S]:
        s.kind, s.at = kind, at
        s.generated = n_init[0] + sum(fired)  # every successor computed is counted in `fired`
        if len(states) > level_end:  # states of the next level are stored already
            s.depth += 1
        for k, v in kw.items():
            setattr(s, k, v)
        s.elapsed = clock() - start
        s.queue = len(states) - s.phantom - i
        if graph is not None:
            graph.close(len(states))
        return s

    def over(now: float) -> str | None:
        """The limit (time or memory) passed at this tick, named with the phase."""
        during = B.during(phase)
        if deadline is not None and now >= deadline:
            return f"time limit {seconds:g}s{during}"
        if max_memory is not None and B.resident_bytes() > max_memory:
            return f"memory limit {B.format_size(max_memory)}{during}"
        return None

    def shorter(seen: dict[S, int], succ: Callable[..., tuple[list[Any], int]]) -> Search[S] | None:
        """A counterexample of length d+1 was met while expanding state i, of depth d (a
        violation or a fault in a new state, a failing step): the first later state of
        depth d that is a deadlock, or fails to evaluate `terminal` (length d), if any.
        The rest of the level is looked at without storing or counting anything (the
        figures stay those of the search up to state i); a step failing there is as long
        as the pending counterexample and found later, so it does not count. (`seen` and
        `succ` are arguments: a closure over them would slow the search's loop.)"""
        if not lim.deadlock:
            return None
        scratch = [0] * nact
        for k in range(i + 1, level_end):
            if k & 1023 == 0 and (why := over(clock())) is not None:
                # a shorter deadlock is not ruled out: the length would be a guess
                return finish("incomplete", reason=f"{why}, before a deadlock shorter than "
                              f"the counterexample found ({s.depth + 1} steps) was ruled out")
            try:
                _, nsucc = succ(states[k], seen, scratch)
            except fault_types:
                continue
            if nsucc == 0 and (r := stuck(k)) is not None:
                return r
        return None

    def stuck(k: int) -> Search[S] | None:
        """State k has no successor: a deadlock unless it is terminal, or the fault of
        evaluating `terminal` there."""
        try:
            ok = terminal is not None and terminal(states[k])
        except fault_types as e:
            return finish("fault", k, fault=e)
        return None if ok else finish("deadlock", k)

    def phantom(i: int, t: S, aid: int, bind: Binding) -> int:
        """Keep t, which a constraint drops, as the last state, only for a trace to it."""
        states.append(t)
        parent.append(i)
        label.append(aid)
        if bindings is not None:
            bindings.append(bind)
        s.phantom = 1
        return len(states) - 1

    def dropped(i: int, t: S, aid: int, bind: Binding, seen: dict[S, int],
                succ: Callable[..., tuple[list[Any], int]]) -> Search[S] | bool:
        """Is successor t of state i (by aid, bind) one a constraint drops? Then it is
        checked against the invariants (as TLC does), neither stored nor expanded; a
        violation or a fault in it ends the search (a Search). (`seen`, `succ`: see
        `shorter`.)"""
        assert constraint is not None
        try:
            if constraint(t):
                return False
            bad = invariants(t)
        except fault_types as e:
            return shorter(seen, succ) or finish("fault", phantom(i, t, aid, bind), fault=e)
        if bad >= 0:
            return shorter(seen, succ) or finish("violation", phantom(i, t, aid, bind),
                                                 invariant=bad)
        return True

    try:
        with B.phase(B.PHASE_INIT):
            upto: list[int] = []  # initial states generated up to each distinct one
            # initial states a constraint drops: checked against the invariants after the
            # others, never stored (each with its `upto`)
            out: dict[S, int] = {}
            try:
                for st in system.initial():
                    n_init[0] += 1
                    if n_init[0] & 1023 == 0 and (why := over(clock())) is not None:
                        return finish("incomplete", reason=why)
                    k0 = key(st)
                    if k0 in seen:
                        continue
                    if constraint is not None:
                        try:
                            inside = constraint(st)
                        except fault_types as e:  # at that state, not in computing it
                            return finish("fault", phantom(-1, st, -1, ()), fault=e)
                        if not inside:
                            out.setdefault(st, n_init[0])
                            continue
                    if len(states) == max_states:
                        return finish("incomplete", reason=f"state limit {max_states} while "
                                      f"{B.PHASE_INIT}")
                    seen[k0] = len(states)
                    states.append(st)
                    parent.append(-1)
                    label.append(-1)
                    if bindings is not None:
                        bindings.append(())
                    upto.append(n_init[0])
            except fault_types as e:
                return finish("fault", -1, fault=e)
        phase = B.PHASE_SEARCH
        with B.phase(B.PHASE_SEARCH):
            for j, st in enumerate(states):
                if j & 1023 == 1023 and (why := over(clock())) is not None:
                    return finish("incomplete", reason=why)
                try:
                    bad = invariants(st)
                except fault_types as e:
                    n_init[0] = upto[j]  # figures as if the search stopped there
                    return finish("fault", j, fault=e)
                if bad >= 0:
                    n_init[0] = upto[j]
                    return finish("violation", j, invariant=bad)
            for st, n in out.items():
                try:
                    bad = invariants(st)
                except fault_types as e:
                    n_init[0] = n
                    return finish("fault", phantom(-1, st, -1, ()), fault=e)
                if bad >= 0:
                    n_init[0] = n
                    return finish("violation", phantom(-1, st, -1, ()), invariant=bad)
        level_end = len(states)
        while i < len(states):
            if i == level_end:
                s.depth += 1
                level_end = len(states)
                if lim.max_depth is not None and s.depth > lim.max_depth:
                    s.depth -= 1
                    return finish("incomplete", reason=f"depth limit {lim.max_depth}")
            if i & 1023 == 0:
                now = clock()
                s.generated = n_init[0] + sum(fired)
                prog.tick(now, s, i)
                if (why := over(now)) is not None:
                    return finish("incomplete", reason=why)
                if handover_at is not None and now >= handover_at:
                    return finish(HANDOVER)
            st = states[i]
            try:
                fresh, nsucc = succ(st, seen, fired)
            except fault_types as e:
                return shorter(seen, succ) or finish(
                    "fault", i, fault=e, fault_action=getattr(e, "action", -1),
                    fault_binding=getattr(e, "binding", None))
            if fast:
                for t, aid in fresh:
                    if t in seen:  # reached twice from this state
                        continue
                    if constraint is not None and (
                            out_ := dropped(i, t, aid, (), seen, succ)):
                        if out_ is True:
                            continue
                        return out_
                    j = len(states)
                    if j == max_states:
                        return finish("incomplete", reason=f"state limit {max_states}")
                    seen[t] = j
                    states.append(t)
                    parent.append(i)
                    label.append(aid)
                    new[aid] += 1
                    try:
                        bad = invariants(t)
                    except fault_types as e:
                        return shorter(seen, succ) or finish("fault", j, fault=e)
                    if bad >= 0:
                        return shorter(seen, succ) or finish("violation", j, invariant=bad)
            else:
                assert bindings is not None
                for k1, aid, bind, t in fresh:
                    j = seen.get(k1, -1)
                    if j >= 0:  # seen (or reached twice from this state): an edge only
                        if edge is not None:
                            edge(i, aid, bind, j)
                        continue
                    if constraint is not None and (
                            out_ := dropped(i, t, aid, bind, seen, succ)):
                        if out_ is True:
                            continue
                        return out_
                    j = len(states)
                    if j == max_states:
                        return finish("incomplete", reason=f"state limit {max_states}")
                    seen[k1] = j
                    states.append(t)  # the real successor, not its representative
                    parent.append(i)
                    label.append(aid)
                    bindings.append(bind)
                    if edge is not None:
                        edge(i, aid, bind, j)
                    new[aid] += 1
                    try:
                        bad = invariants(t)
                    except fault_types as e:
                        return shorter(seen, succ) or finish("fault", j, fault=e)
                    if bad >= 0:
                        return shorter(seen, succ) or finish("violation", j, invariant=bad)
            if nsucc == 0 and lim.deadlock and (r := stuck(i)) is not None:
                return r
            i += 1
    except KeyboardInterrupt:
        s.interrupted = True
        return finish("incomplete", reason=f"interrupt (Ctrl-C){B.during(phase)}")
    except LimitReached as e:  # a long iteration inside one state polled the run's limits
        return finish("incomplete", reason=e.reason)
    except MemoryError:  # the backstop: one allocation too large for the memory limit
        what = B.format_size(max_memory) if max_memory is not None else "of the machine"
        return finish("incomplete", reason=f"memory limit {what}{B.during(phase)}")
    return finish("holds")


def _same(s: S) -> S:
    return s


def _sink_successors(system: System[S], edges: bool,
                     canonical: Callable[[S], S] | None) -> SinkSuccessors[S]:
    """Expansion through the successor contract, with the sink the search asked for."""
    expand = expander(system)

    def succ(st: S, seen: dict[S, int], fired: list[int]) -> tuple[list[Kept[S]], int]:
        sink = (AllEdges(seen, fired) if edges else
                Canonical(canonical, seen, fired) if canonical is not None else
                Unseen(seen, fired))
        expand(st, sink)
        return sink.kept, sink.total

    return succ
