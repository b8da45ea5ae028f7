"""The transition-system interface the search sees, and the successor contract; nothing
here knows the language.

States are hashable values; invariants are checked together; `terminal` (optional) marks
states where stopping is fine. Faults raised while expanding a state carry the failing
action's index in `.action` and its binding in `.binding`.

The successor contract: the search expands a state by passing a *sink* to the system's
`expand(s, sink)`, which calls `sink(action, binding, successor)` once per successor, in
exploration order. The sink decides what the search learns:
- `Unseen`: counts each action's successors and keeps those not seen yet (the default);
- `AllEdges`: keeps every edge, to seen states too (state graphs, liveness);
- `Canonical`: maps each successor to its representative first and keeps it when the
  representative is unseen, together with the successor itself, which stays on the path
  (symmetry: a trace is made of real steps, never of representatives).
A system may also offer `successors(s, seen, fired)`, the `Unseen` sink fused into its own
code (the explicit engine's hot path): it returns ([(successor, action), ...] for
successors not in `seen`, number of successors) and counts each action's successors into
`fired[action]`, exactly as `expand` with an `Unseen` sink would.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol

State = Hashable
Binding = tuple[Any, ...]
# What a sink keeps of one successor: (key in the seen set, action, binding, successor);
# the key is the successor itself, or its representative under `Canonical`.
Kept = tuple[State, int, Binding, State]


class Sink(Protocol):
    def __call__(self, action: int, binding: Binding, successor: State) -> None: ...


Expand = Callable[[State, Sink], None]


class System(Protocol):
    initial: Callable[[], Iterable[State]]
    actions: list[Callable[[State], list[State]]]
    invariants: Callable[[State], int]  # index of the first violated invariant, or -1
    terminal: Callable[[State], bool] | None
    # Optional: `n_actions`, when counting `actions` would be costly.
    # Optional: `expand(s, sink)` (the successor contract above). Without it the successors
    # come from `actions`, with empty bindings.
    # Optional, for speed: `successors(s, seen, fired)`, the `Unseen` sink fused (above).


class Unseen:
    """Unseen-only, with coverage counts: counts every successor into `fired[action]` and
    `total`, keeps those whose key is not in `seen`."""

    __slots__ = ("fired", "kept", "seen", "total")

    def __init__(self, seen: dict[State, int], fired: list[int]) -> None:
        self.seen, self.fired = seen, fired
        self.kept: list[Kept] = []
        self.total = 0

    def __call__(self, action: int, binding: Binding, successor: State) -> None:
        self.fired[action] += 1
        self.total += 1
        if successor not in self.seen:
            self.kept.append((successor, action, binding, successor))


class AllEdges(Unseen):
    """Every edge, to states already seen too (counted as `Unseen` counts them)."""

    __slots__ = ()

    def __call__(self, action: int, binding: Binding, successor: State) -> None:
        self.fired[action] += 1
        self.total += 1
        self.kept.append((successor, action, binding, successor))


class Canonical(Unseen):
    """Canonicalise, then unseen-only: the key is `canon(successor)` (a representative of
    its symmetry class); the successor itself is kept for the path."""

    __slots__ = ("canon",)

    def __init__(self, canon: Callable[[State], State], seen: dict[State, int],
                 fired: list[int]) -> None:
        super().__init__(seen, fired)
        self.canon = canon

    def __call__(self, action: int, binding: Binding, successor: State) -> None:
        self.fired[action] += 1
        self.total += 1
        key = self.canon(successor)
        if key not in self.seen:
            self.kept.append((key, action, binding, successor))


class Collect:
    """Every (action, binding, successor), in order: tests, trace rebuilding, graphs."""

    __slots__ = ("edges",)

    def __init__(self) -> None:
        self.edges: list[tuple[int, Binding, State]] = []

    def __call__(self, action: int, binding: Binding, successor: State) -> None:
        self.edges.append((action, binding, successor))


def expander(system: System) -> Expand:
    """The system's `expand`, or one built from its per-action functions (whose successors
    carry empty bindings; a fault gets the action's index in `.action`)."""
    own: Expand | None = getattr(system, "expand", None)
    if own is not None:
        return own
    actions = list(enumerate(system.actions))

    def expand(s: State, sink: Sink) -> None:
        for aid, fn in actions:
            try:
                res = fn(s)
            except BaseException as e:
                vars(e)["action"] = aid  # an attribute exceptions do not declare
                raise
            for t in res:
                sink(aid, (), t)

    return expand
