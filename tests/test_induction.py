"""Induction agrees with the explicit search and with the interpreter.

- Soundness on random small specs: whatever `prove` says is checked against BFS, which
  enumerates every reachable state. "proved" must mean BFS meets no violated invariant and
  no failing step. A CTI must check out under the interpreter (every state but the last
  satisfies every invariant, the step is a real successor, the last state violates the
  named invariant or the step fails). A CTI is not always a bug: its pre-state may be
  unreachable. But when BFS finds a violation, prove must not say proved.
- The showcase proofs need their helpers: without them, the same check gives a CTI whose
  pre-state no run reaches.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume
from loaded import loaded
from test_engine_agreement import _load_random, on_random_specs

from explorer import model as M
from explorer.explicit.bfs import Limits
from explorer.explicit.run import check_model
from explorer.interp import Interp
from explorer.results import verify_cti
from explorer.symbolic.induction import check_prove

ROOT = Path(__file__).resolve().parent.parent


@on_random_specs(80)
def test_random_specs_proofs_are_sound_and_ctis_check_out(text: str) -> None:
    model = _load_random(text)
    assume(model is not None)
    assert isinstance(model, M.Model)
    proof = check_prove(model, progress=None, verify=False)
    bfs = check_model(model, Limits(deadlock=False), progress=None)
    if proof.outcome.kind == "proved":
        assert bfs.outcome.kind == "holds", f"proved, but BFS: {bfs.outcome}\n{text}"
    elif proof.outcome.kind == "cti":
        assert proof.trace is not None and len(proof.trace.states) in (1, 2)
        verify_cti(model, proof.trace, proof.outcome)  # raises ReplayError when it does not
    else:  # a failing initial state or an invariant false in one: BFS meets it at depth 0
        assert proof.trace is not None and len(proof.trace) == 0, f"{proof.outcome}\n{text}"
        assert bfs.trace is not None and len(bfs.trace) == 0, f"{bfs.outcome}\n{text}"


def _model(spec: str, name: str) -> M.Model:
    s = loaded(ROOT / "specs" / f"{spec}.mnt")
    return s.check_model(next(c for c in s.checks if c.name == name))


def _plain(model: M.Model, keep_helpers: bool) -> M.Model:
    """The model with its helpers as ordinary invariants (which the search checks), or
    without them."""
    invs = tuple(replace(i, helper=False) for i in model.invariants) if keep_helpers else \
        tuple(i for i in model.invariants if not i.helper)
    return replace(model, invariants=invs)


# proof checks whose configuration BFS enumerates in a few seconds at most, at least one of
# every era and spec
PROOFS = [
    ("detached_trees", "v5_2_proved"), ("detached_trees", "v5_2_0_proved"),
    ("detached_trees", "v5_2_0_locked_proved"), ("detached_trees", "v5_2_pipefs_proved"),
    ("detached_trees", "both_fixes_proved"), ("detached_trees", "both_fixes_pipefs_proved"),
    ("detached_trees", "v6_15_proved"), ("detached_trees", "v6_17_proved"),
    ("detached_trees", "v6_17_locked_proved"),
    ("mountinfo_cursor", "v1_proved"), ("mountinfo_cursor", "v3_4_proved"),
    ("deferred_release", "i_t3_1_kx_proved"), ("deferred_release", "wait_kthread_m2_proved"),
    ("deferred_release", "own_close_others_proved"),
    ("exec_files", "v5_11_4_proved"), ("exec_files", "pre_accounting_proved"),
]


@pytest.mark.parametrize(("spec", "name"), PROOFS)
def test_helpers_hold_in_every_reachable_state(spec: str, name: str) -> None:
    """A helper is a claim about reachable states, which the proof relies on; the search
    checks it, as an ordinary invariant, in every state it reaches."""
    model = _model(spec, name)
    assert any(i.helper for i in model.invariants)
    r = check_model(_plain(model, keep_helpers=True), Limits(deadlock=False), progress=None)
    assert r.outcome.kind == "holds", r.outcome


def test_detached_trees_proof_needs_its_helpers() -> None:
    model = _model("detached_trees", "v5_2_proved")
    helpers = [i.name for i in model.invariants if i.helper]
    assert len(helpers) == 17
    assert check_prove(model, progress=None).outcome.kind == "proved"
    r = check_prove(_plain(model, keep_helpers=False), progress=None)  # verify=True
    assert r.outcome.kind == "cti" and r.trace is not None
    # its pre-state breaks a helper, so (by the test above) no run reaches it
    it = Interp(model)
    assert not all(it.invariant_holds(h, r.trace.states[0]) for h in helpers)
