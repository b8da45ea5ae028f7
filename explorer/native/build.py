"""Compiling generated C into a shared library, cached per user, and loading it.

The library is named by the SHA-256 of everything that goes into it (the generated
source, search.h, search.c, the compiler's identity and flags), in a private cache folder
(`$XDG_CACHE_HOME/mnt-explorer/native`, else `~/.cache/...`; mode 0700). An entry is used
only when the folder and the file are the user's own and not writable by anyone else, and
the file's own hash is the one recorded when it was built; anything else is rebuilt, never
trusted. The compiler runs in a private temporary folder; when it fails, the generated
file is kept for a report and the failure is an internal error (ours, not the spec's).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path

from explorer.budget import Budget, LimitReached

# Our code is warning-free (-Werror keeps it so); what a spec itself writes may be trivial
# (`x == x`, a comparison its types decide), which is the spec's business, not a warning.
SPEC_WARNINGS = ("-Wno-tautological-compare", "-Wno-type-limits", "-Wno-bool-compare",
                 "-Wno-int-in-bool-context", "-Wno-bool-operation")
FLAGS = ("-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror",
         *SPEC_WARNINGS)
COMPILE_SECONDS = 300


class CompilerMissing(Exception):
    """No C compiler on this machine: the Python engine runs instead."""


class BuildFailed(Exception):
    """The C compiler refused generated code: a bug of ours (the file is kept)."""


def compiler() -> str:
    """The C compiler: $CC, else cc, else gcc."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        if name and shutil.which(name):
            return name
    raise CompilerMissing("no C compiler (cc or gcc) on PATH")


@cache
def _compiler_id(cc: str) -> str:
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise CompilerMissing(f"{cc} does not run: {e}") from None
    return out.splitlines()[0] if out else cc


def _runtime(name: str) -> str:
    return resources.files("explorer.native").joinpath(name).read_text(encoding="utf-8")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mnt-explorer" / "native"


def _private_dir(p: Path) -> bool:
    """p is a folder of ours that no one else may write (made so if it is new)."""
    try:
        p.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = p.lstat()
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _trusted_file(p: Path, digest: str) -> bool:
    """p is our own regular file, writable by no one else, whose content hashes to the
    digest recorded beside it."""
    try:
        st = p.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or \
                st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
        recorded = p.with_suffix(".sha256").read_text(encoding="ascii").strip()
        return recorded == digest == hashlib.sha256(p.read_bytes()).hexdigest()
    except (OSError, UnicodeDecodeError):
        return False


def _key(cc: str, source: str) -> str:
    header, search = _runtime("search.h"), _runtime("search.c")
    return hashlib.sha256("\0".join((_compiler_id(cc), " ".join(FLAGS), header, search,
                                     source)).encode()).hexdigest()


def cached(source: str) -> Path | None:
    """The library of a generated model when the cache holds a trusted one."""
    folder = cache_dir()
    if not _private_dir(folder):
        return None
    lib = folder / f"{_key(compiler(), source)}.so"
    try:
        digest = lib.with_suffix(".sha256").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return lib if _trusted_file(lib, digest) else None


def build(source: str, budget: Budget | None = None) -> Path:
    """The shared library of a generated model (from the cache, or compiled now, within
    the check's time limit)."""
    found = cached(source)
    if found is not None:
        return found
    cc = compiler()
    header, search = _runtime("search.h"), _runtime("search.c")
    key = _key(cc, source)
    folder = cache_dir()
    cached_lib = folder / f"{key}.so"
    if not _private_dir(folder):  # not a private folder: build for this process only
        folder = Path(tempfile.mkdtemp(prefix="mnt-explorer-"))
        cached_lib = folder / f"{key}.so"
    left = budget.seconds_left() if budget is not None else None
    timeout = COMPILE_SECONDS if left is None else max(0.1, min(COMPILE_SECONDS, left))
    with tempfile.TemporaryDirectory(prefix="mnt-explorer-cc-") as tmp:
        t = Path(tmp)
        (t / "search.h").write_text(header, encoding="utf-8")
        (t / "search.c").write_text(search, encoding="utf-8")
        (t / "model.c").write_text(source, encoding="utf-8")
        out = t / "model.so"
        try:
            r = subprocess.run([cc, *FLAGS, "-o", str(out), str(t / "model.c")],
                               capture_output=True, text=True, timeout=timeout,
                               check=False, cwd=t)
        except subprocess.TimeoutExpired:
            if timeout < COMPILE_SECONDS and budget is not None:
                raise LimitReached(budget.time_reason()) from None
            raise BuildFailed(f"{cc} took more than {COMPILE_SECONDS} s") from None
        if r.returncode != 0:
            kept = Path(tempfile.mkdtemp(prefix="mnt-explorer-failed-"))
            for name in ("model.c", "search.h", "search.c"):
                shutil.copy(t / name, kept / name)
            raise BuildFailed(f"{cc} failed on the generated code (kept in {kept}):\n"
                              f"{r.stderr[-4000:]}")
        data = out.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        # in place atomically: a concurrent run sees the old entry or the new one
        part = cached_lib.with_suffix(f".{os.getpid()}.part")
        part.write_bytes(data)
        os.chmod(part, 0o700)
        sidecar_part = cached_lib.with_suffix(f".{os.getpid()}.sha")
        sidecar_part.write_text(digest + "\n", encoding="ascii")
        os.replace(sidecar_part, cached_lib.with_suffix(".sha256"))
        os.replace(part, cached_lib)
    return cached_lib


def load(path: Path) -> ctypes.CDLL:
    return ctypes.CDLL(str(path))
