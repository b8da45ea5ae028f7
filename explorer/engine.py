"""The engine interface: what a front end hands an engine, and what it gets back.

An engine is anything with the `Engine` shape: a name (as `--engine` spells it and as
reports show it), a line for `--help`, its default time limit, the way its figures read in
the text report, and `run(model, check, options, progress, budget) -> Result`. The engines
are listed in `explorer.dispatch` (the registry); the session, the CLI, the reports and the
pytest plugin know them only through it.

`Options` is everything a run is given besides the model and the check: the `Limits`
(owned by `explorer.budget`) and the engine flags. `finish` is the epilogue every engine
shares: check the trace with the reference interpreter, leave out the `var` locals, make
the `Result`. `Unsupported` is what an engine raises for a construct it cannot handle; the
registry turns it into a positioned spec error.

Imports `budget`, `model` and `results` only: the engines import it, never the reverse.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from explorer import budget as B
from explorer.budget import Budget, Limits
from explorer.model import NOSPAN, Check, Model, Span
from explorer.results import (
    Coverage,
    Figures,
    Outcome,
    OutcomeKind,
    Reached,
    Result,
    Trace,
    replay,
    replay_cover,
    verify_cti,
)


@dataclass(frozen=True)
class Options:
    """How to run a check: the limits of every phase, and the engine flags."""

    limits: Limits = field(default_factory=Limits)
    depth: int = 20  # bounded model checking: the deepest counterexample looked for
    k: int | None = None  # induction: K, over the check's own `by K-induction` (else 1)
    accept_bounded: bool = False  # a bounded search that finds nothing satisfies `holds`
    # threads of the compiled search (the same results whatever their number)
    workers: int = field(default_factory=lambda: available_cores())
    symmetry: bool = True  # reduce by `symmetric set`s where sound (`--no-symmetry`)


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class Engine(Protocol):
    """One way of running a check. `default_seconds` is its time limit when the user
    gives none (None: no limit); `figures(f, timings)` is the figures line of the text
    report (without `timings`, for committed artefacts, it has no clock reading)."""

    @property
    def name(self) -> str: ...

    @property
    def help(self) -> str: ...

    @property
    def default_seconds(self) -> float | None: ...

    def figures(self, f: Figures, timings: bool) -> str: ...

    def run(self, model: Model, check: Check, options: Options, progress: TextIO | None,
            budget: Budget) -> Result: ...


class Unsupported(Exception):
    """A construct an engine cannot express (for z3: a type too large to unfold). `span` is
    the spec text that needs it: the engine sets it on the way out, innermost first."""

    def __init__(self, message: str, span: Span = NOSPAN) -> None:
        super().__init__(message)
        self.span = span

    def locate(self, span: Span) -> None:
        if not self.span.line:
            self.span = span


def finish(model: Model, outcome: Outcome, trace: Trace | None, figures: Figures,
           budget: Budget, engine: str, coverage: Sequence[Coverage] = (),
           verify: bool = True, since: float | None = None,
           interrupted: bool = False, covers: Sequence[Reached] = ()) -> Result:
    """The result of a run, every engine alike: its trace checked by the reference
    interpreter (a counterexample to induction by `verify_cti`, any other by `replay`; a
    disagreement raises ReplayError, never a verdict), then shown without the `var`
    locals, which are zero in every state. `since`, when given, is when the run started:
    the figures' elapsed time is taken after the replay. The `covers`' witnesses are
    replayed too."""
    if verify:
        with budget.during(B.PHASE_REPLAY):
            if trace is not None and outcome.kind is OutcomeKind.CTI:
                verify_cti(model, trace, outcome)
            elif trace is not None:
                replay(model, trace, outcome)
            for c in covers:
                if c.trace is not None:
                    replay_cover(model, c)
    if any(v.local for v in model.vars):
        keep = [v.index for v in model.vars if not v.local]
        trace = trace.only(keep) if trace is not None else None
        covers = [Reached(c.name, c.span, c.steps, c.trace.only(keep) if c.trace is not None else None)
                  for c in covers]
    if since is not None:
        figures.elapsed = time.monotonic() - since
    return Result(outcome, figures, list(coverage), trace, engine=engine,
                  interrupted=interrupted, covers=list(covers))
