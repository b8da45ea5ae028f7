"""BMC agrees with BFS: on the shipped specs, bounded model checking finds the
counterexample at exactly the depth the explicit search reports (same kind, same
invariant or fault) and none below it; its traces replay under the interpreter (check_bmc
replays them itself). Random small specs: BFS and BMC give the same verdict up to a depth.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume
from loaded import loaded
from test_engine_agreement import _load_random, model_of, on_random_specs

from explorer import model as M
from explorer.explicit.bfs import Limits
from explorer.explicit.run import check_model
from explorer.results import Result
from explorer.symbolic.bmc import check_bmc

ROOT = Path(__file__).resolve().parent.parent

# (spec, check): a few counterexamples of every shipped spec, every kind of outcome, the
# deepest ones that stay within seconds
CASES = [
    ("specs/examples/mutex.mnt", "buggy"),
    ("specs/examples/prodcons.mnt", "overflow"),
    ("specs/examples/prodcons.mnt", "batched"),
    ("specs/exec_files.mnt", "pre_threads"),
    ("specs/exec_files.mnt", "pre_reader"),
    ("specs/exec_files.mnt", "cloexec_pre_reached"),
    ("specs/deferred_release.mnt", "plain_busy"),
    ("specs/deferred_release.mnt", "s1_list_taken"),
    ("specs/deferred_release.mnt", "s3_mntput_deferred"),
    ("specs/mountinfo_cursor.mnt", "v0_skip"),
    ("specs/mountinfo_cursor.mnt", "v1p_posted"),
]


def _what(r: Result) -> tuple:
    o = r.outcome
    return (o.kind, o.target, o.code, o.assertion, len(r.trace) if r.trace else None)


@pytest.mark.parametrize(("path", "check"), CASES)
def test_bmc_finds_the_bfs_counterexample_at_its_depth(path: str, check: str) -> None:
    spec = loaded(ROOT / path)
    c = next(c for c in spec.checks if c.name == check)
    model = spec.check_model(c)
    bfs = check_model(model, progress=None)
    assert bfs.trace is not None
    k = len(bfs.trace)
    deadlock = bfs.outcome.kind == "deadlock"
    # the invariant BFS reports, alone: another one may be violated at the same depth
    invs = [bfs.outcome.target] if bfs.outcome.kind == "violation" else []
    bmc = check_bmc(model, k, check_deadlock=deadlock, progress=None, invariants=invs)
    assert _what(bmc) == _what(bfs)
    assert bmc.engine == "bmc" and bmc.figures.depth == k
    below = check_bmc(model, k - 1, check_deadlock=deadlock, progress=None, invariants=invs)
    assert below.outcome.kind == "bounded"


def test_bmc_reports_bounded_for_a_check_that_holds() -> None:
    spec = loaded(ROOT / "specs/exec_files.mnt")
    c = next(c for c in spec.checks if c.name == "pre_single")
    r = check_bmc(spec.check_model(c), 5, progress=None)
    assert r.outcome.kind == "bounded" and r.figures.depth == 5 and r.trace is None


def test_bmc_time_limit_gives_incomplete() -> None:
    spec = loaded(ROOT / "specs/mountinfo_cursor.mnt")
    c = next(c for c in spec.checks if c.name == "v3")
    r = check_bmc(spec.check_model(c), 30, max_seconds=0.5, progress=None)
    # the encoding counts too: the limit may be reached before z3 is asked anything
    assert r.outcome.kind == "incomplete"
    assert r.outcome.reason in ("time limit 0.5s while encoding for z3",
                                "time limit 0.5s while solving")


@on_random_specs(60)
def test_random_specs_bfs_and_bmc_agree(text: str) -> None:
    model = _load_random(text)
    assume(model is not None)
    assert isinstance(model, M.Model)
    depth = 4
    bfs = check_model(model, Limits(max_depth=depth), progress=None)
    bmc = check_bmc(model, depth, progress=None)
    if bfs.trace is None:  # nothing within the depth (or at all)
        assert bmc.outcome.kind == "bounded", f"{_what(bmc)}\n{text}"
        return
    # the same depth; the kind may differ only when BFS met two at that depth
    assert bmc.trace is not None, f"BFS {_what(bfs)}, BMC {_what(bmc)}\n{text}"
    assert len(bmc.trace) == len(bfs.trace), f"BFS {_what(bfs)}, BMC {_what(bmc)}\n{text}"


def test_a_failing_terminal_at_a_stuck_state_is_the_same_error_in_both_engines() -> None:
    # n counts up to 2 and stops; `terminal` reads f[n], defined only for 0 and 1
    model = model_of("""spec t
var n: 0..2
var f: 0..1 -> bool
init { n = 0
  f = {i: true for i in 0..1} }
action up when n < 2 { n := n + 1 }
terminal when f[n]
""")
    bfs = check_model(model, progress=None)
    bmc = check_bmc(model, 5, progress=None)
    assert bfs.outcome.kind == "error" and bfs.outcome.code == "E3005"
    assert _what(bmc) == _what(bfs) == ("error", None, "E3005", None, 2)
