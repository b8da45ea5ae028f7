"""A session: plan (specs, checks, overrides) -> run -> verdict, for every front end.

`explore` (explorer.cli), `explore render` and the pytest plugin all load specs, pick the
checks, elaborate each check's configuration, run it with its engine within its budget and
judge the outcome through here; they keep only their arguments, formats and exit codes.

- plan: `spec_paths` (files and directories), `load` (a spec, its warnings and errors
  written out), `checks_of` (a spec's checks, or the implicit `default` one), `select`
  (`--check`), `validate_overrides` (`--set`);
- run: `Session.run` elaborates the check's configuration, draws `--dump-states`, and runs
  the engine (`explorer.dispatch`), every phase within the check's budget;
- verdict: `Session.run` judges the result against the check's expectation, with the
  params the check's `with` clause and `--set` override (`overridden`).

Imports nothing heavy at module level: the CLI imports it before parsing its arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from explorer import budget as B
from explorer import model as M
from explorer.diagnostics import SpecError, render
from explorer.textsafe import escape, escape_path

if TYPE_CHECKING:
    from explorer.engine import Options
    from explorer.lang.load import LoadedSpec
    from explorer.reports.verdict import Verdict
    from explorer.results import Result

class UsageError(Exception):
    """The command line asks for something the specs do not have (a check, a param), or
    that cannot be done: exit 2."""


# the check of a spec that declares none: every invariant holds in every reachable state
DEFAULT_CHECK = M.Check("default", (), M.Expect(M.ExpectKind.HOLDS))


def checks_of(spec: LoadedSpec) -> list[M.Check]:
    """The spec's checks, or the implicit one when it declares none."""
    return spec.checks or [DEFAULT_CHECK]


def spec_paths(given: list[str]) -> list[str]:
    """The spec files named: a file as given, a directory as every .mnt file under it."""
    paths: list[str] = []
    for g in given:
        p = Path(g)
        if p.is_dir():
            # a directory named x.mnt is searched (rglob enters it), not read as a spec
            found = sorted(str(x) for x in p.rglob("*.mnt") if not x.is_dir())
            if not found:
                raise UsageError(f"{g}: no .mnt file under this directory")
            paths += found
        else:
            paths.append(g)
    return paths


class LoadStopped:
    """`load`: a limit (time, memory) stopped the loading; nothing else to say."""


INCOMPLETE = LoadStopped()


def load(path: str, err: TextIO, limits: B.Limits | None = None) -> LoadedSpec | None | LoadStopped:
    """The loaded spec, its warnings written to err; None, with its errors written, when it
    does not load; `INCOMPLETE` when a limit (time, memory) stopped the loading."""
    from explorer.lang.load import load_text, read_source
    b = B.Budget(limits)
    source = None
    try:
        with B.activate(b), b.during(B.PHASE_LOAD):
            source = read_source(path)
            spec = load_text(source, path)
    except SpecError as e:
        write_diagnostics(e, path, source, err)
        err.write(f"{escape_path(path)}: {len(e.diagnostics)} error"
                  f"{'s' * (len(e.diagnostics) > 1)}\n")
        return None
    except (B.LimitReached, MemoryError) as e:
        reason = e.reason if isinstance(e, B.LimitReached) else b.memory_reason(e)
        err.write(f"{path}: stopped at the {reason}: no answer\n")
        return INCOMPLETE
    for w in spec.warnings:
        err.write(render(w, path, spec.source) + "\n")
    return spec


def write_diagnostics(e: SpecError, path: str, source: str | None, err: TextIO) -> None:
    for d in e.diagnostics:
        err.write(render(d, path, source) + "\n")


def select(spec: LoadedSpec, name: str | None, quiet_if_none: bool = False) -> list[M.Check]:
    """The checks to run: every one, or the one called `name`. None by that name is a
    usage error, unless `quiet_if_none` (a run over several specs says so once, at the
    end)."""
    checks = checks_of(spec)
    if name is None:
        return checks
    checks = [c for c in checks if c.name == name]
    if not checks and not quiet_if_none:
        names = ", ".join(c.name for c in spec.checks) or "default"
        raise UsageError(f"no check named `{name}` in {spec.path} (checks: {names})")
    return checks


def with_counterexamples(spec: LoadedSpec) -> list[M.Check]:
    """The checks that expect a counterexample (`explore render` draws them): every one but
    those that expect `holds` or `proved`."""
    return [c for c in spec.checks
            if c.expect.kind not in (M.ExpectKind.HOLDS, M.ExpectKind.PROVED)]


def validate_overrides(spec: LoadedSpec, overrides: Mapping[str, Any],
                       given: list[str]) -> None:
    """`--set NAME=VALUE` (`given`, as typed; `overrides`, parsed): each NAME a param of the
    spec, each VALUE one of its type. Either wrong is a usage error, not a spec error."""
    params = {n for n, _ in spec.default.params}
    for name in overrides:
        if name not in params:
            raise UsageError(f"--set {name}: `{name}` is not a param of {spec.path} "
                             f"(params: {', '.join(sorted(params)) or 'none'})")
    for name, value in overrides.items():
        try:
            spec.model({name: value})
        except SpecError as e:
            item = next(x for x in given if x.partition("=")[0].strip() == name)
            raise UsageError(f"--set {item}: {e.diagnostics[0].message}") from None


@dataclass
class Ran:
    """One check run and judged: the model of its configuration (the spec's default one
    when elaboration was cut short), the result, the verdict, and the budget (for what the
    front end still does within it: drawing)."""

    check: M.Check
    model: M.Model
    result: Result
    verdict: Verdict
    budget: B.Budget


@dataclass
class Session:
    """How the checks of one spec run: the options, the engine (as `--engine` names it;
    None: each check's own), the `--set` overrides, and `--dump-states` (its file, and
    where it reports)."""

    spec: LoadedSpec
    options: Options
    engine: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    dump: str | None = None
    err: TextIO | None = None

    def overridden(self, check: M.Check) -> frozenset[str]:
        """The params the check's `with` clause and `--set` give a value of their own."""
        return frozenset(self.spec.check_overrides.get(check.name, {})) | \
            frozenset(self.overrides)

    def run(self, check: M.Check, progress: TextIO | None = None) -> Ran:
        """Elaborate the check's configuration and run it, every phase within the check's
        budget (a limit reached, or Ctrl-C, while elaborating is an incomplete result
        too), then judge it. A spec error (a `with` value, a const that fails, what an
        engine cannot handle) raises SpecError; a trace the reference interpreter does not
        replay raises ReplayError."""
        from explorer import dispatch
        from explorer.reports.verdict import judge
        from explorer.results import within_budget
        limits, engine = self.options.limits, self.engine or dispatch.AUTO
        b = dispatch.check_budget(check, limits, engine)
        model = self.spec.default

        def run() -> Result:
            nonlocal model
            with b.during(B.PHASE_ELABORATE):
                model = self.spec.check_model(check, dict(self.overrides))
            if self.dump:
                with b.during(B.PHASE_DUMP):
                    dump_states(model, check, self.dump, limits, self.err,
                                self.options.symmetry)
            return dispatch.run(check, model, engine, self.options, progress, budget=b)

        result = within_budget(b, dispatch.engine_for(check, engine), run)
        v = judge(check, model.params, result, self.overridden(check),
                  self.options.accept_bounded)
        return Ran(check, model, result, v, b)


def dump_states(model: M.Model, check: M.Check, path: str, limits: B.Limits,
                err: TextIO | None, symmetry: bool = True) -> None:
    """--dump-states: the reachable state graph of the check's model, as DOT. A graph
    larger than the drawing limit is a usage error; --max-states, when lower, is a limit
    like any other (LimitReached)."""
    from explorer.outdir import OutputError, write_file
    from explorer.reports.diagram import state_graph_dot
    from explorer.stategraph import MAX_STATES, TooLarge, reachable_graph
    cap = MAX_STATES
    if limits.max_states is not None and limits.max_states < cap:
        cap = limits.max_states
    try:
        g = reachable_graph(model, cap, symmetry=symmetry)
    except TooLarge as e:
        if cap < MAX_STATES:
            raise B.LimitReached(f"state limit {cap} while building the state graph") from None
        raise UsageError(f"--dump-states: {e}; it is meant for small specs (shrink the "
                         "instance with --set)") from None
    if not g.initial:  # the check reports it (E3008); an empty picture would look like a pass
        if err is not None:
            err.write(f"--dump-states: check {check.name} has no initial state; "
                      f"{escape(path)} not written\n")
        return
    dot = state_graph_dot(g.var_names, g.states, g.initial, g.edges, g.violating, g.failing,
                          f"{model.path}: check {check.name}: {len(g.states)} states"
                          f"{g.reduced}, {len(g.edges)} transitions")
    try:
        write_file(path, dot)
    except OutputError as e:
        raise OutputError(f"--dump-states: {e}") from None
    if err is not None:
        err.write(f"wrote the state graph ({len(g.states)} states, {len(g.edges)} "
                  f"transitions) to {escape(path)}\n")
