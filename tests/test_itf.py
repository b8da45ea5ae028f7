"""ITF output: every counterexample `explore --format itf` prints validates against a JSON
Schema written from the format's documentation (tests/itf/itf.schema.json), and reads back
to the very states of the trace, value by value."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from loaded import loaded

from explorer.cli import main
from explorer.explicit.run import check_model
from explorer.model import IntT, OptT, SetT
from explorer.reports.itf import itf_value, trace_itf, trace_of_itf, value_of

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "itf" / "itf.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# counterexamples over every kind of type the showcase specs use (options, sets, functions,
# records and sequences in mountinfo_cursor), and a failing step
CASES = [
    ("specs/examples/mutex.mnt", "buggy"),
    ("specs/examples/prodcons.mnt", "overflow"),
    ("specs/detached_trees.mnt", "close_then_mount_lockup"),
    ("specs/mountinfo_cursor.mnt", "v1p_reuse"),
    ("specs/deferred_release.mnt", "s3_mntput_deferred"),
    ("specs/exec_files.mnt", "pre_threads"),
]


def _itf_lines(spec: str, check: str) -> list[dict]:
    out, err = io.StringIO(), io.StringIO()
    assert main([str(ROOT / spec), "--check", check, "--format", "itf"], stdout=out,
                stderr=err) == 0
    assert err.getvalue() == ""  # no progress lines with a machine format
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize(("spec", "check"), CASES)
def test_counterexamples_are_valid_itf_and_round_trip(spec: str, check: str) -> None:
    [doc] = _itf_lines(spec, check)
    VALIDATOR.validate(doc)
    s = loaded(ROOT / spec)
    model = s.check_model(next(c for c in s.checks if c.name == check))
    trace = check_model(model, progress=None).trace
    assert trace is not None
    assert doc["vars"] == list(trace.var_names)
    assert [st["#meta"]["index"] for st in doc["states"]] == list(range(len(trace.states)))
    assert [st["#meta"].get("action") for st in doc["states"][1:]] == \
        [step.action for step in trace.steps[:len(trace.states) - 1]]
    assert trace_of_itf(model, doc) == trace.states
    assert doc["#meta"]["format"] == "ITF" and doc["#meta"]["source"].endswith(spec)
    assert ("failing_step" in doc["#meta"]) == (len(trace.steps) == len(trace.states))


def test_a_trace_per_check_one_per_line() -> None:
    docs = _itf_lines("specs/examples/prodcons.mnt", "overflow") + \
        _itf_lines("specs/examples/prodcons.mnt", "fixed")
    assert len(docs) == 1  # a check that holds has no trace to print
    out = io.StringIO()
    main([str(ROOT / "specs/examples/prodcons.mnt"), "--format", "itf"], stdout=out,
         stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert len(lines) >= 2 and all(VALIDATOR.is_valid(json.loads(x)) for x in lines)


def test_values_beyond_2_53_are_bigints_and_options_are_variants() -> None:
    big = IntT(0, 2**60)
    assert itf_value(2**53 - 1, big) == 2**53 - 1
    assert itf_value(2**53, big) == {"#bigint": str(2**53)}
    assert value_of({"#bigint": str(2**60)}, big) == 2**60
    opt = OptT(SetT(IntT(0, 3)))
    assert itf_value(None, opt) == {"tag": "None", "value": {"#tup": []}}
    assert itf_value(frozenset({2, 0}), opt) == {"tag": "Some", "value": {"#set": [0, 2]}}
    assert value_of(itf_value(frozenset({2, 0}), opt), opt) == frozenset({0, 2})


@pytest.mark.parametrize("bad", [
    {"vars": ["x"], "states": [{"x": 1}]},  # a state without #meta and its index
    {"vars": ["x"], "states": [{"#meta": {"index": 0}, "x": {"#set": 3}}]},
    {"vars": ["x"], "states": [{"#meta": {"index": 0}, "x": {"#map": [[1]]}}]},
    {"vars": ["x"], "states": [{"#meta": {"index": 0}, "x": {"#bigint": "1.5"}}]},
    {"vars": ["x"], "states": [], "loop": -1},
    {"vars": ["x"]},
])
def test_the_schema_rejects_what_the_format_does_not_allow(bad: dict) -> None:
    assert not VALIDATOR.is_valid(bad)


def test_trace_itf_is_plain_json() -> None:
    s = loaded(ROOT / "specs/examples/mutex.mnt")
    model = s.check_model(next(c for c in s.checks if c.name == "buggy"))
    trace = check_model(model, progress=None).trace
    assert trace is not None
    doc = trace_itf(model, trace, "mutex.mnt", "d")
    assert json.loads(json.dumps(doc)) == doc
