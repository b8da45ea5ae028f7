"""Counterexample diagrams and the committed artefacts in counterexamples/.

- Freshness: `explore render specs/ --out DIR` in a fresh process writes exactly the text,
  JSON, ITF and DOT files committed under counterexamples/, byte for byte (SVG and PNG are
  views of the DOT and are only required to exist).
- The filmstrip: one table per state, what changed highlighted, the action on each edge,
  what went wrong on the last state or on the failing step, a CTI's first state labelled.
- Without Graphviz's `dot`, the DOT is still written and the command says why the views
  are missing.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.explicit.run import check_model
from explorer.lang.load import load_spec
from explorer.reports import diagram
from explorer.symbolic.induction import check_prove

ROOT = Path(__file__).resolve().parent.parent
CX = ROOT / "counterexamples"
COMPARED = (".txt", ".json", ".dot")  # .itf.json ends in .json


def _files(root: Path, suffixes: tuple[str, ...]) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.suffix in suffixes}


def test_committed_counterexamples_are_what_explore_renders(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "explorer", "render", "specs", "--out",
                        str(tmp_path), "--no-views"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    fresh, committed = _files(tmp_path, COMPARED), _files(CX, COMPARED)
    hint = "regenerate with `explore render specs/ --out counterexamples/`"
    assert fresh == committed, f"missing or stale files ({hint}): {sorted(fresh ^ committed)}"
    stale = [str(p) for p in sorted(fresh)
             if (tmp_path / p).read_bytes() != (CX / p).read_bytes()]
    assert not stale, f"out of date ({hint}): {stale}"
    for dot in sorted(p for p in committed if p.suffix == ".dot"):
        assert (CX / dot).with_suffix(".svg").exists() and (CX / dot).with_suffix(".png").exists()


def _bfs(spec: str, check: str) -> tuple:
    s = load_spec(str(ROOT / spec))
    r = check_model(s.check_model(next(c for c in s.checks if c.name == check)), progress=None)
    assert r.trace is not None
    return r.trace, r.outcome


def test_the_filmstrip_highlights_changes_and_names_the_violation() -> None:
    trace, outcome = _bfs("specs/examples/mutex.mnt", "buggy")
    dot = diagram.trace_dot(trace, outcome, "mutex: buggy")
    assert dot.count("[label=<<table") == len(trace.states) == 5
    assert "State 0 (initial)" in dot and "State 4" in dot
    # step 1 changes pc alone: one highlighted row in state 1
    s1 = next(ln for ln in dot.splitlines() if ln.startswith("  s1 "))
    assert s1.count(diagram.CHANGED_BG) == 2 and "<b>pc</b>" in s1
    assert 's0 -> s1 [label="1. request(p = p1)"]' in dot
    s4 = next(ln for ln in dot.splitlines() if ln.startswith("  s4 "))
    assert "violates mutual_exclusion" in s4 and diagram.BAD in s4
    assert diagram.trace_dot(trace, outcome, "mutex: buggy") == dot  # deterministic


def test_a_failing_step_gets_its_own_box_and_a_cti_its_label() -> None:
    trace, outcome = _bfs("specs/examples/prodcons.mnt", "overflow")
    dot = diagram.trace_dot(trace, outcome, "prodcons: overflow")
    assert "fail [label=<" in dot and "runtime error E3003" in dot
    assert 's2 -> fail [label="3. produce(v = 0)"' in dot
    s = load_spec(str(ROOT / "specs/examples/mutex.mnt"))
    c = next(c for c in s.checks if c.name == "fixed_not_inductive")
    r = check_prove(s.check_model(c), progress=None)
    assert r.trace is not None
    cti = diagram.trace_dot(r.trace, r.outcome, "mutex: cti")
    assert "State 0 (any state where every invariant holds)" in cti
    assert "violates mutual_exclusion" in cti


def test_without_dot_the_dot_files_are_written_and_the_reason_given(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import graphviz

    def missing(*a: object, **k: object) -> bytes:
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", str(ROOT / "specs/examples/prodcons.mnt"), "--out", str(tmp_path)],
                stdout=out, stderr=err) == 0
    assert sorted(p.name for p in (tmp_path / "prodcons").iterdir()) == [
        "batched.dot", "batched.itf.json", "batched.json", "batched.txt",
        "overflow.dot", "overflow.itf.json", "overflow.json", "overflow.txt"]
    assert err.getvalue().count("Graphviz's `dot` is not installed") == 1


def test_dump_states_draws_the_whole_reachable_graph(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    dot = tmp_path / "g.dot"
    spec = str(ROOT / "specs/examples/mutex.mnt")
    assert main([spec, "--check", "fixed", "--dump-states", str(dot), "-q"], stdout=out,
                stderr=err) == 0
    text = dot.read_text()
    s = load_spec(spec)
    bfs = check_model(s.check_model(next(c for c in s.checks if c.name == "fixed")),
                      progress=None)
    nodes = [ln for ln in text.splitlines() if ln.startswith("  s") and "->" not in ln]
    edges = [ln for ln in text.splitlines() if "->" in ln]
    # the same graph the search explores: its distinct states, and one edge per successor
    assert len(nodes) == bfs.figures.distinct == 20
    initial = sum("penwidth=2.5" in n for n in nodes)
    assert initial == 2  # turn starts at either process
    assert len(edges) + initial == bfs.figures.generated  # generated counts initial states
    if diagram_available():
        assert diagram.render_dot(text, "svg").startswith(b"<?xml")


def test_dump_states_marks_violations_and_refuses_big_graphs(tmp_path: Path) -> None:
    err = io.StringIO()
    dot = tmp_path / "g.dot"
    assert main([str(ROOT / "specs/examples/mutex.mnt"), "--check", "buggy", "--dump-states",
                 str(dot), "-q"], stdout=io.StringIO(), stderr=err) == 0
    assert "violates mutual_exclusion" in dot.read_text()
    assert main([str(ROOT / "specs/detached_trees.mnt"), "--check", "v5_2", "--dump-states",
                 str(dot), "-q"], stdout=io.StringIO(), stderr=err) == 2
    assert "more than 2,000 states" in err.getvalue()
    assert main([str(ROOT / "specs/examples/mutex.mnt"), "--dump-states", str(dot)],
                stdout=io.StringIO(), stderr=err) == 2  # several checks: which one?


def diagram_available() -> bool:
    import shutil
    return shutil.which("dot") is not None
