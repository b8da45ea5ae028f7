"""The front end elaborates each configuration once per process: a spec text is parsed and
resolved once, and each set of param overrides (a check's `with` clause, `--set`) is
elaborated once, whether it comes from loading, from `check_model` or from loading the
same spec again. Positions of errors are never taken from the memo."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import explorer.lang.load as load
from explorer.diagnostics import SpecError
from explorer.lang import syntax as S
from explorer.lang.load import load_spec, load_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = load.elaborate

    def counting(*args: Any) -> Any:
        calls[0] += 1
        return real(*args)

    monkeypatch.setattr(load, "elaborate", counting)
    return calls


def _configurations(spec: S.SpecFile) -> int:
    """The default configuration, and one per distinct `with` clause."""
    withs = {frozenset((n, e) for n, e, _ in d.overrides)
             for d in spec.decls if isinstance(d, S.DCheck) and d.overrides}
    return 1 + len(withs)


@pytest.mark.parametrize(("name", "configs"), [("detached_trees", 33), ("mountinfo_cursor", 36)])
def test_each_configuration_is_elaborated_once(tmp_path: Path, count: list[int],
                                               monkeypatch: pytest.MonkeyPatch,
                                               name: str, configs: int) -> None:
    once: list[str] = []  # the per-spec phases: parsed and resolved once
    for phase in ("parse_spec", "resolve"):
        real = getattr(load, phase)
        monkeypatch.setattr(load, phase, lambda x, real=real, phase=phase: (
            once.append(phase), real(x))[1])
    path = tmp_path / f"{name}.mnt"  # a path of its own: nothing memoised for it yet
    shutil.copy(ROOT / "specs" / f"{name}.mnt", path)
    spec = load_spec(str(path))
    assert _configurations(spec.syntax) == configs
    assert count[0] == configs  # today's main: 45 for detached_trees, 31 for mountinfo_cursor
    models = [spec.check_model(c) for c in spec.checks]
    assert count[0] == configs  # ... and 44, 30 more
    again = load_spec(str(path))
    assert [again.check_model(c) for c in again.checks] == models
    assert count[0] == configs
    assert once == ["parse_spec", "resolve"]


def test_a_check_with_no_overrides_runs_the_default_model(count: list[int]) -> None:
    spec = load_text("spec s\nparam N: 0..3 = 1\nvar x: 0..3\ninit { x = N }\n"
                     "check a: expect holds\ncheck b with N = 1: expect holds\n", "memo_a.mnt")
    assert spec.check_model(spec.checks[0]) is spec.default
    assert spec.model({"N": (S.ELit(2), load.M.NOSPAN)}).params == (("N", 2),)
    assert count[0] == 3


def test_a_bool_and_an_int_are_different_overrides() -> None:
    # 1 == True in Python; `with p = 1` must not find the model that `with p = true` made
    text = ("spec s\nparam p: bool = false\nvar x: bool\ninit { x = p }\n"
            "check a with p = true: expect holds\ncheck b with p = 1: expect holds\n")
    with pytest.raises(SpecError) as info:
        load_text(text, "memo_b.mnt")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E2002", 6, 18)


def test_the_same_bad_override_is_reported_at_each_place() -> None:
    text = ("spec s\nparam N: 0..3 = 0\nvar x: 0..3\ninit { x = N }\n"
            "check a with N = 9: expect holds\ncheck b with N = 9: expect holds\n")
    for _ in range(2):  # and again, once the spec text is memoised
        with pytest.raises(SpecError) as info:
            load_text(text, "memo_c.mnt")
        assert [(d.code, d.span.line, d.span.col) for d in info.value.diagnostics] == [
            ("E2002", 5, 18), ("E2002", 6, 18)]


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch, count: list[int]) -> None:
    monkeypatch.setattr(load, "_MEMO", load._Memo())
    monkeypatch.setattr(load, "MEMO_CONFIGS", 2)
    text = "spec s\nparam N: 0..9 = 0\nvar x: 0..9\ninit { x = N }\n" + "".join(
        f"check c{i} with N = {i}: expect holds\n" for i in range(1, 6))
    spec = load_text(text, "memo_d.mnt")
    assert count[0] == 6 and len(load._MEMO.entries) == 2
    assert [m.params for m in map(spec.check_model, spec.checks)] == [
        (("N", i),) for i in range(1, 6)]
    assert count[0] == 6 + 5  # none is still kept when asked for again (least recent first)
