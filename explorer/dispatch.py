"""Which engine runs a check: the one its expectation asks for (z3 induction for `expect
proved` and `expect cti`, the explicit search otherwise), or the one the user forces. Shared
by the command and the pytest plugin, the two front ends. What an engine finds wrong with
the spec itself (a const that fails, what z3 cannot encode) comes out as a positioned
SpecError, whichever engine found it."""

from __future__ import annotations

from typing import TextIO

from explorer import model as M
from explorer.diagnostics import Diagnostic, SpecError
from explorer.explicit.bfs import Limits
from explorer.interp import check_consts
from explorer.results import Result


def engine_for(check: M.Check, engine: str = "auto") -> str:
    if engine != "auto":
        return engine
    return "prove" if check.expect.kind in (M.ExpectKind.PROVED, M.ExpectKind.CTI) else "bfs"


def run_check(check: M.Check, model: M.Model, engine: str = "auto", limits: Limits | None = None,
              depth: int = 20, k: int | None = None, progress: TextIO | None = None) -> Result:
    """Run one check's model with its engine. `depth` is BMC's bound, `k` overrides the
    check's k-induction depth; limits.max_seconds bounds the z3 engines too."""
    limits = limits or Limits()
    engine = engine_for(check, engine)
    check_consts(model)
    if engine == "bfs":
        from explorer.explicit.run import check_model
        return check_model(model, limits, progress)
    from explorer.symbolic.values import Unsupported
    try:
        if engine == "bmc":
            from explorer.symbolic.bmc import check_bmc
            return check_bmc(model, depth, limits.deadlock, limits.max_seconds, progress)
        from explorer.symbolic.induction import check_prove
        return check_prove(model, k or check.expect.k or 1, limits.max_seconds, progress)
    except Unsupported as e:
        raise SpecError([Diagnostic("E2005", f"the z3 engine cannot encode this: {e}",
                                    e.span, notes=("the explicit search (`--engine bfs`) "
                                                   "has no such limit",))]) from None
