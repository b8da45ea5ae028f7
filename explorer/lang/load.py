"""The front end's phases in order: read -> parse -> elaborate -> validate checks.

`load_spec` gives a `LoadedSpec`: the syntax tree, the default configuration's `Model`, the
declared checks; `LoadedSpec.model(overrides)` elaborates another configuration, and
`LoadedSpec.check_model` the one a check runs (its `with`, then its `only` or `except`
selection, see `select`). Every failure is a `SpecError` whose diagnostics point into the source.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from dataclasses import dataclass, field, replace
from typing import Any

from explorer import model as M
from explorer.diagnostics import Diagnostic, SpecError
from explorer.lang import syntax as S
from explorer.lang.parser import parse_expr, parse_spec
from explorer.lang.typecheck import elaborate

MAX_BYTES = 4 * 1024 * 1024


@dataclass
class LoadedSpec:
    path: str
    source: str
    syntax: S.SpecFile
    default: M.Model
    checks: list[M.Check]
    warnings: list[Diagnostic] = field(default_factory=list)
    check_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def model(self, overrides: dict[str, Any] | None = None) -> M.Model:
        """Elaborate the configuration with these param overrides (name -> (expr, span) or
        value); raises SpecError."""
        if not overrides:
            return self.default
        return elaborate(self.syntax, self.path, overrides)[0]

    def check_model(self, check: M.Check, extra: dict[str, Any] | None = None) -> M.Model:
        """The configuration a check runs: its `with` overrides, then `extra` (from --set),
        restricted to the properties of its `only` list if it has one (helper invariants
        stay unless its `except` list names them)."""
        model = self.model({**self.check_overrides.get(check.name, {}), **(extra or {})})
        return select(model, check.only, check.excluded) if check.only is not None else model


def select(model: M.Model, only: tuple[str, ...], excluded: tuple[str, ...] = ()) -> M.Model:
    """The model that checks only the invariants and named assertions listed in `only`:
    the other invariants are left out, and so are the other named `assert` statements
    (nested ones included). Unnamed asserts always stay, and so do helper invariants
    unless `excluded` names them: a lemma is not a goal to select, a proof needs it."""
    keep = set(only)

    def stmts(body: tuple[M.Stmt, ...]) -> tuple[M.Stmt, ...]:
        out: list[M.Stmt] = []
        for st in body:
            if isinstance(st, M.Assert) and st.name is not None and st.name not in keep:
                continue
            if isinstance(st, M.If):
                st = replace(st, then=stmts(st.then), orelse=stmts(st.orelse))
            elif isinstance(st, M.Either):
                st = replace(st, branches=tuple(stmts(b) for b in st.branches))
            out.append(st)
        return tuple(out)

    return replace(model,
                   invariants=tuple(i for i in model.invariants if i.name in keep
                                    or (i.helper and i.name not in excluded)),
                   actions=tuple(replace(a, body=stmts(a.body)) for a in model.actions))


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
    syntax = parse_spec(source)
    default, warnings = elaborate(syntax, path, {})
    checks, overrides = _checks(syntax, default)
    return LoadedSpec(path, source, syntax, default, checks, warnings, overrides)


def load_spec(path: str) -> LoadedSpec:
    return load_text(read_source(path), path)


def _checks(syntax: S.SpecFile, default: M.Model) -> tuple[list[M.Check], dict[str, dict[str, Any]]]:
    diags: list[Diagnostic] = []
    checks: list[M.Check] = []
    overrides: dict[str, dict[str, Any]] = {}
    invariants = dict.fromkeys(i.name for i in default.invariants)  # ordered, for `except`
    helpers = {i.name for i in default.invariants if i.helper}
    assertions = dict.fromkeys(default.assertions)
    params = {n for n, _ in default.params}
    for d in syntax.decls:
        if not isinstance(d, S.DCheck):
            continue
        if d.kind in ("violation", "cti") and d.target not in invariants:
            assert d.target_span is not None
            known = ", ".join(sorted(invariants)) or "none declared"
            diags.append(Diagnostic("E1006", f"`{d.target}` is not an invariant of this spec "
                                    f"(invariants: {known})", d.target_span))
            continue
        if d.kind == "violation" and d.target in helpers:
            assert d.target_span is not None
            diags.append(Diagnostic("E1006", f"`{d.target}` is a helper invariant: the search "
                                    "does not check helpers, so it cannot find a violation of "
                                    "one (declare it without `helper` to check it)", d.target_span))
            continue
        if d.kind == "assertion" and d.target is not None and d.target not in assertions:
            assert d.target_span is not None
            known = ", ".join(sorted(assertions)) or "none declared"
            diags.append(Diagnostic("E1006", f"`{d.target}` is not a named assertion of this "
                                    f"spec (named assertions: {known})", d.target_span))
            continue
        only = _only(d, invariants, assertions, helpers, diags)
        ov: dict[str, Any] = {}
        for name, expr, span in d.overrides:
            if name not in params:
                diags.append(Diagnostic("E1005", f"`{name}` is not a param of this spec", span))
            elif name in ov:
                diags.append(Diagnostic("E1002", f"param `{name}` is set twice", span))
            else:
                ov[name] = (expr, span)
        overrides[d.name] = ov
        try:
            model = elaborate(syntax, default.path, ov)[0] if ov else default
        except SpecError as e:
            diags.extend(e.diagnostics)
            continue
        checks.append(M.Check(d.name, model.params if ov else (),
                              M.Expect(M.ExpectKind(d.kind), d.target, d.steps, d.k), d.doc, d.span,
                              only, tuple(n for n, _ in d.excluded or ()), d.long))
    if diags:
        raise SpecError(diags)
    return checks, overrides


def _only(d: S.DCheck, invariants: dict[str, None], assertions: dict[str, None],
          helpers: set[str], diags: list[Diagnostic]) -> tuple[str, ...] | None:
    """The check's `only` list, validated (errors go to diags); `except A, B` gives every
    invariant and named assertion but those. Helpers are kept without being listed (see
    `select`), so a `cti` of one survives an `only` list."""
    listed = d.only if d.only is not None else d.excluded
    if listed is None:
        return None
    names: list[str] = []
    for name, span in listed:
        if name not in invariants and name not in assertions:
            known = ", ".join(sorted({*invariants, *assertions})) or "none declared"
            diags.append(Diagnostic("E1006", f"`{name}` is neither an invariant nor a named "
                                    f"assertion of this spec (known: {known})", span))
        elif name in names:
            diags.append(Diagnostic("E1002", f"`{name}` is listed twice", span))
        else:
            names.append(name)
    if d.excluded is not None:
        # an assertion never shares an invariant's name (E1002 at elaboration)
        names = [n for n in [*invariants, *assertions] if n not in names]
    kept = names if d.excluded is not None else [*names, *helpers]
    if d.target is not None and d.target not in kept and d.target_span is not None:
        what = {"violation": "invariant", "assertion": "assertion",
                "cti": "a counterexample to induction for invariant"}[d.kind]
        which = "`only` list" if d.excluded is None else "`except` list"
        diags.append(Diagnostic("E1006", f"the check expects {what} `{d.target}`, which its "
                                f"{which} leaves out", d.target_span))
    return tuple(names)


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
