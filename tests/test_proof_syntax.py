"""The language of proofs: `invariant helper NAME: e`, `expect proved [by K-induction]` and
`expect cti NAME [by K-induction]`; how checks select helpers; and that the explicit search
leaves helpers alone. The static errors are cases of tests/test_diagnostics.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import model as M
from explorer.cli import main
from explorer.diagnostics import EvalError
from explorer.explicit.compile import compile_model
from explorer.explicit.run import check_model
from explorer.interp import Interp
from explorer.lang import syntax as S
from explorer.lang.load import load_text, select
from explorer.lang.parser import parse_spec
from explorer.model import Span

# x counts up to 3; `below_two` is a helper that is false from x = 2 on, `safe` holds.
COUNTER = """\
spec counter
var x: 0..3
init { x = 0 }
action inc when x < 3 { x := x + 1 }
terminal when x == 3
/// a lemma: false once x reaches 2
invariant helper below_two: x < 2
invariant safe: x <= 3
invariant helper: x >= 0
check plain: expect holds
check proof: expect proved
check proof2 only safe: expect proved by 2-induction
check cti_h only safe: expect cti below_two
check cti_k: expect cti safe by 64-induction
check no_h except below_two: expect holds
"""


def decls(text: str) -> dict[str, S.Decl]:
    return {getattr(d, "name", ""): d for d in parse_spec(text).decls}


# ---------------------------------------------------------------------------------------
# parsing


def test_helper_invariant_parses_with_its_name_span_and_doc() -> None:
    d = decls(COUNTER)
    h = d["below_two"]
    assert isinstance(h, S.DInvariant) and h.helper
    assert h.span == Span(7, 18, 7, 27)
    assert h.doc == "a lemma: false once x reaches 2"
    plain = d["helper"]  # `invariant helper: e` is an ordinary invariant named `helper`
    assert isinstance(plain, S.DInvariant) and not plain.helper
    assert plain.span == Span(9, 11, 9, 17)


def test_proof_expectations_parse_with_spans() -> None:
    d = decls(COUNTER)
    proof, proof2, cti_h, cti_k = d["proof"], d["proof2"], d["cti_h"], d["cti_k"]
    assert isinstance(proof, S.DCheck) and isinstance(proof2, S.DCheck)
    assert isinstance(cti_h, S.DCheck) and isinstance(cti_k, S.DCheck)
    assert (proof.kind, proof.target, proof.steps, proof.k) == ("proved", None, None, None)
    assert proof.span == Span(11, 7, 11, 12)
    assert (proof2.kind, proof2.k, proof2.only) == ("proved", 2, (("safe", Span(12, 19, 12, 23)),))
    assert (cti_h.kind, cti_h.target, cti_h.k) == ("cti", "below_two", None)
    assert cti_h.target_span == Span(13, 35, 13, 44)
    assert (cti_k.kind, cti_k.target, cti_k.k) == ("cti", "safe", 64)
    assert cti_k.target_span == Span(14, 25, 14, 29)


def test_helper_stays_an_ordinary_name() -> None:
    text = """\
spec t
set S = {helper, other}
var helper_count: 0..1
var cti: bool
var proved: bool
init { helper_count = 0 cti = false proved = false }
def by(induction in S) = induction == helper
action helper(s in S) when by(s) { helper_count := 1 }
invariant helper helper_ok: helper_count <= 1 and not cti and not proved
check c: expect holds
"""
    spec = load_text(text, "n.mnt")
    assert [(i.name, i.helper) for i in spec.default.invariants] == [("helper_ok", True)]
    assert check_model(spec.default, progress=None).outcome.kind == "holds"


def test_ir_of_the_expectations() -> None:
    spec = load_text(COUNTER, "c.mnt")
    got = {c.name: c.expect for c in spec.checks}
    assert got["proof"] == M.Expect(M.ExpectKind.PROVED)
    assert got["proof2"] == M.Expect(M.ExpectKind.PROVED, k=2)
    assert got["cti_h"] == M.Expect(M.ExpectKind.CTI, "below_two")
    assert got["cti_k"] == M.Expect(M.ExpectKind.CTI, "safe", None, 64)
    assert [(i.name, i.helper, i.doc) for i in spec.default.invariants] == [
        ("below_two", True, "a lemma: false once x reaches 2"), ("safe", False, ""),
        ("helper", False, "")]


# ---------------------------------------------------------------------------------------
# describe() writes the expectation as the spec does


EXPECTATIONS = ["holds", "violation safe", "violation safe in 2 steps", "deadlock",
                "deadlock in 3 steps", "assertion", "assertion ok in 1 step", "error",
                "proved", "proved by 1-induction", "proved by 2-induction",
                "proved by 64-induction", "cti safe", "cti below_two by 2-induction"]
ROUND_TRIP = COUNTER.replace("action inc when x < 3 { x := x + 1 }",
                             "action inc when x < 3 { x := x + 1 assert ok: x <= 3 }")


@pytest.mark.parametrize("text", EXPECTATIONS)
def test_describe_round_trips(text: str) -> None:
    spec = load_text(ROUND_TRIP + f"check rt: expect {text}\n", "r.mnt")
    assert spec.checks[-1].expect.describe() == text


def test_one_step_may_be_written_either_way() -> None:
    # `in 1 steps` (older specs) reads as `in 1 step`, which is how it is printed
    spec = load_text(ROUND_TRIP + "check rt: expect assertion ok in 1 steps\n", "r.mnt")
    assert spec.checks[-1].expect.describe() == "assertion ok in 1 step"


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(["", " with N = 1", " with N = 0"]),
       st.sampled_from(["", " only safe", " only below_two", " only safe, ok",
                        " except below_two", " except helper"]),
       st.sampled_from(EXPECTATIONS[:8]
                       + ["proved", "cti safe", "cti below_two", "cti helper"]),
       st.one_of(st.none(), st.integers(1, 64)))
def test_generated_checks_round_trip(with_: str, selection: str, expectation: str,
                                     k: int | None) -> None:
    """Every combination of `with`, selection and expectation that is valid loads, and its
    expectation describes itself as written."""
    if k is not None and expectation.split()[0] in ("proved", "cti"):
        expectation += f" by {k}-induction"
    words = expectation.split()
    target = words[1] if len(words) > 1 and words[1] not in ("in", "by") else None
    kept = {"": {"safe", "below_two", "helper", "ok"}, " only safe": {"safe", "below_two"},
            " only below_two": {"below_two"}, " only safe, ok": {"safe", "below_two", "ok"},
            " except below_two": {"safe", "helper", "ok"},
            " except helper": {"safe", "below_two", "ok"}}[selection]
    if target is not None and target not in kept:
        return  # E1006, a case of test_diagnostics.py
    head = "param N: 0..1 = 1\n"
    spec = load_text(head + ROUND_TRIP + f"check g{with_}{selection}: expect {expectation}\n")
    (check,) = [c for c in spec.checks if c.name == "g"]
    assert check.expect.describe() == expectation
    names = {i.name for i in spec.check_model(check).invariants}
    assert names == kept - {"ok"}


# ---------------------------------------------------------------------------------------
# selection


def test_only_keeps_helpers_and_except_drops_them() -> None:
    spec = load_text(COUNTER, "c.mnt")
    checks = {c.name: c for c in spec.checks}
    names = {n: [i.name for i in spec.check_model(c).invariants] for n, c in checks.items()}
    assert names["plain"] == ["below_two", "safe", "helper"]
    assert names["proof2"] == ["below_two", "safe"]  # `only safe` keeps the helper
    assert names["no_h"] == ["safe", "helper"]  # `except below_two` drops it
    assert checks["proof2"].only == ("safe",)  # the list as written: helpers are implied
    m = spec.default
    assert [i.name for i in select(m, ()).invariants] == ["below_two"]
    assert [i.name for i in select(m, ("helper",), ("below_two",)).invariants] == ["helper"]
    assert [i.name for i in select(m, ("below_two",)).invariants] == ["below_two"]


# ---------------------------------------------------------------------------------------
# the explicit engine


def test_search_ignores_a_violated_helper() -> None:
    spec = load_text(COUNTER, "c.mnt")
    it = Interp(spec.default)
    assert not it.invariant_holds("below_two", (2,))  # false in a reachable state
    r = check_model(spec.default, progress=None)
    assert r.outcome.kind == "holds" and r.figures.distinct == 4


def test_search_neither_checks_nor_evaluates_helpers() -> None:
    """A helper that raises a runtime error is not evaluated, and the ordinary invariant
    after it is still reported, under its own name (the compiled index is the model's)."""
    text = COUNTER.replace("invariant helper below_two: x < 2",
                           "invariant helper below_two: 6 div (2 - x) > 0") + \
        "invariant small: x < 3\n"
    model = load_text(text, "c.mnt").default
    with pytest.raises(EvalError):  # the helper fails where the interpreter evaluates it
        Interp(model).invariant_holds("below_two", (2,))
    cm = compile_model(model)
    assert cm.invariants(cm.encode_state((2,))) == -1
    assert cm.invariants(cm.encode_state((3,))) == 3
    r = check_model(model, progress=None)
    assert (r.outcome.kind, r.outcome.target) == ("violation", "small")
    assert r.trace is not None and len(r.trace) == 3
    assert r.outcome.span == Span(16, 11, 16, 16)


def test_explore_passes_an_ordinary_check_beside_a_false_helper(tmp_path: Path) -> None:
    path = tmp_path / "c.mnt"
    path.write_text(COUNTER, encoding="utf-8")
    out = io.StringIO()
    code = main([str(path), "--check", "plain", "--quiet"], stdout=out, stderr=io.StringIO())
    assert code == 0 and "PASS plain" in out.getvalue()
