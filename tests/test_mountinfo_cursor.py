"""specs/mountinfo_cursor.mnt: the pinned outcome of every check, the counterexamples in
kernel terms, a state count derived by hand, engine agreement, and the README blocks.

(a) One run of `explore` over the whole file (JSON report): every check passes, and its
    figures (distinct, generated, depth) and counterexample length are pinned.
(b) The counterexamples of B1, B3, B4 and the backports, step by step.
(c) A configuration small enough to count by hand.
(d) Interpreter and generated code agree, action by action, on the first states of each
    iterator on each driver.
(e) The README's two walkthroughs are what `explore` prints.
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
from explorer.values import Atom

SPEC = Path(__file__).resolve().parent.parent / "specs" / "mountinfo_cursor.mnt"
VARIANTS = ["V0", "V1", "V1P", "V2", "V3"]

# check -> (outcome, K or None, distinct, generated, depth). A violation's figures are
# those of the search up to the state where BFS met it.
PINNED: dict[str, Pin] = {
    "v0_skip": ("violation", 4, 135, 218, 4),
    "v0_skip_old": ("violation", 4, 135, 218, 4),
    "v1": ("holds", None, 18_251, 50_963, 12),
    "v1_4": ("holds", None, 15_865, 60_265, 12),
    "v1_old": ("violation", 2, 8, 16, 2),
    "v1_old_big_reads": ("holds", None, 1_772, 3_362, 7),
    "v1_old_big_reads_long_line": ("violation", 4, 417, 522, 4),
    "v1p_posted": ("violation", 3, 39, 60, 3),
    "v1p_posted_growth": ("violation", 6, 4_280, 9_428, 6),
    "v1p_posted_big_reads": ("holds", None, 1_772, 3_362, 7),
    "v1p_posted_big_reads_long_line": ("violation", 7, 8_093, 14_496, 7),
    "v1p": ("holds", None, 16_552, 49_128, 12),
    "v1p_reuse": ("violation", 8, 6_630, 19_435, 8),
    "v1p_reuse_stable": ("holds", None, 14_862, 50_714, 11),
    "v1p_reuse_id": ("violation", 8, 6_648, 19_461, 8),
    "v2_position": ("assertion", 3, 34, 50, 3),
    "v2_dup": ("violation", 4, 160, 252, 4),
    "v3": ("holds", None, 21_874, 52_173, 12),
    "v3_4": ("holds", None, 10_981, 34_647, 12),
    "v3_attach_later": ("violation", 9, 12_992, 30_466, 9),
    "v3_attach_later_all_along": ("holds", None, 49_888, 161_484, 14),
    "forgetful_walker": ("assertion", 2, 6, 15, 1),
    "forgetful_first_old": ("violation", 1, 2, 8, 1),
    "forgetful_first": ("holds", None, 4_120, 12_522, 11),
    # the patch's conversion of the VZ sync walker (a lasso: it spins on mount 2)
    "sync_walker_spins": ("liveness", 7, 19_950, 71_020, 15),
    "sync_walker_fixed": ("holds", None, 25_210, 89_674, 18),
    "eof_v0": ("violation", 6, 877, 1_783, 6),
    "eof_v0_once": ("holds", None, 5_281, 15_911, 11),
    "eof_v1": ("holds", None, 4_120, 15_300, 11),
    "eof_v2": ("violation", 7, 3_455, 7_551, 7),
    "eof_v3": ("violation", 6, 931, 1_927, 6),
    "eof_v3_once": ("holds", None, 7_532, 23_102, 11),
    # proved by induction (engine prove): no states, a 1-step induction
    "v1_proved": PROVED,
    "v1_4_proved": PROVED,
    "v3_proved": PROVED,
    "v3_4_proved": PROVED,
    # L1, one-byte reads until EOF (liveness: the whole graph; a lasso's K counts its
    # prefix and its cycle, here none: the reader's state stays as it is)
    "v1_old_dd": ("liveness", 2, 662, 1_815, 5),
    "v1p_posted_dd": ("liveness", 3, 1_653, 4_253, 13),
    "v1p_dd": ("holds", None, 7_936, 16_753, 14),
    "v1_old_big_dd": ("holds", None, 529, 1_075, 7),
    "v1_dd": ("holds", None, 8_722, 14_956, 14),
    "v2_dd": ("holds", None, 5_968, 8_255, 14),
    "v3_dd": ("holds", None, 8_232, 11_288, 14),
}


report, test_every_check_is_pinned, test_check_outcome_and_figures = pinned_suite(SPEC, PINNED)


def test_holding_checks_fire_their_actions(report: dict[str, Any]) -> None:
    """A `holds` is worth something only if the writers, the walkers, the buffer's regrowth
    and the close fire. alloc and attach only with attach_later on V2/V3 (where `mount`
    never does), the sync walker's steps only with sync_walker, walk_list never on V3 (no
    cursor)."""
    sync = ["sync_end", "sync_start", "sync_step"]  # only with sync_walker
    assert never_fired(report["v1"]) == ["alloc", "attach", *sync]
    assert never_fired(report["v1p"]) == ["alloc", "attach", *sync]
    assert never_fired(report["v3"]) == ["alloc", "attach", *sync, "walk_list"]
    assert never_fired(report["v1p_reuse_stable"]) == ["alloc", "attach", "close", *sync]
    assert never_fired(report["v3_attach_later_all_along"]) == [
        "close", "mount", *sync, "walk_list"]
    assert never_fired(report["sync_walker_fixed"]) == ["alloc", "attach", "close",
                                                        "elsewhere_mount"]


def test_v1p_skip_never_fires_with_big_reads(report: dict[str, Any]) -> None:
    """With reads that hold the whole kernel buffer, the posted V1P explores exactly like
    V1: every read() calls m_next, so the guard in m_start is never true."""
    a, b = report["v1p_posted_big_reads"], report["v1_old_big_reads"]
    assert a["figures"]["distinct"] == b["figures"]["distinct"]
    assert a["figures"]["generated"] == b["figures"]["generated"]


# ---------------------------------------------------------------------------------------
# (b) the counterexamples


def steps(report: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    """The trace's actions with their (integer) parameters."""
    return [(s["action"], {k: int(v) for k, v in s["params"].items()})
            for s in report[name]["trace"]["steps"]]


def parse(text: str) -> Any:
    """A printed value of this spec: an integer, a boolean, none, a set of integers (a
    sorted list) or a function from integers to integers (a dict)."""
    if text in ("true", "false"):
        return text == "true"
    if text == "none":
        return None
    if not text.startswith("{"):
        return int(text)
    items = [x.strip() for x in text[1:-1].split(",") if x.strip()]
    if items and ":" in items[0]:
        return {int(k): int(v) for k, v in (x.split(":") for x in items)}
    return [int(x) for x in items]


def final(report: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: parse(v) for k, v in report[name]["trace"]["states"][-1].items()}


def test_dd_bs_1_never_ends_on_the_backports(report: dict[str, Any]) -> None:
    """L1: on the naive backport and the posted V1P patch, every read(1) from some point on
    shows the same mount again and changes nothing else: the lasso stays in its last
    state, read(n = 1) leaving it as it is, and EOF never comes."""
    for name, again in (("v1_old_dd", 0), ("v1p_posted_dd", 1)):
        c = report[name]
        t = c["trace"]
        assert t["loop"] == len(t["states"]) - 1 == c["outcome"]["steps"]
        assert all(s["action"] == "read" for s in t["steps"])
        assert "read(n = 1)" in c["outcome"]["message"] and "leave" in c["outcome"]["message"]
        last = t["values"][-1]
        assert not last["eof"] and not last["closed"]
        assert dict(map(tuple, last["times"]))[again] == 2  # shown twice (or more)
    assert "fairness: fair read" in report["v1_old_dd"]["figures"]["liveness"]


FLAT_SAME = ["v1_old", "v1p_posted", "v1p_posted_growth", "forgetful_first_old",
             "v1_old_big_reads", "v1p_reuse"]


def test_flat_positions_change_no_verdict() -> None:
    """`flat_pos` (a position past last_pos + 1 kept at last_pos + 2, for V1 and for V1P
    with one-byte reads) gives every V1 and V1P check the same verdict, at the same
    length; without it, the reads that never end run the position past the model's
    bound."""
    from explorer.dispatch import run_check
    spec = loaded(SPEC)
    for name in FLAT_SAME:
        chk = next(c for c in spec.checks if c.name == name)
        a = run_check(chk, spec.check_model(chk))
        b = run_check(chk, spec.check_model(chk, {"flat_pos": True}))
        assert (a.outcome, len(a.trace or [])) == (b.outcome, len(b.trace or [])), name
    chk = next(c for c in spec.checks if c.name == "v1_old_dd")
    r = run_check(chk, spec.check_model(chk, {"flat_pos": False}))
    assert (r.outcome.kind, r.outcome.code) == ("error", "E3001")


def test_b1_v0_skips_the_mount_after_an_unmounted_one(report: dict[str, Any]) -> None:
    assert steps(report, "v0_skip") == [
        ("read", {"n": 1}), ("read", {"n": 1}), ("umount", {"u": 1}), ("read", {"n": 1})]
    last = final(report, "v0_skip")
    assert last["eof"] is True and last["missed"] == [2]
    assert steps(report, "v0_skip_old") == steps(report, "v0_skip")


def test_naive_backport_prints_the_root_again(report: dict[str, Any]) -> None:
    assert steps(report, "v1_old") == [("read", {"n": 1}), ("read", {"n": 1})]
    assert final(report, "v1_old")["times"][0] == 2


def test_posted_v1p_duplicates_and_skips(report: dict[str, Any]) -> None:
    assert steps(report, "v1p_posted") == [("read", {"n": 1})] * 3
    assert final(report, "v1p_posted")["times"][1] == 2
    # the growth restart: mount 3 has a 2-byte line, which overflows the 2-byte buffer
    acts = steps(report, "v1p_posted_growth")
    assert [a for a, _ in acts] == ["umount", "umount", "mount", "read", "read", "regrow"]
    assert acts[2][1]["r"] == 2
    assert final(report, "v1p_posted_growth")["missed"] == [3]


def test_the_converted_sync_walker_spins_on_a_shared_superblock(report: dict[str, Any]) -> None:
    """The patch's sync_collect_filesystems: `continue` on mount 2, whose superblock mount 1
    brought in, skips the advance; the walker stays on mount 2 for ever, namespace_sem held
    (the lasso's loop is the stuttering sync_step)."""
    c = report["sync_walker_spins"]
    acts = [a for a, _ in steps(report, "sync_walker_spins")]
    assert acts[-3:] == ["sync_start", "sync_step", "sync_step"]
    assert c["trace"]["loop"] == len(c["trace"]["steps"])
    assert final(report, "sync_walker_spins")["sw"] == 2


def test_a_long_line_makes_big_reads_small(report: dict[str, Any]) -> None:
    """The buffer grows for mount 1's long line and never shrinks: the next one-page read()
    is smaller than it, and the naive backport prints mount 1 twice."""
    assert [a for a, _ in steps(report, "v1_old_big_reads_long_line")] == [
        "read", "read", "regrow", "read"]
    assert final(report, "v1_old_big_reads_long_line")["times"][1] == 2
    assert final(report, "v1_old_big_reads_long_line")["ksize"] == 6


def test_v3_misses_a_mount_attached_below_its_position(report: dict[str, Any]) -> None:
    """6.8+ with allocation and attachment split: mount 3 takes its id before the reader
    passes it and is attached after; the reader, at position 4, never shows it, though it
    is in the namespace for the rest of the read."""
    acts = steps(report, "v3_attach_later")
    assert [a for a, _ in acts] == ["read", "read", "alloc", "alloc", "attach", "read",
                                    "attach", "read", "read"]
    assert acts[6][1]["u"] == 3
    end = final(report, "v3_attach_later")
    assert end["missed"] == [3] and end["times"][3] == 0 and end["eof"] is True


@pytest.mark.parametrize("name", ["v1p_reuse", "v1p_reuse_id"])
def test_b3_new_mount_at_the_freed_address_is_skipped(report: dict[str, Any], name: str) -> None:
    acts = steps(report, name)
    assert [a for a, _ in acts] == ["read", "read", "read", "umount", "mount", "mount", "read",
                                    "read"]
    assert acts[3][1] == {"u": 2}
    # mount 3 takes mount 2's address (a) and mnt_id (i): a pointer + id comparison is fooled
    assert acts[4][1] == {"a": 2, "i": 2, "r": 1}
    last = final(report, name)
    assert last["missed"] == [3] and last["times"][4] == 1


def test_b4_v2_prints_the_last_mount_again(report: dict[str, Any]) -> None:
    assert steps(report, "v2_dup") == [
        ("read", {"n": 1}), ("umount", {"u": 1}), ("read", {"n": 1}), ("read", {"n": 1})]
    assert final(report, "v2_dup")["times"][2] == 2
    assert report["v2_position"]["outcome"]["assertion"] == "I_T1_5"


def test_eof_behaviour_tells_the_variants_apart(report: dict[str, Any]) -> None:
    """5b: after EOF a new mount is printed once by V0 and V3, never by V1, again and again
    by V2."""
    for name in ("eof_v0", "eof_v3"):
        acts = [a for a, _ in steps(report, name)]
        assert acts[-2:] == ["mount", "read"] and final(report, name)["eof"] is True
    assert report["eof_v1"]["outcome"]["kind"] == "holds"
    assert final(report, "eof_v2")["times"][3] == 2


# ---------------------------------------------------------------------------------------
# (c) by hand


def model(variant: str = "V1", **params: Any) -> Any:
    values = {"variant": Atom("Variant", VARIANTS.index(variant), variant)}
    if "driver" in params:
        d = params.pop("driver")
        values["driver"] = Atom("Driver", ["OLD", "MODERN"].index(d), d)
    return loaded(SPEC).model({**values, **params})


@pytest.mark.parametrize("variant", VARIANTS)
def test_without_writers_one_line_per_read(variant: str) -> None:
    """No writers, read(1) only, one-byte lines in a buffer that holds two: each read()
    returns one line (the Fill loop stops once the user buffer is full), so the states are
    the initial one, one per line, and the EOF: 1 + 3 + 1, a single path of depth 4.
    Generated counts the initial state, as TLC does, and, for the cursor variants, the
    walker's step (which changes nothing) in the two states where the cursor is linked,
    before mounts 1 and 2; after the third line m_next found nothing and m_stop unlinked it."""
    r = check_model(model(variant, W=0, R=1, PAGE=3, UMIN=1, U=1), progress=None)
    assert r.outcome.kind == "holds"
    cursor = variant in ("V1", "V1P")
    assert (r.figures.distinct, r.figures.generated, r.figures.depth) == (5, 7 if cursor else 5, 4)


def test_without_writers_the_old_driver_duplicates_every_line() -> None:
    """The same reader on V1 and the old driver: read(1) returns the root again and again,
    so the second state already violates I-T1-2."""
    r = check_model(model("V1", driver="OLD", W=0, R=1, PAGE=3, UMIN=1, U=1), progress=None)
    assert r.outcome.kind == "violation" and r.outcome.target == "I_T1_2"
    assert len(r.trace) == 2


# ---------------------------------------------------------------------------------------
# (d) the engines agree


@pytest.mark.parametrize("variant, extra", [
    ("V0", {}),
    ("V1", {"reuse": True, "elsewhere": True, "reread": True, "release": True}),
    ("V1", {"driver": "OLD"}),
    ("V1P", {"driver": "OLD", "reuse": True, "id_check": True}),
    ("V1P", {"driver": "OLD", "last_pos_in_start": True, "forgetful": True}),
    ("V2", {"elsewhere": True, "reread": True}),
    ("V3", {"elsewhere": True, "reread": True, "R": 1, "PAGE": 3}),
])
def test_engines_agree(variant: str, extra: dict[str, Any]) -> None:
    """The first 300 states the interpreter reaches breadth first, compared action by
    action with the generated code (successors, and the assertion failures)."""
    agree_on_first_states(model(variant, **dict(extra)))


# ---------------------------------------------------------------------------------------
# (e) the README


WALKTHROUGH = walkthrough(
    "      ... (mounts 0, 1 and 2 live, uid = address = mnt_id; nothing read yet)")


@pytest.mark.parametrize("check", ["v0_skip", "v1p_reuse"])
def test_readme_walkthroughs_are_what_explore_prints(check: str) -> None:
    """UPDATE_GOLDEN=1 rewrites the README block."""
    readme_block(SPEC.parent.parent, f"$ explore specs/mountinfo_cursor.mnt --check {check}",
                 ["specs/mountinfo_cursor.mnt", "--check", check], WALKTHROUGH)


def test_the_6_18_kernel_behaved_as_v3() -> None:
    """tests/kernel/mountinfo_kernel.py ran every scenario on this VM's 6.18 kernel at three
    read() sizes (results committed in mountinfo_6.18.md): each matched what V3 predicts,
    and each scenario that tells V0, V1 and V2 apart went V3's way."""
    text = (SPEC.parent.parent / "tests" / "kernel" / "mountinfo_6.18.md").read_text()
    rows = [r for r in text.splitlines() if r.startswith("| S") and r[3:4].isdigit()]
    assert {(r.split("|")[1].split(":")[0].strip(), r.split("|")[2].strip()) for r in rows} == {
        (s, n) for s in ("S0", "S1", "S2", "S3a", "S3b", "S4", "S5")
        for n in ("1", "100", "4096")}
    assert all(r.rstrip().endswith("| yes |") for r in rows)
    # S5, late attachment (check v3_attach_later): the clone attached below the reader's
    # position is never printed, as the model's V3 with attach_later says
    s5 = [r for r in rows if r.startswith("| S5")]
    assert all("attached after it: `C`: 0×" in r and "| yes<br>0×<br>" in r for r in s5)
