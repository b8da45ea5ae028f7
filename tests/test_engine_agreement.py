"""The compiled explicit engine agrees exactly with the reference interpreter.

For every state reachable in the interpreter's own state graph we compare, action by action
and in order, the (binding, successor) lists of the generated code with the interpreter's,
plus invariants, the terminal predicate and the initial states; where one side fails the
other must fail with the same exception class and code (and the same binding).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from explorer import model as M
from explorer.diagnostics import AssertFailure, EvalError, SpecError
from explorer.explicit.compile import CompiledModel, compile_model
from explorer.interp import Interp
from explorer.lang.load import load_text
from explorer.values import iter_set

FAULTS = (EvalError, AssertFailure)


# ---------------------------------------------------------------------------------------
# The agreement harness


def _fault_id(e: BaseException) -> tuple[str, str | None]:
    """The class and the code of a fault; for an assertion, its name (None if unnamed)."""
    return type(e).__name__, getattr(e, "code", getattr(e, "name", None))


def _fault_key(e: EvalError | AssertFailure) -> tuple[Any, ...]:
    """What must be equal when both sides fail: class, code and source span (the
    messages may differ: the interpreter's shows whole values the generated code never
    builds)."""
    return (*_fault_id(e), e.span)


def _outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", value) or ("fault", (class name, code, message, span), exception)."""
    try:
        return ("ok", fn())
    except FAULTS as e:
        return ("fault", _fault_key(e), e)  # type: ignore[return-value]


def _same(what: str, a: tuple, b: tuple) -> None:
    """Interpreter outcome `a` and compiled outcome `b` must agree."""
    assert a[0] == b[0], f"{what}: interpreter {a[:2]} vs compiled {b[:2]}"
    assert a[1] == b[1], f"{what}: interpreter {a[1]!r}\n  vs compiled {b[1]!r}"


# states of a walk at which the interpreter's whole successor list is checked against its
# per-action one (the comparison with the compiled code is made at every state)
SELF_CHECKED = 60


class Agreement:
    """Walks the interpreter's state graph and compares the compiled model at every state."""

    def __init__(self, model: M.Model) -> None:
        self.model = model
        self.it = Interp(model)
        self.cm: CompiledModel = compile_model(model)
        self.faults: set[tuple[str, str | None]] = set()  # what went wrong somewhere (stats)
        self.expanded = 0  # states compared so far

    def enc(self, state: tuple) -> int:
        return self.cm.encode_state(state)

    # -- the interpreter's side, action by action --------------------------------------
    def interp_action(self, action: M.Action, state: tuple) -> list[tuple[tuple, tuple]]:
        """[(binding, successor)] of one action; a fault gets the binding it happened at."""
        out: list[tuple[tuple, tuple]] = []

        def rec(i: int, env: dict[str, Any]) -> None:
            if i == len(action.params):
                label = tuple((b.name, env[b.name]) for b in action.params)
                try:
                    succ = self.it.action_successors(state, action.name, label)
                except FAULTS as e:
                    e.binding_seen = label  # type: ignore[union-attr]
                    raise
                out.extend((label, s) for s in succ)
                return
            b = action.params[i]
            for x in iter_set(self.it.eval(b.domain, state, env)):
                rec(i + 1, {**env, b.name: x})

        rec(0, {})
        return out

    def compiled_action(self, aid: int, state: tuple) -> list[tuple[tuple, tuple]]:
        """The labelled variant's (binding, successor) list; the hot-path variant (bare
        states) must list the same successors and fail the same way."""
        enc = self.enc(state)
        bare = _outcome(lambda: self.cm.actions[aid](enc))
        try:
            res = self.cm.labelled[aid](enc)
        except FAULTS as e:
            assert bare[0] == "fault" and bare[1] == _fault_key(e), "hot path differs"
            assert getattr(bare[2], "binding", None) == getattr(e, "binding", None)
            bind = getattr(e, "binding", None)
            e.binding_seen = (self.cm.decode_binding(aid, bind)  # type: ignore[union-attr]
                              if bind is not None else None)
            raise
        assert bare == ("ok", [t for t, _ in res]), "hot path lists other successors"
        return [(self.cm.decode_binding(aid, b), self.cm.decode_state(t)) for t, b in res]

    def interp_invariants(self, state: tuple) -> int:
        for i, inv in enumerate(self.model.invariants):
            if not inv.helper and not self.it.invariant_holds(inv.name, state):  # as compiled
                return i
        return -1

    # -- comparisons -------------------------------------------------------------------
    def initial(self) -> list[tuple]:
        a = _outcome(self.it.initial_states)
        b = _outcome(lambda: [self.cm.decode_state(s) for s in self.cm.initial()])
        _same("initial states", a, b)
        if a[0] == "fault":
            self.faults.add(_fault_id(a[2]))
            return []
        return a[1]

    def state(self, state: tuple) -> list[tuple]:
        """Compare everything at one state; return the successors to explore further."""
        enc = self.enc(state)
        assert self.cm.decode_state(enc) == state, "encoding does not round-trip"
        where = f"at state {self.it.state_dict(state)}"
        inv_a = _outcome(lambda: self.interp_invariants(state))
        _same(f"invariants {where}", inv_a, _outcome(lambda: self.cm.invariants(enc)))
        if self.model.terminal is not None:
            assert self.cm.terminal is not None
            _same(f"terminal {where}", _outcome(lambda: self.it.is_terminal(state)),
                  _outcome(lambda: self.cm.terminal(enc)))
        else:
            assert self.cm.terminal is None
        nxt: list[tuple] = []
        whole: list[tuple] = []
        failed = False
        for aid, act in enumerate(self.model.actions):
            a = _outcome(lambda: self.interp_action(act, state))
            b = _outcome(lambda: self.compiled_action(aid, state))
            _same(f"action {act.name} {where}", a, b)
            if a[0] == "fault":
                self.faults.add(_fault_id(a[2]))
                # A fault evaluating a parameter's domain carries the parameters bound so
                # far (fewer than the action has) on the compiled side, None on the other.
                ba = getattr(a[2], "binding_seen", None)
                bb = getattr(b[2], "binding_seen", None)
                if ba is None and bb is not None:
                    assert len(bb) < len(act.params), f"action {act.name} {where}: {bb}"
                else:
                    assert ba == bb, f"action {act.name} {where}: fault binding {ba} vs {bb}"
                failed = True
                continue
            whole.extend(((act.name, lab), s) for lab, s in a[1])
            nxt.extend(s for _, s in a[1])
        # the per-action view is the interpreter's own successor list: a check of the
        # interpreter against itself (two of its entry points), so it is made at the first
        # states of a walk and at every fault, where the two could part, not at all of them
        self.expanded += 1
        if failed:
            with pytest.raises(FAULTS):
                self.it.successors(state)
        elif self.expanded <= SELF_CHECKED:
            assert self.it.successors(state) == whole
        self.fused(enc, failed, where)
        return nxt

    def fused(self, enc: int, failed: bool, where: str) -> None:
        """The search's fused successor function (hoisted reads, merged writes) lists what
        the per-action functions list, in the same order, and counts them per action."""
        n = len(self.model.actions)
        fired = [0] * n
        if failed:
            with pytest.raises(FAULTS):
                self.cm.successors(enc, {}, fired)
            return
        fresh, total = self.cm.successors(enc, {}, fired)
        per_action = [(t, aid) for aid in range(n) for t in self.cm.actions[aid](enc)]
        assert fresh == per_action, f"fused successors differ {where}"
        assert total == len(per_action) == sum(fired)
        assert fired == [sum(1 for _, a in per_action if a == aid) for aid in range(n)]
        seen = dict.fromkeys(t for t, _ in per_action[::2])  # seen states are left out
        fresh2, total2 = self.cm.successors(enc, seen, [0] * n)
        assert fresh2 == [(t, a) for t, a in per_action if t not in seen] and total2 == total

    def run(self, limit: int = 5000) -> int:
        """Breadth-first over the interpreter's graph; returns the number of states seen."""
        init = self.initial()
        seen = set(init)
        queue = deque(dict.fromkeys(init))
        while queue:
            s = queue.popleft()
            for t in self.state(s):
                if t not in seen:
                    seen.add(t)
                    queue.append(t)
                    assert len(seen) <= limit, "state space larger than the test expects"
        return len(seen)


def model_of(text: str) -> M.Model:
    return load_text(text, "t.mnt").default


# ---------------------------------------------------------------------------------------
# (a) Hand-written specs that together use every construct of the language


SPECS: dict[str, str] = {}

SPECS["ints_div_mod_params_consts"] = """
spec ints
param N: int = 3
param flip: bool = false
const K = N + 1
const LO = 0 - N
var x: -3..3
var y: 0..K
var z: -6..6
init {
  x in LO..1
  y = 0
  z = x * 2
}
action step(d in -2..2) when d != 0 and y < K {
  y := y + 1
  z := (x div d) + (x % d) - (0 - x) div 2
  x := if flip then -x else (x + d) % 4 - 1
}
action neg when x < 0 and not flip {
  x := -x
  z := (-7) div 2 + 7 % (0 - 3) + (-7) % 3
}
invariant bounded: z >= -6 and z <= 6 and (y > 0 or z == 2 * x)
invariant arith: (-7) div 2 == -4 and 7 div (0 - 2) == -4 and (-7) % 3 == 2 and 7 % (0 - 3) == -2
terminal when y == K
"""

SPECS["functions_records_nested_paths"] = """
spec paths
set Proc = {p1, p2}
enum PC = {IDLE, BUSY}
const succ: Proc -> Proc = {p: (if p == p1 then p2 else p1) for p in Proc}
var pc: Proc -> PC
var g: Proc -> {cnt: 0..2, q: seq[2] Proc?}
var r: {count: 0..3, who: Proc?, tags: set Proc}
init {
  pc = {p: IDLE for p in Proc}
  g = {p: {cnt: 0, q: []} for p in Proc}
  r = {count: 0, who: none, tags: {}}
}
action go(p in Proc) when pc[p] == IDLE and g[p].cnt < 2 {
  pc[p] := BUSY
  g[p].cnt := g[p].cnt + 1
  r.who := p
  g[succ[p]].q := append(g[succ[p]].q, r.who)
  r.tags := r.tags union {succ[p]}
}
action back(p in Proc) when pc[p] == BUSY {
  pc[p] := IDLE
  if len(g[p].q) > 0 {
    g[p].q[0] := none
    g[p].q := remove(g[p].q, none)
  }
  r.count := if r.count < 3 then r.count + 1 else 0
  r.who := none
}
invariant cnt: forall p in Proc: g[p].cnt <= 2 and len(g[p].q) <= 2
invariant who: r.who == none or pc[r.who] == BUSY or r.count > 0
"""

SPECS["options_and_none"] = """
spec opt
set Proc = {p1, p2, p3}
var owner: Proc?
var last: Proc?
var n: 0..3?
var f: Proc -> 0..3
init {
  owner = none
  last in {p2, p3}
  n = none
  f = {p: 0 for p in Proc}
}
action take(p in Proc) when owner == none {
  owner := p
  n := if n == none then 0 else n + 1
}
action give when owner != none and n != none {
  f[owner] := n
  last := owner
  owner := none
}
action peek when last != none {
  n := f[last]
}
invariant some: owner != none or last != none or n == none or n >= 0
"""

SPECS["sets_of_atoms_ints_bools"] = """
spec sets
set Proc = {p1, p2, p3}
var held: set Proc
var ints: set -2..2
var flags: set bool
init {
  held = {}
  ints = {-2, 0}
  flags = {false}
}
action add(p in Proc) when p not in held {
  held := held union {p}
  ints := (ints minus {-2}) union {len(held) - 2}
  flags := flags union {len(held) > 1}
}
action cut(p in held) {
  held := held inter (Proc minus {p})
  ints := ints inter -1..1
  flags := flags minus {true}
}
action shuffle when {p1} subset held and not (held subset {p1}) {
  ints := {x in -2..2 where x in ints iff x + 1 in ints}
  flags := {x for x in flags} union {true in flags, false not in flags}
}
invariant subsets: held subset Proc and ints subset -2..2 and flags subset {false, true}
invariant neg_ok: -2 in ints implies len(ints) >= 1
"""

SPECS["comprehensions_and_quantifiers"] = """
spec comp
set Proc = {p1, p2, p3}
var S: set Proc
var m: Proc -> 0..2
var pairs: set 0..8
init {
  S = {p2, p3}
  m = {p: 0 for p in Proc}
  pairs = {}
}
action bump(p in Proc, v in 0..2) when v > m[p] and (exists q in Proc, w in 0..m[q]: w < v) {
  m[p] := v
  S := {q in Proc where m[q] > 0 or q in S}
  pairs := {3 * i + j for i in 0..2, j in i..2} union {a + b for a in 0..1, b in a..a + 1}
}
action clear when forall p in S, q in Proc minus {p}: m[p] >= m[q] or q in S {
  m := {p: (if p in S then m[p] else 0) for p in Proc}
  S := {q for q in S, r in S minus {q}}
}
invariant filtered: forall p in Proc, v in m[p]..2: v >= m[p]
invariant nested: exists i in 0..2: forall j in i..2: i <= j
"""

SPECS["sequences"] = """
spec seqs
var q: seq[3] 0..2
var pos: 0..2
var cut: seq[3] 0..2
init {
  q = [1]
  pos = 0
  cut = []
}
action push(v in 0..3) when len(q) < 3 and v not in {x in 0..3 where x > 1} {
  q := append(q, v)
  cut := q[1:]
}
action ins(i in 0..3, v in 1..2) when i <= len(q) and len(q) < 2 {
  q := insert(q, i, v)
}
action pop when len(q) > 0 {
  pos := index(q, q[len(q) - 1])
  q := remove(q, q[0])
  cut := q[-2:5]
}
action slice(a in -1..3, b in -1..4) when a < b and len(q) >= 2 and cut == [] {
  cut := q[a:b]
  q := q[:1]
}
action set0 when len(q) > 0 {
  q[0] := (q[0] + 1) % 3
  cut := [q[0]]
}
invariant sizes: len(q) <= 3 and len(cut) <= 3 and pos < 3
"""

SPECS["if_elseif_either_require_let"] = """
spec control
var a: 0..4
var b: 0..4
var c: bool
init { a = 0  b = 0  c = false }
action step(k in 0..1) {
  let t = a + k
  if t == 0 {
    either { a := 1 } or { b := 1 } or { require c  a := 2 }
    c := not c
  } else if t == 1 {
    if b < 4 {
      either { b := b + 1 } or { require b > 0  b := b - 1 }
    } else {
      a := 0
    }
    let u = b
    a := if u > 2 then 3 else a
  } else {
    either {
      either { a := 0 } or { b := 0 }
    } or {
      require a > 2
      a := 4
    }
    c := true
  }
  b := if b < 4 then b else 4
}
invariant ok: a <= 4
"""

SPECS["assert_failure"] = """
spec asrt
var n: 0..5
init { n = 0 }
action inc {
  n := n + 1
  either { assert n < 3 "too big" } or { require n > 1 }
}
"""

SPECS["init_choices_depend"] = """
spec initdep
set Proc = {p1, p2, p3}
var first: Proc
var rest: set Proc
var k: 0..3
init {
  first in Proc
  rest = {p in Proc where p != first}
  k in 0..len(rest) - 1
}
action rot when k > 0 { k := k - 1 }
terminal when k == 0
"""

SPECS["symmetric_enum_bool_domain"] = """
spec misc
param N: int = 2
symmetric set Node = n[1..N]
enum Color = {RED, GREEN, BLUE}
var col: Node -> Color
var b: bool -> 0..2
var seen: set Color
init {
  col = {x: (if x == n1 then GREEN else BLUE) for x in Node}
  b = {x: (if x then 1 else 0) for x in {false, true}}
  seen = {}
}
action paint(x in Node, c in Color) when col[x] != c and c not in seen {
  col[x] := c
  seen := seen union {c}
  b[c == BLUE] := (b[c == BLUE] + 1) % 3
}
invariant colors: forall x in Node: col[x] in Color
invariant iff_implies: (b[true] == 0 iff b[true] != 1 and b[true] != 2) and (false implies true implies false)
"""

SPECS["locals_min_max"] = """
spec locals
set A = {a1, a2, a3}
var s: set 0..3
var t: set A
var lo: 0..3?
var first: A?
proc tally { var c: 0..4 = 0  for x in s { c := c + 1 }  require c <= 3 }
init { s = {}  t = {}  lo = none  first = none }
action add(x in 0..3) when x not in s { s := s union {x}  tally() }
action pick(a in A) { t := t union {a}  first := min(t) }
action measure { var m: 0..3? = max(s)  lo := if m == none then min(s) else m }
"""

SPECS["guard_errors_and_deadlock"] = """
spec errs
var x: 0..3
var y: 0..3
init { x in 0..3  y = 0 }
action divide when x != 1 { y := 6 div (x - 2) + 1 }
action modulo when y > 1 { y := x % (y - 2) }
"""

SPECS["store_range_error"] = """
spec store
var x: 0..3
var s: set 0..3
init { x = 0  s = {} }
action up(d in 1..2) { x := x + d }
action grow when x == 3 { s := {v + 1 for v in 0..x} }
"""

SPECS["none_error_and_domain_error"] = """
spec nonerr
set Proc = {p1, p2}
var o: Proc?
var f: Proc -> 0..2
var g: 0..2 -> bool
init { o = p1  f = {p: 0 for p in Proc}  g = {i: false for i in 0..2} }
action use { f[o] := 1 }
action dom when o != none { g[f[o] + 2] := true }
action other { o := none }
"""

SPECS["sequence_errors"] = """
spec seqerr
var q: seq[2] 0..2
var i: 0..3
init { q = []  i = 0 }
action push { q := append(q, i % 3) }
action ins when len(q) == 1 { q := insert(q, i, 1) }
action read when i < 3 { i := q[i] + 1 }
action find when len(q) > 1 { i := index(q, 2) }
action store when len(q) == 2 { q := [0, 1, 2] }
action pick(k in 0..1, j in 0..q[k]) when len(q) < 2 { i := j }
"""

SPECS["consts_functions_and_sets"] = """
spec consts
set Proc = {p1, p2, p3}
const next: Proc -> Proc = {p: (if p == p1 then p2 else if p == p2 then p3 else p1) for p in Proc}
const weight: Proc -> -1..1 = {p: (if p == p1 then -1 else if p == p2 then 0 else 1) for p in Proc}
const EVEN = {x in 0..6 where x % 2 == 0}
const ALL = {next[p] for p in Proc}
var at: Proc
var total: -3..3
var hits: set 0..6
init { at in ALL minus {p3}  total = 0  hits = {} }
action move when total + weight[next[at]] >= -3 and total + weight[next[at]] <= 3 {
  at := next[at]
  total := total + weight[at]
  hits := hits union {x in EVEN where x == total + 3 or x == 0}
}
invariant in_even: hits subset EVEN
"""

SPECS["records_in_sequences"] = """
spec recseq
set Proc = {p1, p2}
var log: seq[2] {who: Proc, n: 0..2}
var cur: {who: Proc?, n: 0..2}
init { log = []  cur = {who: none, n: 0} }
action rec(p in Proc) when len(log) < 2 {
  log := append(log, {who: p, n: cur.n})
  cur := {who: p, n: (cur.n + 1) % 3}
}
action edit(i in 0..1) when i < len(log) {
  log[i].n := (log[i].n + 1) % 3
  log[i].who := if log[i].who == p1 then p2 else p1
  cur.who := log[i].who
}
action drop when len(log) > 0 {
  log := log[1:]
}
invariant ok: forall i in 0..len(log) - 1: log[i].n <= 2
"""

SPECS["queues_in_place"] = """
spec queues
set P = {p1, p2}
var ch: P -> seq[2] {n: 0..1, tag: bool}
var last: 0..2
init { ch = {p: [] for p in P}  last = 0 }
action send(p in P, v in 0..1) when last != 2 { ch[p] := append(ch[p], {n: v, tag: p == p1}) }
action recv(p in P) when len(ch[p]) > 0 {
  last := ch[p][0].n + (if ch[p][0].tag then 1 else 0)
  ch[p] := ch[p][1:]
}
action peek(p in P, i in 0..2) when last == 2 { last := ch[p][i].n }
action bump(p in P, i in 0..1) when last == 1 { ch[p][i].n := 1 - ch[p][i].n }
action cut(p in P, a in -1..2, b in -1..3) when last == 0 and len(ch[p]) == 2 {
  ch[p] := ch[p][a:b]
}
action copy(p in P, q in P) when p != q and len(ch[q]) > 0 and last == 1 {
  ch[p][0] := ch[q][len(ch[q]) - 1]
}
invariant firsts: forall p in P: len(ch[p]) == 0 or ch[p][0].n <= 1
"""


SPECS["defs_procs_reach"] = """
spec defs
set M = {m1, m2, m3}
var parent: M -> M?
var depth: M -> 0..3
var x: 0..3
/// a is b or one of b's ancestors
def anc(a in M, b in M) = a in reach(parent, b)
def root = m1
def below(n in 0..2) = n + 1
def free(m in M) = forall c in M: parent[c] != m
proc bump(k in 0..3) {
  let y = x + k
  require y <= 3
  x := y
  assert small: x < 3 "x too big"
}
proc twice(k in 0..1) { bump(k)  bump(k) }
init { parent = {m: none for m in M}  depth = {m: 0 for m in M}  x = 0 }
action link(a in M, b in M) when parent[a] == none and not anc(a, b) and a != root {
  parent[a] := b
  depth[a] := below(depth[b])
}
action unlink(a in M) when parent[a] != none and free(a) {
  parent[a] := none
  depth[a] := 0
}
action go(k in 0..1) { twice(k) }
invariant acyclic: forall m in M: m not in reach(parent, parent[m])
invariant rooted: forall m in M: parent[m] == none or m1 in reach(parent, m) or depth[m] > 0
"""


SPECS["loops"] = """
spec loops
set P = {p1, p2, p3}
var held: set P
var q: seq[3] P
var n: 0..6
/// take every free process from `from` on, each one way or another
proc grab(from in P, k in 1..2) {
  for p in {c in P minus held where c >= from} {
    let was = p in held
    either { held := held union {p} } or { require not was  n := (n + k) % 7 }
  }
}
init { held = {}  q = []  n = 0 }
action take(p in P) when len(q) < 3 { q := append(q, p) }
action sweep when len(q) > 0 {
  for x in q { held := held minus {x} }
  q := []
}
action twice(k in 1..2) when n < 2 { grab(p2, k)  grab(p1, 1) }
action count {
  while n < 6 max 2 { n := n + 1 }
  require n > 0
}
invariant small: n <= 6
"""


SPECS["powers_concat_literals_any"] = """
spec pcla
set P = {p1, p2, p3}
var e: -1..3
var b: -2..2
var r: -9..9
var q: seq[4] 0..2
var f: P -> 0..2
var got: set P
init { e in {-1, 3}  b in {-2, 2}  r = 0  q = []  f = {p1: 0, p2: 1, p3: 2}  got = {} }
action pw when r == 0 { r := b ** e - 2 ** 2 ** 1 // overflow to E3001, and E3009 for -1
}
action cat(x in 0..1) when len(q) < 2 { q := [x] + q + [] + [x] }
action lit { f := {p3: f[p1], p1: f[p2], p2: f[p3]} }
action pick when got != {p1, p2, p3} {
  any p in P minus got {
    got := got union {p}
    require f[p] != 1
  }
}
invariant r_ok: r >= -9
"""


SPECS["sets_of_compound_values"] = """
spec compound
set P = {p1, p2}
enum K = {ask, yes}
var msgs: set {kind: K, from: P}
var logs: set seq[2] bool
var picked: {kind: K, from: P}?
var weight: P -> 0..2
var light: P?
init { msgs = {}  logs = {[], [true]}  picked = none
       weight in {{p1: 1, p2: 0}, {p1: 2, p2: 2}}  light = none }
action lightest { light := argmin p in P: weight[p]  weight[p1] := (weight[p1] + 1) % 3 }
action heaviest { light := argmax p in {q in P where weight[q] > 0}: 2 - weight[p] }

action send(k in K, p in P) when {kind: k, from: p} not in msgs {
  msgs := msgs union {{kind: k, from: p}}
}
action take when picked == none {
  any m in {x in msgs where x.kind == yes or len(msgs) > 2} { picked := m  msgs := msgs minus {m} }
}
action log(b in bool) { logs := {append(l, b) for l in {x in logs where len(x) < 2}} union {[]} }
invariant kinds: forall m in msgs: m.from in P
invariant sizes: exists l in logs: len(l) == 0
"""


SPECS["compound_function_domains"] = """
spec domains
set P = {p1, p2}
var votes: {from: P, yes: bool} -> 0..1
var tally: seq[1] bool -> 0..2
init { votes = {{from: p1, yes: false}: 0, {from: p1, yes: true}: 1,
                {from: p2, yes: false}: 0, {from: p2, yes: true}: 0}
       tally = {[]: 0, [false]: 0, [true]: 2} }
action vote(p in P, b in bool) { votes[{from: p, yes: b}] := 1 - votes[{from: p, yes: b}] }
action count(b in bool) when tally[[b]] < 2 { tally[[b]] := tally[[b]] + 1  tally[[]] := 1 }
invariant one: votes[{from: p1, yes: true}] + votes[{from: p2, yes: true}] <= 2
"""


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hand_written_spec_agrees(name: str) -> None:
    ag = Agreement(model_of(SPECS[name]))
    n = ag.run()
    assert n >= 1


def test_hand_written_specs_reach_every_fault_kind() -> None:
    """The table above really exercises each runtime fault at least once."""
    faults: set[tuple[str, str | None]] = set()
    for text in SPECS.values():
        ag = Agreement(model_of(text))
        ag.run()
        faults |= ag.faults
    codes = {code for _, code in faults}
    assert {"E3001", "E3002", "E3003", "E3004", "E3005", "E3006", "E3007", "E3009"} <= codes
    assert ("AssertFailure", None) in faults
    assert ("AssertFailure", "small") in faults  # a named one


def test_hand_written_specs_use_every_construct() -> None:
    """Every expression and statement class of the IR appears in the table."""
    exprs: set[type] = set()
    stmts: set[type] = set()
    ops: set[M.Op] = set()
    builtins: set[M.Builtin] = set()

    def see_stmts(body: tuple[M.Stmt, ...]) -> list[M.Expr]:
        stmts.update(type(s) for s in M.walk_stmts(body))
        return M.stmt_exprs(body)

    for text in SPECS.values():
        m = model_of(text)
        roots: list[M.Expr] = [c.expr for c in m.consts] + [i.expr for i in m.init]
        roots += [i.expr for i in m.invariants] + ([m.terminal] if m.terminal else [])
        for a in m.actions:
            roots += [b.domain for b in a.params] + ([a.guard] if a.guard else [])
            roots += see_stmts(a.body)
        for r in roots:
            for e in M.walk_expr(r):
                exprs.add(type(e))
                if isinstance(e, M.BinOp):
                    ops.add(e.op)
                if isinstance(e, M.Call):
                    builtins.add(e.fn)
    all_exprs = {c for c in vars(M).values()
                 if isinstance(c, type) and issubclass(c, M.Expr) and c is not M.Expr}
    all_stmts = {c for c in vars(M).values()
                 if isinstance(c, type) and issubclass(c, M.Stmt) and c is not M.Stmt}
    assert all_exprs - exprs == set()
    assert all_stmts - stmts == set()
    assert set(M.Op) - ops == set()
    assert set(M.Builtin) - builtins == set()


def test_hand_written_specs_use_every_type() -> None:
    seen: set[type] = set()

    def see(t: M.Type) -> None:
        seen.add(type(t))
        for sub in (getattr(t, a, None) for a in ("inner", "elem", "dom", "rng")):
            if isinstance(sub, M.Type):
                see(sub)
        for _, ft in getattr(t, "fields", ()):
            see(ft)

    for text in SPECS.values():
        for v in model_of(text).vars:
            see(v.t)
    assert {M.BoolT, M.IntT, M.AtomT, M.OptT, M.SetT, M.FnT, M.RecT, M.SeqT} <= seen


def test_harness_notices_a_disagreement() -> None:
    """The comparison is not vacuous: a compiled action that loses a successor is caught."""
    ag = Agreement(model_of(SPECS["if_elseif_either_require_let"]))
    real_bare, real_lab = ag.cm.actions[0], ag.cm.labelled[0]
    ag.cm.actions[0] = lambda s: real_bare(s)[1:]
    ag.cm.labelled[0] = lambda s: real_lab(s)[1:]
    with pytest.raises(AssertionError, match="action step"):
        ag.run()


# ---------------------------------------------------------------------------------------
# Disagreements found by these tests (engine bugs, kept as strict xfails)


def test_index_in_quantifier_domain_compiles() -> None:
    ag = Agreement(model_of("""spec t
var x: 0..3
var q: seq[2] 0..3
init { x = 0  q = [1] }
action a { x := if (exists y in 0..q[0]: y == 1) then 1 else 2 }
"""))
    ag.run()


def test_membership_evaluates_element_first() -> None:
    ag = Agreement(model_of("""spec t
var x: 0..3
var q: seq[2] 0..3
init { x = 0  q = [] }
action a { x := if (1 div x) in {q[0]} then 1 else 2 }
"""))
    ag.run()


def test_len_of_constant_set_compiles() -> None:
    ag = Agreement(model_of("""spec t
set A = {a1, a2}
var x: 0..2
init { x = 0 }
action a when x < len(A) { x := x + 1 }
"""))
    assert ag.run() == 3


def test_inner_binder_shadows_unrolled_outer_binder() -> None:
    ag = Agreement(model_of("""spec t
set Proc = {p1, p2}
var S: set Proc
init { S = {p1} }
action a when forall x in Proc: exists x in S: x == p1 { S := {} }
"""))
    assert ag.run() == 2


def test_append_plain_value_to_optional_sequence() -> None:
    ag = Agreement(model_of("""spec t
set Proc = {p1, p2}
var q: seq[2] Proc?
init { q = [] }
action a(p in Proc) when len(q) < 2 { q := append(q, p) }
"""))
    assert ag.run() == 7


def test_function_comprehension_over_bool() -> None:
    ag = Agreement(model_of("""spec t
var f: bool -> 0..1
init { f = {x: (if x then 1 else 0) for x in bool} }
action a { f[true] := 0 }
"""))
    assert ag.run() == 2


# ---------------------------------------------------------------------------------------
# (b) Random small specs, generated as text


ATOMS = ("a1", "a2", "a3")


class _Gen:
    """Draws well-typed expressions and statements over a fixed small vocabulary.

    Variables: `b: bool`, `n: 0..3`, `e: A`, `s: set A`, `f: A -> 0..2`, `g: A -> A?` (a
    random 2-3 of them), with A a set of 2 or 3 atoms. Defs `d<i>(y in A)` (booleans) and
    procs `q<i>(y in A)` may be declared; a later one may call an earlier one. A body (of
    an action or a proc) may hold one `for` (over at most 3 values) or `while` loop.
    """

    def __init__(self, draw: Any, atoms: tuple[str, ...], vars_: list[str]) -> None:
        self.draw = draw
        self.atoms = atoms
        self.vars = vars_
        self.defs: list[str] = []
        self.procs: list[str] = []
        self.loops = 1  # loops the current body may still get (`for`, `while`)

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    # expressions, by type; `env` maps bound names to their kind ("atom" | "int")
    def boolean(self, env: dict[str, str], depth: int = 2) -> str:
        opts = ["lit"]
        if "b" in self.vars:
            opts.append("var")
        if depth > 0:
            opts += ["not", "andor", "cmp", "cmp", "eqatom", "in", "subset", "quant", "ite"]
            if self.defs:
                opts += ["def"]
        k = self.pick(opts)
        d = depth - 1
        if k == "lit":
            return self.pick(["true", "false"])
        if k == "def":
            return f"{self.pick(self.defs)}({self.atom(env, d)})"
        if k == "var":
            return "b"
        if k == "not":
            return f"not ({self.boolean(env, d)})"
        if k == "andor":
            op = self.pick(["and", "or", "implies", "iff"])
            return f"({self.boolean(env, d)}) {op} ({self.boolean(env, d)})"
        if k == "cmp":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return f"{self.integer(env, d)} {op} {self.integer(env, d)}"
        if k == "eqatom":
            return f"{self.atom(env, d)} {self.pick(['==', '!='])} {self.atom(env, d)}"
        if k == "in":
            if self.draw(st.booleans()):
                return f"{self.atom(env, d)} {self.pick(['in', 'not in'])} {self.aset(env, d)}"
            return f"{self.integer(env, d)} {self.pick(['in', 'not in'])} {self.iset(env, d)}"
        if k == "subset":
            return f"{self.aset(env, d)} subset {self.aset(env, d)}"
        if k == "quant":
            q = self.pick(["forall", "exists"])
            x = self.fresh(env)
            if self.draw(st.booleans()):
                y = self.fresh({**env, x: "atom"})
                inner = {**env, x: "atom", y: "atom"}
                dom2 = self.pick(["A", f"A minus {{{x}}}", f"{{{x}}}"])
                return f"({q} {x} in {self.aset(env, d)}, {y} in {dom2}: {self.boolean(inner, d)})"
            return f"({q} {x} in {self.iset(env, d)}: {self.boolean({**env, x: 'int'}, d)})"
        return f"(if {self.boolean(env, d)} then {self.boolean(env, d)} else {self.boolean(env, d)})"

    def integer(self, env: dict[str, str], depth: int = 2) -> str:
        opts = ["lit"]
        ints = [x for x, k in env.items() if k == "int"]
        if "n" in self.vars:
            opts.append("var")
        if ints:
            opts.append("local")
        if depth > 0:
            opts += ["arith", "divmod", "len", "neg", "ite"]
            if "f" in self.vars:
                opts += ["apply", "apply"]
        k = self.pick(opts)
        d = depth - 1
        if k == "lit":
            return str(self.draw(st.integers(0, 3)))
        if k == "var":
            return "n"
        if k == "local":
            return self.pick(ints)
        if k == "arith":
            return f"({self.integer(env, d)} {self.pick(['+', '-', '*'])} {self.integer(env, d)})"
        if k == "divmod":
            return f"({self.integer(env, d)} {self.pick(['div', '%'])} {self.integer(env, d)})"
        if k == "len":  # never len(<constant set>): see test_len_of_constant_set_compiles
            if "s" in self.vars and self.draw(st.booleans()):
                return self.pick(["len(s)", f"len(s union {self.aset(env, d)})"])
            x = self.fresh(env)
            return f"len({{{x} in {self.aset(env, d)} where {self.boolean({**env, x: 'atom'}, d)}}})"
        if k == "neg":
            return f"(-{self.integer(env, d)})"
        if k == "apply":
            return f"f[{self.atom(env, d)}]"
        return f"(if {self.boolean(env, d)} then {self.integer(env, d)} else {self.integer(env, d)})"

    def atom(self, env: dict[str, str], depth: int = 2) -> str:
        opts = ["lit"]
        atoms = [x for x, k in env.items() if k == "atom"]
        if "e" in self.vars:
            opts.append("var")
        if atoms:
            opts += ["local", "local"]
        k = self.pick(opts)
        if k == "lit":
            return self.pick(list(self.atoms))
        if k == "var":
            return "e"
        return self.pick(atoms)

    def aset(self, env: dict[str, str], depth: int = 2) -> str:
        opts = ["A", "lit"]
        if "s" in self.vars:
            opts += ["var", "var"]
        if depth > 0:
            opts += ["setop", "filter", "map"]
            if "g" in self.vars:
                opts += ["reach"]
        k = self.pick(opts)
        d = depth - 1
        if k == "A":
            return "A"
        if k == "reach":  # from an atom, or from g of an atom (possibly none)
            start = self.atom(env, d)
            return f"reach(g, {self.pick([start, f'g[{start}]'])})"
        if k == "var":
            return "s"
        if k == "lit":
            n = self.draw(st.integers(1, 2))  # `{}` would give a binder an unknown type
            return "{" + ", ".join(self.atom(env, d) for _ in range(n)) + "}"
        if k == "setop":
            op = self.pick(["union", "inter", "minus"])
            return f"({self.aset(env, d)} {op} {self.aset(env, d)})"
        x = self.fresh(env)
        if k == "filter":
            return f"{{{x} in {self.aset(env, d)} where {self.boolean({**env, x: 'atom'}, d)}}}"
        return f"{{{self.atom({**env, x: 'atom'}, d)} for {x} in {self.aset(env, d)}}}"

    def iset(self, env: dict[str, str], depth: int = 2) -> str:
        k = self.pick(["range", "range", "lit", "filter"] if depth > 0 else ["range", "lit"])
        d = depth - 1
        if k == "range":
            lo, hi = self.pick(["-1", "0", "1"]), self.pick(["1", "2", "3"])
            if "n" in self.vars and self.draw(st.booleans()):
                hi = "n"
            return f"({lo}..{hi})"
        if k == "lit":
            vals = self.draw(st.lists(st.integers(-2, 4), min_size=1, max_size=3))
            return "{" + ", ".join(str(v) for v in vals) + "}"
        x = self.fresh(env)
        return f"{{{x} in {self.iset(env, d)} where {self.boolean({**env, x: 'int'}, d)}}}"

    def fresh(self, env: dict[str, str]) -> str:
        return f"x{len(env)}"

    # statements
    def stmts(self, env: dict[str, str], depth: int = 2) -> list[str]:
        n = self.draw(st.integers(1, 3))
        return [self.stmt(env, depth) for _ in range(n)]

    def stmt(self, env: dict[str, str], depth: int) -> str:
        opts = ["assign", "assign", "step", "step", "step"]
        if depth > 0:
            opts += ["if", "if", "either", "either", "require", "assert"]
            if self.procs:
                opts += ["call"]
            if self.loops > 0:
                opts += ["for", "while"]
        k = self.pick(opts)
        d = depth - 1
        if k in ("for", "while"):  # one loop per body: unrolled loops multiply the code
            self.loops -= 1
            if k == "while":  # often still true after K rounds: E3007
                cond = self.boolean(env, 1)
                body = " ".join(self.stmt(env, d) for _ in range(self.draw(st.integers(1, 2))))
                return f"while {cond} max {self.draw(st.integers(0, 2))} {{ {body} }}"
            x = self.fresh(env)
            if self.draw(st.booleans()):  # at most 3 values each way
                dom, kind = self.aset(env, 1), "atom"
            else:
                dom, kind = self.pick(["(0..2)", "{1, 3}", "{-1}", "{x in (0..2) where x != n}"
                                       if "n" in self.vars else "(1..2)"]), "int"
            inner = {**env, x: kind}
            body = " ".join(self.stmt(inner, d) for _ in range(self.draw(st.integers(1, 2))))
            return f"for {x} in {dom} {{ {body} }}"
        if k == "call":
            return f"{self.pick(self.procs)}({self.atom(env)})"
        if k == "step":  # an update that moves through the state space
            v = self.pick(self.vars)
            a = self.atom(env)
            return {"b": "b := not b", "n": f"n := (n + {self.integer(env, 0)}) % 4",
                    "e": f"e := {a}",
                    "s": self.pick([f"s := s union {{{a}}}", f"s := s minus {{{a}}}"]),
                    "f": f"f[{a}] := (f[{a}] + 1) % 3",
                    "g": f"g[{a}] := if g[{a}] == none then {self.atom(env)} else none"}[v]
        if k == "assign":
            v = self.pick(self.vars)
            if v == "b":
                return f"b := {self.boolean(env)}"
            if v == "n":  # may leave 0..3 (an E3001 fault) unless reduced
                return f"n := {self.integer(env)}{self.pick(['', ' % 4'])}"
            if v == "e":
                return f"e := {self.atom(env)}"
            if v == "s":
                return f"s := {self.aset(env)}"
            if v == "g":
                return f"g[{self.atom(env)}] := {self.pick([self.atom(env), 'none'])}"
            if self.draw(st.booleans()):
                return f"f[{self.atom(env)}] := {self.integer(env)}{self.pick(['', ' % 3'])}"
            x = self.fresh(env)
            return f"f := {{{x}: {self.integer({**env, x: 'atom'}, 1)} for {x} in A}}"
        if k == "require":
            return f"require {self.boolean(env)}"
        if k == "assert":  # usually holds, so that the rest of the body runs too
            name = self.pick(["", "", "ok1: ", "ok2: "])
            return f"assert {name}{self.boolean(env, 1)} or {self.boolean(env, 1)} \"boom\""
        if k == "if":
            then = " ".join(self.stmts(env, d))
            text = f"if {self.boolean(env)} {{ {then} }}"
            if self.draw(st.booleans()):
                text += f" else {{ {' '.join(self.stmts(env, d))} }}"
            return text
        branches = self.draw(st.integers(2, 3))
        return "either " + " or ".join(f"{{ {' '.join(self.stmts(env, d))} }}"
                                       for _ in range(branches))


VAR_DECL = {"b": "bool", "n": "0..3", "e": "A", "s": "set A", "f": "A -> 0..2", "g": "A -> A?"}


@st.composite
def random_spec(draw: Any) -> str:
    atoms = ATOMS[:draw(st.integers(2, 3))]
    vars_ = draw(st.lists(st.sampled_from(sorted(VAR_DECL)), min_size=2, max_size=3, unique=True))
    g = _Gen(draw, atoms, vars_)
    lines = ["spec random", f"set A = {{{', '.join(atoms)}}}"]
    lines += [f"var {v}: {VAR_DECL[v]}" for v in vars_]
    inits = []
    for v in vars_:
        choice = draw(st.booleans())
        if v == "b":
            inits.append("b in {false, true}" if choice else "b = false")
        elif v == "n":
            inits.append("n in 0..2" if choice else "n = 0")
        elif v == "e":
            inits.append(f"e in {{{atoms[0]}, {atoms[-1]}}}" if choice else f"e = {atoms[0]}")
        elif v == "s":
            inits.append(f"s = {{{atoms[1]}}}" if choice else "s = {}")
        elif v == "g":
            inits.append(f"g = {{x: (if x == {atoms[0]} then {atoms[-1]} else none) for x in A}}"
                         if choice else "g = {x: none for x in A}")
        else:
            inits.append("f = {x: 0 for x in A}")
    for i in range(draw(st.integers(0, 2))):  # defs and procs, each sees the earlier ones
        if draw(st.booleans()):
            lines.append(f"def d{i}(y in A) = {g.boolean({'y': 'atom'}, 1)}")
            g.defs.append(f"d{i}")
        else:
            g.loops = 1
            body = " ".join(g.stmts({"y": "atom"}, 1))
            lines.append(f"proc q{i}(y in A) {{ {body} }}")
            g.procs.append(f"q{i}")
    lines.append("init { " + "  ".join(inits) + " }")
    for i in range(draw(st.integers(2, 4))):
        params: list[str] = []
        env: dict[str, str] = {}
        for j in range(draw(st.integers(0, 2))):
            name = f"p{i}{j}"
            if draw(st.booleans()):
                params.append(f"{name} in {g.aset(env, 1)}")
                env[name] = "atom"
            else:
                params.append(f"{name} in {g.iset(env, 0)}")
                env[name] = "int"
        head = f"action act{i}" + (f"({', '.join(params)})" if params else "")
        if draw(st.booleans()):
            head += f" when {g.boolean(env)}"
        g.loops = 1
        lines.append(head + " {\n  " + "\n  ".join(g.stmts(env)) + "\n}")
    for i in range(draw(st.integers(0, 2))):
        lines.append(f"invariant inv{i}: {g.boolean({})}")
    if draw(st.booleans()):
        lines.append(f"terminal when {g.boolean({}, 1)}")
    return "\n".join(lines) + "\n"


def _load_random(text: str) -> M.Model | None:
    """The model, or None when the only errors are constant stores that cannot fit (the
    grammar does not track value ranges, so `n := 0 - 2` is drawn now and then), or loops
    that would unroll to too much code (an `either` in a loop that calls a proc with
    `either`s)."""
    try:
        return model_of(text)
    except SpecError as e:
        if all(d.code == "E2002" and "cannot fit" in d.message
               or d.code == "E2005" and "loop unrolls" in d.message for d in e.diagnostics):
            return None
        raise AssertionError(f"generator produced an invalid spec: {e}\n{text}") from None


def test_random_spec_generator_produces_valid_specs() -> None:
    """The generator's output type-checks (so the property test below really runs)."""
    specs: list[str] = []

    @settings(max_examples=100, derandomize=True, deadline=None, database=None)
    @given(random_spec())
    def collect(text: str) -> None:
        specs.append(text)

    collect()
    assert len(specs) == 100
    loaded = [m for m in map(_load_random, specs) if m is not None]
    assert len(loaded) >= 80


def on_random_specs(n: int) -> Callable[[Callable[[str], None]], Any]:
    """A property over `n` random specs (the same ones on every run): the test gets the
    spec's text."""
    def wrap(test: Callable[[str], None]) -> Any:
        return settings(max_examples=n, derandomize=True, deadline=None, database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.filter_too_much])(
            given(random_spec())(test))
    return wrap


@on_random_specs(250)
def test_random_specs_agree(text: str) -> None:
    model = _load_random(text)
    assume(model is not None)
    assert model is not None
    ag = Agreement(model)
    try:
        n = ag.run(limit=3000)
    except AssertionError as e:
        if "larger than the test expects" in str(e):
            assume(False)
        raise AssertionError(f"{e}\n--- spec ---\n{text}") from None
    event(f"states: {'1' if n == 1 else '2-9' if n < 10 else '10-99' if n < 100 else '100+'}")
    for kind, code in ag.faults:
        event(f"fault: {code or kind}")
