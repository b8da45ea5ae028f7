"""The `explore` command: arguments, checks to run, output format, exit codes.

Exit codes: 0 every check as expected; otherwise the code of the first check that was not:
11 deadlock, 12 invariant (or `always` property) violated, 13 property violated by a fair
behaviour (a lasso), 14 assertion failed, 75 runtime evaluation error,
150 spec error (syntax or static), 1 an expected violation was not found, 2 usage error,
3 stopped at a limit before an answer, 255 internal error (a bug of ours, never the input's).

Every line it prints starts with its own text; spec-controlled text (messages, paths) in
a line goes through `explorer.textsafe` (see there for why, and for what the GitHub Actions
runner treats as a workflow command).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO, cast

from explorer import model as M
from explorer.diagnostics import SpecError, render
from explorer.outdir import ManagedFolder, OutputError, open_folder
from explorer.session import UsageError
from explorer.textsafe import escape, escape_path, json_text

EXIT_SPEC, EXIT_USAGE, EXIT_INTERNAL = 150, 2, 255
EXIT_UNFIRED = 4  # --fail-on-unfired: a complete check in which an action never fired


# the files `explore render` writes in DIR/<spec>/, and so the only names its manifest may
# list (check names are identifiers)
RENDERED = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\.(txt|json|itf\.json|dot|svg|png)")


class StdoutError(Exception):
    """Standard output cannot be written (a full disk, a closed descriptor): the command
    line's fault, reported as a usage error."""


class _Stream:
    """stdout or stderr as `explore` writes them. A write to stdout that fails (other than
    on a closed pipe, which `main` handles on its own) raises StdoutError; one to stderr is
    dropped, since there is nowhere left to report it (the exit code still tells)."""

    def __init__(self, stream: TextIO, results: bool) -> None:
        self._stream, self._results = stream, results

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            self._failed(e)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            self._failed(e)

    def _failed(self, e: OSError) -> None:
        if not self._results:
            return
        if isinstance(e, BrokenPipeError):
            raise e
        raise StdoutError(e.strerror or str(e)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit; we return an exit code
        raise UsageError(message)


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got `{text}`") from None
    if v < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return v


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got `{text}`") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds, got `{text}`")
    if v <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return v


def _induction_k(text: str) -> int:
    v = _positive(text)
    if not 1 <= v <= M.MAX_INDUCTION_K:
        raise argparse.ArgumentTypeError(f"must be from 1 to {M.MAX_INDUCTION_K}, as in "
                                         "`by K-induction`")
    return v


def _size(text: str) -> int:
    from explorer.budget import parse_size
    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_limits(p: argparse.ArgumentParser) -> None:
    """The flags that bound every phase of a check (shared by explore and explore render)."""
    p.add_argument("--max-states", type=_positive, metavar="N",
                   help="stop after N distinct states (initial states included)")
    p.add_argument("--max-seconds", type=_seconds, metavar="S",
                   help="stop after S seconds per check, every phase included (default: no "
                   "limit for the search, 300 for the z3 engines)")
    p.add_argument("--max-memory", type=_size, metavar="SIZE",
                   help="stop when the process uses more memory than SIZE (2G, 500M; "
                   "default: half of the machine's memory or of its cgroup's limit)")


def _limits(args: argparse.Namespace) -> Any:
    from explorer.budget import Limits, default_memory_limit
    memory = args.max_memory if args.max_memory is not None else default_memory_limit()
    return Limits(args.max_states, getattr(args, "max_depth", None), args.max_seconds,
                  not getattr(args, "no_deadlock", False), memory)


def build_parser() -> argparse.ArgumentParser:
    from explorer import dispatch
    p = _Parser(prog="explore", description="Explore every interleaving of a .mnt spec and "
                "compare each check with the outcome it declares.")
    p.add_argument("spec", nargs="+", metavar="SPEC",
                   help="a .mnt spec file, or a directory: every .mnt file under it")
    p.add_argument("--check", metavar="NAME", help="run only this check")
    p.add_argument("--set", metavar="NAME=VALUE", action="append", default=[],
                   help="override a param (repeatable); applied after the check's own `with`")
    _add_limits(p)
    p.add_argument("--max-depth", type=_positive, metavar="N", help="do not explore beyond N steps")
    p.add_argument("--no-deadlock", action="store_true", help="do not report deadlocks")
    p.add_argument("--engine", choices=dispatch.choices(), default=dispatch.AUTO,
                   help=dispatch.choices_help())
    p.add_argument("--depth", type=_positive, metavar="K", default=20,
                   help="the deepest counterexample bmc looks for (default 20)")
    p.add_argument("--k", type=_induction_k, metavar="K",
                   help=f"prove by K-induction, K from 1 to {M.MAX_INDUCTION_K} (default: "
                   "the check's `by K-induction`, else 1)")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="threads of the compiled explicit search (default: the cores "
                   "available); the results are the same whatever N")
    p.add_argument("--no-symmetry", action="store_true",
                   help="explore every state, not one per orbit of the `symmetric set`s")
    p.add_argument("--accept-bounded", action="store_true",
                   help="let a bmc search that finds nothing within --depth satisfy "
                   "`expect holds` (without it, that is no answer: exit 3)")
    p.add_argument("--format", choices=("text", "json", "itf"), default="text",
                   help="text (default); json: the mnt-explorer/1 report; itf: each "
                   "counterexample as an Informal Trace Format document, one per line")
    p.add_argument("--full", action="store_true", help="print every variable at every step")
    p.add_argument("--annotations", choices=("github",),
                   help="github: also print each failed check as a GitHub Actions error "
                   "annotation on the check's line")
    p.add_argument("--dump-states", metavar="FILE.dot",
                   help="also write the whole reachable state graph of the check as DOT "
                   "(small specs only; needs a single check)")
    p.add_argument("--fail-on-unfired", action="store_true",
                   help="fail a check that explored every state and in which an action never "
                   f"fired (exit {EXIT_UNFIRED})")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.add_argument("--skip-long", action="store_true",
                   help="do not run the checks the spec marks `check long NAME` (listed as not "
                   "run); --check runs the check it names in any case")
    return p


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    # descriptor 2 closed: messages go nowhere, the exit code still tells
    err = cast(TextIO, _Stream(stderr or sys.stderr or io.StringIO(), results=False))
    raw = stdout or sys.stdout
    if raw is None:  # started with descriptor 1 closed: say so before any work is done
        err.write("explore: error: cannot write to standard output: it is closed\n")
        return EXIT_USAGE
    out = cast(TextIO, _Stream(raw, results=True))
    try:
        code = _main(argv, out, err)
        out.flush()  # a full disk shows here, when the buffered report is written
        return code
    except StdoutError as e:
        err.write(f"explore: error: cannot write to standard output: {escape(str(e))}\n")
        _drop_stdout(raw)
        return EXIT_USAGE
    except UsageError as e:
        err.write(f"explore: error: {escape(str(e))}\n(run `explore --help` for usage)\n")
        return EXIT_USAGE
    except OutputError as e:  # an output path that cannot be written safely
        err.write(f"explore: error: {escape(str(e))}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("explore: interrupted (Ctrl-C) before an answer\n")
        return 3
    except MemoryError:  # the backstop, outside any check (a report, a listing)
        err.write("explore: stopped at the memory limit (--max-memory) before an answer\n")
        return 3
    except BrokenPipeError:
        # the reader went away (`explore ... | head`): stop quietly, as a shell tool does
        _drop_stdout(raw)
        return 141  # 128 + SIGPIPE, what a shell reports for a killed writer
    except RecursionError:
        err.write("explore: error[E0003]: the spec is nested too deeply to analyse\n")
        return EXIT_SPEC
    except Exception as e:  # a bug of ours: one line, never a traceback
        err.write(f"explore: internal error: {type(e).__name__}: {escape(str(e))}\n"
                  "This is a bug in mnt-explorer; please report it with the spec.\n")
        return EXIT_INTERNAL


def _drop_stdout(raw: TextIO | None) -> None:
    """After a failed write: swap the process's own stdout, when it is the one written to,
    so that the interpreter's flush at exit does not fail again."""
    if raw is not None and raw is sys.stdout:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter closes it
        except OSError:
            pass


def main_entry() -> None:
    sys.exit(main())


def _main(argv: list[str] | None, out: TextIO, err: TextIO) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["render"]:
        return _render_main(argv[1:], out, err)
    parser = build_parser()
    if argv is not None and any(a in ("-h", "--help") for a in argv):
        out.write(parser.format_help())
        return 0
    args = parser.parse_args(argv)
    from explorer.budget import memory_backstop
    from explorer.lang.load import parse_override

    extra: dict[str, Any] = {}
    for item in args.set:
        try:
            name, value = parse_override(item)
        except ValueError as e:
            raise UsageError(str(e)) from None
        extra[name] = value
    from explorer.session import spec_paths
    paths = spec_paths(args.spec)
    args.long_not_run = {}  # spec -> the long checks --skip-long left out (_run_spec)
    gate = len(paths) > 1 or any(Path(p).is_dir() for p in args.spec)
    limits = _limits(args)
    with memory_backstop(limits.max_memory):
        return _explore(paths, gate, args, limits, extra, out, err)


def _explore(paths: list[str], gate: bool, args: argparse.Namespace, limits: Any,
             extra: dict[str, Any], out: TextIO, err: TextIO) -> int:
    """Run the checks of every spec; Ctrl-C stops the whole run: the specs after the one
    it interrupted are listed as not run."""
    if args.format == "itf" or not gate:
        codes = []
        for n, path in enumerate(paths):
            code, _, stopped = _run_spec(path, args, limits, extra, out, err, gate)
            codes.append(code)
            if stopped:
                _specs_not_run(paths[n + 1:], out if args.format == "text" else err)
                break
        return next((c for c in codes if c), 0)
    # several specs: one line per check (a failing check also gets its report), then totals
    from explorer.reports.json_report import FORMAT
    results = []
    not_run: list[str] = []
    for n, path in enumerate(paths):
        code, verdicts, stopped = _run_spec(path, args, limits, extra, out, err, gate)
        results.append((path, code, verdicts))
        if stopped:
            not_run = paths[n + 1:]
            break
    if args.check is not None and not any(v for _, _, v in results) and \
            not any(c for _, c, _ in results):
        raise UsageError(f"no check named `{args.check}` in any of the {len(paths)} specs")
    code = next((c for _, c, _ in results if c), 0)
    if args.format == "json":
        report: dict[str, Any] = {"format": FORMAT, "exit_code": code,
                                  "specs": [{"spec": p, "exit_code": c, "checks": v}
                                            for p, c, v in results]}
        if not_run:
            report["specs_not_run"] = not_run
        for s in report["specs"]:
            if args.long_not_run.get(s["spec"]):
                s["long_not_run"] = args.long_not_run[s["spec"]]
        out.write(json_text(report, indent=2) + "\n")
    else:
        _specs_not_run(not_run, out)
        checks = sum(len(v) for _, _, v in results)
        passed = sum(sum(x.ok for x in v) for _, _, v in results)
        skipped = sum(len(v) for v in args.long_not_run.values())
        out.write(f"{len(results)} spec{'s' * (len(results) != 1)}, {checks} checks, {passed} "
                  f"as expected, {checks - passed} not{_long_not_run(skipped)} (exit {code})\n")
    return code


def _long_not_run(n: int) -> str:
    return f", {n} long not run (--skip-long)" if n else ""


def _specs_not_run(paths: list[str], out: TextIO) -> None:
    if paths:
        out.write(f"interrupted: {_count(len(paths), 'spec')} not run: {', '.join(paths)}\n")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def _render_main(argv: list[str], out: TextIO, err: TextIO) -> int:
    """`explore render SPEC... --out DIR`: every counterexample of every check, as files."""
    p = _Parser(prog="explore render",
                description="Run every check that expects a counterexample (violation, "
                "deadlock, assertion, error, cti) and write DIR/<spec>/<check>.txt, .json, "
                ".itf.json and .dot, plus .svg and .png when Graphviz's dot is installed. "
                "Each DIR/<spec>/ keeps a manifest (.explore-manifest) of what was written: "
                "a file it lists that is no longer written is deleted, and no other. A "
                "symbolic link at DIR or under it is refused (exit 2).")
    p.add_argument("spec", nargs="+", metavar="SPEC", help="a .mnt file or a directory")
    p.add_argument("--out", metavar="DIR", default="counterexamples",
                   help="where to write (default: counterexamples)")
    p.add_argument("--no-views", action="store_true", help="write no SVG or PNG")
    _add_limits(p)
    if any(a in ("-h", "--help") for a in argv):
        out.write(p.format_help())
        return 0
    args = p.parse_args(argv)
    from explorer import budget as B
    limits = _limits(args)
    with B.memory_backstop(limits.max_memory):
        return _render(args, limits, out, err)


def _render(args: argparse.Namespace, limits: Any, out: TextIO, err: TextIO) -> int:
    from explorer import budget as B
    from explorer import session as S
    from explorer.engine import Options
    from explorer.reports.diagram import DotFailed, DotMissing
    from explorer.reports.diagram import views as diagram_views
    from explorer.reports.filmstrip import counterexample_dot
    from explorer.reports.itf import trace_itf
    from explorer.reports.json_report import FORMAT, verdict_json
    from explorer.reports.text import format_verdict
    from explorer.reports.verdict import describe_outcome
    from explorer.results import OutcomeKind

    paths = S.spec_paths(args.spec)
    stems = [Path(x).stem for x in paths]
    if len(set(stems)) < len(stems):
        raise UsageError("two specs share a file name; their directories under --out would "
                         "clash")
    code, drawn, views = 0, 0, not args.no_views
    stopped = False
    with open_folder(args.out) as root:
        for path in paths:
            spec = S.load(path, err, limits)
            if spec is None or isinstance(spec, S.LoadStopped):
                code = code or (EXIT_SPEC if spec is None else 3)
                continue
            session = S.Session(spec, Options(limits), err=err)
            stem = Path(path).stem
            # the spec's folder is opened (made) at its first counterexample, or, when it has
            # none and the folder exists, to delete what an earlier render wrote there
            folder: ManagedFolder | None = None
            cut = False  # a check stopped at a limit or failed: its old files are not stale
            for check in S.with_counterexamples(spec):
                try:
                    ran = session.run(check)
                except SpecError as e:  # a const that fails to evaluate, what z3 cannot encode
                    S.write_diagnostics(e, path, spec.source, err)
                    code, cut = code or EXIT_SPEC, True
                    continue
                model, result, v, b = ran.model, ran.result, ran.verdict, ran.budget
                code = code or (0 if v.ok else v.exit_code)
                if result.outcome.kind is OutcomeKind.INCOMPLETE:
                    cut = True
                    err.write(f"explore render: {escape_path(path)}: check {check.name}: stopped "
                              f"at the {escape(result.outcome.reason or '')}: nothing drawn\n")
                    if result.interrupted:
                        stopped = True
                        break
                if result.trace is None:
                    continue
                steps = len(result.trace)
                what = describe_outcome(result.outcome, steps)
                try:
                    with B.activate(b), b.during(B.PHASE_RENDER):
                        dot = counterexample_dot(model, result,
                                                f"{path}: check {check.name}: {what}")
                except SpecError as e:  # a `render` domain that fails to evaluate
                    S.write_diagnostics(e, path, spec.source, err)
                    code, cut = code or EXIT_SPEC, True
                    continue
                except (B.LimitReached, MemoryError) as e:
                    reason = e.reason if isinstance(e, B.LimitReached) else b.memory_reason(e)
                    err.write(f"explore render: {escape_path(path)}: check {check.name}: stopped "
                              f"at the {escape(reason)}: nothing drawn\n")
                    code, cut = code or 3, True
                    continue
                if folder is None:
                    folder = ManagedFolder(root.sub(stem), RENDERED)
                files = {
                    ".txt": format_verdict(v, model, path, spec.source, timings=False) + "\n",
                    ".json": json_text({"format": FORMAT, "spec": path, "exit_code": v.exit_code,
                                        "checks": [verdict_json(v, timings=False)]}, indent=2)
                    + "\n",
                    ".itf.json": json_text(trace_itf(model, result.trace, path,
                                                     f"check {check.name}: {what}"), indent=1)
                    + "\n",
                    ".dot": dot}
                for ext, text in files.items():
                    folder.write(check.name + ext, text)
                if views:
                    try:
                        for fmt, data in diagram_views(dot):
                            folder.write(f"{check.name}.{fmt}", data)
                    except DotMissing as e:
                        err.write(f"explore render: {escape(str(e))}\n")
                        views = False
                    except DotFailed as e:  # this drawing only: the next may lay out
                        err.write(f"explore render: {escape_path(path)}: check {check.name}: "
                                  f"{escape(str(e))}\n")
                drawn += 1
                out.write(f"{'wrote' if v.ok else 'wrote (NOT as expected)'} "
                          f"{escape(str(Path(args.out) / stem / check.name))}.*\n")
            if stopped or cut:
                # the files of the checks not run, or cut short, are not stale: delete
                # nothing (what was written is in the manifest already)
                if folder is not None:
                    folder.folder.close()
                if stopped:
                    break
                continue
            if folder is None and root.exists(stem):
                folder = ManagedFolder(root.sub(stem, create=False), RENDERED)
            if folder is not None:
                with folder.folder:
                    foreign = folder.finish()
                if foreign:
                    err.write(f"explore render: {escape(folder.folder.path)}/: left {foreign} "
                              f"entr{'ies' if foreign != 1 else 'y'} it did not write\n")
    if stopped:
        out.write("interrupted: the checks after it were not run\n")
    out.write(f"{drawn} counterexample{'s' * (drawn != 1)} of {len(paths)} spec"
              f"{'s' * (len(paths) != 1)} in {escape(str(Path(args.out)))}/ (exit {code})\n")
    return code


def _run_spec(path: str, args: argparse.Namespace, limits: Any, extra: dict[str, Any],
              out: TextIO, err: TextIO, gate: bool) -> tuple[int, list[Any], bool]:
    """Run the checks of one spec. Returns the exit code, in a gate run the verdicts (as
    JSON objects with --format json), and whether Ctrl-C stopped the run (the check it
    interrupted is incomplete, and the checks after it are reported as not run)."""
    # Imported only now, so that `explore --help` and usage errors stay fast.
    from explorer import session as S
    from explorer.engine import Options, available_cores
    from explorer.reports.itf import trace_itf
    from explorer.reports.json_report import FORMAT, verdict_json
    from explorer.reports.text import format_verdict
    from explorer.reports.verdict import describe_outcome
    from explorer.results import ReplayError

    spec = S.load(path, err, limits)
    if isinstance(spec, S.LoadStopped):
        return 3, [], False
    if spec is None:
        return EXIT_SPEC, [], False
    given, path = path, spec.path  # the file name as shown from here on
    S.validate_overrides(spec, extra, args.set)
    checks = S.select(spec, args.check, quiet_if_none=gate)
    if args.check is None and args.skip_long:  # listed as not run, never as passed
        long = [c for c in checks if c.long]
        checks = [c for c in checks if not c.long]
        args.long_not_run[given] = [c.name for c in long]
        if gate and args.format == "text":
            for c in long:
                out.write(f"SKIP {escape_path(spec.path)}:{c.span.line} {c.name}: long, not run "
                          "(run without --skip-long)\n")
    if args.dump_states and (gate or len(checks) != 1):
        raise UsageError("--dump-states draws one check's graph: name one spec and one "
                         "check (--check NAME)")
    if args.k is not None and args.k < 1:
        raise UsageError("--k must be at least 1")
    workers = args.workers if args.workers is not None else available_cores()
    options = Options(limits, args.depth, args.k, args.accept_bounded, workers,
                      symmetry=not args.no_symmetry)
    session = S.Session(spec, options,
                        args.engine, extra, args.dump_states, err)
    progress = None if args.quiet or args.format != "text" else err
    verdicts = []
    not_run: list[str] = []
    for n, check in enumerate(checks):
        if progress is not None:
            progress.write(f"checking {check.name} ...\n")
        try:
            ran = session.run(check, progress)
        except SpecError as e:
            for d in e.diagnostics:
                msg = render(d, path, spec.source)
                err.write(msg + "\n" if d.span.line else f"explore: --set: {escape(d.message)}\n")
            return (EXIT_SPEC if any(d.span.line for d in e.diagnostics) else EXIT_USAGE), [], False
        except ReplayError as e:
            err.write(f"explore: internal error in check {check.name}: the counterexample does "
                      f"not replay under the reference interpreter: {escape(str(e))}\n")
            return EXIT_INTERNAL, [], False
        model, result, v = ran.model, ran.result, ran.verdict
        if args.fail_on_unfired:
            v = _coverage_gate(v)
        verdicts.append(v)
        if args.annotations == "github" and not v.ok:
            out.write(_github_error(path, v) + "\n")
        if args.format == "text" and (not gate or not v.ok):
            out.write(format_verdict(v, model, path, spec.source, args.full) + "\n\n")
        if args.format == "text" and gate:
            steps = len(result.trace) if result.trace is not None else None
            summary = describe_outcome(result.outcome, steps)
            if missed := result.uncovered():  # what failed it: the covers it never reached
                summary += f", but never reached {', '.join(missed)}"
            out.write(f"{'PASS' if v.ok else 'FAIL'} {escape_path(path)}:{check.span.line} "
                      f"{check.name}: {escape(summary)}\n")
        elif args.format == "itf" and result.trace is not None:
            desc = f"check {check.name}: {describe_outcome(result.outcome, len(result.trace))}"
            out.write(json_text(trace_itf(model, result.trace, path, desc)) + "\n")
        out.flush()
        if result.interrupted:
            not_run = [c.name for c in checks[n + 1:]]
            break
    stopped = bool(verdicts) and verdicts[-1].result.interrupted
    code = next((v.exit_code for v in verdicts if not v.ok), 0)
    if stopped and args.format != "json":
        (out if args.format == "text" else err).write(
            f"interrupted: {_count(len(not_run), 'check')} not run: {', '.join(not_run)}\n"
            if not_run else "interrupted: no other check to run\n")
    long = args.long_not_run.get(given, [])
    if args.format == "json" and not gate:
        report: dict[str, Any] = {"format": FORMAT, "spec": path, "exit_code": code,
                                  "checks": [verdict_json(v) for v in verdicts]}
        if stopped:
            report["not_run"] = not_run
        if long:
            report["long_not_run"] = long
        out.write(json_text(report, indent=2) + "\n")
    elif args.format == "text" and not gate:
        passed = sum(v.ok for v in verdicts)
        if long:
            out.write(f"not run (long; run without --skip-long): {', '.join(long)}\n")
        out.write(f"{escape_path(path)}: {len(verdicts)} check{'s' * (len(verdicts) != 1)}, "
                  f"{passed} as expected, {len(verdicts) - passed} not"
                  f"{_long_not_run(len(long))} (exit {code})\n")
    if args.format == "json" and gate:
        return code, [verdict_json(v) for v in verdicts], stopped
    return code, verdicts, stopped


def _coverage_gate(v: Any) -> Any:
    """--fail-on-unfired: a check that explored every reachable state, and in which some
    action never fired, fails (a guard that is never true is the usual cause)."""
    from explorer.reports.verdict import never_fired
    unfired = never_fired(v.result)
    if not v.ok or not unfired:
        return v
    return replace(v, ok=False, exit_code=EXIT_UNFIRED,
                   why=f"never fired: {', '.join(unfired)} (--fail-on-unfired)")


def _github_error(path: str, v: Any) -> str:
    """A GitHub Actions workflow command that annotates the check's line. Its text is
    escaped twice: `textsafe.escape` first (no control character, no `##[`), then the
    runner's own %-escapes (ActionCommand.cs: `%`, CR and LF in the message, and `:` and
    `,` too in a property), so the annotation shows the escaped text and nothing in it
    can end the command or start another line."""
    def esc(s: str, prop: bool = False) -> str:
        s = escape(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return s.replace(":", "%3A").replace(",", "%2C") if prop else s
    return (f"::error file={esc(path, True)},line={v.check.span.line},"
            f"title={esc('check ' + v.check.name, True)}::{esc(v.why or 'not as expected')}")
