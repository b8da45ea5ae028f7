"""The seams between the engines and the front ends (issue 16): the registry is the only
place that lists the engines, every outcome kind is handled by the verdict and the
reports, and `explore`, `explore render` and the pytest plugin go through the session."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path
from typing import TextIO

import pytest

from explorer import dispatch, session
from explorer import model as M
from explorer.budget import Budget
from explorer.cli import main
from explorer.engine import Options
from explorer.lang.load import load_text
from explorer.reports.diagram import trace_dot
from explorer.reports.json_report import verdict_json
from explorer.reports.text import format_verdict
from explorer.reports.verdict import describe_outcome, judge, never_fired
from explorer.results import Coverage, Figures, Outcome, OutcomeKind, Result, Step, Trace
from explorer.textsafe import json_text

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "explorer"

SPEC = """spec counter
var n: 0..3
init { n = 0 }
action up when n < 3 { n := n + 1 }
invariant small: n <= 2
invariant any: n <= 3
terminal when n == 3
check ok only any: expect holds
check bad: expect violation small in 3 steps
"""


class Fake:
    """An engine the front ends have never heard of: it says `holds` of every check."""

    name = "fake"
    help = "an engine only this test knows"
    default_seconds: float | None = None
    runs: list[str] = []

    def figures(self, f: Figures, timings: bool) -> str:
        return f"the fake engine looked at {f.distinct} states"

    def run(self, model: M.Model, check: M.Check, options: Options, progress: TextIO | None,
            budget: Budget) -> Result:
        self.runs.append(check.name)
        return Result(Outcome(OutcomeKind.HOLDS), Figures(distinct=7, complete=True),
                      [Coverage(a.name, a.span, 1, 1) for a in model.actions], engine=self.name)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Fake:
    engine = Fake()
    engine.runs = []
    monkeypatch.setitem(dispatch.ENGINES, engine.name, engine)
    return engine


def _explore(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "-q"], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------------------
# The registry


def test_a_registered_engine_runs_through_the_cli_and_the_reports(fake: Fake,
                                                                  tmp_path: Path) -> None:
    spec = tmp_path / "counter.mnt"
    spec.write_text(SPEC)
    code, out, _ = _explore(str(spec), "--engine", "fake", "--check", "ok")
    assert code == 0 and fake.runs == ["ok"]
    assert "  the fake engine looked at 7 states\n" in out and "PASS ok" in out
    code, out, _ = _explore(str(spec), "--engine", "fake", "--format", "json")
    report = json.loads(out)
    assert [c["engine"] for c in report["checks"]] == ["fake", "fake"]
    # it found nothing where a violation was expected: exit 1, as for any engine
    assert code == 1 and [c["as_expected"] for c in report["checks"]] == [True, False]
    assert report["checks"][1]["why"] == ("expected violation small in 3 steps, but the "
                                          "exploration was complete and found none")
    _, help_text, _ = _explore("--help")
    assert "fake: an engine only this test knows" in " ".join(help_text.split())


def test_a_registered_engine_runs_through_the_session(fake: Fake) -> None:
    spec = load_text(SPEC, "counter.mnt")
    s = session.Session(spec, Options(), "fake")
    ran = [s.run(c) for c in session.checks_of(spec)]
    assert [r.verdict.ok for r in ran] == [True, False] and fake.runs == ["ok", "bad"]
    assert all(r.result.engine == "fake" for r in ran)


def test_an_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    spec = tmp_path / "counter.mnt"
    spec.write_text(SPEC)
    code, _, err = _explore(str(spec), "--engine", "fake")
    assert code == 2 and "invalid choice: 'fake'" in err


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and
            isinstance(n.value, str)}


FRONT_ENDS = [PKG / "cli.py", PKG / "session.py", PKG / "pytest_plugin.py",
              *sorted((PKG / "reports").glob("*.py"))]


@pytest.mark.parametrize("path", FRONT_ENDS, ids=lambda p: p.name)
def test_engine_names_are_spelled_only_in_the_registry(path: Path) -> None:
    assert tuple(dispatch.ENGINES) == ("bfs", "c", "bmc", "prove")
    named = _string_constants(path) & set(dispatch.ENGINES)
    assert not named, f"{path.relative_to(ROOT)} names the engines {sorted(named)}"


# ---------------------------------------------------------------------------------------
# Outcome kinds


def _outcome(kind: OutcomeKind) -> Outcome:
    return Outcome(kind, target="small" if kind in (OutcomeKind.VIOLATION, OutcomeKind.CTI)
                   else None, message="what went wrong", code="E3001", reason="a reason",
                   assertion="named" if kind is OutcomeKind.ASSERTION else None)


def test_an_outcome_kind_reads_as_its_value() -> None:
    # reports and committed counterexamples stay byte-identical
    assert json_text({"kind": OutcomeKind.NO_INITIAL_STATE}) == '{"kind": "no_initial_state"}'
    assert f"{OutcomeKind.CTI}" == "cti" and str(OutcomeKind.HOLDS) == "holds"
    assert Outcome("deadlock").kind is OutcomeKind.DEADLOCK  # a string is made a kind
    with pytest.raises(ValueError):
        Outcome("no such kind")


@pytest.mark.parametrize("kind", list(OutcomeKind), ids=str)
def test_every_outcome_kind_is_judged_and_reported(kind: OutcomeKind) -> None:
    spec = load_text(SPEC, "counter.mnt")
    model = spec.default
    span = model.actions[0].span
    trace = Trace(("n",), [(0,), (1,)], [Step("up", (), span)])
    o = _outcome(kind)
    result = Result(o, Figures(depth=1), [], trace, engine="bfs")
    for expect in M.ExpectKind:
        check = M.Check("c", (), M.Expect(expect, "small" if expect in (
            M.ExpectKind.VIOLATION, M.ExpectKind.CTI) else None))
        v = judge(check, model.params, result)
        assert isinstance(v.ok, bool) and (v.ok or v.why)
        text = format_verdict(v, model, "counter.mnt", spec.source, timings=False)
        assert text.splitlines()[1].strip()  # a line says what was found
        assert verdict_json(v, timings=False)["outcome"]["kind"] == kind.value
    assert describe_outcome(o, 1)
    assert trace_dot(trace, o, "title").startswith("digraph")
    assert never_fired(result) == []


@pytest.mark.parametrize("path", [PKG / "reports" / "verdict.py", PKG / "reports" / "text.py",
                                  PKG / "reports" / "diagram.py"], ids=lambda p: p.name)
def test_the_reports_match_outcome_kinds_exhaustively(path: Path) -> None:
    """A new kind fails mypy (and, at run time, the test above) until each match handles
    it; no outcome kind is compared as a string."""
    text = path.read_text(encoding="utf-8")
    assert "assert_never(o.kind)" in text
    kinds = {k.value for k in OutcomeKind}
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Attribute) and c.attr == "kind"
                for c in [node.left, *node.comparators]):
            consts = {c.value for c in ast.walk(node) if isinstance(c, ast.Constant)}
            assert not consts & kinds, f"{path.name}:{node.lineno} compares a kind as a string"


# ---------------------------------------------------------------------------------------
# The session


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("path", [PKG / "cli.py", PKG / "pytest_plugin.py"],
                         ids=lambda p: p.name)
def test_the_front_ends_run_and_judge_only_through_the_session(path: Path) -> None:
    names = _imports(path)
    assert "explorer.session" in names or any(n.startswith("explorer.session.") for n in names)
    text = path.read_text(encoding="utf-8")
    # elaborating, budgeting, running and judging a check are the session's
    for call in ("check_model(", "check_budget(", "within_budget(", "run_check(", "judge(",
                 "dispatch.run("):
        assert call not in text, f"{path.name} calls {call}...)"
    # so are the implicit check and the params a check overrides
    assert "ExpectKind.HOLDS" not in text and "check_overrides" not in text


def test_the_implicit_check_is_built_once() -> None:
    built = [p for p in PKG.rglob("*.py") if "_generated" not in p.parts
             and 'Check("default"' in p.read_text(encoding="utf-8")]
    assert built == [PKG / "session.py"]


def _recording(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = session.Session.run

    def run(self: session.Session, check: M.Check, progress: TextIO | None = None
            ) -> session.Ran:
        calls.append(check.name)
        return real(self, check, progress)
    monkeypatch.setattr(session.Session, "run", run)
    return calls


def test_explore_and_explore_render_run_their_checks_through_the_session(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _recording(monkeypatch)
    spec = tmp_path / "counter.mnt"
    spec.write_text(SPEC)
    code, _, _ = _explore(str(spec))
    assert code == 0 and calls == ["ok", "bad"]
    calls.clear()
    code = main(["render", str(spec), "--out", str(tmp_path / "out"), "--no-views"],
                stdout=io.StringIO(), stderr=io.StringIO())
    assert code == 0 and calls == ["bad"]  # `holds` has nothing to draw
    assert "invariant small is violated after 3 steps" in \
        (tmp_path / "out" / "counter" / "bad.txt").read_text()


pytest_plugins = ["pytester"]


def test_the_pytest_plugin_runs_its_checks_through_the_session(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _recording(monkeypatch)
    pytester.makefile(".mnt", counter=SPEC)
    pytester.runpytest_inprocess().assert_outcomes(passed=2)
    assert calls == ["ok", "bad"]
