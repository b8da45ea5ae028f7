"""The checked, typed IR every engine consumes (the contract between language and engines).

A `Model` is one configuration of a spec (params fixed): finite types, variables, initial
assignments, actions with parameter domains, invariants, the terminal predicate. Every node
keeps the `Span` of the text it came from, so engines can point into the spec.
Imports only `values`.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias, assert_never

from explorer.values import Atom, Fn, Rec, Value


@dataclass(frozen=True)
class Span:
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


NOSPAN = Span(0, 0, 0, 0)

MAX_SET_ELEMS = 1024  # the values a set's element type may have, when not a scalar type
MAX_EXPONENT = 63  # `a ** b`: the largest exponent b's type may allow
MAX_INDUCTION_K = 64  # `by K-induction` and `--k`: the deepest induction a check may ask for

# ---------------------------------------------------------------------------------------
# Types. Every storable type is finite; IntT(None, None) only types intermediate results.


class TypeBase:
    """The runtime base of the types; annotate with `Type` (see `ExprBase`)."""

    __slots__ = ()


@dataclass(frozen=True)
class BoolT(TypeBase):
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True)
class IntT(TypeBase):
    lo: int | None = None
    hi: int | None = None

    def __str__(self) -> str:
        if self.lo is None or self.hi is None:
            return "int"
        return f"{self.lo}..{self.hi}"


@dataclass(frozen=True)
class AtomT(TypeBase):
    name: str
    atoms: tuple[str, ...]
    is_enum: bool = False
    symmetric: bool = False

    def __str__(self) -> str:
        return self.name

    def atom(self, i: int) -> Atom:
        return Atom(self.name, i, self.atoms[i])


@dataclass(frozen=True)
class NoneT(TypeBase):
    """The type of the literal `none`: fits every `T?`."""

    def __str__(self) -> str:
        return "none"


@dataclass(frozen=True)
class AnyT(TypeBase):
    """The element type of `{}` and `[]`: fits everything."""

    def __str__(self) -> str:
        return "?"


@dataclass(frozen=True)
class OptT(TypeBase):
    inner: Type

    def __str__(self) -> str:
        inner = f"({self.inner})" if isinstance(self.inner, FnT) else str(self.inner)
        return f"{inner}?"


@dataclass(frozen=True)
class SetT(TypeBase):
    elem: Type

    def __str__(self) -> str:
        return f"set {self.elem}"


@dataclass(frozen=True)
class FnT(TypeBase):
    dom: Type
    rng: Type

    def __str__(self) -> str:
        dom = f"({self.dom})" if isinstance(self.dom, FnT) else str(self.dom)
        return f"{dom} -> {self.rng}"


@dataclass(frozen=True)
class RecT(TypeBase):
    fields: tuple[tuple[str, Type], ...]  # sorted by name

    def __str__(self) -> str:
        return "{" + ", ".join(f"{n}: {t}" for n, t in self.fields) + "}"

    def field_type(self, name: str) -> Type | None:
        for n, t in self.fields:
            if n == name:
                return t
        return None


@dataclass(frozen=True)
class SeqT(TypeBase):
    cap: int
    elem: Type

    def __str__(self) -> str:
        return f"seq[{self.cap}] {self.elem}"


TypeKinds = BoolT | IntT | AtomT | NoneT | AnyT | OptT | SetT | FnT | RecT | SeqT
if TYPE_CHECKING:
    Type: TypeAlias = TypeKinds
else:
    Type = TypeBase


def is_finite(t: Type) -> bool:
    match t:
        case IntT():
            return t.lo is not None and t.hi is not None
        case BoolT() | AtomT() | NoneT():
            return True
        case OptT():
            return is_finite(t.inner)
        case SetT():
            return is_finite(t.elem)
        case FnT():
            return is_finite(t.dom) and is_finite(t.rng)
        case RecT():
            return all(is_finite(ft) for _, ft in t.fields)
        case SeqT():
            return t.cap == 0 or is_finite(t.elem)
        case AnyT():
            return False
        case _:
            assert_never(t)


def type_size(t: Type, limit: int = 10**9) -> int:
    """Number of values of a finite type (capped at `limit`)."""
    match t:
        case BoolT():
            return 2
        case IntT():
            assert t.lo is not None and t.hi is not None
            return max(0, t.hi - t.lo + 1)
        case AtomT():
            return len(t.atoms)
        case NoneT():
            return 1
        case OptT():
            return 1 + type_size(t.inner, limit)
        case SetT():
            n = type_size(t.elem, limit)
            return limit if n >= 64 else min(limit, 2**n)
        case FnT():
            d, r = type_size(t.dom, limit), type_size(t.rng, limit)
            return min(limit, r**d) if d < 64 else limit
        case RecT():
            n = 1
            for _, ft in t.fields:
                n = min(limit, n * type_size(ft, limit))
            return n
        case SeqT() if t.cap == 0:
            return 1
        case SeqT():
            e = type_size(t.elem, limit)
            n_seqs: int = sum(e**k for k in range(t.cap + 1))  # int ** int is typed Any
            return min(limit, n_seqs)
        case AnyT():
            return limit
        case _:
            assert_never(t)


def type_values(t: Type) -> list[Value]:
    """All values of a finite type, in canonical order."""
    match t:
        case BoolT():
            return [False, True]
        case IntT():
            assert t.lo is not None and t.hi is not None
            return list(range(t.lo, t.hi + 1))
        case AtomT():
            return [t.atom(i) for i in range(len(t.atoms))]
        case NoneT():
            return [None]
        case OptT():
            return [None, *type_values(t.inner)]
        case SetT():
            elems = type_values(t.elem)
            return [frozenset(c) for k in range(len(elems) + 1) for c in itertools.combinations(elems, k)]
        case FnT():
            dom = type_values(t.dom)
            return [Fn(zip(dom, img)) for img in itertools.product(type_values(t.rng), repeat=len(dom))]
        case RecT():
            names = [n for n, _ in t.fields]
            return [Rec(zip(names, vs))
                    for vs in itertools.product(*(type_values(ft) for _, ft in t.fields))]
        case SeqT() if t.cap == 0:
            return [()]
        case SeqT():
            elems = type_values(t.elem)
            return [s for k in range(t.cap + 1) for s in itertools.product(elems, repeat=k)]
        case AnyT():
            raise ValueError(f"type {t} has no finite enumeration")
        case _:
            assert_never(t)


def value_fits(v: Value, t: Type) -> bool:
    """Does value v belong to type t (ranges, bounds, domains included)?"""
    match t:
        case BoolT():
            return isinstance(v, bool)
        case IntT():
            return (isinstance(v, int) and not isinstance(v, bool)
                    and (t.lo is None or v >= t.lo) and (t.hi is None or v <= t.hi))
        case AtomT():
            return isinstance(v, Atom) and v.sort == t.name
        case NoneT():
            return v is None
        case AnyT():
            return True
        case OptT():
            return v is None or value_fits(v, t.inner)
        case SetT():
            return isinstance(v, frozenset) and all(value_fits(x, t.elem) for x in v)
        case FnT():
            return (isinstance(v, Fn) and set(v.keys()) == set(type_values(t.dom))
                    and all(value_fits(x, t.rng) for _, x in v.items()))
        case RecT():
            return (isinstance(v, Rec) and [n for n, _ in v.items()] == [n for n, _ in t.fields]
                    and all(value_fits(v[n], ft) for n, ft in t.fields))
        case SeqT():
            return isinstance(v, tuple) and len(v) <= t.cap and all(value_fits(x, t.elem) for x in v)
        case _:
            assert_never(t)


# ---------------------------------------------------------------------------------------
# Expressions. Every node carries its type `t` and its `span` (out of equality).


class Op(enum.Enum):
    AND = "and"
    OR = "or"
    IMPLIES = "implies"
    IFF = "iff"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOTIN = "not in"
    SUBSET = "subset"
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "//"
    MOD = "%"
    POW = "**"
    CONCAT = "++"  # sequences: the spec writes `s + t`
    UNION = "union"
    INTER = "inter"
    MINUS = "minus"


class Builtin(enum.Enum):
    LEN = "len"
    APPEND = "append"
    REMOVE = "remove"
    INSERT = "insert"
    INDEX = "index"
    REACH = "reach"
    MIN = "min"
    MAX = "max"


class ExprBase:
    """The runtime base of the expression nodes (a cheap `isinstance`); annotate with
    `Expr`, the closed union of the node classes, so that matches over it are exhaustive."""

    __slots__ = ()


@dataclass(frozen=True)
class Lit(ExprBase):
    value: Value
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class VarRef(ExprBase):
    index: int
    name: str
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ConstRef(ExprBase):
    """A named constant too rich to fold into a literal; engines evaluate it once."""

    name: str
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Local(ExprBase):
    """A bound name: action parameter, `let`, quantifier or comprehension variable."""

    name: str
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Unwrap(ExprBase):
    """Use of a `T?` where a `T` is needed: a runtime error when the value is none."""

    e: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Fit(ExprBase):
    """A value passed to a parameter of type t (an argument of a def or proc whose type
    does not guarantee it fits): a runtime error E3001 when it does not fit t."""

    e: Expr
    t: Type
    what: str  # the parameter, for the message
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Not(ExprBase):
    e: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Neg(ExprBase):
    e: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class BinOp(ExprBase):
    op: Op
    a: Expr
    b: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class RangeSet(ExprBase):
    lo: Expr
    hi: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Apply(ExprBase):
    """f[x] on a function; x outside the domain is a runtime (domain) error."""

    f: Expr
    x: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Index(ExprBase):
    """s[i] on a sequence, 0-based."""

    s: Expr
    i: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Slice(ExprBase):
    """s[lo:hi], Python semantics with bounds clamped; a missing bound is None."""

    s: Expr
    lo: Expr | None
    hi: Expr | None
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Field(ExprBase):
    r: Expr
    name: str
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Call(ExprBase):
    fn: Builtin
    args: tuple[Expr, ...]
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SetLit(ExprBase):
    elems: tuple[Expr, ...]
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SeqLit(ExprBase):
    elems: tuple[Expr, ...]
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class RecLit(ExprBase):
    fields: tuple[tuple[str, Expr], ...]  # sorted by name
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Ite(ExprBase):
    c: Expr
    a: Expr
    b: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Binder:
    name: str
    domain: Expr  # of type SetT
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Quant(ExprBase):
    forall: bool
    binders: tuple[Binder, ...]
    body: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Filter(ExprBase):
    """{x in S where P}"""

    binder: Binder
    pred: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class MapSet(ExprBase):
    """{e for x in S, y in T}"""

    e: Expr
    binders: tuple[Binder, ...]
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class FnComp(ExprBase):
    """{x: e for x in D}: a total function on the type D (t is FnT(D, ...))."""

    binder: Binder
    e: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


# Every expression node, closed: a match over `Expr` that misses one fails the type check.
ExprKinds = (Lit | VarRef | ConstRef | Local | Unwrap | Fit | Not | Neg | BinOp | RangeSet | Apply
             | Index | Slice | Field | Call | SetLit | SeqLit | RecLit | Ite | Quant | Filter | MapSet
             | FnComp)
if TYPE_CHECKING:
    Expr: TypeAlias = ExprKinds
else:
    Expr = ExprBase  # at run time the base class: `isinstance(x, Expr)` stays one check


# ---------------------------------------------------------------------------------------
# Statements


PathKind = Literal["fn", "seq", "field"]


@dataclass(frozen=True)
class PathStep:
    """One step of an assignment target: function key, sequence index, or record field."""

    kind: PathKind
    key: Expr | str  # a field's name (kind "field"), else the key's expression
    container: Type  # the type being indexed at this step
    span: Span = field(default=NOSPAN, compare=False)


class StmtBase:
    """The runtime base of the statement nodes; annotate with `Stmt` (see `ExprBase`)."""

    __slots__ = ()


@dataclass(frozen=True)
class Assign(StmtBase):
    var: int
    name: str
    path: tuple[PathStep, ...]
    value: Expr
    target_t: Type  # the declared type of the assigned location
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Let(StmtBase):
    name: str
    value: Expr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class If(StmtBase):
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Either(StmtBase):
    branches: tuple[tuple[Stmt, ...], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Require(StmtBase):
    cond: Expr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Assert(StmtBase):
    cond: Expr
    message: str
    span: Span = field(default=NOSPAN, compare=False)
    name: str | None = None  # `assert NAME: cond`


@dataclass(frozen=True)
class Fail(StmtBase):
    """A runtime error raised where it is reached (E3007: a `while` loop's bound exceeded)."""

    code: str
    message: str
    span: Span = field(default=NOSPAN, compare=False)


StmtKinds = Assign | Let | If | Either | Require | Assert | Fail
if TYPE_CHECKING:
    Stmt: TypeAlias = StmtKinds
else:
    Stmt = StmtBase


# ---------------------------------------------------------------------------------------
# Declarations


@dataclass(frozen=True)
class Var:
    index: int
    name: str
    t: Type
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    local: bool = False  # a `var` of a body: zero between steps, not shown in traces


@dataclass(frozen=True)
class InitItem:
    """`x = e` (choice=False) or `x in S` (choice=True: one initial state per element)."""

    var: int
    choice: bool
    expr: Expr
    span: Span = field(default=NOSPAN, compare=False)


class Fairness(enum.Enum):
    """What a behaviour owes an action, per binding of its parameters (TLA+'s
    `\\A p: WF_vars(A(p))`): nothing, weak fairness (`fair action`: an instance enabled
    from some point on, without end, is taken infinitely often) or strong fairness
    (`strong fair action`: one enabled infinitely often is taken infinitely often).
    Enabled and taken count only steps that change the state, as TLA+'s <<A>>_vars."""

    NONE = "none"
    WEAK = "fair"
    STRONG = "strong fair"


@dataclass(frozen=True)
class Action:
    name: str
    params: tuple[Binder, ...]
    guard: Expr | None
    body: tuple[Stmt, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    fairness: Fairness = Fairness.NONE


@dataclass(frozen=True)
class Invariant:
    name: str
    expr: Expr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    helper: bool = False  # a lemma that strengthens induction proofs; the search skips it
    # declared `property NAME: always P`: checked as the invariant P by every engine (on
    # the fly, shortest trace), reported as the property it is
    always: bool = False

    def violated(self) -> str:
        """How a report says it is violated."""
        return (f"property {self.name} (always P) is violated" if self.always
                else f"invariant {self.name} is violated")


@dataclass(frozen=True)
class Cover:
    """`cover NAME: P`: some reachable state satisfies P. A check that explores every
    state and finds none fails (the check would hold vacuously for what P describes)."""

    name: str
    expr: Expr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Constraint:
    """`constraint NAME: P`, TLC's state constraint: a state that violates P is generated
    and checked against the invariants, but neither stored nor expanded."""

    name: str
    expr: Expr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


class Temporal(enum.Enum):
    """The shapes of a `property` (P, Q state predicates), as the spec spells them."""

    ALWAYS = "always"  # [] P
    EVENTUALLY = "eventually"  # <> P
    LEADS_TO = "leads to"  # P ~> Q, i.e. [](P => <>Q)
    ALWAYS_EVENTUALLY = "always eventually"  # []<> P
    EVENTUALLY_ALWAYS = "eventually always"  # <>[] P


@dataclass(frozen=True)
class Property:
    """`property NAME: ...`: a statement about every behaviour (infinite, fair: see
    Fairness), checked by the explicit engines over the whole reachable graph."""

    name: str
    kind: Temporal
    p: Expr
    q: Expr | None = None  # LEADS_TO's Q
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)

    def describe(self) -> str:
        if self.kind is Temporal.LEADS_TO:
            return "P leads to Q"
        return f"{self.kind.value} P"


@dataclass(frozen=True)
class ConstDef:
    name: str
    expr: Expr
    t: Type
    span: Span = field(default=NOSPAN, compare=False)


class ExpectKind(enum.Enum):
    HOLDS = "holds"
    VIOLATION = "violation"
    DEADLOCK = "deadlock"
    ASSERTION = "assertion"
    ERROR = "error"
    PROVED = "proved"  # the invariants are inductive (k-induction, K = Expect.k or 1)
    CTI = "cti"  # induction fails with a counterexample to induction for Expect.target


@dataclass(frozen=True)
class Expect:
    kind: ExpectKind
    target: str | None = None  # the invariant (VIOLATION, CTI) or named assertion (ASSERTION)
    steps: int | None = None
    k: int | None = None  # PROVED, CTI: the K of `by K-induction`; None when not written (K = 1)

    def describe(self) -> str:
        """The expectation as the spec writes it (`expect` left out)."""
        s = self.kind.value + (f" {self.target}" if self.target else "")
        s += f" in {self.steps} step{'s' * (self.steps != 1)}" if self.steps is not None else ""
        return s + (f" by {self.k}-induction" if self.k is not None else "")


@dataclass(frozen=True)
class Check:
    name: str
    overrides: tuple[tuple[str, Value], ...]
    expect: Expect
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    only: tuple[str, ...] | None = None  # `only A, B`: the invariants and named assertions checked
    excluded: tuple[str, ...] = ()  # `except A, B` (then `only` holds the others)
    long: bool = False  # `check long NAME`: `explore --skip-long` leaves it out
    # `assuming ...`: the fairness of these actions for this check (the others keep theirs)
    fairness: tuple[tuple[str, Fairness], ...] = ()
    deadlock: bool = True  # False: `ignoring deadlock` (a state without successor is fine)

    def assuming(self) -> str:
        """The `assuming` and `ignoring deadlock` clauses as the spec writes them ("" for
        none)."""
        ignoring = "" if self.deadlock else " ignoring deadlock"
        if not self.fairness:
            return ignoring
        return " assuming " + ", ".join(f"{'unfair' if f is Fairness.NONE else f.value} {a}"
                                        for a, f in self.fairness) + ignoring


STYLES = ("dashed", "dotted", "bold", "grey", "red", "blue", "green", "orange", "filled")


@dataclass(frozen=True)
class RenderLabel:
    caption: str | None
    expr: Expr | None  # None: the caption alone is the line
    when: Expr | None


@dataclass(frozen=True)
class RenderStyle:
    styles: tuple[str, ...]  # from STYLES
    when: Expr


@dataclass(frozen=True)
class RenderNode:
    """The atoms of `domain` for which `when` holds are drawn as nodes (`var` is the IR name
    bound to the atom in the other expressions)."""

    var: str
    domain: Expr
    when: Expr | None
    labels: tuple[RenderLabel, ...]
    styles: tuple[RenderStyle, ...]
    group: Expr | None
    span: Span = field(default=NOSPAN, compare=False)
    group_caption: str | None = None


@dataclass(frozen=True)
class RenderEdge:
    """From each atom of `domain` (where `when` holds) to the atom, optional atom or set of
    atoms `target` gives."""

    var: str
    domain: Expr
    target: Expr
    when: Expr | None
    label: str | None
    styles: tuple[str, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class Render:
    """The spec's `render` section: how one state is drawn."""

    nodes: tuple[RenderNode, ...]
    edges: tuple[RenderEdge, ...]


@dataclass(frozen=True)
class Model:
    name: str
    path: str
    vars: tuple[Var, ...]
    consts: tuple[ConstDef, ...]
    init: tuple[InitItem, ...]
    actions: tuple[Action, ...]
    invariants: tuple[Invariant, ...]
    terminal: Expr | None
    params: tuple[tuple[str, Value], ...]  # the values in force for this configuration
    sets: tuple[AtomT, ...]
    doc: str = ""
    assertions: tuple[str, ...] = ()  # the names of the spec's named assertions
    render: Render | None = None  # the `render` section, if any
    init_span: Span = field(default=NOSPAN, compare=False)  # the `init` block (or `spec`)
    # the properties about infinite behaviours; `always P` is among the invariants
    # (Invariant.always): a finite trace violates it, and every engine checks it as one
    properties: tuple[Property, ...] = ()
    covers: tuple[Cover, ...] = ()
    constraints: tuple[Constraint, ...] = ()


def expressions(model: Model) -> list[Expr]:
    """Every expression an explicit search evaluates: consts, `init`, the actions' domains,
    guards and bodies, the invariants (not the helpers), `terminal`, the properties, the
    covers and the constraints."""
    exprs: list[Expr] = [c.expr for c in model.consts] + [i.expr for i in model.init]
    exprs += [i.expr for i in model.invariants if not i.helper]
    exprs += [model.terminal] if model.terminal is not None else []
    exprs += [e for p in model.properties for e in (p.p, p.q) if e is not None]
    exprs += [c.expr for c in model.covers] + [c.expr for c in model.constraints]
    for a in model.actions:
        exprs += [b.domain for b in a.params] + ([a.guard] if a.guard is not None else [])
        exprs += stmt_exprs(a.body)
    return exprs


def subtypes(t: Type) -> Iterator[Type]:
    """t and every type within it (elements, domains, ranges, fields), pre-order."""
    yield t
    match t:
        case OptT():
            yield from subtypes(t.inner)
        case SetT() | SeqT():
            yield from subtypes(t.elem)
        case FnT():
            yield from subtypes(t.dom)
            yield from subtypes(t.rng)
        case RecT():
            for _, ft in t.fields:
                yield from subtypes(ft)
        case _:
            pass


def compound_sets(model: Model) -> Iterator[SetT]:
    """The set types of the model (its variables' and its expressions') whose elements
    are not scalars (records, sequences, sets, functions)."""
    types = [v.t for v in model.vars] + [x.t for e in expressions(model) for x in walk_expr(e)]
    for whole in types:
        for t in subtypes(whole):
            if isinstance(t, SetT) and not isinstance(t.elem, BoolT | IntT | AtomT | AnyT):
                yield t


def binders(e: Expr) -> tuple[Binder, ...]:
    """The variables an expression binds over its body (quantifiers, comprehensions)."""
    if isinstance(e, Quant | MapSet):
        return e.binders
    if isinstance(e, Filter | FnComp):
        return (e.binder,)
    return ()


def children(x: Expr) -> list[Expr]:
    """The direct sub-expressions of x (binder domains included), in field order."""
    plan = _PLANS.get(type(x))
    if plan is None:
        plan = _PLANS[type(x)] = _plan(type(x))
    out: list[Expr] = []
    for name, kind in plan:
        c = getattr(x, name)
        if kind == "e":
            if c is not None:
                out.append(c)
        elif kind == "es":
            out.extend(c)
        elif kind == "fs":
            out.extend(v for _, v in c)
        elif kind == "b":
            out.append(c.domain)
        else:
            out.extend(b.domain for b in c)
    return out


_PLANS: dict[type, tuple[tuple[str, str], ...]] = {}
_KINDS = {"Expr": "e", "Expr | None": "e", "tuple[Expr, ...]": "es",
          "tuple[tuple[str, Expr], ...]": "fs", "Binder": "b", "tuple[Binder, ...]": "bs"}


def _plan(cls: type) -> tuple[tuple[str, str], ...]:
    """Which fields of an expression class hold sub-expressions, and how (from their
    annotations, once per class: `children` is on the elaborator's hot path)."""
    return tuple((f.name, _KINDS[f.type]) for f in dataclasses.fields(cls)
                 if isinstance(f.type, str) and f.type in _KINDS)


def walk_expr(e: Expr) -> Iterator[Expr]:
    """Yield e and every sub-expression (pre-order); binder domains included."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(children(x))


def walk_stmts(stmts: tuple[Stmt, ...]) -> Iterator[Stmt]:
    """Yield every statement of a body, nested ones included (pre-order)."""
    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from walk_stmts(s.then + s.orelse)
        elif isinstance(s, Either):
            for b in s.branches:
                yield from walk_stmts(b)


def either_growth(stmts: tuple[Stmt, ...]) -> tuple[int, int, int]:
    """How a body branches, once each statement following an `either` (or an `if` holding
    one, which becomes an `either` of `require c` and `require not c`) is moved into every
    branch: (the most `either`s met in sequence on one path, the deepest block nesting, the
    number of paths, i.e. of copies of what follows the body). Every engine pays for the
    paths (the interpreter walks each, z3 encodes each); the explicit engine's normal form
    (`explorer.explicit.normalize.normalize`) is exactly this shape. The elaborator bounds it
    (E2005), once for all engines."""
    eithers = depth = base = 0
    paths = 1
    for st in stmts:
        e = d = 0
        p = 1
        if isinstance(st, If):
            (e1, d1, p1), (e2, d2, p2) = either_growth(st.then), either_growth(st.orelse)
            e, d = max(e1, e2), 1 + max(d1, d2)
            if e:
                e, d, p = e + 1, d + 1, p1 + p2
        elif isinstance(st, Either):
            parts = [either_growth(b) for b in st.branches]
            e, d = 1 + max(x[0] for x in parts), 2 + max(x[1] for x in parts)
            p = sum(x[2] for x in parts)
        depth = max(depth, base + d)
        eithers += e
        base += 2 * e
        paths *= p
    return eithers, depth, paths


def normalized_size(stmts: tuple[Stmt, ...], expr_size: Callable[[Expr], int]) -> int:
    """The size of a body once the explicit engine has moved what follows each `either`
    into its branches (see `either_growth`), the z3 engine's paths likewise: statements
    plus the nodes of their expressions (`expr_size(e)`), every copy counted. Linear in
    the body: a list is (size, paths), and what follows a branching statement is sized
    once and multiplied by the paths of each branch."""

    def own(s: Stmt) -> int:  # a statement without `either`, nested ones included
        return sum(1 for _ in walk_stmts((s,))) + sum(expr_size(e) for e in stmt_exprs((s,)))

    def branching(s: Stmt) -> bool:
        if isinstance(s, Either):
            return True
        return isinstance(s, If) and any(branching(x) for x in s.then + s.orelse)

    def size(body: tuple[Stmt, ...]) -> tuple[int, int]:
        total = 0
        for i, s in enumerate(body):
            if not branching(s):
                total += own(s)
                continue
            rest, rest_paths = size(body[i + 1:])
            if isinstance(s, Either):
                parts = [size(b) for b in s.branches]
            else:
                assert isinstance(s, If)  # `require c` and `require not c` open its sides
                parts = [size(s.then), size(s.orelse)]
                total += 2 * (1 + expr_size(s.cond))
            return (total + sum(n + p * rest for n, p in parts),
                    sum(p * rest_paths for _, p in parts))
        return total, 1

    return size(stmts)[0]


def stmt_exprs(stmts: tuple[Stmt, ...]) -> list[Expr]:
    """The expressions a body evaluates directly (values, keys, conditions)."""
    out: list[Expr] = []
    for s in walk_stmts(stmts):
        match s:
            case Assign():
                out.append(s.value)
                out.extend(p.key for p in s.path if isinstance(p.key, Expr))
            case Let():
                out.append(s.value)
            case If() | Require() | Assert():
                out.append(s.cond)
            case Either() | Fail():  # a branch's statements are walked on their own
                pass
            case _:
                assert_never(s)
    return out
