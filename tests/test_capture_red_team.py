"""Red-team check of the capture's final rename: a folder that appears at the output path
after the last check and before the rename is never replaced (the bundle is not placed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evidence.capturing.pipeline import capture
from evidence.errors import BundleExistsError
from evidence.keys import SigningKey


def test_a_folder_appearing_just_before_the_rename_is_not_replaced(
        tmp_path: Path, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.bin").write_bytes(os.urandom(100))
    out = tmp_path / "out"
    real = Path.is_symlink

    def racing(self: Path) -> bool:
        # another process creates an (empty) folder at ``out`` right after the check
        answer = real(self)
        built = any(tmp_path.glob(".out.partial-*/tagmanifest-sha512.txt"))
        if self == out and built and not out.exists():
            out.mkdir()
        return answer

    monkeypatch.setattr(Path, "is_symlink", racing)
    with pytest.raises(BundleExistsError):
        capture([folder], out=out, case="C", key=signing_key)
    assert out.is_dir() and not any(out.iterdir())  # the other party's folder, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]  # no leftovers
