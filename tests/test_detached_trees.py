"""specs/detached_trees.mnt: the pinned outcome of every check, the counterexamples the
README walks through, and the model's 6.17 era against what a real 6.18 kernel does.

(a) One run of `explore` over the whole file (JSON report): every check passes, and its
    figures (distinct, generated, depth) and counterexample length are pinned. A change in
    the spec or the engine that moves a number must be looked at, and the pin updated.
(b) The counterexamples of the 2018 reports, action by action.
(c) The shell scenarios of tests/kernel/detached_trees_kernel.py, run on a 6.18.44 kernel
    inside a private mount namespace (results in tests/kernel/detached_trees_6.18.md), are
    replayed through the interpreter in the V6_17 era. Where the kernel call failed, the
    model's action must be disabled; where it succeeded, enabled, with the effect the kernel
    showed.
(d) Interpreter and generated code agree, action by action, on the first states of an
    instance of each era.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from loaded import loaded
from showcase import (
    PROVED,
    Pin,
    agree_on_first_states,
    pinned_suite,
    readme_block,
    walkthrough,
)

from explorer.cli import main
from explorer.interp import Interp
from explorer.values import Atom

SPEC = Path(__file__).resolve().parent.parent / "specs" / "detached_trees.mnt"

# check -> (outcome, K or None, distinct, generated, depth). A violation's figures are
# those of the search up to the state where BFS met it. Tasks and files are symmetric sets:
# the figures count states up to renaming them (one per orbit).
PINNED: dict[str, Pin] = {
    "reattach_lazy": ("violation", 7, 113, 167, 7),
    "close_then_mount": ("violation", 6, 1_038, 2_575, 6),
    "close_then_mount_lockup": ("assertion", 9, 2_101, 5_440, 9),
    "mount_then_close": ("assertion", 7, 2_164, 4_300, 7),
    "mount_then_close_lockup": ("assertion", 8, 2_780, 5_606, 8),
    # L2 (liveness, on the full graph: no symmetry): the lockups as lassos that spin
    "close_then_mount_spins": ("liveness", 8, 7_449, 20_288, 17),
    "mount_then_close_spins": ("liveness", 7, 16_285, 38_528, 17),
    "move_fix_alone": ("assertion", 8, 2_603, 5_256, 8),
    "dissolve_fix_alone": ("assertion", 9, 3_586, 7_535, 9),
    "both_fixes_ends": ("holds", None, 5_764, 12_763, 12),
    "v5_2_0_ends": ("holds", None, 5_764, 12_763, 12),
    "both_fixes": ("holds", None, 3_186, 7_039, 12),
    "both_fixes_4": ("holds", None, 59_596, 134_038, 24),
    "both_fixes_pipefs": ("holds", None, 4_379, 9_477, 12),
    "both_fixes_tasks": ("holds", None, 439_833, 1_582_031, 22),
    "mntget_leak": ("violation", 2, 20, 31, 2),
    "v5_2": ("holds", None, 3_072, 6_925, 12),
    "v5_2_4": ("holds", None, 51_860, 122_342, 24),
    "v5_2_tasks": ("holds", None, 409_829, 1_503_051, 22),
    "v5_2_0": ("holds", None, 3_186, 7_039, 12),
    "v5_2_0_4": ("holds", None, 59_596, 134_038, 24),
    "v5_2_0_locked": ("holds", None, 14_740, 37_243, 13),
    "v5_2_pipefs": ("holds", None, 4_223, 9_321, 12),
    "syzbot_internal": ("assertion", 2, 20, 34, 2),
    # 6.15-6.16 (children pin their parents) and 6.17+ (they do not): the same graphs,
    # since the pin is a function of the rest of the state
    "v6_15": ("holds", None, 6_812, 15_433, 15),
    "v6_15_4": ("holds", None, 121_442, 286_213, 24),
    "v6_15_locked": ("holds", None, 27_656, 74_053, 24),
    "v6_17": ("holds", None, 6_812, 15_433, 15),
    "v6_17_4": ("holds", None, 121_442, 286_213, 24),
    "v6_17_tasks": ("holds", None, 889_170, 3_271_353, 22),
    "v6_17_pipefs": ("holds", None, 9_358, 20_721, 15),
    "v6_17_locked": ("holds", None, 27_656, 74_053, 24),
    "umount_twice_without_recheck": ("assertion", 5, 1_468, 3_644, 5),
    "nested_detached": ("violation", 3, 85, 133, 3),
    "clone_of_clone": ("violation", 2, 18, 32, 2),
    # proved by induction (engine prove): no states, a 1-step induction
    "v5_2_proved": PROVED,
    "v5_2_4_proved": PROVED,
    "v5_2_tasks_proved": PROVED,
    "v5_2_0_proved": PROVED,
    "v5_2_0_4_proved": PROVED,
    "v5_2_0_locked_proved": PROVED,
    "v5_2_pipefs_proved": PROVED,
    "both_fixes_proved": PROVED,
    "both_fixes_4_proved": PROVED,
    "both_fixes_pipefs_proved": PROVED,
    "both_fixes_tasks_proved": PROVED,
    "v6_15_proved": PROVED,
    "v6_15_locked_proved": PROVED,
    "v6_17_proved": PROVED,
    "v6_17_4_proved": PROVED,
    "v6_17_tasks_proved": PROVED,
    "v6_17_pipefs_proved": PROVED,
    "v6_17_locked_proved": PROVED,
    # the largest instance the symmetry reduction affords in CI
    "v6_17_files3": ("holds", None, 4_734_934, 19_660_959, 24),
}


report, test_every_check_is_pinned, test_check_outcome_and_figures = pinned_suite(SPEC, PINNED)


def test_fixed_eras_cover_every_syscall(report: dict[str, Any]) -> None:
    """A `holds` is only worth something if the actions fire: at the larger size every
    action does, except those that cannot by construction (one task: no fd passing; no
    fs_pin from 5.3, no `unmounted` list before; no pipe without pipefs; with 3 mounts, no
    recursive clone, and before 6.15 no mount off the namespace with a parent, so no
    rmdir)."""
    never = {name: sorted(a["action"] for a in report[name]["coverage"] if a["fired"] == 0)
             for name in ("v5_2_4", "v6_17_4", "v6_17_tasks", "both_fixes_4",
                          "both_fixes_tasks")}
    assert never == {"v5_2_4": ["pass_fd", "pin_kill", "pipe"],
                     "v6_17_4": ["pass_fd", "pin_kill", "pipe"],
                     "v6_17_tasks": ["open_tree_clone_recursive", "pin_kill", "pipe"],
                     "both_fixes_4": ["drop_ref", "pass_fd", "pipe"],
                     "both_fixes_tasks": ["drop_ref", "open_tree_clone_recursive", "pipe",
                                          "rmdir"]}


def test_both_fixes_have_the_state_graph_of_5_2_0(report: dict[str, Any]) -> None:
    """The 2018 patch set with both fixes from the thread explores exactly like 5.2.0 (same
    guards' effect, fs_pin in both): the merged design is those two fixes."""
    a, b = report["both_fixes"], report["v5_2_0"]
    assert a["figures"]["distinct"] == b["figures"]["distinct"]
    assert a["figures"]["generated"] == b["figures"]["generated"]
    fired = {x["action"]: x["fired"] for x in a["coverage"]}
    assert fired == {x["action"]: x["fired"] for x in b["coverage"]}


# ---------------------------------------------------------------------------------------
# (b) the reported sequences


def actions(report: dict[str, Any], name: str) -> list[str]:
    return [s["action"] for s in report[name]["trace"]["steps"]]


def test_close_then_mount_is_alans_first_reproducer(report: dict[str, Any]) -> None:
    # open_tree_clone 3</mnt; cd /proc/self/fd/3; exec 3<&-; mount --move . /mnt
    assert actions(report, "close_then_mount") == [
        "open_tree_clone", "fchdir", "close", "pin_kill", "fput_mntput", "move_mount_cwd"]
    # ... then umount: the removed pin is linked again and pin_kill spins
    assert actions(report, "close_then_mount_lockup") == [
        "open_tree_clone", "fchdir", "close", "pin_kill", "fput_mntput", "move_mount_cwd",
        "umount", "do_umount", "pin_kill"]
    assert report["close_then_mount_lockup"]["trace"]["failing_step"] is True


def test_mount_then_close_is_alans_second_reproducer(report: dict[str, Any]) -> None:
    # open_tree_clone 3</mnt; mount --move (from the fd); umount -l /mnt; exec 3<&-
    assert actions(report, "mount_then_close_lockup") == [
        "open_tree_clone", "move_mount", "umount_lazy", "do_umount", "pin_kill", "umount_put",
        "close", "pin_kill"]
    assert actions(report, "mount_then_close") == actions(report, "mount_then_close_lockup")[:7]
    assert report["mount_then_close"]["outcome"]["assertion"] == "I_T2_5"


def test_the_lockups_spin_for_ever(report: dict[str, Any]) -> None:
    """L2: with the kernel's pin_kill (`spin`), each reproducer ends where the lockup check
    fails, one step earlier: from there on, pin_kill on the removed pin leaves the state as
    it is, for ever, though the task runs on (pin_kill is weakly fair)."""
    for lockup, spins in (("close_then_mount_lockup", "close_then_mount_spins"),
                          ("mount_then_close_lockup", "mount_then_close_spins")):
        c = report[spins]
        assert actions(report, spins) == actions(report, lockup)[:-1]
        assert c["trace"]["loop"] == len(c["trace"]["steps"])
        assert "pin_kill(t = t1, m = m2) leaves it as it is" in c["outcome"]["message"]
        assert "no symmetry for File" in c["figures"]["symmetry"]
    # the fixed eras end, with the same graph (as without `spin`)
    same = ("distinct", "generated", "depth", "liveness")
    assert [report["both_fixes_ends"]["figures"][k] for k in same] == [
        report["v5_2_0_ends"]["figures"][k] for k in same]


def test_syzbot_internal_mount(report: dict[str, Any]) -> None:
    # pipe(); move_mount(pipe_fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH)
    assert actions(report, "syzbot_internal") == ["pipe", "move_mount"]
    assert report["syzbot_internal"]["outcome"]["assertion"] == "internal_deref"


def test_each_fix_alone_leaves_a_lockup(report: dict[str, Any]) -> None:
    assert actions(report, "move_fix_alone") == actions(report, "mount_then_close_lockup")
    assert actions(report, "dissolve_fix_alone") == actions(report, "close_then_mount_lockup")


def test_reattach_needs_no_detached_tree(report: dict[str, Any]) -> None:
    # mount; cd m2; umount -l m2; mount --move . /
    assert actions(report, "reattach_lazy") == [
        "mount", "chdir", "umount_lazy", "do_umount", "pin_kill", "umount_put",
        "move_mount_cwd"]


def test_umount_rechecks_under_the_lock(report: dict[str, Any]) -> None:
    """Two lazy umount2 calls on one mount, both looked up before either locks: without
    do_umount's test the second unmounts it again; with it every two-task check holds."""
    assert actions(report, "umount_twice_without_recheck") == [
        "mount", "umount_lazy", "umount_lazy", "do_umount", "do_umount"]
    steps = report["umount_twice_without_recheck"]["trace"]["steps"]
    assert [s["params"]["t"] for s in steps[1:]] == ["t1", "t2", "t1", "t2"]
    for name in ("v5_2_tasks", "both_fixes_tasks", "v6_17_tasks"):
        assert report[name]["outcome"]["kind"] == "holds"
        reached = {c["cover"]: c["steps"] for c in report[name]["covers"]}
        assert reached["umount_raced"] is not None


# ---------------------------------------------------------------------------------------
# (c) the model's 6.17 era against the 6.18 kernel

@cache
def interp(era: str = "V6_17") -> Interp:
    """The interpreter of the era with four mounts (built once, when a test first needs it)."""
    index = {"V5_2": 1, "V6_17": 3}[era]
    return Interp(loaded(SPEC).model({"era": Atom("Era", index, era), "M": 4}))


TAILS = ("do_umount", "umount_put", "pin_kill", "drop_ref", "fput_mntput", "cleanup_mnt")


def _val(sort: str, name: str) -> Atom:
    return Atom(sort, int(name[1:]) - 1, name)


def _binding(it: Interp, action: str, args: str) -> tuple[tuple[str, Any], ...]:
    act = next(a for a in it.model.actions if a.name == action)
    sorts = {"t": "Task", "m": "Mount", "f": "File"}
    vals = [_val(sorts[x[0]], x) for x in args.split()]
    return tuple((b.name, v) for b, v in zip(act.params, vals, strict=True))


def _settle(it: Interp, state: tuple) -> tuple:
    """Run the deferred tails (namespace_unlock, __fput's mntput, cleanup_mnt) to the end,
    as the kernel does before the syscall returns."""
    while True:
        for label, nxt in it.successors(state):
            if label[0] in TAILS:
                state = nxt
                break
        else:
            return state


def run(script: list[str], era: str = "V6_17") -> tuple[tuple, bool]:
    """Apply `action args` lines; the last one is only tried. Returns (state before the
    last line, whether the call succeeds): its action is enabled, and for umount2, whose
    lookup is an action of its own, do_umount then unmounts the mount (not EBUSY)."""
    it = interp(era)
    (state,) = it.initial_states()
    for line in script[:-1]:
        action, _, args = line.partition(" ")
        nxt = it.action_successors(state, action, _binding(it, action, args))
        assert nxt, f"{line} is disabled"
        state = _settle(it, nxt[0])
    action, _, args = script[-1].partition(" ")
    nxt = it.action_successors(state, action, _binding(it, action, args))
    if nxt and action in ("umount", "umount_lazy"):
        m = _val("Mount", args.split()[1])
        after = it.state_dict(_settle(it, nxt[0]))
        return state, not after["live"][m] or "UMOUNT" in {f.name for f in after["flags"][m]}
    return state, bool(nxt)


CLONE1 = "open_tree_clone t1 m1 m2 f1"
CLONE2 = "open_tree_clone t1 m1 m3 f2"

# scenario of tests/kernel/detached_trees_6.18.md -> (model script, kernel call succeeded)
KERNEL = {
    "A close-then-mount: move_mount . -> EINVAL":
        ([CLONE1, "fchdir t1 f1", "close t1 f1", "move_mount_cwd t1 m1"], False),
    "B mount-then-close: move_mount fd -> 0":
        ([CLONE1, "fchdir t1 f1", "move_mount t1 f1 m1"], True),
    "B ... umount2(MNT_DETACH) -> 0":
        ([CLONE1, "fchdir t1 f1", "move_mount t1 f1 m1", "chdir t1 m1", "umount_lazy t1 m2"],
         True),
    "B ... close -> 0":
        ([CLONE1, "fchdir t1 f1", "move_mount t1 f1 m1", "chdir t1 m1", "umount_lazy t1 m2",
          "close t1 f1"], True),
    "C lazily unmounted cwd: move_mount . -> EINVAL":
        (["mount t1 m1 m2", "chdir t1 m2", "umount_lazy t1 m2", "move_mount_cwd t1 m1"], False),
    "D detached onto detached -> 0":
        ([CLONE1, CLONE2, "move_mount t1 f1 m3"], True),
    "D ... then the outer tree attached -> 0":
        ([CLONE1, CLONE2, "move_mount t1 f1 m3", "close t1 f1", "move_mount t1 f2 m1"], True),
    "D2 into its own anonymous namespace -> EINVAL":
        ([CLONE1, "move_mount t1 f1 m2"], False),
    "E clone of a clone -> fd":
        ([CLONE1, "open_tree_clone t1 m2 m3 f2"], True),
    "F busy umount -> EBUSY":
        (["mount t1 m1 m2", "open_tree t1 m2 f1", "umount t1 m2"], False),
    "F ... after close -> 0":
        (["mount t1 m1 m2", "open_tree t1 m2 f1", "close t1 f1", "umount t1 m2"], True),
    "G attached clone moved again -> 0":
        ([CLONE1, "move_mount t1 f1 m1", "move_mount t1 f1 m1"], True),
    "H second fd after the dissolve: move_mount -> EINVAL":
        ([CLONE1, "openat t1 f1 f2", "close t1 f1", "move_mount t1 f2 m1"], False),
    "H ... fchdir into the dissolved tree -> 0":
        ([CLONE1, "openat t1 f1 f2", "close t1 f1", "fchdir t1 f2"], True),
    "H0 second fd, first still open -> 0":
        ([CLONE1, "openat t1 f1 f2", "move_mount t1 f2 m1"], True),
    "I onto a lazily unmounted tree -> ENOENT":
        (["mount t1 m1 m2", "open_tree t1 m2 f1", "umount_lazy t1 m2",
          "open_tree_clone t1 m1 m3 f2", "move_mount t1 f2 m2"], False),
    "I0 same without the umount -> 0":
        (["mount t1 m1 m2", "open_tree t1 m2 f1", "open_tree_clone t1 m1 m3 f2",
          "move_mount t1 f2 m2"], True),
    "J rmdir of a mountpoint inside a detached tree -> 0":
        ([CLONE1, CLONE2, "move_mount t1 f1 m3", "rmdir t1 m2"], True),
    "J ... the inner tree's fd can no longer attach it -> EINVAL":
        ([CLONE1, CLONE2, "move_mount t1 f1 m3", "rmdir t1 m2", "move_mount t1 f1 m1"], False),
    "J ... the outer tree attaches -> 0":
        ([CLONE1, CLONE2, "move_mount t1 f1 m3", "rmdir t1 m2", "close t1 f1",
          "move_mount t1 f2 m1"], True),
    "J0 rmdir of a mountpoint in the caller's namespace -> EBUSY":
        (["mount t1 m1 m2", "rmdir t1 m2"], False),
}


@pytest.mark.parametrize("scenario", list(KERNEL))
def test_v6_17_does_what_the_6_18_kernel_did(scenario: str) -> None:
    script, succeeded = KERNEL[scenario]
    _, enabled = run(script)
    assert enabled == succeeded


def test_v5_2_refuses_only_what_6_15_added() -> None:
    """The same scenarios in the V5_2 era: detached trees meeting each other (D, E) are
    refused there (D's follow-up never gets that far); every other call behaves as on
    6.18."""
    differ = set()
    for name, (script, ok) in KERNEL.items():
        try:
            if run(script, "V5_2")[1] != ok:
                differ.add(name)
        except AssertionError:  # an earlier call of the script is refused
            differ.add(name + " (earlier call refused)")
    assert differ == {"D detached onto detached -> 0", "E clone of a clone -> fd",
                      "D ... then the outer tree attached -> 0 (earlier call refused)",
                      "J rmdir of a mountpoint inside a detached tree -> 0 (earlier call refused)",
                      "J ... the inner tree's fd can no longer attach it -> EINVAL"
                      " (earlier call refused)",
                      "J ... the outer tree attaches -> 0 (earlier call refused)"}


def test_rmdir_reaches_more_than_the_kernel_where_dentries_are_shared() -> None:
    """Scenario K, the documented superset: the dissolved copy of a tree keeps its child
    connected, on the same dentry as the original child, still a mountpoint in the caller's
    namespace. The kernel says EBUSY (is_local_mountpoint); the model, which does not track
    dentries, lets rmdir take the child off. More behaviours than the kernel's: a `holds`
    stays sound."""
    script = ["mount t1 m1 m2", "open_tree_clone_recursive t1 m1 m2 m3 m4 f1", "fchdir t1 f1",
              "close t1 f1", "rmdir t1 m4"]
    assert run(script)[1] is True


def test_kernel_effects_after_the_calls() -> None:
    """B: after the close nothing is left of the clone. D: closing the inner fd left the
    inner tree mounted inside the outer one (no dissolve of a non-root)."""
    it = interp()
    (s0,) = it.initial_states()
    state, _ = run([CLONE1, "fchdir t1 f1", "move_mount t1 f1 m1", "chdir t1 m1",
                    "umount_lazy t1 m2", "close t1 f1", "chdir t1 m1"])
    assert it.state_dict(state) == it.state_dict(s0)
    state, _ = run([CLONE1, CLONE2, "move_mount t1 f1 m3", "close t1 f1", "chdir t1 m1"])
    d = it.state_dict(state)
    m2, m3 = _val("Mount", "m2"), _val("Mount", "m3")
    assert d["live"][m2] and d["par"][m2] == m3 and d["anon"][m2] == m3
    # J: rmdir took the inner tree off (unmounted, cut), the outer one is still a detached root
    state, _ = run([CLONE1, CLONE2, "move_mount t1 f1 m3", "rmdir t1 m2", "chdir t1 m1"])
    d = it.state_dict(state)
    assert d["par"][m2] is None and "UMOUNT" in {f.name for f in d["flags"][m2]}
    assert d["anon"][m3] == m3 and d["par"][m3] is None


def test_the_deadlock_check_sees_a_task_stuck_in_the_kernel(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With one task, a state without successors is that task stuck inside a call (its next
    call waits for its kernel work), so the deadlock check of the one-task checks is not
    vacuous: a do_umount that never takes a lazy umount2 further is reported as a deadlock,
    right after the lookup."""
    text = SPEC.read_text()
    guard = "fair action do_umount(t in Task) when (ucall[t] == PLAIN or ucall[t] == DETACH)"
    assert text.count(guard) == 1
    mutant = tmp_path / "detached_trees.mnt"
    mutant.write_text(text.replace(guard, "fair action do_umount(t in Task) when (ucall[t] == PLAIN)"))
    main([str(mutant), "--check", "v6_17", "--format", "json"])
    (check,) = json.loads(capsys.readouterr().out)["checks"]
    assert check["outcome"]["kind"] == "deadlock"
    assert [s["action"] for s in check["trace"]["steps"]] == ["mount", "umount_lazy"]


# ---------------------------------------------------------------------------------------
# (d) both engines, every state of a small instance


@pytest.mark.parametrize("era, extra", [
    ("V2018", {}),
    ("V2018", {"fix_move": True, "fix_dissolve": True}),
    ("V5_2", {"pins_5_2": True}),
    ("V5_2", {"locked": True, "M": 4}),
    ("V6_15", {}),
    ("V6_17", {"T": 2, "F": 1}),
    ("V5_2", {"pipefs": True, "syzbot_fix": False}),
])
def test_engines_agree(era: str, extra: dict[str, Any]) -> None:
    """The first 300 states the interpreter reaches breadth first, compared action by
    action with the generated code (successors, and the faults of the buggy era)."""
    index = {"V2018": 0, "V5_2": 1, "V6_15": 2, "V6_17": 3}[era]
    agree_on_first_states(loaded(SPEC).model({"era": Atom("Era", index, era), **extra}))


SHELL = {"Step 1:": "# open_tree_clone 3</mnt 3 sh", "Step 2:": "# cd /proc/self/fd/3",
         "Step 3:": "# exec 3<&-", "Step 6:": "# mount --move . /mnt"}
PROMPT = "$ explore specs/detached_trees.mnt --check close_then_mount"


WALKTHROUGH = walkthrough(
    "      ... (m1 is the root mount, /; m2 and m3 are free; t1's cwd is m1)", SHELL)


def test_readme_walkthrough_is_what_explore_prints() -> None:
    """The README's close-then-mount block is exactly what `explore --check
    close_then_mount` prints (initial state elided, shell commands added). UPDATE_GOLDEN=1
    rewrites it."""
    readme_block(SPEC.parent.parent, PROMPT,
                 ["specs/detached_trees.mnt", "--check", "close_then_mount"], WALKTHROUGH)
