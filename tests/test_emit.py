"""The explicit engine's emission (explorer/explicit/emit.py): its matches over IR node
kinds are exhaustive (mypy checks them against these unions, which must list every kind)."""

from __future__ import annotations

import typing

from explorer import model as M
from explorer.explicit.emit import ExprNode, StmtNode


def _kinds(base: type) -> set[type]:
    out, todo = set(), [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            out.add(sub)
            todo.append(sub)
    return out


def test_the_node_unions_list_every_kind_of_expression_and_statement() -> None:
    assert set(typing.get_args(ExprNode)) == _kinds(M.Expr)
    assert set(typing.get_args(StmtNode)) == _kinds(M.Stmt)
