#!/usr/bin/env python3
r"""umount2(path, 0) after a file on the mount is released, on the running kernel.

What it is for: this is the conformance evidence behind specs/deferred_release.mnt and
kernel-semantics 4.2 [O]. The model takes as given that a user task's release of a file it
dropped (its __fput, the mntput in it) is complete before the task is back in user mode
(I-T3-1), so that umount2 right after one's own close, or after waitpid() on a child that held
the file, never fails with EBUSY; that the busy test of do_umount counts every reference still
held; and, for its schedule 2, that a umount2 running while another process is inside its
close can see the file's reference and fail with EBUSY. Each scenario below checks one of
these on a fresh tmpfs mount M:

- 1a, own close: open a file on M, close(2) it, umount2(M, 0) at once. Never EBUSY (200 tries).
- 1b, own drop through task_work: open a file on M, drop it with dup2(/dev/null, fd) (the
  replaced file goes through fput and task_work, not close(2)'s synchronous __fput), then
  umount2(M, 0). Never EBUSY (200 tries).
- 2, child exit: a forked child opens a file on M and _exit()s without closing it; the parent
  waitpid()s, then umount2(M, 0). Never EBUSY (50 tries).
- 3a, 3b, 3c, the busy test counts references: umount2(M, 0) while a plain fd (3a), an O_PATH
  fd whose plain sibling was closed (3b), or a plain fd held by another live process (3c) is
  still open fails with EBUSY; once it is closed (in 3c: the other process's close(2) has
  returned, which it reports through a pipe) umount2 succeeds (20 tries each).
- 4a, 4b, the race of schedule 2 (measured, not asserted): a closer process P, pinned to the
  other CPU, has a file open on M; P drops it (4a: close(2); 4b: dup2 over it, so the release
  runs as P's task_work) while this process calls umount2(M, 0). The two start at a common
  CLOCK_MONOTONIC instant agreed through shared memory, with P's start offset from ours swept
  over OFFSETS_NS; each try is classified by the timestamps taken around the two calls.
- 4c, the window made wide (measured): as 4b, but P's file carries LOCKS open file
  description locks, whose removal in __fput (locks_remove_file) takes a while; this process
  polls /proc/P/fd/<fd> until it no longer names the file, then calls umount2(M, 0). An EBUSY
  here is schedule 2 as the model has it: the file has left P's descriptor table, its release
  is still running in P's task_work, and umount2 sees its reference.

How to run it: as root, from the repository root, exactly

    OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private \
        python3 tests/kernel/deferred_release_kernel.py tests/kernel/deferred_release_6.18.md

(one shell command; the backslash only continues the line). The markdown goes to stdout and,
if an argument is given, to that file, which it overwrites. The exit status is 1 if an
asserted scenario (1, 2, 3) went otherwise or a scenario could not run, else 0. The counts of
4a to 4c are measurements: they vary from run to run. The whole run takes about half a minute;
each race scenario stops at RACE_SECONDS even if it has not made all its tries.

Safety: it only mounts and unmounts inside private mount namespaces it creates. It refuses to
run unless it is root and its own mount namespace differs from OUTER_MNTNS, the namespace of
the shell that called unshare (passed in because /proc/1/ns/mnt is not readable on this VM),
so it never runs in the initial namespace. Each scenario runs in a forked child that unshares
a further mount namespace, makes it rprivate, mounts a tmpfs on BASE (a new empty directory
made by mkdtemp under /tmp) and mounts and unmounts its tmpfs M under it; the child's helper
processes (the closer P, the children of 2 and 3c) are its own, share its namespace, and are
waited for before it exits. The namespace, and so every mount, goes away when the child
exits. The only change visible outside is BASE itself, which is removed at the end.

It needs root and changes mounts, so it is not a pytest test: its name does not match
test_*.py and pytest does not collect it. Keep it that way.
"""

import ctypes
import errno
import fcntl
import json
import mmap
import os
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from kernel_report import header, in_child, publish

SCRIPT = "tests/kernel/deferred_release_kernel.py"
RUN_AS = ("OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private "
          f"python3 {SCRIPT} tests/kernel/deferred_release_6.18.md")
N_OWN = 200           # 1a, 1b
N_CHILD = 50          # 2
N_BUSY = 20           # 3a, 3b, 3c
N_RACE = 10_000       # 4a, 4b
N_WIDE = 200          # 4c
RACE_SECONDS = 15.0   # a bound on each of 4a, 4b, 4c
OFFSETS_NS = range(-3000, 4001, 50)  # P's start minus ours, swept in 4a and 4b
LEAD_NS = 50_000      # the common start is this far ahead of the moment it is published
LOCKS = 1000          # 4c: OFD locks on P's file
HIST_NS = (-3000, 5000, 250)  # 4a, 4b: the histogram of (P's call began − umount2 began)
SPIN_SECONDS = 5.0    # a bound on every wait for the other process

MS_REC, MS_PRIVATE = 0x4000, 1 << 18
MNT_DETACH = 2
CLONE_NEWNS = 0x00020000
F_OFD_SETLK = 37
U_CPU, P_CPU = 0, 1

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.unshare.argtypes = [ctypes.c_int]

now = time.monotonic_ns


class Fail(Exception):
    """A setup step failed: the scenario could not run."""


def ename(e: int) -> str:
    return errno.errorcode.get(e, str(e)) if e else "0"


def umount(path: bytes, flags: int = 0) -> int:
    """umount2(path, flags): 0, or the errno."""
    return 0 if libc.umount2(path, flags) == 0 else ctypes.get_errno()


def pin(cpu: int) -> bool:
    if (os.cpu_count() or 1) < 2:
        return False
    os.sched_setaffinity(0, {cpu})
    return True


class Mnt:
    """The tmpfs M on BASE/m, mounted afresh for each try."""

    def __init__(self, base: str) -> None:
        self.dir = os.path.join(base, "m")
        os.makedirs(self.dir, exist_ok=True)
        self.path = self.dir.encode()
        self.file = os.path.join(self.dir, "f")
        self.mounted = False
        self.cleanup: list[str] = []  # anything that needed more than one umount2

    def mount(self) -> None:
        if libc.mount(b"tmpfs", self.path, b"tmpfs", 0, b"size=64k") != 0:
            raise Fail(f"mount tmpfs {self.dir}: {ename(ctypes.get_errno())}")
        self.mounted = True

    def umount(self) -> int:
        """The counted umount2(M, 0)."""
        e = umount(self.path)
        if e == 0:
            self.mounted = False
        return e

    def release(self, why: str, quiet: bool = False) -> None:
        """After a failed counted umount2: unmount M anyway (retry, then MNT_DETACH). quiet:
        a retry that succeeds is expected, do not note it."""
        for _ in range(100):
            if umount(self.path) == 0:
                self.mounted = False
                if not quiet:
                    self.cleanup.append(f"{why}: a later umount2(M, 0) succeeded")
                return
            time.sleep(0.001)
        e = umount(self.path, MNT_DETACH)
        if e:
            raise Fail(f"umount2(M, MNT_DETACH) after {why}: {ename(e)}")
        self.mounted = False
        self.cleanup.append(f"{why}: still busy after 100 tries, detached")

    def create(self) -> None:
        os.close(os.open(self.file, os.O_RDWR | os.O_CREAT, 0o600))


class Tally:
    """The counted umount2 calls of one scenario."""

    def __init__(self) -> None:
        self.tries = 0
        self.ebusy = 0
        self.ok = 0
        self.other: list[str] = []
        self.details: list[str] = []
        self.classes: dict[str, list[int]] = {}  # 4: timing class -> [tries, EBUSY]

    def add(self, e: int) -> None:
        if e == 0:
            self.ok += 1
        elif e == errno.EBUSY:
            self.ebusy += 1
        else:
            self.other.append(ename(e))


# ---------------------------------------------------------------- 1, 2: never EBUSY
def scen_1a(m: Mnt, t: Tally) -> None:
    for i in range(N_OWN):
        m.mount()
        fd = os.open(m.file, os.O_RDWR | os.O_CREAT, 0o600)
        os.write(fd, b"x")
        os.close(fd)
        e = m.umount()
        t.tries += 1
        t.add(e)
        if e:
            m.release(f"try {i}: {ename(e)}")


def scen_1b(m: Mnt, t: Tally) -> None:
    null = os.open("/dev/null", os.O_RDONLY)
    for i in range(N_OWN):
        m.mount()
        fd = os.open(m.file, os.O_RDWR | os.O_CREAT, 0o600)
        os.write(fd, b"x")
        os.dup2(null, fd)  # do_dup2 -> filp_close -> fput: the release is this task's task_work
        e = m.umount()
        os.close(fd)
        t.tries += 1
        t.add(e)
        if e:
            m.release(f"try {i}: {ename(e)}")
    os.close(null)


def scen_2(m: Mnt, t: Tally) -> None:
    for i in range(N_CHILD):
        m.mount()
        pid = os.fork()
        if pid == 0:
            try:
                fd = os.open(m.file, os.O_RDWR | os.O_CREAT, 0o600)
                os.write(fd, b"x")
            except BaseException:
                os._exit(1)
            os._exit(0)  # exits with fd open: exit_files -> fput -> task_work -> exit_task_work
        _, status = os.waitpid(pid, 0)
        if status != 0:
            raise Fail(f"try {i}: the child could not open its file (status {status})")
        e = m.umount()
        t.tries += 1
        t.add(e)
        if e:
            m.release(f"try {i}: {ename(e)}")


# ---------------------------------------------------------------- 3: EBUSY while held
Drop = Callable[[], None]


def busy_then_free(m: Mnt, t: Tally, i: int, hold: Callable[[], tuple[Drop, Drop]]) -> None:
    """hold() takes the reference and returns (drop, finish): drop() drops it, finish() runs
    after the second umount2 (3c: only then may the other process exit)."""
    m.mount()
    drop, finish = hold()
    t.add(m.umount())
    if not m.mounted:
        t.details.append(f"try {i}: umount2 succeeded with the reference held")
        drop()
        finish()
        return
    drop()
    e = m.umount()
    finish()
    t.add(e)
    t.tries += 1
    if e:
        m.release(f"try {i}: after the drop {ename(e)}")


def nothing() -> None:
    pass


def scen_3a(m: Mnt, t: Tally) -> None:
    def hold() -> tuple[Drop, Drop]:
        fd = os.open(m.file, os.O_RDWR | os.O_CREAT, 0o600)
        return lambda: os.close(fd), nothing
    for i in range(N_BUSY):
        busy_then_free(m, t, i, hold)


def scen_3b(m: Mnt, t: Tally) -> None:
    def hold() -> tuple[Drop, Drop]:
        fd = os.open(m.file, os.O_RDWR | os.O_CREAT, 0o600)
        pfd = os.open(m.file, os.O_PATH)
        os.close(fd)
        return lambda: os.close(pfd), nothing
    for i in range(N_BUSY):
        busy_then_free(m, t, i, hold)


def scen_3c(m: Mnt, t: Tally) -> None:
    def hold() -> tuple[Drop, Drop]:
        to_c, from_p = os.pipe()
        to_p, from_c = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(from_p)
            os.close(to_p)
            try:
                fd = os.open(m.file, os.O_RDWR | os.O_CREAT, 0o600)
                os.write(from_c, b"o")   # opened
                os.read(to_c, 1)         # wait: close it
                os.close(fd)
                os.write(from_c, b"c")   # closed: close(2) has returned
                os.read(to_c, 1)         # wait: exit
            except BaseException:
                os._exit(1)
            os._exit(0)
        os.close(to_c)
        os.close(from_c)
        if os.read(to_p, 1) != b"o":
            raise Fail("the holder could not open its file")

        def drop() -> None:
            os.write(from_p, b"c")
            if os.read(to_p, 1) != b"c":
                raise Fail("the holder did not report its close")

        def finish() -> None:
            os.write(from_p, b"x")
            _, status = os.waitpid(pid, 0)
            os.close(from_p)
            os.close(to_p)
            if status != 0:
                raise Fail(f"the holder failed (status {status})")
        return drop, finish
    for i in range(N_BUSY):
        busy_then_free(m, t, i, hold)


# ---------------------------------------------------------------- 4: the race, measured
# Shared memory between this process U and the closer P: slots of 8 bytes.
REQ, OPENED, GO, T_GO, P_OFF, DONE, T0, T1, FD, ERR = range(10)


def spin(v: memoryview, slot: int, want: int) -> None:
    deadline = time.monotonic() + SPIN_SECONDS
    while v[slot] != want:
        if time.monotonic() > deadline:
            raise Fail(f"waited {SPIN_SECONDS} s for slot {slot} = {want} (it is {v[slot]})")


def set_ofd_locks(fd: int, n: int) -> None:
    """n write locks on the bytes 0, 2, 4, ...: owned by the open file, removed in __fput."""
    os.ftruncate(fd, 2 * n)
    for k in range(n):
        fcntl.fcntl(fd, F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 2 * k, 1, 0))


def closer(v: memoryview, m: Mnt, how: str, locks: int) -> None:
    """P: for each request, open M's file, wait for the common start, drop the file."""
    pin(P_CPU)
    null = os.open("/dev/null", os.O_RDONLY)
    last = 0
    while True:
        deadline = time.monotonic() + 60
        while v[REQ] == last:
            if time.monotonic() > deadline:
                return
        i = v[REQ]
        if i < 0:
            return
        last = i
        fd = os.open(m.file, os.O_RDWR | os.O_CREAT, 0o600)
        if locks:
            set_ofd_locks(fd, locks)
        v[FD] = fd
        v[OPENED] = i
        spin(v, GO, i)
        target = v[T_GO] + v[P_OFF]
        while now() < target:
            pass
        if how == "close":
            t0 = now()
            os.close(fd)
            t1 = now()
        else:
            t0 = now()
            os.dup2(null, fd)  # the release is P's task_work, run before dup2 returns to user mode
            t1 = now()
            os.close(fd)
        v[T0], v[T1] = t0, t1
        v[DONE] = i


def race(m: Mnt, t: Tally, how: str, wide: bool) -> None:
    mm = mmap.mmap(-1, 4096)
    v = memoryview(mm).cast("q")
    pinned = pin(U_CPU)
    pid = os.fork()
    if pid == 0:
        rc = 0
        try:
            closer(v, m, how, LOCKS if wide else 0)
        except BaseException as e:
            v[ERR] = 1
            sys.stderr.write(f"closer: {e!r}\n")
            rc = 1
        os._exit(rc)
    classes = {c: [0, 0] for c in CLASSES}  # [tries, EBUSY]
    lo, hi, step = HIST_NS
    hist: dict[int, list[int]] = {}  # bucket of (t0 - u0) -> [tries, EBUSY]; outside: lo - step, hi
    polls: list[int] = []
    p_ns: list[int] = []  # durations of P's call
    retried = 0
    end = time.monotonic() + RACE_SECONDS
    n = N_WIDE if wide else N_RACE
    try:
        for i in range(1, n + 1):
            if time.monotonic() > end:
                t.details.append(f"stopped at the time bound ({RACE_SECONDS} s) after {t.tries} tries")
                break
            m.mount()
            v[REQ] = i
            spin(v, OPENED, i)
            off = 0 if wide else OFFSETS_NS[i % len(OFFSETS_NS)]
            link = f"/proc/{pid}/fd/{v[FD]}"
            v[T_GO] = now() + LEAD_NS
            v[P_OFF] = max(off, 0)
            v[GO] = i
            start = v[T_GO] + max(-off, 0)
            while now() < start:
                pass
            if wide:
                k = 0
                while k < 1_000_000:
                    k += 1
                    try:
                        if os.readlink(link) != m.file:
                            break
                    except FileNotFoundError:
                        break
                polls.append(k)
            u0 = now()
            e = m.umount()
            u1 = now()
            spin(v, DONE, i)
            t0, t1 = v[T0], v[T1]
            t.tries += 1
            t.add(e)
            p_ns.append(t1 - t0)
            c = ("before" if u1 < t0 else "u_first" if u0 < t0 else "p_first" if u0 <= t1
                 else "after")
            busy = e == errno.EBUSY
            classes[c][0] += 1
            classes[c][1] += busy
            d = t0 - u0
            h = hist.setdefault(lo - step if d < lo else hi if d >= hi else (d - lo) // step * step + lo,
                                [0, 0])
            h[0] += 1
            h[1] += busy
            if e:
                retried += 1
                m.release(f"try {i}: {ename(e)} ({c})", quiet=busy)
    finally:
        v[REQ] = -1
        _, status = os.waitpid(pid, 0)
    if status != 0 or v[ERR]:
        raise Fail(f"the closer failed (status {status})")
    t.details.append(f"pinned: U on CPU {U_CPU}, P on CPU {P_CPU}" if pinned else "pinned: no (one CPU)")
    t.classes = classes
    p_ns.sort()
    if p_ns:
        t.details.append(f"P's {'close(2)' if how == 'close' else 'dup2'} took {us(p_ns[len(p_ns) // 2])} "
                         f"(median), {us(p_ns[len(p_ns) // 10])} to {us(p_ns[len(p_ns) * 9 // 10])} "
                         "(10th to 90th percentile)")
    t.details.append(f"M unmounted by a later umount2(M, 0) after {retried} EBUSY (outside the counts)")
    if wide:
        polls.sort()
        t.details.append(f"readlink polls until P's fd no longer named the file: median "
                         f"{polls[len(polls) // 2]}, max {polls[-1]}" if polls else "no polls")
    else:
        def bucket(k: int) -> str:
            if k < lo:
                return f"< {us(lo)}"
            if k >= hi:
                return f"≥ {us(hi)}"
            return f"[{us(k)}, {us(k + step)})"
        t.details.append("(P's call began − umount2 began): tries, EBUSY: "
                         + "; ".join(f"{bucket(k)}: {n}, {b}" for k, (n, b) in sorted(hist.items())))
    v.release()
    mm.close()


def us(ns: int) -> str:
    return f"{ns / 1000:+.2f} µs" if ns < 0 else f"{ns / 1000:.2f} µs"


CLASSES = {
    "before": "umount2 returned before P's call began",
    "u_first": "umount2 began first, P's call began before it returned",
    "p_first": "P's call began first, umount2 began before it returned",
    "after": "umount2 began after P's call returned",
}


def scen_4a(m: Mnt, t: Tally) -> None:
    race(m, t, "close", False)


def scen_4b(m: Mnt, t: Tally) -> None:
    race(m, t, "dup2", False)


def scen_4c(m: Mnt, t: Tally) -> None:
    race(m, t, "dup2", True)


# key, title, expected EBUSY (None: measured), what the spec assumes, function
SCENARIOS: list[tuple[str, str, str | None, str, Callable[[Mnt, Tally], None]]] = [
    ("1a", "own close(2), then umount2", "none",
     "I-T3-1 and check own_close: a task's own close has released the file, its mntput "
     "included, before close() returns, so its umount2 does not see the reference.", scen_1a),
    ("1b", "own dup2 over the fd (release via task_work), then umount2", "none",
     "I-T3-1 for the task_work path: the ____fput queued by the task's own fput runs when it "
     "returns to user mode, before its next system call.", scen_1b),
    ("2", "child opens a file and exits; waitpid; umount2", "none",
     "A child that exits with the file open releases it in exit_task_work, before the parent's "
     "waitpid() returns; the model's EXITED kind (task_work_add fails) is the rare exception.",
     scen_2),
    ("3a", "plain fd still open: umount2, close, umount2", "every first",
     "do_umount's busy test (propagate_mount_busy) counts each reference: one open file makes "
     "umount2(path, 0) fail with EBUSY (the model's cnt beyond the owner's and U's path).",
     scen_3a),
    ("3b", "O_PATH fd still open (its plain sibling closed): umount2, close, umount2",
     "every first",
     "An O_PATH file holds its path, and so a reference to the mount, like any other file.",
     scen_3b),
    ("3c", "fd held by another live process: umount2, its close, umount2", "every first",
     "Another live task's open file counts as long as it is open (kernel-semantics 4.3, item "
     "4: a legitimate reference); once that task's close(2) has returned, nothing of it is "
     "left, so a umount2 that learns of the close only afterwards succeeds.", scen_3c),
    ("4a", "race: P's close(2) against our umount2", None,
     "Schedule 2 needs a umount2 that runs while another task's close is still releasing the "
     "file; on this kernel close(2) itself runs __fput synchronously, so the window is the "
     "syscall's own duration.", scen_4a),
    ("4b", "race: P's dup2 over the fd (release via P's task_work) against our umount2", None,
     "Schedule 2 as modelled: the release is queued as P's task_work and runs only when P "
     "returns to user mode; a umount2 meanwhile sees the reference.", scen_4b),
    ("4c", f"as 4b with {LOCKS} OFD locks on the file; umount2 once the fd no longer names it",
     None,
     "Schedule 2 made observable: the file is gone from P's descriptor table, but its release "
     "is still running in P's task_work, so umount2 fails with EBUSY.", scen_4c),
]


def fresh_setup(base: str) -> Mnt:
    """Own mount namespace (rprivate), a tmpfs on base, the directory for M."""
    if libc.unshare(CLONE_NEWNS) != 0:
        raise Fail("unshare(CLONE_NEWNS): " + ename(ctypes.get_errno()))
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise Fail("make-rprivate /: " + ename(ctypes.get_errno()))
    if libc.mount(b"tmpfs", base.encode(), b"tmpfs", 0, b"size=1m") != 0:
        raise Fail("mount tmpfs on base: " + ename(ctypes.get_errno()))
    os.chdir("/")
    return Mnt(base)


def run_child(base: str, fn: Callable[[Mnt, Tally], None], out: Any) -> int:
    t = Tally()
    rc = 0
    error = None
    try:
        m = fresh_setup(base)
        try:
            fn(m, t)
        finally:
            if m.mounted:
                m.release("end of scenario")
            t.details.extend(m.cleanup)
    except BaseException as e:  # report everything to the parent, which records it
        error = repr(e)
        rc = 1
    out.write(json.dumps({"tries": t.tries, "ebusy": t.ebusy, "ok": t.ok, "other": t.other,
                          "details": t.details, "classes": t.classes, "error": error}))
    out.flush()
    return rc


def verdict(key: str, expect: str | None, r: dict[str, Any]) -> str:
    if r["error"] or r["other"]:
        return "**NO**"
    if expect is None:
        return "measured"
    n = N_OWN if key in ("1a", "1b") else N_CHILD if key == "2" else N_BUSY
    if expect == "none":
        good = r["tries"] == n and r["ebusy"] == 0 and r["ok"] == n
    else:
        good = r["tries"] == n and r["ebusy"] == n and r["ok"] == n
    return "yes" if good else "**NO**"


def main() -> list[dict[str, Any]]:
    # /proc/1/ns/mnt is not readable on this VM, so the caller passes the outer namespace:
    # OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private python3 ...
    outer = os.environ.get("OUTER_MNTNS")
    mine = os.readlink("/proc/self/ns/mnt")
    if not outer or outer == mine:
        raise SystemExit(f"REFUSING: OUTER_MNTNS={outer!r} own={mine!r}; run as: {RUN_AS}")
    if os.geteuid() != 0:
        raise SystemExit("REFUSING: needs root (it mounts tmpfs in private namespaces)")
    base = tempfile.mkdtemp(prefix="mnt-explorer-deferred-")
    runs = []
    try:
        for key, title, expect, assumes, fn in SCENARIOS:
            started = time.monotonic()
            data, status = in_child(lambda out, fn=fn: run_child(base, fn, out))
            try:
                res = json.loads(data)
            except ValueError:
                res = {"tries": 0, "ebusy": 0, "ok": 0, "other": [], "details": [], "classes": {},
                       "error": f"no output: {data!r}"}
            if status != 0 and not res["error"]:
                res["error"] = f"child exit status {status}"
            res["seconds"] = time.monotonic() - started
            runs.append({"key": key, "title": title, "expect": expect, "assumes": assumes, **res,
                         "match": verdict(key, expect, res)})
    finally:
        os.rmdir(base)
    return runs


def expected(key: str, expect: str | None) -> str:
    if expect is None:
        return "measured"
    if expect == "none":
        return "0 EBUSY, every umount2 succeeds"
    return "EBUSY with it held, then success, every try"


def render(runs: list[dict[str, Any]]) -> str:
    lines = header("umount2 after a file on the mount is released", RUN_AS,
                   "`specs/deferred_release.mnt`; kernel-semantics 4.2 [O].")
    lines += ["| Scenario | tries | EBUSY | succeeded | expected | match |", "|---|---|---|---|---|---|"]
    for r in runs:
        ok = str(r["ok"]) + (f" (other errors: {', '.join(r['other'])})" if r["other"] else "")
        lines.append(f"| {r['key']}: {r['title']} | {r['tries']} | {r['ebusy']} | {ok} | "
                     f"{expected(r['key'], r['expect'])} | {r['match']} |")
    lines.append("\nIn 3a to 3c each try makes two counted umount2 calls, the first with the "
                 "reference held (EBUSY expected), the second after it was dropped (success "
                 "expected). In 4a to 4c a try is one umount2 call; after an EBUSY, M is unmounted "
                 "once the closer is done, outside the counts.\n")
    lines.append("## 4: the race, by timing\n")
    lines.append("Each cell: tries, of which EBUSY. The classes come from `CLOCK_MONOTONIC` "
                 "timestamps taken just before and just after P's call and our umount2.\n")
    lines.append("| Scenario | " + " | ".join(CLASSES.values()) + " |")
    lines.append("|---|" + "---|" * len(CLASSES))
    for r in runs:
        if r["classes"]:
            lines.append(f"| {r['key']} | " + " | ".join(
                f"{r['classes'][c][0]}, {r['classes'][c][1]} EBUSY" for c in CLASSES) + " |")
    lines.append("")
    lines.append("## What the spec assumes\n")
    for r in runs:
        lines.append(f"- {r['key']}: {r['assumes']}")
    lines.append("\n## Details\n")
    for r in runs:
        lines.append(f"- {r['key']}: {r['seconds']:.1f} s")
        if r["error"]:
            lines.append(f"- {r['key']}: could not run: {r['error']}")
        for d in r["details"]:
            lines.append(f"- {r['key']}: {d}")
    lines.append("")
    sweep = (f"{OFFSETS_NS[0] / 1000:+.1f}..{OFFSETS_NS[-1] / 1000:+.1f} µs "
             f"in steps of {OFFSETS_NS.step} ns")
    lines.append(NOTES.format(offsets=sweep, lead=LEAD_NS // 1000, locks=LOCKS))
    return "\n".join(lines)


NOTES = """\
## How to read this

- M is a fresh tmpfs for every try, mounted on a directory of BASE (a tmpfs in the scenario's
  own private mount namespace); "umount2" is always `umount2(M, 0)`.
- 4a and 4b: P has the file open; both processes wait for a common `CLOCK_MONOTONIC` instant
  ({lead} µs after it was published through shared memory) plus an offset, P's start minus
  ours swept over {offsets};
  then P calls close(2) (4a) or dup2(/dev/null, fd) (4b) while we call umount2. Each try is
  classed by the timestamps taken just before and after the two calls. Where umount2
  returned before P's call began, EBUSY is simply the open file; where it began after P's
  call had returned, the release is complete (I-T3-1 across processes). The two overlapping
  classes are where schedule 2 can happen, most plainly when P's call began first; but a
  timestamp is taken in user space, about a microsecond from the busy test in the kernel
  (ctypes and the path walk come first), so it cannot tell whether the busy test ran before
  the file left P's descriptor table or during its release.
- 4c tells them apart: P's file carries {locks} OFD locks, which `locks_remove_file` removes
  in `__fput`, so the release runs long. We poll `/proc/P/fd/<fd>` until it names
  `/dev/null`, that is until P's dup2 has replaced the file in its table, then call umount2.
  Each poll takes a reference to the file for a moment; if P's fput happens during one, the
  last reference is ours and the release runs in our own task_work, before the umount2.
- close(2) on this kernel does not queue task_work: since "fs: use __fput_sync in close(2)"
  (Linus Torvalds, August 2023; now `fput_close_sync`) the syscall runs `__fput` itself. The
  task_work path of the model's schedule 2 is still taken by every other last fput of a user
  task: dup2 or dup3 over an open fd, close_range, exit (scenario 2), munmap of a mapped file.
"""


if __name__ == "__main__":
    runs = main()
    md = render(runs)
    publish(md, sys.argv)
    failed = [r["key"] for r in runs if r["match"] == "**NO**"]
    if failed:
        sys.stderr.write("scenarios that went otherwise or could not run: " + ", ".join(failed) + "\n")
        sys.exit(1)
