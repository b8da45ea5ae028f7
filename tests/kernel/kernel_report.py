"""What the kernel conformance scripts share: running a scenario in a forked child that
reports through a pipe, and the header of a results file."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO


def in_child(body: Callable[[TextIO], int]) -> tuple[str, int]:
    """Fork; the child runs `body` with the write end of a pipe and exits with its return
    value; the parent gets what the child wrote and its wait status. A scenario that breaks
    its mount namespace or leaks a descriptor then takes nothing with it."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        with os.fdopen(wfd, "w") as out:
            rc = body(out)
        os._exit(rc)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    return data, status


def header(title: str, run_as: str, model: str, dated: bool = True) -> list[str]:
    """The first lines of a results file: what ran, on which kernel, when and how."""
    lines = [f"# {title}\n", f"Kernel: `{platform.release()}` (`{' '.join(os.uname())}`)  "]
    if dated:
        lines.append(f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}  ")
    return lines + [f"Run as: `{run_as}`  ", f"Model: {model}\n"]


def publish(text: str, argv: list[str]) -> None:
    """Print the results, and write them to the file named by the first argument if any."""
    sys.stdout.write(text)
    if len(argv) > 1:
        with open(argv[1], "w") as f:
            f.write(text)
