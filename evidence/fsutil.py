"""Crash-safe file writing.

Evidence must never be half-written: every file is written to a temporary name in the
same folder, flushed and fsync'd, then renamed over its final name (rename is atomic on
POSIX), and the folder itself is fsync'd so the rename survives a power cut.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["atomic_write_bytes", "atomic_writer", "fsync_dir"]


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int = 0o644, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success rename it to ``path``.

    On any exception the temporary file is removed and ``path`` is untouched. With
    ``overwrite=False`` an existing ``path`` raises :class:`FileExistsError` (checked
    at the final link, so two writers cannot both win).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp_path = Path(tmp)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp_path, path)
        else:
            os.link(tmp_path, path)  # fails with FileExistsError if path exists
            tmp_path.unlink()
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int = 0o644, overwrite: bool = True
) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, mode=mode, overwrite=overwrite) as fh:
        fh.write(data)


#: renameat2(2)'s flag that makes a rename fail with EEXIST instead of replacing the target.
_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
_FALLBACK_LOCK = threading.Lock()


_libc_functions: dict[str, Any] = {}
_LIBC_LOCK = threading.Lock()


def _libc(name: str, *argtypes: Any) -> Any:
    """The C library's function ``name`` returning an int (Linux only, looked up once in
    the symbols this process has loaded), or None."""
    with _LIBC_LOCK:
        if name not in _libc_functions:
            _libc_functions[name] = None
            if sys.platform.startswith("linux"):
                import ctypes

                with contextlib.suppress(OSError, AttributeError):
                    func = getattr(ctypes.CDLL(None, use_errno=True), name)
                    func.argtypes = argtypes
                    func.restype = ctypes.c_int
                    _libc_functions[name] = func
        return _libc_functions[name]


def _libc_renameat2() -> Any:
    import ctypes

    return _libc("renameat2", ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                 ctypes.c_uint)  # glibc 2.28 and later


def flush_filesystem(fd: int) -> None:
    """Write the dirty data of the filesystem holding the open file ``fd`` to disk
    (syncfs(2) on Linux, else sync(2) of every filesystem); waits for it. Errors are
    ignored: callers use this only to start writes early, and flush for durability
    afterwards."""
    import ctypes

    func = _libc("syncfs", ctypes.c_int)
    with contextlib.suppress(OSError):
        if func is None:
            os.sync()
        else:
            func(fd)


def sync_filesystem(fd: int) -> None:
    """Write the dirty data and metadata of the filesystem holding the open file ``fd`` to
    disk and wait for it: syncfs(2) on Linux, else sync(2) of every filesystem.

    Unlike :func:`flush_filesystem` (a hint), this is a durability step: it raises OSError
    when syncfs fails, which since Linux 5.8 includes a writeback error (EIO, ENOSPC) on
    that filesystem since ``fd`` was opened (``errseq``: open ``fd`` before writing what
    must be durable). sync(2), the fallback, reports nothing.
    """
    import ctypes

    func = _libc("syncfs", ctypes.c_int)
    if func is None:
        os.sync()
    elif func(fd) != 0:
        err = _ctypes_errno()
        raise OSError(err, os.strerror(err))


def rename_noreplace(src: str, dst: str) -> None:
    """Rename ``src`` to ``dst`` without ever replacing an existing ``dst``.

    Raises FileExistsError if ``dst`` exists (anything there, a dangling link included),
    other OSErrors as :func:`os.rename` does. On Linux this is one atomic renameat2(2) with
    RENAME_NOREPLACE; where that is missing or the filesystem refuses the flag, a check and
    a rename, made one at a time in this process (safe against our own threads, not against
    another process creating ``dst`` in between).
    """
    func = _libc_renameat2()
    if func:
        if func(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst),
                _RENAME_NOREPLACE) == 0:
            return
        err = _ctypes_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(err, os.strerror(err), src, None, dst)
    with _FALLBACK_LOCK:
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), src, None, dst)
        os.rename(src, dst)


def _ctypes_errno() -> int:
    import ctypes

    return ctypes.get_errno()
