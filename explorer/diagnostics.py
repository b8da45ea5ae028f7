"""Coded, located diagnostics, and their one renderer.

A `Diagnostic` is data (code, message, span, notes); `render` prints it as
`file:line:col: error[CODE]: message`, the source line, and a caret underline.
Runtime faults raised by engines (`EvalError`, `AssertFailure`) carry the span of the spec
text that failed. Spec text in a diagnostic (its message, the echoed source line, the
path) is escaped by `textsafe`, so a spec cannot print control characters or start a line
of its own. Imports only `model` (for `Span`) and `textsafe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.model import NOSPAN, Span
from explorer.textsafe import escape, escape_columns, escape_path


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span = NOSPAN
    severity: str = "error"  # "error" | "warning"
    notes: tuple[str, ...] = field(default=())


class SpecError(Exception):
    """One or more static errors: the spec cannot be explored."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


class EvalError(Exception):
    """A runtime evaluation error (codes E3001-E3007) at a place in the spec."""

    def __init__(self, code: str, message: str, span: Span = NOSPAN) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.span = span


class AssertFailure(Exception):
    """An in-action `assert` that evaluated to false; `name` for `assert NAME: ...`."""

    def __init__(self, message: str, span: Span = NOSPAN, name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.name = name


def render(d: Diagnostic, path: str, source: str | None) -> str:
    """file:line:col: severity[CODE]: message, then the source line and a caret."""
    out = [f"{location(path, d.span)}: {d.severity}[{d.code}]: {escape(d.message)}"]
    out.extend(excerpt(source, d.span))
    out.extend(f"  note: {escape(n)}" for n in d.notes)
    return "\n".join(out)


def location(path: str, span: Span) -> str:
    """path:line:col (the path escaped, and `./`-prefixed when it would start oddly)."""
    shown = escape_path(path)
    return f"{shown}:{span.line}:{span.col}" if span.line else shown


def excerpt(source: str | None, span: Span) -> list[str]:
    """The source line of span with a caret underline (no lines when there is none). The
    line is escaped (a control character shows as `\\x1b`, and so on) and the carets sit
    under the escaped text."""
    lines = source.split("\n") if source is not None else []  # as the parser counts lines
    if not span.line or span.line > len(lines):
        return []
    text = lines[span.line - 1].rstrip("\r").expandtabs(1)
    if len(text) > 200:  # keep carets readable on huge lines
        start = max(0, span.col - 80)
        text, col = text[start:start + 160], span.col - start
    else:
        col = span.col
    width = 1
    if span.end_line == span.line and span.end_col > span.col:
        width = span.end_col - span.col
    width = max(1, min(width, len(text) - col + 1))
    shown, at = escape_columns(text)
    start, end = at[min(col - 1, len(text))], at[min(col - 1 + width, len(text))]
    gutter = f"{span.line:>4} | "
    return [gutter + shown,
            " " * (len(gutter) - 2) + "| " + " " * start + "^" * max(1, end - start)]
