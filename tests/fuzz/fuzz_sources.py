"""Spec sources for the engine fuzzer: generated specs (the hypothesis strategies of the test
suite, and `ExtGen`, which covers more of the language), and mutations (characters, tokens,
operators, declarations spliced from another spec) of the shipped and generated specs.

Everything is drawn from a seed, so a run is reproducible: `random.Random` for ExtGen and
the mutations, hypothesis's `@seed` for its strategies (with the hypothesis version pinned
by the environment).
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from test_fuzz_cli import TOKEN, VOCABULARY  # noqa: E402

# ---------------------------------------------------------------------------------------
# The corpus to mutate

SHOWCASE = sorted(str(p) for p in (ROOT / "specs").glob("*.mnt"))
SMALL = sorted(str(p) for p in (ROOT / "specs" / "examples").glob("*.mnt")) + \
    sorted(str(p) for p in (ROOT / "tests" / "golden").glob("*.mnt"))


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------
# Declarations: a spec cut at its top-level declarations (a doc comment goes with the
# declaration below it), for splicing and for shrinking

TOP = re.compile(r"(///|spec|symmetric|set|enum|param|const|var|init|action|def|proc|invariant|"
                 r"terminal|check|render|property)\b")


def chunks(text: str) -> list[str]:
    """The text cut into top-level declarations; joining them gives the text back."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    cur: list[str] = []
    doc = False  # the current chunk is only doc comments so far
    for line in lines:
        starts = bool(TOP.match(line))
        if starts and cur and not doc:
            out.append("".join(cur))
            cur = []
        doc = line.startswith("///") and (doc or not cur)
        cur.append(line)
    if cur:
        out.append("".join(cur))
    return out


def kind_of(chunk: str) -> str:
    for line in chunk.splitlines():
        if not line.startswith("///"):
            m = TOP.match(line)
            return m.group(1) if m else ""
    return ""


def keep_checks(rng: random.Random, text: str, n: int) -> str:
    """The text with at most n of its checks (the showcase specs have dozens)."""
    cs = chunks(text)
    idx = [i for i, c in enumerate(cs) if kind_of(c) == "check"]
    drop = set(idx) - set(rng.sample(idx, min(n, len(idx))))
    return "".join(c for i, c in enumerate(cs) if i not in drop)


# ---------------------------------------------------------------------------------------
# Mutations

CHARS = list("{}()[]:=<>!+-*%.,?\"/;\n 0189_axz\\\t") + ["\u00e9", "\x00", "\x1b", "\ufeff"]

OPERATORS = [
    ["==", "!="], ["<", "<=", ">", ">="], ["and", "or", "implies", "iff"],
    ["union", "inter", "minus"], ["+", "-", "*"], ["div", "%"], ["forall", "exists"],
    ["true", "false"], ["holds", "deadlock", "error", "assertion"], ["proved", "holds"],
    ["require", "assert"], ["min", "max"], ["subset", "=="], ["0", "1", "2", "3"],
]


def char_mutation(rng: random.Random, text: str) -> str:
    t = list(text) or [" "]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(t))
        op = rng.choice(["delete", "insert", "duplicate", "replace"])
        if op == "delete" and len(t) > 1:
            del t[i]
        elif op == "duplicate":
            t.insert(i, t[i])
        elif op == "insert":
            t.insert(i, rng.choice(CHARS))
        else:
            t[i] = rng.choice(CHARS)
    return "".join(t)


def token_mutation(rng: random.Random, text: str) -> str:
    toks = TOKEN.findall(text) or [" "]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(toks))
        op = rng.choice(["replace", "insert", "delete", "swap", "copy"])
        if op == "replace":
            toks[i] = rng.choice(VOCABULARY)
        elif op == "insert":
            toks.insert(i, " " + rng.choice(VOCABULARY) + " ")
        elif op == "delete" and len(toks) > 1:
            del toks[i]
        elif op == "swap":
            j = rng.randrange(len(toks))
            toks[i], toks[j] = toks[j], toks[i]
        else:
            toks.insert(i, toks[rng.randrange(len(toks))])
    return "".join(toks)


def operator_mutation(rng: random.Random, text: str) -> str:
    """Swap an operator, a keyword or a small number for another of its class: the result
    still loads more often than not, and means something else."""
    toks = TOKEN.findall(text)
    words = [i for i, t in enumerate(toks) if any(t in g for g in OPERATORS)]
    if not words:
        return token_mutation(rng, text)
    for _ in range(rng.randint(1, 3)):
        i = rng.choice(words)
        group = next(g for g in OPERATORS if toks[i] in g)
        toks[i] = rng.choice([w for w in group if w != toks[i]] or group)
    return "".join(toks)


def line_mutation(rng: random.Random, text: str) -> str:
    """Delete, duplicate or move a line (a statement, usually)."""
    lines = text.splitlines(keepends=True)
    if len(lines) < 2:
        return char_mutation(rng, text)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(lines))
        op = rng.choice(["delete", "duplicate", "move"])
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        else:
            lines.insert(rng.randrange(len(lines)), lines.pop(i))
        if len(lines) < 2:
            break
    return "".join(lines)


def splice(rng: random.Random, a: str, b: str) -> str:
    """A's declarations with one of B's inserted, or put in place of one of A's kind."""
    ca, cb = chunks(a), [c for c in chunks(b) if kind_of(c) not in ("spec", "")]
    if not cb:
        return a
    new = cb[rng.randrange(len(cb))]
    if not new.endswith("\n"):
        new += "\n"
    same = [i for i, c in enumerate(ca) if kind_of(c) == kind_of(new)]
    if same and rng.random() < 0.5:
        ca[rng.choice(same)] = new
    else:
        ca.insert(rng.randint(min(1, len(ca)), len(ca)), new)
    return "".join(ca)


MUTATIONS: list[tuple[str, Callable[[random.Random, str], str], int]] = [
    ("char", char_mutation, 1), ("token", token_mutation, 2), ("operator", operator_mutation, 5),
    ("line", line_mutation, 2),
]


def mutate(rng: random.Random, text: str) -> tuple[str, str]:
    name, fn, _ = rng.choices(MUTATIONS, weights=[w for _, _, w in MUTATIONS])[0]
    return name, fn(rng, text)


# ---------------------------------------------------------------------------------------
# Generated specs: hypothesis's strategies of the suite, drawn in seeded batches


def hypothesis_specs(strategy: Callable[[], Any], seed: int, batch: int = 200) -> Iterator[str]:
    """An endless stream of examples of `strategy()`, the same for the same seed."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    b = 0
    while True:
        out: list[str] = []

        @hseed(seed * 1_000_003 + b)
        @settings(max_examples=batch, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(strategy())
        def collect(text: str) -> None:
            out.append(text)

        collect()
        yield from out
        b += 1


# ---------------------------------------------------------------------------------------
# ExtGen: well-typed specs over params, consts, enums, options, records, sequences, defs,
# procs, locals, loops, named asserts, helpers, terminal and checks with expectations

# var name -> (kind, type); kinds are the expression kinds below
VARS = {
    "b": ("bool", "bool"), "n": ("int", "0..3"), "m": ("int", "-2..2"), "e": ("enum", "E"),
    "o": ("optatom", "A?"), "p": ("optint", "0..3?"), "s": ("setatom", "set A"),
    "z": ("setint", "set 0..3"), "f": ("fint", "A -> 0..2"), "g": ("fopt", "A -> A?"),
    "h": ("fbool", "E -> bool"), "r": ("rec", "{c: 0..2, w: A?}"), "q": ("seqint", "seq[2] 0..2"),
    "l": ("seqatom", "seq[3] A"),
}


class ExtGen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.atoms = ["a1", "a2", "a3"][: rng.choice([2, 3])]
        self.enum = ["RED", "GREEN", "BLUE"][: rng.choice([2, 3])]
        self.vars = rng.sample(sorted(VARS), rng.randint(2, 4))
        self.params: dict[str, str] = {}
        self.consts: dict[str, str] = {}  # name -> "int" | "fint"
        self.defs: list[tuple[str, str]] = []  # (name, "pred" | "int")
        self.procs: list[str] = []
        self.asserts: list[str] = []
        self.invs: list[str] = []
        self.helpers: list[str] = []
        self.loops = 1
        self.sym = rng.random() < 0.1  # a symmetric set: no min/max over it
        self.names = 0

    # -- helpers ------------------------------------------------------------------------
    def c(self, *opts: Any) -> Any:
        return self.r.choice(opts)

    def p(self, x: float) -> bool:
        return self.r.random() < x

    def of(self, kind: str) -> list[str]:
        return [v for v in self.vars if VARS[v][0] == kind]

    def fresh(self, env: dict[str, str]) -> str:
        self.names += 1  # bound names must be new in their whole scope
        return f"x{self.names}"

    # -- expressions, by kind -----------------------------------------------------------
    def ex(self, kind: str, env: dict[str, str], d: int = 2) -> str:
        return getattr(self, "e_" + kind)(env, d)

    def leaves(self, kind: str, env: dict[str, str]) -> list[str]:
        return [x for x, k in env.items() if k == kind] + self.of(kind)

    def e_bool(self, env: dict[str, str], d: int) -> str:
        opts = ["true", "false"] + self.leaves("bool", env)
        opts += [p for p, k in self.params.items() if k == "bool"]
        if "h" in self.vars:
            opts.append(f"h[{self.e_enum(env, 0)}]")
        if d <= 0 or self.p(0.2):
            return self.c(*opts)
        d -= 1
        k = self.c("not", "bin", "bin", "cmp", "cmp", "eq", "in", "subset", "quant", "ite", "def",
                   "order")
        if k == "not":
            return f"not ({self.e_bool(env, d)})"
        if k == "bin":
            return f"({self.e_bool(env, d)}) {self.c('and', 'or', 'implies', 'iff')} ({self.e_bool(env, d)})"
        if k == "cmp":
            return f"{self.e_int(env, d)} {self.c('==', '!=', '<', '<=', '>', '>=')} {self.e_int(env, d)}"
        if k == "eq":
            kind = self.c("atom", "enum", "optatom", "optint", "setatom", "seqint")
            return f"{self.ex(kind, env, d)} {self.c('==', '!=')} {self.ex(kind, env, d)}"
        if k == "in":
            if self.p(0.5):
                return f"{self.e_atom(env, d)} {self.c('in', 'not in')} {self.e_setatom(env, d)}"
            return f"{self.e_int(env, d)} {self.c('in', 'not in')} {self.e_setint(env, d)}"
        if k == "subset":
            kind = self.c("setatom", "setint")
            return f"{self.ex(kind, env, d)} subset {self.ex(kind, env, d)}"
        if k == "quant":
            x = self.fresh(env)
            dom, kind = self.c(("A", "atom"), ("E", "enum"), (self.e_setatom(env, d), "atom"),
                               ("0..2", "int"), (self.e_setint(env, d), "int"))
            return f"({self.c('forall', 'exists')} {x} in {dom}: {self.e_bool({**env, x: kind}, d)})"
        if k == "def" and self.defs:
            name, what = self.c(*self.defs)
            if what == "pred":
                return f"{name}({self.e_atom(env, d)})"
        if k == "order":
            return f"{self.e_enum(env, d)} {self.c('<', '<=', '>')} {self.e_enum(env, d)}"
        return f"(if {self.e_bool(env, d)} then {self.e_bool(env, d)} else {self.e_bool(env, d)})"

    def e_int(self, env: dict[str, str], d: int) -> str:
        opts = ["0", "1", "2", "3", "-1"] + self.leaves("int", env)
        opts += [p for p, k in self.params.items() if k == "int"]
        opts += [c for c, k in self.consts.items() if k == "int"]
        opts += [n for n, what in self.defs if what == "int"]
        if "s" in self.vars:
            opts.append("len(s)")
        if "q" in self.vars:
            opts.append("len(q)")
        if "r" in self.vars:
            opts.append("r.c")
        if "f" in self.vars:
            opts.append(f"f[{self.e_atom(env, 0)}]")
        if "W" in self.consts:
            opts.append(f"W[{self.e_atom(env, 0)}]")
        if d <= 0 or self.p(0.25):
            return self.c(*opts)
        d -= 1
        k = self.c("arith", "arith", "divmod", "neg", "ite", "seq", "len", "opt")
        if k == "arith":
            return f"({self.e_int(env, d)} {self.c('+', '-', '*')} {self.e_int(env, d)})"
        if k == "divmod":
            return f"({self.e_int(env, d)} {self.c('div', '%')} {self.e_int(env, d)})"
        if k == "neg":
            return f"(-{self.e_int(env, d)})"
        if k == "seq" and "q" in self.vars:
            return self.c(f"q[{self.e_int(env, d)}]", f"index(q, {self.e_int(env, d)})")
        if k == "len":
            x = self.fresh(env)
            return f"len({{{x} in {self.e_setatom(env, d)} where {self.e_bool({**env, x: 'atom'}, d)}}})"
        if k == "opt":  # an optional used as its value: E3 when none
            return self.c(*(self.of("optint") + [f"{self.c('min', 'max')}({self.e_setint(env, d)})"]))
        return f"(if {self.e_bool(env, d)} then {self.e_int(env, d)} else {self.e_int(env, d)})"

    def e_atom(self, env: dict[str, str], d: int) -> str:
        opts = list(self.atoms) + self.leaves("atom", env) * 2
        if d > 0 and self.p(0.3):
            opts += self.of("optatom") + (["r.w"] if "r" in self.vars else [])
            if "g" in self.vars:
                opts.append(f"g[{self.e_atom(env, 0)}]")
            if "l" in self.vars:
                opts.append(f"l[{self.e_int(env, 0)}]")
        if d > 0 and self.p(0.1):
            d -= 1
            return f"(if {self.e_bool(env, d)} then {self.e_atom(env, d)} else {self.e_atom(env, d)})"
        return self.c(*opts)

    def e_enum(self, env: dict[str, str], d: int) -> str:
        return self.c(*(self.enum + self.leaves("enum", env) * 2))

    def e_optatom(self, env: dict[str, str], d: int) -> str:
        opts = ["none", self.e_atom(env, d)] + self.of("optatom")
        if "g" in self.vars:
            opts.append(f"g[{self.e_atom(env, 0)}]")
        if "r" in self.vars:
            opts.append("r.w")
        if d > 0 and not self.sym:
            opts += [f"{self.c('min', 'max')}({self.e_setatom(env, d - 1)})"]
        return self.c(*opts)

    def e_optint(self, env: dict[str, str], d: int) -> str:
        opts = ["none", self.e_int(env, d)] + self.of("optint")
        if d > 0:
            opts += [f"{self.c('min', 'max')}({self.e_setint(env, d - 1)})"]
        return self.c(*opts)

    def e_setatom(self, env: dict[str, str], d: int) -> str:
        return self.e_set("atom", env, d)

    def e_setint(self, env: dict[str, str], d: int) -> str:
        return self.e_set("int", env, d)

    def e_set(self, elem: str, env: dict[str, str], d: int) -> str:
        """A set of atoms (elem "atom") or of integers (elem "int")."""
        if elem == "atom":
            opts = ["A", "{" + ", ".join(self.r.sample(self.atoms, self.r.randint(1, 2))) + "}"]
        else:
            opts = ["{0, 2}", "{1}", "(0..2)", "(1..3)"]
        opts += self.of("set" + elem) * 2
        if d <= 0 or self.p(0.3):
            return self.c(*opts)
        d -= 1
        k = self.c("op", "filter", "map", "other")
        x = self.fresh(env)
        if k == "op":
            op = self.c("union", "inter", "minus")
            return f"({self.e_set(elem, env, d)} {op} {self.e_set(elem, env, d)})"
        if k == "filter":
            return f"{{{x} in {self.e_set(elem, env, d)} where {self.e_bool({**env, x: elem}, d)}}}"
        if k == "map":
            value = self.e_atom({**env, x: "atom"}, d) if elem == "atom" else \
                f"({x} + {self.e_int(env, 0)}) % 4"
            return f"{{{value} for {x} in {self.e_set(elem, env, d)}}}"
        if elem == "int":
            return f"({self.e_int(env, 0)}..{self.e_int(env, 0)})"
        if "g" in self.vars:
            return f"reach(g, {self.c(self.e_atom(env, 0), self.e_optatom(env, 0))})"
        return self.c(*opts)

    def e_seqint(self, env: dict[str, str], d: int) -> str:
        opts = ["[]", f"[{self.e_int(env, 0)}]"] + self.of("seqint") * 2
        if d <= 0 or "q" not in self.vars or self.p(0.3):
            return self.c(*opts)
        d -= 1
        return self.c(f"append(q, {self.e_int(env, d)})", f"remove(q, {self.e_int(env, d)})",
                      f"insert(q, {self.e_int(env, 0)}, {self.e_int(env, d)})",
                      f"q[{self.c('', '1', '-1')}:{self.c('', '1', '2')}]")

    def e_seqatom(self, env: dict[str, str], d: int) -> str:
        opts = ["[]", f"[{self.e_atom(env, 0)}]"] + self.of("seqatom") * 2
        if d <= 0 or "l" not in self.vars or self.p(0.3):
            return self.c(*opts)
        return self.c(f"append(l, {self.e_atom(env, d - 1)})", "l[1:]",
                      f"remove(l, {self.e_atom(env, d - 1)})")

    # -- statements ---------------------------------------------------------------------
    def assign(self, env: dict[str, str]) -> str:
        v = self.c(*self.vars)
        kind = VARS[v][0]
        a = self.e_atom(env, 0)
        step = self.p(0.5)  # a small move through the state space rather than any value
        if kind == "bool":
            return "b := not b" if step else f"b := {self.e_bool(env, 2)}"
        if kind == "int":
            return f"{v} := ({v} + {self.c('1', '2', '3')}) % {self.c('3', '4')}" if step \
                else f"{v} := {self.e_int(env, 2)}"
        if kind == "enum":
            return f"e := {self.e_enum(env, 1)}"
        if kind in ("optatom", "optint"):
            return f"{v} := {self.ex(kind, env, 1)}"
        if kind == "setatom":
            return self.c(f"s := s union {{{a}}}", f"s := s minus {{{a}}}") if step \
                else f"s := {self.e_setatom(env, 2)}"
        if kind == "setint":
            return f"z := z union {{{self.e_int(env, 0)}}}" if step else f"z := {self.e_setint(env, 2)}"
        if kind == "fint":
            if step:
                return f"f[{a}] := (f[{a}] + 1) % 3"
            x = self.fresh(env)
            return self.c(f"f[{a}] := {self.e_int(env, 2)}",
                          f"f := {{{x}: {self.e_int({**env, x: 'atom'}, 1)} for {x} in A}}")
        if kind == "fopt":
            return f"g[{a}] := {self.c('none', self.e_optatom(env, 1))}"
        if kind == "fbool":
            return f"h[{self.e_enum(env, 0)}] := {self.e_bool(env, 1)}"
        if kind == "rec":
            return self.c(f"r.c := {self.e_int(env, 1)}", "r.c := (r.c + 1) % 3",
                          f"r.w := {self.e_optatom(env, 1)}",
                          f"r := {{c: {self.e_int(env, 1)}, w: {self.e_optatom(env, 0)}}}")
        if kind == "seqint":
            return self.c(f"q := {self.e_seqint(env, 2)}", f"q[{self.e_int(env, 0)}] := {self.e_int(env, 1)}",
                          f"q := append(q, {self.e_int(env, 0)})")
        return self.c(f"l := {self.e_seqatom(env, 2)}", f"l[{self.e_int(env, 0)}] := {a}",
                      f"l := append(l, {a})")

    def stmts(self, env: dict[str, str], d: int, n: int | None = None) -> list[str]:
        return [self.stmt(env, d) for _ in range(n or self.r.randint(1, 3))]

    def block(self, env: dict[str, str], d: int) -> str:
        return "{ " + "  ".join(self.stmts(env, d)) + " }"

    def stmt(self, env: dict[str, str], d: int) -> str:
        opts = ["assign"] * 5
        if d > 0:
            opts += ["if", "either", "require", "assert", "let", "local"]
            if self.procs:
                opts.append("call")
            if self.loops > 0:
                opts += ["for", "while"]
        k = self.c(*opts)
        d -= 1
        if k == "assign":
            return self.assign(env)
        if k == "if":
            text = f"if {self.e_bool(env, 2)} {self.block(env, d)}"
            if self.p(0.3):
                text += f" else if {self.e_bool(env, 1)} {self.block(env, d)}"
            if self.p(0.5):
                text += f" else {self.block(env, d)}"
            return text
        if k == "either":
            return "either " + " or ".join(self.block(env, d) for _ in range(self.r.randint(2, 3)))
        if k == "require":
            return f"require {self.e_bool(env, 2)}"
        if k == "assert":
            name = ""
            if self.p(0.6):
                name = self.c("ok1", "ok2", "ok3")
                if name not in self.asserts:
                    self.asserts.append(name)
                name += ": "
            msg = self.c("", ' "boom"', ' "a \\"quoted\\" message"')
            return f"assert {name}{self.e_bool(env, 1)} or {self.e_bool(env, 1)}{msg}"
        if k == "let":
            x = self.fresh(env)
            kind = self.c("int", "atom", "bool")
            return f"let {x} = {self.ex(kind, env, 1)}  " + "  ".join(self.stmts({**env, x: kind}, d, 1))
        if k == "local":
            x = self.fresh(env)
            return (f"var {x}: 0..3 = {self.c('0', '1')}  {x} := ({x} + {self.e_int(env, 0)}) % 4  "
                    f"require {x} {self.c('<', '>=', '!=')} {self.c('1', '2')}")
        if k == "call":
            return f"{self.c(*self.procs)}({self.e_atom(env, 0)})"
        self.loops -= 1
        x = self.fresh(env)
        if k == "while":
            return (f"var {x}: 0..3 = 0  while {x} < {self.c('1', '2', '3')} and {self.e_bool(env, 0)} "
                    f"max {self.c('1', '2', '3')} {{ {x} := {x} + 1  {self.stmt(env, d)} }}")
        dom, kind = self.c(("A", "atom"), (self.e_setatom(env, 1), "atom"), ("(0..2)", "int"),
                           ("E", "enum"), ("q", "int") if "q" in self.vars else ("{1, 3}", "int"))
        return f"for {x} in {dom} {{ {'  '.join(self.stmts({**env, x: kind}, d, self.r.randint(1, 2)))} }}"

    # -- the spec -----------------------------------------------------------------------
    def init_of(self, v: str) -> str:
        a0, a1 = self.atoms[0], self.atoms[-1]
        return self.c(*{
            "b": ["b = false", "b in {false, true}"], "n": ["n = 0", "n in 0..2"],
            "m": ["m = 0", "m in -1..1"], "e": [f"e = {self.enum[0]}", "e in E"],
            "o": ["o = none", f"o = {a0}"], "p": ["p = none", "p = 1", "p in {1, 2}"],
            "s": ["s = {}", f"s = {{{a1}}}"], "z": ["z = {}", "z = {0, 2}"],
            "f": ["f = {x: 0 for x in A}", f"f = {{x: (if x == {a0} then 1 else 0) for x in A}}"],
            "g": ["g = {x: none for x in A}", f"g = {{x: (if x == {a0} then {a1} else none) for x in A}}"],
            "h": ["h = {c: false for c in E}"], "r": ["r = {c: 0, w: none}", f"r = {{c: 1, w: {a0}}}"],
            "q": ["q = []", "q = [1]"], "l": ["l = []", f"l = [{a0}]"],
        }[v])

    def spec(self) -> str:
        r = self.r
        out = ["/// a generated spec", "spec ext"]
        out.append(f"{'symmetric ' if self.sym else ''}set A = {{{', '.join(self.atoms)}}}")
        out.append(f"enum E = {{{', '.join(self.enum)}}}")
        if self.p(0.5):
            out.append(f"param N: 0..3 = {r.randint(0, 3)}")
            self.params["N"] = "int"
        if self.p(0.4):
            out.append(f"param flag: bool = {self.c('false', 'true')}")
            self.params["flag"] = "bool"
        if self.p(0.4):
            out.append(f"const K = {'N + 1' if 'N' in self.params else r.randint(1, 3)}")
            self.consts["K"] = "int"
        if self.p(0.3):
            out.append(f"const W: A -> 0..2 = {{x: (if x == {self.atoms[0]} then 2 else 0) for x in A}}")
            self.consts["W"] = "fint"
        for v in self.vars:
            ty = VARS[v][1]
            if v == "q" and "K" in self.consts and self.p(0.5):
                ty = "seq[K] 0..2"
            out.append(f"var {v}: {ty}")
        out.append("init { " + "  ".join(self.init_of(v) for v in self.vars) + " }")
        for i in range(r.randint(0, 2)):
            if self.p(0.5):
                out.append(f"def d{i}(y in A) = {self.e_bool({'y': 'atom'}, 1)}")
                self.defs.append((f"d{i}", "pred"))
            elif self.p(0.5):
                out.append(f"def k{i} = {self.e_int({}, 1)}")
                self.defs.append((f"k{i}", "int"))
            else:
                self.loops = 1
                out.append(f"proc q{i}(y in A) {self.block({'y': 'atom'}, 1)}")
                self.procs.append(f"q{i}")
        for i in range(r.randint(1, 4)):
            env: dict[str, str] = {}
            params = []
            for j in range(r.randint(0, 2)):
                name = f"p{i}{j}"
                dom, kind = self.c(("A", "atom"), ("E", "enum"), ("0..2", "int"),
                                   (self.e_setatom(env, 0), "atom"), (self.e_setint(env, 0), "int"))
                params.append(f"{name} in {dom}")
                env[name] = kind
            head = f"action act{i}" + (f"({', '.join(params)})" if params else "")
            if self.p(0.6):
                head += f" when {self.e_bool(env, 2)}"
            self.loops = 1
            if self.p(0.3):
                out.append(f"/// action {i}")
            out.append(head + " {\n  " + "\n  ".join(self.stmts(env, 2)) + "\n}")
        for i in range(r.randint(0, 3)):
            if i > 0 and self.p(0.25):
                self.helpers.append(f"h{i}")
                out.append(f"invariant helper h{i}: {self.e_bool({}, 2)}")
            else:
                self.invs.append(f"inv{i}")
                out.append(f"invariant inv{i}: {self.e_bool({}, 2)}")
        if self.p(0.3):
            out.append(f"terminal when {self.e_bool({}, 1)}")
        for i in range(r.choice([0, 1, 1, 2, 3])):
            out.append(self.check(i))
        return "\n".join(out) + "\n"

    def check(self, i: int) -> str:
        head = f"check c{i}"
        over = []
        if "N" in self.params and self.p(0.4):
            over.append(f"N = {self.r.randint(0, 3)}")
        if "flag" in self.params and self.p(0.4):
            over.append(f"flag = {self.c('true', 'false')}")
        if over:
            head += " with " + ", ".join(over)
        names = self.invs + self.asserts
        if names and self.p(0.3):
            chosen = self.r.sample(names, self.r.randint(1, len(names)))
            head += f" {self.c('only', 'except')} " + ", ".join(chosen)
        elif self.helpers and self.p(0.2):
            head += f" except {self.c(*self.helpers)}"
        steps = f" in {self.r.randint(0, 4)} steps" if self.p(0.4) else ""
        k = self.r.choice(["holds", "holds", "deadlock", "assertion", "error", "proved", "proved",
                           "violation", "cti"])
        if k in ("violation", "cti") and not self.invs:
            k = "holds"
        if k == "violation":
            exp = f"violation {self.c(*self.invs)}{steps}"
        elif k == "cti":
            exp = f"cti {self.c(*self.invs)}" + self.c("", " by 2-induction")
        elif k == "proved":
            exp = "proved" + self.c("", "", " by 2-induction", " by 3-induction")
        elif k == "assertion":
            exp = "assertion" + (f" {self.c(*self.asserts)}" if self.asserts and self.p(0.5) else "") + steps
        elif k in ("deadlock", "error"):
            exp = k + steps
        else:
            exp = k
        return f"{head}: expect {exp}"


def ext_spec(rng: random.Random) -> str:
    return ExtGen(rng).spec()
