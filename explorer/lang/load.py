"""The front end's phases in order: read -> parse -> resolve -> elaborate -> validate checks.

`load_spec` gives a `LoadedSpec`: the syntax tree, the default configuration's `Model`, the
declared checks; `LoadedSpec.model(overrides)` elaborates another configuration, and
`LoadedSpec.check_model` the one a check runs (its `with`, then its `only` or `except`
selection, see `checks.select`). Every failure is a `SpecError` whose diagnostics point
into the source.

A spec text is parsed and resolved once per process, and each of its configurations (the
param overrides of a check's `with` clause or of `--set`) is elaborated once: `_Front`
keeps them, in a memo bounded in entries and in size (see `_Memo`).
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from explorer import model as M
from explorer.diagnostics import Diagnostic, SpecError
from explorer.lang import syntax as S
from explorer.lang.checks import Override, assume, declared_checks, select
from explorer.lang.parser import parse_expr, parse_spec
from explorer.lang.resolve import Resolved, resolve
from explorer.lang.typecheck import elaborate
from explorer.values import Atom

__all__ = ["LoadedSpec", "load_spec", "load_text", "parse_override", "read_source", "select"]

MAX_BYTES = 4 * 1024 * 1024
MEMO_SPECS = 16  # spec texts kept parsed and resolved
MEMO_CONFIGS = 512  # configurations kept elaborated, over every spec
MEMO_NODES = 4_000_000  # ... and their size together (IR nodes built, inlined ones included)


@dataclass
class LoadedSpec:
    path: str
    source: str
    syntax: S.SpecFile
    default: M.Model
    checks: list[M.Check]
    warnings: list[Diagnostic] = field(default_factory=list)
    check_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    front: _Front | None = field(default=None, repr=False, compare=False)

    def model(self, overrides: dict[str, Any] | None = None) -> M.Model:
        """Elaborate the configuration with these param overrides (name -> (expr, span) or
        value); raises SpecError. Each configuration is elaborated once per process."""
        if not overrides:
            return self.default
        if self.front is None:  # built by hand, not by load_text
            return elaborate(self.syntax, self.path, overrides)[0]
        return self.front.configure(overrides)[0]

    def check_model(self, check: M.Check, extra: dict[str, Any] | None = None) -> M.Model:
        """The configuration a check runs: its `with` overrides, then `extra` (from --set),
        with the fairness of its `assuming` clause, restricted to the properties of its
        `only` list if it has one (helper invariants stay unless its `except` list names
        them)."""
        model = self.model({**self.check_overrides.get(check.name, {}), **(extra or {})})
        model = assume(model, check.fairness)
        return select(model, check.only, check.excluded) if check.only is not None else model


class _Memo:
    """The elaborated configurations of the process, least recently used first. Bounded,
    so that a spec with many large configurations holds no more memory than a few: what
    falls out is elaborated again when asked for."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[int, Hashable], tuple[M.Model, list[Diagnostic], int]] = (
            OrderedDict())
        self.nodes = 0

    def get(self, key: tuple[int, Hashable]) -> tuple[M.Model, list[Diagnostic]] | None:
        got = self.entries.get(key)
        if got is None:
            return None
        self.entries.move_to_end(key)
        return got[0], got[1]

    def put(self, key: tuple[int, Hashable], model: M.Model, warnings: list[Diagnostic],
            nodes: int) -> None:
        if nodes > MEMO_NODES:
            return
        self.entries[key] = (model, warnings, nodes)
        self.nodes += nodes
        while len(self.entries) > MEMO_CONFIGS or self.nodes > MEMO_NODES:
            _, (_, _, n) = self.entries.popitem(last=False)
            self.nodes -= n

    def forget(self, front: int) -> None:
        for key in [k for k in self.entries if k[0] == front]:
            self.nodes -= self.entries.pop(key)[2]


_MEMO = _Memo()
_FRONTS: OrderedDict[tuple[str, str], _Front] = OrderedDict()


@dataclass(eq=False)
class _Front:
    """One spec text, parsed and resolved once; its configurations come from the memo."""

    path: str
    syntax: S.SpecFile
    resolved: Resolved

    def configure(self, overrides: dict[str, Override]) -> tuple[M.Model, list[Diagnostic]]:
        """The configuration with these overrides, and the warnings its elaboration gave;
        SpecError when they make none (errors are not kept: their positions are those of
        the overrides, which the memo's key leaves out)."""
        key = _config_key(overrides)
        if key is not None:
            got = _MEMO.get((id(self), key))
            if got is not None:
                return got
        model, warnings, nodes = elaborate(self.syntax, self.path, overrides, self.resolved)
        if key is not None:
            _MEMO.put((id(self), key), model, warnings, nodes)
        return model, warnings


def _front(source: str, path: str) -> _Front:
    """The parsed and resolved spec text, from the cache when it was loaded before."""
    key = (path, source)
    front = _FRONTS.get(key)
    if front is not None:
        _FRONTS.move_to_end(key)
        return front
    syntax = parse_spec(source)
    front = _Front(path, syntax, resolve(syntax))
    _FRONTS[key] = front
    while len(_FRONTS) > MEMO_SPECS:
        _, old = _FRONTS.popitem(last=False)
        _MEMO.forget(id(old))
    return front


def _config_key(overrides: dict[str, Override]) -> Hashable | None:
    """What tells two override sets apart for elaboration: each name with its expression
    (positions left out) or its value; None when a value is of a kind not keyed here.
    Literals carry their type, since `1 == True` in Python but not in a spec."""
    try:
        return frozenset((name, _override_key(ov)) for name, ov in overrides.items())
    except _Unkeyed:
        return None


class _Unkeyed(Exception):
    pass


def _override_key(ov: Override) -> Hashable:
    if isinstance(ov, tuple) and len(ov) == 2 and isinstance(ov[0], S.ExprNode):
        return ("expr", _node_key(ov[0]))
    return ("value", _value_key(ov))


def _node_key(x: Any) -> Hashable:
    if x is None or isinstance(x, bool | int | str):
        return (type(x).__name__, x)
    if isinstance(x, tuple):
        return ("tuple", *(_node_key(i) for i in x))
    if is_dataclass(x) and not isinstance(x, type):
        return (type(x).__name__,
                *(_node_key(getattr(x, f.name)) for f in fields(x) if f.compare))
    raise _Unkeyed


def _value_key(v: Any) -> Hashable:
    if v is None or isinstance(v, bool | int):
        return (type(v).__name__, v)
    if isinstance(v, Atom):
        return ("atom", v.sort, v.index)
    if isinstance(v, tuple):
        return ("tuple", *(_value_key(i) for i in v))
    if isinstance(v, frozenset):
        return ("set", frozenset(_value_key(i) for i in v))
    raise _Unkeyed


def read_source(path: str) -> str:
    """The spec's text, without a UTF-8 byte-order mark; SpecError for unreadable,
    oversized or non-UTF-8 files. A FIFO without a writer reads as empty instead of
    blocking; a device reads no more than the size limit (and one byte)."""
    try:
        data = _read_at_most(path, MAX_BYTES + 1)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        raise SpecError([Diagnostic("E0005", "cannot read the spec: "
                                    f"{getattr(e, 'strerror', None) or e}")]) from None
    if len(data) > MAX_BYTES:
        raise SpecError([Diagnostic("E0005", f"the spec is larger than {MAX_BYTES} bytes")])
    data = data.removeprefix(codecs.BOM_UTF8)  # what some editors write; positions follow it
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[:e.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        msg = f"the spec is not UTF-8 text (byte 0x{data[e.start]:02x})"
        raise SpecError([Diagnostic("E0002", msg, M.Span(line, col, line, col + 1))]) from None


def _read_at_most(path: str, limit: int) -> bytes:
    # O_NONBLOCK makes opening a FIFO with no writer return at once; reads then block
    # again, so a pipe whose writer is late (`explore <(generate)`) is read whole
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb", buffering=0) as f:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size < limit:
            chunk = f.read(min(limit - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)


def load_text(source: str, path: str = "<spec>") -> LoadedSpec:
    front = _front(source, path)
    default, warnings = front.configure({})
    checks, overrides = declared_checks(front.syntax, default,
                                        lambda ov: front.configure(ov)[0])
    return LoadedSpec(path, source, front.syntax, default, checks, list(warnings), overrides,
                      front)


def load_spec(path: str) -> LoadedSpec:
    return load_text(read_source(path), path)


def parse_override(text: str) -> tuple[str, Any]:
    """`NAME=VALUE` from the command line -> (name, (expr, span)); ValueError when malformed."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ValueError(f"expected NAME=VALUE, got `{text}`")
    try:
        expr = parse_expr(value)
    except SpecError as e:
        raise ValueError(f"--set {text}: {e.diagnostics[0].message}") from None
    return name, (expr, M.NOSPAN)
