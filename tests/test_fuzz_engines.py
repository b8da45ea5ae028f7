"""The engine fuzzer (tests/fuzz/fuzz_engines.py, run by hand outside CI) finds what it is
for: a few generated and mutated specs go through every engine with no failure, and a
planted disagreement, internal error, crash and hang are each reported, and shrunk.

The plants replace an engine in this process; the fuzzer's runs are forked from it, so
they run the planted engine through the real command.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "fuzz"))

import fuzz_engines as fe  # noqa: E402
import fuzz_sources as src  # noqa: E402

from explorer.results import Figures, Outcome, Result  # noqa: E402

# a violation of `small` in 2 steps, and declarations that play no part in it
SPEC = """spec planted
set A = {a1, a2}
var n: 0..3
var s: set A
var b: bool
init { n = 0  s = {}  b = false }
action up when n < 3 { n := n + 1 }
action add(x in A) { s := s union {x} }
action flip { b := not b }
invariant small: n < 2
invariant subset_ok: s subset A
check c: expect violation small in 2 steps
"""


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    fe.warm()


PLAN = fe.Plan(depth=4, timeout=30.0)


def _check(text: str, tmp_path: Path, plan: fe.Plan = PLAN,
           engines: tuple[str, ...] = fe.ENGINES) -> tuple[list[fe.Failure], dict[str, fe.Run]]:
    return fe.check_spec(text, plan, fe.run_fork, str(tmp_path), engines)


def test_generated_and_mutated_specs_pass(tmp_path: Path) -> None:
    tasks = list(fe.tasks(seed=11, n=5, showcase=False, batch=5))
    assert len({t.text for t in tasks}) == 5
    assert [t.text for t in fe.tasks(seed=11, n=5, showcase=False, batch=5)] == \
        [t.text for t in tasks]  # the same seed, the same specs
    st = fe.Stats()
    for t in tasks:
        fails, runs = fe.check_spec(t.text, t.plan, fe.run_fork, str(tmp_path), st=st)
        assert fails == [], (t.source, t.text)
        assert set(runs) >= set(fe.ENGINES)
    assert st.counts["checks compared"] > 0


def test_the_engines_agree_on_the_planted_spec(tmp_path: Path) -> None:
    fails, runs = _check(SPEC, tmp_path)
    assert fails == []
    assert [fe.what(c) for c in runs["bfs"].report()["checks"]] == ["violation small [inv] in 2"]
    assert [fe.what(c) for c in runs["bmc"].report()["checks"]] == ["violation small [inv] in 2"]


def test_a_planted_disagreement_is_found_and_shrunk(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import explorer.symbolic.bmc as bmc

    def blind(model: Any, depth: int, *args: Any, **kw: Any) -> Result:  # finds nothing
        return Result(Outcome("bounded", reason=f"no violation in {depth} steps or fewer"),
                      Figures(depth=depth), [], None, engine="bmc")

    monkeypatch.setattr(bmc, "check_bmc", blind)
    fails, _ = _check(SPEC, tmp_path)
    assert [(f.kind, f.engines) for f in fails] == [("disagree", ("bfs", "bmc"))]
    assert fails[0].sig == "disagree:bfs-bmc:bmc finds nothing within depth N, bfs inv in N"
    small, tries = fe.shrink(SPEC, fe.Plan(depth=4), fails[0].sig, fails[0].engines,
                             fe.run_fork, str(tmp_path), seconds=60)
    assert 0 < tries <= 400
    assert "flip" not in small and "subset_ok" not in small and "add" not in small
    assert "invariant small" in small and "action up" in small
    assert [f.sig for f in _check(small, tmp_path)[0]] == [fails[0].sig]


# after bump(p1) `exists` decides at p1; after bump(p2) it divides by zero at p1 first
SYMMETRIC = """spec sym
symmetric set P = {p1, p2}
var v: P -> 0..2
var who: P?
init { v = {p: 0 for p in P}  who = none }
action bump(p in P) when v[p] == 0 and who == none { v[p] := 1  who := p }
invariant i: who == none or exists p in P: v[p] == 1 or 1 div v[p] == 0
terminal when who != none
check c: expect error in 1 steps
"""


def test_an_unsound_reduction_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a symmetric set, the search runs again without the reduction: a reduction
    that hides a counterexample (planted: one that ignores what breaks the symmetry) is a
    disagreement."""
    engines = ("bfs", "c")
    fails, runs = _check(SYMMETRIC, tmp_path, engines=engines)
    assert fails == [] and set(runs) == {"bfs", "c", fe.FULL}
    import explorer.explicit.run as run
    import explorer.symmetry as sym

    def credulous(model: Any) -> sym.Symmetry:
        return sym.Symmetry(tuple(t for t in model.sets if t.symmetric))

    monkeypatch.setattr(run, "analyse", credulous)
    fails, runs = _check(SYMMETRIC, tmp_path, engines=engines)
    assert [(f.kind, f.engines) for f in fails] == [("disagree", ("bfs", "full"))]
    assert "a counterexample in one only" in fails[0].sig
    assert "explore spec.mnt --engine bfs" in " ".join(
        fe.commands(PLAN, "spec.mnt", fails[0].engines)) and "--no-symmetry" in " ".join(
        fe.commands(PLAN, "spec.mnt", fails[0].engines))


def test_a_planted_internal_error_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import explorer.explicit.run as run

    def broken(*args: Any, **kw: Any) -> Result:
        raise KeyError("planted")

    monkeypatch.setattr(run, "check_model", broken)
    fails, runs = _check(SPEC, tmp_path)
    assert runs["bfs"].rc == 255
    assert [(f.kind, f.sig, f.engines) for f in fails] == [
        ("internal", "internal:internal error: KeyError: Q", ("bfs",))]


def test_a_planted_crash_and_hang_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import explorer.explicit.run as run
    import explorer.symbolic.induction as induction

    def crash(*args: Any, **kw: Any) -> Result:
        os.kill(os.getpid(), signal.SIGSEGV)
        raise AssertionError

    def hang(*args: Any, **kw: Any) -> Result:
        time.sleep(60)
        raise AssertionError

    monkeypatch.setattr(run, "check_model", crash)
    monkeypatch.setattr(induction, "check_prove", hang)
    fails, runs = _check(SPEC, tmp_path, fe.Plan(depth=4, timeout=2.0), ("bfs", "prove"))
    assert runs["bfs"].signal == signal.SIGSEGV and runs["prove"].timed_out
    assert sorted((f.kind, f.engines) for f in fails) == [("signal", ("bfs",)),
                                                          ("timeout", ("prove",))]
    hung = next(f for f in fails if f.kind == "timeout")
    assert "test_fuzz_engines.py" in runs["prove"].err  # the stack where it hung
    assert hung.sig.startswith("timeout:")


def _check_json(kind: str, steps: int | None, failing: bool = False, target: str | None = None,
                complete: bool = True, depth: int = 0) -> dict:
    trace = None if steps is None else {"steps": [{}] * steps, "failing_step": failing}
    return {"check": "c", "outcome": {"kind": kind, "steps": steps, "target": target},
            "trace": trace, "figures": {"complete": complete, "depth": depth}}


@pytest.mark.parametrize(("bfs", "bmc", "rule"), [
    # the same answer, or a tie at one length that the two orders of search explain
    (("violation", 2, False, "i"), ("violation", 2, False, "j"), None),
    (("assertion", 2, True, None), ("violation", 2, False, "i"), None),
    (("error", 2, False, None), ("deadlock", 2, False, None), None),
    (("holds", None, False, None), ("bounded", None, False, None), None),
    (("deadlock", 9, False, None), ("bounded", None, False, None), None),  # beyond --depth 4
    # BMC asks for invariants first, and BFS finds deadlocks last at one length
    (("violation", 2, False, "i"), ("assertion", 2, True, None), "at N steps bfs reports inv, bmc step"),
    (("deadlock", 2, False, None), ("violation", 2, False, "i"), "at N steps bfs reports dead, bmc inv"),
    # a shorter answer, or none
    (("assertion", 1, True, None), ("deadlock", 0, False, None),
     "bmc's is shorter: bfs step in N, bmc dead in N"),
    (("holds", None, False, None), ("violation", 3, False, "i"), "bfs holds, bmc finds inv"),
    (("violation", 3, False, "i"), ("bounded", None, False, None),
     "bmc finds nothing within depth N, bfs inv in N"),
])
def test_bfs_and_bmc_answers_are_compared_by_length_and_kind(bfs: tuple, bmc: tuple,
                                                              rule: str | None) -> None:
    got = fe.compare_bfs_bmc(_check_json(*bfs), _check_json(*bmc), 4, fe.Stats())
    assert (fe._norm(got) if got else None) == rule


def test_prove_is_compared_with_the_search() -> None:
    proved, st = _check_json("proved", None), fe.Stats()
    assert fe.compare_prove(proved, _check_json("deadlock", 3), "bfs", None, set(), False, st) is None
    assert fe.compare_prove(proved, _check_json("violation", 3, target="i"), "bfs", None, set(),
                            False, st) == "prove proved, bfs finds inv in 3"
    base = _check_json("violation", 1, target="h")  # a helper: the search does not check it
    assert fe.compare_prove(base, _check_json("holds", None), "bfs", None, {"h"}, False, st) is None
    assert fe.compare_prove(base, _check_json("holds", None), "bfs", None, set(), False, st) == \
        "prove finds violation in 1, bfs holds"
    # a helper that fails to evaluate in an initial state: only prove evaluates helpers
    fault = _check_json("error", 0)
    fault["outcome"]["line"] = 3
    text = "spec t\nvar n: 0..1\ninvariant helper h:\n  n div n == 1\ninit { n = 0 }\n"
    helpers, lines, terminal = fe.spec_facts(text)
    assert (helpers, lines, terminal) == ({"h"}, frozenset({3, 4}), False)
    holds = _check_json("holds", None)
    assert fe.compare_prove(fault, holds, "bfs", None, helpers, False, st, lines) is None
    assert fe.compare_prove(fault, holds, "bfs", None, helpers, False, st) == \
        "prove finds error in 0, bfs holds"


def test_declarations_are_cut_and_spliced() -> None:
    parts = src.chunks(SPEC)
    assert "".join(parts) == SPEC
    assert [src.kind_of(c) for c in parts] == ["spec", "set", "var", "var", "var", "init", "action",
                                               "action", "action", "invariant", "invariant", "check"]
    assert src.chunks("/// doc\n/// more\naction a { }\n") == ["/// doc\n/// more\naction a { }\n"]
