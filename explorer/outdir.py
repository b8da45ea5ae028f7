"""Writing into an output folder that may hold hostile entries (every file explore writes).

An output folder can come from a pull request (`counterexamples/` is committed), so a
symbolic link may be planted anywhere in it. Here:
- no symbolic link is ever followed at the output folder itself, in the folders below it, or
  at a file name: each is opened relative to its parent's descriptor (O_NOFOLLOW, dir_fd),
  so a link planted between a check and a use cannot redirect the write; a link found is
  refused with an OutputError that names it. The folders above the output folder are the
  user's own path and are followed as usual;
- each file is written atomically: a temp file created with O_EXCL|O_NOFOLLOW in the same
  folder, then renamed over its name (rename replaces a link, never writes through it); a
  failure removes the temp file;
- a ManagedFolder deletes only files that its manifest says an earlier run wrote, by plain
  name, with unlinkat (which removes a link, never its target). The manifest is untrusted
  too: a name that is not plain, or not of the form the caller accepts, is ignored.

Imports nothing from explorer: every layer that writes may use it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from types import TracebackType

MANIFEST = ".explore-manifest"
MANIFEST_HEADER = ("# the files `explore render` wrote here: the next render deletes those it no "
                   "longer writes, and no other file\n")
MAX_MANIFEST = 1 << 20  # bytes read from a manifest; a committed one may be huge
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class OutputError(Exception):
    """A path under the output folder cannot be written safely: a symbolic link, not a
    folder, no permission, or the write failed. The message names the path."""


def _single(name: str) -> bool:
    """A name of an entry in its folder: one component, neither `.` nor `..`."""
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _plain(name: str) -> bool:
    """A name a manifest may list: a single component that is not hidden."""
    return _single(name) and not name.startswith(".")


class Folder:
    """An open folder (a descriptor); every operation is relative to it and follows no
    symbolic link. `path` is for messages only."""

    def __init__(self, fd: int, path: str) -> None:
        self.fd, self.path = fd, path

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _name(self, name: str) -> str:
        return os.path.join(self.path, name)

    def _check(self, name: str) -> None:
        if not _single(name):
            raise OutputError(f"cannot write {self._name(name)}: not the name of a file or "
                              "folder inside the output folder")

    def _refuse_link(self, name: str, e: OSError | None = None) -> None:
        """Raise the clearest OutputError for `name` (after `e`, an error using it)."""
        where = self._name(name)
        try:
            st = os.lstat(name, dir_fd=self.fd)
        except OSError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            raise OutputError(f"{where} is a symbolic link; explore writes through no link "
                              "(remove it)") from None
        if e is None:
            return
        if st is not None and e.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a folder"
            raise OutputError(f"cannot write {where}: it is {kind}") from None
        raise OutputError(f"cannot write {where}: {e.strerror or e}") from None

    def sub(self, name: str, create: bool = True, top: bool = False) -> Folder:
        """The folder `name` in this one, made when missing (with `create`). `top`: the
        output folder itself, which may be given as `.` or `..` (never links)."""
        if not (top and name in (".", "..")):
            self._check(name)
        if create:
            try:
                os.mkdir(name, dir_fd=self.fd)
            except FileExistsError:
                pass
            except OSError as e:
                self._refuse_link(name, e)
        try:
            return Folder(os.open(name, _DIR_FLAGS, dir_fd=self.fd), self._name(name))
        except OSError as e:
            self._refuse_link(name, e)
            raise  # unreachable: _refuse_link raised

    def _lstat(self, name: str) -> os.stat_result | None:
        """What `name` is (a link as a link); None when there is nothing."""
        try:
            return os.lstat(name, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise OutputError(f"cannot read {self._name(name)}: {e.strerror or e}") from None

    def exists(self, name: str) -> bool:
        return self._lstat(name) is not None

    def write(self, name: str, data: bytes | str) -> None:
        """Write `name` atomically (a temp file in this folder renamed over it). A symbolic
        link at `name` is refused; anything else there is replaced."""
        self._check(name)
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._refuse_link(name)  # for the message; the rename below never follows one
        tmp, fd = self._temp(name)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.close(fd)
            fd = -1
            os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException as e:
            if fd >= 0:
                os.close(fd)
            try:
                os.unlink(tmp, dir_fd=self.fd)
            except OSError:
                pass
            if isinstance(e, OSError):
                self._refuse_link(name, e)
            raise

    def _temp(self, name: str) -> tuple[str, int]:
        """A new hidden file next to `name`, opened for writing."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        for _ in range(100):
            tmp = f".explore-{os.urandom(6).hex()}.tmp"  # short: `name` may be long
            try:
                return tmp, os.open(tmp, flags, 0o666, dir_fd=self.fd)
            except FileExistsError:
                continue
            except OSError as e:
                self._refuse_link(name, e)
        raise OutputError(f"cannot write {self._name(name)}: no free temporary name")

    def read(self, name: str, limit: int) -> bytes | None:
        """At most `limit` bytes of the regular file `name`; None when there is none. A
        symbolic link is refused."""
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
                         | getattr(os, "O_NONBLOCK", 0), dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as e:
            self._refuse_link(name, e)
            raise
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            chunks, left = [], limit
            while left > 0 and (chunk := os.read(fd, min(left, 1 << 16))):
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def remove(self, name: str) -> bool:
        """Delete `name` when it is a regular file (unlinkat: a link that replaced it is
        removed itself, its target untouched). Whether a file was deleted."""
        self._check(name)
        st = self._lstat(name)
        if st is None or not stat.S_ISREG(st.st_mode):
            return False
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            return False
        except OSError as e:
            raise OutputError(f"cannot delete {self._name(name)}: {e.strerror or e}") from None
        return True

    def names(self) -> list[str]:
        try:
            return os.listdir(self.fd)
        except OSError as e:
            raise OutputError(f"cannot read {self.path}: {e.strerror or e}") from None


def _split(path: str) -> tuple[str, str]:
    """The parent of `path` (followed as usual) and its last component (opened without
    following). `a/b/` is `a` and `b`; `/` is `/` and `.`."""
    trimmed = path.rstrip("/") or "/"
    if trimmed == "/":
        return "/", "."
    parent, name = os.path.split(trimmed)
    return parent or ".", name


def _shown_parent(path: str) -> str:
    """The parent as messages show it: joined with a name, it gives `path` back."""
    return os.path.dirname(path.rstrip("/"))


def _open_parent(parent: str, shown: str, create: bool) -> int:
    try:
        if create:
            os.makedirs(parent, exist_ok=True)
        return os.open(parent, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except FileExistsError:
        raise OutputError(f"cannot write {shown}: {parent} is not a folder") from None
    except OSError as e:
        raise OutputError(f"cannot write {shown}: {parent}: {e.strerror or e}") from None


def open_folder(path: str) -> Folder:
    """The output folder `path`, made (with its parents) when missing. `path` itself must
    not be a symbolic link; the folders above it are followed."""
    parent, name = _split(path)
    with Folder(_open_parent(parent, path, True), _shown_parent(path)) as p:
        f = p.sub(name, top=True)
    f.path = path.rstrip("/") or "/"
    return f


def write_file(path: str, data: bytes | str) -> None:
    """Write the file `path` atomically; its folder must exist, and `path` must not be a
    symbolic link."""
    parent, name = _split(path)
    if path.endswith("/") or name in (".", ".."):
        raise OutputError(f"cannot write {path}: it is a folder")
    with Folder(_open_parent(parent, path, False), _shown_parent(path)) as p:
        p.write(name, data)


class ManagedFolder:
    """A folder in which a run replaces what the previous run wrote: it writes files,
    then `finish` deletes the files the manifest lists that were not written again, and
    lists the new ones. Files not in the manifest (foreign files) are never deleted.

    A name is added to the manifest before its file is first written, so that a run
    stopped half way leaves no file of ours unlisted (the next run can still delete it)."""

    def __init__(self, folder: Folder, accept: re.Pattern[str]) -> None:
        self.folder, self.accept = folder, accept
        self.written: set[str] = set()
        self.previous = self._read_manifest()
        self.listed = set(self.previous)  # what the manifest on disk lists

    def _read_manifest(self) -> set[str]:
        raw = self.folder.read(MANIFEST, MAX_MANIFEST + 1)
        if raw is None:
            return set()
        lines = raw[:MAX_MANIFEST].decode("utf-8", "replace").split("\n")
        if len(raw) > MAX_MANIFEST:
            lines.pop()  # cut short: its last line may be part of a name
        return {x for x in lines if self._acceptable(x)}

    def _acceptable(self, name: str) -> bool:
        return _plain(name) and self.accept.fullmatch(name) is not None

    def _list(self, names: set[str]) -> None:
        self.folder.write(MANIFEST, MANIFEST_HEADER + "".join(f"{n}\n" for n in sorted(names)))
        self.listed = names

    def write(self, name: str, data: bytes | str) -> None:
        if not self._acceptable(name):
            raise ValueError(f"not a name this folder keeps: {name!r}")
        if name not in self.listed:
            self._list(self.listed | {name})
        self.folder.write(name, data)
        self.written.add(name)

    def finish(self) -> int:
        """Delete the stale files, write the manifest. The number of foreign entries left."""
        for name in sorted(self.listed - self.written):
            self.folder.remove(name)
        self._list(set(self.written))
        return sum(1 for n in self.folder.names() if n != MANIFEST and n not in self.written)
