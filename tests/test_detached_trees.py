"""specs/detached_trees.mnt: the pinned outcome of every check, the counterexamples the
README walks through, and the model's 6.16 era against what a real 6.18 kernel does.

(a) One run of `explore` over the whole file (JSON report): every check passes, and its
    figures (distinct, generated, depth) and counterexample length are pinned. A change in
    the spec or the engine that moves a number must be looked at, and the pin updated.
(b) The counterexamples of the 2018 reports, action by action.
(c) The shell scenarios of tests/kernel/detached_trees_kernel.py, run on a 6.18.44 kernel
    inside a private mount namespace (results in tests/kernel/detached_trees_6.18.md), are
    replayed through the interpreter in the V6_16 era. Where the kernel call failed, the
    model's action must be disabled; where it succeeded, enabled, with the effect the kernel
    showed.
(d) Interpreter and generated code agree, action by action, on the first states of an
    instance of each era.
"""

from __future__ import annotations

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

from explorer.interp import Interp
from explorer.values import Atom

SPEC = Path(__file__).resolve().parent.parent / "specs" / "detached_trees.mnt"

# check -> (outcome, K or None, distinct, generated, depth). A violation's figures are
# those of the search up to the state where BFS met it. Tasks and files are symmetric sets:
# the figures count states up to renaming them (one per orbit).
PINNED: dict[str, Pin] = {
    "reattach_lazy": ("violation", 5, 453, 1_065, 5),
    "close_then_mount": ("violation", 6, 614, 2_161, 6),
    "close_then_mount_lockup": ("assertion", 8, 926, 3_285, 8),
    "mount_then_close": ("assertion", 5, 624, 1_573, 5),
    "mount_then_close_lockup": ("assertion", 6, 1_075, 2_918, 6),
    # L2 (liveness, on the full graph: no symmetry): the lockups as lassos that spin
    "close_then_mount_spins": ("liveness", 7, 3_843, 15_344, 16),
    "mount_then_close_spins": ("liveness", 5, 7_771, 28_184, 14),
    "move_fix_alone": ("assertion", 6, 1_041, 2_859, 6),
    "dissolve_fix_alone": ("assertion", 7, 1_345, 3_765, 7),
    "both_fixes_ends": ("holds", None, 2_812, 9_139, 10),
    "v5_2_0_ends": ("holds", None, 2_812, 9_139, 10),
    "both_fixes": ("holds", None, 1_554, 5_041, 10),
    "both_fixes_4": ("holds", None, 27_208, 94_027, 20),
    "both_fixes_pipefs": ("holds", None, 2_179, 6_801, 10),
    "both_fixes_tasks": ("holds", None, 10_186, 42_558, 17),
    "mntget_leak": ("violation", 2, 19, 31, 2),
    "v5_2": ("holds", None, 1_269, 4_699, 10),
    "v5_2_4": ("holds", None, 16_561, 77_449, 20),
    "v5_2_tasks": ("holds", None, 7_308, 34_766, 16),
    "v5_2_0": ("holds", None, 1_554, 5_041, 10),
    "v5_2_0_4": ("holds", None, 27_208, 94_027, 20),
    "v5_2_0_locked": ("holds", None, 7_313, 28_090, 17),
    "v5_2_pipefs": ("holds", None, 1_789, 6_333, 10),
    "syzbot_internal": ("assertion", 2, 19, 34, 2),
    # 6.15 with its mnt_has_parent return: the 6.16 model's figures exactly
    "v6_15_dissolve": ("holds", None, 2_978, 10_597, 13),
    "v6_15_rest": ("holds", None, 2_978, 10_597, 13),
    "v6_16": ("holds", None, 2_978, 10_597, 13),
    "v6_16_4": ("holds", None, 43_790, 184_237, 23),
    "v6_16_tasks": ("holds", None, 163_006, 928_721, 19),
    "v6_16_pipefs": ("holds", None, 4_178, 14_233, 13),
    "v6_16_locked": ("holds", None, 11_762, 54_251, 26),
    "nested_detached": ("violation", 3, 74, 129, 3),
    "clone_of_clone": ("violation", 2, 17, 32, 2),
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
    "v6_15_rest_proved": PROVED,
    "v6_16_proved": PROVED,
    "v6_16_4_proved": PROVED,
    "v6_16_tasks_proved": PROVED,
    "v6_16_pipefs_proved": PROVED,
    "v6_16_locked_proved": PROVED,
    # larger instances the symmetry reduction affords (9,366,256 states unreduced for files3)
    "v6_16_files3": ("holds", None, 893_442, 6_122_795, 21),
}


report, test_every_check_is_pinned, test_check_outcome_and_figures = pinned_suite(SPEC, PINNED)


def test_fixed_eras_cover_every_syscall(report: dict[str, Any]) -> None:
    """A `holds` is only worth something if the actions fire: at the larger size every
    action does, except those that cannot by construction (one task: no fd passing; no
    fs_pin from 5.3; no pipe without pipefs; one file: no second open)."""
    never = {name: sorted(a["action"] for a in report[name]["coverage"] if a["fired"] == 0)
             for name in ("v5_2_4", "v6_16_4", "v6_16_tasks", "both_fixes_4",
                          "both_fixes_tasks")}
    assert never == {"v5_2_4": ["pass_fd", "pin_kill", "pipe"],
                     "v6_16_4": ["pass_fd", "pin_kill", "pipe"],
                     "v6_16_tasks": ["open_tree_clone_recursive", "pin_kill", "pipe"],
                     "both_fixes_4": ["drop_ref", "pass_fd", "pipe"],
                     "both_fixes_tasks": ["drop_ref", "open_tree_clone_recursive", "openat",
                                          "pipe"]}


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
        "umount", "pin_kill"]
    assert report["close_then_mount_lockup"]["trace"]["failing_step"] is True


def test_mount_then_close_is_alans_second_reproducer(report: dict[str, Any]) -> None:
    # open_tree_clone 3</mnt; mount --move (from the fd); umount -l /mnt; exec 3<&-
    assert actions(report, "mount_then_close_lockup") == [
        "open_tree_clone", "move_mount", "umount_lazy", "pin_kill", "close", "pin_kill"]
    assert actions(report, "mount_then_close") == actions(report, "mount_then_close_lockup")[:5]
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
    assert actions(report, "dissolve_fix_alone") == [
        "mount", "open_tree", "umount_lazy", "pin_kill", "move_mount", "umount", "pin_kill"]


# ---------------------------------------------------------------------------------------
# (c) the model's 6.16 era against the 6.18 kernel

@cache
def interp(era: str = "V6_16") -> Interp:
    """The interpreter of the era with four mounts (built once, when a test first needs it)."""
    index = {"V5_2": 1, "V6_16": 3}[era]
    return Interp(loaded(SPEC).model({"era": Atom("Era", index, era), "M": 4}))


TAILS = ("pin_kill", "drop_ref", "fput_mntput", "cleanup_mnt")


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


def run(script: list[str], era: str = "V6_16") -> tuple[tuple, bool]:
    """Apply `action args` lines; the last one is only tried. Returns (state before the
    last line, whether its action is enabled)."""
    it = interp(era)
    (state,) = it.initial_states()
    for line in script[:-1]:
        action, _, args = line.partition(" ")
        nxt = it.action_successors(state, action, _binding(it, action, args))
        assert nxt, f"{line} is disabled"
        state = _settle(it, nxt[0])
    action, _, args = script[-1].partition(" ")
    return state, bool(it.action_successors(state, action, _binding(it, action, args)))


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
}


@pytest.mark.parametrize("scenario", list(KERNEL))
def test_v6_16_does_what_the_6_18_kernel_did(scenario: str) -> None:
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
                      "D ... then the outer tree attached -> 0 (earlier call refused)"}


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


# ---------------------------------------------------------------------------------------
# (d) both engines, every state of a small instance


@pytest.mark.parametrize("era, extra", [
    ("V2018", {}),
    ("V2018", {"fix_move": True, "fix_dissolve": True}),
    ("V5_2", {"pins_5_2": True}),
    ("V5_2", {"locked": True, "M": 4}),
    ("V6_15", {}),
    ("V6_16", {"T": 2, "F": 1}),
    ("V5_2", {"pipefs": True, "syzbot_fix": False}),
])
def test_engines_agree(era: str, extra: dict[str, Any]) -> None:
    """The first 300 states the interpreter reaches breadth first, compared action by
    action with the generated code (successors, and the faults of the buggy era)."""
    index = {"V2018": 0, "V5_2": 1, "V6_15": 2, "V6_16": 3}[era]
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
