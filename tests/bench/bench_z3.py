"""Benchmark: the z3 engine on the shipped specs.

Two figures, as issue 6 asks:
- proofs: the time of every `expect proved` / `expect cti` check (encoding included, as a
  user waits for it), against the explicit search of the same configuration run in the
  same process (the reference: what BFS needs to cover the instance it enumerates);
- BMC: how deep bounded model checking gets in a fixed time (default 60 s) on a holding
  check of each showcase spec, against that check's BFS depth (the longest shortest path:
  at that depth BMC has covered every reachable state too).

Run:  python tests/bench/bench_z3.py [--seconds 60] [--only proofs|bmc] [--spec NAME]
Timings are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT)]  # runs from a checkout, installed or not

from explorer import model as M  # noqa: E402
from explorer.explicit.bfs import Limits  # noqa: E402
from explorer.explicit.run import check_model  # noqa: E402
from explorer.lang.load import load_spec  # noqa: E402
from explorer.symbolic.bmc import check_bmc  # noqa: E402
from explorer.symbolic.induction import check_prove  # noqa: E402

SPECS = sorted((ROOT / "specs").rglob("*.mnt"))
# the fixed-era check of each showcase spec that BMC is timed on
BMC_CHECKS = {
    "detached_trees": "v5_2",
    "mountinfo_cursor": "v1",
    "deferred_release": "i_t3_1",
    "exec_files": "v5_11",
}


def _bfs(model: M.Model) -> tuple[float, int, int]:
    """Every state (no symmetry reduction): the depth is the diameter BMC is measured
    against."""
    t0 = time.perf_counter()
    r = check_model(model, Limits(deadlock=False), progress=None, verify=False, symmetry=False)
    return time.perf_counter() - t0, r.figures.distinct, r.figures.depth


def proofs(only_spec: str | None) -> None:
    print("proofs (expect proved / cti): z3 time, against BFS of the same configuration")
    print(f"  {'spec':<18} {'check':<24} {'outcome':<9} {'z3 s':>7} {'BFS s':>7} "
          f"{'states':>7} {'z3/BFS':>8}")
    for path in SPECS:
        if only_spec and path.stem != only_spec:
            continue
        spec = load_spec(str(path))
        for c in spec.checks:
            if c.expect.kind not in (M.ExpectKind.PROVED, M.ExpectKind.CTI):
                continue
            model = spec.check_model(c)
            t0 = time.perf_counter()
            r = check_prove(model, c.expect.k or 1, progress=None, verify=False)
            z3s = time.perf_counter() - t0
            bfs_s, distinct, _ = _bfs(model)
            print(f"  {path.stem:<18} {c.name:<24} {r.outcome.kind:<9} {z3s:7.2f} "
                  f"{bfs_s:7.2f} {distinct:7d} {z3s / bfs_s:7.2f}x", flush=True)


def bmc(seconds: float, only_spec: str | None) -> None:
    print(f"BMC: depth completed in {seconds:.0f} s, against the check's BFS depth")
    print(f"  {'spec':<18} {'check':<10} {'BMC depth':>9} {'BFS depth':>9} {'BFS s':>7} "
          f"{'BMC outcome':<12}")
    for stem, check in BMC_CHECKS.items():
        if only_spec and stem != only_spec:
            continue
        spec = load_spec(str(ROOT / "specs" / f"{stem}.mnt"))
        c = next(c for c in spec.checks if c.name == check)
        model = spec.check_model(c)
        bfs_s, _, bfs_depth = _bfs(model)
        r = check_bmc(model, 10_000, check_deadlock=False, max_seconds=seconds, progress=None,
                      verify=False)
        # an incomplete run stopped while working on figures.depth
        done = r.figures.depth - 1 if r.outcome.kind == "incomplete" else r.figures.depth
        print(f"  {stem:<18} {check:<10} {done:9d} {bfs_depth:9d} {bfs_s:7.2f} "
              f"{r.outcome.kind:<12}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="BMC time per spec")
    ap.add_argument("--only", choices=("proofs", "bmc"))
    ap.add_argument("--spec", help="one spec, by file stem (e.g. detached_trees)")
    a = ap.parse_args()
    if a.only != "bmc":
        proofs(a.spec)
    if a.only != "proofs":
        bmc(a.seconds, a.spec)


if __name__ == "__main__":
    main()
