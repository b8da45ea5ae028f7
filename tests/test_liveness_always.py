"""`always P` is an invariant (README, "Liveness and fairness"): checked during the search,
in every engine, so that the shortest counterexample over every kind is reported (a
deeper invariant violation, deadlock or failing step does not hide it) and a limit reached
after the violating state does not hide it either. (Found by an independent review: it was
first evaluated only after a complete search.)"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from test_native import report

from explorer.cli import main


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


DEEPER_INVARIANT = """spec p
var x: 0..6
init { x = 0 }
action up when x < 6 { x := x + 1 }
terminal when x == 6
invariant small: x < 5
property never_two: always x < 2
check both: expect violation never_two in 2 steps
check alone except small: expect violation never_two in 2 steps
"""


def test_a_shorter_always_violation_is_not_hidden_by_a_deeper_invariant(tmp_path: Path) -> None:
    p = tmp_path / "p.mnt"
    p.write_text(DEEPER_INVARIANT)
    r = report(p, "bfs")
    assert r["alone"]["as_expected"]  # the property alone: 2 steps
    # with the invariant too, the shortest counterexample over every kind is still the
    # property's (2 steps), not the invariant's (5 steps)
    got = r["both"]["outcome"]
    assert (got["target"], got["steps"]) == ("never_two", 2), got["summary"]


LONG_RUN = """spec p
var x: 0..60000
init { x = 0 }
action up when x < 60000 { x := x + 1 }
terminal when x == 60000
property never_two: always x < 2
invariant inv_two: x < 2
check as_property only never_two: expect violation never_two in 2 steps
check as_invariant only inv_two: expect violation inv_two in 2 steps
"""


def test_an_always_violation_explored_before_a_limit_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "p.mnt"
    p.write_text(LONG_RUN)
    r = report(p, "bfs", "--max-states", "100")
    assert r["as_invariant"]["as_expected"]  # found on the fly, at state 3
    # the same predicate as `always P`: state 2 was explored long before the limit
    got = r["as_property"]["outcome"]
    assert got["kind"] == "violation" and got["steps"] == 2, got["summary"]


def test_the_z3_engines_check_an_always_property_as_an_invariant(tmp_path: Path) -> None:
    p = tmp_path / "p.mnt"
    p.write_text(DEEPER_INVARIANT)
    out = io.StringIO()
    main([str(p), "--format", "json", "--engine", "bmc", "--check", "alone"], stdout=out,
         stderr=io.StringIO())
    got = json.loads(out.getvalue())["checks"][0]
    assert (got["outcome"]["kind"], got["outcome"]["target"], got["outcome"]["steps"]) == (
        "violation", "never_two", 2)
    assert got["outcome"]["message"] == "property never_two (always P) is violated"
