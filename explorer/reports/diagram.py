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
"""

from __future__ import annotations

import html
from pathlib import Path

from explorer.results import Outcome, Trace
from explorer.values import format_value

CHANGED_BG, BAD, EDGE = "#fff3b0", "#c0392b", "#34495e"
MAX_CELL = 60  # longer values wrap at commas, so a wide function stays readable


class DotMissing(Exception):
    """Graphviz's `dot` is not installed: only the DOT text can be written."""


def _cell(text: str) -> str:
    """An HTML-escaped value, wrapped at ", " past MAX_CELL characters."""
    lines, cur = [], ""
    for part in text.split(", "):
        if cur and len(cur) + len(part) + 2 > MAX_CELL:
            lines.append(cur + ",")
            cur = part
        else:
            cur = f"{cur}, {part}" if cur else part
    lines.append(cur)
    return '<br align="left"/>'.join(html.escape(x) for x in lines) + '<br align="left"/>'


def _q(s: str) -> str:
    """A DOT double-quoted string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _what_went_wrong(o: Outcome) -> str:
    if o.kind in ("violation", "cti"):
        return f"violates {o.target}" if o.target else f"fails: {o.message}"
    if o.kind == "deadlock":
        return "deadlock: no action is enabled"
    if o.kind == "assertion":
        return f"assertion {o.assertion or ''} fails: {o.message}".replace("  ", " ")
    if o.kind == "error":
        return f"runtime error {o.code}: {o.message}"
    return o.message or o.kind


def trace_dot(trace: Trace, outcome: Outcome, title: str) -> str:
    """The filmstrip of `trace` as DOT text. `outcome` says what the last state (or the
    failing step) shows; `title` heads the picture (spec and check)."""
    n = len(trace.states)
    failing = len(trace.steps) == n and n > 0
    first = ("any state where every invariant holds" if outcome.kind == "cti" else "initial")
    out = ["digraph trace {",
           "  rankdir=LR; newrank=true; compound=true;",
           f"  label={_q(title)}; labelloc=t; fontname=Helvetica; fontsize=16;",
           "  node [shape=plaintext, fontname=Helvetica, fontsize=11];",
           f"  edge [fontname=Helvetica, fontsize=11, color={_q(EDGE)}, penwidth=1.5];"]
    for i, state in enumerate(trace.states):
        prev = trace.states[i - 1] if i > 0 else None
        rows = []
        for name, v in zip(trace.var_names, state):
            changed = prev is not None and prev[trace.var_names.index(name)] != v
            val = _cell(format_value(v))
            if changed:
                old = _cell(format_value(prev[trace.var_names.index(name)]))
                rows.append(f'<tr><td align="left" bgcolor="{CHANGED_BG}"><b>{html.escape(name)}'
                            f'</b></td><td align="left" bgcolor="{CHANGED_BG}"><b>{val}</b>'
                            f'<font color="#7f8c8d"><s>{old}</s></font></td></tr>')
            else:
                rows.append(f'<tr><td align="left">{html.escape(name)}</td>'
                            f'<td align="left">{val}</td></tr>')
        head = f"State {i}" + (f" ({first})" if i == 0 else "")
        last = i == n - 1 and not failing and outcome.kind not in ("holds", "proved")
        color = BAD if last else "#2c3e50"
        bottom = (f'<tr><td colspan="2" bgcolor="{BAD}"><font color="white"><b>'
                  f'{html.escape(_what_went_wrong(outcome))}</b></font></td></tr>' if last else "")
        table = (f'<table border="1" cellborder="0" cellspacing="0" cellpadding="4" '
                 f'color="{color}"><tr><td colspan="2" bgcolor="{color}"><font color="white">'
                 f'<b>{html.escape(head)}</b></font></td></tr>{"".join(rows)}{bottom}</table>')
        out.append(f"  s{i} [label=<{table}>];")
    for i, step in enumerate(trace.steps):
        params = ", ".join(f"{k} = {format_value(v)}" for k, v in step.params)
        label = f"{i + 1}. {step.action}({params})"
        if i + 1 < n:
            out.append(f"  s{i} -> s{i + 1} [label={_q(label)}];")
        else:  # the failing step: it has no state after it
            msg = html.escape(_what_went_wrong(outcome))
            out.append(f'  fail [label=<<table border="1" cellborder="0" color="{BAD}">'
                       f'<tr><td bgcolor="{BAD}"><font color="white"><b>{html.escape(label)}'
                       f'</b></font></td></tr><tr><td>{msg}</td></tr></table>>];')
            out.append(f"  s{i} -> fail [label={_q(label)}, color={_q(BAD)}, "
                       f"fontcolor={_q(BAD)}, style=dashed];")
    out.append("}")
    return "\n".join(out) + "\n"


def render_dot(dot: str, fmt: str) -> bytes:
    """DOT text laid out by Graphviz as `fmt` (svg, png)."""
    import graphviz
    try:
        return graphviz.Source(dot).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise DotMissing("Graphviz's `dot` is not installed (Debian: apt-get install "
                         "graphviz); only the .dot files were written") from None


def write_views(dot: str, base: Path, formats: tuple[str, ...] = ("svg", "png")) -> list[Path]:
    """base.svg, base.png, ... from the DOT text; DotMissing when `dot` is absent."""
    written = []
    for fmt in formats:
        p = base.with_suffix(f".{fmt}")
        p.write_bytes(render_dot(dot, fmt))
        written.append(p)
    return written


def state_graph_dot(var_names: tuple[str, ...], states: list[tuple], initial: set[int],
                    edges: list[tuple[int, tuple, int]], violating: dict[int, str],
                    failing: dict[int, str], title: str) -> str:
    """The whole reachable state graph as DOT (TLC's -dump dot): one box per state with its
    variables, initial states bold, states that violate an invariant or fail red, and one
    edge per transition labelled with the action and its binding."""
    out = ["digraph states {",
           f"  label={_q(title)}; labelloc=t; fontname=Helvetica;",
           "  node [shape=box, fontname=Helvetica, fontsize=10];",
           "  edge [fontname=Helvetica, fontsize=9];"]
    for i, s in enumerate(states):
        text = "".join(f"{n} = {format_value(v)}\\l" for n, v in zip(var_names, s))
        attrs = []
        if i in initial:
            attrs.append("penwidth=2.5")
        why = violating.get(i) and f"violates {violating[i]}" or failing.get(i)
        if why:
            text += f"{why}\\l"
            attrs += [f"color={_q(BAD)}", f"fontcolor={_q(BAD)}"]
        label = '"' + text.replace('"', '\\"') + '"'
        out.append(f"  s{i} [label={label}{''.join(', ' + a for a in attrs)}];")
    for i, (action, params), j in edges:
        binding = ", ".join(f"{k} = {format_value(v)}" for k, v in params)
        out.append(f"  s{i} -> s{j} [label={_q(f'{action}({binding})')}];")
    out.append("}")
    return "\n".join(out) + "\n"
