"""A hand-written, optimised pure-Python BFS of exactly the model of
specs/examples/scalable.mnt: the ceiling a generic engine is measured against.

The model (see the spec): m1 is the root mount, always mounted; it has one bit of state,
read-only or not. Each of the N - 1 submounts is in one of 9 local states:

    0        FREE
    1 .. 6   MOUNTED with r references (0..2), read-only bit ro: 1 + 2 * r + ro
    7, 8     DETACHED with r references (1..2): 6 + r

parent, refs and flags of the spec are functions of that local state (parent = root when
mounted, none otherwise; a free or detached mount has no flags), so the encoding is a
bijection with the spec's states and the distinct counts agree. A state is one int: bit 0
is the root's read-only bit, and submount i sits in the 4 bits at 1 + 4 * i.

Successors, exactly the spec's transitions (one per enabled action binding, self-loops and
duplicates included in `generated`):
- root: remount_ro when writable (sets ro on every mounted submount too), remount_rw when
  read-only. mount, umount, get and put never apply to the root.
- submount, free: mount (mounted, 0 references, ro = the root's ro).
- submount, mounted (r, ro): umount if r == 0, umount_lazy if r > 0 (detached, r kept),
  get if r < 2, put if r > 0, remount_ro if not ro, remount_rw if ro and the root is
  writable.
- submount, detached r: put (r - 1, freed at 0).

The submounts are grouped in chunks of up to 2 (8 bits); for each chunk position and each
value of the root bit, a precomputed table maps the chunk's bits to the tuple of additive
deltas of all its submounts' successors, and another to the delta of the root's
propagating remount_ro. The search keeps the states in one list that is also the queue,
with a parallel list of parent indexes, and a set of seen states, as a real checker does.

Run:  python tests/bench/handwritten_scalable.py [N ...]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

BENCH_SIZES = (5, 6, 7)  # 7,857 / 66,825 / 578,097 distinct states

FREE = 0
CHUNK = 2  # submounts per table lookup (2 measured fastest, tables included)


def _mounted(r: int, ro: int) -> int:
    return 1 + 2 * r + ro


def _detached(r: int) -> int:
    return 6 + r


def _local_successors(v: int, root_ro: int) -> list[int]:
    """The local states a submount in local state v can move to."""
    if v == FREE:
        return [_mounted(0, root_ro)]  # mount: inherits the root's flags
    if 1 <= v <= 6:
        r, ro = divmod(v - 1, 2)
        out = [FREE] if r == 0 else [_detached(r)]  # umount / umount_lazy
        if r < 2:
            out.append(_mounted(r + 1, ro))  # get
        if r > 0:
            out.append(_mounted(r - 1, ro))  # put
        if not ro:
            out.append(_mounted(r, 1))  # remount_ro
        elif not root_ro:
            out.append(_mounted(r, 0))  # remount_rw
        return out
    if v in (7, 8):
        r = v - 6
        return [FREE if r == 1 else _detached(r - 1)]  # put
    return []  # not a local state


def _tables(k: int) -> list[tuple[int, int, tuple, tuple, list[int]]]:
    """Per chunk: (shift, mask, deltas when the root is writable, deltas when read-only,
    propagation delta of the root's remount_ro)."""
    chunks = []
    for first in range(0, k, CHUNK):
        width = min(CHUNK, k - first)
        shift = 1 + 4 * first
        size = 16 ** width
        per_ro = []
        for root_ro in (0, 1):
            table = []
            for bits in range(size):
                deltas = []
                for j in range(width):
                    v = (bits >> (4 * j)) & 15
                    for w in _local_successors(v, root_ro):
                        deltas.append((w - v) << (shift + 4 * j))
                table.append(tuple(deltas))
            per_ro.append(tuple(table))
        prop = []
        for bits in range(size):
            d = 0
            for j in range(width):
                v = (bits >> (4 * j)) & 15
                if 1 <= v <= 6 and (v - 1) % 2 == 0:  # mounted and writable
                    d += 1 << (shift + 4 * j)
            prop.append(d)
        chunks.append((shift, size - 1, per_ro[0], per_ro[1], prop))
    return chunks


def run(n: int) -> tuple[int, int, float]:
    """Explore scalable.mnt with N = n; return (distinct, generated, elapsed seconds)."""
    if n < 1:
        raise ValueError("N must be at least 1")
    t0 = time.perf_counter()  # the tables are this checker's "compilation": timed too
    chunks = _tables(n - 1)
    states = [0]  # the initial state: root writable, every submount free
    parents = [-1]
    seen = {0}
    generated = 1
    add, push, link = seen.add, states.append, parents.append
    if len(chunks) == 1:
        ((sh, mask, rw_t, ro_t, prop),) = chunks
        for i, s in enumerate(states):  # the list grows while we walk it: it is the queue
            c = (s >> sh) & mask
            if s & 1:
                ds = ro_t[c]
                t = s - 1  # root remount_rw
            else:
                ds = rw_t[c]
                t = s + 1 + prop[c]  # root remount_ro, propagated
            generated += 1 + len(ds)
            if t not in seen:
                add(t)
                push(t)
                link(i)
            for d in ds:
                t = s + d
                if t not in seen:
                    add(t)
                    push(t)
                    link(i)
    else:
        for i, s in enumerate(states):
            ro = s & 1
            t = s - 1 if ro else s + 1
            for sh, mask, rw_t, ro_t, prop in chunks:
                c = (s >> sh) & mask
                if ro:
                    ds = ro_t[c]
                else:
                    ds = rw_t[c]
                    t += prop[c]
                generated += len(ds)
                for d in ds:
                    u = s + d
                    if u not in seen:
                        add(u)
                        push(u)
                        link(i)
            generated += 1
            if t not in seen:
                add(t)
                push(t)
                link(i)
    elapsed = time.perf_counter() - t0
    return len(states), generated, elapsed


def report(search: Callable[[int], tuple[int, int, float]], argv: list[str]) -> None:
    """Figures of a hand-written search at the sizes given (default BENCH_SIZES)."""
    sizes = [int(a) for a in argv] or list(BENCH_SIZES)
    print(f"{'N':>3} {'distinct':>10} {'generated':>12} {'seconds':>8} {'states/s':>10}")
    for n in sizes:
        distinct, generated, elapsed = search(n)
        print(f"{n:>3} {distinct:>10,} {generated:>12,} {elapsed:>8.3f} {distinct / elapsed:>10,.0f}",
              flush=True)


def main(argv: list[str]) -> None:
    report(run, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
