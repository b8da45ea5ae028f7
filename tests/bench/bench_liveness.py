"""Benchmark: what checking a liveness property costs. For each workload, the same model
checked with and without its property, in the same process: the search alone (invariants
only), then the search recording every edge plus the fair-cycle check; the edges and their
memory; the compiled search (one worker, the library built before the clock starts) and,
on the smaller sizes, the Python search.

- ewd840 (specs/examples): Dijkstra's termination detection, `terminated leads to
  detected` (holds: the fair sets are looked for and none is reachable from a trigger);
- abp (specs/examples): the alternating bit protocol, `eventually` all delivered (holds,
  under strong fairness of the receives);
- starvation, weak (specs/examples): a lock, `t1 waiting leads to t1 holding`, violated (a
  lasso), and `assuming strong fair acquire` (holds).

Run:  python tests/bench/bench_liveness.py [--quick]
Timings are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
from dataclasses import replace

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT)]  # runs from a checkout, installed or not

from explorer.budget import Budget, Limits  # noqa: E402
from explorer.engine import Options  # noqa: E402
from explorer.explicit.run import check_model  # noqa: E402
from explorer.lang.load import load_spec  # noqa: E402
from explorer.model import Model  # noqa: E402
from explorer.native.engine import check_native  # noqa: E402
from explorer.results import Result  # noqa: E402

EXAMPLES = ROOT / "specs" / "examples"
LIMITS = Limits()


def compiled(model: Model) -> Result:
    options = Options(LIMITS, workers=1)
    check_native(model, options, None, Budget(LIMITS))  # builds the library (cached)
    r = check_native(model, options, None, Budget(LIMITS), verify=False)
    assert r.figures.compiled, "the compiled search did not run"
    return r


def python(model: Model) -> Result:
    return check_model(model, LIMITS, None, verify=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    args = ap.parse_args()
    q = args.quick
    work: list[tuple[str, str, str, dict[str, object]]] = [
        *((f"ewd840 N={n}", "ewd840", "three", {"N": n}) for n in ((5, 6) if q else (5, 6, 7, 8))),
        *((f"abp N={n} CAP={c}", "abp", "two", {"N": n, "CAP": c})
          for n, c in (((2, 2), (3, 2)) if q else ((2, 2), (3, 2), (3, 3)))),
        ("starvation weak", "starvation", "weak_starves", {}),
        ("starvation strong", "starvation", "strong_serves", {}),
    ]
    print("plain: the search and the invariants; live: the same search recording every edge, "
          "then the property; x: live / plain")
    print(f"{'workload':<20} {'engine':<7} {'states':>10} {'edges':>11} {'memory':>10} "
          f"{'plain s':>8} {'live s':>8} {'x':>6}  outcome")
    with tempfile.TemporaryDirectory(prefix="bench-liveness-") as cache:
        os.environ["XDG_CACHE_HOME"] = cache  # a cold, private cache of compiled models
        for label, spec, check, params in work:
            loaded = load_spec(str(EXAMPLES / f"{spec}.mnt"))
            chk = next(c for c in loaded.checks if c.name == check)
            live = loaded.check_model(chk, {k: v for k, v in params.items()})
            plain = replace(live, properties=())
            engines = [("c", compiled)]
            if live.name != "ewd840" or int(str(params.get("N", 3))) <= 6:
                engines.insert(0, ("python", python))
            for engine, run in engines:
                a, b = run(plain), run(live)
                assert a.figures.distinct == b.figures.distinct
                edges, memory = "", ""
                words = b.figures.liveness.split(" transitions (")
                if len(words) == 2:
                    edges = words[0].split(" over ")[1]
                    memory = words[1].split(")")[0]
                print(f"{label:<20} {engine:<7} {b.figures.distinct:>10,} {edges:>11} "
                      f"{memory:>10} {a.figures.elapsed:>8.2f} {b.figures.elapsed:>8.2f} "
                      f"{b.figures.elapsed / a.figures.elapsed:>6.1f}  {b.outcome.kind}",
                      flush=True)


if __name__ == "__main__":
    main()
