"""The benchmark's Promela model (tests/bench/scalable.pml) is scalable.mnt: SPIN's pan
stores as many states, in as many transitions, as explore's Python engine counts distinct
and generated states. Skipped unless `spin` and `gcc` are installed (Debian's `spin`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))

import spin_scalable  # noqa: E402
from bench_engine import run_engine  # noqa: E402

pytestmark = pytest.mark.skipif(not spin_scalable.have_spin(), reason="needs spin and gcc")


@pytest.mark.parametrize("n", [4, 5])
def test_pan_counts_what_explore_counts(n: int) -> None:
    p = spin_scalable.pan(n)
    distinct, generated, _ = run_engine(n)
    assert (p.distinct, p.transitions) == (distinct, generated)
