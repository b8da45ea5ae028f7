"""Benchmark: distinct states/s of the generic engine on specs/examples/scalable.mnt at three
sizes, against hand-written, optimised pure-Python BFS searches of the same model, measured
in the same process.

Two references:
- direct (`handwritten_direct.py`): hand-optimised code over the spec's own variables
  (phase, parent, refs, flags), invariants checked. The engine's overhead is its ratio to
  this one; the target is >= 0.5.
- reformulated (`handwritten_scalable.py`): a human's insight into the model (each submount
  is one of 9 local states, packed in an int, chunked lookup tables). A ceiling no generic
  engine reaches; shown for scale.

Run:  python tests/bench/bench_engine.py [--sizes 5,6,7] [--repeat 3]
Timings are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys
import time
from collections.abc import Callable

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(ROOT)]  # runs from a checkout, installed or not

from handwritten_scalable import BENCH_SIZES  # noqa: E402

from explorer.explicit.bfs import Limits  # noqa: E402
from explorer.explicit.run import check_model  # noqa: E402
from explorer.lang.load import load_spec  # noqa: E402

SPEC = ROOT / "specs" / "examples" / "scalable.mnt"
Run = Callable[[int], tuple[int, int, float]]


def run_engine(n: int) -> tuple[int, int, float]:
    model = load_spec(str(SPEC)).model({"N": n})
    t0 = time.perf_counter()
    r = check_model(model, Limits(deadlock=False), progress=None, verify=False)
    elapsed = time.perf_counter() - t0  # compile + search, as a user waits for it
    assert r.outcome.kind == "holds", r.outcome
    return r.figures.distinct, r.figures.generated, elapsed


def references() -> dict[str, Run]:
    refs: dict[str, Run] = {}
    for name, module in (("direct", "handwritten_direct"), ("reformulated", "handwritten_scalable")):
        try:
            refs[name] = importlib.import_module(module).run
        except ImportError:
            pass
    return refs


def best_of(runs: list[Run], n: int, repeat: int) -> list[tuple[int, int, float]]:
    """Best of `repeat` rounds each; the runs alternate within a round, so a noisy stretch
    of the machine does not land on one of them only."""
    results: list[list[tuple[int, int, float]]] = [[] for _ in runs]
    for _ in range(repeat):
        for out, run in zip(results, runs):
            out.append(run(n))
    return [min(r, key=lambda x: x[2]) for r in results]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, BENCH_SIZES)))
    ap.add_argument("--repeat", type=int, default=5, help="best of R rounds")
    args = ap.parse_args()
    refs = references()
    head = f"{'N':>3} {'distinct':>10} {'engine st/s':>12}"
    for name in refs:
        head += f" {name + ' st/s':>18} {'ratio':>6}"
    print(head)
    for n in (int(x) for x in args.sizes.split(",")):
        eng, *others = best_of([run_engine, *refs.values()], n, args.repeat)
        line = f"{n:>3} {eng[0]:>10,} {eng[0] / eng[2]:>12,.0f}"
        for name, ref in zip(refs, others):
            if ref[:2] != eng[:2]:
                raise SystemExit(f"N={n}: engine {eng[:2]} vs {name} {ref[:2]} (distinct, "
                                 "generated): they do not model the same thing")
            line += f" {ref[0] / ref[2]:>18,.0f} {(eng[0] / eng[2]) / (ref[0] / ref[2]):>6.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
