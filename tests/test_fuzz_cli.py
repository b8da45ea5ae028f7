"""Robustness of the whole CLI: whatever the input, `explore` answers with a documented exit
code and a readable message, never 255 (internal error) and never a traceback.

Inputs: arbitrary bytes, truncations and character-level mutations of valid specs,
token-level mutations, deeply nested and very long expressions, a large file, and small
well-formed specs generated at random. Hypothesis is derandomized so CI is reproducible.
"""

from __future__ import annotations

import atexit
import io
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.cli import main

DOCUMENTED = {0, 1, 2, 3, 11, 12, 14, 75, 150}
ARGS = ["--quiet", "--max-states", "2000", "--max-seconds", "5"]


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


SEEDS = [
    # a lock-based mutex with a buggy variant
    """spec mutex
set Proc = {p1, p2}
enum PC = {IDLE, WAITING, CRITICAL}
param buggy: bool = false
var pc: Proc -> PC
var owner: Proc?
init {
  pc = {p: IDLE for p in Proc}
  owner = none
}
action request(p in Proc) when pc[p] == IDLE { pc[p] := WAITING }
action enter(p in Proc) when pc[p] == WAITING and (owner == none or buggy) {
  pc[p] := CRITICAL
  owner := p
}
action leave(p in Proc) when pc[p] == CRITICAL {
  pc[p] := IDLE
  owner := none
}
invariant mutual_exclusion:
  forall p in Proc, o in Proc: p != o implies not (pc[p] == CRITICAL and pc[o] == CRITICAL)
check fixed: expect holds
check bug with buggy = true: expect violation mutual_exclusion in 4 steps
""",
    # a ticket lock with a bounded queue, records and either
    """spec ticket
set Proc = {p1, p2, p3}
const K = 2
var q: seq[3] Proc
var held: set Proc
var stats: {grants: 0..K, last: Proc?}
init {
  q = []
  held = {}
  stats = {grants: 0, last: none}
}
/// take a ticket
action enqueue(p in Proc) when p not in held and len(q) < 3 {
  require not (exists i in 0..2: i < len(q) and q[i] == p)
  q := append(q, p)
}
action grant when len(q) > 0 and held == {} {
  let p = q[0]
  held := held union {p}
  q := q[1:]
  either { stats.grants := (stats.grants + 1) % (K + 1) } or { stats.last := p }
}
action release(p in Proc) when p in held {
  held := held minus {p}
  assert len(held) == 0 "one holder at most"
}
invariant one_holder: len(held) <= 1
terminal when len(q) == 0 and held == {}
check ok: expect holds
""",
    # a counter with a nondeterministic init, a param and a `with` override
    """spec counter
param N: 0..5 = 3
var n: 0..5
var flag: bool
init {
  n = 0
  flag in {false, true}
}
action inc when n < N { n := n + 1 }
action flip { flag := not flag }
action halve when flag and n > 0 { n := n div 2 }
invariant bounded: n <= N
check holds: expect holds
check small with N = 1: expect holds
""",
]

_DIR = Path(tempfile.mkdtemp(prefix="mnt-fuzz-"))
atexit.register(shutil.rmtree, _DIR, True)


def explore(data: bytes | str, extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    path = _DIR / "fuzz.mnt"
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    out, err = io.StringIO(), io.StringIO()
    code = main([str(path), *ARGS, *extra], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_robust(data: bytes | str) -> int:
    code, out, err = explore(data)
    assert isinstance(code, int) and not isinstance(code, bool)
    assert code != 255, f"internal error on input {data!r:.2000}:\n{err}"
    assert code in DOCUMENTED, f"undocumented exit code {code}:\n{err}"
    assert "Traceback" not in err and "Traceback" not in out
    if code == 150:
        assert "error[E" in err  # a coded, located diagnostic
    return code


def test_seeds_are_valid() -> None:
    codes = [explore(s) for s in SEEDS]
    assert [c for c, _, _ in codes] == [0, 0, 0], [e for _, _, e in codes]


# ---------------------------------------------------------------------------------------
# Arbitrary and degenerate files


@fuzz(100)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    assert_robust(data)


@fuzz(100)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    assert_robust(text)


@pytest.mark.parametrize("data", [b"", b"\n", b"   \t\n", b"// only a comment\n", b"\xef\xbb\xbf",
                                  b"\x00", b"spec", b"spec s", b"var", "\u2028".encode()])
def test_degenerate_files(data: bytes) -> None:
    assert_robust(data)


def test_empty_spec_deadlocks_and_an_empty_file_is_a_spec_error() -> None:
    # one initial state (the empty tuple) and no action: a deadlock in 0 steps
    assert assert_robust(b"spec empty\n") == 11
    # no `spec NAME`: not a spec at all, an error at 1:1
    assert assert_robust(b"") == 150
    code, _, err = explore(b"")
    assert ":1:1: error[E0006]: the file declares nothing" in err


# ---------------------------------------------------------------------------------------
# Truncations and character-level mutations of valid specs


@fuzz(100)
@given(st.sampled_from(range(len(SEEDS))), st.floats(0, 1))
def test_truncations(seed: int, where: float) -> None:
    text = SEEDS[seed]
    assert_robust(text[:int(len(text) * where)])


def test_truncation_at_every_line_end() -> None:
    text = SEEDS[0]
    for m in re.finditer("\n", text):
        assert_robust(text[:m.start()])


@st.composite
def char_mutations(draw: st.DrawFn) -> str:
    text = list(SEEDS[draw(st.sampled_from(range(len(SEEDS))))])
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text) - 1))
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        if kind == "delete":
            del text[i]
        elif kind == "duplicate":
            text.insert(i, text[i])
        else:
            ch = draw(st.one_of(st.sampled_from(list("{}()[]:=<>!+-*%.,?\"/;\n 0189_axz")),
                                st.characters()))
            if kind == "insert":
                text.insert(i, ch)
            else:
                text[i] = ch
    return "".join(text)


@fuzz(400)
@given(char_mutations())
def test_character_mutations(text: str) -> None:
    assert_robust(text)


# ---------------------------------------------------------------------------------------
# Token-level mutations

TOKEN = re.compile(r'\s+|//[^\n]*|"[^"]*"|:=|==|!=|<=|>=|->|\.\.|\w+|.')
VOCABULARY = [
    "spec", "set", "symmetric", "enum", "param", "const", "var", "init", "action", "when",
    "invariant", "terminal", "check", "with", "expect", "holds", "violation", "deadlock",
    "assertion", "error", "in", "steps", "let", "if", "then", "else", "either", "or", "require",
    "assert", "and", "not", "implies", "iff", "forall", "exists", "for", "where", "union",
    "inter", "minus", "subset", "div", "none", "true", "false", "bool", "int", "seq", "len",
    "append", "remove", "insert", "index", "property", "render", "fair", "helper", "proved",
    "cti", "by", "induction", "long",
    ":=", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "%", "..", "->", "?", ":", ",",
    ".", "{", "}", "(", ")", "[", "]", ";", '"msg"', "///", "//",
    "0", "1", "3", "-1", "64", "65", "99999999999999999999999", "p", "p1", "x", "n", "q", "Proc",
    "PC", "IDLE", "K", "N", "held", "owner",
]


@st.composite
def token_mutations(draw: st.DrawFn) -> str:
    toks = TOKEN.findall(SEEDS[draw(st.sampled_from(range(len(SEEDS))))])
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(toks) - 1))
        kind = draw(st.sampled_from(["replace", "insert", "delete", "swap", "copy"]))
        if kind == "replace":
            toks[i] = draw(st.sampled_from(VOCABULARY))
        elif kind == "insert":
            toks.insert(i, " " + draw(st.sampled_from(VOCABULARY)) + " ")
        elif kind == "delete":
            del toks[i]
        elif kind == "swap":
            j = draw(st.integers(0, len(toks) - 1))
            toks[i], toks[j] = toks[j], toks[i]
        else:
            toks.insert(i, toks[draw(st.integers(0, len(toks) - 1))])
    return "".join(toks)


@fuzz(500)
@given(token_mutations())
def test_token_mutations(text: str) -> None:
    assert_robust(text)


# ---------------------------------------------------------------------------------------
# Deep nesting and long expressions: E0003 or an answer, never a RecursionError

HEAD = "var a: 0..3\nvar b: bool\ninit {\n  a = 0\n  b = true\n}\naction step { a := (a + 1) % 4 }\n"


@pytest.mark.parametrize("text", [
    HEAD + "invariant i: " + "(" * 5000 + "b" + ")" * 5000 + "\n",
    HEAD + "invariant i: " + "(b and " * 3000 + "b" + ")" * 3000 + "\n",
    HEAD + "invariant i: " + "not " * 5000 + "b\n",
    HEAD + "invariant i: " + " + ".join(["a"] * 5000) + " >= 0\n",
    HEAD + "invariant i: " + " and ".join(["b"] * 5000) + "\n",
    HEAD + "invariant i: " + "-" * 5000 + "a <= 3\n",
    HEAD + "invariant i: " + "[" * 5000 + "]" * 5000 + " == []\n",
    HEAD + "invariant i: " + "{" * 5000 + "}" * 5000 + " == {}\n",
    HEAD + "invariant i: " + "if b then " * 2000 + "b" + " else b" * 2000 + "\n",
    HEAD + "invariant i: " + "forall x in 0..1: " * 2000 + "b\n",
    HEAD + "invariant i: " + "b implies " * 5000 + "b\n",
    HEAD + "action deep {\n" + "if b {\n" * 3000 + "a := 0\n" + "}\n" * 3000 + "}\n",
    HEAD + "action deep {\n" + "either {\n" * 2000 + "a := 0\n" + "} or { a := 1 }\n" * 2000 + "}\n",
    HEAD + "invariant i: " + "(" * 100000 + "\n",
    HEAD + "invariant i: " + "a." * 5000 + "x\n",
    HEAD + "invariant i: a" + "[0]" * 5000 + "\n",
], ids=["parens", "and_parens", "not", "sum_chain", "and_chain", "neg", "seq", "set", "ite",
        "forall", "implies", "if_stmt", "either", "unclosed", "fields", "indexes"])
def test_deep_or_long_expressions(text: str) -> None:
    assert_robust(text)


@pytest.mark.parametrize("n", [10, 50, 100, 119, 120, 121, 200])
def test_nesting_near_the_limit(n: int) -> None:
    assert_robust(HEAD + "invariant i: " + "(b and " * n + "b" + ")" * n + "\n")
    assert_robust(HEAD + "invariant i: " + " + ".join(["a"] * n) + " >= 0\n")


_BIG = "9" * 4000


@pytest.mark.parametrize("text", [
    "var a: 0..3\ninit { a = " + "1" * 4301 + " }\n",
    "var a: 0..3\ninit { a = 0 }\ninvariant i: a < " + "1" * 5000 + "\n",
    f"var a: 0..3\ninit {{ a = {_BIG} * {_BIG} }}\n",
], ids=["literal_init", "literal_invariant", "static_product"])
def test_huge_integers(text: str) -> None:
    assert_robust(text)


def test_long_integer_literals_are_a_located_spec_error() -> None:
    # literals have at most 18 digits, so no product of them reaches Python's str limit
    head = "spec t\nvar a: 0..3\ninit { a = 0 }\ninvariant i: a < "
    assert assert_robust(head + "1" * 4000 + "\n") == 150
    assert assert_robust(head + "1" * 18 + "\n") == 11


# ---------------------------------------------------------------------------------------
# A large file: 3 MB of comment and a small spec


def test_large_file() -> None:
    line = "// " + "padding " * 12 + "\n"
    text = line * (3 * 1024 * 1024 // len(line)) + SEEDS[2]
    assert len(text) > 3_000_000
    assert assert_robust(text) == 0


def test_large_single_line() -> None:
    text = "// " + "x" * 3_000_000 + "\n" + SEEDS[2] + "invariant huge: a + " + "b" * 100_000 + "\n"
    code, _, err = explore(text)
    assert code == 150
    assert "Traceback" not in err
    assert max(len(line) for line in err.splitlines()[1:]) < 400  # the source line is cut


# ---------------------------------------------------------------------------------------
# Random well-formed specs


class _SpecGen:
    """Draws the parts of a small well-formed spec; plain functions over `draw`, so that
    generating an example stays cheap."""

    TYPES = {"bool": "bool", "int": "0..3", "set": "set 0..3", "opt": "P?"}
    INIT = {"bool": ["false", "true", "in {false, true}"], "int": ["0", "3", "in 0..2"],
            "set": ["{}", "{1, 3}", "{0}"], "opt": ["none", "p2", "in {p1, p2}"]}

    def __init__(self, draw: st.DrawFn, kinds: list[str]) -> None:
        self.draw = draw
        self.vars = [(f"v{i}", k) for i, k in enumerate(kinds)]
        self.in_action = False

    def pick(self, options: list[str]) -> str:
        return self.draw(st.sampled_from(options))

    def of(self, kind: str) -> list[str]:
        return [n for n, k in self.vars if k == kind]

    def int_e(self, depth: int) -> str:
        base = ["0", "1", "3"] + self.of("int") + [f"len({n})" for n in self.of("set")]
        if self.in_action:
            base.append("x")
        if depth == 0 or self.draw(st.integers(0, 2)) == 0:
            return self.pick(base)
        op = self.pick(["+", "-", "*", "div", "%"])
        return f"({self.int_e(depth - 1)} {op} {self.int_e(depth - 1)})"

    def bool_e(self, depth: int) -> str:
        choice = self.draw(st.integers(0, 9 if depth > 0 else 3))
        if choice == 0:
            opts = ["true", "false"] + self.of("bool")
            opts += [f"{n} == none" for n in self.of("opt")] + [f"{n} == p1" for n in self.of("opt")]
            return self.pick(opts)
        if choice in (1, 2):
            cmp = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return f"{self.int_e(1)} {cmp} {self.int_e(1)}"
        if choice == 3:
            sets = self.of("set")
            return f"{self.int_e(0)} in {self.pick(sets)}" if sets else "true"
        if choice in (4, 5, 6):
            op = self.pick(["and", "or", "implies", "iff"])
            return f"({self.bool_e(depth - 1)} {op} {self.bool_e(depth - 1)})"
        if choice == 7:
            return f"not {self.bool_e(depth - 1)}"
        if choice == 8:
            return f"(forall y in 0..2: {self.bool_e(depth - 1)})"
        return f"(exists y in P: {self.bool_e(depth - 1)})"

    def stmt(self) -> str:
        n, k = self.pick_var()
        kind = self.draw(st.integers(0, 5))
        if kind == 0:
            return f"require {self.bool_e(1)}"
        if kind == 1 and self.draw(st.booleans()):
            return f'assert {self.bool_e(1)} "boom"'
        if k == "bool":
            return f"{n} := {self.bool_e(1)}"
        if k == "int":
            return f"{n} := {self.int_e(2)}"
        if k == "set":
            return self.pick([f"{n} := {n} union {{{self.int_e(0)}}}",
                              f"{n} := {n} minus {{{self.int_e(0)}}}",
                              f"{n} := {{z in 0..3 where {self.bool_e(0)}}}"])
        return self.pick([f"{n} := none", f"{n} := p1", f"{n} := p2"])

    def pick_var(self) -> tuple[str, str]:
        return self.vars[self.draw(st.integers(0, len(self.vars) - 1))]

    def spec(self) -> str:
        lines = ["spec random", "set P = {p1, p2}"]
        lines += [f"var {n}: {self.TYPES[k]}" for n, k in self.vars]
        lines.append("init {")
        for n, k in self.vars:
            v = self.pick(self.INIT[k])
            lines.append(f"  {n} {v}" if v.startswith("in ") else f"  {n} = {v}")
        lines.append("}")
        for a in range(self.draw(st.integers(1, 3))):
            self.in_action = True
            guard = f" when {self.bool_e(2)}" if self.draw(st.booleans()) else ""
            body = [self.stmt() for _ in range(self.draw(st.integers(1, 4)))]
            if self.draw(st.booleans()):
                body.append(f"either {{ {self.stmt()} }} or {{ {self.stmt()} {self.stmt()} }}")
            if self.draw(st.booleans()):
                body.append(f"if {self.bool_e(1)} {{ {self.stmt()} }} else {{ {self.stmt()} }}")
            if self.draw(st.booleans()):
                body.insert(0, f"let w = {self.int_e(1)}")
            lines.append(f"action a{a}(x in 0..1){guard} {{")
            lines += ["  " + s for s in body]
            lines.append("}")
        self.in_action = False
        invariants = self.draw(st.integers(0, 2))
        # i1 may be a helper (a lemma for proofs, which the search skips)
        lines += [f"invariant {'helper ' * (i == 1 and self.draw(st.booleans()))}i{i}: "
                  f"{self.bool_e(2)}" for i in range(invariants)]
        if self.draw(st.booleans()):
            lines.append(f"terminal when {self.bool_e(1)}")
        expect = self.pick(["holds", "deadlock", "assertion", "error", "proved",
                            "proved by 2-induction"]
                           + (["violation i0", "violation i0 in 1 steps", "cti i0",
                               f"cti i{invariants - 1} by 3-induction"] if invariants else []))
        lines.append(f"check c: expect {expect}")
        return "\n".join(lines) + "\n"


@st.composite
def random_specs(draw: st.DrawFn) -> str:
    kinds = draw(st.lists(st.sampled_from(["bool", "int", "set", "opt"]), min_size=1, max_size=3))
    return _SpecGen(draw, kinds).spec()


@fuzz(400)
@given(random_specs())
def test_random_well_formed_specs(text: str) -> None:
    assert_robust(text)


@fuzz(80)
@given(random_specs(), st.sampled_from([("--full",), ("--format", "json"), ("--no-deadlock",),
                                        ("--max-depth", "2"), ("--max-states", "3")]))
def test_random_specs_with_options(text: str, extra: tuple[str, ...]) -> None:
    code, out, err = explore(text, extra)
    assert code in DOCUMENTED, err
    assert "Traceback" not in err
