"""The LALR parser's tables are built once and kept in the user's cache folder (private to
its owner); an entry that is damaged, built for something else or not safely ours is never
loaded, but built again."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.diagnostics import SpecError
from explorer.lang import parser as P

TEXT = "spec s\nvar x: 0..3\ninit { x = 0 }\naction a when x < 3 { x := x + 1 }\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    P._parser.cache_clear()
    yield tmp_path / "mnt-explorer"
    P._parser.cache_clear()  # the next test's parser comes from its own cache folder


class _NoBuild(P.Lark):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the parser was built, not loaded")


def _fresh(monkeypatch: pytest.MonkeyPatch, build: bool) -> P.Lark:
    P._parser.cache_clear()
    with monkeypatch.context() as m:
        if not build:
            m.setattr(P, "Lark", _NoBuild)
        return P._parser()


def test_the_parser_is_stored_privately_and_loaded(home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    built = P.parse_spec(TEXT)
    entry = home / P._CACHE_ENTRY
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert [p.name for p in home.iterdir()] == [P._CACHE_ENTRY]  # no temporary file left
    loaded = _fresh(monkeypatch, build=False)
    tree = loaded.parse(TEXT, start="start")
    assert P._ToSyntax().transform(tree) == built
    # positions survive the round trip (spans are out of equality)
    assert P._ToSyntax().transform(tree).decls[3].span == built.decls[3].span
    with pytest.raises(SpecError):
        P._parser.cache_clear()
        P.parse_spec("spec s\naction")  # errors are translated as before


@pytest.mark.parametrize("damage", ["garbage", "other_key", "group_writable", "symlink"])
def test_an_entry_not_to_trust_is_built_again(home: Path, monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path, damage: str) -> None:
    P._parser()
    entry = home / P._CACHE_ENTRY
    good = entry.read_bytes()
    key = good.split(b"\n", 1)[0]
    if damage == "garbage":
        entry.write_bytes(key + b"\nnot a pickle")
    elif damage == "other_key":
        entry.write_bytes(b"mnt-explorer parser 0000\n" + good.split(b"\n", 1)[1])
    elif damage == "group_writable":
        os.chmod(entry, 0o664)
    else:
        other = tmp_path / "elsewhere"
        other.write_bytes(good)
        entry.unlink()
        entry.symlink_to(other)
    if damage != "garbage":  # those are never loaded at all
        with pytest.raises(AssertionError, match="built, not loaded"):
            _fresh(monkeypatch, build=False)
    parser = _fresh(monkeypatch, build=True)
    assert parser.parse(TEXT, start="start") is not None
    # ... and stored anew, as a regular file of ours
    assert entry.read_bytes().split(b"\n", 1)[0] == key
    assert not entry.is_symlink() and stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert _fresh(monkeypatch, build=False) is not None


def test_a_folder_of_someone_else_is_not_used(home: Path, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    target = tmp_path / "shared"
    target.mkdir(mode=0o777)
    home.symlink_to(target)  # a symlink in place of the folder: not ours to trust
    assert P.parse_spec(TEXT).decls
    assert list(target.iterdir()) == []


def test_no_cache_folder_is_no_error(home: Path, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # no folder can be made
    assert P.parse_spec(TEXT).decls
    assert not home.exists()
