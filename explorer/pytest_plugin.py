"""The CI gate as a pytest plugin (registered through the `pytest11` entry point): every
check of every `.mnt` file pytest is pointed at is a test item, so `pytest specs/` is the
gate, with pytest's own selection (-k), reporting and JUnit XML (--junitxml).

An item passes when its check gives the outcome it declares (what `explore` calls "as
expected"); a failure shows the same report `explore` prints, trace included. A spec that
does not load is one failing item, `spec`, with its diagnostics. `--mnt-fail-on-unfired`
is `explore --fail-on-unfired`. The ini option `mnt_paths` limits collection to the `.mnt`
files under those paths (and those named on the command line).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import TerminalRepr

from explorer import model as M
from explorer.diagnostics import SpecError, render
from explorer.textsafe import escape, escape_path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("mnt_paths", type="paths", default=[],
                  help="collect .mnt checks only under these paths (default: every .mnt "
                  "file pytest visits)")
    group = parser.getgroup("mnt-explorer")
    group.addoption("--mnt-fail-on-unfired", action="store_true",
                    help="fail a .mnt check that explored every state and in which an action "
                    "never fired")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix != ".mnt":
        return None
    roots = [Path(p).resolve() for p in parent.config.getini("mnt_paths")]
    named = any(Path(a).resolve() == file_path.resolve() for a in parent.config.args)
    if roots and not named and not any(file_path.resolve().is_relative_to(r) for r in roots):
        return None  # e.g. the deliberately broken specs of a test suite's golden files
    shown = _escaped_id(parent, file_path)
    if shown is None:
        return SpecFile.from_parent(parent, path=file_path)
    node = SpecFile.from_parent(parent, path=file_path, name=escape(file_path.name),
                                nodeid=shown)
    node.shown = shown
    return node


def _escaped_id(parent: pytest.Collector, path: Path) -> str | None:
    """pytest prints node ids verbatim (`FAILED <id>`, and `-v` starts a line with one),
    and a pull request names the spec files: a file name with a control character, or
    one that would start a line with anything but a letter, digit, `_`, `.` or `/`, gets
    an escaped id and name (textsafe.escape_path), so it cannot print a line of its own;
    None for any other file (pytest's own id).
    `::` separates the parts of an id (pytest 9 parses a given id), so the escaped path
    writes a colon that follows another as `\\x3a`."""
    try:
        rel = path.relative_to(parent.config.rootpath).as_posix()
    except ValueError:
        rel = path.as_posix()
    shown = escape_path(rel)
    return None if shown == rel else shown.replace("::", ":\\x3a")


class CheckFailed(Exception):
    """A check that did not give its declared outcome; carries explore's report."""


def _location(item: pytest.Item) -> Path | str:
    """The path an item reports (`-vv` prints it after the id): escaped with the file's id."""
    return getattr(item.parent, "shown", None) or item.path


class SpecFile(pytest.File):
    shown: str | None = None  # the escaped path, for a file whose id is escaped

    def collect(self) -> Iterator[pytest.Item]:
        from explorer.lang.load import load_text, read_source
        from explorer.session import checks_of
        source = None
        try:
            source = read_source(str(self.path))
            spec = load_text(source, str(self.path))
        except SpecError as e:
            text = "\n".join(render(d, str(self.path), source) for d in e.diagnostics)
            yield SpecErrorItem.from_parent(self, name="spec", report=text)
            return
        for c in checks_of(spec):
            yield CheckItem.from_parent(self, name=c.name, spec=spec, check=c)


class SpecErrorItem(pytest.Item):
    def __init__(self, *, report: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.report = report

    def runtest(self) -> None:
        raise CheckFailed(self.report)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path | str, int, str]:
        return _location(self), 0, "spec"


class CheckItem(pytest.Item):
    def __init__(self, *, spec: Any, check: M.Check, **kw: Any) -> None:
        super().__init__(**kw)
        self.spec = spec
        self.check = check

    def runtest(self) -> None:
        from explorer.budget import Limits, default_memory_limit, memory_backstop
        from explorer.engine import Options
        from explorer.reports.text import format_verdict
        from explorer.reports.verdict import never_fired
        from explorer.session import Session
        limits = Limits(max_memory=default_memory_limit())
        try:
            # memory is bounded as `explore` bounds it (the hard limit only while the check
            # runs), and z3 checks have their default time limit; a const that fails to
            # evaluate, or what the z3 engine cannot encode, is a SpecError
            with memory_backstop(limits.max_memory):
                ran = Session(self.spec, Options(limits)).run(self.check)
        except SpecError as e:
            raise CheckFailed("\n".join(render(d, str(self.path), self.spec.source)
                                        for d in e.diagnostics)) from None
        model, result, v = ran.model, ran.result, ran.verdict
        if result.interrupted:  # Ctrl-C stops the session, not only this check
            raise KeyboardInterrupt
        unfired = never_fired(result)
        if v.ok and unfired and self.config.getoption("mnt_fail_on_unfired"):
            raise CheckFailed(format_verdict(v, model, str(self.path), self.spec.source) +
                              f"\nnever fired: {', '.join(unfired)} (--mnt-fail-on-unfired)")
        if not v.ok:
            raise CheckFailed(format_verdict(v, model, str(self.path), self.spec.source))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path | str, int, str]:
        return _location(self), self.check.span.line - 1, f"check {self.check.name}"
