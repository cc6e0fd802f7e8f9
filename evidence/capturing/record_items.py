"""The record-item writer: each record of an export becomes one salted, canonical item.

A CSV export takes the fast path: its rows are laid into a template whose names were
sorted once (:class:`evidence.standards.jcs.StringRecordEncoder`); JSON and JSON Lines
records are canonicalized one by one. Record and item lines are written, and records
hashed for the payload manifests, in blocks on a writer thread (:class:`ItemWriter`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from array import array
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..bundle.layout import (
    FORMAT_VERSION,
    SALT_BYTES,
)
from ..errors import InputError
from ..standards.jcs import ObjectTemplate, StringRecordEncoder, canonical_string, canonicalize
from .copier import O_CLOEXEC, Builder, Digest, start_writeback, write_all
from .records import ExportDialect, iter_csv_rows, iter_records

__all__ = ["ItemWriter", "write_records"]


#: Record and item lines are written (and records hashed, for the payload manifests) in
#: blocks of about this size, on a helper thread: large enough for hashlib to release the
#: GIL and for the disk to stream, small enough to keep memory flat.
BLOCK_BYTES = 1024 * 1024


#: Blocks handed to the writer thread and not yet written, at most (bounds memory when the
#: disk is slower than the encoder).
BLOCKS_QUEUED = 8


#: Salts drawn from the system's random source at a time (each item still gets its own
#: SALT_BYTES fresh bytes; one system call per batch instead of one per item).
SALT_BATCH = 4096


#: Members of a record item that differ from record to record (the others are the same for
#: a whole export and are encoded once; see evidence.standards.jcs.ObjectTemplate).
_RECORD_SLOTS = ("id", "line", "locator", "size", "sha256", "sha512", "salt")


#: Slots that are plain strings needing no JSON escaping: generated ids and lowercase hex.
_RECORD_RAW = ("id", "sha256", "sha512", "salt")


_WRITER: ThreadPoolExecutor | None = None


def _writer() -> ThreadPoolExecutor:
    global _WRITER
    if _WRITER is None:
        _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer")
    return _WRITER


def _salts() -> Iterator[str]:
    """Fresh random salts as hex (RFC 6962 leaves are public; the salt hides guessable
    items), SALT_BYTES each, drawn SALT_BATCH at a time."""
    width = 2 * SALT_BYTES
    while True:
        batch = secrets.token_bytes(SALT_BYTES * SALT_BATCH).hex()
        yield from [batch[i:i + width] for i in range(0, len(batch), width)]


def write_records(builder: Builder, src: Path, export_item: dict[str, Any], encoding: str,
                   prov: str, items: ItemWriter, *,
                   dialect: ExportDialect | None = None) -> None:
    """Canonicalize each record of ``src`` into ``data/records/NAME.jsonl``, one item each.

    A CSV export takes the fast path: its rows are laid into a template whose names were
    sorted once (:class:`evidence.standards.jcs.StringRecordEncoder`); JSON and JSON Lines
    records are
    canonicalized one by one. Either way each item is laid into a template of the export's
    constant members (:class:`evidence.standards.jcs.ObjectTemplate`), so it is byte for byte the
    canonical form of the item. Raises FormatError naming the row, line or element of a bad
    record. ``dialect``: how to read ``src``
    (:class:`~evidence.capturing.records.ExportDialect`; default: from its extension, with
    ``encoding``).
    """
    if dialect is None:
        dialect = ExportDialect(encoding=encoding)
    bag_path = f"data/records/{src.name}.jsonl"
    fill = ObjectTemplate(
        {"version": FORMAT_VERSION, "kind": "record", "path": bag_path,
         "source": export_item["id"], "source_name": src.name,
         "media_type": "application/json", "provenance": prov},
        _RECORD_SLOTS, raw_strings=_RECORD_RAW).fill
    sha256, sha512 = hashlib.sha256, hashlib.sha512
    salts = items.salts
    # The loop below runs once per record (a million times for a large export): what it
    # touches is bound to locals, and both files are appended to in blocks.
    leaves, item_offsets, data_offsets = items.leaves, items.item_offsets, items.data_offsets
    item_lines = items.lines
    with _BlockFile(builder.target(bag_path), hashed=True) as out:
        record_lines: list[bytes] = []
        first = items.records + 1
        count = record_size = record_flushed = 0
        item_size = items.size
        for locator, line in _record_lines(src, dialect):
            record_lines.append(line)
            data_offsets.append(record_size)
            record_size += len(line) + 1
            text = fill((f"R-{first + count}", str(count + 1), locator, str(len(line)),
                         sha256(line).hexdigest(), sha512(line).hexdigest(), next(salts),
                         )).encode("utf-8")
            count += 1
            leaves.append(sha256(b"\x00" + text).digest())  # RFC 6962 §2.1 leaf hash
            item_lines.append(text)
            item_offsets.append(item_size)
            item_size += len(text) + 1
            if record_size - record_flushed >= BLOCK_BYTES:
                out.write(_joined(record_lines))
                record_flushed = record_size
            if item_size - items.flushed >= BLOCK_BYTES:
                items.size = item_size
                items.flush()
        items.size = item_size
        items.records += count
        out.write(_joined(record_lines))
    if not count:
        raise InputError(f"{src}: no records")
    builder.manifest.append((bag_path, out.digest()))


def _joined(lines: list[bytes]) -> bytes:
    """The lines, each ended by a line break, as one block; ``lines`` is emptied."""
    if not lines:
        return b""
    lines.append(b"")
    data = b"\n".join(lines)
    lines.clear()
    return data


def _record_lines(src: Path, dialect: ExportDialect) -> Iterator[tuple[str, bytes]]:
    """``(locator as JSON text, canonical record bytes)`` for each record of ``src``."""
    encoding = dialect.encoding
    fmt = dialect.resolve(src)["format"]
    if fmt == "csv":
        rows = iter_csv_rows(src, encoding=encoding, delimiter=dialect.delimiter,
                             quotechar=dialect.quotechar)
        _, header = next(rows)
        encode = StringRecordEncoder(header).encode
        for row_number, values in rows:
            yield f'"row {row_number}"', encode(values)  # the locator of evidence.capturing.records
    else:
        for record in iter_records(src, encoding=encoding, fmt=fmt):
            yield canonical_string(record.locator), canonicalize(record.fields)


def _write_block(fd: int, offset: int, data: bytes, hashes: Sequence[hashlib._Hash]) -> None:
    for digest in hashes:
        digest.update(data)
    write_all(fd, data)
    start_writeback(fd, offset, len(data))


class _BlockFile:
    """A new file written block by block on the writer thread, hashed as written if asked.

    Blocks are written in order; an error writing one is raised by a later :meth:`write`
    or by the ``with`` block's exit.
    """

    def __init__(self, path: str | Path, *, hashed: bool):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_CLOEXEC, 0o666)
        self.hashes: tuple[hashlib._Hash, ...] = (
            (hashlib.sha256(), hashlib.sha512()) if hashed else ())
        self.size = 0
        self.pending: deque[Future[None]] = deque()

    def write(self, data: bytes) -> None:
        if data:
            self.pending.append(_writer().submit(_write_block, self.fd, self.size, data,
                                                 self.hashes))
            self.size += len(data)
        while len(self.pending) > BLOCKS_QUEUED or (self.pending and self.pending[0].done()):
            self.pending.popleft().result()

    def digest(self) -> Digest:
        """Size and digests of what was written (``hashed`` files, after the ``with``)."""
        h256, h512 = self.hashes[0], self.hashes[1]
        return Digest(self.size, h256.hexdigest(), h512.hexdigest())

    def __enter__(self) -> _BlockFile:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self.pending:  # always waited for: no write may outlive the file
                self.pending.popleft().result()
        finally:
            os.close(self.fd)


class ItemWriter:
    """Writes ``items.jsonl`` line by line, salting each item and keeping what the index
    needs: its leaf hash, its offset, and for a record its offset in the records file."""

    def __init__(self, path: Path):
        self.out = _BlockFile(path, hashed=False)
        self.salts = _salts()
        self.leaves: list[bytes] = []
        self.file_leaves = array("Q")
        self.item_offsets = array("Q")
        self.data_offsets = array("Q")
        self.lines: list[bytes] = []  # not yet handed to the writer
        self.size = 0  # bytes of items so far, lines included
        self.flushed = 0  # bytes handed to the writer
        self.files = 0
        self.records = 0

    def emit(self, item: dict[str, Any]) -> None:
        """Write a file item (a dict without salt; the salt is added here)."""
        item["salt"] = next(self.salts)
        self.add(canonicalize(item))

    def add(self, line: bytes) -> None:
        """Write a file item's canonical line."""
        self.file_leaves.append(len(self.leaves))
        self.leaves.append(hashlib.sha256(b"\x00" + line).digest())  # RFC 6962 §2.1 leaf
        self.item_offsets.append(self.size)
        self.data_offsets.append(0)
        self.lines.append(line)
        self.size += len(line) + 1
        self.files += 1
        if self.size - self.flushed >= BLOCK_BYTES:
            self.flush()

    def flush(self) -> None:
        self.out.write(_joined(self.lines))
        self.flushed = self.size

    def __enter__(self) -> ItemWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if exc_type is None:
                self.flush()
        finally:
            self.out.__exit__()
