"""The per-user cache of what the front end builds once and keeps across runs: today the
LALR parser's tables (parser.py), which take longer to build than a small spec to check.

Entries live in `$XDG_CACHE_HOME/mnt-explorer` (`~/.cache/mnt-explorer` by default), a
folder that only its owner may enter. An entry is read only from that folder, only if it is
a regular file of ours that no one else may write, and only if its first line is the key
the caller expects (which names everything the entry was built from); anything else, or an
entry that fails to load, is built again and rewritten. Writes go to a private temporary
file renamed into place, so that concurrent runs never read half an entry. A cache that
cannot be used (no home, a read-only disk, a folder of someone else's) is no error: the
caller builds what it needs in memory.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

NAME = "mnt-explorer"


def folder() -> Path | None:
    """The cache folder, made private if it is ours; None when there is none to use."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    path = os.path.join(base, NAME)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            return None  # a symlink, or someone else's: not ours to trust
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        return None
    return Path(path)


def read(name: str, key: str) -> bytes | None:
    """The entry's content after its key line, or None if there is no such entry of ours
    built for this key."""
    where = folder()
    if where is None:
        return None
    try:
        fd = os.open(where / name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid()
                or stat.S_IMODE(st.st_mode) & 0o022):
            return None
        if f.readline() != key.encode() + b"\n":
            return None
        return f.read()


def write(name: str, key: str, content: bytes) -> None:
    """Store the entry (best effort: a cache that cannot be written is no error)."""
    where = folder()
    if where is None:
        return
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=where)  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(key.encode() + b"\n")
            f.write(content)
        os.replace(tmp, where / name)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
