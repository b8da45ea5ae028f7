"""Text -> syntax tree. The only module that imports lark.

A lazily built LALR parser keeps positions; its tables are built once per lark and Python
version and kept in the user's cache (lang/cache.py), since building them takes longer than
checking a small spec. Lark's exceptions are translated here into
`Diagnostic`s that say, in words, what was expected. The parse tree's depth is checked
before it is transformed, so no input can exhaust Python's recursion limit.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import sys
from importlib import resources
from typing import Any, TypeAlias

import lark
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta

from explorer.diagnostics import Diagnostic, SpecError
from explorer.lang import cache, process
from explorer.lang import syntax as S
from explorer.model import MAX_INDUCTION_K, Span

MAX_DEPTH = 120  # parse-tree levels; real specs stay under 40
MAX_DIGITS = 18  # integer literals; products of them stay far below Python's str limit
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t"}

_EXPR_START = {"NAME", "INT", "LPAR", "LBRACE", "LSQB", "DASH", "TRUE", "FALSE", "NONE",
               "NOT", "FORALL", "EXISTS", "IF", "ARGMIN", "ARGMAX"}
_DECL_START = {"SPEC", "SET", "SYMMETRIC", "ENUM", "PARAM", "CONST", "VAR", "INIT", "ACTION",
               "PROCESS",
               "INVARIANT", "TERMINAL", "CHECK", "PROPERTY", "DOC", "DEF", "PROC", "RENDER",
               "FAIR", "STRONG", "COVER", "CONSTRAINT"}
_STMT_START = {"LET", "EITHER", "REQUIRE", "ASSERT", "SEMICOLON", "FOR", "WHILE", "ANY",
               "GOTO"}
_WORDS = {"NAME": "a name", "INT": "a number", "STRING": "a message in double quotes",
          "DOC": "a doc comment", "CMP": "a comparison", "$END": "the end of the file"}
_OPEN_KEYWORDS = {"forall", "exists", "if", "argmin", "argmax"}


_OPTIONS: dict[str, Any] = {"parser": "lalr", "start": ["start", "expr_only"],
                            "propagate_positions": True, "maybe_placeholders": True}


@functools.cache
def _parser() -> Lark:
    grammar = resources.files("explorer.lang").joinpath("grammar.lark").read_text()
    key = _cache_key(grammar)
    stored = cache.read(_CACHE_ENTRY, key)
    if stored is not None:
        try:
            parser = Lark.load(io.BytesIO(stored))
            parser.source_grammar = grammar  # as a built parser has it
            return parser
        except Exception:  # a damaged entry (we wrote it, but a disk may fail): build anew
            pass
    parser = Lark(grammar, **_OPTIONS)
    out = io.BytesIO()
    parser.save(out)
    cache.write(_CACHE_ENTRY, key, out.getvalue())
    return parser


_CACHE_ENTRY = "parser.lark"


def _cache_key(grammar: str) -> str:
    """What the stored tables were built from: the grammar, the options, lark's version
    and Python's (lark pickles them)."""
    text = "\0".join([grammar, repr(sorted(_OPTIONS.items())), lark.__version__,
                      sys.version, "1"])
    return "mnt-explorer parser " + hashlib.sha256(text.encode()).hexdigest()


def parse_spec(text: str) -> S.SpecFile:
    """Parse a whole spec; raises SpecError with one located diagnostic on failure (or
    every error of its processes, which become declarations here: lang/process.py)."""
    spec = _parse(text, "start")
    assert isinstance(spec, S.SpecFile)  # what rule `start` becomes
    return process.desugar(spec)


def parse_expr(text: str) -> S.ExprNode:
    """Parse one expression (used for `--set NAME=VALUE`)."""
    expr = _parse(text, "expr_only")
    assert isinstance(expr, S.ExprNode)  # what rule `expr_only` becomes
    return expr


def _parse(text: str, start: str) -> S.SpecFile | S.ExprNode:
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


def _check_depth(tree: Tree[Token]) -> None:
    """Nesting depth, and names: `__` is reserved for the names def and proc bodies get."""
    # None: an optional part left out (`maybe_placeholders`), which lark's types omit
    stack: list[tuple[Tree[Token] | Token | None, int]] = [(tree, 1)]
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


def _span_of(node: Tree[Token]) -> Span:
    return Span(0, 0, 0, 0) if node.meta.empty else _sp(node.meta)


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
        pos: object = e.pos_in_stream  # lark's types say None; the lexer sets its offset
        assert isinstance(pos, int)
        ch = text[pos] if 0 <= pos < len(text) else ""
        shown = f"`{ch}`" if ch.isprintable() and ch else f"U+{ord(ch):04X}" if ch else "input"
        return Diagnostic("E0001", f"unexpected character {shown}", Span(line, col, line, col + 1))
    assert isinstance(e, UnexpectedToken)
    tok = e.token
    if tok.type == "$END":
        lines = text.rstrip().split("\n")  # just after the last token
        line, col = len(lines), len(lines[-1]) + 1
    if "LEADS" in e.expected and tok.type not in e.expected:  # `property NAME: P` and no more
        width = max(1, len(str(tok))) if tok.type != "$END" else 1
        return Diagnostic("E0001", "a property says when its predicate holds: `always P`, "
                          "`eventually P`, `always eventually P`, `eventually always P` or "
                          "`P leads to Q`", Span(line, col, line, col + width))
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
    notes: tuple[str, ...] = ()
    if tok.type != "NAME" and "NAME" in e.expected and re.fullmatch(r"[a-z]+", str(tok)):
        # a word that is a keyword only where its form may come, read as one here
        notes = (f"`{tok}` is a keyword where it can start a form (a declaration, a "
                 "statement, a check's clause), as right after an expression: give the "
                 "name you meant another spelling",)
    return Diagnostic("E0001", msg, Span(line, col, line, col + width), notes=notes)


_TOKENS = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+|==|!=|<=|>=|\.\.|:=|\S")
_OPERATORS = {"==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "**", "%", "div", "in", "union",
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


def _sp(meta: Meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _docs(tokens: list[Any]) -> str:
    """The text of `///` doc comments."""
    return "\n".join(str(t)[3:].strip() for t in tokens)


def _tsp(tok: Token) -> Span:
    assert tok.line is not None and tok.column is not None  # the lexer places every token
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


# A callback's children are its rule's tokens, None for each optional part left out, and
# what the callbacks below returned for its sub-rules: the grammar, not a type, fixes which.
_Ch: TypeAlias = list[Any]
# what the callbacks that are not syntax nodes return
_Names: TypeAlias = tuple[tuple[str, Span], ...]
_SetDef: TypeAlias = tuple[_Names | None, str | None, S.AnyExpr | None, S.AnyExpr | None]
_Selection: TypeAlias = tuple[_Names | None, _Names | None]  # (only, except)
_Override: TypeAlias = tuple[str, S.AnyExpr, Span]
_Expectation: TypeAlias = tuple[str, Token | None, int | None, int | None]
_Label: TypeAlias = tuple[str | None, S.AnyExpr | None]  # (caption, value)
_Group: TypeAlias = tuple[str, tuple[str | None, S.AnyExpr], Span]


@v_args(meta=True)
class _ToSyntax(Transformer[Token, S.SpecFile | S.ExprNode]):
    # ---- top level
    def start(self, meta: Meta, ch: _Ch) -> S.SpecFile:
        return S.SpecFile(tuple(ch))

    def expr_only(self, meta: Meta, ch: _Ch) -> S.ExprNode:
        e = ch[0]
        assert isinstance(e, S.ExprNode)
        return e

    def decl(self, meta: Meta, ch: _Ch) -> S.Decl:
        docs = [str(t)[3:].strip() for t in ch[:-1]]
        d = ch[-1]
        assert isinstance(d, S.Decl)
        if docs:
            d = d.__class__(**{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "doc": "\n".join(docs)})
        return d

    def spec_decl(self, meta: Meta, ch: _Ch) -> S.DSpec:
        return S.DSpec(str(ch[0]), span=_tsp(ch[0]))

    def set_decl(self, meta: Meta, ch: _Ch) -> S.DSet:
        sym, name, (atoms, prefix, lo, hi) = ch
        return S.DSet(str(name), atoms, prefix, lo, hi, sym is not None, span=_tsp(name))

    def atoms_list(self, meta: Meta, ch: _Ch) -> _SetDef:
        return (ch[0] or (), None, None, None)

    def atoms_gen(self, meta: Meta, ch: _Ch) -> _SetDef:
        return (None, str(ch[0]), ch[1], ch[2])

    def name_list(self, meta: Meta, ch: _Ch) -> _Names:
        return tuple((str(t), _tsp(t)) for t in ch if t is not None)

    def enum_decl(self, meta: Meta, ch: _Ch) -> S.DEnum:
        return S.DEnum(str(ch[0]), ch[1], span=_tsp(ch[0]))

    def param_decl(self, meta: Meta, ch: _Ch) -> S.DParam:
        return S.DParam(str(ch[0]), ch[1], ch[2], span=_tsp(ch[0]))

    def const_decl(self, meta: Meta, ch: _Ch) -> S.DConst:
        return S.DConst(str(ch[0]), ch[1], ch[2], span=_tsp(ch[0]))

    def var_decl(self, meta: Meta, ch: _Ch) -> S.DVar:
        return S.DVar(str(ch[0]), ch[1], span=_tsp(ch[0]))

    def init_decl(self, meta: Meta, ch: _Ch) -> S.DInit:
        return S.DInit(tuple(ch), span=_sp(meta))

    def init_eq(self, meta: Meta, ch: _Ch) -> S.InitNode:
        return S.InitNode(str(ch[0]), False, ch[1], span=_sp(meta))

    def init_in(self, meta: Meta, ch: _Ch) -> S.InitNode:
        return S.InitNode(str(ch[0]), True, ch[1], span=_sp(meta))

    def action_decl(self, meta: Meta, ch: _Ch) -> S.DAction:
        fair, name, params, guard, body = ch
        return S.DAction(str(name), params or (), guard, body, span=_tsp(name),
                         fairness=fair or "none")

    def process_decl(self, meta: Meta, ch: _Ch) -> S.DProcess:
        fair, name, binder, *items = ch
        return S.DProcess(str(name), binder, tuple(i for i in items if i is not None),
                          span=_tsp(name), fairness=fair or "none")

    def process_var(self, meta: Meta, ch: _Ch) -> S.PVar:
        *docs, name, type_, value = ch
        return S.PVar(str(name), type_, value, _docs(docs), span=_tsp(name))

    def process_step(self, meta: Meta, ch: _Ch) -> S.PStep:
        *docs, word, name, guard, body = ch
        if str(word) != "step":  # `step` is a plain name elsewhere, so specs may use it
            raise _err(f"expected `step NAME` or `var NAME` in a process; `{word}` is not "
                       "`step`", _tsp(word))
        return S.PStep(str(name), guard, body, _docs(docs), span=_tsp(name))

    def s_goto(self, meta: Meta, ch: _Ch) -> S.SGoto:
        return S.SGoto(str(ch[0]), span=_tsp(ch[0]))

    def weak_fair(self, meta: Meta, ch: _Ch) -> str:
        return "fair"

    def strong_fair(self, meta: Meta, ch: _Ch) -> str:
        return "strong fair"

    def def_decl(self, meta: Meta, ch: _Ch) -> S.DDef:
        name, params, body = ch
        return S.DDef(str(name), params or (), body, span=_tsp(name))

    def proc_decl(self, meta: Meta, ch: _Ch) -> S.DProc:
        name, params, body = ch
        return S.DProc(str(name), params or (), body, span=_tsp(name))

    def invariant_decl(self, meta: Meta, ch: _Ch) -> S.DInvariant:
        word, name, expr = ch
        if name is None:  # `invariant NAME: e`, NAME possibly `helper`
            return S.DInvariant(str(word), expr, span=_tsp(word))
        if str(word) != "helper":  # `helper` is a plain name elsewhere, so specs may use it
            raise _err(f"expected `:` after the invariant's name, or `invariant helper NAME:`; "
                       f"`{word}` is not `helper`", _tsp(word))
        return S.DInvariant(str(name), expr, span=_tsp(name), helper=True)

    def terminal_decl(self, meta: Meta, ch: _Ch) -> S.DTerminal:
        return S.DTerminal(ch[0], span=_sp(meta))

    def cover_decl(self, meta: Meta, ch: _Ch) -> S.DCover:
        name, expr = ch
        return S.DCover(str(name), expr, span=_tsp(name))

    def constraint_decl(self, meta: Meta, ch: _Ch) -> S.DConstraint:
        name, expr = ch
        return S.DConstraint(str(name), expr, span=_tsp(name))

    def check_decl(self, meta: Meta, ch: _Ch) -> S.DCheck:
        word, name, overrides, selection, assuming, ignoring, (kind, target, steps, k) = ch
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
                        excluded=excluded, k=k, span=_tsp(name), long=long,
                        fairness=assuming or (),
                        deadlock=None if ignoring is None else _tsp(ignoring))

    def assuming(self, meta: Meta, ch: _Ch) -> tuple[tuple[str, str, Span], ...]:
        return tuple(ch[1:])

    def fair_item(self, meta: Meta, ch: _Ch) -> tuple[str, str, Span]:
        return ch[0], str(ch[1]), _tsp(ch[1])

    def unfair_item(self, meta: Meta, ch: _Ch) -> tuple[str, str, Span]:
        return "none", str(ch[1]), _tsp(ch[1])

    def only(self, meta: Meta, ch: _Ch) -> _Selection:
        return ch[0], None

    def except_(self, meta: Meta, ch: _Ch) -> _Selection:
        return None, ch[0]

    def overrides(self, meta: Meta, ch: _Ch) -> tuple[_Override, ...]:
        return tuple(ch)

    def override(self, meta: Meta, ch: _Ch) -> _Override:
        return (str(ch[0]), ch[1], _tsp(ch[0]))

    # an expectation is (kind, target token, steps, K of `by K-induction`)
    def exp_holds(self, meta: Meta, ch: _Ch) -> _Expectation:
        return ("holds", None, None, None)

    def exp_violation(self, meta: Meta, ch: _Ch) -> _Expectation:
        return ("violation", ch[0], ch[1], None)

    def exp_deadlock(self, meta: Meta, ch: _Ch) -> _Expectation:
        return ("deadlock", None, ch[0], None)

    def exp_assertion(self, meta: Meta, ch: _Ch) -> _Expectation:
        return ("assertion", ch[0], ch[1], None)

    def exp_error(self, meta: Meta, ch: _Ch) -> _Expectation:
        return ("error", None, ch[0], None)

    def exp_proved(self, meta: Meta, ch: _Ch) -> _Expectation:
        return ("proved", None, None, ch[0])

    def exp_cti(self, meta: Meta, ch: _Ch) -> _Expectation:
        return ("cti", ch[0], None, ch[1])

    def steps(self, meta: Meta, ch: _Ch) -> int:
        return _number(ch[0])

    def induction(self, meta: Meta, ch: _Ch) -> int:
        k = _number(ch[0])
        if not 1 <= k <= MAX_INDUCTION_K:
            raise _err(f"`by {k}-induction`: the induction depth must be between 1 and "
                       f"{MAX_INDUCTION_K}", _tsp(ch[0]), "E2002")
        return k

    def render_decl(self, meta: Meta, ch: _Ch) -> S.DRender:
        return S.DRender(tuple(x for x in ch if isinstance(x, S.RNodeNode)),
                         tuple(x for x in ch if isinstance(x, S.REdgeNode)), span=_sp(meta))

    def render_node(self, meta: Meta, ch: _Ch) -> S.RNodeNode:
        binder, when, *items = ch
        groups = [x for x in items if isinstance(x, tuple) and x[0] == "group"]
        if len(groups) > 1:
            raise _err("a node has one `group`", groups[1][2])
        return S.RNodeNode(binder, when, tuple(x for x in items if isinstance(x, S.RLabelNode)),
                           tuple(x for x in items if isinstance(x, S.RStyleNode)),
                           groups[0][1][1] if groups else None,
                           group_caption=groups[0][1][0] if groups else None, span=_sp(meta))

    def r_label(self, meta: Meta, ch: _Ch) -> S.RLabelNode:
        (caption, expr), when = ch
        return S.RLabelNode(caption, expr, when, span=_sp(meta))

    # a label is a caption with a value, a value, or a caption alone (a fixed line of text)
    def lb_text(self, meta: Meta, ch: _Ch) -> _Label:
        return _message(ch[0]), None

    def lb_caption(self, meta: Meta, ch: _Ch) -> _Label:
        return _message(ch[0]), ch[1]

    def lb_value(self, meta: Meta, ch: _Ch) -> _Label:
        return None, ch[0]

    def r_style(self, meta: Meta, ch: _Ch) -> S.RStyleNode:
        return S.RStyleNode(ch[0], ch[1], span=_sp(meta))

    def r_group(self, meta: Meta, ch: _Ch) -> _Group:
        return ("group", (_message(ch[0]), ch[1]), _sp(meta))

    def render_edge(self, meta: Meta, ch: _Ch) -> S.REdgeNode:
        binder, target, when, label, styles = ch
        return S.REdgeNode(binder, target, when, _message(label),
                           styles or (), span=_sp(meta))

    def property_decl(self, meta: Meta, ch: _Ch) -> S.DProperty:
        _, name, (kind, p, q) = ch
        return S.DProperty(str(name), kind, p, q, span=_tsp(name))

    def tp_always(self, meta: Meta, ch: _Ch) -> tuple[str, Any, None]:
        return "always", ch[1], None

    def tp_eventually(self, meta: Meta, ch: _Ch) -> tuple[str, Any, None]:
        return "eventually", ch[1], None

    def tp_always_eventually(self, meta: Meta, ch: _Ch) -> tuple[str, Any, None]:
        return "always eventually", ch[2], None

    def tp_eventually_always(self, meta: Meta, ch: _Ch) -> tuple[str, Any, None]:
        return "eventually always", ch[2], None

    def tp_leads_to(self, meta: Meta, ch: _Ch) -> tuple[str, Any, Any]:
        return "leads to", ch[0], ch[3]

    # ---- types
    def t_fn(self, meta: Meta, ch: _Ch) -> S.TFn:
        return S.TFn(ch[0], ch[1], span=_sp(meta))

    def t_opt(self, meta: Meta, ch: _Ch) -> S.TOpt:
        return S.TOpt(ch[0], span=_sp(meta))

    def t_name(self, meta: Meta, ch: _Ch) -> S.TName:
        return S.TName(str(ch[0]), span=_sp(meta))

    def t_bool(self, meta: Meta, ch: _Ch) -> S.TBool:
        return S.TBool(span=_sp(meta))

    def t_int(self, meta: Meta, ch: _Ch) -> S.TInt:
        return S.TInt(span=_sp(meta))

    def t_range(self, meta: Meta, ch: _Ch) -> S.TRange:
        return S.TRange(ch[0], ch[1], span=_sp(meta))

    def t_set(self, meta: Meta, ch: _Ch) -> S.TSet:
        return S.TSet(ch[0], span=_sp(meta))

    def t_seq(self, meta: Meta, ch: _Ch) -> S.TSeq:
        return S.TSeq(ch[0], ch[1], span=_sp(meta))

    def t_rec(self, meta: Meta, ch: _Ch) -> S.TRec:
        return S.TRec(tuple(c for c in ch if c is not None), span=_sp(meta))

    def field_type(self, meta: Meta, ch: _Ch) -> tuple[str, S.AnyType]:
        return (str(ch[0]), ch[1])

    # ---- statements
    def block(self, meta: Meta, ch: _Ch) -> tuple[S.AnyStmt, ...]:
        return tuple(c for c in ch if c is not None)

    def s_assign(self, meta: Meta, ch: _Ch) -> S.SAssign:
        return S.SAssign(ch[0], ch[1], span=_sp(meta))

    def s_let(self, meta: Meta, ch: _Ch) -> S.SLet:
        return S.SLet(str(ch[0]), ch[1], span=_sp(meta))

    def s_var(self, meta: Meta, ch: _Ch) -> S.SVar:
        return S.SVar(str(ch[0]), ch[1], ch[2], span=_sp(meta))

    def if_stmt(self, meta: Meta, ch: _Ch) -> S.SIf:
        cond, then, orelse = ch
        if isinstance(orelse, S.SIf):
            orelse = (orelse,)
        return S.SIf(cond, then, orelse or (), span=_sp(meta))

    def s_either(self, meta: Meta, ch: _Ch) -> S.SEither:
        return S.SEither(tuple(ch), span=_sp(meta))

    def s_require(self, meta: Meta, ch: _Ch) -> S.SRequire:
        return S.SRequire(ch[0], span=_sp(meta))

    def s_assert(self, meta: Meta, ch: _Ch) -> S.SAssert:
        return S.SAssert(ch[0], _message(ch[1]), span=_sp(meta))

    def s_assert_named(self, meta: Meta, ch: _Ch) -> S.SAssert:
        name, cond, msg = ch
        return S.SAssert(cond, _message(msg), str(name), _tsp(name), span=_sp(meta))

    def s_call(self, meta: Meta, ch: _Ch) -> S.SCall:
        return S.SCall(str(ch[0]), tuple(c for c in ch[1:] if c is not None), span=_sp(meta))

    def s_for(self, meta: Meta, ch: _Ch) -> S.SFor:
        name, iterable, body = ch
        return S.SFor(str(name), iterable, body, _tsp(name), span=_sp(meta))

    def s_any(self, meta: Meta, ch: _Ch) -> S.SFor:
        name, iterable, body = ch
        return S.SFor(str(name), iterable, body, _tsp(name), span=_sp(meta), pick=True)

    def s_while(self, meta: Meta, ch: _Ch) -> S.SWhile:
        cond, word, bound, body = ch
        if str(word) != "max":  # `max` is a plain name elsewhere, so specs may use it
            raise _err(f"expected `max` and the loop's bound after the condition of `while`, "
                       f"not `{word}`", _tsp(word))
        return S.SWhile(cond, bound, body, span=_sp(meta))

    def s_empty(self, meta: Meta, ch: _Ch) -> None:
        return None

    # ---- expressions
    def quant(self, meta: Meta, ch: _Ch) -> S.EQuant:
        return S.EQuant(str(ch[0]) == "forall", ch[1], ch[2], span=_sp(meta))

    def e_arg(self, meta: Meta, ch: _Ch) -> S.EArg:
        return S.EArg(str(ch[0]) == "argmin", ch[1], ch[2], span=_sp(meta))

    def binders(self, meta: Meta, ch: _Ch) -> tuple[S.BinderNode, ...]:
        return tuple(ch)

    def binder(self, meta: Meta, ch: _Ch) -> S.BinderNode:
        return S.BinderNode(str(ch[0]), ch[1], span=_tsp(ch[0]))

    def _bin(self, op: str, meta: Meta, ch: _Ch) -> S.EBinary:
        return S.EBinary(op, ch[0], ch[-1], span=_sp(meta))

    def e_implies(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("implies", meta, ch)

    def e_iff(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("iff", meta, ch)

    def e_or(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("or", meta, ch)

    def e_and(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("and", meta, ch)

    def e_not(self, meta: Meta, ch: _Ch) -> S.EUnary:
        return S.EUnary("not", ch[0], span=_sp(meta))

    def e_neg(self, meta: Meta, ch: _Ch) -> S.EUnary:
        return S.EUnary("-", ch[1], span=_sp(meta))

    def e_cmp(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin(str(ch[1]), meta, ch)

    def e_in(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("in", meta, ch)

    def e_notin(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("not in", meta, ch)

    def e_subset(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("subset", meta, ch)

    def e_setop(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin(str(ch[1]), meta, ch)

    def e_range(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin("..", meta, ch)

    def e_arith(self, meta: Meta, ch: _Ch) -> S.EBinary:
        return self._bin(str(ch[1]), meta, ch)

    def e_index(self, meta: Meta, ch: _Ch) -> S.EIndex:
        return S.EIndex(ch[0], ch[1], span=_sp(meta))

    def e_slice(self, meta: Meta, ch: _Ch) -> S.ESlice:
        return S.ESlice(ch[0], ch[1], ch[2], span=_sp(meta))

    def e_field(self, meta: Meta, ch: _Ch) -> S.EField:
        return S.EField(ch[0], str(ch[1]), span=_sp(meta))

    def e_int(self, meta: Meta, ch: _Ch) -> S.ELit:
        return S.ELit(_number(ch[0]), span=_sp(meta))

    def e_true(self, meta: Meta, ch: _Ch) -> S.ELit:
        return S.ELit(True, span=_sp(meta))

    def e_false(self, meta: Meta, ch: _Ch) -> S.ELit:
        return S.ELit(False, span=_sp(meta))

    def e_none(self, meta: Meta, ch: _Ch) -> S.ELit:
        return S.ELit(None, span=_sp(meta))

    def e_name(self, meta: Meta, ch: _Ch) -> S.EName:
        return S.EName(str(ch[0]), span=_sp(meta))

    def e_call(self, meta: Meta, ch: _Ch) -> S.ECall:
        return S.ECall(str(ch[0]), tuple(c for c in ch[1:] if c is not None), span=_sp(meta))

    def e_set(self, meta: Meta, ch: _Ch) -> S.ESetLit:
        return S.ESetLit(tuple(c for c in ch if c is not None), span=_sp(meta))

    def e_seq(self, meta: Meta, ch: _Ch) -> S.ESeqLit:
        return S.ESeqLit(tuple(c for c in ch if c is not None), span=_sp(meta))

    def e_rec(self, meta: Meta, ch: _Ch) -> S.ERecLit | S.EFnLit:
        items = [c for c in ch if c is not None]
        pairs = list(zip(items[::2], items[1::2]))
        if not all(isinstance(k, S.EName) for k, _ in pairs):  # keys that are values
            return S.EFnLit(tuple(pairs), span=_sp(meta))
        return S.ERecLit(tuple((k.name, v) for k, v in pairs), span=_sp(meta),
                         names=tuple(k.span for k, _ in pairs))

    def e_fncomp(self, meta: Meta, ch: _Ch) -> S.EFnComp:
        key, e, binder = ch
        if not (isinstance(key, S.EName) and key.name == binder.name):
            raise _err(f"the key of `{{x: e for x in D}}` must be the bound name `{binder.name}`",
                       getattr(key, "span", _sp(meta)))
        return S.EFnComp(binder, e, span=_sp(meta))

    def e_map(self, meta: Meta, ch: _Ch) -> S.EMap:
        return S.EMap(ch[0], ch[1], span=_sp(meta))

    def e_filter(self, meta: Meta, ch: _Ch) -> S.EFilter:
        head, pred = ch
        if not (isinstance(head, S.EBinary) and head.op == "in" and isinstance(head.a, S.EName)):
            raise _err("expected `{x in S where P}`: a name, `in` and a set before `where`",
                       getattr(head, "span", _sp(meta)))
        return S.EFilter(S.BinderNode(head.a.name, head.b, span=head.a.span), pred, span=_sp(meta))

    def e_ite(self, meta: Meta, ch: _Ch) -> S.EIte:
        return S.EIte(ch[0], ch[1], ch[2], span=_sp(meta))
