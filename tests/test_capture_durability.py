"""The copying capture's durability step: one syncfs(2) of the bundle's filesystem, after
everything is written and before the bundle is renamed into place; a writeback error it
reports fails the capture and places nothing (issue 17)."""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

import pytest

from evidence import fsutil
from evidence.bundle.integrity import check_integrity
from evidence.capturing import pipeline
from evidence.capturing.pipeline import capture
from evidence.errors import InputError
from evidence.keys import SigningKey


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.bin").write_bytes(os.urandom(2000))
    return folder


def test_the_bundle_is_flushed_complete_before_it_is_placed(
        tmp_path: Path, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flush comes after the last file of the bundle is written and before the rename,
    on a descriptor of the bundle's own temporary folder."""
    out = tmp_path / "out"
    seen: list[tuple[str, bool, bool]] = []
    real = fsutil.sync_filesystem

    def recording(fd: int) -> None:
        folder = os.readlink(f"/proc/self/fd/{fd}")
        seen.append((folder, out.exists(), (Path(folder) / "tagmanifest-sha512.txt").exists()))
        real(fd)

    monkeypatch.setattr(pipeline, "sync_filesystem", recording)
    capture([_folder(tmp_path)], out=out, case="C", key=signing_key)
    assert len(seen) == 1
    folder, placed, complete = seen[0]
    assert Path(folder).name.startswith(".out.partial-") and not placed and complete
    assert check_integrity(out).intact


def test_a_writeback_error_fails_the_capture_and_places_nothing(
        tmp_path: Path, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(pipeline, "sync_filesystem", failing)
    with pytest.raises(InputError, match="could not be written to disk"):
        capture([_folder(tmp_path)], out=tmp_path / "out", case="C", key=signing_key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no bundle, no leftovers


def test_sync_filesystem_raises_what_syncfs_reports(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fsutil.sync_filesystem(fd)  # a real flush of a healthy filesystem: no error

        def syncfs(fd: int) -> int:
            ctypes.set_errno(errno.EIO)
            return -1

        monkeypatch.setattr(fsutil, "_libc", lambda name, *args: syncfs)
        with pytest.raises(OSError) as caught:
            fsutil.sync_filesystem(fd)
        assert caught.value.errno == errno.EIO
    finally:
        os.close(fd)
