"""Which engine runs a check: the one its expectation asks for (z3 induction for `expect
proved` and `expect cti`, the explicit search otherwise), or the one the user forces. Shared
by the command and the pytest plugin, the two front ends. What an engine finds wrong with
the spec itself (a const that fails, what z3 cannot encode) comes out as a positioned
SpecError, whichever engine found it.

A check runs within its budget (`explorer.budget`): a limit reached in any phase, the
backstop's MemoryError and Ctrl-C all become the outcome `incomplete` naming the phase,
never a verdict; Ctrl-C also marks the result `interrupted`, so the front end stops."""

from __future__ import annotations

from typing import TextIO

from explorer import budget as B
from explorer import model as M
from explorer.budget import Budget, Limits
from explorer.diagnostics import Diagnostic, SpecError
from explorer.interp import check_consts
from explorer.results import Result, within_budget


def engine_for(check: M.Check, engine: str = "auto") -> str:
    if engine != "auto":
        return engine
    return "prove" if check.expect.kind in (M.ExpectKind.PROVED, M.ExpectKind.CTI) else "bfs"


def check_budget(check: M.Check, limits: Limits | None = None, engine: str = "auto") -> Budget:
    """A check's budget, from now: --max-seconds, or for the z3 engines (which may search
    for ever) their default time limit."""
    limits = limits or Limits()
    seconds = limits.max_seconds
    if seconds is None and engine_for(check, engine) != "bfs":
        seconds = B.Z3_DEFAULT_SECONDS
    return Budget(limits, seconds)


def run_check(check: M.Check, model: M.Model, engine: str = "auto", limits: Limits | None = None,
              depth: int = 20, k: int | None = None, progress: TextIO | None = None,
              budget: Budget | None = None) -> Result:
    """Run one check's model with its engine. `depth` is BMC's bound, `k` overrides the
    check's k-induction depth. `budget` (by default `check_budget`, from now) bounds every
    phase of the run."""
    limits = limits or Limits()
    engine = engine_for(check, engine)
    b = budget or check_budget(check, limits, engine)
    return within_budget(b, engine, lambda: _run(check, model, engine, limits, depth, k,
                                                 progress, b))


def _run(check: M.Check, model: M.Model, engine: str, limits: Limits, depth: int,
         k: int | None, progress: TextIO | None, b: Budget) -> Result:
    check_consts(model)
    if engine == "bfs":
        from explorer.explicit.run import check_model
        return check_model(model, limits, progress, budget=b)
    from explorer.symbolic.values import Unsupported
    try:
        if engine == "bmc":
            from explorer.symbolic.bmc import check_bmc
            return check_bmc(model, depth, limits.deadlock, progress=progress, budget=b)
        from explorer.symbolic.induction import check_prove
        return check_prove(model, k or check.expect.k or 1, progress=progress, budget=b)
    except Unsupported as e:
        raise SpecError([Diagnostic("E2005", f"the z3 engine cannot encode this: {e}",
                                    e.span, notes=("the explicit search (`--engine bfs`) "
                                                   "has no such limit",))]) from None
