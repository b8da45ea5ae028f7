"""The compiled engine (`--engine c`): generate C for the model, build it (cached), run the
search natively, and make the `Result` exactly as the Python engine does.

The Python engine's compiled model is built too: it owns the state layout the C code
shares, decodes the states of a trace, finds each step's binding, and, when the compiled
search reports that a state fails (expanding it, or evaluating an invariant or `terminal`
there), computes that failure again so that the error (code, message, span, action and
binding) is the Python engine's own. If it does not fail there, the engines disagree: an
internal error, never a verdict.

What the C code cannot express (`cgen.Unsupported`), a missing compiler, or a value
leaving what it represents at run time (an integer overflow) hands the check to the Python
engine, which says so in one line on the progress stream.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import threading
import time
import weakref
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget
from explorer.diagnostics import AssertFailure, EvalError
from explorer.engine import Options, Unsupported
from explorer.explicit import run as explicit
from explorer.explicit.bfs import HANDOVER
from explorer.explicit.compile import CompiledModel
from explorer.explicit.graph import Graph
from explorer.explicit.properties import graph_for
from explorer.explicit.system import Binding
from explorer.interp import Interp
from explorer.native import build as Build
from explorer.native.cgen import CGen
from explorer.results import Result, within_budget
from explorer.symmetry import Symmetry

POLL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                        ctypes.c_int64, ctypes.c_int64)

# search.c's statuses and fault places
HOLDS, VIOLATION, DEADLOCK, FAULT, STOP_LIMIT, STOP_STATES, STOP_DEPTH, STOP_MEMORY, \
    STOP_OVERFLOW, STOP_SHORTER, STOP_CAPACITY = range(11)
CAPACITY = 2**31 - 1  # states the compiled search numbers (search.c)
IN_INIT, IN_EXPAND, IN_INVARIANT, IN_TERMINAL, IN_CONSTRAINT = range(5)
FAULTS = (EvalError, AssertFailure)


POLL_TICK, POLL_INIT, POLL_SEARCH = range(3)  # what search.c is doing when it polls
PROGRESS_EVERY = 3.0  # seconds between progress lines, as the Python engine


@dataclass
class _PollState:
    next: float  # when the next progress line is due
    why: str = ""  # the limit that stopped the search
    interrupted: bool = False


class Fallback(Exception):
    """The compiled engine cannot run this check; the Python engine will."""


@dataclass
class NativeSearch:
    """The compiled search's result, read through the library (`run.Explored`)."""

    lib: ctypes.CDLL
    ctx: int
    words: int
    cm: CompiledModel
    kind: str = "holds"
    at: int = -1
    invariant: int = -1
    fault: BaseException | None = None
    fault_action: int = -1
    fault_binding: Binding | None = None
    reason: str = ""
    distinct: int = 0
    generated: int = 0
    depth: int = 0
    queue: int = 0
    fired: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)
    interrupted: bool = False
    graph: Graph | None = None  # every edge, when the model has liveness properties

    def state(self, i: int) -> int:
        buf = (ctypes.c_uint64 * self.words)()
        self.lib.mx_state(ctypes.c_void_p(self.ctx), ctypes.c_int64(i), buf)
        return sum(int(w) << (64 * k) for k, w in enumerate(buf))

    def label_of(self, i: int) -> int:
        """The action that first reached state i, found again rather than stored (2 bytes
        a state): states are expanded once, their successors in action order, so it is
        the first action that leads from i's parent to i."""
        parent = int(self.lib.mx_parent(ctypes.c_void_p(self.ctx), ctypes.c_int64(i)))
        st, target = self.state(parent), self.state(i)
        for aid, act in enumerate(self.cm.actions):
            if target in act(st):
                return aid
        raise AssertionError("the compiled engine reached a state that no action of the "
                             "Python engine leads to from its parent")

    def binding_of(self, i: int) -> Binding | None:
        return None  # rebuilt from the action, as on the Python engine's fused path

    def cover_firsts(self) -> tuple[list[int], int]:
        """Each cover's first state and the first state where one fails to evaluate
        (explicit.covers.Firsts), found by search.c."""
        n = max(1, len(self.cm.model.covers))
        first = (ctypes.c_int64 * n)()
        self.lib.mx_covers.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)]
        self.lib.mx_covers.restype = ctypes.c_int64
        fault = int(self.lib.mx_covers(ctypes.c_void_p(self.ctx), first))
        return [int(x) for x in first][:len(self.cm.model.covers)], fault

    def path(self, i: int) -> list[int]:
        out = []
        while i >= 0:
            out.append(i)
            i = int(self.lib.mx_parent(ctypes.c_void_p(self.ctx), ctypes.c_int64(i)))
        return out[::-1]


def generate(model: M.Model, cm: CompiledModel, symmetry: Sequence[M.AtomT] = ()) -> str:
    """The model's C source, reduced by the `symmetry` sets (Unsupported for what it
    cannot express)."""
    if len(model.actions) > 32767:
        raise Unsupported("more than 32767 actions")
    it = Interp(model)
    consts = {c.name: it._const(c.name) for c in model.consts}
    return CGen(model, cm.encoding, cm.layout, consts, symmetry).source()


HANDOVER_SECONDS = 1.0  # how long `auto` lets the Python engine run before compiling


def check_native(model: M.Model, options: Options, progress: TextIO | None,
                 budget: Budget, verify: bool = True, adaptive: bool = False) -> Result:
    """The explicit search, compiled. `adaptive` (what `--engine auto` runs): compiled at
    once when the model's library is cached; else the Python engine first, and only a
    search still running after HANDOVER_SECONDS is compiled and run again (small checks
    never pay for the C compiler). Where it cannot compile, the Python engine runs it."""
    def run() -> Result:
        t0 = time.monotonic()
        with budget.during(B.PHASE_COMPILE):
            cm = explicit.compile_model(model)  # the Python engine's, as `bfs` compiles it
            sym = explicit.reduction(model, options.symmetry)
        lib: ctypes.CDLL | None = None
        try:
            with budget.during(B.PHASE_COMPILE):
                source = generate(model, cm, sym.sets)
                path = Build.cached(source)
                if path is not None or not adaptive:
                    lib = Build.load(path or Build.build(source, budget))
        except (Unsupported, Build.CompilerMissing) as e:
            why = f"no C for {e}" if isinstance(e, Unsupported) else str(e)
            if progress is not None and (isinstance(e, Unsupported) or _first_time(why)):
                progress.write(f"explicit search: {why}; it runs in Python\n")
            return _python(cm, options, progress, budget, t0, verify, sym)
        if lib is None:  # adaptive, not cached: Python first
            handover = time.monotonic() + HANDOVER_SECONDS
            s = explicit.python_search(cm, options.limits, progress, budget, handover_at=handover,
                                       symmetry=sym)
            if s.kind != HANDOVER:
                return explicit.result(cm, s, t0, budget, verify, symmetry=sym)
            with budget.during(B.PHASE_COMPILE):
                lib = Build.load(Build.build(source, budget))
        try:
            with budget.during(B.PHASE_SEARCH):
                ns = _search(lib, cm, options, progress, budget)
        except Fallback as e:
            if progress is not None:
                progress.write(f"explicit search: {e}; it runs in Python\n")
            return _python(cm, options, progress, budget, t0, verify, sym)
        return explicit.result(cm, ns, t0, budget, verify, compiled=True, symmetry=sym)
    return within_budget(budget, "bfs", run)


def _python(cm: CompiledModel, options: Options, progress: TextIO | None, b: Budget,
            t0: float, verify: bool, sym: Symmetry) -> Result:
    s = explicit.python_search(cm, options.limits, progress, b, symmetry=sym)
    return explicit.result(cm, s, t0, b, verify, symmetry=sym)


_SAID: set[str] = set()


def _first_time(note: str) -> bool:
    """A note said once per process (no compiler: every check would say it)."""
    if note in _SAID:
        return False
    _SAID.add(note)
    return True


def _search(lib: ctypes.CDLL, cm: CompiledModel, options: Options, progress: TextIO | None,
            b: Budget) -> NativeSearch:
    lim = options.limits
    lib.mx_new.restype = ctypes.c_void_p
    lib.mx_free.argtypes = [ctypes.c_void_p]
    lib.mx_run.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int,
                           ctypes.c_int, POLL, ctypes.POINTER(ctypes.c_int64),
                           ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64)]
    lib.mx_state.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_uint64)]
    lib.mx_parent.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    lib.mx_parent.restype = ctypes.c_int64
    words, nact = int(lib.mx_words()), int(lib.mx_actions())
    ctx = lib.mx_new()
    if not ctx:
        raise MemoryError("the compiled engine could not allocate its tables")
    start = time.monotonic()
    st = _PollState(start + PROGRESS_EVERY)
    max_memory = b.limits.max_memory

    def over(phase: str) -> str | None:
        now = time.monotonic()
        during = B.during(phase)
        if b.deadline is not None and now >= b.deadline:
            return f"time limit {b.seconds:g}s{during}"
        if max_memory is not None and B.resident_bytes() > max_memory:
            return f"memory limit {B.format_size(max_memory)}{during}"
        return None

    def poll(kind: int, distinct: int, generated: int, depth: int, queue: int) -> int:
        """search.c's tick: progress (kind 0, the main loop) and the limits; nonzero
        stops the search. Ctrl-C, met here, stops it too."""
        try:
            if st.interrupted:  # Ctrl-C, noted by _ctrl_c_sets
                return 2
            now = time.monotonic()
            if kind == POLL_TICK and progress is not None and now >= st.next:
                st.next = now + PROGRESS_EVERY
                el = now - start
                progress.write(f"progress: {el:6.1f}s  depth {depth}  distinct {distinct}  "
                               f"generated {generated}  queue {queue}  "
                               f"{distinct / el:,.0f} states/s\n")
                progress.flush()
            why = over(B.PHASE_INIT if kind == POLL_INIT else B.PHASE_SEARCH)
            if why is not None:
                st.why = why
                return 1
            return 0
        except KeyboardInterrupt:
            st.interrupted = True
            return 2
    cb = POLL(poll)
    out = (ctypes.c_int64 * 8)()
    fired, new = (ctypes.c_int64 * max(1, nact))(), (ctypes.c_int64 * max(1, nact))()
    max_states = lim.max_states if lim.max_states is not None else -1
    max_depth = lim.max_depth if lim.max_depth is not None else -1
    try:
        with _ctrl_c_sets(st):
            if lib.mx_run(ctx, max_states, max_depth, int(lim.deadlock), options.workers, cb,
                          out, fired, new) < 0:
                raise MemoryError("the compiled engine could not start its workers")
    except BaseException:
        lib.mx_free(ctx)
        raise
    n = len(cm.model.actions)
    s = NativeSearch(lib, ctx, words, cm, distinct=int(out[4]), generated=int(out[5]),
                     depth=int(out[6]), queue=int(out[7]), fired=[int(x) for x in fired][:n],
                     new=[int(x) for x in new][:n], interrupted=st.interrupted)
    status, at, where = int(out[0]), int(out[1]), int(out[2])
    s.at = at
    _read_status(s, cm, status, where, int(out[3]), st.why, lim, b)
    if s.kind == "holds" and cm.model.properties:
        try:
            s.graph = _graph(lib, ctx, cm.model, s.distinct)
        except BaseException:
            lib.mx_free(ctx)
            raise
    # the library is kept while the trace is read (`outcome`); freed with the search
    weakref.finalize(s, lib.mx_free, ctypes.c_void_p(ctx))
    return s


def _graph(lib: ctypes.CDLL, ctx: int, model: M.Model, n: int) -> Graph:
    """The edges the compiled search recorded (search.c, EDGES), as explicit.graph keeps
    them: the arrays copied, the fairness instances numbered by search.c in edge order (as
    the Python search numbers them: it meets the edges in the same order)."""
    P64, P32, P16 = (ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int32),
                     ctypes.POINTER(ctypes.c_int16))
    lib.mx_edges.argtypes = [ctypes.c_void_p, ctypes.POINTER(P64), ctypes.POINTER(P64),
                             ctypes.POINTER(P16), ctypes.POINTER(P32), ctypes.POINTER(P64),
                             ctypes.POINTER(ctypes.c_int64)]
    lib.mx_edges.restype = ctypes.c_int64
    first, dst, aid, inst, keys = P64(), P64(), P16(), P32(), P64()
    ninst = ctypes.c_int64()
    m = int(lib.mx_edges(ctypes.c_void_p(ctx), ctypes.byref(first), ctypes.byref(dst),
                         ctypes.byref(aid), ctypes.byref(inst), ctypes.byref(keys),
                         ctypes.byref(ninst)))
    if m == -2:
        raise MemoryError("the compiled engine could not hand over its edges")
    assert m >= 0, "a model with liveness properties compiled without EDGES"
    g = graph_for(model)
    assert g is not None
    g.first = array("q", ctypes.string_at(first, 8 * (n + 1)))
    if m:
        g.dst = array("q", ctypes.string_at(dst, 8 * m))
        g.act = array("i", array("h", ctypes.string_at(aid, 2 * m)))
        g.inst = array("i", ctypes.string_at(inst, 4 * m))
    width = 1 + max([1, *(len(a.params) for a in model.actions)])
    flat = array("q", ctypes.string_at(keys, 8 * width * ninst.value)) if ninst.value else []
    for k in range(ninst.value):
        a = flat[k * width]
        key = (a, tuple(flat[k * width + 1:k * width + 1 + len(model.actions[a].params)]))
        g.instances[key] = k
        g.keys.append(key)
        g.kinds.append(g.fairness[a])
    g.n = n
    return g


@contextlib.contextmanager
def _ctrl_c_sets(st: _PollState) -> Iterator[None]:
    """While C runs the search, Ctrl-C only sets a flag the next poll reads: raised as
    KeyboardInterrupt, it could meet the callback before its first line, where ctypes
    would print it and carry on. (Signal handlers belong to the main thread.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum: int, frame: object) -> None:
        st.interrupted = True
    old = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _read_status(s: NativeSearch, cm: CompiledModel, status: int, where: int, inv: int,
                 why: str, lim: B.Limits, b: Budget) -> None:
    """The search's status as the Python engine's `Search` says it (the same reasons)."""
    phase = B.PHASE_INIT if where == IN_INIT else B.PHASE_SEARCH
    if status == HOLDS:
        s.kind = "holds"
    elif status == VIOLATION:
        s.kind, s.invariant = "violation", inv
    elif status == DEADLOCK:
        s.kind = "deadlock"
    elif status == FAULT:
        s.kind = "fault"
        _fault_again(s, cm, where)
    elif status == STOP_OVERFLOW:
        raise Fallback("a value outside what the compiled code represents (an integer "
                       "beyond 64 bits, a set element beyond bit 63)")
    else:
        s.kind = "incomplete"
        if s.interrupted:
            s.reason = f"interrupt (Ctrl-C){B.during(phase)}"
        elif status == STOP_LIMIT:
            s.reason = why
        elif status == STOP_SHORTER:
            s.reason = (f"{why}, before a deadlock shorter than the counterexample found "
                        f"({s.depth + 1} steps) was ruled out")
        elif status == STOP_STATES:
            s.reason = f"state limit {lim.max_states}{B.during(phase)}"
        elif status == STOP_DEPTH:
            s.reason = f"depth limit {lim.max_depth}"
        elif status == STOP_CAPACITY:
            s.reason = f"the compiled search's capacity of {CAPACITY:,} states"
        else:
            limit = b.limits.max_memory
            what = B.format_size(limit) if limit is not None else "of the machine"
            s.reason = f"memory limit {what}{B.during(phase)}"


def _fault_again(s: NativeSearch, cm: CompiledModel, where: int) -> None:
    """Compute again, with the Python engine, the failure the compiled search met."""
    try:
        if where == IN_INIT:
            for _ in cm.initial():
                pass
        else:
            st = s.state(s.at)
            if where == IN_EXPAND:
                cm.successors(st, {}, [0] * cm.n_actions)
            elif where == IN_INVARIANT:
                cm.invariants(st)
            elif where == IN_CONSTRAINT:
                assert cm.constraint is not None
                cm.constraint(st)
            else:
                assert cm.terminal is not None
                cm.terminal(st)
    except FAULTS as e:
        s.fault = e
        if where == IN_EXPAND:
            s.fault_action = getattr(e, "action", -1)
            s.fault_binding = getattr(e, "binding", None)
        return
    raise AssertionError("the compiled engine finds a runtime error that the Python engine "
                         "does not")
