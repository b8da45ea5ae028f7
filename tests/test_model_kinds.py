"""The IR's closed unions (`Expr`, `Stmt`, `Type`) name exactly the node classes.

mypy checks matches over the unions for exhaustiveness, while at run time `isinstance(x,
M.Expr)` tests the common base class (one check instead of one per kind). The two views
agree only while every subclass of a base is in its union and nothing else is.
"""

import typing

import pytest

from explorer import model as M


def _all_subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _all_subclasses(sub)
    return out


@pytest.mark.parametrize("base, kinds, name", [
    (M.ExprBase, M.ExprKinds, "Expr"),
    (M.StmtBase, M.StmtKinds, "Stmt"),
    (M.TypeBase, M.TypeKinds, "Type"),
])
def test_union_names_every_node_class(base: type, kinds: object, name: str) -> None:
    assert _all_subclasses(base) == set(typing.get_args(kinds))
    assert getattr(M, name) is base  # the run-time name is the base class


def test_isinstance_on_the_union_names() -> None:
    lit = M.Lit(1, M.IntT(0, 3))
    assert isinstance(lit, M.Expr)
    assert not isinstance(lit, M.Stmt | M.Type)
    assert isinstance(M.Require(lit), M.Stmt)
    assert isinstance(M.IntT(0, 3), M.Type)
    assert not isinstance("x", M.Expr)
