"""Hashing of payload files, in this process or in a child process of its own.

Verifying a bundle of many small files is limited by Python's global interpreter lock,
not by hashing: the threads hashing files and the thread checking the items take turns
at it (measured on 20,000 x 50 KiB files: the item checks take 1.3 s and the hashing 3.1 s
when each runs alone, 5.0 s when they run together on two threads). So
:func:`evidence.bag.check_bag` hands large numbers of files to child processes running
this file, each with a lock of its own; the parent's threads only wait on pipes.

This file imports nothing but the standard library: it runs as a script under
``python -I -S`` (no site packages, no environment variables, no current folder on the
path), so a child never imports code from the bag's folder or the user's environment.

Protocol, on the child's stdin and stdout: frames of a 4-byte big-endian length and that
many bytes of JSON. A request is ``[[path, [algorithm, ...]], ...]``, each path being the
file system bytes of an absolute path decoded as Latin-1 (so any file name travels
unchanged whatever the encodings of the two processes); the reply holds one entry per
path, in order: ``[size, [hex digest, ...]]`` in the order of the algorithms, or
``[null, errno, message]`` when the file could not be read (errno null for a file that is
not a regular file). End of input ends the child.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

#: Read size when hashing (a small file takes one read sized from fstat).
CHUNK_SIZE = 1 << 20
#: A frame larger than this is refused (a request of thousands of long paths is far less).
MAX_FRAME_BYTES = 64 << 20

#: No final symlink followed; O_NONBLOCK: a FIFO put in place of a file is refused at once
#: (fstat) instead of blocking the open until a writer comes (no effect on regular files).
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NONBLOCK", 0))
_HEADER = struct.Struct(">I")


class NotRegularFile(OSError):
    """The path names something other than a regular file (a FIFO, a device, a folder)."""


def digest_file(path: str | bytes, algorithms: Sequence[str],
                constructors: dict[str, Any] | None = None,
                progress: Callable[[int], None] | None = None) -> tuple[int, list[str]]:
    """The size of the file at ``path`` and its hex digests, reading it once.

    A final symlink is never followed (``O_NOFOLLOW``) and anything but a regular file is
    refused (:class:`NotRegularFile`); other failures raise OSError. The first read is
    sized from ``fstat``, so a small file takes one ``read``; larger ones continue in
    :data:`CHUNK_SIZE` reads to the end of the file (which may have grown meanwhile).
    ``constructors`` maps algorithm names to hashlib constructors (quicker than
    ``hashlib.new``); ``progress`` hears the size of each chunk read.
    """
    made = constructors or {}
    hashers = [made[alg]() if alg in made else hashlib.new(alg) for alg in algorithms]
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            name = os.path.basename(os.fsdecode(path))
            raise NotRegularFile(f"{name} is not a regular file")
        size = st.st_size
        want, total = min(size + 1, CHUNK_SIZE), 0
        while chunk := os.read(fd, want):
            for h in hashers:
                h.update(chunk)
            total += len(chunk)
            if progress is not None:
                progress(len(chunk))
            if len(chunk) < want and total == size:
                break  # the end: no need to read again to see it
            want = CHUNK_SIZE
    finally:
        os.close(fd)
    return total, [h.hexdigest() for h in hashers]


def write_frame(out: IO[bytes], value: Any) -> None:
    data = json.dumps(value, separators=(",", ":")).encode("ascii")
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


def read_frame(source: IO[bytes]) -> Any:
    """The next frame's value, or None at the end of input. Raises EOFError for a frame
    cut short or too large."""
    header = source.read(_HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise EOFError("hashing child: frame header cut short")
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise EOFError(f"hashing child: frame of {length} bytes")
    data = source.read(length)
    if len(data) < length:
        raise EOFError("hashing child: frame cut short")
    return json.loads(data)


def answer(jobs: list[list[Any]]) -> list[list[Any]]:
    """Hash each ``[latin-1 path, [algorithm, ...]]`` of a request: the reply entries."""
    made = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
    out: list[list[Any]] = []
    for path, algorithms in jobs:
        try:
            size, digests = digest_file(path.encode("latin-1"), algorithms, made)
        except NotRegularFile as exc:
            out.append([None, None, str(exc)])
        except OSError as exc:
            out.append([None, exc.errno, exc.strerror or str(exc)])
        else:
            out.append([size, digests])
    return out


def serve(source: IO[bytes], out: IO[bytes]) -> None:
    """Answer requests until the end of ``source``."""
    while (jobs := read_frame(source)) is not None:
        write_frame(out, answer(jobs))


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
