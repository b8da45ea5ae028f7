#!/usr/bin/env python3
r"""Read /proc/self/mountinfo with read(2) while mounts come and go, on the running kernel.

What it is for: this is the conformance evidence behind specs/mountinfo_cursor.mnt. That model
says what a reader of the file sees for five designs of the kernel's iterator; the kernel this
VM runs (a 6.18) should behave like its variant V3 (the rbtree of mounts keyed by the unique
mount id, the position left at the last uid shown + 1, 4a403d7aa907) on the MODERN seq_file
driver (seq_read_iter). Each scenario below does what one of the model's checks does, between
read() calls on one open file, and compares what the kernel printed with what V3 predicts:

- S0, control: no mount changes; the bytes read are exactly the file as read in one go.
- S1, B1 (check v0_skip): unmount a mount whose line was already returned; every mount that
  stays mounted must still be printed (I_T1_1), and nothing twice (I_T1_2).
- S2, B4 (checks eof_v2, eof_v3_once): read to EOF; mount and unmount a few mounts, so that
  the unique ids have a gap; mount Y; read again on the same file. V3 prints Y once, V1
  never, V2 once per id in the gap and once more.
- S3a: unmount the mounts at the reader's position (the first two whose line has not started
  to arrive: with read(1) the first of them is already in the kernel's buffer), mount N, read
  on: no duplicate, and N is printed (I_T1_1_strict).
- S3b, the same with the position just before the last mount D: unmount every mount between
  the position and D, read until D's line is complete, then mount N and read on. V2 prints D
  again (m_start leaves the position below uid(D)); V1 never prints N (its cursor is unlinked
  at the end of the list); V3 prints each once.
- S4, scenario 5b (checks eof_v1, eof_v3): read to EOF, mount Z, read again; then mount Z2
  after the second EOF and read again. V3 prints each once.
- S5, late attachment (checks v3_attach_later, v3_attach_later_all_along): open_tree(CLONE)
  allocates a mount C (its unique id taken), mount L after it (a larger id); read until L's
  line is complete, so the position is past uid(C); move_mount attaches C; read to EOF. V3
  never prints C, though it is in the namespace until EOF (V1's list would: it appends C);
  every mount mounted throughout is printed once.

Every scenario runs with read sizes 1, 100 and 4096 bytes. Mounts are identified by their
mount point: the first field of a mountinfo line is the small, reusable mnt_id, so a line's
key is (mnt_id, mount point), and the mount points made here are never reused within a run.

How to run it: as root, from the repository root, exactly

    OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private \
        python3 tests/kernel/mountinfo_kernel.py tests/kernel/mountinfo_6.18.md

(one shell command; the backslash only continues the line). The markdown goes to stdout and,
if an argument is given, to that file, which it overwrites. The exit status is 1 if any V3
prediction failed or a scenario could not run, else 0. Mount ids and unique ids may change
from run to run; the counts should not.

Safety: it only mounts and unmounts inside private mount namespaces it creates. It refuses to
run unless it is root and its own mount namespace differs from OUTER_MNTNS, the namespace of
the shell that called unshare (passed in because /proc/1/ns/mnt is not readable on this VM),
so it never runs in the initial namespace. Each (scenario, read size) runs in a forked child
that unshares a further mount namespace, makes it rprivate, mounts a fresh tmpfs on BASE (a
new empty directory made by mkdtemp under /tmp) and mounts its tmpfs fixtures under it; the
namespace, and so every mount, goes away when the child exits. The only change visible outside
is BASE itself, which is removed at the end.

It needs root and changes mounts, so it is not a pytest test: its name does not match
test_*.py and pytest does not collect it. Keep it that way.
"""

import ctypes
import errno
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from typing import Any

from kernel_report import header, in_child, publish

SCRIPT = "tests/kernel/mountinfo_kernel.py"
RUN_AS = ("OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private "
          f"python3 {SCRIPT} tests/kernel/mountinfo_6.18.md")
MOUNTINFO = "/proc/self/mountinfo"
READ_SIZES = (1, 100, 4096)
FIXTURES = 80        # tmpfs mounts under BASE: about 8 KiB of lines, so 4096-byte reads stop midway
GAP = 3              # S2: mounts made and unmounted after EOF, before Y
MAX_READS = 200_000  # a bound on any read loop (V2 would loop, but only a finite number of times)

MS_REC, MS_PRIVATE = 0x4000, 1 << 18
CLONE_NEWNS = 0x00020000
AT_FDCWD = -100
STATX_MNT_ID_UNIQUE = 0x4000  # linux/stat.h since 6.8 (this VM's headers predate it)
STX_MNT_ID_OFFSET = 0x90      # offsetof(struct statx, stx_mnt_id)

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.unshare.argtypes = [ctypes.c_int]
libc.statx.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]

# one check: what it is about, what V3 predicts, what the kernel did, whether they agree
Check = dict[str, Any]


def err() -> str:
    e = ctypes.get_errno()
    return errno.errorcode.get(e, str(e))


class Fail(Exception):
    """A setup step failed: the scenario could not run."""


class Ctx:
    """One child's fixtures: BASE is a tmpfs in the child's own mount namespace."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.log: list[str] = []

    def path(self, name: str) -> str:
        return os.path.join(self.base, name)

    def mount(self, name: str) -> None:
        p = self.path(name)
        os.makedirs(p, exist_ok=True)
        if libc.mount(b"tmpfs", p.encode(), b"tmpfs", 0, b"size=64k") != 0:
            raise Fail(f"mount tmpfs {p}: {err()}")

    def umount(self, name: str) -> None:
        if libc.umount2(self.path(name).encode(), 0) != 0:
            raise Fail(f"umount {self.path(name)}: {err()}")

    def uid(self, name: str) -> int | None:
        """The unique mount id (statx STATX_MNT_ID_UNIQUE) of the mount on `name`."""
        buf = ctypes.create_string_buffer(256)
        if libc.statx(AT_FDCWD, self.path(name).encode(), 0, STATX_MNT_ID_UNIQUE, buf) != 0:
            return None
        mask = int.from_bytes(buf.raw[0:4], "little")
        if not mask & STATX_MNT_ID_UNIQUE:
            return None
        return int.from_bytes(buf.raw[STX_MNT_ID_OFFSET:STX_MNT_ID_OFFSET + 8], "little")

    def fixture(self, i: int) -> str:
        return f"f{i:02d}"


def snapshot() -> bytes:
    """The whole file, read on a fresh fd in 64 KiB reads."""
    fd = os.open(MOUNTINFO, os.O_RDONLY)
    try:
        chunks = []
        while c := os.read(fd, 65536):
            chunks.append(c)
        return b"".join(chunks)
    finally:
        os.close(fd)


def line_key(line: bytes) -> tuple[str, str]:
    f = line.split(b" ")
    if len(f) < 10 or b"-" not in f[6:]:
        raise Fail(f"malformed mountinfo line {line!r}")
    return f[0].decode(), f[4].decode()


def keys(text: bytes) -> list[tuple[str, str]]:
    """The keys of the complete lines of text, in order."""
    return [line_key(l) for l in text.split(b"\n")[:-1]]


def line_starts(text: bytes) -> list[tuple[int, tuple[str, str]]]:
    out, off = [], 0
    for l in text.split(b"\n")[:-1]:
        out.append((off, line_key(l)))
        off += len(l) + 1
    return out


class Reader:
    """One open /proc/self/mountinfo, read with os.read(fd, size)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fd = os.open(MOUNTINFO, os.O_RDONLY)
        self.data = bytearray()
        self.reads = 0
        self.zeros = 0  # read() calls that returned 0

    def read(self) -> bytes:
        if self.reads >= MAX_READS:
            raise Fail(f"more than {MAX_READS} read() calls")
        c = os.read(self.fd, self.size)
        self.reads += 1
        self.data += c
        if not c:
            self.zeros += 1
        return c

    def to_eof(self) -> int:
        """read() until it returns 0; the bytes read."""
        n = len(self.data)
        while self.read():
            pass
        return len(self.data) - n

    def until(self, pred: Callable[[], bool]) -> bool:
        """read() until pred() holds (True) or read() returns 0 (False)."""
        while not pred():
            if not self.read():
                return pred()
        return True

    def complete_keys(self) -> list[tuple[str, str]]:
        return keys(bytes(self.data))

    def close(self) -> None:
        os.close(self.fd)


def mp_count(text: bytes, mountpoint: str) -> int:
    return sum(1 for _, m in keys(text) if m == mountpoint)


def times(n: int) -> str:
    return f"{n}×"


class Scenario:
    """The checks of one run, and details for the notes."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.checks: list[Check] = []
        self.details: list[str] = []

    def check(self, what: str, predicted: str, observed: str, ok: bool) -> None:
        self.checks.append({"what": what, "pred": predicted, "obs": observed, "ok": ok})

    def count_of(self, text: bytes, name: str, predicted: int | tuple[int, ...], what: str) -> int:
        n = mp_count(text, self.ctx.path(name))
        allowed = predicted if isinstance(predicted, tuple) else (predicted,)
        pred = " or ".join(times(a) for a in allowed)
        self.check(f"{what} `{name}`", pred, times(n), n in allowed)
        return n

    def whole(self, text: bytes, before: bytes, gone: set[str], what: str = "") -> None:
        """I_T1_1 and I_T1_2: every mount of `before` not unmounted since is printed once, and
        no line is printed twice. `gone`: mount points unmounted during the read."""
        got = Counter(keys(text))
        stable = [k for k in keys(before) if k[1] not in gone]
        missing = [k for k in stable if got[k] == 0]
        self.check(f"{what}each mount mounted throughout ({len(stable)})", "1× each (I_T1_1)",
                   f"{sum(1 for k in stable if got[k] == 1)}/{len(stable)} 1×"
                   + (f"; missing {missing}" if missing else ""), not missing)
        twice = sorted(k for k, n in got.items() if n > 1)
        self.check(f"{what}any line twice", "none (I_T1_2)",
                   "none" if not twice else "; ".join(f"{k[1]} {got[k]}×" for k in twice), not twice)

    def stop_midway(self, r: Reader, snap: bytes) -> tuple[list[str], list[str]]:
        """Read until at least one fixture line is complete while at least three fixture lines
        have not started to arrive. Returns (fixtures complete, fixtures not started)."""
        fx = {self.ctx.path(self.ctx.fixture(i)): self.ctx.fixture(i) for i in range(FIXTURES)}
        starts = [(off, fx[k[1]]) for off, k in line_starts(snap) if k[1] in fx]

        def split() -> tuple[list[str], list[str]]:
            n = len(r.data)
            done = [name for off, name in starts if snap.find(b"\n", off) < n]
            todo = [name for off, name in starts if off >= n]
            return done, todo

        if not r.until(lambda: len(split()[0]) >= 1 and len(split()[1]) >= 3):
            raise Fail("reached EOF before the stop point")
        if bytes(r.data) != snap[:len(r.data)]:
            raise Fail("the bytes read differ from the snapshot of the file")
        done, todo = split()
        self.details.append(f"stopped after {r.reads} read()s, {len(r.data)} bytes: "
                            f"{len(done)} fixture lines complete, last `{done[-1]}`; "
                            f"first not started `{todo[0]}`")
        return done, todo


# ---------------------------------------------------------------- scenarios
def scen_S0(s: Scenario, size: int) -> None:
    snap = snapshot()
    r = Reader(size)
    r.to_eof()
    r.read()
    s.check("bytes read equal the file read in one go", "yes", "yes" if bytes(r.data) == snap else "no",
            bytes(r.data) == snap)
    s.whole(bytes(r.data), snap, set())
    s.check("read() after EOF", "0 bytes", "0 bytes" if r.zeros == 2 else "data", r.zeros == 2)
    s.details.append(f"{len(snap)} bytes, {len(keys(snap))} lines, {r.reads} read()s")
    r.close()


def scen_S1(s: Scenario, size: int) -> None:
    snap = snapshot()
    r = Reader(size)
    done, _ = s.stop_midway(r, snap)
    x = done[-1]
    s.ctx.umount(x)
    r.to_eof()
    text = bytes(r.data)
    s.details.append(f"unmounted `{x}`, whose line was returned; then {r.reads} read()s in all")
    s.count_of(text, x, 1, "unmounted after its line was returned:")
    s.whole(text, snap, {s.ctx.path(x)})
    r.close()


def scen_S2(s: Scenario, size: int) -> None:
    snap = snapshot()
    last = s.ctx.fixture(FIXTURES - 1)
    r = Reader(size)
    r.to_eof()
    s.whole(bytes(r.data), snap, set(), "first pass: ")
    for i in range(GAP):
        s.ctx.mount(f"gap{i}")
        s.ctx.umount(f"gap{i}")
    s.ctx.mount("Y")
    u_last, u_y = s.ctx.uid(last), s.ctx.uid("Y")
    n0 = len(r.data)
    r.to_eof()
    extra = r.data[n0:]
    z0 = r.zeros
    r.read()
    r.read()
    s.count_of(bytes(r.data), "Y", 1, "mounted after EOF (after an id gap):")
    others = [k for k in keys(bytes(extra)) if k[1] != s.ctx.path("Y")]
    s.check("other lines after EOF", "none", "none" if not others else str(others), not others)
    s.check("further read()s", "0 bytes", "0 bytes" if r.zeros == z0 + 2 else "data", r.zeros == z0 + 2)
    gap = None if u_last is None or u_y is None else u_y - u_last
    s.details.append(f"uid(`{last}`) = {u_last}, uid(`Y`) = {u_y}"
                     + (f": V2 would print Y {gap}×, V1 0×" if gap is not None else ""))
    r.close()


def scen_S3a(s: Scenario, size: int) -> None:
    snap = snapshot()
    r = Reader(size)
    _, todo = s.stop_midway(r, snap)
    gone = todo[:2]
    for name in gone:
        s.ctx.umount(name)
    s.ctx.mount("N")
    r.to_eof()
    text = bytes(r.data)
    s.details.append(f"unmounted `{gone[0]}` and `{gone[1]}`, then mounted `N`; {r.reads} read()s in all")
    for name in gone:
        s.count_of(text, name, (0, 1), "unmounted at the position:")
    s.count_of(text, "N", 1, "mounted before reading on:")
    s.whole(text, snap, {s.ctx.path(n) for n in gone})
    r.close()


def scen_S3b(s: Scenario, size: int) -> None:
    snap = snapshot()
    r = Reader(size)
    _, todo = s.stop_midway(r, snap)
    gone, d = todo[:-1], todo[-1]
    for name in gone:
        s.ctx.umount(name)
    dp = s.ctx.path(d)
    if not r.until(lambda: any(m == dp for _, m in r.complete_keys())):
        raise Fail(f"EOF before the line of {d}")
    n_at = len(r.data)
    s.ctx.mount("N")
    r.to_eof()
    text = bytes(r.data)
    s.details.append(f"unmounted {len(gone)} mounts `{gone[0]}`..`{gone[-1]}`, read until the line of "
                     f"`{d}` (the last mount) was complete ({n_at} bytes), mounted `N`; "
                     f"{r.reads} read()s in all")
    s.count_of(text, d, 1, "the last mount, after the position was unmounted:")
    s.count_of(text, "N", 1, "mounted after the last line was read, before EOF:")
    s.whole(text, snap, {s.ctx.path(n) for n in gone})
    r.close()


def scen_S4(s: Scenario, size: int) -> None:
    snap = snapshot()
    r = Reader(size)
    r.to_eof()
    s.whole(bytes(r.data), snap, set(), "first pass: ")
    s.ctx.mount("Z")
    r.to_eof()
    zc = mp_count(bytes(r.data), s.ctx.path("Z"))
    s.check("mounted after EOF: `Z`, after the second EOF", "1×", times(zc), zc == 1)
    s.ctx.mount("Z2")
    r.to_eof()
    r.read()
    text = bytes(r.data)
    s.count_of(text, "Z2", 1, "mounted after the second EOF:")
    s.count_of(text, "Z", 1, "after the third EOF:")
    s.check("lines in all", f"{len(keys(snap)) + 2}", str(len(keys(text))),
            len(keys(text)) == len(keys(snap)) + 2)
    s.details.append(f"uid(`{s.ctx.fixture(FIXTURES - 1)}`) = {s.ctx.uid(s.ctx.fixture(FIXTURES - 1))}, "
                     f"uid(`Z`) = {s.ctx.uid('Z')}, uid(`Z2`) = {s.ctx.uid('Z2')}")
    r.close()


NR_open_tree, NR_move_mount = 428, 429  # x86_64
OPEN_TREE_CLONE, MOVE_MOUNT_F_EMPTY_PATH = 1, 0x4


def scen_S5(s: Scenario, size: int) -> None:
    os.mkdir(s.ctx.path("C"))
    fd = libc.syscall(NR_open_tree, AT_FDCWD, s.ctx.base.encode(), OPEN_TREE_CLONE)
    if fd < 0:
        raise Fail("open_tree(base, OPEN_TREE_CLONE): " + err())
    s.ctx.mount("L")
    snap = snapshot()
    lp = s.ctx.path("L")
    r = Reader(size)
    if not r.until(lambda: any(m == lp for _, m in r.complete_keys())):
        raise Fail("EOF before the line of L")
    n_at = len(r.data)
    if libc.syscall(NR_move_mount, fd, b"", AT_FDCWD, s.ctx.path("C").encode(),
                    MOVE_MOUNT_F_EMPTY_PATH) != 0:
        raise Fail("move_mount(clone, C): " + err())
    u_c, u_l = s.ctx.uid("C"), s.ctx.uid("L")
    r.to_eof()
    text = bytes(r.data)
    s.details.append(f"uid(`C`) = {u_c} < uid(`L`) = {u_l}; read until the line of `L` was "
                     f"complete ({n_at} bytes), attached `C`; {r.reads} read()s in all")
    s.check("uid of the clone below L's", "yes",
            "yes" if u_c is not None and u_l is not None and u_c < u_l else "no",
            u_c is not None and u_l is not None and u_c < u_l)
    s.count_of(text, "C", 0, "allocated before the position, attached after it:")
    s.whole(text, snap, set())
    os.close(fd)
    r.close()


SCENARIOS: list[tuple[str, str, Callable[[Scenario, int], None]]] = [
    ("S0", "control: read to EOF, no mount changes", scen_S0),
    ("S1", "B1: unmount a mount whose line was returned, read on", scen_S1),
    ("S2", "B4: EOF; mount+umount ×3 (id gap); mount Y; read again", scen_S2),
    ("S3a", "unmount the mounts at the position, mount N, read on", scen_S3a),
    ("S3b", "unmount up to the last mount D, read D, mount N, read on", scen_S3b),
    ("S4", "5b: EOF; mount Z; read again; mount Z2; read again", scen_S4),
    ("S5", "late attachment: clone C, mount L, read past L, attach C, read on", scen_S5),
]


def fresh_setup(base: str) -> Ctx:
    """Own mount namespace (rprivate), a tmpfs on base, FIXTURES tmpfs mounts under it."""
    if libc.unshare(CLONE_NEWNS) != 0:
        raise Fail("unshare(CLONE_NEWNS): " + err())
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise Fail("make-rprivate /: " + err())
    if libc.mount(b"tmpfs", base.encode(), b"tmpfs", 0, b"size=1m") != 0:
        raise Fail("mount tmpfs on base: " + err())
    ctx = Ctx(base)
    for i in range(FIXTURES):
        ctx.mount(ctx.fixture(i))
    os.chdir("/")
    return ctx


def run_child(base: str, fn: Callable[[Scenario, int], None], size: int, out: Any) -> int:
    s = Scenario(Ctx(base))
    rc = 0
    try:
        s.ctx = fresh_setup(base)
        fn(s, size)
    except BaseException as e:  # report everything to the parent, which records it
        s.check("scenario ran", "yes", f"no: {e!r}", False)
        rc = 1
    out.write(json.dumps({"checks": s.checks, "details": s.details}))
    out.flush()
    return rc


def main() -> tuple[list[dict[str, Any]], str]:
    # /proc/1/ns/mnt is not readable on this VM, so the caller passes the outer namespace:
    # OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private python3 ...
    outer = os.environ.get("OUTER_MNTNS")
    mine = os.readlink("/proc/self/ns/mnt")
    if not outer or outer == mine:
        raise SystemExit(f"REFUSING: OUTER_MNTNS={outer!r} own={mine!r}; "
                         f"run as: {RUN_AS}")
    if os.geteuid() != 0:
        raise SystemExit("REFUSING: needs root (it mounts tmpfs in private namespaces)")
    base = tempfile.mkdtemp(prefix="mnt-explorer-mountinfo-")
    runs = []
    try:
        for key, title, fn in SCENARIOS:
            for size in READ_SIZES:
                data, status = in_child(
                    lambda out, fn=fn, size=size: run_child(base, fn, size, out))
                try:
                    res = json.loads(data)
                except ValueError:
                    res = {"checks": [{"what": "scenario ran", "pred": "yes",
                                       "obs": f"no output: {data!r}", "ok": False}], "details": []}
                if status != 0 and all(c["ok"] for c in res["checks"]):
                    res["checks"].append({"what": "child exit status", "pred": "0",
                                          "obs": str(status), "ok": False})
                runs.append({"key": key, "title": title, "size": size, **res})
    finally:
        os.rmdir(base)
    return runs, base


NOTES = """\
## How to read this

- Each row is one (scenario, read size), run in a fresh child mount namespace with {fx} tmpfs
  mounts `f00`..`f{last}` under `BASE` (a tmpfs), which are the last {fx} lines of the file.
  `BASE` was `{base}` (a fresh `mkdtemp` directory, removed afterwards). Cells list one item per
  check, in the same order in the three columns; the row matches when every item does.
- A mount is identified by its mount point (with the small `mnt_id` of the first field): that
  id is reused, the mount points made here are not. `uid` is the unique mount id from
  `statx(STATX_MNT_ID_UNIQUE)`, the key of the kernel's rbtree and of V2's and V3's position.
- The stop point of S1 and S3: the first read() after which at least one fixture line is
  complete and at least three fixture lines have not started to arrive. Up to there nothing
  changed, and the bytes read are checked to be a prefix of the file read in one go.
- What the other variants of specs/mountinfo_cursor.mnt would show: S1, V0 skips one mount
  mounted throughout (check v0_skip). S2, V1 prints Y 0× (eof_v1), V2 uid(Y) − uid(f{last})×
  (eof_v2; the figure is in the details). S3b, V2 prints `f{last}` twice or more (v2_dup), V1
  prints N 0× (its cursor is unlinked when m_next finds no successor). S4, V1 prints Z 0×;
  V0, V2 and V3 1×.
"""


def render(runs: list[dict[str, Any]], base: str) -> str:
    lines = header("/proc/self/mountinfo read while mounts change", RUN_AS,
                   "`specs/mountinfo_cursor.mnt`, variant V3 on the MODERN driver.", dated=False)
    lines += ["| Scenario | read() size | V3 predicts | kernel did | match |", "|---|---|---|---|---|"]
    for run in runs:
        cs = run["checks"]
        pred = "<br>".join(f"{c['what']}: {c['pred']}" for c in cs)
        obs = "<br>".join(c["obs"] for c in cs)
        ok = "yes" if cs and all(c["ok"] for c in cs) else "**NO**"
        lines.append(f"| {run['key']}: {run['title']} | {run['size']} | {pred} | {obs} | {ok} |"
                     .replace("\n", " "))
    lines.append("\n## Details\n")
    for run in runs:
        for d in run["details"]:
            lines.append(f"- {run['key']}, read({run['size']}): {d}")
    lines.append("")
    lines.append(NOTES.format(fx=FIXTURES, last=f"{FIXTURES - 1:02d}", base=base))
    return "\n".join(lines)


if __name__ == "__main__":
    runs, base = main()
    md = render(runs, base)
    publish(md, sys.argv)
    failed = [f"{r['key']} read({r['size']})" for r in runs if not all(c["ok"] for c in r["checks"])]
    if failed:
        sys.stderr.write("V3 predictions failed: " + ", ".join(failed) + "\n")
        sys.exit(1)
