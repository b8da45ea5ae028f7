"""Counterexample diagrams: a trace as a graphviz filmstrip (the only graphviz user).

One cluster per state, left to right, joined by edges labelled with the action and its
parameters. A state is drawn as a table of its variables (the generic drawing, for specs
without a `render` section). What changed from the state before is highlighted: the row is
bold on a yellow background, with the old value struck out after the new one. The last
state names what went wrong: the invariant violated, the deadlock, or, after a failing
step, the step that fails and why. A counterexample to induction is drawn the same way,
its first state labelled as an arbitrary state where every invariant holds.

DOT text is built here, deterministically (the same trace always gives the same bytes), so
committed diagrams can be compared; `dot` (Debian's graphviz) turns it into SVG or PNG.
Every string that reaches DOT, spec text or not, goes through `textsafe`: `dot_string` for
a quoted string, `html_text` inside an HTML-like label. So no spec text can close a label
and add nodes or attributes (`image=`, `shapefile=` would make `dot` read a file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from explorer.results import Outcome, OutcomeKind, Step, Trace
from explorer.textsafe import dot_string, dot_text, html_text
from explorer.values import Value, format_value

if TYPE_CHECKING:  # the drawings' shape only: explorer.drawing evaluates a spec's render
    from explorer.drawing import Drawing

CHANGED_BG, BAD, EDGE = "#fff3b0", "#c0392b", "#34495e"
MAX_CELL = 60  # longer values wrap at commas, so a wide function stays readable


class DotMissing(Exception):
    """Graphviz's `dot` is not installed: only the DOT text can be written."""


def _cell(text: str) -> str:
    """An escaped value for an HTML-like label, wrapped at ", " past MAX_CELL characters."""
    lines, cur = [], ""
    for part in text.split(", "):
        if cur and len(cur) + len(part) + 2 > MAX_CELL:
            lines.append(cur + ",")
            cur = part
        else:
            cur = f"{cur}, {part}" if cur else part
    lines.append(cur)
    return '<br align="left"/>'.join(html_text(x) for x in lines) + '<br align="left"/>'


def _what_went_wrong(o: Outcome) -> str:
    match o.kind:
        case OutcomeKind.VIOLATION | OutcomeKind.CTI:
            return f"violates {o.target}" if o.target else f"fails: {o.message}"
        case OutcomeKind.LIVENESS:
            return f"violates {o.target} for ever"
        case OutcomeKind.DEADLOCK:
            return "deadlock: no action is enabled"
        case OutcomeKind.ASSERTION:
            return f"assertion {o.assertion or ''} fails: {o.message}".replace("  ", " ")
        case OutcomeKind.ERROR:
            return f"runtime error {o.code}: {o.message}"
        case (OutcomeKind.HOLDS | OutcomeKind.INCOMPLETE | OutcomeKind.NO_INITIAL_STATE
              | OutcomeKind.PROVED | OutcomeKind.BOUNDED):
            return o.message or o.kind
        case _:
            assert_never(o.kind)


def _step_label(i: int, step: Step) -> str:
    params = ", ".join(f"{k} = {format_value(v)}" for k, v in step.params)
    return f"{i + 1}. {step.action}({params})"


def _fail_box(label: str, outcome: Outcome) -> str:
    """The HTML label of the box a failing step leads to: the step, then the error."""
    return (f'<<table border="1" cellborder="0" color="{BAD}"><tr><td bgcolor="{BAD}">'
            f'<font color="white"><b>{html_text(label)}</b></font></td></tr><tr><td>'
            f'{html_text(_what_went_wrong(outcome))}</td></tr></table>>')


def _drawn(trace: Trace) -> tuple[int, int | None]:
    """How many of the trace's states are drawn, and the state a lasso's last step goes
    back to (its last state repeats that one, so it is not drawn again)."""
    n = len(trace.states)
    if trace.loop is not None and not trace.stutters:
        return n - 1, trace.loop
    return n, None


def _head(trace: Trace, i: int, first: str) -> str:
    head = f"State {i}" + (f" ({first})" if i == 0 else "")
    if trace.loop == i:
        head += ": stays here for ever" if trace.stutters else ": the cycle starts here"
    return head


def _is_last(trace: Trace, i: int, n: int, failing: bool, outcome: Outcome) -> bool:
    """Whether state i is the one that shows what went wrong: the last one, or the one
    where a lasso's cycle starts."""
    if trace.loop is not None:
        return i == trace.loop
    return i == n - 1 and not failing and outcome.kind not in (OutcomeKind.HOLDS, OutcomeKind.PROVED)


def trace_dot(trace: Trace, outcome: Outcome, title: str) -> str:
    """The filmstrip of `trace` as DOT text. `outcome` says what the last state (or the
    failing step) shows; `title` heads the picture (spec and check)."""
    n, back = _drawn(trace)
    failing = len(trace.steps) == len(trace.states) and n > 0
    first = ("any state where every invariant holds" if outcome.kind is OutcomeKind.CTI else "initial")
    out = ["digraph trace {",
           "  rankdir=LR; newrank=true; compound=true;",
           f"  label={dot_string(title)}; labelloc=t; fontname=Helvetica; fontsize=16;",
           "  node [shape=plaintext, fontname=Helvetica, fontsize=11];",
           f"  edge [fontname=Helvetica, fontsize=11, color={dot_string(EDGE)}, penwidth=1.5];"]
    for i, state in enumerate(trace.states[:n]):
        prev = trace.states[i - 1] if i > 0 else None
        rows = []
        for name, v in zip(trace.var_names, state):
            changed = prev is not None and prev[trace.var_names.index(name)] != v
            val = _cell(format_value(v))
            if changed:
                assert prev is not None
                old = _cell(format_value(prev[trace.var_names.index(name)]))
                rows.append(f'<tr><td align="left" bgcolor="{CHANGED_BG}"><b>{html_text(name)}'
                            f'</b></td><td align="left" bgcolor="{CHANGED_BG}"><b>{val}</b>'
                            f'<font color="#7f8c8d"><s>{old}</s></font></td></tr>')
            else:
                rows.append(f'<tr><td align="left">{html_text(name)}</td>'
                            f'<td align="left">{val}</td></tr>')
        head = _head(trace, i, first)
        last = _is_last(trace, i, n, failing, outcome)
        color = BAD if last else "#2c3e50"
        bottom = (f'<tr><td colspan="2" bgcolor="{BAD}"><font color="white"><b>'
                  f'{html_text(_what_went_wrong(outcome))}</b></font></td></tr>' if last else "")
        table = (f'<table border="1" cellborder="0" cellspacing="0" cellpadding="4" '
                 f'color="{color}"><tr><td colspan="2" bgcolor="{color}"><font color="white">'
                 f'<b>{html_text(head)}</b></font></td></tr>{"".join(rows)}{bottom}</table>')
        out.append(f"  s{i} [label=<{table}>];")
    for i, step in enumerate(trace.steps):
        label = _step_label(i, step)
        if back is not None and i + 1 == n:  # the lasso's last step, back to its cycle
            out.append(f"  s{i} -> s{back} [label={dot_string(label + f' (back to state {back})')}, "
                       f"color={dot_string(BAD)}, fontcolor={dot_string(BAD)}, penwidth=2.5, "
                       "constraint=false];")
        elif i + 1 < n:
            out.append(f"  s{i} -> s{i + 1} [label={dot_string(label)}];")
        else:  # the failing step: it has no state after it
            out.append(f"  fail [label={_fail_box(label, outcome)}];")
            out.append(f"  s{i} -> fail [label={dot_string(label)}, color={dot_string(BAD)}, "
                       f"fontcolor={dot_string(BAD)}, style=dashed];")
    out.append("}")
    return "\n".join(out) + "\n"


class DotFailed(Exception):
    """Graphviz's `dot` could not lay a drawing out, even with straight edges."""


def render_dot(dot: str, fmt: str) -> bytes:
    """DOT text laid out by Graphviz as `fmt` (svg, png). Graphviz's spline router fails
    now and then on a filmstrip's clusters ("triangulation failed", a known Graphviz
    bug): that drawing is laid out again with straight edges (the DOT written stays the
    same, so committed drawings compare on any machine)."""
    import graphviz
    try:
        try:
            return bytes(graphviz.Source(dot).pipe(format=fmt, quiet=True))
        except graphviz.CalledProcessError:
            head, sep, rest = dot.partition("\n")
            straight = f"{head}{sep}  splines=line;\n{rest}"
            return bytes(graphviz.Source(straight).pipe(format=fmt, quiet=True))
    except graphviz.ExecutableNotFound:
        raise DotMissing("Graphviz's `dot` is not installed (Debian: apt-get install "
                         "graphviz); only the .dot files were written") from None
    except graphviz.CalledProcessError as e:
        why = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise DotFailed(f"Graphviz's `dot` could not lay this drawing out ({why[-1] if why else e}); "
                        "only its .dot file was written") from None


def views(dot: str, formats: tuple[str, ...] = ("svg", "png")) -> list[tuple[str, bytes]]:
    """The DOT text laid out in each format, as (format, bytes); DotMissing when `dot` is
    absent. Graphviz writes to a pipe: the caller writes the files (explorer.outdir)."""
    return [(fmt, render_dot(dot, fmt)) for fmt in formats]


def state_graph_dot(var_names: tuple[str, ...], states: list[tuple[Value, ...]],
                    initial: set[int],
                    edges: list[tuple[int, tuple[str, tuple[tuple[str, Value], ...]], int]],
                    violating: dict[int, str],
                    failing: dict[int, str], title: str) -> str:
    """The whole reachable state graph as DOT (TLC's -dump dot): one box per state with its
    variables, initial states bold, states that violate an invariant or fail red, and one
    edge per transition labelled with the action and its binding."""
    out = ["digraph states {",
           f"  label={dot_string(title)}; labelloc=t; fontname=Helvetica;",
           "  node [shape=box, fontname=Helvetica, fontsize=10];",
           "  edge [fontname=Helvetica, fontsize=9];"]
    for i, s in enumerate(states):
        text = "".join(dot_text(f"{n} = {format_value(v)}") + "\\l" for n, v in zip(var_names, s))
        attrs = []
        if i in initial:
            attrs.append("penwidth=2.5")
        why = violating.get(i) and f"violates {violating[i]}" or failing.get(i)
        if why:
            text += dot_text(why) + "\\l"
            attrs += [f"color={dot_string(BAD)}", f"fontcolor={dot_string(BAD)}"]
        out.append(f"  s{i} [label=\"{text}\"{''.join(', ' + a for a in attrs)}];")
    for i, (action, params), j in edges:
        binding = ", ".join(f"{k} = {format_value(v)}" for k, v in params)
        out.append(f"  s{i} -> s{j} [label={dot_string(f'{action}({binding})')}];")
    out.append("}")
    return "\n".join(out) + "\n"


# -- drawings from a `render` section ---------------------------------------------------

_STYLE_ATTRS = {  # a render style -> DOT attributes (a fixed table: no spec text in DOT)
    "dashed": {"style": "dashed"}, "dotted": {"style": "dotted"}, "bold": {"penwidth": "2.5"},
    "grey": {"color": "grey60", "fontcolor": "grey45"}, "red": {"color": "#c0392b"},
    "blue": {"color": "#2471a3"}, "green": {"color": "#1e8449"},
    "orange": {"color": "#d35400"}, "filled": {"style": "filled", "fillcolor": "grey92"},
}
CHANGED_EDGE = "#d35400"


def _attrs(styles: frozenset[str], changed: bool, marked: bool) -> str:
    a: dict[str, str] = {}
    style = ["rounded"]
    for s in sorted(styles):
        for k, v in _STYLE_ATTRS[s].items():
            if k == "style":
                style.append(v)
            else:
                a[k] = v
    if changed:
        style.append("filled")
        a["fillcolor"] = CHANGED_BG
        a["penwidth"] = str(max(2.0, float(a.get("penwidth", "1"))))
    if marked:
        a["color"], a["penwidth"] = BAD, "3"
    a["style"] = ",".join(dict.fromkeys(style))
    return ", ".join(f"{k}={dot_string(v)}" for k, v in sorted(a.items()))


def filmstrip_dot(trace: Trace, outcome: Outcome, title: str, drawings: list[Drawing],
                  marked: set[str]) -> str:
    """The filmstrip of a trace drawn by the spec's `render` section: `drawings[i]` is state
    i as nodes and edges (explorer.drawing), `marked` the atoms the violated invariant is
    about (shown red on the last state). Each state is a cluster of its own, left to
    right; inside, edges point from an atom to the one it refers to (a child to its parent),
    drawn with the referred-to atom above. What is new or changed since the state before is
    yellow (nodes) or orange (edges)."""
    n, back = _drawn(trace)
    drawings = drawings[:n]
    failing = len(trace.steps) == len(trace.states) and n > 0
    first = "any state where every invariant holds" if outcome.kind is OutcomeKind.CTI else "initial"
    keys: dict[str, int] = {}
    for d in drawings:
        for node in d.nodes:
            keys.setdefault(node.key, len(keys))
    out = ["digraph trace {",
           "  newrank=true; compound=true; nodesep=0.25; ranksep=0.35;",
           f"  label={dot_string(title)}; labelloc=t; fontname=Helvetica; fontsize=16;",
           "  node [shape=box, fontname=Helvetica, fontsize=11];",
           f"  edge [fontname=Helvetica, fontsize=10, color={dot_string(EDGE)}, arrowsize=0.7];"]
    for i, d in enumerate(drawings):
        prev = {x.key: x for x in drawings[i - 1].nodes} if i > 0 else None
        prev_edges = set(drawings[i - 1].edges) if i > 0 else None
        last = _is_last(trace, i, n, failing, outcome)
        head = _head(trace, i, first)
        bad = (f'<br/><font color="{BAD}"><b>{html_text(_what_went_wrong(outcome))}</b></font>'
               if last else "")
        out.append(f"  subgraph cluster_s{i} {{")
        out.append(f"    label=<<b>{html_text(head)}</b>{bad}>; labeljust=l; "
                   f"color={dot_string(BAD if last else '#2c3e50')}; penwidth={'2.5' if last else '1.2'};")
        out.append(f"    s{i}_top [shape=point, style=invis, width=0, height=0];")
        groups: dict[str | None, list[str]] = {}
        for node in d.nodes:
            nid = f"s{i}_n{keys[node.key]}"
            changed = prev is not None and prev.get(node.key) != node
            label = "<b>" + html_text(node.lines[0]) + "</b>" + "".join(
                "<br/>" + html_text(x) for x in node.lines[1:])
            attrs = _attrs(node.styles, changed, last and node.key in marked)
            groups.setdefault(node.group, []).append(f"{nid} [label=<{label}>, {attrs}];")
        for gi, (g, lines) in enumerate(groups.items()):
            if g is None:
                out.extend("    " + x for x in lines)
                continue
            out.append(f"    subgraph cluster_s{i}_g{gi} {{")
            out.append(f"      label={dot_string(g)}; style=\"rounded,dashed\"; color=grey55; "
                       "fontcolor=grey35; fontsize=10;")
            out.extend("      " + x for x in lines)
            out.append("    }")
        for e in d.edges:
            new = prev_edges is not None and e not in prev_edges
            eattrs = ["dir=back"]  # drawn from the referred-to atom down, pointing up at it
            if e.label:
                eattrs.append(f"label={dot_string(e.label)}")
            for style in sorted(e.styles):
                eattrs += [f"{k}={dot_string(v)}" for k, v in _STYLE_ATTRS[style].items()]
            if new:
                eattrs += [f"color={dot_string(CHANGED_EDGE)}", "penwidth=2.5",
                           f"fontcolor={dot_string(CHANGED_EDGE)}"]
            out.append(f"    s{i}_n{keys[e.dst]} -> s{i}_n{keys[e.src]} [{', '.join(eattrs)}];")
        out.append("  }")
    out.append("  { rank=same; " + " ".join(f"s{i}_top;" for i in range(n)) + " }")
    for i, step in enumerate(trace.steps):
        label = _step_label(i, step)
        if back is not None and i + 1 == n:  # the lasso's last step, back to its cycle
            out.append(f"  s{i}_top -> s{back}_top [label={dot_string(label + f' (back to state {back})')}, "
                       f"ltail=cluster_s{i}, lhead=cluster_s{back}, color={dot_string(BAD)}, "
                       f"fontcolor={dot_string(BAD)}, penwidth=2.5, constraint=false];")
        elif i + 1 < n:
            out.append(f"  s{i}_top -> s{i + 1}_top [label={dot_string(label)}, ltail=cluster_s{i}, "
                       f"lhead=cluster_s{i + 1}, penwidth=2, minlen=2];")
        else:
            out.append(f"  fail [shape=plaintext, label={_fail_box(label, outcome)}];")
            out.append("  { rank=same; fail; " + f"s{i}_top; }}")
            out.append(f"  s{i}_top -> fail [label={dot_string(label)}, ltail=cluster_s{i}, "
                       f"color={dot_string(BAD)}, fontcolor={dot_string(BAD)}, style=dashed, minlen=2];")
    out.append("}")
    return "\n".join(out) + "\n"
