"""specs/listmount.mnt: the pinned outcome of every check, the counterexamples in kernel
terms, a state count derived by hand, and engine agreement.

(a) One run of `explore` over the whole file: every check passes, figures pinned.
(b) The three counterexamples, step by step.
(c) A configuration small enough to count by hand, whose covers say what it cannot reach.
(d) Interpreter and generated code agree on the first states of each design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loaded import loaded
from showcase import Pin, agree_on_first_states, never_fired, pinned_suite

from explorer.explicit.run import check_model
from explorer.values import Atom

SPEC = Path(__file__).resolve().parent.parent / "specs" / "listmount.mnt"
DESIGNS = ["UID", "POS", "MNTID"]

PINNED: dict[str, Pin] = {
    "uid": ("holds", None, 502, 2_202, 10),
    "uid_reverse": ("holds", None, 412, 1_639, 10),
    "uid_pages": ("holds", None, 584, 2_939, 7),
    "uid_attach_later": ("holds", None, 1_139, 5_202, 13),
    "pos_skips": ("violation", 4, 62, 94, 4),
    "pos_reverse_dup": ("violation", 3, 23, 33, 3),
    "mntid_statmount": ("assertion", 5, 140, 250, 5),
    "mntid_lists": ("holds", None, 484, 2_090, 10),
}

report, test_every_check_is_pinned, test_check_outcome_and_figures = pinned_suite(SPEC, PINNED)


def actions(report: dict[str, Any], name: str) -> list[str]:
    return [s["action"] for s in report[name]["trace"]["steps"]]


def test_the_kernels_design_reaches_every_witness(report: dict[str, Any]) -> None:
    """The UID walks hold with writers busy around them: mounts unmounted and mounted
    mid-walk, the walk's end, statmount of every kind of id (only the recycled mnt_id is
    left out, which UID never shows)."""
    for name in ("uid", "uid_reverse", "uid_pages"):
        reached = {c["cover"]: c["steps"] for c in report[name]["covers"]}
        assert set(reached) == {"unmounted_mid_walk", "mounted_mid_walk", "walk_done"}
        assert all(v is not None for v in reached.values())
        assert never_fired(report[name]) == ["alloc", "attach"]


def test_paging_by_position_skips_and_repeats(report: dict[str, Any]) -> None:
    # the root and mount 2; umount 2; the next page starts past mount 3
    assert actions(report, "pos_skips") == ["listmount", "listmount", "umount", "listmount"]
    # reversed: mount 3; a new mount above it; position 1 is mount 3 again
    assert actions(report, "pos_reverse_dup") == ["listmount", "mount", "listmount"]


def test_a_recycled_mnt_id_names_another_mount(report: dict[str, Any]) -> None:
    assert actions(report, "mntid_statmount") == [
        "listmount", "listmount", "umount", "mount", "statmount"]
    assert report["mntid_statmount"]["trace"]["steps"][-1]["params"] == {"i": "2"}


def test_one_mount_one_writer_step_by_hand() -> None:
    """N0 = 1, W = 1, UID: the writer can only mount m2 once, before the first call, between
    the two calls, or after the walk ended; m2 is owed only if mounted before the first call.
    States: the start, the start with m2, after one call with m2 mounted before it (owed) or
    not mounted (then mounted: not owed), the end without m2, the end with m2 mounted after
    it, after the second call in the two m2 histories, and their ends: 11. Generated: the
    initial state, 2 + 3 + 1 + 2 + 2 + 2 + 3 + 3 + 1 + 2 + 2 successors (listmount, mount
    and each statmount of an id got): 24. Depth: mount, three calls: 4. No mount but the root
    is ever unmounted, so the cover says so."""
    r = check_model(loaded(SPEC).model({"N0": 1, "W": 1}), progress=None)
    assert r.outcome.kind == "holds"
    assert (r.figures.distinct, r.figures.generated, r.figures.depth) == (11, 24, 4)
    assert [c.name for c in r.covers if c.steps is None] == ["unmounted_mid_walk",
                                                            "mnt_id_reused"]


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("extra", [{}, {"reverse": True, "attach_later": True}])
def test_engines_agree(design: str, extra: dict[str, Any]) -> None:
    agree_on_first_states(loaded(SPEC).model(
        {"design": Atom("Design", DESIGNS.index(design), design), **extra}))


def test_the_6_18_kernel_behaved_as_uid() -> None:
    """tests/kernel/listmount_kernel.py ran on this VM's 6.18 kernel (results committed in
    listmount_6.18.md): paging forwards and reversed returned every mount present
    throughout once, and statmount of a listed unique id whose mount went was ENOENT,
    though a new mount had taken its 32-bit mnt_id."""
    text = (SPEC.parent.parent / "tests" / "kernel" / "listmount_6.18.md").read_text()
    rows = [r for r in text.splitlines() if r.startswith("| L")]
    assert [r.split("|")[1].strip() for r in rows] == ["L1", "L2", "L3", "L3"]
    assert all(r.rstrip().endswith("| yes |") for r in rows)
