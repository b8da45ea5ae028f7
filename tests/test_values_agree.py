"""The newer values and statements in every engine: `**`, sequence `+`, function
literals, `any`, `argmin`/`argmax`, sets of records, sequences and functions. Each spec
plants a violation at a depth worked out by hand; the explicit engines (Python, and C
where it compiles) and bounded model checking must report it at that depth, and the
interpreter replays each trace (engine.finish). The per-state agreement of the generated
code with the interpreter is test_engine_agreement.py's."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from explorer.cli import main

HAS_CC = shutil.which("cc") is not None or shutil.which("gcc") is not None
ENGINES = ["bfs", "c", "bmc"] if HAS_CC else ["bfs", "bmc"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


PLANTED = {
    # 3 ** 2 is reached after two increments (e = 0, 1, 2): r = 9 > 8
    "power": ("""spec power
var e: 0..3
var r: 0..27
init { e = 0  r = 1 }
action inc when e < 3 { e := e + 1  r := 3 ** e }
invariant small: r <= 8
""", "violation small", 2),
    # [x] + q + [x] twice: the third append would need 6 > 5 slots; 4 elements after two
    "concat": ("""spec concat
var q: seq[5] 0..1
init { q = [] }
action wrap(x in 0..1) { q := [x] + q + [x] }
invariant short: len(q) < 4
""", "violation short", 2),
    # the literal rotates the function; {p1: 2, ...} comes back after three rotations
    "literal": ("""spec literal
set P = {p1, p2, p3}
var f: P -> 0..2
var n: 0..3
init { f = {p1: 0, p2: 1, p3: 2}  n = 0 }
action rot when n < 3 { f := {p1: f[p2], p2: f[p3], p3: f[p1]}  n := n + 1 }
invariant never_back: n == 0 or f != {p1: 0, p2: 1, p3: 2}
""", "violation never_back", 3),
    # picking from a set of records: a message from p2 is taken after it is sent (2 steps)
    "records": ("""spec records
set P = {p1, p2}
enum K = {req, ack}
var msgs: set {kind: K, from: P}
var got: {kind: K, from: P}?
init { msgs = {{kind: req, from: p1}}  got = none }
action send(p in P) { msgs := msgs union {{kind: ack, from: p}} }
action take when got == none { any m in msgs { got := m  msgs := msgs minus {m} } }
invariant not_p2: got == none or got.from != p2
""", "violation not_p2", 2),
    # argmin follows the weights: m2 becomes the lightest after m1 grows twice
    "argmin": ("""spec argmins
set M = {m1, m2}
var w: M -> 0..3
var light: M?
init { w = {m1: 0, m2: 1}  light = none }
action grow when w[m1] < 3 { w[m1] := w[m1] + 1  light := argmin m in M: w[m] }
action heavy { light := argmax m in M: w[m] }
invariant m1_light: light != m2
""", "violation m1_light", 1),
    # a set of sequences: {[]}, then {[], [b]}, then four ([b'] and [b, b'] join), then 5+
    "sets_of_seqs": ("""spec seqs
var logs: set seq[2] 0..1
init { logs = {[]} }
action grow(b in 0..1) { logs := logs union {append(l, b) for l in {x in logs where len(x) < 2}} }
invariant few: len(logs) < 5
""", "violation few", 3),
    # a function over records: p1 and p2 both vote yes in two steps
    "domains": ("""spec domains
set P = {p1, p2}
var votes: {from: P, yes: bool} -> 0..1
init { votes = {v: 0 for v in {{from: p1, yes: false}, {from: p1, yes: true},
                               {from: p2, yes: false}, {from: p2, yes: true}}} }
action vote(p in P, b in bool) { votes[{from: p, yes: b}] := 1 }
invariant not_both: votes[{from: p1, yes: true}] + votes[{from: p2, yes: true}] < 2
""", "violation not_both", 2),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_every_engine_finds_the_planted_violation(tmp_path: Path, name: str,
                                                  engine: str) -> None:
    text, kind, k = PLANTED[name]
    spec = tmp_path / "t.mnt"
    spec.write_text(text + f"check c ignoring deadlock: expect {kind} in {k} steps\n")
    out = io.StringIO()
    code = main([str(spec), "--format", "json", "--engine", engine, "--depth", "5"],
                stdout=out, stderr=io.StringIO())
    check = json.loads(out.getvalue())["checks"][0]
    assert code == 0 and check["as_expected"], check["why"]
    assert check["outcome"]["steps"] == k


def test_no_symmetry_reduction_through_compound_values(tmp_path: Path) -> None:
    """The canonical form permutes the bits of scalar sets only: a symmetric set whose atoms
    sit in a set of records (or a function over them) is not reduced by, so the figures
    are those of the full search (a wrong reduction would lose states, and could hide a
    violation)."""
    spec = tmp_path / "t.mnt"
    spec.write_text("""spec sym
symmetric set P = {p1, p2, p3}
var msgs: set {from: P, n: 0..1}
init { msgs = {} }
action send(p in P, n in 0..1) { msgs := msgs union {{from: p, n: n}} }
invariant any_size: len(msgs) <= 6
check c ignoring deadlock: expect holds
""")
    figures = []
    for flags in ([], ["--no-symmetry"]):
        out = io.StringIO()
        assert main([str(spec), "--format", "json", *flags], stdout=out,
                    stderr=io.StringIO()) == 0
        figures.append(json.loads(out.getvalue())["checks"][0]["figures"])
    assert figures[0]["distinct"] == figures[1]["distinct"] == 2 ** 6
    assert "no symmetry for P: `msgs` holds sets of" in figures[0]["symmetry"]
