"""specs/deferred_release.mnt: the pinned outcome of every check, Al Viro's schedules step by
step, a state count derived by hand, mutations that the invariants must catch, engine
agreement, and the README block.

(a) One run of `explore` over the whole file (JSON report): every check passes, with its
    figures (distinct, generated, depth) and counterexample length pinned.
(b) Schedules 1-3 of kernel-semantics 4.3 and Al Viro's two-namespace proof, step by step.
(c) A configuration small enough to count by hand.
(d) Mutations of the spec's kernel procedures that I-T3-1 and the reference accounting must
    flag, so that their `holds` means something.
(e) Interpreter and generated code agree on the first states of several configurations.
(f) The README walkthrough is what `explore` prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loaded import loaded
from showcase import (
    PROVED,
    Pin,
    agree_on_first_states,
    never_fired,
    pinned_suite,
    readme_block,
    walkthrough,
)

from explorer.explicit.run import check_model
from explorer.lang.load import load_spec, select
from explorer.values import Atom

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "deferred_release.mnt"

# check -> (outcome, K or None, distinct, generated, depth). A violation's figures are
# those of the search up to the state where BFS met it.
PINNED: dict[str, Pin] = {
    "plain_busy": ("violation", 3, 9, 10, 3),
    "plain_kthread": ("violation", 3, 11, 11, 3),
    "s0_not_yet_queued": ("violation", 4, 22, 23, 4),
    "s0_complete": ("violation", 7, 98, 128, 7),
    "wait_kthread": ("holds", None, 88, 123, 11),
    "wait_kthread_m2": ("holds", None, 293, 521, 14),
    "s1_list_taken": ("violation", 8, 136, 215, 8),
    "s1_exited": ("violation", 8, 136, 215, 8),
    "s1_complete": ("violation", 11, 389, 686, 11),
    "s2_task_work": ("violation", 4, 14, 17, 4),
    "s2_complete": ("violation", 7, 29, 41, 7),
    "s2_sync_close": ("violation", 4, 16, 20, 4),
    "s3_mntput_deferred": ("violation", 9, 118, 184, 9),
    "two_namespaces": ("violation", 6, 7, 7, 6),
    "own_close": ("holds", None, 11, 11, 5),
    "own_close_wait": ("holds", None, 15, 15, 8),
    "own_close_others": ("holds", None, 550, 1_374, 13),
    "own_close_peeked": ("assertion", 5, 27, 38, 5),
    "own_close_peeked_wait": ("assertion", 6, 38, 54, 6),
    "i_t3_1_peeker": ("holds", None, 2_910, 8_862, 19),
    "i_t3_1": ("holds", None, 726, 1_766, 16),
    "i_t3_1_m2": ("holds", None, 1_432, 3_499, 18),
    "i_t3_1_kx": ("holds", None, 1_874, 5_426, 18),
    "i_t3_1_sync": ("holds", None, 1_549, 3_796, 19),
    "i_t3_1_plain": ("holds", None, 435, 945, 12),
    # proved by induction (engine prove): no states, a 1-step induction
    "i_t3_1_proved": PROVED,
    "i_t3_1_m2_proved": PROVED,
    "i_t3_1_kx_proved": PROVED,
    "i_t3_1_sync_proved": PROVED,
    "i_t3_1_plain_proved": PROVED,
    "own_close_proved": PROVED,
    "own_close_wait_proved": PROVED,
    "own_close_others_proved": PROVED,
    "wait_kthread_proved": PROVED,
    "wait_kthread_m2_proved": PROVED,
    # L3, liveness (the same graphs as the I-T3-1 checks of the same configurations)
    "l3": ("holds", None, 1_432, 3_499, 18),
    "l3_kx": ("holds", None, 1_874, 5_426, 18),
    "l3_plain": ("holds", None, 435, 945, 12),
    "l3_lazy_kworker": ("liveness", 2, 88, 123, 11),
    "l3_wait_forever": ("liveness", 4, 88, 123, 11),
    "l3_wait_forever_plain": ("holds", None, 63, 90, 8),
}


def test_umount_wait_sleeps_for_ever_without_the_kworker(report: dict[str, Any]) -> None:
    """L3: if the kworker never starts, the kernel thread's file stays on the list; with
    UMOUNT_WAIT, umount2 then sleeps in flush_delayed_work for ever (U waits for one
    completion, and the work item is still queued), where a plain umount2 returns."""
    c = report["l3_wait_forever"]
    t = c["trace"]
    assert [s["action"] for s in t["steps"]] == ["kthread_fput", "umount2", "fput_enqueue",
                                                 "u_flush_fput_work"]
    last = t["values"][-1]
    assert last["upc"] == "F1_WAIT" and last["uwait"] == 1 and last["fw_pend"]
    assert t["loop"] == 4 and "unfair" not in c["figures"]["liveness"]
    assert "fair fput_work_start" not in c["figures"]["liveness"]
    assert report["l3_wait_forever_plain"]["outcome"]["kind"] == "holds"


report, test_every_check_is_pinned, test_check_outcome_and_figures = pinned_suite(SPEC, PINNED)


def test_the_widest_check_fires_every_action(report: dict[str, Any]) -> None:
    """I-T3-1's `holds` covers every step of the model: both work items, both flushes of
    the patch, X's flush, the kernel thread's fput and every return to user mode (the
    /proc reader's steps only where a reader peeks, in i_t3_1_peeker)."""
    assert never_fired(report["i_t3_1_m2"]) == ["peek", "peek_done"]
    assert "peek_done" not in never_fired(report["i_t3_1_peeker"])


def test_what_the_patch_covers_fires_its_flushes(report: dict[str, Any]) -> None:
    """wait_kthread_m2 holds because U's flushes do the work: U __fputs the file itself,
    or waits for the work item and then runs delayed_mntput's cleanup_mnt itself."""
    assert never_fired(report["wait_kthread_m2"]) == ["close", "own_fput", "peek", "peek_done",
                                                      "x_flush"]


def test_a_proc_reader_makes_own_close_busy(report: dict[str, Any]) -> None:
    """The reader of /proc/<U's pid>/fdinfo holds U's file while U closes it: U's close is
    not the last fput, U's umount2 comes before the reader's release, and its file still
    counts (the assertion at do_umount); the reader's own release is then on its
    task_work."""
    assert steps(report, "own_close_peeked") == [
        "peek", "close(t=U, f=fu)", "return_to_user(t=U)", "umount2", "do_umount"]
    last = state(report, "own_close_peeked")
    assert last["holders"]["fu"] == {"P"} and last["fst"]["fu"] == "OPEN"


def test_schedule_0_not_yet_queued(report: dict[str, Any]) -> None:
    """Al Viro's "just before": K's fput has taken f_count to 0 and not reached llist_add,
    so every file counts as closed while the flush has nothing to find."""
    assert steps(report, "s0_not_yet_queued") == [
        "kthread_fput(f=fc)", "umount2", "u_flush_fput_work", "do_umount"]
    last = state(report, "s0_not_yet_queued")
    assert last["fst"]["fc"] == "DROPPED" and last["to_queue"]["K"] == {"fc"}
    assert (last["closed"], last["settled"], last["ures"]) == ("true", "false", "EBUSY")


# ---------------------------------------------------------------------------------------
# (b) the schedules


def steps(report: dict[str, Any], name: str) -> list[str]:
    """The trace's actions, with their parameters as `action(p=v)`."""
    out = []
    for s in report[name]["trace"]["steps"]:
        args = ", ".join(f"{k}={v}" for k, v in s["params"].items())
        out.append(f"{s['action']}({args})" if args else s["action"])
    return out


def parse(text: str) -> Any:
    """A printed value of this spec: an atom or integer or boolean (a string), none, a set
    (a frozenset of strings) or a function (a dict to parsed values)."""
    text = text.strip()
    if text == "none":
        return None
    if not text.startswith("{"):
        return text
    body, items, depth, start = text[1:-1], [], 0, 0
    for i, ch in enumerate(body):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items = [x.strip() for x in items + [body[start:]] if x.strip()]
    if items and ":" in items[0]:
        return {k.strip(): parse(v) for k, v in (x.split(":", 1) for x in items)}
    return frozenset(items)


def state(report: dict[str, Any], name: str, index: int = -1) -> dict[str, Any]:
    return {k: parse(v) for k, v in report[name]["trace"]["states"][index].items()}


def test_schedule_1_someone_else_took_the_list(report: dict[str, Any]) -> None:
    """K's fput queues the file; X's flush takes it; the work item runs on an empty list;
    U's flush has nothing to take and nothing to wait for; do_umount sees X's reference."""
    assert steps(report, "s1_list_taken") == [
        "kthread_fput(f=fc)", "fput_enqueue(t=K, f=fc)", "x_flush", "umount2",
        "fput_work_start", "fput_work_done", "u_flush_fput_work", "do_umount"]
    last = state(report, "s1_list_taken")
    assert last["ures"] == "EBUSY" and last["settled"] == "true"
    assert last["to_fput"]["X"] == {"fc"} and last["fst"]["fc"] == "IN_FPUT"
    assert last["cnt"]["m1"] == "2"          # the mounted reference and X's file
    # the process past exit_task_work puts it on the same list: the same schedule
    assert steps(report, "s1_exited")[2:] == steps(report, "s1_list_taken")[2:]
    assert steps(report, "s1_exited")[:2] == ["close(t=C, f=fc)", "fput_enqueue(t=C, f=fc)"]


def test_schedule_1_against_the_whole_patch(report: dict[str, Any]) -> None:
    """With the file on the second mount, the umount succeeds, the patch's tail finds both
    lists empty, and umount2 returns with the superblock active: X has not __fput yet."""
    assert steps(report, "s1_complete")[-4:] == [
        "do_umount", "u_flush_fput_work", "u_flush_mntput_work", "return_to_user(t=U)"]
    last = state(report, "s1_complete")
    assert (last["upc"], last["ures"], last["sb_active"]) == ("DONE", "OK", "1")
    assert last["mst"] == {"m1": "FREED", "m2": "LIVE"} and last["to_fput"]["X"] == {"fc"}


def test_schedule_2_release_in_another_tasks_task_work(report: dict[str, Any]) -> None:
    assert steps(report, "s2_task_work") == [
        "close(t=C, f=fc)", "umount2", "u_flush_fput_work", "do_umount"]
    last = state(report, "s2_task_work")
    assert last["twf"]["C"] == {"fc"} and last["insys"]["C"] == "true"
    assert last["ures"] == "EBUSY"
    done = state(report, "s2_complete")
    assert done["twf"]["C"] == {"fc"} and done["mst"]["m2"] == "LIVE"
    assert done["sb_active"] == "1"


def test_schedule_2_with_the_6_6_close(report: dict[str, Any]) -> None:
    """close(2) running __fput itself (6.6+) leaves the same window: the fd is out of C's
    table, C has not run __fput yet, and do_umount sees the file's reference."""
    assert steps(report, "s2_sync_close") == [
        "close(t=C, f=fc)", "umount2", "u_flush_fput_work", "do_umount"]
    last = state(report, "s2_sync_close")
    assert last["to_fput"]["C"] == {"fc"} and last["twf"]["C"] == frozenset()
    assert last["holders"]["fc"] == frozenset() and last["ures"] == "EBUSY"


def test_schedule_3_mntput_defers_again(report: dict[str, Any]) -> None:
    """Al Viro's reply, step by step: the work item's __fput drops m2's last reference in a
    kernel thread, so cleanup_mnt goes to delayed_mntput_list; U waits for the work item,
    umounts m1 and returns, and nothing ran delayed_mntput."""
    assert steps(report, "s3_mntput_deferred") == [
        "kthread_fput(f=fc)", "fput_enqueue(t=K, f=fc)", "fput_work_start", "umount2",
        "fput_work_fput(f=fc)", "fput_work_done", "u_flush_fput_work", "do_umount",
        "return_to_user(t=U)"]
    after_fput = state(report, "s3_mntput_deferred", 5)
    assert after_fput["dml"] == {"m2"} and after_fput["mst"]["m2"] == "DOOMED"
    assert after_fput["last_mput"]["m2"] == "W" and after_fput["mw_pend"] == "true"
    last = state(report, "s3_mntput_deferred")
    assert (last["ures"], last["sb_active"], last["dml"]) == ("OK", "1", {"m2"})


def test_two_namespaces_is_als_proof(report: dict[str, Any]) -> None:
    last = state(report, "two_namespaces")
    assert last["ns"] == {"m1": "NONE", "m2": "OTHER"} and last["sb_active"] == "1"
    assert last["holders"] == {"fc": frozenset(), "fu": frozenset()}


def test_the_plain_umount_fails_where_the_flag_helps(report: dict[str, Any]) -> None:
    """The same kernel-thread release that the plain umount trips over (EBUSY in 3 steps),
    UMOUNT_WAIT absorbs: wait_kthread holds."""
    assert steps(report, "plain_kthread") == ["kthread_fput(f=fc)", "umount2", "do_umount"]
    assert report["wait_kthread"]["outcome"]["kind"] == "holds"


# ---------------------------------------------------------------------------------------
# (c) by hand


def model(**params: Any) -> Any:
    kinds = ["USER", "KTHREAD", "EXITED"]
    seconds = ["NO_M2", "DEAD_NS", "LIVE_NS"]
    for name, enum, names in (("c_kind", "Kind", kinds), ("x_kind", "Kind", kinds),
                              ("second", "Second", seconds)):
        if name in params:
            params[name] = Atom(enum, names.index(params[name]), params[name])
    return loaded(SPEC).model(params)


def test_own_close_counted_by_hand() -> None:
    """U alone, with one file on m1, plain umount2. From the initial state U either closes
    (then returns: the file is released; umount2; do_umount succeeds; the return runs
    cleanup_mnt) or umounts first (EBUSY; return; close; return): 1 + 5 + 5 = 11 states,
    each reached once (generated 11), the longest shortest path 5 (the EBUSY branch)."""
    r = check_model(model(umount_wait=False, c_holds=False, u_file=True), progress=None)
    assert r.outcome.kind == "holds"
    assert (r.figures.distinct, r.figures.generated, r.figures.depth) == (11, 11, 5)


def test_nothing_to_release_counted_by_hand() -> None:
    """No file at all and the whole patch: umount2, the empty flush, do_umount, the empty
    tail (fput flush, mntput flush), the return: a single path of 6 steps, 7 states."""
    r = check_model(model(c_holds=False), progress=None)
    assert r.outcome.kind == "holds"
    assert (r.figures.distinct, r.figures.generated, r.figures.depth) == (7, 7, 6)


# ---------------------------------------------------------------------------------------
# (d) mutations


WIDE = dict(k_holds=True, u_file=True, flusher=True, on_m2=True)


def run_mutant(old: str, new: str, tmp_path: Path, only: list[str]) -> Any:
    text = SPEC.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "mutant.mnt"
    path.write_text(text.replace(old, new))
    second = Atom("Second", 1, "DEAD_NS")
    m = select(load_spec(str(path)).model({**WIDE, "second": second}), tuple(only))
    return check_model(m, progress=None)


def test_i_t3_1_catches_a_return_that_skips_queued_cleanup(tmp_path: Path) -> None:
    """If task_work_run did not run the cleanup_mnt queued on the task, a user task would
    be back in user mode with its mntput's cleanup pending."""
    r = run_mutant("  for m in twm[t] {\n    cleanup_mnt(m)\n  }\n  twm[t] := {}\n", "",
                   tmp_path, ["I_T3_1"])
    assert r.outcome.kind == "violation" and r.outcome.target == "I_T3_1"


@pytest.mark.parametrize("target", ["I_T3_1", "own_close_done"])
def test_a_user_fput_on_the_global_list_is_caught(tmp_path: Path, target: str) -> None:
    """If a user task's last fput went to delayed_fput_list, its close would return with
    the release still pending (I-T3-1), and U's own file could make its umount2 busy."""
    old = "    if kind(t) == USER {\n      fst[f] := QUEUED\n"
    r = run_mutant(old, old.replace("kind(t) == USER", "false"), tmp_path, [target])
    if target == "I_T3_1":
        assert (r.outcome.kind, r.outcome.target) == ("violation", target)
    else:
        assert (r.outcome.kind, r.outcome.assertion) == ("assertion", target)


def test_refs_catches_a_lost_path_reference(tmp_path: Path) -> None:
    """umount2 without its path reference: the accounting breaks at once."""
    r = run_mutant("  cnt[m1] := cnt[m1] + 1\n", "", tmp_path, ["refs"])
    assert r.outcome.kind == "violation" and r.outcome.target == "refs"


# ---------------------------------------------------------------------------------------
# (e) the engines agree


@pytest.mark.parametrize("params", [
    {},
    dict(k_holds=True, flusher=True, x_kind="KTHREAD", on_m2=True, second="DEAD_NS"),
    dict(k_holds=True, u_file=True, flusher=True, c_kind="EXITED", post_flush=False,
         on_m2=True, second="DEAD_NS"),
    dict(umount_wait=False, u_file=True, second="LIVE_NS"),
    dict(u_file=True, flusher=True, sync_close=True, on_m2=True, second="DEAD_NS"),
])
def test_engines_agree(params: dict[str, Any]) -> None:
    agree_on_first_states(model(**dict(params)))


# ---------------------------------------------------------------------------------------
# (f) the README


WALKTHROUGH = walkthrough(
    "      ... (m1 mounted here, m2 left over from a dead namespace; K holds the file, on m2)")


def test_readme_walkthrough_is_what_explore_prints() -> None:
    """UPDATE_GOLDEN=1 rewrites the README block."""
    check = "s3_mntput_deferred"
    readme_block(ROOT, f"$ explore specs/deferred_release.mnt --check {check}",
                 ["specs/deferred_release.mnt", "--check", check], WALKTHROUGH)
