"""The explicit engine's IR passes before emission (explorer/explicit/normalize.py); the
exhaustiveness of emission's matches is mypy's, over model's closed unions
(tests/test_model_kinds.py)."""

from __future__ import annotations

from explorer import model as M

# ---------------------------------------------------------------------------------------
# Folding is its own pass (explorer/explicit/normalize.py), before emission

B, I = M.BoolT(), M.IntT(0, 9)
X = M.VarRef(0, "x", B)  # a test that may fail: it is never dropped
T, F = M.Lit(True, B), M.Lit(False, B)


def op(o: M.Op, a: M.Expr, b: M.Expr) -> M.BinOp:
    return M.BinOp(o, a, b, B)


def test_fold_decides_what_literals_decide_and_keeps_what_may_fail() -> None:
    from explorer.explicit.normalize import fold
    A, O, IMP = M.Op.AND, M.Op.OR, M.Op.IMPLIES
    assert fold(M.Not(T, B)) == F
    assert fold(op(A, F, X)) == F and fold(op(A, T, X)) == X and fold(op(A, X, T)) == X
    assert fold(op(A, X, F)) == op(A, X, F)  # x is still evaluated (it may fail)
    assert fold(op(O, T, X)) == T and fold(op(O, X, F)) == X and fold(op(O, X, T)) == op(O, X, T)
    assert fold(op(IMP, F, X)) == T and fold(op(IMP, T, X)) == X
    assert fold(op(IMP, X, F)) == M.Not(X, B) and fold(op(IMP, X, T)) == op(IMP, X, T)
    assert fold(op(M.Op.LT, M.Lit(1, I), M.Lit(2, I))) == T
    assert fold(op(M.Op.NE, M.Lit(3, I), M.Lit(3, I))) == F
    # bottom up: the folded comparison decides the `and`
    assert fold(op(A, op(M.Op.GE, M.Lit(1, I), M.Lit(2, I)), X)) == F
    empty = M.Quant(True, (M.Binder("y", M.Lit(frozenset(), M.SetT(I))),), X, B)
    assert fold(empty) == T
    assert fold(M.Fit(M.Lit(3, M.IntT(3, 3)), I, "p")) == M.Lit(3, M.IntT(3, 3))
    assert fold(M.Fit(M.Lit(12, M.IntT(12, 12)), I, "p")) == M.Fit(M.Lit(12, M.IntT(12, 12)), I, "p")


def test_substitute_leaves_names_bound_inside_alone() -> None:
    from explorer.explicit.normalize import substitute
    y, z = M.Local("y", I), M.Local("z", I)
    dom = M.RangeSet(M.Lit(0, I), z, M.SetT(I))
    q = M.Quant(False, (M.Binder("y", dom), M.Binder("z", M.RangeSet(y, z, M.SetT(I)))),
                op(M.Op.EQ, y, z), B)
    got = substitute(q, {"y": 5, "z": 7})
    # the first domain sees neither binder, the second sees y only, the body sees both
    assert got == M.Quant(False, (M.Binder("y", M.RangeSet(M.Lit(0, I), M.Lit(7, I), M.SetT(I))),
                                  M.Binder("z", M.RangeSet(y, M.Lit(7, I), M.SetT(I)))),
                          op(M.Op.EQ, y, z), B)


def test_an_unrolled_binding_whose_guard_folds_to_false_is_left_out() -> None:
    from explorer.explicit.compile import compile_model
    from explorer.lang.load import load_text
    spec = """spec fold
var x: 0..3
init { x = 0 }
action step(p in {0, 1, 2}) when p != 1 and x < 3 { x := x + 1 }
"""
    cm = compile_model(load_text(spec, "fold.mnt").default)
    assert cm.source.count("_e.binding, _e.action = (") == 2  # p = 0 and p = 2 only
    assert "(0 != 1)" not in cm.source and "(2 != 1)" not in cm.source


def test_queue_operations_read_and_write_elements_in_place() -> None:
    """The channels of lamport_mutex.mnt (a function of sequences of records) are read and
    written element by element: a head's field, a length, an append and a tail are shifts
    and masks of the packed state; no sequence is unpacked or packed whole."""
    from pathlib import Path

    from explorer.explicit.compile import compile_model
    from explorer.lang.load import load_text
    path = Path(__file__).resolve().parent.parent / "specs" / "examples" / "lamport_mutex.mnt"
    cm = compile_model(load_text(path.read_text(), "lamport_mutex.mnt").default)
    succ = cm.source[cm.source.index("def succ("):]
    succ = succ[:succ.index("\ndef ")]
    assert "_append(" not in succ and "_full(" in succ  # appended where the queue lives
    assert "_unpack(" not in succ and "_pack(" not in succ
    assert "_idxn(" in succ  # the head is read where it lives, checked against the length
