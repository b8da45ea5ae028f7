"""Benchmark: distinct states/s of the generic engine on specs/examples/scalable.mnt at three
sizes, against a hand-written, optimised pure-Python BFS of the same model, in one process.

Run:  python tests/bench/bench_engine.py [--sizes 2,3,4] [--repeat 3]
Prints one line per size and the ratio engine / hand-written (target: >= 0.5). Not a
test: timings are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from handwritten_scalable import BENCH_SIZES  # noqa: E402
from handwritten_scalable import run as run_handwritten  # noqa: E402

from explorer.explicit.bfs import Limits  # noqa: E402
from explorer.explicit.run import check_model  # noqa: E402
from explorer.lang.load import load_spec  # noqa: E402

SPEC = ROOT / "specs" / "examples" / "scalable.mnt"


def run_engine(n: int) -> tuple[int, int, float]:
    spec = load_spec(str(SPEC))
    model = spec.model({"N": n})
    t0 = time.perf_counter()
    r = check_model(model, Limits(deadlock=False), progress=None, verify=False)
    elapsed = time.perf_counter() - t0  # compile + search, as a user waits for it
    assert r.outcome.kind == "holds", r.outcome
    return r.figures.distinct, r.figures.generated, elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, BENCH_SIZES)))
    ap.add_argument("--repeat", type=int, default=3, help="best of R runs of each")
    args = ap.parse_args()
    print(f"{'N':>3} {'distinct':>10} {'engine st/s':>12} {'hand st/s':>12} {'ratio':>6}")
    for n in (int(x) for x in args.sizes.split(",")):
        eng = min((run_engine(n) for _ in range(args.repeat)), key=lambda r: r[2])
        hand = min((run_handwritten(n) for _ in range(args.repeat)), key=lambda r: r[2])
        if eng[0] != hand[0]:
            raise SystemExit(f"N={n}: the engine found {eng[0]} states, the hand-written "
                             f"search {hand[0]}: they do not model the same thing")
        e_rate, h_rate = eng[0] / eng[2], hand[0] / hand[2]
        print(f"{n:>3} {eng[0]:>10,} {e_rate:>12,.0f} {h_rate:>12,.0f} {e_rate / h_rate:>6.2f}",
              flush=True)


if __name__ == "__main__":
    main()
