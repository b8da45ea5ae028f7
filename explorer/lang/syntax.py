"""The syntax tree of a `.mnt` spec: frozen dataclasses, spans out of equality.

Produced by parser.py, read by typecheck.py. Nothing here knows about types or engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from explorer.model import NOSPAN, Span

# ---------------------------------------------------------------- types


@dataclass(frozen=True)
class TypeNode:
    if TYPE_CHECKING:  # every kind has its own `span` field (last, so that it has a default)
        @property
        def span(self) -> Span: ...


@dataclass(frozen=True)
class TName(TypeNode):
    name: str
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TBool(TypeNode):
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TInt(TypeNode):
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TRange(TypeNode):
    lo: AnyExpr
    hi: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TSet(TypeNode):
    elem: AnyType
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TFn(TypeNode):
    dom: AnyType
    rng: AnyType
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TOpt(TypeNode):
    inner: AnyType
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TRec(TypeNode):
    fields: tuple[tuple[str, AnyType], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TSeq(TypeNode):
    cap: AnyExpr
    elem: AnyType
    span: Span = field(default=NOSPAN, compare=False)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class ExprNode:
    if TYPE_CHECKING:  # every kind has its own `span` field (last, so that it has a default)
        @property
        def span(self) -> Span: ...


@dataclass(frozen=True)
class ELit(ExprNode):
    value: bool | int | None
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EName(ExprNode):
    name: str
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EUnary(ExprNode):
    op: str  # "not" | "-"
    e: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EBinary(ExprNode):
    op: str  # the operator as written: "and", "==", "not in", "union", "..", ...
    a: AnyExpr
    b: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EIndex(ExprNode):
    """e[x]: function application or sequence index (the types decide)."""

    e: AnyExpr
    x: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ESlice(ExprNode):
    e: AnyExpr
    lo: AnyExpr | None
    hi: AnyExpr | None
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EField(ExprNode):
    e: AnyExpr
    name: str
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ECall(ExprNode):
    name: str
    args: tuple[AnyExpr, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ESetLit(ExprNode):
    elems: tuple[AnyExpr, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ESeqLit(ExprNode):
    elems: tuple[AnyExpr, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ERecLit(ExprNode):
    """`{a: 1, b: x}`: a record, or a function literal when every name is an atom."""

    fields: tuple[tuple[str, AnyExpr], ...]
    span: Span = field(default=NOSPAN, compare=False)
    names: tuple[Span, ...] = field(default=(), compare=False)  # each field name's place


@dataclass(frozen=True)
class EFnLit(ExprNode):
    """`{0: a, 1: b}`, `{m1: 0, m2: 1}`: a function given key by key (its keys are values;
    see ERecLit for keys that are all names)."""

    pairs: tuple[tuple[AnyExpr, AnyExpr], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EIte(ExprNode):
    c: AnyExpr
    a: AnyExpr
    b: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class BinderNode:
    name: str
    domain: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EArg(ExprNode):
    """`argmin x in S: e` (`least`) or `argmax x in S: e`: the element of S with the least
    (greatest) e, the first in canonical order among ties; none when S is empty."""

    least: bool
    binder: BinderNode
    key: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EQuant(ExprNode):
    forall: bool
    binders: tuple[BinderNode, ...]
    body: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EFilter(ExprNode):
    binder: BinderNode
    pred: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EMap(ExprNode):
    e: AnyExpr
    binders: tuple[BinderNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EFnComp(ExprNode):
    binder: BinderNode
    e: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class StmtNode:
    if TYPE_CHECKING:  # every kind has its own `span` field (last, so that it has a default)
        @property
        def span(self) -> Span: ...


@dataclass(frozen=True)
class SAssign(StmtNode):
    target: AnyExpr  # EName, EIndex, EField chains
    value: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SLet(StmtNode):
    name: str
    value: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SVar(StmtNode):
    """`var NAME: TYPE = EXPR` in a body: a name the rest of the block may assign."""

    name: str
    type: AnyType
    value: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SIf(StmtNode):
    cond: AnyExpr
    then: tuple[AnyStmt, ...]
    orelse: tuple[AnyStmt, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SEither(StmtNode):
    branches: tuple[tuple[AnyStmt, ...], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SRequire(StmtNode):
    cond: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SAssert(StmtNode):
    cond: AnyExpr
    message: str | None
    name: str | None = None  # `assert NAME: cond`
    name_span: Span | None = field(default=None, compare=False)
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SCall(StmtNode):
    """`NAME(args)` as a statement: a call of a `proc`."""

    name: str
    args: tuple[AnyExpr, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SGoto(StmtNode):
    """`goto STEP` in a process step: the step this instance takes next."""

    label: str
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SFor(StmtNode):
    """`for NAME in e { body }`: over a set (canonical order) or a sequence (in order).
    With `pick`, `any NAME in S { body }`: one transition per element of the set S (none
    when S is empty), the statements after it going on in each."""

    name: str
    iterable: AnyExpr
    body: tuple[AnyStmt, ...]
    name_span: Span = field(default=NOSPAN, compare=False)
    span: Span = field(default=NOSPAN, compare=False)
    pick: bool = False


@dataclass(frozen=True)
class SWhile(StmtNode):
    """`while cond max K { body }`: at most K iterations; E3007 when cond still holds."""

    cond: AnyExpr
    bound: AnyExpr
    body: tuple[AnyStmt, ...]
    span: Span = field(default=NOSPAN, compare=False)


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Decl:
    if TYPE_CHECKING:  # every kind has its own `span` field (last, so that it has a default)
        @property
        def span(self) -> Span: ...


@dataclass(frozen=True)
class DSpec(Decl):
    name: str
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DSet(Decl):
    """`set S = {a, b}` (atoms) or `set S = p[lo..hi]` (atoms p<lo>..p<hi>)."""

    name: str
    atoms: tuple[tuple[str, Span], ...] | None
    prefix: str | None
    lo: AnyExpr | None
    hi: AnyExpr | None
    symmetric: bool
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DEnum(Decl):
    name: str
    values: tuple[tuple[str, Span], ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DParam(Decl):
    name: str
    type: AnyType
    default: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DConst(Decl):
    name: str
    type: AnyType | None
    value: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DVar(Decl):
    name: str
    type: AnyType
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class InitNode:
    name: str
    choice: bool
    expr: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DInit(Decl):
    items: tuple[InitNode, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DAction(Decl):
    name: str
    params: tuple[BinderNode, ...]
    guard: AnyExpr | None
    body: tuple[AnyStmt, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    fairness: str = "none"  # "none" | "fair" | "strong fair" (model.Fairness's values)


@dataclass(frozen=True)
class DDef(Decl):
    """`def NAME(p in S, ...) = expr`, or `def NAME = expr` (params empty)."""

    name: str
    params: tuple[BinderNode, ...]
    body: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DProc(Decl):
    """`proc NAME(p in S, ...) { statements }`: a statement macro."""

    name: str
    params: tuple[BinderNode, ...]
    body: tuple[AnyStmt, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DInvariant(Decl):
    name: str
    expr: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    helper: bool = False  # `invariant helper NAME`: a lemma for proofs, not a goal


@dataclass(frozen=True)
class DTerminal(Decl):
    expr: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class PVar:
    """`var NAME: TYPE = EXPR` in a process: one variable per instance, across its steps."""

    name: str
    type: AnyType
    value: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class PStep:
    """`step NAME [when GUARD] { body }` in a process: one atomic step."""

    name: str
    guard: AnyExpr | None
    body: tuple[AnyStmt, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DProcess(Decl):
    """`[fair] process NAME[(p in S)] { var ...  step ... }`: a non-atomic path; the
    parser turns it into declarations (lang/process.py) and keeps it only by name."""

    name: str
    binder: BinderNode | None
    items: tuple[PVar | PStep, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    fairness: str = "none"


@dataclass(frozen=True)
class DCover(Decl):
    """`cover NAME: P`: a state predicate some reachable state must satisfy."""

    name: str
    expr: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DConstraint(Decl):
    """`constraint NAME: P`: states violating P are checked but neither kept nor expanded."""

    name: str
    expr: AnyExpr
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DCheck(Decl):
    name: str
    overrides: tuple[tuple[str, AnyExpr, Span], ...]
    kind: str  # "holds" | "violation" | "deadlock" | "assertion" | "error" | "proved" | "cti"
    target: str | None  # the invariant (violation, cti) or the named assertion (assertion)
    target_span: Span | None
    steps: int | None
    only: tuple[tuple[str, Span], ...] | None = None  # `only A, B`: the properties checked
    excluded: tuple[tuple[str, Span], ...] | None = None  # `except A, B`: all others are
    k: int | None = None  # `by K-induction` (proved, cti); None when not written
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    long: bool = False  # `check long NAME`: `explore --skip-long` leaves it out
    # `assuming fair A, strong fair B, unfair C`: (model.Fairness's value, action, span)
    fairness: tuple[tuple[str, str, Span], ...] = ()
    deadlock: Span | None = None  # `ignoring deadlock`: where it is written


@dataclass(frozen=True)
class RLabelNode:
    caption: str | None
    expr: AnyExpr | None  # None: the caption alone is the line
    when: AnyExpr | None
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class RStyleNode:
    styles: tuple[tuple[str, Span], ...]
    when: AnyExpr
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class RNodeNode:
    """`node x in S [when P] { label ... style ... group ... }`"""

    binder: BinderNode
    when: AnyExpr | None
    labels: tuple[RLabelNode, ...]
    styles: tuple[RStyleNode, ...]
    group: AnyExpr | None
    span: Span = field(default=NOSPAN, compare=False)
    group_caption: str | None = None


@dataclass(frozen=True)
class REdgeNode:
    """`edge x in S -> TARGET [when P] [label "text"] [style a, b]`"""

    binder: BinderNode
    target: AnyExpr
    when: AnyExpr | None
    label: str | None
    styles: tuple[tuple[str, Span], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DRender(Decl):
    nodes: tuple[RNodeNode, ...]
    edges: tuple[REdgeNode, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DProperty(Decl):
    """`property NAME: always P` (kind: model.Temporal's value), `P leads to Q` (q set)."""

    name: str
    kind: str
    p: AnyExpr
    q: AnyExpr | None = None
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


# The kinds of each syntax category, for exhaustive matches (`match` + `assert_never`).
AnyType = TName | TBool | TInt | TRange | TSet | TFn | TOpt | TRec | TSeq
AnyExpr = (ELit | EName | EUnary | EBinary | EIndex | ESlice | EField | ECall | ESetLit | ESeqLit
           | ERecLit | EFnLit | EIte | EQuant | EArg | EFilter | EMap | EFnComp)
AnyStmt = (SAssign | SLet | SVar | SIf | SEither | SRequire | SAssert | SCall | SFor | SWhile
           | SGoto)
AnyDecl = (DSpec | DSet | DEnum | DParam | DConst | DVar | DInit | DAction | DDef | DProc
           | DInvariant | DTerminal | DCheck | DRender | DProperty | DCover | DConstraint
           | DProcess)


@dataclass(frozen=True)
class SpecFile:
    decls: tuple[AnyDecl, ...]
    # the processes the declarations came from (lang/process.py): name and place
    processes: tuple[tuple[str, Span], ...] = ()
