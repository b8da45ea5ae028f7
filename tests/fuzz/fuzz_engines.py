#!/usr/bin/env python3
"""Differential fuzzing of the three engines through the `explore` command (not run in CI).

    python tests/fuzz/fuzz_engines.py --specs 10000 --jobs 2 --seed 1 --out /tmp/fuzz

Each spec (generated, or a mutation of a shipped, golden or generated spec) runs through
`explore SPEC --format json` once per engine (bfs, c, bmc, prove), each in a child process with
small limits, a memory cap and a wall-clock timeout. A spec fails when a run exits 255, or
with an undocumented code, prints a traceback or "internal error", dies of a signal, or
outlives its timeout; or when the engines disagree (see `compare`). Every distinct failure
(by signature) is shrunk, by deleting declarations and lines while it persists, and written
to OUT/failures/ with the command that shows it; OUT/summary.txt has the figures.

Children are forked from a worker that has imported the explorer, and run its console entry
point (`explorer.cli.main_entry`, what `explore` runs) with argv, stdout and stderr set, so
that a run costs no interpreter start. `--spawn` runs `python -m explorer` instead. Each
reproducer is checked again with a spawned `explore` before it is written.
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import json
import locale
import multiprocessing
import os
import random
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fuzz_sources as src  # noqa: E402

ROOT = src.ROOT
ENGINES = ("bfs", "c", "bmc", "prove")  # c: the compiled search, which must equal bfs
FULL = "full"  # bfs --no-symmetry, for a spec with a symmetric set: the same verdicts
DOCUMENTED = {0, 1, 2, 3, 4, 11, 12, 14, 75, 150, 141}
CEX = {"violation", "deadlock", "assertion", "error"}
MEMORY = 2 << 30  # address space of a child, bytes


# ---------------------------------------------------------------------------------------
# One run of `explore`


@dataclass(frozen=True)
class Plan:
    """The options of one spec's runs."""

    depth: int = 6  # BMC's --depth
    seconds: float = 4.0  # --max-seconds
    states: int = 3000  # BFS's --max-states
    no_deadlock: bool = False
    k: int | None = None  # prove's --k
    sets: tuple[str, ...] = ()  # --set NAME=VALUE
    timeout: float = 60.0  # wall clock of a child
    extra: tuple[str, ...] = ()  # a 4th run, health only: e.g. ("--format", "text", "--full")

    def argv(self, path: str, engine: str) -> list[str]:
        a = [path, "--engine", engine, "--format", "json", "--quiet",
             "--max-seconds", f"{self.seconds:g}"]
        if engine in ("bfs", "c"):
            a += ["--max-states", str(self.states)]
        elif engine == "bmc":
            a += ["--depth", str(self.depth)]
        elif self.k is not None:
            a += ["--k", str(self.k)]
        if self.no_deadlock:
            a.append("--no-deadlock")
        for s in self.sets:
            a += ["--set", s]
        return a

    def extra_argv(self, path: str) -> list[str]:
        return [path, "--quiet", "--max-seconds", f"{self.seconds:g}", "--max-states",
                str(self.states), "--depth", str(self.depth), *self.extra]


@dataclass
class Run:
    engine: str
    argv: list[str]
    rc: int | None  # None: ended by a signal
    signal: int | None
    timed_out: bool
    out: str
    err: str
    elapsed: float
    maxrss_kb: int = 0

    def report(self) -> dict | None:
        if self.rc is None or not self.out.lstrip().startswith("{"):
            return None
        try:
            return json.loads(self.out)
        except ValueError:
            return None


def _set_limits(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child(argv: list[str], out_fd: int, err_fd: int, memory: int) -> None:
    """In the forked child: run the console entry point; never returns."""
    code = 1
    try:
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        # fresh streams on fds 1 and 2, as a new interpreter writing to files has (the
        # worker's may be another's, pytest's for one)
        enc = locale.getpreferredencoding(False)
        sys.stdout = sys.__stdout__ = open(1, "w", encoding=enc, closefd=False)  # noqa: SIM115
        sys.stderr = sys.__stderr__ = open(2, "w", encoding=enc, errors="backslashreplace",
                                           closefd=False, buffering=1)  # noqa: SIM115
        _set_limits(memory)
        faulthandler.enable(file=sys.__stderr__, all_threads=True)
        faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.argv = ["explore", *argv]
        from explorer.cli import main_entry
        try:
            main_entry()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        try:  # what the interpreter does at exit
            sys.stdout.flush()
        except Exception:
            traceback.print_exc()
            code = 120
    except BaseException:  # an exception out of the entry point: Python would print it
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _wait(pid: int, timeout: float) -> tuple[int, Any, bool]:
    """Wait for the child; on timeout, dump its Python stack (SIGUSR1), then kill it."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        timed_out = not ready
        if timed_out:
            os.kill(pid, signal.SIGUSR1)
            select.select([fd], [], [], 1.0)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status, usage = os.wait4(pid, 0)
        return status, usage, timed_out
    finally:
        os.close(fd)


def run_fork(engine: str, argv: list[str], timeout: float, memory: int = MEMORY) -> Run:
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        sys.stdout.flush()
        sys.stderr.flush()
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(argv, fo.fileno(), fe.fileno(), memory)
        status, usage, timed_out = _wait(pid, timeout)
        elapsed = time.monotonic() - t0
        fo.seek(0)
        fe.seek(0)
        out = fo.read().decode("utf-8", "replace")
        err = fe.read().decode("utf-8", "replace")
    rc = os.waitstatus_to_exitcode(status)
    sig = -rc if rc < 0 else None
    return Run(engine, argv, rc if rc >= 0 else None, sig, timed_out, out, err, elapsed,
               usage.ru_maxrss)


def run_spawn(engine: str, argv: list[str], timeout: float, memory: int = MEMORY) -> Run:
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "explorer", *argv],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT),
                         preexec_fn=lambda: _set_limits(memory))
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        p.kill()
        out, err = p.communicate()
    rc = p.returncode
    return Run(engine, argv, rc if rc >= 0 else None, -rc if rc < 0 else None, timed_out,
               out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
               time.monotonic() - t0)


Runner = Callable[[str, list[str], float], Run]


# ---------------------------------------------------------------------------------------
# What a failure is


@dataclass(frozen=True)
class Failure:
    kind: str  # internal | traceback | signal | timeout | exit | json | disagree
    sig: str  # dedupe key: kind, engines, rule, normalised message
    engines: tuple[str, ...]
    detail: str


def _norm(msg: str) -> str:
    """A message with its spec-specific parts (names, numbers, paths) blotted out."""
    msg = re.sub(r"(/[\w.\-]+)+\.mnt", "SPEC", msg)
    msg = re.sub(r"`[^`]*`|(?<!\w)'[^']*'|\"[^\"]*\"", "Q", msg)
    msg = re.sub(r"\b[a-z_]*\d+\w*\b", "N", msg)
    msg = re.sub(r"\d+", "N", msg)
    return re.sub(r"\s+", " ", msg).strip()[:90]


_FRAME = re.compile(r'File "[^"]*/explorer/([\w/]+)\.py", line \d+,? in (\w+)')


def _phase(dump: str) -> str:
    """Where a faulthandler dump or traceback stops, as the two outermost frames below the
    command (the phase) and the innermost one."""
    frames = [f"{m.group(1)}.{m.group(2)}" for m in _FRAME.finditer(dump)]
    if "most recent call first" in dump:
        frames.reverse()
    frames = [f for f in frames if not f.startswith(("cli.", "dispatch.", "__main__."))]
    if not frames:
        return "?"
    return ">".join(frames[:2]) + ("..." + frames[-1] if len(frames) > 2 else "")


def health(run: Run) -> Failure | None:
    """A failure of one run by itself, or None."""
    e = run.engine
    text = run.out + run.err
    if run.timed_out:
        return Failure("timeout", f"timeout:{_phase(run.err)}", (e,),
                       f"no answer after {run.elapsed:.0f} s; stack: {_phase(run.err)}")
    if run.signal is not None:
        name = signal.Signals(run.signal).name
        return Failure("signal", f"signal:{name}:{_phase(run.err)}", (e,),
                       f"killed by {name} (peak RSS {run.maxrss_kb // 1024} MB)")
    if "Traceback" in text:
        last = [ln for ln in text.splitlines() if ln.strip()][-1]
        return Failure("traceback", f"traceback:{_norm(last)}:{_phase(text)}", (e,), last)
    m = re.search(r"internal error[^\n]*", text)
    if run.rc == 255 or m:
        line = m.group(0) if m else f"exit {run.rc}"
        kind = "memory" if "MemoryError" in line or "out of memory" in line else "internal"
        return Failure(kind, f"{kind}:{_norm(line)}", (e,), line)
    if run.rc not in DOCUMENTED:
        return Failure("exit", f"exit:{run.rc}", (e,), f"undocumented exit code {run.rc}")
    if e == "extra":  # text or ITF: only ITF can be checked further
        if "itf" in run.argv:
            for line in run.out.splitlines():
                try:
                    json.loads(line)
                except ValueError:
                    return Failure("json", "json:itf-line", (e,), f"not JSON: {line[:200]}")
        return None
    if run.rc in (150, 2):
        if run.out.strip():
            return Failure("json", "json:stdout-on-error", (e,), "output on stdout with exit "
                           f"{run.rc}: {run.out[:200]}")
        return None
    rep = run.report()
    if rep is None:
        return Failure("json", "json:unparsable", (e,), f"exit {run.rc}, stdout not JSON")
    if not isinstance(rep.get("checks"), list):
        return Failure("json", "json:no-checks", (e,), f"exit {run.rc}, no checks: {run.out[:200]}")
    if rep.get("exit_code") != run.rc:
        return Failure("json", "json:exit-code", (e,),
                       f"exit {run.rc}, JSON says {rep.get('exit_code')}")
    for c in rep["checks"]:
        t, n = c.get("trace"), c["outcome"].get("steps")
        if t is not None and n is not None and len(t["steps"]) != n:
            return Failure("json", "json:trace-length", (e,),
                           f"check {c['check']}: {n} steps, trace of {len(t['steps'])}")
    return None


# ---------------------------------------------------------------------------------------
# Agreement between the engines


def cex(c: dict) -> tuple[str, int] | None:
    """A counterexample's class and length: inv (an invariant violated), step (a failing
    action), dead (a deadlock) or state (a fault evaluating a state: init, an invariant or
    `terminal`, which the JSON does not tell apart)."""
    o = c["outcome"]
    k = o["kind"]
    if k not in CEX:
        return None
    if k == "violation":
        cls = "inv"
    elif k == "deadlock":
        cls = "dead"
    elif k == "assertion" or (c.get("trace") or {}).get("failing_step"):
        cls = "step"
    else:
        cls = "state"
    return cls, o["steps"]


def what(c: dict) -> str:
    o = c["outcome"]
    x = cex(c)
    if x is None:
        return o["kind"] + (f" (depth {c['figures']['depth']})" if o["kind"] == "incomplete" else "")
    tag = o.get("target") or o.get("assertion") or o.get("code") or ""
    return f"{o['kind']}{' ' + tag if tag else ''} [{x[0]}] in {x[1]}"


@dataclass
class Stats:
    counts: Counter = field(default_factory=Counter)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n


def compare_bfs_bmc(b: dict, m: dict, depth: int, st: Stats) -> str | None:
    """The rule BFS's and BMC's answers for one check break, or None.

    BFS checks invariants when a state is first reached and expands a level completely
    before the next, so its answer has a shortest length; at one length it meets
    violations and failing steps in state order, and deadlocks only after every one of
    those. BMC asks, at each depth, invariants, then failing steps, then deadlocks.
    """
    bk, mk = b["outcome"]["kind"], m["outcome"]["kind"]
    if mk == "incomplete":
        st.add("bfs-bmc: bmc incomplete")
        return None
    bx, mx = cex(b), cex(m)
    if bk == "holds":
        st.add("bfs-bmc: bfs holds")
        return f"bfs holds, bmc finds {mx[0]}" if mx else None
    if bk == "incomplete":
        d = b["figures"]["depth"]
        st.add("bfs-bmc: bfs incomplete")
        if mx and mx[1] <= d - 2:
            return f"bfs stopped at a limit past depth {mx[1] + 1}, bmc finds {mx[0]} in {mx[1]}"
        return None
    if bx is None:
        return None
    cls, n = bx
    if n > depth:
        st.add("bfs-bmc: bfs deeper than bmc's depth")
        return (f"bmc's is shorter: bmc {mx[0]} in {mx[1]}, bfs {cls} beyond bmc's depth"
                if mx else None)
    st.add("bfs-bmc: both answer within the depth")
    if mx is None:
        return f"bmc finds nothing within depth {depth}, bfs {cls} in {n}"
    mcls, mn = mx
    if mn != n:
        return (f"bmc's is {'shorter' if mn < n else 'longer'}: bfs {cls} in {n}, "
                f"bmc {mcls} in {mn}")
    if mcls == cls or "state" in (cls, mcls) or (cls, mcls) == ("step", "inv"):
        same = (b["outcome"]["kind"], b["outcome"].get("target"), b["outcome"].get("code"),
                b["outcome"].get("assertion")) == (m["outcome"]["kind"], m["outcome"].get("target"),
                                                   m["outcome"].get("code"), m["outcome"].get("assertion"))
        st.add("bfs-bmc: same answer" if same else "bfs-bmc: a tie at one length")
        return None
    return f"at {n} steps bfs reports {cls}, bmc {mcls}"


def compare_prove(p: dict, other: dict, name: str, depth: int | None, helpers: set[str],
                  terminal: bool, st: Stats, helper_lines: frozenset[int] = frozenset()
                  ) -> str | None:
    """The rule prove's answer and another engine's break, or None. `proved` means no
    reachable state violates an invariant and no action fails (deadlocks are not proved);
    a counterexample of the base case is a real one."""
    pk = p["outcome"]["kind"]
    ox = cex(other)
    if pk == "proved":
        st.add(f"prove-{name}: proved")
        if ox and (ox[0] in ("inv", "step") or (ox[0] == "state" and not terminal)):
            return f"prove proved, {name} finds {ox[0]} in {ox[1]}"
        return None
    if pk not in CEX:
        return None
    if pk == "violation" and p["outcome"].get("target") in helpers:
        return None
    if cex(p) == ("state", p["outcome"]["steps"]) and p["outcome"].get("line") in helper_lines:
        st.add(f"prove-{name}: a helper fails to evaluate (the search never evaluates one)")
        return None
    n = p["outcome"]["steps"]
    st.add(f"prove-{name}: prove finds a counterexample")
    ok = other["outcome"]["kind"]
    if ok == "holds" or (ok == "bounded" and depth is not None and n <= depth):
        return f"prove finds {pk} in {n}, {name} {ok}"
    if ox and ox[1] > n:
        return f"prove's is shorter: prove {pk} in {n}, {name} {ox[0]} in {ox[1]}"
    return None


def compare_compiled(b: dict, c: dict, st: Stats) -> str | None:
    """The compiled search must report what the Python one does, to the figure, unless a
    time limit cut either (where it cuts is the clock's)."""
    if any("time limit" in (x["outcome"].get("reason") or "") for x in (b, c)):
        st.add("bfs-c: a time limit cut one")
        return None
    st.add(f"bfs-c: compiled {c['figures'].get('compiled')}")
    drop = ("elapsed", "states_per_second", "compiled")
    for key in ("outcome", "figures", "coverage", "trace", "as_expected", "exit_code"):
        x, y = b.get(key), c.get(key)
        if key == "figures":
            x = {k: v for k, v in x.items() if k not in drop}
            y = {k: v for k, v in y.items() if k not in drop}
        if x != y:
            return f"different {key}"
    return None


def compare_symmetry(b: dict, f: dict, st: Stats) -> str | None:
    """The search reduced by symmetric sets (bfs) and the full one: a counterexample in
    one exactly when the other has one, of the same length (which of several of that
    length is found first may differ); no more orbits than states."""
    cut = [x for x in (b, f) if x["outcome"]["kind"] == "incomplete"]
    xb, xf = cex(b), cex(f)
    if cut:  # a limit stopped one: only a counterexample shorter than its depth counts
        st.add("bfs-full: a limit cut one")
        for x, other in ((b, xf), (f, xb)):
            if x in cut and other is not None and other[1] <= x["figures"]["depth"]:
                return "a counterexample within the depth the other searched, in one only"
        return None
    if (xb is None) != (xf is None):
        return f"a counterexample in one only: reduced {what(b)}, full {what(f)}"
    if xb is not None and xf is not None:
        st.add(f"bfs-full: both {xb[0]}" if xb[0] == xf[0] else "bfs-full: other kind, same length")
        return None if xb[1] == xf[1] else "counterexamples of different lengths"
    st.add(f"bfs-full: reduced {'less' if b['figures']['distinct'] < f['figures']['distinct'] else 'same'}")
    if b["figures"]["distinct"] > f["figures"]["distinct"]:
        return "more orbits than states"
    return None


def spec_facts(text: str) -> tuple[set[str], frozenset[int], bool]:
    """The helper invariants' names and lines, and whether there is a `terminal when`."""
    helpers = set(re.findall(r"^\s*invariant\s+helper\s+(\w+)\s*:", text, re.M))
    lines: set[int] = set()
    first = 1
    for c in src.chunks(text):
        if re.match(r"(///[^\n]*\n)*invariant\s+helper\s+\w+\s*:", c):
            lines.update(range(first, first + c.count("\n") + (not c.endswith("\n"))))
        first += c.count("\n")
    return helpers, frozenset(lines), bool(re.search(r"^\s*terminal\s+when\b", text, re.M))


def compare(text: str, runs: dict[str, Run], plan: Plan, st: Stats) -> list[Failure]:
    """Disagreements between healthy runs of the three engines on one spec."""
    fails: list[Failure] = []

    def bad(pair: str, rule: str, detail: str) -> None:
        fails.append(Failure("disagree", f"disagree:{pair}:{_norm(rule)}",
                             tuple(pair.split("-")), detail))

    b = runs.get("bfs")
    for e in ("c", "bmc", "prove"):
        r = runs.get(e)
        if b is None or r is None:
            continue
        if (b.rc == 150) != (r.rc == 150):
            if r.rc == 150 and "cannot encode" in r.err:
                st.add(f"{e}: z3 cannot encode")
                continue
            bad(f"bfs-{e}", f"spec error in one only: bfs {b.rc}, {e} {r.rc}",
                f"bfs exit {b.rc}, {e} exit {r.rc}: {(b.err or r.err).strip()[:300]}")
        elif b.rc == 150 and b.err != r.err and "cannot encode" not in r.err:
            bad(f"bfs-{e}", "different spec errors", f"bfs: {b.err[:200]}\n{e}: {r.err[:200]}")
        elif (b.rc == 2) != (r.rc == 2) or (b.rc == 2 and b.err != r.err):
            bad(f"bfs-{e}", f"usage error in one only: bfs {b.rc}, {e} {r.rc}",
                f"bfs: {b.err[:200]}\n{e}: {r.err[:200]}")
    reps = {e: r.report() for e, r in runs.items() if e in ENGINES and r.rc not in (150, 2)}
    reps = {e: v for e, v in reps.items() if v is not None}
    if len(reps) < 2:
        return fails
    names = {e: [c["check"] for c in rep["checks"]] for e, rep in reps.items()}
    first = next(iter(names.values()))
    for ns in names.values():
        if ns != first:
            bad("-".join(reps), "different checks", f"checks: {names}")
            return fails
    full = runs[FULL].report() if FULL in runs and runs[FULL].rc not in (150, 2) else None
    if full is not None and "bfs" in reps and \
            [c["check"] for c in full["checks"]] == names["bfs"]:
        for bc, fc in zip(reps["bfs"]["checks"], full["checks"]):
            rule = compare_symmetry(bc, fc, st)
            if rule:
                bad("bfs-full", rule, f"check {bc['check']}: bfs {what(bc)}; "
                    f"--no-symmetry {what(fc)}")
    helpers, helper_lines, terminal = spec_facts(text)
    for i in range(len(first)):
        st.add("checks compared")
        bc, cc, mc, pc = (reps[e]["checks"][i] if e in reps else None for e in ENGINES)
        if bc is not None and cc is not None:
            rule = compare_compiled(bc, cc, st)
            if rule:
                bad("bfs-c", rule, f"check {first[i]}: bfs {what(bc)}; c {what(cc)}")
        if bc is not None and mc is not None:
            rule = compare_bfs_bmc(bc, mc, plan.depth, st)
            if rule:
                bad("bfs-bmc", rule, f"check {first[i]}: bfs {what(bc)}; bmc {what(mc)} "
                    f"(--depth {plan.depth})")
        if pc is None:
            continue
        for name, oc, d in (("bfs", bc, None), ("bmc", mc, plan.depth)):
            if oc is not None:
                rule = compare_prove(pc, oc, name, d, helpers, terminal, st, helper_lines)
                if rule:
                    bad(f"{name}-prove", rule, f"check {first[i]}: {name} {what(oc)}; "
                        f"prove {what(pc)}")
    return fails


# ---------------------------------------------------------------------------------------
# One spec


def check_spec(text: str, plan: Plan, runner: Runner, workdir: str,
               engines: tuple[str, ...] = (*ENGINES, "extra"), name: str = "spec.mnt",
               st: Stats | None = None) -> tuple[list[Failure], dict[str, Run]]:
    """Run the engines (and "extra": the plan's 4th run, if any) on the text; its failures
    (one per signature: a fault several engines share is one) and the runs."""
    st = st if st is not None else Stats()
    path = os.path.join(workdir, name)
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
        f.write(text)
    runs = {e: runner(e, plan.argv(path, e), plan.timeout) for e in ENGINES if e in engines}
    if "bfs" in engines and re.search(r"^\s*symmetric\s+set\b", text, re.M):
        runs[FULL] = runner(FULL, [*plan.argv(path, "bfs"), "--no-symmetry"], plan.timeout)
    if plan.extra and "extra" in engines:
        runs["extra"] = runner("extra", plan.extra_argv(path), plan.timeout)
    merged: dict[str, Failure] = {}
    healthy = {}
    for e, r in runs.items():
        h = health(r)
        if h is None:
            healthy[e] = r
        elif h.sig in merged:
            old = merged[h.sig]
            merged[h.sig] = replace(old, engines=old.engines + h.engines)
        else:
            merged[h.sig] = h
    for e, r in healthy.items():  # not a failure: a phase that --max-seconds does not bound
        rep = r.report() if e in ENGINES else None
        if rep and r.elapsed > plan.seconds * len(rep["checks"]) + 5:
            st.add(f"{e}: ran 5 s past --max-seconds x checks")
    fails = list(merged.values()) + compare(text, healthy, plan, st)
    return fails, runs


def outcome_keys(runs: dict[str, Run]) -> list[str]:
    keys = []
    for e, r in runs.items():
        keys.append(f"{e} exit {r.rc if r.rc is not None else 'signal'}")
        rep = r.report() if e != "extra" else None
        for c in (rep or {}).get("checks", []) if isinstance(rep, dict) else []:
            keys.append(f"{e} outcome {c['outcome']['kind']}")
    return keys


# ---------------------------------------------------------------------------------------
# Shrinking


def _units(text: str) -> list[list[str]]:
    """Deletion candidates, coarse to fine: declarations, then lines."""
    return [src.chunks(text), text.splitlines(keepends=True)]


def _ddmin(parts: list[str], keeps: Callable[[str], bool], budget: Callable[[], bool]) -> list[str]:
    n = 2
    while len(parts) >= 2 and budget():
        size = max(1, len(parts) // n)
        removed = False
        for start in range(0, len(parts), size):
            if not budget():
                break
            cand = parts[:start] + parts[start + size:]
            if cand and keeps("".join(cand)):
                parts = cand
                n = max(n - 1, 2)
                removed = True
                break
        if not removed:
            if size == 1:
                break
            n = min(n * 2, len(parts))
    return parts


def shrink(text: str, plan: Plan, sig: str, engines: tuple[str, ...], runner: Runner,
           workdir: str, seconds: float, max_tries: int = 400) -> tuple[str, int]:
    """The smallest text found (declarations, then lines, deleted) that still fails with
    `sig`; and the number of runs tried."""
    deadline = time.monotonic() + seconds
    tries = [0]
    memo: dict[str, bool] = {}

    def keeps(cand: str) -> bool:
        if cand not in memo:
            tries[0] += 1
            fails, _ = check_spec(cand, plan, runner, workdir, engines)
            memo[cand] = any(f.sig == sig for f in fails)
        return memo[cand]

    def budget() -> bool:
        return time.monotonic() < deadline and tries[0] < max_tries

    best = text
    for level in range(2):
        while budget():
            parts = _units(best)[level]
            new = "".join(_ddmin(parts, keeps, budget))
            if new == best:
                break
            best = new
    return best, tries[0]


# ---------------------------------------------------------------------------------------
# The campaign: tasks, workers, results


@dataclass
class Task:
    index: int
    source: str
    text: str
    plan: Plan


SOURCES = [  # (name, weight)
    ("gen:agreement", 20), ("gen:cli", 10), ("gen:ext", 30), ("mutate:small", 12),
    ("mutate:generated", 20), ("splice", 5), ("mutate:showcase", 1),
]


def _seeded(seed: int, *parts: object) -> random.Random:
    h = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def tasks(seed: int, n: int, showcase: bool = True, batch: int = 200) -> Iterator[Task]:
    """n tasks, the same for the same seed (hypothesis's strategies drawn in batches)."""
    from test_engine_agreement import random_spec
    from test_fuzz_cli import random_specs

    hyp = {"gen:agreement": src.hypothesis_specs(random_spec, seed, batch),
           "gen:cli": src.hypothesis_specs(random_specs, seed + 7919, batch)}
    small = [src.read(p) for p in src.SMALL]
    shows = [src.read(p) for p in src.SHOWCASE]
    recent: list[str] = []  # generated specs, to mutate and splice
    seen: set[str] = set()
    sources = [s for s in SOURCES if showcase or s[0] != "mutate:showcase"]
    i = 0
    while i < n:
        rng = _seeded(seed, "task", i)
        for _attempt in range(20):
            name = rng.choices([s for s, _ in sources], weights=[w for _, w in sources])[0]
            plan = Plan(depth=rng.choice([3, 4, 5, 6, 8]), no_deadlock=rng.random() < 0.15,
                        k=rng.choice([2, 3]) if rng.random() < 0.15 else None)
            if name in hyp:
                text = next(hyp[name])
            elif name == "gen:ext":
                text = src.ext_spec(rng)
            elif name == "mutate:small":
                name, text = _mutated(rng, rng.choice(small), "small")
            elif name == "mutate:generated":
                base = rng.choice(recent) if recent else src.ext_spec(rng)
                name, text = _mutated(rng, base, "generated")
            elif name == "splice":
                a, b = rng.choice(recent or small), rng.choice(small + recent[-50:])
                text = src.splice(rng, a, b)
                if rng.random() < 0.5:
                    text = src.splice(rng, text, rng.choice(small + recent[-50:]))
            else:
                base = src.keep_checks(rng, rng.choice(shows), 1)
                name, text = "mutate:showcase:operator", src.operator_mutation(rng, base)
                plan = replace(plan, depth=rng.choice([2, 3]), seconds=3.0, states=300,
                               timeout=90.0)
            if name.startswith("gen:"):
                recent.append(text)
                del recent[:-300]
            if text not in seen:
                break
        seen.add(text)
        if rng.random() < 0.12:
            extra = rng.choice([("--format", "text", "--full"), ("--format", "itf"),
                                ("--format", "text", "--fail-on-unfired")])
            plan = replace(plan, extra=extra)
        params = re.findall(r"^param\s+(\w+)\s*:\s*(bool|0\.\.3)", text, re.M)
        if params and rng.random() < 0.15:
            p, ty = rng.choice(params)
            value = rng.choice(["true", "false"] if ty == "bool" else ["0", "2", "3"])
            plan = replace(plan, sets=(f"{p}={value}",))
        yield Task(i, name, text, plan)
        i += 1


def _mutated(rng: random.Random, base: str, what: str) -> tuple[str, str]:
    kind, text = src.mutate(rng, base)
    return f"mutate:{what}:{kind}", text


_W: dict[str, Any] = {}


def warm() -> None:
    """Import what every run needs, so that forked children start warm."""
    import explorer.cli  # noqa: F401 - imported once, so that forked children start warm
    import explorer.explicit.run  # noqa: F401
    import explorer.lang.load  # noqa: F401
    import explorer.reports.itf  # noqa: F401
    import explorer.reports.json_report  # noqa: F401
    import explorer.reports.text  # noqa: F401
    import explorer.reports.verdict  # noqa: F401
    import explorer.symbolic.bmc  # noqa: F401
    import explorer.symbolic.induction  # noqa: F401
    from explorer.lang.parser import parse_spec

    parse_spec("spec warm\n")  # lark builds its tables and lexer once, at the first parse


def _worker_init(spawn: bool) -> None:
    warm()

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the campaign
    _W["runner"] = run_spawn if spawn else run_fork
    _W["dir"] = tempfile.mkdtemp(prefix="fuzz-engines-")


def _do_task(task: Task) -> dict:
    st = Stats()
    t0 = time.monotonic()
    try:
        fails, runs = check_spec(task.text, task.plan, _W["runner"], _W["dir"], st=st)
    except Exception as e:  # a bug of the fuzzer: reported, and the campaign goes on
        fails, runs = [Failure("harness", f"harness:{type(e).__name__}", (), traceback.format_exc())], {}
    return {"index": task.index, "source": task.source, "plan": asdict(task.plan),
            "elapsed": round(time.monotonic() - t0, 3), "failures": [asdict(f) for f in fails],
            "outcomes": outcome_keys(runs), "stats": dict(st.counts),
            "runs": {e: {"rc": r.rc, "signal": r.signal, "timed_out": r.timed_out,
                         "elapsed": round(r.elapsed, 3), "what": [what(c) for c in
                                                                  (r.report() or {}).get("checks", [])]}
                     for e, r in runs.items()},
            "text": task.text if fails else None}


def _do_shrink(job: tuple[dict, float]) -> dict:
    found, seconds = job
    plan = Plan(**{k: tuple(v) if isinstance(v, list) else v for k, v in found["plan"].items()})
    f = found["failure"]
    small, tries = shrink(found["text"], plan, f["sig"], tuple(f["engines"]), _W["runner"],
                          _W["dir"], seconds)
    return {**found, "small": small, "tries": tries}


# ---------------------------------------------------------------------------------------
# Reports


def commands(plan: Plan, name: str, engines: tuple[str, ...]) -> list[str]:
    out = []
    for e in ENGINES:
        if e in engines:
            out.append("explore " + " ".join(_q(a) for a in plan.argv(name, e)))
    if FULL in engines:
        out.append("explore " + " ".join(_q(a) for a in [*plan.argv(name, "bfs"), "--no-symmetry"]))
    if "extra" in engines:
        out.append("explore " + " ".join(_q(a) for a in plan.extra_argv(name)))
    return out


def _q(a: str) -> str:
    return a if re.fullmatch(r"[\w.\-=/]+", a) else "'" + a.replace("'", "'\\''") + "'"


def write_reproducer(folder: Path, n: int, found: dict, confirm: bool) -> dict:
    f = found["failure"]
    slug = re.sub(r"[^\w]+", "-", f["sig"]).strip("-")[:70]
    d = folder / f"{n:02d}-{slug}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "spec.mnt").write_text(found["small"], encoding="utf-8", errors="surrogatepass")
    (d / "original.mnt").write_text(found["text"], encoding="utf-8", errors="surrogatepass")
    plan = Plan(**{k: tuple(v) if isinstance(v, list) else v for k, v in found["plan"].items()})
    engines = tuple(f["engines"])
    cmds = commands(plan, "spec.mnt", engines)
    shown = {}
    confirmed = None
    if confirm:  # again with a spawned `explore`, in the reproducer's folder
        with tempfile.TemporaryDirectory() as tmp:
            fails, runs = check_spec(found["small"], plan, run_spawn, tmp, engines)
        confirmed = any(x.sig == f["sig"] for x in fails)
        for e, r in runs.items():
            shown[e] = {"exit": r.rc, "signal": r.signal, "timed_out": r.timed_out,
                        "stderr": r.err[-1500:], "answer": [what(c) for c in
                                                            (r.report() or {}).get("checks", [])]}
    where = ""
    if f["kind"] in ("internal", "memory", "timeout", "signal") and confirm:
        where = locate(found["small"], plan, engines[0], f["kind"])
    info = {"signature": f["sig"], "kind": f["kind"], "engines": f["engines"], "detail": f["detail"],
            "count": found["count"], "first_index": found["index"], "source": found["source"],
            "shrink_runs": found.get("tries"), "commands": cmds, "confirmed_by_spawned_explore":
            confirmed, "where": where, "runs": shown}
    (d / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    lines = [f"# {f['sig']}", "", f"seen {found['count']} times; first in spec #{found['index']} "
             f"({found['source']})", f"what happened: {f['detail']}", "",
             "commands (in this folder):", *[f"  {c}" for c in cmds], "",
             f"confirmed with a spawned explore: {confirmed}", "", "spec.mnt:", found["small"],
             "", "where (traceback of the command's main() without its last-resort handler, or "
             "the stack at the timeout):", where]
    (d / "README.txt").write_text("\n".join(lines))
    return {**info, "folder": d.name, "spec": found["small"]}


RAW = ("import sys; from explorer.cli import _main; "
       "sys.exit(_main(sys.argv[1:], sys.stdout, sys.stderr))")


def locate(text: str, plan: Plan, engine: str, kind: str) -> str:
    """Where an internal error is raised (the traceback that `explore` turns into one line)
    or where a run hangs (the stack when it is stopped)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spec.mnt")
        Path(path).write_text(text, encoding="utf-8", errors="surrogatepass")
        argv = plan.extra_argv(path) if engine == "extra" else plan.argv(path, engine)
        if kind in ("timeout", "signal"):
            out = run_fork(engine, argv, plan.timeout).err
        else:
            p = subprocess.run([sys.executable, "-c", RAW, *argv], capture_output=True, text=True,
                               timeout=plan.timeout, cwd=tmp, preexec_fn=lambda: _set_limits(MEMORY))
            out = p.stderr
    lines = out.replace(tmp, ".").splitlines()
    start = next((i for i, ln in enumerate(lines)
                  if ln.startswith(("Traceback", "Thread", "Current"))), 0)
    return "\n".join(lines[start:][-30:])


def summary_text(s: dict) -> str:
    out = [f"command: {s['command']}", f"seed {s['seed']}; {s['specs']} specs in {s['elapsed']:.0f} s "
           f"({s['rate']:.2f} specs/s), {s['engine_runs']} engine runs, {s['jobs']} workers"]
    out.append("\nspecs by source:")
    out += [f"  {k:32} {v:7}" for k, v in sorted(s["sources"].items())]
    out.append("\nexit codes and outcomes (per run / per check):")
    out += [f"  {k:32} {v:7}" for k, v in sorted(s["outcomes"].items())]
    out.append("\ncomparisons (per check):")
    out += [f"  {k:44} {v:7}" for k, v in sorted(s["stats"].items())]
    out.append(f"\nfailures: {s['failing_specs']} specs; by kind:")
    out += [f"  {k:32} {v:7}" for k, v in sorted(s["failure_kinds"].items())]
    out.append("\ndistinct failures (signature: specs):")
    out += [f"  {v:6}  {k}" for k, v in sorted(s["signatures"].items(), key=lambda kv: -kv[1])]
    return "\n".join(out) + "\n"


class Tally:
    """What the campaign has seen so far."""

    def __init__(self) -> None:
        self.sources: Counter = Counter()
        self.outcomes: Counter = Counter()
        self.stats: Counter = Counter()
        self.kinds: Counter = Counter()
        self.found: dict[str, dict] = {}  # signature -> its shortest spec, and a count
        self.failing = self.runs = self.done = 0

    def add(self, res: dict) -> None:
        self.done += 1
        self.sources[res["source"]] += 1
        self.outcomes.update(res["outcomes"])
        self.stats.update(res["stats"])
        self.runs += len(res["runs"])
        self.failing += bool(res["failures"])
        for f in res["failures"]:
            self.kinds[f["kind"]] += 1
            cur = self.found.get(f["sig"])
            if cur is None or len(res["text"]) < len(cur["text"]):
                self.found[f["sig"]] = {"failure": f, "text": res["text"], "plan": res["plan"],
                                        "index": res["index"], "source": res["source"],
                                        "count": cur["count"] if cur else 0}
            self.found[f["sig"]]["count"] += 1

    def summary(self, args: argparse.Namespace, elapsed: float, results: list[dict]) -> dict:
        return {"command": " ".join(["python", *sys.argv]), "seed": args.seed,
                "specs": self.done, "elapsed": elapsed,
                "rate": self.done / elapsed if elapsed else 0.0, "jobs": args.jobs,
                "engine_runs": self.runs, "sources": dict(self.sources),
                "outcomes": dict(self.outcomes), "stats": dict(self.stats),
                "failing_specs": self.failing, "failure_kinds": dict(self.kinds),
                "signatures": {k: v["count"] for k, v in self.found.items()}, "failures": results}


def campaign(args: argparse.Namespace) -> dict:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("fork")
    t0 = time.monotonic()
    stop = t0 + args.max_minutes * 60 if args.max_minutes else None
    tally = Tally()
    with open(out / "log.jsonl", "w") as log:
        pool = ctx.Pool(args.jobs, _worker_init, (args.spawn,))
        try:
            for res in pool.imap_unordered(_do_task, tasks(args.seed, args.specs,
                                                           not args.no_showcase)):
                tally.add(res)
                log.write(json.dumps({k: v for k, v in res.items() if k != "text"}) + "\n")
                el = time.monotonic() - t0
                if tally.done % 100 == 0 or tally.done == args.specs:
                    log.flush()
                    print(f"{tally.done}/{args.specs} specs, {el:.0f} s, "
                          f"{tally.done / el:.2f} specs/s, {tally.failing} failing, "
                          f"{len(tally.found)} distinct", flush=True)
                    (out / "summary.json").write_text(json.dumps(tally.summary(args, el, []),
                                                                 indent=2) + "\n")
                if stop is not None and time.monotonic() > stop:
                    print(f"time is up after {tally.done} specs", flush=True)
                    break
        except KeyboardInterrupt:
            print(f"interrupted after {tally.done} specs", flush=True)
        finally:
            pool.terminate()
            pool.join()
    elapsed = time.monotonic() - t0
    shrunk = [{**v, "small": v["text"], "tries": 0} for v in tally.found.values()]
    if tally.found and args.shrink_seconds > 0:
        print(f"shrinking {len(tally.found)} distinct failures ...", flush=True)
        with ctx.Pool(args.jobs, _worker_init, (args.spawn,)) as pool:
            shrunk = list(pool.imap(_do_shrink, [(v, args.shrink_seconds)
                                                 for v in tally.found.values()]))
    results: list[dict] = []
    folder = out / "failures"
    if folder.exists():
        shutil.rmtree(folder)
    for n, s in enumerate(sorted(shrunk, key=lambda s: s["failure"]["sig"]), 1):
        results.append(write_reproducer(folder, n, s, not args.no_confirm))
    summary = tally.summary(args, elapsed, results)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.txt").write_text(summary_text(summary))
    return summary


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None)
    p.add_argument("--specs", type=int, default=1000, help="how many specs (default 1000)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--seed", type=int, default=1, help="the seed of every choice (default 1)")
    p.add_argument("--out", required=True, help="folder for summary.txt, summary.json, log.jsonl "
                   "and failures/")
    p.add_argument("--spawn", action="store_true", help="spawn `python -m explorer` for every "
                   "run instead of forking a warm worker (slower)")
    p.add_argument("--shrink-seconds", type=float, default=240.0,
                   help="time to shrink each distinct failure (0: keep them as found)")
    p.add_argument("--no-confirm", action="store_true",
                   help="do not re-run each reproducer with a spawned explore")
    p.add_argument("--max-minutes", type=float, default=0.0,
                   help="stop running new specs after this long (0: run them all), then shrink")
    p.add_argument("--no-showcase", action="store_true",
                   help="leave out mutants of the (slow) showcase specs")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    s = campaign(args)
    sys.stdout.write("\n" + summary_text(s))
    return 1 if s["signatures"] else 0


if __name__ == "__main__":
    sys.exit(main())
