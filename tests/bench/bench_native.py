"""Benchmark: the compiled engine (explorer/native) against the Python engine, and against
SPIN's pan when Debian's `spin` is installed, on specs/examples/scalable.mnt at N = 6, 7, 8,
on the sequence-heavy specs/examples/lamport_mutex.mnt (3 processes, clocks up to 7, FIFO
channels of 4 records: 252,589 states) and on the largest showcase configuration
(detached_trees.mnt, check v6_17_4). Every run explores every state (no symmetry
reduction: bench_symmetry.py measures that), so the figures compare with earlier ones.

Each run is a process of its own, so that its peak memory is its own: it loads the spec,
builds what the engine needs (for the compiled engine: the C library, into an empty
private cache, timed apart as "compile s"), notes its resident memory, then searches. It
reports distinct states, search seconds, distinct states/s and bytes per state (peak RSS
growth over the search / distinct states). Every run of one workload must find the same
distinct and generated counts (else exit 1); the ratios are against the Python engine,
and 2 workers against 1.

With --hundred-million it runs only the compiled engine on scalable.mnt at N = 10
(396,781,201 states) up to 100,000,000 distinct states (--max-states: the run ends
incomplete there), to show what the machine's memory holds: its time and bytes per state.

Run:  python tests/bench/bench_native.py [--sizes 6,7,8] [--no-lamport] [--no-showcase]
      [--no-spin] [--hundred-million]
Timings are figures to read, never assertions.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(HERE), str(ROOT)]

SCALABLE = ROOT / "specs" / "examples" / "scalable.mnt"
SHOWCASE = (ROOT / "specs" / "detached_trees.mnt", "v6_17_4")
LAMPORT = (ROOT / "specs" / "examples" / "lamport_mutex.mnt", "three", "N=3;MAXC=7;CAP=4")


def child(spec: str, check: str, overrides: str, engine: str, workers: int,
          max_states: int | None = None) -> None:
    """One measured run (in its own process); prints one JSON line."""
    from explorer.budget import Budget, Limits
    from explorer.engine import Options
    from explorer.explicit.compile import compile_model
    from explorer.explicit.run import check_model
    from explorer.lang.load import load_spec, parse_override
    from explorer.native import build
    from explorer.native.engine import check_native, generate

    loaded = load_spec(spec)
    chk = next(c for c in loaded.checks if c.name == check)
    extra = dict(parse_override(o) for o in overrides.split(";") if o)
    model = loaded.check_model(chk, extra)
    compile_s = 0.0
    if engine == "c":  # the C compiler's time (the C is generated in milliseconds)
        source = generate(model, compile_model(model))
        t = time.perf_counter()
        build.build(source)
        compile_s = time.perf_counter() - t
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    limits = Limits(max_states=max_states)
    if engine == "c":
        r = check_native(model, Options(limits, workers=workers, symmetry=False), None,
                         Budget(limits))
    else:
        r = check_model(model, limits, None, symmetry=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    f = r.figures
    print(json.dumps({"distinct": f.distinct, "generated": f.generated, "seconds": f.elapsed,
                      "compile": compile_s, "bytes": max(0, peak - base) / max(1, f.distinct),
                      "peak": peak,
                      "compiled": f.compiled}))


def measure(spec: pathlib.Path, check: str, overrides: str, engine: str, workers: int,
            cache: str, max_states: int = 0) -> dict[str, float]:
    env_cache = {"XDG_CACHE_HOME": cache}
    import os
    out = subprocess.run([sys.executable, __file__, "--child", str(spec), check, overrides,
                          engine, str(workers), str(max_states)], capture_output=True,
                         text=True, check=True, env={**os.environ, **env_cache})
    data: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]),
              int(sys.argv[7]) or None)
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="6,7,8")
    ap.add_argument("--no-lamport", action="store_true")
    ap.add_argument("--no-showcase", action="store_true")
    ap.add_argument("--no-spin", action="store_true")
    ap.add_argument("--hundred-million", action="store_true")
    args = ap.parse_args()
    if args.hundred_million:
        with tempfile.TemporaryDirectory(prefix="bench-native-") as cache:
            m = measure(SCALABLE, "safe", "N=10", "c", 2, cache, max_states=100_000_000)
        print(f"scalable N=10, compiled, 2 workers, up to 100,000,000 states: "
              f"{int(m['distinct']):,} distinct, {int(m['generated']):,} generated in "
              f"{m['seconds']:.0f} s ({m['distinct'] / m['seconds']:,.0f} states/s), "
              f"{m['bytes']:.1f} bytes/state, peak {m['peak'] / 2**30:.2f} GiB")
        return
    work = [(f"scalable N={n}", SCALABLE, "safe", f"N={n}")
            for n in map(int, args.sizes.split(","))]
    if not args.no_lamport:
        work.append(("lamport_mutex N=3 MAXC=7", *LAMPORT))
    if not args.no_showcase:
        work.append((f"{SHOWCASE[0].stem} {SHOWCASE[1]}", SHOWCASE[0], SHOWCASE[1], ""))
    print(f"{'workload':<28} {'engine':<10} {'distinct':>10} {'compile s':>9} {'search s':>9} "
          f"{'states/s':>11} {'B/state':>8} {'ratio':>7}")
    for label, spec, check, overrides in work:
        rows = []
        for engine, workers in (("python", 1), ("c", 1), ("c", 2)):
            with tempfile.TemporaryDirectory(prefix="bench-native-") as cache:
                m = measure(spec, check, overrides, engine, workers, cache)
            rows.append((f"{engine}" + (f" x{workers}" if engine == "c" else ""), m))
        base = rows[0][1]
        for name, m in rows:
            if (m["distinct"], m["generated"]) != (base["distinct"], base["generated"]):
                print(f"{label}: {name} found {m['distinct']:,}/{m['generated']:,}, the Python "
                      f"engine {base['distinct']:,}/{base['generated']:,}", file=sys.stderr)
                sys.exit(1)
            ratio = base["seconds"] / m["seconds"] if m["seconds"] > 0 else 0.0
            print(f"{label:<28} {name:<10} {int(m['distinct']):>10,} {m['compile']:>9.2f} "
                  f"{m['seconds']:>9.2f} {m['distinct'] / m['seconds']:>11,.0f} "
                  f"{m['bytes']:>8.0f} {ratio:>7.1f}", flush=True)
        two, one = rows[2][1]["seconds"], rows[1][1]["seconds"]
        print(f"{label:<28} 2 workers / 1 worker: {one / two:.2f}x faster", flush=True)
        if label.startswith("scalable") and not args.no_spin:
            from spin_scalable import have_spin, pan
            if have_spin():
                p = pan(int(overrides.split("=")[1]))
                print(f"{label:<28} {'spin pan':<10} {p.distinct:>10,} {p.build:>9.2f} "
                      f"{p.seconds:>9.2f} {p.distinct / max(p.seconds, 0.01):>11,.0f} "
                      f"{p.states_mb * 2**20 / p.distinct:>8.0f}     (pan's own figures)",
                      flush=True)


if __name__ == "__main__":
    main()
