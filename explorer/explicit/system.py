"""The transition-system interface the search sees; nothing here knows the language.

States are hashable values; invariants
are checked together; `terminal` (optional) marks states where stopping is fine.
`actions[i](s)` lists the successor states; the search records only which action first
reached a state, and bindings are recovered when a trace is rebuilt.
Faults raised by an action carry the failing binding in `.binding`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol

State = Hashable
Binding = tuple[Any, ...]


class System(Protocol):
    initial: Callable[[], list[State]]
    actions: list[Callable[[State], list[State]]]
    invariants: Callable[[State], int]  # index of the first violated invariant, or -1
    terminal: Callable[[State], bool] | None
    # Optional: `n_actions`, when counting `actions` would be costly.
    # Optional, for speed: `successors(s, seen, fired)` does what the search would do with
    # `actions` (count each action's successors into fired[i]) in one call and returns
    # ([(successor not in seen, action index), ...], number of successors). A fault
    # raised by an action carries `.action` (its index) and `.binding`.
