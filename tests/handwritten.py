"""Hand-written, independent models of the example specs in specs/examples/, and a BFS.

Nothing here imports `explorer`: each model is written again directly in Python, with its
own state representation and its own successor function, following the semantics of
README.md (Figures) and docs/semantics.md:

- `generated` counts the initial states plus every successor computed, duplicates and
  self-loops included (as TLC counts them). A transition that fails (runtime error or
  assertion) yields no successor and is not counted.
- `depth` is the largest BFS level (shortest distance from an initial state) of any
  reachable state.
- Every action binding and every `either` branch is a separate transition. A state with no
  transition that is not terminal is a deadlock.
- A counterexample's length K is its number of actions: the BFS level of the violating or
  deadlocked state; for a failing action, the level of its source state plus one (the
  failing action counts).

Unlike the real checker, `bfs` does not stop at the first problem: it explores the whole
reachable graph and records, for each kind of problem, the shortest K. `counterexample`
and `problem` are the overall shortest one, which is what a BFS checker that stops at the
first problem reports.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, NamedTuple


class Failure(NamedTuple):
    """A transition that failed: kind is "error" or "assertion"."""

    kind: str
    message: str


class Result(NamedTuple):
    distinct: int
    generated: int
    depth: int
    counterexample: int | None  # K of the shortest problem, None if there is none
    problem: str | None  # "violation <inv>", "deadlock", "error" or "assertion"
    problems: dict[str, int]  # every kind of problem found -> its shortest K
    fired: dict[str, int]  # action -> transitions it made (failed ones not counted)


class Model(NamedTuple):
    initial: list[Hashable]
    # (action name, successor state or Failure) for every enabled binding and branch
    successors: Callable[[Hashable], Iterable[tuple[str, Hashable | Failure]]]
    invariants: dict[str, Callable[[Hashable], bool]]
    terminal: Callable[[Hashable], bool]
    # TLC's state constraint: a state outside it is generated and checked against the
    # invariants, but neither kept nor expanded
    constraint: Callable[[Hashable], bool] = lambda s: True


def bfs(model: Model) -> Result:
    level: dict[Hashable, int] = {}
    queue: deque[Hashable] = deque()
    problems: dict[str, int] = {}
    fired: dict[str, int] = {}

    def note(kind: str, k: int) -> None:
        if kind not in problems or k < problems[kind]:
            problems[kind] = k

    def visit(s: Hashable, d: int) -> None:
        for name, holds in model.invariants.items():
            if not holds(s):
                note(f"violation {name}", d)
        if model.constraint(s):
            level[s] = d
            queue.append(s)

    generated = 0
    for s in model.initial:
        generated += 1
        if s not in level:
            visit(s, 0)
    while queue:
        s = queue.popleft()
        d = level[s]
        enabled = 0
        for action, t in model.successors(s):
            enabled += 1
            if isinstance(t, Failure):
                note(t.kind, d + 1)
                continue
            generated += 1
            fired[action] = fired.get(action, 0) + 1
            if t not in level:
                visit(t, d + 1)
        if enabled == 0 and not model.terminal(s):
            note("deadlock", d)
    depth = max(level.values())
    if problems:
        problem = min(problems, key=lambda kind: problems[kind])
        return Result(len(level), generated, depth, problems[problem], problem, problems, fired)
    return Result(len(level), generated, depth, None, None, problems, fired)


# ---------------------------------------------------------------------------------------
# mutex.mnt: Peterson's algorithm, or (buggy) "test the other's flag, then raise yours".
# State: (pc, flag, turn) with pc and flag pairs indexed by process 0/1, turn 0/1.

IDLE, TRYING, WAITING, CRITICAL = range(4)


def mutex(buggy: bool = False) -> Model:
    def successors(s: tuple) -> Iterator[tuple[str, tuple]]:
        pc, flag, turn = s
        for i in (0, 1):
            o = 1 - i
            # request
            if pc[i] == IDLE and (not buggy or not flag[o]):
                f = flag if buggy else _put(flag, i, True)
                yield "request", (_put(pc, i, TRYING), f, turn)
            # proceed
            if pc[i] == TRYING:
                if buggy:
                    yield "proceed", (_put(pc, i, CRITICAL), _put(flag, i, True), turn)
                else:
                    yield "proceed", (_put(pc, i, WAITING), flag, o)
            # enter
            if pc[i] == WAITING and (not flag[o] or turn == i):
                yield "enter", (_put(pc, i, CRITICAL), flag, turn)
            # exit
            if pc[i] == CRITICAL:
                yield "exit", (_put(pc, i, IDLE), _put(flag, i, False), turn)

    def mutual_exclusion(s: tuple) -> bool:
        return not (s[0][0] == CRITICAL and s[0][1] == CRITICAL)

    def flag_matches_pc(s: tuple) -> bool:
        pc, flag, _ = s
        return all(flag[i] == (pc[i] == CRITICAL or (not buggy and pc[i] != IDLE)) for i in (0, 1))

    initial = [((IDLE, IDLE), (False, False), turn) for turn in (0, 1)]
    return Model(initial, successors,
                 {"mutual_exclusion": mutual_exclusion, "flag_matches_pc": flag_matches_pc},
                 lambda s: False)


def _put(t: tuple, i: int, v: object) -> tuple:
    return t[:i] + (v,) + t[i + 1:]


# ---------------------------------------------------------------------------------------
# prodcons.mnt: a bounded FIFO. State: (queue as a tuple, produced, consumed).


def prodcons(cap: int = 2, maxv: int = 2, total: int = 5, batch: int = 1,
             wrong_guard: bool = False) -> Model:
    def successors(s: tuple) -> Iterator[tuple[str, tuple | Failure]]:
        q, produced, consumed = s
        for v in range(maxv + 1):  # produce(v)
            if produced < total and (wrong_guard or len(q) < cap):
                if len(q) >= cap:
                    yield "produce", Failure("error", "append to a full sequence")
                    continue
                yield "produce", (q + (v,), produced + 1, consumed)
        if len(q) >= batch:  # consume
            if not 0 <= consumed + batch <= total:
                yield "consume", Failure("error", "consumed out of range")
            else:
                yield "consume", (q[batch:], produced, consumed + batch)

    return Model(
        [((), 0, 0)],
        successors,
        {"counts": lambda s: s[2] + len(s[0]) == s[1], "in_order": lambda s: s[2] <= s[1]},
        lambda s: s[1] == total and not s[0],
    )


# ---------------------------------------------------------------------------------------
# scalable.mnt: a mount namespace. State: a tuple with one entry per mount, m1 (the root)
# first, each (phase, parent, refs, flags): phase a string, parent a mount index or None,
# refs an int, flags a frozenset of strings. Written plainly, action by action, in the
# order of the spec; tests/bench/handwritten_scalable.py is the optimised version.

FREE, MOUNTED, DETACHED = "FREE", "MOUNTED", "DETACHED"
RDONLY = "RDONLY"
NOFLAGS: frozenset[str] = frozenset()
ROOT = 0


def scalable(n: int = 5) -> Model:
    mounts = range(n)

    def with_mount(s: tuple, m: int, **changes: object) -> tuple:
        phase, parent, refs, flags = s[m]
        entry = (changes.get("phase", phase), changes.get("parent", parent),
                 changes.get("refs", refs), changes.get("flags", flags))
        return s[:m] + (entry,) + s[m + 1:]

    def successors(s: tuple) -> Iterator[tuple[str, tuple]]:
        for m in mounts:  # mount
            if s[m][0] == FREE:
                yield "mount", with_mount(s, m, phase=MOUNTED, parent=ROOT, flags=s[ROOT][3])
        for m in mounts:  # umount
            if m != ROOT and s[m][0] == MOUNTED and s[m][2] == 0:
                yield "umount", with_mount(s, m, phase=FREE, parent=None, flags=NOFLAGS)
        for m in mounts:  # umount_lazy
            if m != ROOT and s[m][0] == MOUNTED and s[m][2] > 0:
                yield "umount_lazy", with_mount(s, m, phase=DETACHED, parent=None, flags=NOFLAGS)
        for m in mounts:  # get
            if m != ROOT and s[m][0] == MOUNTED and s[m][2] < 2:
                yield "get", with_mount(s, m, refs=s[m][2] + 1)
        for m in mounts:  # put
            if s[m][2] > 0:
                t = with_mount(s, m, refs=s[m][2] - 1)
                if t[m][0] == DETACHED and t[m][2] == 0:
                    t = with_mount(t, m, phase=FREE)
                yield "put", t
        for m in mounts:  # remount_ro
            if s[m][0] == MOUNTED and RDONLY not in s[m][3]:
                if m == ROOT:
                    yield "remount_ro", tuple((ph, par, r, f | {RDONLY} if ph == MOUNTED else f)
                                              for (ph, par, r, f) in s)
                else:
                    yield "remount_ro", with_mount(s, m, flags=s[m][3] | {RDONLY})
        for m in mounts:  # remount_rw
            if (s[m][0] == MOUNTED and RDONLY in s[m][3]
                    and (m == ROOT or RDONLY not in s[ROOT][3])):
                yield "remount_rw", with_mount(s, m, flags=s[m][3] - {RDONLY})

    def root_stays(s: tuple) -> bool:
        return s[ROOT][0] == MOUNTED and s[ROOT][1] is None and s[ROOT][2] == 0

    def tree_shape(s: tuple) -> bool:
        return all((m != ROOT and s[m][0] == MOUNTED) == (s[m][1] == ROOT) for m in mounts)

    def ro_propagates(s: tuple) -> bool:
        return RDONLY not in s[ROOT][3] or all(RDONLY in f for (ph, _, _, f) in s if ph == MOUNTED)

    def detached_is_busy(s: tuple) -> bool:
        return all(r > 0 for (ph, _, r, _) in s if ph == DETACHED)

    def free_is_clean(s: tuple) -> bool:
        return all(r == 0 and par is None and not f for (ph, par, r, f) in s if ph == FREE)

    init = tuple((MOUNTED if m == ROOT else FREE, None, 0, NOFLAGS) for m in mounts)
    return Model([init], successors,
                 {"root_stays": root_stays, "tree_shape": tree_shape,
                  "ro_propagates": ro_propagates, "detached_is_busy": detached_is_busy,
                  "free_is_clean": free_is_clean},
                 lambda s: False)


def scalable_distinct(n: int) -> int:
    """Closed form: with a writable root each of the n - 1 submounts is in any of 9 local
    states (free; mounted with 0..2 references, read-only or not; detached with 1..2
    references); with a read-only root its mounted submounts are read-only: 6 states."""
    return 9 ** (n - 1) + 6 ** (n - 1)


def scalable_generated(n: int) -> int:
    """Closed form: 1 initial state, plus per state one root remount, plus the submounts'
    local transitions: summed over the 9 local states, 23 under a writable root (free: 1;
    each mounted state: umount or umount_lazy, get if refs < 2, put if refs > 0, one
    remount; detached: put), and 10 over the 6 local states under a read-only root (no
    remount of a submount)."""
    k = n - 1
    return 1 + 9 ** k + 23 * k * 9 ** (k - 1) + 6 ** k + 10 * k * 6 ** (k - 1)


# ---------------------------------------------------------------------------------------
# lamport_mutex.mnt: Lamport's mutual exclusion over FIFO channels. Processes are 0..n-1.
# State: (clock, req, ack, net, crit): clock a tuple of ints; req a tuple of tuples (req[p][q]);
# ack a tuple of frozensets; net a tuple of tuples of channels (net[from][to]), a channel a
# tuple of (kind, stamp) messages; crit a frozenset.

REQ, ACK, REL = "REQ", "ACK", "REL"


def lamport_mutex(n: int = 3, maxc: int = 4, cap: int = 3, ignore_acks: bool = False) -> Model:
    procs = range(n)

    def send(net: tuple, src: int, dst: int, msg: tuple) -> tuple | None:
        """net with msg queued from src to dst; None when the channel is full."""
        ch = net[src][dst]
        if len(ch) >= cap:
            return None
        return _put(net, src, _put(net[src], dst, ch + (msg,)))

    def receive(net: tuple, src: int, dst: int) -> tuple:
        return _put(net, src, _put(net[src], dst, net[src][dst][1:]))

    def beats(req: tuple, p: int, q: int) -> bool:
        return req[p][q] == 0 or req[p][p] < req[p][q] or (req[p][p] == req[p][q] and p < q)

    def broadcast(net: tuple, p: int, msg: tuple) -> tuple | Failure:
        for q in procs:
            if q != p:
                sent = send(net, p, q, msg)
                if sent is None:
                    return Failure("error", "append to a full channel")
                net = sent
        return net

    def successors(s: tuple) -> Iterator[tuple[str, tuple | Failure]]:
        clock, req, ack, net, crit = s
        for p in procs:  # request
            if req[p][p] == 0 and clock[p] < maxc:
                c = clock[p] + 1
                out = broadcast(net, p, (REQ, c))
                yield "request", out if isinstance(out, Failure) else (
                    _put(clock, p, c), _put(req, p, _put(req[p], p, c)),
                    _put(ack, p, frozenset({p})), out, crit)
        for p in procs:
            for q in procs:  # receive_request
                ch = net[q][p]
                if q != p and ch and ch[0][0] == REQ and max(ch[0][1], clock[p]) < maxc:
                    c = ch[0][1]
                    sent = send(receive(net, q, p), p, q, (ACK, 0))
                    yield "receive_request", Failure("error", "full") if sent is None else (
                        _put(clock, p, max(c, clock[p]) + 1), _put(req, p, _put(req[p], q, c)),
                        ack, sent, crit)
        for p in procs:
            for q in procs:  # receive_ack
                ch = net[q][p]
                if q != p and ch and ch[0][0] == ACK:
                    yield "receive_ack", (clock, req, _put(ack, p, ack[p] | {q}),
                                          receive(net, q, p), crit)
        for p in procs:  # enter
            if (req[p][p] != 0 and (ignore_acks or ack[p] == frozenset(procs))
                    and all(q == p or beats(req, p, q) for q in procs)):
                yield "enter", (clock, req, ack, net, crit | {p})
        for p in procs:  # exit
            if p in crit:
                out = broadcast(net, p, (REL, 0))
                yield "exit", out if isinstance(out, Failure) else (
                    clock, _put(req, p, _put(req[p], p, 0)), _put(ack, p, frozenset()), out,
                    crit - {p})
        for p in procs:
            for q in procs:  # receive_release
                ch = net[q][p]
                if q != p and ch and ch[0][0] == REL:
                    yield "receive_release", (clock, _put(req, p, _put(req[p], q, 0)), ack,
                                              receive(net, q, p), crit)

    init = ((0,) * n, ((0,) * n,) * n, (frozenset(),) * n, (((),) * n,) * n, frozenset())
    return Model([init], successors, {"mutex": lambda s: len(s[4]) <= 1},
                 lambda s: any(c == maxc for c in s[0]))



# ---------------------------------------------------------------------------------------
# starvation.mnt: a lock shared by two tasks. State: (st, holder): st a pair of phases, task
# t1 first; holder None or the index 0/1 of the holding task. Liveness properties and
# fairness change no figure: only the invariant one_holder is a state check.

S_IDLE, S_WAITING, S_HOLDING = "IDLE", "WAITING", "HOLDING"


def starvation() -> Model:
    tasks = (0, 1)

    def successors(s: Any) -> Iterator[tuple[str, Hashable]]:
        st, holder = s
        for t in tasks:  # want
            if st[t] == S_IDLE:
                yield "want", (_put(st, t, S_WAITING), holder)
        for t in tasks:  # acquire
            if st[t] == S_WAITING and holder is None:
                yield "acquire", (_put(st, t, S_HOLDING), t)
        for t in tasks:  # release
            if st[t] == S_HOLDING:
                yield "release", (_put(st, t, S_IDLE), None)

    def one_holder(s: Any) -> bool:
        st, holder = s
        return all((st[t] == S_HOLDING) == (holder == t) for t in tasks)

    return Model([((S_IDLE, S_IDLE), None)], successors, {"one_holder": one_holder},
                 lambda s: False)


# ---------------------------------------------------------------------------------------
# ewd840.mnt: Dijkstra's termination detection on a ring of n nodes. State: (active, black,
# tpos, tblack): active and black tuples of bools indexed by node (black: the node's colour
# is BLACK), tpos the node holding the token, tblack the token's colour is BLACK.


def ewd840(n: int = 3) -> Model:
    nodes = range(n)

    def detected(s: Any) -> bool:
        active, black, tpos, tblack = s
        return tpos == 0 and not tblack and not black[0] and not active[0]

    def successors(s: Any) -> Iterator[tuple[str, Hashable]]:
        active, black, tpos, tblack = s
        if tpos == 0 and (tblack or black[0]):  # initiate_probe
            yield "initiate_probe", (active, _put(black, 0, False), n - 1, False)
        for i in range(1, n):  # pass_token
            if tpos == i and (not active[i] or black[i] or tblack):
                yield "pass_token", (active, _put(black, i, False), i - 1, tblack or black[i])
        for i in nodes:  # send_msg
            for j in nodes:
                if active[i] and i != j:
                    yield "send_msg", (_put(active, j, True),
                                       _put(black, i, True) if j > i else black, tpos, tblack)
        for i in nodes:  # deactivate
            if active[i]:
                yield "deactivate", (_put(active, i, False), black, tpos, tblack)

    def detection_is_sound(s: Any) -> bool:
        return not detected(s) or not any(s[0])

    initial: list[Hashable] = [((True,) * n, (False,) * n, tpos, True) for tpos in nodes]
    return Model(initial, successors, {"detection_is_sound": detection_is_sound}, detected)


def ewd840_distinct(n: int) -> int:
    """Closed form. Node n-1 never turns black (no node is above it), so a state is the
    activity of the n nodes (2^n), the colours of nodes 0..n-2 (2^(n-1)), tpos and the
    token's colour. Dijkstra's invariant, refined: a white token at t < n-1 whose nodes
    0..t are all white has passed nodes t+1..n-1, each passive and white then, and none can
    have been activated since (only an active node sends; a send to a node above t from
    one below t would have blackened a node in 0..t, which only the token whitens), so
    nodes t+1..n-1 are still passive and white, which leaves 2^(t+1) states (the activity
    of nodes 0..t) instead of 2^(n-1) * 2^n. Every other combination is reachable (the
    search says so):
    black token: n * 2^(2n-1); white token at n-1: 2^(2n-1); white token at t < n-1:
    (2^(n-1) - 2^(n-2-t)) * 2^n (a black node among 0..t) + 2^(t+1). Summed over t:
    (2n-1) * 2^(2n-1) + 2^(n+1) - 2."""
    distinct: int = (2 * n - 1) * 2 ** (2 * n - 1) + 2 ** (n + 1) - 2
    return distinct


def ewd840_fired(n: int) -> dict[str, int]:
    """Closed forms of the transitions per action, over the states of ewd840_distinct: the
    states split into "free" ones (every activity of the n nodes: 2^n states per colours,
    tpos and token colour) and, per t < n-1, the 2^(t+1) "restricted" ones (white token at
    t, every node white, nodes above t passive).
    - initiate_probe: tpos = 0 and (black token (2^(2n-1)) or node 0 black under a white
      token (2^(n-2) colours x 2^n)): 3 * 2^(2n-2).
    - deactivate: one per active node; the free classes number (2n-1) * 2^(n-1) + 1 with
      n * 2^(n-1) active nodes each, the restricted ones at t have (t+1) * 2^t:
      summed over t = 0..n-2, (n-2) * 2^(n-1) + 1.
    - send_msg: n - 1 receivers per active node: (n-1) x deactivate.
    - pass_token(i), i >= 1 holding the token: black token: 2^(2n-1) per i; white token at
      n-1: node n-1 passive, 2^(2n-2); white token at 1 <= t <= n-2: node t black
      (2^(n-2) colours x 2^n), or node t white, passive and a black node below it
      ((2^t - 1) * 2^(n-2-t) colours x 2^(n-1)), or restricted and node t passive (2^t)."""
    deactivate: int = ((2 * n - 1) * 2 ** (n - 1) + 1) * n * 2 ** (n - 1) + (n - 2) * 2 ** (n - 1) + 1
    pass_token: int = (n - 1) * 2 ** (2 * n - 1) + 2 ** (2 * n - 2) + sum(
        2 ** (n - 2) * 2 ** n + (2 ** t - 1) * 2 ** (n - 2 - t) * 2 ** (n - 1) + 2 ** t
        for t in range(1, n - 1))
    return {"initiate_probe": 3 * 2 ** (2 * n - 2), "pass_token": pass_token,
            "send_msg": (n - 1) * deactivate, "deactivate": deactivate}


# ---------------------------------------------------------------------------------------
# abp.mnt: the alternating bit protocol over two lossy FIFO channels of capacity cap.
# State: (sent, sbit, rbit, delivered, data, acks): delivered a tuple of message numbers,
# data a tuple of (bit, msg) pairs, acks a tuple of bools; a channel's head is its first
# element.


def abp(n: int = 2, cap: int = 2) -> Model:
    def remove_first(q: tuple[Any, ...], x: object) -> tuple[Any, ...]:
        """`remove(q, x)`: q without the first occurrence of x (q itself if x is absent)."""
        if x not in q:
            return q
        k = q.index(x)
        return q[:k] + q[k + 1:]

    def successors(s: Any) -> Iterator[tuple[str, Hashable | Failure]]:
        sent, sbit, rbit, delivered, data, acks = s
        if sent < n and len(data) < cap:  # send_data
            yield "send_data", (sent, sbit, rbit, delivered, data + ((sbit, sent),), acks)
        if data:  # receive_data
            bit, msg = data[0]
            if bit != rbit:
                yield "receive_data", (sent, sbit, rbit, delivered, data[1:], acks)
            elif len(delivered) >= n:
                yield "receive_data", Failure("error", "append to a full sequence")
            else:
                yield "receive_data", (sent, sbit, not rbit, delivered + (msg,), data[1:], acks)
        if len(acks) < cap and delivered:  # send_ack
            yield "send_ack", (sent, sbit, rbit, delivered, data, acks + (not rbit,))
        if acks:  # receive_ack
            if acks[0] == sbit and sent < n:
                yield "receive_ack", (sent + 1, not sbit, rbit, delivered, data, acks[1:])
            else:
                yield "receive_ack", (sent, sbit, rbit, delivered, data, acks[1:])
        for i in range(cap):  # lose_data
            if i < len(data):
                yield "lose_data", (sent, sbit, rbit, delivered, remove_first(data, data[i]), acks)
        for i in range(cap):  # lose_ack
            if i < len(acks):
                yield "lose_ack", (sent, sbit, rbit, delivered, data, remove_first(acks, acks[i]))

    def in_order(s: Any) -> bool:
        return all(m == i for i, m in enumerate(s[3]))

    def sender_behind(s: Any) -> bool:
        return bool(s[0] <= len(s[3]))

    init: Hashable = (0, False, False, (), (), ())
    return Model([init], successors, {"in_order": in_order, "sender_behind": sender_behind},
                 lambda s: False)


if __name__ == "__main__":
    runs = {
        "mutex fixed": mutex(False), "mutex buggy": mutex(True),
        "prodcons fixed": prodcons(), "prodcons overflow": prodcons(wrong_guard=True),
        "prodcons batched": prodcons(batch=2),
        **{f"scalable N={n}": scalable(n) for n in (2, 3, 4, 5)},
        "starvation": starvation(), "ewd840 N=3": ewd840(3), "ewd840 N=4": ewd840(4),
        "abp": abp(),
    }
    for label, model in runs.items():
        print(f"{label:20} {bfs(model)}")


# ---------------------------------------------------------------------------------------
# two_phase.mnt: Lamport's TwoPhase. State: (rm states, tm state, tm_prepared, msgs) with
# messages as (kind, rm or None) pairs.

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"


def two_phase(n: int = 3) -> Model:
    rms = range(n)
    commit, abort = ("commit", None), ("abort", None)

    def successors(s: Any) -> Iterator[tuple[str, Hashable]]:
        rm, tm, tp, msgs = s
        for r in rms:
            if tm == "init" and ("prepared", r) in msgs:
                yield "tm_rcv_prepared", (rm, tm, tp | {r}, msgs)
        if tm == "init" and tp == frozenset(rms):
            yield "tm_commit", (rm, "commit", tp, msgs | {commit})
        if tm == "init":
            yield "tm_abort", (rm, "abort", tp, msgs | {abort})
        for r in rms:
            if rm[r] == WORKING:
                yield "rm_prepare", (_put(rm, r, PREPARED), tm, tp, msgs | {("prepared", r)})
        for r in rms:
            if rm[r] == WORKING:
                yield "rm_choose_to_abort", (_put(rm, r, ABORTED), tm, tp, msgs)
        for r in rms:
            if commit in msgs:
                yield "rm_rcv_commit", (_put(rm, r, COMMITTED), tm, tp, msgs)
        for r in rms:
            if abort in msgs:
                yield "rm_rcv_abort", (_put(rm, r, ABORTED), tm, tp, msgs)

    def consistent(s: Any) -> bool:
        rm = s[0]
        return not (ABORTED in rm and COMMITTED in rm)

    init = ((WORKING,) * n, "init", frozenset(), frozenset())
    return Model([init], successors, {"consistent": consistent}, lambda s: False)


# ---------------------------------------------------------------------------------------
# fifo_channel.mnt. State: (chan, sent, received), chan and received tuples of 0..2.

def fifo_channel(max_in_flight: int = 2, max_sent: int = 3) -> Model:
    def successors(s: Any) -> Iterator[tuple[str, Hashable]]:
        chan, sent, received = s
        for m in range(3):
            yield "send", (chan + (m,), sent + 1, received)
        if chan:
            yield "receive", (chan[1:], sent, received + chan[:1])

    def inside(s: Any) -> bool:
        return len(s[0]) <= max_in_flight and s[1] <= max_sent

    def conserved(s: Any) -> bool:
        chan, sent, received = s
        return len(chan) + len(received) == sent

    return Model([((), 0, ())], successors, {"conserved": conserved}, lambda s: False, inside)


# ---------------------------------------------------------------------------------------
# two_task_syscall.mnt. State: (pc, seen, lock, count), pc and seen pairs per task; pc 0
# take, 1 read, 2 write, 3 done.

def two_task_syscall(locked: bool = True) -> Model:
    def successors(s: Any) -> Iterator[tuple[str, Hashable]]:
        pc, seen, lock, count = s
        for t in (0, 1):
            if pc[t] == 0 and (not locked or lock is None):
                yield "sys.take", (_put(pc, t, 1), seen, t if locked else lock, count)
        for t in (0, 1):
            if pc[t] == 1:
                yield "sys.read", (_put(pc, t, 2), _put(seen, t, count), lock, count)
        for t in (0, 1):
            if pc[t] == 2:
                yield "sys.write", (_put(pc, t, 3), seen, None if locked else lock,
                                    seen[t] + 1)

    def no_lost_update(s: Any) -> bool:
        pc, _, _, count = s
        return pc != (3, 3) or count == 2

    def finished(s: Any) -> bool:  # every process done: terminal, as PlusCal's
        return s[0] == (3, 3)

    return Model([((0, 0), (0, 0), None, 0)], successors,
                 {"no_lost_update": no_lost_update}, finished)
