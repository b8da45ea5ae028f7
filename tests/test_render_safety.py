"""Writing into an output folder that a pull request may have filled (issue 15 §2, §5).

`explore render` and `--dump-states` never follow a symbolic link at the output folder or
below it (refused, exit 2, the link named), write every file atomically, and delete only
the files that the manifest of a previous render lists, by plain name. An output path that
is a file, or a folder that cannot be written, is a usage error (exit 2), not 255.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import outdir
from explorer.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests/golden/violation.mnt"  # one check with a counterexample: `bug`
WRITTEN = ["bug.dot", "bug.itf.json", "bug.json", "bug.txt"]  # with --no-views


def render(out: Path | str, *specs: Path | str, views: bool = False) -> tuple[int, str, str]:
    o, e = io.StringIO(), io.StringIO()
    argv = ["render", *map(str, specs or (SPEC,)), "--out", str(out)]
    code = main(argv + ([] if views else ["--no-views"]), stdout=o, stderr=e)
    return code, o.getvalue(), e.getvalue()


def tree(root: Path) -> dict[str, str]:
    """Every entry under root: a link as `-> target`, a file as its text."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = ("-> " + os.readlink(p) if p.is_symlink() else
                    "<dir>" if p.is_dir() else p.read_text(errors="replace"))
    return out


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------------
# Symbolic links are refused, wherever they are


def test_a_link_at_a_file_name_is_refused_and_its_target_unchanged(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "out/violation").mkdir(parents=True)
    link = tmp_path / "out/violation/bug.txt"
    link.symlink_to(victim)
    code, _, err = render(tmp_path / "out")
    assert code == 2
    assert f"{link} is a symbolic link" in err and "Traceback" not in err
    assert victim.read_text() == "precious\n" and link.is_symlink()


def test_a_linked_spec_folder_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "src"
    target.mkdir()
    (target / "main.c").write_text("int main;\n")
    (target / "bug.txt").write_text("mine\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out/violation").symlink_to(target)
    before = tree(target)
    code, _, err = render(tmp_path / "out")
    assert code == 2 and f"{tmp_path / 'out/violation'} is a symbolic link" in err
    assert tree(target) == before


def test_a_linked_spec_folder_is_refused_even_with_nothing_to_write(tmp_path: Path) -> None:
    # the spec's only check holds: nothing to draw, but the folder would be swept
    spec = tmp_path / "violation.mnt"
    spec.write_text(SPEC.read_text().replace(
        "check bug with buggy = true: expect violation mutual_exclusion in 4 steps\n", ""))
    target = tmp_path / "src"
    target.mkdir()
    (target / "bug.txt").write_text("mine\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out/violation").symlink_to(target)
    code, _, err = render(tmp_path / "out", spec)
    assert code == 2 and "is a symbolic link" in err
    assert tree(target) == {"bug.txt": "mine\n"}


def test_out_itself_a_link_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "out").symlink_to(target)
    for given in (tmp_path / "out", f"{tmp_path / 'out'}/"):  # a trailing / follows no link
        code, _, err = render(given)
        assert code == 2 and f"{tmp_path / 'out'} is a symbolic link" in err
        assert list(target.iterdir()) == []


def test_a_link_planted_after_the_check_is_replaced_not_followed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: a link appears between the check for one and the write. The write still
    cannot go through it (the temp file is renamed over the link; folders are opened with
    O_NOFOLLOW), so the safety does not rest on the check."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "src").mkdir()
    real = outdir.Folder._refuse_link

    def attacker_wins(self: outdir.Folder, name: str, e: OSError | None = None) -> None:
        if e is None and name == "bug.txt":  # only the check, which now misses the link
            os.symlink(victim, name, dir_fd=self.fd)
            return
        real(self, name, e)

    monkeypatch.setattr(outdir.Folder, "_refuse_link", attacker_wins)
    assert render(tmp_path / "out")[0] == 0
    f = tmp_path / "out/violation/bug.txt"
    assert not f.is_symlink() and "mutual_exclusion" in f.read_text()
    assert victim.read_text() == "precious\n"
    # a folder swapped for a link after mkdir is refused by its O_NOFOLLOW open
    real_mkdir = os.mkdir

    def mkdir_then_swap(path: str, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        real_mkdir(path, mode, dir_fd=dir_fd)
        if path == "violation":
            os.rmdir(path, dir_fd=dir_fd)
            os.symlink(tmp_path / "src", path, dir_fd=dir_fd)

    monkeypatch.setattr(outdir.os, "mkdir", mkdir_then_swap)
    code, _, err = render(tmp_path / "out2")
    assert code == 2 and "out2/violation is a symbolic link" in err
    assert list((tmp_path / "src").iterdir()) == []


# ---------------------------------------------------------------------------------------
# Only what a previous render wrote is deleted


def test_foreign_files_survive_a_render(tmp_path: Path) -> None:
    folder = tmp_path / "out/violation"
    folder.mkdir(parents=True)
    (folder / "notes.md").write_text("mine\n")
    (folder / "old.txt").write_text("mine too\n")  # a name render could write, not listed
    for _ in range(2):  # the second render reads the manifest the first wrote
        code, _, err = render(tmp_path / "out")
        assert code == 0
        assert (folder / "notes.md").read_text() == "mine\n"
        assert (folder / "old.txt").read_text() == "mine too\n"
        assert f"{folder}/: left 2 entries it did not write" in err
    assert (folder / outdir.MANIFEST).read_text().splitlines()[1:] == WRITTEN


def test_out_dot_spares_a_sibling_folder_named_like_the_spec(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`explore render src.mnt --out .` used to empty ./src/."""
    (tmp_path / "specs").mkdir()
    shutil.copy(SPEC, tmp_path / "specs/src.mnt")
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.c").write_text("int main;\n")
    (src / "Makefile").write_text("all:\n")
    (src / "lib").mkdir()
    monkeypatch.chdir(tmp_path)
    assert render(".", "specs/src.mnt")[0] == 0
    assert (src / "main.c").read_text() == "int main;\n"
    assert (src / "Makefile").read_text() == "all:\n" and (src / "lib").is_dir()
    assert listing(src) == sorted([outdir.MANIFEST, "Makefile", "lib", "main.c", *WRITTEN])


def test_a_hostile_manifest_deletes_nothing_it_should_not(tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = out / "violation"
    (folder / "a").mkdir(parents=True)
    (folder / "a/b").write_text("nested\n")
    (folder / "sub.txt").mkdir()  # a listed name that is a folder
    (folder / "foreign.txt").write_text("not listed\n")
    (folder / ".hidden.txt").write_text("hidden\n")
    (tmp_path / "x").write_text("outside\n")
    (out / "x.txt").write_text("beside\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (folder / "link.txt").symlink_to(victim)
    (folder / outdir.MANIFEST).write_text("\n".join([
        "../x", "../x.txt", str(victim), str(tmp_path / "x"), "a/b", "a", "link.txt",
        "sub.txt", ".hidden.txt", ".", "..", "", "foreign.txt\0", " foreign.txt",
        "../violation/foreign.txt"]) + "\n")
    before = tree(tmp_path)
    assert render(out)[0] == 0
    after = tree(tmp_path)
    written = {f"out/violation/{n}" for n in [*WRITTEN, outdir.MANIFEST]}
    assert {k: v for k, v in after.items() if k not in written} == \
        {k: v for k, v in before.items() if k not in written}
    assert (folder / outdir.MANIFEST).read_text().splitlines()[1:] == WRITTEN


def test_files_a_previous_render_wrote_are_deleted_when_no_longer_written(
        tmp_path: Path) -> None:
    spec = tmp_path / "violation.mnt"
    two = SPEC.read_text() + \
        "check bug2 with buggy = true: expect violation mutual_exclusion in 4 steps\n"
    spec.write_text(two)
    folder = tmp_path / "out/violation"
    dot = shutil.which("dot") is not None
    assert render(tmp_path / "out", spec, views=dot)[0] == 0
    assert "bug2.txt" in listing(folder) and ("bug2.svg" in listing(folder)) == dot
    (folder / "notes.md").write_text("mine\n")
    spec.write_text(SPEC.read_text())  # bug2 is gone from the spec
    assert render(tmp_path / "out", spec)[0] == 0  # and no views this time
    assert listing(folder) == sorted([outdir.MANIFEST, "notes.md", *WRITTEN])
    # a spec left with no counterexample: its files go, the folder and foreign files stay
    spec.write_text(SPEC.read_text().replace(
        "check bug with buggy = true: expect violation mutual_exclusion in 4 steps\n", ""))
    assert render(tmp_path / "out", spec)[0] == 0
    assert listing(folder) == [outdir.MANIFEST, "notes.md"]
    assert (folder / outdir.MANIFEST).read_text() == outdir.MANIFEST_HEADER


def test_a_spec_named_dot_dot_cannot_climb_out(tmp_path: Path) -> None:
    spec = tmp_path / "...mnt"  # its stem is `..`
    shutil.copy(SPEC, spec)
    (tmp_path / "out").mkdir()
    code, _, err = render(tmp_path / "out", spec)
    assert code == 2 and "not the name of a file or folder inside the output folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["...mnt", "out"]


# ---------------------------------------------------------------------------------------
# Atomic writes


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "out/violation"
    assert render(tmp_path / "out")[0] == 0
    old = (folder / "bug.txt").read_text()
    (folder / "bug.txt").write_text("the previous render\n")
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[:10]))  # part of the file reaches the disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outdir.os, "write", disk_full)
    code, _, err = render(tmp_path / "out")
    assert code == 2
    assert f"cannot write {folder / 'bug.txt'}: No space left on device" in err
    assert (folder / "bug.txt").read_text() == "the previous render\n"
    assert listing(folder) == sorted([outdir.MANIFEST, *WRITTEN])  # no temp file
    monkeypatch.undo()
    assert render(tmp_path / "out")[0] == 0 and (folder / "bug.txt").read_text() == old


def test_an_interrupted_write_leaves_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int, data: bytes) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(outdir.os, "write", interrupted)
    assert render(tmp_path / "out")[0] == 3
    assert listing(tmp_path / "out/violation") == []  # not even the manifest


def test_a_render_stopped_half_way_leaves_no_file_of_its_own_unlisted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "violation.mnt"
    spec.write_text(SPEC.read_text() +
                    "check bug2 with buggy = true: expect violation mutual_exclusion in 4 steps\n")
    real = outdir.Folder.write

    def ctrl_c_at_bug2_json(self: outdir.Folder, name: str, data: bytes | str) -> None:
        if name == "bug2.json":
            raise KeyboardInterrupt
        real(self, name, data)

    monkeypatch.setattr(outdir.Folder, "write", ctrl_c_at_bug2_json)
    assert render(tmp_path / "out", spec)[0] == 3
    folder = tmp_path / "out/violation"
    assert "bug2.txt" in listing(folder)
    assert "bug2.txt" in (folder / outdir.MANIFEST).read_text().splitlines()
    monkeypatch.undo()
    spec.write_text(SPEC.read_text())  # bug2 is gone: the next render deletes its file
    assert render(tmp_path / "out", spec)[0] == 0
    assert listing(folder) == sorted([outdir.MANIFEST, *WRITTEN])


# ---------------------------------------------------------------------------------------
# An output that cannot be written: exit 2, the path named


def test_out_a_regular_file_is_a_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "out"
    f.write_text("a file\n")
    code, _, err = render(f)
    assert code == 2 and f"cannot write {f}: it is not a folder" in err
    assert f.read_text() == "a file\n"
    code, _, err = render(f / "sub")  # below a file
    assert code == 2 and f"cannot write {f / 'sub'}: {f} is not a folder" in err
    (tmp_path / "d").mkdir()
    (tmp_path / "d/violation").write_text("a file where the spec's folder goes\n")
    code, _, err = render(tmp_path / "d")
    assert code == 2 and f"cannot write {tmp_path / 'd/violation'}: it is not a folder" in err


def test_out_a_folder_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    cmd = [sys.executable, "-m", "explorer", "render", str(SPEC), "--out", str(ro / "out"),
           "--no-views"]
    if os.geteuid() != 0:
        ro.chmod(0o555)
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        ro.chmod(0o755)
        reason = "Permission denied"
    else:  # root writes anywhere it has permission bits for: use a read-only mount
        if shutil.which("unshare") is None:
            pytest.skip("root, and no unshare for a read-only mount")
        script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 99; '
                  'shift; exec "$@"')
        r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(ro), *cmd],
                           cwd=ROOT, capture_output=True, text=True)
        if r.returncode == 99 or "unshare:" in r.stderr:
            pytest.skip(f"no read-only mount here: {r.stderr.strip()}")
        reason = "Read-only file system"
    assert r.returncode == 2, r.stderr
    assert f"cannot write {ro / 'out'}: {reason}" in r.stderr
    assert list(ro.iterdir()) == []


# ---------------------------------------------------------------------------------------
# --dump-states FILE.dot goes through the same module


def dump(path: Path | str) -> tuple[int, str]:
    e = io.StringIO()
    code = main([str(ROOT / "specs/examples/mutex.mnt"), "--check", "fixed", "--dump-states",
                 str(path), "-q"], stdout=io.StringIO(), stderr=e)
    return code, e.getvalue()


def test_dump_states_refuses_a_link_and_writes_atomically(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "g.dot").symlink_to(victim)
    code, err = dump(tmp_path / "g.dot")
    assert code == 2 and f"--dump-states: {tmp_path / 'g.dot'} is a symbolic link" in err
    assert victim.read_text() == "precious\n"
    (tmp_path / "g.dot").unlink()
    assert dump(tmp_path / "g.dot")[0] == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph states {")

    def disk_full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outdir.os, "write", disk_full)
    code, err = dump(tmp_path / "g.dot")
    assert code == 2 and "No space left on device" in err
    assert (tmp_path / "g.dot").read_text().startswith("digraph states {")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "victim.txt"]


def test_dump_states_to_a_folder_or_a_missing_one_is_a_usage_error(tmp_path: Path) -> None:
    code, err = dump(tmp_path)
    assert code == 2 and f"cannot write {tmp_path}" in err
    code, err = dump(f"{tmp_path}/")
    assert code == 2 and "it is a folder" in err
    code, err = dump(tmp_path / "missing/g.dot")
    assert code == 2 and f"{tmp_path / 'missing'}: No such file or directory" in err
