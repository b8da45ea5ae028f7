"""Spec text cannot inject anything into our outputs (issue 15, section 3).

A pull request controls a spec's assert messages, doc comments, render labels and file
names. Printed verbatim, they could start lines of their own in a CI log (GitHub Actions
workflow commands such as `::error ...`, `::stop-commands::`, the legacy `##[error]`),
print terminal escapes, or close a DOT label and add nodes with `image=` that `dot` loads.
These tests run `explore` on such specs in every output format and check that no line
starts with spec text (no `::` but our own annotations, no `##[` anywhere), that no raw
control character reaches any output, that JSON reads back the original strings, and that
every DOT file has exactly the nodes and attributes of the same spec with harmless text.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.cli import main

# What a hostile pull request would write: GitHub workflow commands after line breaks (LF,
# CR, U+2028), the legacy command form that the runner finds anywhere in a line, terminal
# and bidi escapes, and text that closes a DOT quoted string or HTML label.
PIECES = ["\n::error file=x::pwned", "\n::stop-commands::tok", "\x1b[31m", "\r", "\u202e",
          "##[error]legacy", "\u2028::warning::sep", "\x85::add-mask::m", "back\\slash",
          '\\"];  evil [image="/etc/passwd"];  x [label="',
          '</b></font>>]; evil2 [shapefile=</etc/hosts>]; y [label=<<b>', "\x7f", "end#"]
HOSTILE = " ".join(PIECES)
# the same, for a doc comment (which ends at LF): CR is the line break there
HOSTILE_DOC = HOSTILE.replace("\n", "\r")
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# our own annotation line: the properties %-escaped (no raw `:` or `,`), a check name
ANNOTATION = re.compile(r"::error file=[^:,\r\n]*,line=\d+,title=check [A-Za-z_0-9]+::.*")


def mnt_string(text: str) -> str:
    """A .mnt string literal holding text (LF, `\\` and `"` escaped; the rest raw)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def spec_text(message: str = HOSTILE, label: str = HOSTILE, doc: str = HOSTILE_DOC,
              expect: str = "holds", render: bool = True) -> str:
    drawing = ("render {\n  node x in {n} {\n    label " + mnt_string(label) + " x\n"
               "    label " + mnt_string(label) + "\n    group " + mnt_string(label) + " x\n"
               "  }\n  edge x in {n} -> x label " + mnt_string(label) + "\n}\n") if render else ""
    return (f"/// {doc}\nspec hostile\nvar n: 0..3\ninit {{\n  n = 0\n}}\n"
            f"/// {doc}\naction inc when n < 3 {{\n  n := n + 1\n"
            f"  assert n < 2 {mnt_string(message)}\n}}\n{drawing}check c: expect {expect}\n")


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))  # bytes: a CR must stay a CR
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_safe(text: str, annotations: int = 0) -> None:
    """No raw control, separator, bidi or surrogate character; no line that starts (after
    the whitespace the runner trims) with `::` but our own annotations; no `##[`."""
    bad = sorted({c for c in text if c != "\n" and (unicodedata.category(c) in ("Cc", "Cs")
                                                   or c in BIDI or c in "\u2028\u2029")})
    assert not bad, f"raw characters in the output: {bad!r}"
    own = 0
    for line in text.splitlines():
        assert "##[" not in line, line
        if line.lstrip().startswith("::"):
            assert ANNOTATION.fullmatch(line), f"a line starts with spec text: {line!r}"
            own += 1
    assert own == annotations


# ---------------------------------------------------------------------------------------
# The escaping functions


def _unescape(text: str) -> str:
    """The inverse of textsafe.escape, to show that its escaping is unambiguous."""
    named = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}

    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        return named[s] if s in named else chr(int(s[1:], 16))
    return re.sub(r"\\(\\|n|r|t|x[0-9a-f]{2}|u[0-9a-f]{4})", one, text)


@given(st.text())
def test_escape_is_unambiguous_and_leaves_nothing_unsafe(text: str) -> None:
    from explorer.textsafe import escape
    shown = escape(text)
    assert _unescape(shown) == text
    assert "#[" not in shown and not shown.endswith("#")
    assert_safe(shown.replace("\n", ""))  # no LF survives either
    assert "\n" not in shown


def test_escape_shows_escapes_and_keeps_plain_text() -> None:
    from explorer.textsafe import escape, escape_path
    assert escape("mounts {m1, m2}: cnt[m] >= 0 (#3)") == "mounts {m1, m2}: cnt[m] >= 0 (#3)"
    assert escape("a\nb\rc\td\x1b[31m\u202e\\") == "a\\nb\\rc\\td\\x1b[31m\\u202e\\\\"
    assert escape("##[error]x #") == "#\\x23[error]x \\x23"
    assert escape_path("specs/a.mnt") == "specs/a.mnt"
    assert escape_path("/abs/a.mnt") == "/abs/a.mnt"
    assert escape_path("::error::x.mnt") == "./::error::x.mnt"
    assert escape_path(" ::x.mnt") == "./ ::x.mnt"
    assert escape_path("\n::x.mnt") == "./\\n::x.mnt"


@given(st.text())
def test_json_text_reads_back_and_is_printable_ascii(text: str) -> None:
    from explorer.textsafe import json_text
    dumped = json_text({"k": [text]}, indent=2)
    assert json.loads(dumped) == {"k": [text]}
    assert all(" " <= c <= "~" for c in dumped.replace("\n", ""))
    assert "#[" not in dumped


# A DOT tokenizer after Graphviz's lexer: in a quoted string a backslash and the next
# character go together (so `\\` and `\"` never end it); an HTML string runs to the `>`
# that balances its `<`; `#` starts a preprocessor line at the start of a line.
_DOT_TOKEN = re.compile(r"""
    (?P<space>\s+) | (?P<comment>//[^\n]*|/\*.*?\*/|^\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*") | (?P<html><)
  | (?P<id>[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*|-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?))
  | (?P<op>->|--|[{}\[\];,=:])""", re.X | re.S | re.M)


def dot_tokens(dot: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(dot):
        m = _DOT_TOKEN.match(dot, pos)
        assert m is not None, f"not DOT at {dot[pos:pos + 40]!r}"
        kind = m.lastgroup or ""
        if kind == "html":
            depth, end = 0, pos
            while True:
                assert end < len(dot), "unbalanced HTML string"
                depth += {"<": 1, ">": -1}.get(dot[end], 0)
                end += 1
                if depth == 0:
                    break
            out.append(("html", dot[pos:end]))
            pos = end
            continue
        if kind not in ("space", "comment"):
            out.append((kind, m.group()))
        pos = m.end()
    return out


def dot_structure(dot: str) -> list[tuple[str, str]]:
    """The tokens, strings and HTML strings abstracted: what nodes, edges and attributes
    there are, whatever the labels say."""
    return [(k, "" if k in ("string", "html") else v) for k, v in dot_tokens(dot)]


@given(st.text())
def test_a_dot_string_is_one_token_whatever_it_holds(text: str) -> None:
    from explorer.textsafe import dot_string, dot_text, html_text
    for literal in (dot_string(text), '"' + dot_text(text) + '\\l"', "<" + html_text(text) + ">"):
        assert [k for k, _ in dot_tokens(literal)] == ["string" if literal[0] == '"' else "html"]
    assert not set(html_text(text)) & set("<>\"'")


# ---------------------------------------------------------------------------------------
# Terminal, logs and JSON


def test_text_report_escapes_message_and_echoed_line(tmp_path: Path) -> None:
    spec = write(tmp_path / "h.mnt", spec_text())
    code, out, err = run(str(spec), "--annotations", "github")
    assert code == 14  # the assertion fails where every invariant should hold
    assert_safe(out + err, annotations=1)
    assert "assertion failed after 2 steps: \\n::error file=x::pwned \\n::stop-commands::tok " \
           "\\x1b[31m \\r \\u202e #\\x23[error]legacy \\u2028::warning::sep" in out
    assert "back\\\\slash" in out  # a backslash is doubled, so `\n` above is unambiguous


def test_json_and_itf_read_back_the_original_strings(tmp_path: Path) -> None:
    spec = write(tmp_path / "h.mnt", spec_text(expect="assertion in 2 steps"))
    code, out, err = run(str(spec), "--format", "json")
    assert code == 0
    assert_safe(out + err)
    report = json.loads(out)
    assert report["checks"][0]["outcome"]["message"] == HOSTILE
    code, out, err = run(str(spec), "--format", "itf")
    assert_safe(out + err)
    assert json.loads(out)["#meta"]["source"] == str(spec)


HOSTILE_NAMES = ["\n::error file=x::pwned\n::stop-commands::tok\x1b[31m\r\u202e.mnt",
                 "##[error]f\u2028::warning::g.mnt", "::error file=y::pwned.mnt"]


def test_gate_over_a_directory_with_hostile_file_names(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in HOSTILE_NAMES:
        write(tmp_path / name, spec_text())
    write(tmp_path / " ::error::broken\r::warning::b.mnt", "spec x\nvar n: 0..1\n/// " + HOSTILE_DOC)
    monkeypatch.chdir(tmp_path)  # `explore .` names files without a leading `./`
    code, out, err = run(".", "--annotations", "github")
    assert code == 14  # the first spec in sorted order, "\n::error...", fails its check
    assert_safe(out + err, annotations=len(HOSTILE_NAMES))
    assert "FAIL ./::error file=y::pwned.mnt:20 c: assertion in 2 steps" in out
    # the spec that does not load: its path starts the diagnostic, `./` before it
    assert "./ ::error::broken\\r::warning::b.mnt: 1 error" in err
    code, out, err = run(".", "--format", "json")
    assert_safe(out + err)
    assert {s["spec"] for s in json.loads(out)["specs"]} == {
        *HOSTILE_NAMES, " ::error::broken\r::warning::b.mnt"}


def test_a_hostile_doc_comment_echoed_under_an_error(tmp_path: Path) -> None:
    """A doc comment is printed only as the source line under an error: escaped, with
    the carets still under the escaped text they point at (a CR stays in its line, as the
    parser counts lines)."""
    spec = write(tmp_path / "d.mnt", "spec x\nvar n: 0..1\n/// " + HOSTILE_DOC)
    code, out, err = run(str(spec))
    assert code == 150
    assert_safe(out + err)
    lines = err.splitlines()
    src = next(i for i, ln in enumerate(lines) if ln.startswith("   3 | "))
    assert lines[src].endswith("end\\x23")
    assert lines[src + 1].index("^") == len(lines[src])  # end of file: just after the line


def test_carets_sit_under_the_escaped_text(tmp_path: Path) -> None:
    spec = write(tmp_path / "c.mnt", 'spec x\nvar n: 0..1\naction a {\n  assert n < 2 '
                 '"\x1b[31m\u202e\\\\" \x07 \n}\n')
    code, _, err = run(str(spec))
    assert code == 150
    assert_safe(err)
    assert "unexpected character U+0007" in err
    src, carets = err.splitlines()[1:3]
    assert src == '   4 |   assert n < 2 "\\x1b[31m\\u202e\\\\\\\\" \\x07 '
    assert carets == "     | " + " " * src[7:].index("\\x07") + "^^^^"


# ---------------------------------------------------------------------------------------
# Files: explore render and --dump-states


def _rendered(folder: Path, name: str, text: str) -> tuple[Path, str, str]:
    """`explore render` of one spec written to folder/name.mnt: its files' folder, and the
    output."""
    spec = write(folder / f"{name}.mnt", text)
    code, out, err = run("render", str(spec), "--out", str(folder / "out"), "--no-views")
    assert code == 0, err
    return folder / "out" / name, out, err


def test_render_writes_only_escaped_text(tmp_path: Path) -> None:
    files, out, err = _rendered(tmp_path, "h", spec_text(expect="assertion in 2 steps"))
    assert_safe(out + err)
    for f in ("c.txt", "c.json", "c.itf.json", "c.dot"):
        assert_safe((files / f).read_text(encoding="utf-8"))
    assert json.loads((files / "c.json").read_text())["checks"][0]["outcome"][
        "message"] == HOSTILE
    assert json.loads((files / "c.itf.json").read_text())["#meta"]["source"] == \
        str(tmp_path / "h.mnt")


DOT_MESSAGES = ['\\"];  evil [image="/etc/passwd"];  x [label="',
                '\\\\\\"];  evil [image="/etc/passwd"];  x [label="\\',
                'x\\"]; evil [image=</etc/passwd> shape=box label=<>]; \n#',
                '\n"]; evil [shapefile="/etc/hosts", fontname="/etc/x"]; \r"',
                '\x1b</td></tr></table>>]; evil [image=</etc/passwd>]; <<b>\n', HOSTILE]


@pytest.mark.parametrize("message", DOT_MESSAGES, ids=["quote", "backslashes", "comment",
                                                   "newline", "html", "all"])
def test_dot_keeps_spec_text_inside_its_label(tmp_path: Path, message: str) -> None:
    """In the state graph (quoted labels) and in both filmstrips (HTML-like labels, the
    spec's render section or tables of variables), hostile text as the assert message and
    every render label gives the same DOT nodes, edges and attributes as harmless text."""
    hostile = write(tmp_path / "h.mnt", spec_text(message, message, expect="assertion in 2 steps"))
    benign = write(tmp_path / "b.mnt", spec_text("ok", "ok", expect="assertion in 2 steps"))
    code, out, err = run(str(hostile), "-q", "--dump-states", str(tmp_path / "h.dot"))
    assert code == 0, err
    assert_safe(out + err)
    run(str(benign), "-q", "--dump-states", str(tmp_path / "b.dot"))
    pairs = [((tmp_path / "h.dot").read_text(), (tmp_path / "b.dot").read_text())]
    for render in (True, False):
        folder = tmp_path / f"render_{render}"
        folder.mkdir()
        got, out, err = _rendered(folder, "h", spec_text(message, message, expect="assertion "
                                                         "in 2 steps", render=render))
        assert_safe(out + err)
        want, _, _ = _rendered(folder, "b", spec_text("ok", "ok", "ok", "assertion in 2 steps",
                                                      render))
        pairs.append(((got / "c.dot").read_text(), (want / "c.dot").read_text()))
    for dot, plain in pairs:
        assert_safe(dot)
        assert dot_structure(dot) == dot_structure(plain)
        _assert_dot_parses_as(dot, plain)


def _assert_dot_parses_as(dot: str, plain: str) -> None:
    """With Graphviz installed: `dot` reads both files as the same objects with the same
    attribute names, and none of them is image, shapefile or a fontname but ours."""
    if shutil.which("dot") is None:
        return

    def parsed(text: str) -> list[tuple[str, list[str]]]:
        proc = subprocess.run(["dot", "-Tjson"], input=text, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        j: dict[str, Any] = json.loads(proc.stdout)
        objs = j.get("objects", []) + j.get("edges", [])
        for o in objs:
            assert "image" not in o and "shapefile" not in o
            assert o.get("fontname", "Helvetica") == "Helvetica"
        return [(o.get("name", ""), sorted(k for k in o if not k.startswith("_"))) for o in objs]
    assert [n for n, _ in parsed(dot)] == [n for n, _ in parsed(plain)]
    assert [k for _, k in parsed(dot)] == [k for _, k in parsed(plain)]


# ---------------------------------------------------------------------------------------
# The pytest plugin: pytest prints node ids, which the plugin makes from file names

pytest_plugins = ["pytester"]


def test_pytest_gate_prints_hostile_file_names_escaped(pytester: pytest.Pytester) -> None:
    for name in HOSTILE_NAMES:
        write(pytester.path / name, spec_text())
    write(pytester.path / " ::error::broken\r::warning::b.mnt", "spec x\nvar n: 0..1\n/// "
          + HOSTILE_DOC)
    for args in ((), ("-v",), ("-vv", "-rA")):  # -v starts lines with ids, -vv adds paths
        r = pytester.runpytest(*args)
        r.assert_outcomes(failed=len(HOSTILE_NAMES) + 1)
        assert_safe(r.stdout.str())
    assert "FAILED ./:\\x3aerror file=y:\\x3apwned.mnt::c" in r.stdout.str()
