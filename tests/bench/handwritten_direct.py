"""A hand-written, optimised pure-Python BFS of specs/examples/scalable.mnt over the spec's
own state variables: the baseline the generic engine's overhead is measured against.

Why it exists. tests/bench/handwritten_scalable.py explores the same model much faster, but
it reformulates the state (9 local states per submount, found by reasoning about which
combinations of phase, parent, refs and flags are reachable), and drives the search with
chunked lookup tables of precomputed successors. That is a ceiling only a human with
insight into the model reaches; no engine derives it from the spec. This file is what a
skilled programmer writes straight from the spec: the state holds `phase`, `parent`,
`refs` and `flags` of every mount, each action's guard is evaluated on those variables for
every binding, each update is done as the spec says, and every new state is checked
against all five invariants. The engine's figure divided by this one is its overhead over
hand-written code working on the same state.

Encoding (three were measured at N = 5 and 6; this one was fastest, 2-3x both a flat tuple
of 4N ints and a tuple of 4 tuples, flags as a bitmask in both). A state is one int. Mount
m_k (k = 1..N, m1 the root) owns a group of G = 5 + P bits at offset G * (k - 1), with
P = N.bit_length():

    bits 0-1   phase    FREE 0, MOUNTED 1, DETACHED 2
    bits 2-3   refs     0..2
    bit  4     flags    a bitmask over enum Flag: RDONLY = 1
    bits 5..   parent   none 0, m_j -> j (so the root is 1)

An assignment clears the field and ors in the new value (FREE, none and {} are all 0), or
adds a constant delta; the shifts and masks depend only on N and are precomputed. The
guards' `m != root` and `m == root` are constants of each binding, folded there: umount,
umount_lazy and get never fire on the root, remount_rw on the root skips the test of the
root's flags; what remains of every guard is evaluated on the state. The actions of one
submount are evaluated together, after reading its group once: the guards share
`phase[m] == MOUNTED` and the refs tests. Store range checks (refs in 0..2) are left out:
the guard of the same action implies them (get: refs < 2, put: refs > 0).

Invariants are evaluated on each new state for all mounts at once (SWAR: one bit per mount
group, at bit 0 of the group): `mounted`, `detached` and `free` come from the phase bits,
`refs > 0` and `RDONLY in flags` from theirs, and `parent == none` / `parent == root` by a
per-group zero test (adding 2^P - 1 to each P-bit field carries into the bit above it
unless the field is 0; parent == root is that test on parent xor 1). A violation raises
AssertionError naming the invariant, the state and its depth, found by a plain
re-evaluation on the decoded state.

Successors are those of the spec (one per enabled action binding, self-loops and duplicates
included in `generated`), in mount-major rather than action-major order, which changes
parent links but neither `distinct` nor `generated`. The states are kept in one list that
is also the queue, with a parallel list of parent indexes and a set of seen states.

Run:  python tests/bench/handwritten_direct.py [N ...]
"""

from __future__ import annotations

import sys
import time

BENCH_SIZES = (5, 6, 7)  # 7,857 / 66,825 / 578,097 distinct states

FREE, MOUNTED, DETACHED = 0, 1, 2  # enum Phase
RDONLY = 1  # enum Flag, as a bit of a set
ROOT = 1  # m1, as a parent value (none is 0)
PHASE, REFS, FLAGS, PARENT = 0, 2, 4, 5  # field offsets in a mount's group
INVARIANTS = ("root_stays", "tree_shape", "ro_propagates", "detached_is_busy", "free_is_clean")


def decode(n: int, s: int) -> list[tuple[str, str | None, int, set[str]]]:
    """The spec's values of state s: (phase, parent, refs, flags) of m1..mN."""
    p = n.bit_length()
    g = 5 + p
    out = []
    for k in range(n):
        v = s >> (g * k)
        par = (v >> PARENT) & ((1 << p) - 1)
        out.append((("FREE", "MOUNTED", "DETACHED", "?")[v & 3], f"m{par}" if par else None,
                    (v >> REFS) & 3, {"RDONLY"} if (v >> FLAGS) & RDONLY else set()))
    return out


def violated(n: int, s: int) -> list[str]:
    """The invariants state s violates, evaluated plainly on its decoded values."""
    ms = decode(n, s)
    root = ms[0]
    ok = {
        "root_stays": root[0] == "MOUNTED" and root[1] is None and root[2] == 0,
        "tree_shape": all((k > 0 and ph == "MOUNTED") == (par == "m1")
                          for k, (ph, par, _, _) in enumerate(ms)),
        "ro_propagates": "RDONLY" not in root[3]
                         or all("RDONLY" in f for ph, _, _, f in ms if ph == "MOUNTED"),
        "detached_is_busy": all(r > 0 for ph, _, r, _ in ms if ph == "DETACHED"),
        "free_is_clean": all(r == 0 and par is None and not f
                             for ph, par, r, f in ms if ph == "FREE"),
    }
    return [name for name in INVARIANTS if not ok[name]]


def run(n: int) -> tuple[int, int, float]:
    """Explore scalable.mnt with N = n; return (distinct, generated, elapsed seconds)."""
    if n < 1:
        raise ValueError("N must be at least 1")
    t0 = time.perf_counter()  # the precomputation is this checker's "compilation": timed too
    P = n.bit_length()  # bits of a parent field
    G = 5 + P  # bits of a mount's group
    GROUP = (1 << G) - 1
    ALL = (1 << (G * n)) - 1
    PAR = ((1 << P) - 1) << PARENT  # the parent field of the root's group
    ONES = sum(1 << (G * k) for k in range(n))  # bit 0 of every group: one bit per mount
    PARENTS = ONES * ((1 << P) - 1)  # every parent field, shifted down to bit 0
    CARRY = PARENTS  # added to PARENTS-masked fields: carries into bit P unless 0
    SUBS = ONES & ~1  # m != root
    PHASE_BITS = 3 << PHASE  # PHASE is 0: `group & PHASE_BITS` is the phase
    REFS_ANY = 3 << REFS  # refs > 0: one of its bits is set
    REFS_TWO = 2 << REFS  # refs == 2 (refs is in 0..2), so refs < 2 is this bit clear
    REFS_ONE = 1 << REFS
    RO = RDONLY << FLAGS  # RDONLY in flags[m1]
    ROOT_FIELDS = PHASE_BITS | REFS_ANY | PAR  # root_stays reads these of the root
    ROOT_GOOD = MOUNTED << PHASE  # ... and wants MOUNTED, 0 refs, parent none
    ROOT_MOUNT_KEEP = ALL ^ (PHASE_BITS | PAR)  # mount(m1): sets phase and parent
    ROOT_MOUNTED = MOUNTED << PHASE | ROOT << PARENT
    # per submount: (shift, mask keeping all but its phase, parent and flags, its group
    # after mount for flags[root] = {} and {RDONLY}, DETACHED, one reference, RDONLY)
    subs = []
    for k in range(1, n):
        sh = G * k
        keep = ALL ^ (PHASE_BITS | PAR | RO) << sh
        mounted = ROOT_MOUNTED << sh
        subs.append((sh, keep, (mounted, mounted | RO << sh), DETACHED << (PHASE + sh),
                     REFS_ONE << sh, RO << sh))

    init = MOUNTED << PHASE  # m1 mounted, every other mount free; no parent, refs or flag
    states: list[int] = []
    parents: list[int] = []
    seen: set[int] = set()
    add, push, link = seen.add, states.append, parents.append

    def new(t: int, i: int) -> None:
        """Check the invariants on a state not seen before, then enqueue it."""
        mounted = t & ONES
        busy = (t >> REFS | t >> (REFS + 1)) & ONES  # refs > 0
        ro = (t >> FLAGS) & ONES  # RDONLY in flags
        par = (t >> PARENT) & PARENTS
        if ((t & ROOT_FIELDS) != ROOT_GOOD  # root_stays
                or mounted & SUBS != ONES & ~(((par ^ ONES) + CARRY) >> P)  # tree_shape
                or (t & RO and mounted & ~ro)  # ro_propagates
                or t >> 1 & ONES & ~busy  # detached_is_busy
                or ~(t | t >> 1) & ONES & (busy | ro | ((par + CARRY) >> P))):  # free_is_clean
            depth = 0
            while i >= 0:
                depth, i = depth + 1, parents[i]
            raise AssertionError(f"N={n}: invariant {', '.join(violated(n, t))} violated at "
                                 f"depth {depth}: {decode(n, t)}")
        add(t)
        push(t)
        link(i)

    new(init, -1)
    generated = 1
    for i, s in enumerate(states):  # the list grows while we walk it: it is the queue
        root = s & GROUP
        root_ro = (root >> FLAGS) & RDONLY
        # the root's bindings
        if root & PHASE_BITS == FREE:  # mount(m1); flags[m1] := flags[m1] changes nothing
            generated += 1
            t = (s & ROOT_MOUNT_KEEP) | ROOT_MOUNTED
            if t not in seen:
                new(t, i)
        if root & REFS_ANY:  # put(m1)
            generated += 1
            t = s - REFS_ONE
            if root & PHASE_BITS == DETACHED and not t & REFS_ANY:
                t -= (DETACHED - FREE) << PHASE
            if t not in seen:
                new(t, i)
        if root & PHASE_BITS == MOUNTED:
            generated += 1
            if root_ro:  # remount_rw(m1)
                t = s - RO
            else:  # remount_ro(m1): RDONLY into the flags of every mounted mount
                t = s | (s & ONES) << FLAGS
            if t not in seen:
                new(t, i)
        # the submounts' bindings
        for sh, keep, mount, detached, one, ro in subs:
            g = (s >> sh) & GROUP
            phase = g & PHASE_BITS
            if phase == MOUNTED:
                if g & REFS_ANY:
                    generated += 2
                    t = (s & keep) | detached  # umount_lazy: DETACHED, parent none, flags {}
                    if t not in seen:
                        new(t, i)
                    t = s - one  # put (still mounted: stays mounted)
                    if t not in seen:
                        new(t, i)
                else:
                    generated += 1
                    t = s & keep  # umount: FREE, parent none, flags {}
                    if t not in seen:
                        new(t, i)
                if not g & REFS_TWO:  # get: refs < 2
                    generated += 1
                    t = s + one
                    if t not in seen:
                        new(t, i)
                if not g & RO:  # remount_ro
                    generated += 1
                    t = s + ro
                    if t not in seen:
                        new(t, i)
                elif not root_ro:  # remount_rw, under a writable root
                    generated += 1
                    t = s - ro
                    if t not in seen:
                        new(t, i)
            elif phase == FREE:
                generated += 1
                t = (s & keep) | mount[root_ro]  # mount: MOUNTED, parent m1, flags[root]
                if t not in seen:
                    new(t, i)
                if g & REFS_ANY:  # put
                    generated += 1
                    t = s - one
                    if t not in seen:
                        new(t, i)
            elif g & REFS_ANY:  # DETACHED: put; the last one frees the mount
                generated += 1
                t = s - one
                if g & REFS_ANY == REFS_ONE:
                    t -= detached  # phase := FREE
                if t not in seen:
                    new(t, i)
    elapsed = time.perf_counter() - t0
    return len(states), generated, elapsed


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from handwritten_scalable import report

    report(run, sys.argv[1:])
