"""The reference interpreter, on small Models built by hand from the IR (no parser)."""

from __future__ import annotations

import pytest

from explorer.diagnostics import AssertFailure, EvalError
from explorer.interp import Interp
from explorer.model import (
    Action,
    Apply,
    Assert,
    Assign,
    AtomT,
    Binder,
    BinOp,
    BoolT,
    Builtin,
    Call,
    ConstDef,
    ConstRef,
    Either,
    Expr,
    Field,
    Filter,
    FnComp,
    FnT,
    If,
    Index,
    InitItem,
    IntT,
    Invariant,
    Ite,
    Let,
    Lit,
    Local,
    MapSet,
    Model,
    Neg,
    Not,
    Op,
    OptT,
    PathStep,
    Quant,
    RangeSet,
    RecLit,
    RecT,
    Require,
    SeqLit,
    SeqT,
    SetLit,
    SetT,
    Slice,
    Span,
    Stmt,
    Type,
    Unwrap,
    Var,
    VarRef,
)
from explorer.values import Fn, Rec

# ---------------------------------------------------------------------------------------
# Helpers: spans, types, expressions and models in a line each


def sp(line: int, col: int = 1) -> Span:
    return Span(line, col, line, col + 1)


BOOL, INT = BoolT(), IntT()
PROC = AtomT("Proc", ("p1", "p2"))
P1, P2 = PROC.atom(0), PROC.atom(1)
OPROC = OptT(PROC)


def rng(lo: int, hi: int) -> IntT:
    return IntT(lo, hi)


def lit(v: object, t: Type = INT, line: int = 0) -> Lit:
    return Lit(v, t, sp(line))


def T() -> Lit:
    return lit(True, BOOL)


def F() -> Lit:
    return lit(False, BOOL)


def NONE() -> Lit:
    return lit(None, OPROC)


def loc(name: str, t: Type = INT) -> Local:
    return Local(name, t)


def b(o: Op, x: Expr, y: Expr, t: Type = INT, line: int = 0) -> BinOp:
    return BinOp(o, x, y, t, sp(line))


def cmp(o: Op, x: Expr, y: Expr, line: int = 0) -> BinOp:
    return BinOp(o, x, y, BOOL, sp(line))


def rs(lo: int, hi: int) -> RangeSet:
    return RangeSet(lit(lo), lit(hi), SetT(INT))


def procs() -> SetLit:
    return SetLit((lit(P2, PROC), lit(P1, PROC)), SetT(PROC))  # written out of order


def assign(vars_: list[Var], name: str, value: Expr, path: tuple[PathStep, ...] = (),
           target: Type | None = None, line: int = 0) -> Assign:
    v = next(v for v in vars_ if v.name == name)
    return Assign(v.index, name, path, value, target if target is not None else v.t, sp(line))


class M:
    """A model under construction: `m.v.x` is the VarRef of variable x."""

    def __init__(self, **types: Type) -> None:
        self.vars = [Var(i, n, t) for i, (n, t) in enumerate(types.items())]
        self.v = type("Vars", (), {v.name: VarRef(v.index, v.name, v.t) for v in self.vars})

    def set(self, name: str, value: Expr, path: tuple[PathStep, ...] = (),
            target: Type | None = None, line: int = 0) -> Assign:
        return assign(self.vars, name, value, path, target, line)

    def init(self, name: str, e: Expr, choice: bool = False, line: int = 0) -> InitItem:
        return InitItem(next(v.index for v in self.vars if v.name == name), choice, e, sp(line))

    def build(self, init: tuple[InitItem, ...] = (), actions: tuple[Action, ...] = (),
              consts: tuple[ConstDef, ...] = (), invariants: tuple[Invariant, ...] = (),
              terminal: Expr | None = None) -> Interp:
        model = Model("t", "t.mnt", tuple(self.vars), consts, init, actions, invariants,
                      terminal, (), (PROC,))
        return Interp(model)


def act(name: str, body: tuple[Stmt, ...], params: tuple[Binder, ...] = (),
        guard: Expr | None = None) -> Action:
    return Action(name, params, guard, body)


def run(m: M, body: tuple[Stmt, ...], state: tuple, params: tuple[Binder, ...] = (),
        guard: Expr | None = None) -> list[tuple]:
    """The successor states of one action `a` with this body."""
    it = m.build(actions=(act("a", body, params, guard),))
    return [s for _, s in it.successors(state)]


def ev(e: Expr, state: tuple = (), env: dict | None = None) -> object:
    return M().build().eval(e, state, env)


def err(code: str, line: int, f, *args) -> EvalError:
    with pytest.raises(EvalError) as info:
        f(*args)
    assert info.value.code == code, info.value.message
    assert info.value.span == sp(line)
    return info.value


# ---------------------------------------------------------------------------------------
# Initial states


def test_initial_states_cartesian_in_canonical_order() -> None:
    m = M(x=rng(0, 3), y=PROC, z=BOOL)
    it = m.build(init=(
        m.init("x", SetLit((lit(2), lit(1)), SetT(INT)), choice=True),
        m.init("y", procs(), choice=True),
        m.init("z", cmp(Op.EQ, m.v.x, lit(2))),  # reads an earlier item
    ))
    assert it.initial_states() == [
        (1, P1, False), (1, P2, False), (2, P1, True), (2, P2, True)]


def test_initial_states_single_and_state_dict() -> None:
    m = M(x=rng(0, 3), s=SetT(PROC))
    it = m.build(init=(m.init("x", lit(3)), m.init("s", procs())))
    [s] = it.initial_states()
    assert s == (3, frozenset({P1, P2}))
    assert it.state_dict(s) == {"x": 3, "s": frozenset({P1, P2})}


def test_init_value_must_fit() -> None:
    m = M(x=rng(0, 3))
    it = m.build(init=(m.init("x", lit(5), line=4),))
    e = err("E3001", 4, it.initial_states)
    assert e.message == "value 5 does not fit 0..3 (x)"
    it = m.build(init=(m.init("x", rs(2, 4), choice=True, line=6),))
    err("E3001", 6, it.initial_states)


def test_empty_choice_gives_no_initial_state() -> None:
    m = M(x=rng(0, 3))
    assert m.build(init=(m.init("x", rs(1, 0), choice=True),)).initial_states() == []


# ---------------------------------------------------------------------------------------
# Transitions


def test_successors_params_and_either_in_order() -> None:
    m = M(x=rng(0, 3), y=OPROC)
    step = act("step", (Either((
        (m.set("x", loc("v")),),
        (m.set("y", loc("p", PROC)),),
    )),), params=(Binder("p", procs()), Binder("v", rs(0, 1))))
    reset = act("reset", (m.set("x", lit(0)),), guard=cmp(Op.GT, m.v.x, lit(0)))
    it = m.build(actions=(step, reset))
    got = it.successors((3, None))
    assert got == [
        (("step", (("p", P1), ("v", 0))), (0, None)),
        (("step", (("p", P1), ("v", 0))), (3, P1)),
        (("step", (("p", P1), ("v", 1))), (1, None)),
        (("step", (("p", P1), ("v", 1))), (3, P1)),
        (("step", (("p", P2), ("v", 0))), (0, None)),
        (("step", (("p", P2), ("v", 0))), (3, P2)),
        (("step", (("p", P2), ("v", 1))), (1, None)),
        (("step", (("p", P2), ("v", 1))), (3, P2)),
        (("reset", ()), (0, None)),
    ]
    assert [lbl for lbl, _ in it.successors((0, None))][-1][0] == "step"  # reset disabled


def test_param_domain_may_depend_on_earlier_param() -> None:
    m = M(x=rng(0, 9))
    a = act("a", (m.set("x", b(Op.ADD, b(Op.MUL, loc("i"), lit(3)), loc("j"))),),
            params=(Binder("i", rs(0, 2)), Binder("j", RangeSet(lit(0), loc("i"), SetT(INT)))))
    it = m.build(actions=(a,))
    assert [s for _, s in it.successors((0,))] == [(0,), (3,), (4,), (6,), (7,), (8,)]


def test_sequential_semantics_later_statement_sees_earlier_write() -> None:
    m = M(x=rng(0, 3), y=rng(0, 30))
    body = (m.set("x", b(Op.ADD, m.v.x, lit(1))), m.set("y", b(Op.MUL, m.v.x, lit(10))))
    assert run(m, body, (1, 0)) == [(2, 20)]


def test_either_branch_continues_with_rest_of_body() -> None:
    m = M(x=rng(0, 3), y=rng(0, 3))
    body = (
        If(T(), (Either(((m.set("x", lit(1)),), (m.set("x", lit(2)),))),), ()),
        m.set("y", m.v.x),
    )
    assert run(m, body, (0, 0)) == [(1, 1), (2, 2)]


def test_duplicates_and_self_loops_are_kept() -> None:
    m = M(x=rng(0, 3))
    body = (Either(((m.set("x", m.v.x),), (m.set("x", m.v.x),))),)
    assert run(m, body, (2,)) == [(2,), (2,)]
    assert run(m, (), (2,)) == [(2,)]  # an empty body is one self-loop


def test_require_abandons_only_its_branch() -> None:
    m = M(x=rng(0, 3))
    body = (Either((
        (Require(cmp(Op.GT, m.v.x, lit(0))), m.set("x", lit(0))),
        (m.set("x", lit(3)),),
    )), Require(cmp(Op.NE, m.v.x, lit(1))))
    assert run(m, body, (0,)) == [(3,)]
    assert run(m, body, (2,)) == [(0,), (3,)]


def test_guard_false_and_guard_none() -> None:
    m = M(x=rng(0, 3))
    assert run(m, (m.set("x", lit(1)),), (0,), guard=F()) == []
    assert run(m, (m.set("x", lit(1)),), (0,), guard=None) == [(1,)]


def test_if_and_let_scoping() -> None:
    m = M(x=rng(0, 3))
    body = (
        Let("a", lit(1)),
        If(cmp(Op.EQ, m.v.x, lit(0)), (Let("a", lit(2)), m.set("x", loc("a"))), (m.set("x", lit(3)),)),
        Require(cmp(Op.NE, m.v.x, lit(3))),
        m.set("x", b(Op.ADD, m.v.x, loc("a"))),  # the inner `let a` is out of scope here
    )
    assert run(m, body, (0,)) == [(3,)]
    assert run(m, body, (1,)) == []


def test_errors_are_met_depth_first() -> None:
    """Branch 1 runs to the end of the body (division by zero) before branch 2 starts."""
    m = M(x=rng(0, 3), y=rng(0, 30))
    body = (
        Either(((m.set("x", lit(1)),), (m.set("x", lit(9), line=2),))),
        m.set("y", b(Op.DIV, lit(10), b(Op.SUB, m.v.x, lit(1)), line=3)),
    )
    it = m.build(actions=(act("a", body),))
    err("E3006", 3, it.successors, (0, 0))


def test_unbounded_intermediate_integers() -> None:
    m = M(x=rng(0, 3))
    assert run(m, (m.set("x", b(Op.SUB, b(Op.ADD, m.v.x, lit(100)), lit(99))),), (2,)) == [(3,)]


# ---------------------------------------------------------------------------------------
# Runtime errors, each with its code and span


def test_e3001_assignment_out_of_range() -> None:
    m = M(count=FnT(PROC, rng(0, 3)))
    k = PathStep("fn", lit(P1, PROC), FnT(PROC, rng(0, 3)), sp(2))
    it = m.build(actions=(act("a", (m.set("count", lit(4), (k,), rng(0, 3), line=7),)),))
    e = err("E3001", 7, it.successors, (Fn([(P1, 0), (P2, 0)]),))
    assert e.message == "value 4 does not fit 0..3 (count[p1])"


def test_e3001_atom_of_wrong_set() -> None:
    other = AtomT("Other", ("o1",))
    m = M(y=PROC)
    it = m.build(actions=(act("a", (m.set("y", lit(other.atom(0), other), line=3),)),))
    err("E3001", 3, it.successors, (P1,))


def test_e3002_unwrap_none() -> None:
    m = M(owner=OPROC, count=FnT(PROC, rng(0, 3)))
    use = Apply(m.v.count, Unwrap(m.v.owner, PROC, sp(5)), rng(0, 3), sp(4))
    it = m.build(invariants=(Invariant("inv", cmp(Op.EQ, use, lit(0))),))
    count = Fn([(P1, 0), (P2, 1)])
    assert it.invariant_holds("inv", (P1, count))
    assert not it.invariant_holds("inv", (P2, count))
    e = err("E3002", 5, it.invariant_holds, "inv", (None, count))
    assert "none" in e.message


def test_e3002_storing_none_in_a_plain_type() -> None:
    m = M(y=PROC)
    it = m.build(actions=(act("a", (m.set("y", NONE(), line=2),)),))
    err("E3002", 2, it.successors, (P1,))
    m = M(y=OPROC)
    assert run(m, (m.set("y", NONE()),), (P1,)) == [(None,)]


def test_e3003_append_to_full_and_storing_long_sequence() -> None:
    q_t = SeqT(2, rng(0, 3))
    m = M(q=q_t)
    app = Call(Builtin.APPEND, (m.v.q, lit(3)), q_t, sp(6))
    it = m.build(actions=(act("a", (m.set("q", app),)),))
    assert [s for _, s in it.successors(((1,),))] == [((1, 3),)]
    e = err("E3003", 6, it.successors, ((1, 2),))
    assert "full" in e.message
    long = SeqLit((lit(1), lit(2), lit(3)), SeqT(3, rng(0, 3)))
    it = m.build(actions=(act("a", (m.set("q", long, line=8),)),))
    e = err("E3003", 8, it.successors, ((),))
    assert e.message == "value [1, 2, 3] exceeds the bound of seq[2] 0..3 (q)"


def test_e3003_nested_sequence_in_record() -> None:
    r_t = RecT((("n", rng(0, 3)), ("q", SeqT(1, rng(0, 3)))))
    m = M(r=r_t)
    val = RecLit((("n", lit(0)), ("q", SeqLit((lit(1), lit(1)), SeqT(2, rng(0, 3))))), r_t)
    it = m.build(actions=(act("a", (m.set("r", val, line=3),)),))
    err("E3003", 3, it.successors, (Rec([("n", 0), ("q", ())]),))


def test_e3004_index_and_seq_path() -> None:
    q_t = SeqT(3, rng(0, 3))
    m = M(q=q_t, x=rng(0, 3))
    idx = Index(m.v.q, lit(2), rng(0, 3), sp(3))
    it = m.build(actions=(act("a", (m.set("x", idx),)),))
    assert [s for _, s in it.successors(((1, 2, 3), 0))] == [((1, 2, 3), 3)]
    err("E3004", 3, it.successors, ((1, 2), 0))
    neg = Index(m.v.q, lit(-1), rng(0, 3), sp(4))
    err("E3004", 4, ev, neg, ((1, 2), 0))
    step = PathStep("seq", lit(1), q_t, sp(5))
    it = m.build(actions=(act("a", (m.set("q", lit(0), (step,), rng(0, 3)),)),))
    assert [s for _, s in it.successors(((1, 2), 0))] == [((1, 0), 0)]
    err("E3004", 5, it.successors, ((1,), 0))


def test_e3005_apply_and_path_outside_domain() -> None:
    f_t = FnT(rng(0, 2), BOOL)
    m = M(f=f_t, x=rng(0, 3))
    f = Fn([(0, True), (1, False), (2, True)])
    app = Apply(m.v.f, m.v.x, BOOL, sp(2))
    it = m.build(invariants=(Invariant("inv", app),))
    assert it.invariant_holds("inv", (f, 2))
    err("E3005", 2, it.invariant_holds, "inv", (f, 3))
    step = PathStep("fn", m.v.x, f_t, sp(3))
    it = m.build(actions=(act("a", (m.set("f", F(), (step,), BOOL),)),))
    assert [s for _, s in it.successors((f, 2))] == [(f.set(2, False), 2)]
    err("E3005", 3, it.successors, (f, 3))


def test_e3006_division_and_modulo_by_zero() -> None:
    err("E3006", 2, ev, b(Op.DIV, lit(1), lit(0), line=2))
    err("E3006", 3, ev, b(Op.MOD, lit(1), lit(0), line=3))
    assert ev(b(Op.DIV, lit(-7), lit(2))) == -4
    assert ev(b(Op.MOD, lit(-7), lit(2))) == 1


def test_assertion_failure() -> None:
    m = M(x=rng(0, 3))
    body = (m.set("x", b(Op.ADD, m.v.x, lit(1))), Assert(cmp(Op.LE, m.v.x, lit(2)), "too big", sp(9)))
    it = m.build(actions=(act("a", body),))
    assert [s for _, s in it.successors((1,))] == [(2,)]
    with pytest.raises(AssertFailure) as info:
        it.successors((2,))
    assert info.value.message == "too big"
    assert info.value.span == sp(9)


# ---------------------------------------------------------------------------------------
# Short-circuit evaluation


def test_guard_short_circuit_avoids_errors() -> None:
    m = M(owner=OPROC, count=FnT(PROC, rng(0, 3)))
    use = Apply(m.v.count, Unwrap(m.v.owner, PROC, sp(5)), rng(0, 3), sp(4))
    guard = cmp(Op.AND, cmp(Op.NE, m.v.owner, NONE()), cmp(Op.EQ, use, lit(0)))
    count = Fn([(P1, 0), (P2, 0)])
    body = (m.set("owner", NONE()),)
    assert run(m, body, (None, count), guard=guard) == []
    assert run(m, body, (P1, count), guard=guard) == [(None, count)]
    boom = cmp(Op.EQ, b(Op.DIV, lit(1), lit(0), line=7), lit(0))
    assert ev(cmp(Op.OR, T(), boom)) is True
    assert ev(cmp(Op.IMPLIES, F(), boom)) is True
    assert ev(Ite(F(), boom, T(), BOOL)) is True
    err("E3006", 7, ev, cmp(Op.AND, T(), boom))
    err("E3006", 7, ev, cmp(Op.IFF, F(), boom))  # iff does not short-circuit


# ---------------------------------------------------------------------------------------
# Quantifiers and comprehensions


def test_quantifier_canonical_order_and_early_stop() -> None:
    x = loc("x")
    div = b(Op.DIV, lit(10), b(Op.SUB, lit(2), x), line=3)  # fails at x == 2
    assert ev(Quant(True, (Binder("x", rs(0, 3)),), cmp(Op.GT, div, lit(5)), BOOL)) is False
    assert ev(Quant(False, (Binder("x", rs(0, 3)),), cmp(Op.EQ, div, lit(10)), BOOL)) is True
    err("E3006", 3, ev, Quant(True, (Binder("x", rs(0, 3)),), cmp(Op.GT, div, lit(0)), BOOL))
    # a set written {1, 0} is iterated 0 first: 1 // 0 is met before 1 // 1 == 1 decides
    rev = SetLit((lit(1), lit(0)), SetT(INT))
    body = cmp(Op.EQ, b(Op.DIV, lit(1), x, line=4), lit(1))
    err("E3006", 4, ev, Quant(False, (Binder("x", rev),), body, BOOL))
    assert ev(Quant(True, (Binder("x", rs(1, 0)),), F(), BOOL)) is True
    assert ev(Quant(False, (Binder("x", rs(1, 0)),), T(), BOOL)) is False


def test_quantifier_first_binder_outermost() -> None:
    x, y = loc("x"), loc("y")

    def is_(e: Expr, v: int) -> BinOp:
        return cmp(Op.EQ, e, lit(v))

    boom = cmp(Op.EQ, b(Op.DIV, lit(1), lit(0), line=2), lit(0))
    # false at (0, 0), true at (0, 1), error at (1, 0): found only if y is the inner loop
    body = Ite(cmp(Op.AND, is_(x, 1), is_(y, 0)), boom, cmp(Op.AND, is_(x, 0), is_(y, 1)), BOOL)
    q = Quant(False, (Binder("x", rs(0, 1)), Binder("y", rs(0, 1))), body, BOOL)
    assert ev(q) is True
    # a later domain may use an earlier binder: forall x in 0..2, y in 0..x: y <= x
    dep = Quant(True, (Binder("x", rs(0, 2)), Binder("y", RangeSet(lit(0), x, SetT(INT)))),
                cmp(Op.LE, y, x), BOOL)
    assert ev(dep) is True


def test_fncomp_filter_mapset() -> None:
    p = loc("p", PROC)
    comp = FnComp(Binder("p", procs()), cmp(Op.EQ, p, lit(P1, PROC)), FnT(PROC, BOOL))
    assert ev(comp) == Fn([(P1, True), (P2, False)])
    x, y = loc("x"), loc("y")
    even = Filter(Binder("x", rs(0, 5)), cmp(Op.EQ, b(Op.MOD, x, lit(2)), lit(0)), SetT(INT))
    assert ev(even) == frozenset({0, 2, 4})
    sums = MapSet(b(Op.ADD, x, y), (Binder("x", rs(0, 1)), Binder("y", rs(0, 1))), SetT(INT))
    assert ev(sums) == frozenset({0, 1, 2})
    tri = MapSet(b(Op.MUL, x, lit(10)), (Binder("x", rs(0, 2)),
                                          Binder("y", RangeSet(lit(1), x, SetT(INT)))), SetT(INT))
    assert ev(tri) == frozenset({10, 20})  # x == 0 has an empty inner domain
    assert ev(Filter(Binder("x", rs(1, 0)), T(), SetT(INT))) == frozenset()


# ---------------------------------------------------------------------------------------
# Nested assignment paths


def test_nested_path_fn_then_field() -> None:
    r_t = RecT((("count", rng(0, 3)), ("who", OPROC)))
    f_t = FnT(PROC, r_t)
    m = M(f=f_t)
    r0 = Rec([("count", 0), ("who", None)])
    f = Fn([(P1, r0), (P2, r0)])
    path = (PathStep("fn", lit(P2, PROC), f_t, sp(2)), PathStep("field", "count", r_t, sp(3)))
    assert run(m, (m.set("f", lit(3), path, rng(0, 3)),), (f,)) == [
        (Fn([(P1, r0), (P2, r0.set("count", 3))]),)]
    it = m.build(actions=(act("a", (m.set("f", lit(4), path, rng(0, 3), line=5),)),))
    e = err("E3001", 5, it.successors, (f,))
    assert e.message == "value 4 does not fit 0..3 (f[p2].count)"


def test_nested_path_field_then_seq_sees_earlier_write() -> None:
    q_t = SeqT(3, rng(0, 9))
    r_t = RecT((("n", rng(0, 9)), ("q", q_t)))
    m = M(r=r_t)
    n_of = Field(m.v.r, "n", rng(0, 9))
    q_of = Field(m.v.r, "q", q_t)
    path = (PathStep("field", "q", r_t), PathStep("seq", lit(1), q_t, sp(4)))
    body = (
        m.set("r", lit(7), (PathStep("field", "n", r_t),), rng(0, 9)),
        m.set("r", n_of, path, rng(0, 9)),
        m.set("r", Call(Builtin.APPEND, (q_of, n_of), q_t), (PathStep("field", "q", r_t),), q_t),
    )
    start = Rec([("n", 0), ("q", (1, 2))])
    assert run(m, body, (start,)) == [(Rec([("n", 7), ("q", (1, 7, 7))]),)]


# ---------------------------------------------------------------------------------------
# Builtins and sequences


def seq(*vs: int) -> Lit:
    return lit(tuple(vs), SeqT(3, rng(0, 9)))


def call(fn: Builtin, *args: Expr, line: int = 0) -> Call:
    return Call(fn, args, INT, sp(line))


def test_remove_edge_cases() -> None:
    assert ev(call(Builtin.REMOVE, seq(1, 2, 1), lit(1))) == (2, 1)  # first occurrence only
    assert ev(call(Builtin.REMOVE, seq(1, 2), lit(5))) == (1, 2)  # absent: unchanged
    assert ev(call(Builtin.REMOVE, seq(), lit(5))) == ()


def test_insert_edge_cases() -> None:
    assert ev(call(Builtin.INSERT, seq(1, 2), lit(0), lit(7))) == (7, 1, 2)
    assert ev(call(Builtin.INSERT, seq(1, 2), lit(2), lit(7))) == (1, 2, 7)  # at len: the end
    assert ev(call(Builtin.INSERT, seq(), lit(0), lit(7))) == (7,)
    err("E3004", 2, ev, call(Builtin.INSERT, seq(1, 2), lit(3), lit(7), line=2))
    err("E3004", 3, ev, call(Builtin.INSERT, seq(1, 2), lit(-1), lit(7), line=3))
    err("E3003", 4, ev, call(Builtin.INSERT, seq(1, 2, 3), lit(0), lit(7), line=4))


def test_index_and_len() -> None:
    assert ev(call(Builtin.INDEX, seq(4, 5, 4), lit(4))) == 0
    assert ev(call(Builtin.INDEX, seq(4, 5, 4), lit(5))) == 1
    err("E3004", 2, ev, call(Builtin.INDEX, seq(4, 5), lit(6), line=2))
    err("E3004", 3, ev, call(Builtin.INDEX, seq(), lit(6), line=3))
    assert ev(call(Builtin.LEN, seq(4, 5))) == 2
    assert ev(call(Builtin.LEN, rs(3, 7))) == 5


def test_slice_clamps_bounds() -> None:
    s = seq(1, 2, 3)
    t = SeqT(3, rng(0, 9))
    assert ev(Slice(s, lit(1), None, t)) == (2, 3)
    assert ev(Slice(s, None, lit(2), t)) == (1, 2)
    assert ev(Slice(s, lit(-5), lit(99), t)) == (1, 2, 3)  # no negative indexing from the end
    assert ev(Slice(s, lit(-1), lit(1), t)) == (1,)
    assert ev(Slice(s, lit(2), lit(1), t)) == ()


# ---------------------------------------------------------------------------------------
# Operators, constants, predicates, the action API


def test_operators() -> None:
    a, c = SetLit((lit(1), lit(2)), SetT(INT)), rs(2, 3)
    assert ev(b(Op.UNION, a, c, SetT(INT))) == frozenset({1, 2, 3})
    assert ev(b(Op.INTER, a, c, SetT(INT))) == frozenset({2})
    assert ev(b(Op.MINUS, a, c, SetT(INT))) == frozenset({1})
    assert ev(cmp(Op.SUBSET, rs(2, 2), a)) is True
    assert ev(cmp(Op.SUBSET, c, a)) is False
    assert ev(cmp(Op.IN, lit(3), c)) is True
    assert ev(cmp(Op.NOTIN, lit(3), c)) is False
    assert ev(rs(3, 2)) == frozenset()
    assert ev(Neg(lit(3), INT)) == -3
    assert ev(Not(F(), BOOL)) is True
    assert ev(cmp(Op.EQ, RecLit((("a", lit(1)),), RecT((("a", INT),))), lit(Rec([("a", 1)]), INT)))
    assert ev(cmp(Op.NE, seq(1, 2), SeqLit((lit(1), lit(2)), SeqT(2, INT)))) is False
    assert ev(cmp(Op.EQ, NONE(), NONE())) is True
    assert [ev(cmp(o, lit(2), lit(3))) for o in (Op.LT, Op.LE, Op.GT, Op.GE)] == [
        True, True, False, False]
    err("E3002", 5, ev, cmp(Op.LT, NONE(), lit(1), line=5))  # none compared with <


def test_const_evaluated_lazily_and_cached() -> None:
    k = ConstDef("K", b(Op.ADD, lit(1), lit(2)), INT)
    bad = ConstDef("BAD", b(Op.DIV, lit(1), lit(0), line=3), INT)
    it = M().build(consts=(k, bad))  # BAD is never evaluated unless used
    assert it.eval(ConstRef("K", INT), ()) == 3
    assert it.eval(ConstRef("K", INT), ()) == 3
    err("E3006", 3, it.eval, ConstRef("BAD", INT), ())


def test_invariants_and_terminal() -> None:
    m = M(x=rng(0, 3))
    inv = Invariant("small", cmp(Op.LT, m.v.x, lit(2)))
    it = m.build(invariants=(inv,), terminal=cmp(Op.EQ, m.v.x, lit(3)))
    assert it.invariant_holds("small", (1,)) and not it.invariant_holds("small", (2,))
    assert it.is_terminal((3,)) and not it.is_terminal((0,))
    assert not m.build().is_terminal((3,))
    with pytest.raises(KeyError):
        it.invariant_holds("nope", (1,))


def test_eval_with_env() -> None:
    m = M(x=rng(0, 3))
    assert m.build().eval(b(Op.ADD, m.v.x, loc("k")), (2,), {"k": 5}) == 7


def test_action_successors() -> None:
    m = M(x=rng(0, 3), y=OPROC)
    step = act("step", (Either(((m.set("x", loc("v")),), (m.set("y", loc("p", PROC)),))),),
               params=(Binder("p", procs()), Binder("v", rs(0, 1))),
               guard=cmp(Op.NE, m.v.y, lit(P2, PROC)))
    it = m.build(actions=(step,))
    s = (3, None)
    assert it.action_successors(s, "step", (("p", P2), ("v", 1))) == [(1, None), (3, P2)]
    assert it.action_successors((3, P2), "step", (("p", P1), ("v", 0))) == []  # guard false
    for label, nxt in it.successors(s):
        assert nxt in it.action_successors(s, label[0], label[1])
    with pytest.raises(KeyError):
        it.action_successors(s, "nope", ())
    with pytest.raises(ValueError):
        it.action_successors(s, "step", (("v", 1), ("p", P2)))  # wrong order
    with pytest.raises(ValueError):
        it.action_successors(s, "step", (("p", P2),))  # missing
    with pytest.raises(ValueError):
        it.action_successors(s, "step", (("p", P2), ("v", 2)))  # outside 0..1


def test_action_successors_raises_for_failing_binding() -> None:
    m = M(x=rng(0, 3))
    a = act("a", (m.set("x", loc("v"), line=4),), params=(Binder("v", rs(2, 4)),))
    it = m.build(actions=(a,))
    assert it.action_successors((0,), "a", (("v", 3),)) == [(3,)]
    err("E3001", 4, it.action_successors, (0,), "a", (("v", 4),))
    err("E3001", 4, it.successors, (0,))  # the first failing binding stops successors
