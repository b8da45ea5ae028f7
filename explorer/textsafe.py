"""Untrusted text made safe for each output: one line of a terminal or CI log, JSON, DOT.

Specs come from pull requests and CI runs them, so everything a spec or its file name
controls (assert messages, doc comments and source lines echoed under an error, render
labels and captions, file paths) is untrusted. Printed verbatim, a newline or a carriage
return would let it print its own GitHub Actions workflow commands (`::error ...`,
`::stop-commands::`, `::add-mask::`), an ESC byte its own terminal escapes, a bidi
control reorder what a reader sees. Every writer of such text goes through this module:

- `escape` for a line of text (terminal, log, `.txt` report): control characters,
  line and paragraph separators, bidi controls and lone surrogates become `\\n`, `\\x1b`,
  `\\u202e` escapes (a byte of a non-UTF-8 file name, which Python holds as a lone
  surrogate, as `\\xNN`), a backslash becomes `\\\\` (so the escaping is unambiguous), and `#`
  before `[` or at the end becomes `\\x23`, so that no line holds the runner's legacy
  `##[command]` form (see below).
- `escape_path` for a file path shown to the user: `escape`, then `./` before a path that
  does not start with a letter, digit, `_`, `.` or `/`, because a diagnostic line starts
  with its path.
- `json_text` for JSON: `json.dumps` with ASCII output (a reader of the JSON sees every
  control, separator and bidi character as a `\\uXXXX` escape), DEL and `#[` escaped too;
  parsed back it gives the original strings.
- `dot_string` / `dot_text` for DOT string literals and `html_text` for the text inside
  Graphviz's HTML-like labels: the line escape first (a diagram shows what the terminal
  shows), then DOT's or HTML's own escapes, so spec text can never close a label.

Identifiers (names of variables, actions, atoms, checks) are `[A-Za-z_][A-Za-z_0-9]*` by
the grammar and need none of this, but passing them through is harmless.

How the GitHub Actions runner finds workflow commands (actions/runner,
src/Runner.Common/ActionCommand.cs, used by ActionCommandManager.TryProcessCommand for
every line a step prints): `TryParseV2` trims leading whitespace (`message.TrimStart()`,
.NET's Unicode whitespace) and then wants `::` at the start, so an indented `  ::error::x`
is a command; the legacy `TryParse` looks for `##[` ANYWHERE in the line
(`message.IndexOf("##[")`; actions/runner issue #4692). So escaping line breaks is not
enough: every line we print starts with fixed text that is not whitespace (a path is
`./`-prefixed when needed), and escaped text never contains `#[` nor ends with `#`, so no
concatenation of it with our own text (which has no `#`) holds `##[`.

Imports nothing from the package: diagnostics and every report use it.
"""

from __future__ import annotations

import html
import json
import re

# C0 and C1 controls (Unicode category Cc, U+0085 included), the line and paragraph
# separators, the bidi controls (embeddings, overrides, isolates, marks) and lone
# surrogates (from file names that are not UTF-8; they cannot even be written as UTF-8).
_UNSAFE_CHARS = ("\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e"
                 "\u2066-\u2069\ud800-\udfff")
_UNSAFE = re.compile(rf"[{_UNSAFE_CHARS}\\]|#(?=\[|\Z)")
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "#": "\\x23"}
_SAFE_PATH_START = re.compile(r"[A-Za-z0-9_./]")


def _escape_one(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    if 0xDC80 <= ord(c) <= 0xDCFF:  # a byte of a file name that is not UTF-8
        return f"\\x{ord(c) - 0xDC00:02x}"
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def escape(text: str) -> str:
    """Untrusted text for one line of output: every control character, line or paragraph
    separator, bidi control and lone surrogate as an escape (`\\n`, `\\r`, `\\t`, `\\x1b`,
    `\\u202e`), a backslash as `\\\\`, and a `#` before `[` or at the end as `\\x23`.
    Text without any of these is unchanged."""
    return _UNSAFE.sub(_escape_one, text)


def escape_columns(text: str) -> tuple[str, list[int]]:
    """`escape(text)` and where each character of text starts in it: offsets[i] for
    character i, offsets[len(text)] the escaped length (for carets under escaped text)."""
    out: list[str] = []
    offsets: list[int] = []
    pos = done = 0
    for m in _UNSAFE.finditer(text):
        plain = text[done:m.start()]
        offsets.extend(range(pos, pos + len(plain)))
        offsets.append(pos + len(plain))
        piece = _escape_one(m)
        out += [plain, piece]
        pos += len(plain) + len(piece)
        done = m.end()
    offsets.extend(range(pos, pos + len(text) - done + 1))
    out.append(text[done:])
    return "".join(out), offsets


def escape_path(path: str) -> str:
    """A file path for output: `escape`d, and with `./` in front when it would start with
    anything but a letter, digit, `_`, `.` or `/` (a diagnostic line starts with its path,
    and a file may be named `::error::x.mnt`)."""
    text = escape(path)
    return text if _SAFE_PATH_START.match(text) else "./" + text


def json_text(data: object, indent: int | None = None) -> str:
    """`data` as JSON in which every string reads back as the original, but whose text
    holds only printable ASCII: `ensure_ascii` writes every non-ASCII character (U+2028,
    U+2029, the bidi controls) as `\\uXXXX`, `json` always escapes C0 controls, and DEL and
    the `#` of `#[` (which can only be inside a string) become `\\u007f` and `\\u0023`."""
    text = json.dumps(data, indent=indent, ensure_ascii=True)
    return text.replace("\x7f", "\\u007f").replace("#[", "\\u0023[")


def dot_text(text: str) -> str:
    """Untrusted text inside a DOT double-quoted string: `escape`d (so it holds no control
    character), then every backslash doubled and every `"` as `\\"`. The result has no
    unpaired backslash, so it can neither end the string nor start an escString sequence
    (`\\N`, `\\l`); callers may append their own `\\l`."""
    return escape(text).replace("\\", "\\\\").replace('"', '\\"')


def dot_string(text: str) -> str:
    """A DOT double-quoted string literal holding `text`."""
    return '"' + dot_text(text) + '"'


def html_text(text: str) -> str:
    """Untrusted text inside a Graphviz HTML-like label (`<...>`): `escape`d, then `&`, `<`,
    `>`, `"` and `'` as entities, so it can neither close the label nor add markup."""
    return html.escape(escape(text), quote=True)
