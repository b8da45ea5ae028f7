"""Coded, located diagnostics, and their one renderer.

A `Diagnostic` is data (code, message, span, notes); `render` prints it as
`file:line:col: error[CODE]: message`, the source line, and a caret underline.
Runtime faults raised by engines (`EvalError`, `AssertFailure`) carry the span of the spec
text that failed. Imports only `model` (for `Span`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.model import NOSPAN, Span


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
    """A runtime evaluation error (codes E3001-E3006) at a place in the spec."""

    def __init__(self, code: str, message: str, span: Span = NOSPAN) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.span = span


class AssertFailure(Exception):
    """An in-action `assert` that evaluated to false."""

    def __init__(self, message: str, span: Span = NOSPAN) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def render(d: Diagnostic, path: str, source: str | None) -> str:
    """file:line:col: severity[CODE]: message, then the source line and a caret."""
    loc = f"{path}:{d.span.line}:{d.span.col}" if d.span.line else path
    out = [f"{loc}: {d.severity}[{d.code}]: {d.message}"]
    lines = source.split("\n") if source is not None else []  # as the parser counts lines
    if d.span.line and d.span.line <= len(lines):
        text = lines[d.span.line - 1].rstrip("\r").expandtabs(1)
        if len(text) > 200:  # keep carets readable on huge lines
            start = max(0, d.span.col - 80)
            text, col = text[start:start + 160], d.span.col - start
        else:
            col = d.span.col
        width = 1
        if d.span.end_line == d.span.line and d.span.end_col > d.span.col:
            width = d.span.end_col - d.span.col
        width = max(1, min(width, len(text) - col + 1))
        gutter = f"{d.span.line:>4} | "
        out.append(gutter + text)
        out.append(" " * (len(gutter) - 2) + "| " + " " * (col - 1) + "^" * width)
    out.extend(f"  note: {n}" for n in d.notes)
    return "\n".join(out)
