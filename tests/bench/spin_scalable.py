"""Benchmark: SPIN's pan on a hand-written Promela model of specs/examples/scalable.mnt
(tests/bench/scalable.pml), against explore's Python engine on the spec itself, same N.

For each N: spin generates pan.c in a temporary folder and gcc compiles it (-O2 -DSAFETY
-DNOREDUCE: every interleaving, as explore explores them); that build time is reported
apart. pan then runs a full search; its own report gives the distinct states ("states,
stored"), the seconds and the memory (its total, and the part that stores the states).
The Python engine runs the same N in this process (spec compilation included, as a user
waits for it). The two must count the same distinct states and the same transitions
(pan's "transitions" is explore's "generated"): otherwise the models differ, and the
script stops with exit 1. The last column, ratio, is explore's seconds over pan's.

pan searches depth-first by default. Its DFS stack (-m) is allocated whole before the
search, to the a priori bound on the depth, 2 * 9^(N-1) (the root's read-only bit times 9
local states per submount): at N = 8 that is about 460 MB of pan's total. --bfs compiles
pan's breadth-first search instead (-DBFS), the engines' order, with no stack to size.

Run:  python tests/bench/spin_scalable.py [N ...] [--bfs]    (default N: 6 7 8)
Needs `spin` (Debian: apt-get install spin) and `gcc` on PATH; without them it says so
and exits 0. Timings are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from bench_engine import run_engine  # noqa: E402

MODEL = HERE / "scalable.pml"
SIZES = (6, 7, 8)
CFLAGS = ("-O2", "-DSAFETY", "-DNOREDUCE")


class Pan(NamedTuple):
    build: float  # seconds: spin -a and gcc
    distinct: int  # states, stored
    transitions: int  # stored + matched: explore's generated
    seconds: float  # pan's own elapsed time, search only
    memory_mb: float  # pan's total actual memory usage
    states_mb: float  # of which the stored states


def have_spin() -> bool:
    return shutil.which("spin") is not None and shutil.which("gcc") is not None


def _run(cmd: list[str], cwd: str) -> str:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        # gcc's warnings on pan.c (bounds-checked indexes it cannot prove) are noise
        # until something fails; then all of it is the report
        raise SystemExit(f"{' '.join(cmd)} failed (exit {p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


def _figure(pattern: str, out: str) -> float:
    m = re.search(pattern, out)
    if m is None:
        raise SystemExit(f"pan's report has no {pattern!r}:\n{out}")
    return float(m.group(1))


def pan(n: int, bfs: bool = False) -> Pan:
    """Build pan for the model at N = n in a temporary folder, run it, read its report."""
    bound = 2 * 9 ** (n - 1)  # distinct states at most, so the DFS depth at most
    with tempfile.TemporaryDirectory(prefix="spin-scalable-") as tmp:
        t0 = time.perf_counter()
        _run(["spin", f"-DN={n}", "-a", str(MODEL)], tmp)
        _run(["gcc", *CFLAGS, *(["-DBFS"] if bfs else []), "-o", "pan", "pan.c"], tmp)
        build = time.perf_counter() - t0
        # -w: a hash table of 2^w slots, at least the bound, as SPIN's manual advises
        args = [f"-w{bound.bit_length()}"] + ([] if bfs else [f"-m{bound}"])
        out = _run(["./pan", *args], tmp)
    if "errors: 0" not in out or "depth too small" in out:
        raise SystemExit(f"pan at N={n} did not complete a clean search:\n{out}")
    return Pan(
        build,
        int(_figure(r"(\d+) states, stored", out)),
        int(_figure(r"(\d+) transitions", out)),
        _figure(r"elapsed time ([\d.e+-]+) seconds", out),
        _figure(r"([\d.]+)\s+total actual memory usage", out),
        _figure(r"([\d.]+)\s+actual memory usage for states", out),
    )


def _rate(states: int, seconds: float) -> str:
    return f"{states / seconds:,.0f}" if seconds > 0 else "-"  # pan's clock ticks 0.01 s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=list(SIZES), metavar="N")
    ap.add_argument("--bfs", action="store_true", help="pan's breadth-first search (-DBFS)")
    args = ap.parse_args()
    if not have_spin():
        print("spin or gcc is not on PATH: nothing to compare (apt-get install spin gcc)")
        return
    print(f"{'N':>3} {'distinct':>10} {'build s':>8} {'pan s':>7} {'pan st/s':>11} "
          f"{'pan MB':>8} {'states MB':>9} {'explore s':>9} {'explore st/s':>12} {'ratio':>6}")
    for n in args.sizes:
        p = pan(n, args.bfs)
        distinct, generated, seconds = run_engine(n)
        if (p.distinct, p.transitions) != (distinct, generated):
            print(f"N={n}: pan stored {p.distinct:,} states in {p.transitions:,} transitions, explore "
                  f"{distinct:,} distinct in {generated:,} generated: the models differ", file=sys.stderr)
            sys.exit(1)
        speedup = f"{seconds / p.seconds:.1f}" if p.seconds > 0 else "-"
        print(f"{n:>3} {distinct:>10,} {p.build:>8.2f} {p.seconds:>7.2f} {_rate(distinct, p.seconds):>11} "
              f"{p.memory_mb:>8.1f} {p.states_mb:>9.1f} {seconds:>9.2f} {_rate(distinct, seconds):>12} "
              f"{speedup:>6}", flush=True)


if __name__ == "__main__":
    main()
