"""One load of each spec file per test process: the showcase specs take seconds each to
parse and elaborate, and many tests start from the same one. A `LoadedSpec` and its models
are not changed by the tests (the IR is frozen), so tests may share them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from explorer.lang.load import LoadedSpec, load_spec


def loaded(path: str | Path) -> LoadedSpec:
    """The spec at `path`, loaded once per process (keyed by its resolved path)."""
    return _load(str(Path(path).resolve()))


@cache
def _load(path: str) -> LoadedSpec:
    return load_spec(path)
