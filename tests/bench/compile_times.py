"""Benchmark: the C compiler's time for every showcase configuration the compiled engine
would build (each distinct generated source once, into an empty private cache), per spec:
how many distinct sources its explicit checks need, the median and the longest build.

Run:  python tests/bench/compile_times.py
Timings are figures to read, never assertions.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
SHOWCASE = ("detached_trees", "mountinfo_cursor", "deferred_release", "exec_files")
PROOFS = ("proved", "cti")  # checks the z3 engine runs: nothing to compile


def main() -> None:
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bench-compile-")
    from explorer.engine import Unsupported
    from explorer.explicit.compile import compile_model
    from explorer.lang.load import load_spec
    from explorer.native import build
    from explorer.native.engine import generate

    for spec in SHOWCASE:
        loaded = load_spec(str(ROOT / "specs" / f"{spec}.mnt"))
        took: dict[str, float] = {}
        checks = unsupported = 0
        for chk in loaded.checks:
            if chk.expect.kind in PROOFS:
                continue
            checks += 1
            model = loaded.check_model(chk)
            try:
                source = generate(model, compile_model(model))
            except Unsupported:
                unsupported += 1
                continue
            key = hashlib.sha256(source.encode()).hexdigest()
            if key not in took:
                t = time.perf_counter()
                build.build(source)
                took[key] = time.perf_counter() - t
        times = sorted(took.values())
        print(f"{spec:<18} {checks:>3} explicit checks, {len(times):>3} distinct C sources, "
              f"compile median {statistics.median(times):.2f} s, longest {times[-1]:.2f} s, "
              f"over 2 s: {sum(t > 2 for t in times)}"
              + (f", {unsupported} run in Python" if unsupported else ""), flush=True)


if __name__ == "__main__":
    main()
