"""Expression grammar: precedence, and where a quantifier or `if then else` (an "open"
expression, which extends as far right as possible) may stand without parentheses.

Syntax trees compare without their spans, so a tree parsed from text can be compared with
one built here, and two texts can be compared by their trees (and by their checked IR).
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from explorer.diagnostics import SpecError
from explorer.lang import syntax as S
from explorer.lang.load import load_text
from explorer.lang.parser import _parser, parse_expr, parse_spec

# ---------------------------------------------------------------------------------------
# builders


def n(name: str) -> S.EName:
    return S.EName(name)


def b(op: str, x: S.ExprNode, y: S.ExprNode) -> S.EBinary:
    return S.EBinary(op, x, y)


def neg(x: S.ExprNode) -> S.EUnary:
    return S.EUnary("not", x)


def ex(var: str, body: S.ExprNode, dom: str = "S") -> S.EQuant:
    return S.EQuant(False, (S.BinderNode(var, n(dom)),), body)


def fa(var: str, body: S.ExprNode, dom: str = "S") -> S.EQuant:
    return S.EQuant(True, (S.BinderNode(var, n(dom)),), body)


def ite(c: S.ExprNode, x: S.ExprNode, y: S.ExprNode) -> S.EIte:
    return S.EIte(c, x, y)


a, c, d, P, Q, R = n("a"), n("c"), n("d"), n("P"), n("Q"), n("R")

# ---------------------------------------------------------------------------------------
# the shape of each form

SHAPES = {
    # the reported case
    "live[m] and exists a in S: P": b("and", S.EIndex(n("live"), n("m")), ex("a", P)),
    # right operand of and / or / iff / implies, operand of not
    "a and exists x in S: P": b("and", a, ex("x", P)),
    "a or exists x in S: P": b("or", a, ex("x", P)),
    "a iff exists x in S: P": b("iff", a, ex("x", P)),
    "a implies exists x in S: P": b("implies", a, ex("x", P)),
    "not forall x in S: P": neg(fa("x", P)),
    "a and if c then P else Q": b("and", a, ite(c, P, Q)),
    "not if c then P else Q": neg(ite(c, P, Q)),
    # the open operand extends as far right as possible
    "a and exists x in S: P or Q": b("and", a, ex("x", b("or", P, Q))),
    "a or forall x in S: P and Q": b("or", a, fa("x", b("and", P, Q))),
    "a and exists x in S: P implies Q": b("and", a, ex("x", b("implies", P, Q))),
    "not forall x in S: P and Q": neg(fa("x", b("and", P, Q))),
    "not exists x in S: P iff Q": neg(ex("x", b("iff", P, Q))),
    "a and if c then P else Q or R": b("and", a, ite(c, P, b("or", Q, R))),
    # the left part keeps Python's precedence
    "a and c or exists x in S: P": b("or", b("and", a, c), ex("x", P)),
    "a or c and exists x in S: P": b("or", a, b("and", c, ex("x", P))),
    "a iff c or exists x in S: P": b("iff", a, b("or", c, ex("x", P))),
    "a iff c iff exists x in S: P": b("iff", b("iff", a, c), ex("x", P)),
    "a and c and exists x in S: P": b("and", b("and", a, c), ex("x", P)),
    "not a and exists x in S: P": b("and", neg(a), ex("x", P)),
    "a and not not exists x in S: P": b("and", a, neg(neg(ex("x", P)))),
    "a or not c and not exists x in S: P": b("or", a, b("and", neg(c), neg(ex("x", P)))),
    # with implies
    "a implies c and exists x in S: P implies Q":
        b("implies", a, b("and", c, ex("x", b("implies", P, Q)))),
    "a and exists x in S: P implies Q implies R":
        b("and", a, ex("x", b("implies", P, b("implies", Q, R)))),
    "a and c implies exists x in S: P": b("implies", b("and", a, c), ex("x", P)),
    # nesting
    "a and exists x in S: P or forall y in T: Q and not exists z in S: R":
        b("and", a, ex("x", b("or", P, fa("y", b("and", Q, neg(ex("z", R))), "T")))),
    "forall x in S: a and exists y in T: P or Q":
        fa("x", b("and", a, ex("y", b("or", P, Q), "T"))),
    "if a and exists x in S: P then c or forall y in S: Q else not exists z in S: R":
        ite(b("and", a, ex("x", P)), b("or", c, fa("y", Q)), neg(ex("z", R))),
    "if c then a and exists x in S: P else Q": ite(c, b("and", a, ex("x", P)), Q),
    "a and exists x in S, y in T: P or Q":
        b("and", a, S.EQuant(False, (S.BinderNode("x", n("S")), S.BinderNode("y", n("T"))),
                             b("or", P, Q))),
    # the quantifier's own body (unchanged)
    "exists x in S: P and Q": ex("x", b("and", P, Q)),
    "forall x in S: P implies Q or R": fa("x", b("implies", P, b("or", Q, R))),
    # parentheses still close an open operand
    "(a and exists x in S: P) or Q": b("or", b("and", a, ex("x", P)), Q),
    "not (forall x in S: P) and Q": b("and", neg(fa("x", P)), Q),
    "not (a and c)": neg(b("and", a, c)),
    # comparisons bind tighter than not, as in Python
    "not a == c and exists x in S: P": b("and", neg(b("==", a, c)), ex("x", P)),
}


@pytest.mark.parametrize("text", list(SHAPES))
def test_shape(text: str) -> None:
    assert parse_expr(text) == SHAPES[text]


# Open forms are still not operands of comparisons, arithmetic or set operators, nor left
# operands of anything: there they need parentheses.
REJECTED = [
    "x == exists y in S: P",
    "x in forall y in S: P",
    "1 + if c then 1 else 2",
    "{1} union if c then {1} else {2}",
    "- if c then 1 else 2",
]


@pytest.mark.parametrize("text", REJECTED)
def test_rejected(text: str) -> None:
    with pytest.raises(SpecError):
        parse_expr(text)
    parse_expr(text.replace(" exists", " (exists").replace(" forall", " (forall")
               .replace(" if", " (if").replace("- if", "- (if") + ")")


def test_no_new_conflicts(caplog: pytest.LogCaptureFixture) -> None:
    """lark resolves shift/reduce conflicts silently (as shift) and logs them in debug mode;
    the grammar has exactly two, neither in expressions."""
    from lark import Lark, logger

    grammar = _parser().source_grammar
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger=logger.name):
            Lark(grammar, parser="lalr", start=["start", "expr_only"], debug=True)
    finally:
        logger.setLevel(old)
    conflicts = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage().lower()]
    assert sorted(m.split("terminal ")[1].split(":")[0] for m in conflicts) == ["COLON", "QMARK"]


# ---------------------------------------------------------------------------------------
# statements and declarations: an open operand ends where the expression does

STMT_SPEC = """
set S = {s1, s2}
var live: set S
var n: 0..2
init { live = {} n = 0 }
action grow(s in S) when n < 2 and not exists t in live: t == s {
  require n == 0 or forall t in live: t != s
  if n < 2 and exists t in S: t not in live { live := live union {s} }
  n := if n < 2 and exists t in S: t == s then n + 1 else n
}
invariant small: n <= 2 and forall t in live: t in S
"""


def test_statement_contexts() -> None:
    (_, _, _, _, act, inv) = parse_spec(STMT_SPEC).decls
    assert isinstance(act, S.DAction) and isinstance(inv, S.DInvariant)
    assert act.guard == b("and", b("<", n("n"), S.ELit(2)),
                          neg(ex("t", b("==", n("t"), n("s")), "live")))
    req, iff_stmt, assign = act.body
    assert req.cond == b("or", b("==", n("n"), S.ELit(0)),
                         fa("t", b("!=", n("t"), n("s")), "live"))
    assert iff_stmt.cond == b("and", b("<", n("n"), S.ELit(2)),
                              ex("t", b("not in", n("t"), n("live"))))
    assert isinstance(assign.value, S.EIte)
    assert inv.expr == b("and", b("<=", n("n"), S.ELit(2)), fa("t", b("in", n("t"), n("S")), "live"))


# ---------------------------------------------------------------------------------------
# parenthesised and unparenthesised forms elaborate to the same IR

IR_SPEC = """spec t
set S = {{s1, s2, s3}}
var live: set S
var k: 0..3
init {{ live = {{}} k = 0 }}
action step(s in S) {{ live := live union {{s}} k := (k + 1) % 4 }}
invariant inv: {}
"""

IR_PAIRS = [
    ("k < 3 and exists a in S: a in live", "k < 3 and (exists a in S: a in live)"),
    ("k < 3 or forall a in S: a in live or k == 0",
     "k < 3 or (forall a in S: (a in live or k == 0))"),
    ("not forall a in S: a in live", "not (forall a in S: a in live)"),
    ("k == 0 iff not exists a in S: a in live", "k == 0 iff (not (exists a in S: a in live))"),
    ("k > 0 implies exists a in S: a in live and k < 4",
     "k > 0 implies (exists a in S: (a in live and k < 4))"),
    ("k < 4 and if k == 0 then live == {} else exists a in live: true",
     "k < 4 and (if k == 0 then live == {} else (exists a in live: true))"),
    ("k < 4 and forall a in S: a in live implies exists b in live: b == a or k > 0",
     "k < 4 and (forall a in S: (a in live implies (exists b in live: (b == a or k > 0))))"),
    ("not k == 1 or not exists a in live: not a in live",
     "(not (k == 1)) or (not (exists a in live: (not (a in live))))"),
]


@pytest.mark.parametrize(("bare", "parenthesised"), IR_PAIRS)
def test_same_ir(bare: str, parenthesised: str) -> None:
    m1 = load_text(IR_SPEC.format(bare)).default
    m2 = load_text(IR_SPEC.format(parenthesised)).default
    assert m1.invariants[0].expr == m2.invariants[0].expr
    assert m1 == m2


# ---------------------------------------------------------------------------------------
# property: printing a random tree with the fewest parentheses the rules allow, and with
# every parenthesis, both parse back to the tree

_LEVEL = {"implies": 1, "iff": 2, "or": 3, "and": 4, "not": 5}
# (least level of the left operand, of the right operand) without parentheses
_OPERANDS = {"implies": (2, 1), "iff": (2, 3), "or": (3, 4), "and": (4, 5)}


def _level(e: S.ExprNode) -> int:
    if isinstance(e, S.EBinary):
        return _LEVEL[e.op]
    if isinstance(e, S.EUnary):
        return _LEVEL["not"]
    if isinstance(e, (S.EQuant, S.EIte)):
        return 0  # open
    return 9


def minimal(e: S.ExprNode, at_end: bool = True) -> str:
    """e with the fewest parentheses; at_end: nothing follows e in its expression, so an
    open operand at its right end may stay bare."""
    if isinstance(e, S.EName):
        return e.name
    if isinstance(e, S.EQuant):
        return (f"{'forall' if e.forall else 'exists'} "
                + ", ".join(f"{x.name} in {x.domain.name}" for x in e.binders)
                + f": {minimal(e.body)}")
    if isinstance(e, S.EIte):
        return f"if {minimal(e.c)} then {minimal(e.a)} else {minimal(e.b)}"
    if isinstance(e, S.EUnary):
        return "not " + _operand(e.e, 5, at_end)
    assert isinstance(e, S.EBinary)
    lo_left, lo_right = _OPERANDS[e.op]
    return f"{_operand(e.a, lo_left, False)} {e.op} {_operand(e.b, lo_right, at_end)}"


def _operand(e: S.ExprNode, least: int, at_end: bool) -> str:
    lvl = _level(e)
    if lvl >= least or (lvl == 0 and at_end):
        return minimal(e, at_end)
    return f"({minimal(e)})"


def full(e: S.ExprNode) -> str:
    if isinstance(e, S.EName):
        return e.name
    if isinstance(e, S.EQuant):
        x = e.binders[0]
        return f"({'forall' if e.forall else 'exists'} {x.name} in {x.domain.name}: {full(e.body)})"
    if isinstance(e, S.EIte):
        return f"(if {full(e.c)} then {full(e.a)} else {full(e.b)})"
    if isinstance(e, S.EUnary):
        return f"(not {full(e.e)})"
    assert isinstance(e, S.EBinary)
    return f"({full(e.a)} {e.op} {full(e.b)})"


_names = st.sampled_from([a, c, d, P, Q])
trees = st.recursive(
    _names,
    lambda sub: st.one_of(
        st.builds(neg, sub),
        st.builds(b, st.sampled_from(list(_OPERANDS)), sub, sub),
        st.builds(lambda f, v, body: S.EQuant(f, (S.BinderNode(v, n("S")),), body),
                  st.booleans(), st.sampled_from(["x", "y"]), sub),
        st.builds(ite, sub, sub, sub),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_minimal_and_full_parentheses_agree(tree: S.ExprNode) -> None:
    assert parse_expr(full(tree)) == tree
    assert parse_expr(minimal(tree)) == tree


def test_minimal_drops_parentheses() -> None:
    """The printer above really relies on the new rule (not on parentheses everywhere)."""
    assert minimal(b("and", a, ex("x", b("or", P, Q)))) == "a and exists x in S: P or Q"
    assert minimal(b("or", b("and", a, ex("x", P)), Q)) == "a and (exists x in S: P) or Q"
    assert minimal(neg(fa("x", P))) == "not forall x in S: P"


@settings(max_examples=200, deadline=None)
@given(trees, trees, st.sampled_from(["always", "eventually", "always eventually",
                                      "eventually always", "leads to"]))
def test_a_property_takes_whole_expressions(p: S.ExprNode, q: S.ExprNode, kind: str) -> None:
    """`P leads to Q` and `always P` take P and Q whole, however they are parenthesised
    (`leads to` binds looser than any operator, even an open quantifier's body)."""
    for show in (full, minimal):
        text = (f"{show(p)} leads to {show(q)}" if kind == "leads to"
                else f"{kind} {show(p)}")
        [d] = parse_spec(f"property prop: {text}\n").decls
        assert isinstance(d, S.DProperty)
        assert (d.kind, d.p, d.q) == (kind, p, q if kind == "leads to" else None)


@pytest.mark.parametrize("text, fairness", [
    ("action a { x := 1 }", "none"), ("fair action a { x := 1 }", "fair"),
    ("strong fair action a(p in S) when p { x := 1 }", "strong fair")])
def test_fairness_of_an_action(text: str, fairness: str) -> None:
    [d] = parse_spec(text + "\n").decls
    assert isinstance(d, S.DAction) and d.fairness == fairness


def test_a_check_assumes_fairness() -> None:
    [d] = parse_spec("check c only p assuming fair a, strong fair b, unfair c: expect holds\n").decls
    assert isinstance(d, S.DCheck) and d.only is not None
    assert [(f, a) for f, a, _ in d.fairness] == [("fair", "a"), ("strong fair", "b"),
                                                  ("none", "c")]


@pytest.mark.parametrize("word, ok", [("always", True), ("eventually", True), ("unfair", True),
                                      ("to", True), ("fair", False), ("strong", False),
                                      ("assuming", False), ("leads", False), ("step", True),
                                      ("cover", False), ("constraint", False),
                                      ("process", False), ("any", False), ("goto", False),
                                      ("ignoring", False)])
def test_the_newer_words_as_names(word: str, ok: bool) -> None:
    """README, "The language": the liveness, cover, constraint and process words are
    keywords only where their forms can come; some cannot name something written right
    after an expression, and the error says why."""
    text = (f"spec k\nvar x: bool\nvar {word}: bool\ninit {{ x = false  {word} = false }}\n"
            f"action a {{ x := true  {word} := true }}\n")
    if ok:
        load_text(text, "k.mnt")
    else:
        with pytest.raises(SpecError) as e:
            load_text(text, "k.mnt")
        assert [d.code for d in e.value.diagnostics] == ["E0001"]
        assert f"`{word}` is a keyword where it can start a form" in e.value.diagnostics[0].notes[0]


# Arithmetic reads as Python reads it: `**` binds tighter than a unary minus on its left
# and is right-associative, then `*`, then `+` and `-` (left-associative). Random
# expressions over small numbers, without parentheses, evaluated by Python and by the
# tool must agree.
_arith = st.recursive(
    st.integers(0, 3).map(str),
    lambda sub: st.one_of(
        st.builds(lambda x, op, y: f"{x} {op} {y}", sub, st.sampled_from(["+", "-", "*"]), sub),
        st.builds(lambda x: f"-{x}", sub),
        st.builds(lambda x, k: f"{x} ** {k}", sub, st.integers(0, 3).map(str)),
    ),
    max_leaves=8,
)


def _python_value(text: str) -> int | None:
    """The value Python gives the expression, by Python's own parse, or None when a power
    would be too large to compute (a tower like `3 ** 3 ** 3 ** 3` would never finish)."""
    import ast

    def ev(n: ast.expr) -> int | None:
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            v = ev(n.operand)
            return None if v is None else -v
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            if a is None or b is None:
                return None
            if isinstance(n.op, ast.Pow):
                if b < 0 or (abs(a) > 1 and b > 64):
                    return None
                return int(a ** b)
            ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
            return ops[type(n.op)]
        raise AssertionError(ast.dump(n))

    return ev(ast.parse(text, mode="eval").body)


@settings(max_examples=300, deadline=None)
@given(_arith)
def test_arithmetic_has_pythons_precedence(text: str) -> None:
    from explorer.interp import Interp
    from explorer.lang.load import load_text
    want = _python_value(text)
    assume(want is not None and abs(want) < 10**15)
    model = load_text(f"spec a\nvar x: 0..1\ninit {{ x = 0 }}\n"
                      f"invariant same: x + ({text}) == {want}\n").default
    assert Interp(model).invariant_holds("same", (0,))
