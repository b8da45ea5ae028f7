#!/usr/bin/env python3
r"""Observe how the running kernel treats detached mount trees (open_tree/move_mount/close/umount2).

What it is for: this is the conformance evidence behind tests/test_detached_trees.py, part (c).
The model in specs/detached_trees.mnt must agree, in its V6_17 era, with what these scenarios
observe on a real kernel: where a call failed here the model's action must be disabled, where
it succeeded it must be enabled, with the same effect. The observations on this VM's 6.18
kernel are in tests/kernel/detached_trees_6.18.md, and the KERNEL table of
tests/test_detached_trees.py is taken from them. If the model or a kernel changes, rerun this
script and compare.

How to run it: as root, from the repository root, exactly

    OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private \
        python3 tests/kernel/detached_trees_kernel.py tests/kernel/detached_trees_6.18.md

(one shell command; the backslash only continues the line). The markdown table goes to stdout
and, if an argument is given, to that file, which it overwrites. The "## Notes" section at the
end of detached_trees_6.18.md is written by hand: put it back after regenerating the file.
Mount ids in the mountinfo snapshots may change from run to run; the return values and errnos
should not. fd 4 in each child is the result pipe, which is why a second fd is often 5.

Safety: it only mounts and unmounts inside private mount namespaces it creates. It refuses to
run unless its own mount namespace differs from OUTER_MNTNS, the namespace of the shell that
called unshare (passed in because /proc/1/ns/mnt is not readable on this VM), so it never runs
in the initial namespace. Each scenario then runs in a forked child that unshares a further
mount namespace, makes it rprivate, mounts a fresh tmpfs on BASE and builds its fixtures there.
The only change visible outside is the empty scratch directory BASE under /tmp, created if
missing.

It needs root and changes mounts, so it is not a pytest test: its name does not match
test_*.py and pytest does not collect it. Keep it that way.
"""

import ctypes
import errno
import json
import os
import platform
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

SCRIPT = "tests/kernel/detached_trees_kernel.py"
RUN_AS = ("OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private "
          f"python3 {SCRIPT} tests/kernel/detached_trees_6.18.md")
BASE = "/tmp/mnt-explorer-kernel/base"

# x86_64 syscall numbers (checked against /usr/include/x86_64-linux-gnu/asm/unistd_64.h)
NR_open_tree, NR_move_mount, NR_fsopen, NR_fsconfig, NR_fsmount = 428, 429, 430, 431, 432
AT_FDCWD = -100
OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = os.O_CLOEXEC
AT_RECURSIVE = 0x8000
AT_EMPTY_PATH = 0x1000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOVE_MOUNT_T_EMPTY_PATH = 0x40
MNT_DETACH = 2
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
CLONE_NEWNS = 0x00020000

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.unshare.argtypes = [ctypes.c_int]

# one scenario's outcome: key, title, recorded rows, child's wait status
Result = tuple[str, str, list[dict[str, str]], int]
RC = TypeVar("RC", int, str)


def b(s: str | None) -> bytes | None:
    return None if s is None else s.encode()


def res(rc: int) -> str:
    """Format a raw libc/syscall return value."""
    if rc < 0:
        e = ctypes.get_errno()
        return f"-1 {errno.errorcode.get(e, e)}"
    return str(rc)


def sys_open_tree(dfd: int, path: str, flags: int) -> int:
    return libc.syscall(ctypes.c_long(NR_open_tree), ctypes.c_int(dfd), ctypes.c_char_p(b(path)),
                        ctypes.c_uint(flags))


def sys_move_mount(ffd: int, fpath: str, tfd: int, tpath: str, flags: int) -> int:
    return libc.syscall(ctypes.c_long(NR_move_mount), ctypes.c_int(ffd), ctypes.c_char_p(b(fpath)),
                        ctypes.c_int(tfd), ctypes.c_char_p(b(tpath)), ctypes.c_uint(flags))


def sys_mount(src: str, tgt: str, fstype: str | None, flags: int = 0, data: bytes | None = None) -> int:
    return libc.mount(b(src), b(tgt), b(fstype), flags, data)


def sys_umount2(tgt: str, flags: int) -> int:
    return libc.umount2(b(tgt), flags)


class Rec:
    def __init__(self, name: str, out: TextIO) -> None:
        self.name, self.out = name, out

    def step(self, desc: str, rc: RC, expected: str = "") -> RC:
        """rc: raw int (libc-style) or already-formatted string."""
        r = rc if isinstance(rc, str) else res(rc)
        self.out.write(json.dumps({"scen": self.name, "step": desc, "obs": r, "exp": expected}) + "\n")
        self.out.flush()
        return rc

    def pyop(self, desc: str, fn: Callable[[], Any], expected: str = "") -> Any:
        """Run a Python os.* call, record result or OSError errno."""
        try:
            v = fn()
            self.step(desc, repr(v) if v is not None else "0", expected)
            return v
        except OSError as e:
            self.step(desc, f"-1 {errno.errorcode.get(e.errno, e.errno)}", expected)
            return None

    def note(self, desc: str, text: str) -> None:
        self.step(desc, text, "(observation)")


def mountinfo(filt: str = BASE) -> str:
    with open("/proc/self/mountinfo") as f:
        lines = [l.split() for l in f if filt in l]
    # mount-id parent-id mountpoint (+ optional fields)
    out = []
    for p in lines:
        sep = p.index("-")
        out.append(f"{p[0]}<-{p[1]} {p[4]} root={p[3]} {' '.join(p[6:sep]) or 'private'} {p[sep+1]}")
    return "; ".join(out) if out else "(none)"


def fresh_setup() -> None:
    """Fresh mount namespace (private) + fresh tmpfs at BASE with fixture dirs."""
    if libc.unshare(CLONE_NEWNS) != 0:
        raise SystemExit("unshare(CLONE_NEWNS) failed: " + res(-1))
    if sys_mount("none", "/", None, MS_REC | MS_PRIVATE) != 0:
        raise SystemExit("make-rprivate failed: " + res(-1))
    if sys_mount("tmpfs", BASE, "tmpfs") != 0:
        raise SystemExit("mount tmpfs base failed: " + res(-1))
    for d in ["src", "src/sub", "src1", "src1/d", "src2", "src2/subdir", "t1", "t2", "x"]:
        os.mkdir(os.path.join(BASE, d))
    for f in ["src/file_src", "src1/file_src1", "src2/file_src2"]:
        open(os.path.join(BASE, f), "w").close()
    os.chdir("/")


def P(*parts: str) -> str:
    """A path under BASE."""
    return os.path.join(BASE, *parts)


# ---------------------------------------------------------------- scenarios
def scen_A(r: Rec) -> None:
    r.note("mountinfo before", mountinfo())
    fd = r.step("open_tree(AT_FDCWD, src, OPEN_TREE_CLONE)",
                sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    r.pyop("fchdir(fd)  [= cd /proc/self/fd/N]", lambda: os.fchdir(fd), "0")
    r.pyop("close(fd)", lambda: os.close(fd), "0")
    r.pyop("listdir('.') after close (cwd in dissolved tree)", lambda: sorted(os.listdir(".")))
    r.step("move_mount(AT_FDCWD, \".\", AT_FDCWD, t1, 0)",
           sys_move_mount(AT_FDCWD, ".", AT_FDCWD, P("t1"), 0), "EINVAL")
    os.chdir("/")
    r.note("mountinfo after", mountinfo())


def into_dissolved_recursive_clone(r: Rec) -> None:
    """Mount a tmpfs on src/sub, clone src with it, cd into the clone and close its fd: the
    cwd is in a dissolved tree whose child stays connected."""
    sys_mount("tmpfs", P("src", "sub"), "tmpfs")
    fd = r.step("open_tree(AT_FDCWD, src, OPEN_TREE_CLONE|AT_RECURSIVE) [src/sub is a tmpfs]",
                sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE | AT_RECURSIVE), ">=0")
    r.pyop("fchdir(fd)", lambda: os.fchdir(fd), "0")
    r.pyop("close(fd)", lambda: os.close(fd), "0")


def scen_A_rec(r: Rec) -> None:
    # same as A but with a submount and AT_RECURSIVE clone
    into_dissolved_recursive_clone(r)
    r.step("move_mount(AT_FDCWD, \".\", AT_FDCWD, t1, 0)",
           sys_move_mount(AT_FDCWD, ".", AT_FDCWD, P("t1"), 0), "EINVAL")
    os.chdir("/")
    r.note("mountinfo after", mountinfo())


def scen_B(r: Rec, via_dot: bool) -> None:
    r.note("mountinfo before", mountinfo())
    fd = r.step("open_tree(AT_FDCWD, src, OPEN_TREE_CLONE)",
                sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    r.pyop("fchdir(fd)", lambda: os.fchdir(fd), "0")
    if via_dot:
        r.step("move_mount(AT_FDCWD, \".\", AT_FDCWD, t1, 0)",
               sys_move_mount(AT_FDCWD, ".", AT_FDCWD, P("t1"), 0), "0")
    else:
        r.step("move_mount(fd, \"\", AT_FDCWD, t1, F_EMPTY_PATH)",
               sys_move_mount(fd, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "0")
    r.note("mountinfo after move", mountinfo())
    r.pyop("listdir(t1)", lambda: sorted(os.listdir(P("t1"))))
    r.pyop("chdir('/')", lambda: os.chdir("/"), "0")
    r.step("umount2(t1, MNT_DETACH)", sys_umount2(P("t1"), MNT_DETACH), "0")
    r.note("mountinfo after umount", mountinfo())
    r.pyop("close(fd)", lambda: os.close(fd), "0")
    r.note("mountinfo after close", mountinfo())
    r.pyop("listdir(src) still intact", lambda: sorted(os.listdir(P("src"))))


def scen_B_fd(r: Rec) -> None:
    scen_B(r, False)


def scen_B_dot(r: Rec) -> None:
    scen_B(r, True)


def scen_C(r: Rec) -> None:
    r.step("mount tmpfs at x", sys_mount("tmpfs", P("x"), "tmpfs"), "0")
    open(P("x", "file_x"), "w").close()
    r.pyop("chdir(x)", lambda: os.chdir(P("x")), "0")
    r.step("umount2(x, MNT_DETACH)", sys_umount2(P("x"), MNT_DETACH), "0")
    r.pyop("listdir('.') (cwd in lazily-unmounted tmpfs)", lambda: sorted(os.listdir(".")))
    r.step("move_mount(AT_FDCWD, \".\", AT_FDCWD, t1, 0)",
           sys_move_mount(AT_FDCWD, ".", AT_FDCWD, P("t1"), 0), "EINVAL")
    os.chdir("/")
    r.note("mountinfo after", mountinfo())


def scen_D(r: Rec) -> None:
    fd1 = r.step("fd1 = open_tree(src1, CLONE)", sys_open_tree(AT_FDCWD, P("src1"), OPEN_TREE_CLONE), ">=0")
    fd2 = r.step("fd2 = open_tree(src2, CLONE)", sys_open_tree(AT_FDCWD, P("src2"), OPEN_TREE_CLONE), ">=0")
    r.pyop("listdir(fd2/subdir) before", lambda: sorted(os.listdir(f"/proc/self/fd/{fd2}/subdir")))
    r.step("move_mount(fd1, \"\", fd2, \"subdir\", F_EMPTY_PATH)",
           sys_move_mount(fd1, "", fd2, "subdir", MOVE_MOUNT_F_EMPTY_PATH), "0 (>=6.15)")
    r.pyop("listdir(fd2/subdir) after move", lambda: sorted(os.listdir(f"/proc/self/fd/{fd2}/subdir")))
    r.pyop("close(fd1)", lambda: os.close(fd1), "0")
    r.pyop("fchdir(fd2)", lambda: os.fchdir(fd2), "0")
    r.pyop("listdir('subdir') after close(fd1)", lambda: sorted(os.listdir("subdir")), "[file_src1, d]")
    os.chdir("/")
    r.step("move_mount(fd2, \"\", AT_FDCWD, t1, F_EMPTY_PATH) (attach whole tree)",
           sys_move_mount(fd2, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "0")
    r.note("mountinfo after attaching fd2 tree", mountinfo())
    r.pyop("close(fd2)", lambda: os.close(fd2), "0")


def scen_D2(r: Rec) -> None:
    fd1 = r.step("fd1 = open_tree(src1, CLONE)", sys_open_tree(AT_FDCWD, P("src1"), OPEN_TREE_CLONE), ">=0")
    fdd = r.pyop("fd1dup = dup(fd1)", lambda: os.dup(fd1))
    r.step("move_mount(fd1, \"\", fd1dup, \"\", F_EMPTY|T_EMPTY)",
           sys_move_mount(fd1, "", fdd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH), "EINVAL")
    r.step("move_mount(fd1, \"\", fd1, \"d\", F_EMPTY) (onto subdir of own tree)",
           sys_move_mount(fd1, "", fd1, "d", MOVE_MOUNT_F_EMPTY_PATH), "(observe)")
    r.pyop("close(fd1)", lambda: os.close(fd1), "0")
    r.pyop("close(fd1dup)", lambda: os.close(fdd), "0")


def scen_E(r: Rec) -> None:
    fd1 = r.step("fd1 = open_tree(AT_FDCWD, src, CLONE)",
                 sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    fd2 = r.step("fd2 = open_tree(fd1, \"\", CLONE|AT_EMPTY_PATH)",
                 sys_open_tree(fd1, "", OPEN_TREE_CLONE | AT_EMPTY_PATH), ">=0 (>=6.15)")
    r.pyop("close(fd1)", lambda: os.close(fd1), "0")
    if fd2 >= 0:
        r.step("move_mount(fd2, \"\", AT_FDCWD, t1, F_EMPTY_PATH)",
               sys_move_mount(fd2, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "0")
        r.pyop("listdir(t1)", lambda: sorted(os.listdir(P("t1"))))
        r.note("mountinfo", mountinfo())
        r.pyop("close(fd2)", lambda: os.close(fd2), "0")


def scen_F(r: Rec) -> None:
    r.step("mount tmpfs at x", sys_mount("tmpfs", P("x"), "tmpfs"), "0")
    fd = r.pyop("fd = open(x, O_PATH)", lambda: os.open(P("x"), os.O_PATH))
    r.step("umount2(x, 0)", sys_umount2(P("x"), 0), "EBUSY")
    r.pyop("close(fd)", lambda: os.close(fd), "0")
    r.step("umount2(x, 0)", sys_umount2(P("x"), 0), "0")


def scen_G(r: Rec) -> None:
    fd = r.step("open_tree(src, CLONE)", sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    r.step("move_mount(fd, \"\", AT_FDCWD, t1, F_EMPTY_PATH)",
           sys_move_mount(fd, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "0")
    r.note("mountinfo after 1st move", mountinfo())
    r.step("move_mount(fd, \"\", AT_FDCWD, t2, F_EMPTY_PATH) (again)",
           sys_move_mount(fd, "", AT_FDCWD, P("t2"), MOVE_MOUNT_F_EMPTY_PATH), "0")
    r.note("mountinfo after 2nd move", mountinfo())
    r.pyop("close(fd)", lambda: os.close(fd), "0")
    r.note("mountinfo after close", mountinfo())


def scen_H(r: Rec) -> None:
    fd = r.step("fd = open_tree(src, CLONE)", sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    fd2 = r.pyop("fd2 = openat(fd, \".\", O_PATH)", lambda: os.open(".", os.O_PATH, dir_fd=fd))
    r.pyop("close(fd)", lambda: os.close(fd), "0")
    r.step("move_mount(fd2, \"\", AT_FDCWD, t1, F_EMPTY_PATH)",
           sys_move_mount(fd2, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "EINVAL")
    r.pyop("fchdir(fd2)", lambda: os.fchdir(fd2), "0")
    r.pyop("listdir('.')", lambda: sorted(os.listdir(".")), "readable")
    os.chdir("/")
    r.note("mountinfo after", mountinfo())
    r.pyop("close(fd2)", lambda: os.close(fd2), "0")


def scen_H0(r: Rec) -> None:
    # control for H: same steps but the open_tree fd is NOT closed before the move
    fd = r.step("fd = open_tree(src, CLONE)", sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    fd2 = r.pyop("fd2 = openat(fd, \".\", O_PATH)", lambda: os.open(".", os.O_PATH, dir_fd=fd))
    r.step("move_mount(fd2, \"\", AT_FDCWD, t1, F_EMPTY_PATH) (fd still open)",
           sys_move_mount(fd2, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "0")
    r.note("mountinfo after", mountinfo())
    r.pyop("close(fd)", lambda: os.close(fd), "0")
    r.pyop("close(fd2)", lambda: os.close(fd2), "0")
    r.note("mountinfo after closes", mountinfo())


def scen_I0(r: Rec) -> None:
    # control for I: same steps without the lazy umount
    r.step("mount tmpfs at x", sys_mount("tmpfs", P("x"), "tmpfs"), "0")
    r.pyop("mkdir x/subdir", lambda: os.mkdir(P("x", "subdir")), "0")
    fd = r.pyop("fd = open(x, O_PATH)", lambda: os.open(P("x"), os.O_PATH))
    fdn = r.step("fdn = open_tree(src, CLONE)", sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    r.step("move_mount(fdn, \"\", fd, \"subdir\", F_EMPTY_PATH) (x still mounted)",
           sys_move_mount(fdn, "", fd, "subdir", MOVE_MOUNT_F_EMPTY_PATH), "0")
    r.note("mountinfo after", mountinfo())
    r.pyop("close(fdn)", lambda: os.close(fdn), "0")
    r.pyop("close(fd)", lambda: os.close(fd), "0")


def scen_I(r: Rec) -> None:
    r.step("mount tmpfs at x", sys_mount("tmpfs", P("x"), "tmpfs"), "0")
    r.pyop("mkdir x/subdir", lambda: os.mkdir(P("x", "subdir")), "0")
    fd = r.pyop("fd = open(x, O_PATH)", lambda: os.open(P("x"), os.O_PATH))
    r.step("umount2(x, MNT_DETACH)", sys_umount2(P("x"), MNT_DETACH), "0")
    fdn = r.step("fdn = open_tree(src, CLONE)", sys_open_tree(AT_FDCWD, P("src"), OPEN_TREE_CLONE), ">=0")
    r.step("move_mount(fdn, \"\", fd, \"subdir\", F_EMPTY_PATH)",
           sys_move_mount(fdn, "", fd, "subdir", MOVE_MOUNT_F_EMPTY_PATH), "ENOENT")
    r.pyop("listdir(fd/subdir)", lambda: sorted(os.listdir(f"/proc/self/fd/{fd}/subdir")))
    r.pyop("close(fdn)", lambda: os.close(fdn), "0")
    r.pyop("close(fd)", lambda: os.close(fd), "0")


def scen_J(r: Rec) -> None:
    fd1 = r.step("fd1 = open_tree(src1, CLONE)", sys_open_tree(AT_FDCWD, P("src1"), OPEN_TREE_CLONE), ">=0")
    fd2 = r.step("fd2 = open_tree(src2, CLONE)", sys_open_tree(AT_FDCWD, P("src2"), OPEN_TREE_CLONE), ">=0")
    r.step("move_mount(fd1, \"\", fd2, \"subdir\", F_EMPTY_PATH)",
           sys_move_mount(fd1, "", fd2, "subdir", MOVE_MOUNT_F_EMPTY_PATH), "0 (>=6.15)")
    r.pyop("rmdir(fd2/subdir) [a mountpoint inside a detached tree]",
           lambda: os.rmdir("subdir", dir_fd=fd2), "0 (__detach_mounts)")
    r.pyop("listdir(fd2) after rmdir", lambda: sorted(os.listdir(f"/proc/self/fd/{fd2}")))
    r.pyop("listdir(fd1) after rmdir", lambda: sorted(os.listdir(f"/proc/self/fd/{fd1}")))
    r.step("move_mount(fd1, \"\", AT_FDCWD, t1, F_EMPTY_PATH) (fd1's tree unmounted)",
           sys_move_mount(fd1, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "EINVAL")
    r.pyop("close(fd1)", lambda: os.close(fd1), "0")
    r.step("move_mount(fd2, \"\", AT_FDCWD, t1, F_EMPTY_PATH) (fd2's tree intact)",
           sys_move_mount(fd2, "", AT_FDCWD, P("t1"), MOVE_MOUNT_F_EMPTY_PATH), "0")
    r.note("mountinfo after", mountinfo())
    r.pyop("close(fd2)", lambda: os.close(fd2), "0")


def scen_J0(r: Rec) -> None:
    # control for J: a mountpoint of the caller's namespace
    r.step("mount tmpfs at x", sys_mount("tmpfs", P("x"), "tmpfs"), "0")
    r.pyop("rmdir(x) [a mountpoint in the caller's namespace]", lambda: os.rmdir(P("x")), "EBUSY")


def scen_K(r: Rec) -> None:
    # the model's documented superset: the dissolved copy of src/sub sits on the same dentry
    # as src/sub, which is still a mountpoint in the caller's namespace
    into_dissolved_recursive_clone(r)
    r.pyop("rmdir('sub') [the child's mountpoint, also src/sub's]", lambda: os.rmdir("sub"),
           "EBUSY (is_local_mountpoint)")
    os.chdir("/")
    r.step("umount2(src/sub, 0)", sys_umount2(P("src", "sub"), 0), "0")
    r.note("mountinfo after", mountinfo())


SCENARIOS: list[tuple[str, str, Callable[[Rec], None]]] = [
    ("A", "close-then-mount (cwd in clone, close fd, mount --move .)", scen_A),
    ("A'", "A with AT_RECURSIVE clone of tree with submount", scen_A_rec),
    ("B", "mount-then-close (move via fd)", scen_B_fd),
    ("B'", "mount-then-close (move via cwd \".\")", scen_B_dot),
    ("C", "lazily-unmounted mount re-attached from cwd", scen_C),
    ("D", "detached tree onto another detached tree", scen_D),
    ("D2", "detached tree into its own anon namespace", scen_D2),
    ("E", "clone of a clone", scen_E),
    ("F", "non-lazy umount busy test", scen_F),
    ("G", "re-move an attached clone via its fd", scen_G),
    ("H", "after dissolve, move via second O_PATH fd", scen_H),
    ("H0", "control for H: O_PATH fd move without closing open_tree fd", scen_H0),
    ("I", "mount onto dir inside lazily-unmounted tree", scen_I),
    ("I0", "control for I: same without the lazy umount", scen_I0),
    ("J", "rmdir of a mountpoint inside a detached tree", scen_J),
    ("J0", "control for J: rmdir of a mountpoint in the caller's namespace", scen_J0),
    ("K", "rmdir of a dissolved copy's mountpoint, still a mountpoint in the namespace", scen_K),
]


def main() -> list[Result]:
    # /proc/1/ns/mnt is not readable on this VM, so the caller passes the outer
    # namespace id: OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private python3 ...
    outer = os.environ.get("OUTER_MNTNS")
    mine = os.readlink("/proc/self/ns/mnt")
    if not outer or outer == mine:
        raise SystemExit(f"REFUSING: OUTER_MNTNS={outer!r} own={mine!r}; "
                         "run under unshare -m --propagation private")
    os.makedirs(BASE, exist_ok=True)
    results = []
    for key, title, fn in SCENARIOS:
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            out = os.fdopen(wfd, "w")
            rc = 0
            try:
                fresh_setup()
                fn(Rec(key, out))
            except BaseException as e:
                out.write(json.dumps({"scen": key, "step": "EXCEPTION", "obs": repr(e), "exp": ""}) + "\n")
                rc = 1
            out.flush()
            os._exit(rc)
        os.close(wfd)
        data = os.fdopen(rfd).read()
        _, status = os.waitpid(pid, 0)
        rows = [json.loads(l) for l in data.splitlines() if l.strip()]
        results.append((key, title, rows, status))
    return results


def render(results: list[Result]) -> str:
    kr = platform.release()
    lines = ["# Detached mount tree behaviour\n",
             f"Kernel: `{kr}` (`{' '.join(os.uname())}`)  ",
             f"Run as: `{RUN_AS}`; each scenario in a forked child with its own fresh (rprivate) "
             f"mount namespace and a fresh tmpfs at `{BASE}`.\n",
             "| Scenario | # | Step | Observed | Expected |", "|---|---|---|---|---|"]
    for key, title, rows, status in results:
        for i, row in enumerate(rows, 1):
            s = f"{key}: {title}" if i == 1 else ""
            obs = row["obs"].replace("|", "\\|")
            lines.append(f"| {s} | {i} | `{row['step']}` | {obs} | {row['exp']} |")
        if status != 0:
            lines.append(f"| | | child exit status | {status} | 0 |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    md = render(main())
    sys.stdout.write(md)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(md)
