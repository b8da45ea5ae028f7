"""The syntax tree of a `.mnt` spec: frozen dataclasses, spans out of equality.

Produced by parser.py, read by typecheck.py. Nothing here knows about types or engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.model import NOSPAN, Span

# ---------------------------------------------------------------- types


@dataclass(frozen=True)
class TypeNode:
    pass


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
    lo: ExprNode
    hi: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TSet(TypeNode):
    elem: TypeNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TFn(TypeNode):
    dom: TypeNode
    rng: TypeNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TOpt(TypeNode):
    inner: TypeNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TRec(TypeNode):
    fields: tuple[tuple[str, TypeNode], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class TSeq(TypeNode):
    cap: ExprNode
    elem: TypeNode
    span: Span = field(default=NOSPAN, compare=False)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class ExprNode:
    pass


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
    e: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EBinary(ExprNode):
    op: str  # the operator as written: "and", "==", "not in", "union", "..", ...
    a: ExprNode
    b: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EIndex(ExprNode):
    """e[x]: function application or sequence index (the types decide)."""

    e: ExprNode
    x: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ESlice(ExprNode):
    e: ExprNode
    lo: ExprNode | None
    hi: ExprNode | None
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EField(ExprNode):
    e: ExprNode
    name: str
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ECall(ExprNode):
    name: str
    args: tuple[ExprNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ESetLit(ExprNode):
    elems: tuple[ExprNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ESeqLit(ExprNode):
    elems: tuple[ExprNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class ERecLit(ExprNode):
    fields: tuple[tuple[str, ExprNode], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EIte(ExprNode):
    c: ExprNode
    a: ExprNode
    b: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class BinderNode:
    name: str
    domain: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EQuant(ExprNode):
    forall: bool
    binders: tuple[BinderNode, ...]
    body: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EFilter(ExprNode):
    binder: BinderNode
    pred: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EMap(ExprNode):
    e: ExprNode
    binders: tuple[BinderNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class EFnComp(ExprNode):
    binder: BinderNode
    e: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class StmtNode:
    pass


@dataclass(frozen=True)
class SAssign(StmtNode):
    target: ExprNode  # EName, EIndex, EField chains
    value: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SLet(StmtNode):
    name: str
    value: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SVar(StmtNode):
    """`var NAME: TYPE = EXPR` in a body: a name the rest of the block may assign."""

    name: str
    type: TypeNode
    value: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SIf(StmtNode):
    cond: ExprNode
    then: tuple[StmtNode, ...]
    orelse: tuple[StmtNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SEither(StmtNode):
    branches: tuple[tuple[StmtNode, ...], ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SRequire(StmtNode):
    cond: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SAssert(StmtNode):
    cond: ExprNode
    message: str | None
    name: str | None = None  # `assert NAME: cond`
    name_span: Span | None = field(default=None, compare=False)
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SCall(StmtNode):
    """`NAME(args)` as a statement: a call of a `proc`."""

    name: str
    args: tuple[ExprNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SFor(StmtNode):
    """`for NAME in e { body }`: over a set (canonical order) or a sequence (in order)."""

    name: str
    iterable: ExprNode
    body: tuple[StmtNode, ...]
    name_span: Span = field(default=NOSPAN, compare=False)
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SWhile(StmtNode):
    """`while cond max K { body }`: at most K iterations; E3007 when cond still holds."""

    cond: ExprNode
    bound: ExprNode
    body: tuple[StmtNode, ...]
    span: Span = field(default=NOSPAN, compare=False)


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Decl:
    pass


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
    lo: ExprNode | None
    hi: ExprNode | None
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
    type: TypeNode
    default: ExprNode
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DConst(Decl):
    name: str
    type: TypeNode | None
    value: ExprNode
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DVar(Decl):
    name: str
    type: TypeNode
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class InitNode:
    name: str
    choice: bool
    expr: ExprNode
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
    guard: ExprNode | None
    body: tuple[StmtNode, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DDef(Decl):
    """`def NAME(p in S, ...) = expr`, or `def NAME = expr` (params empty)."""

    name: str
    params: tuple[BinderNode, ...]
    body: ExprNode
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DProc(Decl):
    """`proc NAME(p in S, ...) { statements }`: a statement macro."""

    name: str
    params: tuple[BinderNode, ...]
    body: tuple[StmtNode, ...]
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DInvariant(Decl):
    name: str
    expr: ExprNode
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)
    helper: bool = False  # `invariant helper NAME`: a lemma for proofs, not a goal


@dataclass(frozen=True)
class DTerminal(Decl):
    expr: ExprNode
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class DCheck(Decl):
    name: str
    overrides: tuple[tuple[str, ExprNode, Span], ...]
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


@dataclass(frozen=True)
class RLabelNode:
    caption: str | None
    expr: ExprNode | None  # None: the caption alone is the line
    when: ExprNode | None
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class RStyleNode:
    styles: tuple[tuple[str, Span], ...]
    when: ExprNode
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class RNodeNode:
    """`node x in S [when P] { label ... style ... group ... }`"""

    binder: BinderNode
    when: ExprNode | None
    labels: tuple[RLabelNode, ...]
    styles: tuple[RStyleNode, ...]
    group: ExprNode | None
    span: Span = field(default=NOSPAN, compare=False)
    group_caption: str | None = None


@dataclass(frozen=True)
class REdgeNode:
    """`edge x in S -> TARGET [when P] [label "text"] [style a, b]`"""

    binder: BinderNode
    target: ExprNode
    when: ExprNode | None
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
class DReserved(Decl):
    """A declaration the grammar reserves for later work (`property`, `fair`, `render`)."""

    keyword: str
    doc: str = ""
    span: Span = field(default=NOSPAN, compare=False)


@dataclass(frozen=True)
class SpecFile:
    decls: tuple[Decl, ...]
