"""What the tests of the showcase specs share: one JSON run of a spec, the pinned figures of
a check, engine agreement on the first states, and README blocks kept equal to what
`explore` prints."""

from __future__ import annotations

import io
import json
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_engine_agreement import Agreement

from explorer.cli import main
from explorer.model import Model

Pin = tuple[str, int | None, int, int, int]  # (outcome, K or None, distinct, generated, depth)
PROVED: Pin = ("proved", None, 0, 0, 1)  # an `expect proved` check: induction, no search


def json_report(spec: Path) -> dict[str, Any]:
    """Every check of `spec`, by name, from one `explore --format json` run that passes."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(spec), "--format", "json"], stdout=out, stderr=err)
    data = json.loads(out.getvalue())
    assert code == 0, [c["why"] for c in data["checks"] if not c["as_expected"]]
    return {c["check"]: c for c in data["checks"]}


def assert_pinned(c: dict[str, Any], pin: Pin) -> None:
    """The check passed, with the outcome, length and figures pinned. A violation's figures
    are those of the search up to the state where BFS met it."""
    kind, steps, distinct, generated, depth = pin
    assert c["as_expected"] and c["exit_code"] == 0
    assert c["outcome"]["kind"] == kind
    assert c["outcome"]["steps"] == steps
    f = c["figures"]
    assert (f["distinct"], f["generated"], f["depth"]) == (distinct, generated, depth)
    assert f["complete"] == (kind in ("holds", "proved", "liveness"))


def pinned_suite(spec: Path, pinned: dict[str, Pin]) -> tuple[Any, Any, Any]:
    """What every showcase test file starts with, for `report, test_every_check_is_pinned,
    test_check_outcome_and_figures = pinned_suite(SPEC, PINNED)`: a module-scoped `report`
    fixture (one JSON run of the spec), the test that the checks are exactly the pinned
    ones, in order, and one test per check of its outcome and figures."""

    @pytest.fixture(scope="module")
    def report() -> dict[str, Any]:
        return json_report(spec)

    def test_every_check_is_pinned(report: dict[str, Any]) -> None:
        assert list(report) == list(pinned)

    @pytest.mark.parametrize("name", list(pinned))
    def test_check_outcome_and_figures(report: dict[str, Any], name: str) -> None:
        assert_pinned(report[name], pinned[name])

    return report, test_every_check_is_pinned, test_check_outcome_and_figures


def never_fired(check: dict[str, Any]) -> list[str]:
    """The actions that never fired in a check of a JSON report, sorted."""
    return sorted(a["action"] for a in check["coverage"] if a["fired"] == 0)


def agree_on_first_states(model: Model, n: int = 300) -> None:
    """The first n states the interpreter reaches breadth first (all of them, if there are
    fewer), compared action by action with the generated code (successors, and faults)."""
    ag = Agreement(model)
    queue = deque(dict.fromkeys(ag.initial()))
    seen, compared = set(queue), 0
    while queue and compared < n:
        compared += 1
        for t in ag.state(queue.popleft()):
            if t not in seen:
                seen.add(t)
                queue.append(t)
    assert compared == n or not queue


def walkthrough(initial: str, notes: dict[str, str] | None = None
                ) -> Callable[[list[str]], list[str]]:
    """The shape of a README trace block, for `readme_block`: what explore prints up to the
    figures, with the initial state's variables replaced by the line `initial`, and
    `notes[prefix]` (e.g. a shell command) put above the step line starting with prefix."""

    def shape(printed: list[str]) -> list[str]:
        state0 = printed.index("  State 0 (initial)")
        step1 = next(i for i, ln in enumerate(printed) if ln.startswith("  Step 1:"))
        end = next(i for i, ln in enumerate(printed) if "states generated" in ln)
        block = printed[:state0 + 1] + [initial]
        for ln in printed[step1:end]:
            block += [n for prefix, n in (notes or {}).items() if ln.startswith("  " + prefix)]
            block.append(ln)
        return block

    return shape


def readme_block(root: Path, prompt: str, args: list[str],
                 shape: Callable[[list[str]], list[str]]) -> None:
    """The README's block that starts with `prompt` is `shape` applied to what `explore
    args` prints (from the repository root). UPDATE_GOLDEN=1 rewrites the block."""
    cwd = os.getcwd()
    os.chdir(root)
    try:
        out, err = io.StringIO(), io.StringIO()
        assert main(args, stdout=out, stderr=err) == 0
    finally:
        os.chdir(cwd)
    want = [prompt] + shape(out.getvalue().splitlines())
    path = root / "README.md"
    readme = path.read_text()
    start = readme.index(prompt)
    end = readme.index("```", start)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(readme[:start] + "\n".join(want) + "\n" + readme[end:])
        return
    assert readme[start:end].splitlines() == want
