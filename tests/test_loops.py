"""`for x in S { }` and `while c max K { }`: parsing, lowering (unrolled at elaboration,
with names of their own per iteration), positioned errors, semantics pinned by state counts
and by equivalence with the same spec written out by hand, E3007 in both engines, and
interpreter-vs-compiled agreement (either in loop bodies, loops in procs called twice).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_defs_procs import graph, reachable
from test_engine_agreement import Agreement, model_of

from explorer import model as M
from explorer.cli import main
from explorer.diagnostics import SpecError
from explorer.explicit.run import check_model
from explorer.interp import Interp
from explorer.lang import syntax as S
from explorer.lang.load import load_text
from explorer.lang.parser import parse_spec

# ---------------------------------------------------------------------------------------
# parsing and lowering


def test_parse_for_and_while() -> None:
    spec = parse_spec("action a { for x in S { n := x } while n < 3 max K + 1 { n := n + 1 } }")
    act = spec.decls[0]
    assert isinstance(act, S.DAction)
    f, w = act.body
    assert isinstance(f, S.SFor) and f.name == "x" and f.iterable == S.EName("S")
    assert f.body == (S.SAssign(S.EName("n"), S.EName("x")),)
    assert (f.name_span.line, f.name_span.col) == (1, 16)
    assert isinstance(w, S.SWhile) and w.bound == S.EBinary("+", S.EName("K"), S.ELit(1))
    assert w.cond == S.EBinary("<", S.EName("n"), S.ELit(3))


def test_max_stays_usable_as_a_name() -> None:
    m = model_of("spec t\nvar max: 0..3\nvar b: bool\ninit { max = 0  b = false }\n"
                 "action a when max < 3 { b := true  max := max + 1 }\n"
                 "action w { while max < 2 max 2 { max := max + 1 } }")
    assert reachable(m) == {(0, False), (1, True), (2, False), (2, True), (3, True)}


@pytest.mark.parametrize("stmt, col, words", [
    ("while n < 3 { }", 24, "needs a bound: `while c max K"),
    ("while n < 3 most 2 { }", 24, "expected `max`"),
])
def test_while_syntax_errors(stmt: str, col: int, words: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(f"action a {{ {stmt} }}")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E0001", 1, col) and words in d.message


def _lets(stmts: tuple[M.Stmt, ...]) -> list[str]:
    return [s.name for s in M.walk_stmts(stmts) if isinstance(s, M.Let)]


def test_for_over_a_set_lowers_to_a_let_and_one_if_per_value() -> None:
    m = model_of("""spec t
set A = {a1, a2, a3}
var s: set A
var n: 0..3
init { s = {}  n = 0 }
action go { for x in s { let y = x  n := 0 } }
""")
    body = m.actions[0].body
    snap, *ifs = body
    assert isinstance(snap, M.Let) and snap.name.startswith("_for__")
    assert isinstance(snap.value, M.VarRef) and snap.value.name == "s"
    assert len(ifs) == 3  # one per atom of A, in declaration order
    for atom, st in zip(("a1", "a2", "a3"), ifs):
        assert isinstance(st, M.If) and not st.orelse
        assert isinstance(st.cond, M.BinOp) and st.cond.op is M.Op.IN
        assert isinstance(st.cond.a, M.Lit) and st.cond.a.value.name == atom
        assert st.cond.b == M.Local(snap.name, snap.value.t)
        let_x, let_y, assign = st.then
        assert isinstance(let_x, M.Let) and let_x.value == st.cond.a
        assert isinstance(let_y, M.Let) and let_y.value == M.Local(let_x.name, let_x.value.t)
        assert isinstance(assign, M.Assign)
    names = _lets(body)
    assert len(names) == len(set(names)) == 7  # every iteration binds names of its own
    assert sorted(n.rsplit("__", 1)[0] for n in names) == ["_for"] + ["x"] * 3 + ["y"] * 3


def test_for_over_a_sequence_lowers_to_one_if_per_position() -> None:
    m = model_of("""spec t
var q: seq[3] 0..3
var n: 0..3
init { q = []  n = 0 }
action go { for x in q { n := x } }
""")
    snap, *ifs = m.actions[0].body
    assert isinstance(snap, M.Let) and len(ifs) == 3
    for i, st in enumerate(ifs):
        assert isinstance(st, M.If)
        c = st.cond
        assert isinstance(c, M.BinOp) and c.op is M.Op.LT and c.a == M.Lit(i, M.IntT(i, i))
        assert isinstance(c.b, M.Call) and c.b.fn is M.Builtin.LEN
        let_x = st.then[0]
        assert isinstance(let_x, M.Let) and isinstance(let_x.value, M.Index)
        assert let_x.value.i == M.Lit(i, M.IntT(i, i))
    lit = model_of("spec t\nvar n: 0..3\ninit { n = 0 }\naction go { for x in [1, 2] { n := x } }")
    assert len(lit.actions[0].body) == 3  # a literal's own length, not the largest bound


def test_while_lowers_to_nested_ifs_ending_in_e3007() -> None:
    m = model_of("""spec t
var n: 0..3
init { n = 0 }
action go { while n < 3 max 2 { let y = n + 1  n := y } }
""")
    (st,) = m.actions[0].body
    depth, names = 0, []
    while isinstance(st, M.If):
        depth += 1
        assert isinstance(st.cond, M.BinOp) and st.cond.op is M.Op.LT and not st.orelse
        if isinstance(st.then[0], M.Fail):
            break
        let_y, assign, st = st.then
        assert isinstance(let_y, M.Let) and isinstance(assign, M.Assign)
        names.append(let_y.name)
    assert depth == 3 and len(set(names)) == 2
    fail = st.then[0]
    assert isinstance(fail, M.Fail) and fail.code == "E3007"
    assert fail.message.startswith("loop bound 2 exceeded")
    zero = model_of("spec t\nvar n: 0..3\ninit { n = 0 }\naction go { while n < 3 max 0 { n := 1 } }")
    (z,) = zero.actions[0].body
    assert isinstance(z, M.If) and z.then == (M.Fail("E3007", z.then[0].message),)


def test_loops_in_a_proc_called_twice_get_names_of_their_own() -> None:
    m = model_of("""spec t
var n: 0..9
proc p(k in 0..2) { for x in 0..1 { let y = x + k  n := y } }
init { n = 0 }
action go { p(1)  p(2) }
""")
    names = _lets(m.actions[0].body)
    assert len(names) == len(set(names)) == 2 * (1 + 1 + 2 * 2)  # k, snapshot, x and y twice


# ---------------------------------------------------------------------------------------
# positioned errors


BASE = "spec t\nset A = {a1, a2}\nvar n: 0..3\nvar q: seq[2] A?\ninit { n = 0  q = [] }\n"


@pytest.mark.parametrize("stmt, code, col, words", [
    ("for x in 0..99 { n := 0 }", "E2005", 21, "has 100 values"),
    ("for x in {x in 0..70 where x > 1} { n := 0 }", "E2005", 21, "at most 64"),
    ("for x in n { n := 0 }", "E2001", 21, "needs a set or a sequence"),
    ("for x in {} { n := 0 }", "E2001", 21, "empty set"),
    ("for x in [] { n := 0 }", "E2001", 21, "empty sequence"),
    ("for x in 0..3 { x := 1 }", "E2006", 28, "bound name"),
    ("for n in 0..3 { }", "E1002", 16, "already defined"),
    ("for x in A { for x in A { } }", "E1002", 29, "already defined"),
    ("for x in 0..3 { let y = x } n := y", "E1001", 45, "unknown name `y`"),
    ("for x in 0..3 { } n := x", "E1001", 35, "unknown name `x`"),
    ("while n < 3 max n { n := n + 1 }", "E2003", 28, "must be a constant"),
    ("while n < 3 max 65 { n := n + 1 }", "E2002", 28, "outside 0..64"),
    ("while n < 3 max 0 - 1 { n := n + 1 }", "E2002", 28, "outside 0..64"),
    ("while n max 2 { }", "E2001", 18, "expected a condition"),
    ("for x in 0..40 { for y in 0..40 { n := 0 } }", "E2005", 12, "statements"),
    ("for x in 0..20 { either { n := 0 } or { n := 1 } }", "E2005", 12, "`either`s"),
    ("while n < 3 max 64 { while n < 2 max 10 { n := 0 } }", "E2005", 12, "nested blocks"),
])
def test_loop_errors_are_positioned(stmt: str, code: str, col: int, words: str) -> None:
    text = BASE + f"action a {{ {stmt} }}\n"
    with pytest.raises(SpecError) as info:
        load_text(text, "t.mnt")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == (code, 6, col), d.message
    assert words in d.message


def test_loop_error_renders_with_a_caret(tmp_path: Path) -> None:
    p = tmp_path / "bad.mnt"
    p.write_text(BASE + "action a { for x in 0..99 { n := 0 } }\n")
    err = io.StringIO()
    assert main([str(p)], io.StringIO(), err) == 150
    text = err.getvalue()
    assert f"{p}:6:21: error[E2005]" in text and "^^^^^" in text
    assert "Traceback" not in text


# ---------------------------------------------------------------------------------------
# semantics


LOOPS = """spec t
set P = {p1, p2, p3}
var held: set P
var q: seq[3] P
var n: 0..7
init { held = {p2}  q = []  n = 0 }
action push(p in P) when len(q) < 2 { q := append(q, p) }
action take when n < 5 {
  for p in P minus held {
    let w = if p == p3 then 2 else 1
    either { held := held union {p} } or { n := n + w }
  }
}
action drain when len(q) > 0 {
  for x in q { held := held minus {x}  q := remove(q, x) }
}
action fill when n >= 4 {
  while n < 7 max 3 { let d = 1  n := n + d }
}
"""

COUNT = 780  # of 8 n values x 8 held sets x 13 queues (832), 780 are reachable

LOOPS_BY_HAND = """spec t
set P = {p1, p2, p3}
var held: set P
var q: seq[3] P
var n: 0..7
init { held = {p2}  q = []  n = 0 }
action push(p in P) when len(q) < 2 { q := append(q, p) }
action take when n < 5 {
  let S = P minus held
  if p1 in S { let w1 = 1  either { held := held union {p1} } or { n := n + w1 } }
  if p2 in S { let w2 = 1  either { held := held union {p2} } or { n := n + w2 } }
  if p3 in S { let w3 = 2  either { held := held union {p3} } or { n := n + w3 } }
}
action drain when len(q) > 0 {
  let s = q
  if 0 < len(s) { held := held minus {s[0]}  q := remove(q, s[0]) }
  if 1 < len(s) { held := held minus {s[1]}  q := remove(q, s[1]) }
  if 2 < len(s) { held := held minus {s[2]}  q := remove(q, s[2]) }
}
action fill when n >= 4 {
  if n < 7 { let d1 = 1  n := n + d1
    if n < 7 { let d2 = 1  n := n + d2
      if n < 7 { let d3 = 1  n := n + d3 } } }
}
"""


def test_loops_mean_the_same_spec_written_out() -> None:
    """Same states, same successors in the same order (either branches included); `fill`
    starts at n >= 4, so its loop always ends within its bound."""
    a, b = model_of(LOOPS), model_of(LOOPS_BY_HAND)
    ga = graph(a)
    assert ga == graph(b)
    assert len(ga) == COUNT
    assert Agreement(a).run() == COUNT


def test_the_set_and_the_sequence_are_evaluated_once_before_the_loop() -> None:
    m = model_of("""spec t
set P = {p1, p2, p3}
var s: set P
var q: seq[4] P
var n: 0..6
init { s = {p1, p3}  q = [p2, p1]  n = 0 }
action a when n == 0 {
  for x in s { s := s union {p2}  n := n + 1 }
  for y in q { q := append(q, y)  n := n + 1 }
}
""")
    it = Interp(m)
    (s0,) = it.initial_states()
    ((_, (s, q, n)),) = it.successors(s0)
    assert {a.name for a in s} == {"p1", "p2", "p3"} and n == 4  # p2 added, not visited
    assert [a.name for a in q] == ["p2", "p1", "p2", "p1"]
    assert Agreement(m).run() == 2


def test_canonical_order_and_the_condition_sees_the_body_writes() -> None:
    m = model_of("""spec t
var log: seq[5] 0..9
var n: 0..12
init { log = []  n = 0 }
action a when n == 0 {
  for i in {3, 1, 2} { log := append(log, i) }
  for b in bool { log := append(log, if b then 7 else 6)  n := n + (if b then 5 else 1) }
  while n < 9 max 5 { n := n + 2 }
}
""")
    it = Interp(m)
    (s0,) = it.initial_states()
    assert [t for _, t in it.successors(s0)] == [((1, 2, 3, 6, 7), 10)]  # 6, 8, 10
    assert Agreement(m).run() == 2


def test_atoms_iterate_in_declaration_order() -> None:
    m = model_of("""spec t
set P = {z9, a1, m5}
var log: seq[3] P
init { log = [] }
action a when len(log) == 0 { for p in P { log := append(log, p) } }
""")
    ((_, (log,)),) = Interp(m).successors(((),))
    assert [a.name for a in log] == ["z9", "a1", "m5"]


# ---------------------------------------------------------------------------------------
# E3007 in both engines


E3007 = """spec t
var n: 0..9
init { n = 0 }
action inc when n < 9 { n := n + 1 }
action settle when n >= 2 { while n < 9 max 3 { n := n + 1 } }
"""


def test_loop_bound_exceeded_is_e3007_in_both_engines() -> None:
    m = model_of(E3007)
    ag = Agreement(m)
    assert ag.run() == 10
    assert ("EvalError", "E3007") in ag.faults
    r = check_model(m, progress=None)  # replays the trace through the interpreter too
    assert r.outcome.kind == "error" and r.outcome.code == "E3007"
    assert r.outcome.message == ("loop bound 3 exceeded: the `while` condition still holds "
                                 "after 3 iterations")
    assert r.outcome.span is not None and (r.outcome.span.line, r.outcome.span.col) == (5, 29)
    # n = 2 is the first state where `settle` runs: 2 + 3 = 5 < 9 still holds
    assert r.trace is not None and len(r.trace) == 3
    assert [st.action for st in r.trace.steps] == ["inc", "inc", "settle"]


def test_e3007_exits_75_and_meets_expect_error(tmp_path: Path) -> None:
    p = tmp_path / "w.mnt"
    p.write_text(E3007)
    out, err = io.StringIO(), io.StringIO()
    assert main([str(p), "--quiet"], out, err) == 75
    assert "E3007" in out.getvalue() and "loop bound 3 exceeded" in out.getvalue()
    p.write_text(E3007 + "check bound: expect error in 3 steps\n")
    assert main([str(p), "--quiet"], io.StringIO(), io.StringIO()) == 0


def test_a_bound_that_suffices_never_fails() -> None:
    m = model_of(E3007.replace("max 3", "max 7"))
    r = check_model(m, progress=None)
    assert r.outcome.kind == "holds" and r.figures.distinct == 10


# ---------------------------------------------------------------------------------------
# agreement


AGREE = """spec t
set A = {a1, a2, a3}
var s: set A
var f: A -> 0..3
var log: seq[2] A
/// one round over `S`'s atoms from `lo` on: each is taken or counted
proc round(lo in A, k in 1..2) {
  for x in {y in A where y >= lo} {
    let was = x in s
    either { s := s union {x} } or { require not was  f[x] := (f[x] + k) % 4 }
  }
}
init { s = {}  f = {x: 0 for x in A}  log = [] }
action twice(k in 1..2) when len(log) < 2 { round(a2, k)  round(a1, 1)  log := append(log, a1) }
action nested when len(log) > 0 {
  for x in log {
    for b in bool {
      either { f[x] := (f[x] + 1) % 4 } or { require b  s := s minus {x} }
    }
  }
  log := remove(log, a1)
}
action spin(x in A) {
  while f[x] != 0 max 3 {
    let g = f[x]
    either { f[x] := (g + 1) % 4 } or { require g > 1  f[x] := 0 }
  }
}
"""


def test_either_in_loops_and_loops_in_procs_called_twice_agree() -> None:
    m = model_of(AGREE)
    ag = Agreement(m)
    n = ag.run(limit=20000)
    assert n == len(reachable(m))
    assert n > 100


def test_binders_that_shadow_a_loop_variable_or_a_let_are_not_renamed() -> None:
    """`exists x in A` inside `for x in ...` (or a proc's `let y` and `exists y`): the
    quantifier's x is its own, in every iteration and every call."""
    m = model_of("""spec t
set A = {a1, a2}
var n: 0..3
var hit: bool
proc p { let y = a1  if exists y in A: y == a2 { hit := true } }
init { n = 0  hit = false }
action go when n == 0 {
  for x in {a1} { if exists x in A: x == a2 { n := n + 1 } }
  p()
}
""")
    it = Interp(m)
    assert [t for _, t in it.successors((0, False))] == [(1, True)]
    assert Agreement(m).run() == 2


def test_either_chains_beyond_the_engine_limit_are_a_positioned_error() -> None:
    """16 `either`s written in sequence would make the generated code 65,536 copies of the
    action's tail (gigabytes); the elaborator refuses, at the action's name, instead."""
    chain = "\n".join("  either { x := x + 0 } or { x := x + 0 }" for _ in range(16))
    text = f"spec t\nvar x: 0..3\ninit {{ x = 0 }}\naction go when x == 0 {{\n{chain}\n  x := 1\n}}\n"
    with pytest.raises(SpecError) as info:
        load_text(text, "t.mnt")
    (d,) = info.value.diagnostics
    assert d.code == "E2005" and (d.span.line, d.span.col) == (4, 8)
    assert "16 `either`s in sequence and 65536 paths" in d.message
    # 12 in sequence are within the limit, and explore fine
    ok = text.replace(chain, "\n".join(chain.splitlines()[:12]))
    assert len(load_text(ok, "t.mnt").default.actions) == 1
