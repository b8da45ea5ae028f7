"""Processes: a path of atomic steps per instance, turned into declarations by the parser
(explorer/lang/process.py). What they become, how they run in every engine, and the
errors a misuse gets, each at its place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_covers_constraints import run

from explorer import model as M
from explorer.diagnostics import SpecError
from explorer.lang.load import load_text

HAS_CC = shutil.which("cc") is not None or shutil.which("gcc") is not None
ENGINES = ["bfs", "c", "bmc"] if HAS_CC else ["bfs", "bmc"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# One task, a `goto` loop: step a counts up to 2, then b finishes. The states: (pc, n)
# with pc a and n = 0, 1, 2, then b with n = 2, then done: 5, a line of depth 4.
LOOP = """spec looping
var total: 0..3
init { total = 0 }
process p {
  var n: 0..2 = 0
  step a { if n < 2 { n := n + 1  goto a } }
  step b { total := n }
}
invariant small: total <= 2
check c: expect holds
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_process_runs_its_steps_in_order(tmp_path: Path, engine: str) -> None:
    code, checks = run(tmp_path, LOOP, "--engine", engine, "--depth", "6", "--accept-bounded")
    assert code == 0 and checks["c"]["as_expected"]
    if engine != "bmc":
        f = checks["c"]["figures"]
        assert (f["distinct"], f["generated"], f["depth"]) == (5, 5, 4)
        assert [c["action"] for c in checks["c"]["coverage"]] == ["p.a", "p.b"]


def test_what_a_process_becomes() -> None:
    spec = load_text(LOOP)
    m = spec.default
    assert [v.name for v in m.vars] == ["total", "p.pc", "p.n"]
    step = next(s for s in m.sets if s.name == "Step")
    assert step.atoms == ("a", "b", "done")
    assert [a.name for a in m.actions] == ["p.a", "p.b"]
    assert m.terminal is not None  # finishing is terminal, not a deadlock


STUCK = """spec stuck
set Task = {t1, t2}
var lock: Task?
init { lock = none }
process sys(t in Task) {
  step take when lock == none { lock := t }
  step leave { }
}
check c: expect deadlock in 2 steps
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_step_that_can_never_go_on_is_a_deadlock(tmp_path: Path, engine: str) -> None:
    # the first task keeps the lock after `leave`: the other waits at `take` for ever
    _, checks = run(tmp_path, STUCK, "--engine", engine)
    c = checks["c"]
    assert c["as_expected"], c["why"]
    assert c["trace"]["vars"] == ["lock", "sys.pc"]
    assert c["trace"]["states"][-1]["sys.pc"] in ("{t1: done, t2: take}", "{t1: take, t2: done}")


def test_fair_process_makes_its_steps_fair() -> None:
    m = load_text("spec f\nset T = {a, b}\nfair process q(t in T) { step s { } }\n").default
    assert [(a.name, a.fairness) for a in m.actions] == [("q.s", M.Fairness.WEAK)]
    assert [b.name for b in m.actions[0].params] == ["t"]


@pytest.mark.parametrize("body, code, line, col", [
    ("process p { var x: 0..1 = 0 }", "E2004", 3, 9),                       # no step
    ("process p { step a { }  step a { } }", "E1002", 3, 30),               # twice
    ("process p { step done { } }", "E1002", 3, 18),                        # reserved
    ("process p { step a { goto nowhere } }", "E1006", 3, 27),              # no such step
    ("process p { var pc: 0..1 = 0  step a { } }", "E1002", 3, 17),         # pc is taken
    ("process p(x in S) { var x: 0..1 = 0  step a { } }", "E1002", 3, 25),  # instance name
    ("process p { var x: 0..1 = 0  step a { let x = 1 } }", "E1002", 3, 39),  # hidden
    ("process p { step a { } }\ninvariant i: p.nope == a", "E1006", 4, 14),
    ("process p { step a { } }\nvar p: 0..1", "E1002", 3, 9),
    ("action q { goto a }", "E2004", 3, 17),
    ("process p(x in {s1}) { step a { } }", "E2003", 3, 16),
    ("process p { var x: 0..1 = 0  var y: 0..1 = x  step a { } }", "E1001", 3, 44),
])
def test_misuses_are_errors_at_their_place(body: str, code: str, line: int, col: int) -> None:
    text = f"spec bad\nset S = {{s1, s2}}\n{body}\n"
    with pytest.raises(SpecError) as e:
        load_text(text)
    d = e.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.col) == (code, line, col), d.message
