"""The limits of a run and their enforcement in every phase of a check.

`Limits` holds what the user asked for (states, depth, seconds, memory). A `Budget` is one
check's (or one spec load's) share of them: its clock and deadline, its memory limit, and
the phase it is in ("computing the initial states", "encoding for z3", ...). Long loops
call `poll()` (the active budget's `check`), which raises `LimitReached` with a reason
that names the phase; a `MemoryError` from the hard backstop (`memory_backstop`, an
RLIMIT_DATA a little above the limit) becomes the same reason through `out_of_memory`.
The front ends turn either into the outcome `incomplete` (exit 3), never a verdict.

A leaf module: imports nothing from explorer, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

# the z3 engines' time limit per check when --max-seconds gives none: a proof that needs
# more is better run with an explicit limit than left to hang a CI job
Z3_DEFAULT_SECONDS = 300.0

PHASE_LOAD = "loading the spec"
PHASE_ELABORATE = "elaborating the check's configuration"
PHASE_COMPILE = "compiling the model"
PHASE_INIT = "computing the initial states"
PHASE_SEARCH = "searching"
PHASE_REPLAY = "replaying the trace"
PHASE_LIVENESS = "checking the properties"
PHASE_COVERS = "looking for the covers"
PHASE_ENCODE = "encoding for z3"
PHASE_SOLVE = "solving"
PHASE_REPORT = "writing the report"
PHASE_RENDER = "drawing the trace"
PHASE_DUMP = "building the state graph"


def during(phase: str) -> str:
    """` while PHASE`, for a reason; nothing for the search, where limits always applied
    (its reasons read as they always have: "state limit 5")."""
    return f" while {phase}" if phase and phase != PHASE_SEARCH else ""


@dataclass
class Limits:
    max_states: int | None = None
    max_depth: int | None = None
    max_seconds: float | None = None
    deadlock: bool = True
    max_memory: int | None = None  # bytes of resident memory; None: no limit


class LimitReached(Exception):
    """A limit was reached; `reason` reads after "stopped at the" ("memory limit 2 GiB
    while computing the initial states")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Budget:
    """One check's limits while it runs. `phase` names what it is doing; `check()` raises
    `LimitReached` past the deadline or above the memory limit."""

    def __init__(self, limits: Limits | None = None, seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.start = clock()
        self.seconds = self.limits.max_seconds if seconds is None else seconds
        self.deadline = None if self.seconds is None else self.start + self.seconds
        self.phase = ""
        self.interrupted = False  # Ctrl-C stopped this check: the run stops too
        # (id of the exception leaving a phase, the innermost phase it left): a
        # MemoryError or Ctrl-C is caught further out, where the phase is gone
        self._left: tuple[int, str] | None = None

    @contextlib.contextmanager
    def during(self, phase: str) -> Iterator[None]:
        saved, self.phase = self.phase, phase
        try:
            yield
        except BaseException as e:
            if self._left is None or self._left[0] not in (id(e), id(e.__context__)):
                self._left = (id(e), phase)  # the innermost phase (an id: no frames kept)
            raise
        finally:
            self.phase = saved

    def phase_of(self, e: BaseException | None) -> str:
        """The phase e (or the exception it was raised from) came from; else the current."""
        if e is not None and self._left is not None and \
                self._left[0] in (id(e), id(e.__context__)):
            return self._left[1]
        return self.phase

    def _while(self, e: BaseException | None = None) -> str:
        return during(self.phase_of(e))

    def time_reason(self) -> str:
        return f"time limit {self.seconds:g}s{self._while()}"

    def memory_reason(self, e: BaseException | None = None) -> str:
        """For the MemoryError e (the backstop's, or z3's made one), in its phase."""
        limit = self.limits.max_memory
        what = format_size(limit) if limit is not None else "of the machine"
        return f"memory limit {what}{self._while(e)}"

    def interrupt_reason(self, e: BaseException | None = None) -> str:
        return f"interrupt (Ctrl-C){self._while(e)}"

    def check(self) -> None:
        """Raise LimitReached when the deadline has passed or memory is above the limit."""
        if self.deadline is not None and self.clock() >= self.deadline:
            raise LimitReached(self.time_reason())
        limit = self.limits.max_memory
        if limit is not None and resident_bytes() > limit:
            raise LimitReached(self.memory_reason())

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()



_ACTIVE: ContextVar[Budget | None] = ContextVar("budget", default=None)


def active() -> Budget | None:
    return _ACTIVE.get()


@contextlib.contextmanager
def activate(b: Budget) -> Iterator[Budget]:
    """Make b the budget that `poll()` checks (for code that is not handed one)."""
    token = _ACTIVE.set(b)
    try:
        yield b
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Name the phase of the active budget (nothing when there is none)."""
    b = _ACTIVE.get()
    if b is None:
        yield
        return
    with b.during(name):
        yield


def poll() -> None:
    """Check the active budget's limits (a long loop calls this every few thousand
    rounds); nothing when no budget is active."""
    b = _ACTIVE.get()
    if b is not None:
        b.check()


POLL_EVERY = 4096  # rounds of a long loop between two polls
T = TypeVar("T")


def counted(it: Iterator[T], every: int = POLL_EVERY) -> Iterator[T]:
    """it, polling the active budget every `every` items (for iterations that may be long:
    a range of a million values in a quantifier, initial states)."""
    b = _ACTIVE.get()
    if b is None:
        yield from it
        return
    n = 0
    for x in it:
        n += 1
        if n % every == 0:
            b.check()
        yield x


# ---------------------------------------------------------------------------------------
# Memory


def resident_bytes() -> int:
    """The process's resident memory now (not its peak, so that a check after a large one
    starts afresh); 0 where the system does not say."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def machine_memory() -> int | None:
    """The memory this process may use: the machine's, or its cgroup's limit when lower;
    None when unknown."""
    total = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    total = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    for limit in _cgroup_limits():
        if total is None or limit < total:
            total = limit
    return total


def _cgroup_limits() -> Iterator[int]:
    """The memory limits of this process's cgroup (v2 and v1), where they are set."""
    paths = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
    try:
        with open("/proc/self/cgroup", encoding="ascii") as f:
            for line in f:
                parts = line.strip().split(":", 2)
                if len(parts) == 3 and parts[0] == "0":  # v2: the unified hierarchy
                    paths.insert(0, f"/sys/fs/cgroup{parts[2]}/memory.max")
    except OSError:
        pass
    for p in paths:
        try:
            with open(p, encoding="ascii") as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max" or a huge number: no limit
            yield int(text)


def default_memory_limit() -> int | None:
    """Half of what the machine (or the cgroup) gives: room for the rest of the system."""
    total = machine_memory()
    return None if total is None else total // 2


_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """`2G`, `500M`, `1.5GiB`, `64MB`, `1048576`: a number of bytes (units are powers of
    1024); ValueError when malformed or not positive."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if m is None:
        raise ValueError(f"expected a size such as 2G or 500M, got `{text}`")
    n = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not math.isfinite(n) or n < 1:
        raise ValueError(f"expected a positive size, got `{text}`")
    return int(n)


def format_size(n: int) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            x = n / size
            return f"{x:.0f} {unit}" if x >= 100 or x == int(x) else f"{x:.1f} {unit}"
    return f"{n} bytes"


@contextlib.contextmanager
def memory_backstop(limit: int | None) -> Iterator[None]:
    """A hard limit on the process's data (RLIMIT_DATA), a little above `limit`, for the
    allocations no poll sees in time (one huge set, a compile): they raise MemoryError
    instead of taking the machine. The previous limit comes back afterwards."""
    try:
        import resource
    except ImportError:  # not on this system: the polls alone
        yield
        return
    if limit is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    # the polls see resident memory; the data segment also counts what was reserved and
    # never touched, so the backstop sits above the limit the polls enforce
    want = limit + limit // 4 + (64 << 20)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft != resource.RLIM_INFINITY and soft <= want:
        yield  # already as tight
        return
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (want, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
