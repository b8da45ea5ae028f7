"""The reference interpreter of a `Model`: the plain statement of docs/semantics.md.

It owns the meaning of the IR: initial states, the successors of a state (in the order the
semantics gives: action order, parameter binding order, `either` branch order), invariants,
the terminal predicate, and every runtime error (E3001-E3007) and assertion failure.
It is the oracle the fast engines are checked against (counterexample traces are replayed
through it), so it favours clarity over speed: a direct recursive evaluator over the IR on
the rich values of `explorer.values`.

Imports only `explorer.model`, `explorer.values`, `explorer.diagnostics` and
`explorer.budget` (a long iteration polls the run's limits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import assert_never

from explorer import budget
from explorer.diagnostics import AssertFailure, Diagnostic, EvalError, SpecError
from explorer.model import (
    NOSPAN,
    AnyT,
    Apply,
    Assert,
    Assign,
    Binder,
    BinOp,
    Builtin,
    Call,
    ConstRef,
    Either,
    Expr,
    Fail,
    Field,
    Filter,
    Fit,
    FnComp,
    FnT,
    If,
    Index,
    Ite,
    Let,
    Lit,
    Local,
    MapSet,
    Model,
    Neg,
    NoneT,
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
    Slice,
    Span,
    Stmt,
    Type,
    Unwrap,
    VarRef,
    value_fits,
)
from explorer.values import Atom, Fn, Rec, Value, format_value, iter_set, sort_key

State = tuple[Value, ...]  # one rich value per model variable, in Model.vars order
Label = tuple[str, tuple[tuple[str, Value], ...]]  # (action name, ((param, value), ...))
Env = dict[str, Value]

_UNSET = object()  # a variable not yet assigned by `init`


# ---------------------------------------------------------------------------------------
# Checks shared by expressions and statements


def _none_error(span: Span) -> EvalError:
    return EvalError("E3002", "none used where a value is needed", span)


def _need(v: Value, span: Span) -> Value:
    """A value that must not be `none` (applied, indexed, compared, used as an element...)."""
    if v is None:
        raise _none_error(span)
    return v


def _bool(v: Value, span: Span) -> bool:
    v = _need(v, span)
    if not isinstance(v, bool):
        raise TypeError(f"expected a bool, got {v!r}")
    return v


def _int(v: Value, span: Span) -> int:
    if isinstance(_need(v, span), bool) or not isinstance(v, int):
        raise TypeError(f"expected an integer, got {v!r}")
    return v


def _set(v: Value, span: Span) -> frozenset[Value]:
    v = _need(v, span)
    if not isinstance(v, frozenset):
        raise TypeError(f"expected a set, got {v!r}")
    return v


def _seq(v: Value, span: Span) -> tuple[Value, ...]:
    v = _need(v, span)
    if not isinstance(v, tuple):
        raise TypeError(f"expected a sequence, got {v!r}")
    return v


def _seq_cap(t: Type) -> int | None:
    """The bound of a sequence type (through `?`); None when the type gives none."""
    if isinstance(t, OptT):
        return _seq_cap(t.inner)
    return t.cap if isinstance(t, SeqT) else None


def _overflows(v: Value, t: Type) -> bool:
    """Does some sequence inside v (of type t) exceed the bound its type gives?"""
    if isinstance(t, OptT):
        return v is not None and _overflows(v, t.inner)
    if isinstance(t, SeqT) and isinstance(v, tuple):
        return len(v) > t.cap or any(_overflows(x, t.elem) for x in v)
    if isinstance(t, FnT) and isinstance(v, Fn):
        return any(_overflows(x, t.rng) for _, x in v.items())
    if isinstance(t, RecT) and isinstance(v, Rec):
        fields = dict(v.items())
        return any(n in fields and _overflows(fields[n], ft) for n, ft in t.fields)
    return False


def _check_fits(v: Value, t: Type, where: str, span: Span) -> None:
    """Raise the runtime error for storing v in a location `where` of declared type t.

    `none` where the type is not optional is E3002, a sequence over its bound (anywhere
    inside v) is E3003, any other misfit (integer range, atom set, ...) is E3001.
    """
    if value_fits(v, t):
        return
    if v is None and not isinstance(t, OptT | NoneT | AnyT):
        raise EvalError("E3002", f"none used where a value is needed ({where}: {t})", span)
    if _overflows(v, t):
        raise EvalError("E3003", f"value {format_value(v)} exceeds the bound of {t} ({where})", span)
    raise EvalError("E3001", f"value {format_value(v)} does not fit {t} ({where})", span)


def _reach(f: Value, x: Value, span: Span) -> frozenset[Value]:
    """{x, f[x], f[f[x]], ...}: up to `none` or to a value already in the set."""
    if not isinstance(f, Fn):
        raise TypeError(f"expected a function, got {f!r}")
    out: set[Value] = set()
    while x is not None and x not in out:
        out.add(x)
        if x not in f:
            raise EvalError("E3005", f"{format_value(x)} is outside the domain of the function",
                            span)
        x = f[x]
    return frozenset(out)


# ---------------------------------------------------------------------------------------


def check_consts(model: Model) -> None:
    """Evaluate every const of the model. A const reads no state, so one that fails (a
    division by zero, a value outside its type) is an error of the spec, not of a state:
    SpecError, at the expression that failed. Engines run this before they start."""
    it = Interp(model)
    for c in model.consts:
        try:
            it._const(c.name)
        except EvalError as e:
            where = e.span if e.span.line else c.span
            raise SpecError([Diagnostic(e.code, f"const `{c.name}` cannot be evaluated: "
                                        f"{e.message}", where,
                                        notes=(f"`{c.name}` is declared at line {c.span.line}",)
                                        if where.line != c.span.line else ())]) from None


class Interp:
    """Evaluates one `Model` on rich values, exactly as docs/semantics.md says."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._consts: dict[str, Value] = {}
        self._const_defs = {c.name: c for c in model.consts}
        self._actions = {a.name: a for a in model.actions}
        self._invariants = {i.name: i for i in model.invariants}

    # -- states ---------------------------------------------------------------------------

    def state_dict(self, state: State) -> dict[str, Value]:
        return {v.name: state[v.index] for v in self.model.vars}

    def initial_states(self) -> list[State]:
        """The cartesian product of the `init` items, first item outermost."""
        return list(self.iter_initial_states())

    def iter_initial_states(self) -> Iterator[State]:
        """The initial states one by one, in order (a fault raises when it is met)."""
        return self._init_from(0, [_UNSET] * len(self.model.vars))

    def _init_from(self, i: int, partial: list[Value]) -> Iterator[State]:
        if i == len(self.model.init):
            missing = [v.name for v in self.model.vars if partial[v.index] is _UNSET]
            if missing:
                raise ValueError(f"init does not assign {', '.join(missing)}")
            yield tuple(partial)
            return
        item = self.model.init[i]
        var = self.model.vars[item.var]
        if item.choice:
            choices = self._elements(item.expr, tuple(partial), {})
        else:
            choices = [self.eval(item.expr, tuple(partial))]
        for x in choices:
            _check_fits(x, var.t, var.name, item.span)
            nxt = list(partial)
            nxt[item.var] = x
            yield from self._init_from(i + 1, nxt)

    # -- transitions ----------------------------------------------------------------------

    def successors(self, state: State) -> list[tuple[Label, State]]:
        out: list[tuple[Label, State]] = []
        for action in self.model.actions:
            for env in self._bindings(action.params, 0, state, {}):
                label: Label = (action.name, tuple((b.name, env[b.name]) for b in action.params))
                for s in self._fire(action.name, state, env):
                    out.append((label, s))
        return out

    def action_successors(self, state: State, action: str,
                          params: tuple[tuple[str, Value], ...]) -> list[State]:
        """Successors of one action under one binding; [] when its guard or a require fails.

        KeyError for an unknown action; ValueError for a binding that does not name the
        action's parameters in order, or gives a value outside a parameter's domain.
        """
        act = self._actions[action]
        names = [b.name for b in act.params]
        if [n for n, _ in params] != names:
            raise ValueError(f"action {action} takes parameters ({', '.join(names)}), "
                             f"got ({', '.join(n for n, _ in params)})")
        env: Env = {}
        for b, (_, v) in zip(act.params, params, strict=True):
            if not self._in_domain(v, b, state, env):
                raise ValueError(f"{b.name} = {format_value(v)} is outside the domain of "
                                 f"{action}.{b.name}")
            env = {**env, b.name: v}
        return self._fire(action, state, env)

    def first_fault(self, state: State) -> tuple[Label, EvalError | AssertFailure] | None:
        """The error that expanding `state` meets first, in the order `successors` works,
        with the action and its binding so far (a fault in a parameter's domain binds only
        the parameters before it); None when the state expands without one."""
        for action in self.model.actions:
            found = self._fault_from(action.name, 0, state, {})
            if found is not None:
                return found
        return None

    def _fault_from(self, action: str, i: int, state: State,
                    env: Env) -> tuple[Label, EvalError | AssertFailure] | None:
        params = self._actions[action].params
        label: Label = (action, tuple((b.name, env[b.name]) for b in params[:i]))
        try:
            if i == len(params):
                self._fire(action, state, env)
                return None
            dom = self._elements(params[i].domain, state, env)
        except (EvalError, AssertFailure) as e:
            return label, e
        for x in dom:
            found = self._fault_from(action, i + 1, state, {**env, params[i].name: x})
            if found is not None:
                return found
        return None

    def _bindings(self, params: tuple[Binder, ...], i: int, state: State, env: Env) -> Iterator[Env]:
        """Parameter bindings as nested loops (first parameter outermost), lazily."""
        if i == len(params):
            yield env
            return
        b = params[i]
        for x in self._elements(b.domain, state, env):
            yield from self._bindings(params, i + 1, state, {**env, b.name: x})

    def _fire(self, action: str, state: State, env: Env) -> list[State]:
        act = self._actions[action]
        if act.guard is not None and not _bool(self.eval(act.guard, state, env), act.guard.span):
            return []
        return self._exec(act.body, 0, state, env, lambda s: [s])

    def _exec(self, stmts: tuple[Stmt, ...], i: int, state: State, env: Env,
              then: Callable[[State], list[State]]) -> list[State]:
        """Run stmts[i:] from `state`, then the continuation `then` on each resulting state.

        Depth-first: an `either` branch runs to the end of the whole body before the next
        branch starts. `let` bindings are scoped to their statement list.
        """
        if i == len(stmts):
            return then(state)
        st = stmts[i]

        def rest(s: State) -> list[State]:
            return self._exec(stmts, i + 1, s, env, then)

        match st:
            case Let():
                return self._exec(stmts, i + 1, state, {**env, st.name: self.eval(st.value, state, env)},
                                  then)
            case If():
                chosen = st.then if _bool(self.eval(st.cond, state, env), st.cond.span) else st.orelse
                return self._exec(chosen, 0, state, env, rest)
            case Either():
                out: list[State] = []
                for branch in st.branches:
                    out.extend(self._exec(branch, 0, state, env, rest))
                return out
            case Require():
                return rest(state) if _bool(self.eval(st.cond, state, env), st.cond.span) else []
            case Assert():
                if not _bool(self.eval(st.cond, state, env), st.cond.span):
                    raise AssertFailure(st.message, st.span, st.name)
                return rest(state)
            case Assign():
                return rest(self._assign(st, state, env))
            case Fail():
                raise EvalError(st.code, st.message, st.span)
            case _:
                assert_never(st)

    def _assign(self, st: Assign, state: State, env: Env) -> State:
        """Evaluate the path keys (left to right, each checked), then the value; store it."""
        where = st.name
        keys: list[Value] = []
        cur = state[st.var]
        for step in st.path:
            key, cur = self._step(step, cur, state, env)
            keys.append(key)
            where += f".{key}" if step.kind == "field" else f"[{format_value(key)}]"
        value = self.eval(st.value, state, env)
        _check_fits(value, st.target_t, where, st.span)
        new = list(state)
        new[st.var] = self._put(state[st.var], st.path, keys, value)
        return tuple(new)

    def _step(self, step: PathStep, cur: Value, state: State, env: Env) -> tuple[Value, Value]:
        """One path step down from `cur`: (the key, the value it selects)."""
        _need(cur, step.span)
        if step.kind == "field":
            assert isinstance(step.key, str)
            return step.key, cur[step.key]
        assert isinstance(step.key, Expr)
        key = self.eval(step.key, state, env)
        if step.kind == "fn":
            dom = step.container.dom if isinstance(step.container, FnT) else None
            if not ((dom is None or value_fits(key, dom)) and key in cur):
                raise EvalError("E3005", f"{format_value(key)} is outside the domain "
                                f"{dom if dom is not None else ''} of the function", step.span)
            return key, cur[key]
        if step.kind == "seq":
            i = _int(key, step.span)
            if not 0 <= i < len(cur):
                raise EvalError("E3004", f"index {i} outside the sequence "
                                f"{format_value(cur)} (length {len(cur)})", step.span)
            return i, cur[i]
        assert_never(step.kind)

    def _put(self, cur: Value, path: tuple[PathStep, ...], keys: list[Value], value: Value) -> Value:
        """`cur` with the location path/keys replaced by `value` (keys already checked)."""
        if not path:
            return value
        key = keys[0]
        inner = self._put(cur[key], path[1:], keys[1:], value)
        if path[0].kind == "seq":
            return cur[:key] + (inner,) + cur[key + 1:]
        return cur.set(key, inner)  # Fn.set or Rec.set

    # -- predicates -----------------------------------------------------------------------

    def invariant_holds(self, name: str, state: State) -> bool:
        inv = self._invariants[name]
        return _bool(self.eval(inv.expr, state), inv.expr.span)

    def is_terminal(self, state: State) -> bool:
        t = self.model.terminal
        return t is not None and _bool(self.eval(t, state), t.span)

    def in_model(self, state: State) -> bool:
        """Does the state satisfy every `constraint` (so a search keeps and expands it)?"""
        return all(_bool(self.eval(c.expr, state), c.expr.span) for c in self.model.constraints)

    def covers(self, state: State) -> list[str]:
        """The covers the state satisfies."""
        return [c.name for c in self.model.covers
                if _bool(self.eval(c.expr, state), c.expr.span)]

    # -- expressions ----------------------------------------------------------------------

    def const_value(self, name: str) -> Value:
        """The value of the model's const `name`."""
        return self._const(name)

    def _const(self, name: str) -> Value:
        if name not in self._consts:
            self._consts[name] = self.eval(self._const_defs[name].expr, ())
        return self._consts[name]

    def _domain(self, b: Binder, state: State, env: Env) -> frozenset[Value]:
        return _set(self.eval(b.domain, state, env), b.domain.span)

    def _elements(self, e: Expr, state: State, env: Env) -> Iterable[Value]:
        """The elements of set expression e in canonical order; a range is iterated
        lazily, never made a set (a long one polls the run's limits)."""
        if isinstance(e, RangeSet):
            lo, hi = self._bounds(e, state, env)
            r = range(lo, hi + 1)
            return r if len(r) <= budget.POLL_EVERY else budget.counted(iter(r))
        return iter_set(_set(self.eval(e, state, env), e.span))

    def _bounds(self, e: RangeSet, state: State, env: Env) -> tuple[int, int]:
        return _int(self.eval(e.lo, state, env), e.span), _int(self.eval(e.hi, state, env), e.span)

    def _in_domain(self, v: Value, b: Binder, state: State, env: Env) -> bool:
        if isinstance(b.domain, RangeSet):
            lo, hi = self._bounds(b.domain, state, env)
            return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return v in self._domain(b, state, env)

    def eval(self, expr: Expr, state: State, env: dict[str, Value] | None = None) -> Value:
        env = {} if env is None else env
        ev = self.eval
        e = expr
        match e:
            case Lit():
                return e.value
            case VarRef():
                v = state[e.index]
                if v is _UNSET:
                    raise ValueError(f"variable {e.name} read before init assigns it")
                return v
            case ConstRef():
                return self._const(e.name)
            case Local():
                if e.name not in env:
                    raise KeyError(f"unbound name {e.name}")
                return env[e.name]
            case Unwrap():
                v = ev(e.e, state, env)
                if v is None:
                    raise _none_error(e.span if e.span != NOSPAN else e.e.span)
                return v
            case Fit():
                v = ev(e.e, state, env)
                _check_fits(v, e.t, e.what, e.span)
                return v
            case Not():
                return not _bool(ev(e.e, state, env), e.span)
            case Neg():
                return -_int(ev(e.e, state, env), e.span)
            case BinOp():
                return self._binop(e, state, env)
            case RangeSet():
                lo, hi = _int(ev(e.lo, state, env), e.span), _int(ev(e.hi, state, env), e.span)
                return frozenset(range(lo, hi + 1))
            case Apply():
                f = _need(ev(e.f, state, env), e.span)
                x = ev(e.x, state, env)
                if not isinstance(f, Fn):
                    raise TypeError(f"expected a function, got {f!r}")
                if x not in f:
                    raise EvalError("E3005", f"{format_value(x)} is outside the domain of the function",
                                    e.span)
                return f[x]
            case Index():
                s = _seq(ev(e.s, state, env), e.span)
                i = _int(ev(e.i, state, env), e.span)
                if not 0 <= i < len(s):
                    raise EvalError("E3004", f"index {i} outside the sequence {format_value(s)} "
                                    f"(length {len(s)})", e.span)
                return s[i]
            case Slice():
                s = _seq(ev(e.s, state, env), e.span)
                lo = 0 if e.lo is None else _int(ev(e.lo, state, env), e.span)
                hi = len(s) if e.hi is None else _int(ev(e.hi, state, env), e.span)
                lo, hi = min(max(lo, 0), len(s)), min(max(hi, 0), len(s))
                return s[lo:hi]
            case Field():
                return _need(ev(e.r, state, env), e.span)[e.name]
            case Call():
                return self._call(e, state, env)
            case SetLit():
                return frozenset(_need(ev(x, state, env), x.span) for x in e.elems)
            case SeqLit():
                return tuple(ev(x, state, env) for x in e.elems)
            case RecLit():
                return Rec((n, ev(x, state, env)) for n, x in e.fields)
            case Ite():
                c = _bool(ev(e.c, state, env), e.c.span)
                return ev(e.a if c else e.b, state, env)
            case Quant():
                return self._quant(e, 0, state, env)
            case Filter():
                b = e.binder
                return frozenset(x for x in self._elements(b.domain, state, env)
                                 if _bool(ev(e.pred, state, {**env, b.name: x}), e.pred.span))
            case MapSet():
                out: list[Value] = []
                self._images(e, 0, state, env, out)
                return frozenset(out)
            case FnComp():
                b = e.binder
                return Fn((x, ev(e.e, state, {**env, b.name: x}))
                          for x in self._elements(b.domain, state, env))
            case _:
                assert_never(e)

    def _quant(self, e: Quant, i: int, state: State, env: Env) -> bool:
        """forall/exists over binders i.. (first outermost), stopping at the first decider."""
        if i == len(e.binders):
            return _bool(self.eval(e.body, state, env), e.body.span)
        b = e.binders[i]
        for x in self._elements(b.domain, state, env):
            r = self._quant(e, i + 1, state, {**env, b.name: x})
            if r != e.forall:  # forall: a false decides; exists: a true decides
                return r
        return e.forall

    def _images(self, e: MapSet, i: int, state: State, env: Env, out: list[Value]) -> None:
        if i == len(e.binders):
            out.append(_need(self.eval(e.e, state, env), e.e.span))
            return
        b = e.binders[i]
        for x in self._elements(b.domain, state, env):
            self._images(e, i + 1, state, {**env, b.name: x}, out)

    def _binop(self, e: BinOp, state: State, env: Env) -> Value:
        op, sp = e.op, e.span
        a = self.eval(e.a, state, env)
        if op in (Op.IN, Op.NOTIN) and isinstance(e.b, RangeSet):
            # membership in a range: two comparisons, never the set (it may be huge)
            lo, hi = self._bounds(e.b, state, env)
            return (lo <= _int(a, sp) <= hi) == (op is Op.IN)
        # the short-circuiting operators evaluate b only when needed
        if op is Op.AND:
            return _bool(a, sp) and _bool(self.eval(e.b, state, env), sp)
        if op is Op.OR:
            return _bool(a, sp) or _bool(self.eval(e.b, state, env), sp)
        if op is Op.IMPLIES:
            return (not _bool(a, sp)) or _bool(self.eval(e.b, state, env), sp)
        b = self.eval(e.b, state, env)
        if op is Op.IFF:
            return _bool(a, sp) == _bool(b, sp)
        if op is Op.EQ:
            return a == b
        if op is Op.NE:
            return a != b
        if op in (Op.IN, Op.NOTIN):
            return (a in _set(b, sp)) == (op is Op.IN)
        if op is Op.SUBSET:
            return _set(a, sp) <= _set(b, sp)
        if op is Op.UNION:
            return _set(a, sp) | _set(b, sp)
        if op is Op.INTER:
            return _set(a, sp) & _set(b, sp)
        if op is Op.MINUS:
            return _set(a, sp) - _set(b, sp)
        if op is Op.CONCAT:
            return _seq(a, sp) + _seq(b, sp)
        if isinstance(a, Atom) and isinstance(b, Atom):  # declaration order
            a, b = a.index, b.index
        x, y = _int(a, sp), _int(b, sp)
        if op is Op.LT:
            return x < y
        if op is Op.LE:
            return x <= y
        if op is Op.GT:
            return x > y
        if op is Op.GE:
            return x >= y
        if op is Op.ADD:
            return x + y
        if op is Op.SUB:
            return x - y
        if op is Op.MUL:
            return x * y
        if op in (Op.DIV, Op.MOD):
            if y == 0:
                raise EvalError("E3006", f"{'division' if op is Op.DIV else 'modulo'} by zero", sp)
            return x // y if op is Op.DIV else x % y
        if op is Op.POW:
            if y < 0:
                raise EvalError("E3009", f"negative exponent ({y})", sp)
            return x ** y
        assert_never(op)

    def _call(self, e: Call, state: State, env: Env) -> Value:
        """The builtins; all arguments are evaluated (left to right) before any check."""
        args = [self.eval(a, state, env) for a in e.args]
        sp = e.span
        if e.fn is Builtin.LEN:
            v = _need(args[0], sp)
            if not isinstance(v, tuple | frozenset):
                raise TypeError(f"len of {v!r}")
            return len(v)
        if e.fn is Builtin.REACH:
            return _reach(_need(args[0], sp), args[1], sp)
        if e.fn is Builtin.MIN or e.fn is Builtin.MAX:
            v = _need(args[0], sp)
            if not v:
                return None
            return (min if e.fn is Builtin.MIN else max)(v, key=sort_key)
        s = _seq(args[0], sp)
        cap = _seq_cap(e.args[0].t)
        if e.fn is Builtin.APPEND:
            if cap is not None and len(s) >= cap:
                raise EvalError("E3003", f"append to a full sequence {format_value(s)} "
                                f"(bound {cap})", sp)
            return s + (args[1],)
        if e.fn is Builtin.INSERT:
            i, x = _int(args[1], sp), args[2]
            if not 0 <= i <= len(s):
                raise EvalError("E3004", f"insert at {i} outside 0..{len(s)} "
                                f"(sequence {format_value(s)})", sp)
            if cap is not None and len(s) >= cap:
                raise EvalError("E3003", f"insert into a full sequence {format_value(s)} "
                                f"(bound {cap})", sp)
            return s[:i] + (x,) + s[i:]
        if e.fn is Builtin.REMOVE:
            x = args[1]
            return s[:s.index(x)] + s[s.index(x) + 1:] if x in s else s
        if e.fn is Builtin.INDEX:
            x = args[1]
            if x not in s:
                raise EvalError("E3004", f"{format_value(x)} is not in the sequence "
                                f"{format_value(s)}", sp)
            return s.index(x)
        assert_never(e.fn)
