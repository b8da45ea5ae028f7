"""The compiled engine (`--engine c`, explorer/native) against the Python engine: the same
outcome, figures, coverage and trace, with one worker and with two, for every check of the
examples and of exec_files, and for checks of each kind in the other showcase specs; the
fallback to the Python engine for what it cannot compile; the C source built without spec
text; the cache that trusts only what it built; the generated code under sanitizers."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, event
from test_engine_agreement import _load_random, on_random_specs

from explorer.budget import Budget, Limits
from explorer.cli import main
from explorer.engine import Options
from explorer.explicit.compile import compile_model
from explorer.explicit.run import check_model
from explorer.lang.load import load_text
from explorer.native import build
from explorer.native.engine import STOP_CAPACITY, check_native, generate
from explorer.symmetry import analyse

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                reason="no C compiler")


def report(spec: Path, engine: str, *args: str) -> dict[str, dict[str, Any]]:
    out = io.StringIO()
    main([str(spec), "--format", "json", "--engine", engine, *args], stdout=out,
         stderr=io.StringIO())
    return {c["check"]: c for c in json.loads(out.getvalue())["checks"]}


def comparable(c: dict[str, Any]) -> dict[str, Any]:
    f = {k: v for k, v in c["figures"].items()
         if k not in ("elapsed", "states_per_second", "compiled")}
    return {"outcome": c["outcome"], "figures": f, "coverage": c["coverage"],
            "trace": c.get("trace"), "as_expected": c["as_expected"]}


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.mark.parametrize("spec", ["examples/mutex", "examples/prodcons", "examples/scalable",
                                  "examples/lamport_mutex", "exec_files", "examples/two_phase",
                                  "examples/fifo_channel", "examples/two_task_syscall"])
def test_every_check_agrees_with_the_python_engine(spec: str) -> None:
    path = ROOT / "specs" / f"{spec}.mnt"
    py = report(path, "bfs", "--skip-long")
    for workers in ("1", "2"):
        c = report(path, "c", "--skip-long", "--workers", workers)
        assert list(c) == list(py)
        for name in c:
            assert c[name]["figures"]["compiled"] is True, name
            assert comparable(c[name]) == comparable(py[name]), (workers, name)


# one check of each kind: holds, violation, assertion or runtime error, deadlock
SAMPLED = {
    "detached_trees": ["both_fixes", "close_then_mount", "mount_then_close", "v6_15",
                       "v6_17_pipefs"],
    "mountinfo_cursor": ["v0_skip", "v1p_reuse", "v1_proved"],
    "deferred_release": ["plain_busy", "s1_complete", "own_close_wait"],
}


@pytest.mark.parametrize("spec, check", [(s, c) for s, cs in SAMPLED.items() for c in cs])
def test_showcase_checks_agree_with_the_python_engine(spec: str, check: str) -> None:
    path = ROOT / "specs" / f"{spec}.mnt"
    py = report(path, "bfs", "--check", check)[check]
    for workers in ("1", "2"):
        c = report(path, "c", "--check", check, "--workers", workers)[check]
        assert c["figures"]["compiled"] is True
        assert comparable(c) == comparable(py), workers


FAULTS = """spec faults
param which: 0..4 = 0
var x: 0..3
var q: seq[2] 0..3
var f: 0..3 -> 0..3
init { x = 0  q = []  f = {i: 0 for i in 0..3} }
action step {
  if which == 3 { require x < 2 }
  x := x + 1
  q := append(q, x)
  if which == 1 { f[x] := x + 2 }
  if which == 2 { assert ok: len(q) < 2 }
}
invariant small: which != 0 or x < 2
check e0 with which = 0: expect violation small in 2 steps
check e4 with which = 4: expect error in 3 steps
check e1 with which = 1: expect error in 2 steps
check e2 with which = 2: expect assertion ok in 2 steps
check e3 with which = 3: expect deadlock in 2 steps
"""


def test_runtime_errors_are_the_python_engines(tmp_path: Path) -> None:
    """Runtime errors (a store that does not fit, an append to a full sequence), a failed
    assertion, a deadlock and a violation: found at the same
    step, with the same code and message, as the Python engine finds them."""
    spec = tmp_path / "faults.mnt"
    spec.write_text(FAULTS)
    py = report(spec, "bfs")
    for workers in ("1", "2"):
        c = report(spec, "c", "--workers", workers)
        for name in ("e0", "e1", "e2", "e3", "e4"):
            assert c[name]["figures"]["compiled"] is True
            assert comparable(c[name]) == comparable(py[name]), (workers, name)


SEQUENCES = """spec seqops
var q: seq[4] 0..3
var r: seq[3] 0..3
var k: 0..3
init { q = []  r = [2]  k = 0 }
action ins(i in 0..3, x in 0..3) when len(q) < 4 and i <= len(q) { q := insert(q, i, x) }
action rem(x in 0..3) { q := remove(q, x) }
action idx(x in 0..3) when len(q) > 1 and q[1] == x { k := index(q, x) }
action mix when len(r) < 3 { r := remove(insert(r, 0, 3), 2) }
action grow when len(r) < 3 { r := insert(r, len(r), k) }
invariant small: len(q) <= 4
check all: expect holds
"""


def test_sequence_operations_agree(tmp_path: Path) -> None:
    """insert, remove and index, element by element on packed bits: the same 12,276
    states, figures and coverage as the Python engine."""
    spec = tmp_path / "seqops.mnt"
    spec.write_text(SEQUENCES)
    c, py = report(spec, "c"), report(spec, "bfs")
    assert c["all"]["figures"]["compiled"] is True
    assert comparable(c["all"]) == comparable(py["all"])
    assert py["all"]["figures"]["distinct"] == 12_276


def test_what_it_cannot_compile_runs_on_the_python_engine(tmp_path: Path) -> None:
    spec = tmp_path / "wide.mnt"
    spec.write_text("spec wide\nvar f: 0..9 -> 0..255\nvar n: 0..2\n"
                    "init { f = {i: 0 for i in 0..9}  n = 0 }\n"
                    "action reset when n < 2 { f := {i: n for i in 0..9}  n := n + 1 }\n"
                    "check all: expect deadlock in 2 steps\n")
    out, err = io.StringIO(), io.StringIO()
    main([str(spec), "--engine", "c"], stdout=out, stderr=err)
    assert ("explicit search: no C for a value of type 0..9 -> 0..255 used whole is wider "
            "than 64 bits; it runs in Python") in err.getvalue()
    assert "PASS all" in out.getvalue()


def test_the_c_source_holds_no_spec_text() -> None:
    text = (ROOT / "specs" / "examples" / "mutex.mnt").read_text()
    hostile = text.replace("spec mutex", "spec mutex\n/// */ #include </etc/passwd>")
    for old, new in (("Proc", "system_x"), ("critical", "exit_y"), ("pc", "main_z")):
        hostile = hostile.replace(old, new)
    spec = load_text(hostile, "hostile.mnt")
    model = spec.model({})
    source = generate(model, compile_model(model))
    for word in ("system_x", "exit_y", "main_z", "passwd", "*/"):
        assert word not in source


def test_a_corrupt_or_foreign_cache_entry_is_rebuilt() -> None:
    spec = load_text((ROOT / "specs" / "examples" / "mutex.mnt").read_text(), "m.mnt")
    model = spec.model({})
    source = generate(model, compile_model(model))
    lib = build.build(source)
    good = lib.read_bytes()
    assert stat.S_IMODE(lib.parent.stat().st_mode) == 0o700
    lib.write_bytes(b"not a library")  # corrupt: the recorded hash no longer matches
    again = build.build(source)
    assert again.read_bytes() == good
    assert build.cached(source) == again
    os.chmod(again, 0o777)  # writable by others: not trusted, so built again
    assert build.cached(source) is None
    rebuilt = build.build(source)
    assert rebuilt == again and stat.S_IMODE(rebuilt.stat().st_mode) == 0o700
    assert rebuilt.read_bytes() == good
    assert build.load(rebuilt).mx_words() >= 1


def sanitized(source: str, folder: Path) -> Path:
    """A model's C source built standalone (MX_MAIN) with AddressSanitizer and
    UndefinedBehaviorSanitizer, any report aborting, and warnings as errors."""
    (folder / "model.c").write_text(source)
    for name in ("search.h", "search.c"):
        (folder / name).write_text(build._runtime(name))
    exe = folder / "model"
    subprocess.run([build.compiler(), "-O1", "-g", "-DMX_MAIN", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-fno-omit-frame-pointer", *build.SPEC_WARNINGS, "-o", str(exe),
                    str(folder / "model.c")],
                   check=True, capture_output=True, timeout=300)
    return exe


SANITIZED = [("examples/mutex", "buggy"), ("examples/prodcons", "overflow"),
             ("examples/prodcons", "batched"), ("examples/scalable", "tiny"),
             ("examples/lamport_mutex", "three"),
             ("detached_trees", "mount_then_close"), ("mountinfo_cursor", "v1p_reuse"),
             ("deferred_release", "s1_complete"), ("examples/abp", "two"),
             ("examples/ewd840", "three"), ("examples/two_phase", "three"),
             ("examples/fifo_channel", "small_instance"),
             ("examples/two_task_syscall", "without_lock"),
             ("examples/two_task_syscall", "with_lock")]


@pytest.mark.parametrize("spec, check", SANITIZED)
def test_generated_code_is_clean_under_sanitizers(spec: str, check: str,
                                                  tmp_path: Path) -> None:
    """The generated C and the search, built with AddressSanitizer and
    UndefinedBehaviorSanitizer (any report aborts) and run standalone: the same figures
    as the Python engine."""
    loaded = load_text((ROOT / "specs" / f"{spec}.mnt").read_text(), f"{spec}.mnt")
    chk = next(c for c in loaded.checks if c.name == check)
    model = loaded.check_model(chk)
    # reduced by its symmetric sets, as the Python engine it is compared with
    exe = sanitized(generate(model, compile_model(model), analyse(model).sets), tmp_path)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    status, _at, distinct, generated, depth, _queue = map(int, run.stdout.split()[:6])
    py = report(ROOT / "specs" / f"{spec}.mnt", "bfs", "--check", check)[check]
    f = py["figures"]
    assert (distinct, generated, depth) == (f["distinct"], f["generated"], f["depth"])
    kinds = {"holds": 0, "violation": 1, "deadlock": 2, "error": 3, "assertion": 3}
    assert status == kinds[py["outcome"]["kind"]]
    assert run.stderr == ""
    two = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "MX_WORKERS": "2"})
    assert (two.returncode, two.stderr) == (0, "")
    # the figures agree; so does the edge list of a complete search (a search stopped at a
    # violation keeps the edges its workers had recorded by then, in their order, and
    # nothing reads them)
    lines = 2 if status else None
    assert two.stdout.splitlines()[:lines] == run.stdout.splitlines()[:lines]
    if model.properties and "liveness" in f:  # a complete search: as many edges as the Python
        # search's, and fairness instances numbered
        edges = run.stdout.split("\n")[2].split()
        assert edges[0] == "edges"
        assert f"over {int(edges[1]):,} transitions" in f["liveness"]
        assert int(edges[3]) > 0


GRID = """spec grid
var a: 0..1000
var b: 0..1000
init { a = 0  b = 0 }
action inc_a when a < 1000 { a := a + 1 }
action inc_b when b < 1000 { b := b + 1 }
terminal when a == 1000 and b == 1000
check all: expect holds
"""


def test_a_million_states_against_their_closed_form(tmp_path: Path) -> None:
    """Over 10^6 states, with 1 and 2 workers: every (a, b) of 0..1000 is reached, a + b
    steps deep; every state but those with a or b at 1000 has two successors."""
    spec = tmp_path / "grid.mnt"
    spec.write_text(GRID)
    for workers in ("1", "2"):
        f = report(spec, "c", "--workers", workers)["all"]["figures"]
        assert f["compiled"] is True
        assert (f["distinct"], f["generated"], f["depth"]) == (1001**2, 1 + 2 * 1000 * 1001,
                                                               2000)


def test_the_state_numbers_capacity_stops_the_search(tmp_path: Path) -> None:
    """Past the states an int32 parent link can number, the search stops (incomplete),
    with one worker and two: built here with a capacity of 1000 states to reach it."""
    loaded = load_text((ROOT / "specs" / "examples" / "scalable.mnt").read_text(), "s.mnt")
    model = loaded.check_model(next(c for c in loaded.checks if c.name == "safe"))
    (tmp_path / "model.c").write_text(generate(model, compile_model(model)))
    for name in ("search.h", "search.c"):
        (tmp_path / name).write_text(build._runtime(name))
    exe = tmp_path / "model"
    subprocess.run([build.compiler(), "-O1", "-DMX_MAIN", "-DCAPACITY=1000", "-Wall",
                    "-Wextra", "-Werror", *build.SPEC_WARNINGS, "-o", str(exe),
                    str(tmp_path / "model.c")], check=True, capture_output=True, timeout=300)
    for workers in ("1", "2"):
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                             env={**os.environ, "MX_WORKERS": workers})
        status, _at, distinct = map(int, run.stdout.split()[:3])
        assert (status, distinct) == (STOP_CAPACITY, 1000)


@on_random_specs(30)
def test_random_specs_agree_with_the_python_engine(text: str) -> None:
    """Hypothesis-generated specs covering every construct (the generator of
    test_engine_agreement): with one worker and with two, the compiled search finds what
    the Python search finds, with the same figures, coverage and trace (each trace is
    replayed by the interpreter in both)."""
    model = _load_random(text)
    assume(model is not None)
    assert model is not None
    limits = Limits(max_states=3000)
    py = check_model(model, limits, None)
    for workers in (1, 2):
        c = check_native(model, Options(limits, workers=workers), None, Budget(limits))
        event(f"compiled: {c.figures.compiled}")
        assert (c.outcome, c.trace, c.coverage) == (py.outcome, py.trace, py.coverage), text
        f, g = c.figures, py.figures
        assert (f.distinct, f.generated, f.depth, f.complete, f.queue) == \
            (g.distinct, g.generated, g.depth, g.complete, g.queue), text
