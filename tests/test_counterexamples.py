"""Counterexample diagrams and the committed artefacts in counterexamples/.

- Freshness: `explore render specs/ --out DIR` in a fresh process writes exactly the text,
  JSON, ITF and DOT files committed under counterexamples/, byte for byte (SVG and PNG are
  views of the DOT and are only required to exist), and each folder's manifest lists its
  files.
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
from loaded import loaded

from explorer.cli import main
from explorer.explicit.run import check_model
from explorer.lang.load import load_spec
from explorer.outdir import MANIFEST, MANIFEST_HEADER
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
    # each folder's manifest lists exactly its files (so a later render deletes a stale one
    # and nothing else), and what the render lists, views aside
    folders = sorted(p.name for p in CX.iterdir())
    assert folders == sorted(p.name for p in tmp_path.iterdir())
    for name in folders:
        listed = _manifest(CX / name)
        assert listed == sorted(p.name for p in (CX / name).iterdir() if p.name != MANIFEST), \
            f"counterexamples/{name}/{MANIFEST} does not list that folder's files ({hint})"
        assert [n for n in listed if not n.endswith((".svg", ".png"))] == \
            _manifest(tmp_path / name), f"counterexamples/{name}/{MANIFEST} is stale ({hint})"


def _manifest(folder: Path) -> list[str]:
    lines = (folder / MANIFEST).read_text(encoding="utf-8").splitlines()
    assert lines[0] == MANIFEST_HEADER.rstrip("\n")
    return lines[1:]


def _bfs(spec: str, check: str) -> tuple:
    s = loaded(ROOT / spec)
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
    s = loaded(ROOT / "specs/examples/mutex.mnt")
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
        MANIFEST, "batched.dot", "batched.itf.json", "batched.json", "batched.txt",
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
    # v6_17: 6,812 states up to renaming tasks and files, 12,328 without
    assert main([str(ROOT / "specs/detached_trees.mnt"), "--check", "v6_17", "--dump-states",
                 str(dot), "-q"], stdout=io.StringIO(), stderr=err) == 2
    assert "more than 2,000 states" in err.getvalue()
    assert main([str(ROOT / "specs/examples/mutex.mnt"), "--dump-states", str(dot)],
                stdout=io.StringIO(), stderr=err) == 2  # several checks: which one?


def diagram_available() -> bool:
    import shutil
    return shutil.which("dot") is not None


# ---------------------------------------------------------------------------------------
# Drawings from a `render` section (detached_trees.mnt has one)

def _drawn(check: str) -> tuple:
    from explorer.drawing import Drawer
    s = loaded(ROOT / "specs/detached_trees.mnt")
    model = s.check_model(next(c for c in s.checks if c.name == check))
    r = check_model(model, progress=None)
    assert r.trace is not None
    return Drawer(model), r


def test_render_section_draws_mounts_under_their_parents() -> None:
    dr, r = _drawn("close_then_mount")
    last = dr.draw(r.trace.states[-1])
    by_key = {n.key: n for n in last.nodes}
    # the bug state: m2, still UMOUNT (dashed), hangs under the root m1 in the real namespace
    assert set(by_key) == {"Mount.m1", "Mount.m2", "Task.t1"}
    m2 = by_key["Mount.m2"]
    assert m2.lines[:3] == ("m2", "count: 1", "flags: {UMOUNT}") and "dashed" in m2.styles
    assert m2.group == by_key["Mount.m1"].group == "mnt_ns REAL"
    assert ("Mount.m2", "Mount.m1", "parent") in {(e.src, e.dst, e.label) for e in last.edges}
    assert ("Task.t1", "Mount.m2", "cwd") in {(e.src, e.dst, e.label) for e in last.edges}
    # I-T2-1 is about m2 alone
    assert dr.about("I_T2_1", r.trace.states[-1]) == {"Mount.m2"}
    # the initial state: the root and the task; no file is open
    first = dr.draw(r.trace.states[0])
    assert [n.key for n in first.nodes] == ["Mount.m1", "Task.t1"]


def test_the_rendered_filmstrip_marks_changes_and_the_culprit() -> None:
    from explorer.drawing import Drawer
    dr, r = _drawn("close_then_mount")
    assert isinstance(dr, Drawer) and r.trace is not None
    drawings = [dr.draw(st) for st in r.trace.states]
    dot = diagram.filmstrip_dot(r.trace, r.outcome, "t", drawings, {"Mount.m2"})
    assert dot.count("subgraph cluster_s") - dot.count("subgraph cluster_s0_g") >= 7
    assert "violates I_T2_1" in dot
    culprit = next(ln for ln in dot.splitlines() if ln.strip().startswith("s6_n")
                   and "<b>m2</b>" in ln)
    assert diagram.BAD in culprit and "dashed" in culprit
    # the parent edge is new in the last state: orange; the clone's m2 is new in state 1
    assert any(ln.strip().startswith("s6_n") and "parent" in ln and diagram.CHANGED_EDGE in ln
               for ln in dot.splitlines())
    assert any(ln.strip().startswith("s1_n") and "<b>m2</b>" in ln and diagram.CHANGED_BG in ln
               for ln in dot.splitlines())
    assert 's0_top -> s1_top [label="1. open_tree_clone(t = t1, src = m1, c = m2, g = f1)"' in dot


def test_render_draws_integers_and_fixed_lines() -> None:
    from explorer.drawing import Drawer
    s = loaded(ROOT / "specs/mountinfo_cursor.mnt")
    model = s.check_model(next(c for c in s.checks if c.name == "v0_skip"))
    r = check_model(model, progress=None)
    assert r.trace is not None
    dr = Drawer(model)
    last = dr.draw(r.trace.states[-1])
    nodes = {n.key: n for n in last.nodes}
    # B1: uid 1 unmounted after it was shown (dashed), uid 2 never shown, the reader at EOF
    assert set(nodes) == {"int.0", "int.1", "int.2", "Reader.reader"}
    assert "dashed" in nodes["int.1"].styles
    assert nodes["int.2"].lines[-1] == "never shown: skipped" and "red" in nodes["int.2"].styles
    assert nodes["Reader.reader"].lines == ("the reader", "position: 2", "bytes buffered: 0",
                                            "at EOF")
    assert {(e.src, e.dst) for e in last.edges} == {("int.2", "int.0")}  # 1 is gone
    assert dr.about("I_T1_1", r.trace.states[-1]) == {"int.2"}


def test_a_drawing_graphviz_cannot_route_is_laid_out_with_straight_edges(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Graphviz's spline router sometimes fails on a filmstrip ("triangulation failed"):
    the view is laid out again with straight edges; if that fails too, DotFailed (which
    `explore render` reports for that drawing alone), never an internal error."""
    import graphviz
    calls: list[str] = []

    def pipe(self: graphviz.Source, format: str, quiet: bool = False) -> bytes:
        calls.append(self.source)
        if "splines=line" not in self.source or "fails anyway" in self.source:
            raise graphviz.CalledProcessError(1, ["dot"], stderr=b"Error: lost s5_top s6_top edge\n")
        return b"<svg/>"

    monkeypatch.setattr(graphviz.Source, "pipe", pipe)
    assert diagram.render_dot("digraph trace {\n  a -> b;\n}\n", "svg") == b"<svg/>"
    assert calls[1] == "digraph trace {\n  splines=line;\n  a -> b;\n}\n"
    with pytest.raises(diagram.DotFailed, match="lost s5_top s6_top edge"):
        diagram.render_dot("digraph trace {\n  fails anyway;\n}\n", "svg")
