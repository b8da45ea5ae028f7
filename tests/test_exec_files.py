"""specs/exec_files.mnt: the pinned outcome of every check, the counterexamples in kernel
terms, a state count derived by hand, a mutation that I-T4-3 must catch, engine agreement,
and the README block.

(a) One run of `explore` over the whole file (JSON report): every check passes, and its
    figures (distinct, generated, depth) and counterexample length are pinned.
(b) The counterexamples of the old era, step by step: which table drops the lock, when,
    and what is still open at that moment.
(c) A configuration small enough to count by hand, in both eras.
(d) I-T4-3 holds in every era; a close_files that forgets the locks breaks it.
(e) Interpreter and generated code agree, action by action, on whole state graphs.
(f) The README's walkthrough is what `explore` prints.
(g) The scenarios of tests/kernel/exec_locks_kernel.py went as V5_11 predicts on 6.18.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loaded import loaded
from showcase import PROVED, Pin, agree_on_first_states, never_fired, pinned_suite, readme_block, walkthrough

from explorer.explicit.run import check_model
from explorer.interp import Interp
from explorer.lang.load import load_text, select
from explorer.values import Atom

SPEC = Path(__file__).resolve().parent.parent / "specs" / "exec_files.mnt"

# check -> (outcome, K or None, distinct, generated, depth). A violation's figures are
# those of the search up to the state where BFS met it. Each check runs in well under 0.1 s.
PINNED: dict[str, Pin] = {
    "pre_threads": ("violation", 7, 202, 315, 7),
    "pre_threads_count": ("violation", 2, 12, 17, 2),
    "pre_reader": ("violation", 6, 124, 211, 6),
    "pre_reader_count": ("violation", 1, 7, 7, 1),
    "pre_reader_cloexec": ("violation", 6, 48, 79, 6),
    "pre_accounting": ("holds", None, 1_128, 3_985, 11),
    "pre_single": ("holds", None, 39, 52, 6),
    "cloexec_pre": ("holds", None, 77, 183, 7),
    "cloexec_pre_reached": ("violation", 7, 77, 179, 7),
    "v5_11": ("holds", None, 261, 1_232, 7),
    "v5_11_4": ("holds", None, 477, 2_957, 9),
    "cloexec_v5_11_reached": ("violation", 4, 146, 488, 4),
    "v5_11_same_inode": ("holds", None, 204, 899, 7),
    "literal_same_inode": ("violation", 4, 34, 75, 4),
    # b6043501289e alone; a table shared with another process
    "exec_only_threads": ("holds", None, 87, 316, 6),
    "exec_only_reader": ("violation", 5, 69, 129, 5),
    "v5_11_sibling": ("violation", 4, 45, 80, 4),
    "v5_11_sibling_accounting": ("holds", None, 576, 2_814, 8),
    # proved by induction (engine prove): no states, a 1-step induction
    "v5_11_proved": PROVED,
    "v5_11_4_proved": PROVED,
    "v5_11_same_inode_proved": PROVED,
    "pre_accounting_proved": PROVED,
}


report, test_every_check_is_pinned, test_check_outcome_and_figures = pinned_suite(SPEC, PINNED)


def test_holding_checks_fire_their_actions(report: dict[str, Any]) -> None:
    """A `holds` counts only if threads come and go, locks are taken and closed, execve
    runs and the reader interleaves. What never fires is the other era's half: the
    displaced put and get_files_struct from 5.11, fget_task before."""
    assert never_fired(report["v5_11"]) == [
        "exec_put_displaced", "reader_get_files", "reader_put_files", "sibling_exit"]
    assert never_fired(report["v5_11_4"]) == never_fired(report["v5_11"])
    assert never_fired(report["pre_accounting"]) == ["reader_fget_task", "reader_fput",
                                                     "sibling_exit"]


def test_the_two_halves_of_the_5_11_series(report: dict[str, Any]) -> None:
    """b6043501289e alone: de_thread runs before unshare_files, but the reader's
    get_files_struct still counts on the table, so unshare_files copies and puts ft1 at
    once; the lock stays ft1's, held only by the reader."""
    assert [a for a, _ in steps(report, "exec_only_reader")] == [
        "setlk", "exec_de_thread", "reader_get_files", "exec_unshare_files",
        "exec_close_on_exec"]
    end = state(report, "exec_only_reader")
    assert end["files"]["t1"] == "ft2" and end["lock"]["i1"] == "ft1" and end["rtab"] == "ft1"
    # 5.11+ copies too when another process shares the table; the lock stays with it
    assert [a for a, _ in steps(report, "v5_11_sibling")] == [
        "setlk", "exec_de_thread", "exec_unshare_files", "exec_close_on_exec"]
    end = state(report, "v5_11_sibling")
    assert end["files"]["t1"] == "ft2" and end["lock"]["i1"] == "ft1" and end["sib"] == "ft1"


# ---------------------------------------------------------------------------------------
# (b) the counterexamples


def steps(report: dict[str, Any], name: str) -> list[tuple[str, dict[str, str]]]:
    return [(s["action"], s["params"]) for s in report[name]["trace"]["steps"]]


def state(report: dict[str, Any], name: str, i: int = -1) -> dict[str, Any]:
    """State i of a check's trace, with functions as dicts and sets as sorted lists."""
    values = report[name]["trace"]["values"][i]
    return {k: dict(v) if isinstance(v, list) and v and isinstance(v[0], list) else v
            for k, v in values.items()}


EXEC_PRE = ["exec_unshare_files", "exec_de_thread", "exec_close_on_exec", "exec_put_displaced"]


def test_pre_threads_lock_dropped_by_the_displaced_table(report: dict[str, Any]) -> None:
    """Kernel-semantics 6.4: t2 shares ft1, t1 locks i1 through fd 3, execve copies ft1
    into ft2 (count 2), de_thread kills t2, and the put of the displaced ft1 at the end runs
    close_files, which drops the lock while fd 3 is still open in ft2."""
    assert steps(report, "pre_threads") == [
        ("clone_thread", {"p": "t1", "c": "t2"}), ("setlk", {"t": "t1", "d": "fd3"}),
        ("exec_unshare_files", {}), ("exec_de_thread", {}), ("exit_files", {"t": "t2"}),
        ("exec_close_on_exec", {}), ("exec_put_displaced", {})]
    copied = state(report, "pre_threads", 3)
    assert copied["files"] == {"t1": "ft2", "t2": "ft1"} and copied["displaced"] == "ft1"
    assert copied["fds"] == {"ft1": ["fd3", "fd4"], "ft2": ["fd3", "fd4"]}
    assert copied["cnt"] == {"ft1": 2, "ft2": 1}
    # t2's exit leaves ft1 to the displaced pointer alone, still owning the lock
    before = state(report, "pre_threads", 6)
    assert before["cnt"]["ft1"] == 1 and before["lock"]["i1"] == "ft1"
    after = state(report, "pre_threads")
    assert after["cnt"]["ft1"] == 0 and after["fds"]["ft1"] == []
    assert after["lock"]["i1"] is None
    assert after["fds"]["ft2"] == ["fd3"] and after["files"]["t1"] == "ft2"


def test_pre_count_is_not_sharing(report: dict[str, Any]) -> None:
    """The old count: execve's displaced pointer (2 steps) and the reader's
    get_files_struct (1 step) each count on a table that one thread runs on."""
    assert [a for a, _ in steps(report, "pre_threads_count")] == [
        "clone_thread", "exec_unshare_files"]
    last = state(report, "pre_threads_count")
    assert last["cnt"]["ft1"] == 2 and list(last["files"].values()).count("ft1") == 1
    assert steps(report, "pre_reader_count") == [("reader_get_files", {})]
    assert state(report, "pre_reader_count")["cnt"]["ft1"] == 2


def test_pre_reader_lock_outlives_execve_in_the_wrong_table(report: dict[str, Any]) -> None:
    """Single-threaded: the reader's reference alone makes execve copy the table. When
    execve returns, the lock on i1 is owned by the displaced ft1, which only the reader
    still holds; the reader's put_files_struct then drops it, with fd 3 open in ft2."""
    assert steps(report, "pre_reader") == [
        ("setlk", {"t": "t1", "d": "fd3"}), ("reader_get_files", {})] + [
        (a, {}) for a in EXEC_PRE]
    last = state(report, "pre_reader")
    assert last["files"] == {"t1": "ft2"} and last["rtab"] == "ft1"
    assert last["cnt"] == {"ft1": 1, "ft2": 1} and last["lock"]["i1"] == "ft1"

    # one step further, through the interpreter: the reader lets go of ft1
    loaded_spec = loaded(SPEC)
    check = next(c for c in loaded_spec.checks if c.name == "pre_reader")
    it = Interp(loaded_spec.check_model(check))
    (s,) = it.initial_states()
    for action, params in steps(report, "pre_reader"):
        (s,) = [t for (name, binding), t in it.successors(s)
                if name == action and {k: v.name for k, v in binding} == params]
    (s,) = it.action_successors(s, "reader_put_files", ())
    d = it.state_dict(s)
    ft1, ft2, fd3 = (Atom("Table", 0, "ft1"), Atom("Table", 1, "ft2"), Atom("Fd", 0, "fd3"))
    assert d["cnt"][ft1] == 0 and d["lock"][Atom("Inode", 0, "i1")] is None
    assert d["fds"][ft2] == frozenset({fd3})


def test_pre_reader_cloexec_lock_survives_the_close(report: dict[str, Any]) -> None:
    """do_close_on_exec closes fd 4 in the copy, whose owner holds no lock: the lock taken
    through fd 4 stays with ft1, past the end of execve."""
    assert steps(report, "pre_reader_cloexec") == [
        ("setlk", {"t": "t1", "d": "fd4"}), ("reader_get_files", {})] + [
        (a, {}) for a in EXEC_PRE]
    last = state(report, "pre_reader_cloexec")
    assert last["fds"] == {"ft1": ["fd4"], "ft2": []}
    assert last["lock"]["i2"] == "ft1" and last["cx0"] == ["i2"]


def test_close_on_exec_releases_its_lock_in_both_eras(report: dict[str, Any]) -> None:
    """The scenarios behind the holding close-on-exec checks are reached: a lock through
    fd 4, then execve to its end, which leaves no lock. Before 5.11, with a second thread,
    the copy's close releases nothing and the displaced table's close_files does it; from
    5.11 do_close_on_exec does it, on the one table."""
    assert steps(report, "cloexec_pre_reached") == [
        ("clone_thread", {"p": "t1", "c": "t2"}), ("setlk", {"t": "t1", "d": "fd4"}),
        ("exec_unshare_files", {}), ("exec_de_thread", {}), ("exit_files", {"t": "t2"}),
        ("exec_close_on_exec", {}), ("exec_put_displaced", {})]
    closed = state(report, "cloexec_pre_reached", 6)   # before the displaced put
    assert closed["fds"] == {"ft1": ["fd4"], "ft2": []} and closed["lock"]["i2"] == "ft1"
    assert steps(report, "cloexec_v5_11_reached") == [
        ("setlk", {"t": "t1", "d": "fd4"}), ("exec_de_thread", {}),
        ("exec_unshare_files", {}), ("exec_close_on_exec", {})]
    for name, table in (("cloexec_pre_reached", "ft2"), ("cloexec_v5_11_reached", "ft1")):
        last = state(report, name)
        assert last["xs"] == "DONE" and last["cx0"] == ["i2"]
        assert last["files"]["t1"] == table and last["lock"] == {"i1": None, "i2": None}


def test_same_inode_close_on_exec_drops_the_plain_fds_lock(report: dict[str, Any]) -> None:
    """With fd 3 and fd 4 on one inode, closing fd 4 at execve drops the lock taken
    through fd 3 (POSIX), so kernel-semantics' literal I-T4-2 flags the fixed kernel."""
    assert steps(report, "literal_same_inode") == [
        ("setlk", {"t": "t1", "d": "fd3"}), ("exec_de_thread", {}),
        ("exec_unshare_files", {}), ("exec_close_on_exec", {})]
    last = state(report, "literal_same_inode")
    assert last["fds"]["ft1"] == ["fd3"] and last["lock"]["i1"] is None
    assert last["keep0"] == [] and last["cx0"] == ["i1"]


# ---------------------------------------------------------------------------------------
# (c) by hand


ERAS = ["PRE_5_11", "EXEC_ONLY", "V5_11"]


def model(era: str, **params: Any) -> Any:
    return loaded(SPEC).model(
        {"era": Atom("Era", ERAS.index(era), era), **params})


@pytest.mark.parametrize("era, figures", [("V5_11", (12, 13, 4)), ("EXEC_ONLY", (12, 13, 4)),
                                          ("PRE_5_11", (15, 16, 5))])
def test_one_thread_one_fd(era: str, figures: tuple[int, int, int]) -> None:
    """One thread, fd 3 only, no reader. Before execve t1 can be in 3 states: fd 3 open,
    locked, or closed (closing the locked fd gives the closed state). execve starts from
    each and runs its steps one after the other, with nothing else enabled: 3 on 5.11
    (de_thread, unshare_files, close-on-exec, in EXEC_ONLY too), 4 before. Distinct: 3 + 3 * steps, that is
    12 and 15. Generated: the initial state, 3 successors of the open state (lock, close,
    execve), 2 of the locked one, 1 of the closed one, and one per state inside execve
    (the last has none): 1 + 6 + 3 * steps, 13 and 16. Depth: one step to the locked or
    closed state, then execve: 1 + steps."""
    r = check_model(model(era, THREADS=1, cloexec=False), progress=None)
    assert r.outcome.kind == "holds"
    assert (r.figures.distinct, r.figures.generated, r.figures.depth) == figures


# ---------------------------------------------------------------------------------------
# (d) I-T4-3 has teeth

FORGETFUL = ("    for d in fds[x] {\n      filp_close(x, d)\n",
             "    for d in fds[x] {\n      fds[x] := fds[x] minus {d}\n      fput(d)\n")


def test_i_t4_3_catches_a_table_freed_with_its_locks() -> None:
    """close_files that closes the fds without locks_remove_posix: the pre_threads schedule
    then frees ft1 while it still owns the lock on i1. From 5.11 no table that owns a lock
    is ever freed here, so the same mistake goes unseen."""
    source = SPEC.read_text()
    assert source.count(FORGETFUL[0]) == 1   # the loop of put_files_struct
    loaded = load_text(source.replace(*FORGETFUL), str(SPEC))
    for era, kind in (("PRE_5_11", "violation"), ("V5_11", "holds")):
        m = loaded.model({"era": Atom("Era", ERAS.index(era), era)})
        r = check_model(select(m, ("I_T4_3",)), progress=None)
        assert r.outcome.kind == kind
        if kind == "violation":
            assert r.trace is not None
            assert [s.action for s in r.trace.steps][-1] == "exec_put_displaced"
            assert len(r.trace) == 7


# ---------------------------------------------------------------------------------------
# (e) the engines agree


@pytest.mark.parametrize("era, extra, n", [
    ("PRE_5_11", {}, 228),
    ("PRE_5_11", {"THREADS": 3, "reader": True}, 300),
    ("PRE_5_11", {"THREADS": 1, "reader": True, "plain": False}, 60),
    ("PRE_5_11", {"reader": True, "same_inode": True}, 300),
    ("V5_11", {"THREADS": 3, "reader": True}, 261),
    ("V5_11", {"reader": True, "same_inode": True}, 120),
])
def test_engines_agree(era: str, extra: dict[str, Any], n: int) -> None:
    """Action by action, the interpreter and the generated code agree on the first n
    states breadth first; where n is below 300 it is every reachable state."""
    agree_on_first_states(model(era, **extra), n)


# ---------------------------------------------------------------------------------------
# (f) the README


INITIAL = "      ... (t1 alone on ft1, fd 3 and fd 4 open, no lock; t2's slot free)"


WALKTHROUGH = walkthrough(INITIAL)


def test_readme_walkthrough_is_what_explore_prints() -> None:
    """UPDATE_GOLDEN=1 rewrites the README block."""
    readme_block(SPEC.parent.parent, "$ explore specs/exec_files.mnt --check pre_threads",
                 ["specs/exec_files.mnt", "--check", "pre_threads"], WALKTHROUGH)


# ---------------------------------------------------------------------------------------
# (g) the 6.18 kernel


def test_the_6_18_kernel_behaved_as_v5_11() -> None:
    """tests/kernel/exec_locks_kernel.py ran every scenario 10 times on this VM's 6.18
    kernel (results committed in exec_locks_6.18.md): the lock survived execve with 0, 4
    and 16 other threads and with a /proc/<pid>/fd reader, the new program's close
    released it, and a close-on-exec fd took the lock with it, its own or the plain fd's
    on the same file."""
    text = (SPEC.parent.parent / "tests" / "kernel" / "exec_locks_6.18.md").read_text()
    rows = [r.split("|") for r in text.splitlines() if r[:3] in ("| A", "| B", "| C")]
    assert [r[1].split(":")[0].strip() for r in rows] == [
        "A1", "A2", "A3", "A4", "A5", "B1", "B2", "C1"]
    assert all(r[4].strip() == "10/10" and r[5].strip() == "yes" for r in rows)
    held = [r[1].split(":")[0].strip() for r in rows if "held by C after exec" in r[3]]
    assert held == ["A1", "A2", "A3", "A4", "A5"]
