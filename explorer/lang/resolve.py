"""Resolution, once per spec: what its declarations are, independent of any configuration.

It finds the spec's name, the declarations of each kind, and the name of every value-level
declaration (for the hints of later errors), and reports, as diagnostics that every
configuration's elaboration then starts with, what no param value can change: a missing or
second `spec`, a name declared twice, a reserved name. Elaboration (typecheck.py) adds the
declarations-are-unique errors it reports at their place in its order (`terminal`,
`render`) from the lists kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from explorer import model as M
from explorer.diagnostics import Diagnostic
from explorer.lang import syntax as S
from explorer.model import Span

# Built-in function names (model.Builtin's values) and type names a declaration may not take.
BUILTIN_NAMES = frozenset(b.value for b in M.Builtin)


@dataclass(frozen=True)
class Resolved:
    """A spec's declarations sorted by kind, and its configuration-independent errors."""

    name: str
    doc: str
    span: Span  # the `spec` declaration's (NOSPAN if there is none)
    diagnostics: tuple[Diagnostic, ...]  # in the order elaboration reports them first
    declared: dict[str, Span] = field(compare=False)  # every value-level name, first place
    inits: tuple[S.DInit, ...] = ()
    actions: tuple[S.DAction, ...] = ()
    invariants: tuple[S.DInvariant, ...] = ()
    terminals: tuple[S.DTerminal, ...] = ()
    renders: tuple[S.DRender, ...] = ()
    properties: tuple[S.DProperty, ...] = ()
    covers: tuple[S.DCover, ...] = ()
    constraints: tuple[S.DConstraint, ...] = ()
    checks: tuple[S.DCheck, ...] = ()


def resolve(spec: S.SpecFile) -> Resolved:
    diags: list[Diagnostic] = []
    decls = spec.decls
    specs = [d for d in decls if isinstance(d, S.DSpec)]
    if len(specs) > 1:
        diags.append(Diagnostic("E1002", "a file holds one `spec` declaration", specs[1].span))
    if not specs:  # an empty file is no spec, not a spec with no actions
        diags.append(Diagnostic(
            "E0006", "no `spec NAME` declaration: a spec file starts with one, such as "
            "`spec mutex`" if decls else
            "the file declares nothing: a spec file starts with `spec NAME`", M.Span(1, 1, 1, 1)))
    declared = _declare_names(decls, diags)
    for name, span in spec.processes:  # `P.pc` reads a process's variables: P is a name
        if name in declared:
            diags.append(Diagnostic("E1002", f"`{name}` is declared twice", span,
                                    notes=(f"first declared at line {declared[name].line}",)))
        declared.setdefault(name, span)
    return Resolved(
        specs[0].name if specs else "spec", specs[0].doc if specs else "",
        specs[0].span if specs else M.NOSPAN, tuple(diags), declared,
        inits=tuple(d for d in decls if isinstance(d, S.DInit)),
        actions=tuple(d for d in decls if isinstance(d, S.DAction)),
        invariants=tuple(d for d in decls if isinstance(d, S.DInvariant)),
        terminals=tuple(d for d in decls if isinstance(d, S.DTerminal)),
        renders=tuple(d for d in decls if isinstance(d, S.DRender)),
        properties=tuple(d for d in decls if isinstance(d, S.DProperty)),
        covers=tuple(d for d in decls if isinstance(d, S.DCover)),
        constraints=tuple(d for d in decls if isinstance(d, S.DConstraint)),
        checks=tuple(d for d in decls if isinstance(d, S.DCheck)))


def _declare_names(decls: tuple[S.AnyDecl, ...], diags: list[Diagnostic]) -> dict[str, Span]:
    """Every declared name, each in its space (values, actions, invariants, checks): a
    name declared twice in one space, or a value named like a built-in or a type, is an
    error. Returns each value-level name with its first place."""
    seen: dict[tuple[str, str], Span] = {}
    declared: dict[str, Span] = {}

    def add(space: str, name: str, span: Span) -> None:
        if (space, name) in seen:
            diags.append(Diagnostic("E1002", f"`{name}` is declared twice", span,
                                    notes=(f"first declared at line {seen[(space, name)].line}",)))
        else:
            seen[(space, name)] = span
        # `min` and `max` came late and are common names (`while c max K` keeps `max`
        # usable): a declaration of that name is allowed, and a def of it wins in calls
        if space == "value" and name in BUILTIN_NAMES and name not in ("min", "max"):
            diags.append(Diagnostic("E1002", f"`{name}` is the name of a built-in function",
                                    span))
        if space == "value" and name in ("bool", "int"):
            diags.append(Diagnostic("E1002", f"`{name}` is the name of a type", span))

    def value(d: S.DSet | S.DEnum | S.DParam | S.DConst | S.DVar | S.DDef | S.DProc) -> None:
        add("value", d.name, d.span)
        declared.setdefault(d.name, d.span)

    for d in decls:
        match d:
            case S.DDef() | S.DProc():
                value(d)
                if d.name.startswith("_"):
                    diags.append(Diagnostic(
                        "E1007", f"`{d.name}`: a def or proc name cannot start with `_` "
                        "(reserved for the names inside def and proc bodies)", d.span))
            case S.DEnum():
                value(d)
                for a, sp in d.values:
                    add("value", a, sp)
            case S.DSet():
                value(d)
                for a, sp in d.atoms or ():
                    add("value", a, sp)
            case S.DParam() | S.DConst() | S.DVar():
                value(d)
            case S.DAction():
                add("action", d.name, d.span)
            case S.DInvariant() | S.DProperty() | S.DCover():  # what `only` and `except` name
                add("invariant", d.name, d.span)
            case S.DConstraint():
                add("constraint", d.name, d.span)
            case S.DCheck():
                add("check", d.name, d.span)
            case S.DSpec() | S.DInit() | S.DTerminal() | S.DRender() | S.DProcess():
                pass  # (a process is gone by now: lang/process.py; its name is below)
            case _:
                assert_never(d)
    return declared
