"""The engines by name (the registry), and which one runs a check: the one its expectation
asks for (z3 induction for `expect proved` and `expect cti`, the explicit search
otherwise), or the one the user forces. Adding an engine is adding it to `ENGINES`: the
session, the CLI (`--engine`), the reports and the pytest plugin know the engines only
from here. What an engine finds wrong with the spec itself (a const that fails, what z3
cannot encode) comes out as a positioned SpecError, whichever engine found it.

A check runs within its budget (`explorer.budget`): a limit reached in any phase, the
backstop's MemoryError and Ctrl-C all become the outcome `incomplete` naming the phase,
never a verdict; Ctrl-C also marks the result `interrupted`, so the front end stops.

The engines themselves are imported only when a check runs (z3 is slow to import)."""

from __future__ import annotations

import dataclasses
from typing import TextIO

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget, Limits
from explorer.diagnostics import Diagnostic, SpecError
from explorer.engine import Engine, Options, Unsupported
from explorer.interp import check_consts
from explorer.results import Figures, Result, within_budget

AUTO = "auto"  # not an engine: each check's own
AUTO_HELP = ("each check's own (z3 induction for `expect proved` and `expect cti`, BFS "
             "otherwise, compiled to C when a check runs long)")


def _took(f: Figures, timings: bool) -> str:
    return f", {f.elapsed:.2f} s" if timings else ""


class Explicit:
    """The explicit-state search (explorer.explicit)."""

    name = "bfs"
    help = "explicit-state search"
    default_seconds: float | None = None  # its figures say how far it got

    def figures(self, f: Figures, timings: bool) -> str:
        done = "complete" if f.complete else f"incomplete, {f.queue} states left in the queue"
        how = "; compiled" if f.compiled else ""
        sym = f"; {f.symmetry}" if f.symmetry else ""
        sym += f"; {f.liveness}" if f.liveness else ""
        rate = (f"{f.elapsed:.2f} s ({f.states_per_second:,.0f} distinct states/s; "
                f"{done}{how}{sym})" if timings else f"{done}{sym}")
        return (f"{f.generated:,} states generated, {f.distinct:,} distinct, depth {f.depth}, "
                f"{rate}")

    def run(self, model: M.Model, check: M.Check, options: Options, progress: TextIO | None,
            budget: Budget) -> Result:
        from explorer.explicit import run
        return run.check_model(model, options.limits, progress, budget=budget,
                               symmetry=options.symmetry)


class Compiled(Explicit):
    """The explicit-state search, compiled to C (explorer.native). Its results are the
    search's (`bfs`), with `compiled` in the figures. `adaptive` is what `auto` runs:
    compiled when cached, else after the Python engine has run for a second."""

    name = "c"
    help = "the explicit-state search compiled to C (in Python where it cannot be)"

    def __init__(self, adaptive: bool = False) -> None:
        self.adaptive = adaptive

    def run(self, model: M.Model, check: M.Check, options: Options, progress: TextIO | None,
            budget: Budget) -> Result:
        from explorer.native import engine
        return engine.check_native(model, options, progress, budget, adaptive=self.adaptive)


class _Z3:
    """An engine of explorer.symbolic: it may search for ever, so it has a time limit by
    default, and what z3 cannot encode is a spec error at the construct."""

    default_seconds: float | None = B.Z3_DEFAULT_SECONDS

    def run(self, model: M.Model, check: M.Check, options: Options, progress: TextIO | None,
            budget: Budget) -> Result:
        try:
            if model.properties and check.expect.kind not in (M.ExpectKind.PROVED,
                                                              M.ExpectKind.CTI):
                # a proof or a bounded search of the invariants says nothing of them
                p = model.properties[0]
                raise Unsupported(f"the property `{p.name}`: z3 checks invariants, not "
                                  "properties (leave it out with `only` or `except`)", p.span)
            return self._run(model, check, options, progress, budget)
        except Unsupported as e:
            note = f"the explicit search (`--engine {Explicit.name}`) has no such limit"
            raise SpecError([Diagnostic("E2005", f"the z3 engine cannot encode this: {e}",
                                        e.span, notes=(note,))]) from None

    def _run(self, model: M.Model, check: M.Check, options: Options, progress: TextIO | None,
             budget: Budget) -> Result:
        raise NotImplementedError


class Bmc(_Z3):
    """Bounded model checking (explorer.symbolic.bmc)."""

    name = "bmc"
    help = "z3 bounded model checking up to --depth"

    def figures(self, f: Figures, timings: bool) -> str:
        return f"z3 bounded model checking: depth {f.depth}{_took(f, timings)}"

    def _run(self, model: M.Model, check: M.Check, options: Options, progress: TextIO | None,
             budget: Budget) -> Result:
        from explorer.symbolic import bmc
        return bmc.check_bmc(model, options.depth, options.limits.deadlock, progress=progress,
                             budget=budget)


class Prove(_Z3):
    """k-induction (explorer.symbolic.induction)."""

    name = "prove"
    help = "z3 induction"

    def figures(self, f: Figures, timings: bool) -> str:
        took = _took(f, timings).replace(",", ":")
        return f"z3 {'' if f.depth <= 1 else f'{f.depth}-'}induction{took}"

    def _run(self, model: M.Model, check: M.Check, options: Options, progress: TextIO | None,
             budget: Budget) -> Result:
        from explorer.symbolic import induction
        return induction.check_prove(model, options.k or check.expect.k or 1,
                                     progress=progress, budget=budget)


# the registry, in the order `--engine` lists them
ENGINES: dict[str, Engine] = {e.name: e for e in (Explicit(), Compiled(), Bmc(), Prove())}


# what `auto` runs for an explicit check: compiled, adaptively (see Compiled)
_AUTO_EXPLICIT = Compiled(adaptive=True)


def engine(name: str) -> Engine:
    """The registered engine called `name` (KeyError for none)."""
    return ENGINES[name]


def choices() -> tuple[str, ...]:
    """What `--engine` accepts."""
    return (AUTO, *ENGINES)


def choices_help() -> str:
    """What `--engine` says of each choice."""
    return "; ".join([f"{AUTO} (default): {AUTO_HELP}"] +
                     [f"{e.name}: {e.help}" for e in ENGINES.values()])


def engine_for(check: M.Check, engine: str = AUTO) -> str:
    if engine != AUTO:
        return engine
    return Prove.name if check.expect.kind in (M.ExpectKind.PROVED, M.ExpectKind.CTI) \
        else Explicit.name


def check_budget(check: M.Check, limits: Limits | None = None, engine: str = AUTO) -> Budget:
    """A check's budget, from now: --max-seconds, or the engine's default time limit (the
    z3 engines, which may search for ever, have one)."""
    limits = limits or Limits()
    seconds = limits.max_seconds
    if seconds is None:
        seconds = ENGINES[engine_for(check, engine)].default_seconds
    return Budget(limits, seconds)


def run(check: M.Check, model: M.Model, engine: str, options: Options,
        progress: TextIO | None = None, budget: Budget | None = None) -> Result:
    """Run one check's model with its engine (`engine` as `--engine` names it, `auto`
    included). `budget` (by default `check_budget`, from now) bounds every phase."""
    name = engine_for(check, engine)
    b = budget or check_budget(check, options.limits, name)
    if not check.deadlock:  # `ignoring deadlock`, as --no-deadlock for this check
        options = dataclasses.replace(
            options, limits=dataclasses.replace(options.limits, deadlock=False))

    chosen = ENGINES[name]
    if engine == AUTO and name == Explicit.name:
        chosen = _AUTO_EXPLICIT

    if model.properties and model.constraints:
        c = model.constraints[0]
        raise SpecError([Diagnostic(
            "E2005", f"the constraint `{c.name}` cuts the behaviours the properties are "
            "about: a check of properties cannot have constraints", c.span,
            notes=("leave the properties out of this check with `only` or `except`",))])

    def go() -> Result:
        check_consts(model)
        return chosen.run(model, check, options, progress, b)
    return within_budget(b, name, go)


def run_check(check: M.Check, model: M.Model, engine: str = AUTO, limits: Limits | None = None,
              depth: int = 20, k: int | None = None, progress: TextIO | None = None,
              budget: Budget | None = None) -> Result:
    """`run` with the options spelled out: `depth` is BMC's bound, `k` overrides the
    check's k-induction depth."""
    return run(check, model, engine, Options(limits or Limits(), depth, k), progress, budget)
