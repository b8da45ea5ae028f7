"""Every phase of a check is bounded (issue 15, section 4): the limits (--max-states,
--max-seconds, --max-memory) apply to loading, elaboration, the initial states, the
compilation, the search, the z3 encoding and solving and the drawing, and reaching one is
`incomplete` (exit 3) naming the phase; elaboration has a size budget with positioned
errors; ranges are never made sets just to test membership; Ctrl-C stops the whole run.

Whatever would take the machine's memory on a build without these bounds runs in a child
process under a hard memory limit (set in the child only), and whatever would hang runs
with a (generous) timeout: no assertion here is about time.
"""

from __future__ import annotations

import io
import json
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget, Limits, format_size, parse_size
from explorer.cli import main
from explorer.diagnostics import SpecError
from explorer.dispatch import run_check
from explorer.lang import typecheck
from explorer.lang.load import load_text

pytest_plugins = ["pytester"]  # a pytest session of .mnt checks, in a child process

REPO = Path(__file__).resolve().parent.parent
GIB = 1 << 30


def child(args: list[str], address_space: int | None = None, timeout: float = 120,
          code: str | None = None) -> subprocess.CompletedProcess[str]:
    """`explore ARGS` in a child process, optionally under RLIMIT_AS (in the child only).
    The child restores Python's Ctrl-C handler (a background shell may ignore SIGINT)."""
    prog = code or ("import signal, sys\n"
                    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
                    "from explorer.cli import main\n"
                    "sys.exit(main(sys.argv[1:]))\n")

    def limit() -> None:
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return subprocess.run([sys.executable, "-c", prog, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit)


def explore(tmp_path: Path, text: str, *args: str) -> tuple[int, str, str]:
    spec = tmp_path / "spec.mnt"
    spec.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main([str(spec), "--quiet", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "spec.mnt") -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


COUNTER = """spec counter
var x: 0..5
init { x = 0 }
action inc when x < 5 { x := x + 1 }
terminal when x == 5
invariant small: x < 4
check ok: expect holds
check bad: expect violation small in 4 steps
"""


# ---------------------------------------------------------------------------------------
# The initial states count against --max-states, and are never built whole


HUGE_INIT = """spec huge_init
var x: 0..9999999
init { x in 0..9999999 }
action inc when x < 9999999 { x := x + 1 }
"""


def test_an_init_with_more_states_than_the_limit_is_incomplete_at_once(tmp_path: Path) -> None:
    p = child([write(tmp_path, HUGE_INIT), "--max-states", "10", "--quiet"], 2 * GIB)
    assert p.returncode == 3, p.stderr
    assert "stopped at the state limit 10 while computing the initial states" in p.stdout
    assert "10 distinct" in p.stdout


def test_the_memory_limit_names_the_phase(tmp_path: Path) -> None:
    # ten million initial states do not fit in 200 MiB: stopped while computing them
    p = child([write(tmp_path, HUGE_INIT), "--max-memory", "200M", "--quiet"], 4 * GIB)
    assert p.returncode == 3, p.stderr
    assert "stopped at the memory limit 200 MiB while computing the initial states" in p.stdout
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr


def test_one_allocation_beyond_the_limit_is_stopped_by_the_backstop(tmp_path: Path) -> None:
    # a set of ten billion integers (a 1.2 GiB bitmask) in one step: no poll sees it
    # coming; the hard limit (RLIMIT_DATA, set by explore in the child) makes it a
    # MemoryError, and that is the memory limit, not an internal error
    text = """spec alloc
var x: 0..3
init { x = 0 }
action inc when x < 3 { x := x + 1 }
terminal when x == 3
invariant i: len((0..10000000000) minus {x}) > 0
"""
    p = child([write(tmp_path, text), "--max-memory", "300M", "--quiet"])
    assert p.returncode == 3, p.stderr
    assert "stopped at the memory limit 300 MiB" in p.stdout


def test_a_memory_error_in_any_phase_is_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    # what the backstop (RLIMIT_DATA) raises when one allocation is too large
    import explorer.explicit.run as run

    def too_large(model: M.Model) -> Any:
        raise MemoryError

    monkeypatch.setattr(run, "compile_model", too_large)
    spec = load_text(COUNTER)
    r = run_check(spec.checks[0], spec.default, limits=Limits(max_memory=GIB))
    assert (r.outcome.kind, r.outcome.reason) == ("incomplete", "memory limit 1 GiB while "
                                                  "compiling the model")


def test_z3_running_out_of_memory_is_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    import z3

    import explorer.symbolic.bmc as bmc

    def out_of_memory(model: M.Model, steps: bool = True) -> Any:
        raise z3.Z3Exception("out of memory")

    monkeypatch.setattr(bmc, "System", out_of_memory)
    spec = load_text(COUNTER)
    r = run_check(spec.checks[0], spec.default, "bmc", Limits(max_memory=GIB))
    assert (r.outcome.kind, r.outcome.reason) == ("incomplete", "memory limit 1 GiB while "
                                                  "encoding for z3")


# ---------------------------------------------------------------------------------------
# Ranges: membership is two comparisons, iteration is lazy, in every evaluator


RANGES = """spec ranges
var x: 0..7
init { x = 0 }
action inc when x < 7 { x := x + 1 }
terminal when x == 7
invariant small: x not in 6..1000000000
invariant some: exists y in 0..1000000000: y == x
check v: expect violation small in 6 steps
"""


@pytest.mark.parametrize("engine", ["bfs", "bmc"])
def test_a_huge_range_is_tested_without_making_it(tmp_path: Path, engine: str) -> None:
    # bfs compiles `x in a..b` and iterates `exists` lazily; the trace replays through
    # the interpreter; bmc encodes the membership as two comparisons. A billion values
    # as a set would need tens of GiB; the child has 1.5.
    text = RANGES if engine == "bfs" else RANGES.replace("invariant some", "// ")
    p = child([write(tmp_path, text), "--engine", engine, "--quiet"], 3 * GIB // 2)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "PASS v" in p.stdout


# ---------------------------------------------------------------------------------------
# The elaboration budget: positioned errors, never a hang or generated code that fails


def chain(n: int, body: str, use: str = "invariant big: d{n} >= 0") -> str:
    lines = ["spec chain", "var x: 0..3", "init { x = 0 }", "def d0 = x"]
    lines += [f"def d{i} = " + body.format(p=f"d{i - 1}") for i in range(1, n + 1)]
    lines += ["action inc when x < 3 { x := x + 1 }", "terminal when x == 3",
              use.format(n=n)]
    return "\n".join(lines) + "\n"


def test_defs_that_double_at_each_level_are_a_positioned_error(tmp_path: Path) -> None:
    # d40 would be 2**40 nodes: without a budget, elaboration never ends
    p = child([write(tmp_path, chain(40, "{p} + {p}"), "exp.mnt"), "--quiet"], 2 * GIB,
              timeout=60)
    assert p.returncode == 150, p.stderr
    first = p.stderr.splitlines()[0]
    assert first.startswith(f"{tmp_path / 'exp.mnt'}:") and "error[E2005]" in first
    line = int(first.split(":")[1])
    assert line in range(5, 45)  # at a def, where a use makes it too large
    assert "nodes" in first


def test_procs_that_double_at_each_level_are_a_positioned_error(tmp_path: Path) -> None:
    lines = ["spec procs", "var x: 0..3", "init { x = 0 }",
             "proc p0() { if x < 3 { x := x + 1 } }"]
    lines += [f"proc p{i}() {{ p{i - 1}() p{i - 1}() }}" for i in range(1, 40)]
    lines += ["action a { p39() }"]
    p = child([write(tmp_path, "\n".join(lines) + "\n", "procs.mnt"), "--quiet"], 2 * GIB,
              timeout=60)
    assert p.returncode == 150, p.stderr
    first = p.stderr.splitlines()[0]
    assert "error[E2005]" in first and "proc `p" in first
    assert ":" in first and int(first.split(":")[1]) in range(5, 45)


def test_400_chained_defs_are_a_positioned_error(tmp_path: Path) -> None:
    # each def adds a level: the generated Python could not be compiled
    code, out, err = explore(tmp_path, chain(400, "{p} + 1"))
    assert code == 150, err
    first = err.splitlines()[0]
    assert "error[E2005]" in first and "levels deep" in first
    # d0 = x (line 4) nests 1 level, d_i nests i + 1: d150 is the first past the limit
    assert int(first.split(":")[1]) == 4 + B_DEPTH


B_DEPTH = typecheck.MAX_EXPR_DEPTH


def test_code_too_nested_to_compile_is_a_positioned_error(tmp_path: Path) -> None:
    # within the elaboration budget, but each `f[...]` nests the generated Python several
    # times: Python refuses it, and that is a spec error at the invariant
    e = "x"
    for _ in range(100):
        e = f"f[{e}]"
    text = ("spec deep\nvar x: 0..3\nvar f: 0..3 -> 0..3\n"
            "init { x = 0  f = {k: 0 for k in 0..3} }\n"
            f"action inc when x < 3 {{ x := x + 1 }}\nterminal when x == 3\ninvariant i: {e} >= 0\n")
    code, out, err = explore(tmp_path, text)
    assert code == 150, out + err
    assert err.splitlines()[0].startswith(f"{tmp_path / 'spec.mnt'}:7:14: error[E2005]")
    # the z3 engine has no such limit
    code, out, err = explore(tmp_path, text, "--engine", "bmc", "--depth", "3",
                          "--accept-bounded")
    assert code == 0, out + err


def test_either_copies_count_against_the_budget() -> None:
    body = " ".join(["either { x := 0 } or { x := 1 }"] * 11 + ["if x < 3 { x := x + 1 }"] * 200)
    with pytest.raises(SpecError) as info:
        load_text(f"spec e\nvar x: 0..3\ninit {{ x = 0 }}\naction a {{ {body} }}\n", "e.mnt")
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line, d.span.col) == ("E2005", 4, 8)
    assert "copied into its branches" in d.message


# ---------------------------------------------------------------------------------------
# Time: z3 has a default limit, and --max-seconds covers the encoding


def test_z3_gets_a_time_limit_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import z3
    given: list[int] = []
    real = z3.Solver.set

    def record(self: z3.Solver, *args: Any, **kw: Any) -> None:
        if args[:1] == ("timeout",):
            given.append(args[1])
        real(self, *args, **kw)

    monkeypatch.setattr(z3.Solver, "set", record)
    spec = load_text(COUNTER)
    check = M.Check("p", (), M.Expect(M.ExpectKind.PROVED))
    r = run_check(check, spec.default)  # no --max-seconds
    assert r.engine == "prove"
    assert given and all(0 < ms <= B.Z3_DEFAULT_SECONDS * 1000 for ms in given)


def test_max_seconds_bounds_the_z3_encoding() -> None:
    from explorer.symbolic.bmc import check_bmc
    times = iter([0.0])  # the budget starts at 0, then it is always past its deadline
    clock = lambda: next(times, 100.0)  # noqa: E731
    spec = load_text(COUNTER)
    b = Budget(Limits(max_seconds=1), clock=clock)
    r = check_bmc(spec.default, 5, progress=None, budget=b)
    assert (r.outcome.kind, r.outcome.reason) == ("incomplete", "time limit 1s while "
                                                  "encoding for z3")


# ---------------------------------------------------------------------------------------
# Ctrl-C stops the whole run


LONG = """spec long
var a: 0..3000
var b: 0..3000
init { a = 0  b = 0 }
action inc_a when a < 3000 { a := a + 1 }
action inc_b when b < 3000 { b := b + 1 }
terminal when a == 3000 and b == 3000
check first: expect holds
check second: expect holds
"""


def test_ctrl_c_stops_the_run_and_reports_the_rest_as_not_run(tmp_path: Path) -> None:
    prog = ("import signal, sys\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from explorer.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    proc = subprocess.Popen([sys.executable, "-c", prog, write(tmp_path, LONG)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the search of `first` is under way once it reports
            if line.startswith("progress:"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 3, err
    assert "stopped at the interrupt (Ctrl-C)" in out
    assert "interrupted: 1 check not run: second" in out
    assert "check second" not in out
    assert out.rstrip().endswith("1 check, 0 as expected, 1 not (exit 3)")


def test_ctrl_c_in_a_check_marks_the_result(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import explorer.explicit.run as run

    def interrupted(model: M.Model) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "compile_model", interrupted)
    code, out, _ = explore(tmp_path, COUNTER, "--format", "json")
    report = json.loads(out)
    assert code == 3
    assert [c["check"] for c in report["checks"]] == ["ok"]
    assert report["not_run"] == ["bad"]
    assert report["checks"][0]["outcome"]["reason"] == ("interrupt (Ctrl-C) while compiling "
                                                        "the model")


# ---------------------------------------------------------------------------------------
# The other phases: loading, elaboration, --dump-states, render


def test_state_limit_of_the_state_graph(tmp_path: Path) -> None:
    dot = tmp_path / "g.dot"
    code, out, err = explore(tmp_path, COUNTER, "--check", "ok", "--dump-states", str(dot),
                             "--max-states", "3")
    assert code == 3, err
    assert "stopped at the state limit 3 while building the state graph" in out
    assert not dot.exists()


def test_render_takes_the_limits(tmp_path: Path) -> None:
    spec = write(tmp_path, COUNTER)
    out, err = io.StringIO(), io.StringIO()
    code = main(["render", spec, "--out", str(tmp_path / "out"), "--no-views",
                 "--max-states", "2"], stdout=out, stderr=err)
    assert code == 3
    assert "check bad: stopped at the state limit 2: nothing drawn" in err.getvalue()
    assert not (tmp_path / "out" / "spec" / "bad.txt").exists()


def test_a_limit_while_loading_is_incomplete(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import explorer.lang.load as load

    def slow(*args: Any) -> Any:
        raise B.LimitReached("time limit 1s while loading the spec")

    monkeypatch.setattr(load, "elaborate", slow)
    code, out, err = explore(tmp_path, COUNTER, "--max-seconds", "1")
    assert code == 3
    assert "stopped at the time limit 1s while loading the spec" in err


def test_elaboration_polls_the_limits() -> None:
    times = iter([0.0])
    b = Budget(Limits(max_seconds=1), clock=lambda: next(times, 100.0))
    text = "spec p\nvar x: 0..3\ninit { x = 0 }\n" + "".join(
        f"invariant i{n}: x + x + x + x + x + x + x + x < 100\n" for n in range(600))
    with B.activate(b), b.during(B.PHASE_LOAD), pytest.raises(B.LimitReached) as info:
        load_text(text)
    assert info.value.reason == "time limit 1s while loading the spec"


# ---------------------------------------------------------------------------------------
# The flag and its sizes


@pytest.mark.parametrize(("text", "n"), [("2G", 2 * GIB), ("500M", 500 << 20), ("1.5GiB", 3 * GIB // 2),
                                         ("64MB", 64 << 20), ("4096", 4096), ("8k", 8192)])
def test_sizes(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["", "G", "-1G", "2X", "0", "nan", "1e9"])
def test_bad_sizes_are_usage_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)
    code, _, err = explore(tmp_path, COUNTER, "--max-memory", text)
    assert code == 2 and "--max-memory" in err


def test_format_size() -> None:
    assert [format_size(n) for n in (2 * GIB, 500 << 20, 3 * GIB // 2, 100)] == \
        ["2 GiB", "500 MiB", "1.5 GiB", "100 bytes"]


def test_the_default_memory_limit_is_half_the_machine() -> None:
    total = B.machine_memory()
    assert total is not None and total > 0  # Linux: /proc/meminfo
    assert B.default_memory_limit() == total // 2
    assert 0 < B.resident_bytes() < total



def test_ctrl_c_stops_the_pytest_session(pytester: pytest.Pytester) -> None:
    # Ctrl-C during the search of the first check (the search catches it, and the check
    # is incomplete): the session stops there, the second check is not run
    pytester.makeconftest("""
import explorer.explicit.run as run
real = run.compile_model
def interrupted_search(model):
    cm = real(model)
    def succ(*args):
        raise KeyboardInterrupt
    cm.successors = succ
    return cm
run.compile_model = interrupted_search
""")
    pytester.makefile(".mnt", counter=COUNTER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "counter.mnt")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    assert "bad" not in result.stdout.str().split("KeyboardInterrupt")[-1]
    assert result.parseoutcomes().get("failed", 0) == 0
