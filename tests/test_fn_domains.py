"""A function's keys are exactly its domain, and the domain is part of its type
(docs/semantics.md, "Function domains").

A function value over another domain than the place it goes to is a type error (E2001,
exit 150, at the value) in every engine: before, the search dropped extra keys (a false
`holds`), failed with IndexError on missing ones (exit 255), and z3 dropped extra keys too
(false `bounded`/`proved`). Only the range is checked at run time (E3001), and there the
interpreter, the compiled search and z3 agree, nested functions included.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_bmc import _what
from test_engine_agreement import Agreement, model_of

from explorer.cli import main
from explorer.diagnostics import SpecError
from explorer.explicit.run import check_model
from explorer.lang.load import load_text
from explorer.symbolic.bmc import check_bmc

ENGINES = ("bfs", "bmc", "prove")
NOTE = "a function's domain is part of its type (its keys are exactly the domain)"


def explore(tmp_path: Path, text: str, engine: str) -> tuple[int, str]:
    spec = tmp_path / "t.mnt"
    spec.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main([str(spec), "--engine", engine, "--quiet"], stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


IN_INIT = """spec t
var slot: 0..3
var used: {dom} -> bool
init {{
  slot = 0
  used = {{i: false for i in {value}}}
}}
"""

# The fuzzing campaign's reproducers (notes: fuzz-findings, defect C), each with the
# position of the function value and the domains that differ (the value's, the place's).
REPRODUCERS = {
    # extra keys in an action: every engine said holds / bounded / proved
    "extra_keys_action": ("""spec t
var used: 0..1 -> bool
init { used = {i: false for i in 0..1} }
action set { used := {i: true for i in 0..2} }
""", (4, 22), "0..2 is not 0..1"),
    # ... with an invariant it breaks: a replay failure, exit 255, in every engine
    "extra_keys_action_inv": ("""spec t
var used: 0..1 -> bool
init { used = {i: false for i in 0..1} }
action set { used := {i: true for i in 0..2} }
invariant never: not used[1]
""", (4, 22), "0..2 is not 0..1"),
    # missing keys in an action: bfs IndexError (255), bmc and prove E3001
    "missing_keys_action": ("""spec t
var used: 0..1 -> bool
init { used = {i: false for i in 0..1} }
action set { used := {i: true for i in 1..1} }
""", (4, 22), "1..1 is not 0..1"),
    # extra keys in init: bfs and bmc failed replaying another counterexample (255)
    "extra_keys_init": (IN_INIT.format(dom="0..2", value="0..3"), (6, 10), "0..3 is not 0..2"),
    "extra_keys_init_shifted": (IN_INIT.format(dom="2..2", value="0..2"), (6, 10),
                                "0..2 is not 2..2"),
    # missing keys in init: bfs IndexError (255)
    "missing_keys_init": (IN_INIT.format(dom="0..2", value="0..1"), (6, 10), "0..1 is not 0..2"),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(REPRODUCERS))
def test_reproducer_is_a_type_error_in_every_engine(tmp_path: Path, name: str,
                                                    engine: str) -> None:
    text, (line, col), clash = REPRODUCERS[name]
    code, out = explore(tmp_path, text, engine)
    assert code == 150, out
    assert f"t.mnt:{line}:{col}: error[E2001]: type mismatch: `used` has type " in out
    assert f"note: {NOTE}: {clash}" in out
    assert "internal error" not in out and "PASS" not in out


# Every place a function value can go, with `{D}` for the domain of the comprehension
# that the place receives (the declared domain is 0..1) and `{E}` for its values (the
# declared range is 0..2). The values: what the variable holds after one step.
F = "var f: 0..1 -> 0..2\n"
G = "var g: bool -> 0..1 -> 0..2\n"
R = "var r: {a: 0..1 -> 0..2, b: bool}\n"
Q = "var q: seq[2] {a: 0..1 -> 0..2}\n"
FN = "{i: {E} for i in {D}}"
ZERO_F = "{i: 0 for i in 0..1}"
PLACES = {
    "assign": (F, f"f = {ZERO_F}", f"f := {FN}"),
    "init": (F, f"f = {FN}", "f := f"),
    "fn_range_key": (G, f"g = {{b: {ZERO_F} for b in bool}}", f"g[true] := {FN}"),
    "fn_range_whole": (G, f"g = {{b: {ZERO_F} for b in bool}}", f"g := {{b: {FN} for b in bool}}"),
    "fn_range_init": (G, f"g = {{b: {FN} for b in bool}}", "g := g"),
    "record_field": (R, f"r = {{a: {ZERO_F}, b: false}}", f"r.a := {FN}"),
    "record_whole": (R, f"r = {{a: {ZERO_F}, b: false}}", f"r := {{a: {FN}, b: true}}"),
    "record_init": (R, f"r = {{a: {FN}, b: false}}", "r.b := true"),
    "seq_append": (Q, "q = []", f"q := append(q, {{a: {FN}}})"),
    "seq_literal": (Q, "q = []", f"q := [{{a: {ZERO_F}}}, {{a: {FN}}}]"),
    "seq_element": (Q, f"q = [{{a: {ZERO_F}}}]", f"q[0].a := {FN}"),
    "if_branch": (F, f"f = {ZERO_F}", f"f := if f[0] == 0 then {FN} else f"),
    "compare": (F, f"f = {ZERO_F}", f"if f == {FN} {{ f[1] := 2 }}"),
}


def place_spec(place: str, dom: str, value: str) -> str:
    """One step stores the value (or init does); then nothing is enabled."""
    decl, init, step = PLACES[place]
    init = init.replace("{D}", dom).replace("{E}", value)
    step = step.replace("{D}", dom).replace("{E}", value)
    return (f"spec t\n{decl}var done: bool\ninit {{\n  done = false\n  {init}\n}}\n"
            f"action a when not done {{\n  {step}\n  done := true\n}}\n")


@pytest.mark.parametrize("dom", ["1..1", "0..2", "0..0", "1..2", "bool"])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_other_domain_is_a_type_error_at_the_value(place: str, dom: str) -> None:
    text = place_spec(place, dom, "0")
    with pytest.raises(SpecError) as e:
        load_text(text, "t.mnt")
    (d,) = e.value.diagnostics
    assert d.code == "E2001", d
    # at the comprehension (or the record or sequence holding it, or the `if`/`!=`)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if f"for i in {dom}}}" in ln)
    assert d.span.line == line, d
    clash = f"0..1 is not {dom}" if place == "compare" else f"{dom} is not 0..1"  # f == value
    assert d.notes == (f"{NOTE}: {clash}",), d


# With the declared domain, the range decides: 0 fits 0..2, 2 * i + 1 does not (3 at key
# 1). Expected: (outcome kind, code, trace length) in every engine.
RANGE_CASES: dict[str, tuple[str, str | None, int | None]] = {
    "0": ("deadlock", None, 1), "2 * i + 1": ("error", "E3001", 1)}


@pytest.mark.parametrize("value", sorted(RANGE_CASES))
@pytest.mark.parametrize("place", sorted(PLACES))
def test_same_domain_every_engine_agrees(place: str, value: str) -> None:
    text = place_spec(place, "0..1", value)
    model = model_of(text)
    Agreement(model).run()  # the compiled search and the interpreter, state by state
    kind, code, steps = RANGE_CASES[value]
    if place in ("init", "fn_range_init", "record_init") and code is not None:
        steps = None  # init stores the value: no step (`_what` says None)
    if place == "compare":  # nothing stores the value
        kind, code, steps = "deadlock", None, 1
    bfs = check_model(model, progress=None)
    bmc = check_bmc(model, 3, progress=None)
    assert _what(bfs) == _what(bmc) == (kind, None, code, None, steps), text


@pytest.mark.parametrize("engine", ENGINES)
def test_const_that_does_not_fit_its_type_is_e3001(tmp_path: Path, engine: str) -> None:
    # the value's range (1..2) is not the declared 0..1: every engine used {0: 1, 1: 2}
    text = """spec t
const c: 0..1 -> 0..1 = {i: i + 1 for i in 0..1}
const r: {a: 0..1} = {a: 1 + 1}
var x: 0..3
init { x = c[1] + r.a }
action a { x := c[0] }
invariant small: x <= 1
"""
    code, out = explore(tmp_path, text, engine)
    assert code == 150, out
    assert ("t.mnt:2:25: error[E3001]: const `c` cannot be evaluated: value {0: 1, 1: 2} "
            "does not fit 0..1 -> 0..1 (const c)") in out
    code, out = explore(tmp_path, text.replace("i + 1 for", "i + i - i for"), engine)
    assert code == 150, out
    assert ("t.mnt:3:22: error[E3001]: const `r` cannot be evaluated: value {a: 2} "
            "does not fit {a: 0..1} (const r)") in out


@pytest.mark.parametrize("engine", ENGINES)
def test_const_over_another_domain_is_e2001(tmp_path: Path, engine: str) -> None:
    code, out = explore(tmp_path, """spec t
const c: 0..1 -> bool = {i: true for i in 0..2}
var x: bool
init { x = false }
action a { x := true }
invariant never: not x
""", engine)
    assert code == 150, out
    assert "t.mnt:2:25: error[E2001]: type mismatch: const `c` has type 0..1 -> bool" in out
    assert f"note: {NOTE}: 0..2 is not 0..1" in out


def test_const_that_fits_its_type_is_checked_and_kept() -> None:
    # the types do not fit statically (i + i - i is -1..2, 3 div 2 - 1 is -4..2), but the
    # values do
    model = model_of("""spec t
const c: 0..1 -> 0..1 = {i: i + i - i for i in 0..1}
const r: {a: 0..1} = {a: 3 div 2 - 1}
var x: 0..3
init { x = c[1] + r.a }
action a { x := c[0] + r.a }
invariant small: x <= 1
""")
    assert Agreement(model).run() == 2
    assert _what(check_model(model, progress=None)) == ("holds", None, None, None, None)
    assert _what(check_bmc(model, 3, progress=None)) == ("bounded", None, None, None, None)
