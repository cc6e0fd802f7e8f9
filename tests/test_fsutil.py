"""evidence.fsutil: the rename that never replaces, with and without renameat2(2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evidence import fsutil


@pytest.fixture(params=["renameat2", "check-then-rename"])
def variant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "check-then-rename":
        monkeypatch.setattr(fsutil, "_libc_renameat2", lambda: None)
    elif not fsutil._libc_renameat2():
        pytest.skip("no renameat2 in this C library")
    return str(request.param)


def test_rename_noreplace_moves_to_a_free_name(tmp_path: Path, variant: str) -> None:
    src, dst = tmp_path / "a", tmp_path / "sub" / "b"
    dst.parent.mkdir()
    src.write_bytes(b"evidence")
    inode = src.stat().st_ino
    fsutil.rename_noreplace(str(src), str(dst))
    assert not src.exists() and dst.read_bytes() == b"evidence"
    assert dst.stat().st_ino == inode


@pytest.mark.parametrize("taken_by", ["file", "folder", "dangling link"])
def test_rename_noreplace_never_replaces(tmp_path: Path, variant: str, taken_by: str) -> None:
    src, dst = tmp_path / "a", tmp_path / "b"
    src.write_bytes(b"evidence")
    if taken_by == "file":
        dst.write_bytes(b"other")
    elif taken_by == "folder":
        dst.mkdir()
    else:
        dst.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        fsutil.rename_noreplace(str(src), str(dst))
    assert src.read_bytes() == b"evidence"
    assert os.path.lexists(dst)
    if taken_by == "file":
        assert dst.read_bytes() == b"other"


def test_rename_noreplace_reports_a_missing_source(tmp_path: Path, variant: str) -> None:
    with pytest.raises(FileNotFoundError):
        fsutil.rename_noreplace(str(tmp_path / "gone"), str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_flush_filesystem_accepts_any_open_folder(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fsutil.flush_filesystem(fd)  # a hint: returns, whatever the platform
    finally:
        os.close(fd)
