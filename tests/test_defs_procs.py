"""defs, procs, `reach`, named assertions and per-check selection (`only`, `expect assertion
NAME`): how they are lowered, what they mean, and that both engines agree on them.

Agreement uses the harness of test_engine_agreement (every reachable state, every action,
interpreter against generated code); semantics are pinned by exact state counts and by
equivalence with the same spec written out by hand.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from test_engine_agreement import Agreement, model_of

from explorer import model as M
from explorer.cli import main
from explorer.diagnostics import AssertFailure, EvalError
from explorer.explicit.compile import compile_model
from explorer.explicit.run import check_model
from explorer.interp import Interp
from explorer.lang.load import load_text, select
from explorer.model import Span
from explorer.values import Atom, Fn


def graph(model: M.Model) -> dict[tuple, object]:
    """Every reachable state with its labelled successors in exploration order, or the
    fault (class, code) its successors end in."""
    it = Interp(model)
    out: dict[tuple, object] = {}
    todo = list(it.initial_states())
    while todo:
        s = todo.pop()
        if s in out:
            continue
        try:
            succ = it.successors(s)
        except (EvalError, AssertFailure) as e:
            out[s] = (type(e).__name__, getattr(e, "code", None))
            continue
        out[s] = succ
        todo.extend(t for _, t in succ)
    return out


def reachable(model: M.Model) -> set[tuple]:
    return set(graph(model))


# ---------------------------------------------------------------------------------------
# defs


DEFS = """spec t
set M = {m1, m2, m3}
var parent: M -> M?
var n: 0..3
/// a is b or an ancestor of b
def anc(a in M, b in M) = a in reach(parent, b)
def top = m1
def succ(k in 0..3) = (k + 1) % 4
init { parent = {m: none for m in M}  n = 0 }
action link(a in M, b in M) when parent[a] == none and not anc(a, b) and a != top {
  parent[a] := b
  n := succ(n)
}
invariant acyclic: forall m in M: parent[m] == none or not anc(m, parent[m])
"""

DEFS_BY_HAND = """spec t
set M = {m1, m2, m3}
var parent: M -> M?
var n: 0..3
init { parent = {m: none for m in M}  n = 0 }
action link(a in M, b in M) when parent[a] == none and not (a in reach(parent, b)) and a != m1 {
  parent[a] := b
  n := (n + 1) % 4
}
invariant acyclic: forall m in M: parent[m] == none or not (m in reach(parent, parent[m]))
"""


def test_defs_are_inlined_like_the_same_spec_written_out() -> None:
    a, b = model_of(DEFS), model_of(DEFS_BY_HAND)
    assert graph(a) == graph(b)
    # m1 stays a root; m2, m3 each get a parent once, without a cycle: no link (n = 0),
    # one of 4 single links (n = 1), or one of 3 acyclic pairs (n = 2)
    assert len(reachable(a)) == 8
    assert Agreement(a).run() == 8


def test_def_call_is_inlined_ir() -> None:
    m = model_of(DEFS)
    guard = m.actions[0].guard
    assert guard is not None
    calls = [x for x in M.walk_expr(guard) if isinstance(x, M.Call)]
    assert [c.fn for c in calls] == [M.Builtin.REACH]
    assert not any(isinstance(x, M.Local) and "__" in x.name for x in M.walk_expr(guard))


def test_def_arguments_are_passed_by_name() -> None:
    """An argument is evaluated where the body uses it: never, here, when n == 0."""
    text = """spec t
var n: 0..3
def safe(q in 0..3) = if n == 0 then 0 else q
init { n = 0 }
action a { n := safe(3 div n) }
action b when n == 0 { n := 1 }
"""
    m = model_of(text)
    it = Interp(m)
    assert [s for _, s in it.successors((0,))] == [(0,), (1,)]  # no division by zero
    assert [s for _, s in it.successors((1,))] == [(3,)]  # safe(3 div 1)
    assert reachable(m) == {(0,), (1,), (3,)}
    assert Agreement(m).run() == 3


def test_def_binders_do_not_capture_the_callers_names() -> None:
    """`x` inside the body and the caller's `x` are different names (mangled `x__has`)."""
    text = """spec t
set A = {a1, a2}
var s: set A
def has(y in A) = exists x in A: x == y and x in s
init { s = {a1} }
action a when forall x in A: has(x) == (x in s) { s := A minus s }
"""
    m = model_of(text)
    assert len(reachable(m)) == 2
    assert Agreement(m).run() == 2
    guard = m.actions[0].guard
    assert guard is not None
    names = {b.name for x in M.walk_expr(guard) if isinstance(x, M.Quant) for b in x.binders}
    assert names == {"x", "x__has"}


def test_def_param_shadowed_inside_its_body() -> None:
    text = """spec t
set A = {a1, a2}
var s: set A
def f(x in A) = x == a1 and (exists x in s: x == a2)
init { s = {a2} }
action a when f(a1) { s := {} }
"""
    m = model_of(text)
    assert Agreement(m).run() == 2


def test_def_argument_outside_the_parameter_type_is_e3001_in_both_engines() -> None:
    text = """spec t
var x: 0..5
var f: 0..3 -> bool
def at(i in 0..3) = f[i]
init { x = 0  f = {i: false for i in 0..3} }
action up when x < 5 { x := x + 1 }
action probe when at(x) { x := 0 }
"""
    m = model_of(text)
    ag = Agreement(m)
    ag.run()
    assert ("EvalError", "E3001") in ag.faults
    r = check_model(m, progress=None)
    assert r.outcome.kind == "error" and r.outcome.code == "E3001"
    assert r.trace is not None and len(r.trace) == 5  # x reaches 4, then probe fails
    assert "parameter i of at" in (r.outcome.message or "")


def test_fitting_argument_needs_no_runtime_check() -> None:
    m = model_of("spec t\nvar x: 0..3\ndef g(i in 0..5) = i\ninit { x = 0 }\naction a { x := g(x) }\n")
    assign = m.actions[0].body[0]
    assert isinstance(assign, M.Assign) and not any(
        isinstance(x, M.Fit) for x in M.walk_expr(assign.value))


def test_zero_parameter_def_in_a_constant_and_in_init() -> None:
    text = """spec t
param N: int = 2
def size = N + 1
const K = size * 2
var x: 0..9
var y: 0..12
def twice_x = x * 2
init { x = K  y = twice_x }
action a { x := size }
"""
    m = model_of(text)
    assert Interp(m).initial_states() == [(6, 12)]
    assert m.init[0].expr == M.Lit(6, M.IntT(6, 6))  # folded at elaboration
    assert Agreement(m).run() == 2


# ---------------------------------------------------------------------------------------
# procs


PROCS = """spec t
set A = {a1, a2}
var owner: A?
var log: seq[3] A
var x: 0..3
/// push or pop a
proc push(a in A) {
  either { log := append(log, a) } or { require len(log) > 0  log := remove(log, a) }
}
proc take(a in A) {
  let was = owner
  if was == none { owner := a  push(a) } else { require was == a  owner := none  push(a)  push(a) }
}
proc bump(k in 0..3) {
  let y = x + k
  require y <= 3
  x := y
}
init { owner = none  log = []  x = 0 }
action t(a in A) { take(a) }
action u { let y = 1  bump(y)  bump(y)  x := if y == 1 then x else 0 }
action v(k in 0..1) { bump(k)  take(a1) }
"""

PROCS_BY_HAND = """spec t
set A = {a1, a2}
var owner: A?
var log: seq[3] A
var x: 0..3
init { owner = none  log = []  x = 0 }
action t(a in A) {
  let was = owner
  if was == none {
    owner := a
    either { log := append(log, a) } or { require len(log) > 0  log := remove(log, a) }
  } else {
    require was == a
    owner := none
    either { log := append(log, a) } or { require len(log) > 0  log := remove(log, a) }
    either { log := append(log, a) } or { require len(log) > 0  log := remove(log, a) }
  }
}
action u {
  let y = 1
  let y1 = x + y
  require y1 <= 3
  x := y1
  let y2 = x + y
  require y2 <= 3
  x := y2
  x := if y == 1 then x else 0
}
action v(k in 0..1) {
  let y = x + k
  require y <= 3
  x := y
  let was = owner
  if was == none {
    owner := a1
    either { log := append(log, a1) } or { require len(log) > 0  log := remove(log, a1) }
  } else {
    require was == a1
    owner := none
    either { log := append(log, a1) } or { require len(log) > 0  log := remove(log, a1) }
    either { log := append(log, a1) } or { require len(log) > 0  log := remove(log, a1) }
  }
}
"""


def test_procs_are_lowered_like_the_same_spec_written_out() -> None:
    """Same states, same successors in the same order (either branches included)."""
    a, b = model_of(PROCS), model_of(PROCS_BY_HAND)
    ga, gb = graph(a), graph(b)
    assert ga == gb
    assert len(ga) == 124
    assert sum(isinstance(v, tuple) for v in ga.values()) > 0  # some states end in E3003


def test_same_proc_twice_and_proc_calling_proc_agree() -> None:
    """One action calls `bump` twice (its `let`s are bound again), `take` calls `push`
    up to twice: the interpreter and the generated code give the same successors."""
    ag = Agreement(model_of(PROCS))
    assert ag.run() == 124
    assert ("EvalError", "E3003") in ag.faults  # append to a full log
    r = check_model(model_of(PROCS), progress=None)
    assert r.outcome.kind == "error" and r.outcome.code == "E3003"


def test_proc_call_lowering() -> None:
    m = model_of(PROCS)
    u = next(a for a in m.actions if a.name == "u")
    lets = [s.name for s in u.body if isinstance(s, M.Let)]
    # each call has names of its own: {name}__{proc}__{call number}
    assert [n.rsplit("__", 1)[0] for n in lets] == ["y", "k__bump", "y__bump", "k__bump",
                                                    "y__bump"]
    assert len(set(lets)) == 5
    t = next(a for a in m.actions if a.name == "t")
    assert isinstance(t.body[0], M.Let) and t.body[0].name.startswith("a__take__")
    assert isinstance(t.body[0].value, M.Local) and t.body[0].value.name == "a"


def test_proc_arguments_are_evaluated_at_the_call() -> None:
    """`p(x)` binds x's value before the body changes x (eager, unlike defs)."""
    text = """spec t
var x: 0..3
var y: 0..3
proc p(v in 0..3) { x := 0  y := v }
init { x = 2  y = 0 }
action a when x == 2 { p(x) }
"""
    m = model_of(text)
    assert Interp(m).successors((2, 0))[0][1] == (0, 2)
    assert Agreement(m).run() == 2


def test_proc_require_disables_the_action_and_assert_fails_it() -> None:
    text = """spec t
var x: 0..3
proc step { require x < 3  x := x + 1  assert x != 2 "two" }
init { x = 0 }
action a { step() }
"""
    m = model_of(text)
    r = check_model(m, progress=None)
    assert r.outcome.kind == "assertion" and r.outcome.message == "two"
    assert r.outcome.span is not None and r.outcome.span.line == 3
    assert r.trace is not None and len(r.trace) == 2


# ---------------------------------------------------------------------------------------
# reach


def _reach_interp(f: dict, x: object) -> frozenset:
    it = Interp(model_of("spec t\nvar b: bool\ninit { b = true }\n"))
    fn = Fn(f.items())
    t = M.FnT(M.IntT(0, 3), M.OptT(M.IntT(0, 3)))
    e = M.Call(M.Builtin.REACH, (M.Lit(fn, t), M.Lit(x, M.OptT(M.IntT(0, 3)))),
               M.SetT(M.IntT(0, 3)), Span(7, 1, 7, 5))
    return it.eval(e, (True,))  # type: ignore[return-value]


def test_reach_follows_until_none() -> None:
    assert _reach_interp({0: 1, 1: 2, 2: None, 3: 0}, 3) == {3, 0, 1, 2}
    assert _reach_interp({0: 1, 1: 2, 2: None, 3: 0}, 2) == {2}


def test_reach_stops_on_a_cycle() -> None:
    assert _reach_interp({0: 1, 1: 2, 2: 0, 3: 3}, 0) == {0, 1, 2}
    assert _reach_interp({0: 1, 1: 2, 2: 0, 3: 3}, 3) == {3}


def test_reach_of_none_is_empty() -> None:
    assert _reach_interp({0: 1, 1: 2, 2: 0, 3: 3}, None) == frozenset()


REACH = """spec t
set M = {m1, m2, m3}
const NOT: bool -> bool = {v: not v for v in bool}
const UP: M -> M = {m: (if m == m1 then m2 else if m == m2 then m3 else m2) for m in M}
var nxt: 1..3 -> 1..3?
var at: M
var s: set 0..3
init { nxt = {i: none for i in 1..3}  at = m1  s = {} }
action link(i in 1..3, j in 1..3) when nxt[i] == none { nxt[i] := j }
action cut(i in 1..3) when nxt[i] != none { nxt[i] := none }
action see(i in 1..3) { s := reach(nxt, i) }
action from1 { s := reach(nxt, nxt[1]) }
action go(m in M) when reach(NOT, false) == bool { at := m }
invariant self: forall i in 1..3: i in reach(nxt, i) and reach(nxt, none) == {}
invariant up: reach(UP, at) == (if at == m1 then M else {m2, m3}) and len(reach(UP, UP[at])) == 2
"""


def test_reach_agrees_on_cycles_none_ints_bools_and_total_functions() -> None:
    m = model_of(REACH)
    ag = Agreement(m)
    # every function 1..3 -> 1..3? (4^3), every `at`, every s: {} or a set reach gives
    assert ag.run(limit=2000) == 64 * 3 * 8
    assert not ag.faults


def test_reach_on_nested_locations_computed_functions_and_negative_integers() -> None:
    """The generated code reads f's cells from the state when f is a location (a variable,
    a record field), and unpacks computed functions; integer sets start below 0 here."""
    text = """spec t
var r: {f: -1..0 -> -1..0?, on: bool}
var g: -1..0 -> -1..0?
init { r = {f: {i: none for i in -1..0}, on: false}  g = {i: none for i in -1..0} }
action set(i in -1..0, j in -1..0) when g[i] == none { g[i] := j }
action clear(i in -1..0) { g[i] := none }
action copy { r.f := g  r.on := not r.on }
invariant i: reach(r.f, -1) subset reach(if r.on then g else r.f, -1) or r.on
invariant j: len(reach(r.f, 0)) + len(reach({i: g[i] for i in -1..0}, g[0])) <= 4
"""
    m = model_of(text)
    ag = Agreement(m)
    assert ag.run() == 9 * 9 * 2  # every g, every earlier copy of it in r.f, either parity
    assert not ag.faults
    src = compile_model(m).source
    assert "_reach_bits(" in src and "_reach(" in src


def test_reach_outside_the_domain_is_e3005_in_both_engines() -> None:
    text = """spec t
var f: 0..2 -> 0..3
var x: 0..3
init { f = {i: i + 1 for i in 0..2}  x = 0 }
action a when 3 in reach(f, x) { x := 1 }
"""
    m = model_of(text)
    ag = Agreement(m)
    ag.run()
    assert ag.faults == {("EvalError", "E3005")}
    with pytest.raises(EvalError) as info:
        Interp(m).successors((Fn({0: 1, 1: 2, 2: 3}.items()), 0))
    assert info.value.span.line == 5


def test_reach_result_type() -> None:
    m = model_of("spec t\nset A = {a1, a2}\nvar g: A -> A?\nvar s: set A\n"
                 "init { g = {a: none for a in A}  s = reach(g, a1) }\n")
    e = m.init[1].expr
    assert isinstance(e, M.Call) and e.t == M.SetT(m.sets[0])


# ---------------------------------------------------------------------------------------
# named assertions and check selection


NAMED = """spec t
var x: 0..5
var y: 0..5
proc inc_y { y := y + 1  assert y_small: y < 3 "y too big" }
init { x = 0  y = 0 }
action ax when x < 5 {
  x := x + 1
  if x > 1 { either { assert x_small: x < 4 "x too big" } or { assert x_small: x < 5 } }
  assert x <= 5 "unnamed"
}
action ay when y < 5 { inc_y() }
invariant sum: x + y < 6
invariant xy: x <= 5 and y <= 5
terminal when x == 5 and y == 5
check plain: expect assertion y_small in 3 steps
check sums only sum: expect violation sum in 6 steps
check x_first only x_small: expect assertion x_small in 4 steps
check y_only only y_small, sum: expect assertion y_small in 3 steps
check wrong_one: expect assertion x_small
check none_named only xy: expect holds
"""


def test_assertion_names_reach_the_outcome() -> None:
    spec = load_text(NAMED, "n.mnt")
    assert spec.default.assertions == ("y_small", "x_small")
    r = check_model(spec.default, progress=None)
    assert r.outcome.kind == "assertion" and r.outcome.assertion == "y_small"
    assert r.trace is not None and len(r.trace) == 3


def test_named_assertion_failure_in_both_engines() -> None:
    it = Interp(model_of(NAMED))
    with pytest.raises(AssertFailure) as info:
        it.successors((0, 2))
    assert info.value.name == "y_small" and info.value.message == "y too big"
    cm = compile_model(model_of(NAMED))
    with pytest.raises(AssertFailure) as info2:
        cm.successors(cm.encode_state((0, 2)), {}, [0, 0])
    assert info2.value.name == "y_small" and info2.value.span == info.value.span


def test_only_keeps_the_selected_invariants_and_named_asserts() -> None:
    spec = load_text(NAMED, "n.mnt")
    checks = {c.name: c for c in spec.checks}
    assert checks["x_first"].only == ("x_small",)
    m = spec.check_model(checks["x_first"])
    assert m.invariants == ()
    names = [s.name for a in m.actions for s in M.walk_stmts(a.body) if isinstance(s, M.Assert)]
    assert names == ["x_small", "x_small", None]  # y_small dropped, unnamed kept
    m2 = spec.check_model(checks["none_named"])
    assert [i.name for i in m2.invariants] == ["xy"]
    assert [s.name for a in m2.actions for s in M.walk_stmts(a.body)
            if isinstance(s, M.Assert)] == [None]
    assert spec.check_model(checks["plain"]) is spec.default


def test_select_walks_nested_statements() -> None:
    m = model_of(NAMED)
    kept = select(m, ("sum",))
    assert [i.name for i in kept.invariants] == ["sum"]
    ax = kept.actions[0]
    [iff] = [s for s in ax.body if isinstance(s, M.If)]
    [either] = iff.then
    assert isinstance(either, M.Either) and either.branches == ((), ())
    assert Agreement(kept).run() == 36  # x, y in 0..5, no assertion left to fail


def _explore(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    p = tmp_path / "n.mnt"
    p.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main([str(p), "--quiet", *args], stdout=out, stderr=err)
    assert err.getvalue() == ""
    return code, out.getvalue()


def test_cli_only_and_named_expectations(tmp_path: Path) -> None:
    code, out = _explore(tmp_path, NAMED)
    lines = [ln for ln in out.splitlines() if ln.startswith(("PASS", "FAIL"))]
    assert lines == ["PASS plain", "PASS sums", "PASS x_first", "PASS y_only",
                     "FAIL wrong_one: expected assertion x_small, found assertion y_small in 3 steps",
                     "PASS none_named"]
    assert code == 14  # another assertion than the expected one failed
    assert "check sums only sum [line 16]: expect violation sum in 6 steps" in out
    assert "check x_first only x_small [line 17]: expect assertion x_small in 4 steps" in out
    assert "  assertion x_small failed after 4 steps: x too big" in out
    assert "  assertion y_small failed after 3 steps: y too big" in out


def test_cli_check_option_uses_the_selection(tmp_path: Path) -> None:
    code, out = _explore(tmp_path, NAMED, "--check", "x_first")
    assert code == 0 and "PASS x_first" in out and "y_small" not in out.split("\n", 1)[1]
    code, out = _explore(tmp_path, NAMED, "--check", "none_named")
    assert code == 0 and "no violation" in out


def test_cli_json_names_the_assertion_and_the_selection(tmp_path: Path) -> None:
    code, out = _explore(tmp_path, NAMED, "--format", "json")
    doc = json.loads(out)
    assert doc["exit_code"] == code == 14
    c = {x["check"]: x for x in doc["checks"]}
    assert c["x_first"]["only"] == ["x_small"] and c["plain"]["only"] is None
    assert c["plain"]["expected"]["assertion"] == "y_small" and c["plain"]["as_expected"]
    assert c["x_first"]["expected"] == {"kind": "assertion", "target": None, "steps": 4, "k": None,
                                        "assertion": "x_small"}
    assert c["x_first"]["outcome"]["assertion"] == "x_small"
    assert c["x_first"]["outcome"]["target"] is None
    assert c["wrong_one"]["outcome"]["assertion"] == "y_small"
    assert c["wrong_one"]["outcome"]["summary"] == "assertion y_small in 3 steps"
    assert c["wrong_one"]["as_expected"] is False and c["wrong_one"]["exit_code"] == 14
    assert c["sums"]["outcome"]["assertion"] is None and c["sums"]["only"] == ["sum"]


def test_expect_any_assertion_accepts_a_named_one(tmp_path: Path) -> None:
    code, out = _explore(tmp_path, NAMED.split("check plain")[0] + "check c: expect assertion\n")
    assert code == 0 and "PASS c" in out


def test_unnamed_assertion_does_not_match_a_named_expectation(tmp_path: Path) -> None:
    text = """spec t
var x: 0..3
init { x = 0 }
action a { x := x + 1  assert x < 2 "plain" }
action b { assert named: x < 9 }
check c: expect assertion named
"""
    code, out = _explore(tmp_path, text)
    assert code == 14
    assert "FAIL c: expected assertion named, found assertion in 2 steps" in out


def test_atoms_keep_their_identity_through_defs() -> None:
    m = model_of(DEFS)
    [s0] = Interp(m).initial_states()
    parent = s0[0]
    assert isinstance(parent, Fn) and all(isinstance(k, Atom) for k in parent.keys())


# ---------------------------------------------------------------------------------------
# atoms of a set are ordered by declaration (lowest-free-slot allocation)

SLOTS = """spec t
set Slot = s[1..4]
var used: Slot -> bool
var last: Slot?
init { used = {x: false for x in Slot}  last = none }
def first_free(c in Slot) = not used[c] and (forall x in Slot: x < c implies used[x])
action alloc(c in Slot) when first_free(c) { used[c] := true  last := c }
action free(c in Slot) when used[c] { used[c] := false }
action top(c in Slot) when last != none and c >= last and c > s2 { last := c }
invariant packed: forall c in Slot: used[c] and c != s1 implies (exists x in Slot: x <= c and used[x])
"""


def test_atom_order_allocates_the_lowest_free_slot_in_both_engines() -> None:
    m = model_of(SLOTS)
    ag = Agreement(m)
    # last is none only before the first alloc (used empty); after that, every slot can be
    # the last one allocated, and frees then give any used set: 1 + 16 * 4
    assert ag.run(limit=1000) == 1 + 16 * 4
    assert not ag.faults
    it = Interp(m)
    (s0,) = it.initial_states()
    succ = it.action_successors(s0, "alloc", (("c", Atom("Slot", 0, "s1")),))
    assert len(succ) == 1
    assert it.action_successors(s0, "alloc", (("c", Atom("Slot", 1, "s2")),)) == []


@pytest.mark.parametrize("text, col, msg", [
    ("spec t\nset A = {a, b}\nset B = {c}\nvar x: A\ninit { x = a }\ninvariant i: x < c",
     14, "cannot order A against B"),
    ("spec t\nsymmetric set A = {a, b}\nvar x: A\ninit { x = a }\ninvariant i: x < x",
     14, "`A` is symmetric: its atoms have no order"),
    ("spec t\nset A = {a, b}\nvar x: A\ninit { x = a }\ninvariant i: x < 1",
     14, "cannot order A against"),
])
def test_atom_order_errors(text: str, col: int, msg: str) -> None:
    with pytest.raises(Exception) as info:
        load_text(text, "t.mnt")
    d = info.value.diagnostics[0]  # type: ignore[attr-defined]
    assert d.code == "E2001" and msg in d.message
    assert (d.span.line, d.span.col) == (text.count("\n") + 1, col)


EXCEPT = NAMED.replace("check wrong_one: expect assertion x_small\n", "") + """\
check not_y except y_small: expect assertion x_small in 4 steps
check bare except y_small, x_small, sum: expect holds
"""


def test_except_selects_everything_but_the_listed_properties(tmp_path: Path) -> None:
    spec = load_text(EXCEPT, "e.mnt")
    checks = {c.name: c for c in spec.checks}
    # declaration order: invariants first, then named assertions
    assert checks["not_y"].only == ("sum", "xy", "x_small")
    assert checks["not_y"].excluded == ("y_small",)
    assert checks["bare"].only == ("xy",)
    assert [i.name for i in spec.check_model(checks["bare"]).invariants] == ["xy"]
    code, out = _explore(tmp_path, EXCEPT)
    assert code == 0
    assert "check not_y except y_small [line 20]: expect assertion x_small in 4 steps" in out
    assert "PASS not_y" in out and "PASS bare" in out
    js = io.StringIO()
    main([str(tmp_path / "n.mnt"), "--check", "not_y", "--format", "json"], stdout=js,
         stderr=io.StringIO())
    (c,) = json.loads(js.getvalue())["checks"]
    assert c["only"] == ["sum", "xy", "x_small"] and c["except"] == ["y_small"]


def test_except_errors_point_at_the_name() -> None:
    bad = NAMED.replace("check wrong_one: expect assertion x_small\n",
                        "check w except nope: expect holds\n"
                        "check v except sum: expect violation sum\n")
    with pytest.raises(Exception) as info:
        load_text(bad, "e.mnt")
    ds = info.value.diagnostics  # type: ignore[attr-defined]
    assert [(d.code, d.span.line) for d in ds] == [("E1006", 19), ("E1006", 20)]
    assert "`nope` is not an invariant, property, cover or named assertion" in ds[0].message
    assert "which its `except` list leaves out" in ds[1].message


PROC_EITHER = """spec t
var x: 0..20
init { x = 0 }
proc add(v in 0..5) {
  either { x := x + v } or { let w = 2 * v  x := x + w }
}
action go when x == 0 { add(1) add(5) }
invariant not12: x != 12
"""


def test_each_proc_call_binds_its_own_names() -> None:
    """Two calls of a proc with an `either`: the generated code runs the first call's later
    branch after the continuation (the second call), which must not have rebound the first
    call's parameter. Successors of x = 0: 1 or 2, then + 5 or + 10."""
    m = model_of(PROC_EITHER)
    ag = Agreement(m)
    assert ag.run(limit=100) == 5
    it = Interp(m)
    (s0,) = it.initial_states()
    assert sorted(x for _, (x,) in it.successors(s0)) == [6, 7, 11, 12]
    r = check_model(m, progress=None)
    assert r.outcome.kind == "violation" and r.trace is not None and len(r.trace) == 1
    lets = [s.name for s in m.actions[0].body if isinstance(s, M.Let)]
    assert lets == ["v__add__1", "v__add__2"]


@pytest.mark.parametrize("expr, value", [
    ("LO < HI", True), ("HI <= LO", False), ("a2 > a1", True), ("a1 >= a1", True),
])
def test_constant_atom_order_folds(expr: str, value: bool) -> None:
    m = model_of(f"spec t\nenum E = {{LO, HI}}\nset S = {{a1, a2}}\nconst c = {expr}\n"
                 "var x: bool\ninit { x = c }")
    assert Interp(m).initial_states() == [(value,)]
