"""`var NAME: T = e` in action and proc bodies, and the builtins `min(S)` / `max(S)`.

A body `var` is a hidden state variable that is at its type's zero between steps: the
semantics are pinned by exact successor lists and state counts (worked out by hand below)
and by equivalence with the same spec written without locals; traces leave the local out.
`min`/`max` are checked against Python's own min/max, and the generated code against the
reference interpreter on every reachable state (the harness of test_engine_agreement).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_defs_procs import graph, reachable
from test_engine_agreement import Agreement, model_of

from explorer import model as M
from explorer.cli import main
from explorer.diagnostics import EvalError, SpecError
from explorer.explicit.compile import compile_model
from explorer.explicit.run import check_model
from explorer.interp import Interp
from explorer.lang import syntax as S
from explorer.lang.load import load_text
from explorer.lang.parser import parse_spec
from explorer.values import Atom

# ---------------------------------------------------------------------------------------
# parsing and lowering


def test_parse_var_statement() -> None:
    spec = parse_spec("action a { var c: 0..3 = n + 1  c := c + 1 }")
    act = spec.decls[0]
    assert isinstance(act, S.DAction)
    v, a = act.body
    assert isinstance(v, S.SVar) and v.name == "c"
    assert v.value == S.EBinary("+", S.EName("n"), S.ELit(1))
    assert (v.span.line, v.span.col) == (1, 12)
    assert isinstance(a, S.SAssign) and a.target == S.EName("c")


def test_a_local_is_a_hidden_variable_reset_at_the_end_of_the_step() -> None:
    m = model_of("""spec t
var n: 0..3
init { n = 0 }
action a when n < 3 { var c: 1..3 = n + 1  n := c }
""")
    n, c = m.vars
    assert not n.local and c.local and c.t == M.IntT(1, 3)
    assert c.name.startswith("c__a__")  # a reserved name: no spec name contains `__`
    # init gives it its zero (the low bound), after the spec's own items
    assert [(i.var, i.expr) for i in m.init][-1] == (c.index, M.Lit(1, M.IntT(1, 3)))
    first, write, reset = m.actions[0].body
    assert isinstance(first, M.Assign) and first.var == c.index and first.name == "c"
    assert isinstance(write, M.Assign) and write.var == n.index
    assert write.value == M.VarRef(c.index, "c", c.t)
    assert isinstance(reset, M.Assign) and reset.var == c.index
    assert reset.value == M.Lit(1, M.IntT(1, 3)) and reset.path == ()
    assert sorted(reachable(m)) == [(0, 1), (1, 1), (2, 1), (3, 1)]


ZEROS = """spec t
set A = {a1, a2, a3}
enum E = {LO, HI}
var n: 0..3
init { n = 0 }
action kinds when n < 3 {
  var b: bool = true
  var r: 2..5 = 4
  var a: A = a3
  var e: E = HI
  var o: A? = a2
  var s: set A = {a1}
  var q: seq[2] 0..3 = [n]
  s := s union {a}
  q := append(q, len(s))
  assert b and r == 4 and e == HI and o == a2 and s == {a1, a3} and q[0] == n
  require q[1] == 2
  n := n + 1
}
terminal when n == 3
"""


def test_every_kind_of_local_holds_its_zero_between_steps() -> None:
    m = model_of(ZEROS)
    zero = (False, 2, Atom("A", 0, "a1"), Atom("E", 0, "LO"), None, frozenset(), ())
    assert [v.local for v in m.vars] == [False] + [True] * 7
    states = reachable(m)
    assert sorted(state[0] for state in states) == [0, 1, 2, 3]
    assert all(state[1:] == zero for state in states)
    assert Agreement(m).run() == 4
    r = check_model(m, progress=None)
    assert r.outcome.kind == "holds" and r.figures.distinct == 4


# ---------------------------------------------------------------------------------------
# semantics: loops, procs called twice, either; state counts


LOCALS = """spec t
var n: 0..7
var flag: bool
/// k increments, counted by a local that every call shares and re-initialises
proc add(k in 1..2) {
  var c: 0..2 = 0
  while c < k max 2 { c := c + 1  n := (n + 1) % 8 }
}
init { n = 0  flag = false }
action three { add(1)  add(2) }
action split {
  var d: 0..3 = 1
  either { d := d + 1  flag := true } or { n := (n + d) % 8  d := 3  flag := false }
  n := (n + d) % 8
}
action count when not flag {
  var c: 0..3 = 0
  for i in 0..2 { either { c := c + 1 } or { } }
  n := c
}
"""

# The same steps with no locals: `three` adds 3, `split` adds 2 (setting flag) or 1 + 3
# (clearing it), `count` sets n to the number of first branches taken in 3 eithers.
LOCALS_BY_HAND = """spec t
var n: 0..7
var flag: bool
init { n = 0  flag = false }
action three { n := (n + 1) % 8  n := (n + 1) % 8  n := (n + 1) % 8 }
action split {
  either { flag := true  n := (n + 2) % 8 } or { n := (n + 1) % 8  flag := false  n := (n + 3) % 8 }
}
action count when not flag {
  either { either { either { n := 3 } or { n := 2 } } or { either { n := 2 } or { n := 1 } } }
  or { either { either { n := 2 } or { n := 1 } } or { either { n := 1 } or { n := 0 } } }
}
"""


def _expected_successors(n: int, flag: bool) -> list[tuple[str, tuple[int, bool]]]:
    """Worked out by hand from LOCALS, in exploration order (branches depth first)."""
    out = [("three", ((n + 3) % 8, flag)),
           ("split", ((n + 2) % 8, True)), ("split", ((n + 1 + 3) % 8, False))]
    if not flag:
        # taken branches per path: (1,1,1) (1,1,0) (1,0,1) (1,0,0) (0,1,1) (0,1,0) (0,0,1) (0,0,0)
        out += [("count", (c, False)) for c in (3, 2, 2, 1, 2, 1, 1, 0)]
    return out


def test_locals_in_loops_procs_and_eithers_step_as_worked_out() -> None:
    m = model_of(LOCALS)
    locals_ = [v.index for v in m.vars if v.local]
    assert len(locals_) == 3  # add's c once (not once per call), split's d, count's c
    it = Interp(m)
    seen = set()
    todo = [(0, False)]
    while todo:
        n, flag = todo.pop()
        if (n, flag) in seen:
            continue
        seen.add((n, flag))
        succ = it.successors((n, flag, 0, 0, 0))
        assert all(s[2:] == (0, 0, 0) for _, s in succ)
        got = [(lab[0], s[:2]) for lab, s in succ]
        assert got == _expected_successors(n, flag), (n, flag)
        todo.extend(s for _, s in got)
    assert len(seen) == 16  # every n with either flag: the locals add no state


def test_locals_add_no_states_in_either_engine() -> None:
    m = model_of(LOCALS)
    assert len(reachable(m)) == 16
    assert Agreement(m).run() == 16
    r = check_model(m, progress=None)
    assert r.outcome.kind == "holds" and r.figures.distinct == 16


def test_locals_mean_the_same_spec_written_without_them() -> None:
    def project(g: dict) -> dict:
        return {s[:2]: [(lab, t[:2]) for lab, t in succ] for s, succ in g.items()}

    assert project(graph(model_of(LOCALS))) == graph(model_of(LOCALS_BY_HAND))


def test_either_branches_start_from_the_value_at_the_fork() -> None:
    m = model_of("""spec t
var out: seq[4] 0..9
init { out = [] }
action a when len(out) == 0 {
  var x: 0..9 = 1
  either { x := 5  out := append(out, x) } or { out := append(out, x)  x := x + 2 }
  out := append(out, x)
}
""")
    succ = [t for _, (t, _x) in Interp(m).successors(((), 0))]
    assert succ == [(5, 5), (1, 3)]
    assert Agreement(m).run() == 3


def test_a_while_loop_counts_with_a_local() -> None:
    m = model_of("""spec t
var n: 0..20
var steps: 0..5
init { n = 0  steps = 0 }
action grow when n < 20 {
  var k: 0..4 = 0
  while n < 20 and k < 4 max 4 { n := n + 1 + k  k := k + 1 }
  steps := k
}
""")
    # from n: add 1, 2, 3, 4 while n < 20; 0 -> 10 -> 20 (1+2+3+4 = 10 twice)
    it = Interp(m)
    ((_, s1),) = it.successors((0, 0, 0))
    ((_, s2),) = it.successors(s1)
    assert s1 == (10, 4, 0) and s2 == (20, 4, 0) and it.successors(s2) == []
    assert Agreement(m).run() == 3


def test_a_proc_local_is_one_variable_that_each_call_restarts() -> None:
    m = model_of("""spec t
var log: seq[4] 0..3
/// appends its local after one increment: 1 if the call starts it afresh
proc note { var c: 0..3 = 0  c := c + 1  log := append(log, c) }
init { log = [] }
action twice when len(log) == 0 { note()  note() }
action again when len(log) == 2 { note()  note() }
""")
    assert [v.local for v in m.vars] == [False, True]
    assert reachable(m) == {((), 0), ((1, 1), 0), ((1, 1, 1, 1), 0)}
    assert Agreement(m).run() == 3


def test_a_local_out_of_range_is_e3001_in_both_engines_and_the_trace_hides_it() -> None:
    m = model_of("""spec t
var n: 0..3
init { n = 0 }
action inc when n < 3 { n := n + 1 }
action use { var half: 0..1 = n  n := half }
""")
    ag = Agreement(m)
    assert ag.run() == 4 and ("EvalError", "E3001") in ag.faults
    r = check_model(m, progress=None)  # the trace is replayed through the interpreter
    assert r.outcome.kind == "error" and r.outcome.code == "E3001"
    assert r.trace is not None and r.trace.var_names == ("n",)
    assert [step.action for step in r.trace.steps] == ["inc", "inc", "use"]
    assert r.trace.states == [(0,), (1,), (2,)]


# ---------------------------------------------------------------------------------------
# traces and reports leave locals out


TRACED = """spec t
var n: 0..7
init { n = 0 }
action step { var scratch: 0..3 = 2  scratch := scratch + 1  n := n + scratch }
invariant small: n < 6
check c: expect violation small in 2 steps
"""


def test_result_trace_has_no_local() -> None:
    m = model_of(TRACED)
    assert [v.name for v in m.vars][0] == "n" and len(m.vars) == 2
    r = check_model(m, progress=None)
    assert r.outcome.kind == "violation" and r.outcome.target == "small"
    assert r.trace is not None and r.trace.var_names == ("n",)
    assert r.trace.states == [(0,), (3,), (6,)]


def test_text_and_json_reports_have_no_local(tmp_path: Path) -> None:
    p = tmp_path / "t.mnt"
    p.write_text(TRACED)
    out = io.StringIO()
    assert main([str(p), "--quiet", "--full"], out, io.StringIO()) == 0
    text = out.getvalue()
    assert "n : 0 -> 3" in text and "n : 3 -> 6" in text
    assert "scratch" not in text
    p.write_text(TRACED.replace("expect violation small in 2 steps", "expect holds"))
    out = io.StringIO()
    assert main([str(p), "--quiet", "--format", "json"], out, io.StringIO()) == 12
    assert "scratch" not in out.getvalue()
    (check,) = json.loads(out.getvalue())["checks"]
    assert check["trace"]["vars"] == ["n"]


# ---------------------------------------------------------------------------------------
# positioned errors


BASE = "spec t\nset A = {a1, a2}\nsymmetric set P = {p1, p2}\nvar n: 0..3\ninit { n = 0 }\n"


@pytest.mark.parametrize("body, code, col, words", [
    ("var x: 0..3 = 1  var x: 0..3 = 2", "E1002", 29, "`x` is already defined"),
    ("var n: 0..3 = 1", "E1002", 12, "`n` is already defined"),
    ("let x = 1  var x: 0..3 = 1", "E1002", 23, "`x` is already defined"),
    ("var x: bool = true  let x = false", "E1002", 32, "`x` is already defined"),
    ("var x: 0..3 = 1  for x in 0..2 { n := x }", "E1002", 33, "`x` is already defined"),
    ("for i in 0..1 { var i: 0..3 = 0 }", "E1002", 28, "`i` is already defined"),
    ("var f: A -> bool = {a: true for a in A}", "E2001", 19, "must be a bool, a bounded"),
    ("var r: {x: bool} = {x: true}", "E2001", 19, "must be a bool, a bounded"),
    ("var x: int = 0", "E2005", 19, "`int` is unbounded"),
    ("var x: 0..3 = 5", "E2002", 26, "cannot fit `x`"),
    ("var x: 0..3 = a1", "E2001", 26, ""),
    ("if n == 0 { var x: bool = true }  n := if x then 1 else 0", "E1001", 54, "unknown name `x`"),
    ("for i in 0..1 { var t: 0..3 = i }  n := t", "E1001", 52, "unknown name `t`"),
    ("either { var x: 0..3 = 1 } or { x := 2 }", "E1001", 44, "unknown"),
    ("n := len({min(P)})", "E2001", 26, "non-symmetric"),
    ("var s: set P = {}  var x: P? = max(s)", "E2001", 47, "non-symmetric"),
    ("n := min({1, 2}, {3})", "E2004", 17, "`min` takes 1 argument, not 2"),
    ("n := max()", "E2004", 17, "`max` takes 1 argument, not 0"),
    ("n := min(n)", "E2001", 21, "expected a set"),
    ("n := min({})", "E2001", 21, "needs a set of integers, booleans or atoms"),
])
def test_errors_are_positioned(body: str, code: str, col: int, words: str) -> None:
    with pytest.raises(SpecError) as info:
        load_text(BASE + f"action a {{ {body} }}\n", "t.mnt")
    d = info.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.col) == (code, 6, col), d.message
    assert words in d.message


@pytest.mark.parametrize("text, line, col", [
    ("action a { var k: 0..3 = n }\ninvariant i: k == 0\n", 7, 14),  # in an invariant
    ("action a when k == 0 { var k: 0..3 = n }\n", 6, 15),  # in its own action's guard
    ("action a { var k: 0..3 = n }\naction b { n := k }\n", 7, 17),  # in another action
    ("proc p { var k: 0..3 = n }\naction b { p()  n := k }\n", 7, 22),  # after a proc call
])
def test_a_local_is_unknown_outside_its_block(text: str, line: int, col: int) -> None:
    with pytest.raises(SpecError) as info:
        load_text(BASE + text, "t.mnt")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E1001", line, col), d.message
    assert "unknown name `k`" in d.message


def test_min_and_max_stay_usable_as_names() -> None:
    m = model_of("""spec t
var min: 0..3?
var s: set 0..3
def max(x in 0..3) = 3 - x
init { min = none  s = {2, 3} }
action a { min := max(2) }
action b { min := min(s) }
""")
    assert reachable(m) == {(v, frozenset({2, 3})) for v in (None, 1, 2)}  # def, builtin
    assert Agreement(m).run() == 3


# ---------------------------------------------------------------------------------------
# min and max


@pytest.mark.parametrize("elem, values, extra", [
    ("2..6", [2, 3, 4, 5, 6], ""),
    ("2..6", [2, 3, 4, 5, 6], "var w: set (0-3)..0\n"),  # integer sets start below 0
    ("(0-2)..1", [-2, -1, 0, 1], ""),
    ("bool", [False, True], ""),
    ("A", ["a1", "a2", "a3"], ""),
    ("E", ["HI", "LO", "MID"], ""),  # declared HI, LO, MID: declaration order, not names
])
def test_min_and_max_of_every_subset_agree_with_python(elem: str, values: list, extra: str) -> None:
    text = f"""spec t
set A = {{a1, a2, a3}}
enum E = {{HI, LO, MID}}
{extra}var s: set {elem}
var lo: {elem}?
var hi: {elem}?
init {{ s = {{}}  lo = none  hi = none {"w = {}" if extra else ""} }}
action add(x in {elem}) when x not in s {{ s := s union {{x}}  lo := none  hi := none }}
action drop(x in s) {{ s := s minus {{x}}  lo := none  hi := none }}
action measure {{ lo := min(s)  hi := max(s) }}
"""
    m = model_of(text)
    assert "_minbit(" in compile_model(m).source and "_maxbit(" in compile_model(m).source
    n = len(values)
    assert Agreement(m).run() == 2 * 2 ** n - 1  # every subset, measured or not ({} is both)

    def rank(v: object) -> int:
        return values.index(v.name if isinstance(v, Atom) else v)

    measured = 0
    for state in reachable(m):
        s, lo, hi = state[-3:]
        if not s:
            assert lo is None and hi is None
        elif lo is not None:
            measured += 1
            assert rank(lo) == min(map(rank, s)) and rank(hi) == max(map(rank, s))
        else:
            assert hi is None
    assert measured == 2 ** n - 1


def test_min_and_max_of_computed_sets_and_in_guards() -> None:
    m = model_of("""spec t
set Slot = {s1, s2, s3, s4}
var used: set Slot
var top: 0..9?
init { used = {}  top = none }
/// take the lowest free slot, as `x < y` on atoms would
action take when len(used) < 4 { used := used union {min(Slot minus used)}  top := none }
action release when max(used) != none { used := used minus {max(used)}  top := none }
action sum { top := max({len(used) + k for k in {j in 0..5 where j % 2 == 1}}) }
""")
    states = reachable(m)
    assert {len(state[0]) for state in states} == {0, 1, 2, 3, 4}
    assert len(states) == 5 * 2  # used is always a prefix of the slots; top none or set
    for used, top in states:
        names = sorted(a.name for a in used)
        assert names == ["s1", "s2", "s3", "s4"][:len(used)]
        assert top in (None, len(used) + 5)
    assert Agreement(m).run() == 10


def test_min_of_an_empty_set_is_none_and_then_e3002_where_a_value_is_needed() -> None:
    m = model_of("""spec t
var s: set 0..3
var n: 0..3
init { s = {}  n = 0 }
action add when len(s) == 0 { s := {2} }
action use { n := min(s) }
""")
    it = Interp(m)
    with pytest.raises(EvalError) as info:
        it.action_successors((frozenset(), 0), "use", ())
    assert info.value.code == "E3002"
    assert it.action_successors((frozenset({2}), 0), "use", ()) == [(frozenset({2}), 2)]
    ag = Agreement(m)
    ag.run()
    assert ("EvalError", "E3002") in ag.faults


def test_constant_min_and_max_fold() -> None:
    m = model_of("spec t\nconst LO = min({3, 1, 2})\nconst HI = max({x * 2 for x in 1..4})\n"
                 "var n: 0..9\ninit { n = LO + HI }\n")
    assert Interp(m).initial_states() == [(9,)]


@settings(max_examples=40, derandomize=True, deadline=None, database=None)
@given(lo=st.integers(-4, 4), width=st.integers(0, 7), data=st.data())
def test_random_int_sets_agree(lo: int, width: int, data: st.DataObject) -> None:
    hi = lo + width
    s = data.draw(st.frozensets(st.integers(lo, hi)))
    k = data.draw(st.integers(lo - 1, hi + 1))
    rng = f"({lo})..({hi})"
    lit = "{" + ", ".join(str(x) for x in sorted(s)) + "}"
    m = model_of(f"""spec t
var s: set {rng}
var a: {rng}?
var b: {rng}?
var c: {rng}?
init {{ s = {lit}  a = none  b = none  c = none }}
action m when a == none and b == none {{
  a := min(s)  b := max(s)  c := min({{x in s where x > {k}}})
}}
""")
    above = [x for x in s if x > k]
    expect = (min(s) if s else None, max(s) if s else None, min(above) if above else None)
    succ = Interp(m).successors((s, None, None, None))
    assert [t[1:] for _, t in succ] == [expect]
    assert Agreement(m).run() == (2 if s else 1)
