"""Liveness end to end: `property` and fairness through the language, both explicit
engines, the interpreter's replay of lassos, the reports, and how symmetry, limits and the
z3 engines meet properties. (The fair-cycle search itself, on hand-made graphs against a
brute-force oracle: test_liveness_graph.py.)"""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, event
from test_engine_agreement import on_random_specs
from test_itf import VALIDATOR
from test_native import comparable, report

from explorer.budget import Limits
from explorer.cli import main
from explorer.dispatch import run_check
from explorer.lang.load import load_text
from explorer.reports.diagram import trace_dot
from explorer.reports.itf import trace_itf
from explorer.results import OutcomeKind, ReplayError, Result, replay

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "specs" / "examples"
HAS_CC = shutil.which("cc") is not None or shutil.which("gcc") is not None


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# ---------------------------------------------------------------------------------------
# Classic properties with known answers, in both explicit engines

KNOWN = {  # spec -> check -> (outcome kind, property, lasso: (prefix steps, cycle steps))
    "starvation": {"weak_starves": ("liveness", "no_starvation", (1, 3)),
                   "strong_serves": ("holds", None, None),
                   "nobody_has_to_want": ("liveness", "someone_holds", (0, 0))},
    "ewd840": {"three": ("holds", None, None), "four": ("holds", None, None),
               "lazy_token": ("liveness", "detection", (3, 0))},
    "abp": {"two": ("holds", None, None), "weak_receive": ("liveness", "all_delivered", (0, 2))},
}


@pytest.mark.parametrize("spec", sorted(KNOWN))
def test_classic_properties_have_their_known_answers_in_both_engines(spec: str) -> None:
    path = EXAMPLES / f"{spec}.mnt"
    py = report(path, "bfs")
    assert set(py) == set(KNOWN[spec])
    for name, (kind, prop, lasso) in KNOWN[spec].items():
        c = py[name]
        assert c["as_expected"], (name, c["why"])
        assert (c["outcome"]["kind"], c["outcome"]["target"]) == (kind, prop), name
        if lasso is not None:
            prefix, cycle = lasso
            assert c["trace"]["loop"] == prefix
            assert len(c["trace"]["steps"]) == prefix + cycle == c["outcome"]["steps"]
        assert "fairness: " in c["figures"]["liveness"]
    if not HAS_CC:
        pytest.skip("no C compiler")
    for workers in ("1", "2"):
        c_report = report(path, "c", "--workers", workers)
        for name in py:
            assert c_report[name]["figures"]["compiled"] is True
            assert comparable(c_report[name]) == comparable(py[name]), (workers, name)


# ---------------------------------------------------------------------------------------
# The lasso is replayed by the interpreter: a forged one is refused

LOCK = (EXAMPLES / "starvation.mnt").read_text()


def lasso_of(text: str, check: str, engine: str = "bfs") -> tuple[Any, Result]:
    loaded = load_text(text, "spec.mnt")
    chk = next(c for c in loaded.checks if c.name == check)
    model = loaded.check_model(chk)
    return model, run_check(chk, model, engine)


def test_a_lasso_replays_and_a_forged_one_does_not() -> None:
    model, r = lasso_of(LOCK, "weak_starves")
    assert r.outcome.kind is OutcomeKind.LIVENESS and r.trace is not None
    t = r.trace
    replay(model, t, r.outcome)  # the engine did it already; again, by hand
    # a cycle that does not close
    with pytest.raises(ReplayError, match="does not return to state"):
        replay(model, replace(t, loop=t.loop + 1), r.outcome)  # type: ignore[operator]
    # the same states under strong fairness of acquire: t1 is enabled infinitely often
    # and never served, so the cycle is not fair
    strong = replace(model, actions=tuple(
        replace(a, fairness=type(a.fairness).STRONG) if a.name == "acquire" else a
        for a in model.actions))
    with pytest.raises(ReplayError, match=r"not fair to strong fair acquire\(t=t1\)"):
        replay(strong, t, r.outcome)
    # stuttering where a weakly fair action is enabled is not fair
    stutter = replace(t, states=t.states[:2], steps=t.steps[:1], loop=1)
    with pytest.raises(ReplayError, match=r"not fair to fair acquire\(t=t1\)"):
        replay(model, stutter, r.outcome)
    # a lasso that does not violate the property
    _, holds = lasso_of(LOCK.replace("leads to st[t1] == HOLDING", "leads to st[t1] != IDLE"),
                        "weak_starves")
    assert holds.outcome.kind is OutcomeKind.HOLDS
    other = replace(model, properties=tuple(
        replace(p, q=p.p) if p.name == "no_starvation" else p for p in model.properties))
    with pytest.raises(ReplayError, match="does not violate no_starvation"):
        replay(other, t, r.outcome)


# ---------------------------------------------------------------------------------------
# Reports: JSON, ITF, the filmstrip

def test_json_and_itf_carry_the_loop() -> None:
    model, r = lasso_of(LOCK, "weak_starves")
    j = report(EXAMPLES / "starvation.mnt", "bfs", "--check", "weak_starves")
    tr = j["weak_starves"]["trace"]
    assert tr["loop"] == 1 and len(tr["states"]) == 5 and tr["states"][4] == tr["states"][1]
    assert j["weak_starves"]["outcome"]["kind"] == "liveness" and "assuming" not in j["weak_starves"]
    strong = report(EXAMPLES / "starvation.mnt", "bfs", "--check", "strong_serves")["strong_serves"]
    assert strong["assuming"] == {"acquire": "strong fair"}
    assert r.trace is not None
    itf = trace_itf(model, r.trace, "spec.mnt", "d")
    # ITF lists the states once: the last goes on to states[loop]
    assert itf["loop"] == 1 and len(itf["states"]) == 4
    VALIDATOR.validate(json.loads(json.dumps(itf)))
    assert itf["#meta"]["loop_step"] == {"action": "release", "params": {"t": "t2"}}
    _, stutter = lasso_of(LOCK, "nobody_has_to_want")
    assert stutter.trace is not None
    itf = trace_itf(model, stutter.trace, "spec.mnt", "d")
    assert itf["loop"] == 0 and len(itf["states"]) == 1 and "loop_step" not in itf["#meta"]
    # a finite trace has no loop anywhere
    _, safety = lasso_of(LOCK + "\ncheck bad: expect violation one_holder\n"
                         "invariant none_hold: holder == none\n", "weak_starves")
    assert safety.trace is not None and "loop" not in trace_itf(model, safety.trace, "s", "d")


def test_the_filmstrip_draws_the_step_back() -> None:
    _, r = lasso_of(LOCK, "weak_starves")
    assert r.trace is not None
    dot = trace_dot(r.trace, r.outcome, "t")
    # four states drawn (the fifth is state 1 again), the last step pointing back at it
    assert re.findall(r"^  s(\d) \[label", dot, re.M) == ["0", "1", "2", "3"]
    back = [ln for ln in dot.splitlines() if "back to state 1" in ln]
    assert len(back) == 1 and back[0].startswith("  s3 -> s1 ") and "constraint=false" in back[0]
    assert "the cycle starts here" in dot
    _, stutter = lasso_of(LOCK, "nobody_has_to_want")
    assert stutter.trace is not None
    assert "stays here for ever" in trace_dot(stutter.trace, stutter.outcome, "t")


# ---------------------------------------------------------------------------------------
# Symmetry, limits, the z3 engines

SYMMETRIC = LOCK.replace("set Task", "symmetric set Task")


def test_symmetry_is_not_used_for_liveness() -> None:
    """A fair cycle of the quotient graph need not be one of the real graph: a check with
    properties about behaviours explores the full graph and says why."""
    for check in ("weak_starves", "strong_serves"):
        _, plain = lasso_of(LOCK, check)
        _, sym = lasso_of(SYMMETRIC, check)
        assert sym.figures.symmetry == ("no symmetry for Task: the property `no_starvation` "
                                        "is checked on the full graph at 41:10")
        assert (sym.outcome, sym.figures.distinct) == (plain.outcome, plain.figures.distinct)
        assert sym.trace == plain.trace


def test_a_limit_is_no_verdict_on_a_property(tmp_path: Path) -> None:
    p = tmp_path / "lock.mnt"
    p.write_text(LOCK)
    for engine in ("bfs", "c") if HAS_CC else ("bfs",):
        r = report(p, engine, "--max-states", "5", "--check", "strong_serves")
        c = r["strong_serves"]
        assert c["outcome"]["kind"] == "incomplete" and c["exit_code"] == 3
        assert "liveness" not in c["figures"]


def test_a_predicate_that_fails_is_a_runtime_error_with_its_trace() -> None:
    text = """spec p
var n: 0..3
init { n = 0 }
fair action up when n < 3 { n := n + 1 }
terminal when n == 3
property odd: eventually 6 div (3 - n) == 2
check c: expect error in 3 steps
"""
    for engine in ("bfs", "c") if HAS_CC else ("bfs",):
        model, r = lasso_of(text, "c", engine)
        assert r.outcome.kind is OutcomeKind.ERROR and r.outcome.code == "E3006"
        assert r.trace is not None and len(r.trace) == 3


def test_the_z3_engines_refuse_a_check_with_properties(tmp_path: Path) -> None:
    p = tmp_path / "lock.mnt"
    p.write_text(LOCK + "check proof except someone_holds, no_starvation: expect proved\n")
    for engine in ("bmc", "prove"):
        err = io.StringIO()
        code = main([str(p), "--engine", engine, "--check", "strong_serves"],
                    stdout=io.StringIO(), stderr=err)
        assert code != 0 and "error[E2005]" in err.getvalue()
        assert "z3 checks invariants, not properties" in err.getvalue()
    # a proof is about the invariants: properties left out, it runs
    assert main([str(p), "--check", "proof"], stdout=io.StringIO(), stderr=io.StringIO()) == 0


def test_assuming_names_actions_once() -> None:
    with pytest.raises(Exception) as e:
        load_text(LOCK + "check x assuming fair nope, fair want, strong fair want: expect holds\n",
                  "spec.mnt")
    text = str(e.value)
    assert "`nope` is not an action" in text and "the fairness of `want` is given twice" in text


# ---------------------------------------------------------------------------------------
# Random specs: both engines agree, with random fairness and properties

PROPS_B = ["property l0: eventually b", "property l2: eventually always not b"]
PROPS_F = ["property l1: always eventually f[a1] == 0", "property l3: b leads to f[a1] == 1",
           "property l4: always f[a1] < 2"]


@on_random_specs(25)
@pytest.mark.skipif(not HAS_CC, reason="no C compiler")
def test_random_specs_with_fairness_agree(text: str) -> None:
    lines = [ln for ln in text.splitlines() if not ln.startswith("invariant")]
    if not any(ln.startswith("var b: bool") for ln in lines):
        assume(False)
    words = ["", "fair ", "strong fair "]
    k = 0
    for i, ln in enumerate(lines):
        if ln.startswith("action "):
            lines[i] = words[(len(ln) + k) % 3] + ln
            k += 1
    props = PROPS_B + (PROPS_F if "var f: A -> 0..2" in lines else [])
    spec = "\n".join(lines + props) + "\n"
    loaded = load_text(spec, "random.mnt")
    model = loaded.default
    from explorer.dispatch import run
    from explorer.engine import Options
    from explorer.model import Check, Expect, ExpectKind
    chk = Check("all", (), Expect(ExpectKind.HOLDS))
    opts = Options(Limits(max_states=3000))
    py = run(chk, model, "bfs", opts)
    event(f"outcome: {py.outcome.kind}")
    for workers in (1, 2):
        c = run(chk, model, "c", replace(opts, workers=workers))
        assert (c.outcome, c.trace, c.figures.distinct, c.figures.generated) == (
            py.outcome, py.trace, py.figures.distinct, py.figures.generated), spec


def test_every_state_has_a_fair_continuation() -> None:
    """Fairness is about the spec's own actions, so no property can hold because fairness
    rules out every behaviour: from any state some fair behaviour goes on (README,
    "Always a fair behaviour"). Checked with the fair-cycle search itself on random
    graphs, every action weakly or strongly fair: a fair cycle is always reachable."""
    import random

    from explorer.explicit.graph import STRONG, WEAK, Graph
    from explorer.explicit.liveness import Goal, Liveness
    rnd = random.Random(19)
    for _ in range(300):
        n, acts = rnd.randint(1, 7), rnd.randint(1, 3)
        g = Graph([rnd.choice((WEAK, STRONG)) for _ in range(acts)])
        for s in range(n):
            for _ in range(rnd.randint(0, 3)):
                g.add(s, rnd.randrange(acts), (rnd.randrange(2),), rnd.randrange(n))
        g.close(n)
        live = Liveness(g, n)  # every state initial: each is a start
        for s in range(n):
            one = bytes(1 if t == s else 0 for t in range(n))
            every = b"\x01" * n
            # a behaviour that reaches s can go on fairly for ever: a fair set is reachable
            # from s (trigger s, no constraint on the states after it)
            lasso = live.lasso(Goal(every, every, one, False))
            assert lasso is not None
