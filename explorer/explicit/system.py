"""The transition-system interface the search sees, and the successor contract; nothing
here knows the language.

States are hashable values of the system's own type (`S`: packed ints for the compiled
engine), which the search, its result and the sinks keep; invariants are checked together;
`terminal` (optional) marks states where stopping is fine. Faults raised while expanding a
state carry the failing action's index in `.action` and its binding in `.binding`.

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

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

S = TypeVar("S", bound=Hashable)
S_contra = TypeVar("S_contra", bound=Hashable, contravariant=True)
Binding = tuple[Any, ...]
# What a sink keeps of one successor: (key in the seen set, action, binding, successor);
# the key is the successor itself, or its representative under `Canonical`.
Kept = tuple[S, int, Binding, S]


class Sink(Protocol[S_contra]):
    def __call__(self, action: int, binding: Binding, successor: S_contra) -> None: ...


Expand = Callable[[S, Sink[S]], None]


class System(Protocol[S]):
    """Read-only members (properties), so that a system may compute them (the compiled
    model builds `actions` on first use)."""

    @property
    def initial(self) -> Callable[[], Iterable[S]]: ...
    @property
    def actions(self) -> Sequence[Callable[[S], Iterable[S]]]: ...
    @property
    def invariants(self) -> Callable[[S], int]: ...  # index of the first violated one, or -1
    @property
    def terminal(self) -> Callable[[S], bool] | None: ...
    # Optional: `n_actions`, when counting `actions` would be costly.
    # Optional: `expand(s, sink)` (the successor contract above). Without it the successors
    # come from `actions`, with empty bindings.
    # Optional, for speed: `successors(s, seen, fired)`, the `Unseen` sink fused (above).


class Unseen(Generic[S]):
    """Unseen-only, with coverage counts: counts every successor into `fired[action]` and
    `total`, keeps those whose key is not in `seen`."""

    __slots__ = ("fired", "kept", "seen", "total")

    def __init__(self, seen: dict[S, int], fired: list[int]) -> None:
        self.seen, self.fired = seen, fired
        self.kept: list[Kept[S]] = []
        self.total = 0

    def __call__(self, action: int, binding: Binding, successor: S) -> None:
        self.fired[action] += 1
        self.total += 1
        if successor not in self.seen:
            self.kept.append((successor, action, binding, successor))


class AllEdges(Unseen[S]):
    """Every edge, to states already seen too (counted as `Unseen` counts them)."""

    __slots__ = ()

    def __call__(self, action: int, binding: Binding, successor: S) -> None:
        self.fired[action] += 1
        self.total += 1
        self.kept.append((successor, action, binding, successor))


class Canonical(Unseen[S]):
    """Canonicalise, then unseen-only: the key is `canon(successor)` (a representative of
    its symmetry class); the successor itself is kept for the path."""

    __slots__ = ("canon",)

    def __init__(self, canon: Callable[[S], S], seen: dict[S, int],
                 fired: list[int]) -> None:
        super().__init__(seen, fired)
        self.canon = canon

    def __call__(self, action: int, binding: Binding, successor: S) -> None:
        self.fired[action] += 1
        self.total += 1
        key = self.canon(successor)
        if key not in self.seen:
            self.kept.append((key, action, binding, successor))


class Collect(Generic[S]):
    """Every (action, binding, successor), in order: tests, trace rebuilding, graphs."""

    __slots__ = ("edges",)

    def __init__(self) -> None:
        self.edges: list[tuple[int, Binding, S]] = []

    def __call__(self, action: int, binding: Binding, successor: S) -> None:
        self.edges.append((action, binding, successor))


def expander(system: System[S]) -> Expand[S]:
    """The system's `expand`, or one built from its per-action functions (whose successors
    carry empty bindings; a fault gets the action's index in `.action`)."""
    own: Expand[S] | None = getattr(system, "expand", None)
    if own is not None:
        return own
    actions = list(enumerate(system.actions))

    def expand(s: S, sink: Sink[S]) -> None:
        for aid, fn in actions:
            try:
                res = fn(s)
            except BaseException as e:
                vars(e)["action"] = aid  # an attribute exceptions do not declare
                raise
            for t in res:
                sink(aid, (), t)

    return expand
