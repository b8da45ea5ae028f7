"""Symmetry reduction (explorer/symmetry.py, explorer/explicit/canon.py).

The reduced counts are checked against orbits counted independently: the unreduced
search's states, each permuted by every permutation of the symmetric sets on the
interpreter's values (no packed bits, no signatures), grouped by orbit; and against
closed forms (binary relations on n unlabelled points: OEIS A000595). The canonical form
is checked to be one per orbit on every reachable state, a reduced search to find a
counterexample exactly when the unreduced one does with the same length (its trace a real
one, replayed), and what breaks the symmetry to turn the reduction off, with the reason."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume
from test_engine_agreement import on_random_specs
from test_native import comparable, report, sanitized

from explorer import model as M
from explorer.budget import Limits
from explorer.diagnostics import AssertFailure, EvalError, SpecError
from explorer.explicit.bfs import search
from explorer.explicit.canon import Canon
from explorer.explicit.compile import CompiledModel, compile_model
from explorer.explicit.run import check_model, outcome
from explorer.lang.load import load_text
from explorer.native.engine import generate
from explorer.results import OutcomeKind, Result
from explorer.symmetry import analyse, perms
from explorer.values import Value, sort_key

FAULTS = (EvalError, AssertFailure)
ROOT = Path(__file__).resolve().parent.parent

LOCK = """
spec lock
param N: 1..5 = 3
symmetric set Proc = p[1..N]
enum PC = {IDLE, WAIT, CRIT}
var pc: Proc -> PC
var owner: Proc?
init {
  pc = {p: IDLE for p in Proc}
  owner = none
}
action try(p in Proc) when pc[p] == IDLE { pc[p] := WAIT }
action take(p in Proc) when pc[p] == WAIT and (BUGGY or owner == none) { owner := p  pc[p] := CRIT }
action leave(p in Proc) when pc[p] == CRIT { owner := none  pc[p] := IDLE }
invariant Excl: forall p in Proc: forall q in Proc: (pc[p] == CRIT and pc[q] == CRIT) implies p == q
"""

RELATION = """
spec rel
param N: 1..5 = 3
symmetric set P = p[1..N]
var e: P -> set P
init { e = {p: {} for p in P} }
action add(a in P, b in P) when b not in e[a] { e[a] := e[a] union {b} }
terminal when forall a in P: e[a] == P
"""

# two sets permuted independently; records, nested functions, sequences, sets of atoms
MIXED = """
spec mixed
symmetric set Proc = {p1, p2, p3}
symmetric set Res = {r1, r2}
enum Mode = {OFF, ON}
var holds: Proc -> Res?
var st: Proc -> {mode: Mode, peer: Proc?}
var log: seq[1] Proc
var near: Res -> Res -> bool
var seen: set Proc
init {
  holds = {p: none for p in Proc}
  st = {p: {mode: OFF, peer: none} for p in Proc}
  log = []
  near = {a: {b: false for b in Res} for a in Res}
  seen = {}
}
action grab(p in Proc, r in Res) when holds[p] == none and (forall q in Proc: holds[q] != r) {
  holds[p] := r
  if len(log) < 1 { log := append(log, p) }
}
action release(p in Proc) when holds[p] != none { holds[p] := none }
action pair(p in Proc, q in Proc) when p != q and st[p].peer == none and holds[p] == none {
  st[p] := {mode: ON, peer: q}
  seen := seen union {q}
}
action link(a in Res, b in Res) when a != b and not near[a][b] and (forall q in Proc: holds[q] == none) {
  near[a][b] := true
}
"""


def model_of(text: str, **params: Value) -> M.Model:
    spec = load_text(text.replace("BUGGY", "false"), "<t>")
    return spec.model(params) if params else spec.default


def unreduced_states(cm: CompiledModel) -> list[int]:
    s = search(cm, Limits(deadlock=False), progress=None, fault_types=FAULTS)
    assert s.kind == "holds", s.kind
    return s.states


def orbit_key(model: M.Model, state: tuple[Value, ...]) -> tuple[object, ...]:
    """The least image of a state under every permutation of the model's symmetric sets,
    on the interpreter's values."""
    sets = [t for t in model.sets if t.symmetric]
    return min(tuple(sort_key(p.value(v)) for v in state) for p in perms(sets))


def orbits(model: M.Model) -> int:
    cm = compile_model(model)
    return len({orbit_key(model, cm.decode_state(s)) for s in unreduced_states(cm)})


def reduced(model: M.Model, **kw: object) -> Result:
    return check_model(model, progress=None, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("text,params", [
    (LOCK, {"N": 2}), (LOCK, {"N": 3}), (LOCK, {"N": 4}), (RELATION, {"N": 2}),
    (RELATION, {"N": 3}), (MIXED, {}),
])
def test_reduced_count_is_the_number_of_orbits(text: str, params: dict[str, Value]) -> None:
    m = model_of(text, **params)
    r = reduced(m)
    assert r.outcome.kind is OutcomeKind.HOLDS
    assert r.figures.symmetry.startswith("symmetry: ")
    assert r.figures.distinct == orbits(m)
    full = reduced(m, symmetry=False)
    assert full.figures.distinct > r.figures.distinct and full.figures.symmetry == ""


@pytest.mark.parametrize("n,count", [(1, 2), (2, 10), (3, 104), (4, 3044)])
def test_binary_relations_on_n_unlabelled_points(n: int, count: int) -> None:
    """Every relation on N points is reachable (2^(N*N) states); up to renaming the points
    there are A000595(N) of them: 2, 10, 104, 3044."""
    r = reduced(model_of(RELATION, N=n))
    assert r.outcome.kind is OutcomeKind.HOLDS
    assert r.figures.distinct == count
    if n <= 3:
        assert reduced(model_of(RELATION, N=n), symmetry=False).figures.distinct == 2 ** (n * n)


def test_lock_orbits_in_closed_form() -> None:
    """N processes, each IDLE or WAITing, or one of them CRITical: 2^N + N*2^(N-1) states;
    up to renaming, N+1 ways without a critical one and N with one."""
    for n in (2, 3, 4, 5):
        m = model_of(LOCK, N=n)
        assert reduced(m, symmetry=False).figures.distinct == 2 ** n + n * 2 ** (n - 1)
        assert reduced(m).figures.distinct == 2 * n + 1


@pytest.mark.parametrize("text", [LOCK, RELATION, MIXED])
def test_the_canonical_form_is_one_per_orbit_and_in_it(text: str) -> None:
    m = model_of(text)
    cm = compile_model(m)
    sets = analyse(m).sets
    canon = Canon(m, cm.layout, sets)
    states = unreduced_states(cm)
    for s in states[:: max(1, len(states) // 150)]:
        values = cm.decode_state(s)
        key = orbit_key(m, values)
        rep = canon(s)
        assert orbit_key(m, cm.decode_state(rep)) == key  # a state of the orbit
        for p in perms(sets):  # every mirror image has the same representative
            image = cm.encode_state(tuple(p.value(v) for v in values))
            assert canon(image) == rep
        # and the packed permutation is the values' one
        for p in itertools.islice(perms(sets), 7):
            packed = tuple(q for _, q in p.to)
            assert cm.decode_state(canon.apply(packed, s)) == tuple(p.value(v) for v in values)


def test_a_counterexample_is_found_at_the_same_depth_and_replays() -> None:
    text = LOCK.replace("BUGGY", "true")
    for n in (2, 3, 4):
        m = load_text(text, "<t>").model({"N": n})
        red, full = reduced(m), reduced(m, symmetry=False)
        assert red.outcome.kind is full.outcome.kind is OutcomeKind.VIOLATION
        assert red.trace is not None and full.trace is not None
        assert len(red.trace) == len(full.trace) == 4  # try, try, take, take
        assert red.figures.distinct < full.figures.distinct


SHIPPED = sorted(p for p in (ROOT / "specs").rglob("*.mnt") if "symmetric set" in p.read_text())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_check_has_the_same_verdict_reduced(path: Path) -> None:
    """Every check of a shipped spec with a symmetric set that is not `long` and explores
    at most 3,000 states unreduced: reduced and unreduced, the same outcome and the same
    counterexample length (and no more orbits than states)."""
    spec = load_text(path.read_text(), str(path))
    assert SHIPPED, "no shipped spec declares a symmetric set"
    small = Limits(max_states=3_000)
    compared = 0
    for chk in spec.checks:
        if chk.long or chk.expect.kind in (M.ExpectKind.PROVED, M.ExpectKind.CTI):
            continue
        m = spec.check_model(chk)
        cm = compile_model(m)  # one compilation, two searches
        full = search(cm, small, progress=None, fault_types=FAULTS)
        if full.kind == "incomplete":
            continue
        compared += 1
        sets = analyse(m).sets
        if not sets:  # one atom: nothing to permute
            continue
        red = search(cm, progress=None, fault_types=FAULTS, canonical=Canon(m, cm.layout, sets))
        (o_red, t_red), (o_full, t_full) = outcome(cm, red), outcome(cm, full)
        assert o_red.kind is o_full.kind, chk.name
        assert (t_red is None) == (t_full is None), chk.name
        if t_red is not None and t_full is not None:
            assert len(t_red) == len(t_full), chk.name
        assert red.distinct <= full.distinct, chk.name
    assert compared >= 1


# ---------------------------------------------------------------------------------------
# What breaks the symmetry


def refusal(text: str) -> str:
    m = load_text(text, "<t>").default
    r = reduced(m)
    return r.figures.symmetry


BASE = """
spec t
symmetric set P = {p1, p2}
var v: P -> 0..2
var who: P?
init { v = {p: 0 for p in P}  who = none }
"""


@pytest.mark.parametrize("extra,why", [
    ("action a(p in P) when p == p1 { v[p] := 1 }", "no symmetry for P: `p1` is named at 7:"),
    ("const first: P = p2\naction a(p in P) when p != first { v[p] := 1 }",
     "no symmetry for P: `p2` is named at 8:"),
    ("action a() { for p in P { if who == none { who := p } } }", "no symmetry for P: `p1` is named"),
    ("invariant i: who != p1", "no symmetry for P: `p1` is named at 7:"),
    ("invariant i: exists p in P: v[p] == 1 or 1 div v[p] == 0",
     "no symmetry for P: a quantifier over its atoms has a body that may fail"),
])
def test_what_breaks_the_symmetry_turns_the_reduction_off(extra: str, why: str) -> None:
    assert refusal(BASE + extra + "\n").startswith(why)


@pytest.mark.parametrize("extra", [
    "action a(p in P) when who == none and v[p] < 2 { v[p] := v[p] + 1  who := p }",
    "action a() when who == none { who := p1 }\n".replace("p1", "none"),
    "invariant i: {p in P where v[p] == 0} == P or who != none or exists p in P: v[p] > 0",
    "action a(p in P) when p in P and v[p] < 2 { v[p] := 2 }",
])
def test_symmetric_uses_keep_the_reduction(extra: str) -> None:
    assert refusal(BASE + extra + "\n") == "symmetry: P"


LINKED = """
spec t
symmetric set P = {p1, p2}
var v: P -> 0..2
var link: P -> P?
init { v = {p: 0 for p in P}  link = {p: none for p in P} }
action join(p in P, q in P) when p != q and link[p] == none { link[p] := q }
"""


@pytest.mark.parametrize("inv,kept", [
    ("forall p in P: link[p] != none and v[link[p]] == 0", True),
    ("forall p in P: link[p] == none or v[link[p]] == 0", True),
    ("forall p in P: not (link[p] == none) implies v[link[p]] == 0", True),
    ("forall p in P: (if link[p] != none then v[link[p]] else 0) == 0", True),
    ("forall p in P: v[link[p]] == 0", False),  # unguarded: fails where link[p] is none
    ("forall p in P: link[p] != none or v[link[p]] == 0", False),  # the wrong way round
    # the guard speaks of another p than the one the inner quantifier binds
    ("forall p in P: link[p] != none and (forall p in P: v[link[p]] == 0)", False),
])
def test_an_optional_value_known_not_to_be_none_cannot_fail(inv: str, kept: bool) -> None:
    got = refusal(LINKED + f"invariant i: {inv}\n")
    assert (got == "symmetry: P") is kept, got


def test_naming_atoms_in_init_keeps_the_reduction() -> None:
    text = BASE.replace("who = none", "who = p1") + \
        "action a(p in P) when v[p] < 2 { v[p] := v[p] + 1 }\n"
    m = load_text(text, "<t>").default
    assert reduced(m).figures.symmetry == "symmetry: P"
    assert reduced(m).figures.distinct == orbits(m)


def test_a_failing_quantifier_would_hide_an_error_if_reduced() -> None:
    """Why a quantifier whose body may fail turns the reduction off: after bump(p1),
    `exists` decides at p1 and never divides; its mirror image (bump(p2)) divides by zero
    at p1 first. Reduced anyway, the search would keep one of the two and say `holds`."""
    text = BASE + ("action bump(p in P) when v[p] == 0 and who == none { v[p] := 1  who := p }\n"
                   "invariant i: who == none or exists p in P: v[p] == 1 or 1 div v[p] == 0\n")
    m = load_text(text, "<t>").default
    r = reduced(m)
    assert r.outcome.kind is OutcomeKind.ERROR and r.trace is not None and len(r.trace) == 1
    assert "no symmetry for P" in r.figures.symmetry
    cm = compile_model(m)
    naive = search(cm, Limits(deadlock=False), progress=None, fault_types=FAULTS,
                   canonical=Canon(m, cm.layout, [t for t in m.sets if t.symmetric]))
    assert naive.kind == "holds"


# ---------------------------------------------------------------------------------------
# The command line


def explore(*args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "explorer", *args, "--format", "json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    checks = json.loads(out.stdout)["checks"]
    assert len(checks) == 1
    figures: dict[str, object] = checks[0]["figures"]
    return figures


def test_no_symmetry_and_the_reports(tmp_path: Path) -> None:
    spec = tmp_path / "lock.mnt"
    spec.write_text(LOCK.replace("BUGGY", "false"))
    on = explore(str(spec), "--engine", "bfs")
    off = explore(str(spec), "--engine", "bfs", "--no-symmetry")
    c = explore(str(spec), "--engine", "c")
    assert (on["distinct"], on["symmetry"]) == (7, "symmetry: Proc")
    assert off["distinct"] == 20 and "symmetry" not in off
    assert c["distinct"] == 7
    dot = tmp_path / "g.dot"
    subprocess.run([sys.executable, "-m", "explorer", str(spec), "--dump-states", str(dot),
                    "--quiet"], check=True, capture_output=True)
    assert "7 states (one per orbit of Proc), 18 transitions" in dot.read_text()


# ---------------------------------------------------------------------------------------
# The compiled engine: its own canonical form (search.c), the same orbits


needs_cc = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                              reason="no C compiler")
AGREE = {"lock": LOCK.replace("BUGGY", "false"), "lock_bug": LOCK.replace("BUGGY", "true"),
         "relation": RELATION, "mixed": MIXED}


@needs_cc
@pytest.mark.parametrize("name", sorted(AGREE))
def test_the_compiled_engine_reduces_to_the_same_figures_and_trace(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = tmp_path / f"{name}.mnt"
    spec.write_text(AGREE[name])
    py = report(spec, "bfs")
    assert all(c["figures"]["symmetry"].startswith("symmetry: ") for c in py.values())
    for workers in ("1", "2"):
        c = report(spec, "c", "--workers", workers)
        assert list(c) == list(py)
        for check in c:
            assert c[check]["figures"]["compiled"] is True
            assert comparable(c[check]) == comparable(py[check]), (workers, check)


@needs_cc
@pytest.mark.parametrize("name", ["lock_bug", "mixed", "relation"])
def test_the_compiled_canonical_form_is_clean_under_sanitizers(name: str, tmp_path: Path) -> None:
    model = load_text(AGREE[name], f"{name}.mnt").default
    exe = sanitized(generate(model, compile_model(model), analyse(model).sets), tmp_path)
    for workers in ("1", "2"):
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                             env={**os.environ, "MX_WORKERS": workers})
        assert run.returncode == 0 and run.stderr == "", run.stderr[-3000:]
        _status, _at, distinct, generated, _depth, _queue = map(int, run.stdout.split()[:6])
        r = reduced(model)
        assert (distinct, generated) == (r.figures.distinct, r.figures.generated)


# ---------------------------------------------------------------------------------------
# Metamorphic: the order atoms are declared in is not part of the model

ORDERED = LOCK.replace("param N: 1..5 = 3\n", "").replace(
    "p[1..N]", "{p1, p2, p3, p4}").replace("owner = none", "owner = p3").replace(
    "pc = {p: IDLE for p in Proc}", "pc = {p: (if p == p3 then CRIT else IDLE) for p in Proc}")


@pytest.mark.parametrize("text", [MIXED, ORDERED.replace("BUGGY", "false"),
                                  ORDERED.replace("BUGGY", "true")], ids=["mixed", "lock", "bug"])
def test_permuting_the_declared_atoms_changes_no_figure(text: str) -> None:
    """Each symmetric set's atoms declared in every order (a rotation and a swap of each):
    the same figures, outcome and counterexample length, reduced and unreduced."""
    def run(t: str, symmetry: bool) -> tuple[object, ...]:
        r = reduced(load_text(t, "<t>").default, symmetry=symmetry)
        f = r.figures
        return (r.outcome.kind, f.distinct, f.generated, f.depth, f.symmetry,
                None if r.trace is None else len(r.trace))

    decls = [line for line in text.splitlines() if line.startswith("symmetric set ")]
    assert decls
    for symmetry in (True, False):
        base = run(text, symmetry)
        for line in decls:
            head, _, body = line.partition("{")
            atoms = body.rstrip("}").split(", ")
            for order in (atoms[1:] + atoms[:1], [atoms[1], atoms[0], *atoms[2:]]):
                other = text.replace(line, head + "{" + ", ".join(order) + "}")
                assert run(other, symmetry) == base, (line, order, symmetry)


# ---------------------------------------------------------------------------------------
# Random specs: their set declared symmetric

REDUCED_RANDOM: list[bool] = []


@on_random_specs(150)
def test_random_specs_have_the_same_verdicts_reduced(text: str) -> None:
    """test_engine_agreement's random specs with `set A` declared symmetric (those that
    still type-check: ordering A's atoms is an error then): the reduced search finds a
    counterexample exactly when the full one does, of the same length. Most name an atom
    outside `init`, and are not reduced (checked too: the figures are then the same)."""
    try:
        m = load_text(text.replace("\nset A = ", "\nsymmetric set A = "), "<t>").default
    except SpecError:
        assume(False)
        return
    small = Limits(max_states=3000)
    red = check_model(m, small, progress=None)
    full = check_model(m, small, progress=None, symmetry=False)
    kinds = {red.outcome.kind, full.outcome.kind}
    assume(OutcomeKind.INCOMPLETE not in kinds)
    assert red.outcome.kind is full.outcome.kind, text
    assert (red.trace is None) == (full.trace is None)
    if red.trace is not None and full.trace is not None:
        assert len(red.trace) == len(full.trace), text
    if red.figures.symmetry.startswith("symmetry: "):
        REDUCED_RANDOM.append(red.figures.distinct < full.figures.distinct)
    else:
        assert (red.figures.distinct, red.figures.generated) == \
            (full.figures.distinct, full.figures.generated)


def test_some_random_specs_were_reduced() -> None:
    """The property above is not vacuous: it met random specs the reduction applied to,
    some of them with fewer states (run after it, in the same process; alone, it runs the
    property first)."""
    if not REDUCED_RANDOM:
        test_random_specs_have_the_same_verdicts_reduced()
    assert len(REDUCED_RANDOM) >= 5 and any(REDUCED_RANDOM), REDUCED_RANDOM
