"""Hostile and degenerate inputs (issue 15, sections 5 and 6): every one gives a positioned
spec error (150) or a usage error (2), never an internal error (255) or a traceback; and
an outcome that checked nothing is never reported as a pass.

In-process runs go through `explorer.cli.main` with StringIO streams; what depends on the
real process (a full or closed stdout, file names that are not UTF-8, FIFOs) runs
`python -m explorer` in a subprocess.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.diagnostics import SpecError
from explorer.drawing import Drawer
from explorer.lang.load import load_spec, load_text

pytest_plugins = ["pytester"]  # the gate's plugin comes through its pytest11 entry point

ROOT = Path(__file__).resolve().parent.parent
MUTEX = ROOT / "specs" / "examples" / "mutex.mnt"


def explore(path: Path | str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(path), "--quiet", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str | bytes, name: str = "t.mnt") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def assert_no_bug(out: str, err: str) -> None:
    for text in (out, err):
        assert "internal error" not in text and "Traceback" not in text, text


def assert_positioned(err: str, where: str, code: str) -> None:
    """`where` is `file:line:col`; the diagnostic carries it, its code, and a caret."""
    assert f"{where}: error[{code}]" in err, err
    assert "^" in err, err


def run_process(args: list[str], cwd: Path, **kw: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C.UTF-8",
           "PYTHONIOENCODING": "utf-8"}  # strict: an unencodable character would raise
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=120, **kw)  # type: ignore[call-overload]


# ---------------------------------------------------------------------------------------
# What the z3 encoding cannot unfold: positioned at the declaration or expression


BIG_SET = """spec big
var s: set 0..20000
init { s = {} }
action add { s := s union {3} }
invariant small: len(s) <= 1
"""


@pytest.mark.parametrize("engine", ["bmc", "prove"])
def test_a_set_too_large_for_z3_is_positioned_at_its_variable(tmp_path: Path,
                                                              engine: str) -> None:
    p = write(tmp_path, BIG_SET)
    code, out, err = explore(p, "--engine", engine)
    assert code == 150
    assert_positioned(err, f"{p}:2:5", "E2005")
    assert "the type 0..20000 has too many values" in err
    assert_no_bug(out, err)


def test_the_explicit_engine_explores_a_set_of_20001_bits(tmp_path: Path) -> None:
    # its packed states and masks are literals of thousands of digits in generated code
    code, out, err = explore(write(tmp_path, BIG_SET), "--engine", "bfs")
    assert code == 0, err
    assert "2 distinct" in out
    assert_no_bug(out, err)


def atoms_spec(n: int) -> str:
    atoms = ", ".join(f"a{i}" for i in range(n))
    return (f"spec atoms\nset A = {{{atoms}}}\nvar f: A -> 0..3\ninit {{ f = {{a: 0 for a in A}} }}\n"
            "action inc(a in A) when f[a] < 3 { f[a] := f[a] + 1 }\ninvariant ok: true\n")


@pytest.mark.parametrize("engine", ["bmc", "prove"])
def test_a_function_over_10000_atoms_is_positioned_for_z3(tmp_path: Path, engine: str) -> None:
    p = write(tmp_path, atoms_spec(10_000))
    code, out, err = explore(p, "--engine", engine)
    assert code == 150
    assert_positioned(err, f"{p}:3:5", "E2005")
    assert_no_bug(out, err)


def test_a_function_over_10000_atoms_is_explored_by_bfs(tmp_path: Path) -> None:
    code, out, err = explore(write(tmp_path, atoms_spec(10_000)), "--max-states", "50")
    assert code == 3 and "stopped at the state limit 50" in out
    assert_no_bug(out, err)


def test_an_expression_z3_cannot_unfold_is_positioned_at_it(tmp_path: Path) -> None:
    p = write(tmp_path, "spec q\nvar x: 0..3\ninit { x = 0 }\naction a { x := 0 }\n"
                        "invariant i: {k: k for k in 0..5000}[x] == x\n")
    code, out, err = explore(p, "--engine", "bmc")
    assert code == 150
    # at the range itself: a constant range this large is not folded into a set
    assert_positioned(err, f"{p}:5:29", "E2005")
    assert_no_bug(out, err)


def test_the_pytest_gate_reports_what_z3_cannot_encode_with_its_position(
        pytester: pytest.Pytester) -> None:
    pytester.makefile(".mnt", big=BIG_SET + "check p: expect proved\n")
    r = pytester.runpytest("-rA")
    r.assert_outcomes(failed=1)
    out = r.stdout.str()
    assert "big.mnt:2:5: error[E2005]" in out and "Traceback" not in out


# ---------------------------------------------------------------------------------------
# Consts, and the render section


DIV_CONST = """spec c
const c: 0..3 = 1 div 0
var x: 0..3
init { x = c }
action inc when x < 3 { x := x + 1 }
invariant ok: x <= 3
"""


@pytest.mark.parametrize("args", [["--engine", "bfs"], ["--engine", "bmc"],
                                  ["--engine", "prove"], ["--dump-states", "g.dot"]],
                         ids=["bfs", "bmc", "prove", "dump-states"])
def test_a_const_that_fails_is_a_positioned_spec_error(tmp_path: Path, args: list[str]) -> None:
    p = write(tmp_path, DIV_CONST)
    code, out, err = explore(p, *[a if a != "g.dot" else str(tmp_path / a) for a in args])
    assert code == 150
    assert_positioned(err, f"{p}:2:17", "E3006")
    assert "const `c` cannot be evaluated: division by zero" in err
    assert_no_bug(out, err)
    assert not (tmp_path / "g.dot").exists()


def test_a_const_failing_on_another_line_names_its_declaration(tmp_path: Path) -> None:
    p = write(tmp_path, "spec c\nparam d: 0..3 = 0\nconst c: 0..3 =\n  1 div d\n"
                        "var x: 0..3\ninit { x = c }\n")
    code, out, err = explore(p)
    assert code == 150
    assert_positioned(err, f"{p}:4:3", "E3006")
    assert "note: `c` is declared at line 3" in err


RENDER = """spec r
var x: 0..3
init { x = 0 }
action inc when x < 3 { x := x + 1 }
invariant small: x < 2
render {
  node n in {y in 0..3 where 10 div (2 - x) > 0} {
    label "n" n
  }
}
check big: expect violation small
"""


def test_a_render_domain_that_fails_is_positioned_in_explore_render(tmp_path: Path) -> None:
    p = write(tmp_path, RENDER)
    out, err = io.StringIO(), io.StringIO()
    code = main(["render", str(p), "--out", str(tmp_path / "out"), "--no-views"], out, err)
    assert code == 150
    assert_positioned(err.getvalue(), f"{p}:7:30", "E3006")
    assert "the `render` section cannot draw a state" in err.getvalue()
    assert_no_bug(out.getvalue(), err.getvalue())


def test_a_render_domain_that_fails_is_a_spec_error_on_the_diagram_path() -> None:
    model = load_text(RENDER, "r.mnt").default
    dr = Drawer(model)
    assert [n.key for n in dr.draw((0,)).nodes] == ["int.0", "int.1", "int.2", "int.3"]
    with pytest.raises(SpecError) as info:
        dr.draw((2,))  # 10 div 0
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E3006", 7, 30)


# ---------------------------------------------------------------------------------------
# The output: full or closed


def test_a_full_stdout_is_a_usage_error(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "explorer", str(MUTEX), "--quiet", "--check",
                            "buggy"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           stdout=full, stderr=subprocess.PIPE, timeout=120)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "cannot write to standard output: No space left on device" in err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_a_closed_stdout_is_a_usage_error(tmp_path: Path) -> None:
    r = run_process([str(MUTEX), "--quiet"], tmp_path, preexec_fn=lambda: os.close(1))
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "standard output: it is closed" in err and "Traceback" not in err


def test_a_closed_stderr_keeps_the_exit_code(tmp_path: Path) -> None:
    p = write(tmp_path, DIV_CONST)
    r = run_process([str(p), "--quiet"], tmp_path, preexec_fn=lambda: os.close(2))
    assert r.returncode == 150


def test_a_pipe_closed_early_still_stops_with_141() -> None:
    class Closed(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    assert main([str(MUTEX), "--quiet", "--check", "buggy"], Closed(), io.StringIO()) == 141


# ---------------------------------------------------------------------------------------
# File names that are not UTF-8, and files that are not regular


def test_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"bad\xff.mnt")
    (tmp_path / name).write_bytes(MUTEX.read_bytes())
    r = run_process([name, "--quiet", "--check", "buggy"], tmp_path)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, err
    assert "bad\\xff.mnt: 1 check, 1 as expected" in out
    assert_no_bug(out, err)
    r = run_process([name, "--quiet", "--check", "buggy", "--format", "json"], tmp_path)
    # JSON carries the name as Python holds it (the byte as a lone surrogate)
    assert r.returncode == 0 and json.loads(r.stdout)["spec"] == name


def test_a_spec_error_in_a_file_whose_name_is_not_utf8_is_positioned(tmp_path: Path) -> None:
    name = os.fsdecode(b"e\xff.mnt")
    (tmp_path / name).write_text("spec e\nvar x: bool\ninit { x = 1 }\n")
    r = run_process([name], tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 150
    assert_positioned(err, "e\\xff.mnt:3:12", "E2001")
    assert "Traceback" not in err


def test_a_file_name_that_is_not_utf8_under_a_directory(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / os.fsdecode(b"x\xfe.mnt")).write_bytes(MUTEX.read_bytes())
    r = run_process(["d", "--quiet", "--check", "buggy"], tmp_path)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, err
    assert "PASS d/x\\xfe.mnt:" in out
    assert_no_bug(out, err)
    r = run_process(["render", "d", "--out", "cx", "--no-views"], tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    assert "cx/x\\xfe/buggy.*" in r.stdout.decode()
    assert "Traceback" not in r.stderr.decode()


def test_dev_zero_as_a_spec_is_too_large() -> None:
    code, out, err = explore("/dev/zero")
    assert code == 150
    assert "/dev/zero: error[E0005]: the spec is larger than" in err
    assert_no_bug(out, err)


def test_a_fifo_without_a_writer_is_an_empty_spec(tmp_path: Path) -> None:
    fifo = tmp_path / "f.mnt"
    os.mkfifo(fifo)
    r = run_process([str(fifo)], tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 150
    assert_positioned(err, f"{fifo}:1:1", "E0006")


def test_a_directory_named_like_a_spec(tmp_path: Path) -> None:
    (tmp_path / "x.mnt").mkdir()
    code, _, err = explore(tmp_path / "x.mnt")
    assert code == 2 and "no .mnt file under this directory" in err
    # under a directory it is searched, not read as a spec
    (tmp_path / "x.mnt" / "m.mnt").write_bytes(MUTEX.read_bytes())
    code, out, err = explore(tmp_path, "--check", "buggy")
    assert code == 0, err
    assert "1 spec, 1 checks, 1 as expected" in out


# ---------------------------------------------------------------------------------------
# Flags


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-0"])
def test_max_seconds_must_be_a_finite_positive_number(value: str) -> None:
    code, out, err = explore(MUTEX, "--max-seconds", value)
    assert code == 2, err
    assert "--max-seconds" in err
    assert_no_bug(out, err)


@pytest.mark.parametrize("value", ["100000", "65", "0"])
def test_k_is_bounded_as_in_the_language(value: str) -> None:
    code, out, err = explore(MUTEX, "--k", value)
    assert code == 2, err
    assert "--k: must be from 1 to 64" in err
    assert_no_bug(out, err)


# ---------------------------------------------------------------------------------------
# Section 6: empty files, `spec NAME`, byte-order marks


def test_an_empty_file_is_a_spec_error_at_1_1(tmp_path: Path) -> None:
    p = write(tmp_path, b"")
    code, out, err = explore(p)
    assert code == 150
    assert_positioned(err, f"{p}:1:1", "E0006")
    assert "the file declares nothing" in err
    assert_no_bug(out, err)


def test_a_file_without_spec_name_is_a_spec_error(tmp_path: Path) -> None:
    p = write(tmp_path, "// a comment\nvar x: bool\ninit { x = true }\n")
    code, out, err = explore(p)
    assert code == 150
    assert_positioned(err, f"{p}:1:1", "E0006")
    assert "no `spec NAME` declaration" in err


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    code, out, err = explore(write(tmp_path, b"\xef\xbb\xbf" + MUTEX.read_bytes()),
                             "--check", "buggy")
    assert code == 0, err
    spec = load_spec(str(write(tmp_path, b"\xef\xbb\xbfspec b\nvar x: bool\ninit { x = true }\n",
                               "b.mnt")))
    assert spec.source.startswith("spec b") and spec.default.vars[0].span.line == 2


@pytest.mark.parametrize("text, where", [
    (b"\xef\xbb\xbfspec 1\n", "1:6"),  # on the mark's own line, columns count from after it
    (b"\xef\xbb\xbfspec b\nvar x: bool\ninit { x = 1 }\n", "3:12"),
    (b"\xef\xbb\xbfspec b\xff\n", "1:7"),  # not UTF-8: the column of the bad byte
])
def test_positions_after_a_byte_order_mark(tmp_path: Path, text: bytes, where: str) -> None:
    p = write(tmp_path, text)
    code, _, err = explore(p)
    assert code == 150
    assert f"{p}:{where}: error[E" in err, err
    assert "U+FEFF" not in err


# ---------------------------------------------------------------------------------------
# Section 6: no initial state is never `holds`


NO_INIT = """spec noinit
var x: 0..3
init { x in {y in 0..3 where y > 5} }
action inc when x < 3 { x := x + 1 }
invariant small: x < 2
check ok: expect holds
check pr: expect proved
check viol: expect violation small
"""


@pytest.mark.parametrize("engine", ["bfs", "bmc", "prove"])
def test_no_initial_state_is_an_error_in_every_engine(tmp_path: Path, engine: str) -> None:
    p = write(tmp_path, NO_INIT)
    code, out, err = explore(p, "--engine", engine, "--format", "json")
    assert code == 75, err
    checks = json.loads(out)["checks"]
    assert [c["as_expected"] for c in checks] == [False, False, False]
    for c in checks:
        o = c["outcome"]
        assert (o["kind"], o["code"], o["line"], c["exit_code"]) == \
            ("no_initial_state", "E3008", 3, 75)
    code, out, _ = explore(p, "--engine", engine, "--check", "ok")
    assert code == 75
    assert "no initial state, runtime error E3008" in out and f"at {p}:3:1" in out
    assert "FAIL ok: expected holds, but there is no initial state" in out


def test_no_initial_state_by_default_engines(tmp_path: Path) -> None:
    code, out, _ = explore(write(tmp_path, NO_INIT))  # BFS for holds, induction for proved
    assert code == 75
    assert out.count("no initial state, runtime error E3008") == 3


def test_no_initial_state_draws_no_state_graph(tmp_path: Path) -> None:
    dot = tmp_path / "g.dot"
    code, out, err = explore(write(tmp_path, NO_INIT), "--check", "ok", "--dump-states", str(dot))
    assert code == 75
    assert "has no initial state" in err and not dot.exists()


# ---------------------------------------------------------------------------------------
# Section 6: a bounded search is not a proof


def test_bounded_bmc_is_incomplete_for_expect_holds(tmp_path: Path) -> None:
    args = ["--engine", "bmc", "--depth", "3", "--check", "fixed"]
    code, out, err = explore(MUTEX, *args)
    assert code == 3, err
    assert "no violation in 3 steps or fewer (bounded: not a proof)" in out
    assert "FAIL fixed: no violation in 3 steps or fewer: a bounded search is not a proof" in out
    code, out, err = explore(MUTEX, *args, "--format", "json")
    (c,) = json.loads(out)["checks"]
    assert (code, c["as_expected"], c["exit_code"], c["outcome"]["kind"]) == \
        (3, False, 3, "bounded")


def test_accept_bounded_lets_bounded_bmc_satisfy_expect_holds(tmp_path: Path) -> None:
    args = ["--engine", "bmc", "--depth", "3", "--check", "fixed", "--accept-bounded"]
    code, out, err = explore(MUTEX, *args)
    assert code == 0, err
    assert "PASS fixed" in out
    code, out, _ = explore(MUTEX, *args, "--format", "json")
    (c,) = json.loads(out)["checks"]
    assert (code, c["as_expected"], c["exit_code"]) == (0, True, 0)
