#!/usr/bin/env python3
r"""Page through a mount namespace with listmount(2) and ask statmount(2), on the running kernel.

What it is for: the conformance evidence behind specs/listmount.mnt. The kernel should behave
like its design UID: paging by the 64-bit unique mount id, which is never reused. Each
scenario does what one of the model's checks does, between listmount() calls of one id each:

- L1 (check uid): mount 8 tmpfs mounts; list the first 3 ids; unmount one already returned
  and one not yet returned; list on. Every mount present throughout is returned once.
- L2 (check uid_reverse): the same with LISTMOUNT_REVERSE.
- L3 (check mntid_statmount, the kernel's answer): list a mount's id, unmount it, mount a new
  one (which takes the freed 32-bit mnt_id); statmount of the listed id is ENOENT, never the
  new mount.

How to run it: as root, from the repository root, exactly

    OUTER_MNTNS=$(readlink /proc/self/ns/mnt) unshare -m --propagation private \
        python3 tests/kernel/listmount_kernel.py tests/kernel/listmount_6.18.md

The markdown goes to stdout and, if an argument is given, to that file. Exit status 1 if any
prediction failed.

Safety: it only mounts and unmounts inside the private mount namespace unshare made, under a
fresh tmpfs on a new directory under /tmp, and refuses to run in the namespace it was called
from (OUTER_MNTNS). It needs root and changes mounts, so it is not a pytest test.
"""

import ctypes
import errno
import os
import platform
import struct
import sys
import tempfile

NR_statmount, NR_listmount = 457, 458  # x86_64
LSMT_ROOT = 0xFFFFFFFFFFFFFFFF          # the caller's namespace root
LISTMOUNT_REVERSE = 1
STATMOUNT_MNT_BASIC = 0x2
MNT_ID_REQ_SIZE_VER0 = 24

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def req(mnt_id: int, param: int) -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer(struct.pack("<IIQQ", MNT_ID_REQ_SIZE_VER0, 0, mnt_id, param))


def listmount(last: int, n: int, flags: int = 0) -> list[int]:
    """One call: up to n unique ids after `last` (0: from the start) under the root."""
    buf = (ctypes.c_uint64 * n)()
    r = libc.syscall(NR_listmount, req(LSMT_ROOT, last), buf, ctypes.c_size_t(n),
                     ctypes.c_uint(flags))
    if r < 0:
        raise OSError(ctypes.get_errno(), "listmount")
    return list(buf[:r])


def statmount_mnt_id(uid: int) -> int | None:
    """statmount(uid, STATMOUNT_MNT_BASIC): the mount's 32-bit mnt_id, or None for ENOENT."""
    buf = ctypes.create_string_buffer(512)
    r = libc.syscall(NR_statmount, req(uid, STATMOUNT_MNT_BASIC), buf, ctypes.c_size_t(512),
                     ctypes.c_uint(0))
    if r < 0:
        if ctypes.get_errno() == errno.ENOENT:
            return None
        raise OSError(ctypes.get_errno(), "statmount")
    # struct statmount: size u32, mnt_opts u32, mask u64, sb_dev_major/minor u32 x2,
    # sb_magic u64, sb_flags u32, fs_type u32, mnt_id u64, mnt_parent_id u64, mnt_id_old u32
    size, _, mask = struct.unpack_from("<IIQ", buf.raw, 0)
    mnt_id_old = struct.unpack_from("<I", buf.raw, 56)[0]
    return mnt_id_old


def uid_of(path: str) -> int:
    buf = ctypes.create_string_buffer(256)
    libc.statx.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint,
                           ctypes.c_void_p]
    if libc.statx(-100, path.encode(), 0, 0x4000, buf) != 0:  # STATX_MNT_ID_UNIQUE
        raise OSError(ctypes.get_errno(), "statx")
    return int.from_bytes(buf.raw[0x90:0x98], "little")


class Run:
    def __init__(self, base: str) -> None:
        self.base = base
        self.rows: list[tuple[str, str, str, str, bool]] = []

    def mount(self, name: str) -> int:
        p = os.path.join(self.base, name)
        os.makedirs(p, exist_ok=True)
        if libc.mount(b"tmpfs", p.encode(), b"tmpfs", 0, b"size=64k") != 0:
            raise OSError(ctypes.get_errno(), f"mount {p}")
        return uid_of(p)

    def umount(self, name: str) -> None:
        if libc.umount2(os.path.join(self.base, name).encode(), 0) != 0:
            raise OSError(ctypes.get_errno(), f"umount {name}")

    def check(self, scen: str, what: str, pred: str, obs: str, ok: bool) -> None:
        self.rows.append((scen, what, pred, obs, ok))


def walk(r: Run, scen: str, flags: int) -> None:
    uids = {f"w{i}": r.mount(f"w{i}") for i in range(8)}
    order = sorted(uids, key=uids.get, reverse=bool(flags & LISTMOUNT_REVERSE))
    got: list[int] = []
    gone: set[str] = set()
    last = 0
    while True:
        page = listmount(last, 1, flags)
        if not page:
            break
        got += page
        last = page[-1]
        returned = [n for n in order if uids[n] in got]
        if len(returned) == 3 and not gone:
            # one of ours returned already, one not yet returned
            r.umount(returned[-1])
            r.umount(order[5])
            gone = {returned[-1], order[5]}
    for n in order:
        if n not in gone:
            r.umount(n)
    mine = [u for u in got if u in uids.values()]
    throughout = [n for n in order if n not in gone]
    ok = all(mine.count(uids[n]) == 1 for n in throughout) and len(set(got)) == len(got)
    r.check(scen, "every mount present throughout returned once, none twice", "yes (I-L1, I-L2)",
            "yes" if ok else f"no: {mine}", ok)


def scen_L3(r: Run) -> None:
    a = r.mount("a")
    page = []
    last = 0
    while a not in page:
        page = listmount(last, 1)
        last = page[-1]
    old = statmount_mnt_id(a)
    r.umount("a")
    b = r.mount("b")
    new = statmount_mnt_id(b)
    after = statmount_mnt_id(a)
    r.umount("b")
    r.check("L3", f"the new mount took the freed mnt_id ({old})", "yes (as MNTID assumes)",
            f"mnt_id {new}", new == old)
    r.check("L3", "statmount of the listed unique id after its mount went", "ENOENT (I-L3)",
            "ENOENT" if after is None else f"mnt_id {after}", after is None)


def main() -> int:
    outer = os.environ.get("OUTER_MNTNS")
    if not outer or outer == os.readlink("/proc/self/ns/mnt") or os.geteuid() != 0:
        sys.exit("run as root inside `unshare -m`, with OUTER_MNTNS set (see the docstring)")
    if libc.mount(b"none", b"/", None, 0x4000 | (1 << 18), None) != 0:
        sys.exit("make-rprivate / failed")
    base = tempfile.mkdtemp(prefix="mnt-explorer-listmount-")
    if libc.mount(b"tmpfs", base.encode(), b"tmpfs", 0, b"size=1m") != 0:
        sys.exit("tmpfs on base failed")
    r = Run(base)
    try:
        walk(r, "L1", 0)
        walk(r, "L2", LISTMOUNT_REVERSE)
        scen_L3(r)
    finally:
        libc.umount2(base.encode(), 2)
        os.rmdir(base)
    lines = ["# listmount(2) and statmount(2) on the running kernel", "",
             f"Kernel: `{platform.release()}`  ", "Run as: `OUTER_MNTNS=$(readlink /proc/self/ns/mnt) "
             "unshare -m --propagation private python3 tests/kernel/listmount_kernel.py "
             "tests/kernel/listmount_6.18.md`", "",
             "| scenario | what | UID predicts | observed | agrees |", "|---|---|---|---|---|"]
    lines += [f"| {s} | {w} | {p} | {o} | {'yes' if ok else 'NO'} |" for s, w, p, o, ok in r.rows]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    return 0 if all(ok for *_, ok in r.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
