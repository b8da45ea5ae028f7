"""The whole reachable state graph of a small model (for `explore --dump-states`), built
breadth first by the reference interpreter: every state, every transition with its action
and binding, which states are initial and which violate an invariant. Refuses models whose
graph is larger than a limit, since the point is a picture someone can read."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from explorer import budget
from explorer.diagnostics import AssertFailure, EvalError
from explorer.interp import Interp, Label, State, check_consts
from explorer.model import Model

MAX_STATES = 2_000


class TooLarge(Exception):
    """The graph has more states than the limit."""


@dataclass
class StateGraph:
    var_names: tuple[str, ...]
    states: list[State] = field(default_factory=list)  # in breadth-first order
    initial: set[int] = field(default_factory=set)
    edges: list[tuple[int, Label, int]] = field(default_factory=list)
    violating: dict[int, str] = field(default_factory=dict)  # state -> first invariant it breaks
    failing: dict[int, str] = field(default_factory=dict)  # state -> why expanding it fails


def reachable_graph(model: Model, limit: int = MAX_STATES) -> StateGraph:
    """SpecError when a const fails to evaluate (as every engine does)."""
    check_consts(model)
    it = Interp(model)
    g = StateGraph(tuple(v.name for v in model.vars))
    index: dict[State, int] = {}

    def add(s: State) -> int:
        if s not in index:
            budget.poll()  # the run's time and memory limits
            if len(g.states) >= limit:
                raise TooLarge(f"the reachable state graph has more than {limit:,} states")
            index[s] = len(g.states)
            g.states.append(s)
            for inv in model.invariants:
                try:
                    ok = it.invariant_holds(inv.name, s)
                except EvalError:
                    ok = False
                if not ok:
                    g.violating[index[s]] = inv.name
                    break
        return index[s]

    queue = deque()
    for s in it.iter_initial_states():  # one by one: the limit applies to them too
        i = add(s)
        g.initial.add(i)
        queue.append(i)
    while queue:
        i = queue.popleft()
        if i in g.violating:
            continue  # the search stops there too
        try:
            succ = it.successors(g.states[i])
        except (EvalError, AssertFailure) as e:
            g.failing[i] = getattr(e, "message", str(e))
            continue
        for label, t in succ:
            new = t not in index
            j = add(t)
            g.edges.append((i, label, j))
            if new:
                queue.append(j)
    return g
