"""What elaboration knows while it checks one declaration: the names of the spec (globals),
the defs and procs checked so far (to inline), and what an expression may see (`Ctx`).
Shared by typecheck.py, which builds them, and lower.py, which inlines and unrolls with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from explorer import model as M
from explorer.model import Span, Type


class Abort(Exception):
    """Stop elaborating the current declaration (its error is already recorded)."""


@dataclass
class Global:
    """A spec-level name: what it is, and the IR a use of it gives."""


    kind: str  # "atom" | "set" | "param" | "const" | "var" | "def" | "proc"
    expr: M.Expr | None
    span: Span
    var: M.Var | None = None


@dataclass(frozen=True)
class Param:
    """A parameter of a def or proc: its spec name, its IR name, its type."""

    name: str
    ir: str
    t: Type


@dataclass(frozen=True)
class Def:
    """A def, checked once: the IR of its body, which each use copies."""


    params: tuple[Param, ...]
    body: M.Expr  # parameters appear as M.Local(param.ir)
    reads: frozenset[int]  # the variables the body reads (defs it calls included)


@dataclass(frozen=True)
class Proc:
    """A proc, checked once: the IR of its body, which each call copies."""


    params: tuple[Param, ...]
    body: tuple[M.Stmt, ...]  # parameters appear as M.Local(param.ir)
    size: int = 0  # nodes of the body (statements and expressions): what a call copies


@dataclass
class Ctx:
    """What an expression may see: locals, whether state variables are allowed.

    Inside a def or proc body, `mangle` is its name: the IR names of its locals are
    `{name}__{mangle}` (see `ir`), so they never meet the caller's names."""

    locals: dict[str, Type] = field(default_factory=dict)
    vars_ok: bool = True
    readable_vars: set[int] | None = None  # in init: only those assigned so far
    in_init: bool = False
    mangle: str = ""
    cells: dict[str, M.Var] = field(default_factory=dict)  # `var` locals of the body

    def bind(self, name: str, t: Type) -> Ctx:
        return Ctx({**self.locals, name: t}, self.vars_ok, self.readable_vars, self.in_init,
                    self.mangle, self.cells)

    def cell(self, name: str, var: M.Var) -> Ctx:
        return Ctx(self.locals, self.vars_ok, self.readable_vars, self.in_init, self.mangle,
                    {**self.cells, name: var})

    def binds(self, name: str) -> bool:
        """Is `name` a parameter, `let`, loop variable or `var` here?"""
        return name in self.locals or name in self.cells

    def ir(self, name: str) -> str:
        """The IR name of local `name` (as written in the spec)."""
        return f"{name}__{self.mangle}" if self.mangle else name


def article(word: str) -> str:
    """`a word` or `an word`, for messages."""
    return ("an " if word[0] in "aeiou" else "a ") + word


def type_of(e: M.Expr) -> Type:
    """An IR expression's type: every kind of expression has the field `t`."""
    t: Type = cast(Any, e).t  # model.Expr itself does not declare it
    return t
