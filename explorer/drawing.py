"""What a spec's `render` section says one state looks like: the nodes (atoms, with their
label lines, styles and group), the edges between them, and the atoms an invariant is
about. Evaluated with the reference interpreter on decoded states, so it works for traces of
either engine. Plain data out; `reports/diagram.py` turns it into DOT. A label, style or
group that fails to evaluate is drawn as such; a node or edge domain that fails leaves
nothing to draw, and is a SpecError at the failing expression."""

from __future__ import annotations

from dataclasses import dataclass

from explorer import model as M
from explorer.diagnostics import Diagnostic, EvalError, SpecError
from explorer.interp import Interp, State
from explorer.values import Atom, Value, format_value, sorted_values


@dataclass(frozen=True)
class DNode:
    key: str  # unique in a drawing: the atom's set and name
    lines: tuple[str, ...]
    styles: frozenset[str]
    group: str | None


@dataclass(frozen=True)
class DEdge:
    src: str
    dst: str
    label: str | None
    styles: frozenset[str]


@dataclass(frozen=True)
class Drawing:
    nodes: tuple[DNode, ...]
    edges: tuple[DEdge, ...]


def key(a: Atom | int) -> str:
    return f"{a.sort}.{a.name}" if isinstance(a, Atom) else f"int.{a}"


def _name(a: Atom | int) -> str:
    return a.name if isinstance(a, Atom) else str(a)


class Drawer:
    def __init__(self, model: M.Model) -> None:
        assert model.render is not None
        self.model, self.render, self.it = model, model.render, Interp(model)

    def _holds(self, e: M.Expr | None, state: State, env: dict[str, Value]) -> bool:
        if e is None:
            return True
        try:
            return bool(self.it.eval(e, state, env))
        except EvalError:
            return False

    def _domain(self, domain: M.Expr, state: State) -> list[Value]:
        try:
            return sorted_values(self.it.eval(domain, state, {}))
        except EvalError as e:
            raise SpecError([Diagnostic(e.code, "the `render` section cannot draw a state "
                                        f"of the trace: {e.message}",
                                        e.span if e.span.line else
                                        getattr(domain, "span", M.NOSPAN))]) from None

    def draw(self, state: State) -> Drawing:
        nodes: list[DNode] = []
        for r in self.render.nodes:
            for a in self._domain(r.domain, state):
                env = {r.var: a}
                if not self._holds(r.when, state, env):
                    continue
                lines = []
                for lab in r.labels:
                    if not self._holds(lab.when, state, env):
                        continue
                    if lab.expr is None:
                        lines.append(lab.caption or "")
                        continue
                    try:
                        text = format_value(self.it.eval(lab.expr, state, env))
                    except EvalError as e:
                        text = f"(error: {e.message})"
                    lines.append(f"{lab.caption}: {text}" if lab.caption else text)
                styles = frozenset(s for st in r.styles if self._holds(st.when, state, env)
                                   for s in st.styles)
                group = None
                if r.group is not None:
                    try:
                        g = self.it.eval(r.group, state, env)
                        if g is not None:
                            group = format_value(g)
                            group = f"{r.group_caption} {group}" if r.group_caption else group
                    except EvalError:
                        pass
                nodes.append(DNode(key(a), tuple(lines) or (_name(a),), styles, group))
        drawn = {n.key for n in nodes}
        edges: list[DEdge] = []
        for e_rule in self.render.edges:
            for a in self._domain(e_rule.domain, state):
                env = {e_rule.var: a}
                if key(a) not in drawn or not self._holds(e_rule.when, state, env):
                    continue
                try:
                    t = self.it.eval(e_rule.target, state, env)
                except EvalError:
                    continue
                targets = sorted_values(t) if isinstance(t, frozenset) else ([] if t is None else [t])
                for b in targets:
                    if key(b) in drawn:
                        edges.append(DEdge(key(a), key(b), e_rule.label, frozenset(e_rule.styles)))
        return Drawing(tuple(nodes), tuple(edges))

    def about(self, invariant: str | None, state: State) -> set[str]:
        """The atoms (or integers) a violated `forall x in S: P` invariant fails for (marked
        on the picture); empty for any other shape of invariant."""
        inv = next((i for i in self.model.invariants if i.name == invariant), None)
        if inv is None or not isinstance(inv.expr, M.Quant) or not inv.expr.forall \
                or len(inv.expr.binders) != 1:
            return set()
        b = inv.expr.binders[0]
        out: set[str] = set()
        try:
            domain = sorted_values(self.it.eval(b.domain, state, {}))
        except EvalError:  # no atoms to mark: the report says why the invariant failed
            return out
        for a in domain:
            if isinstance(a, Atom | int) and not isinstance(a, bool) and \
                    not self._holds(inv.expr.body, state, {b.name: a}):
                out.add(key(a))
        return out
