#!/usr/bin/env python3
r"""POSIX record locks across execve(2), on the running kernel.

What it is for: this is the conformance evidence behind specs/exec_files.mnt and
kernel-semantics 6.4 [O]. The model's V5_11 era says that a lock a process holds through an
fd that is not close-on-exec survives execve, with other threads killed by it and with a
/proc/<pid>/fd reader running meanwhile (I-T4-2, checks v5_11, v5_11_4), and that the new
program's table owns it, so its own close releases it; that a lock taken through a
close-on-exec fd is released by the exec (cloexec_releases, checks cloexec_v5_11_reached,
cloexec_pre); and that a close-on-exec fd on the same file as a plain fd takes the lock with
it while the plain fd stays open (literal_same_inode, v5_11_same_inode). Before 5.11 the
model loses the lock in A2, A3 (pre_threads) and possibly in A4, A5 (pre_reader, a race).

Each try forks a process C, which opens the scenario's files, starts its threads (they
sleep), takes a write lock on the whole file with F_SETLK, and reports; the harness checks
with F_GETLK that C holds it, starts the reader if the scenario has one, and tells C to go
on. C calls execve on a small Python helper, which reports which of the fds it was given are
still open (by inode). The harness then asks F_GETLK who holds each lock, tells the helper
to close the plain fd, asks again, and tells it to exit. Scenarios:

- A1: the lock through a plain fd, C single-threaded. Held after exec; the helper's close
  releases it.
- A2, A3: the same with 4 and 16 other threads in C, killed by the exec.
- A4: single-threaded, with a reader process listing /proc/C/fd and reading every
  /proc/C/fd/N link and /proc/C/fdinfo/N in a loop from before execve until after it.
- A5: 4 other threads and the reader.
- B1, B2: the lock through a close-on-exec fd (on its own file), 1 and 4 threads: released
  by the exec.
- C1: the lock through the plain fd, and a close-on-exec fd open on the same file:
  released by the exec, though the plain fd stays open.

How to run it, from the repository root:

    python3 tests/kernel/exec_locks_kernel.py tests/kernel/exec_locks_6.18.md

The markdown goes to stdout and, if an argument is given, to that file, which it overwrites.
The exit status is 1 if any try went otherwise than V5_11 predicts or could not run, else 0.

Safety: it needs no privilege and touches no mount. It makes one directory with mkdtemp
under /tmp, with two small files in it, and removes it at the end. Every process it signals
or waits for is one it forked itself (C, which becomes the helper at exec, and the reader).
It is not a pytest test: its name does not match test_*.py, so pytest does not collect it;
the test suite only checks the results file. Keep it that way.
"""

import fcntl
import os
import select
import signal
import struct
import sys
import tempfile
import threading
import time
from typing import Any

from kernel_report import header, publish

SCRIPT = "tests/kernel/exec_locks_kernel.py"
RUN_AS = f"python3 {SCRIPT} tests/kernel/exec_locks_6.18.md"
TRIES = 10
WAIT_SECONDS = 10.0   # a bound on every wait for C, the helper or the reader
FLOCK = "hhqqi4x"     # struct flock on x86_64: type, whence, start, len, pid, padding

# The program C executes: fds and inodes on the command line. It reports which fds are
# still open on the inode they had, then closes the plain fd when told to.
HELPER = r"""
import os, sys
plain, pino, cx, cino, w, r = map(int, sys.argv[1:7])
def on(fd, ino):
    try:
        return int(os.fstat(fd).st_ino == ino)
    except OSError:
        return 0
os.write(w, b"exec %d %d\n" % (on(plain, pino), on(cx, cino)))
os.read(r, 1)
os.close(plain)
os.write(w, b"closed\n")
os.read(r, 1)
"""

# key, title, threads besides C's main one, reader, lock through the close-on-exec fd,
# close-on-exec fd on the plain fd's file, model checks
SCENARIOS = [
    ("A1", "plain fd, single-threaded", 0, False, False, False, "pre_single, v5_11"),
    ("A2", "plain fd, 4 other threads", 4, False, False, False, "pre_threads, v5_11"),
    ("A3", "plain fd, 16 other threads", 16, False, False, False, "pre_threads, v5_11_4"),
    ("A4", "plain fd, single-threaded, /proc/C/fd reader", 0, True, False, False,
     "pre_reader, v5_11"),
    ("A5", "plain fd, 4 other threads, /proc/C/fd reader", 4, True, False, False,
     "pre_threads, pre_reader, v5_11"),
    ("B1", "close-on-exec fd, single-threaded", 0, False, True, False,
     "pre_single, cloexec_v5_11_reached"),
    ("B2", "close-on-exec fd, 4 other threads", 4, False, True, False,
     "cloexec_pre, cloexec_v5_11_reached"),
    ("C1", "plain fd locked, a close-on-exec fd on the same file", 0, False, False, True,
     "literal_same_inode, v5_11_same_inode"),
]


class Fail(Exception):
    """A step of a try went wrong: the try could not run."""


def holder(path: str) -> int:
    """The pid F_GETLK names for a write lock on the whole file, or 0 when it is free."""
    fd = os.open(path, os.O_RDWR)
    try:
        res = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(FLOCK, fcntl.F_WRLCK, os.SEEK_SET,
                                                         0, 0, 0))
    finally:
        os.close(fd)   # this process holds no lock, so the close releases nothing
    kind, _, _, _, pid = struct.unpack(FLOCK, res)
    return 0 if kind == fcntl.F_UNLCK else pid


def read_line(fd: int) -> str:
    """One line from the pipe fd, within WAIT_SECONDS."""
    data = b""
    deadline = time.monotonic() + WAIT_SECONDS
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise Fail(f"timed out waiting, got {data!r}")
        chunk = os.read(fd, 1)
        if not chunk:
            raise Fail(f"pipe closed, got {data!r}")
        data += chunk
    return data.decode().strip()


def child(files: dict[str, str], threads: int, lock_cx: bool, same: bool,
          to_parent: int, from_parent: int) -> None:
    """C: open, start threads, lock, report, wait for the go, execve the helper."""
    plain = os.open(files["a"], os.O_RDWR)
    os.set_inheritable(plain, True)    # Python opens with O_CLOEXEC unless told otherwise
    cx = os.open(files["a" if same else "b"], os.O_RDWR | os.O_CLOEXEC)
    for fd in (to_parent, from_parent):
        os.set_inheritable(fd, True)
    stop = threading.Event()
    for _ in range(threads):
        threading.Thread(target=stop.wait, daemon=True).start()
    fcntl.lockf(cx if lock_cx else plain, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open("/proc/self/status") as f:
        nthreads = next(ln.split()[1] for ln in f if ln.startswith("Threads:"))
    os.write(to_parent, f"locked {nthreads}\n".encode())
    os.read(from_parent, 1)
    args = [str(plain), str(os.fstat(plain).st_ino), str(cx), str(os.fstat(cx).st_ino),
            str(to_parent), str(from_parent)]
    os.execv(sys.executable, [sys.executable, "-c", HELPER, *args])


def reader(pid: int, to_parent: int, stop: int) -> None:
    """Look at C's fds through /proc until `stop` is readable; report the rounds made."""
    rounds = 0
    while not select.select([stop], [], [], 0)[0]:
        try:
            for name in os.listdir(f"/proc/{pid}/fd"):
                try:
                    os.readlink(f"/proc/{pid}/fd/{name}")
                    with open(f"/proc/{pid}/fdinfo/{name}") as f:
                        f.read()
                except OSError:
                    pass    # the fd went away between the listing and the look-up
        except OSError:
            pass
        rounds += 1
        if rounds == 1:
            os.write(to_parent, b"started\n")
    os.write(to_parent, f"rounds {rounds}\n".encode())


def fork(fn: Any, *args: Any) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            fn(*args)
            os._exit(0)
        except BaseException as e:  # report and leave, never return into the harness
            print(f"child {os.getpid()}: {e!r}", file=sys.stderr)
            os._exit(1)
    return pid


def reap(pid: int) -> int:
    """Wait for a process this harness forked; kill it (by its pid) if it hangs."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def one_try(files: dict[str, str], threads: int, with_reader: bool, lock_cx: bool,
            same: bool) -> dict[str, Any]:
    up_r, up_w = os.pipe()        # C, then the helper -> harness
    down_r, down_w = os.pipe()    # harness -> C, then the helper
    pids: list[int] = []
    stop_w = None
    try:
        c = fork(child, files, threads, lock_cx, same, up_w, down_r)
        pids.append(c)
        line = read_line(up_r)
        if not line.startswith("locked "):
            raise Fail(f"C said {line!r}")
        locked = files["b" if lock_cx else "a"]
        if holder(locked) != c:
            raise Fail(f"before exec F_GETLK names {holder(locked)}, not C ({c})")
        rd_r = None
        if with_reader:
            rd_r, rd_w = os.pipe()
            stop_r, stop_w = os.pipe()
            pids.append(fork(reader, c, rd_w, stop_r))
            os.close(rd_w)
            os.close(stop_r)
            if read_line(rd_r) != "started":
                raise Fail("the reader did not start")
        os.write(down_w, b"g")
        fields = read_line(up_r).split()
        if fields[0] != "exec":
            raise Fail(f"the helper said {fields!r}")
        rounds = None
        if with_reader:
            os.write(stop_w, b"s")
            rounds = int(read_line(rd_r).split()[1])
        after_exec = holder(locked)
        os.write(down_w, b"c")
        if read_line(up_r) != "closed":
            raise Fail("the helper did not close")
        after_close = holder(locked)
        os.write(down_w, b"q")
        return {"threads": int(line.split()[1]), "plain_open": fields[1] == "1",
                "cx_open": fields[2] == "1", "held_after_exec": after_exec == c,
                "other_holder": after_exec not in (0, c), "held_after_close": after_close != 0,
                "rounds": rounds}
    finally:
        for pid in pids:
            reap(pid)
        for fd in (up_r, up_w, down_r, down_w, stop_w):
            if fd is not None:
                os.close(fd)


def predicted(lock_cx: bool, same: bool) -> dict[str, bool]:
    """What V5_11 says of a try: which fds are open in the helper, and the lock."""
    kept = not lock_cx and not same
    return {"plain_open": True, "cx_open": False, "held_after_exec": kept,
            "other_holder": False, "held_after_close": False}


def run() -> list[dict[str, Any]]:
    base = tempfile.mkdtemp(prefix="mnt-explorer-exec-locks-")
    files = {k: os.path.join(base, k) for k in ("a", "b")}
    for p in files.values():
        with open(p, "w") as f:
            f.write("x")
    rows = []
    try:
        for key, title, threads, with_reader, lock_cx, same, checks in SCENARIOS:
            want = predicted(lock_cx, same)
            tries, errors = [], []
            for _ in range(TRIES):
                try:
                    tries.append(one_try(files, threads, with_reader, lock_cx, same))
                except (Fail, OSError) as e:
                    errors.append(str(e))
            good = [t for t in tries if all(t[k] == v for k, v in want.items())
                    and t["threads"] == threads + 1]
            rows.append({"key": key, "title": title, "checks": checks, "want": want,
                         "tries": tries, "errors": errors, "good": len(good),
                         "match": len(good) == TRIES})
    finally:
        for p in files.values():
            os.unlink(p)
        os.rmdir(base)
    return rows


def describe(want: dict[str, bool]) -> str:
    lock = "held by C after exec" if want["held_after_exec"] else "released by the exec"
    tail = ", released by the helper's close" if want["held_after_exec"] else ""
    return f"lock {lock}{tail}; plain fd open, close-on-exec fd closed"


def render(rows: list[dict[str, Any]]) -> str:
    lines = header("POSIX locks across execve", RUN_AS,
                   "`specs/exec_files.mnt`, era V5_11; kernel-semantics 6.4 [O].")
    lines += ["| Scenario | model checks | V5_11 predicts | as predicted | match |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['key']}: {r['title']} | {r['checks']} | {describe(r['want'])} | "
                     f"{r['good']}/{TRIES} | {'yes' if r['match'] else 'no'} |")
    lines += ["\n## Details\n"]
    for r in rows:
        t = r["tries"]
        seen = {k: sum(x[k] for x in t) for k in ("plain_open", "cx_open", "held_after_exec",
                                                    "other_holder", "held_after_close")}
        counts = ", ".join(f"{k} {v}/{len(t)}" for k, v in seen.items())
        threads = sorted({x["threads"] for x in t})
        line = f"- {r['key']}: Threads: in C before exec {threads}; {counts}"
        rounds = [x["rounds"] for x in t if x["rounds"] is not None]
        if rounds:
            line += f"; reader rounds per try {min(rounds)}..{max(rounds)}"
        if r["errors"]:
            line += f"; errors: {'; '.join(r['errors'])}"
        lines.append(line)
    lines += ["\n## How to read this\n",
              f"- Each scenario is {TRIES} tries, each with a fresh process C. `Threads` is "
              "what /proc/C/status said just before C asked to go on: its main thread and "
              "the sleeping others.",
              "- `held_after_exec`: F_GETLK from the harness named C's pid for the locked "
              "file once the exec'd helper had reported; `other_holder`: it named another "
              "pid; `held_after_close`: the lock was still there after the helper closed "
              "its plain fd, which would mean the lock belongs to a table the new program "
              "does not run on (the model's pre-5.11 single-threaded reader case).",
              "- `plain_open`, `cx_open`: the helper found the fd open on the inode it had "
              "before the exec.",
              "- Before 5.11 the model predicts a lost lock for A2, A3 and A5 (pre_threads) "
              "and, when the reader's reference meets the exec, for A4 (pre_reader)."]
    return "\n".join(lines) + "\n"


def main() -> int:
    rows = run()
    text = render(rows)
    publish(text, sys.argv)
    return 0 if all(r["match"] and not r["errors"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
