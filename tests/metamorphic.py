"""Metamorphic transformations of spec text, and results compared modulo them.

`rename` gives every name a spec declares a new, adversarial name (Python keywords and
builtins, the engines' internal names and prefixes, names that differ only by case, long
names); `Comparer` runs a check of the original and of the transformed spec through an
engine and says where their outcomes, figures, coverage or traces differ, reading the
original's names through the renaming. Used by tests/test_metamorphic.py.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from explorer import model as M
from explorer.explicit.bfs import Limits
from explorer.lang.load import LoadedSpec, load_text
from explorer.results import Result
from explorer.values import Atom, Fn, Rec, Value

GRAMMAR = Path(__file__).resolve().parent.parent / "explorer" / "lang" / "grammar.lark"
# words of the grammar (`spec`, `forall`, ...): not names
KEYWORDS = frozenset(re.findall(r'"([a-z]+)"', GRAMMAR.read_text(encoding="utf-8")))
# names with a meaning of their own where they are used: builtins, the soft keywords `max`
# (of `while ... max K`), `helper` (of `invariant helper NAME`), `long` (of `check long
# NAME`) and `step` (of a process's `step NAME`), a process's `pc` and its last step
# `done`, and render's styles
KEPT = frozenset({"len", "append", "remove", "insert", "index", "reach", "min", "max", "helper",
                  "long", "fair", "step", "pc", "done", *M.STYLES})

# Every kind of name an engine could confuse with its own: Python keywords, constants and
# builtins; the explicit engine's internal identifiers and its prefixes for spec names; the
# z3 engine's old and new symbol shapes; the z3 module; names that differ only by case.
ADVERSARIAL = (
    "sel", "s", "w", "seen", "fired", "self", "z3", "succ", "initial", "invariants",
    "terminal", "ns", "code", "source", "_t1", "_U", "_bits", "_fail", "_Fault", "a0", "b0",
    "n0", "v0", "S0", "l_x", "C_x", "l_", "C_", "sel_cur", "Sel", "SEL", "sEL", "class",
    "lambda", "import", "return", "yield", "pass", "global", "nonlocal", "del", "assert_",
    "raise", "try", "except_", "finally", "with_", "from", "async", "await", "is", "elif",
    "break", "continue", "None", "True", "False", "print", "exec", "eval", "open", "type",
    "object", "str", "list", "dict", "tuple", "frozenset", "range", "sorted", "isinstance",
    "getattr", "super", "operator", "functools", "builtins", "__", "_", "x" * 120,
    "Z" + "z" * 200, "SELF", "Self", "sEEN", "Seen",
)
_TOKENS = re.compile(r'(?P<comment>//[^\n]*)|(?P<string>"(?:[^"\\\n]|\\.)*")'
                     r'|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>.)', re.S)
_GEN_SET = re.compile(r"\bset\s+([A-Za-z_]\w*)\s*=\s*([A-Za-z_]\w*)\s*\[")


@dataclass
class Renaming:
    """A renaming of a spec's names; `name` maps any name of the original (atoms made by
    `set S = p[1..N]`, and the front end's `x__OWNER__3`, included) to the renamed spec's."""

    table: dict[str, str]
    generated: dict[str, str]  # atom prefix of `p[1..N]` -> its new prefix

    def name(self, n: str) -> str:
        if n in self.table:
            return self.table[n]
        if "." in n:  # a process's variable or step, `P.x`
            return ".".join(self.name(p) for p in n.split("."))
        if "__" in n:
            return "__".join(p if p.isdigit() else self.name(p) for p in n.split("__"))
        m = re.fullmatch(r"([A-Za-z_]\w*?)(\d+)", n)
        if m and m.group(1) in self.generated:
            return self.generated[m.group(1)] + m.group(2)
        return n


def names_of(text: str) -> list[str]:
    """The names in a spec's text (outside comments and strings), in order of first use."""
    out = dict.fromkeys(m.group("name") for m in _TOKENS.finditer(text) if m.group("name"))
    return [n for n in out if n not in KEYWORDS and n not in KEPT]


def rename(text: str, pool: tuple[str, ...] = ADVERSARIAL) -> tuple[str, Renaming]:
    """The spec with every name replaced (comments and strings left as they are)."""
    names = names_of(text)
    prefixes = {m.group(2) for m in _GEN_SET.finditer(text)}
    generated_atoms = {n for n in names for p in prefixes if re.fullmatch(rf"{p}\d+", n)}
    macros = set(re.findall(r"\b(?:def|proc)\s+([A-Za-z_]\w*)", text))
    taken = set(names) | KEYWORDS | KEPT
    spare = [n for n in dict.fromkeys(itertools.chain(pool, (f"{p}{i}" for p in ("sel_", "Sel_")
                                                            for i in range(len(names)))))
             if n not in taken and "__" not in n]
    table: dict[str, str] = {}
    for n in names:
        if n in generated_atoms:
            continue

        def fits(new: str, n: str = n) -> bool:
            # an atom prefix must not end in a digit (p1 + 2 vs p12); a def or proc name
            # must not start with `_` (reserved)
            return not (n in prefixes and new[-1].isdigit()) and not (
                n in macros and new.startswith("_"))
        new = next(x for x in spare if fits(x))
        spare.remove(new)
        table[n] = new
    r = Renaming(table, {p: table[p] for p in prefixes})
    for n in generated_atoms:
        table[n] = r.name(n)
    assert len(set(table.values())) == len(table), "the renaming is not one-to-one"

    def sub(m: re.Match[str]) -> str:
        n = m.group("name")
        return r.name(n) if n and n in table else m.group(0)
    return _TOKENS.sub(sub, text), r


# -- comparing results modulo a renaming ---------------------------------------------------

@dataclass(frozen=True)
class Words:
    """Free text (a message): equal when word for word equal or related by the renaming,
    so that English words that happen to be spec names compare too."""

    words: tuple[str, ...]


def _words(text: str | None) -> Words | None:
    return None if text is None else Words(tuple(re.findall(r"\w+|[^\w\s]", text)))


def value_form(v: Value, name: Callable[[str], str]) -> Any:
    if isinstance(v, Atom):
        return ("atom", name(v.sort), v.index, name(v.name))
    if isinstance(v, Fn):
        return ("fn", tuple((value_form(k, name), value_form(x, name)) for k, x in v.items()))
    if isinstance(v, Rec):
        return ("rec", tuple(sorted((name(k), value_form(x, name)) for k, x in v.items())))
    if isinstance(v, frozenset):
        return ("set", tuple(sorted((value_form(x, name) for x in v), key=repr)))
    if isinstance(v, tuple):
        return ("seq", tuple(value_form(x, name) for x in v))
    return v


def result_form(r: Result, name: Callable[[str], str]) -> dict[str, Any]:
    """Everything a result says, with spec names read through `name` (timings left out;
    columns too, since a longer name moves the text after it)."""
    o, f = r.outcome, r.figures
    def line(span: M.Span | None) -> int | None:
        return None if span is None else span.line
    form: dict[str, Any] = {
        "engine": r.engine, "kind": o.kind, "target": o.target and name(o.target),
        "assertion": o.assertion and name(o.assertion), "code": o.code,
        "message": _words(o.message), "line": line(o.span), "reason": _words(o.reason),
        "figures": (f.generated, f.distinct, f.depth, f.complete, f.queue),
        "coverage": [(name(c.action), c.span.line, c.fired, c.new) for c in r.coverage],
    }
    t = r.trace
    if t is not None:
        form["vars"] = [name(v) for v in t.var_names]
        form["states"] = [tuple(value_form(x, name) for x in st) for st in t.states]
        form["steps"] = [(name(s.action), tuple((name(p), value_form(v, name))
                                               for p, v in s.params), s.span.line)
                         for s in t.steps]
    return form


def differences(a: Any, b: Any, rn: Renaming, where: str = "") -> Iterator[str]:
    """Where the original's form `a` (names already renamed) and `b` differ."""
    if isinstance(a, Words) and isinstance(b, Words):
        if len(a.words) != len(b.words) or any(x != y and rn.name(x) != y
                                               for x, y in zip(a.words, b.words)):
            yield f"{where}: {' '.join(a.words)!r} vs {' '.join(b.words)!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from differences(a.get(k), b.get(k), rn, f"{where}.{k}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, rn, f"{where}[{i}]")
    elif a != b:
        yield f"{where}: {a!r} vs {b!r}"


# -- running both --------------------------------------------------------------------------

def checks_of(spec: LoadedSpec) -> list[M.Check]:
    return spec.checks or [M.Check("default", (), M.Expect(M.ExpectKind.HOLDS))]


def run(spec: LoadedSpec, check: M.Check, engine: str, max_states: int | None, depth: int,
        max_seconds: float | None = None) -> Result:
    from explorer.dispatch import run_check
    return run_check(check, spec.check_model(check), engine,
                     Limits(max_states=max_states, max_seconds=max_seconds), depth, None, None)


def in_fork(fn: Callable[[], Any]) -> Any:
    """fn() computed in a child forked from this process, so that every call starts from
    the same state of the process: z3 is deterministic for one input in one context, but
    its answers depend on what the context saw before (sort serials, term ids)."""
    import os
    import pickle
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's cleanup
        os.close(rd)
        try:
            data = pickle.dumps(("ok", fn()))
        except BaseException as e:  # noqa: BLE001 - the parent re-raises it
            data = pickle.dumps(("error", f"{type(e).__name__}: {e}"))
        with os.fdopen(wr, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(wr)
    with os.fdopen(rd, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    kind, got = pickle.loads(data)
    if kind != "ok":
        raise AssertionError(f"in the forked run: {got}")
    return got


def forms(text: str, path: str, engines: Callable[[M.Check], list[str]],
          max_states: int | None, depth: Callable[[M.Check], int],
          name: Callable[[str], str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(check, engine, result form) for every check of `text` and every engine it asks."""
    spec = load_text(text, path)
    return [(name(c.name), e, result_form(run(spec, c, e, max_states, depth(c)), name))
            for c in checks_of(spec) for e in engines(c) if _runs(spec, c, e)]


def _runs(spec: LoadedSpec, c: M.Check, engine: str) -> bool:
    """Whether the engine runs the check: the z3 engines refuse a check with properties
    (but a proof, which is about the invariants)."""
    return (engine not in ("bmc", "prove") or not spec.check_model(c).properties
            or c.expect.kind in (M.ExpectKind.PROVED, M.ExpectKind.CTI))


def compare(text: str, engines: Callable[[M.Check], list[str]], max_states: int | None = 3000,
            depth: Callable[[M.Check], int] = lambda c: 4, path: str = "t.mnt",
            pool: tuple[str, ...] = ADVERSARIAL,
            edit: Callable[[str], str] = lambda t: t) -> list[str]:
    """Run every check of `text` and of its renaming with each engine `engines(check)`
    names, each spec in a fresh fork of this process; the differences found (empty when
    the renaming changed nothing). `edit` changes the renamed text further (to test that
    a difference is noticed)."""
    renamed, rn = rename(text, pool)
    renamed = edit(renamed)
    a = in_fork(lambda: forms(text, path, engines, max_states, depth, rn.name))
    b = in_fork(lambda: forms(renamed, path, lambda c: engines(_back(c, rn)), max_states,
                              lambda c: depth(_back(c, rn)), str))
    assert [(c, e) for c, e, _ in a] == [(c, e) for c, e, _ in b]
    return [f"check {c}, {e}{d}" for (c, e, fa), (_, _, fb) in zip(a, b)
            for d in differences(fa, fb, rn)]


def _back(c: M.Check, rn: Renaming) -> M.Check:
    """The original's check for one of the renamed spec (engines and depths are chosen on
    the original's names)."""
    inverse = {v: k for k, v in rn.table.items()}
    return replace(c, name=inverse.get(c.name, c.name))


# -- reordering ----------------------------------------------------------------------------

_DECL = re.compile(r"^(?:symmetric\s+|fair\s+|strong\s+fair\s+)?"
                   r"(spec|set|enum|param|const|var|init|action|def|proc"
                   r"|invariant|terminal|check|render|property)\b", re.M)


def declarations(text: str) -> list[tuple[str, str]]:
    """The spec cut into (keyword, text) top-level declarations, each with the doc comments
    above it; a first chunk ("", text) holds what comes before the first one."""
    starts = []
    for m in _DECL.finditer(text):
        i = m.start()
        while True:  # take the `///` lines just above along
            j = text.rfind("\n", 0, max(i - 1, 0))
            line = text[j + 1:i].strip()
            if i == 0 or not line.startswith("///"):
                break
            i = j + 1
        starts.append((i, m.group(1)))
    cuts = [0] + [i for i, _ in starts] + [len(text)]
    kinds = [""] + [k for _, k in starts]
    return [(k, text[a:b] if text[a:b].endswith("\n") else text[a:b] + "\n")
            for k, a, b in zip(kinds, cuts, cuts[1:]) if a < b or k]


def reorder(text: str, order: Callable[[list[int]], list[int]],
            kinds: tuple[str, ...] = ("var", "action", "invariant", "check")) -> str:
    """The spec with the declarations of each kind in `kinds` permuted among their own
    places by `order` (which the language allows: a var, an action, an invariant or a check
    may be declared anywhere; defs and procs see only what is above them, so they stay)."""
    decls = declarations(text)
    out = list(decls)
    for kind in kinds:
        places = [i for i, (k, _) in enumerate(decls) if k == kind]
        for dst, src in zip(places, order(places)):
            out[dst] = decls[src]
    return "".join(t for _, t in out)


def order_free_form(r: Result) -> dict[str, Any]:
    """What a result says that no order of declarations may change: the outcome's kind
    and length (a shortest counterexample is shortest in any order, but which one is found
    first is not), and for a complete search its figures and how often each action fired
    (not which action first reached a state)."""
    o, f = r.outcome, r.figures
    form: dict[str, Any] = {"engine": r.engine, "kind": o.kind,
                            "steps": None if r.trace is None else len(r.trace)}
    if o.kind == "holds":
        form["figures"] = (f.generated, f.distinct, f.depth, f.complete)
        form["fired"] = sorted((c.action, c.fired) for c in r.coverage)
    if o.kind == "bounded":
        form["depth"] = f.depth
    return form


def compare_orders(text: str, order: Callable[[list[int]], list[int]],
                   engines: Callable[[M.Check], list[str]], max_states: int | None = None,
                   depth: Callable[[M.Check], int] = lambda c: 4) -> list[str]:
    """Differences between the checks of `text` and of its reordering, check by check."""
    def run_all(t: str) -> dict[tuple[str, str], dict[str, Any]]:
        spec = load_text(t, "t.mnt")
        return {(c.name, e): order_free_form(run(spec, c, e, max_states, depth(c)))
                for c in checks_of(spec) for e in engines(c) if _runs(spec, c, e)}
    a, b = in_fork(lambda: run_all(text)), in_fork(lambda: run_all(reorder(text, order)))
    assert a.keys() == b.keys()
    return [f"check {c}, {e}{d}" for (c, e) in a
            for d in differences(a[c, e], b[c, e], Renaming({}, {}))]
