"""The example specs in specs/examples/ against independent, hand-written searches.

(a) tests/handwritten.py re-implements each example model directly in Python (no
    `explorer` import); its figures are pinned here to literal numbers, with the reasoning
    that derives them where that is feasible.
(b) The real tool (`explorer.cli.main`, JSON report) must report the same figures, the
    same outcomes and the same counterexample lengths. These tests are skipped while
    `explorer.cli` cannot be imported.
(c) The optimised benchmark search (tests/bench/handwritten_scalable.py) finds the same
    states as the plain one.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "specs" / "examples"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "bench"))

import handwritten as hw  # noqa: E402

# ---------------------------------------------------------------------------------------
# Pinned figures: (distinct, generated, depth) of the `holds` checks at their default size,
# K of the checks that expect a counterexample.

# mutex.mnt, check fixed (Peterson). flag[p] is determined by pc[p] (raised outside IDLE),
# so a state is (pc[p1], pc[p2], turn). 20 of them are reachable:
#  - 8: both processes in {IDLE, TRYING} (4 pc pairs): turn is free (either initial value,
#    or the value left by the last give-away), 4 x 2;
#  - 8: exactly one process p in {WAITING, CRITICAL} and the other in {IDLE, TRYING}: p gave
#    the turn away last (the other cannot have given it since and got past WAITING while p
#    waits or is critical), so turn = the other: 2 (which p) x 2 (p's pc) x 2 (other's pc);
#  - 4: both in {WAITING, CRITICAL}: (WAITING, WAITING) with either turn; (CRITICAL,
#    WAITING) only with turn = the critical one (the waiting one gave it away last), and
#    the mirror. (CRITICAL, CRITICAL) is unreachable: mutual exclusion holds.
# generated = 2 initial states (turn in Proc) + 34 transitions: in each of the 20 states
# each process has exactly one transition unless it is blocked in WAITING (the other's flag
# is up and the turn is the other's), which happens in 6 (state, process) pairs: the
# waiting p1 in (WAITING, TRYING, turn p2), (WAITING, WAITING, turn p2), (WAITING,
# CRITICAL, turn p2), and the mirrors. 2 + 40 - 6 = 36.
# depth 5: e.g. (CRITICAL, WAITING, turn p1) needs request, proceed, enter of p1 (p2's
# flag down) then request, proceed of p2, from the initial state with turn p1 or p2.
MUTEX_FIXED = (20, 36, 5)
# mutex.mnt, check buggy: each process needs 2 steps (request: see the other's flag down;
# proceed: raise own flag and enter) to reach CRITICAL, so at least 4 steps, and 4 suffice:
# request p1, request p2 (p1's flag is still down), proceed p1, proceed p2.
MUTEX_BUGGY_K = 4

# prodcons.mnt, check fixed (CAP = 2, values 0..MAXV = 0..2, TOTAL = 5, batch = 1). A state
# is (produced, queue contents); consumed = produced - len(q). len(q) <= min(CAP, produced)
# and every content is reachable: 3^len contents. produced = 0: 1; produced = 1: 1 + 3;
# produced = 2..5: 1 + 3 + 9 = 13 each. 1 + 4 + 4 * 13 = 57.
# generated = 1 + 51 produce + 51 consume: produce is enabled (3 bindings) in the 17 states
# with produced < 5 and len(q) < 2 (1 + 4 + 3 * 4), 3 * 17 = 51; consume (1 transition) in
# the states with a non-empty queue: 3 + 4 * 12 = 51.
# depth 10: the state (produced, q) is 2 * produced - len(q) steps away (every item produced
# and, if no longer queued, consumed); the largest is 5 produce + 5 consume.
PRODCONS_FIXED = (57, 103, 10)
# check overflow (wrong_guard = true): CAP produces fill the queue, the next one appends to
# a full sequence: the failing action counts, K = CAP + 1 = 3.
PRODCONS_OVERFLOW_K = 3
# check batched (batch = 2): a deadlock needs produced = TOTAL = 5 (else produce is
# enabled, as len(q) < 2) and len(q) < 2 (else consume is), and consumed is even, so
# len(q) = 1, consumed = 4: 5 produce + 2 consume = 7 steps.
PRODCONS_BATCHED_K = 7

# scalable.mnt (N mounts, m1 the root): distinct = 9^(N-1) + 6^(N-1) (each submount has 9
# local states under a writable root, 6 under a read-only root, where mounted submounts are
# read-only); generated and the closed forms: see handwritten.scalable_generated.
# depth = 4 (N - 1) + 1: every submount detached with 2 references (mount, get, get,
# umount_lazy) and the root read-only.
SCALABLE_SAFE = (7857, 83566, 17)  # N = 5, the default
SCALABLE_TINY = (15, 49, 5)  # N = 2

# lamport_mutex.mnt: no closed form; the figures are the hand-written search's (tests/
# handwritten.py writes the algorithm over plain tuples, with no `explorer` import), pinned
# so that both sides are checked. check no_acks (ignore_acks = true): two processes must
# each request (one step) and enter (one step), and that suffices: request p1, request p2
# (neither has received the other's request, so each believes its own is first), enter p1,
# enter p2. So K = 4; and no channel of two processes fills (CAP = 3) before that.
LAMPORT_TWO = (152, 260, 20)  # N = 2, MAXC = 4, CAP = 3
LAMPORT_THREE = (7798, 22950, 30)  # N = 3, the default
LAMPORT_NO_ACKS_K = 4

# starvation.mnt (every check has the same graph: fairness and liveness properties change
# no figure). A state is (st[t1], st[t2]) (holder is the HOLDING task, by one_holder): the
# 3 x 3 pairs but (HOLDING, HOLDING), all reachable: 8. Transitions per state: want for
# each IDLE task, acquire for each WAITING task while nobody holds, release for the
# holder: 2 in each state but (WAITING, HOLDING) and (HOLDING, WAITING), which have 1;
# generated = 1 + 6 x 2 + 2 x 1 = 15. want fires in the 6 IDLE slots of the 8 states,
# acquire in (IDLE, WAITING), (WAITING, IDLE) and twice in (WAITING, WAITING): 4, release in
# the 4 states with a holder. depth 3: (WAITING, HOLDING) needs want, want, acquire.
STARVATION = (8, 15, 3)
STARVATION_FIRED = {"want": 6, "acquire": 4, "release": 4}
STARVATION_WEAK_K = 4  # want(t1), then the cycle want(t2), acquire(t2), release(t2)

# ewd840.mnt: N initial states (tpos in 0..N-1); distinct and the transitions per action in
# closed form (handwritten.ewd840_distinct, ewd840_fired: Dijkstra's invariant, node N-1
# never black); generated = N + the fired counts. depth from the search: the farthest state
# is every node passive, nodes 0..N-2 black, the token white at node 0.
EWD840_THREE = (174, 924, 10)
EWD840_FOUR = (926, 8182, 14)
EWD840_THREE_FIRED = {"initiate_probe": 48, "pass_token": 102, "send_msg": 514, "deactivate": 257}
# check lazy_token: the 3 deactivations from an initial state leave a terminated ring
# whose token may stutter for ever.
EWD840_LAZY_K = 3

# two_phase.mnt (Lamport's TwoPhase, 3 resource managers; TLC finds 288 states). By the
# manager's state:
#  - init (no decision sent): each RM is working, aborted (by its own choice: no prepared
#    message) or prepared, and a prepared one is in tm_prepared or not: 4 ways per RM, 64;
#  - committed: tm_prepared is every RM (the commit's guard), each RM prepared or
#    committed: 2^3 = 8;
#  - aborted: tm_prepared stays as it was at the abort; per RM, working (1 way), prepared
#    (its message sent, received by the manager before the abort or not: 2), aborted
#    (after preparing, received or not: 2; without preparing: 1): 6 ways, 6^3 = 216.
# 64 + 8 + 216 = 288. Depth 10: all RMs committed needs 3 prepares, 3 receipts by the
# manager, the commit and 3 receipts by the RMs, and nothing needs more. generated: the
# hand-written model (1146).
TWO_PHASE = (288, 1146, 10)
# fifo_channel.mnt: derived in the spec's comments; too_small has MAX_IN_FLIGHT = 1.
FIFO_CHANNEL = (115, 421, 6)
FIFO_CHANNEL_TOO_SMALL = (79, 277, 6)
# two_task_syscall.mnt, locked: one task takes the lock, the other waits at `take`
# until the first is done, so: the initial state, and per task going first its three
# steps then the other's three (1 + 2 * 6 = 13); each of those 12 states but the two
# final ones has one successor, the initial state two: 1 + 2 + 10 = 13 generated; depth 6.
TWO_TASK_LOCKED = (13, 13, 6)
# Unlocked: a state is (pc1, pc2, seen1, seen2, count). Both before their write: 4 + 2 + 2
# + 1 = 9 pc pairs with nothing written (take/read x take/read, one at write, both at
# write), one state each; one done and the other before its write: 2 + 2 states (the
# other at take or read) and 2 + 2 (at write: it read before or after the first write);
# both done: (1, 1) with count 1 if both read 0, or one read the other's 1: count 2, 3
# states. 9 + 4 + 4 + 3 = 20. Each task not done has one step: 27 generated (the
# hand-written model). Lost update K = 6: both take and read before either writes.
TWO_TASK_UNLOCKED = (20, 27, 6)
TWO_TASK_LOST_K = 6

# abp.mnt, check two (N = 2, CAP = 2). A state is in one of five phases (sent, messages
# delivered), each with the channel contents allowed by FIFO order (a copy of a message is
# sent before the next message, and an old copy is received before any later one):
#  - (0, 0): data 0..2 copies of msg 0, no ack: 3;
#  - (0, 1): data 0..2 copies of msg 0 (3) x acks 0..2 copies of ack 0 (3): 9;
#  - (1, 1): data copies of msg 0 then of msg 1, at most 2 (1 + 2 + 3 = 6) x 0..2 acks 0: 18;
#  - (1, 2): data 0..2 copies of msg 1 (3) x acks 0 then acks 1, at most 2 (6): 18;
#  - (2, 2): data 0..2 copies of msg 1 (3) x 0..2 acks 1 (3): 9.
# 3 + 9 + 18 + 18 + 9 = 57. Per action, summed over those states: send_data where sent < 2
# and len(data) < 2: 2 + 6 + 9 + 12 = 29; receive_data where data is not empty:
# 2 + 6 + 15 + 12 + 6 = 41; send_ack where something was delivered and len(acks) < 2:
# 6 + 12 + 9 + 6 = 33; receive_ack where acks is not empty: 6 + 12 + 15 + 6 = 39; lose_data
# one per message in transit: 3 + 9 + 24 + 18 + 9 = 63; lose_ack one per ack in transit:
# 9 + 18 + 24 + 9 = 60. generated = 1 + 265 = 266.
# depth 12: the farthest state is (2, 2) with both channels full: msg 1 sent 3 times (one
# copy delivered, two in transit) and msg 0 once, 2 receive_data, 4 send_ack (one ack 0 and
# one ack 1 received, two acks 1 in transit) and 2 receive_ack, each a step of its own.
ABP_TWO = (57, 266, 12)
ABP_TWO_FIRED = {"send_data": 29, "receive_data": 41, "send_ack": 33, "receive_ack": 39,
                 "lose_data": 63, "lose_ack": 60}
ABP_WEAK_K = 2  # send_data, lose_data(0), and the ring is empty again: a loop

# The benchmark sizes and their distinct counts (9^(N-1) + 6^(N-1)).
BENCH = {5: 7857, 6: 66825, 7: 578097}


def figures(r: hw.Result) -> tuple[int, int, int]:
    return r.distinct, r.generated, r.depth


# ---------------------------------------------------------------------------------------
# (a) the hand-written searches give the pinned numbers


def test_handwritten_mutex() -> None:
    fixed = hw.bfs(hw.mutex(buggy=False))
    assert figures(fixed) == MUTEX_FIXED
    assert fixed.problems == {}
    buggy = hw.bfs(hw.mutex(buggy=True))
    assert (buggy.problem, buggy.counterexample) == ("violation mutual_exclusion", MUTEX_BUGGY_K)
    assert set(buggy.problems) == {"violation mutual_exclusion"}  # no deadlock, ever


def test_handwritten_prodcons() -> None:
    fixed = hw.bfs(hw.prodcons())
    assert figures(fixed) == PRODCONS_FIXED
    assert fixed.problems == {}
    overflow = hw.bfs(hw.prodcons(wrong_guard=True))
    assert overflow.problems == {"error": PRODCONS_OVERFLOW_K}
    batched = hw.bfs(hw.prodcons(batch=2))
    assert batched.problems == {"deadlock": PRODCONS_BATCHED_K}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_handwritten_scalable_closed_forms(n: int) -> None:
    r = hw.bfs(hw.scalable(n))
    assert r.problems == {}
    assert (r.distinct, r.generated, r.depth) == (
        hw.scalable_distinct(n), hw.scalable_generated(n), 4 * (n - 1) + 1)


def test_handwritten_scalable_pinned() -> None:
    assert figures(hw.bfs(hw.scalable(5))) == SCALABLE_SAFE
    assert figures(hw.bfs(hw.scalable(2))) == SCALABLE_TINY
    assert {n: hw.scalable_distinct(n) for n in BENCH} == BENCH


def test_handwritten_lamport_mutex() -> None:
    two = hw.bfs(hw.lamport_mutex(n=2))
    assert figures(two) == LAMPORT_TWO and two.problems == {}
    three = hw.bfs(hw.lamport_mutex())
    assert figures(three) == LAMPORT_THREE and three.problems == {}
    no_acks = hw.bfs(hw.lamport_mutex(n=2, ignore_acks=True))
    assert no_acks.problems["violation mutex"] == LAMPORT_NO_ACKS_K
    assert no_acks.problem == "violation mutex"


def test_handwritten_starvation() -> None:
    r = hw.bfs(hw.starvation())
    assert figures(r) == STARVATION and r.problems == {}
    assert r.fired == STARVATION_FIRED


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_handwritten_ewd840(n: int) -> None:
    model = hw.ewd840(n)
    assert len(model.initial) == n
    r = hw.bfs(model)
    assert r.problems == {}
    assert r.distinct == hw.ewd840_distinct(n)
    assert r.fired == hw.ewd840_fired(n)
    assert r.generated == n + sum(hw.ewd840_fired(n).values())
    if n in (3, 4):
        assert figures(r) == (EWD840_THREE if n == 3 else EWD840_FOUR)
    if n == 3:
        assert r.fired == EWD840_THREE_FIRED
    # `terminal when detected` matters: the detected state has no successor. Without it,
    # it is a deadlock, reached in 2N steps at the least: the N nodes deactivate, then
    # initiate_probe and N - 1 passes (the only way to a white token at node 0).
    undetected = hw.bfs(model._replace(terminal=lambda s: False))
    assert undetected.problems == {"deadlock": 2 * n}


def test_handwritten_abp() -> None:
    r = hw.bfs(hw.abp())
    assert figures(r) == ABP_TWO and r.problems == {}
    assert r.fired == ABP_TWO_FIRED


# ---------------------------------------------------------------------------------------
# (c) the optimised benchmark search agrees with the plain one


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_bench_search_agrees(n: int) -> None:
    import handwritten_scalable

    distinct, generated, _ = handwritten_scalable.run(n)
    plain = hw.bfs(hw.scalable(n))
    assert (distinct, generated) == (plain.distinct, plain.generated)


def test_bench_sizes() -> None:
    import handwritten_scalable

    assert tuple(BENCH) == tuple(handwritten_scalable.BENCH_SIZES)


def test_handwritten_language_examples() -> None:
    assert figures(hw.bfs(hw.two_phase())) == TWO_PHASE
    assert hw.bfs(hw.two_phase()).problem is None
    assert figures(hw.bfs(hw.fifo_channel())) == FIFO_CHANNEL
    assert figures(hw.bfs(hw.fifo_channel(max_in_flight=1))) == FIFO_CHANNEL_TOO_SMALL
    assert figures(hw.bfs(hw.two_task_syscall())) == TWO_TASK_LOCKED
    unlocked = hw.bfs(hw.two_task_syscall(locked=False))
    assert figures(unlocked) == TWO_TASK_UNLOCKED
    assert unlocked.problems == {"violation no_lost_update": TWO_TASK_LOST_K}


# ---------------------------------------------------------------------------------------
# (b) the real tool reports the same


def explore(capsys: pytest.CaptureFixture[str], spec: str, *args: str) -> tuple[int, dict[str, Any]]:
    cli = pytest.importorskip("explorer.cli")
    capsys.readouterr()
    rc = cli.main([str(EXAMPLES / spec), "--format", "json", "--quiet", *args])
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "mnt-explorer/1"
    assert report["exit_code"] == rc
    return rc, report


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in report["checks"]}


def assert_holds(check: dict[str, Any], model: hw.Model, pinned: tuple[int, int, int] | None
                 ) -> None:
    assert check["expected"]["kind"] == "holds"
    assert check["outcome"]["kind"] == "holds", check["outcome"]
    assert check["as_expected"] is True and check["exit_code"] == 0
    assert check["trace"] is None
    assert_figures(check, model, pinned)


def assert_figures(check: dict[str, Any], model: hw.Model, pinned: tuple[int, int, int] | None
                   ) -> None:
    """The figures and coverage of the complete search, whatever the check's outcome (a
    liveness verdict comes after the whole graph is explored)."""
    expected = hw.bfs(model)
    f = check["figures"]
    assert f["complete"] is True
    got = (f["distinct"], f["generated"], f["depth"])
    assert got == figures(expected)
    if pinned is not None:
        assert got == pinned
    fired = {c["action"]: c["fired"] for c in check["coverage"]}
    assert {a: n for a, n in fired.items() if n} == expected.fired
    # every distinct state but the initial ones was found new by exactly one action
    assert sum(c["new"] for c in check["coverage"]) == f["distinct"] - len(set(model.initial))


def assert_counterexample(check: dict[str, Any], kind: str, k: int, target: str | None = None
                          ) -> None:
    assert check["expected"]["kind"] == kind and check["expected"]["steps"] == k
    out = check["outcome"]
    assert out["kind"] == kind, out
    assert out["steps"] == k
    if target is not None:
        assert check["expected"]["target"] == target and out["target"] == target
    assert check["as_expected"] is True and check["exit_code"] == 0
    trace = check["trace"]
    assert trace is not None and len(trace["steps"]) == k
    # K + 1 states for a violation or a deadlock; when the last (failing) action has no
    # post-state, K states
    failing = trace.get("failing_step", kind in ("error", "assertion"))
    assert len(trace["states"]) == (k if failing else k + 1)


def assert_lasso(check: dict[str, Any], target: str, k: int, model: hw.Model,
                 to_state: Callable[[dict[str, Any]], Any]) -> tuple[list[Any], int]:
    """A liveness counterexample of K steps, replayed through the hand-written model: K + 1
    states from an initial one, each step a transition of that action, and the last state
    the loop state (the behaviour goes on from it as from the state `loop`; loop = K is a
    stutter). Returns the states and the loop index."""
    assert check["expected"]["kind"] == "violation" and check["expected"]["steps"] == k
    assert check["expected"]["target"] == target
    out = check["outcome"]
    assert (out["kind"], out["target"], out["steps"]) == ("liveness", target, k), out
    assert check["as_expected"] is True and check["exit_code"] == 0
    trace = check["trace"]
    assert trace is not None and len(trace["steps"]) == k and not trace["failing_step"]
    states = [to_state(v) for v in trace["values"]]
    assert len(states) == k + 1 and states[0] in model.initial
    for s, step, t in zip(states, trace["steps"], states[1:]):
        assert (step["action"], t) in list(model.successors(s)), step
    loop = trace["loop"]
    assert 0 <= loop <= k and states[loop] == states[k]
    return states, loop


def test_tool_mutex(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "mutex.mnt")
    assert rc == 0
    checks = by_name(report)
    assert list(checks) == ["fixed", "fixed_proved", "fixed_not_inductive", "buggy"]
    assert_holds(checks["fixed"], hw.mutex(buggy=False), MUTEX_FIXED)
    assert checks["fixed_proved"]["outcome"]["kind"] == "proved"
    cti = checks["fixed_not_inductive"]
    assert cti["outcome"]["kind"] == "cti" and cti["outcome"]["target"] == "mutual_exclusion"
    # the CTI, up to the symmetry of p1 and p2 (z3 may give either): one process critical,
    # the other waiting with the turn, and the waiting one enters
    pre = cti["trace"]["values"][0]
    pcs = dict(map(tuple, pre["pc"]))
    waiting = next(p for p, pc in pcs.items() if pc == "WAITING")
    assert sorted(pcs.values()) == ["CRITICAL", "WAITING"] and pre["turn"] == waiting
    assert [(s["action"], s["params"]) for s in cti["trace"]["steps"]] == [("enter", {"p": waiting})]
    buggy = checks["buggy"]
    assert buggy["config"].get("buggy") is True
    assert_counterexample(buggy, "violation", MUTEX_BUGGY_K, "mutual_exclusion")
    steps = buggy["trace"]["steps"]
    assert sorted(s["action"] for s in steps) == ["proceed", "proceed", "request", "request"]
    assert sorted(s["params"]["p"] for s in steps) == ["p1", "p1", "p2", "p2"]


def test_tool_prodcons(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "prodcons.mnt")
    assert rc == 0
    checks = by_name(report)
    assert list(checks) == ["fixed", "overflow", "batched"]
    assert_holds(checks["fixed"], hw.prodcons(), PRODCONS_FIXED)
    assert_counterexample(checks["overflow"], "error", PRODCONS_OVERFLOW_K)
    assert checks["overflow"]["trace"]["steps"][-1]["action"] == "produce"
    assert_counterexample(checks["batched"], "deadlock", PRODCONS_BATCHED_K)


def test_tool_scalable(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "scalable.mnt")
    assert rc == 0
    checks = by_name(report)
    assert list(checks) == ["safe", "tiny"]
    assert_holds(checks["safe"], hw.scalable(5), SCALABLE_SAFE)
    assert_holds(checks["tiny"], hw.scalable(2), SCALABLE_TINY)


def test_tool_lamport_mutex(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "lamport_mutex.mnt")
    assert rc == 0
    checks = by_name(report)
    assert list(checks) == ["two", "three", "no_acks"]
    assert_holds(checks["two"], hw.lamport_mutex(n=2), LAMPORT_TWO)
    assert_holds(checks["three"], hw.lamport_mutex(), LAMPORT_THREE)
    assert_counterexample(checks["no_acks"], "violation", LAMPORT_NO_ACKS_K, "mutex")
    steps = checks["no_acks"]["trace"]["steps"]
    assert sorted(s["action"] for s in steps) == ["enter", "enter", "request", "request"]


def starvation_state(v: dict[str, Any]) -> Hashable:
    st = dict(v["st"])
    return (st["t1"], st["t2"]), {None: None, "t1": 0, "t2": 1}[v["holder"]]


def ewd840_state(v: dict[str, Any]) -> Hashable:
    return (tuple(a for _, a in v["active"]), tuple(c == "BLACK" for _, c in v["color"]),
            v["tpos"], v["tcolor"] == "BLACK")


def abp_state(v: dict[str, Any]) -> Hashable:
    return (v["sent"], v["sbit"], v["rbit"], tuple(v["delivered"]),
            tuple((m["bit"], m["msg"]) for m in v["data"]), tuple(v["acks"]))


def test_tool_starvation(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "starvation.mnt")
    assert rc == 0
    checks = by_name(report)
    assert list(checks) == ["weak_starves", "strong_serves", "nobody_has_to_want"]
    model = hw.starvation()
    for check in checks.values():
        assert_figures(check, model, STARVATION)
    assert_holds(checks["strong_serves"], model, STARVATION)
    # t1 waits for ever while the cycle, where t2 holds the lock for a while, disables
    # acquire(t1) again and again
    states, loop = assert_lasso(checks["weak_starves"], "no_starvation", STARVATION_WEAK_K,
                                model, starvation_state)
    cycle = states[loop:]
    assert all(st[0] == hw.S_WAITING for st, _ in cycle) and any(h == 1 for _, h in cycle)
    states, _ = assert_lasso(checks["nobody_has_to_want"], "someone_holds", 0, model,
                             starvation_state)
    assert states == model.initial


def test_tool_ewd840(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "ewd840.mnt")
    assert rc == 0
    checks = by_name(report)
    assert list(checks) == ["three", "four", "lazy_token"]
    assert checks["three"]["config"].get("N") == 3 and checks["four"]["config"].get("N") == 4
    assert_holds(checks["three"], hw.ewd840(3), EWD840_THREE)
    assert_holds(checks["four"], hw.ewd840(4), EWD840_FOUR)
    lazy = checks["lazy_token"]
    assert_figures(lazy, hw.ewd840(3), EWD840_THREE)
    states, loop = assert_lasso(lazy, "detection", EWD840_LAZY_K, hw.ewd840(3), ewd840_state)
    # a terminated ring that stutters short of detection
    active, _, _, _ = states[-1]
    assert loop == EWD840_LAZY_K and not any(active) and not hw.ewd840(3).terminal(states[-1])


@pytest.mark.parametrize("n", [2, 5])
def test_tool_ewd840_sizes(capsys: pytest.CaptureFixture[str], n: int) -> None:
    rc, report = explore(capsys, "ewd840.mnt", "--check", "three", "--set", f"N={n}")
    assert rc == 0
    (check,) = report["checks"]
    assert check["config"].get("N") == n
    assert_holds(check, hw.ewd840(n), None)
    assert check["figures"]["distinct"] == hw.ewd840_distinct(n)


def test_tool_abp(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "abp.mnt")
    assert rc == 0
    checks = by_name(report)
    assert list(checks) == ["two", "weak_receive"]
    assert checks["two"]["config"] == {"N": 2, "CAP": 2}
    assert_holds(checks["two"], hw.abp(), ABP_TWO)
    weak = checks["weak_receive"]
    assert_figures(weak, hw.abp(), ABP_TWO)
    states, _ = assert_lasso(weak, "all_delivered", ABP_WEAK_K, hw.abp(), abp_state)
    assert all(len(s[3]) < 2 for s in states)


@pytest.mark.parametrize(("n", "cap"), [(1, 1), (3, 2), (2, 3)])
def test_tool_abp_sizes(capsys: pytest.CaptureFixture[str], n: int, cap: int) -> None:
    rc, report = explore(capsys, "abp.mnt", "--check", "two", "--set", f"N={n}", "--set",
                         f"CAP={cap}")
    assert rc == 0
    (check,) = report["checks"]
    assert check["config"] == {"N": n, "CAP": cap}
    assert_holds(check, hw.abp(n, cap), None)


@pytest.mark.parametrize(("n", "maxc", "cap"), [(2, 6, 2), (3, 3, 2), (3, 5, 4)])
def test_tool_lamport_mutex_sizes(capsys: pytest.CaptureFixture[str], n: int, maxc: int,
                                  cap: int) -> None:
    """Other sizes, in Python and compiled: a channel of CAP 2 fills (an error) where the
    hand-written search finds one too."""
    model = hw.lamport_mutex(n=n, maxc=maxc, cap=cap)
    expected = hw.bfs(model)
    for engine in ("bfs", "c"):
        rc, report = explore(capsys, "lamport_mutex.mnt", "--check", "three", "--engine",
                             engine, "--set", f"N={n}", "--set", f"MAXC={maxc}", "--set",
                             f"CAP={cap}", "--workers", "2")
        (check,) = report["checks"]
        if expected.problems:
            assert check["outcome"]["kind"] == expected.problem
            assert check["outcome"]["steps"] == expected.counterexample
        else:
            assert_holds(check, model, None)


# Other sizes, through --check and --set, against the hand-written search.


@pytest.mark.parametrize("n", [1, 3, 4])
def test_tool_scalable_sizes(capsys: pytest.CaptureFixture[str], n: int) -> None:
    rc, report = explore(capsys, "scalable.mnt", "--check", "safe", "--set", f"N={n}")
    assert rc == 0
    (check,) = report["checks"]
    assert check["config"].get("N") == n
    assert_holds(check, hw.scalable(n), None)


@pytest.mark.parametrize(("cap", "maxv", "total"), [(1, 0, 3), (3, 1, 4), (2, 3, 6)])
def test_tool_prodcons_sizes(capsys: pytest.CaptureFixture[str], cap: int, maxv: int,
                             total: int) -> None:
    sets = ["--set", f"CAP={cap}", "--set", f"MAXV={maxv}", "--set", f"TOTAL={total}"]
    rc, report = explore(capsys, "prodcons.mnt", "--check", "fixed", *sets)
    assert rc == 0
    (check,) = report["checks"]
    assert_holds(check, hw.prodcons(cap, maxv, total), None)
    # the overflow variant fails on the append after CAP successful ones
    _, report = explore(capsys, "prodcons.mnt", "--check", "overflow", *sets)
    (check,) = report["checks"]
    k = hw.bfs(hw.prodcons(cap, maxv, total, wrong_guard=True)).counterexample
    assert k == (cap + 1 if total > cap else None)
    if k is not None:
        assert check["outcome"]["kind"] == "error" and check["outcome"]["steps"] == k
        assert len(check["trace"]["steps"]) == k


# The direct benchmark search (the spec's own variables, tests/bench/handwritten_direct.py)
# finds the same states and transitions as the reformulated one.


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_bench_direct_search_agrees(n: int) -> None:
    import handwritten_direct
    import handwritten_scalable

    distinct, generated, _ = handwritten_direct.run(n)
    assert (distinct, generated) == handwritten_scalable.run(n)[:2]


# ---------------------------------------------------------------------------------------
# scalable_symmetric.mnt: scalable.mnt with its N - 1 submounts a symmetric set. Unreduced,
# the same graph as scalable.mnt (every figure of the hand-written search); reduced, one
# state per multiset of local states: C(k + 8, k) + C(k + 5, k) for k submounts (9 local
# states under a writable root, 6 under a read-only one).


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_tool_scalable_symmetric(capsys: pytest.CaptureFixture[str], n: int) -> None:
    k = n - 1
    rc, report = explore(capsys, "scalable_symmetric.mnt", "--check", "safe", "--set", f"N={k}",
                         "--no-symmetry")
    (full,) = report["checks"]
    assert rc == 0 and "symmetry" not in full["figures"]
    f = full["figures"]  # the root's remounts are actions of their own: the same successors
    assert (f["distinct"], f["generated"], f["depth"]) == figures(hw.bfs(hw.scalable(n)))
    rc, report = explore(capsys, "scalable_symmetric.mnt", "--check", "safe", "--set", f"N={k}")
    (red,) = report["checks"]
    # one atom has no permutation to reduce by: nothing is said
    assert rc == 0 and red["figures"].get("symmetry") == ("symmetry: Sub" if k > 1 else None)
    assert red["figures"]["distinct"] == math.comb(k + 8, k) + math.comb(k + 5, k)
    assert red["figures"]["depth"] == full["figures"]["depth"] == 4 * k + 1


def test_tool_two_phase(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "two_phase.mnt")
    assert rc == 0
    check = by_name(report)["three"]
    assert_holds(check, hw.two_phase(), TWO_PHASE)
    assert check["covers"] == [{"cover": "all_committed", "line": 62, "steps": 10},
                               {"cover": "aborted_after_preparing", "line": 63, "steps": 2}]


def test_tool_fifo_channel(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "fifo_channel.mnt")
    assert rc == 0
    checks = by_name(report)
    assert_holds(checks["small_instance"], hw.fifo_channel(), FIFO_CHANNEL)
    assert_holds(checks["too_small"], hw.fifo_channel(max_in_flight=1), FIFO_CHANNEL_TOO_SMALL)
    assert [c["steps"] for c in checks["small_instance"]["covers"]] == [2, 6]
    # kept, the cover the small instance cannot reach fails the check, exit 15
    rc, report = explore(capsys, "fifo_channel.mnt", "--set", "MAX_IN_FLIGHT=1",
                         "--check", "small_instance")
    assert rc == 15
    assert "cover two_in_flight never reached" in by_name(report)["small_instance"]["why"]


def test_tool_two_task_syscall(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = explore(capsys, "two_task_syscall.mnt")
    assert rc == 0
    checks = by_name(report)
    assert_holds(checks["with_lock"], hw.two_task_syscall(), TWO_TASK_LOCKED)
    assert_holds(checks["without_lock_states"], hw.two_task_syscall(locked=False),
                 TWO_TASK_UNLOCKED)
    lost = checks["without_lock"]
    assert_counterexample(lost, "violation", TWO_TASK_LOST_K, "no_lost_update")
    steps = [(st["action"], st["params"]["t"]) for st in lost["trace"]["steps"]]
    # both read the counter before either writes it
    reads = [i for i, (a, _) in enumerate(steps) if a == "sys.read"]
    writes = [i for i, (a, _) in enumerate(steps) if a == "sys.write"]
    assert len(reads) == 2 and len(writes) == 2 and max(reads) < min(writes)
    assert lost["trace"]["vars"] == ["lock", "count", "sys.pc", "sys.seen"]
