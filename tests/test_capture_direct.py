"""Large copied files are written with O_DIRECT by a writer thread while the worker hashes
the same chunk (issue 17); the copy is byte for byte the original whatever the tail, a
filesystem refusing O_DIRECT, or a direct write refused half-way."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from evidence.bundle.integrity import check_integrity
from evidence.capturing import copier
from evidence.capturing.pipeline import capture
from evidence.keys import SigningKey

MIB = 1024 * 1024
#: One file all aligned chunks, one with an unaligned tail after an aligned chunk, one
#: small (through the page cache).
SIZES = {"aligned.bin": 2 * copier.CHUNK_BYTES, "tail.bin": copier.CHUNK_BYTES + 12_345,
         "small.bin": 100_000}


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("direct") / "in"
    folder.mkdir()
    for name, size in SIZES.items():
        (folder / name).write_bytes(os.urandom(size))
    probe = folder.parent / "probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | getattr(os, "O_DIRECT", 0)))
    except OSError:
        pytest.skip("this filesystem refuses O_DIRECT")
    finally:
        probe.unlink(missing_ok=True)
    if not getattr(os, "O_DIRECT", 0):
        pytest.skip("no O_DIRECT on this platform")
    return folder


def _same_copy(originals: Path, bundle: Path) -> None:
    assert check_integrity(bundle).intact
    for name in SIZES:
        copy = (bundle / "data" / "files" / "in" / name).read_bytes()
        assert hashlib.sha512(copy).digest() == hashlib.sha512(
            (originals / name).read_bytes()).digest(), name


def test_large_files_are_written_directly_small_ones_through_the_cache(
        originals: Path, tmp_path: Path, signing_key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copier, "DIRECT_MIN_BYTES", 1 * MIB)
    calls: list[tuple[bool, bool]] = []
    real_set = copier._set_direct

    def set_direct(fd: int, on: bool) -> bool:
        done = real_set(fd, on)
        calls.append((on, done))
        return done

    direct_writes: list[int] = []
    real_write = copier.write_all

    def write_all(fd: int, data: Any) -> None:
        real_write(fd, data)
        if threading.current_thread().name.startswith("write"):  # done, and directly
            assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT
            direct_writes.append(len(data))

    monkeypatch.setattr(copier, "_set_direct", set_direct)
    monkeypatch.setattr(copier, "write_all", write_all)
    capture([originals], out=tmp_path / "out", case="C", key=signing_key)
    # on for the two large files, off again for the tail: the small file never turns it on
    assert sorted(calls) == [(False, False), (True, True), (True, True)]
    assert sorted(direct_writes) == [copier.CHUNK_BYTES] * 3
    _same_copy(originals, tmp_path / "out")


def test_a_filesystem_refusing_o_direct_gets_a_buffered_copy(
        originals: Path, tmp_path: Path, signing_key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copier, "DIRECT_MIN_BYTES", 1 * MIB)
    real = fcntl.fcntl

    def refusing(fd: int, cmd: int, arg: int = 0) -> int:
        if cmd == fcntl.F_SETFL and arg & os.O_DIRECT:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        return real(fd, cmd, arg)

    monkeypatch.setattr(fcntl, "fcntl", refusing)
    capture([originals], out=tmp_path / "out", case="C", key=signing_key)
    _same_copy(originals, tmp_path / "out")


def test_a_direct_write_refused_half_way_is_written_again_through_the_cache(
        originals: Path, tmp_path: Path, signing_key: SigningKey,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copier, "DIRECT_MIN_BYTES", 1 * MIB)
    real = copier.write_all
    refused: list[int] = []

    def half_then_refuse(fd: int, data: Any) -> None:
        if threading.current_thread().name.startswith("write") and not refused:
            refused.append(fd)
            real(fd, memoryview(data)[:copier.DIRECT_ALIGN])  # part written, then refused
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real(fd, data)

    monkeypatch.setattr(copier, "write_all", half_then_refuse)
    capture([originals], out=tmp_path / "out", case="C", key=signing_key)
    assert refused
    _same_copy(originals, tmp_path / "out")
