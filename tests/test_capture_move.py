"""``capture(..., move=True)`` / ``evidence capture --move``: files renamed into the bundle,
never copied; the same bundle bytes as a copying capture; every failure puts the files
back; a crash is undone by ``recover_moved`` / ``evidence capture-recover``."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path

import pytest

from evidence.bundle import custody
from evidence.bundle.integrity import check_integrity
from evidence.bundle.layout import SALT_BYTES
from evidence.capturing import copier, record_items
from evidence.capturing import move as move_module
from evidence.capturing import pipeline as capturing
from evidence.capturing.move import MOVE_PLAN_FILE, recover_moved
from evidence.capturing.pipeline import capture
from evidence.errors import BundleExistsError, EvidenceError, InputError
from evidence.keys import SigningKey
from evidence.standards.jcs import canonicalize

from .conftest import EXAMPLES, run_cli
from .hardening.conftest import PARTIAL_RE


def _inputs(root: Path) -> Path:
    """Nested files of many sizes (one over a chunk), an image, an empty file."""
    folder = root / "shots"
    (folder / "z" / "deep").mkdir(parents=True)
    (folder / "a").mkdir()
    for i in range(12):
        (folder / ("a" if i % 2 else "z/deep") / f"f{i:02d}.bin").write_bytes(
            os.urandom((i * 7919) % 100_000))
    (folder / "big.bin").write_bytes(os.urandom(copier.CHUNK_BYTES + 777))
    (folder / "chat.png").write_bytes((EXAMPLES / "screenshots" / "chat-1.png").read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    return folder


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _partials(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if PARTIAL_RE.fullmatch(p.name)]


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Salts and clock fixed, so two captures of the same files give the same bytes."""
    def salts() -> object:
        for n in itertools.count():
            yield f"{n:0{2 * SALT_BYTES}x}"

    monkeypatch.setattr(record_items, "_salts", salts)
    monkeypatch.setattr(capturing, "utc_now", lambda: "2026-01-02T03:04:05Z")
    monkeypatch.setattr(custody, "utc_now", lambda: "2026-01-02T03:04:05Z")


def test_moved_bundle_equals_copied_bundle(tmp_path: Path, signing_key: SigningKey,
                                           pinned: None) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    csv = tmp_path / "orders.csv"
    csv.write_text("id,amount\n1,2.50\n2,3.00\n", encoding="utf-8")
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    copied = capture([folder], records=[csv], out=copy_dir / "bundle", case="C", key=signing_key)
    assert copied.moved_count == 0
    assert _files(folder) == original  # copying leaves the sources alone

    move_dir = tmp_path / "move"
    move_dir.mkdir()
    moved = capture([folder], records=[csv], out=move_dir / "bundle", case="C", key=signing_key,
                    move=True)
    assert moved.moved_count == len(original) == moved.file_count - 1
    assert moved.root == copied.root
    assert _files(move_dir / "bundle") == _files(copy_dir / "bundle")
    # the sources are gone (their folders stay), the export is still there
    assert [p for p in folder.rglob("*") if p.is_file()] == []
    assert csv.exists()
    bag_files = {rel.removeprefix("data/files/shots/"): data
                 for rel, data in _files(move_dir / "bundle").items()
                 if rel.startswith("data/files/shots/")}
    assert bag_files == original
    assert check_integrity(move_dir / "bundle").intact
    assert not (move_dir / "bundle" / MOVE_PLAN_FILE).exists()
    assert sorted(p.name for p in move_dir.iterdir()) == ["bundle"]  # no plan, no partial
    tag_manifest = (move_dir / "bundle" / "tagmanifest-sha256.txt").read_text()
    assert MOVE_PLAN_FILE not in tag_manifest


def test_moved_files_keep_their_inode(tmp_path: Path, signing_key: SigningKey) -> None:
    """Renamed, not copied: the bundle's file is the very inode the source was."""
    src = tmp_path / "photo.bin"
    src.write_bytes(os.urandom(5000))
    inode = src.stat().st_ino
    capture([src], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert not src.exists()
    assert (tmp_path / "b" / "data" / "files" / "photo.bin").stat().st_ino == inode


def test_cli_move_and_offline_verify(workspace: Path, tmp_path: Path) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    out = tmp_path / "bundle"
    res = run_cli("capture", "--move", str(folder), "--case", "CLI-MOVE", "-o", str(out),
                  cwd=workspace)
    assert res.returncode == 0, res.stderr
    assert f"moved {len(original)} files into the bundle" in res.stdout
    assert not any(p.is_file() for p in folder.rglob("*"))
    res = run_cli("verify", "--offline", str(out), cwd=workspace)
    assert res.returncode in (0, 1), res.stdout + res.stderr  # offline: never presumed
    assert "bag-" not in res.stdout and "mismatch" not in res.stdout, res.stdout
    assert check_integrity(out).intact
    help_text = run_cli("capture", "--help", cwd=workspace).stdout
    # the help wraps to the terminal's width, and may break the name at its hyphen
    assert "evidencecapture-recover" in "".join(help_text.split())


class Boom(Exception):
    pass


def test_failure_while_hashing_puts_every_file_back(tmp_path: Path, signing_key: SigningKey,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    real = copier._read_and_hash
    calls = itertools.count(1)

    def third_fails(*args: object, **kw: object) -> object:
        if next(calls) == 3:
            raise Boom("disk read error")
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(copier, "_read_and_hash", third_fails)
    with pytest.raises(Boom):
        capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert _files(folder) == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no partial, no plan


def test_bad_export_puts_every_file_back(tmp_path: Path, signing_key: SigningKey) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    bad = tmp_path / "orders.json"
    bad.write_text('[{"a": 1}, {"a": ', encoding="utf-8")
    with pytest.raises(InputError):
        capture([folder], records=[bad], out=tmp_path / "b", case="C", key=signing_key,
                move=True)
    assert _files(folder) == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "orders.json"]


def test_interrupt_while_moving_in_puts_every_file_back(
        tmp_path: Path, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C between two renames: the files moved so far go back."""
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    real_rename = copier.rename_noreplace
    calls = itertools.count(1)

    def interrupted(src: str, dst: str) -> None:
        if next(calls) == 5:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(copier, "rename_noreplace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    monkeypatch.undo()
    assert _files(folder) == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_source_taken_again_keeps_partial_and_names_recovery(
        tmp_path: Path, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """If a moved file cannot go back (its path was taken meanwhile), nothing is
    overwritten or deleted: the error names the folder and the recovery command."""
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    victim = folder / "big.bin"

    def fail_and_take(*_a: object, **_k: object) -> None:
        victim.write_bytes(b"a new file at the old path")
        raise Boom("late failure")

    monkeypatch.setattr(capturing, "write_index", fail_and_take)
    with pytest.raises(EvidenceError, match="capture-recover") as err:
        capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert isinstance(err.value.__cause__, Boom)
    [partial] = _partials(tmp_path)
    assert str(partial) in str(err.value)
    assert victim.read_bytes() == b"a new file at the old path"
    with pytest.raises(InputError, match="exists again"):
        recover_moved(partial)
    victim.unlink()
    assert recover_moved(partial) == 1
    assert _files(folder) == original
    assert _partials(tmp_path) == []


def test_taken_bundle_path_is_never_replaced(tmp_path: Path, signing_key: SigningKey,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A file already at a moved file's bundle path (two names differing only in case, on
    a filesystem that ignores case) is not replaced: the capture fails, everything goes
    back."""
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    real_rename = copier.rename_noreplace

    def taken(src: str, dst: str) -> None:
        if src.endswith("f07.bin") and "partial" in dst:  # moving in, not back
            Path(dst).write_bytes(b"already here")
        real_rename(src, dst)

    monkeypatch.setattr(copier, "rename_noreplace", taken)
    with pytest.raises(InputError, match=r"f07\.bin: .* is taken by another file"):
        capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert _files(folder) == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


# --- refusals: checked before anything moves ----------------------------------------------------


def test_refuses_another_filesystem(tmp_path: Path, signing_key: SigningKey,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    out = tmp_path / "b"
    real = move_module._device  # the output's folder seen on another device than the files
    monkeypatch.setattr(move_module, "_device", lambda p: real(p) + 1)
    with pytest.raises(InputError, match="not on the filesystem") as err:
        capture([folder], out=out, case="C", key=signing_key, move=True)
    assert "\n" not in str(err.value)
    assert _files(folder) == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    # copying does not care
    capture([folder], out=out, case="C", key=signing_key)
    assert _files(folder) == original


def test_symlink_not_followed(tmp_path: Path, signing_key: SigningKey) -> None:
    target = tmp_path / "target.bin"
    target.write_bytes(b"the target")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    with pytest.raises(InputError, match="nothing to capture"):
        capture([link], out=tmp_path / "b", case="C", key=signing_key, move=True)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "real.bin").write_bytes(b"real")
    (folder / "link.bin").symlink_to(target)
    result = capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert result.moved_count == 1
    assert any("symbolic link not followed" in w for w in result.warnings)
    assert (folder / "link.bin").is_symlink() and target.read_bytes() == b"the target"
    assert not (folder / "real.bin").exists()


def test_hard_link_warned(tmp_path: Path, signing_key: SigningKey) -> None:
    src = tmp_path / "photo.bin"
    src.write_bytes(b"bytes")
    os.link(src, tmp_path / "other-name.bin")
    result = capture([src], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert any("other hard link" in w for w in result.warnings)


def test_refuses_existing_out(tmp_path: Path, signing_key: SigningKey) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    (tmp_path / "b").mkdir()
    with pytest.raises(BundleExistsError):
        capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert _files(folder) == original


def test_refuses_unwritable_folder_and_duplicates(tmp_path: Path, signing_key: SigningKey,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    with pytest.raises(InputError, match="same file"):
        capture([folder, folder / "big.bin"], out=tmp_path / "b", case="C", key=signing_key,
                move=True)
    with pytest.raises(InputError, match="both as a file to move and as --records"):
        csv = folder / "a" / "x.csv"
        csv.write_text("id\n1\n", encoding="utf-8")
        capture([folder], records=[csv], out=tmp_path / "b", case="C", key=signing_key,
                move=True)
    csv.unlink()
    real_access = os.access
    with monkeypatch.context() as m:  # a read-only folder (root could rename anyway)
        m.setattr(capturing.os, "access", lambda p, mode: real_access(p, mode) and not (
            os.path.basename(p) == "a" and mode & os.W_OK))
        with pytest.raises(InputError, match="does not let us rename"):
            capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    with monkeypatch.context() as m:  # an unreadable file
        m.setattr(capturing.os, "access", lambda p, mode: real_access(p, mode) and not (
            str(p).endswith("f03.bin") and mode & os.R_OK))
        with pytest.raises(InputError, match="permission denied"):
            capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    assert _files(folder) == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


# --- recovery after a crash ---------------------------------------------------------------------


class Killed(BaseException):
    """Stands for SIGKILL: the capture stops where it is, with no clean-up."""


def _crash_at(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Make the capture die at ``where`` and skip its clean-up, leaving what a kill would."""
    def die(*_a: object, **_k: object) -> None:
        raise Killed

    monkeypatch.setattr(capturing, where, die)
    monkeypatch.setattr(capturing, "undo_moves", die)
    monkeypatch.setattr(capturing.shutil, "rmtree", lambda *_a, **_k: None)


@pytest.mark.parametrize("where", ["write_index", "write_tag_manifests"])
def test_recover_after_crash(tmp_path: Path, signing_key: SigningKey,
                             monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Killed while hashing (plan inside the folder) or at the very end (plan beside it)."""
    folder = _inputs(tmp_path / "in")
    single = tmp_path / "alone.txt"
    single.write_bytes(b"a file given by itself\n")
    original = _files(folder)
    _crash_at(monkeypatch, where)
    with pytest.raises(Killed):
        capture([folder, single], out=tmp_path / "b", case="C", key=signing_key, move=True)
    monkeypatch.undo()
    [partial] = _partials(tmp_path)
    assert not single.exists() and _files(folder) == {}
    plan_inside = (partial / MOVE_PLAN_FILE).exists()
    assert plan_inside == (where == "write_index")
    plan_path = partial / MOVE_PLAN_FILE if plan_inside else \
        tmp_path / f"{partial.name}.{MOVE_PLAN_FILE}"
    plan = json.loads(plan_path.read_bytes())
    assert canonicalize(plan) == plan_path.read_bytes()  # RFC 8785
    assert [os.path.isabs(s) for s, _ in plan["files"]] == [True] * (len(original) + 1)

    # one source path taken again: refused, nothing moved
    single.write_bytes(b"someone else")
    with pytest.raises(InputError, match="exists again"):
        recover_moved(partial)
    assert _files(folder) == {}
    single.unlink()
    shutil.rmtree(folder / "z")  # a source folder removed meanwhile is made again
    assert recover_moved(partial) == len(original) + 1
    assert _files(folder) == original
    assert single.read_bytes() == b"a file given by itself\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone.txt", "in"]


def test_recover_cli_and_refusals(workspace: Path, tmp_path: Path, signing_key: SigningKey,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _inputs(tmp_path / "in")
    original = _files(folder)
    _crash_at(monkeypatch, "write_index")
    with pytest.raises(Killed):
        capture([folder], out=tmp_path / "b", case="C", key=signing_key, move=True)
    monkeypatch.undo()
    [partial] = _partials(tmp_path)
    res = run_cli("capture-recover", str(partial), cwd=workspace)
    assert res.returncode == 0, res.stderr
    assert f"moved {len(original)} files back" in res.stdout
    assert _files(folder) == original
    assert not partial.exists()

    # not a partial folder, or one without a plan (a copying capture's): refused, kept
    res = run_cli("capture-recover", str(folder), cwd=workspace)
    assert res.returncode == 2 and "not the temporary folder" in res.stderr
    copy_partial = tmp_path / ".c.partial-0123abcd"
    copy_partial.mkdir()
    with pytest.raises(InputError, match=r"no move-plan\.json"):
        recover_moved(copy_partial)
    assert copy_partial.is_dir()
    (copy_partial / MOVE_PLAN_FILE).write_text('{"type":"evidence-move-plan","version":1,'
                                               '"files":[["/x","data/../../etc"]]}')
    with pytest.raises(InputError, match="bad entry"):
        recover_moved(copy_partial)


def test_refuses_to_take_files_out_of_a_bundle(tmp_path: Path, signing_key: SigningKey) -> None:
    """Captured evidence is never lost: --move refuses a file inside an existing bundle (or
    a disclosure package), given alone or as part of the whole bundle folder."""
    folder = _inputs(tmp_path / "in")
    bundle = tmp_path / "b"
    capture([folder], out=bundle, case="C", key=signing_key)
    before = _files(bundle)
    for given in (bundle / "data" / "files" / "shots" / "chat.png", bundle / "data", bundle):
        with pytest.raises(InputError, match=r"inside the evidence bundle .*nothing was moved"):
            capture([given], out=tmp_path / "again", case="C", key=signing_key, move=True)
        assert _files(bundle) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "in"]
    assert check_integrity(bundle).intact
    capture([bundle / "data"], out=tmp_path / "copy", case="C", key=signing_key)  # copying is fine
    assert _files(bundle) == before
