"""Model -> generated Python over packed states (compiled once per configuration).

A state is one Python int (see layout.py): reading `f[k]` is a shift and a mask, writing it
is a mask and an or, and the seen set hashes and compares plain ints. Expressions compute
compact values (encoding.py); whole compound values are packed and unpacked only where a
spec uses them whole.

The search's hot path is one function `succ(s, seen, fired)`: every action inline, with its
parameter loops, guard, body and runtime checks, and the `Unseen` sink of the successor
contract (explorer.explicit.system) fused in. Each action also becomes a function
`b<i>(s) -> [(next_state, binding), ...]`, generated on first use, behind `expand(s, sink)`
(the other sinks, trace rebuilding, state graphs). The invariants become one function
returning the index of the first violated one (or -1), the properties' predicates one
returning them as bits. Spec text never reaches the
generated source: identifiers are built from validated names behind fixed prefixes
(`l_` locals, `C_` consts, `v`/`w` variables), messages and spans live in tables.
`either` is compiled by moving the rest of the body into each branch (a loop over the
branches), so `require` is always a `continue` to the next alternative.

The stages: normalize.py (IR -> IR before emission), emit.py (IR -> source, with an
explicit frame), runtime.py (what the generated code calls); this module puts them
together and runs the source.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from explorer import model as M
from explorer.diagnostics import Diagnostic, SpecError
from explorer.explicit.emit import Emitter
from explorer.explicit.encoding import Encoding
from explorer.explicit.layout import Layout
from explorer.explicit.normalize import fold_model
from explorer.explicit.runtime import Runtime, namespace
from explorer.explicit.system import Binding, Sink
from explorer.model import IntT, RecT, SetT, Span, Type
from explorer.types import join
from explorer.values import Value

Labelled = Callable[[int], list[tuple[int, Binding]]]  # one action: (successor, binding)
Compact = tuple[Any, ...]  # a state as its variables' compact values


def _bare(labelled: Labelled, s: int) -> list[int]:
    return [t for t, _ in labelled(s)]


@dataclass
class CompiledModel:
    """What the search needs: the generated functions and how to decode their states.
    A `System` (explorer.explicit.system). The per-action functions are generated on first
    use (`expand`: trace rebuilding, sinks other than the fused one, tests): the search
    itself needs only `successors`."""

    model: M.Model
    source: str
    initial: Callable[[], Iterator[int]]
    successors: Callable[[int, dict[int, int], list[int]], tuple[list[tuple[int, int]], int]]
    invariants: Callable[[int], int]
    terminal: Callable[[int], bool] | None
    encoding: Encoding
    layout: Layout
    build_actions: Callable[[], list[Labelled]]
    predicates: Callable[[int], int] | None = None  # the properties' (emit.py: `predicates`)
    covers: Callable[[int], int] | None = None  # the covers' (emit.py: `covers`)
    constraint: Callable[[int], bool] | None = None  # the constraints' (emit.py: `constraint`)
    _actions: tuple[list[Callable[[int], list[int]]], list[Labelled]] | None = None

    @property
    def n_actions(self) -> int:
        return len(self.model.actions)

    def _built(self) -> tuple[list[Callable[[int], list[int]]], list[Labelled]]:
        if self._actions is None:
            labelled = self.build_actions()
            bare: list[Callable[[int], list[int]]] = [functools.partial(_bare, f)
                                                      for f in labelled]
            self._actions = bare, list(labelled)
        return self._actions

    @property
    def actions(self) -> list[Callable[[int], list[int]]]:
        """`actions[i](s)`: every successor of action i, in exploration order."""
        return self._built()[0]

    @property
    def labelled(self) -> list[Labelled]:
        """`labelled[i](s)`: (successor, binding) pairs of action i."""
        return self._built()[1]

    def expand(self, s: int, sink: Sink[int]) -> None:
        """The successor contract: `sink(action, binding, successor)` for every successor
        of s, in exploration order; an action's successors reach the sink once it has
        completed without a fault (so counts stop where the fused `successors`' do)."""
        for aid, fn in enumerate(self.labelled):
            for t, b in fn(s):
                sink(aid, b, t)

    def compact_state(self, s: int) -> Compact:
        lay = self.layout
        return tuple(lay.unpack(v.t, s >> off) for v, off in zip(self.model.vars, lay.offsets))

    def decode_state(self, s: int) -> tuple[Value, ...]:
        return tuple(self.encoding.decode(v.t, x)
                     for v, x in zip(self.model.vars, self.compact_state(s)))

    def encode_state(self, values: tuple[Value, ...]) -> int:
        """A state of rich values (as the interpreter has it) -> the packed state."""
        lay, out = self.layout, 0
        for v, off, x in zip(self.model.vars, lay.offsets, values):
            out |= lay.pack(v.t, self.encoding.encode(v.t, x)) << off
        return out

    def binding_between(self, aid: int, a: int, b: int) -> Binding:
        """The first binding of action aid that leads from a to b: the one a search that
        did not record bindings took (successors come in a fixed order)."""
        return next(x for t, x in self.labelled[aid](a) if t == b)

    def decode_binding(self, aid: int, bind: Binding) -> tuple[tuple[str, Value], ...]:
        act = self.model.actions[aid]
        return tuple((b.name, self.encoding.decode(_elem(b.domain.t), x))
                     for b, x in zip(act.params, bind))


def _elem(t: Type) -> Type:
    assert isinstance(t, SetT), t  # a parameter's domain is a set
    return t.elem


def _universes(model: M.Model) -> list[Type]:
    """The compound element types of the model's sets, joined where they join (one
    shape; an empty literal's `?` joins any): each ranks the sets of the types it holds
    (Encoding.universes)."""
    out: list[Type] = []
    for t in M.compound_sets(model):  # (a function's keys are ranked in its exact domain)
        for i, u in enumerate(out):
            j = join(u, t.elem)
            if j is not None:
                out[i] = j
                break
        else:
            out.append(t.elem)
    return out


def _int_base(model: M.Model) -> int:
    """The integer held by bit 0 of integer sets: the least element any set can hold."""
    lows = [0]

    def see(t: Type) -> None:
        if isinstance(t, SetT) and isinstance(t.elem, IntT) and t.elem.lo is not None:
            lows.append(t.elem.lo)
        for sub in (getattr(t, a, None) for a in ("inner", "elem", "dom", "rng")):
            if isinstance(sub, Type):
                see(sub)
        if isinstance(t, RecT):
            for _, ft in t.fields:
                see(ft)

    for v in model.vars:
        see(v.t)
    exprs = M.expressions(model)
    for e in exprs:
        for x in M.walk_expr(e):
            see(x.t)
            if isinstance(x, M.BinOp) and x.op in (M.Op.IN, M.Op.NOTIN) and isinstance(x.a.t, IntT):
                if x.a.t.lo is not None:
                    lows.append(x.a.t.lo)
    return min(lows)


@contextlib.contextmanager
def _long_literals() -> Iterator[None]:
    """Lift Python's limit on converting integers to and from decimal text while code is
    generated and compiled: the packed states (and masks) of large types are integers of
    thousands of digits, written into the source as literals. The limit guards parsers of
    untrusted numbers; these are ours, as large as the state layout."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def compile_model(model: M.Model) -> CompiledModel:
    with _long_literals():
        return _compile_model(model)


def _compile_model(model: M.Model) -> CompiledModel:
    enc = Encoding(_int_base(model), _universes(model))
    rt = Runtime(enc, Layout(model, enc))
    folded = fold_model(model)  # what emission compiles; the rest reads `model`
    g = Emitter(folded, rt)
    g.consts()
    g.init()
    g.fused()
    g.invariants()
    if model.terminal is not None:
        g.terminal()
    if model.properties:
        g.predicates()
    if model.covers:
        g.covers()
    if model.constraints:
        g.constraint()
    source = "\n".join(g.lines) + "\n"
    origin = g.origin
    ns = namespace(rt)
    _run(source, origin, model, ns)

    def build_actions() -> list[Labelled]:
        with _long_literals():
            return _build_actions()

    def _build_actions() -> list[Labelled]:
        ga = Emitter(folded, rt)  # same runtime tables, same namespace (consts are shared)
        ga.ntmp = g.ntmp
        for aid, a in enumerate(folded.actions):
            ga.action(aid, a)
        _run("\n".join(ga.lines) + "\n", ga.origin, model, ns)
        return [ns[f"b{i}"] for i in range(len(model.actions))]

    return CompiledModel(model, source, ns["initial"], ns["succ"], ns["invariants"],
                         ns.get("terminal"), enc, rt.lay, build_actions, ns.get("predicates"),
                         ns.get("covers"), ns.get("constraint"))


def _run(source: str, origin: list[Span], model: M.Model, ns: dict[str, Any]) -> None:
    try:
        code = compile(source, f"<generated from {model.path}>", "exec")
    except (SyntaxError, RecursionError) as e:
        raise _too_complex(source, origin, e) from None
    exec(code, ns)  # noqa: S102 - source built only from validated identifiers and encoded values


def _too_complex(source: str, origin: list[Span], e: SyntaxError | RecursionError) -> SpecError:
    """Python refused the generated code (too many nested parentheses or blocks, or too
    deep to compile): a spec error at the spec text that line was generated for. (The
    elaborator bounds nesting and size; this is what a construct's own code adds.)"""
    lines = source.split("\n")
    n = getattr(e, "lineno", None)
    if not n or not 0 < n <= len(origin):  # no line given: the most deeply nested one
        depth = [max(itertools.accumulate((c in "([{") - (c in ")]}") for c in line),
                     default=0) for line in lines[:len(origin)]]
        n = depth.index(max(depth)) + 1 if depth else 1
    why = getattr(e, "msg", None) or str(e)
    return SpecError([Diagnostic(
        "E2005", f"the explicit engine cannot compile the code for this ({why}): it is "
        "nested too deeply, or has too many nested loops and choices", origin[n - 1],
        notes=("simplify it or split it (several smaller defs, actions or invariants); "
               "--engine bmc or prove may still run it",))])
