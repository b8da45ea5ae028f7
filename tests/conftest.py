"""The suite's structure across test files.

A showcase spec's checks are run once per session: `tests/test_<spec>.py` runs every check
of its spec in one JSON report and asserts each one's outcome and figures
(`test_check_outcome_and_figures[NAME]`, which includes "as expected"). When that test is
collected in the same session as the gate over `specs/` (the pytest plugin's item
`specs/<spec>.mnt::NAME`, which asserts "as expected" only), the gate item is skipped with
a reason naming the test that runs and asserts the check, instead of running the search
or proof a second time. `pytest specs/` alone still runs every check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.pytest_plugin import CheckItem

PINNED_TEST = "test_check_outcome_and_figures"


@pytest.hookimpl(trylast=True)  # after -k, -m and --deselect: only what will run counts
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    asserted: dict[tuple[Path, str], str] = {}  # (spec, check) -> the test that asserts it
    for item in items:
        if isinstance(item, pytest.Function) and item.originalname == PINNED_TEST:
            spec = getattr(item.module, "SPEC", None)
            if spec is not None:
                asserted[(Path(spec).resolve(), item.callspec.params["name"])] = item.nodeid
    for item in items:
        if isinstance(item, CheckItem):
            by = asserted.get((item.path.resolve(), item.check.name))
            if by is not None:
                item.add_marker(pytest.mark.skip(reason=f"run and asserted by {by}"))
