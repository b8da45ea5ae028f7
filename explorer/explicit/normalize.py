"""IR -> IR passes the explicit engine runs before emission: `normalize` moves what
follows a branching statement into its branches (so an `either` only ends a statement
list); `top_require` says whether a body needs a loop for its `require`s to leave."""

from __future__ import annotations

from explorer import model as M
from explorer.model import BoolT


def has_either(s: M.Stmt) -> bool:
    if isinstance(s, M.Either):
        return True
    if isinstance(s, M.If):
        return any(has_either(x) for x in s.then + s.orelse)
    return False


def normalize(stmts: tuple[M.Stmt, ...]) -> tuple[M.Stmt, ...]:
    """Move everything after a branching statement into its branches, so that an `Either`
    only ever ends a statement list. An `if` holding an `either` becomes an `either` of
    `require c` and `require not c`. `model.either_growth` measures what this does to a body,
    and the elaborator keeps it bounded."""
    for i, s in enumerate(stmts):
        if not has_either(s):
            continue
        rest = stmts[i + 1:]
        if isinstance(s, M.Either):
            branches = tuple(normalize(b + rest) for b in s.branches)
        else:
            assert isinstance(s, M.If)
            neg = M.Not(s.cond, BoolT(), s.cond.span if hasattr(s.cond, "span") else M.NOSPAN)
            branches = (normalize((M.Require(s.cond, s.span),) + s.then + rest),
                        normalize((M.Require(neg, s.span),) + s.orelse + rest))
        return stmts[:i] + (M.Either(branches, s.span),)
    return stmts


def top_require(stmts: tuple[M.Stmt, ...]) -> bool:
    """A `require` outside every `either` (whose branch loop gives it a `continue` target)."""
    for s in stmts:
        if isinstance(s, M.Require):
            return True
        if isinstance(s, M.If) and top_require(s.then + s.orelse):
            return True
    return False

