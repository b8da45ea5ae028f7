"""Benchmark: the symmetry reduction. For specs with a symmetric set, the distinct states
and the time with and without the reduction (the compiled search, one worker, the
library built before the clock starts; the Python search on the smallest size), the
reduced count against unreduced / k! (Burnside: no exact reduction goes below the number
of orbits, which is close to unreduced / k! only when few states are symmetric to
themselves), and the canonical form's cost per successor against the cost of generating
one.

- scalable_symmetric (specs/examples): scalable.mnt with its k = N submounts symmetric
  (9 local states each: most states repeat a local state, so the orbits are far more than
  unreduced / k!);
- relations (tests/bench): every relation on N points (few relations have an
  automorphism: little tie-breaking, orbits close to unreduced / k!);
- alike (tests/bench): N switches; every state has two blocks of atoms that look alike,
  which the shortcut for atoms a swap cannot tell apart makes cheap;
- rings (tests/bench): partial permutations of N points; a state of rings makes every
  atom look alike without any two being interchangeable: N! orderings, the worst case.
- detached_trees (specs): its symmetric tasks and files, on three 6.17 configurations.
The other showcase specs declare no symmetric set (their tasks, tables and mounts play
distinct roles, or are ordered by design).

Run:  python tests/bench/bench_symmetry.py [--quick]
Timings are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
import tempfile
import time
from collections.abc import Callable

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT)]  # runs from a checkout, installed or not

from explorer.budget import Budget, Limits  # noqa: E402
from explorer.engine import Options  # noqa: E402
from explorer.explicit.canon import Canon  # noqa: E402
from explorer.explicit.compile import compile_model  # noqa: E402
from explorer.explicit.run import check_model  # noqa: E402
from explorer.explicit.system import Collect  # noqa: E402
from explorer.lang.load import load_spec  # noqa: E402
from explorer.model import Model  # noqa: E402
from explorer.native.engine import check_native  # noqa: E402
from explorer.results import Result  # noqa: E402
from explorer.symmetry import analyse  # noqa: E402

SCALABLE = ROOT / "specs" / "examples" / "scalable_symmetric.mnt"
RELATIONS = HERE / "relations.mnt"
ALIKE = HERE / "alike.mnt"
RINGS = HERE / "rings.mnt"
SHOWCASE = ROOT / "specs" / "detached_trees.mnt"
NO_DEADLOCK = Limits(deadlock=False)


def compiled(model: Model, symmetry: bool) -> Result:
    options = Options(NO_DEADLOCK, workers=1, symmetry=symmetry)
    check_native(model, options, None, Budget(NO_DEADLOCK))  # builds the library (cached)
    r = check_native(model, options, None, Budget(NO_DEADLOCK), verify=False)
    assert r.figures.compiled, "the compiled search did not run"
    return r


def python(model: Model, symmetry: bool) -> Result:
    return check_model(model, NO_DEADLOCK, None, verify=False, symmetry=symmetry)


def canon_cost(model: Model, sample: int = 3000) -> tuple[float, float]:
    """The Python engine's cost per successor, in microseconds: generating it (every
    action of a state, through the successor contract) and its canonical form."""
    cm = compile_model(model)
    canon = Canon(model, cm.layout, analyse(model).sets)
    states, seen, k = [s for s in cm.initial()], set(), 0
    while k < len(states) and len(states) < sample:  # a breadth-first sample of states
        sink: Collect[int] = Collect()
        cm.expand(states[k], sink)
        for _, _, t in sink.edges:
            if t not in seen:
                seen.add(t)
                states.append(t)
        k += 1
    t0 = time.perf_counter()
    succs = []
    for s in states:
        sink = Collect()
        cm.expand(s, sink)
        succs += [t for _, _, t in sink.edges]
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in succs:
        canon(t)
    can = time.perf_counter() - t0
    return 1e6 * gen / len(succs), 1e6 * can / len(succs)


def row(label: str, engine: str, full: Result, red: Result, order: int) -> None:
    """One workload's line; `order` is the number of permutations (k! for one set)."""
    f, r = full.figures, red.figures
    per_full = f.elapsed / f.generated * 1e9
    per_red = r.elapsed / r.generated * 1e9
    bound = f.distinct / order
    vs = f"{r.distinct / bound:>8.2f}" if bound >= 1 else f"{'-':>8}"  # k! above the states
    print(f"{label:<26} {engine:<7} {f.distinct:>11,} {f.elapsed:>8.2f} {r.distinct:>9,} "
          f"{r.elapsed:>8.2f} {f.distinct / r.distinct:>7.1f}x {vs} "
          f"{f.elapsed / r.elapsed:>7.1f}x {per_full:>7.0f} {per_red - per_full:>7.0f}",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    args = ap.parse_args()
    q = args.quick
    work: list[tuple[str, pathlib.Path, int, int]] = [
        ("scalable_symmetric", SCALABLE, n, n) for n in ((3, 4, 5) if q else (4, 5, 6, 7))
    ] + [("relations", RELATIONS, n, n) for n in ((3, 4) if q else (4, 5))] + [
        ("alike", ALIKE, n, n) for n in ((8,) if q else (12, 16))] + [
        ("rings", RINGS, n, n) for n in ((6, 7) if q else (8, 9))]
    print("full: every state; reduced: one per orbit. ns/succ: time per generated state "
          "without the reduction; +canon: what the reduction adds per generated state")
    print(f"{'workload':<26} {'engine':<7} {'full':>11} {'s':>8} {'reduced':>9} {'s':>8} "
          f"{'fewer':>8} {'vs /k!':>8} {'faster':>8} {'ns/succ':>7} {'+canon':>7}")
    with tempfile.TemporaryDirectory(prefix="bench-symmetry-") as cache:
        import os
        os.environ["XDG_CACHE_HOME"] = cache  # a cold, private cache of compiled models
        first: set[str] = set()
        for name, spec, n, k in work:
            model = load_spec(str(spec)).model({"N": n})
            label = f"{name} N={n}"
            runs: list[tuple[str, Callable[[Model, bool], Result]]] = [("c", compiled)]
            if name not in first:
                runs.insert(0, ("python", python))
                first.add(name)
            for engine, run in runs:
                full, red = run(model, False), run(model, True)
                assert (full.outcome.kind, red.outcome.kind) == ("holds", "holds")
                row(label, engine, full, red, math.factorial(k))
            if name in first and n == min(m for x, _, m, _ in work if x == name):
                gen, can = canon_cost(model)
                print(f"{label:<26} python canonical form: {can:.1f} us per successor, "
                      f"generating it {gen:.1f} us ({can / gen:.1f}x)", flush=True)
        # the showcase: detached_trees' tasks and files (the other showcase specs declare no
        # symmetric set)
        showcase = load_spec(str(SHOWCASE))
        for check in ("v6_17", "v6_17_4") + (() if q else ("v6_17_tasks",)):
            chk = next(c for c in showcase.checks if c.name == check)
            model = showcase.check_model(chk)
            order = math.prod(math.factorial(len(t.atoms)) for t in analyse(model).sets)
            full, red = compiled(model, False), compiled(model, True)
            assert (full.outcome.kind, red.outcome.kind) == ("holds", "holds")
            row(f"detached_trees {check}", "c", full, red, order)


if __name__ == "__main__":
    main()
