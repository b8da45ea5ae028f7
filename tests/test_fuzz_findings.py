"""What the engine fuzzer (tests/fuzz/fuzz_engines.py) found, each kept as a regression
test: the engines give the same outcome and length, and no z3 answer is a false `proved`.
"""

from __future__ import annotations

import pytest

from explorer import model as M
from explorer.dispatch import run_check
from explorer.lang.load import load_text
from explorer.results import Result


def run(text: str, engine: str, k: int | None = None, depth: int = 6) -> Result:
    spec = load_text(text, "f.mnt")
    check = spec.checks[0] if spec.checks else M.Check("default", (), M.Expect(M.ExpectKind.HOLDS))
    return run_check(check, spec.check_model(check), engine, None, depth, k, None)


def kind_and_length(r: Result) -> tuple[str, int | None]:
    return r.outcome.kind, None if r.trace is None else len(r.trace)


ONE_STATE = 'spec z\naction boom { assert false "boom" }\n'
THREE_STATES = "spec kind\nvar n: 0..2\ninit { n = 0 }\naction inc { n := n + 1 }\n"


def test_induction_with_one_state_does_not_prove_a_failing_action() -> None:
    """The step case assumed its post-state distinct from the pre-state even when asking
    whether an action fails: with one state there is no second one, so `proved`."""
    assert kind_and_length(run(ONE_STATE, "bfs")) == ("assertion", 1)
    r = run(ONE_STATE, "prove")
    assert r.outcome.kind == "cti" and r.outcome.assertion is None and r.outcome.code is None
    assert r.trace is not None and r.trace.steps[-1].action == "boom"


@pytest.mark.parametrize("k", [1, 2, 3])
def test_k_induction_does_not_prove_a_step_out_of_range(k: int) -> None:
    """inc leaves 0..2 on its third step; 3-induction needed 4 distinct states of 0..2."""
    assert kind_and_length(run(THREE_STATES, "bfs")) == ("error", 3)
    r = run(THREE_STATES, "prove", k=k)
    assert r.outcome.kind != "proved"
    assert r.outcome.kind == "cti" and r.outcome.code == "E3001"


def test_bmc_takes_no_step_from_a_state_whose_expansion_fails() -> None:
    """One branch of `a` fails, the other breaks `inv`: the search stops at the failure,
    so BMC must not report the violation (its trace did not replay: exit 255)."""
    text = ('spec m\nvar n: 0..1\ninit { n = 0 }\n'
            'action a { either { assert false "boom" } or { n := 1 } }\ninvariant inv: n == 0\n')
    assert kind_and_length(run(text, "bfs")) == ("assertion", 1)
    assert kind_and_length(run(text, "bmc")) == ("assertion", 1)


def test_an_index_into_a_sequence_of_capacity_zero_encodes() -> None:
    """`seq[0]` has no slot: z3's junk value for `q[i]` was a boolean, whatever the element
    type (a TypeError, exit 255)."""
    text = ("spec s\nvar q: seq[0] 0..3\nvar last: 0..3\ninit { q = [0] last = 0 }\n"
            "action peek { last := q[len(q) - 1] }\n")
    for engine in ("bfs", "bmc", "prove"):
        r = run(text, engine)
        assert (r.outcome.kind, r.outcome.code) == ("error", "E3003"), engine


# campaign fz61: a set that a param leaves empty (`s[2..N]`, N = 1) gave z3 an enumeration
# sort without values (internal error in bmc and prove); a spec without actions did not
# compile to C (unused parameters, warnings are errors)
EMPTY_SET = """spec empty
param N: int = 1
symmetric set Sub = s[2..N]
var on: Sub -> bool
var n: 0..1
init { on = {m: false for m in Sub}  n = 0 }
action flip(m in Sub) { on[m] := not on[m] }
action inc when n == 0 { n := 1 }
invariant i: forall m in Sub: not on[m]
terminal when n == 1
"""
NO_ACTION = "spec idle\nvar x: bool\ninit { x = false }\nterminal when not x\n"


@pytest.mark.parametrize("engine", ["bfs", "c", "bmc", "prove"])
def test_an_empty_set_and_no_action_run_in_every_engine(engine: str) -> None:
    r = run(EMPTY_SET, engine, depth=3)
    assert r.outcome.kind in ("holds", "bounded", "proved"), r.outcome
    r = run(NO_ACTION, engine, depth=3)
    assert r.outcome.kind in ("holds", "bounded", "proved"), r.outcome
    if engine in ("bfs", "c"):
        assert r.figures.distinct == 1
