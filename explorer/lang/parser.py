"""Text -> syntax tree. The only module that imports lark.

A lazily built LALR parser keeps positions; lark's exceptions are translated here into
`Diagnostic`s that say, in words, what was expected. The parse tree's depth is checked
before it is transformed, so no input can exhaust Python's recursion limit.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from explorer.diagnostics import Diagnostic, SpecError
from explorer.lang import syntax as S
from explorer.model import MAX_INDUCTION_K, Span

MAX_DEPTH = 120  # parse-tree levels; real specs stay under 40
MAX_DIGITS = 18  # integer literals; products of them stay far below Python's str limit
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t"}

_EXPR_START = {"NAME", "INT", "LPAR", "LBRACE", "LSQB", "DASH", "TRUE", "FALSE", "NONE",
               "NOT", "FORALL", "EXISTS", "IF"}
_DECL_START = {"SPEC", "SET", "SYMMETRIC", "ENUM", "PARAM", "CONST", "VAR", "INIT", "ACTION",
               "INVARIANT", "TERMINAL", "CHECK", "PROPERTY", "DOC", "DEF", "PROC", "RENDER"}
_STMT_START = {"LET", "EITHER", "REQUIRE", "ASSERT", "SEMICOLON", "FOR", "WHILE"}
_WORDS = {"NAME": "a name", "INT": "a number", "STRING": "a message in double quotes",
          "DOC": "a doc comment", "CMP": "a comparison", "$END": "the end of the file"}
_OPEN_KEYWORDS = {"forall", "exists", "if"}
_RESERVED_LATER = {"fair": "`fair` declarations"}


@functools.cache
def _parser() -> Lark:
    grammar = resources.files("explorer.lang").joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", start=["start", "expr_only"],
                propagate_positions=True, maybe_placeholders=True)


def parse_spec(text: str) -> S.SpecFile:
    """Parse a whole spec; raises SpecError with one located diagnostic on failure."""
    return _parse(text, "start")


def parse_expr(text: str) -> S.ExprNode:
    """Parse one expression (used for `--set NAME=VALUE`)."""
    return _parse(text, "expr_only")


def _parse(text: str, start: str) -> Any:
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedInput as e:
        raise SpecError([_translate(e, text)]) from None
    _check_depth(tree)
    try:
        return _ToSyntax().transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, SpecError):
            raise e.orig_exc from None
        raise


def _check_depth(tree: Tree) -> None:
    """Nesting depth, and names: `__` is reserved for the names def and proc bodies get."""
    stack: list[tuple[Any, int]] = [(tree, 1)]
    reserved: list[Token] = []
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            if isinstance(node, Token) and node.type == "NAME" and "__" in node:
                reserved.append(node)
            continue
        if depth > MAX_DEPTH:
            raise SpecError([Diagnostic("E0003", f"nesting deeper than {MAX_DEPTH} levels; "
                                        "split the expression or statement", _span_of(node))])
        stack.extend((c, depth + 1) for c in node.children)
    if reserved:
        tok = min(reserved, key=lambda t: (t.line, t.column))
        raise SpecError([Diagnostic("E1007", f"`{tok}`: names containing `__` are reserved "
                                    "(the names inside def and proc bodies use them)", _tsp(tok))])


def _span_of(node: Any) -> Span:
    meta = getattr(node, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return Span(meta.line, meta.column, meta.end_line, meta.end_column)
    return Span(0, 0, 0, 0)


# ------------------------------------------------------------------ error translation


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "NAME":
        return f"name `{tok}`"
    if tok.type == "INT":
        return f"number {tok}"
    if tok.type == "STRING":
        return "a string"
    if tok.type == "DOC":
        return "a doc comment"
    return f"`{tok}`"


def _describe_expected(expected: set[str]) -> str:
    parser = _parser()
    by_name = {t.name: t for t in parser.terminals}
    words: list[str] = []
    rest = set(expected)
    if {"NAME", "INT", "LPAR"} <= rest:
        words.append("an expression")
        rest -= _EXPR_START
    if {"SPEC", "VAR", "ACTION"} <= rest:
        words.append("a declaration")
        rest -= _DECL_START
    if {"LET", "REQUIRE"} <= rest:
        words.append("a statement")
        rest -= _STMT_START | {"NAME", "IF"}
    for name in sorted(rest):
        if name in _WORDS:
            words.append(_WORDS[name])
        elif name in by_name and by_name[name].pattern.type == "str":
            words.append(f"`{by_name[name].pattern.value}`")
        else:
            words.append(name.lower())
    words = sorted(set(words), key=lambda w: (not w.startswith("a"), w))
    if len(words) > 6:
        words = words[:6] + ["..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _translate(e: UnexpectedInput, text: str) -> Diagnostic:
    line, col = max(1, e.line if e.line != -1 else 1), max(1, e.column if e.column != -1 else 1)
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if 0 <= e.pos_in_stream < len(text) else ""
        shown = f"`{ch}`" if ch.isprintable() and ch else f"U+{ord(ch):04X}" if ch else "input"
        return Diagnostic("E0001", f"unexpected character {shown}", Span(line, col, line, col + 1))
    assert isinstance(e, UnexpectedToken)
    tok = e.token
    if tok.type == "$END":
        lines = text.rstrip().split("\n")  # just after the last token
        line, col = len(lines), len(lines[-1]) + 1
    if tok.type == "NAME" and str(tok) in _RESERVED_LATER and "DOC" in e.expected:
        return Diagnostic("E0004", f"{_RESERVED_LATER[str(tok)]} are not supported yet "
                          f"(`{tok}` is reserved)", Span(line, col, line, col + len(tok)))
    prev = None
    if e.token_history:
        prev = e.token_history[-1]
    hint = _open_operand(text, tok.start_pos if tok.type != "$END" else len(text))
    if hint is not None:
        return hint
    if tok.type == "LBRACE" and "NAME" in e.expected and _in_while_head(text, tok.start_pos):
        return Diagnostic("E0001", "a `while` loop needs a bound: `while c max K { ... }`, K a "
                          "constant of at most 64", Span(line, col, line, col + 1))
    after = f" after {_describe_token(prev)}" if prev is not None else ""
    msg = f"unexpected {_describe_token(tok)}{after}; expected {_describe_expected(set(e.expected))}"
    width = max(1, len(str(tok))) if tok.type != "$END" else 1
    return Diagnostic("E0001", msg, Span(line, col, line, col + width))


_TOKENS = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+|==|!=|<=|>=|\.\.|:=|\S")
_OPERATORS = {"==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "%", "div", "in", "union",
              "inter", "minus", "subset", ".."}


def _in_while_head(text: str, pos: int) -> bool:
    """Is pos in the condition of a `while` whose `max` has not come yet?"""
    words = [m.group() for m in _TOKENS.finditer(text, max(0, pos - 400), pos)]
    heads = [i for i, w in enumerate(words) if w == "while"]
    return bool(heads) and not any(w in ("max", "{", "}") for w in words[heads[-1] + 1:])


def _open_operand(text: str, pos: int) -> Diagnostic | None:
    """`x == forall ...`, `1 + if c then ...`: where an operand of a comparison, arithmetic
    or a set operator is expected, `forall`/`exists`/`if` cannot start one, so they are
    read as names and the parse fails a token or two later. Say so, at the keyword."""
    before = [m for m in _TOKENS.finditer(text, max(0, pos - 200), pos)][-4:]
    for i in range(len(before) - 1, 0, -1):
        kw, op = before[i], before[i - 1]
        if kw.group() in _OPEN_KEYWORDS and op.group() in _OPERATORS:
            what = "an `if ... then ... else`" if kw.group() == "if" else "a quantifier"
            line = text.count("\n", 0, kw.start()) + 1
            col = kw.start() - (text.rfind("\n", 0, kw.start()) + 1) + 1
            return Diagnostic("E0001", f"`{kw.group()}` cannot start an operand of `{op.group()}`: "
                              f"put {what} in parentheses there",
                              Span(line, col, line, col + len(kw.group())))
    return None


# ------------------------------------------------------------------ tree -> syntax


def _sp(meta: Any) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tsp(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + 1)


def _message(tok: Token | None) -> str | None:
    if tok is None:
        return None
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), str(tok)[1:-1])


def _err(msg: str, span: Span, code: str = "E0001") -> SpecError:
    return SpecError([Diagnostic(code, msg, span)])


def _number(tok: Token) -> int:
    """An INT token's value; a longer one than MAX_DIGITS is an error (Python refuses
    to convert very long digit strings)."""
    if len(tok) > MAX_DIGITS:
        raise _err(f"number too large (at most {MAX_DIGITS} digits)", _tsp(tok))
    return int(tok)


@v_args(meta=True)
class _ToSyntax(Transformer):
    # ---- top level
    def start(self, meta: Any, ch: list) -> S.SpecFile:
        return S.SpecFile(tuple(ch))

    def expr_only(self, meta: Any, ch: list) -> S.ExprNode:
        return ch[0]

    def decl(self, meta: Any, ch: list) -> S.Decl:
        docs = [str(t)[3:].strip() for t in ch[:-1]]
        d = ch[-1]
        if docs:
            d = d.__class__(**{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "doc": "\n".join(docs)})
        return d

    def spec_decl(self, meta: Any, ch: list) -> S.DSpec:
        return S.DSpec(str(ch[0]), span=_tsp(ch[0]))

    def set_decl(self, meta: Any, ch: list) -> S.DSet:
        sym, name, (atoms, prefix, lo, hi) = ch
        return S.DSet(str(name), atoms, prefix, lo, hi, sym is not None, span=_tsp(name))

    def atoms_list(self, meta: Any, ch: list) -> tuple:
        return (ch[0] or (), None, None, None)

    def atoms_gen(self, meta: Any, ch: list) -> tuple:
        return (None, str(ch[0]), ch[1], ch[2])

    def name_list(self, meta: Any, ch: list) -> tuple:
        return tuple((str(t), _tsp(t)) for t in ch if t is not None)

    def enum_decl(self, meta: Any, ch: list) -> S.DEnum:
        return S.DEnum(str(ch[0]), ch[1], span=_tsp(ch[0]))

    def param_decl(self, meta: Any, ch: list) -> S.DParam:
        return S.DParam(str(ch[0]), ch[1], ch[2], span=_tsp(ch[0]))

    def const_decl(self, meta: Any, ch: list) -> S.DConst:
        return S.DConst(str(ch[0]), ch[1], ch[2], span=_tsp(ch[0]))

    def var_decl(self, meta: Any, ch: list) -> S.DVar:
        return S.DVar(str(ch[0]), ch[1], span=_tsp(ch[0]))

    def init_decl(self, meta: Any, ch: list) -> S.DInit:
        return S.DInit(tuple(ch), span=_sp(meta))

    def init_eq(self, meta: Any, ch: list) -> S.InitNode:
        return S.InitNode(str(ch[0]), False, ch[1], span=_sp(meta))

    def init_in(self, meta: Any, ch: list) -> S.InitNode:
        return S.InitNode(str(ch[0]), True, ch[1], span=_sp(meta))

    def action_decl(self, meta: Any, ch: list) -> S.DAction:
        name, params, guard, body = ch
        return S.DAction(str(name), params or (), guard, body, span=_tsp(name))

    def def_decl(self, meta: Any, ch: list) -> S.DDef:
        name, params, body = ch
        return S.DDef(str(name), params or (), body, span=_tsp(name))

    def proc_decl(self, meta: Any, ch: list) -> S.DProc:
        name, params, body = ch
        return S.DProc(str(name), params or (), body, span=_tsp(name))

    def invariant_decl(self, meta: Any, ch: list) -> S.DInvariant:
        word, name, expr = ch
        if name is None:  # `invariant NAME: e`, NAME possibly `helper`
            return S.DInvariant(str(word), expr, span=_tsp(word))
        if str(word) != "helper":  # `helper` is a plain name elsewhere, so specs may use it
            raise _err(f"expected `:` after the invariant's name, or `invariant helper NAME:`; "
                       f"`{word}` is not `helper`", _tsp(word))
        return S.DInvariant(str(name), expr, span=_tsp(name), helper=True)

    def terminal_decl(self, meta: Any, ch: list) -> S.DTerminal:
        return S.DTerminal(ch[0], span=_sp(meta))

    def check_decl(self, meta: Any, ch: list) -> S.DCheck:
        word, name, overrides, selection, (kind, target, steps, k) = ch
        long = name is not None
        if not long:  # `check NAME ...`, NAME possibly `long`
            word, name = None, word
        elif str(word) != "long":  # `long` is a plain name elsewhere, so specs may use it
            raise _err(f"expected `with`, `only`, `except` or `:` after the check's name, or "
                       f"`check long NAME`; `{word}` is not `long`", _tsp(word))
        tname = str(target) if target is not None else None
        only, excluded = selection if selection is not None else (None, None)
        return S.DCheck(str(name), overrides or (), kind, tname,
                        _tsp(target) if target is not None else None, steps, only,
                        excluded=excluded, k=k, span=_tsp(name), long=long)

    def only(self, meta: Any, ch: list) -> tuple:
        return ch[0], None

    def except_(self, meta: Any, ch: list) -> tuple:
        return None, ch[0]

    def overrides(self, meta: Any, ch: list) -> tuple:
        return tuple(ch)

    def override(self, meta: Any, ch: list) -> tuple:
        return (str(ch[0]), ch[1], _tsp(ch[0]))

    # an expectation is (kind, target token, steps, K of `by K-induction`)
    def exp_holds(self, meta: Any, ch: list) -> tuple:
        return ("holds", None, None, None)

    def exp_violation(self, meta: Any, ch: list) -> tuple:
        return ("violation", ch[0], ch[1], None)

    def exp_deadlock(self, meta: Any, ch: list) -> tuple:
        return ("deadlock", None, ch[0], None)

    def exp_assertion(self, meta: Any, ch: list) -> tuple:
        return ("assertion", ch[0], ch[1], None)

    def exp_error(self, meta: Any, ch: list) -> tuple:
        return ("error", None, ch[0], None)

    def exp_proved(self, meta: Any, ch: list) -> tuple:
        return ("proved", None, None, ch[0])

    def exp_cti(self, meta: Any, ch: list) -> tuple:
        return ("cti", ch[0], None, ch[1])

    def steps(self, meta: Any, ch: list) -> int:
        return _number(ch[0])

    def induction(self, meta: Any, ch: list) -> int:
        k = _number(ch[0])
        if not 1 <= k <= MAX_INDUCTION_K:
            raise _err(f"`by {k}-induction`: the induction depth must be between 1 and "
                       f"{MAX_INDUCTION_K}", _tsp(ch[0]), "E2002")
        return k

    def render_decl(self, meta: Any, ch: list) -> S.DRender:
        return S.DRender(tuple(x for x in ch if isinstance(x, S.RNodeNode)),
                         tuple(x for x in ch if isinstance(x, S.REdgeNode)), span=_sp(meta))

    def render_node(self, meta: Any, ch: list) -> S.RNodeNode:
        binder, when, *items = ch
        groups = [x for x in items if isinstance(x, tuple) and x[0] == "group"]
        if len(groups) > 1:
            raise _err("a node has one `group`", groups[1][2])
        return S.RNodeNode(binder, when, tuple(x for x in items if isinstance(x, S.RLabelNode)),
                           tuple(x for x in items if isinstance(x, S.RStyleNode)),
                           groups[0][1][1] if groups else None,
                           group_caption=groups[0][1][0] if groups else None, span=_sp(meta))

    def r_label(self, meta: Any, ch: list) -> S.RLabelNode:
        (caption, expr), when = ch
        return S.RLabelNode(caption, expr, when, span=_sp(meta))

    # a label is a caption with a value, a value, or a caption alone (a fixed line of text)
    def lb_text(self, meta: Any, ch: list) -> tuple:
        return _message(ch[0]), None

    def lb_caption(self, meta: Any, ch: list) -> tuple:
        return _message(ch[0]), ch[1]

    def lb_value(self, meta: Any, ch: list) -> tuple:
        return None, ch[0]

    def r_style(self, meta: Any, ch: list) -> S.RStyleNode:
        return S.RStyleNode(ch[0], ch[1], span=_sp(meta))

    def r_group(self, meta: Any, ch: list) -> tuple:
        return ("group", (_message(ch[0]), ch[1]), _sp(meta))

    def render_edge(self, meta: Any, ch: list) -> S.REdgeNode:
        binder, target, when, label, styles = ch
        return S.REdgeNode(binder, target, when, _message(label),
                           styles or (), span=_sp(meta))

    def property_decl(self, meta: Any, ch: list) -> S.DReserved:
        return S.DReserved("property", span=_tsp(ch[0]))

    # ---- types
    def t_fn(self, meta: Any, ch: list) -> S.TFn:
        return S.TFn(ch[0], ch[1], span=_sp(meta))

    def t_opt(self, meta: Any, ch: list) -> S.TOpt:
        return S.TOpt(ch[0], span=_sp(meta))

    def t_name(self, meta: Any, ch: list) -> S.TName:
        return S.TName(str(ch[0]), span=_sp(meta))

    def t_bool(self, meta: Any, ch: list) -> S.TBool:
        return S.TBool(span=_sp(meta))

    def t_int(self, meta: Any, ch: list) -> S.TInt:
        return S.TInt(span=_sp(meta))

    def t_range(self, meta: Any, ch: list) -> S.TRange:
        return S.TRange(ch[0], ch[1], span=_sp(meta))

    def t_set(self, meta: Any, ch: list) -> S.TSet:
        return S.TSet(ch[0], span=_sp(meta))

    def t_seq(self, meta: Any, ch: list) -> S.TSeq:
        return S.TSeq(ch[0], ch[1], span=_sp(meta))

    def t_rec(self, meta: Any, ch: list) -> S.TRec:
        return S.TRec(tuple(c for c in ch if c is not None), span=_sp(meta))

    def field_type(self, meta: Any, ch: list) -> tuple:
        return (str(ch[0]), ch[1])

    # ---- statements
    def block(self, meta: Any, ch: list) -> tuple:
        return tuple(c for c in ch if c is not None)

    def s_assign(self, meta: Any, ch: list) -> S.SAssign:
        return S.SAssign(ch[0], ch[1], span=_sp(meta))

    def s_let(self, meta: Any, ch: list) -> S.SLet:
        return S.SLet(str(ch[0]), ch[1], span=_sp(meta))

    def s_var(self, meta: Any, ch: list) -> S.SVar:
        return S.SVar(str(ch[0]), ch[1], ch[2], span=_sp(meta))

    def if_stmt(self, meta: Any, ch: list) -> S.SIf:
        cond, then, orelse = ch
        if isinstance(orelse, S.SIf):
            orelse = (orelse,)
        return S.SIf(cond, then, orelse or (), span=_sp(meta))

    def s_either(self, meta: Any, ch: list) -> S.SEither:
        return S.SEither(tuple(ch), span=_sp(meta))

    def s_require(self, meta: Any, ch: list) -> S.SRequire:
        return S.SRequire(ch[0], span=_sp(meta))

    def s_assert(self, meta: Any, ch: list) -> S.SAssert:
        return S.SAssert(ch[0], _message(ch[1]), span=_sp(meta))

    def s_assert_named(self, meta: Any, ch: list) -> S.SAssert:
        name, cond, msg = ch
        return S.SAssert(cond, _message(msg), str(name), _tsp(name), span=_sp(meta))

    def s_call(self, meta: Any, ch: list) -> S.SCall:
        return S.SCall(str(ch[0]), tuple(c for c in ch[1:] if c is not None), span=_sp(meta))

    def s_for(self, meta: Any, ch: list) -> S.SFor:
        name, iterable, body = ch
        return S.SFor(str(name), iterable, body, _tsp(name), span=_sp(meta))

    def s_while(self, meta: Any, ch: list) -> S.SWhile:
        cond, word, bound, body = ch
        if str(word) != "max":  # `max` is a plain name elsewhere, so specs may use it
            raise _err(f"expected `max` and the loop's bound after the condition of `while`, "
                       f"not `{word}`", _tsp(word))
        return S.SWhile(cond, bound, body, span=_sp(meta))

    def s_empty(self, meta: Any, ch: list) -> None:
        return None

    # ---- expressions
    def quant(self, meta: Any, ch: list) -> S.EQuant:
        return S.EQuant(str(ch[0]) == "forall", ch[1], ch[2], span=_sp(meta))

    def binders(self, meta: Any, ch: list) -> tuple:
        return tuple(ch)

    def binder(self, meta: Any, ch: list) -> S.BinderNode:
        return S.BinderNode(str(ch[0]), ch[1], span=_tsp(ch[0]))

    def _bin(self, op: str, meta: Any, ch: list) -> S.EBinary:
        return S.EBinary(op, ch[0], ch[-1], span=_sp(meta))

    def e_implies(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("implies", meta, ch)

    def e_iff(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("iff", meta, ch)

    def e_or(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("or", meta, ch)

    def e_and(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("and", meta, ch)

    def e_not(self, meta: Any, ch: list) -> S.EUnary:
        return S.EUnary("not", ch[0], span=_sp(meta))

    def e_neg(self, meta: Any, ch: list) -> S.EUnary:
        return S.EUnary("-", ch[1], span=_sp(meta))

    def e_cmp(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin(str(ch[1]), meta, ch)

    def e_in(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("in", meta, ch)

    def e_notin(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("not in", meta, ch)

    def e_subset(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("subset", meta, ch)

    def e_setop(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin(str(ch[1]), meta, ch)

    def e_range(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin("..", meta, ch)

    def e_arith(self, meta: Any, ch: list) -> S.EBinary:
        return self._bin(str(ch[1]), meta, ch)

    def e_index(self, meta: Any, ch: list) -> S.EIndex:
        return S.EIndex(ch[0], ch[1], span=_sp(meta))

    def e_slice(self, meta: Any, ch: list) -> S.ESlice:
        return S.ESlice(ch[0], ch[1], ch[2], span=_sp(meta))

    def e_field(self, meta: Any, ch: list) -> S.EField:
        return S.EField(ch[0], str(ch[1]), span=_sp(meta))

    def e_int(self, meta: Any, ch: list) -> S.ELit:
        return S.ELit(_number(ch[0]), span=_sp(meta))

    def e_true(self, meta: Any, ch: list) -> S.ELit:
        return S.ELit(True, span=_sp(meta))

    def e_false(self, meta: Any, ch: list) -> S.ELit:
        return S.ELit(False, span=_sp(meta))

    def e_none(self, meta: Any, ch: list) -> S.ELit:
        return S.ELit(None, span=_sp(meta))

    def e_name(self, meta: Any, ch: list) -> S.EName:
        return S.EName(str(ch[0]), span=_sp(meta))

    def e_call(self, meta: Any, ch: list) -> S.ECall:
        return S.ECall(str(ch[0]), tuple(c for c in ch[1:] if c is not None), span=_sp(meta))

    def e_set(self, meta: Any, ch: list) -> S.ESetLit:
        return S.ESetLit(tuple(c for c in ch if c is not None), span=_sp(meta))

    def e_seq(self, meta: Any, ch: list) -> S.ESeqLit:
        return S.ESeqLit(tuple(c for c in ch if c is not None), span=_sp(meta))

    def e_rec(self, meta: Any, ch: list) -> S.ERecLit:
        items = [c for c in ch if c is not None]
        fields = []
        for k, v in zip(items[::2], items[1::2]):
            if not isinstance(k, S.EName):
                raise _err("a record field name must be a plain name", getattr(k, "span", _sp(meta)))
            fields.append((k.name, v))
        return S.ERecLit(tuple(fields), span=_sp(meta))

    def e_fncomp(self, meta: Any, ch: list) -> S.EFnComp:
        key, e, binder = ch
        if not (isinstance(key, S.EName) and key.name == binder.name):
            raise _err(f"the key of `{{x: e for x in D}}` must be the bound name `{binder.name}`",
                       getattr(key, "span", _sp(meta)))
        return S.EFnComp(binder, e, span=_sp(meta))

    def e_map(self, meta: Any, ch: list) -> S.EMap:
        return S.EMap(ch[0], ch[1], span=_sp(meta))

    def e_filter(self, meta: Any, ch: list) -> S.EFilter:
        head, pred = ch
        if not (isinstance(head, S.EBinary) and head.op == "in" and isinstance(head.a, S.EName)):
            raise _err("expected `{x in S where P}`: a name, `in` and a set before `where`",
                       getattr(head, "span", _sp(meta)))
        return S.EFilter(S.BinderNode(head.a.name, head.b, span=head.a.span), pred, span=_sp(meta))

    def e_ite(self, meta: Any, ch: list) -> S.EIte:
        return S.EIte(ch[0], ch[1], ch[2], span=_sp(meta))
